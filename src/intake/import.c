#include "intake/import.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/copy.h"
#include "intake/import_private.h"
#include "intake/intake_sql.h"
#include "orders/fields.h"

/* COPY data goes out in pieces of about this size. */
#define COPY_CHUNK (1 << 20)

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
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (!strcmp(name, format_names[i].name)) {
			*out = format_names[i].format;
			return true;
		}
	}
	return false;
}

const char *call_import_format_name(enum cdr_format f)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
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

/* A batch holds the locks of the lanes $1 to $2 whose calls it stores
 * (INTAKE_LANES); rebuilds wait for it. */
static const char sql_begin_batch[] =
	"SELECT set_config('work_mem', '128MB', true), pg_advisory_xact_lock_shared(" INTAKE_LOCK "),"
	" " INTAKE_SQL_LANE_LOCKS("pg_advisory_xact_lock", "$1::int", "$2::int");

static const char sql_copy_calls[] =
	"COPY call_stage (" CALL_RECORD_COPY_COLUMNS ", caller_phone) FROM STDIN (FORMAT binary)";
static const char sql_copy_queue[] =
	"COPY queue_stage (" QUEUE_EVENT_COPY_COLUMNS ", caller_phone) FROM STDIN";

/* The fast path (see "CDR batches" below): straight into call_record, alone. */
static const char sql_copy_records[] =
	"COPY call_record (" CALL_RECORD_COPY_COLUMNS ", caller_phone, kind, alone)"
	" FROM STDIN (FORMAT binary)";
/* …and their callers, for the caller history (migrations/0009_call_alone_caller.sql). */
static const char sql_copy_callers[] =
	"COPY call_alone_caller (phone, key) FROM STDIN (FORMAT binary)";

/* The stored keys between $1 and $2 (at most $3 of them): most batches
 * hold a range of time-ordered keys that nothing stored falls into. */
static const char sql_keys_in_range[] =
	"SELECT key AS k FROM call_record WHERE key >= $1 AND key <= $2 LIMIT $3::int";
/* The calls with ids between $1 and $2 that have a summary, in `call` or
 * as an alone record (whose key is its call id, or starts with it and '#'). */
static const char sql_calls_in_range[] =
	"SELECT call_id AS k FROM call WHERE call_id >= $1 AND call_id <= $2"
	" UNION ALL SELECT call_record_cid(r) FROM call_record r"
	" WHERE key >= $1 AND key < $2 || '$' AND alone LIMIT $3::int";
/* When the range holds too many: the batch's values one by one ($1 text[]). */
static const char sql_keys_listed[] =
	"SELECT key AS k FROM call_record WHERE key = ANY ($1::text[])";
static const char sql_calls_listed[] =
	"SELECT call_id AS k FROM call WHERE call_id = ANY ($1::text[])"
	" UNION ALL SELECT x.id FROM unnest($1::text[]) AS x(id)"
	" WHERE EXISTS (SELECT FROM call_alone_records(x.id))";

/* Calls of the batch ($1 text[]) whose alone record gets a summary row
 * before the batch merges into it (migrations/0007_call_alone.sql). */
static const char sql_adopt[] = "SELECT call_adopt($1::text[])";
static const char sql_adopt_queued[] =
	"SELECT call_adopt(array(SELECT DISTINCT call_id FROM queue_stage WHERE call_id IS NOT NULL))";

/* The rollups of the fast path's calls, summed in C ($1-$12). */
static const char sql_rollup_summed[] =
	INTAKE_SQL_ROLLUP_SUMMED("(SELECT to_timestamp(b) AS bucket, dialled, queue, offered, answered,"
				 " abandoned, short_abandoned, answered_15s, wait_sum, wait_n, talk_sum,"
				 " talk_n FROM" INTAKE_SQL_SUMMED("1", "2", "3", "4", "5", "6", "7", "8",
								  "9", "10", "11", "12") ") s");

/* The session's zone, which date_trunc('hour', …) uses for the rollups. */
static const char sql_session_zone[] = "SELECT current_setting('TimeZone') AS zone";

