/*
 * COPY output: what `COPY calls (…) FROM STDIN` receives. A wrong escape
 * shifts columns or ends the COPY early, so every escape is checked; a
 * wrong length in the binary format loses every column after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calls_test.h"
#include "db/copy.h"

static void text_is_escaped_for_copy(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ NULL, "\\N" },
		{ "", "" },
		{ "\\N", "\\\\N" },		/* the literal text, not a NULL */
		{ "12345", "12345" },
		{ "张三", "张三" },
		{ "a\tb", "a\\tb" },
		{ "回访:\n下午", "回访:\\n下午" },
		{ "a\r\nb", "a\\r\\nb" },
		{ "C:\\calls", "C:\\\\calls" },
		{ "\\.", "\\\\." },		/* never the end-of-data marker */
		{ "\b\f\v", "\\b\\f\\v" },
		{ "\x01x\x1fy\x7f", "\\001x\\037y\\177" },
		{ "\"quoted\", comma", "\"quoted\", comma" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;
		cdr_copy_add_text(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
		buf_release(&b);
	}
}

static size_t count_columns(const char *list)
{
	size_t n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

static size_t count_tabs(const char *line)
{
	size_t n = 0;

	for (; *line; line++)
		n += *line == '\t';
	return n;
}

/* Reads `fixture` and returns the COPY lines of all its records. */
static char *copy_lines(const char *fixture)
{
	size_t len;
	char *data = fixture_load(fixture, &len);
	struct cdr_reader *r = cdr_reader_new_memory(data, len, NULL);
	struct buf out = BUF_INIT;
	struct cdr_item it;
	struct err e = ERR_INIT;
	enum cdr_status st;

	while ((st = cdr_reader_next(r, &it, &e)) == CDR_RECORD || st == CDR_REJECT) {
		if (st != CDR_RECORD)
			continue;
		if (it.call)
			call_record_copy_line(it.call, &out);
		else
			queue_event_copy_line(it.event, &out);
	}
	assert_int_equal(st, CDR_END);
	cdr_reader_free(r);
	free(data);
	return buf_detach(&out, NULL);
}

static void call_copy_line_has_the_documented_columns(void **state)
{
	char *lines = copy_lines("asterisk_master.csv");
	const char *want =
		"1795225500.1025\tasterisk-csv\t1795225500.1025\t\\N\t\\N\t\\N\t\\N\t"
		"13700002222\t赵六\t12345\tfrom-trunk\tSIP/cmcc-trunk-00000a24\t"
		"SIP/8001-00000a25\tQueue\thotline,t,,,300\t8001\t"
		"2026-11-21T09:45:00+08:00\t2026-11-21T09:45:09+08:00\t2026-11-21T09:47:30+08:00\t"
		"150\t141\tANSWERED\t\\N\t回访要求:\\n下午三点后\n";
	const char *unanswered =
		"1795224665.1022\tasterisk-csv\t1795224665.1022\t\\N\t\\N\t\\N\t\\N\t"
		"13912345678\t李四\t12345\tfrom-trunk\tSIP/cmcc-trunk-00000a1d\t\\N\t"
		"Queue\thotline,t,,,300\t\\N\t2026-11-21T09:31:05+08:00\t\\N\t"
		"2026-11-21T09:31:40+08:00\t35\t0\tNO ANSWER\t\\N\t\\N\n";

	assert_non_null(strstr(lines, want));
	assert_non_null(strstr(lines, unanswered));
	/* One line per record, each with one value per column. */
	size_t n = 0;
	for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"), n++)
		assert_int_equal(count_tabs(line) + 1, count_columns(CALL_RECORD_COPY_COLUMNS));
	assert_int_equal(n, 7);
	free(lines);
}

static void freeswitch_copy_line_carries_cause_and_peer(void **state)
{
	char *lines = copy_lines("freeswitch_master.csv");
	const char *want =
		"0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b\tfreeswitch-csv\t"
		"0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b\t\\N\t7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\t"
		"\\N\t\\N\t13800138000\t张三\t12345\tpublic\t\\N\t\\N\t\\N\t\\N\t\\N\t"
		"2026-11-21T10:00:00+08:00\t2026-11-21T10:00:08+08:00\t2026-11-21T10:05:08+08:00\t"
		"308\t300\tANSWERED\tNORMAL_CLEARING\t\\N\n";

	assert_non_null(strstr(lines, want));
	for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"))
		assert_int_equal(count_tabs(line) + 1, count_columns(CALL_RECORD_COPY_COLUMNS));
	free(lines);
}

static void sequence_and_linkedid_reach_the_copy_line(void **state)
{
	char *lines = copy_lines("asterisk_v13.csv");

	assert_non_null(strstr(lines, "1795240800.49#113\tasterisk-csv\t1795240800.49\t"
				      "1795240800.49\t\\N\t113\t"));
	free(lines);
}

static void queue_event_copy_line_has_the_documented_columns(void **state)
{
	char *lines = copy_lines("queue_log");
	const char *connect_tail =
		"\t2026-11-21T09:30:12+08:00\t1795224590.1020\thotline\tSIP/8002\t8002\tCONNECT\t"
		"17|1795224612.1030|7\t\\N\t\\N\t\\N\t17\t\\N\t7\t\\N\t\\N\t1795224612.1030\n";
	const char *pause_tail =
		"\t2026-11-21T09:53:20+08:00\t\\N\thotline\t张三\t\\N\tPAUSE\t|午休\t"
		"\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n";

	assert_non_null(strstr(lines, connect_tail));
	assert_non_null(strstr(lines, pause_tail));
	size_t n = 0;
	for (char *line = strtok(lines, "\n"); line; line = strtok(NULL, "\n"), n++)
		assert_int_equal(count_tabs(line) + 1, count_columns(QUEUE_EVENT_COPY_COLUMNS));
	assert_int_equal(n, 17);
	free(lines);
}

/* The started_at column of a record starting at `t`. */
static char *started_at(time_t t)
{
	struct call_record c = { .format = CDR_ASTERISK_CSV, .key = "k", .sequence = -1,
				 .start = t, .end = t };
	struct buf line = BUF_INIT;

	call_record_copy_line(&c, &line);
	char *col = line.data;
	for (int i = 0; i < 16; i++)
		col = strchr(col, '\t') + 1;
	char *tab = strchr(col, '\t');
	char *out = strndup(col, (size_t)(tab - col));
	buf_release(&line);
	return out;
}

static void copy_times_match_time_format_iso_in_any_zone(void **state)
{
	static const char *const zones[] = {
		"Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe",
		"Asia/Kathmandu", "UTC",
	};
	/* 2026-01-01 to 2027-01-01 in irregular steps, through every DST change. */
	const time_t from = 1767225600, to = 1798761600;

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		assert_true(timeutil_set_zone(zones[z]));
		for (time_t t = from; t < to; t += 1237) {
			char want[TIMEUTIL_ISO_LEN];
			char *got = started_at(t);
			time_format_iso(t, want);
			if (strcmp(got, want))
				fail_msg("%s at %lld: %s, want %s", zones[z], (long long)t, got, want);
			free(got);
		}
	}
	assert_true(timeutil_set_zone("Asia/Shanghai"));
}

