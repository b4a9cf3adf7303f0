/* The string buffer every module builds output with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"

static void empty_buffer_is_a_valid_string(void **state)
{
	struct buf b = BUF_INIT;

	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_release(&b);
	assert_string_equal(b.data, "");
}

static void appends_grow_and_stay_terminated(void **state)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_memory_equal(b.data, "0,1,2,", 6);
	assert_string_equal(b.data + b.len - 4, "999,");
	buf_truncate(&b, 3);
	assert_string_equal(b.data, "0,1");
	buf_reset(&b);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void long_formatted_appends_are_not_cut(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_adds(&b, "a");
	buf_addf(&b, "%s|%s", big, "end");
	assert_int_equal(b.len, 1 + 4999 + 4);
	assert_string_equal(b.data + b.len - 4, "|end");
	buf_release(&b);
}

static void detach_hands_over_ownership(void **state)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *s;

	s = buf_detach(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	buf_adds(&b, "工单");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "工单");
	assert_int_equal(len, 6);
	assert_int_equal(b.len, 0);
	free(s);
}

static void json_strings_are_escaped(void **state)
{
	struct buf b = BUF_INIT;

	buf_add_json_string(&b, "a\"b\\c\n\x01张");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001张\"");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_buffer_is_a_valid_string),
		cmocka_unit_test(appends_grow_and_stay_terminated),
		cmocka_unit_test(long_formatted_appends_are_not_cut),
		cmocka_unit_test(detach_hands_over_ownership),
		cmocka_unit_test(json_strings_are_escaped),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