/*
 * CDRs: store the new rows, fold them per call into `call`, move the
 * rollups. $1 short-abandon seconds, $2 the hotline numbers (text[]),
 * $3-$14 the rollup rows of the batch's fast-path calls (INTAKE_SQL_SUMMED,
 * empty arrays for none).
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
	INTAKE_SQL_ROLLUP_WITH_SUMMED
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

/* ---- the import ----
 *
 * A thread reads the input into batches (import_read.c) while the batch
 * before is stored here, one transaction each, in input order.
 *
 * A queue_log batch is copied into queue_stage, and one statement
 * (sql_merge_queue) stores and folds it.
 *
 * CDR batches are held in memory until the batch is complete, because
 * most of their records take a fast path that does in C what the SQL of
 * the staging path does row by row: a record whose key is not stored yet
 * (checked here: duplicates within the batch, then one range query for the
 * stored keys), whose call has no summary yet (no `call` row, no alone
 * record) and which is its call's only record in the batch is copied
 * straight into call_record with `alone` set, and its caller into
 * call_alone_caller: its record is its call's summary
 * (migrations/0007_call_alone.sql), and no `call` row is written.
 * Its contribution to the hourly rollups is summed in C. Every other new
 * record (a call with several CDRs, or one that has a summary from
 * queue_log, live events or an earlier batch) goes through call_stage and
 * sql_merge_calls as before, in the same transaction, after call_adopt()
 * has given the calls with an alone record their `call` row; the rollup
 * rows summed in C join that statement's upsert. The fast path is off when
 * the session's zone is not the process's (the rollups' hours would
 * differ). A batch holds its lane's lock (intake_sql.h), so nothing else
 * stores records of its calls meanwhile; should a COPY still meet a stored
 * key (a record in two lanes: the same key with two call ids), the batch is
 * redone on the staging path alone.
 */

/* An open-addressing set of record indexes by a string of the record. */
struct rec_set {
	long *slot;			/* -1 = empty */
	size_t mask;
};

/* One hourly rollup row summed in C. */
struct summed {
	long long bucket;
	size_t dialled;			/* offset into cdr_set.strs */
	long long c[9];			/* call_hour's counters, in its order */
};

/* A batch in storing: the connection it goes over, its records, the work
 * buffers. Each lane has its own. */
struct batch {
	struct db *db;
	const struct call_import_options *opt;
	struct call_import_result *res;	/* what the batches committed */
	bool fast_ok;			/* the session zone is the process's */
	unsigned long staged;		/* records in this batch */
	char lane[12];			/* a CDR batch: the lane whose calls it holds */
	struct buf copy;		/* COPY text not yet sent */
	char short_seconds[16];
	struct buf hotline;		/* "{12345,…}" */
	struct cdr_set *cdrs;		/* a CDR batch's records (the chunk's) */
	struct summed *sums;
	size_t nsums, sums_cap;
};

/* ---- strings and sets ---- */

static size_t keep(struct batch *b, const char *s)
{
	return cdr_set_keep(b->cdrs, s);
}

static const char *str(const struct batch *b, size_t at)
{
	return cdr_set_str(b->cdrs, at);
}

static void rec_set_init(struct rec_set *set, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	set->slot = xmalloc(size * sizeof(*set->slot));
	memset(set->slot, 0xff, size * sizeof(*set->slot));
	set->mask = size - 1;
}

static void rec_set_release(struct rec_set *set)
{
	free(set->slot);
	set->slot = NULL;
}

/* The slot of `s` in a set of records by their string at `struct_offset`
 * (key or cid): the one holding it, or the empty one where it would go. */
static long *rec_set_find(const struct rec_set *set, const struct batch *b,
			  size_t struct_offset, const char *s)
{
	size_t i = (size_t)import_hash(s) & set->mask;

	for (;; i = (i + 1) & set->mask) {
		long r = set->slot[i];
		if (r < 0)
			return &set->slot[i];
		size_t at = *(const size_t *)((const char *)&b->cdrs->recs[r] + struct_offset);
		if (!strcmp(str(b, at), s))
			return &set->slot[i];
	}
}

/* ---- classifying a CDR batch ---- */

/* Appends `s` as an element of a text[] literal. */
static void array_add(struct buf *out, const char *s)
{
	buf_addch(out, out->len ? ',' : '{');
	if (!s) {
		buf_adds(out, "NULL");
		return;
	}
	buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
	buf_addch(out, '"');
}

/* Appends a number as an element of an array literal. */
static void array_num(struct buf *out, long long v)
{
	buf_addch(out, out->len ? ',' : '{');
	buf_addf(out, "%lld", v);
}

static void array_end(struct buf *out)
{
	if (out->len == 0)
		buf_addch(out, '{');
	buf_addch(out, '}');
}

