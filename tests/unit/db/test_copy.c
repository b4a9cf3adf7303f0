/*
 * The binary COPY encoder against PostgreSQL's format ("Binary Format" in
 * the COPY reference): each case is one writer call and the bytes the
 * server expects for it, written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db/copy.h"

/* Length word, then the value, all big-endian. */
#define LEN(n) "\0\0\0" n

static void expect(struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
	buf_reset(b);
}

#define EXPECT(b, lit) expect(b, lit, sizeof(lit) - 1)

static void the_stream_frame_is_the_servers(void **state)
{
	struct buf b = BUF_INIT;

	copy_header(&b);
	/* signature, flags (bit 16: OIDs, off), header extension length 0 */
	EXPECT(&b, "PGCOPY\n\xff\r\n\0" "\0\0\0\0" "\0\0\0\0");
	copy_row(&b, 3);
	EXPECT(&b, "\0\x03");
	copy_row(&b, 1599);
	EXPECT(&b, "\x06\x3f");
	copy_trailer(&b);
	EXPECT(&b, "\xff\xff");
	buf_release(&b);
}

static void null_and_text_fields(void **state)
{
	struct buf b = BUF_INIT;
	size_t at;

	copy_null(&b);
	EXPECT(&b, "\xff\xff\xff\xff");
	copy_text(&b, NULL);
	EXPECT(&b, "\xff\xff\xff\xff");
	copy_text(&b, "");
	EXPECT(&b, "\0\0\0\0");
	copy_text(&b, "工单");
	EXPECT(&b, LEN("\x06") "\xe5\xb7\xa5\xe5\x8d\x95");
	copy_textn(&b, "abc", 2);
	EXPECT(&b, LEN("\x02") "ab");
	at = copy_field_open(&b);
	buf_adds(&b, "x\ty");
	copy_field_close(&b, at);
	EXPECT(&b, LEN("\x03") "x\ty");
	buf_release(&b);
}

static void integer_fields(void **state)
{
	struct buf b = BUF_INIT;

	copy_int2(&b, 258);
	EXPECT(&b, LEN("\x02") "\x01\x02");
	copy_int2(&b, -2);
	EXPECT(&b, LEN("\x02") "\xff\xfe");
	copy_int4(&b, 112);
	EXPECT(&b, LEN("\x04") "\0\0\0\x70");
	copy_int4(&b, -1);
	EXPECT(&b, LEN("\x04") "\xff\xff\xff\xff");
	copy_int4(&b, INT32_MIN);
	EXPECT(&b, LEN("\x04") "\x80\0\0\0");
	copy_int8(&b, 0x0102030405060708LL);
	EXPECT(&b, LEN("\x08") "\x01\x02\x03\x04\x05\x06\x07\x08");
	copy_int8(&b, -3);
	EXPECT(&b, LEN("\x08") "\xff\xff\xff\xff\xff\xff\xff\xfd");
	buf_release(&b);
}

static void bool_and_float_fields(void **state)
{
	struct buf b = BUF_INIT;

	copy_bool(&b, true);
	EXPECT(&b, LEN("\x01") "\x01");
	copy_bool(&b, false);
	EXPECT(&b, LEN("\x01") "\0");
	copy_float8(&b, 1.5);	/* IEEE 754: 0x3ff8000000000000 */
	EXPECT(&b, LEN("\x08") "\x3f\xf8\0\0\0\0\0\0");
	copy_float8(&b, -2.0);
	EXPECT(&b, LEN("\x08") "\xc0\0\0\0\0\0\0\0");
	buf_release(&b);
}

static void times_and_dates_count_from_2000(void **state)
{
	struct buf b = BUF_INIT;

	/* 2000-01-01 00:00:00 UTC is 0 µs */
	copy_timestamptz(&b, 946684800);
	EXPECT(&b, LEN("\x08") "\0\0\0\0\0\0\0\0");
	/* one second later: 1 000 000 µs = 0x0f4240 */
	copy_timestamptz(&b, 946684801);
	EXPECT(&b, LEN("\x08") "\0\0\0\0\0\x0f\x42\x40");
	/* one second before: -1 000 000 µs */
	copy_timestamptz(&b, 946684799);
	EXPECT(&b, LEN("\x08") "\xff\xff\xff\xff\xff\xf0\xbd\xc0");
	/* 2026-11-21 01:30:00 UTC: 848 539 800 s = 0x0003_03be_115b_5600 µs */
	copy_timestamptz(&b, 1795224600);
	EXPECT(&b, LEN("\x08") "\0\x03\x03\xbe\x11\x5b\x56\0");
	/* no time at all */
	copy_timestamptz(&b, 0);
	EXPECT(&b, "\xff\xff\xff\xff");
	/* date: days since 2000-01-01 */
	copy_date(&b, 10957);
	EXPECT(&b, LEN("\x04") "\0\0\0\0");
	copy_date(&b, 10957 + 366);	/* 2001-01-01 */
	EXPECT(&b, LEN("\x04") "\0\0\x01\x6e");
	copy_date(&b, 0);		/* 1970-01-01 */
	EXPECT(&b, LEN("\x04") "\xff\xff\xd5\x33");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_stream_frame_is_the_servers),
		cmocka_unit_test(null_and_text_fields),
		cmocka_unit_test(integer_fields),
		cmocka_unit_test(bool_and_float_fields),
		cmocka_unit_test(times_and_dates_count_from_2000),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
