/* Whole numbers from client text: strict, range-checked before any cast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>

#include "core/num.h"

static void plain_numbers_in_range_are_read(void **state)
{
	long long v = 0;

	(void)state;
	assert_true(num_parse_ll("25", 1, 200, &v));
	assert_int_equal(v, 25);
	assert_true(num_parse_ll("-3", -5, 5, &v));
	assert_int_equal(v, -3);
	assert_true(num_parse_ll("9223372036854775807", 1, LLONG_MAX, &v));
	assert_true(v == LLONG_MAX);
}

static void a_value_past_int_is_refused_not_wrapped(void **state)
{
	long long v = 7;

	(void)state;
	/* 2^32 + 1 would be 1 after a cast to a 32-bit int. */
	assert_false(num_parse_ll("4294967297", 1, 200, &v));
	assert_false(num_parse_ll("99999999999999999999999", 1, LLONG_MAX, &v));
	assert_false(num_parse_ll("0", 1, 200, &v));
	assert_false(num_parse_ll("201", 1, 200, &v));
	assert_int_equal(v, 7);
}

static void anything_but_digits_is_refused(void **state)
{
	long long v = 7;
	static const char *const bad[] = { "", " 5", "5 ", "+5", "5x", "0x10", "-", "--1", "1e3", "5.0" };

	(void)state;
	assert_false(num_parse_ll(NULL, 1, 200, &v));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(num_parse_ll(bad[i], -200, 200, &v));
	assert_int_equal(v, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_numbers_in_range_are_read),
		cmocka_unit_test(a_value_past_int_is_refused_not_wrapped),
		cmocka_unit_test(anything_but_digits_is_refused),
	};
	return cmocka_run_group_tests_name("num", tests, NULL, NULL);
}
