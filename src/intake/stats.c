#include "intake/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "intake/intake_sql.h"

/* The hourly rollups of [$1, $2) (epoch seconds), for one dialled number
 * ($3) and queue ($4) or all. */
static const char sql_hours[] =
	"SELECT extract(epoch FROM bucket)::bigint AS t, sum(offered) AS offered,"
	" sum(answered) AS answered, sum(abandoned) AS abandoned,"
	" sum(short_abandoned) AS short_abandoned, sum(answered_15s) AS answered_15s,"
	" sum(wait_sum) AS wait_sum, sum(wait_n) AS wait_n, sum(talk_sum) AS talk_sum,"
	" sum(talk_n) AS talk_n"
	" FROM call_hour"
	" WHERE bucket >= to_timestamp($1::bigint) AND bucket < to_timestamp($2::bigint)"
	"  AND ($3::text IS NULL OR dialled = $3::text) AND ($4::text IS NULL OR queue = $4::text)"
	" GROUP BY bucket ORDER BY bucket";

static const char *const granularity_names[] = { "hour", "day", "month" };

bool call_granularity_parse(const char *name, enum call_granularity *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(granularity_names); i++) {
		if (!strcmp(name, granularity_names[i])) {
			*out = (enum call_granularity)i;
			return true;
		}
	}
	return false;
}

/* The counters of one hour, or summed over several. */
struct figures {
	long long offered, answered, abandoned, short_abandoned, answered_15s;
	long long wait_sum, wait_n, talk_sum, talk_n;
};

static void figures_add(struct figures *to, const struct figures *f)
{
	to->offered += f->offered;
	to->answered += f->answered;
	to->abandoned += f->abandoned;
	to->short_abandoned += f->short_abandoned;
	to->answered_15s += f->answered_15s;
	to->wait_sum += f->wait_sum;
	to->wait_n += f->wait_n;
	to->talk_sum += f->talk_sum;
	to->talk_n += f->talk_n;
}

/* A number rounded to `places` decimals, serialised as written ("0.9626",
 * never 0.96260000000000001); JSON null when `den` is 0. */
static json_object *ratio(long long num, long long den, double scale, int places)
{
	char text[48];
	size_t n;

	if (den == 0)
		return NULL;
	snprintf(text, sizeof(text), "%.*f", places, (double)num * scale / (double)den);
	n = strlen(text);
	while (n > 2 && text[n - 1] == '0' && text[n - 2] != '.')
		text[--n] = '\0';
	return json_object_new_double_s(atof(text), text);
}

/* The hours holding the range's first and last offered calls. */
struct data_span {
	long first, last;		/* -1 when no hour has one */
	long min_offered;		/* a window needs at least this many */
};

/*
 * The worst 24-hour window starting in hours [lo, hi] (window i covers
 * hours i … i+23): windows[i] holds its offered and answered. Only windows
 * inside the data count — starting at or after the first offered call's
 * hour, ending at or before the last one's — with at least the span's
 * minimum of offered calls, so that a window of a few calls at the edge of
 * the range does not stand for the service. Returns the window's start
 * index, or -1 when none qualifies.
 */
static long worst_window(const struct figures *windows, long lo, long hi, const struct data_span *d)
{
	long best = -1;

	if (d->first < 0)
		return -1;
	if (lo < d->first)
		lo = d->first;
	if (hi > d->last - 23)
		hi = d->last - 23;
	for (long i = lo; i <= hi; i++) {
		const struct figures *w = &windows[i];
		if (w->offered < d->min_offered)
			continue;
		if (best < 0 || w->answered * windows[best].offered < windows[best].answered * w->offered)
			best = i;
	}
	return best;
}

static void add_time(json_object *o, const char *key, time_t t)
{
	char iso[TIMEUTIL_ISO_LEN];

	time_format_iso(t, iso);
	json_object_object_add(o, key, json_object_new_string(iso));
}

/* The figures of `f` into `o`; `worst` is the worst window's index or -1
 * when there is none (null), `nowindow` true when no window fits (hours). */
