/* The string buffer every module builds output with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"

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

/* A fresh directory for the file tests; the caller removes it. */
static char *temp_dir(void)
{
	char *dir = xstrdup("/tmp/hotline-test-buf-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *write_temp(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void a_missing_file_is_named_and_leaves_the_buffer(void **state)
{
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	buf_adds(&b, "kept");
	assert_false(buf_read_file(&b, "/nonexistent/rules.json", &e));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(e.status, 500);
	assert_int_equal(e.code, ERR_IO);
	assert_string_equal(e.text, "/nonexistent/rules.json");
	assert_string_equal(e.message,
			    "cannot read \"/nonexistent/rules.json\": No such file or directory");
	assert_string_equal(b.data, "kept");
	assert_int_equal(b.len, 4);
	buf_release(&b);
}

static void a_directory_is_a_read_error(void **state)
{
	char *dir = temp_dir();
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	buf_adds(&b, "kept");
	assert_false(buf_read_file(&b, dir, &e));
	assert_int_equal(errno, EISDIR);
	assert_int_equal(e.status, 500);
	assert_non_null(strstr(e.message, "Is a directory"));
	assert_string_equal(b.data, "kept");
	assert_int_equal(b.len, 4);
	buf_release(&b);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void empty_and_nul_holding_files_are_read_whole(void **state)
{
	char *dir = temp_dir();
	char *empty = write_temp(dir, "empty", "", 0);
	char *nul = write_temp(dir, "nul", "a\0b\n", 4);
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	assert_true(buf_read_file(&b, empty, &e));
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_true(buf_read_file(&b, nul, &e));
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "a\0b\n", 5);	/* and the terminator */
	/* A second read appends. */
	assert_true(buf_read_file(&b, nul, &e));
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data + 4, "a\0b\n", 5);
	assert_false(err_isset(&e));
	buf_release(&b);
	assert_int_equal(unlink(empty), 0);
	assert_int_equal(unlink(nul), 0);
	assert_int_equal(rmdir(dir), 0);
	free(empty);
	free(nul);
	free(dir);
}

static void a_big_file_is_read_whole(void **state)
{
	size_t n = (3u << 20) + 12345;	/* past any one read's chunk */
	char *data = xmalloc(n);
	char *dir = temp_dir();
	char *path;
	struct buf b = BUF_INIT;
	struct err e = ERR_INIT;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 251);
	path = write_temp(dir, "big", data, n);
	assert_true(buf_read_file(&b, path, &e));
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	assert_int_equal(b.data[n], '\0');
	buf_release(&b);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	free(dir);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_buffer_is_a_valid_string),
		cmocka_unit_test(appends_grow_and_stay_terminated),
		cmocka_unit_test(long_formatted_appends_are_not_cut),
		cmocka_unit_test(detach_hands_over_ownership),
		cmocka_unit_test(json_strings_are_escaped),
		cmocka_unit_test(a_missing_file_is_named_and_leaves_the_buffer),
		cmocka_unit_test(a_directory_is_a_read_error),
		cmocka_unit_test(empty_and_nul_holding_files_are_read_whole),
		cmocka_unit_test(a_big_file_is_read_whole),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
