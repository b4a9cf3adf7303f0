/*
 * The reader's framing, detection and bookkeeping: the quirks of real
 * files (line ends, BOM, quotes, blank, cut and over-long lines), push and
 * pull modes, rejects with their line numbers, stable keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calls_test.h"

/* Asterisk 1.8 lines, 18 fields (uniqueid and userfield). */
#define AST_ANSWERED \
	"\"\",\"13800138000\",\"12345\",\"from-trunk\",\"\"\"张三\"\" <13800138000>\"," \
	"\"SIP/cmcc-trunk-00000a1b\",\"SIP/8001-00000a1c\",\"Queue\",\"hotline,t,,,300\"," \
	"\"2026-11-21 09:30:00\",\"2026-11-21 09:30:12\",\"2026-11-21 09:34:47\",287,275," \
	"\"ANSWERED\",\"DOCUMENTATION\",\"1795224600.1021\",\"\""
#define AST_MISSED \
	"\"\",\"13912345678\",\"12345\",\"from-trunk\",\"13912345678\"," \
	"\"SIP/cmcc-trunk-00000a1d\",\"\",\"Queue\",\"hotline,t,,,300\"," \
	"\"2026-11-21 09:31:05\",\"\",\"2026-11-21 09:31:40\",35,0," \
	"\"NO ANSWER\",\"DOCUMENTATION\",\"1795224665.1022\",\"\""
/* As AST_MISSED, the userfield split over two lines. */
#define AST_NOTE_PREFIX \
	"\"\",\"13700002222\",\"12345\",\"from-trunk\",\"13700002222\"," \
	"\"SIP/cmcc-trunk-00000a24\",\"\",\"Queue\",\"hotline,t,,,300\"," \
	"\"2026-11-21 09:45:00\",\"\",\"2026-11-21 09:45:30\",30,0," \
	"\"NO ANSWER\",\"DOCUMENTATION\",\"1795225500.1025\","
#define AST_NOTE AST_NOTE_PREFIX "\"回访:\n下午\""

static char *summary_of(const char *input)
{
	return read_summary(input, strlen(input), NULL, 0);
}

/* ---- framing, data-driven ---- */

static const struct framing_case {
	const char *name;
	const char *input;
	const char *outline;
} framing_cases[] = {
	{ "LF", AST_ANSWERED "\n" AST_MISSED "\n", "ok@1 ok@2 end" },
	{ "CRLF", AST_ANSWERED "\r\n" AST_MISSED "\r\n", "ok@1 ok@2 end" },
	{ "BOM", "\xef\xbb\xbf" AST_ANSWERED "\n", "ok@1 end" },
	{ "blank and blank-looking lines are skipped but counted",
	  "\n" AST_ANSWERED "\n\r\n  \t\n" AST_MISSED "\n\n", "ok@2 ok@5 end" },
	{ "newline inside quotes belongs to the field",
	  AST_NOTE "\n" AST_MISSED "\n", "ok@1 ok@3 end" },
	{ "CRLF inside quotes too", AST_NOTE_PREFIX "\"a\r\nb\"\r\n" AST_MISSED "\r\n",
	  "ok@1 ok@3 end" },
	{ "last line without line end is rejected", AST_ANSWERED "\n" AST_MISSED,
	  "ok@1 reject@2 end" },
	{ "cut inside a quoted field", AST_ANSWERED "\n\"\",\"1380013",
	  "ok@1 reject@2 end" },
	/* Cut after an embedded newline looks like a stray quote: the
	 * reader resumes after the first line, so the cut record costs two
	 * rejects, never a record. */
	{ "cut after an embedded newline", AST_ANSWERED "\n" AST_NOTE_PREFIX "\"回访:\n下",
	  "ok@1 reject@2 reject@3 end" },
	{ "stray quote: its line is rejected, the next ones read",
	  AST_ANSWERED "\n\"\",\"13500004444\",\"12345\",\"hotline\n" AST_MISSED "\n" AST_ANSWERED "\n",
	  "ok@1 reject@2 ok@3 ok@4 end" },
	{ "text after a closing quote", "\"a\"b" AST_ANSWERED "\n" AST_MISSED "\n",
	  "error" },
	{ "text after a closing quote, later line", AST_ANSWERED "\n\"a\"b" AST_MISSED "\n",
	  "ok@1 reject@2 end" },
	{ "empty input", "", "end" },
	{ "only a BOM", "\xef\xbb\xbf", "end" },
	{ "only blank lines", "\n\r\n \n", "end" },
	{ "a final blank without line end", AST_ANSWERED "\n  ", "ok@1 end" },
	{ "queue_log CRLF", "1795224595|1795224590.1020|hotline|NONE|ENTERQUEUE||13800138000|1\r\n"
	  "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105\r\n", "ok@1 ok@2 end" },
	{ "queue_log ignores quotes", "1795224595|1|q|NONE|ENTERQUEUE||\"张三\n"
	  "1795224700|1|q|NONE|ABANDON|1|1|105\n", "ok@1 ok@2 end" },
};