static void put_figures(json_object *o, const struct figures *f, const struct figures *windows,
			long worst, time_t from, bool with_standard)
{
	json_object_object_add(o, "offered", json_object_new_int64(f->offered));
	json_object_object_add(o, "answered", json_object_new_int64(f->answered));
	json_object_object_add(o, "abandoned", json_object_new_int64(f->abandoned));
	json_object_object_add(o, "short_abandoned", json_object_new_int64(f->short_abandoned));
	json_object_object_add(o, "connection_rate", ratio(f->answered, f->offered, 1, 4));
	json_object_object_add(o, "service_level_15s", ratio(f->answered_15s, f->offered, 1, 4));
	json_object_object_add(o, "abandon_rate", ratio(f->abandoned, f->offered, 1, 4));
	json_object_object_add(o, "avg_wait_s", ratio(f->wait_sum, f->wait_n, 1, 1));
	json_object_object_add(o, "avg_talk_s", ratio(f->talk_sum, f->talk_n, 1, 1));
	if (worst < 0) {
		json_object_object_add(o, "worst_24h_connection_rate", NULL);
		json_object_object_add(o, "worst_24h_from", NULL);
	} else {
		const struct figures *w = &windows[worst];
		json_object_object_add(o, "worst_24h_connection_rate",
				       ratio(w->answered, w->offered, 1, 4));
		add_time(o, "worst_24h_from", from + (time_t)worst * 3600);
	}
	if (with_standard) {
		/* answered / offered ≥ 95 / 100, in whole numbers */
		json_object_object_add(o, "meets_standard", worst < 0 ? NULL
			: json_object_new_boolean(windows[worst].answered * 100
						  >= windows[worst].offered * 95));
	}
}

static bool whole_hour(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_min == 0 && tm.tm_sec == 0;
}

/* The row an hour belongs to: its index for hours, else the local day or
 * month as a number. */
static long row_key(enum call_granularity g, time_t t, long index)
{
	long day;
	int y, m, d;

	if (g == CALL_BY_HOUR)
		return index;
	day = time_local_day(t);
	if (g == CALL_BY_DAY)
		return day;
	civil_from_days(day, &y, &m, &d);
	return (long)y * 12 + m - 1;
}

/* The start of the row with key `key` (see row_key). */
static time_t row_start(enum call_granularity g, long key, time_t hour)
{
	if (g == CALL_BY_HOUR)
		return hour;
	if (g == CALL_BY_DAY)
		return time_from_local(key, 0, 0, 0);
	return time_from_local(days_from_civil((int)(key / 12), (int)(key % 12) + 1, 1), 0, 0, 0);
}

static bool load_hours(struct db *db, const struct call_stats_query *q, struct figures *hours,
		       long n, struct err *e)
{
	char from[24], to[24];
	struct db_res *r;

	snprintf(from, sizeof(from), "%lld", (long long)q->from);
	snprintf(to, sizeof(to), "%lld", (long long)q->to);
	r = DB_EXEC(db, e, sql_hours, from, to, q->dialled, q->queue);
	if (!r)
		return false;
	for (int i = 0; i < db_res_rows(r); i++) {
		long idx = (long)((db_res_ll(r, i, "t") - (long long)q->from) / 3600);
		struct figures *f;

		if (idx < 0 || idx >= n)
			continue;	/* a bucket off the whole hours of this zone */
		f = &hours[idx];
		f->offered = db_res_ll(r, i, "offered");
		f->answered = db_res_ll(r, i, "answered");
		f->abandoned = db_res_ll(r, i, "abandoned");
		f->short_abandoned = db_res_ll(r, i, "short_abandoned");
		f->answered_15s = db_res_ll(r, i, "answered_15s");
		f->wait_sum = db_res_ll(r, i, "wait_sum");
		f->wait_n = db_res_ll(r, i, "wait_n");
		f->talk_sum = db_res_ll(r, i, "talk_sum");
		f->talk_n = db_res_ll(r, i, "talk_n");
		if (!q->short_abandons_offered) {
			f->offered -= f->short_abandoned;
			f->abandoned -= f->short_abandoned;
		}
	}
	db_res_free(r);
	return true;
}

