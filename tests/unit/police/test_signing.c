/*
 * The 110 bridge's request signing (docs/police.md §1): HMAC-SHA256 over
 * "<timestamp>.<body>", the ±300 s window, and what is refused and why.
 * The expected signatures were computed independently with Python's hmac
 * module, e.g.
 *   hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "police/police.h"

#define NOW 1763712000		/* 2025-11-21T16:00:00+08:00 */
#define SECRET "s3cret"
#define BODY "{\"incident_no\":\"JJ20251121-0001\"}"

static const struct {
	const char *what;
	const char *secret, *timestamp, *body;
	size_t len;
	const char *signature;
} vectors[] = {
	{ "the example of docs/police.md", "s3cret", "1700000000", "{\"a\":1}", 7,
	  "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940" },
	{ "a 警单 body", SECRET, "1763712000", BODY, sizeof(BODY) - 1,
	  "sha256=69ee2bf63c10e15d912de0bfe9120e64a66f92d734c3bc552c38c0ece67a7c42" },
	{ "empty secret and body", "", "0", "", 0,
	  "sha256=b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3" },
	{ "a secret longer than the HMAC block and a UTF-8 body",
	  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
	  "1763712000", "市民反映路灯不亮，地址：朝阳区", sizeof("市民反映路灯不亮，地址：朝阳区") - 1,
	  "sha256=a0a8c0746e09ae1449e40066cf781041e6430b3eeaf1e45109bd31eb99ba9f56" },
	{ "a body with a NUL byte, signed to its length", SECRET, "1763712000", "a\0b", 3,
	  "sha256=ee54340c03889264f5f2f3af10a2b909e7729b783d017620f5fe2c42c60142c4" },
	{ "a body that is only the separator", "key", "1", ".", 1,
	  "sha256=c9417176c8c37b10ffc3a2ea050bcd214bf7efe5f21e8671eda5c48cb79f8f06" },
};

#define NVECTORS (sizeof(vectors) / sizeof(vectors[0]))

static int setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void signatures_match_independently_computed_hmacs(void **state)
{
	for (size_t i = 0; i < NVECTORS; i++) {
		char sig[POLICE_SIGNATURE_LEN];

		memset(sig, 'x', sizeof(sig));
		police_sign(vectors[i].secret, vectors[i].timestamp, vectors[i].body, vectors[i].len, sig);
		if (strcmp(sig, vectors[i].signature))
			fail_msg("%s: got %.72s, want %s", vectors[i].what, sig, vectors[i].signature);
		assert_int_equal(strlen(sig), POLICE_SIGNATURE_LEN - 1);
	}
}

static void verify_accepts_the_vectors_in_either_case(void **state)
{
	for (size_t i = 0; i < NVECTORS; i++) {
		char upper[POLICE_SIGNATURE_LEN];
		struct err e = ERR_INIT;
		time_t now = (time_t)strtoll(vectors[i].timestamp, NULL, 10);

		if (!police_verify(vectors[i].secret, vectors[i].timestamp, vectors[i].signature,
				   vectors[i].body, vectors[i].len, now, &e))
			fail_msg("%s: refused: %s", vectors[i].what, e.message);
		/* "The receiver accepts the hex digits in either case." */
		memcpy(upper, vectors[i].signature, sizeof(upper));
		for (size_t k = 7; upper[k]; k++)
			if (upper[k] >= 'a' && upper[k] <= 'f')
				upper[k] = (char)(upper[k] - 'a' + 'A');
		if (!police_verify(vectors[i].secret, vectors[i].timestamp, upper, vectors[i].body,
				   vectors[i].len, now, &e))
			fail_msg("%s: upper-case hex refused: %s", vectors[i].what, e.message);
	}
}

/* Signs BODY at `ts` and verifies it at NOW. */
static bool verify_at(long long ts, struct err *e)
{
	char stamp[32], sig[POLICE_SIGNATURE_LEN];

	snprintf(stamp, sizeof(stamp), "%lld", ts);
	police_sign(SECRET, stamp, BODY, strlen(BODY), sig);
	return police_verify(SECRET, stamp, sig, BODY, strlen(BODY), NOW, e);
}

static void the_window_is_300_seconds_either_way_inclusive(void **state)
{
	static const struct {
		long long offset;
		bool ok;
	} cases[] = {
		{ 0, true }, { -1, true }, { 1, true },
		{ -POLICE_WINDOW_SECONDS, true }, { POLICE_WINDOW_SECONDS, true },
		{ -POLICE_WINDOW_SECONDS - 1, false }, { POLICE_WINDOW_SECONDS + 1, false },
		{ -86400, false }, { 86400, false }, { -NOW, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		bool ok = verify_at(NOW + cases[i].offset, &e);

		if (ok != cases[i].ok)
			fail_msg("offset %lld: %s (%s)", cases[i].offset, ok ? "accepted" : "refused",
				 e.message);
		if (!ok) {
			assert_int_equal(e.status, 401);
			assert_int_equal(e.code, ERR_STALE_TIMESTAMP);
		}
	}
}

static void a_stale_timestamp_says_how_far_off_the_clocks_are(void **state)
{
	struct err e = ERR_INIT;

	assert_false(verify_at(NOW - 301, &e));
	assert_non_null(strstr(e.message, "301 seconds"));
	assert_non_null(strstr(e.message, "at most 300"));
	err_clear(&e);
	assert_false(verify_at(NOW + 3600, &e));
	assert_non_null(strstr(e.message, "3600 seconds"));
}

static void malformed_timestamps_are_refused_before_the_signature(void **state)
{
	static const char *const stamps[] = {
		"abc", "-1763712000", "+1763712000", " 1763712000", "1763712000 ", "1763712000.5",
		"1.7637e9", "0x6920", "1763712000abc", "0001763712000",	/* 13 characters */
		"99999999999999999999",
	};

	for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		char sig[POLICE_SIGNATURE_LEN];
		struct err e = ERR_INIT;

		/* Even a signature that matches the odd timestamp is refused. */
		police_sign(SECRET, stamps[i], BODY, strlen(BODY), sig);
		if (police_verify(SECRET, stamps[i], sig, BODY, strlen(BODY), NOW, &e))
			fail_msg("timestamp \"%s\" accepted", stamps[i]);
		assert_int_equal(e.status, 401);
		if (e.code != ERR_BAD_TIMESTAMP)
			fail_msg("timestamp \"%s\": code %s (%s)", stamps[i], err_code_slug(e.code), e.message);
	}
}

