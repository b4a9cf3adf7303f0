/*
 * /api/v1/calls, /api/v1/callers, /api/v1/stats/calls: call intake.
 *
 *   POST /api/v1/calls/import?format=auto|asterisk-cdr|asterisk-queue-log|freeswitch-cdr
 *        body: the file as it is (text/csv or text/plain); imported as
 *        `hotline import-calls` does; answers the summary with the rejects
 *   POST /api/v1/calls/events        a live event (intake/events.h)
 *   GET  /api/v1/calls/current       the caller's current call and history
 *   GET  /api/v1/callers/{phone}/history[?limit=N]
 *   GET  /api/v1/stats/calls?from=&to=[&granularity=hour|day|month]
 *        [&dialled=][&queue=][&short_abandons=count|exclude]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/calls_api.h"
#include "calls/cdr.h"
#include "core/array.h"
#include "core/jsonutil.h"
#include "core/num.h"
#include "core/timeutil.h"
#include "intake/events.h"
#include "intake/import.h"
#include "intake/settings.h"
#include "intake/stats.h"

/* Rejects listed in an import's answer; the count covers them all. */
#define IMPORT_REJECTS_LISTED 1000
#define CALL_WAIT_MAX 30		/* seconds a console's screen-pop request waits */

#define CALL_STAFF (ROLES_CENTRE | ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define CALL_ADMIN (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))

static void collect_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
	json_object *list = ctx;
	json_object *o;

	if (json_object_array_length(list) >= IMPORT_REJECTS_LISTED)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "line", json_object_new_int64((int64_t)line));
	json_object_object_add(o, "field", *field ? json_object_new_string(field) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(list, o);
}

static void api_calls_import(struct http_req *req)
{
	const char *fname = http_query(req, "format");
	struct cdr_options ropt = CDR_OPTIONS_INIT;
	json_object *rejects = json_object_new_array();
	struct call_import_options iopt = {
		.settings = intake_settings(), .on_reject = collect_reject, .ctx = rejects,
	};
	struct call_import_result res;
	struct err e = ERR_INIT;
	struct cdr_reader *r;
	const char *body;
	json_object *out;
	struct db *db;
	size_t len;
	bool ok;

	if (fname && *fname && !call_import_format_parse(fname, &ropt.format)) {
		json_object_put(rejects);
		http_reply_error(req, 400, ERR_UNKNOWN_CHOICE,
				 "unknown format \"%s\": expected auto, asterisk-cdr, asterisk-queue-log or freeswitch-cdr",
				 fname);
		return;
	}
	body = http_body(req, &len);
	if (len == 0) {
		json_object_put(rejects);
		http_reply_error(req, 400, ERR_EMPTY_BODY, "the body is empty: send the call records file as it is");
		return;
	}
	if (!(db = api_db_or_reply(req))) {
		json_object_put(rejects);
		return;
	}
	r = cdr_reader_new_memory(body, len, &ropt);
	ok = call_import(db, r, &iopt, &res, &e);
	cdr_reader_free(r);
	if (!ok) {
		json_object_put(rejects);
		if (res.records)
			err_prefix(&e, "after importing %lu records: ", res.records);
		http_reply_problem(req, &e);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "format", json_object_new_string(call_import_format_name(res.format)));
	json_object_object_add(out, "records", json_object_new_int64((int64_t)res.records));
	json_object_object_add(out, "imported", json_object_new_int64((int64_t)res.imported));
	json_object_object_add(out, "duplicates", json_object_new_int64((int64_t)res.duplicates));
	json_object_object_add(out, "rejected", json_object_new_int64((int64_t)res.rejected));
	json_object_object_add(out, "rejects", rejects);
	json_object_object_add(out, "rejects_truncated",
			       json_object_new_boolean(res.rejected > IMPORT_REJECTS_LISTED));
	api_reply(req, 200, out, &e);
}

static void api_calls_event(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body, *out;
	struct db *db;
	bool created;

	if (!api_input_or_reply(req, &body, &db))
		return;
	out = call_event_post(db, intake_settings(), body, &created, &e);
	json_object_put(body);
	api_reply(req, created ? 201 : 200, out, &e);
}

/*
 * With `wait` (seconds, 1 to CALL_WAIT_MAX) and `known` (the call id the
 * console shows, empty for none), the answer waits until the current call
 * is another one, or `wait` passes: the console's screen-pop. A live event
 * wakes the request at once (CALL_NOTIFY_CHANNEL).
 */
