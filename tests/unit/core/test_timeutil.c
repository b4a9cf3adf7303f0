/* ISO 8601 times as they appear on the wire, in Asia/Shanghai. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/timeutil.h"

static int setup(void **state)
{
	return timeutil_set_zone("Asia/Shanghai") ? 0 : -1;
}

static void formats_with_offset(void **state)
{
	char out[TIMEUTIL_ISO_LEN];

	time_format_iso(0, out);
	assert_string_equal(out, "1970-01-01T08:00:00+08:00");
	time_format_iso(1795219200, out); /* 2026-11-21T00:00:00Z */
	assert_string_equal(out, "2026-11-21T08:00:00+08:00");
}

static void parses_every_accepted_form(void **state)
{
	struct err e = ERR_INIT;
	time_t t;

	assert_true(time_parse_iso("2026-11-21T08:00:00+08:00", &t, "from", &e));
	assert_int_equal(t, 1795219200);
	assert_true(time_parse_iso("2026-11-21T00:00:00Z", &t, "from", &e));
	assert_int_equal(t, 1795219200);
	assert_true(time_parse_iso("2026-11-21 08:00:00", &t, "from", &e));
	assert_int_equal(t, 1795219200);
	assert_true(time_parse_iso("2026-11-21T08:00", &t, "from", &e));
	assert_int_equal(t, 1795219200);
	assert_true(time_parse_iso("2026-11-21T08:00:00.123+0800", &t, "from", &e));
	assert_int_equal(t, 1795219200);
	assert_true(time_parse_iso("2026-11-21", &t, "from", &e));
	assert_int_equal(t, 1795219200 - 8 * 3600);
}

static void rejects_nonsense_naming_the_field(void **state)
{
	static const char *const bad[] = {
		"", "2026-13-01", "2026-02-29", "2026-11-21T24:00:00", "21/11/2026",
		"2026-11-21T08:00:00+8", "2026-11-21Tx", "2026-11-21T08:00:00 trailing",
	};
	struct err e = ERR_INIT;
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_false(time_parse_iso(bad[i], &t, "to", &e));
		assert_int_equal(e.status, 400);
		assert_string_equal(e.field, "to");
	}
}

static void civil_day_arithmetic_round_trips(void **state)
{
	int y, m, d;

	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(weekday_from_days(days_from_civil(2026, 11, 21)), 5); /* Saturday */
	for (long day = -1000; day < 30000; day += 37) {
		civil_from_days(day, &y, &m, &d);
		assert_int_equal(days_from_civil(y, m, d), day);
	}
	assert_int_equal(time_local_day(1795219200 - 8 * 3600), days_from_civil(2026, 11, 21));
	assert_int_equal(time_from_local(days_from_civil(2026, 11, 21), 23, 59, 59),
			 1795219200 - 8 * 3600 + 86399);
}

static void a_day_is_a_real_date_written_in_full(void **state)
{
	static const char *const bad[] = {
		"2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "2026-01-1", "2026/01/01",
		"20260101", "2026-01-01x", " 2026-01-01", "+026-01-01", "2026-01-0a", "", "1899-12-31",
	};
	long day;

	assert_true(time_parse_day("2024-02-29", &day));
	assert_int_equal(day, days_from_civil(2024, 2, 29));
	assert_true(time_parse_day("2026-12-31", &day));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (time_parse_day(bad[i], &day))
			fail_msg("\"%s\" was taken for a day", bad[i]);
	assert_false(time_parse_day(NULL, &day));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_with_offset),
		cmocka_unit_test(a_day_is_a_real_date_written_in_full),
		cmocka_unit_test(parses_every_accepted_form),
		cmocka_unit_test(rejects_nonsense_naming_the_field),
		cmocka_unit_test(civil_day_arithmetic_round_trips),
	};
	return cmocka_run_group_tests_name("timeutil", tests, setup, NULL);
}
