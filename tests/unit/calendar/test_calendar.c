/*
 * The working-day calendar against the official 2025 and 2026 days.
 *
 * The fixtures are copies of the holiday-cn files (see LICENSE.holiday-cn).
 * The 2026 days that the cases below rely on, checked in holidays-2026.json:
 *   元旦    off Thu 01-01 .. Sat 01-03; make-up Sun 01-04
 *   春节    make-up Sat 02-14; off Sun 02-15 .. Mon 02-23; make-up Sat 02-28
 *   中秋节  off Fri 09-25 .. Sun 09-27
 *   国庆节  make-up Sun 09-20; off Thu 10-01 .. Wed 10-07; make-up Sat 10-10
 * and in 2025 (docs/deadlines.md, "The official calendar"): make-up Sun 01-26 and Sat 02-08; 春节 off
 * Tue 01-28 .. Tue 02-04.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calendar/calendar.h"
#include "core/buf.h"
#include "core/timeutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char *read_fixture(const char *name, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	char *path = xasprintf("%s/%s", CALENDAR_FIXTURES, name);
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open fixture \"%s\"", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	free(path);
	return buf_detach(&b, len);
}

static void load_fixture(struct calendar *cal, const char *name, int expect_year)
{
	struct err e = ERR_INIT;
	size_t len;
	char *text = read_fixture(name, &len);
	int year = 0;

	if (!calendar_load_json(cal, text, len, &year, &e))
		fail_msg("loading %s: %s (field \"%s\")", name, e.message, e.field);
	assert_int_equal(year, expect_year);
	free(text);
}

/* Per-test state: a fresh calendar with 2025 and 2026 loaded. */
static int setup(void **state)
{
	struct calendar *cal;

	if (!timeutil_set_zone("Asia/Shanghai"))
		return -1;
	cal = calendar_new();
	load_fixture(cal, "holidays-2025.json", 2025);
	load_fixture(cal, "holidays-2026.json", 2026);
	*state = cal;
	return 0;
}

static int teardown(void **state)
{
	calendar_free(*state);
	return 0;
}

static long day_of(const char *ymd)
{
	int y, m, d;

	assert_int_equal(sscanf(ymd, "%d-%d-%d", &y, &m, &d), 3);
	return days_from_civil(y, m, d);
}

static time_t at(const char *local)
{
	struct err e = ERR_INIT;
	time_t t;

	if (!time_parse_iso(local, &t, "t", &e))
		fail_msg("bad test time \"%s\": %s", local, e.message);
	return t;
}

static void assert_time_equal(time_t got, const char *want, const char *what)
{
	char buf[TIMEUTIL_ISO_LEN];

	time_format_iso(got, buf);
	if (got != at(want))
		fail_msg("%s: got %s, want %s", what, buf, want);
}

static void only_loaded_years_are_known(void **state)
{
	struct calendar *cal = *state;

	assert_true(calendar_year_known(cal, 2025));
	assert_true(calendar_year_known(cal, 2026));
	assert_false(calendar_year_known(cal, 2024));
	assert_false(calendar_year_known(cal, 2027));
	assert_false(calendar_year_known(cal, 2030));
}

