#include "supervision/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "orders/deadline.h"
#include "orders/recompute.h"
#include "supervision/settings.h"
#include "supervision/sv_private.h"

/*
 * The rollup's counters, each named once here: X(NAME, column, position)
 * gives the enum's C_NAME, the column of stat_rollup and stat_rollup_month
 * (and of the sums and the report's JSON), and its 1-based position in the
 * array stat_facts() returns (migrations/0006_supervision.sql and
 * 0008_stat_month.sql, which are applied and never edited: a counter added
 * here needs a migration of its own). The enum, the names and the SQL
 * below are generated from this list.
 */
#define STAT_COUNTERS(X) \
	X(ACCEPTED, accepted, 1) \
	X(COMPLETED, completed, 2) \
	X(ON_TIME, on_time, 3) \
	X(DISPATCHED, dispatched, 4) \
	X(SIGNED_TIMELY, signed_timely, 5) \
	X(RESPONDED, responded, 6) \
	X(RETURNED, returned, 7) \
	X(EXTENDED, extended, 8) \
	X(REPLIED, replied, 9) \
	X(REOPENED, reopened, 10) \
	X(CALLBACK_DUE, callback_due, 11) \
	X(RATED, rated, 12) \
	X(SATISFIED, satisfied, 13) \
	X(SOLVED, solved, 14) \
	X(UNREACHABLE, unreachable, 15) \
	X(TRANSFERRED, transferred, 16) \
	X(MERGED, merged, 17) \
	X(HANDLED, handled, 18) \
	X(HANDLING_SECONDS, handling_seconds, 19)

enum counter {
#define COUNTER_ENUM(name, column, position) C_##name,
	STAT_COUNTERS(COUNTER_ENUM)
#undef COUNTER_ENUM
	C_COUNT
};

/* The list is in stat_facts() order: each position is its index + 1. */
#define COUNTER_POSITION(name, column, position) \
	_Static_assert(C_##name + 1 == position, "stat_facts() position of " #column);
STAT_COUNTERS(COUNTER_POSITION)
#undef COUNTER_POSITION

static const char *const counter_names[C_COUNT] = {
#define COUNTER_NAME(name, column, position) [C_##name] = #column,
	STAT_COUNTERS(COUNTER_NAME)
#undef COUNTER_NAME
};

static const struct {
	const char *code;
	const char *none;		/* the name of the row of orders without a key */
} kinds[] = {
	[STAT_BY_DEPARTMENT] = { "department", "未派单" },
	[STAT_BY_CATEGORY] = { "category", "未分类" },
	[STAT_BY_DISTRICT] = { "district", "未填区" },
	[STAT_BY_CHANNEL] = { "channel", "" },
	[STAT_BY_REQUEST_TYPE] = { "request_type", "" },
};

int stats_kind_parse(const char *by)
{
	for (int k = STAT_BY_DEPARTMENT; k <= STAT_BY_REQUEST_TYPE; k++)
		if (by && !strcmp(by, kinds[k].code))
			return k;
	return -1;
}

const char *stats_kind_code(enum stat_kind kind)
{
	return kinds[kind].code;
}

/* ------------------------------------------------------------ counting */

struct stat_row {
	bool total;
	char *key;			/* code; NULL for orders without one */
	char *name;
	long long c[C_COUNT];
};

struct stat_table {
	struct stat_row *rows;
	size_t n;
};

static void stat_table_release(struct stat_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].key);
		free(t->rows[i].name);
	}
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/* Select-list items from the list, each with its comma in front, to
 * follow a first item: ", s.accepted, …", ", f[1], …" (stat_facts() by
 * position), ", sum(accepted) AS accepted, …". */
#define ROLLUP_COLUMN(name, column, position) ", s." #column
#define ROLLUP_COLUMNS STAT_COUNTERS(ROLLUP_COLUMN)
#define FACT_COLUMN(name, column, position) ", f[" #position "]"
#define FACT_COLUMNS STAT_COUNTERS(FACT_COLUMN)
#define SUM_COLUMN(name, column, position) ", sum(" #column ") AS " #column
#define SUMS STAT_COUNTERS(SUM_COLUMN)

