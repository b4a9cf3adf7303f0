/*
 * The call intake's settings (intake/settings.h): which dialled numbers are
 * the hotline's (12345 and the old lines merged into it, 一号通) and how
 * short abandons count. A wrong value is refused at start, naming the
 * option, and leaves the setting as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "intake/settings.h"

/* The hotline numbers as the option would print them. */
static char *hotline_list(void)
{
	struct buf b = BUF_INIT;

	intake_hotline_list(intake_settings(), &b);
	return buf_detach(&b, NULL);
}

static void assert_hotline_list(const char *want)
{
	char *got = hotline_list();

	if (strcmp(got, want)) {
		char copy[256];

		snprintf(copy, sizeof(copy), "%s", got);
		free(got);
		fail_msg("hotline numbers \"%s\", want \"%s\"", copy, want);
	}
	free(got);
}

static void the_defaults_are_12345_and_five_seconds(void **state)
{
	const struct intake_settings *s = intake_settings();

	assert_non_null(s);
	assert_int_equal(s->nhotline, 1);
	assert_string_equal(s->hotline[0], "12345");
	assert_int_equal(s->short_abandon_seconds, 5);
	assert_true(s->short_abandons_offered);
	assert_true(intake_is_hotline(s, "12345"));
}

static void hotline_numbers_are_read_in_order_trimmed_and_without_repeats(void **state)
{
	static const struct {
		const char *option, *list;
	} cases[] = {
		{ "12345", "12345" },
		{ "12345,12315,12369", "12345,12315,12369" },
		{ " 12345 , 12315 ", "12345,12315" },
		{ "12315,12345", "12315,12345" },
		{ "12345,12315,12345", "12345,12315" },
		{ "110,12345678901234567890", "110,12345678901234567890" },	/* 3 and 20 digits */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;

		if (!intake_set_hotline_numbers(cases[i].option, &e))
			fail_msg("\"%s\" refused: %s", cases[i].option, e.message);
		assert_hotline_list(cases[i].list);
	}
	assert_true(intake_set_hotline_numbers("12345", NULL));
}

static void bad_hotline_lists_are_refused_and_change_nothing(void **state)
{
	static const char *const bad[] = {
		"", " ", "12", "123456789012345678901", "12345,,12315", "12345,", ",12345",
		"12345,abc", "12345;12315", "12345 12315", "010-12345", "+8612345", "１２３４５",
	};
	struct err e = ERR_INIT;

	assert_true(intake_set_hotline_numbers("12345,12315", &e));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (intake_set_hotline_numbers(bad[i], &e))
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(e.status, 400);
		assert_int_equal(e.code, ERR_BAD_OPTION);
		assert_non_null(strstr(e.message, "--hotline-numbers"));
		if (!strstr(e.message, bad[i]))
			fail_msg("\"%s\": the message does not quote it: %s", bad[i], e.message);
		assert_hotline_list("12345,12315");
	}
	assert_true(intake_set_hotline_numbers("12345", &e));
}

static void at_most_64_hotline_numbers(void **state)
{
	struct buf list = BUF_INIT;
	struct err e = ERR_INIT;

	for (int i = 0; i < INTAKE_MAX_HOTLINE_NUMBERS; i++)
		buf_addf(&list, "%s%d", i ? "," : "", 12300 + i);
	assert_true(intake_set_hotline_numbers(list.data, &e));
	assert_int_equal(intake_settings()->nhotline, INTAKE_MAX_HOTLINE_NUMBERS);
	assert_true(intake_is_hotline(intake_settings(), "12363"));

	buf_addf(&list, ",%d", 12300 + INTAKE_MAX_HOTLINE_NUMBERS);
	assert_false(intake_set_hotline_numbers(list.data, &e));
	assert_int_equal(e.status, 400);
	assert_non_null(strstr(e.message, "too many"));
	assert_int_equal(intake_settings()->nhotline, INTAKE_MAX_HOTLINE_NUMBERS);

	buf_release(&list);
	assert_true(intake_set_hotline_numbers("12345", &e));
}

