/*
 * The supervisor's dashboard (/dashboard) and the wallboard (/wallboard).
 *
 * The dashboard shows today and a chosen period (?from=&to=, whole local
 * days, the end day included; this month by default): the connection rate
 * against the 95% line of GB/T 33358-2016 (intake/stats.h), the completion,
 * on-time and satisfaction rates (supervision/stats.h), a 30-day trend and
 * per-unit bars as inline SVG (chart.c), the 三率 ranking with its red and
 * black lists, hot topics, the requests waiting for a decision, the overdue
 * orders by unit, and the count of orders in each state.
 *
 * The wallboard shows today's figures in large type and reloads itself
 * every minute (a <meta http-equiv="refresh">, which the CSP allows).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "intake/settings.h"
#include "intake/stats.h"
#include "orders/orders.h"
#include "supervision/lists.h"
#include "supervision/stats.h"
#include "web/web_private.h"

#define TREND_DAYS 30
#define PERIOD_MAX_DAYS 366
#define BARS_MAX 12
#define HOT_SHOWN 8
#define OVERDUE_PER_UNIT 5
#define DECISIONS_SHOWN 30
#define WALLBOARD_REFRESH_S 60

#define SUPERVISORS (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))

static json_object *member(json_object *o, const char *key)
{
	return json_object_object_get(o, key);
}

/* A rate member as a double, NAN when null or missing. */
static double rate_of(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
	       ? json_object_get_double(v) : NAN;
}

/* ------------------------------------------------------------ the period */

/* Local days [d0, d1): the period's first day and the day after its last. */
struct period {
	long d0, d1;
	char from[11], to[11];		/* the first and the last day, "YYYY-MM-DD" */
};

static void day_text(long day, char out[11])
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* "YYYY-MM-DD" → local day number; false for anything else, an impossible
 * date, or a year outside 2000 to 2100. */
static bool parse_day(const char *s, long *day)
{
	return time_parse_day(s, day) && *day >= days_from_civil(2000, 1, 1)
	       && *day <= days_from_civil(2100, 12, 31);
}

static void period_set(struct period *p, long d0, long d1)
{
	p->d0 = d0;
	p->d1 = d1;
	day_text(d0, p->from);
	day_text(d1 - 1, p->to);
}

/* The first day of the month of `day`. */
static long month_start(long day)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	return days_from_civil(y, m, 1);
}

/*
 * The period of ?from=&to= (this month to today by default). A bad value
 * is named in `e` (422, field "from" or "to") and the default is used.
 */
static void period_from_query(struct http_req *req, long today, struct period *p, struct err *e)
{
	const char *from = http_query(req, "from"), *to = http_query(req, "to");
	long d0 = month_start(today), d1 = today;

	period_set(p, d0, d1 + 1);
	if ((!from || !*from) && (!to || !*to))
		return;
	if (from && *from && !parse_day(from, &d0)) {
		err_field(e, 422, "from", ERR_BAD_DATE, "invalid date \"%s\"", from);
		return;
	}
	if (to && *to && !parse_day(to, &d1)) {
		err_field(e, 422, "to", ERR_BAD_DATE, "invalid date \"%s\"", to);
		return;
	}
	if (d1 < d0 || d1 - d0 + 1 > PERIOD_MAX_DAYS) {
		err_field(e, 422, d1 < d0 ? "from" : "to", ERR_BAD_PERIOD, "the period %s to %s is empty or too long", from, to);
		return;
	}
	period_set(p, d0, d1 + 1);
}

static time_t day_start(long day)
{
	return time_from_local(day, 0, 0, 0);
}