/*
 * Splits [$1, $2) (epoch seconds) at the local midnights of stat_zone():
 * whole days [d0, d1), of which the whole months [m0, m1) (m0 = m1 = d1
 * when no whole month fits), and [t0, a_end), [b_start, t1), the parts of
 * days at either end, for the orders (empty when the period starts or ends
 * at midnight).
 */
static const char period_sql[] =
	"WITH b AS ("
	" SELECT to_timestamp($1::bigint) AS t0, to_timestamp($2::bigint) AS t1, z,"
	"  (to_timestamp($1::bigint) AT TIME ZONE z)::date"
	"   + CASE WHEN (to_timestamp($1::bigint) AT TIME ZONE z)::time = '00:00' THEN 0 ELSE 1 END AS d0,"
	"  (to_timestamp($2::bigint) AT TIME ZONE z)::date AS d1"
	" FROM stat_zone() AS z),"
	" m AS ("
	" SELECT b.*, (stat_month(d0 - 1) + interval '1 month')::date AS m0, stat_month(d1) AS m1"
	" FROM b)"
	" SELECT d0::text AS d0, d1::text AS d1, d0 < d1 AS whole,"
	"  (CASE WHEN m0 < m1 THEN m0 ELSE d1 END)::text AS m0,"
	"  (CASE WHEN m0 < m1 THEN m1 ELSE d1 END)::text AS m1,"
	"  extract(epoch FROM CASE WHEN d0 < d1 THEN d0::timestamp AT TIME ZONE z ELSE t1 END)::bigint AS a_end,"
	"  extract(epoch FROM CASE WHEN d0 < d1 THEN d1::timestamp AT TIME ZONE z ELSE t1 END)::bigint AS b_start"
	" FROM m";

/* The rollup rows of kind `k` in [lo, hi) of `table`'s `period` column
 * (parameters as "$n"). */
#define ROLLUP_RANGE(table, period, k, lo, hi) \
	" SELECT s.key" ROLLUP_COLUMNS " FROM " table " s" \
	" WHERE s.kind = " k "::smallint AND s." period " >= " lo "::date AND s." period " < " hi "::date"

/* Whole days [d0, m0) and [m1, d1) from stat_rollup and whole months
 * [m0, m1) from stat_rollup_month, of kind `k` (parameters as "$n"). */
#define ROLLUP_PERIOD(k, d0, m0, m1, d1) \
	ROLLUP_RANGE("stat_rollup", "day", k, d0, m0) \
	" UNION ALL" \
	ROLLUP_RANGE("stat_rollup_month", "month", k, m0, m1) \
	" UNION ALL" \
	ROLLUP_RANGE("stat_rollup", "day", k, m1, d1)

/* Follows a CTE "u" of counter rows of kind `k`: their sums by key with
 * the key's code and name, and the total, first. */
#define COUNTS_BY_KEY(k) \
	" g AS (" \
	" SELECT GROUPING(key) = 1 AS total, key" SUMS \
	" FROM u GROUP BY GROUPING SETS ((key), ())" \
	" HAVING GROUPING(key) = 1 OR sum(accepted) > 0 OR sum(merged) > 0)" \
	" SELECT g.*, CASE WHEN " k "::int IN (1, 3) THEN d.code ELSE nullif(g.key, '') END AS code," \
	"  CASE " k "::int WHEN 2 THEN c.name WHEN 4 THEN ch.name WHEN 5 THEN rt.name ELSE d.name END AS name" \
	" FROM g" \
	" LEFT JOIN department d ON " k "::int IN (1, 3) AND d.id::text = g.key" \
	" LEFT JOIN category c ON " k "::int = 2 AND c.code = g.key" \
	" LEFT JOIN channel ch ON " k "::int = 4 AND ch.code = g.key" \
	" LEFT JOIN request_type rt ON " k "::int = 5 AND rt.code = g.key" \
	" ORDER BY g.total DESC, g.accepted DESC, code"

/*
 * The counters by key of kind $9 and their total: whole days and months
 * [$5, $8) from the rollups as ROLLUP_PERIOD splits them ($5 to $8 NULL:
 * none), orders registered in [$1, $2) and [$3, $4) from the orders
 * themselves. The bounds are plain values, so that the planner sees how
 * small the part-day ranges are and which rollup ranges are empty: it
 * plans this text for every run.
 */