static void classifies_holidays_make_up_days_and_weekends(void **state)
{
	static const struct {
		const char *date;
		bool workday;
		const char *name;
		const char *why;
	} cases[] = {
		{ "2026-02-13", true, NULL, "Friday before Spring Festival" },
		{ "2026-02-14", true, "春节", "Saturday, make-up working day" },
		{ "2026-02-15", false, "春节", "Sunday, first day of the holiday" },
		{ "2026-02-16", false, "春节", "Monday inside the holiday" },
		{ "2026-02-20", false, "春节", "Friday inside the holiday" },
		{ "2026-02-23", false, "春节", "Monday, last day of the holiday" },
		{ "2026-02-24", true, NULL, "Tuesday, back to work" },
		{ "2026-02-28", true, "春节", "Saturday, make-up working day" },
		{ "2026-03-01", false, NULL, "ordinary Sunday" },
		{ "2026-01-01", false, "元旦", "Thursday, New Year" },
		{ "2026-01-04", true, "元旦", "Sunday, make-up working day" },
		{ "2026-09-19", false, NULL, "ordinary Saturday" },
		{ "2026-09-20", true, "国庆节", "Sunday, make-up working day" },
		{ "2026-09-25", false, "中秋节", "Friday, Mid-Autumn Festival" },
		{ "2026-10-01", false, "国庆节", "Thursday, National Day" },
		{ "2026-10-07", false, "国庆节", "Wednesday, last day of the holiday" },
		{ "2026-10-08", true, NULL, "Thursday, back to work" },
		{ "2026-10-10", true, "国庆节", "Saturday, make-up working day" },
		{ "2026-10-11", false, NULL, "ordinary Sunday" },
		{ "2025-01-26", true, "春节", "Sunday, make-up working day (docs/deadlines.md)" },
		{ "2025-02-08", true, "春节", "Saturday, make-up working day (docs/deadlines.md)" },
		{ "2025-01-29", false, "春节", "Wednesday, Spring Festival 2025" },
		{ "2030-10-01", true, NULL, "Tuesday in a year without data" },
		{ "2030-10-05", false, NULL, "Saturday in a year without data" },
	};
	struct calendar *cal = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long day = day_of(cases[i].date);
		const char *name = calendar_day_name(cal, day);

		if (calendar_is_workday(cal, day) != cases[i].workday)
			fail_msg("%s (%s): expected %s", cases[i].date, cases[i].why,
				 cases[i].workday ? "a working day" : "a day off");
		if (!cases[i].name)
			assert_null(name);
		else
			assert_string_equal(name, cases[i].name);
	}
}

/*
 * The deadline is 23:59:59 on the Nth working day after the day of
 * receipt. Every expected date was counted by hand on the 2026 calendar
 * (see the top of this file); the reason is given beside each.
 */