/* The quick choices of the period form. */
static json_object *quick_periods(long today)
{
	struct {
		const char *label;
		long d0, d1;
	} q[] = {
		{ "今天", today, today },
		{ "近 7 天", today - 6, today },
		{ "近 30 天", today - 29, today },
		{ "本月", month_start(today), today },
		{ "上月", month_start(month_start(today) - 1), month_start(today) - 1 },
	};
	json_object *list = json_object_new_array();
	char a[11], b[11];
	struct buf href = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
		json_object *o = json_object_new_object();
		day_text(q[i].d0, a);
		day_text(q[i].d1, b);
		buf_addf(&href, "/dashboard?from=%s&to=%s", a, b);
		json_add_text(o, "label", q[i].label);
		json_add_buf(o, "href", &href);
		json_object_array_add(list, o);
	}
	buf_release(&href);
	return list;
}

/* ------------------------------------------------------------ figures */

/* Call statistics for [d0, d1) by `g`; a new report or NULL with `e`. */
static json_object *calls_for(struct db *db, long d0, long d1, enum call_granularity g, struct err *e)
{
	const struct intake_settings *s = intake_settings();
	struct call_stats_query q = {
		.from = day_start(d0), .to = day_start(d1), .granularity = g,
		.short_abandons_offered = s->short_abandons_offered,
		.short_abandon_seconds = s->short_abandon_seconds,
		.window_min_offered = s->window_min_offered,
	};

	return call_stats(db, &q, e);
}

static void add_meter(json_object *o, const char *key, const char *title, double v, double target)
{
	struct buf svg = BUF_INIT;

	chart_meter(&svg, title, v, target);
	json_add_buf(o, key, &svg);
	buf_release(&svg);
}

static void add_count(json_object *o, const char *key, json_object *from, const char *name)
{
	json_object_object_add(o, key, json_object_new_int64(json_int(from, name, 0)));
}

/*
 * One column of the figures table from a call report's total and an order
 * report's total (either may be NULL): counts, rates as view_rate() objects,
 * the connection rate's meter.
 */
static json_object *figures(json_object *calls, json_object *orders)
{
	json_object *f = json_object_new_object();

	if (calls) {
		add_count(f, "offered", calls, "offered");
		add_count(f, "answered", calls, "answered");
		add_count(f, "abandoned", calls, "abandoned");
		json_object_object_add(f, "connection", view_rate(member(calls, "connection_rate"), INTAKE_STANDARD_RATE));
		json_object_object_add(f, "service_level", view_rate(member(calls, "service_level_15s"), 0));
		json_object_object_add(f, "abandon", view_rate(member(calls, "abandon_rate"), 0));
		add_meter(f, "connection_svg", "接通率", rate_of(calls, "connection_rate"), INTAKE_STANDARD_RATE);
		if (member(calls, "worst_24h_connection_rate")) {
			struct buf b = BUF_INIT;
			json_object_object_add(f, "worst24", view_rate(member(calls, "worst_24h_connection_rate"),
								       INTAKE_STANDARD_RATE));
			view_time(&b, json_str(calls, "worst_24h_from"));
			json_add_buf(f, "worst24_from", &b);
			buf_release(&b);
		}
		if (member(calls, "avg_wait_s")) {
			struct buf b = BUF_INIT;
			buf_addf(&b, "%.1f 秒", json_object_get_double(member(calls, "avg_wait_s")));
			json_add_buf(f, "avg_wait", &b);
			buf_release(&b);
		}
	}
	if (orders) {
		add_count(f, "accepted", orders, "accepted");
		add_count(f, "completed", orders, "completed");
		add_count(f, "rated", orders, "rated");
		json_object_object_add(f, "completion", view_rate(member(orders, "completion_rate"), 0));
		json_object_object_add(f, "on_time", view_rate(member(orders, "on_time_rate"), 0));
		json_object_object_add(f, "satisfaction", view_rate(member(orders, "satisfaction_rate"), 0));
		add_meter(f, "completion_svg", "办结率", rate_of(orders, "completion_rate"), 0);
		add_meter(f, "on_time_svg", "按时办结率", rate_of(orders, "on_time_rate"), 0);
		add_meter(f, "satisfaction_svg", "满意率", rate_of(orders, "satisfaction_rate"), 0);
	}
	return f;
}

