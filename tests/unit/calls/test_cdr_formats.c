/*
 * The three formats, read from the fixtures: the normalised fields of
 * specific records, the rejects with their lines and reasons, and the
 * interpretation of queue events, agents, caller names and causes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calls_test.h"

/* Everything a fixture gives, by line. */
struct outcome {
	enum cdr_status status;
	unsigned long line;
	char *key;
	struct call_record call;	/* strings owned (copied) */
	struct queue_event event;	/* data and strings owned */
	char field[64];
	char message[512];
};

struct outcomes {
	struct outcome *v;
	size_t n, cap;
	struct cdr_stats stats;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void copy_call(struct call_record *dst, const struct call_record *c)
{
	*dst = *c;
	dst->key = dup_or_null(c->key);
	dst->call_id = dup_or_null(c->call_id);
	dst->linkedid = dup_or_null(c->linkedid);
	dst->peer_call_id = dup_or_null(c->peer_call_id);
	dst->accountcode = dup_or_null(c->accountcode);
	dst->caller = dup_or_null(c->caller);
	dst->caller_name = dup_or_null(c->caller_name);
	dst->dialled = dup_or_null(c->dialled);
	dst->context = dup_or_null(c->context);
	dst->channel = dup_or_null(c->channel);
	dst->dstchannel = dup_or_null(c->dstchannel);
	dst->lastapp = dup_or_null(c->lastapp);
	dst->lastdata = dup_or_null(c->lastdata);
	dst->agent = dup_or_null(c->agent);
	dst->hangup_cause = dup_or_null(c->hangup_cause);
	dst->userfield = dup_or_null(c->userfield);
}

static void free_call(struct call_record *c)
{
	const char *s[] = { c->key, c->call_id, c->linkedid, c->peer_call_id, c->accountcode,
			    c->caller, c->caller_name, c->dialled, c->context, c->channel,
			    c->dstchannel, c->lastapp, c->lastdata, c->agent, c->hangup_cause,
			    c->userfield };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free((char *)s[i]);
}

static void copy_event(struct queue_event *dst, const struct queue_event *ev)
{
	*dst = *ev;
	dst->key = dup_or_null(ev->key);
	dst->call_id = dup_or_null(ev->call_id);
	dst->queue = dup_or_null(ev->queue);
	dst->member = dup_or_null(ev->member);
	dst->agent = dup_or_null(ev->agent);
	dst->event = dup_or_null(ev->event);
	dst->caller = dup_or_null(ev->caller);
	dst->member_call_id = dup_or_null(ev->member_call_id);
	dst->exit_key = dup_or_null(ev->exit_key);
	dst->transfer_to = dup_or_null(ev->transfer_to);
	for (size_t i = 0; i < ev->ndata; i++)
		dst->data[i] = strdup(ev->data[i]);
}

static void free_event(struct queue_event *ev)
{
	const char *s[] = { ev->key, ev->call_id, ev->queue, ev->member, ev->agent, ev->event,
			    ev->caller, ev->member_call_id, ev->exit_key, ev->transfer_to };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free((char *)s[i]);
	for (size_t i = 0; i < ev->ndata; i++)
		free((char *)ev->data[i]);
}

static void read_all(const char *data, size_t len, const struct cdr_options *opt,
		     struct outcomes *out)
{
	struct cdr_reader *r = cdr_reader_new_memory(data, len, opt);
	enum cdr_status st;

	memset(out, 0, sizeof(*out));
	for (;;) {
		struct cdr_item it;
		struct err e = ERR_INIT;
		st = cdr_reader_next(r, &it, &e);
		if (st != CDR_RECORD && st != CDR_REJECT)
			break;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 16;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
		}
		struct outcome *o = &out->v[out->n++];
		memset(o, 0, sizeof(*o));
		o->status = st;
		o->line = it.line;
		if (it.call)
			copy_call(&o->call, it.call);
		if (it.event)
			copy_event(&o->event, it.event);
		snprintf(o->field, sizeof(o->field), "%s", e.field);
		snprintf(o->message, sizeof(o->message), "%s", e.message);
	}
	assert_int_equal(st, CDR_END);
	out->stats = *cdr_reader_stats(r);
	cdr_reader_free(r);
}

static void read_fixture(const char *name, struct outcomes *out)
{
	size_t len;
	char *data = fixture_load(name, &len);

	read_all(data, len, NULL, out);
	free(data);
}

static void outcomes_release(struct outcomes *out)
{
	for (size_t i = 0; i < out->n; i++) {
		free_call(&out->v[i].call);
		free_event(&out->v[i].event);
	}
	free(out->v);
}

static const struct outcome *at_line(const struct outcomes *out, unsigned long line)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].line == line)
			return &out->v[i];
	fail_msg("nothing at line %lu", line);
	return NULL;
}

static time_t local(const char *s)
{
	time_t t;
	struct err e = ERR_INIT;

	if (!s)
		return 0;
	assert_true(time_parse_iso(s, &t, "t", &e));
	return t;
}

#define assert_str_or_null(got, want) do { \
		const char *g_ = (got), *w_ = (want); \
		if (w_ == NULL) \
			assert_null(g_); \
		else if (g_ == NULL) \
			fail_msg("%s is NULL, want \"%s\"", #got, w_); \
		else \
			assert_string_equal(g_, w_); \
	} while (0)

/* One expected call record; times as local "YYYY-MM-DD HH:MM:SS". */
struct want_call {
	unsigned long line;
	const char *key, *call_id, *linkedid, *peer_call_id;
	long sequence;
	const char *accountcode, *caller, *caller_name, *dialled, *context;
	const char *channel, *dstchannel, *lastapp, *lastdata, *agent;
	const char *start, *answer, *end;
	int duration, billsec;
	enum call_disposition disposition;
	const char *hangup_cause, *userfield;
};