static const char counts_sql[] =
	"WITH direct AS ("
	" SELECT (stat_keys(o))[$9::int] AS key, stat_facts(o, h.seconds) AS f"
	" FROM work_order o LEFT JOIN order_handling h ON h.order_id = o.id"
	" WHERE o.created_at >= to_timestamp($1::bigint) AND o.created_at < to_timestamp($2::bigint)"
	" UNION ALL"
	" SELECT (stat_keys(o))[$9::int], stat_facts(o, h.seconds)"
	" FROM work_order o LEFT JOIN order_handling h ON h.order_id = o.id"
	" WHERE o.created_at >= to_timestamp($3::bigint) AND o.created_at < to_timestamp($4::bigint)),"
	" u AS ("
	ROLLUP_PERIOD("$9", "$5", "$6", "$7", "$8")
	" UNION ALL"
	" SELECT key" FACT_COLUMNS " FROM direct),"
	COUNTS_BY_KEY("$9");

/*
 * The same for a period of whole days, [$1, $4) split at $2 and $3, of
 * kind $5: the rollups alone (a month's report, a week's, a day's). Its
 * plan does not depend on the bounds, so it is prepared and runs on its
 * generic plan (counts_exec()): planning the text took longer than
 * running it.
 */
static const char counts_rollup_sql[] =
	"WITH u AS (" ROLLUP_PERIOD("$5", "$1", "$2", "$3", "$4") "),"
	COUNTS_BY_KEY("$5");

/*
 * The statistics read in a transaction of their own with JIT compilation
 * off: it would cost more (100-200 ms) than these short scans take. Returns
 * whether a transaction was begun (then end it with read_end()); false with
 * `e` set on failure.
 */
static bool read_begin(struct db *db, bool *began, struct err *e)
{
	*began = false;
	if (db_in_transaction(db))
		return true;
	if (!db_begin(db, e))
		return false;
	*began = true;
	if (DB_RUN(db, e, "SET LOCAL jit = off"))
		return true;
	db_rollback(db);
	*began = false;
	return false;
}

/* Ends what read_begin() began; the transaction only read. */
static void read_end(struct db *db, bool began)
{
	if (began)
		db_rollback(db);
}

/* Runs counts_rollup_sql or counts_sql for [from, to) and `kind`. */
static struct db_res *counts_exec(struct db *db, time_t from, time_t to, enum stat_kind kind,
				  struct err *e)
{
	char t0[24], t1[24], k[4];
	const char *d[4] = { NULL, NULL, NULL, NULL };	/* d0, m0, m1, d1 */
	const char *a_end, *b_start;
	struct db_res *p, *r = NULL;
	bool began;

	snprintf(t0, sizeof(t0), "%lld", (long long)from);
	snprintf(t1, sizeof(t1), "%lld", (long long)to);
	snprintf(k, sizeof(k), "%d", (int)kind);
	if (!read_begin(db, &began, e))
		return NULL;
	p = DB_EXEC_P(db, e, period_sql, t0, t1);
	if (!p)
		goto out;
	if (db_res_bool(p, 0, "whole")) {
		d[0] = db_res_str(p, 0, "d0");
		d[1] = db_res_str(p, 0, "m0");
		d[2] = db_res_str(p, 0, "m1");
		d[3] = db_res_str(p, 0, "d1");
	}
	a_end = db_res_str(p, 0, "a_end");
	b_start = db_res_str(p, 0, "b_start");
	if (d[0] && !strcmp(a_end, t0) && !strcmp(b_start, t1)) {
		/* whole days: the generic plan, in a transaction of our own
		 * (in a caller's, the setting would outlive the statement) */
		if (!began || DB_RUN(db, e, "SET LOCAL plan_cache_mode = force_generic_plan"))
			r = DB_EXEC_P(db, e, counts_rollup_sql, d[0], d[1], d[2], d[3], k);
	} else {
		r = DB_EXEC(db, e, counts_sql, t0, a_end, b_start, t1, d[0], d[1], d[2], d[3], k);
	}
	db_res_free(p);
out:
	read_end(db, began);
	return r;
}

/* The counters of [from, to) by `kind`, the total first. */
static bool stat_query(struct db *db, time_t from, time_t to, enum stat_kind kind,
		       struct stat_table *t, struct err *e)
{
	struct db_res *r;
	int cols[C_COUNT];