/* The two trend charts of the last TREND_DAYS days (`calls`: a daily call report). */
static void add_trend(struct page *pg, json_object *calls, long d0, const double *accepted,
		      const double *completed)
{
	json_object *rows = member(calls, "rows");
	char labels[TREND_DAYS][8], *tips[TREND_DAYS];
	const char *lp[TREND_DAYS];
	double rate[TREND_DAYS];
	struct buf svg = BUF_INIT, tip = BUF_INIT;
	json_object *trend = json_object_new_object();

	for (int i = 0; i < TREND_DAYS; i++) {
		json_object *row = rows ? json_object_array_get_idx(rows, (size_t)i) : NULL;
		int y, m, d;
		civil_from_days(d0 + i, &y, &m, &d);
		snprintf(labels[i], sizeof(labels[i]), "%02d-%02d", m, d);
		lp[i] = labels[i];
		rate[i] = row ? rate_of(row, "connection_rate") : NAN;
		buf_addf(&tip, "%s 接通率 ", labels[i]);
		view_rate_text(&tip, row ? member(row, "connection_rate") : NULL);
		buf_addf(&tip, "（呼入 %lld，接通 %lld）", (long long)json_int(row, "offered", 0),
			 (long long)json_int(row, "answered", 0));
		tips[i] = buf_detach(&tip, NULL);
	}
	struct chart line = { "trend-rate", "近 30 天每日接通率", TREND_DAYS, lp, (const char *const *)tips, 0 };
	struct chart_series rs = { "接通率", "s-rate", rate };
	chart_line(&svg, &line, &rs, INTAKE_STANDARD_RATE, "95% 标准线");
	json_add_buf(trend, "rate_svg", &svg);
	struct chart cols = { "trend-orders", "近 30 天每日受理与办结工单", TREND_DAYS, lp, NULL, 0 };
	struct chart_series cs[2] = {
		{ "受理", "s-accepted", accepted },
		{ "其中已办结", "s-completed", completed },
	};
	chart_columns(&svg, &cols, cs, 2);
	json_add_buf(trend, "orders_svg", &svg);
	json_object_object_add(pg->data, "trend", trend);
	for (int i = 0; i < TREND_DAYS; i++)
		free(tips[i]);
	buf_release(&svg);
	buf_release(&tip);
}

/* The accepted and completed orders of the period's busiest units, as bars. */
static void add_unit_bars(struct page *pg, json_object *report)
{
	json_object *rows = member(report, "rows");
	const char *labels[BARS_MAX];
	char *notes[BARS_MAX];
	double total[BARS_MAX], done[BARS_MAX];
	size_t n = 0;
	struct buf b = BUF_INIT;

	for (size_t i = 0; rows && i < json_object_array_length(rows) && n < BARS_MAX; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		if (!json_str(row, "key"))
			continue;	/* 未派单 */
		labels[n] = json_str(row, "name");
		total[n] = (double)json_int(row, "accepted", 0);
		done[n] = (double)json_int(row, "completed", 0);
		buf_addf(&b, "%lld / %lld · ", (long long)done[n], (long long)total[n]);
		view_rate_text(&b, member(row, "completion_rate"));
		notes[n++] = buf_detach(&b, NULL);
	}
	if (n) {
		struct chart c = { "unit-bars", "各单位受理与办结", n, labels, NULL, 1200 };
		struct chart_series t = { "受理", "s-accepted", total }, p = { "已办结", "s-completed", done };
		chart_hbars(&b, &c, &t, &p, (const char *const *)notes);
		json_add_text(pg->data, "units_svg", b.data);
	}
	for (size_t i = 0; i < n; i++)
		free(notes[i]);
	buf_release(&b);
}

