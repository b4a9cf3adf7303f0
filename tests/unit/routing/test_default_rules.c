/* The demo rule file (src/routing/default_rules.json): it loads, uses only
 * the demo codes, and routes everyday complaints where an agent expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "routing/rules_io.h"

#ifndef ROUTING_DEFAULT_RULES
#error "ROUTING_DEFAULT_RULES must name src/routing/default_rules.json"
#endif

/* The demo codes the set-up creates (see the task brief). */
static const char *const departments[] = {
	"SGAJ", "SCGJ", "SZJW", "SSWJ", "SGDGS", "SRSJ", "SSCJ", "SJTJ", "SJYJ",
	"SYBJ", "SHBJ", "SRQGS",
};
static const char *const categories[] = {
	"01", "0101", "010101", "010102", "010103", "0102", "010201", "010202",
	"02", "0201", "020101", "020102", "0202", "020201",
	"03", "0301", "030101",
	"04", "0401", "040101", "040102",
	"05", "0501", "050101", "0502", "050201", "0503", "050301", "0504", "050401",
	"06", "0601", "060101",
	"07", "0701",
	"08", "0801",
	"09", "0901", "090101", "090102", "0902", "0903", "0904", "0905",
};

static bool listed(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

struct fixture {
	struct rule_def_list defs;
	struct rule_set *set;
};

static int load(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err e = ERR_INIT;

	if (!rule_defs_read_file(ROUTING_DEFAULT_RULES, &f->defs, &e)) {
		print_error("%s: %s\n", ROUTING_DEFAULT_RULES, e.message);
		free(f);
		return -1;
	}
	f->set = rule_set_build(f->defs.items, f->defs.n, NULL, &e);
	if (!f->set) {
		print_error("%s: %s\n", ROUTING_DEFAULT_RULES, e.message);
		rule_def_list_release(&f->defs);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int unload(void **state)
{
	struct fixture *f = *state;

	rule_set_unref(f->set);
	rule_def_list_release(&f->defs);
	free(f);
	return 0;
}

static void the_default_rules_use_only_the_demo_codes(void **state)
{
	struct fixture *f = *state;
	size_t police = 0;

	assert_true(f->defs.n >= 25);
	assert_int_equal(rule_set_count(f->set), f->defs.n);
	for (size_t i = 0; i < f->defs.n; i++) {
		const struct rule_def *d = &f->defs.items[i];

		if (!d->suggest_category
		    || !listed(d->suggest_category, categories, sizeof(categories) / sizeof(categories[0])))
			fail_msg("rule \"%s\": category \"%s\" is not a demo code", d->name,
				 d->suggest_category ? d->suggest_category : "(none)");
		if (!d->suggest_department
		    || !listed(d->suggest_department, departments,
			       sizeof(departments) / sizeof(departments[0])))
			fail_msg("rule \"%s\": department \"%s\" is not a demo code", d->name,
				 d->suggest_department ? d->suggest_department : "(none)");
		assert_non_null(d->suggest_urgency);
		police += d->police;
	}
	assert_true(police >= 6);
}

static void everyday_complaints_route_as_an_agent_expects(void **state)
{
	static const struct {
		const char *content;
		const char *category;	/* of the top suggestion; NULL = none */
		const char *department;
		const char *urgency;
		bool police;
	} cases[] = {
		{ "我家楼下有人打架，还拿着刀！！快来人", "090101", "SGAJ", "紧急", true },
		{ "有人站在楼顶上，说要跳楼", "0905", "SGAJ", "特急", true },
		{ "我的电动车昨晚在小区里被偷了", "090102", "SGAJ", "一般", true },
		{ "楼道里闻到很浓的煤气味，怎么办？", "050301", "SRQGS", "特急", true },
		{ "幸福路和光明路路口发生车祸，有人受伤", "0902", "SGAJ", "紧急", true },
		{ "家里７８岁的老人走失了，穿蓝色衣服", "0904", "SGAJ", "紧急", true },
		{ "我们公司已经三个月工资不发了", "030101", "SRSJ", "一般", false },
		{ "旁边工地半夜还在施工，噪音太大，严重扰民", "020101", "SCGJ", "一般", false },
		{ "楼上邻居每天晚上唱歌，噪音很大", "020102", "SHBJ", "一般", false },
		{ "幸福路的路灯坏了好几天，晚上很黑", "010102", "SCGJ", "一般", false },
		{ "小区门口的井盖不见了，很危险", "010103", "SCGJ", "紧急", false },
		{ "小区物业乱收费，服务态度也很差", "010201", "SZJW", "一般", false },
		{ "我们小区从早上开始停水，到现在还没来水", "050101", "SSWJ", "一般", false },
		{ "在超市买到过期食品，要求退款", "040102", "SSCJ", "一般", false },
		{ "出租车司机拒载，还绕路多收费", "060101", "SJTJ", "一般", false },
		{ "暖气不热，室温只有１４度", "050401", "SCGJ", "一般", false },
		{ "医保报销比例是多少？", "0801", "SYBJ", "一般", false },
		{ "孩子上幼儿园要交赞助费吗", "0701", "SJYJ", "一般", false },
		{ "我想咨询一下护照怎么办理", NULL, NULL, NULL, false },
	};
	struct fixture *f = *state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *text = rule_normalise_dup(cases[c].content);
		struct rule_input in = { .content = text };
		struct rule_match out[4];
		struct rule_report rep;
		struct err e = ERR_INIT;
		ssize_t n = rule_set_match(f->set, &in, out, 4, &rep, &e);

		assert_int_equal(rep.limited, 0);
		if (!cases[c].category) {
			if (n != 0)
				fail_msg("\"%s\" matched rule \"%s\"", cases[c].content, out[0].name);
		} else {
			if (n < 1)
				fail_msg("\"%s\" matched nothing", cases[c].content);
			if (strcmp(out[0].suggest_category, cases[c].category) != 0)
				fail_msg("\"%s\": top rule \"%s\" suggests %s, not %s", cases[c].content,
					 out[0].name, out[0].suggest_category, cases[c].category);
			assert_string_equal(out[0].suggest_department, cases[c].department);
			assert_string_equal(out[0].suggest_urgency, cases[c].urgency);
			assert_int_equal(out[0].police, cases[c].police);
		}
		free(text);
	}
}

static void a_food_complaint_also_offers_the_consumer_rule(void **state)
{
	struct fixture *f = *state;
	struct rule_input in = { .content = "在超市买到过期食品，要求退款" };
	struct rule_match out[4];
	struct err e = ERR_INIT;

	assert_int_equal(rule_set_match(f->set, &in, out, 4, NULL, &e), 2);
	assert_string_equal(out[0].suggest_category, "040102");
	assert_string_equal(out[1].suggest_category, "040101");
	assert_memory_equal(out[1].text, "退款", out[1].text_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_default_rules_use_only_the_demo_codes),
		cmocka_unit_test(everyday_complaints_route_as_an_agent_expects),
		cmocka_unit_test(a_food_complaint_also_offers_the_consumer_rule),
	};
	return cmocka_run_group_tests_name("routing-default-rules", tests, load, unload);
}