	t->rows = NULL;
	t->n = 0;
	r = counts_exec(db, from, to, kind, e);
	if (!r)
		return false;
	for (int k = 0; k < C_COUNT; k++)
		cols[k] = db_res_col(r, counter_names[k]);
	t->n = (size_t)db_res_rows(r);
	t->rows = xcalloc(t->n ? t->n : 1, sizeof(*t->rows));
	for (size_t i = 0; i < t->n; i++) {
		struct stat_row *row = &t->rows[i];
		const char *code = db_res_str(r, (int)i, "code");

		row->total = db_res_bool(r, (int)i, "total");
		row->key = *code ? xstrdup(code) : NULL;
		row->name = xstrdup(row->total ? "合计"
				    : *code ? db_res_str(r, (int)i, "name") : kinds[kind].none);
		for (int k = 0; k < C_COUNT; k++)
			row->c[k] = atoll(db_res_get(r, (int)i, cols[k]));
	}
	db_res_free(r);
	return true;
}

double sv_ratio(long long num, long long den)
{
	return den > 0 ? (double)num / (double)den : NAN;
}

static void add_rate(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, sv_number(v, 4));
}

/* The report's measures of one row: rates first, then the counts behind them. */
static void metrics_add(json_object *o, const long long *c)
{
	json_object_object_add(o, counter_names[C_ACCEPTED], json_object_new_int64(c[C_ACCEPTED]));
	json_object_object_add(o, counter_names[C_COMPLETED], json_object_new_int64(c[C_COMPLETED]));
	add_rate(o, "completion_rate", sv_ratio(c[C_COMPLETED], c[C_ACCEPTED]));
	add_rate(o, "on_time_rate", sv_ratio(c[C_ON_TIME], c[C_COMPLETED]));
	add_rate(o, "timely_sign_rate", sv_ratio(c[C_SIGNED_TIMELY], c[C_DISPATCHED]));
	add_rate(o, "return_rate", sv_ratio(c[C_RETURNED], c[C_DISPATCHED]));
	add_rate(o, "reopen_rate", sv_ratio(c[C_REOPENED], c[C_REPLIED]));
	add_rate(o, "callback_rate", sv_ratio(c[C_RATED], c[C_CALLBACK_DUE]));
	add_rate(o, "satisfaction_rate", sv_ratio(c[C_SATISFIED], c[C_RATED]));
	add_rate(o, "resolution_rate", sv_ratio(c[C_SOLVED], c[C_RATED]));
	add_rate(o, "response_rate", sv_ratio(c[C_RESPONDED], c[C_DISPATCHED]));
	json_object_object_add(o, "avg_handling_workdays",
			       sv_number(sv_ratio(c[C_HANDLING_SECONDS], c[C_HANDLED]) / 86400.0, 2));
	for (int k = C_ON_TIME; k < C_HANDLING_SECONDS; k++)
		if (k != C_COMPLETED)
			json_object_object_add(o, counter_names[k], json_object_new_int64(c[k]));
}

static bool check_period(time_t from, time_t to, struct err *e)
{
	if (from >= to)
		return err_field(e, 400, "to", ERR_BAD_PERIOD, "the period is empty: \"to\" must be later than \"from\"");
	return true;
}

static json_object *period_json(time_t from, time_t to)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "from", sv_time(from));
	json_object_object_add(o, "to", sv_time(to));
	return o;
}

/* Every order has one channel, so the channel rows of a day sum to the day's orders. */
static const char by_day_sql[] =
	"SELECT (day - $1::date) AS i, sum(accepted) AS accepted, sum(completed) AS completed"
	" FROM stat_rollup WHERE kind = $3::smallint AND day >= $1::date AND day < $2::date GROUP BY day";

bool stats_orders_by_day(struct db *db, long d0, int n, double *accepted, double *completed,
			 struct err *e)
{
	char a[16], b[16], k[8];
	struct db_res *r;
	int y, m, d;

	for (int i = 0; i < n; i++)
		accepted[i] = completed[i] = 0;
	civil_from_days(d0, &y, &m, &d);
	snprintf(a, sizeof(a), "%04d-%02d-%02d", y, m, d);
	civil_from_days(d0 + n, &y, &m, &d);
	snprintf(b, sizeof(b), "%04d-%02d-%02d", y, m, d);
	snprintf(k, sizeof(k), "%d", (int)STAT_BY_CHANNEL);
	if (!(r = DB_EXEC(db, e, by_day_sql, a, b, k)))
		return false;
	for (int row = 0; row < db_res_rows(r); row++) {
		long long i = db_res_ll(r, row, "i");
		if (i >= 0 && i < n) {
			accepted[i] = (double)db_res_ll(r, row, "accepted");
			completed[i] = (double)db_res_ll(r, row, "completed");
		}
	}
	db_res_free(r);
	return true;
}