static void counts_working_days_across_holidays(void **state)
{
	static const struct {
		const char *from;
		int n;
		const char *want;
		const char *why;
	} cases[] = {
		/* Spring Festival, from Thursday 02-12 in office hours. */
		{ "2026-02-12T10:00", 1, "2026-02-13T23:59:59", "Fri 13" },
		{ "2026-02-12T10:00", 2, "2026-02-14T23:59:59", "Fri 13, make-up Sat 14" },
		{ "2026-02-12T10:00", 5, "2026-02-26T23:59:59", "13, 14, then 24 25 26" },
		{ "2026-02-12T10:00", 10, "2026-03-04T23:59:59", "13 14 24 25 26 27 28(make-up) 3/2 3/3 3/4" },
		{ "2026-02-12T10:00", 15, "2026-03-11T23:59:59", "…3/4, then 3/5 3/6 3/9 3/10 3/11" },
		/* Late on Friday 02-13: the count starts on the make-up Saturday. */
		{ "2026-02-13T23:30", 1, "2026-02-14T23:59:59", "make-up Sat 14" },
		{ "2026-02-13T23:30", 2, "2026-02-24T23:59:59", "14, then the holiday 15..23" },
		{ "2026-02-13T23:30", 5, "2026-02-27T23:59:59", "14 24 25 26 27" },
		{ "2026-02-13T23:30", 10, "2026-03-05T23:59:59", "14 24 25 26 27 28 3/2 3/3 3/4 3/5" },
		{ "2026-02-13T23:30", 15, "2026-03-12T23:59:59", "…3/5, then 3/6 3/9 3/10 3/11 3/12" },
		{ "2026-02-13T23:59:59", 1, "2026-02-14T23:59:59", "last second of Friday" },
		/* Received on the make-up Saturday itself: that day does not count. */
		{ "2026-02-14T00:00", 1, "2026-02-24T23:59:59", "15..23 are off" },
		{ "2026-02-14T08:00", 5, "2026-02-28T23:59:59", "24 25 26 27 28(make-up)" },
		/* Received during the holiday. */
		{ "2026-02-17T09:00", 1, "2026-02-24T23:59:59", "first day after the holiday" },
		{ "2026-02-17T23:30", 2, "2026-02-25T23:59:59", "24 25" },
		{ "2026-02-17T09:00", 5, "2026-02-28T23:59:59", "24 25 26 27 28(make-up)" },
		{ "2026-02-17T09:00", 10, "2026-03-06T23:59:59", "…28, then 3/2 3/3 3/4 3/5 3/6" },
		{ "2026-02-17T09:00", 15, "2026-03-13T23:59:59", "…3/6, then 3/9..3/13" },
		/* Late on the make-up Saturday 02-28: Sunday 03-01 is off. */
		{ "2026-02-28T23:30", 1, "2026-03-02T23:59:59", "Mon 3/2" },
		{ "2026-02-28T23:30", 5, "2026-03-06T23:59:59", "3/2..3/6" },
		/* National Day, late on Friday 09-18. */
		{ "2026-09-18T23:30", 1, "2026-09-20T23:59:59", "Sat 19 off, make-up Sun 20" },
		{ "2026-09-18T23:30", 2, "2026-09-21T23:59:59", "20 21" },
		{ "2026-09-18T23:30", 5, "2026-09-24T23:59:59", "20 21 22 23 24" },
		{ "2026-09-18T23:30", 10, "2026-10-09T23:59:59", "…24, 中秋 25..27, 28 29 30, 10/1..7 off, 10/8 10/9" },
		{ "2026-09-18T23:30", 15, "2026-10-15T23:59:59", "…10/9, make-up 10/10, 10/12..10/15" },
		{ "2026-09-24T15:00", 1, "2026-09-28T23:59:59", "中秋 25..27 off" },
		/* From the last working day before National Day. */
		{ "2026-09-30T15:00", 1, "2026-10-08T23:59:59", "10/1..10/7 off" },
		{ "2026-09-30T15:00", 2, "2026-10-09T23:59:59", "8 9" },
		{ "2026-09-30T15:00", 5, "2026-10-13T23:59:59", "8 9 10(make-up) 12 13" },
		{ "2026-09-30T15:00", 10, "2026-10-20T23:59:59", "…13, then 14 15 16 19 20" },
		{ "2026-10-03T12:00", 1, "2026-10-08T23:59:59", "received on a holiday" },
		{ "2026-10-10T10:00", 1, "2026-10-12T23:59:59", "received on the make-up Saturday" },
		/* Into the next year's New Year holiday and its make-up Sunday. */
		{ "2025-12-31T23:30", 1, "2026-01-04T23:59:59", "1/1..1/3 off, make-up Sun 1/4" },
		{ "2025-12-31T23:30", 2, "2026-01-05T23:59:59", "4 5" },
		/* 2025 Spring Festival: make-up Sunday 01-26. */
		{ "2025-01-24T18:00", 1, "2025-01-26T23:59:59", "Sat 25 off, make-up Sun 26" },
		{ "2025-01-24T18:00", 5, "2025-02-07T23:59:59", "26 27, 1/28..2/4 off, 5 6 7" },
		/* An ordinary weekend. */
		{ "2026-11-20T23:30", 1, "2026-11-23T23:59:59", "Fri late, Mon" },
		/* A year without data: only weekends are skipped. */
		{ "2030-09-30T10:00", 1, "2030-10-01T23:59:59", "Tue; no holiday data" },
		{ "2030-09-30T10:00", 5, "2030-10-07T23:59:59", "Tue..Fri, Mon" },
		/* n below 1 is taken as 1. */
		{ "2026-02-12T10:00", 0, "2026-02-13T23:59:59", "n = 0" },
	};
	struct calendar *cal = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char what[128];

		snprintf(what, sizeof(what), "%d working days from %s (%s)",
			 cases[i].n, cases[i].from, cases[i].why);
		assert_time_equal(calendar_add_workdays(cal, at(cases[i].from), cases[i].n),
				  cases[i].want, what);
	}
}

static void unknown_year_falls_back_to_weekends(void **state)
{
	struct calendar *empty = calendar_new();
	struct calendar *cal = *state;

	/* 2030-10-01 is a Tuesday: surely a holiday, but not yet announced. */
	assert_false(calendar_year_known(cal, 2030));
	assert_true(calendar_is_workday(cal, day_of("2030-10-01")));
	assert_false(calendar_is_workday(cal, day_of("2030-10-06")));
	/* Without any data 2026's holidays are weekdays like any other. */
	assert_false(calendar_year_known(empty, 2026));
	assert_true(calendar_is_workday(empty, day_of("2026-10-01")));
	assert_false(calendar_is_workday(empty, day_of("2026-02-14")));
	assert_null(calendar_day_name(empty, day_of("2026-10-01")));
	assert_time_equal(calendar_add_workdays(empty, at("2026-09-30T15:00"), 1),
			  "2026-10-01T23:59:59", "1 working day, no data");
	calendar_free(empty);
	calendar_free(NULL);
}

