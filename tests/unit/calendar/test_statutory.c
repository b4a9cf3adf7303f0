/*
 * Unit tests of the statutory holidays and of the table of lunar and
 * solar-term dates behind them (src/calendar/statutory.c): against every
 * official notice of 2020-2026 (tests/fixtures/holidays, copies of the
 * holiday-cn files, see LICENSE.holiday-cn there) and against the dates
 * published for 2027-2030.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calendar/calendar.h"
#include "core/buf.h"
#include "core/timeutil.h"

static long day(int y, int m, int d)
{
	return days_from_civil(y, m, d);
}

/* A calendar with the official notice of `year` loaded from the fixtures. */
static struct calendar *official(int year)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	char chunk[4096], *path = xasprintf("%s/%d.json", HOLIDAY_FIXTURES, year);
	FILE *f = fopen(path, "rb");
	struct calendar *cal = calendar_new();
	size_t n;
	int got = 0;

	if (!f)
		fail_msg("cannot open fixture \"%s\"", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (!calendar_load_json(cal, b.data, b.len, &got, &e))
		fail_msg("loading %s: %s", path, e.message);
	assert_int_equal(got, year);
	buf_release(&b);
	free(path);
	return cal;
}

/* True if `day` is off in `cal` under a name containing `name`. */
static bool off_as(const struct calendar *cal, long d, const char *name)
{
	const char *n = calendar_day_name(cal, d);

	return !calendar_is_workday(cal, d) && n && strstr(n, name);
}

/* Each festival of the table falls on a day the notice of its year made a
 * holiday of that name, 2020 to 2026. */
static void test_the_table_agrees_with_every_official_notice(void **state)
{
	(void)state;
	for (int y = 2020; y <= 2026; y++) {
		struct calendar *cal = official(y);
		struct calendar_festivals f;

		assert_true(calendar_festivals(y, &f));
		for (long d = f.spring; d <= f.spring + 2; d++)
			if (!off_as(cal, d, "春节"))
				fail_msg("%d: 春节 day %ld is not off in the notice", y, d - f.spring + 1);
		if (!off_as(cal, f.qingming, "清明"))
			fail_msg("%d: 清明 is not off in the notice", y);
		if (!off_as(cal, f.dragon_boat, "端午"))
			fail_msg("%d: 端午 is not off in the notice", y);
		if (!off_as(cal, f.mid_autumn, "中秋"))
			fail_msg("%d: 中秋 is not off in the notice", y);
		calendar_free(cal);
	}
}

/* Under the 2024 rules (2025 on) every statutory day is off in the notice. */
static void test_every_statutory_day_is_off_in_the_2025_and_2026_notices(void **state)
{
	(void)state;
	for (int y = 2025; y <= 2026; y++) {
		struct calendar *cal = official(y);
		struct calendar_statutory_day days[CALENDAR_STATUTORY_MAX];
		size_t n = calendar_statutory_days(y, days);

		assert_int_equal(n, 13);
		for (size_t i = 0; i < n; i++)
			if (calendar_is_workday(cal, days[i].day))
				fail_msg("%d: statutory %s (day %ld) is a working day in the notice", y,
					 days[i].name, days[i].day);
		calendar_free(cal);
	}
}

/* Dates published for the years whose notices are still to come. */
static void test_known_dates_of_2027_to_2030(void **state)
{
	struct calendar_festivals f;

	(void)state;
	assert_true(calendar_festivals(2027, &f));
	assert_int_equal(f.qingming, day(2027, 4, 5));
	assert_int_equal(f.spring - 1, day(2027, 2, 5));	/* 除夕: the new moon at 23:56 */
	assert_int_equal(f.dragon_boat, day(2027, 6, 9));
	assert_int_equal(f.mid_autumn, day(2027, 9, 15));
	assert_true(calendar_festivals(2028, &f));
	assert_int_equal(f.qingming, day(2028, 4, 4));
	assert_int_equal(f.spring - 1, day(2028, 1, 25));
	assert_true(calendar_festivals(2029, &f));
	assert_int_equal(f.qingming, day(2029, 4, 4));
	assert_true(calendar_festivals(2030, &f));
	assert_int_equal(f.qingming, day(2030, 4, 5));
	assert_int_equal(f.spring, day(2030, 2, 3));
	/* Outside the table: no lunar dates. */
	assert_false(calendar_festivals(2019, &f));
	assert_false(calendar_festivals(2101, &f));
}

static void test_the_statutory_days_of_2027(void **state)
{
	static const struct {
		int m, d;
		const char *name;
	} want[] = {
		{ 1, 1, "元旦" }, { 2, 5, "春节" }, { 2, 6, "春节" }, { 2, 7, "春节" }, { 2, 8, "春节" },
		{ 4, 5, "清明节" }, { 5, 1, "劳动节" }, { 5, 2, "劳动节" }, { 6, 9, "端午节" },
		{ 9, 15, "中秋节" }, { 10, 1, "国庆节" }, { 10, 2, "国庆节" }, { 10, 3, "国庆节" },
	};
	struct calendar_statutory_day days[CALENDAR_STATUTORY_MAX];
	size_t n = calendar_statutory_days(2027, days);

	(void)state;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(days[i].day, day(2027, want[i].m, want[i].d));
		assert_string_equal(days[i].name, want[i].name);
	}
}

/* Mid-Autumn on National Day (2031-10-01) is one day, not two. */
static void test_a_festival_on_national_day_is_counted_once(void **state)
{
	struct calendar_statutory_day days[CALENDAR_STATUTORY_MAX];
	size_t n = calendar_statutory_days(2031, days);

	(void)state;
	assert_int_equal(n, 12);
	for (size_t i = 1; i < n; i++)
		assert_true(days[i - 1].day < days[i].day);
}

/* Without any 2027 data, 2027-01-01 is a holiday and 2027 stays provisional;
 * a day a neighbouring notice set is left as it said. */
static void test_a_year_without_a_notice_gets_the_statutory_days(void **state)
{
	struct calendar *cal = calendar_new();

	(void)state;
	calendar_set_day(cal, day(2027, 2, 8), false, "春节");
	calendar_apply_statutory(cal, 2027);
	assert_false(calendar_is_workday(cal, day(2027, 1, 1)));
	assert_false(calendar_year_known(cal, 2027));
	assert_true(calendar_is_workday(cal, day(2027, 1, 4)));
	assert_false(calendar_is_workday(cal, day(2027, 2, 5)));
	assert_true(calendar_is_workday(cal, day(2027, 2, 8)));
	assert_true(calendar_is_workday(cal, day(2027, 2, 9)));
	/* Wed 2026-12-30 10:00 + 2 working days: Thu 31, Mon 2027-01-04. */
	assert_int_equal(calendar_add_workdays(cal, time_from_local(day(2026, 12, 30), 10, 0, 0), 2),
			 time_from_local(day(2027, 1, 4), 23, 59, 59));
	calendar_free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_table_agrees_with_every_official_notice),
		cmocka_unit_test(test_every_statutory_day_is_off_in_the_2025_and_2026_notices),
		cmocka_unit_test(test_known_dates_of_2027_to_2030),
		cmocka_unit_test(test_the_statutory_days_of_2027),
		cmocka_unit_test(test_a_festival_on_national_day_is_counted_once),
		cmocka_unit_test(test_a_year_without_a_notice_gets_the_statutory_days),
	};

	if (!timeutil_set_zone("Asia/Shanghai"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