json_object *stats_orders(struct db *db, time_t from, time_t to, enum stat_kind by, struct err *e)
{
	struct stat_table t;
	json_object *out, *rows;

	if (!check_period(from, to, e) || !stat_query(db, from, to, by, &t, e))
		return NULL;
	out = period_json(from, to);
	json_object_object_add(out, "by", json_object_new_string(kinds[by].code));
	rows = json_object_new_array();
	for (size_t i = 0; i < t.n; i++) {
		json_object *row = json_object_new_object();
		if (!t.rows[i].total) {
			json_object_object_add(row, "key", t.rows[i].key ? json_object_new_string(t.rows[i].key) : NULL);
			json_object_object_add(row, "name", json_object_new_string(t.rows[i].name));
		}
		metrics_add(row, t.rows[i].c);
		if (t.rows[i].total)
			json_object_object_add(out, "total", row);
		else
			json_object_array_add(rows, row);
	}
	json_object_object_add(out, "rows", rows);
	stat_table_release(&t);
	return out;
}

/* ------------------------------------------------------------- ranking */

struct ranked {
	const struct stat_row *row;
	double response, resolution, satisfaction;
	double score;			/* rounded to 4 decimals; NAN = unranked */
};

static int by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	bool xs = !isnan(x->score), ys = !isnan(y->score);

	if (xs != ys)
		return xs ? -1 : 1;
	if (xs && x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->row->key, y->row->key);
}

static json_object *list_entry(const struct ranked *k)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(k->row->key));
	json_object_object_add(o, "name", json_object_new_string(k->row->name));
	json_object_object_add(o, "score", sv_number(k->score, 4));
	return o;
}

static json_object *ranking_settings_json(const struct ranking_settings *s)
{
	json_object *o = json_object_new_object();
	json_object *w = json_object_new_object();

	json_object_object_add(w, "response", sv_number(s->w_response, 6));
	json_object_object_add(w, "resolution", sv_number(s->w_resolution, 6));
	json_object_object_add(w, "satisfaction", sv_number(s->w_satisfaction, 6));
	json_object_object_add(o, "weights", w);
	json_object_object_add(o, "red_min", sv_number(s->red_min, 6));
	json_object_object_add(o, "black_max", sv_number(s->black_max, 6));
	json_object_object_add(o, "min_dispatched", json_object_new_int64(s->min_dispatched));
	return o;
}