static void framing_quirks_give_the_right_records_and_rejects(void **state)
{
	for (size_t i = 0; i < sizeof(framing_cases) / sizeof(framing_cases[0]); i++) {
		const struct framing_case *c = &framing_cases[i];
		char *got = read_outline(c->input, strlen(c->input), NULL);
		if (strcmp(got, c->outline))
			fail_msg("case \"%s\": got \"%s\", want \"%s\"", c->name, got, c->outline);
		free(got);
	}
}

static void crlf_and_lf_files_give_identical_records(void **state)
{
	char *lf = summary_of(AST_ANSWERED "\n" AST_NOTE "\n" AST_MISSED "\n");
	char *crlf = summary_of("\xef\xbb\xbf" AST_ANSWERED "\r\n" AST_NOTE "\r\n" AST_MISSED "\r\n");

	assert_string_equal(lf, crlf);
	free(lf);
	free(crlf);
}

static void crlf_leaves_no_carriage_return_in_the_last_field(void **state)
{
	const char *in = "\"\",\"13800138000\",\"12345\",\"from-trunk\",\"\",\"SIP/a-1\",\"\","
			 "\"Queue\",\"hotline\",\"2026-11-21 09:30:00\",\"\",\"2026-11-21 09:30:10\","
			 "10,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1795224600.7\",\"note\"\r\n";
	struct cdr_reader *r = cdr_reader_new_memory(in, strlen(in), NULL);
	struct cdr_item it;
	struct err e = ERR_INIT;

	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_RECORD);
	assert_string_equal(it.call->userfield, "note");
	cdr_reader_free(r);
}

static void quoted_fields_are_unquoted_in_place(void **state)
{
	const char *in = AST_ANSWERED "\n" AST_NOTE "\n";
	struct cdr_reader *r = cdr_reader_new_memory(in, strlen(in), NULL);
	struct cdr_item it;
	struct err e = ERR_INIT;

	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_RECORD);
	assert_string_equal(it.call->lastdata, "hotline,t,,,300");	/* embedded commas */
	assert_string_equal(it.call->caller_name, "张三");		/* from "\"张三\" <…>" */
	assert_null(it.call->userfield);				/* "" is NULL */
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_RECORD);
	assert_string_equal(it.call->userfield, "回访:\n下午");	/* embedded newline */
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_END);
	cdr_reader_free(r);
}

/* ---- rejects ---- */

static void truncated_last_line_names_the_reason_and_line(void **state)
{
	char *got = summary_of(AST_ANSWERED "\n\n" AST_MISSED);

	assert_non_null(strstr(got, "reject 3 [] line 3: truncated record: the input ends without a line end\nend\n"));
	free(got);
}

static void accept_unterminated_parses_a_final_line_without_line_end(void **state)
{
	struct cdr_options opt = CDR_OPTIONS_INIT;
	const char *in = AST_ANSWERED "\r\n" AST_MISSED;
	char *got;

	opt.accept_unterminated = true;
	got = read_outline(in, strlen(in), &opt);
	assert_string_equal(got, "ok@1 ok@2 end");
	free(got);
	/* Still rejected when cut inside quotes. */
	in = AST_ANSWERED "\n\"\",\"1380013";
	got = read_outline(in, strlen(in), &opt);
	assert_string_equal(got, "ok@1 reject@2 end");
	free(got);
}

static char *long_record(size_t userfield_len)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, AST_ANSWERED "\n" AST_NOTE_PREFIX "\"");
	for (size_t i = 0; i < userfield_len; i++)
		buf_addch(&b, 'x');
	buf_adds(&b, "\"\n" AST_MISSED "\n");
	return buf_detach(&b, NULL);
}

