#include "intake/import.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "intake/intake_sql.h"
#include "orders/fields.h"

/* COPY data goes out in pieces of about this size. */
#define COPY_CHUNK (1 << 20)
/* The progress callback runs every this many records. */
#define PROGRESS_EVERY 16384

static const struct {
	const char *name;
	enum cdr_format format;
} format_names[] = {
	{ "auto", CDR_AUTO },
	{ "asterisk-cdr", CDR_ASTERISK_CSV },
	{ "asterisk-queue-log", CDR_ASTERISK_QUEUE_LOG },
	{ "freeswitch-cdr", CDR_FREESWITCH_CSV },
	{ "asterisk-csv", CDR_ASTERISK_CSV },
	{ "freeswitch-csv", CDR_FREESWITCH_CSV },
};

bool call_import_format_parse(const char *name, enum cdr_format *out)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (!strcmp(name, format_names[i].name)) {
			*out = format_names[i].format;
			return true;
		}
	}
	return false;
}

const char *call_import_format_name(enum cdr_format f)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (format_names[i].format == f)
			return format_names[i].name;
	return "unknown";
}

/* ---- SQL ---- */

static const char sql_prepare[] =
	"CREATE TEMP TABLE IF NOT EXISTS call_stage ("
	" key text COLLATE \"C\", source_format text, call_id text, linked_id text,"
	" peer_call_id text, sequence integer, account_code text, caller text, caller_name text,"
	" dialled text, context text, channel text, dst_channel text, last_app text,"
	" last_data text, agent text, started_at timestamptz, answered_at timestamptz,"
	" ended_at timestamptz, duration integer, billsec integer, disposition text,"
	" hangup_cause text, user_field text, caller_phone text) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS queue_stage ("
	" key text COLLATE \"C\", event_at timestamptz, call_id text, queue text, member text,"
	" agent text, event text, data text, caller text, position integer,"
	" orig_position integer, wait_seconds integer, talk_seconds integer,"
	" ring_seconds integer, exit_key text, transfer_to text, member_call_id text,"
	" caller_phone text) ON COMMIT DELETE ROWS";

/* Before the session's first temporary table: room for a batch in memory. */
static const char sql_session[] =
	"SELECT CASE WHEN pg_my_temp_schema() = 0 THEN set_config('temp_buffers', '256MB', false) END";

/* Imports take turns batch by batch (so that two of them never lock the
 * same calls in different orders); rebuilds wait for them. */
static const char sql_begin_batch[] =
	"SELECT set_config('work_mem', '128MB', true), pg_advisory_xact_lock_shared(" INTAKE_LOCK "),"
	" pg_advisory_xact_lock(" INTAKE_IMPORT_LOCK ")";

static const char sql_copy_calls[] =
	"COPY call_stage (" CALL_RECORD_COPY_COLUMNS ", caller_phone) FROM STDIN";
static const char sql_copy_queue[] =
	"COPY queue_stage (" QUEUE_EVENT_COPY_COLUMNS ", caller_phone) FROM STDIN";

/*
 * CDRs: store the new rows, fold them per call into `call`, move the
 * rollups. $1 short-abandon seconds, $2 the hotline numbers (text[]).
 * A leg is answered by an agent when it is ANSWERED, inbound, and reached
 * an agent's channel (FreeSWITCH, without a last application or channel,
 * on its disposition alone).
 */
