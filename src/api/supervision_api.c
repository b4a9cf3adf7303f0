/*
 * /api/v1/callbacks, /api/v1/supervision, /api/v1/stats and the callback
 * and ranking settings: thin handlers over src/supervision/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/supervision_api.h"
#include "core/array.h"
#include "core/num.h"
#include "supervision/callbacks.h"
#include "supervision/export.h"
#include "supervision/lists.h"
#include "supervision/settings.h"
#include "supervision/stats.h"
#include "supervision/sv_private.h"

/* An optional whole-number query parameter in [min, max]; 0 if absent. */
static bool query_int(struct http_req *req, const char *name, long min, long max, long *out,
		      struct err *e)
{
	const char *v = http_query(req, name);
	long long n;

	*out = 0;
	if (!v || !*v)
		return true;
	if (!num_parse_ll(v, min, max, &n))
		return err_field(e, 400, name, ERR_OUT_OF_RANGE, "parameter \"%s\" is \"%s\": expected a whole number from %ld to %ld",
				 name, v, min, max);
	*out = (long)n;
	return true;
}

/* ------------------------------------------------------------ callbacks */

static void callbacks_list_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct callback_filter f = { 0 };
	const char *due = http_query(req, "due");
	long limit, cursor;
	struct db *db;

	f.status = api_query(req, "status");
	f.due_only = due && (!strcmp(due, "true") || !strcmp(due, "1"));
	if (!query_int(req, "limit", 1, CALLBACK_LIST_MAX, &limit, &e)
	    || !query_int(req, "cursor", 1, (long)(~0UL >> 1), &cursor, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	f.limit = (int)limit;
	f.after = cursor;
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, callbacks_list(db, &f, &e), &e);
}

static void callbacks_next_post(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);
	json_object *task;

	if (!db)
		return;
	task = callbacks_next(db, auth_who(req), &e);
	if (!task && !err_isset(&e))
		http_reply(req, 204, "application/json", "", 0);
	else
		api_reply(req, 200, task, &e);
}

static void callbacks_result_post(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body;
	struct db *db;

	if (!api_input_or_reply(req, &body, &db))
		return;
	struct param_source src = params_from_json(body);
	api_reply(req, 200, callbacks_record(db, auth_who(req), http_param(req, "id"), &src, &e), &e);
	json_object_put(body);
}

/* ------------------------------------------------------------- settings */

static void settings_get(struct http_req *req, const char *group)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, settings_group_get(db, group, &e), &e);
}

static void settings_put(struct http_req *req, const char *group)
{
	struct err e = ERR_INIT;
	json_object *body = api_body_or_reply(req);
	struct db *db;

	if (!body)
		return;
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, settings_group_put(db, group, body, &e), &e);
	json_object_put(body);
}

static void callback_settings_get(struct http_req *req) { settings_get(req, "callbacks"); }
static void callback_settings_put(struct http_req *req) { settings_put(req, "callbacks"); }
static void ranking_settings_get(struct http_req *req) { settings_get(req, "ranking"); }
static void ranking_settings_put(struct http_req *req) { settings_put(req, "ranking"); }

/* ---------------------------------------------------------------- lists */

static void overdue_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	long limit;
	struct db *db;

	if (!query_int(req, "limit", 1, OVERDUE_PER_DEPARTMENT_MAX, &limit, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, supervision_overdue(db, auth_who(req), api_query(req, "department"),
							(int)limit, &e), &e);
}

static void decisions_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	long limit;
	struct db *db;

	if (!query_int(req, "limit", 1, DECISIONS_MAX, &limit, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, supervision_pending_decisions(db, auth_who(req), api_query(req, "kind"),
								  api_query(req, "department"), (int)limit,
								  &e), &e);
}

/* ---------------------------------------------------------------- stats */

/* The period [from, to) of a statistics request; replies 400 and returns false if wrong. */
static bool period_or_reply(struct http_req *req, time_t *from, time_t *to)
{
	struct err e = ERR_INIT;

	if (!sv_parse_time(http_query(req, "from"), "from", true, from, &e)
	    || !sv_parse_time(http_query(req, "to"), "to", true, to, &e)) {
		http_reply_problem(req, &e);
		return false;
	}
	return true;
}