static void expect_call(const struct outcomes *out, const struct want_call *w)
{
	const struct outcome *o = at_line(out, w->line);

	if (o->status != CDR_RECORD)
		fail_msg("line %lu rejected: %s", w->line, o->message);
	const struct call_record *c = &o->call;
	if (w->key)
		assert_string_equal(c->key, w->key);
	assert_int_equal(c->line, w->line);
	assert_str_or_null(c->call_id, w->call_id);
	assert_str_or_null(c->linkedid, w->linkedid);
	assert_str_or_null(c->peer_call_id, w->peer_call_id);
	assert_int_equal(c->sequence, w->sequence);
	assert_str_or_null(c->accountcode, w->accountcode);
	assert_str_or_null(c->caller, w->caller);
	assert_str_or_null(c->caller_name, w->caller_name);
	assert_str_or_null(c->dialled, w->dialled);
	assert_str_or_null(c->context, w->context);
	assert_str_or_null(c->channel, w->channel);
	assert_str_or_null(c->dstchannel, w->dstchannel);
	assert_str_or_null(c->lastapp, w->lastapp);
	assert_str_or_null(c->lastdata, w->lastdata);
	assert_str_or_null(c->agent, w->agent);
	assert_int_equal(c->start, local(w->start));
	assert_int_equal(c->answer, local(w->answer));
	assert_int_equal(c->end, local(w->end));
	assert_int_equal(c->duration, w->duration);
	assert_int_equal(c->billsec, w->billsec);
	assert_string_equal(call_disposition_name(c->disposition),
			    call_disposition_name(w->disposition));
	assert_str_or_null(c->hangup_cause, w->hangup_cause);
	assert_str_or_null(c->userfield, w->userfield);
}

struct want_reject {
	unsigned long line;
	const char *field;
	const char *message;	/* the message starts with this */
};

static void expect_rejects(const struct outcomes *out, const struct want_reject *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct outcome *o = at_line(out, w[i].line);
		if (o->status != CDR_REJECT)
			fail_msg("line %lu was read, want rejected: %s", w[i].line, w[i].message);
		assert_string_equal(o->field, w[i].field);
		if (strncmp(o->message, w[i].message, strlen(w[i].message)))
			fail_msg("line %lu: \"%s\", want \"%s…\"", w[i].line, o->message,
				 w[i].message);
	}
}

/* ---- Asterisk ---- */