json_object *call_stats(struct db *db, const struct call_stats_query *q, struct err *e)
{
	struct figures *hours = NULL, *windows = NULL, total = { 0 };
	json_object *out = NULL, *defs, *tot, *rows;
	long n;

	if (!whole_hour(q->from))
		return err_field(e, 422, "from", ERR_NOT_WHOLE_HOUR, "from must be on a whole hour: the statistics are kept per hour"), NULL;
	if (!whole_hour(q->to))
		return err_field(e, 422, "to", ERR_NOT_WHOLE_HOUR, "to must be on a whole hour: the statistics are kept per hour"), NULL;
	if (q->to <= q->from)
		return err_field(e, 422, "to", ERR_BAD_PERIOD, "to must be after from (the range is [from, to))"), NULL;
	n = (long)((q->to - q->from) / 3600);
	if (n > CALL_STATS_MAX_HOURS)
		return err_field(e, 422, "to", ERR_BAD_PERIOD, "the range is %ld hours long: at most %d", n,
				 CALL_STATS_MAX_HOURS), NULL;
	hours = xcalloc((size_t)n, sizeof(*hours));
	windows = xcalloc((size_t)n, sizeof(*windows));
	if (!load_hours(db, q, hours, n, e))
		goto out;

	/* Sliding 24-hour sums: windows[i] covers hours i … i+23. */
	struct figures run = { 0 };
	for (long i = 0; i < n; i++) {
		run.offered += hours[i].offered;
		run.answered += hours[i].answered;
		if (i >= 24) {
			run.offered -= hours[i - 24].offered;
			run.answered -= hours[i - 24].answered;
		}
		if (i >= 23) {
			windows[i - 23].offered = run.offered;
			windows[i - 23].answered = run.answered;
		}
		figures_add(&total, &hours[i]);
	}
	struct data_span span = { -1, -1, q->window_min_offered > 0 ? q->window_min_offered : 1 };
	for (long i = 0; i < n; i++)
		if (hours[i].offered > 0) {
			if (span.first < 0)
				span.first = i;
			span.last = i;
		}

	out = json_object_new_object();
	add_time(out, "from", q->from);
	add_time(out, "to", q->to);
	json_object_object_add(out, "granularity", json_object_new_string(granularity_names[q->granularity]));
	json_object_object_add(out, "dialled", q->dialled ? json_object_new_string(q->dialled) : NULL);
	json_object_object_add(out, "queue", q->queue ? json_object_new_string(q->queue) : NULL);
	defs = json_object_new_object();
	json_object_object_add(defs, "short_abandon_seconds", json_object_new_int(q->short_abandon_seconds));
	json_object_object_add(defs, "short_abandons_offered", json_object_new_boolean(q->short_abandons_offered));
	json_object_object_add(defs, "service_level_seconds", json_object_new_int(INTAKE_SERVICE_LEVEL_SECONDS));
	json_object_object_add(defs, "standard_connection_rate", json_object_new_double_s(INTAKE_STANDARD_RATE, "0.95"));
	json_object_object_add(defs, "window_min_offered", json_object_new_int64(span.min_offered));
	json_object_object_add(out, "definitions", defs);
	tot = json_object_new_object();
	put_figures(tot, &total, windows, n >= 24 ? worst_window(windows, 0, n - 24, &span) : -1, q->from, true);
	json_object_object_add(out, "total", tot);

	rows = json_object_new_array();
	json_object_object_add(out, "rows", rows);
	for (long i = 0; i < n;) {
		time_t t = q->from + (time_t)i * 3600;
		long key = row_key(q->granularity, t, i), j = i;
		struct figures sum = { 0 };
		json_object *row = json_object_new_object();

		while (j < n && row_key(q->granularity, q->from + (time_t)j * 3600, j) == key)
			figures_add(&sum, &hours[j++]);
		add_time(row, "bucket", row_start(q->granularity, key, t));
		/* windows inside the row: starting at i … j-24 */
		put_figures(row, &sum, windows, j - i >= 24 ? worst_window(windows, i, j - 24, &span) : -1,
			    q->from, false);
		json_object_array_add(rows, row);
		i = j;
	}
out:
	free(hours);
	free(windows);
	return out;
}

/* ---- rebuild ---- */

static const char sql_lock_exclusive[] = "SELECT pg_advisory_xact_lock(" INTAKE_LOCK ")";

/* Reclassifies the CDRs ($1 hotline numbers) and lists the calls whose
 * records changed kind. */
static const char sql_reclassify_records[] =
	"CREATE TEMP TABLE rebuild_changed ON COMMIT DROP AS"
	" WITH ch AS (UPDATE call_record"
	"  SET kind = call_kind(dialled, context, last_app, dst_channel, agent, $1::text[])"
	"  WHERE kind <> call_kind(dialled, context, last_app, dst_channel, agent, $1::text[])"
	"  RETURNING coalesce(call_id, key) AS cid)"
	" SELECT DISTINCT cid FROM ch";

