/* The routing rule engine as an agent meets it: which suggestions appear,
 * in what order, and that no pattern can stall a request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "routing/rules.h"

#define MAX_OUT 16

static void add(struct rule_set *set, const struct rule_def *def)
{
	struct err e = ERR_INIT;

	if (!rule_set_add(set, def, &e))
		fail_msg("rule \"%s\" refused: %s", def->name, e.message);
}

static ssize_t match_content(const struct rule_set *set, const char *content,
			     struct rule_match *out, struct rule_report *rep)
{
	struct rule_input in = { .content = content };
	struct err e = ERR_INIT;
	ssize_t n = rule_set_match(set, &in, out, MAX_OUT, rep, &e);

	if (n < 0)
		fail_msg("match failed: %s", e.message);
	return n;
}

static void suggestions_rank_by_priority_then_position_then_length(void **state)
{
	static const struct rule_def defs[] = {
		{ .id = 1, .priority = 10, .name = "late", .pattern = "垃圾", .suggest_category = "020201" },
		{ .id = 2, .priority = 10, .name = "early", .pattern = "路灯", .suggest_category = "010102" },
		{ .id = 3, .priority = 50, .name = "urgent", .pattern = "着火", .suggest_category = "0903", .police = true },
		{ .id = 4, .priority = 10, .name = "longer", .pattern = "路灯坏了", .suggest_category = "010102" },
		{ .id = 5, .priority = 0, .name = "low", .pattern = "小区", .suggest_category = "010201" },
		{ .id = 6, .priority = 10, .name = "absent", .pattern = "井盖", .suggest_category = "010103" },
	};
	static const int64_t want[] = { 3, 4, 2, 1, 5 };
	struct rule_set *set = rule_set_new();
	struct rule_match out[MAX_OUT];
	struct rule_report rep;
	ssize_t n;

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		add(set, &defs[i]);
	n = match_content(set, "小区路灯坏了，垃圾没人收，楼下着火了", out, &rep);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(out[i].rule_id, want[i]);
	assert_int_equal(rep.evaluated, 6);
	assert_int_equal(rep.total, 5);
	assert_int_equal(rep.limited, 0);
	assert_true(out[0].police);
	assert_string_equal(out[0].suggest_category, "0903");
	assert_string_equal(out[0].name, "urgent");
	rule_set_unref(set);
}

static void max_caps_the_output_but_the_report_counts_all(void **state)
{
	static const struct rule_def defs[] = {
		{ .priority = 1, .name = "a", .pattern = "噪音", .suggest_category = "020102" },
		{ .priority = 2, .name = "b", .pattern = "扰民", .suggest_category = "020102" },
		{ .priority = 3, .name = "c", .pattern = "施工", .suggest_category = "020101" },
	};
	struct rule_set *set = rule_set_new();
	struct rule_input in = { .content = "工地夜间施工噪音扰民" };
	struct rule_match out[2];
	struct rule_report rep;
	struct err e = ERR_INIT;

	for (size_t i = 0; i < 3; i++)
		add(set, &defs[i]);
	assert_int_equal(rule_set_match(set, &in, out, 2, &rep, &e), 2);
	assert_string_equal(out[0].name, "c");
	assert_string_equal(out[1].name, "b");
	assert_int_equal(rep.total, 3);
	assert_int_equal(rule_set_match(set, &in, NULL, 0, NULL, &e), 0);
	rule_set_unref(set);
}

static void a_rule_on_both_texts_suggests_once_preferring_content(void **state)
{
	static const struct rule_def both = {
		.id = 7, .name = "小区", .pattern = "幸福(小区|里)", .applies_to = RULE_ON_BOTH,
		.suggest_department = "SZJW",
	};
	static const struct rule_def addr = {
		.id = 8, .name = "地址", .pattern = "东城区", .applies_to = RULE_ON_ADDRESS,
		.suggest_department = "D01",
	};
	struct rule_set *set = rule_set_new();
	struct rule_input in = { .content = "幸福小区的电梯坏了", .address = "东城区幸福小区3号楼" };
	struct rule_match out[MAX_OUT];
	struct err e = ERR_INIT;

	add(set, &both);
	add(set, &addr);
	assert_int_equal(rule_set_match(set, &in, out, MAX_OUT, NULL, &e), 2);
	assert_int_equal(out[0].rule_id, 7);
	assert_int_equal(out[0].field, RULE_ON_CONTENT);
	assert_int_equal(out[1].rule_id, 8);
	assert_int_equal(out[1].field, RULE_ON_ADDRESS);
	assert_int_equal(out[1].start, 0);
	assert_int_equal(out[1].text_len, strlen("东城区"));

	/* Content without the place: the address carries the match, and
	 * on equal priority the earlier match ranks first. */
	in.content = "电梯坏了";
	assert_int_equal(rule_set_match(set, &in, out, MAX_OUT, NULL, &e), 2);
	assert_int_equal(out[0].rule_id, 8);
	assert_int_equal(out[1].rule_id, 7);
	assert_int_equal(out[1].field, RULE_ON_ADDRESS);
	assert_int_equal(out[1].start, strlen("东城区"));
	assert_memory_equal(out[1].text, "幸福小区", out[1].text_len);

	/* An address-only rule never looks at the content. */
	in.content = "东城区的电梯";
	in.address = NULL;
	assert_int_equal(rule_set_match(set, &in, out, MAX_OUT, NULL, &e), 0);
	rule_set_unref(set);
}