static void over_long_record_is_rejected_and_reading_resumes(void **state)
{
	char *in = long_record(70000);
	char *got = summary_of(in);

	assert_non_null(strstr(got, "reject 2 [] line 2: record longer than 65536 bytes\n"));
	assert_non_null(strstr(got, "ok 3 1795224665.1022\nend\n"));
	free(got);
	/* The same when it arrives in small pieces. */
	got = read_summary(in, strlen(in), NULL, 1000);
	assert_non_null(strstr(got, "reject 2 [] line 2: record longer than 65536 bytes\n"));
	assert_non_null(strstr(got, "ok 3 1795224665.1022\nend\n"));
	free(got);
	free(in);
}

static void record_limit_is_configurable(void **state)
{
	struct cdr_options opt = CDR_OPTIONS_INIT;
	char *in = long_record(300);
	char *got;

	opt.max_record = 400;
	got = read_outline(in, strlen(in), &opt);
	assert_string_equal(got, "ok@1 reject@2 ok@3 end");
	free(got);
	opt.max_record = 0;	/* the default takes it */
	got = read_outline(in, strlen(in), &opt);
	assert_string_equal(got, "ok@1 ok@2 ok@3 end");
	free(got);
	free(in);
}

/* A source giving `left` bytes of 'x' (no line end), then `tail`. */
struct endless {
	size_t left;		/* bytes of 'x' still to give */
	const char *tail;	/* then this */
};

static long endless_read(void *ctx, char *dst, size_t n, struct err *e)
{
	struct endless *s = ctx;

	if (s->left) {
		size_t k = n < s->left ? n : s->left;
		memset(dst, 'x', k);
		s->left -= k;
		return (long)k;
	}
	size_t k = strlen(s->tail) < n ? strlen(s->tail) : n;
	memcpy(dst, s->tail, k);
	s->tail += k;
	return (long)k;
}

static void endless_line_is_skipped_and_reading_resumes(void **state)
{
	struct endless src_state = { 64u << 20, "\n" AST_MISSED "\n" };
	struct cdr_source src = { endless_read, &src_state };
	struct cdr_options opt = CDR_OPTIONS_INIT;
	struct cdr_reader *r;
	struct cdr_item it;
	struct err e = ERR_INIT;

	opt.format = CDR_ASTERISK_CSV;
	r = cdr_reader_new_source(&src, &opt);
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_REJECT);
	assert_int_equal(it.line, 1);
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_RECORD);
	assert_int_equal(it.line, 2);
	assert_string_equal(it.call->key, "1795224665.1022");
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_END);
	cdr_reader_free(r);
}

static void nul_byte_and_invalid_utf8_are_rejected_with_the_field(void **state)
{
	static const char in[] =
		AST_ANSWERED "\n"
		"\"\",\"13800138000\",\"12345\",\"from-trunk\",\"\"\"\xd5\xc5\xc8\xfd\"\" <13800138000>\","
		"\"SIP/a-1\",\"\",\"Queue\",\"q\",\"2026-11-21 09:30:00\",\"\",\"2026-11-21 09:30:10\","
		"10,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1795224600.8\",\"\"\n"
		"\"\",\"1380\0\",\"12345\"\n"
		AST_MISSED "\n";
	char *got = read_summary(in, sizeof(in) - 1, NULL, 0);

	assert_non_null(strstr(got, "reject 2 [clid] line 2: field \"clid\": invalid UTF-8"));
	assert_non_null(strstr(got, "reject 3 [] line 3: record contains a NUL byte\n"));
	assert_non_null(strstr(got, "ok 4 1795224665.1022\nend\n"));
	free(got);
}

static void only_well_formed_utf8_is_accepted(void **state)
{
	static const struct {
		const char *data1;
		bool ok;
	} cases[] = {
		{ "张三", true },
		{ "abcdefgh张三abcdefgh", true },		/* across the 8-byte steps */
		{ "\xf0\x9f\x93\x9e", true },			/* U+1F4DE, four bytes */
		{ "\xd5\xc5\xc8\xfd", false },		/* 张三 in GBK */
		{ "\xc0\xaf", false },			/* overlong '/' */
		{ "\xe0\x80\xaf", false },			/* overlong, three bytes */
		{ "\xed\xa0\x80", false },			/* a surrogate */
		{ "\xf4\x90\x80\x80", false },		/* above U+10FFFF */
		{ "abcdefg\xe5\xbc", false },			/* cut short */
		{ "\x80", false },				/* a lone continuation */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf in = BUF_INIT;
		buf_addf(&in, "1795224595|1795224590.1020|hotline|NONE|PAUSE|%s|x\n",
			 cases[i].data1);
		char *got = read_summary(in.data, in.len, NULL, 0);
		if (cases[i].ok ? strncmp(got, "ok 1 ", 5)
				: strcmp(got, "reject 1 [data1] line 1: field \"data1\": invalid UTF-8: "
					 "convert the file to UTF-8 first (e.g. from GBK)\nend\n"))
			fail_msg("case %zu: %s", i, got);
		free(got);
		buf_release(&in);
	}
}