static const char sql_merge_calls[] =
	"WITH ins AS ("
	" INSERT INTO call_record (" CALL_RECORD_COPY_COLUMNS ", caller_phone, kind)"
	" SELECT " CALL_RECORD_COPY_COLUMNS ", caller_phone,"
	"  call_kind(dialled, context, last_app, dst_channel, agent, $2::text[])"
	" FROM call_stage"
	" ON CONFLICT (key) DO NOTHING"
	" RETURNING coalesce(call_id, key) AS cid, kind, started_at, answered_at, ended_at,"
	"  billsec, dialled, caller, caller_phone, caller_name, agent,"
	"  disposition = 'ANSWERED' AND kind = 'inbound'"
	"   AND (dst_channel IS NOT NULL OR agent IS NOT NULL OR last_app IS NULL) AS connected"
	"), agg AS ("
	" SELECT cid, count(*)::int AS n, bool_or(kind = 'inbound') AS inbound,"
	"  bool_or(kind IN ('outbound', 'other')) AS excluded, min(started_at) AS started,"
	"  min(answered_at) FILTER (WHERE connected) AS answered_at, max(ended_at) AS ended,"
	"  bool_or(connected) AS answered, sum(billsec) FILTER (WHERE connected)::int AS billsec,"
	"  min(dialled) AS dialled, min(caller) AS caller, min(caller_phone) AS caller_phone,"
	"  min(caller_name) AS caller_name, min(agent) FILTER (WHERE connected) AS agent"
	" FROM ins GROUP BY cid"
	"), up AS ("
	" INSERT INTO call AS c (call_id, caller, caller_phone, caller_name, dialled, cdr_rows,"
	"  cdr_inbound, cdr_excluded, cdr_started_at, cdr_answered_at, cdr_ended_at, cdr_answered,"
	"  cdr_billsec, cdr_agent)"
	" SELECT cid, caller, caller_phone, caller_name, dialled, n, inbound, excluded, started,"
	"  answered_at, ended, answered, billsec, agent"
	" FROM agg"
	" ON CONFLICT (call_id) DO UPDATE SET " INTAKE_SQL_STASH_PREV
	"  caller = coalesce(c.caller, excluded.caller),"
	"  caller_phone = coalesce(c.caller_phone, excluded.caller_phone),"
	"  caller_name = coalesce(c.caller_name, excluded.caller_name),"
	"  dialled = coalesce(c.dialled, excluded.dialled),"
	"  cdr_rows = c.cdr_rows + excluded.cdr_rows,"
	"  cdr_inbound = c.cdr_inbound OR excluded.cdr_inbound,"
	"  cdr_excluded = c.cdr_excluded OR excluded.cdr_excluded,"
	"  cdr_started_at = least(c.cdr_started_at, excluded.cdr_started_at),"
	"  cdr_answered_at = least(c.cdr_answered_at, excluded.cdr_answered_at),"
	"  cdr_ended_at = greatest(c.cdr_ended_at, excluded.cdr_ended_at),"
	"  cdr_answered = c.cdr_answered OR excluded.cdr_answered,"
	"  cdr_billsec = CASE WHEN c.cdr_billsec IS NULL THEN excluded.cdr_billsec"
	"   WHEN excluded.cdr_billsec IS NULL THEN c.cdr_billsec"
	"   ELSE c.cdr_billsec + excluded.cdr_billsec END,"
	"  cdr_agent = coalesce(c.cdr_agent, excluded.cdr_agent)"
	INTAKE_SQL_UP_RETURNING
	INTAKE_SQL_ROLLUP
	" SELECT (SELECT count(*) FROM ins) AS inserted";

#define QUEUE_ABANDONS "('ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY')"
#define QUEUE_COMPLETIONS "('COMPLETECALLER', 'COMPLETEAGENT', 'BLINDTRANSFER', 'ATTENDEDTRANSFER')"

/*
 * queue_log: store the new events, fold those of a call (entry, connect,
 * abandon, completion) into `call`, move the rollups. $1 short-abandon
 * seconds.
 */