static void conditions_restrict_rules_to_category_district_and_street(void **state)
{
	static const struct rule_def defs[] = {
		{ .id = 1, .name = "any", .pattern = "路灯", .suggest_department = "SCGJ" },
		{ .id = 2, .name = "cat", .pattern = "路灯", .category_prefix = "0101", .suggest_department = "SCGJ" },
		{ .id = 3, .name = "district", .pattern = "路灯", .district = "D01", .suggest_department = "D01" },
		{ .id = 4, .name = "street", .pattern = "路灯", .district = "D01", .street = "D01S02",
		  .suggest_department = "D01S02" },
		{ .id = 5, .name = "empty is any", .pattern = "路灯", .district = "", .suggest_department = "X" },
	};
	static const struct {
		const char *category, *district, *street;
		int64_t want[5];	/* matching ids in rule order, 0-terminated */
	} cases[] = {
		{ NULL, NULL, NULL, { 1, 5 } },
		{ "010102", NULL, NULL, { 1, 2, 5 } },
		{ "01", NULL, NULL, { 1, 5 } },		/* shorter than the prefix */
		{ "0201", "D01", NULL, { 1, 3, 5 } },
		{ "010102", "D01", "D01S02", { 1, 2, 3, 4, 5 } },
		{ NULL, "D02", "D01S02", { 1, 5 } },
	};
	struct rule_set *set = rule_set_new();

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		add(set, &defs[i]);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rule_input in = { .content = "路灯不亮", .category = cases[c].category,
					 .district = cases[c].district, .street = cases[c].street };
		struct rule_match out[MAX_OUT];
		struct rule_report rep;
		struct err e = ERR_INIT;
		ssize_t n = rule_set_match(set, &in, out, MAX_OUT, &rep, &e);
		size_t k = 0;

		/* Equal priority and position: rule order decides. */
		while (k < 5 && cases[c].want[k])
			k++;
		assert_int_equal(n, k);
		assert_int_equal(rep.evaluated, k);
		for (size_t i = 0; i < k; i++)
			assert_int_equal(out[i].rule_id, cases[c].want[i]);
	}
	rule_set_unref(set);
}