/* Folds the CDRs of those calls again, as the import does. */
static const char sql_refold_records[] =
	"UPDATE call c SET cdr_inbound = x.inbound, cdr_excluded = x.excluded,"
	" cdr_answered_at = x.answered_at, cdr_answered = x.answered, cdr_billsec = x.billsec,"
	" cdr_agent = coalesce(x.agent, c.cdr_agent)"
	" FROM (SELECT coalesce(call_id, key) AS cid, bool_or(kind = 'inbound') AS inbound,"
	"  bool_or(kind IN ('outbound', 'other')) AS excluded,"
	"  min(answered_at) FILTER (WHERE connected) AS answered_at, bool_or(connected) AS answered,"
	"  sum(billsec) FILTER (WHERE connected)::int AS billsec,"
	"  min(agent) FILTER (WHERE connected) AS agent"
	"  FROM (SELECT r.*, disposition = 'ANSWERED' AND kind = 'inbound'"
	"   AND (dst_channel IS NOT NULL OR agent IS NOT NULL OR last_app IS NULL) AS connected"
	"   FROM call_record r WHERE coalesce(call_id, key) IN (SELECT cid FROM rebuild_changed)) r"
	"  GROUP BY 1) x"
	" WHERE c.call_id = x.cid";

/* Reclassifies the live events ($1 hotline numbers); the call's kind is
 * that of its first event naming a dialled number. */
static const char sql_reclassify_events[] =
	"WITH ch AS (UPDATE call_event"
	"  SET kind = CASE WHEN dialled = ANY ($1::text[]) THEN 'inbound' ELSE 'other' END"
	"  WHERE dialled IS NOT NULL"
	"   AND kind IS DISTINCT FROM CASE WHEN dialled = ANY ($1::text[]) THEN 'inbound' ELSE 'other' END"
	"  RETURNING call_id)"
	" UPDATE call c SET ev_kind = CASE WHEN f.dialled = ANY ($1::text[]) THEN 'inbound' ELSE 'other' END"
	" FROM (SELECT DISTINCT ON (call_id) call_id, dialled FROM call_event"
	"  WHERE dialled IS NOT NULL AND call_id IN (SELECT call_id FROM ch)"
	"  ORDER BY call_id, at) f"
	" WHERE c.call_id = f.call_id";

/* All the rollups again from the call summaries ($1 short-abandon seconds). */
static const char sql_rollups[] =
	"WITH roll AS ("
	INTAKE_SQL_ROLLUP_FROM("(SELECT date_trunc('hour', call_at(c)) AS bucket,"
			       " coalesce(c.dialled, '') AS dialled, coalesce(c.queue, '') AS queue,"
			       " 1 AS sign, call_answered(c) AS answered, call_abandoned(c) AS abandoned,"
			       " call_wait(c) AS wait_s, call_talk(c) AS talk_s"
			       " FROM call_summaries() c WHERE call_offered(c)) s")
	" RETURNING 1) SELECT count(*) AS n FROM roll";

long call_rollups_rebuild(struct db *db, const struct intake_settings *s, struct err *e)
{
	struct buf hotline = BUF_INIT;
	char seconds[16];
	struct db_res *r = NULL;
	long n = -1;

	intake_hotline_array(s, &hotline);
	snprintf(seconds, sizeof(seconds), "%d", s->short_abandon_seconds);
	if (!db_begin(db, e))
		goto out;
	if (!(r = db_exec(db, sql_lock_exclusive, 0, NULL, e)))
		goto fail;
	db_res_free(r);
	if (!db_run(db, "SET LOCAL work_mem = '256MB'", 0, NULL, e)
	    || !DB_RUN(db, e, sql_reclassify_records, hotline.data)
	    || !db_run(db, sql_refold_records, 0, NULL, e)
	    || !DB_RUN(db, e, sql_reclassify_events, hotline.data)
	    || !db_run(db, "DELETE FROM call_hour", 0, NULL, e))
		goto fail;
	if (!(r = DB_EXEC(db, e, sql_rollups, seconds)))
		goto fail;
	n = (long)db_res_ll(r, 0, "n");
	db_res_free(r);
	if (db_commit(db, e))
		goto out;
fail:
	n = -1;
	db_rollback(db);
out:
	buf_release(&hotline);
	return n;
}