/*
 * Calls `found` for every stored value among the batch's values of field
 * `off` (keys or call ids) of records still REC_NEW: a range query first,
 * the listed values if the range holds too many rows.
 */
static bool stored_values(struct batch *b, bool calls, size_t off,
			  void (*found)(struct batch *b, const char *value, void *ctx), void *ctx,
			  struct err *e)
{
	const char *lo = NULL, *hi = NULL;
	char limit[24];
	struct db_res *r;
	size_t n = 0;

	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		const char *v;
		if (b->cdrs->recs[i].path != REC_NEW)
			continue;
		v = str(b, *(const size_t *)((const char *)&b->cdrs->recs[i] + off));
		if (!lo || strcmp(v, lo) < 0)
			lo = v;
		if (!hi || strcmp(v, hi) > 0)
			hi = v;
		n++;
	}
	if (!n)
		return true;
	snprintf(limit, sizeof(limit), "%zu", 2 * n + 100);
	r = DB_EXEC(b->db, e, calls ? sql_calls_in_range : sql_keys_in_range, lo, hi, limit);
	if (!r)
		return false;
	if ((size_t)db_res_rows(r) >= 2 * n + 100) {
		struct buf list = BUF_INIT;
		db_res_free(r);
		for (size_t i = 0; i < b->cdrs->nrecs; i++)
			if (b->cdrs->recs[i].path == REC_NEW)
				array_add(&list, str(b, *(const size_t *)((const char *)&b->cdrs->recs[i] + off)));
		array_end(&list);
		r = DB_EXEC(b->db, e, calls ? sql_calls_listed : sql_keys_listed, list.data);
		buf_release(&list);
		if (!r)
			return false;
	}
	for (int i = 0; i < db_res_rows(r); i++)
		found(b, db_res_get(r, i, 0), ctx);
	db_res_free(r);
	return true;
}

static void mark_stored_key(struct batch *b, const char *key, void *ctx)
{
	long *slot = rec_set_find(ctx, b, offsetof(struct cdr_rec, key), key);

	if (*slot >= 0)
		b->cdrs->recs[*slot].path = REC_DUP;
}

static void mark_stored_call(struct batch *b, const char *cid, void *ctx)
{
	long *slot = rec_set_find(ctx, b, offsetof(struct cdr_rec, cid), cid);

	if (*slot >= 0)
		b->cdrs->recs[*slot].stored = true;
}

/*
 * Sorts the batch's records into duplicates, fast and slow (see above).
 * Duplicates within the batch: the first of a key wins, as ON CONFLICT DO
 * NOTHING keeps it.
 */
static bool classify(struct batch *b, struct err *e)
{
	struct rec_set keys, calls;
	bool ok = false;

	rec_set_init(&keys, b->cdrs->nrecs);
	rec_set_init(&calls, b->cdrs->nrecs);
	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		long *slot = rec_set_find(&keys, b, offsetof(struct cdr_rec, key), str(b, b->cdrs->recs[i].key));
		if (*slot >= 0)
			b->cdrs->recs[i].path = REC_DUP;
		else
			*slot = (long)i;
	}
	if (!stored_values(b, false, offsetof(struct cdr_rec, key), mark_stored_key, &keys, e))
		goto out;
	/* a call with more than one new record in the batch, or already in
	 * the summary table, takes the slow path with all of them */
	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		long *slot;
		if (b->cdrs->recs[i].path != REC_NEW)
			continue;
		b->cdrs->recs[i].multi = b->cdrs->recs[i].stored = false;
		slot = rec_set_find(&calls, b, offsetof(struct cdr_rec, cid), str(b, b->cdrs->recs[i].cid));
		if (*slot < 0)
			*slot = (long)i;
		else
			b->cdrs->recs[*slot].multi = true;
	}
	if (!stored_values(b, true, offsetof(struct cdr_rec, cid), mark_stored_call, &calls, e))
		goto out;
	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		const struct cdr_rec *first;
		if (b->cdrs->recs[i].path != REC_NEW)
			continue;
		first = &b->cdrs->recs[*rec_set_find(&calls, b, offsetof(struct cdr_rec, cid),
					       str(b, b->cdrs->recs[i].cid))];
		b->cdrs->recs[i].path = b->fast_ok && !first->multi && !first->stored ? REC_FAST : REC_SLOW;
	}
	ok = true;
out:
	rec_set_release(&keys);
	rec_set_release(&calls);
	return ok;
}

/* ---- the fast path's rollups ---- */

