/*
 * The bridge's settings from the environment (police.h): the defaults of
 * docs/police.md §2.3, and the start-up refusals an operator sees when a variable
 * is wrong — each naming the variable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "police/police.h"

static const char *const variables[] = {
	"HOTLINE_POLICE_URL", "HOTLINE_POLICE_SECRET", "HOTLINE_POLICE_MAX_ATTEMPTS",
	"HOTLINE_POLICE_RETRY_MS", "HOTLINE_POLICE_RETRY_MAX_MS", "HOTLINE_POLICE_TIMEOUT_MS",
	"HOTLINE_POLICE_POLL_MS",
};

static int clean_environment(void **state)
{
	for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++)
		unsetenv(variables[i]);
	return 0;
}

static int shut_down(void **state)
{
	police_shutdown();
	return clean_environment(state);
}

static void without_variables_the_bridge_waits_with_the_documented_defaults(void **state)
{
	struct err e = ERR_INIT;
	const struct police_config *c;

	assert_true(police_init(&e));
	c = police_settings();
	assert_null(c->url);
	assert_null(c->secret);
	assert_int_equal(c->max_attempts, 10);
	assert_int_equal(c->retry_ms, 1000);
	assert_int_equal(c->retry_max_ms, 300000);
	assert_int_equal(c->timeout_ms, 10000);
	assert_int_equal(c->poll_ms, 1000);
}

static void the_variables_are_read(void **state)
{
	struct err e = ERR_INIT;
	const struct police_config *c;

	setenv("HOTLINE_POLICE_URL", "https://110.example.gov.cn/api/12345", 1);
	setenv("HOTLINE_POLICE_SECRET", "s3cret", 1);
	setenv("HOTLINE_POLICE_MAX_ATTEMPTS", "3", 1);
	setenv("HOTLINE_POLICE_RETRY_MS", "250", 1);
	setenv("HOTLINE_POLICE_RETRY_MAX_MS", "60000", 1);
	setenv("HOTLINE_POLICE_TIMEOUT_MS", "2000", 1);
	setenv("HOTLINE_POLICE_POLL_MS", "100", 1);
	assert_true(police_init(&e));
	c = police_settings();
	assert_string_equal(c->url, "https://110.example.gov.cn/api/12345");
	assert_string_equal(c->secret, "s3cret");
	assert_int_equal(c->max_attempts, 3);
	assert_int_equal(c->retry_ms, 250);
	assert_int_equal(c->retry_max_ms, 60000);
	assert_int_equal(c->timeout_ms, 2000);
	assert_int_equal(c->poll_ms, 100);
}

static void an_empty_variable_counts_as_unset(void **state)
{
	struct err e = ERR_INIT;

	setenv("HOTLINE_POLICE_URL", "", 1);
	setenv("HOTLINE_POLICE_MAX_ATTEMPTS", "", 1);
	assert_true(police_init(&e));
	assert_null(police_settings()->url);
	assert_int_equal(police_settings()->max_attempts, 10);
}

static void a_cap_below_the_base_is_raised_to_the_base(void **state)
{
	struct err e = ERR_INIT;

	setenv("HOTLINE_POLICE_RETRY_MS", "5000", 1);
	setenv("HOTLINE_POLICE_RETRY_MAX_MS", "2000", 1);
	assert_true(police_init(&e));
	assert_int_equal(police_settings()->retry_ms, 5000);
	assert_int_equal(police_settings()->retry_max_ms, 5000);
}

static void bad_numbers_are_refused_naming_the_variable(void **state)
{
	static const struct {
		const char *name, *value;
	} cases[] = {
		{ "HOTLINE_POLICE_MAX_ATTEMPTS", "0" },
		{ "HOTLINE_POLICE_MAX_ATTEMPTS", "1001" },
		{ "HOTLINE_POLICE_MAX_ATTEMPTS", "ten" },
		{ "HOTLINE_POLICE_MAX_ATTEMPTS", "10s" },
		{ "HOTLINE_POLICE_RETRY_MS", "-1" },
		{ "HOTLINE_POLICE_RETRY_MAX_MS", "86400001" },
		{ "HOTLINE_POLICE_TIMEOUT_MS", "99" },
		{ "HOTLINE_POLICE_POLL_MS", "9" },
		{ "HOTLINE_POLICE_POLL_MS", "99999999999999999999" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = ERR_INIT;

		clean_environment(state);
		setenv(cases[i].name, cases[i].value, 1);
		if (police_init(&e))
			fail_msg("%s=%s accepted", cases[i].name, cases[i].value);
		assert_int_equal(e.status, 400);
		assert_string_equal(e.field, cases[i].name);
		if (!strstr(e.message, cases[i].value))
			fail_msg("%s=%s: message \"%s\" does not quote the value", cases[i].name,
				 cases[i].value, e.message);
	}
}

static void an_endpoint_needs_http_and_a_secret(void **state)
{
	struct err e = ERR_INIT;

	setenv("HOTLINE_POLICE_URL", "ftp://110.example.gov.cn/", 1);
	setenv("HOTLINE_POLICE_SECRET", "s3cret", 1);
	assert_false(police_init(&e));
	assert_string_equal(e.field, "HOTLINE_POLICE_URL");
	assert_non_null(strstr(e.message, "ftp://110.example.gov.cn/"));

	/* Unsigned messages to 110 would all be refused: say so at start. */
	err_clear(&e);
	setenv("HOTLINE_POLICE_URL", "http://127.0.0.1:8110/", 1);
	unsetenv("HOTLINE_POLICE_SECRET");
	assert_false(police_init(&e));
	assert_int_equal(e.status, 400);
	assert_string_equal(e.field, "HOTLINE_POLICE_SECRET");

	/* A secret alone is fine: 110 may send to us before we send to it. */
	err_clear(&e);
	unsetenv("HOTLINE_POLICE_URL");
	setenv("HOTLINE_POLICE_SECRET", "s3cret", 1);
	assert_true(police_init(&e));
	assert_null(police_settings()->url);
	assert_string_equal(police_settings()->secret, "s3cret");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(without_variables_the_bridge_waits_with_the_documented_defaults,
						clean_environment, shut_down),
		cmocka_unit_test_setup_teardown(the_variables_are_read, clean_environment, shut_down),
		cmocka_unit_test_setup_teardown(an_empty_variable_counts_as_unset, clean_environment,
						shut_down),
		cmocka_unit_test_setup_teardown(a_cap_below_the_base_is_raised_to_the_base,
						clean_environment, shut_down),
		cmocka_unit_test_setup_teardown(bad_numbers_are_refused_naming_the_variable,
						clean_environment, shut_down),
		cmocka_unit_test_setup_teardown(an_endpoint_needs_http_and_a_secret, clean_environment,
						shut_down),
	};
	return cmocka_run_group_tests_name("police-config", tests, NULL, NULL);
}