static void a_dialled_number_is_the_hotline_only_if_listed_exactly(void **state)
{
	char n1[] = "12345", n2[] = "12315";
	struct intake_settings s = { .hotline = { n1, n2 }, .nhotline = 2 };

	assert_true(intake_is_hotline(&s, "12345"));
	assert_true(intake_is_hotline(&s, "12315"));
	assert_false(intake_is_hotline(&s, "12369"));
	assert_false(intake_is_hotline(&s, "1234"));
	assert_false(intake_is_hotline(&s, "123456"));
	assert_false(intake_is_hotline(&s, "012345"));
	assert_false(intake_is_hotline(&s, ""));
	assert_false(intake_is_hotline(&s, NULL));
}

static void the_numbers_go_to_sql_as_an_array_literal(void **state)
{
	char n1[] = "12345", n2[] = "12315", n3[] = "12369";
	struct intake_settings s = { .hotline = { n1, n2, n3 }, .nhotline = 3 };
	struct intake_settings none = { .nhotline = 0 };
	struct buf b = BUF_INIT;

	intake_hotline_array(&s, &b);
	assert_string_equal(b.data, "{12345,12315,12369}");
	buf_reset(&b);
	intake_hotline_list(&s, &b);
	assert_string_equal(b.data, "12345,12315,12369");
	buf_reset(&b);
	intake_hotline_array(&none, &b);
	assert_string_equal(b.data, "{}");
	buf_release(&b);
}

static void short_abandon_seconds_are_whole_numbers_from_0_to_60(void **state)
{
	static const struct {
		const char *value;
		int seconds;	/* -1: refused */
	} cases[] = {
		{ "0", 0 }, { "5", 5 }, { "15", 15 }, { "60", 60 },
		{ "-1", -1 }, { "61", -1 }, { "", -1 }, { "5s", -1 }, { "5.5", -1 }, { "five", -1 },
		{ "99999999999999999999", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		bool ok;

		assert_true(intake_set_short_abandon_seconds("7", &e));
		ok = intake_set_short_abandon_seconds(cases[i].value, &e);
		if (ok != (cases[i].seconds >= 0))
			fail_msg("\"%s\": %s", cases[i].value, ok ? "accepted" : e.message);
		if (ok) {
			assert_int_equal(intake_settings()->short_abandon_seconds, cases[i].seconds);
		} else {
			assert_int_equal(e.status, 400);
			assert_non_null(strstr(e.message, "--short-abandon-seconds"));
			assert_int_equal(intake_settings()->short_abandon_seconds, 7);
		}
	}
	assert_true(intake_set_short_abandon_seconds("5", NULL));
}

static void short_abandons_offered_takes_yes_or_no(void **state)
{
	static const struct {
		const char *value;
		int offered;	/* -1: refused */
	} cases[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "No", 0 }, { "False", 0 },
		{ "y", -1 }, { "n", -1 }, { "", -1 }, { "on", -1 }, { "2", -1 }, { "yes ", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		/* Start from the opposite, so that a change shows. */
		bool before = cases[i].offered != 1;
		bool ok;

		assert_true(intake_set_short_abandons_offered(before ? "yes" : "no", &e));
		ok = intake_set_short_abandons_offered(cases[i].value, &e);
		if (ok != (cases[i].offered >= 0))
			fail_msg("\"%s\": %s", cases[i].value, ok ? "accepted" : e.message);
		if (ok) {
			assert_int_equal(intake_settings()->short_abandons_offered, cases[i].offered);
		} else {
			assert_int_equal(e.status, 400);
			assert_non_null(strstr(e.message, "--short-abandons-offered"));
			assert_int_equal(intake_settings()->short_abandons_offered, before);
		}
	}
	assert_true(intake_set_short_abandons_offered("yes", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: it reads the process's untouched settings. */
		cmocka_unit_test(the_defaults_are_12345_and_five_seconds),
		cmocka_unit_test(hotline_numbers_are_read_in_order_trimmed_and_without_repeats),
		cmocka_unit_test(bad_hotline_lists_are_refused_and_change_nothing),
		cmocka_unit_test(at_most_64_hotline_numbers),
		cmocka_unit_test(a_dialled_number_is_the_hotline_only_if_listed_exactly),
		cmocka_unit_test(the_numbers_go_to_sql_as_an_array_literal),
		cmocka_unit_test(short_abandon_seconds_are_whole_numbers_from_0_to_60),
		cmocka_unit_test(short_abandons_offered_takes_yes_or_no),
	};
	return cmocka_run_group_tests_name("intake-settings", tests, NULL, NULL);
}