json_object *stats_ranking(struct db *db, time_t from, time_t to, struct err *e)
{
	struct ranking_settings s;
	struct stat_table t;
	struct ranked *ks;
	size_t n = 0;
	json_object *out, *rows, *red, *black;

	if (!check_period(from, to, e) || !ranking_settings_load(db, &s, e)
	    || !stat_query(db, from, to, STAT_BY_DEPARTMENT, &t, e))
		return NULL;
	ks = xcalloc(t.n ? t.n : 1, sizeof(*ks));
	for (size_t i = 0; i < t.n; i++) {
		const struct stat_row *row = &t.rows[i];
		struct ranked *k = &ks[n];

		if (row->total || !row->key || row->c[C_DISPATCHED] == 0)
			continue;
		k->row = row;
		k->response = sv_ratio(row->c[C_RESPONDED], row->c[C_DISPATCHED]);
		k->resolution = sv_ratio(row->c[C_SOLVED], row->c[C_RATED]);
		k->satisfaction = sv_ratio(row->c[C_SATISFIED], row->c[C_RATED]);
		k->score = NAN;
		if (row->c[C_DISPATCHED] >= s.min_dispatched && !isnan(k->response)
		    && !isnan(k->resolution) && !isnan(k->satisfaction))
			k->score = sv_round(s.w_response * k->response + s.w_resolution * k->resolution
					    + s.w_satisfaction * k->satisfaction, 4);
		n++;
	}
	qsort(ks, n, sizeof(*ks), by_score);

	out = period_json(from, to);
	json_object_object_add(out, "settings", ranking_settings_json(&s));
	rows = json_object_new_array();
	red = json_object_new_array();
	black = json_object_new_array();
	for (size_t i = 0, rank = 0; i < n; i++) {
		const struct ranked *k = &ks[i];
		json_object *o = json_object_new_object();
		const char *list = NULL;

		if (!isnan(k->score)) {
			if (i == 0 || k->score != ks[i - 1].score)
				rank = i + 1;
			if (k->score >= s.red_min - 1e-9)
				list = "red";
			else if (k->score < s.black_max - 1e-9)
				list = "black";
		}
		json_object_object_add(o, "rank", isnan(k->score) ? NULL : json_object_new_int64((int64_t)rank));
		json_object_object_add(o, "key", json_object_new_string(k->row->key));
		json_object_object_add(o, "name", json_object_new_string(k->row->name));
		json_object_object_add(o, "score", sv_number(k->score, 4));
		add_rate(o, "response_rate", k->response);
		add_rate(o, "resolution_rate", k->resolution);
		add_rate(o, "satisfaction_rate", k->satisfaction);
		json_object_object_add(o, "dispatched", json_object_new_int64(k->row->c[C_DISPATCHED]));
		json_object_object_add(o, "rated", json_object_new_int64(k->row->c[C_RATED]));
		json_object_object_add(o, "list", list ? json_object_new_string(list) : NULL);
		json_object_array_add(rows, o);
		if (list)
			json_object_array_add(!strcmp(list, "red") ? red : black, list_entry(k));
	}
	json_object_object_add(out, "rows", rows);
	json_object_object_add(out, "red_list", red);
	json_object_object_add(out, "black_list", black);
	free(ks);
	stat_table_release(&t);
	return out;
}

/* ---------------------------------------------------------- hot topics */

static json_object *change_json(json_object *o, long long now, long long before)
{
	json_object_object_add(o, "count", json_object_new_int64(now));
	json_object_object_add(o, "previous", json_object_new_int64(before));
	json_object_object_add(o, "change", json_object_new_int64(now - before));
	json_object_object_add(o, "change_rate", sv_number(sv_ratio(now - before, before), 4));
	return o;
}

static long long topic_count(const struct stat_row *r)
{
	return r->c[C_ACCEPTED] + r->c[C_MERGED];
}

static int by_topic_count(const void *a, const void *b)
{
	const struct stat_row *x = *(const struct stat_row *const *)a;
	const struct stat_row *y = *(const struct stat_row *const *)b;

	if (topic_count(x) != topic_count(y))
		return topic_count(x) > topic_count(y) ? -1 : 1;
	return strcmp(x->key, y->key);
}

static json_object *hot_categories(struct db *db, time_t from, time_t to, time_t prev,
				   int limit, struct err *e)
{
	struct stat_table now, before;
	const struct stat_row **top;
	size_t n = 0;
	json_object *arr = NULL;

	if (!stat_query(db, from, to, STAT_BY_CATEGORY, &now, e))
		return NULL;
	if (!stat_query(db, prev, from, STAT_BY_CATEGORY, &before, e)) {
		stat_table_release(&now);
		return NULL;
	}
	top = xcalloc(now.n ? now.n : 1, sizeof(*top));
	for (size_t i = 0; i < now.n; i++)
		if (!now.rows[i].total && now.rows[i].key && topic_count(&now.rows[i]) > 0)
			top[n++] = &now.rows[i];
	qsort(top, n, sizeof(*top), by_topic_count);
	arr = json_object_new_array();
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		long long earlier = 0;
		json_object *o = json_object_new_object();

		for (size_t j = 0; j < before.n; j++)
			if (!before.rows[j].total && before.rows[j].key && !strcmp(before.rows[j].key, top[i]->key))
				earlier = topic_count(&before.rows[j]);
		json_object_object_add(o, "key", json_object_new_string(top[i]->key));
		json_object_object_add(o, "name", json_object_new_string(top[i]->name));
		json_object_array_add(arr, change_json(o, topic_count(top[i]), earlier));
	}
	free(top);
	stat_table_release(&now);
	stat_table_release(&before);
	return arr;
}