/* The ranking for display: rates as text, the list marks. */
static json_object *ranking_view(json_object *ranking)
{
	json_object *rows = member(ranking, "rows"), *out = json_object_new_array();
	struct buf b = BUF_INIT;

	for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		json_object *v = json_object_new_object();
		const char *list = json_str(row, "list");
		if (member(row, "rank"))
			json_object_object_add(v, "rank", json_object_get(member(row, "rank")));
		json_add_text(v, "name", json_str(row, "name"));
		json_add_text(v, "code", json_str(row, "key"));
		static const char *const rates[] = { "score", "response_rate", "resolution_rate", "satisfaction_rate" };
		for (size_t k = 0; k < 4; k++) {
			view_rate_text(&b, member(row, rates[k]));
			json_add_buf(v, rates[k], &b);
		}
		add_count(v, "dispatched", row, "dispatched");
		add_count(v, "rated", row, "rated");
		json_object_object_add(v, "red", json_object_new_boolean(list && !strcmp(list, "red")));
		json_object_object_add(v, "black", json_object_new_boolean(list && !strcmp(list, "black")));
		json_object_object_add(v, "unranked", json_object_new_boolean(!member(row, "score")));
		json_object_array_add(out, v);
	}
	buf_release(&b);
	return out;
}

/* Hot topics for display: counts and the change against the previous period. */
static json_object *hot_view(json_object *items, const char *name_key)
{
	json_object *out = json_object_new_array();
	struct buf b = BUF_INIT;

	for (size_t i = 0; items && i < json_object_array_length(items) && i < HOT_SHOWN; i++) {
		json_object *t = json_object_array_get_idx(items, i);
		json_object *v = json_object_new_object();
		long long change = json_int(t, "change", 0);
		json_add_text(v, "name", json_str(t, name_key));
		add_count(v, "count", t, "count");
		add_count(v, "previous", t, "previous");
		buf_addf(&b, "%s%lld", change > 0 ? "+" : change < 0 ? "−" : "±", change < 0 ? -change : change);
		json_add_buf(v, "change", &b);
		json_add_text(v, "trend", change > 0 ? "up" : change < 0 ? "down" : "flat");
		json_object_array_add(out, v);
	}
	buf_release(&b);
	return out;
}

static json_object *overdue_view(json_object *overdue)
{
	json_object *units = member(overdue, "departments");
	struct buf b = BUF_INIT;

	for (size_t i = 0; units && i < json_object_array_length(units); i++) {
		json_object *unit = json_object_array_get_idx(units, i);
		json_object *orders = member(unit, "orders");
		json_object_object_add(unit, "any_yellow", json_object_new_boolean(json_int(unit, "yellow", 0) > 0));
		json_object_object_add(unit, "any_red", json_object_new_boolean(json_int(unit, "red", 0) > 0));
		for (size_t k = 0; orders && k < json_object_array_length(orders); k++) {
			json_object *o = json_object_array_get_idx(orders, k);
			json_object *v = json_object_new_object();
			long long s = json_int(o, "overdue_seconds", 0);
			view_time(&b, json_str(o, "handle_deadline"));
			json_add_buf(v, "deadline", &b);
			if (s > 0) {
				buf_adds(&b, "超时 ");
				view_duration(&b, s);
			} else {
				buf_adds(&b, "临期");
			}
			json_add_buf(v, "late", &b);
			json_add_text(v, "category", json_str(member(o, "category"), "name"));
			json_object_object_add(v, "pressed", json_object_new_boolean(json_int(o, "press_count", 0) > 0));
			json_object_object_add(o, "view", v);
		}
	}
	buf_release(&b);
	return json_object_get(overdue);
}

static json_object *decisions_view(json_object *decisions)
{
	json_object *items = member(decisions, "items");
	struct buf b = BUF_INIT;

	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *d = json_object_array_get_idx(items, i);
		json_object *v = json_object_new_object();
		const char *kind = json_str(d, "kind");
		json_add_text(v, "kind", kind && !strcmp(kind, "extension") ? "延期申请" : "退单申请");
		view_time(&b, json_str(d, "requested_at"));
		json_add_buf(v, "at", &b);
		view_duration(&b, json_int(d, "waiting_seconds", 0));
		json_add_buf(v, "waiting", &b);
		view_time(&b, json_str(d, "requested_deadline"));
		json_add_buf(v, "until", &b);
		view_excerpt(&b, json_str(d, "reason"), 40);
		json_add_buf(v, "reason", &b);
		json_object_object_add(d, "view", v);
	}
	json_object_object_add(decisions, "any", json_object_new_boolean(items && json_object_array_length(items) > 0));
	buf_release(&b);
	return json_object_get(decisions);
}