static void set_day_overrides_and_replaces(void **state)
{
	struct calendar *cal = calendar_new();
	long sat = day_of("2026-11-21"), mon = day_of("2026-11-23");

	calendar_set_day(cal, mon, true, "测试");
	calendar_set_day(cal, sat, false, NULL);
	assert_false(calendar_is_workday(cal, mon));
	assert_string_equal(calendar_day_name(cal, mon), "测试");
	assert_true(calendar_is_workday(cal, sat));
	assert_null(calendar_day_name(cal, sat));
	/* Setting again replaces, even from the day's own name. */
	calendar_set_day(cal, mon, false, calendar_day_name(cal, mon));
	assert_true(calendar_is_workday(cal, mon));
	assert_string_equal(calendar_day_name(cal, mon), "测试");
	calendar_set_day(cal, mon, true, "");
	assert_null(calendar_day_name(cal, mon));
	/* Setting days does not make their year known; marking does. */
	assert_false(calendar_year_known(cal, 2026));
	calendar_mark_year(cal, 2026);
	calendar_mark_year(cal, 2026);
	calendar_mark_year(cal, 2020);
	assert_true(calendar_year_known(cal, 2026));
	assert_true(calendar_year_known(cal, 2020));
	assert_false(calendar_year_known(cal, 2023));
	calendar_free(cal);
}

static void working_seconds_skip_holidays(void **state)
{
	static const struct {
		const char *a, *b;
		long want;
		const char *why;
	} cases[] = {
		{ "2026-02-13T00:00", "2026-02-25T00:00", 3 * 86400, "13, make-up 14, 24" },
		{ "2026-02-13T12:00", "2026-02-24T06:00", 42 * 3600, "12 h + 24 h + 6 h" },
		{ "2026-02-14T09:00", "2026-02-14T17:30", 30600, "within the make-up Saturday" },
		{ "2026-02-15T00:00", "2026-02-24T00:00", 0, "the whole holiday" },
		{ "2026-09-30T18:00", "2026-10-08T09:00", 15 * 3600, "6 h on 9/30, 9 h on 10/8" },
		{ "2026-10-02T00:00", "2026-10-07T23:00", 0, "inside National Day" },
		{ "2026-09-18T12:00", "2026-09-21T12:00", 48 * 3600, "12 h Fri, Sat off, 24 h make-up Sun, 12 h Mon" },
		{ "2030-10-04T12:00", "2030-10-07T12:00", 86400, "no data: 12 h Fri, 12 h Mon" },
		{ "2026-02-13T12:00", "2026-02-13T12:00", 0, "empty interval" },
		{ "2026-02-24T12:00", "2026-02-13T12:00", 0, "reversed interval" },
	};
	struct calendar *cal = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long got = calendar_working_seconds(cal, at(cases[i].a), at(cases[i].b));

		if (got != cases[i].want)
			fail_msg("[%s, %s) (%s): got %ld s, want %ld s", cases[i].a,
				 cases[i].b, cases[i].why, got, cases[i].want);
	}
}

/* Pushing a deadline back by suspended working time. */
static void adds_working_seconds_skipping_days_off(void **state)
{
	static const struct {
		const char *t;
		long secs;
		const char *want;
		const char *why;
	} cases[] = {
		{ "2026-02-13T23:59:59", 86400, "2026-02-14T23:59:59", "one day: to the make-up Saturday" },
		{ "2026-02-14T23:59:59", 86400, "2026-02-24T23:59:59", "one day: over the holiday" },
		{ "2026-02-14T23:59:59", 1, "2026-02-15T00:00:00", "the last second of a working day" },
		{ "2026-02-14T23:59:59", 2, "2026-02-24T00:00:01", "one second more" },
		{ "2026-10-01T10:00", 3600, "2026-10-08T01:00", "from a holiday" },
		{ "2026-09-30T20:00", 5 * 3600, "2026-10-08T01:00", "4 h on 9/30, 1 h on 10/8" },
		{ "2026-09-18T23:59:59", 2 * 86400, "2026-09-21T23:59:59", "Sat off, make-up Sun, Mon" },
		{ "2026-10-03T12:00", 0, "2026-10-03T12:00", "nothing to add" },
		{ "2026-10-03T12:00", -60, "2026-10-03T12:00", "negative: unchanged" },
	};
	struct calendar *cal = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char what[128];

		snprintf(what, sizeof(what), "%s + %ld working s (%s)", cases[i].t,
			 cases[i].secs, cases[i].why);
		assert_time_equal(calendar_add_working_seconds(cal, at(cases[i].t), cases[i].secs),
				  cases[i].want, what);
	}
}

