/* GET /healthz (details for operators only), GET /metrics and the test-only debug routes. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "db/migrate.h"
#include "dispatch/dispatch.h"
#include "orders/deadline.h"
#include "police/police.h"

/* Which of this year and next have official holiday data; a warning if not. */
static json_object *calendar_health(void)
{
	json_object *cal = json_object_new_object();
	json_object *missing = json_object_new_array();
	int y, m, d;

	civil_from_days(time_local_day(time(NULL)), &y, &m, &d);
	for (int year = y; year <= y + 1; year++)
		if (!deadline_year_known(year))
			json_object_array_add(missing, json_object_new_int(year));
	json_object_object_add(cal, "years_loaded", json_object_new_int(deadline_calendar_years()));
	if (json_object_array_length(missing) > 0)
		json_object_object_add(cal, "warning", json_object_new_string(
			"no official holiday calendar for some years: working days there count weekends only; "
			"import the State Council notice with `hotline calendar import`"));
	json_object_object_add(cal, "years_missing", missing);
	return cal;
}

/*
 * True when the caller is an operator (a supervisor or an administrator,
 * by session cookie or API token): only they see the details, which tell
 * an attacker the PostgreSQL version and the state of the schema.
 */
static bool operator_asks(struct http_req *req, struct db *db)
{
	const char *authz = http_header(req, "Authorization");
	const char *cookie = http_cookie(req, AUTH_SESSION_COOKIE);
	struct principal who;
	bool known = false;

	if (!db)
		return false;
	if (authz && !strncasecmp(authz, "Bearer ", 7))
		known = auth_bearer(db, authz + 7, &who, NULL);
	else if (cookie)
		known = auth_session(db, cookie, &who, NULL);
	return known && (who.role == ROLE_SUPERVISOR || who.role == ROLE_ADMIN);
}

void health_get(struct http_req *req)
{
	struct app *app = http_req_app(req);
	json_object *body = json_object_new_object();
	json_object *dbinfo = json_object_new_object();
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	char started[TIMEUTIL_ISO_LEN], version[32];
	struct db *db;
	bool ok = false;

	time_format_iso(app->started, started);
	json_object_object_add(body, "version", json_object_new_string(HOTLINE_VERSION));
	json_object_object_add(body, "started_at", json_object_new_string(started));
	json_object_object_add(body, "time_zone", json_object_new_string(timeutil_zone()));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	db = db_thread(&e);
	if (db && db_run(db, "SELECT 1", 0, NULL, &e)) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ok = true;
		json_object_object_add(dbinfo, "server_version",
				       json_object_new_string(db_server_version(db, version, sizeof(version))));
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3
			    + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		char text[32];
		snprintf(text, sizeof(text), "%.3f", ms);
		json_object_object_add(dbinfo, "latency_ms", json_object_new_double_s(ms, text));
		if (!migrate_check(db, &e)) {
			ok = false;
			json_object_object_add(dbinfo, "schema", json_object_new_string(e.message));
		} else {
			json_object_object_add(dbinfo, "schema", json_object_new_string("current"));
		}
	} else {
		json_object_object_add(dbinfo, "error", json_object_new_string(e.message));
	}
	json_object_object_add(dbinfo, "ok", json_object_new_boolean(ok));
	json_object_object_add(dbinfo, "connections", json_object_new_int64(db_open_connections()));
	json_object_object_add(body, "database", dbinfo);
	json_object_object_add(body, "calendar", calendar_health());
	if (!ok || !operator_asks(req, db)) {
		/* The public learns up or down, nothing else. */
		json_object_put(body);
		body = json_object_new_object();
	}
	json_object_object_add(body, "status", json_object_new_string(ok ? "ok" : "unavailable"));
	http_set_header(req, "Cache-Control", "no-store");
	http_reply_json(req, ok ? 200 : 503, body);
	json_object_put(body);
}

/* With a metrics token configured, /metrics answers only to it. */
static bool metrics_allowed(struct http_req *req)
{
	const char *token = ((struct app *)http_req_app(req))->cfg->metrics_token;
	const char *given = http_header(req, "Authorization");
	size_t n = token ? strlen(token) : 0;

	if (!token || !*token)
		return true;
	return given && !strncmp(given, "Bearer ", 7) && strlen(given + 7) == n
	       && sodium_memcmp(given + 7, token, n) == 0;
}

void metrics_get(struct http_req *req)
{
	struct buf out = BUF_INIT;

	if (!metrics_allowed(req)) {
		http_set_header(req, "WWW-Authenticate", "Bearer");
		http_reply_error(req, 401, ERR_UNAUTHENTICATED, "the metrics need the metrics token");
		return;
	}

	http_server_metrics(http_req_server(req), &out);
	buf_addf(&out, "# HELP hotline_db_connections Open database connections.\n"
		       "# TYPE hotline_db_connections gauge\nhotline_db_connections %ld\n",
		 db_open_connections());
	const struct sweeper *sw = &((struct app *)http_req_app(req))->sweeper;
	buf_addf(&out, "# HELP hotline_orders_open Open orders whose clock runs, by deadline alert.\n"
		       "# TYPE hotline_orders_open gauge\n"
		       "hotline_orders_open{alert=\"green\"} %ld\n"
		       "hotline_orders_open{alert=\"yellow\"} %ld\n"
		       "hotline_orders_open{alert=\"red\"} %ld\n"
		       "# HELP hotline_sweeper_runs_total Deadline sweeper passes.\n"
		       "# TYPE hotline_sweeper_runs_total counter\nhotline_sweeper_runs_total %ld\n"
		       "# HELP hotline_sweeper_alert_changes_total Orders whose alert the sweeper changed.\n"
		       "# TYPE hotline_sweeper_alert_changes_total counter\nhotline_sweeper_alert_changes_total %ld\n",
		 atomic_load(&sw->green), atomic_load(&sw->yellow), atomic_load(&sw->red),
		 atomic_load(&sw->runs), atomic_load(&sw->changes));
	dispatch_metrics(&out);
	police_metrics(&out);
	http_reply_buf(req, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}

void debug_sleep(struct http_req *req)
{
	const char *ms = http_query(req, "ms");
	long n = ms ? atol(ms) : 1000;

	usleep((useconds_t)(n > 0 && n < 60000 ? n : 1000) * 1000);
	http_reply(req, 200, "application/json", "{\"slept\":true}", 14);
}