static const char counts_sql[] =
	"SELECT json_build_object("
	" 'by_status', (SELECT coalesce(json_object_agg(status, n), '{}')"
	"   FROM (SELECT status, count(*) AS n FROM work_order GROUP BY status) s),"
	" 'today_new', (SELECT count(*) FROM work_order WHERE created_at >= to_timestamp($1::bigint)),"
	" 'today_done', (SELECT count(*) FROM work_order WHERE completed_at >= to_timestamp($1::bigint))"
	")::text";

/* The counts tiles: every state in lifecycle order, today's figures, the alert colours. */
static bool add_counts(struct page *pg, time_t now, struct err *e)
{
	char since[32];
	struct db_res *r;
	json_object *counts = NULL, *by_status, *tiles;
	long green, yellow, red;

	snprintf(since, sizeof(since), "%lld", (long long)time_from_local(time_local_day(now), 0, 0, 0));
	r = DB_EXEC(pg->db, e, counts_sql, since);
	if (!r)
		return false;
	const char *text = db_res_get(r, 0, 0);
	bool ok = json_parse_object(text, strlen(text), &counts, e);
	db_res_free(r);
	if (!ok || !orders_alert_counts(pg->db, &green, &yellow, &red, e)) {
		json_object_put(counts);
		return false;
	}
	by_status = member(counts, "by_status");
	tiles = json_object_new_array();
	for (int s = 0; s < ST_COUNT; s++) {
		json_object *t = json_object_new_object();
		json_add_text(t, "code", status_code((enum order_status)s));
		json_add_text(t, "name", status_label((enum order_status)s));
		json_object_object_add(t, "n", json_object_new_int64(json_int(by_status, status_code((enum order_status)s), 0)));
		json_object_array_add(tiles, t);
	}
	json_object_object_add(pg->data, "status_counts", tiles);
	add_count(pg->data, "today_new", counts, "today_new");
	add_count(pg->data, "today_done", counts, "today_done");
	json_object *alerts = json_object_new_object();
	json_object_object_add(alerts, "green", json_object_new_int64(green));
	json_object_object_add(alerts, "yellow", json_object_new_int64(yellow));
	json_object_object_add(alerts, "red", json_object_new_int64(red));
	json_object_object_add(alerts, "any_red", json_object_new_boolean(red > 0));
	json_object_object_add(alerts, "any_yellow", json_object_new_boolean(yellow > 0));
	json_object_object_add(pg->data, "alerts", alerts);
	json_object_put(counts);
	return true;
}

/* ------------------------------------------------------------ pages */

/*
 * The pages read in one read-only snapshot, so that their figures agree
 * with each other, and with JIT off as the statistics module does for its
 * own short scans; the statistics calls then skip their own BEGIN, SET and
 * ROLLBACK (four round trips each). End with db_rollback().
 */
static bool read_snapshot(struct db *db, struct err *e)
{
	if (!db_run(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, e))
		return false;
	if (db_run(db, "SET LOCAL jit = off", 0, NULL, e))
		return true;
	db_rollback(db);
	return false;
}

/* The parts both pages share: counts, today's and the trend's call figures. */
struct today {
	json_object *trend_calls;	/* daily call report of the last TREND_DAYS days */
	json_object *calls;		/* today's row of it (borrowed) */
	json_object *orders;		/* today's order report */
};

static void today_release(struct today *t)
{
	json_object_put(t->trend_calls);
	json_object_put(t->orders);
	memset(t, 0, sizeof(*t));
}

