/*
 * The delay between delivery attempts to 110 (docs/police.md §2.3): doubling from
 * the base, capped, with "equal jitter" — between half and all of the
 * delay, so that many parked senders do not retry in step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <cmocka.h>

#include "police/police.h"

/* The defaults: HOTLINE_POLICE_RETRY_MS and HOTLINE_POLICE_RETRY_MAX_MS. */
#define BASE 1000
#define CAP 300000
/* The largest `random` the worker passes: uniform in [0, 1000000). */
#define RANDOM_MAX 999999u

/* Fails unless every delay for `attempts` lies in [d/2, d]. */
static void assert_within(int attempts, int base, int cap, long d)
{
	static const uint32_t randoms[] = { 0, 1, 250000, 500000, 750000, RANDOM_MAX,
					    1000000, 1234567, UINT32_MAX };

	for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
		long got = police_backoff_ms(attempts, base, cap, randoms[i]);

		if (got < d / 2 || got > d)
			fail_msg("attempts %d, base %d, cap %d, random %u: %ld not in [%ld, %ld]",
				 attempts, base, cap, randoms[i], got, d / 2, d);
	}
}

static void the_delay_doubles_from_one_second_up_to_five_minutes(void **state)
{
	static const long expected[] = {
		1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000,
		300000, 300000, 300000,
	};

	for (int a = 1; a <= (int)(sizeof(expected) / sizeof(expected[0])); a++) {
		long d = expected[a - 1];

		/* The lowest random gives half, the highest all but a rounding. */
		assert_int_equal(police_backoff_ms(a, BASE, CAP, 0), d / 2);
		long top = police_backoff_ms(a, BASE, CAP, RANDOM_MAX);
		if (top < d - 1 || top > d)
			fail_msg("attempt %d: top of the range %ld, want about %ld", a, top, d);
		assert_within(a, BASE, CAP, d);
	}
}

static void the_first_retry_waits_the_base_even_before_any_failure_is_counted(void **state)
{
	assert_int_equal(police_backoff_ms(0, BASE, CAP, 0), BASE / 2);
	assert_within(0, BASE, CAP, BASE);
	assert_within(-5, BASE, CAP, BASE);
}

static void the_jitter_spreads_over_the_upper_half_in_order(void **state)
{
	long prev = -1;

	/* The midpoint of the randoms lands in the middle of the upper half. */
	assert_int_equal(police_backoff_ms(3, BASE, CAP, 500000), 3000);
	/* A larger random never gives a shorter delay. */
	for (uint32_t r = 0; r <= RANDOM_MAX; r += 9973) {
		long got = police_backoff_ms(4, BASE, CAP, r);

		assert_true(got >= prev);
		prev = got;
	}
	/* Randoms beyond the documented range wrap rather than overshoot. */
	assert_int_equal(police_backoff_ms(4, BASE, CAP, 1000000), police_backoff_ms(4, BASE, CAP, 0));
}

static void many_attempts_stay_at_the_cap_without_overflow(void **state)
{
	assert_within(30, BASE, CAP, CAP);
	assert_within(64, BASE, CAP, CAP);
	assert_within(1000, BASE, CAP, CAP);
	assert_within(INT_MAX, BASE, CAP, CAP);
	/* The largest settings police_init() accepts. */
	assert_within(INT_MAX, 3600000, 86400000, 86400000);
	assert_within(1000, 1, 86400000, 86400000);
}

static void a_cap_below_the_base_wins(void **state)
{
	assert_within(1, 5000, 2000, 2000);
	assert_within(7, 5000, 2000, 2000);
	/* And a cap that is not a power-of-two multiple of the base is reached exactly. */
	assert_within(3, 1000, 3000, 3000);
	assert_int_equal(police_backoff_ms(3, 1000, 3000, 0), 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_delay_doubles_from_one_second_up_to_five_minutes),
		cmocka_unit_test(the_first_retry_waits_the_base_even_before_any_failure_is_counted),
		cmocka_unit_test(the_jitter_spreads_over_the_upper_half_in_order),
		cmocka_unit_test(many_attempts_stay_at_the_cap_without_overflow),
		cmocka_unit_test(a_cap_below_the_base_wins),
	};
	return cmocka_run_group_tests_name("police-backoff", tests, NULL, NULL);
}