static void api_calls_current(struct http_req *req)
{
	const char *wait = http_query(req, "wait"), *known = http_query(req, "known");
	int user_id = auth_who(req)->user_id;
	struct err e = ERR_INIT;
	json_object *out;
	struct db *db;
	long seconds = 0;

	if (wait) {
		long long n = 0;
		bool ok = num_parse_ll(wait, 1, CALL_WAIT_MAX, &n);
		seconds = (long)n;
		if (!ok) {
			http_reply_error(req, 400, ERR_OUT_OF_RANGE, "wait \"%s\" must be 1 to %d seconds",
					 wait, CALL_WAIT_MAX);
			return;
		}
	}
	if (!(db = api_db_or_reply(req)))
		return;
	out = call_current(db, user_id, &e);
	if (out && seconds && !http_resumed(req)) {
		json_object *call = json_object_object_get(out, "call");
		const char *id = call ? json_str(call, "call_id") : NULL;
		char topic[64];

		snprintf(topic, sizeof(topic), CALL_NOTIFY_CHANNEL ":%d", user_id);
		if (!strcmp(id ? id : "", known ? known : "") && http_park(req, topic, (int)seconds * 1000)) {
			json_object_put(out);
			return;
		}
	}
	api_reply(req, 200, out, &e);
}

static void api_caller_history(struct http_req *req)
{
	const char *limit = http_query(req, "limit");
	struct err e = ERR_INIT;
	int n = CALL_HISTORY_DEFAULT;
	struct db *db;

	if (limit) {
		long long v;
		if (!num_parse_ll(limit, 1, CALL_HISTORY_MAX, &v)) {
			http_reply_error(req, 400, ERR_OUT_OF_RANGE, "limit \"%s\" must be 1 to %d", limit,
					 CALL_HISTORY_MAX);
			return;
		}
		n = (int)v;
	}
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, caller_history(db, http_param(req, "phone"), n, &e), &e);
}

static void api_stats_calls(struct http_req *req)
{
	const struct intake_settings *s = intake_settings();
	struct call_stats_query q = {
		.granularity = CALL_BY_DAY,
		.dialled = api_query(req, "dialled"),
		.queue = api_query(req, "queue"),
		.short_abandons_offered = s->short_abandons_offered,
		.short_abandon_seconds = s->short_abandon_seconds,
		.window_min_offered = s->window_min_offered,
	};
	const char *from = api_query(req, "from"), *to = api_query(req, "to");
	const char *gran = api_query(req, "granularity");
	const char *shorts = api_query(req, "short_abandons");
	struct err e = ERR_INIT;
	struct db *db;

	if (!from || !to) {
		err_field(&e, 400, from ? "to" : "from", ERR_REQUIRED, "%s is required: the range is [from, to), ISO 8601",
			  from ? "to" : "from");
		http_reply_problem(req, &e);
		return;
	}
	if (!time_parse_iso(from, &q.from, "from", &e) || !time_parse_iso(to, &q.to, "to", &e)) {
		http_reply_problem(req, &e);
		return;
	}
	if (gran && !call_granularity_parse(gran, &q.granularity)) {
		http_reply_error(req, 400, ERR_UNKNOWN_CHOICE,
				 "granularity \"%s\" must be hour, day or month", gran);
		return;
	}
	if (shorts) {
		if (strcmp(shorts, "count") && strcmp(shorts, "exclude")) {
			http_reply_error(req, 400, ERR_UNKNOWN_CHOICE,
					 "short_abandons \"%s\" must be count or exclude", shorts);
			return;
		}
		q.short_abandons_offered = !strcmp(shorts, "count");
	}
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, call_stats(db, &q, &e), &e);
}

const struct http_route calls_routes[] = {
	{ "POST", "/api/v1/calls/import", api_calls_import, CALL_ADMIN },
	{ "POST", "/api/v1/calls/events", api_calls_event, CALL_STAFF },
	{ "GET", "/api/v1/calls/current", api_calls_current, CALL_STAFF },
	{ "GET", "/api/v1/callers/{phone}/history", api_caller_history, CALL_STAFF },
	{ "GET", "/api/v1/stats/calls", api_stats_calls, CALL_STAFF },
};
const size_t calls_routes_count = ARRAY_SIZE(calls_routes);