/* The local hour holding `t` (as date_trunc('hour', …) in the session zone). */
static long long hour_of(time_t t)
{
	static _Thread_local struct {
		long long hour;
		long offset;
		bool valid;
	} cache;
	long long h = t >= 0 ? t / 3600 : (t - 3599) / 3600;
	struct tm tm;
	long off;

	if (cache.valid && cache.hour == h) {
		off = cache.offset;
	} else {
		time_t a = (time_t)(h * 3600), z = a + 3599;
		localtime_r(&a, &tm);
		off = tm.tm_gmtoff;
		localtime_r(&z, &tm);
		cache.valid = tm.tm_gmtoff == off;
		cache.hour = h;
		cache.offset = off;
		if (!cache.valid) {
			localtime_r(&t, &tm);
			off = tm.tm_gmtoff;
		}
	}
	long long local = (long long)t + off;
	long long into = local % 3600;
	if (into < 0)
		into += 3600;
	return (long long)t - into;
}

/* seconds_between() of migrations/0004_calls.sql; -1 for NULL. */
static long seconds_between(time_t a, time_t b)
{
	if (!a || !b)
		return -1;
	return b >= a ? (long)(b - a) : 0;
}

/* Adds the call of fast record `r` to the rollup rows summed in C. */
static void fast_rollup(struct batch *b, const struct cdr_rec *r, int short_seconds)
{
	const char *dialled = str(b, r->dialled);
	long long bucket;
	struct summed *s = NULL;
	long wait, talk;
	bool answered;

	if (strcmp(r->kind, "inbound"))
		return;		/* not offered */
	answered = r->connected;
	wait = answered ? seconds_between(r->start, r->answer) : seconds_between(r->start, r->end);
	talk = answered ? r->billsec : -1;
	bucket = hour_of(r->start);
	/* batches are in time order: the row is nearly always one of the last */
	for (size_t i = b->nsums; i-- > 0 && i + 64 >= b->nsums;) {
		if (b->sums[i].bucket == bucket && !strcmp(str(b, b->sums[i].dialled), dialled ? dialled : "")) {
			s = &b->sums[i];
			break;
		}
	}
	if (!s) {
		for (size_t i = 0; i < b->nsums && !s; i++)
			if (b->sums[i].bucket == bucket && !strcmp(str(b, b->sums[i].dialled), dialled ? dialled : ""))
				s = &b->sums[i];
	}
	if (!s) {
		if (b->nsums == b->sums_cap) {
			b->sums_cap = b->sums_cap ? b->sums_cap * 2 : 64;
			b->sums = xrealloc(b->sums, b->sums_cap * sizeof(*b->sums));
		}
		s = &b->sums[b->nsums++];
		memset(s, 0, sizeof(*s));
		s->bucket = bucket;
		/* the offset, not `dialled`: keep() may move the strings */
		s->dialled = r->dialled != NO_STR ? r->dialled : keep(b, "");
	}
	s->c[0]++;
	if (answered) {
		s->c[1]++;
		if (wait >= 0 && wait <= 15)
			s->c[4]++;
		if (wait >= 0) {
			s->c[5] += wait;
			s->c[6]++;
		}
		if (talk >= 0) {
			s->c[7] += talk;
			s->c[8]++;
		}
	} else {
		s->c[2]++;
		if (wait >= 0 && wait <= short_seconds)
			s->c[3]++;
	}
}

/* The twelve array parameters of INTAKE_SQL_SUMMED for the rows summed in C. */
static void summed_params(const struct batch *b, struct buf arrays[12])
{
	for (size_t i = 0; i < b->nsums; i++) {
		const struct summed *s = &b->sums[i];
		array_num(&arrays[0], s->bucket);
		array_add(&arrays[1], str(b, s->dialled));
		array_add(&arrays[2], "");
		for (int k = 0; k < 9; k++)
			array_num(&arrays[3 + k], s->c[k]);
	}
	for (int k = 0; k < 12; k++)
		array_end(&arrays[k]);
}

/* ---- sending a CDR batch ---- */

/*
 * Fast records go into call_record in input order, which is nearly the
 * order of their keys (a PBX's unique ids grow with time): each lands on
 * the primary key's rightmost leaf, which PostgreSQL reaches without a
 * search. Their callers go into call_alone_caller in a COPY of their own
 * by phone, so that the caller index (random numbers) is filled page by
 * page rather than at random (migrations/0009_call_alone_caller.sql). The
 * phone order need only be near the index's: records are sorted by the
 * first eight bytes of the phone (as COLLATE "C" compares them), with a
 * radix sort, which is linear.
 */