static void missing_headers_are_named(void **state)
{
	char stamp[] = "1763712000", sig[POLICE_SIGNATURE_LEN];
	static const struct {
		bool stamp, sig, empty;
		const char *header;
	} cases[] = {
		{ false, true, false, "X-Hotline-Timestamp" },
		{ false, true, true, "X-Hotline-Timestamp" },
		{ true, false, false, "X-Hotline-Signature" },
		{ true, false, true, "X-Hotline-Signature" },
		{ false, false, false, "X-Hotline-Timestamp" },
	};

	police_sign(SECRET, stamp, BODY, strlen(BODY), sig);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;
		const char *missing = cases[i].empty ? "" : NULL;

		assert_false(police_verify(SECRET, cases[i].stamp ? stamp : missing,
					   cases[i].sig ? sig : missing, BODY, strlen(BODY), NOW, &e));
		assert_int_equal(e.status, 401);
		assert_int_equal(e.code, ERR_UNSIGNED);
		if (!strstr(e.message, cases[i].header))
			fail_msg("case %zu: \"%s\" does not name %s", i, e.message, cases[i].header);
	}
}

static void malformed_signatures_are_refused(void **state)
{
	char good[POLICE_SIGNATURE_LEN];
	char shorter[POLICE_SIGNATURE_LEN], longer[POLICE_SIGNATURE_LEN + 1], bare[POLICE_SIGNATURE_LEN];
	char sha1[POLICE_SIGNATURE_LEN + 1];

	police_sign(SECRET, "1763712000", BODY, strlen(BODY), good);
	snprintf(shorter, sizeof(shorter), "%.70s", good);
	snprintf(longer, sizeof(longer), "%s0", good);
	snprintf(bare, sizeof(bare), "%s", good + 7);
	snprintf(sha1, sizeof(sha1), "sha1=%s", good + 7);

	const char *const bad[] = { shorter, longer, bare, sha1 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = ERR_INIT;

		if (police_verify(SECRET, "1763712000", bad[i], BODY, strlen(BODY), NOW, &e))
			fail_msg("signature \"%s\" accepted", bad[i]);
		assert_int_equal(e.status, 401);
		assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	}
}

static void any_change_to_body_timestamp_or_secret_breaks_the_signature(void **state)
{
	char sig[POLICE_SIGNATURE_LEN];
	const char *tampered = "{\"incident_no\":\"JJ20251121-0002\"}";
	static const char with_space[] = BODY " ";
	struct err e = ERR_INIT;

	police_sign(SECRET, "1763712000", BODY, strlen(BODY), sig);
	assert_true(police_verify(SECRET, "1763712000", sig, BODY, strlen(BODY), NOW, &e));

	assert_false(police_verify(SECRET, "1763712000", sig, tampered, strlen(tampered), NOW, &e));
	assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	/* No trimming: one trailing blank is a different body. */
	assert_false(police_verify(SECRET, "1763712000", sig, with_space, sizeof(with_space) - 1, NOW, &e));
	assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	/* The body's length counts, not its first NUL. */
	assert_false(police_verify(SECRET, "1763712000", sig, BODY, strlen(BODY) - 1, NOW, &e));
	assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	/* The same bytes a second later: a fresh timestamp needs a fresh signature. */
	assert_false(police_verify(SECRET, "1763712001", sig, BODY, strlen(BODY), NOW, &e));
	assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	assert_false(police_verify("s3cret ", "1763712000", sig, BODY, strlen(BODY), NOW, &e));
	assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	assert_non_null(strstr(e.message, "shared secret"));

	/* One flipped hex digit anywhere, first and last included. */
	for (size_t k = 7; k < POLICE_SIGNATURE_LEN - 1; k++) {
		char flipped[POLICE_SIGNATURE_LEN];

		memcpy(flipped, sig, sizeof(flipped));
		flipped[k] = flipped[k] == '0' ? '1' : '0';
		if (police_verify(SECRET, "1763712000", flipped, BODY, strlen(BODY), NOW, &e))
			fail_msg("digit %zu flipped: accepted", k);
		assert_int_equal(e.code, ERR_BAD_SIGNATURE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signatures_match_independently_computed_hmacs),
		cmocka_unit_test(verify_accepts_the_vectors_in_either_case),
		cmocka_unit_test(the_window_is_300_seconds_either_way_inclusive),
		cmocka_unit_test(a_stale_timestamp_says_how_far_off_the_clocks_are),
		cmocka_unit_test(malformed_timestamps_are_refused_before_the_signature),
		cmocka_unit_test(missing_headers_are_named),
		cmocka_unit_test(malformed_signatures_are_refused),
		cmocka_unit_test(any_change_to_body_timestamp_or_secret_breaks_the_signature),
	};
	return cmocka_run_group_tests_name("police-signing", tests, setup, NULL);
}
