/*
 * calendar: the Chinese working-day calendar for deadlines (办理时限).
 *
 * A working day is Monday to Friday, minus the statutory holidays, plus the
 * make-up working days (调休) that the State Council announces each year
 * (e.g. Saturday 2026-02-14 was a working day, Monday 2026-02-16 was not).
 * The calendar holds the announced days as overrides of the weekday rule,
 * and the set of years whose announcement has been loaded. A year with no
 * notice is *provisional*: calendar_apply_statutory() gives it the holidays
 * the law fixes (calendar_statutory_days()), but its make-up and bridge days
 * are unknown until the notice comes; calendar_year_known() says which
 * years have one, and callers should say that a deadline across a
 * provisional year may still move.
 *
 * Days are `long` days since 1970-01-01 as in core/timeutil.h; instants are
 * time_t. Local dates are those of the process zone (timeutil_set_zone()).
 * A working day is the whole local day, 00:00:00 to 24:00:00.
 *
 * Queries never allocate; a day lookup is a binary search over the
 * overridden days (a few hundred). Any number of threads may query one
 * calendar at once, provided none modifies it meanwhile.
 */
#ifndef HOTLINE_CALENDAR_CALENDAR_H
#define HOTLINE_CALENDAR_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/err.h"

struct calendar;

/* Returns a new, empty calendar (every year unknown, weekends off), owned
 * by the caller, who frees it with calendar_free(). Aborts if out of memory
 * (as xmalloc() does); never returns NULL. */
struct calendar *calendar_new(void);

/* Frees the calendar and every name it holds. Accepts NULL. */
void calendar_free(struct calendar *cal);

/*
 * Overrides local day `day`: off_day true makes it a holiday, false a
 * make-up working day, whatever its weekday. `name` (e.g. "春节"; NULL or ""
 * for none) is copied. Setting a day again replaces its state and name.
 * Does not mark the day's year as known. Aborts if out of memory.
 */
void calendar_set_day(struct calendar *cal, long day, bool off_day, const char *name);

/* Records that `year` has official data, so calendar_year_known() returns
 * true for it. Marking a year twice is harmless. */
void calendar_mark_year(struct calendar *cal, int year);

/* Returns true if `year` has been marked (directly or by
 * calendar_load_json()); false means only weekends are known to be off. */
bool calendar_year_known(const struct calendar *cal, int year);

/* Returns true if local day `day` is a working day: an overridden day by
 * its override, any other day if it falls Monday to Friday. */
bool calendar_is_workday(const struct calendar *cal, long day);

/* Returns the name of an overridden day ("春节", "国庆节", …), which stays
 * owned by the calendar and valid until the day is set again or the
 * calendar is freed; NULL for an ordinary day or an unnamed override. */
const char *calendar_day_name(const struct calendar *cal, long day);

/*
 * Returns the deadline "N working days from `from`": 23:59:59 local time on
 * the Nth working day, counting from the day after from's local date (so
 * the day of receipt never counts, however early or late it arrived, and
 * holidays in between are skipped). n < 1 is treated as 1. Takes time in
 * proportion to the number of days spanned.
 */
time_t calendar_add_workdays(const struct calendar *cal, time_t from, int n);

/*
 * Returns the working seconds in [a, b): the length of the overlap of the
 * interval with working days, each counting its full local day. Returns 0
 * if b <= a. Takes time in proportion to the number of days spanned.
 */
long calendar_working_seconds(const struct calendar *cal, time_t a, time_t b);

/*
 * Returns the earliest instant r such that calendar_working_seconds(cal, t,
 * r) == secs: the moment `secs` working seconds after t, non-working days
 * skipped entirely. Used to push a deadline back by the working time a
 * clock was suspended. secs <= 0 returns t unchanged. The result lies at
 * most at the end (24:00) of a working day, never inside a non-working
 * one. Takes time in proportion to the number of days spanned.
 */
time_t calendar_add_working_seconds(const struct calendar *cal, time_t t, long secs);

/* ------------------------------------------------- the statutory holidays */

