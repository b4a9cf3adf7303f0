/* JSON body parsing and field validation, as API clients meet them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonutil.h"

static void parses_an_object(void **state)
{
	struct err e = ERR_INIT;
	json_object *obj = NULL;
	const char *text = "{\"content\": \"路灯不亮\", \"n\": 3}";

	assert_true(json_parse_object(text, strlen(text), &obj, &e));
	assert_string_equal(json_str(obj, "content"), "路灯不亮");
	assert_int_equal(json_int(obj, "n", 0), 3);
	json_object_put(obj);
}

static void malformed_json_names_the_position(void **state)
{
	struct err e = ERR_INIT;
	json_object *obj = NULL;
	const char *text = "{\n  \"a\": 1,\n  \"b\": tru }";

	assert_false(json_parse_object(text, strlen(text), &obj, &e));
	assert_int_equal(e.status, 400);
	assert_non_null(strstr(e.message, "line 3"));
	assert_non_null(strstr(e.message, "column"));
	assert_null(obj);
}

static void truncated_and_trailing_data_are_rejected(void **state)
{
	struct err e = ERR_INIT;
	json_object *obj = NULL;

	assert_false(json_parse_object("{\"a\": ", 6, &obj, &e));
	assert_int_equal(e.status, 400);
	err_clear(&e);
	assert_false(json_parse_object("{} {}", 5, &obj, &e));
	assert_non_null(strstr(e.message, "after the document"));
	err_clear(&e);
	assert_false(json_parse_object("[1]", 3, &obj, &e));
	assert_non_null(strstr(e.message, "object"));
	err_clear(&e);
	assert_false(json_parse_object("", 0, &obj, &e));
	assert_int_equal(e.status, 400);
}

static void field_getters_check_presence_and_type(void **state)
{
	struct err e = ERR_INIT;
	json_object *obj = NULL;
	const char *text = "{\"s\": \"x\", \"i\": 7, \"b\": true, \"n\": null}";
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;

	assert_true(json_parse_object(text, strlen(text), &obj, &e));
	assert_true(json_get_string(obj, "s", true, &s, &e));
	assert_string_equal(s, "x");
	assert_true(json_get_int(obj, "i", true, &i, &e));
	assert_int_equal(i, 7);
	assert_true(json_get_bool(obj, "b", true, &b, &e));
	assert_true(b);
	assert_true(json_get_string(obj, "absent", false, &s, &e));
	assert_false(json_get_string(obj, "n", true, &s, &e));
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "n");
	err_clear(&e);
	assert_false(json_get_int(obj, "s", false, &i, &e));
	assert_string_equal(e.field, "s");
	assert_non_null(strstr(e.message, "integer"));
	json_object_put(obj);
}

static void members_are_added_as_null_or_as_text(void **state)
{
	json_object *o = json_object_new_object();
	struct buf b = BUF_INIT;

	json_add_string(o, "null", NULL);
	json_add_string(o, "s", "工单");
	json_add_text(o, "empty", NULL);
	json_add_text(o, "t", "a\"b");
	buf_adds(&b, "from a buffer");
	json_add_buf(o, "b", &b);
	assert_int_equal(b.len, 0);
	buf_adds(&b, "x");
	json_add_buf(o, "x", &b);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"null\":null,\"s\":\"工单\",\"empty\":\"\",\"t\":\"a\\\"b\","
			    "\"b\":\"from a buffer\",\"x\":\"x\"}");
	json_object_put(o);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_an_object),
		cmocka_unit_test(malformed_json_names_the_position),
		cmocka_unit_test(truncated_and_trailing_data_are_rejected),
		cmocka_unit_test(field_getters_check_presence_and_type),
		cmocka_unit_test(members_are_added_as_null_or_as_text),
	};
	return cmocka_run_group_tests_name("jsonutil", tests, NULL, NULL);
}
