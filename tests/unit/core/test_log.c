/* The log: one line per message, whatever the message carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"

/* What log_msg() wrote to stderr for "<prefix> %s <suffix>" with `arg`. */
static void logged(char *out, size_t size, const char *arg)
{
	int fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], STDERR_FILENO);
	log_msg(LOG_WARN, "value %s refused", arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
}

static void a_value_cannot_start_a_line_of_its_own(void **state)
{
	char out[512];

	(void)state;
	logged(out, sizeof(out), "1\n2026-01-01T00:00:00.000 error: forged");
	assert_non_null(strstr(out, "value 1\\x0A2026-01-01"));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);	/* the one line's end */
}

static void control_characters_are_escaped_and_text_is_kept(void **state)
{
	char out[512];

	(void)state;
	logged(out, sizeof(out), "\x1b[2J\x7f\t工单");
	assert_null(strchr(out, 0x1b));
	assert_null(strchr(out, 0x7f));
	assert_null(strchr(out, '\t'));
	assert_non_null(strstr(out, "value \\x1B[2J\\x7F\\x09工单"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_value_cannot_start_a_line_of_its_own),
		cmocka_unit_test(control_characters_are_escaped_and_text_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