/* Complaints as citizens phrase them, full-width punctuation included. */
static void chinese_complaints_match_the_expected_rules(void **state)
{
	static const struct rule_def defs[] = {
		{ .priority = 90, .name = "110", .police = true, .suggest_department = "SGAJ",
		  .pattern = "(打人|斗殴|持刀|抢劫|盗窃|被偷|着火|起火|失火|走失|失踪|车祸|交通事故|跳楼|轻生|溺水)" },
		{ .priority = 40, .name = "噪声", .suggest_category = "020102", .pattern = "(噪音|噪声|扰民)" },
		{ .priority = 50, .name = "欠薪", .suggest_category = "030101",
		  .pattern = "(拖欠|欠薪|工资).*(不发|未发|拖欠)" },
		{ .priority = 40, .name = "水电", .suggest_category = "0501", .pattern = "(停水|停电|没水|没电|水压)" },
		{ .priority = 40, .name = "市政", .suggest_category = "0101", .pattern = "(路灯|井盖|坑洼|道路破损)" },
		{ .priority = 45, .name = "物业", .suggest_category = "010201", .pattern = "(物业|小区).*(收费|服务)" },
		{ .priority = 30, .name = "消费", .suggest_category = "040101", .pattern = "(退款|假货|欺诈|消费)" },
	};
	static const struct {
		const char *content;
		const char *top;	/* NULL = nothing matches */
		const char *matched;
	} cases[] = {
		{ "喂？！我们楼下有人打人了！！快来（很多人）", "110", "打人" },
		{ "我的电动车在小区里被偷了。", "110", "被偷" },
		{ "老人早上出门后走失，今年７８岁。", "110", "走失" },
		{ "隔壁ＫＴＶ每天晚上噪音很大，严重扰民！", "噪声", "噪音" },
		{ "工地老板拖欠我们３个月的工资，一直不发，怎么办？", "欠薪", "拖欠我们３个月的工资，一直不发" },
		{ "从今天早上８:００开始停水，到现在还没来。", "水电", "停水" },
		{ "幸福路的路灯坏了，晚上很黑。", "市政", "路灯" },
		{ "小区物业乱收费，服务也差。", "物业", "小区物业乱收费，服务" },
		{ "网上买到假货，商家不给退款！", "消费", "假货" },
		{ "我想咨询一下护照怎么办理？", NULL, NULL },
	};
	struct rule_set *set = rule_set_new();

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		add(set, &defs[i]);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *text = rule_normalise_dup(cases[c].content);
		char *want = cases[c].matched ? rule_normalise_dup(cases[c].matched) : NULL;
		struct rule_match out[MAX_OUT];
		ssize_t n = match_content(set, text, out, NULL);

		if (!cases[c].top) {
			assert_int_equal(n, 0);
		} else {
			assert_true(n >= 1);
			assert_string_equal(out[0].name, cases[c].top);
			assert_int_equal(out[0].text_len, strlen(want));
			assert_memory_equal(out[0].text, want, out[0].text_len);
			assert_ptr_equal(out[0].text, text + out[0].start);
		}
		free(want);
		free(text);
	}
	rule_set_unref(set);
}

static void normalising_folds_fullwidth_ascii_and_ideographic_space(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "１２３４５６７８９０", "1234567890" },
		{ "（紧急）！？，：；", "(紧急)!?,:;" },
		{ "ＡＢＣａｂｃ＠＃～", "ABCabc@#~" },
		{ "幸福路　３号", "幸福路 3号" },
		{ "。、「」【】", "。、「」【】" },	/* not in U+FF01..FF5E: unchanged */
		{ "８:００-9:00", "8:00-9:00" },
		{ "plain ascii", "plain ascii" },
		{ "", "" },
		{ "\xEF\xBC", "\xEF\xBC" },		/* truncated sequence kept as is */
		{ "a\xFFｂ", "a\xFF" "b" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *got = rule_normalise_dup(cases[c].in);

		assert_string_equal(got, cases[c].out);
		free(got);
	}
}