static bool today_load(struct page *pg, long today, struct today *t, struct err *e)
{
	json_object *rows;

	memset(t, 0, sizeof(*t));
	if (!(t->trend_calls = calls_for(pg->db, today - TREND_DAYS + 1, today + 1, CALL_BY_DAY, e))
	    || !(t->orders = stats_orders(pg->db, day_start(today), day_start(today + 1), STAT_BY_CHANNEL, e)))
		return false;
	rows = member(t->trend_calls, "rows");
	t->calls = rows && json_object_array_length(rows) ? json_object_array_get_idx(rows, json_object_array_length(rows) - 1) : NULL;
	return true;
}

/*
 * The callers' chase-ups (催办, 重复来电) in [from, to) by the unit that had
 * the order then or has it now (its lead unit as it stands), most first:
 * [{"code", "name", "n"}]. Returns a new array, or NULL with `e`.
 */
static json_object *chases_by_unit(struct db *db, time_t from, time_t to, struct err *e)
{
	char f[32], t[32];
	struct db_res *r;
	json_object *out;

	snprintf(f, sizeof(f), "%lld", (long long)from);
	snprintf(t, sizeof(t), "%lld", (long long)to);
	r = DB_EXEC(db, e,
		    "SELECT coalesce(ld.code, '') AS code, coalesce(ld.name, '未派单') AS name, count(*) AS n"
		    " FROM order_event ev JOIN work_order o ON o.id = ev.order_id"
		    " LEFT JOIN department ld ON ld.id = o.lead_department_id"
		    " WHERE ev.action = 'chase' AND ev.at >= to_timestamp($1::bigint)"
		    " AND ev.at < to_timestamp($2::bigint)"
		    " GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 12", f, t);
	if (!r)
		return NULL;
	out = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *u = json_object_new_object();
		json_add_text(u, "code", db_res_str(r, i, "code"));
		json_add_text(u, "name", db_res_str(r, i, "name"));
		json_object_object_add(u, "n", json_object_new_int64(db_res_ll(r, i, "n")));
		json_object_array_add(out, u);
	}
	db_res_free(r);
	return out;
}