/*
 * add_working_seconds is the inverse of working_seconds: from every start
 * (every 7 h 17 min through both holiday seasons, landing on working days,
 * holidays and make-up days at all hours), adding s working seconds gives
 * the earliest instant with exactly s working seconds in between.
 */
static void working_seconds_round_trip(void **state)
{
	static const long amounts[] = { 1, 59, 3600, 86399, 86400, 86401, 5 * 86400 + 123 };
	static const char *const seasons[][2] = {
		{ "2026-02-08T00:00", "2026-03-03T00:00" },
		{ "2026-09-15T00:00", "2026-10-14T00:00" },
		{ "2025-12-28T00:00", "2026-01-06T00:00" },
	};
	struct calendar *cal = *state;

	for (size_t s = 0; s < ARRAY_SIZE(seasons); s++) {
		time_t end = at(seasons[s][1]);

		for (time_t t = at(seasons[s][0]); t < end; t += 7 * 3600 + 17 * 60) {
			for (size_t i = 0; i < ARRAY_SIZE(amounts); i++) {
				time_t r = calendar_add_working_seconds(cal, t, amounts[i]);

				assert_int_equal(calendar_working_seconds(cal, t, r), amounts[i]);
				/* Earliest: the last second before r was a working one. */
				assert_int_equal(calendar_working_seconds(cal, t, r - 1), amounts[i] - 1);
				assert_true(calendar_is_workday(cal, time_local_day(r - 1)));
			}
			/* And back: a working instant is reached again from t. */
			time_t b = t + 3 * 86400 + 4321;
			if (calendar_is_workday(cal, time_local_day(b)))
				assert_int_equal(calendar_add_working_seconds(
							 cal, t, calendar_working_seconds(cal, t, b)),
						 b);
		}
	}
}

/* A valid day 0 (National Day 2026, a Thursday) precedes the bad entry, so
 * a partial load would show as 2026-10-01 turning into a day off. */
#define DAY0 "{\"name\": \"国庆节\", \"date\": \"2026-10-01\", \"isOffDay\": true}"
#define DOC(days) "{\"year\": 2026, \"papers\": [\"https://www.gov.cn/x\"], \"days\": [" days "]}"

static void bad_year_files_are_rejected_naming_the_field(void **state)
{
	static const struct {
		const char *text;
		int status;
		const char *field;
		const char *message;	/* a substring */
	} cases[] = {
		{ DOC(DAY0 ", {\"name\": \"x\", \"isOffDay\": true}"),
		  422, "days[1].date", "days[1]: field \"date\" is required" },
		{ DOC(DAY0 ", {\"date\": \"2026-10-02\", \"isOffDay\": true}"),
		  422, "days[1].name", "days[1]: field \"name\" is required" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026-10-02\"}"),
		  422, "days[1].isOffDay", "days[1]: field \"isOffDay\" is required" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026-02-30\", \"isOffDay\": true}"),
		  422, "days[1].date", "invalid date \"2026-02-30\"" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026/10/02\", \"isOffDay\": true}"),
		  422, "days[1].date", "invalid date \"2026/10/02\"" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026-10-2\", \"isOffDay\": true}"),
		  422, "days[1].date", "expected a real date as YYYY-MM-DD" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026-10-02T00:00\", \"isOffDay\": true}"),
		  422, "days[1].date", "invalid date" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2029-10-02\", \"isOffDay\": true}"),
		  422, "days[1].date", "not within a year of 2026" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": 20261002, \"isOffDay\": true}"),
		  422, "days[1].date", "must be a string" },
		{ DOC(DAY0 ", {\"name\": \"x\", \"date\": \"2026-10-02\", \"isOffDay\": \"yes\"}"),
		  422, "days[1].isOffDay", "must be true or false" },
		{ DOC(DAY0 ", {\"name\": 5, \"date\": \"2026-10-02\", \"isOffDay\": true}"),
		  422, "days[1].name", "must be a string" },
		{ DOC(DAY0 ", \"2026-10-02\""), 422, "days[1]", "must be an object" },
		{ DOC(DAY0 ", " DAY0), 422, "days[1].date", "\"2026-10-01\" is listed twice (also days[0])" },
		{ "{\"year\": \"2026\", \"papers\": [], \"days\": [" DAY0 "]}",
		  422, "year", "must be an integer" },
		{ "{\"papers\": [], \"days\": [" DAY0 "]}", 422, "year", "\"year\" is required" },
		{ "{\"year\": 26, \"papers\": [], \"days\": [" DAY0 "]}", 422, "year", "out of range" },
		{ "{\"year\": 2026, \"days\": [" DAY0 "]}", 422, "papers", "\"papers\" is required" },
		{ "{\"year\": 2026, \"papers\": [1], \"days\": [" DAY0 "]}", 422, "papers[0]", "must be a string" },
		{ "{\"year\": 2026, \"papers\": []}", 422, "days", "\"days\" is required" },
		{ "{\"year\": 2026, \"papers\": [], \"days\": {}}", 422, "days", "must be an array" },
		{ "{\"year\": 2026, \"papers\": [], \"days\": [" DAY0, 400, "", "malformed JSON" },
		{ "[" DAY0 "]", 400, "", "must be a JSON object" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct calendar *cal = calendar_new();
		struct err e = ERR_INIT;
		int year = -1;

		load_fixture(cal, "holidays-2025.json", 2025);
		if (calendar_load_json(cal, cases[i].text, strlen(cases[i].text), &year, &e))
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (e.status != cases[i].status || strcmp(e.field, cases[i].field) != 0
		    || !strstr(e.message, cases[i].message))
			fail_msg("case %zu: got %d, field \"%s\", \"%s\"; want %d, \"%s\", \"%s\"",
				 i, e.status, e.field, e.message, cases[i].status,
				 cases[i].field, cases[i].message);
		/* Nothing changed: no day set, no year marked, no year reported. */
		assert_int_equal(year, -1);
		assert_false(calendar_year_known(cal, 2026));
		assert_true(calendar_is_workday(cal, day_of("2026-10-01")));
		assert_null(calendar_day_name(cal, day_of("2026-10-01")));
		assert_true(calendar_year_known(cal, 2025));
		assert_false(calendar_is_workday(cal, day_of("2025-10-01")));
		calendar_free(cal);
	}
}