/* Reads a big-endian number of `bytes` bytes at *p and moves past it. */
static long long take_be(const unsigned char **p, int bytes)
{
	unsigned long long v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | *(*p)++;
	return bytes == 4 ? (long long)(int32_t)v : bytes == 2 ? (long long)(int16_t)v : (long long)v;
}

static void binary_copy_has_the_columns_of_the_text_line(void **state)
{
	/* 2026-11-21 09:30:00+08:00 and one minute later; not answered */
	struct call_record c = {
		.format = CDR_ASTERISK_CSV, .key = "k1", .call_id = "1795240800.49", .sequence = 112,
		.caller = "13800138000", .caller_name = "张三", .dialled = "12345",
		.start = 1795224600, .end = 1795224660, .duration = 60, .billsec = 0,
		.disposition = CALL_NO_ANSWER,
	};
	struct buf b = BUF_INIT;
	const unsigned char *p;

	(void)state;
	copy_header(&b);
	assert_int_equal(b.len, 19);
	assert_memory_equal(b.data, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
	buf_reset(&b);
	call_record_copy_binary(&c, &b);
	p = (const unsigned char *)b.data;
	for (int col = 0; col < CALL_RECORD_COPY_FIELDS; col++) {
		long long len = take_be(&p, 4);
		switch (col) {
		case 0: assert_int_equal(len, 2); assert_memory_equal(p, "k1", 2); break;
		case 1: assert_int_equal(len, 12); assert_memory_equal(p, "asterisk-csv", 12); break;
		case 3: case 4: case 6: case 15: case 17: case 22: case 23:	/* NULL */
			assert_int_equal(len, -1);
			break;
		case 5: assert_int_equal(len, 4); assert_int_equal(take_be(&p, 4), 112); len = 0; break;
		case 8: assert_int_equal(len, 6); assert_memory_equal(p, "张三", 6); break;
		case 16:	/* microseconds from 2000-01-01 UTC */
			assert_int_equal(len, 8);
			assert_int_equal(take_be(&p, 8), (1795224600LL - 946684800LL) * 1000000LL);
			len = 0;
			break;
		case 18:
			assert_int_equal(take_be(&p, 8), (1795224660LL - 946684800LL) * 1000000LL);
			len = 0;
			break;
		case 19: assert_int_equal(take_be(&p, 4), 60); len = 0; break;
		case 21: assert_int_equal(len, 9); assert_memory_equal(p, "NO ANSWER", 9); break;
		default: break;
		}
		if (len > 0)
			p += len;
	}
	assert_ptr_equal(p, (const unsigned char *)b.data + b.len);
	buf_reset(&b);
	copy_row(&b, 27);
	copy_bool(&b, true);
	copy_trailer(&b);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "\0\x1b\0\0\0\x01\x01\xff\xff", 9);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_is_escaped_for_copy),
		cmocka_unit_test(call_copy_line_has_the_documented_columns),
		cmocka_unit_test(freeswitch_copy_line_carries_cause_and_peer),
		cmocka_unit_test(sequence_and_linkedid_reach_the_copy_line),
		cmocka_unit_test(queue_event_copy_line_has_the_documented_columns),
		cmocka_unit_test(copy_times_match_time_format_iso_in_any_zone),
		cmocka_unit_test(binary_copy_has_the_columns_of_the_text_line),
	};

	return cmocka_run_group_tests_name("calls-copy", tests, calls_setup_zone, NULL);
}