struct by_phone {
	uint64_t prefix;		/* the phone's first bytes, big-endian, 0-padded */
	size_t rec;
};

static uint64_t phone_prefix(const char *phone)
{
	uint64_t k = 0;

	for (int i = 0; i < 8; i++)
		k = k << 8 | (*phone ? (unsigned char)*phone++ : 0);
	return k;
}

/* Sorts a[0..n) by prefix, stably, with tmp[0..n) for room; returns
 * whichever of the two holds the result. */
static struct by_phone *radix_sort(struct by_phone *a, struct by_phone *tmp, size_t n)
{
	for (int shift = 0; shift < 64 && n; shift += 8) {
		size_t count[256] = { 0 }, at = 0;
		for (size_t i = 0; i < n; i++)
			count[a[i].prefix >> shift & 0xff]++;
		if (count[a[0].prefix >> shift & 0xff] == n)
			continue;	/* every key has this byte */
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[a[i].prefix >> shift & 0xff]++] = a[i];
		struct by_phone *t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

/*
 * COPYs the batch's fast records (`fast`: into call_record, alone) or slow
 * ones (into call_stage) with `sql`, in binary, in input order.
 */
static bool copy_chunked(struct batch *b, const char *sql, bool fast, struct err *e)
{
	if (!db_copy_binary_begin(b->db, sql, &b->copy, e))
		return false;
	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		const struct cdr_rec *r = &b->cdrs->recs[i];
		if (r->path != (fast ? REC_FAST : REC_SLOW))
			continue;
		copy_row(&b->copy, CALL_RECORD_COPY_FIELDS + (fast ? 3 : 1));
		buf_add(&b->copy, b->cdrs->fields.data + r->fields, r->fields_len);
		if (fast) {	/* call_record has the kind and alone after caller_phone */
			copy_text(&b->copy, r->kind);
			copy_bool(&b->copy, true);
		}
		if (!db_copy_send(b->db, &b->copy, COPY_CHUNK, e))
			return false;
	}
	return db_copy_binary_end(b->db, &b->copy, e) >= 0;
}

/* COPYs the callers of the batch's fast records into call_alone_caller,
 * by phone. */
static bool copy_callers(struct batch *b, struct err *e)
{
	size_t cap = b->cdrs->nrecs ? b->cdrs->nrecs : 1, n = 0;
	struct by_phone *order = xmalloc(2 * cap * sizeof(*order)), *sorted;
	bool ok = false;

	for (size_t i = 0; i < b->cdrs->nrecs; i++)
		if (b->cdrs->recs[i].path == REC_FAST && b->cdrs->recs[i].phone != NO_STR)
			order[n++] = (struct by_phone){ phone_prefix(str(b, b->cdrs->recs[i].phone)), i };
	sorted = radix_sort(order, order + cap, n);
	if (n && !db_copy_binary_begin(b->db, sql_copy_callers, &b->copy, e))
		goto out;
	for (size_t k = 0; k < n; k++) {
		const struct cdr_rec *r = &b->cdrs->recs[sorted[k].rec];
		copy_row(&b->copy, 2);
		copy_text(&b->copy, str(b, r->phone));
		copy_text(&b->copy, str(b, r->key));
		if (!db_copy_send(b->db, &b->copy, COPY_CHUNK, e))
			goto out;
	}
	ok = !n || db_copy_binary_end(b->db, &b->copy, e) >= 0;
out:
	free(order);
	return ok;
}

/* Adopts the calls of the batch's slow records that have a summary already
 * (sql_adopt): those with an alone record get their row in `call`. */
static bool adopt_stored(struct batch *b, struct err *e)
{
	struct buf ids = BUF_INIT;
	bool ok;

	for (size_t i = 0; i < b->cdrs->nrecs; i++)
		if (b->cdrs->recs[i].path == REC_SLOW && b->cdrs->recs[i].stored)
			array_add(&ids, str(b, b->cdrs->recs[i].cid));
	if (!ids.len)
		return true;
	array_end(&ids);
	ok = DB_RUN(b->db, e, sql_adopt, ids.data);
	buf_release(&ids);
	return ok;
}

/*
 * Stores a classified CDR batch in one transaction. Returns the number of
 * new records stored, or -1 with `e` (the transaction rolled back).
 */
