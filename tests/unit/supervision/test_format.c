/*
 * How the supervision reports write their figures (sv_private.h, stats.h):
 * rates as fractions rounded to 4 decimals and null when nothing was there
 * to count, times with the +08:00 offset, the report's "by" kinds, and the
 * callback sample (callback.share).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/timeutil.h"
#include "supervision/stats.h"
#include "supervision/sv_private.h"

static int setup(void **state)
{
	return timeutil_set_zone("Asia/Shanghai") ? 0 : -1;
}

/* The JSON text of `o` (NULL: "null"); frees `o`. */
static void assert_json(json_object *o, const char *want)
{
	const char *got = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";

	if (strcmp(got, want)) {
		char copy[128];

		snprintf(copy, sizeof(copy), "%s", got);
		json_object_put(o);
		fail_msg("got %s, want %s", copy, want);
	}
	json_object_put(o);
}

static void rates_are_fractions_with_at_most_four_decimals(void **state)
{
	static const struct {
		long long num, den;
		const char *json;
	} cases[] = {
		/* docs/metrics.md, "Rates": 107,515 accepted, 107,358 completed, 99.85% */
		{ 107358, 107515, "0.9985" },
		{ 2, 3, "0.6667" },
		{ 1, 3, "0.3333" },
		{ 1, 2, "0.5" },
		{ 1, 8, "0.125" },
		{ 1, 1, "1.0" },
		{ 0, 5, "0.0" },
		{ 1, 30000, "0.0" },		/* 0.0000333…: rounds to nothing */
		{ 1, 16, "0.0625" },
		{ 1, 32, "0.0313" },		/* 0.03125: half away from zero */
		{ 99999, 100000, "1.0" },	/* 0.99999 rounds up to a whole */
		{ 7, 5, "1.4" },		/* more replies than orders is possible */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_json(sv_number(sv_ratio(cases[i].num, cases[i].den), 4), cases[i].json);
}

static void a_rate_without_a_denominator_is_null_not_zero(void **state)
{
	/* 0 of 0 satisfied is "no ratings yet", not "0% satisfied". */
	assert_true(isnan(sv_ratio(0, 0)));
	assert_true(isnan(sv_ratio(5, 0)));
	assert_true(isnan(sv_ratio(5, -1)));
	assert_null(sv_number(sv_ratio(0, 0), 4));
	assert_null(sv_number(NAN, 4));
	assert_null(sv_number(INFINITY, 2));
	assert_null(sv_number(-INFINITY, 2));
	/* The average handling time of no handled orders is null too. */
	assert_null(sv_number(sv_ratio(0, 0) / 86400.0, 2));
}

static void numbers_keep_one_decimal_and_never_show_minus_zero(void **state)
{
	assert_json(sv_number(0, 4), "0.0");
	assert_json(sv_number(-0.0, 4), "0.0");
	assert_json(sv_number(-0.00001, 4), "0.0");
	assert_json(sv_number(-0.25, 4), "-0.25");
	assert_json(sv_number(2, 0), "2.0");
	assert_json(sv_number(2.5, 0), "3.0");
	assert_json(sv_number(1.5, 2), "1.5");
	assert_json(sv_number(3.14159, 2), "3.14");
	assert_json(sv_number(12.0, 2), "12.0");
	assert_json(sv_number(0.3, 6), "0.3");		/* weights */
	assert_json(sv_number(0.35, 6), "0.35");
	assert_json(sv_number(123456.78, 2), "123456.78");
	/* The value behind the text is the rounded one. */
	json_object *o = sv_number(0.99854, 4);
	assert_true(fabs(json_object_get_double(o) - 0.9985) < 1e-12);
	json_object_put(o);
}

/* sv_number() writes the digits itself; they are what printf would write
 * for the rounded value, trailing zeros dropped, for every size of number
 * (beyond 2^53 it falls back to printf). */
static void numbers_read_as_printf_would_write_them(void **state)
{
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 200000; i++) {
		char want[400], *end;
		int decimals = i % 7;
		double v;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
		v = (double)(x >> 11) / (double)(1ULL << 53) * pow(10, (int)(x % 24) - 6);
		if (x & 1)
			v = -v;
		snprintf(want, sizeof(want), "%.*f", decimals, sv_round(v, decimals));
		if (!strcmp(want, "-0") || strspn(want, "-0.") == strlen(want))
			strcpy(want, "0");		/* no minus zero */
		if (strchr(want, '.')) {
			end = want + strlen(want);
			while (end[-1] == '0')
				*--end = '\0';
			if (end[-1] == '.')
				strcpy(end, "0");
		} else {
			strcat(want, ".0");
		}
		assert_json(sv_number(v, decimals), want);
	}
}

static void rounding_is_half_away_from_zero(void **state)
{
	assert_true(sv_round(2.5, 0) == 3);
	assert_true(sv_round(-2.5, 0) == -3);
	assert_true(sv_round(0.125, 2) == 0.13);
	assert_true(sv_round(-0.125, 2) == -0.13);
	assert_true(sv_round(0.124, 2) == 0.12);
	assert_true(sv_round(7, 4) == 7);
}

static void times_carry_the_offset_and_zero_is_null(void **state)
{
	assert_json(sv_time(1763712000), "\"2025-11-21T16:00:00+08:00\"");
	assert_json(sv_time(1), "\"1970-01-01T08:00:01+08:00\"");
	assert_null(sv_time(0));
}