/* ---- detection ---- */

static const struct detect_case {
	const char *first_line;
	enum cdr_format want;	/* CDR_AUTO: a fatal error */
} detect_cases[] = {
	{ "1795219200|NONE|NONE|NONE|QUEUESTART|", CDR_ASTERISK_QUEUE_LOG },
	{ "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105", CDR_ASTERISK_QUEUE_LOG },
	{ AST_ANSWERED, CDR_ASTERISK_CSV },
	{ "\"\",\"8001\",\"13800138000\",\"from-internal\",\"\",\"SIP/8001-1\",\"\",\"Dial\",\"\","
	  "\"2026-11-21 09:30:00\",\"\",\"2026-11-21 09:30:10\",10,0,\"NO ANSWER\",\"DOCUMENTATION\"",
	  CDR_ASTERISK_CSV },	/* 16 fields */
	{ "\"\",\"8001\",\"13800138000\",\"from-internal\",\"\",\"SIP/8001-1\",\"\",\"Dial\",\"\","
	  "\"2026-11-21 09:30:00\",\"\",\"2026-11-21 09:30:10\",10,0,\"NO ANSWER\",\"DOCUMENTATION\","
	  "\"1795224600.1\",\"\",\"\",\"1795224600.1\",7", CDR_ASTERISK_CSV },	/* 21 */
	{ "\"张三\",\"13800138000\",\"12345\",\"public\",\"2026-11-21 10:00:00\",\"\","
	  "\"2026-11-21 10:00:08\",\"8\",\"0\",\"ORIGINATOR_CANCEL\","
	  "\"0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b\",\"\",\"\",\"PCMA\",\"PCMA\"", CDR_FREESWITCH_CSV },
	{ "\"张三\",\"13800138000\",\"12345\",\"public\",\"2026-11-21 10:00:00\",\"\","
	  "\"2026-11-21 10:00:08\",\"8\",\"0\",\"ORIGINATOR_CANCEL\",\"not-a-uuid\",\"\",\"\","
	  "\"PCMA\",\"PCMA\"", CDR_AUTO },
	{ "hello, world", CDR_AUTO },
	{ "|1795224600|x|y|z", CDR_AUTO },
	{ "%PDF-1.7", CDR_AUTO },
};

static void detects_the_format_from_the_first_non_blank_line(void **state)
{
	for (size_t i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++) {
		const struct detect_case *c = &detect_cases[i];
		struct buf in = BUF_INIT;
		struct cdr_item it;
		struct err e = ERR_INIT;

		buf_addf(&in, "\xef\xbb\xbf\r\n  \r\n%s\r\n", c->first_line);
		struct cdr_reader *r = cdr_reader_new_memory(in.data, in.len, NULL);
		assert_int_equal(cdr_reader_format(r), CDR_AUTO);
		enum cdr_status st = cdr_reader_next(r, &it, &e);
		if (c->want == CDR_AUTO) {
			if (st != CDR_ERROR)
				fail_msg("case %zu: status %d, want CDR_ERROR", i, st);
			assert_int_equal(e.status, 400);
			assert_non_null(strstr(e.message, "cannot tell the call record format"));
			/* The error sticks. */
			assert_int_equal(cdr_reader_next(r, &it, &e), CDR_ERROR);
		} else {
			if (st != CDR_RECORD)
				fail_msg("case %zu: status %d (%s), want a record", i, st, e.message);
			assert_int_equal(it.line, 3);
			assert_int_equal(cdr_reader_format(r), c->want);
			assert_int_equal(it.format, c->want);
		}
		cdr_reader_free(r);
		buf_release(&in);
	}
}

static void a_header_line_is_rejected_and_the_rest_read(void **state)
{
	const char *in = "accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,"
			 "start,answer,end,duration,billsec,disposition,amaflags\n" AST_MISSED "\n";
	char *got = summary_of(in);

	assert_non_null(strstr(got, "reject 1 [start] line 1: field \"start\": invalid time \"start\"\n"));
	assert_non_null(strstr(got, "ok 2 "));
	free(got);
}