static const char sql_merge_queue[] =
	"WITH ins AS ("
	" INSERT INTO queue_event (" QUEUE_EVENT_COPY_COLUMNS ", caller_phone)"
	" SELECT " QUEUE_EVENT_COPY_COLUMNS ", caller_phone FROM queue_stage"
	" ON CONFLICT (key) DO NOTHING"
	" RETURNING call_id, event, event_at, queue, agent, member, wait_seconds, talk_seconds,"
	"  caller, caller_phone"
	"), agg AS ("
	" SELECT call_id AS cid, count(*)::int AS n,"
	"  min(event_at) FILTER (WHERE event = 'ENTERQUEUE') AS entered,"
	"  min(queue) FILTER (WHERE event = 'ENTERQUEUE') AS queue,"
	"  min(caller) FILTER (WHERE event = 'ENTERQUEUE') AS caller,"
	"  min(caller_phone) FILTER (WHERE event = 'ENTERQUEUE') AS caller_phone,"
	"  min(event_at) FILTER (WHERE event = 'CONNECT') AS connected,"
	"  min(wait_seconds) FILTER (WHERE event = 'CONNECT') AS wait,"
	"  min(coalesce(agent, member)) FILTER (WHERE event = 'CONNECT') AS agent,"
	"  min(event_at) FILTER (WHERE event IN " QUEUE_ABANDONS ") AS abandoned,"
	"  min(wait_seconds) FILTER (WHERE event IN " QUEUE_ABANDONS ") AS abandon_wait,"
	"  max(talk_seconds) FILTER (WHERE event IN " QUEUE_COMPLETIONS ") AS talk"
	" FROM ins"
	" WHERE call_id IS NOT NULL AND (event IN ('ENTERQUEUE', 'CONNECT')"
	"  OR event IN " QUEUE_ABANDONS " OR event IN " QUEUE_COMPLETIONS ")"
	" GROUP BY call_id"
	"), up AS ("
	" INSERT INTO call AS c (call_id, caller, caller_phone, queue, q_events, q_entered_at,"
	"  q_connected_at, q_wait, q_agent, q_abandoned_at, q_abandon_wait, q_talk)"
	" SELECT cid, caller, caller_phone, queue, n, entered, connected, wait, agent, abandoned,"
	"  abandon_wait, talk"
	" FROM agg"
	" ON CONFLICT (call_id) DO UPDATE SET " INTAKE_SQL_STASH_PREV
	"  caller = coalesce(c.caller, excluded.caller),"
	"  caller_phone = coalesce(c.caller_phone, excluded.caller_phone),"
	"  queue = coalesce(c.queue, excluded.queue),"
	"  q_events = c.q_events + excluded.q_events,"
	"  q_entered_at = least(c.q_entered_at, excluded.q_entered_at),"
	"  q_connected_at = least(c.q_connected_at, excluded.q_connected_at),"
	"  q_wait = coalesce(c.q_wait, excluded.q_wait),"
	"  q_agent = coalesce(c.q_agent, excluded.q_agent),"
	"  q_abandoned_at = least(c.q_abandoned_at, excluded.q_abandoned_at),"
	"  q_abandon_wait = coalesce(c.q_abandon_wait, excluded.q_abandon_wait),"
	"  q_talk = greatest(c.q_talk, excluded.q_talk)"
	INTAKE_SQL_UP_RETURNING
	INTAKE_SQL_ROLLUP
	" SELECT (SELECT count(*) FROM ins) AS inserted";

/* ---- the import ---- */

struct batch {
	struct db *db;
	const struct call_import_options *opt;
	struct call_import_result *res;
	bool queue;			/* queue_log events, not CDRs */
	bool open;			/* a transaction and a COPY are in progress */
	unsigned long staged;		/* records sent in this batch */
	struct buf copy;		/* COPY text not yet sent */
	char short_seconds[16];
	struct buf hotline;		/* "{12345,…}" */
};

/* Appends "\t<phone or \N>\n" in place of the line end of the COPY line. */
static void add_caller_phone(struct buf *out, const char *caller)
{
	char phone[PHONE_MAX];

	assert(out->len > 0 && out->data[out->len - 1] == '\n');
	buf_truncate(out, out->len - 1);
	buf_addch(out, '\t');
	if (caller && phone_normalise(caller, phone, "caller", NULL))
		cdr_copy_add_text(out, phone);
	else
		buf_adds(out, "\\N");
	buf_addch(out, '\n');
}

static bool batch_start(struct batch *b, struct err *e)
{
	struct db_res *r;

	if (!db_begin(b->db, e))
		return false;
	r = db_exec(b->db, sql_begin_batch, 0, NULL, e);
	if (!r || !db_copy_begin(b->db, b->queue ? sql_copy_queue : sql_copy_calls, e)) {
		db_res_free(r);
		db_rollback(b->db);
		return false;
	}
	db_res_free(r);
	b->open = true;
	b->staged = 0;
	return true;
}

static bool batch_flush(struct batch *b, struct err *e)
{
	bool ok = db_copy_put(b->db, b->copy.data, b->copy.len, e);

	buf_reset(&b->copy);
	return ok;
}