static json_object *hot_addresses(struct db *db, time_t from, time_t to, time_t prev,
				  int limit, struct err *e)
{
	static const char sql[] =
		"SELECT btrim(address) AS address,"
		" count(*) FILTER (WHERE created_at >= to_timestamp($2::bigint)) AS count,"
		" count(*) FILTER (WHERE created_at < to_timestamp($2::bigint)) AS previous"
		" FROM work_order"
		" WHERE created_at >= to_timestamp($1::bigint) AND created_at < to_timestamp($3::bigint)"
		"  AND btrim(address) <> ''"
		" GROUP BY 1 HAVING count(*) FILTER (WHERE created_at >= to_timestamp($2::bigint)) > 0"
		" ORDER BY 2 DESC, 3 DESC, 1 LIMIT $4::integer";
	char p1[24], p2[24], p3[24], lim[16];
	struct db_res *r;
	json_object *arr;
	bool began;

	snprintf(p1, sizeof(p1), "%lld", (long long)prev);
	snprintf(p2, sizeof(p2), "%lld", (long long)from);
	snprintf(p3, sizeof(p3), "%lld", (long long)to);
	snprintf(lim, sizeof(lim), "%d", limit);
	if (!read_begin(db, &began, e))
		return NULL;
	r = DB_EXEC(db, e, sql, p1, p2, p3, lim);
	read_end(db, began);
	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "address", json_object_new_string(db_res_str(r, i, "address")));
		json_object_array_add(arr, change_json(o, db_res_ll(r, i, "count"),
						       db_res_ll(r, i, "previous")));
	}
	db_res_free(r);
	return arr;
}

json_object *stats_hot_topics(struct db *db, time_t from, time_t to, int limit, struct err *e)
{
	time_t prev = from - (to - from);
	json_object *out, *cats, *addrs, *previous;

	if (!check_period(from, to, e))
		return NULL;
	if (limit < 1 || limit > HOT_TOPICS_MAX)
		return err_field(e, 400, "limit", ERR_OUT_OF_RANGE, "limit %d is out of range 1 to %d", limit, HOT_TOPICS_MAX), NULL;
	if (!(cats = hot_categories(db, from, to, prev, limit, e)))
		return NULL;
	if (!(addrs = hot_addresses(db, from, to, prev, limit, e))) {
		json_object_put(cats);
		return NULL;
	}
	out = period_json(from, to);
	previous = period_json(prev, from);
	json_object_object_add(out, "previous", previous);
	json_object_object_add(out, "categories", cats);
	json_object_object_add(out, "addresses", addrs);
	return out;
}

/* ------------------------------------------------------ handling times */

bool stats_on_change(struct db *db, const struct order_change *c, struct err *e)
{
	struct db_res *r;
	char secs[24];
	long s;

	if (c->from == c->to || (c->to != ST_COMPLETED && c->to != ST_TRANSFERRED))
		return true;
	r = DB_EXEC(db, e,
		    "SELECT extract(epoch FROM created_at)::bigint AS created,"
		    " extract(epoch FROM completed_at)::bigint AS completed"
		    " FROM work_order WHERE id = $1::bigint AND completed_at IS NOT NULL", c->order_id);
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return true;
	}
	s = deadline_working_seconds((time_t)db_res_ll(r, 0, "created"),
				     (time_t)db_res_ll(r, 0, "completed"));
	db_res_free(r);
	snprintf(secs, sizeof(secs), "%ld", s);
	return DB_RUN(db, e,
		      "INSERT INTO order_handling (order_id, seconds) VALUES ($1::bigint, $2::bigint)"
		      " ON CONFLICT (order_id) DO UPDATE SET seconds = EXCLUDED.seconds, computed_at = now()",
		      c->order_id, secs);
}

/* Handling times gathered for one statement: two array literals. */
struct handling_set {
	struct buf ids, secs;
	long n;
};

#define HANDLING_SET_INIT { BUF_INIT, BUF_INIT, 0 }

static void handling_add(struct handling_set *set, const char *order_id, long secs)
{
	buf_addf(&set->ids, "%s%s", set->n ? "," : "{", order_id);
	buf_addf(&set->secs, "%s%ld", set->n ? "," : "{", secs);
	set->n++;
}