static void a_given_format_rejects_lines_of_another(void **state)
{
	struct cdr_options opt = CDR_OPTIONS_INIT;
	const char *in = AST_ANSWERED "\n";
	char *got;

	opt.format = CDR_FREESWITCH_CSV;
	got = read_summary(in, strlen(in), &opt, 0);
	assert_string_equal(got, "reject 1 [] line 1: expected 15 fields for freeswitch-csv, found 18\nend\n");
	free(got);
}

/* ---- push and pull ---- */

static void push_mode_in_any_piece_size_matches_pull_mode(void **state)
{
	static const char *const files[] = {
		"asterisk_master.csv", "asterisk_v13.csv", "asterisk_short.csv",
		"asterisk_stray_quote.csv", "queue_log", "freeswitch_master.csv",
	};
	static const size_t pieces[] = { 1, 2, 3, 7, 64, 1000 };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *data = fixture_load(files[i], &len);
		char *pulled = read_summary(data, len, NULL, 0);
		for (size_t j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
			char *pushed = read_summary(data, len, NULL, pieces[j]);
			if (strcmp(pulled, pushed))
				fail_msg("%s in pieces of %zu:\n%s\nwhole:\n%s", files[i], pieces[j],
					 pushed, pulled);
			free(pushed);
		}
		free(pulled);
		free(data);
	}
}

static void file_source_matches_memory_source(void **state)
{
	char path[512];
	size_t len;
	char *data = fixture_load("asterisk_master.csv", &len);
	char *from_memory = read_summary(data, len, NULL, 0);
	struct buf from_file = BUF_INIT;
	struct cdr_item it;
	struct err e = ERR_INIT;
	enum cdr_status st;

	snprintf(path, sizeof(path), "%s/asterisk_master.csv", CALLS_FIXTURES);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	struct cdr_reader *r = cdr_reader_new_file(f, NULL);
	while ((st = cdr_reader_next(r, &it, &e)) == CDR_RECORD || st == CDR_REJECT) {
		if (st == CDR_RECORD)
			buf_addf(&from_file, "ok %lu %s\n", it.line, it.call->key);
		else
			buf_addf(&from_file, "reject %lu [%s] %s\n", it.line, e.field, e.message);
	}
	assert_int_equal(st, CDR_END);
	buf_adds(&from_file, "end\n");
	assert_string_equal(from_file.data, from_memory);
	cdr_reader_free(r);
	fclose(f);
	buf_release(&from_file);
	free(from_memory);
	free(data);
}

static long failing_read(void *ctx, char *dst, size_t n, struct err *e)
{
	int *calls = ctx;

	if ((*calls)++ == 0) {
		size_t k = strlen(AST_ANSWERED "\n");
		assert_true(k <= n);
		memcpy(dst, AST_ANSWERED "\n", k);
		return (long)k;
	}
	err_set(e, 500, ERR_IO, "cannot read the call records: connection reset");
	return -1;
}

static void read_error_ends_reading_with_the_sources_reason(void **state)
{
	int calls = 0;
	struct cdr_source src = { failing_read, &calls };
	struct cdr_reader *r = cdr_reader_new_source(&src, NULL);
	struct cdr_item it;
	struct err e = ERR_INIT;

	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_RECORD);
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_ERROR);
	assert_int_equal(e.status, 500);
	assert_string_equal(e.message, "cannot read the call records: connection reset");
	assert_int_equal(cdr_reader_next(r, &it, &e), CDR_ERROR);
	cdr_reader_free(r);
}

static void counters_add_up(void **state)
{
	size_t len;
	char *data = fixture_load("asterisk_master.csv", &len);
	struct cdr_reader *r = cdr_reader_new_memory(data, len, NULL);
	struct cdr_item it;
	struct err e = ERR_INIT;
	enum cdr_status st;

	while ((st = cdr_reader_next(r, &it, &e)) == CDR_RECORD || st == CDR_REJECT)
		;
	assert_int_equal(st, CDR_END);
	assert_int_equal(cdr_reader_stats(r)->records, 7);
	assert_int_equal(cdr_reader_stats(r)->rejected, 5);
	assert_int_equal(cdr_reader_stats(r)->lines, 14);
	cdr_reader_free(r);
	free(data);
}

/* ---- keys ---- */

static char *first_key(const char *input)
{
	struct cdr_reader *r = cdr_reader_new_memory(input, strlen(input), NULL);
	struct cdr_item it;
	struct err e = ERR_INIT;
	char *key;

	if (cdr_reader_next(r, &it, &e) != CDR_RECORD)
		fail_msg("no record in \"%s\": %s", input, e.message);
	key = strdup(it.call ? it.call->key : it.event->key);
	cdr_reader_free(r);
	return key;
}