/* Abandons the batch in flight, if any; the error already in `e` stays. */
static void batch_abort(struct batch *b)
{
	struct err ignored = ERR_INIT;

	if (!b->open)
		return;
	db_copy_end(b->db, "import failed", &ignored);
	db_rollback(b->db);
	buf_reset(&b->copy);
	b->open = false;
}

static bool batch_finish(struct batch *b, struct err *e)
{
	const char *params[2] = { b->short_seconds, b->hotline.data };
	struct db_res *r = NULL;
	long inserted;

	if (!b->open)
		return true;
	if (!batch_flush(b, e) || db_copy_end(b->db, NULL, e) < 0)
		goto fail;
	r = db_exec(b->db, b->queue ? sql_merge_queue : sql_merge_calls, b->queue ? 1 : 2,
		    params, e);
	if (!r)
		goto fail;
	inserted = db_res_ll(r, 0, "inserted");
	db_res_free(r);
	if (!db_commit(b->db, e))
		goto fail;
	b->open = false;
	b->res->records += b->staged;
	b->res->imported += (unsigned long)inserted;
	b->res->duplicates += b->staged - (unsigned long)inserted;
	if (b->opt->on_progress)
		b->opt->on_progress(b->opt->ctx, b->res);
	return true;
fail:
	b->open = false;
	db_rollback(b->db);
	buf_reset(&b->copy);
	return false;
}

static bool batch_add(struct batch *b, const struct cdr_item *it, size_t limit, struct err *e)
{
	if (!b->open) {
		b->queue = it->event != NULL;
		if (!batch_start(b, e))
			return false;
	}
	if (it->event) {
		queue_event_copy_line(it->event, &b->copy);
		add_caller_phone(&b->copy, it->event->caller);
	} else {
		call_record_copy_line(it->call, &b->copy);
		add_caller_phone(&b->copy, it->call->caller);
	}
	b->staged++;
	if (b->copy.len >= COPY_CHUNK && !batch_flush(b, e))
		return false;
	if (b->staged >= limit)
		return batch_finish(b, e);
	if (b->opt->on_progress && b->staged % PROGRESS_EVERY == 0) {
		struct call_import_result now = *b->res;
		now.records += b->staged;
		b->opt->on_progress(b->opt->ctx, &now);
	}
	return true;
}

/* The reason without the reader's "line N: " prefix. */
static const char *reject_reason(const char *message)
{
	const char *p = message;

	if (strncmp(p, "line ", 5))
		return message;
	p += 5;
	p += strspn(p, "0123456789");
	return strncmp(p, ": ", 2) ? message : p + 2;
}

bool call_import(struct db *db, struct cdr_reader *r, const struct call_import_options *opt,
		 struct call_import_result *res, struct err *e)
{
	struct batch b = { .db = db, .opt = opt, .res = res, .copy = BUF_INIT, .hotline = BUF_INIT };
	size_t limit = opt->batch_records ? opt->batch_records : CALL_IMPORT_BATCH_DEFAULT;
	bool ok = false;

	memset(res, 0, sizeof(*res));
	snprintf(b.short_seconds, sizeof(b.short_seconds), "%d", opt->settings->short_abandon_seconds);
	intake_hotline_array(opt->settings, &b.hotline);
	if (!db_run(db, sql_session, 0, NULL, e) || !db_run_script(db, sql_prepare, e))
		goto out;
	for (;;) {
		struct cdr_item it;
		struct err re = ERR_INIT;
		enum cdr_status st = cdr_reader_next(r, &it, &re);

		if (st == CDR_RECORD) {
			res->format = it.format;
			if (!batch_add(&b, &it, limit, e))
				goto out;
		} else if (st == CDR_REJECT) {
			res->rejected++;
			if (opt->on_reject)
				opt->on_reject(opt->ctx, it.line, re.field, reject_reason(re.message));
		} else if (st == CDR_END) {
			break;
		} else if (st == CDR_ERROR) {
			*e = re;
			goto out;
		} else {
			err_set(e, 500, "internal", "call_import needs a pulling reader, not push mode");
			goto out;
		}
	}
	if (!batch_finish(&b, e))
		goto out;
	if (res->format == CDR_AUTO)
		res->format = cdr_reader_format(r);
	ok = true;
out:
	batch_abort(&b);
	buf_release(&b.copy);
	buf_release(&b.hotline);
	return ok;
}