static void fullwidth_digits_match_ascii_patterns_after_normalising(void **state)
{
	static const struct rule_def def = {
		.id = 1, .name = "楼号", .pattern = "[0-9]+号楼", .suggest_department = "SZJW",
	};
	struct rule_set *set = rule_set_new();
	struct rule_match out[MAX_OUT];
	const char *raw = "幸福小区１２号楼电梯坏了";
	char *norm = rule_normalise_dup(raw);

	add(set, &def);
	assert_int_equal(match_content(set, raw, out, NULL), 0);
	assert_int_equal(match_content(set, norm, out, NULL), 1);
	/* Offsets are bytes in the normalised text: "幸福小区" is 12 bytes. */
	assert_int_equal(out[0].start, 12);
	assert_int_equal(out[0].end, 12 + 2 + strlen("号楼"));
	assert_memory_equal(out[0].text, "12号楼", out[0].text_len);
	assert_true(rule_utf8_valid(out[0].text, out[0].text_len, NULL));
	free(norm);
	rule_set_unref(set);
}

static void caseless_rules_ignore_letter_case(void **state)
{
	static const struct rule_def exact = { .id = 1, .name = "exact", .pattern = "wifi", .suggest_category = "07" };
	static const struct rule_def loose = {
		.id = 2, .name = "loose", .pattern = "wifi", .caseless = true, .suggest_category = "07",
	};
	struct rule_set *set = rule_set_new();
	struct rule_match out[MAX_OUT];

	add(set, &exact);
	add(set, &loose);
	assert_int_equal(match_content(set, "学校的WiFi连不上", out, NULL), 1);
	assert_int_equal(out[0].rule_id, 2);
	assert_int_equal(match_content(set, "学校的wifi连不上", out, NULL), 2);
	rule_set_unref(set);
}

static void invalid_patterns_are_refused_with_reason_and_offset(void **state)
{
	static const struct {
		const char *pattern;
		const char *message;
	} cases[] = {
		{ "(abc", "invalid pattern \"(abc\" at offset 4: missing closing parenthesis" },
		/* Offsets count characters, not bytes. */
		{ "(打人|斗殴", "invalid pattern \"(打人|斗殴\" at offset 6: missing closing parenthesis" },
		{ "路灯[", "invalid pattern \"路灯[\" at offset 3: missing terminating ] for character class" },
		{ "a{2,1}", "invalid pattern \"a{2,1}\" at offset 5: numbers out of order in {} quantifier" },
		{ "x\\C", "invalid pattern \"x\\C\" at offset 3: using \\C is disabled by the application" },
		{ "", "pattern is required" },
	};
	static const struct rule_def bad = { .name = "bad", .pattern = "(abc", .suggest_category = "01" };
	struct rule_set *set = rule_set_new();
	struct err e = ERR_INIT;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		err_clear(&e);
		assert_false(rule_pattern_check(cases[c].pattern, &e));
		assert_int_equal(e.status, 422);
		assert_string_equal(e.field, "pattern");
		assert_string_equal(e.message, cases[c].message);
	}
	assert_true(rule_pattern_check("(打人|斗殴)", NULL));
	err_clear(&e);
	assert_false(rule_set_add(set, &bad, &e));
	assert_string_equal(e.field, "pattern");
	assert_int_equal(rule_set_count(set), 0);
	rule_set_unref(set);
}