static long cdr_store(struct batch *b, struct err *e)
{
	struct buf arrays[12];
	const char *params[14];
	size_t fast = 0, slow = 0;
	struct db_res *r = NULL;
	long inserted = -1;
	int short_seconds = b->opt->settings->short_abandon_seconds;

	for (int k = 0; k < 12; k++)
		buf_init(&arrays[k]);
	b->nsums = 0;
	for (size_t i = 0; i < b->cdrs->nrecs; i++) {
		if (b->cdrs->recs[i].path == REC_FAST) {
			fast++;
			fast_rollup(b, &b->cdrs->recs[i], short_seconds);
		} else if (b->cdrs->recs[i].path == REC_SLOW) {
			slow++;
		}
	}
	summed_params(b, arrays);
	if (fast && (!copy_chunked(b, sql_copy_records, true, e) || !copy_callers(b, e)))
		goto out;
	if (slow) {
		params[0] = b->short_seconds;
		params[1] = b->hotline.data;
		for (int k = 0; k < 12; k++)
			params[2 + k] = arrays[k].data;
		if (!adopt_stored(b, e) || !copy_chunked(b, sql_copy_calls, false, e)
		    || !(r = db_exec(b->db, sql_merge_calls, 14, params, e)))
			goto out;
		inserted = (long)fast + (long)db_res_ll(r, 0, "inserted");
		db_res_free(r);
	} else {
		if (b->nsums) {
			for (int k = 0; k < 12; k++)
				params[k] = arrays[k].data;
			if (!db_run(b->db, sql_rollup_summed, 12, params, e))
				goto out;
		}
		inserted = (long)fast;
	}
out:
	for (int k = 0; k < 12; k++)
		buf_release(&arrays[k]);
	return inserted;
}

/* Begins a batch's transaction holding the locks of lanes `first` to
 * `last`; false with `e` (nothing begun) on failure. */
static bool batch_begin(struct batch *b, const char *first, const char *last, struct err *e)
{
	struct db_res *r;

	if (!db_begin(b->db, e))
		return false;
	if (!(r = DB_EXEC(b->db, e, sql_begin_batch, first, last))) {
		db_rollback(b->db);
		return false;
	}
	db_res_free(r);
	return true;
}

/* Counts a committed batch of which `inserted` records were new. */
static void batch_count(struct batch *b, long inserted)
{
	b->res->records += b->staged;
	b->res->imported += (unsigned long)inserted;
	b->res->duplicates += b->staged - (unsigned long)inserted;
}

/* Runs one CDR batch: classify, store, commit; on a clash with a row stored
 * meanwhile, once more with every new record on the staging path. */
static bool cdr_batch_run(struct batch *b, struct err *e)
{
	long inserted = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (!batch_begin(b, b->lane, b->lane, e))
			return false;
		for (size_t i = 0; i < b->cdrs->nrecs; i++)
			b->cdrs->recs[i].path = REC_NEW;
		if (!classify(b, e))
			goto fail;
		if (attempt == 1)
			for (size_t i = 0; i < b->cdrs->nrecs; i++)
				if (b->cdrs->recs[i].path == REC_FAST)
					b->cdrs->recs[i].path = REC_SLOW;
		if ((inserted = cdr_store(b, e)) >= 0 && db_commit(b->db, e))
			break;
		db_rollback(b->db);
		if (attempt == 0 && e->code == ERR_UNIQUE_VIOLATION) {
			err_clear(e);
			continue;
		}
		return false;
	}
	batch_count(b, inserted);
	return true;
fail:
	db_rollback(b->db);
	return false;
}

/* ---- queue_log batches ---- */

/* Stores a batch of queue_log events (their COPY lines in `text`) in one
 * transaction. */
static bool queue_store(struct batch *b, const struct buf *text, struct err *e)
{
	const char *params[1] = { b->short_seconds };
	struct db_res *r;
	long inserted;

	if (!batch_begin(b, "0", INTAKE_LANES_LAST, e))
		return false;
	if (!db_copy_begin(b->db, sql_copy_queue, e))
		goto fail;
	for (size_t at = 0; at < text->len; at += COPY_CHUNK) {
		size_t n = text->len - at < COPY_CHUNK ? text->len - at : COPY_CHUNK;
		if (!db_copy_put(b->db, text->data + at, n, e)) {
			struct err ignored = ERR_INIT;
			db_copy_end(b->db, "import failed", &ignored);
			goto fail;
		}
	}
	if (db_copy_end(b->db, NULL, e) < 0 || !db_run(b->db, sql_adopt_queued, 0, NULL, e)
	    || !(r = db_exec(b->db, sql_merge_queue, 1, params, e)))
		goto fail;
	inserted = db_res_ll(r, 0, "inserted");
	db_res_free(r);
	if (!db_commit(b->db, e))
		goto fail;
	batch_count(b, inserted);
	return true;
fail:
	db_rollback(b->db);
	return false;
}