static void report_periods_take_dates_as_local_midnight(void **state)
{
	struct err e = ERR_INIT;
	time_t t = 12345;

	assert_true(sv_parse_time("2026-03-01", "from", true, &t, &e));
	assert_int_equal(t, 1772294400);	/* 2026-02-28T16:00:00Z */
	assert_true(sv_parse_time("2026-03-01T00:00:00Z", "from", true, &t, &e));
	assert_int_equal(t, 1772323200);
	assert_true(sv_parse_time("2026-03-01T08:00:00+08:00", "to", true, &t, &e));
	assert_int_equal(t, 1772323200);

	/* An optional bound left out is 0 ("open"). */
	t = 12345;
	assert_true(sv_parse_time(NULL, "to", false, &t, &e));
	assert_int_equal(t, 0);
	t = 12345;
	assert_true(sv_parse_time("", "to", false, &t, &e));
	assert_int_equal(t, 0);
}

static void bad_or_missing_periods_are_400_naming_the_parameter(void **state)
{
	static const struct {
		const char *value, *name;
		bool required;
	} cases[] = {
		{ NULL, "from", true },
		{ "", "to", true },
		{ "yesterday", "from", false },
		{ "2026-02-30", "to", true },
		{ "2026-03-01T25:00", "from", true },
		{ "2026/03/01", "from", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		time_t t;

		if (sv_parse_time(cases[i].value, cases[i].name, cases[i].required, &t, &e))
			fail_msg("\"%s\" accepted", cases[i].value ? cases[i].value : "(null)");
		assert_int_equal(e.status, 400);
		assert_string_equal(e.field, cases[i].name);
	}
}

static void report_kinds_parse_and_print_back(void **state)
{
	static const struct {
		const char *code;
		enum stat_kind kind;
	} kinds[] = {
		{ "department", STAT_BY_DEPARTMENT }, { "category", STAT_BY_CATEGORY },
		{ "district", STAT_BY_DISTRICT }, { "channel", STAT_BY_CHANNEL },
		{ "request_type", STAT_BY_REQUEST_TYPE },
	};
	static const char *const bad[] = { "Department", "departments", "", "street", "dept", "request-type" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_int_equal(stats_kind_parse(kinds[i].code), kinds[i].kind);
		assert_string_equal(stats_kind_code(kinds[i].kind), kinds[i].code);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(stats_kind_parse(bad[i]), -1);
	assert_int_equal(stats_kind_parse(NULL), -1);
}

static void code_name_pairs_are_null_without_a_code(void **state)
{
	assert_json(sv_code_name("110105", "朝阳区"), "{\"code\":\"110105\",\"name\":\"朝阳区\"}");
	assert_json(sv_code_name("110105", NULL), "{\"code\":\"110105\",\"name\":\"\"}");
	assert_null(sv_code_name(NULL, "朝阳区"));
	assert_null(sv_code_name("", "朝阳区"));
}

/* How many of ids [first, first + n) are sampled at `share`. */
static long count_sampled(long long first, long n, double share)
{
	long k = 0;

	for (long long id = first; id < first + n; id++)
		k += sv_sampled(id, share);
	return k;
}

static void the_callback_sample_takes_the_configured_share(void **state)
{
	static const double shares[] = { 0.05, 0.1, 0.3, 0.5, 0.8 };

	for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++) {
		long want = lround(shares[i] * 100000);
		long got = count_sampled(1, 100000, shares[i]);

		if (labs(got - want) > 20)
			fail_msg("share %.2f: %ld of 100000 sampled", shares[i], got);
		/* Spread evenly: any 100 consecutive orders (one morning's
		 * replies) hold their share, give or take 3. */
		for (long long first = 1; first < 20000; first += 100) {
			long c = count_sampled(first, 100, shares[i]);
			if (labs(c - lround(shares[i] * 100)) > 3)
				fail_msg("share %.2f: ids %lld..%lld: %ld sampled", shares[i], first,
					 first + 99, c);
		}
	}
}

static void the_sample_is_fixed_per_order_and_total_at_a_share_of_one(void **state)
{
	for (long long id = 1; id < 5000; id++) {
		/* Asking twice (a retried transaction) gives the same answer. */
		assert_true(sv_sampled(id, 0.3) == sv_sampled(id, 0.3));
		/* A larger share keeps every order a smaller one took. */
		if (sv_sampled(id, 0.3))
			assert_true(sv_sampled(id, 0.6));
		assert_true(sv_sampled(id, 1.0));
		assert_true(sv_sampled(id, 1.5));
		assert_false(sv_sampled(id, 0.0));
	}
	/* Large ids (bigserial) work the same. */
	assert_true(sv_sampled(9000000000000000000LL, 1.0));
	assert_true(labs(count_sampled(9000000000000000000LL, 10000, 0.5) - 5000) <= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rates_are_fractions_with_at_most_four_decimals),
		cmocka_unit_test(a_rate_without_a_denominator_is_null_not_zero),
		cmocka_unit_test(numbers_keep_one_decimal_and_never_show_minus_zero),
		cmocka_unit_test(numbers_read_as_printf_would_write_them),
		cmocka_unit_test(rounding_is_half_away_from_zero),
		cmocka_unit_test(times_carry_the_offset_and_zero_is_null),
		cmocka_unit_test(report_periods_take_dates_as_local_midnight),
		cmocka_unit_test(bad_or_missing_periods_are_400_naming_the_parameter),
		cmocka_unit_test(report_kinds_parse_and_print_back),
		cmocka_unit_test(code_name_pairs_are_null_without_a_code),
		cmocka_unit_test(the_callback_sample_takes_the_configured_share),
		cmocka_unit_test(the_sample_is_fixed_per_order_and_total_at_a_share_of_one),
	};
	return cmocka_run_group_tests_name("supervision-format", tests, setup, NULL);
}