static void loading_accepts_neighbouring_days_and_reloads(void **state)
{
	/* The official 2023 file lists 2022-12-31 (a Saturday, New Year). */
	static const char doc[] =
		"{\"year\": 2023, \"papers\": [], \"extra\": 1, \"days\": ["
		"{\"name\": \"元旦\", \"date\": \"2022-12-31\", \"isOffDay\": true},"
		"{\"name\": \"春节\", \"date\": \"2023-01-28\", \"isOffDay\": false},"
		"{\"name\": \"元旦\", \"date\": \"2023-01-02\", \"isOffDay\": true}]}";
	struct calendar *cal = calendar_new();
	struct err e = ERR_INIT;
	int year = 0;

	assert_true(calendar_load_json(cal, doc, strlen(doc), &year, &e));
	assert_int_equal(year, 2023);
	assert_true(calendar_year_known(cal, 2023));
	assert_false(calendar_year_known(cal, 2022));
	assert_string_equal(calendar_day_name(cal, day_of("2022-12-31")), "元旦");
	assert_false(calendar_is_workday(cal, day_of("2023-01-02")));	/* Monday */
	assert_true(calendar_is_workday(cal, day_of("2023-01-28")));	/* Saturday */
	/* Loading the same file again changes nothing. */
	assert_true(calendar_load_json(cal, doc, strlen(doc), NULL, &e));
	assert_false(calendar_is_workday(cal, day_of("2023-01-02")));
	assert_string_equal(calendar_day_name(cal, day_of("2023-01-28")), "春节");
	calendar_free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(only_loaded_years_are_known, setup, teardown),
		cmocka_unit_test_setup_teardown(classifies_holidays_make_up_days_and_weekends, setup, teardown),
		cmocka_unit_test_setup_teardown(counts_working_days_across_holidays, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_year_falls_back_to_weekends, setup, teardown),
		cmocka_unit_test_setup_teardown(set_day_overrides_and_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(working_seconds_skip_holidays, setup, teardown),
		cmocka_unit_test_setup_teardown(adds_working_seconds_skipping_days_off, setup, teardown),
		cmocka_unit_test_setup_teardown(working_seconds_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_year_files_are_rejected_naming_the_field, setup, teardown),
		cmocka_unit_test_setup_teardown(loading_accepts_neighbouring_days_and_reloads, setup, teardown),
	};

	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