/* ---- the import ---- */

/* Whether the session's zone is the process's: then the rollup hours
 * computed in C are those date_trunc() computes. */
static bool same_zone(struct db *db, struct err *e, bool *same)
{
	struct db_res *r = db_exec(db, sql_session_zone, 0, NULL, e);

	if (!r)
		return false;
	*same = !strcmp(db_res_str(r, 0, "zone"), timeutil_zone());
	db_res_free(r);
	return true;
}

/* Counts and reports the rejects the chunk carries. */
static void report_rejects(const struct call_import_options *opt, struct call_import_result *res,
			   const struct import_chunk *ch)
{
	const char *text = ch->reject_texts.data;

	for (size_t i = 0; i < ch->nrejects; i++) {
		const char *field = text, *reason = field + strlen(field) + 1;
		res->rejected++;
		if (opt->on_reject)
			opt->on_reject(opt->ctx, ch->reject_lines[i], field, reason);
		text = reason + strlen(reason) + 1;
	}
}

/* ---- lanes ----
 *
 * The CDRs of a chunk come split by call_lane(). A big chunk's lanes are
 * stored at once, each on a thread and a connection of its own (lane 0 on
 * the caller's), since the database's work per record is the import's
 * cost; a small chunk's lanes one after the other on the caller's
 * connection, where a second connection would cost more than it saves.
 * Either way each lane's part is a transaction of its own (cdr_batch_run).
 */

/* Chunks of at least this many records are stored in lanes at once. */
#define LANES_AT_ONCE_MIN 4096

struct lane {
	struct batch b;
	struct call_import_result done;	/* committed, not yet added to the result */
	bool ok;
	struct err err;
};

struct lanes {
	struct lane lane[INTAKE_LANES];	/* lane[0] on the caller's connection */
	bool at_once;			/* lanes 1… have their connections */
	bool one_at_a_time;		/* they could not be opened: don't try again */
};

/* Readies `b` for storing over `db`: its session (temporary tables) and
 * settings. */
static bool batch_open(struct batch *b, struct db *db, const struct call_import_options *opt,
		       struct call_import_result *res, struct err *e)
{
	memset(b, 0, sizeof(*b));
	b->db = db;
	b->opt = opt;
	b->res = res;
	buf_init(&b->copy);
	buf_init(&b->hotline);
	snprintf(b->short_seconds, sizeof(b->short_seconds), "%d", opt->settings->short_abandon_seconds);
	intake_hotline_array(opt->settings, &b->hotline);
	return db_run(db, sql_session, 0, NULL, e) && db_run_script(db, sql_prepare, e)
	       && same_zone(db, e, &b->fast_ok);
}

static void batch_close(struct batch *b)
{
	buf_release(&b->copy);
	buf_release(&b->hotline);
	free(b->sums);
}

/* Opens the connections of lanes 1…; false (and the lanes stay one at a
 * time for this import, with a warning) if the server refuses them. */
static bool lanes_open(struct lanes *ls)
{
	struct err e = ERR_INIT;

	if (ls->at_once || ls->one_at_a_time)
		return ls->at_once;
	for (int l = 1; l < INTAKE_LANES; l++) {
		struct lane *ln = &ls->lane[l];
		struct db *db = db_connect_like(ls->lane[0].b.db, &e);
		if (!db || !batch_open(&ln->b, db, ls->lane[0].b.opt, &ln->done, &e)) {
			log_warn("call import: lanes one at a time: %s", e.message);
			if (db)
				batch_close(&ln->b);
			db_close(db);
			ln->b.db = NULL;
			ls->one_at_a_time = true;
			return false;
		}
	}
	ls->at_once = true;
	return true;
}

static void lanes_close(struct lanes *ls)
{
	for (int l = 1; l < INTAKE_LANES; l++) {
		if (ls->lane[l].b.db) {
			batch_close(&ls->lane[l].b);
			db_close(ls->lane[l].b.db);
		}
	}
}