static bool is_hex32(const char *s)
{
	if (strlen(s) != 32)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

#define AST16_A \
	"\"\",\"13800138000\",\"12345\",\"from-trunk\",\"\"\"张三\"\" <13800138000>\"," \
	"\"SIP/cmcc-trunk-00000b01\",\"SIP/8001-00000b02\",\"Queue\",\"hotline,t,,,300\"," \
	"\"2026-11-20 08:00:00\",\"2026-11-20 08:00:10\",\"2026-11-20 08:03:10\","
#define AST16_Z ",\"ANSWERED\",\"DOCUMENTATION\""

static void keys_are_stable_and_tell_records_apart(void **state)
{
	static const struct {
		const char *a, *b;
		bool same;
	} cases[] = {
		/* Same record however written. */
		{ AST16_A "190,180" AST16_Z "\n", AST16_A "190,180" AST16_Z "\r\n", true },
		{ AST16_A "190,180" AST16_Z "\n", AST16_A "\"190\",\"180\"" AST16_Z "\n", true },
		{ AST16_A "190,180" AST16_Z "\n", "\xef\xbb\xbf" AST16_A "190,180" AST16_Z "\n", true },
		/* A second more is another call. */
		{ AST16_A "190,180" AST16_Z "\n", AST16_A "191,180" AST16_Z "\n", false },
		/* amaflags is billing bookkeeping, not part of the call. */
		{ AST16_A "190,180" AST16_Z "\n", AST16_A "190,180,\"ANSWERED\",\"BILLING\"\n", true },
		{ "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105\n",
		  "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105\r\n", true },
		{ "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105\n",
		  "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|106\n", false },
		{ "1795224700|1795224590.1020|hotline|NONE|ABANDON|1|1|105\n",
		  "1795224701|1795224590.1020|hotline|NONE|ABANDON|1|1|105\n", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *a = first_key(cases[i].a), *b = first_key(cases[i].b);
		assert_true(is_hex32(a));
		if (cases[i].same != !strcmp(a, b))
			fail_msg("case %zu: keys %s and %s", i, a, b);
		free(a);
		free(b);
	}
}

static void keys_use_the_call_id_and_sequence_when_present(void **state)
{
	char *k = first_key(AST_ANSWERED "\n");

	assert_string_equal(k, "1795224600.1021");
	free(k);
	k = first_key("\"\",\"8001\",\"13800138000\",\"from-internal\",\"\",\"SIP/8001-1\",\"\","
		      "\"Dial\",\"\",\"2026-11-21 09:30:00\",\"\",\"2026-11-21 09:30:10\",10,0,"
		      "\"NO ANSWER\",\"DOCUMENTATION\",\"1795224600.1\",\"\",\"\",\"1795224600.1\",7\n");
	assert_string_equal(k, "1795224600.1#7");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(framing_quirks_give_the_right_records_and_rejects),
		cmocka_unit_test(crlf_and_lf_files_give_identical_records),
		cmocka_unit_test(crlf_leaves_no_carriage_return_in_the_last_field),
		cmocka_unit_test(quoted_fields_are_unquoted_in_place),
		cmocka_unit_test(truncated_last_line_names_the_reason_and_line),
		cmocka_unit_test(accept_unterminated_parses_a_final_line_without_line_end),
		cmocka_unit_test(over_long_record_is_rejected_and_reading_resumes),
		cmocka_unit_test(record_limit_is_configurable),
		cmocka_unit_test(endless_line_is_skipped_and_reading_resumes),
		cmocka_unit_test(nul_byte_and_invalid_utf8_are_rejected_with_the_field),
		cmocka_unit_test(only_well_formed_utf8_is_accepted),
		cmocka_unit_test(detects_the_format_from_the_first_non_blank_line),
		cmocka_unit_test(a_header_line_is_rejected_and_the_rest_read),
		cmocka_unit_test(a_given_format_rejects_lines_of_another),
		cmocka_unit_test(push_mode_in_any_piece_size_matches_pull_mode),
		cmocka_unit_test(file_source_matches_memory_source),
		cmocka_unit_test(read_error_ends_reading_with_the_sources_reason),
		cmocka_unit_test(counters_add_up),
		cmocka_unit_test(keys_are_stable_and_tell_records_apart),
		cmocka_unit_test(keys_use_the_call_id_and_sequence_when_present),
	};

	return cmocka_run_group_tests_name("calls-reader", tests, calls_setup_zone, NULL);
}