static void asterisk_master_records_are_normalised(void **state)
{
	static const struct want_call want[] = {
		{ .line = 1, .key = "1795224600.1021", .call_id = "1795224600.1021", .sequence = -1,
		  .caller = "13800138000", .caller_name = "张三", .dialled = "12345",
		  .context = "from-trunk", .channel = "SIP/cmcc-trunk-00000a1b",
		  .dstchannel = "SIP/8001-00000a1c", .lastapp = "Queue",
		  .lastdata = "hotline,t,,,300", .agent = "8001", .start = "2026-11-21 09:30:00",
		  .answer = "2026-11-21 09:30:12", .end = "2026-11-21 09:34:47", .duration = 287,
		  .billsec = 275, .disposition = CALL_ANSWERED },
		{ .line = 2, .key = "1795224665.1022", .call_id = "1795224665.1022", .sequence = -1,
		  .caller = "13912345678", .caller_name = "李四", .dialled = "12345",
		  .context = "from-trunk", .channel = "SIP/cmcc-trunk-00000a1d", .lastapp = "Queue",
		  .lastdata = "hotline,t,,,300", .start = "2026-11-21 09:31:05",
		  .end = "2026-11-21 09:31:40", .duration = 35, .disposition = CALL_NO_ANSWER },
		{ .line = 3, .call_id = "1795224910.1023", .sequence = -1, .caller = "02568881234",
		  .caller_name = "王五", .dialled = "12315", .context = "from-trunk",
		  .channel = "SIP/ct-trunk-00000a20", .dstchannel = "SIP/8002-00000a21",
		  .lastapp = "Dial", .lastdata = "SIP/8002,30,tT", .agent = "8002",
		  .start = "2026-11-21 09:35:10", .answer = "2026-11-21 09:35:18",
		  .end = "2026-11-21 09:41:02", .duration = 352, .billsec = 344,
		  .disposition = CALL_ANSWERED, .userfield = "工单 \"W2026112100015\" 已创建" },
		{ .line = 5, .call_id = "1795225200.1024", .sequence = -1, .caller = "15800001111",
		  .dialled = "12369", .context = "from-trunk", .channel = "SIP/cu-trunk-00000a22",
		  .dstchannel = "SIP/8003-00000a23", .lastapp = "Dial", .lastdata = "SIP/8003,30",
		  .agent = "8003", .start = "2026-11-21 09:40:00", .end = "2026-11-21 09:40:02",
		  .duration = 2, .disposition = CALL_BUSY },
		{ .line = 6, .call_id = "1795225500.1025", .sequence = -1, .caller = "13700002222",
		  .caller_name = "赵六", .dialled = "12345", .context = "from-trunk",
		  .channel = "SIP/cmcc-trunk-00000a24", .dstchannel = "SIP/8001-00000a25",
		  .lastapp = "Queue", .lastdata = "hotline,t,,,300", .agent = "8001",
		  .start = "2026-11-21 09:45:00", .answer = "2026-11-21 09:45:09",
		  .end = "2026-11-21 09:47:30", .duration = 150, .billsec = 141,
		  .disposition = CALL_ANSWERED, .userfield = "回访要求:\n下午三点后" },
		{ .line = 11, .call_id = "1795226100.1028", .sequence = -1, .accountcode = "ivr",
		  .caller = "18600005555", .caller_name = "孙七", .dialled = "12345",
		  .context = "ivr-menu", .channel = "SIP/cu-trunk-00000a29", .lastapp = "Hangup",
		  .start = "2026-11-21 09:55:00", .answer = "2026-11-21 09:55:00",
		  .end = "2026-11-21 09:56:10", .duration = 70, .billsec = 70,
		  .disposition = CALL_ANSWERED },
		{ .line = 12, .call_id = "1795226400.1029", .sequence = -1, .caller = "13811112222",
		  .caller_name = "周八", .dialled = "12358", .context = "from-trunk",
		  .channel = "SIP/cmcc-trunk-00000a2a", .dstchannel = "Local/8005@agents-00000012;1",
		  .lastapp = "Queue", .lastdata = "hotline,t,,,300", .agent = "8005",
		  .start = "2026-11-21 10:00:00", .answer = "2026-11-21 10:00:05",
		  .end = "2026-11-21 10:02:05", .duration = 125, .billsec = 120,
		  .disposition = CALL_ANSWERED },
	};
	struct outcomes out;

	read_fixture("asterisk_master.csv", &out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_call(&out, &want[i]);
	outcomes_release(&out);
}

static void asterisk_master_rejects_name_line_field_and_reason(void **state)
{
	static const struct want_reject want[] = {
		{ 8, "start", "line 8: field \"start\": invalid time \"2026-13-01 00:00:00\"" },
		{ 9, "disposition", "line 9: field \"disposition\": unknown disposition \"MAYBE\": expected ANSWERED" },
		{ 10, "", "line 10: expected 16 to 21 fields for asterisk-csv, found 4" },
		{ 13, "billsec", "line 13: field \"billsec\": invalid number \"-5\": expected a whole number" },
		{ 14, "", "line 14: truncated record: the input ends inside a quoted field" },
	};
	struct outcomes out;

	read_fixture("asterisk_master.csv", &out);
	expect_rejects(&out, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(out.n, 12);
	assert_int_equal(out.stats.records, 7);
	assert_int_equal(out.stats.rejected, 5);
	outcomes_release(&out);
}

static void asterisk_13_with_bom_crlf_and_new_columns(void **state)
{
	static const struct want_call want[] = {
		{ .line = 1, .key = "1795240800.49#112", .call_id = "1795240800.49",
		  .linkedid = "1795240800.49", .sequence = 112, .caller = "13800138000",
		  .caller_name = "张三", .dialled = "12345", .context = "from-trunk",
		  .channel = "PJSIP/cmcc-00000031", .dstchannel = "PJSIP/8001-00000032",
		  .lastapp = "Queue", .lastdata = "hotline,t,,,300", .agent = "8001",
		  .start = "2026-11-21 14:00:00", .end = "2026-11-21 14:00:15", .duration = 15,
		  .disposition = CALL_NO_ANSWER },
		{ .line = 2, .key = "1795240800.49#113", .call_id = "1795240800.49",
		  .linkedid = "1795240800.49", .sequence = 113, .caller = "13800138000",
		  .caller_name = "张三", .dialled = "12345", .context = "from-trunk",
		  .channel = "PJSIP/cmcc-00000031", .dstchannel = "PJSIP/8002-00000033",
		  .lastapp = "Queue", .lastdata = "hotline,t,,,300", .agent = "8002",
		  .start = "2026-11-21 14:00:00", .answer = "2026-11-21 14:00:20",
		  .end = "2026-11-21 14:06:40", .duration = 400, .billsec = 380,
		  .disposition = CALL_ANSWERED },
		{ .line = 4, .key = "1795241400.52#114", .call_id = "1795241400.52",
		  .linkedid = "1795241400.52", .sequence = 114, .caller = "13912340000",
		  .caller_name = "陈九", .dialled = "12345", .context = "from-trunk",
		  .channel = "PJSIP/cmcc-00000034", .dstchannel = "PJSIP/8003-00000035",
		  .lastapp = "Queue", .lastdata = "hotline,t,,,300", .agent = "8003",
		  .start = "2026-11-21 14:10:00", .end = "2026-11-21 14:10:04", .duration = 4,
		  .disposition = CALL_CANCEL },
		/* Rang two agents at once: neither is the call's agent. */
		{ .line = 6, .key = "1795242000.55#115", .call_id = "1795242000.55",
		  .linkedid = "1795242000.55", .sequence = 115, .caller = "02587654321",
		  .dialled = "12319", .context = "from-trunk", .channel = "PJSIP/ct-00000036",
		  .lastapp = "Dial", .lastdata = "PJSIP/8004&PJSIP/8005,20",
		  .start = "2026-11-21 14:20:00", .end = "2026-11-21 14:20:01", .duration = 1,
		  .disposition = CALL_CONGESTION },
	};
	struct outcomes out;

	read_fixture("asterisk_v13.csv", &out);
	assert_int_equal(out.n, 4);
	assert_int_equal(out.stats.rejected, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_call(&out, &want[i]);
	outcomes_release(&out);
}

static void asterisk_without_uniqueid_gets_hash_keys(void **state)
{
	struct outcomes out;

	read_fixture("asterisk_short.csv", &out);
	assert_int_equal(out.n, 5);
	assert_null(at_line(&out, 1)->call.call_id);
	assert_int_equal(strlen(at_line(&out, 1)->call.key), 32);
	/* Lines 1-3 are one call written three times (numbers quoted on 3). */
	assert_string_equal(at_line(&out, 1)->call.key, at_line(&out, 2)->call.key);
	assert_string_equal(at_line(&out, 1)->call.key, at_line(&out, 3)->call.key);
	/* Line 4: another channel, one second longer. */
	assert_string_not_equal(at_line(&out, 1)->call.key, at_line(&out, 4)->call.key);
	/* Line 5 has 17 fields; the 17th is no uniqueid, so it is the userfield. */
	assert_null(at_line(&out, 5)->call.call_id);
	assert_string_equal(at_line(&out, 5)->call.userfield, "短时放弃");
	assert_int_equal(at_line(&out, 5)->call.answer, 0);
	outcomes_release(&out);
}

static void asterisk_stray_quote_loses_only_its_line(void **state)
{
	static const struct want_reject want[] = {
		{ 2, "", "line 2: unbalanced quote: the input ends inside a quoted field" },
	};
	struct outcomes out;

	read_fixture("asterisk_stray_quote.csv", &out);
	expect_rejects(&out, want, 1);
	assert_string_equal(at_line(&out, 1)->call.key, "1795230000.2001");
	assert_string_equal(at_line(&out, 3)->call.key, "1795230120.2003");
	assert_string_equal(at_line(&out, 4)->call.key, "1795230240.2004");
	assert_int_equal(out.n, 4);
	outcomes_release(&out);
}

/* One Asterisk line with the given clid, dstchannel, lastapp and lastdata. */
static char *ast_line(const char *clid, const char *dstchannel, const char *lastapp,
		      const char *lastdata)
{
	struct buf b = BUF_INIT;
	const char *parts[] = { clid, dstchannel, lastapp, lastdata };

	buf_adds(&b, "\"\",\"13800138000\",\"12345\",\"from-trunk\"");
	for (size_t i = 0; i < 4; i++) {
		buf_adds(&b, ",\"");
		for (const char *p = parts[i]; *p; p++) {
			if (*p == '"')
				buf_addch(&b, '"');
			buf_addch(&b, *p);
		}
		buf_addch(&b, '"');
		if (i == 0)
			buf_adds(&b, ",\"SIP/cmcc-trunk-00000a1b\"");
	}
	buf_adds(&b, ",\"2026-11-21 09:30:00\",\"2026-11-21 09:30:12\",\"2026-11-21 09:34:47\","
		     "287,275,\"ANSWERED\",\"DOCUMENTATION\",\"1795224600.1021\",\"\"\n");
	return buf_detach(&b, NULL);
}

static void agent_is_derived_from_dstchannel_or_dial_target(void **state)
{
	static const struct {
		const char *dstchannel, *lastapp, *lastdata, *agent;
	} cases[] = {
		{ "SIP/8001-0000001a", "Queue", "hotline", "8001" },
		{ "PJSIP/8001-00000012", "Queue", "hotline", "8001" },
		{ "IAX2/8001-4567", "Dial", "IAX2/8001", "8001" },
		{ "Local/8005@agents-00000012;1", "Queue", "hotline", "8005" },
		{ "Agent/8001", "Queue", "hotline", "8001" },
		{ "DAHDI/1-1", "Dial", "DAHDI/g1/8001", NULL },
		{ "SIP/cmcc-trunk-00000a1b", "Dial", "SIP/cmcc-trunk/13800138000", NULL },
		{ "SIP/13800138000-00000001", "Dial", "SIP/13800138000", NULL },	/* a phone, not an extension */
		{ "", "Dial", "SIP/8002,30,tT", "8002" },
		{ "", "Dial", "PJSIP/8002", "8002" },
		{ "", "Dial", "SIP/8002&SIP/8003,30", NULL },
		{ "", "Queue", "hotline,t,,,300", NULL },
		{ "", "Dial", "SIP/trunk/13800138000,60", NULL },
		{ "", "Playback", "SIP/8002", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = ast_line("", cases[i].dstchannel, cases[i].lastapp, cases[i].lastdata);
		struct outcomes out;
		read_all(line, strlen(line), NULL, &out);
		assert_int_equal(out.n, 1);
		if (out.v[0].status != CDR_RECORD)
			fail_msg("case %zu: %s", i, out.v[0].message);
		const char *got = out.v[0].call.agent;
		if (cases[i].agent ? !got || strcmp(got, cases[i].agent) : got != NULL)
			fail_msg("case %zu (%s / %s): agent %s, want %s", i, cases[i].dstchannel,
				 cases[i].lastdata, got ? got : "NULL",
				 cases[i].agent ? cases[i].agent : "NULL");
		outcomes_release(&out);
		free(line);
	}
}

static void caller_name_is_the_name_part_of_clid(void **state)
{
	static const struct {
		const char *clid, *name;
	} cases[] = {
		{ "\"张三\" <13800138000>", "张三" },
		{ "张三 <13800138000>", "张三" },
		{ "\"Zhang \"San\"\" <13800138000>", "Zhang \"San\"" },	/* Asterisk does not escape */
		{ "13800138000", NULL },		/* just the number again */
		{ "<13800138000>", NULL },
		{ "\"\" <13800138000>", NULL },
		{ "", NULL },
		{ "市民热线", "市民热线" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = ast_line(cases[i].clid, "", "Queue", "hotline");
		struct outcomes out;
		read_all(line, strlen(line), NULL, &out);
		assert_int_equal(out.v[0].status, CDR_RECORD);
		const char *got = out.v[0].call.caller_name;
		if (cases[i].name ? !got || strcmp(got, cases[i].name) : got != NULL)
			fail_msg("clid \"%s\": name %s, want %s", cases[i].clid, got ? got : "NULL",
				 cases[i].name ? cases[i].name : "NULL");
		outcomes_release(&out);
		free(line);
	}
}

static void other_time_forms_and_utc_option(void **state)
{
	char *line = ast_line("", "", "Queue", "hotline");
	struct cdr_options opt = CDR_OPTIONS_INIT;
	struct outcomes out;

	opt.utc_times = true;	/* cdr.conf usegmtime=yes */
	read_all(line, strlen(line), &opt, &out);
	assert_int_equal(out.v[0].call.start, 1795219200 + 9 * 3600 + 30 * 60);
	outcomes_release(&out);
	free(line);

	const char *iso = "\"\",\"8001\",\"13800138000\",\"from-internal\",\"\",\"SIP/8001-1\",\"\","
			  "\"Dial\",\"\",\"2026-11-21T09:30:00+08:00\",\"\",\"2026-11-21 09:30:10.250\","
			  "10,0,\"NO ANSWER\",\"DOCUMENTATION\"\n";
	read_all(iso, strlen(iso), NULL, &out);
	assert_int_equal(out.v[0].status, CDR_RECORD);
	assert_int_equal(out.v[0].call.start, 1795224600);
	assert_int_equal(out.v[0].call.end, 1795224610);
	outcomes_release(&out);
}

/* The reader caches zone offsets per hour; it must agree with mktime(). */
static void local_times_match_time_parse_iso_across_dst(void **state)
{
	static const char *const zones[] = { "America/New_York", "Europe/London", "Asia/Shanghai" };
	/* 2026-03-01 to 2026-11-30 local, every 7 minutes 13 seconds. */
	const long first_day = days_from_civil(2026, 3, 1), last_day = days_from_civil(2026, 11, 30);

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct buf in = BUF_INIT;
		struct outcomes out;
		size_t count = 0;
		time_t *want = malloc(((last_day - first_day + 1) * 86400 / 433 + 1) * sizeof(*want));

		assert_true(timeutil_set_zone(zones[z]));
		for (long s = first_day * 86400; s < (last_day + 1) * 86400; s += 433) {
			long day = s / 86400, sec = s % 86400;
			int y, m, d, hh = (int)(sec / 3600);
			char stamp[32];

			/* The hour a fall-back repeats has two answers; skip it. */
			if (time_from_local(day, hh, 59, 59) - time_from_local(day, hh, 0, 0) != 3599)
				continue;
			civil_from_days(day, &y, &m, &d);
			snprintf(stamp, sizeof(stamp), "%04d-%02d-%02d %02d:%02ld:%02ld", y, m, d, hh,
				 sec / 60 % 60, sec % 60);
			assert_true(time_parse_iso(stamp, &want[count], "t", NULL));
			buf_addf(&in, "\"\",\"8001\",\"12345\",\"c\",\"\",\"SIP/8001-1\",\"\",\"Dial\","
				 "\"\",\"%s\",\"\",\"%s\",0,0,\"NO ANSWER\",\"DOCUMENTATION\"\n",
				 stamp, stamp);
			count++;
		}
		read_all(in.data, in.len, NULL, &out);
		assert_int_equal(out.n, count);
		for (size_t i = 0; i < count; i++) {
			if (out.v[i].status != CDR_RECORD || out.v[i].call.start != want[i])
				fail_msg("%s line %zu: %lld, want %lld (%s)", zones[z], i + 1,
					 (long long)out.v[i].call.start, (long long)want[i],
					 out.v[i].message);
		}
		outcomes_release(&out);
		buf_release(&in);
		free(want);
	}
	assert_true(timeutil_set_zone("Asia/Shanghai"));
}

static void invalid_values_are_rejected_naming_the_field(void **state)
{
	static const struct {
		const char *start, *answer, *duration, *field, *message;
	} cases[] = {
		{ "2026-02-29 10:00:00", "", "10", "start", "field \"start\": invalid time \"2026-02-29 10:00:00\"" },
		{ "2026-11-21 24:00:00", "", "10", "start", "field \"start\": invalid time" },
		{ "2026-11-21", "", "10", "start", "field \"start\": invalid time \"2026-11-21\"" },
		{ "", "", "10", "start", "field \"start\": missing time" },
		{ "2026-11-21 09:30:00", "yesterday", "10", "answer", "field \"answer\": invalid time \"yesterday\"" },
		{ "2026-11-21 09:30:00", "", "", "duration", "field \"duration\": missing number" },
		{ "2026-11-21 09:30:00", "", "1e3", "duration", "field \"duration\": invalid number \"1e3\"" },
		{ "2026-11-21 09:30:00", "", "99999999999", "duration", "field \"duration\": invalid number" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf line = BUF_INIT;
		struct outcomes out;
		buf_addf(&line, "\"\",\"8001\",\"13800138000\",\"from-internal\",\"\",\"SIP/8001-1\","
			 "\"\",\"Dial\",\"\",\"%s\",\"%s\",\"2026-11-21 09:30:10\",%s,0,\"NO ANSWER\","
			 "\"DOCUMENTATION\"\n", cases[i].start, cases[i].answer, cases[i].duration);
		read_all(line.data, line.len, NULL, &out);
		assert_int_equal(out.v[0].status, CDR_REJECT);
		assert_string_equal(out.v[0].field, cases[i].field);
		if (strncmp(out.v[0].message + strlen("line 1: "), cases[i].message,
			    strlen(cases[i].message)))
			fail_msg("case %zu: \"%s\"", i, out.v[0].message);
		outcomes_release(&out);
		buf_release(&line);
	}
}

/* ---- FreeSWITCH ---- */

static void freeswitch_records_are_normalised(void **state)
{
	static const struct want_call want[] = {
		{ .line = 1, .key = "0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b",
		  .call_id = "0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b",
		  .peer_call_id = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", .sequence = -1,
		  .caller = "13800138000", .caller_name = "张三", .dialled = "12345",
		  .context = "public", .start = "2026-11-21 10:00:00",
		  .answer = "2026-11-21 10:00:08", .end = "2026-11-21 10:05:08", .duration = 308,
		  .billsec = 300, .disposition = CALL_ANSWERED, .hangup_cause = "NORMAL_CLEARING" },
		{ .line = 2, .call_id = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", .sequence = -1,
		  .caller = "13912345678", .caller_name = "李四", .dialled = "12345",
		  .context = "public", .start = "2026-11-21 10:01:00", .end = "2026-11-21 10:01:30",
		  .duration = 30, .disposition = CALL_CANCEL, .hangup_cause = "ORIGINATOR_CANCEL" },
		{ .line = 3, .call_id = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", .sequence = -1,
		  .caller = "15800001111", .caller_name = "15800001111", .dialled = "12315",
		  .context = "public", .start = "2026-11-21 10:02:00", .end = "2026-11-21 10:02:03",
		  .duration = 3, .disposition = CALL_BUSY, .hangup_cause = "USER_BUSY" },
		{ .line = 4, .call_id = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f", .sequence = -1,
		  .caller = "02568881234", .caller_name = "王 \"老王\" 五", .dialled = "12369",
		  .context = "public", .start = "2026-11-21 10:03:00", .end = "2026-11-21 10:03:45",
		  .duration = 45, .disposition = CALL_NO_ANSWER, .hangup_cause = "NO_ANSWER" },
		/* A callback (回访) from agent 8001. */
		{ .line = 5, .call_id = "4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a",
		  .peer_call_id = "5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b", .sequence = -1,
		  .accountcode = "callback", .caller = "8001", .caller_name = "Extension 8001",
		  .dialled = "13800138000", .context = "default", .start = "2026-11-21 10:10:00",
		  .answer = "2026-11-21 10:10:12", .end = "2026-11-21 10:12:12", .duration = 132,
		  .billsec = 120, .disposition = CALL_ANSWERED, .hangup_cause = "NORMAL_CLEARING" },
		{ .line = 8, .call_id = "8b9c0d1e-2f3a-4b4c-9d5e-7f8a9b0c1d2e", .sequence = -1,
		  .caller = "13811112222", .caller_name = "周八", .dialled = "12345",
		  .context = "public", .start = "2026-11-21 10:40:00", .end = "2026-11-21 10:40:05",
		  .duration = 5, .disposition = CALL_NO_ANSWER, .hangup_cause = "NORMAL_CLEARING" },
		{ .line = 9, .call_id = "9c0d1e2f-3a4b-4c5d-8e6f-8a9b0c1d2e3f", .sequence = -1,
		  .caller = "13822223333", .caller_name = "吴九", .dialled = "12358",
		  .context = "public", .start = "2026-11-21 10:50:00", .end = "2026-11-21 10:50:02",
		  .duration = 2, .disposition = CALL_UNKNOWN, .hangup_cause = "INTERWORKING" },
	};
	static const struct want_reject rejects[] = {
		{ 6, "answer_stamp", "line 6: field \"answer_stamp\": invalid time \"2026-11-21 25:00:00\"" },
		{ 7, "", "line 7: expected 15 fields for freeswitch-csv, found 14" },
		{ 10, "", "line 10: truncated record: the input ends inside a quoted field" },
	};
	struct outcomes out;

	read_fixture("freeswitch_master.csv", &out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_call(&out, &want[i]);
	expect_rejects(&out, rejects, sizeof(rejects) / sizeof(rejects[0]));
	assert_int_equal(out.stats.records, 7);
	assert_int_equal(out.stats.rejected, 3);
	outcomes_release(&out);
}

static void freeswitch_causes_map_to_dispositions(void **state)
{
	static const struct {
		const char *answer, *billsec, *cause;
		enum call_disposition want;
	} cases[] = {
		{ "2026-11-21 10:00:08", "300", "NORMAL_CLEARING", CALL_ANSWERED },
		{ "2026-11-21 10:00:08", "0", "NORMAL_CLEARING", CALL_ANSWERED },	/* answered, hung up at once */
		{ "", "5", "NORMAL_CLEARING", CALL_ANSWERED },
		{ "2026-11-21 10:00:08", "12", "MEDIA_TIMEOUT", CALL_ANSWERED },
		{ "", "0", "NORMAL_CLEARING", CALL_NO_ANSWER },
		{ "", "0", "NO_ANSWER", CALL_NO_ANSWER },
		{ "", "0", "NO_USER_RESPONSE", CALL_NO_ANSWER },
		{ "", "0", "ORIGINATOR_CANCEL", CALL_CANCEL },
		{ "", "0", "LOSE_RACE", CALL_CANCEL },
		{ "", "0", "USER_BUSY", CALL_BUSY },
		{ "", "0", "NORMAL_CIRCUIT_CONGESTION", CALL_CONGESTION },
		{ "", "0", "UNALLOCATED_NUMBER", CALL_FAILED },
		{ "", "0", "CALL_REJECTED", CALL_FAILED },
		{ "", "0", "", CALL_UNKNOWN },
		{ "", "0", "SOMETHING_NEW", CALL_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf line = BUF_INIT;
		struct outcomes out;
		struct cdr_options opt = CDR_OPTIONS_INIT;
		opt.format = CDR_FREESWITCH_CSV;
		buf_addf(&line, "\"张三\",\"13800138000\",\"12345\",\"public\",\"2026-11-21 10:00:00\","
			 "\"%s\",\"2026-11-21 10:05:08\",\"308\",\"%s\",\"%s\",\"\",\"\",\"\",\"PCMA\","
			 "\"PCMA\"\n", cases[i].answer, cases[i].billsec, cases[i].cause);
		read_all(line.data, line.len, &opt, &out);
		assert_int_equal(out.v[0].status, CDR_RECORD);
		if (out.v[0].call.disposition != cases[i].want)
			fail_msg("cause %s answer \"%s\": %s, want %s", cases[i].cause, cases[i].answer,
				 call_disposition_name(out.v[0].call.disposition),
				 call_disposition_name(cases[i].want));
		/* No uuid: the key is a hash. */
		assert_int_equal(strlen(out.v[0].call.key), 32);
		outcomes_release(&out);
		buf_release(&line);
	}
}

/* ---- queue_log ---- */

struct want_event {
	unsigned long line;
	const char *event;
	enum queue_event_kind kind;
	const char *call_id, *queue, *member, *agent, *caller, *member_call_id, *exit_key,
		*transfer_to;
	int position, origposition, wait, talk, ring;
	size_t ndata;
};

#define NA -1

static void queue_log_events_are_interpreted_by_name(void **state)
{
	static const struct want_event want[] = {
		{ 1, "QUEUESTART", QUEUE_EV_OTHER, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		  NA, NA, NA, NA, NA, 1 },
		{ 2, "ADDMEMBER", QUEUE_EV_OTHER, NULL, "hotline", "SIP/8001", "8001", NULL, NULL,
		  NULL, NULL, NA, NA, NA, NA, NA, 1 },
		{ 3, "ENTERQUEUE", QUEUE_EV_ENTERQUEUE, "1795224590.1020", "hotline", NULL, NULL,
		  "13800138000", NULL, NULL, NULL, 1, NA, NA, NA, NA, 3 },
		{ 4, "RINGNOANSWER", QUEUE_EV_RINGNOANSWER, "1795224590.1020", "hotline",
		  "SIP/8001", "8001", NULL, NULL, NULL, NULL, NA, NA, NA, NA, 15, 1 },
		{ 5, "CONNECT", QUEUE_EV_CONNECT, "1795224590.1020", "hotline", "SIP/8002", "8002",
		  NULL, "1795224612.1030", NULL, NULL, NA, NA, 17, NA, 7, 3 },
		{ 6, "COMPLETECALLER", QUEUE_EV_COMPLETECALLER, "1795224590.1020", "hotline",
		  "SIP/8002", "8002", NULL, NULL, NULL, NULL, NA, 1, 17, 275, NA, 3 },
		{ 7, "ENTERQUEUE", QUEUE_EV_ENTERQUEUE, "1795224665.1022", "hotline", NULL, NULL,
		  "13912345678", NULL, NULL, NULL, 2, NA, NA, NA, NA, 3 },
		{ 8, "ABANDON", QUEUE_EV_ABANDON, "1795224665.1022", "hotline", NULL, NULL, NULL,
		  NULL, NULL, NULL, 1, 2, 35, NA, NA, 3 },
		/* Asterisk 1.4 lines, trailing fields missing. */
		{ 10, "ENTERQUEUE", QUEUE_EV_ENTERQUEUE, "1795224990.1040", "hotline", NULL, NULL,
		  "15800001111", NULL, NULL, NULL, NA, NA, NA, NA, NA, 2 },
		{ 11, "CONNECT", QUEUE_EV_CONNECT, "1795224990.1040", "hotline", "Agent/8003",
		  "8003", NULL, NULL, NULL, NULL, NA, NA, 10, NA, NA, 1 },
		{ 12, "COMPLETEAGENT", QUEUE_EV_COMPLETEAGENT, "1795224990.1040", "hotline",
		  "Agent/8003", "8003", NULL, NULL, NULL, NULL, NA, NA, 10, 190, NA, 2 },
		{ 13, "EXITWITHTIMEOUT", QUEUE_EV_EXITWITHTIMEOUT, "1795225290.1041", "hotline",
		  NULL, NULL, NULL, NULL, NULL, NULL, 1, NA, NA, NA, NA, 1 },
		{ 14, "EXITWITHKEY", QUEUE_EV_EXITWITHKEY, "1795225390.1042", "hotline", NULL, NULL,
		  NULL, NULL, "0", NULL, 1, 1, 12, NA, NA, 4 },
		{ 15, "EXITEMPTY", QUEUE_EV_EXITEMPTY, "1795225490.1043", "hotline", NULL, NULL,
		  NULL, NULL, NULL, NULL, 1, 1, 3, NA, NA, 3 },
		{ 16, "BLINDTRANSFER", QUEUE_EV_BLINDTRANSFER, "1795225500.1044", "hotline",
		  "SIP/8001", "8001", NULL, NULL, NULL, "96310", NA, 1, 8, 120, NA, 5 },
		{ 17, "ATTENDEDTRANSFER", QUEUE_EV_ATTENDEDTRANSFER, "1795225510.1045", "hotline",
		  "PJSIP/8002", "8002", NULL, NULL, NULL, "6c1f2e4a-0d3b-4f5e-8a9b-1c2d3e4f5a6b",
		  NA, 1, 9, 200, NA, 5 },
		{ 21, "PAUSE", QUEUE_EV_OTHER, NULL, "hotline", "张三", NULL, NULL, NULL, NULL,
		  NULL, NA, NA, NA, NA, NA, 2 },
	};
	static const struct want_reject rejects[] = {
		{ 18, "time", "line 18: field \"time\": invalid time \"17952x5700\": expected seconds since the epoch" },
		{ 19, "holdtime", "line 19: field \"holdtime\": invalid number \"abc\": expected a whole number" },
		{ 20, "", "line 20: expected at least 5 fields for asterisk-queue-log, found 2" },
		{ 22, "", "line 22: truncated record: the input ends without a line end" },
	};
	struct outcomes out;

	read_fixture("queue_log", &out);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct want_event *w = &want[i];
		const struct outcome *o = at_line(&out, w->line);
		if (o->status != CDR_RECORD)
			fail_msg("line %lu rejected: %s", w->line, o->message);
		const struct queue_event *ev = &o->event;
		assert_string_equal(ev->event, w->event);
		assert_int_equal(ev->kind, w->kind);
		assert_int_equal(ev->line, w->line);
		assert_str_or_null(ev->call_id, w->call_id);
		assert_str_or_null(ev->queue, w->queue);
		assert_str_or_null(ev->member, w->member);
		assert_str_or_null(ev->agent, w->agent);
		assert_str_or_null(ev->caller, w->caller);
		assert_str_or_null(ev->member_call_id, w->member_call_id);
		assert_str_or_null(ev->exit_key, w->exit_key);
		assert_str_or_null(ev->transfer_to, w->transfer_to);
		assert_int_equal(ev->position, w->position);
		assert_int_equal(ev->origposition, w->origposition);
		assert_int_equal(ev->wait, w->wait);
		assert_int_equal(ev->talk, w->talk);
		assert_int_equal(ev->ring, w->ring);
		assert_int_equal(ev->ndata, w->ndata);
		assert_int_equal(strlen(ev->key), 32);
	}
	assert_int_equal(at_line(&out, 3)->event.at, 1795224595);
	assert_string_equal(at_line(&out, 21)->event.data[1], "午休");
	expect_rejects(&out, rejects, sizeof(rejects) / sizeof(rejects[0]));
	assert_int_equal(out.stats.records, 17);
	assert_int_equal(out.stats.rejected, 4);
	outcomes_release(&out);
}

static void queue_event_interpret_handles_transfer_layouts(void **state)
{
	static const struct {
		const char *event;
		const char *data[6];
		size_t ndata;
		const char *transfer_to;
		int wait, talk, origposition, ring;
	} cases[] = {
		/* Asterisk 12+ LINK form. */
		{ "ATTENDEDTRANSFER", { "LINK", "PJSIP/8002-0001", "PJSIP/8009-0002", "5", "80", "1" },
		  6, "PJSIP/8009-0002", 5, 80, 1, NA },
		{ "ATTENDEDTRANSFER", { "APP", "Voicemail", "5", "80", "2" }, 5, "Voicemail", 5, 80, 2, NA },
		/* Asterisk 1.8: extension|context|holdtime|calltime. */
		{ "ATTENDEDTRANSFER", { "8009", "from-internal", "5", "80" }, 4, "8009", 5, 80, NA, NA },
		{ "BLINDTRANSFER", { "96310", "from-internal" }, 2, "96310", NA, NA, NA, NA },
		{ "RINGNOANSWER", { "1499" }, 1, NULL, NA, NA, NA, 1 },
		{ "RINGNOANSWER", { "1500" }, 1, NULL, NA, NA, NA, 2 },
		{ "RINGNOANSWER", { "0" }, 1, NULL, NA, NA, NA, 0 },
		{ "CONNECT", { 0 }, 0, NULL, NA, NA, NA, NA },
		{ "COMPLETECALLER", { "", "", "" }, 3, NULL, NA, NA, NA, NA },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct queue_event ev = { 0 };
		struct err e = ERR_INIT;
		ev.event = cases[i].event;
		for (size_t j = 0; j < cases[i].ndata; j++)
			ev.data[j] = cases[i].data[j];
		ev.ndata = cases[i].ndata;
		assert_true(queue_event_interpret(&ev, &e));
		assert_str_or_null(ev.transfer_to, cases[i].transfer_to);
		assert_int_equal(ev.wait, cases[i].wait);
		assert_int_equal(ev.talk, cases[i].talk);
		assert_int_equal(ev.origposition, cases[i].origposition);
		assert_int_equal(ev.ring, cases[i].ring);
	}
}

static void queue_event_interpret_rejects_bad_numbers_by_name(void **state)
{
	struct queue_event ev = { 0 };
	struct err e = ERR_INIT;

	ev.event = "ABANDON";
	ev.data[0] = "1";
	ev.data[1] = "1";
	ev.data[2] = "-3";
	ev.ndata = 3;
	assert_false(queue_event_interpret(&ev, &e));
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "waittime");
	assert_string_equal(e.message, "field \"waittime\": invalid number \"-3\": expected a whole number");
}

static void event_kinds_classify_abandon_and_completion(void **state)
{
	static const struct {
		enum queue_event_kind k;
		bool abandon, completion;
	} cases[] = {
		{ QUEUE_EV_ABANDON, true, false },
		{ QUEUE_EV_EXITWITHTIMEOUT, true, false },
		{ QUEUE_EV_EXITEMPTY, true, false },
		{ QUEUE_EV_EXITWITHKEY, true, false },
		{ QUEUE_EV_COMPLETECALLER, false, true },
		{ QUEUE_EV_COMPLETEAGENT, false, true },
		{ QUEUE_EV_BLINDTRANSFER, false, true },
		{ QUEUE_EV_ATTENDEDTRANSFER, false, true },
		{ QUEUE_EV_ENTERQUEUE, false, false },
		{ QUEUE_EV_CONNECT, false, false },
		{ QUEUE_EV_RINGNOANSWER, false, false },
		{ QUEUE_EV_OTHER, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(queue_event_kind_is_abandon(cases[i].k), cases[i].abandon);
		assert_int_equal(queue_event_kind_is_completion(cases[i].k), cases[i].completion);
	}
}

static void names_round_trip(void **state)
{
	enum cdr_format f;

	for (int i = CDR_AUTO; i <= CDR_FREESWITCH_CSV; i++) {
		assert_true(cdr_format_parse(cdr_format_name((enum cdr_format)i), &f));
		assert_int_equal(f, i);
	}
	assert_false(cdr_format_parse("csv", &f));
	assert_false(cdr_format_parse(NULL, &f));
	assert_string_equal(call_disposition_name(CALL_NO_ANSWER), "NO ANSWER");
	assert_string_equal(call_disposition_name((enum call_disposition)99), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(asterisk_master_records_are_normalised),
		cmocka_unit_test(asterisk_master_rejects_name_line_field_and_reason),
		cmocka_unit_test(asterisk_13_with_bom_crlf_and_new_columns),
		cmocka_unit_test(asterisk_without_uniqueid_gets_hash_keys),
		cmocka_unit_test(asterisk_stray_quote_loses_only_its_line),
		cmocka_unit_test(agent_is_derived_from_dstchannel_or_dial_target),
		cmocka_unit_test(caller_name_is_the_name_part_of_clid),
		cmocka_unit_test(other_time_forms_and_utc_option),
		cmocka_unit_test(local_times_match_time_parse_iso_across_dst),
		cmocka_unit_test(invalid_values_are_rejected_naming_the_field),
		cmocka_unit_test(freeswitch_records_are_normalised),
		cmocka_unit_test(freeswitch_causes_map_to_dispositions),
		cmocka_unit_test(queue_log_events_are_interpreted_by_name),
		cmocka_unit_test(queue_event_interpret_handles_transfer_layouts),
		cmocka_unit_test(queue_event_interpret_rejects_bad_numbers_by_name),
		cmocka_unit_test(event_kinds_classify_abandon_and_completion),
		cmocka_unit_test(names_round_trip),
	};

	return cmocka_run_group_tests_name("calls-formats", tests, calls_setup_zone, NULL);
}
