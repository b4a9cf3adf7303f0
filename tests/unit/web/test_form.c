/*
 * Submitted forms once parsed (form_get, form_get_nonempty, form_values),
 * URL escaping, order numbers in paths, and the Chinese a user reads for
 * a refusal (field_label, err_text) — web_private.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "web/web_private.h"

/* A parsed form: repeated names kept in order, as form_parse() leaves them. */
static struct form_pair pairs[] = {
	{ .name = "content", .value = "小区路灯不亮" },
	{ .name = "assisting", .value = "D01" },
	{ .name = "csrf_token", .value = "k2Jd9s" },
	{ .name = "assisting", .value = "D02" },
	{ .name = "password", .value = "hunter22" },
	{ .name = "note", .value = " \t\r\n " },
	{ .name = "empty", .value = "" },
	{ .name = "content", .value = "a second value" },
	{ .name = "answer", .value = " 已答复 " },
};
static const struct form form = { .pairs = pairs, .n = sizeof(pairs) / sizeof(pairs[0]) };

static void form_get_gives_the_first_value(void **state)
{
	assert_string_equal(form_get(&form, "content"), "小区路灯不亮");
	assert_string_equal(form_get(&form, "assisting"), "D01");
	assert_string_equal(form_get(&form, "note"), " \t\r\n ");
	assert_string_equal(form_get(&form, "empty"), "");
	assert_null(form_get(&form, "missing"));
	assert_null(form_get(&form, "Content"));
}

static void blank_values_count_as_not_given(void **state)
{
	assert_string_equal(form_get_nonempty(&form, "content"), "小区路灯不亮");
	/* Kept as typed: trimming is the domain's business. */
	assert_string_equal(form_get_nonempty(&form, "answer"), " 已答复 ");
	assert_null(form_get_nonempty(&form, "note"));
	assert_null(form_get_nonempty(&form, "empty"));
	assert_null(form_get_nonempty(&form, "missing"));
}

static void values_for_re_rendering_leave_out_secrets(void **state)
{
	static const char *const lists[] = { "assisting", "tags", NULL };
	json_object *v = form_values(&form, lists);

	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "{\"assisting\":[\"D01\",\"D02\"],\"tags\":[],\"content\":\"小区路灯不亮\","
			    "\"note\":\" \\t\\r\\n \",\"empty\":\"\",\"answer\":\" 已答复 \"}");
	json_object_put(v);

	/* Without lists, a repeated name gives its first value. */
	v = form_values(&form, NULL);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "assisting")), "D01");
	assert_null(json_object_object_get(v, "csrf_token"));
	assert_null(json_object_object_get(v, "password"));
	json_object_put(v);
}

static void releasing_frees_and_empties_the_form(void **state)
{
	struct form f = { 0 };

	f.pairs = xcalloc(2, sizeof(*f.pairs));
	f.pairs[0].name = xstrdup("content");
	f.pairs[0].value = xstrdup("路灯");
	f.pairs[1].name = xstrdup("note");
	f.pairs[1].value = xstrdup("");
	f.n = 2;
	form_release(&f);
	assert_null(f.pairs);
	assert_int_equal(f.n, 0);
	form_release(&f);		/* twice is harmless */
}

static void url_escape_keeps_only_unreserved_characters(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "20261121-0001", "20261121-0001" },
		{ "a-z_A.Z~09", "a-z_A.Z~09" },
		{ "路灯", "%E8%B7%AF%E7%81%AF" },
		{ "a b", "a%20b" },
		{ "a+b", "a%2Bb" },
		{ "/orders?x=1&y=2#f", "%2Forders%3Fx%3D1%26y%3D2%23f" },
		{ "50%", "50%25" },
		{ "\"<'>\"", "%22%3C%27%3E%22" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		url_escape(&b, cases[i].in);
		assert_string_equal(b.data ? b.data : "", cases[i].out);
		buf_release(&b);
	}
}

static void order_numbers_in_paths_are_letters_digits_and_dashes(void **state)
{
	static const char *const good[] = {
		"20261121-0001", "A", "abc-DEF-123", "12345678901234567890123456789012",
	};
	static const char *const bad[] = {
		NULL, "", "123456789012345678901234567890123", "../etc/passwd", "2026 1121",
		"20261121_0001", "工单1", "20261121-0001\n", "%2e%2e", "a/b",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!order_number_ok(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (order_number_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
}

static void fields_have_chinese_labels(void **state)
{
	assert_string_equal(field_label("content"), "来电内容");
	assert_string_equal(field_label("caller_phone"), "联系电话");
	assert_string_equal(field_label("department"), "承办单位");
	assert_string_equal(field_label("assisting"), "协办单位");
	assert_string_equal(field_label("until"), "申请延至");
	assert_null(field_label("no_such_field"));
	assert_null(field_label(""));
	assert_null(field_label(NULL));
}

static void refusals_read_in_chinese(void **state)
{
	static const struct {
		int status;
		const char *code, *message, *text;
	} cases[] = {
		{ 401, "bad-credentials", "invalid login or password", "用户名或密码错误" },
		{ 409, "stale-version", "the order was changed", "工单已被他人更新，请查看最新状态后再操作" },
		{ 403, "csrf", "csrf token mismatch", "页面已过期或来源无法确认（CSRF 校验失败），请返回并刷新页面后重试" },
		{ 422, "invalid", "content has 4001 characters; at most 4000 are allowed", "最多 4000 个字，现有 4001 个" },
		{ 422, "invalid", "caller_phone is required", "此项必填" },
		{ 422, "invalid", "unknown or invalid category \"X\"", "诉求分类无效" },
		/* Anything the table does not know keeps the domain's words. */
		{ 422, "invalid", "frobnication \"x\" is odd", "输入有误：frobnication \"x\" is odd" },
		{ 400, "bad", "odd input", "输入有误：odd input" },
		{ 409, "whatever", "order is completed", "操作与工单当前状态冲突：order is completed" },
		{ 404, "", "", "页面或工单不存在" },
		{ 403, "", "", "您无权进行此操作" },
		{ 503, "", "", "服务暂时不可用，请稍后再试" },
		/* Internal failures say nothing of the inside. */
		{ 500, "internal", "PQexec: relation \"x\" does not exist", "系统内部错误，请稍后再试；如仍出错请联系系统管理员" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		struct buf b = BUF_INIT;

		err_set(&e, cases[i].status, cases[i].code, "%s", cases[i].message);
		err_text(&b, &e);
		if (strcmp(b.data ? b.data : "", cases[i].text))
			fail_msg("%d %s \"%s\": \"%s\", want \"%s\"", cases[i].status, cases[i].code,
				 cases[i].message, b.data ? b.data : "", cases[i].text);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(form_get_gives_the_first_value),
		cmocka_unit_test(blank_values_count_as_not_given),
		cmocka_unit_test(values_for_re_rendering_leave_out_secrets),
		cmocka_unit_test(releasing_frees_and_empties_the_form),
		cmocka_unit_test(url_escape_keeps_only_unreserved_characters),
		cmocka_unit_test(order_numbers_in_paths_are_letters_digits_and_dashes),
		cmocka_unit_test(fields_have_chinese_labels),
		cmocka_unit_test(refusals_read_in_chinese),
	};
	return cmocka_run_group_tests_name("web-form", tests, NULL, NULL);
}