/* The years the law's rules are applied to: the 2024 revision is in force
 * from 2025; the table of lunar and solar-term dates ends in 2100. */
#define CALENDAR_LAW_FIRST_YEAR 2025
#define CALENDAR_LAW_LAST_YEAR 2100
/* At most this many statutory days in a year. */
#define CALENDAR_STATUTORY_MAX 13

/* Local days (as above) of the festivals of the Chinese calendar and of the
 * solar term 清明 that fall in one Gregorian year. */
struct calendar_festivals {
	long spring;		/* 春节, 正月初一 (New Year's Eve 除夕 is the day before) */
	long dragon_boat;	/* 端午节, 五月初五 */
	long mid_autumn;	/* 中秋节, 八月十五 */
	long qingming;		/* 清明, the sun at ecliptic longitude 15° (Beijing date) */
};

/* Fills *out for `year` and returns true; false (out untouched) outside the
 * table, 2020 to 2100. */
bool calendar_festivals(int year, struct calendar_festivals *out);

struct calendar_statutory_day {
	long day;
	const char *name;	/* static: "元旦", "春节", … */
};

/*
 * Fills `out` with the statutory holidays of `year` by the 2024 rules, sorted
 * by day, and returns how many: 元旦 Jan 1; 春节 除夕 to 正月初三 (4 days);
 * 清明节 1 day on the solar term; 劳动节 May 1-2; 端午节 1 day; 中秋节 1 day;
 * 国庆节 Oct 1-3. Outside 2020-2100 only the fixed-date ones (6 days).
 */
size_t calendar_statutory_days(int year, struct calendar_statutory_day out[CALENDAR_STATUTORY_MAX]);

/*
 * Makes the statutory holidays of `year` off days, except days already
 * overridden (a neighbouring year's notice may list one). Does not mark the
 * year as known: it stays provisional. Aborts if out of memory.
 */
void calendar_apply_statutory(struct calendar *cal, int year);

/*
 * One year's official notice (国务院办公厅关于…部分节假日安排的通知), as
 * read from its file: the listed days, sorted by day, each an off day
 * (a holiday) or a make-up working day, and the first of its "papers" (the
 * notice's address, "" if none). Owned by the caller, who releases it with
 * calendar_notice_release().
 */
struct calendar_notice {
	int year;
	char *source;
	struct calendar_notice_day {
		long day;		/* local day, as above */
		bool off_day;
		char *name;		/* "春节"; "" for none */
	} *days;
	size_t n;
};

/*
 * Reads one year file in the official format (see calendar_load_json())
 * into *out, validating it as calendar_load_json() does. Returns true with
 * *out filled; false with `e` as calendar_load_json() and *out empty (it
 * need not be released then). The notice does not keep `text`.
 */
bool calendar_notice_parse(const char *text, size_t len, struct calendar_notice *out,
			   struct err *e);
/* Frees what *notice holds and empties it; an empty notice is fine. */
void calendar_notice_release(struct calendar_notice *notice);
/* Sets every day of `notice` on `cal` and marks its year. Aborts if out of memory. */
void calendar_apply_notice(struct calendar *cal, const struct calendar_notice *notice);

/*
 * Loads one year file in the official format ({"year": 2026, "papers":
 * ["https://www.gov.cn/…"], "days": [{"name": "春节", "date": "2026-02-14",
 * "isOffDay": false}, …]}; other members are ignored): sets every listed
 * day and marks the year. A day's date must be a valid "YYYY-MM-DD" within
 * a year of `year` (the 2023 file lists 2022-12-31) and listed once.
 *
 * Returns true and stores the year in *year_out (if not NULL) on success.
 * On failure changes nothing and returns false with `e` filled: status 400
 * if `text` is not a JSON object, else 422 with e->field naming the member
 * at fault, e.g. "year", "papers[0]", "days[3]" or "days[3].date", and a
 * message naming it too. The calendar does not keep `text`.
 */
bool calendar_load_json(struct calendar *cal, const char *text, size_t len,
			int *year_out, struct err *e);

#endif
