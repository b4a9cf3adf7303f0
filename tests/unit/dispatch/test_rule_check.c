/*
 * Checking a routing rule before it is saved (dispatch_rule_check): a bad
 * pattern is refused with PCRE2's reason and the character offset, which
 * the rule form uses to put the cursor on the error; the urgency words a
 * rule may suggest; the duplicate window (并单) read at start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dispatch/dispatch.h"
#include "dispatch/dispatch_private.h"

/* A rule that suggests a category (a rule must suggest something). */
static struct rule_def rule(const char *name, const char *pattern)
{
	struct rule_def d = { .priority = 10, .name = name, .pattern = pattern,
			      .suggest_category = "CJ01" };

	return d;
}

static void a_sound_rule_passes(void **state)
{
	static const char *const patterns[] = {
		"路灯(不亮|坏了)", "(?i)noise", "噪音|扰民", "^\\d{11}$", "[井盖]{2}",
	};

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		struct err e = ERR_INIT;
		struct rule_def d = rule("路灯", patterns[i]);

		d.suggest_urgency = "紧急";
		if (!dispatch_rule_check(&d, &e))
			fail_msg("\"%s\" refused: %s", patterns[i], e.message);
		assert_int_equal(e.status, 0);
		assert_string_equal(e.ext_key, "");
	}
}

static void a_bad_pattern_gives_its_offset_in_characters(void **state)
{
	static const struct {
		const char *pattern, *offset;
	} cases[] = {
		{ "路灯(", "3" },		/* missing ): at the end, 3 characters in */
		{ "(", "1" },
		{ "abc)", "3" },		/* the stray ) */
		{ "噪音)扰民", "2" },
		{ "[井盖", "3" },		/* missing ] */
		{ "a{3,1}", "5" },		/* numbers out of order */
		{ "*路灯", "0" },		/* nothing to repeat */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		struct rule_def d = rule("bad", cases[i].pattern);

		if (dispatch_rule_check(&d, &e))
			fail_msg("\"%s\" accepted", cases[i].pattern);
		assert_int_equal(e.status, 422);
		assert_string_equal(e.field, "pattern");
		assert_string_equal(e.ext_key, "offset");
		if (strcmp(e.ext_value, cases[i].offset))
			fail_msg("\"%s\": offset %s, want %s (%s)", cases[i].pattern, e.ext_value,
				 cases[i].offset, e.message);
		/* The message quotes the pattern and gives PCRE2's reason. */
		assert_non_null(strstr(e.message, cases[i].pattern));
		assert_non_null(strstr(e.message, ": "));
	}
}

static void other_refusals_name_the_member_without_an_offset(void **state)
{
	static const struct {
		const char *name, *pattern, *urgency, *field;
	} cases[] = {
		{ NULL, "路灯", NULL, "name" },
		{ "", "路灯", NULL, "name" },
		{ "路灯", NULL, NULL, "pattern" },
		{ "路灯", "", NULL, "pattern" },
		{ "路灯", "路灯", "very urgent", "suggest_urgency" },
		{ "\xff\xfe", "路灯", NULL, "name" },
		{ "路灯", "路灯", NULL, "suggest_category" },	/* suggests nothing */
		{ "路灯", "\xe8\xb7", NULL, "pattern" },	/* a cut-off character */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		struct rule_def d = rule(cases[i].name, cases[i].pattern);

		d.suggest_urgency = cases[i].urgency;
		if (!strcmp(cases[i].field, "suggest_category"))
			d.suggest_category = NULL;
		if (dispatch_rule_check(&d, &e))
			fail_msg("case %zu accepted", i);
		assert_int_equal(e.status, 422);
		if (strcmp(e.field, cases[i].field))
			fail_msg("case %zu: field \"%s\", want \"%s\" (%s)", i, e.field, cases[i].field,
				 e.message);
		assert_string_equal(e.ext_key, "");
	}
}

static void checking_without_an_error_struct_still_refuses(void **state)
{
	struct rule_def bad = rule("路灯", "路灯("), good = rule("路灯", "路灯");

	assert_false(dispatch_rule_check(&bad, NULL));
	assert_true(dispatch_rule_check(&good, NULL));
}

static void urgency_words_map_to_codes(void **state)
{
	static const struct {
		const char *word, *code;
	} cases[] = {
		{ "一般", "normal" }, { "紧急", "urgent" }, { "特急", "critical" },
		/* Rules speak Chinese; the codes themselves are not words. */
		{ "urgent", NULL }, { "normal", NULL }, { "", NULL }, { "紧急 ", NULL }, { "特", NULL },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = dispatch_urgency_code(cases[i].word);

		if (cases[i].code)
			assert_string_equal(got, cases[i].code);
		else if (got)
			fail_msg("\"%s\" gave \"%s\"", cases[i].word ? cases[i].word : "(null)", got);
	}
}

static void the_duplicate_window_is_30_days_unless_configured(void **state)
{
	static const char *const bad[] = { "0", "366", "-7", "7d", "seven", "1e2", "99999999999999999999" };
	struct err e = ERR_INIT;

	assert_int_equal(dispatch_window_days(), DISPATCH_DUPLICATE_DAYS);
	assert_int_equal(DISPATCH_DUPLICATE_DAYS, 30);

	unsetenv("HOTLINE_DUPLICATE_DAYS");
	assert_true(dispatch_init(&e));
	assert_int_equal(dispatch_window_days(), 30);
	setenv("HOTLINE_DUPLICATE_DAYS", "", 1);
	assert_true(dispatch_init(&e));
	assert_int_equal(dispatch_window_days(), 30);

	setenv("HOTLINE_DUPLICATE_DAYS", "7", 1);
	assert_true(dispatch_init(&e));
	assert_int_equal(dispatch_window_days(), 7);
	setenv("HOTLINE_DUPLICATE_DAYS", "1", 1);
	assert_true(dispatch_init(&e));
	assert_int_equal(dispatch_window_days(), 1);
	setenv("HOTLINE_DUPLICATE_DAYS", "365", 1);
	assert_true(dispatch_init(&e));
	assert_int_equal(dispatch_window_days(), 365);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		setenv("HOTLINE_DUPLICATE_DAYS", bad[i], 1);
		if (dispatch_init(&e))
			fail_msg("HOTLINE_DUPLICATE_DAYS=%s accepted", bad[i]);
		assert_int_equal(e.status, 400);
		assert_string_equal(e.field, "HOTLINE_DUPLICATE_DAYS");
		assert_non_null(strstr(e.message, bad[i]));
		/* A refused value leaves the window as it was. */
		assert_int_equal(dispatch_window_days(), 365);
	}
	unsetenv("HOTLINE_DUPLICATE_DAYS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_sound_rule_passes),
		cmocka_unit_test(a_bad_pattern_gives_its_offset_in_characters),
		cmocka_unit_test(other_refusals_name_the_member_without_an_offset),
		cmocka_unit_test(checking_without_an_error_struct_still_refuses),
		cmocka_unit_test(urgency_words_map_to_codes),
		cmocka_unit_test(the_duplicate_window_is_30_days_unless_configured),
	};
	return cmocka_run_group_tests_name("dispatch-rule-check", tests, NULL, NULL);
}