/* Stores the gathered handling times (new or replacing) and empties `set`. */
static bool handling_store(struct db *db, struct handling_set *set, struct err *e)
{
	bool ok = true;

	if (set->n) {
		buf_addch(&set->ids, '}');
		buf_addch(&set->secs, '}');
		ok = DB_RUN(db, e,
			    "INSERT INTO order_handling (order_id, seconds)"
			    " SELECT * FROM unnest($1::bigint[], $2::bigint[])"
			    " ON CONFLICT (order_id) DO UPDATE SET seconds = EXCLUDED.seconds,"
			    " computed_at = now()",
			    set->ids.data, set->secs.data);
	}
	buf_release(&set->ids);
	buf_release(&set->secs);
	set->n = 0;
	return ok;
}

bool stats_recompute_handling(struct db *db, int year, const struct calendar *after,
			      long *changed, struct err *e)
{
	struct handling_set set = HANDLING_SET_INIT;
	struct db_res *r;
	char y[16];

	snprintf(y, sizeof(y), "%d", year);
	r = DB_EXEC(db, e,
		    "SELECT o.id, h.seconds, extract(epoch FROM o.created_at)::bigint AS created,"
		    " extract(epoch FROM o.completed_at)::bigint AS completed"
		    " FROM order_handling h JOIN work_order o ON o.id = h.order_id"
		    " WHERE " RECOMPUTE_SPAN_MAY_TOUCH("o.created_at", "o.completed_at", "$1")
		    " ORDER BY o.id", y);
	if (!r)
		return false;
	for (int i = 0; i < db_res_rows(r); i++) {
		long s = calendar_working_seconds(after, (time_t)db_res_ll(r, i, "created"),
						  (time_t)db_res_ll(r, i, "completed"));

		if (s != (long)db_res_ll(r, i, "seconds"))
			handling_add(&set, db_res_str(r, i, "id"), s);
	}
	db_res_free(r);
	*changed += set.n;
	return handling_store(db, &set, e);
}

#define HANDLING_BATCH 10000

/* One batch of handling times after order id `after`; the number done, or -1. */
static long handling_batch(struct db *db, bool all, long long *after, struct err *e)
{
	struct handling_set set = HANDLING_SET_INIT;
	char from[24], lim[16];
	struct db_res *r;
	long n;

	snprintf(from, sizeof(from), "%lld", *after);
	snprintf(lim, sizeof(lim), "%d", HANDLING_BATCH);
	r = DB_EXEC(db, e,
		    "SELECT o.id, extract(epoch FROM o.created_at)::bigint AS created,"
		    " extract(epoch FROM o.completed_at)::bigint AS completed FROM work_order o"
		    " WHERE o.id > $1::bigint AND o.status IN ('completed', 'transferred', 'archived')"
		    "  AND o.merged_into IS NULL AND o.completed_at IS NOT NULL"
		    "  AND ($2::boolean OR NOT EXISTS (SELECT 1 FROM order_handling h WHERE h.order_id = o.id))"
		    " ORDER BY o.id LIMIT $3::integer",
		    from, all ? "true" : "false", lim);
	if (!r)
		return -1;
	n = db_res_rows(r);
	for (int i = 0; i < n; i++)
		handling_add(&set, db_res_str(r, i, "id"),
			     deadline_working_seconds((time_t)db_res_ll(r, i, "created"),
						      (time_t)db_res_ll(r, i, "completed")));
	if (n)
		*after = db_res_ll(r, (int)n - 1, "id");
	db_res_free(r);
	return handling_store(db, &set, e) ? n : -1;
}

bool stats_rebuild(struct db *db, bool all_handling, long *handling, long *rows, struct err *e)
{
	long long after = 0;
	long n;
	struct db_res *r;

	*handling = *rows = 0;
	/* The triggers are off for the handling times: the rollup is recounted
	 * after them, in the same transaction. */
	if (!db_begin(db, e) || !DB_RUN(db, e, "SELECT set_config('hotline.stat_sync', 'off', true)"))
		goto fail;
	while ((n = handling_batch(db, all_handling, &after, e)) > 0)
		*handling += n;
	if (n < 0 || !DB_RUN(db, e, "SELECT set_config('hotline.stat_sync', '', true)"))
		goto fail;
	r = db_exec(db, "SELECT stat_rebuild() AS n", 0, NULL, e);
	if (!r)
		goto fail;
	*rows = (long)db_res_ll(r, 0, "n");
	db_res_free(r);
	if (db_commit(db, e))
		return true;
fail:
	db_rollback(db);
	return false;
}
