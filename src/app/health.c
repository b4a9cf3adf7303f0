/* GET /healthz, GET /metrics and the test-only debug routes. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "db/migrate.h"

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
	json_object_object_add(body, "status", json_object_new_string(ok ? "ok" : "unavailable"));
	http_set_header(req, "Cache-Control", "no-store");
	http_reply_json(req, ok ? 200 : 503, body);
	json_object_put(body);
}

void metrics_get(struct http_req *req)
{
	struct buf out = BUF_INIT;

	http_server_metrics(http_req_server(req), &out);
	buf_addf(&out, "# HELP hotline_db_connections Open database connections.\n"
		       "# TYPE hotline_db_connections gauge\nhotline_db_connections %ld\n",
		 db_open_connections());
	http_reply_buf(req, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}

void debug_sleep(struct http_req *req)
{
	const char *ms = http_query(req, "ms");
	long n = ms ? atol(ms) : 1000;

	usleep((useconds_t)(n > 0 && n < 60000 ? n : 1000) * 1000);
	http_reply(req, 200, "application/json", "{\"slept\":true}", 14);
}