void page_dashboard(struct http_req *req)
{
	struct err e = ERR_INIT, pe = ERR_INIT;
	time_t now = time(NULL);
	long today = time_local_day(now);
	struct today t = { 0 };
	struct period p;
	struct page pg;
	json_object *pcalls = NULL, *porders = NULL, *ranking = NULL, *hot = NULL, *overdue = NULL;
	json_object *decisions = NULL, *period, *chases = NULL;
	char today_text[11];
	double accepted[TREND_DAYS], completed[TREND_DAYS];
	time_t from, to;
	int status = 200;

	if (!page_begin(req, SUPERVISORS, "监督看板", &pg))
		return;
	period_from_query(req, today, &p, &pe);
	if (err_isset(&pe)) {
		json_object *values = json_object_new_object();
		json_add_text(values, "from", http_query(req, "from"));
		json_add_text(values, "to", http_query(req, "to"));
		page_form_error(&pg, &pe, NULL);
		json_object_object_add(pg.data, "form", values);
		status = 422;
	}
	from = day_start(p.d0);
	to = day_start(p.d1);
	if (!read_snapshot(pg.db, &e) || !add_counts(&pg, now, &e) || !today_load(&pg, today, &t, &e)
	    || !stats_orders_by_day(pg.db, today - TREND_DAYS + 1, TREND_DAYS, accepted, completed, &e)
	    || !(pcalls = calls_for(pg.db, p.d0, p.d1, CALL_BY_MONTH, &e))
	    || !(porders = stats_orders(pg.db, from, to, STAT_BY_DEPARTMENT, &e))
	    || !(ranking = stats_ranking(pg.db, from, to, &e))
	    || !(hot = stats_hot_topics(pg.db, from, to, HOT_SHOWN, &e))
	    || !(overdue = supervision_overdue(pg.db, pg.who, NULL, OVERDUE_PER_UNIT, &e))
	    || !(decisions = supervision_pending_decisions(pg.db, pg.who, NULL, NULL, DECISIONS_SHOWN, &e))
	    || !(chases = chases_by_unit(pg.db, from, to, &e))) {
		page_fail(req, &e);
		goto out;
	}
	/* Every count opens the orders behind it: a search (/search) by date. */
	day_text(today, today_text);
	json_add_text(pg.data, "today_date", today_text);
	json_object_object_add(pg.data, "chases", json_object_get(chases));
	json_object_object_add(pg.data, "any_chases", json_object_new_boolean(json_object_array_length(chases) > 0));
	period = json_object_new_object();
	json_add_text(period, "from", p.from);
	json_add_text(period, "to", p.to);
	json_object_object_add(period, "quick", quick_periods(today));
	json_object_object_add(pg.data, "period", period);
	if (!json_object_object_get_ex(pg.data, "form", NULL)) {
		json_object *values = json_object_new_object();
		json_add_text(values, "from", p.from);
		json_add_text(values, "to", p.to);
		json_object_object_add(pg.data, "form", values);
	}
	json_object_object_add(pg.data, "today", figures(t.calls, member(t.orders, "total")));
	json_object_object_add(pg.data, "sel", figures(member(pcalls, "total"), member(porders, "total")));
	add_trend(&pg, t.trend_calls, today - TREND_DAYS + 1, accepted, completed);
	add_unit_bars(&pg, porders);
	json_object_object_add(pg.data, "ranking", ranking_view(ranking));
	json_object_object_add(pg.data, "red_list", json_object_get(member(ranking, "red_list")));
	json_object_object_add(pg.data, "black_list", json_object_get(member(ranking, "black_list")));
	json_object_object_add(pg.data, "hot_categories", hot_view(member(hot, "categories"), "name"));
	json_object_object_add(pg.data, "hot_addresses", hot_view(member(hot, "addresses"), "address"));
	json_object_object_add(pg.data, "overdue", overdue_view(overdue));
	json_object_object_add(pg.data, "decisions", decisions_view(decisions));
	page_render(&pg, status, "dashboard");
out:
	db_rollback(pg.db);
	today_release(&t);
	json_object_put(pcalls);
	json_object_put(porders);
	json_object_put(ranking);
	json_object_put(hot);
	json_object_put(overdue);
	json_object_put(decisions);
	json_object_put(chases);
	page_end(&pg);
}

void page_wallboard(struct http_req *req)
{
	struct err e = ERR_INIT;
	time_t now = time(NULL);
	long today = time_local_day(now);
	struct today t = { 0 };
	struct page pg;
	json_object *decisions = NULL;
	double accepted[TREND_DAYS], completed[TREND_DAYS];
	char stamp[TIMEUTIL_ISO_LEN];
	struct buf b = BUF_INIT;

	if (!page_begin(req, SUPERVISORS, "大屏", &pg))
		return;
	if (!read_snapshot(pg.db, &e) || !add_counts(&pg, now, &e) || !today_load(&pg, today, &t, &e)
	    || !stats_orders_by_day(pg.db, today - TREND_DAYS + 1, TREND_DAYS, accepted, completed, &e)
	    || !(decisions = supervision_pending_decisions(pg.db, pg.who, NULL, NULL, 1, &e))) {
		page_fail(req, &e);
		goto out;
	}
	json_object_object_add(pg.data, "today", figures(t.calls, member(t.orders, "total")));
	add_trend(&pg, t.trend_calls, today - TREND_DAYS + 1, accepted, completed);
	json_object_object_add(pg.data, "decision_counts", json_object_get(member(decisions, "counts")));
	json_object_object_add(pg.data, "refresh", json_object_new_int(WALLBOARD_REFRESH_S));
	time_format_iso(now, stamp);
	view_time(&b, stamp);
	json_add_text(pg.data, "updated", b.data);
	page_render(&pg, 200, "wallboard");
out:
	db_rollback(pg.db);
	buf_release(&b);
	today_release(&t);
	json_object_put(decisions);
	page_end(&pg);
}
