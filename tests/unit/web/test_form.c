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
	assert_string_equal(field_label("satisfaction"), "满意度");
	assert_string_equal(field_label("red_min"), "红榜分数下限");
	assert_null(field_label("no_such_field"));
	assert_null(field_label(""));
	assert_null(field_label(NULL));
}

/* Fills an err as the domain would, with arguments. */
static struct err refusal(int status, enum err_code code, double a, double b, const char *text,
			  const char *message)
{
	struct err e = ERR_INIT;

	err_field(&e, status, "x", code, "%s", message);
	err_num(&e, a, b);
	if (text)
		err_text_arg(&e, text);
	return e;
}

static void refusals_read_in_chinese_by_code(void **state)
{
	static const struct {
		int status;
		enum err_code code;
		double a, b;
		const char *text, *message, *want;
	} cases[] = {
		{ 401, ERR_BAD_CREDENTIALS, 0, 0, NULL, "invalid login or password", "用户名或密码错误" },
		{ 409, ERR_STALE_VERSION, 0, 0, NULL, "the order was changed", "工单已被他人更新，请查看最新状态后再操作" },
		{ 403, ERR_CSRF, 0, 0, NULL, "csrf token mismatch", "页面已过期或来源无法确认（CSRF 校验失败），请返回并刷新页面后重试" },
		{ 422, ERR_TOO_LONG, 4001, 4000, NULL, "content has 4001 characters", "最多 4000 个字，现有 4001 个" },
		/* Without its arguments a code still says what went wrong. */
		{ 422, ERR_TOO_LONG, 0, 0, NULL, "comment is too long", "内容过长" },
		{ 422, ERR_OUT_OF_RANGE, 1, 1000, NULL, "sign_limit 0 is out of range", "超出允许范围（1 到 1000）" },
		{ 422, ERR_OUT_OF_RANGE, -90, 90, NULL, "latitude", "超出允许范围（-90 到 90）" },
		{ 422, ERR_BAD_PATTERN, 6, 0, "missing closing parenthesis", "invalid pattern",
		  "正则表达式有误（第 6 个字符处）：missing closing parenthesis" },
		{ 422, ERR_REQUIRED, 0, 0, NULL, "caller_phone is required", "此项必填" },
		/* The message is never read: a reworded one changes nothing. */
		{ 422, ERR_REQUIRED, 0, 0, NULL, "anything at all", "此项必填" },
		{ 422, ERR_UNKNOWN_CATEGORY, 0, 0, NULL, "unknown or invalid category \"X\"", "诉求分类无效" },
		/* Codes the pages have no words of their own for say what the status means. */
		{ 404, ERR_NONE, 0, 0, NULL, "", "页面或工单不存在" },
		{ 403, ERR_NONE, 0, 0, NULL, "", "您无权进行此操作" },
		{ 503, ERR_NONE, 0, 0, NULL, "", "服务暂时不可用，请稍后再试" },
		/* Internal failures say nothing of the inside. */
		{ 500, ERR_INTERNAL, 0, 0, NULL, "PQexec: relation \"x\" does not exist",
		  "系统内部错误，请稍后再试；如仍出错请联系系统管理员" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = refusal(cases[i].status, cases[i].code, cases[i].a, cases[i].b, cases[i].text,
				       cases[i].message);
		struct buf b = BUF_INIT;

		err_text(&b, &e);
		if (strcmp(b.data ? b.data : "", cases[i].want))
			fail_msg("case %zu, %s: \"%s\", want \"%s\"", i, err_code_slug(cases[i].code),
				 b.data ? b.data : "", cases[i].want);
		buf_release(&b);
	}
}

/* Every code a user's input or a user's action can cause has Chinese words. */
static void every_user_facing_code_has_a_text(void **state)
{
	for (int c = ERR_NONE + 1; c < ERR_CODE_COUNT; c++) {
		switch ((enum err_code)c) {
		case ERR_INTERNAL: case ERR_BAD_OPTION: case ERR_NOT_CONFIGURED: case ERR_LISTEN_FAILED:
		case ERR_SCRIPT_FAILED: case ERR_SCHEMA_BEHIND: case ERR_SCHEMA_AHEAD:
		case ERR_NO_MIGRATIONS: case ERR_MIGRATION_EDITED: case ERR_MIGRATION_FAILED:
		case ERR_TEMPLATE_MISSING: case ERR_TEMPLATE_SYNTAX: case ERR_TEMPLATE_RECURSION:
		case ERR_METHOD_NOT_ALLOWED: case ERR_UNSIGNED: case ERR_BAD_SIGNATURE:
		case ERR_BAD_TIMESTAMP: case ERR_STALE_TIMESTAMP: case ERR_REPLAYED: case ERR_ALREADY_SENT:
			continue;	/* operators' and machines' errors: never shown on a page */
		default:
			if (!err_code_has_text((enum err_code)c))
				fail_msg("code \"%s\" has no Chinese text", err_code_slug((enum err_code)c));
		}
	}
}

/* Several bad fields at once: each keeps its own code, field and arguments. */
static void collected_errors_keep_each_field(void **state)
{
	struct err all = ERR_INIT, one = ERR_INIT;
	struct err_detail d;
	struct buf b = BUF_INIT;

	err_collect(&all, &one);	/* nothing to collect */
	assert_false(err_isset(&all));
	err_field(&one, 422, "reason", ERR_REQUIRED, "field \"reason\" is required");
	err_collect(&all, &one);
	err_field_n(&one, 422, "workdays", ERR_OUT_OF_RANGE, 1, 60, "workdays 99 is out of range");
	err_collect(&all, &one);
	assert_string_equal(all.field, "reason");
	assert_int_equal(all.code, ERR_REQUIRED);
	assert_int_equal(all.nmore, 1);
	err_detail_at(&all, 1, &d);
	assert_string_equal(d.field, "workdays");
	err_detail_text(&b, &d, all.status);
	assert_string_equal(b.data, "超出允许范围（1 到 60）");
	buf_release(&b);
	for (int i = 0; i < ERR_MORE_MAX + 5; i++)
		err_collect(&all, &one);
	assert_int_equal(all.nmore, ERR_MORE_MAX);
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
		cmocka_unit_test(refusals_read_in_chinese_by_code),
		cmocka_unit_test(every_user_facing_code_has_a_text),
		cmocka_unit_test(collected_errors_keep_each_field),
	};
	return cmocka_run_group_tests_name("web-form", tests, NULL, NULL);
}
