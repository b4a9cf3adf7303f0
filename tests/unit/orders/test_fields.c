/* Phone numbers, text rules and the masks departments see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "orders/fields.h"

static const struct {
	const char *in, *out;
} good_phones[] = {
	{ "13812345678", "13812345678" },
	{ "138 1234 5678", "13812345678" },
	{ "138-1234-5678", "13812345678" },
	{ "+86 138 1234 5678", "13812345678" },
	{ "+8613812345678", "13812345678" },
	{ "008613812345678", "13812345678" },
	{ "8613812345678", "13812345678" },
	{ "010-12345678", "010-12345678" },
	{ "(010) 1234 5678", "010-12345678" },
	{ "01012345678", "010-12345678" },
	{ "+86 10 1234 5678", "010-12345678" },
	{ "0755 8888 1234", "0755-88881234" },
	{ "+86 755 8888 1234", "0755-88881234" },
	{ "020-8765432", "020-8765432" },
	{ "12345", "12345" },
	{ "400-123-4567", "4001234567" },
};

static void valid_numbers_are_normalised(void **state)
{
	for (size_t i = 0; i < sizeof(good_phones) / sizeof(good_phones[0]); i++) {
		struct err e = ERR_INIT;
		char out[PHONE_MAX];

		assert_true(phone_normalise(good_phones[i].in, out, "caller_phone", &e));
		assert_string_equal(out, good_phones[i].out);
	}
}

static const struct {
	const char *in, *reason;
} bad_phones[] = {
	{ "1381234567", "neither" },		/* 10 digits */
	{ "138123456789", "neither" },		/* 12 digits */
	{ "12812345678", "second digit" },
	{ "12345678", "area code" },		/* landline without area code */
	{ "010-123456", "landline" },
	{ "138abc45678", "contains" },
	{ "", "no digits" },
	{ "--", "no digits" },
};

static void invalid_numbers_are_refused_with_a_reason(void **state)
{
	for (size_t i = 0; i < sizeof(bad_phones) / sizeof(bad_phones[0]); i++) {
		struct err e = ERR_INIT;
		char out[PHONE_MAX];

		assert_false(phone_normalise(bad_phones[i].in, out, "caller_phone", &e));
		assert_int_equal(e.status, 422);
		assert_string_equal(e.field, "caller_phone");
		if (!strstr(e.message, bad_phones[i].reason))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad_phones[i].in, e.message,
				 bad_phones[i].reason);
	}
}

static void masks_hide_all_but_a_hint(void **state)
{
	static const struct {
		const char *in, *phone, *name;
	} cases[] = {
		{ "13812345678", "138****5678", NULL },
		{ "010-12345678", "010-****5678", NULL },
		{ "12345", "****5", NULL },
		{ "", "", NULL },
		{ NULL, NULL, "张*" },
	};
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].in)
			continue;
		buf_reset(&b);
		phone_mask(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].phone);
	}
	buf_reset(&b);
	name_mask(&b, "张三");
	assert_string_equal(b.data, "张*");
	buf_reset(&b);
	name_mask(&b, "欧阳修远");
	assert_string_equal(b.data, "欧***");
	buf_reset(&b);
	name_mask(&b, "李");
	assert_string_equal(b.data, "李*");
	buf_reset(&b);
	name_mask(&b, "");
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void text_rules_count_characters_not_bytes(void **state)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;

	for (int i = 0; i < 4000; i++)
		buf_adds(&b, "路");
	assert_true(text_check(b.data, 4000, "content", &e));
	assert_int_equal(utf8_length(b.data), 4000);
	buf_adds(&b, "灯");
	assert_false(text_check(b.data, 4000, "content", &e));
	assert_non_null(strstr(e.message, "4001 characters"));
	assert_string_equal(e.field, "content");
	buf_release(&b);
}

static void invalid_utf8_and_control_characters_are_refused(void **state)
{
	static const char *const bad[] = {
		"abc\xff", "\xc3", "\xe8\xb7", "\xed\xa0\x80" /* surrogate */, "\xc0\xaf" /* overlong */,
		"a\x01b", "\xf5\x80\x80\x80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = ERR_INIT;
		assert_false(text_check(bad[i], 100, "content", &e));
		assert_int_equal(e.status, 422);
	}
	struct err e = ERR_INIT;
	assert_true(text_check("第一行\n第二行\t制表", 100, "content", &e));
	assert_true(text_check("😀 emoji", 100, "content", &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_numbers_are_normalised),
		cmocka_unit_test(invalid_numbers_are_refused_with_a_reason),
		cmocka_unit_test(masks_hide_all_but_a_hint),
		cmocka_unit_test(text_rules_count_characters_not_bytes),
		cmocka_unit_test(invalid_utf8_and_control_characters_are_refused),
	};
	return cmocka_run_group_tests_name("orders-fields", tests, NULL, NULL);
}