/* "json" (default) or "csv"; NULL after replying 400. */
static const char *format_or_reply(struct http_req *req)
{
	const char *format = api_query(req, "format");

	if (!format || !strcmp(format, "json"))
		return "json";
	if (!strcmp(format, "csv"))
		return "csv";
	http_reply_error(req, 400, ERR_UNKNOWN_CHOICE, "unknown format \"%s\": expected json or csv", format);
	return NULL;
}

static void reply_csv(struct http_req *req, json_object *report, const char *filename,
		      void (*render)(json_object *, struct buf *))
{
	struct buf out = BUF_INIT;
	char *disposition = xasprintf("attachment; filename=\"%s\"", filename);

	render(report, &out);
	http_set_header(req, "Content-Disposition", disposition);
	http_set_header(req, "Cache-Control", "no-store");
	free(disposition);
	http_reply_buf(req, 200, "text/csv; charset=utf-8", &out);
	json_object_put(report);
}

static void stats_orders_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *by = api_query(req, "by");
	const char *format;
	int kind = stats_kind_parse(by ? by : "department");
	time_t from, to;
	json_object *report;
	struct db *db;

	if (kind < 0) {
		http_reply_error(req, 400, ERR_UNKNOWN_CHOICE,
				 "unknown by \"%s\": expected department, category, district, channel or request_type", by);
		return;
	}
	if (!period_or_reply(req, &from, &to) || !(format = format_or_reply(req)) || !(db = api_db_or_reply(req)))
		return;
	report = stats_orders(db, from, to, (enum stat_kind)kind, &e);
	if (report && !strcmp(format, "csv"))
		reply_csv(req, report, "orders-report.csv", export_orders_csv);
	else
		api_reply(req, 200, report, &e);
}

static void stats_ranking_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *format;
	time_t from, to;
	json_object *ranking;
	struct db *db;

	if (!period_or_reply(req, &from, &to) || !(format = format_or_reply(req)) || !(db = api_db_or_reply(req)))
		return;
	ranking = stats_ranking(db, from, to, &e);
	if (ranking && !strcmp(format, "csv"))
		reply_csv(req, ranking, "ranking.csv", export_ranking_csv);
	else
		api_reply(req, 200, ranking, &e);
}

static void stats_hot_topics_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	time_t from, to;
	long limit;
	struct db *db;

	if (!query_int(req, "limit", 1, HOT_TOPICS_MAX, &limit, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	if (!period_or_reply(req, &from, &to) || !(db = api_db_or_reply(req)))
		return;
	api_reply(req, 200, stats_hot_topics(db, from, to, limit ? (int)limit : HOT_TOPICS_DEFAULT, &e), &e);
}

/* ---------------------------------------------------------------- routes */

#define CALLERS (ROLE_BIT(ROLE_AGENT) | ROLE_BIT(ROLE_REVIEWER))
#define CENTRE_STAFF (CALLERS | ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define MANAGERS (ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define SETTINGS_READERS (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define ADMIN ROLE_BIT(ROLE_ADMIN)

const struct http_route supervision_routes[] = {
	{ "GET", "/api/v1/callbacks", callbacks_list_get, CENTRE_STAFF },
	{ "POST", "/api/v1/callbacks/next", callbacks_next_post, CALLERS },
	{ "POST", "/api/v1/callbacks/{id}/result", callbacks_result_post, CALLERS },
	{ "GET", "/api/v1/settings/callbacks", callback_settings_get, SETTINGS_READERS },
	{ "PUT", "/api/v1/settings/callbacks", callback_settings_put, ADMIN },
	{ "GET", "/api/v1/settings/ranking", ranking_settings_get, SETTINGS_READERS },
	{ "PUT", "/api/v1/settings/ranking", ranking_settings_put, ADMIN },
	{ "GET", "/api/v1/supervision/overdue", overdue_get, ACCESS_ANY_USER },
	{ "GET", "/api/v1/supervision/pending-decisions", decisions_get, MANAGERS },
	{ "GET", "/api/v1/stats/orders", stats_orders_get, MANAGERS },
	{ "GET", "/api/v1/stats/ranking", stats_ranking_get, MANAGERS },
	{ "GET", "/api/v1/stats/hot-topics", stats_hot_topics_get, CENTRE_STAFF },
};
const size_t supervision_routes_count = ARRAY_SIZE(supervision_routes);