static void rules_with_bad_members_are_refused_naming_the_field(void **state)
{
	static const struct {
		struct rule_def def;
		const char *field;
		const char *fragment;
	} cases[] = {
		{ { .pattern = "x", .suggest_category = "01" }, "name", "name is required" },
		{ { .name = "n", .suggest_category = "01" }, "pattern", "pattern is required" },
		{ { .name = "n", .pattern = "x", .suggest_urgency = "很急" }, "suggest_urgency", "\"很急\"" },
		{ { .name = "n", .pattern = "x" }, "suggest_category", "suggests nothing" },
		{ { .name = "n", .pattern = "x", .suggest_category = "01", .applies_to = 9 }, "applies_to", "9" },
		{ { .name = "n\xC3", .pattern = "x", .police = true }, "name", "not valid UTF-8" },
		{ { .name = "n", .pattern = "x\xE8\xB7", .police = true }, "pattern", "not valid UTF-8" },
		{ { .name = "n", .pattern = "x", .district = "\xFF", .police = true }, "district", "not valid UTF-8" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct err e = ERR_INIT;
		struct rule_set *set = rule_set_new();

		assert_false(rule_def_check(&cases[c].def, &e));
		assert_int_equal(e.status, 422);
		assert_string_equal(e.field, cases[c].field);
		assert_non_null(strstr(e.message, cases[c].fragment));
		err_clear(&e);
		assert_false(rule_set_add(set, &cases[c].def, &e));
		assert_string_equal(e.field, cases[c].field);
		rule_set_unref(set);
	}
}

static void building_from_a_list_names_the_rule_at_fault(void **state)
{
	static const struct rule_def defs[] = {
		{ .name = "ok", .pattern = "路灯", .suggest_category = "010102" },
		{ .name = "坏规则", .pattern = "(路灯", .suggest_category = "010102" },
	};
	struct err e = ERR_INIT;
	struct rule_set *set;

	set = rule_set_build(defs, 1, NULL, &e);
	assert_non_null(set);
	assert_int_equal(rule_set_count(set), 1);
	rule_set_unref(set);
	assert_null(rule_set_build(defs, 2, NULL, &e));
	assert_string_equal(e.field, "pattern");
	assert_string_equal(e.message,
			    "rule at index 1 (\"坏规则\"): invalid pattern \"(路灯\" at offset 3: "
			    "missing closing parenthesis");
}

static bool jit_available(void)
{
	uint32_t jit = 0;

	return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
}

struct limit_log {
	atomic_int calls;
	int64_t last_id;
	int last_rc;
};

static void record_limit(int64_t rule_id, const char *rule_name, int rc, const char *reason,
			 void *arg)
{
	struct limit_log *log = arg;

	atomic_fetch_add(&log->calls, 1);
	log->last_id = rule_id;
	log->last_rc = rc;
}

/* A pathological pattern must neither stall the request nor hide the
 * other rules' suggestions; it is reported and counted. */
static void catastrophic_backtracking_is_bounded_and_reported(void **state)
{
	static const struct rule_def defs[] = {
		{ .id = 11, .priority = 9, .name = "nested a", .pattern = "(a+)+$", .suggest_category = "01" },
		{ .id = 12, .priority = 9, .name = "nested words", .pattern = "(\\w+\\s?)+$",
		  .suggest_category = "01" },
		{ .id = 13, .priority = 1, .name = "sane", .pattern = "aaa", .suggest_category = "02" },
	};
	static const bool modes[] = { false, true };	/* JIT if available, interpreter */
	struct buf text = BUF_INIT;

	/* Long runs that fail at the very end: exponential without bounds. */
	for (int i = 0; i < 4000; i++)
		buf_adds(&text, "aaaaa 甲乙");
	buf_adds(&text, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!");
	for (size_t mode = 0; mode < 2; mode++) {
		struct rule_limits limits = { .no_jit = modes[mode] };
		struct rule_set *set = rule_set_new_with_limits(&limits);
		struct limit_log log = { 0, 0, 0 };
		struct rule_match out[MAX_OUT];
		struct rule_report rep;

		rule_set_on_limit(set, record_limit, &log);
		for (size_t i = 0; i < 3; i++)
			add(set, &defs[i]);
		/* Both engines are exercised: JIT wherever PCRE2 has it. */
		assert_int_equal(rule_set_jit_count(set), modes[mode] || !jit_available() ? 0 : 3);
		assert_int_equal(match_content(set, text.data, out, &rep), 1);
		assert_int_equal(out[0].rule_id, 13);
		assert_int_equal(rep.limited, 2);
		assert_int_equal(rep.evaluated, 3);
		assert_int_equal(atomic_load(&log.calls), 2);
		assert_true(log.last_rc < 0);
		assert_int_equal(rule_set_limit_hits(set, 11), 1);
		assert_int_equal(rule_set_limit_hits(set, 12), 1);
		assert_int_equal(rule_set_limit_hits(set, 13), 0);

		/* The counters accumulate across calls. */
		assert_int_equal(match_content(set, text.data, out, &rep), 1);
		assert_int_equal(rule_set_limit_hits(set, 11), 2);
		/* A short text stays within the bounds and matches normally. */
		assert_int_equal(match_content(set, "aaaa", out, &rep), 3);
		assert_int_equal(rep.limited, 0);
		rule_set_unref(set);
	}
	buf_release(&text);
}

static void a_tight_match_limit_is_honoured(void **state)
{
	static const struct rule_def def = {
		.id = 21, .name = "nested", .pattern = "(x+x+)+$", .suggest_category = "01",
	};
	struct rule_limits limits = { .match_limit = 1000, .depth_limit = 50 };
	struct rule_set *set = rule_set_new_with_limits(&limits);
	struct rule_match out[MAX_OUT];
	struct rule_report rep;

	rule_set_on_limit(set, NULL, NULL);	/* counters still run */
	add(set, &def);
	assert_int_equal(match_content(set, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx!", out, &rep), 0);
	assert_int_equal(rep.limited, 1);
	assert_int_equal(rule_set_limit_hits(set, 21), 1);
	assert_int_equal(match_content(set, "xxxx", out, &rep), 1);
	assert_int_equal(rep.limited, 0);
	rule_set_unref(set);
}

static void invalid_utf8_input_is_refused_naming_the_field(void **state)
{
	static const struct rule_def def = { .name = "any", .pattern = "x", .suggest_category = "01" };
	struct rule_set *set = rule_set_new();
	struct rule_input in = { .content = "路灯", .address = "幸福路\xE5\x8F" };
	struct rule_match out[MAX_OUT];
	struct err e = ERR_INIT;

	add(set, &def);
	assert_int_equal(rule_set_match(set, &in, out, MAX_OUT, NULL, &e), -1);
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "address");
	assert_non_null(strstr(e.message, "byte 9"));
	rule_set_unref(set);
}

static void utf8_validation_rejects_malformed_sequences(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		size_t bad;
	} cases[] = {
		{ "路灯 ok", true, 0 },
		{ "\xF0\x9F\x98\x80", true, 0 },	/* emoji, 4 bytes */
		{ "ab\x80", false, 2 },			/* stray continuation */
		{ "\xC0\xAF", false, 0 },		/* overlong */
		{ "x\xED\xA0\x80", false, 1 },		/* surrogate */
		{ "\xF4\x90\x80\x80", false, 0 },	/* above U+10FFFF */
		{ "路\xE7\x81", false, 3 },		/* truncated */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t bad = 99;

		assert_int_equal(rule_utf8_valid(cases[c].s, strlen(cases[c].s), &bad), cases[c].ok);
		if (!cases[c].ok)
			assert_int_equal(bad, cases[c].bad);
	}
}

/* The server's swap: requests holding the old set keep using it safely. */
static void a_referenced_set_outlives_its_replacement(void **state)
{
	static const struct rule_def old_rule = { .id = 1, .name = "old", .pattern = "路灯", .suggest_category = "010102" };
	static const struct rule_def new_rule = { .id = 2, .name = "new", .pattern = "路灯", .suggest_category = "010102" };
	struct rule_set *current = rule_set_new();
	struct rule_set *request, *fresh;
	struct rule_match out[MAX_OUT];

	add(current, &old_rule);
	request = rule_set_ref(current);	/* a request starts */
	fresh = rule_set_new();
	add(fresh, &new_rule);
	rule_set_unref(current);		/* the server swaps */
	current = fresh;
	assert_int_equal(match_content(request, "路灯不亮", out, NULL), 1);
	assert_string_equal(out[0].name, "old");
	rule_set_unref(request);		/* the request ends: old set freed */
	assert_int_equal(match_content(current, "路灯不亮", out, NULL), 1);
	assert_string_equal(out[0].name, "new");
	rule_set_unref(current);
	rule_set_unref(NULL);
}

struct worker {
	const struct rule_set *set;
	int failures;
};

static void *match_many(void *arg)
{
	struct worker *w = arg;
	static const struct {
		const char *content;
		int64_t top;
	} cases[] = {
		{ "有人打架", 1 }, { "路灯坏了", 2 }, { "晚上噪音扰民", 3 }, { "没事", 0 },
	};

	for (int i = 0; i < 300; i++) {
		struct rule_input in = { .content = cases[i % 4].content };
		struct rule_match out[MAX_OUT];
		struct err e = ERR_INIT;
		ssize_t n = rule_set_match(w->set, &in, out, MAX_OUT, NULL, &e);

		if (cases[i % 4].top ? n != 1 || out[0].rule_id != cases[i % 4].top : n != 0)
			w->failures++;
	}
	return NULL;
}

static void many_threads_can_match_one_set_at_once(void **state)
{
	static const struct rule_def defs[] = {
		{ .id = 1, .name = "110", .pattern = "打架|斗殴", .police = true },
		{ .id = 2, .name = "路灯", .pattern = "路灯", .suggest_category = "010102" },
		{ .id = 3, .name = "噪声", .pattern = "(噪音|噪声).*扰民", .suggest_category = "020102" },
	};
	struct rule_set *set = rule_set_new();
	pthread_t threads[8];
	struct worker workers[8];

	for (size_t i = 0; i < 3; i++)
		add(set, &defs[i]);
	for (int t = 0; t < 8; t++) {
		workers[t] = (struct worker){ rule_set_ref(set), 0 };
		assert_int_equal(pthread_create(&threads[t], NULL, match_many, &workers[t]), 0);
	}
	rule_set_unref(set);	/* the threads' references keep it alive */
	for (int t = 0; t < 8; t++) {
		assert_int_equal(pthread_join(threads[t], NULL), 0);
		assert_int_equal(workers[t].failures, 0);
		rule_set_unref((struct rule_set *)workers[t].set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(suggestions_rank_by_priority_then_position_then_length),
		cmocka_unit_test(max_caps_the_output_but_the_report_counts_all),
		cmocka_unit_test(a_rule_on_both_texts_suggests_once_preferring_content),
		cmocka_unit_test(conditions_restrict_rules_to_category_district_and_street),
		cmocka_unit_test(chinese_complaints_match_the_expected_rules),
		cmocka_unit_test(normalising_folds_fullwidth_ascii_and_ideographic_space),
		cmocka_unit_test(fullwidth_digits_match_ascii_patterns_after_normalising),
		cmocka_unit_test(caseless_rules_ignore_letter_case),
		cmocka_unit_test(invalid_patterns_are_refused_with_reason_and_offset),
		cmocka_unit_test(rules_with_bad_members_are_refused_naming_the_field),
		cmocka_unit_test(building_from_a_list_names_the_rule_at_fault),
		cmocka_unit_test(catastrophic_backtracking_is_bounded_and_reported),
		cmocka_unit_test(a_tight_match_limit_is_honoured),
		cmocka_unit_test(invalid_utf8_input_is_refused_naming_the_field),
		cmocka_unit_test(utf8_validation_rejects_malformed_sequences),
		cmocka_unit_test(a_referenced_set_outlives_its_replacement),
		cmocka_unit_test(many_threads_can_match_one_set_at_once),
	};
	return cmocka_run_group_tests_name("routing-rules", tests, NULL, NULL);
}