/* Stores lane `l`'s records `set` with the lane's batch `b`. */
static void lane_store(struct lane *ln, struct batch *b, int l, struct cdr_set *set)
{
	ln->ok = true;
	err_clear(&ln->err);
	if (!set->nrecs)
		return;
	snprintf(b->lane, sizeof(b->lane), "%d", l);
	b->cdrs = set;
	b->staged = set->nrecs;
	ln->ok = cdr_batch_run(b, &ln->err);
	b->cdrs = NULL;
}

struct lane_job {
	struct lane *lane;
	int l;
	struct cdr_set *set;
};

static void *lane_main(void *arg)
{
	struct lane_job *job = arg;

	lane_store(job->lane, &job->lane->b, job->l, job->set);
	return NULL;
}

/* Stores a chunk's CDRs, lane by lane or at once. */
static void lanes_store(struct lanes *ls, struct import_chunk *ch)
{
	struct lane_job jobs[INTAKE_LANES];
	pthread_t threads[INTAKE_LANES];
	bool running[INTAKE_LANES] = { false };

	if (ch->staged < LANES_AT_ONCE_MIN || !lanes_open(ls)) {
		for (int l = 0; l < INTAKE_LANES; l++) {
			lane_store(&ls->lane[l], &ls->lane[0].b, l, &ch->cdrs[l]);
			if (!ls->lane[l].ok)
				break;
		}
		return;
	}
	for (int l = 1; l < INTAKE_LANES; l++) {
		jobs[l] = (struct lane_job){ &ls->lane[l], l, &ch->cdrs[l] };
		running[l] = !pthread_create(&threads[l], NULL, lane_main, &jobs[l]);
	}
	lane_store(&ls->lane[0], &ls->lane[0].b, 0, &ch->cdrs[0]);
	for (int l = 1; l < INTAKE_LANES; l++) {
		if (running[l])
			pthread_join(threads[l], NULL);
		else		/* no thread: in turn, on its own connection */
			lane_main(&jobs[l]);
	}
}

/* Stores the records of one chunk (none is fine) and adds what the lanes
 * committed to `res`; false with `e` if a lane failed. */
static bool chunk_store(struct lanes *ls, struct import_chunk *ch, struct call_import_result *res,
			struct err *e)
{
	bool ok = true;

	for (int l = 0; l < INTAKE_LANES; l++)
		ls->lane[l].ok = true;
	if (ch->queue && ch->staged) {
		ls->lane[0].b.staged = ch->staged;
		ls->lane[0].ok = queue_store(&ls->lane[0].b, &ch->text, &ls->lane[0].err);
	} else if (ch->staged) {
		lanes_store(ls, ch);
	}
	for (int l = 0; l < INTAKE_LANES; l++) {
		struct lane *ln = &ls->lane[l];
		res->records += ln->done.records;
		res->imported += ln->done.imported;
		res->duplicates += ln->done.duplicates;
		memset(&ln->done, 0, sizeof(ln->done));
		if (!ln->ok && ok) {
			*e = ln->err;
			ok = false;
		}
	}
	return ok;
}

bool call_import(struct db *db, struct cdr_reader *r, const struct call_import_options *opt,
		 struct call_import_result *res, struct err *e)
{
	size_t limit = opt->batch_records ? opt->batch_records : CALL_IMPORT_BATCH_DEFAULT;
	struct import_reading *rd = NULL;
	struct lanes ls;
	bool ok = false;

	memset(res, 0, sizeof(*res));
	memset(&ls, 0, sizeof(ls));
	if (!batch_open(&ls.lane[0].b, db, opt, &ls.lane[0].done, e)
	    || !(rd = import_reading_start(r, opt->settings, limit, e)))
		goto out;
	for (;;) {
		struct import_chunk *ch = import_reading_next(rd);
		bool end = ch->end, stored = false, any = ch->staged > 0;

		report_rejects(opt, res, ch);
		if (ch->format != CDR_AUTO)
			res->format = ch->format;
		if (err_isset(&ch->err))
			*e = ch->err;	/* the chunk's records are not whole: dropped */
		else
			stored = chunk_store(&ls, ch, res, e);
		import_reading_done(rd, ch);
		if (!stored)
			goto out;
		if (any && opt->on_progress)
			opt->on_progress(opt->ctx, res);
		if (end)
			break;
	}
	ok = true;
out:
	import_reading_free(rd);
	lanes_close(&ls);
	batch_close(&ls.lane[0].b);
	return ok;
}
