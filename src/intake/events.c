#include "intake/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "intake/intake_sql.h"
#include "orders/fields.h"

#define EVENT_TEXT_MAX 64
#define CALL_ID_MAX 128

/* The call summary's columns, from `call c`. */
#define CALL_SUMMARY_COLUMNS \
	"c.call_id, iso(call_at(c)) AS at, c.caller, c.caller_phone, c.caller_name, c.dialled," \
	" c.queue, coalesce(c.ev_agent, c.q_agent, c.cdr_agent) AS agent," \
	" (SELECT login FROM app_user WHERE id = coalesce(c.ev_agent_user_id," \
	"   (SELECT user_id FROM agent_extension" \
	"    WHERE extension = coalesce(c.q_agent, c.cdr_agent)))) AS agent_login," \
	" call_offered(c) AS offered, call_answered(c) AS answered," \
	" call_abandoned(c) AS abandoned, call_wait(c) AS wait_s, call_talk(c) AS talk_s," \
	" iso(coalesce(c.ev_answered_at, c.q_connected_at, c.cdr_answered_at)) AS answered_at," \
	" iso(coalesce(c.ev_ended_at, c.cdr_ended_at, c.q_abandoned_at)) AS ended_at," \
	" c.cdr_rows > 0 AS has_cdr, c.q_events > 0 AS has_queue_log," \
	" c.ev_offered_at IS NOT NULL OR c.ev_answered_at IS NOT NULL" \
	"  OR c.ev_ended_at IS NOT NULL AS has_live"

/*
 * One live event: store it unless its (call_id, type) is known, fold it
 * into `call`, move the rollups. $1 short-abandon seconds, $2 hotline
 * numbers, $3 call id, $4 type, $5 at (NULL = now), $6 caller,
 * $7 caller_phone, $8 dialled, $9 queue, $10 agent, $11 cause. The agent
 * of the "answered" event is the call's agent.
 */
static const char sql_event[] =
	"WITH ins AS ("
	" INSERT INTO call_event (call_id, type, at, caller, caller_phone, dialled, queue, agent,"
	"  agent_user_id, cause, kind)"
	" SELECT $3, $4, coalesce($5::timestamptz, now()), $6, $7, $8::text, $9, $10::text,"
	"  (SELECT id FROM app_user WHERE login = $10::text"
	"   UNION ALL SELECT user_id FROM agent_extension WHERE extension = $10::text LIMIT 1),"
	"  $11, CASE WHEN $8::text IS NULL THEN NULL"
	"   WHEN $8::text = ANY ($2::text[]) THEN 'inbound' ELSE 'other' END"
	" ON CONFLICT (call_id, type) DO NOTHING"
	" RETURNING *"
	"), up AS ("
	" INSERT INTO call AS c (call_id, caller, caller_phone, dialled, queue, ev_kind,"
	"  ev_offered_at, ev_answered_at, ev_ended_at, ev_agent, ev_agent_user_id, ev_cause)"
	" SELECT call_id, caller, caller_phone, dialled, queue, kind,"
	"  CASE WHEN type = 'offered' THEN at END, CASE WHEN type = 'answered' THEN at END,"
	"  CASE WHEN type = 'ended' THEN at END, agent, agent_user_id, cause"
	" FROM ins"
	" ON CONFLICT (call_id) DO UPDATE SET " INTAKE_SQL_STASH_PREV
	"  caller = coalesce(c.caller, excluded.caller),"
	"  caller_phone = coalesce(c.caller_phone, excluded.caller_phone),"
	"  dialled = coalesce(c.dialled, excluded.dialled),"
	"  queue = coalesce(c.queue, excluded.queue),"
	"  ev_kind = coalesce(c.ev_kind, excluded.ev_kind),"
	"  ev_offered_at = coalesce(c.ev_offered_at, excluded.ev_offered_at),"
	"  ev_answered_at = coalesce(c.ev_answered_at, excluded.ev_answered_at),"
	"  ev_ended_at = coalesce(c.ev_ended_at, excluded.ev_ended_at),"
	"  ev_agent = CASE WHEN excluded.ev_answered_at IS NOT NULL"
	"   THEN coalesce(excluded.ev_agent, c.ev_agent) ELSE coalesce(c.ev_agent, excluded.ev_agent) END,"
	"  ev_agent_user_id = CASE WHEN excluded.ev_answered_at IS NOT NULL"
	"   THEN coalesce(excluded.ev_agent_user_id, c.ev_agent_user_id)"
	"   ELSE coalesce(c.ev_agent_user_id, excluded.ev_agent_user_id) END,"
	"  ev_cause = coalesce(excluded.ev_cause, c.ev_cause)"
	INTAKE_SQL_UP_RETURNING
	INTAKE_SQL_ROLLUP
	" SELECT (SELECT count(*) FROM ins) AS inserted";

/* Before the event: the rebuild's lock, and whether the call has no row in
 * `call` yet ($1 call id). */
static const char sql_lock_shared[] =
	"SELECT pg_advisory_xact_lock_shared(" INTAKE_LOCK "),"
	" NOT EXISTS (SELECT FROM call WHERE call_id = $1) AS new_row";
/* The event will write the call's row: an import batch storing the call
 * alone meanwhile must finish first, and its alone record be adopted
 * (migrations/0007_call_alone.sql). In two statements: the second one's
 * snapshot must see what the batch committed while the first one waited. */
static const char sql_lock_imports[] =
	"SELECT " INTAKE_SQL_ALL_LANE_LOCKS("pg_advisory_xact_lock_shared");
static const char sql_adopt[] = "SELECT call_adopt(ARRAY[$1])";

static const char sql_call_by_id[] =
	"SELECT " CALL_SUMMARY_COLUMNS " FROM call_summary($1) c";

/* The call's agent hears of the event: $1 call id. Delivered on commit. */
static const char sql_notify_agent[] =
	"SELECT pg_notify('" CALL_NOTIFY_CHANNEL "', ev_agent_user_id::text) FROM call"
	" WHERE call_id = $1 AND ev_agent_user_id IS NOT NULL";

static const char sql_current[] =
	"SELECT " CALL_SUMMARY_COLUMNS " FROM call c"
	" WHERE c.ev_agent_user_id = $1::int AND c.ev_answered_at IS NOT NULL"
	"  AND c.ev_ended_at IS NULL AND c.cdr_ended_at IS NULL"
	"  AND c.ev_answered_at > now() - interval '" CALL_CURRENT_MAX_AGE "'"
	" ORDER BY c.ev_answered_at DESC LIMIT 1";

static const char sql_history_calls[] =
	"SELECT " CALL_SUMMARY_COLUMNS " FROM call_summaries_of($1) c"
	" ORDER BY call_at(c) DESC, c.call_id DESC LIMIT $2::int";

/* $3: the call ids listed, as a text[] literal. */
static const char sql_history_orders[] =
	"SELECT o.number, o.status, iso(o.created_at) AS created_at, o.call_id, o.request_type,"
	" o.urgency, o.category_code, cat.name AS category_name, left(o.content, 100) AS summary,"
	" o.confidential"
	" FROM work_order o LEFT JOIN category cat ON cat.code = o.category_code"
	" WHERE o.caller_phone = $1 OR o.call_id = ANY ($3::text[])"
	" ORDER BY o.created_at DESC, o.id DESC LIMIT $2::int";

/* ---- rows to JSON ---- */

static json_object *call_summary(const struct db_res *r, int row)
{
	static const char *const text_fields[] = {
		"call_id", "at", "caller", "caller_phone", "caller_name", "dialled", "queue",
		"agent", "agent_login",
	};
	json_object *o = json_object_new_object();
	json_object *sources = json_object_new_array();
	bool answered = db_res_bool(r, row, "answered");
	bool abandoned = db_res_bool(r, row, "abandoned");
	bool offered = db_res_bool(r, row, "offered");

	for (size_t i = 0; i < ARRAY_SIZE(text_fields); i++)
		json_object_object_add(o, text_fields[i], db_res_json_text(r, row, text_fields[i]));
	json_object_object_add(o, "offered", json_object_new_boolean(offered));
	json_object_object_add(o, "answered", json_object_new_boolean(answered));
	json_object_object_add(o, "abandoned", json_object_new_boolean(abandoned));
	json_object_object_add(o, "outcome", json_object_new_string(
		!offered ? "not_offered" : answered ? "answered" : abandoned ? "abandoned" : "waiting"));
	json_object_object_add(o, "wait_s", db_res_json_int(r, row, "wait_s"));
	json_object_object_add(o, "talk_s", db_res_json_int(r, row, "talk_s"));
	json_object_object_add(o, "answered_at", db_res_json_text(r, row, "answered_at"));
	json_object_object_add(o, "ended_at", db_res_json_text(r, row, "ended_at"));
	if (db_res_bool(r, row, "has_cdr"))
		json_object_array_add(sources, json_object_new_string("cdr"));
	if (db_res_bool(r, row, "has_queue_log"))
		json_object_array_add(sources, json_object_new_string("queue_log"));
	if (db_res_bool(r, row, "has_live"))
		json_object_array_add(sources, json_object_new_string("live"));
	json_object_object_add(o, "sources", sources);
	return o;
}

static json_object *order_item(const struct db_res *r, int row)
{
	static const char *const text_fields[] = {
		"number", "status", "created_at", "call_id", "request_type", "urgency",
		"category_code", "category_name", "summary",
	};
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(text_fields); i++)
		json_object_object_add(o, text_fields[i], db_res_json_text(r, row, text_fields[i]));
	json_object_object_add(o, "confidential",
			       json_object_new_boolean(db_res_bool(r, row, "confidential")));
	return o;
}

/* ---- live events ---- */

/* An optional text member of at most `max` characters without control
 * characters; NULL when absent or empty. */
static bool event_text(json_object *body, const char *key, size_t max, const char **out,
		       struct err *e)
{
	*out = NULL;
	if (!json_get_string(body, key, false, out, e))
		return false;
	if (*out && !**out)
		*out = NULL;
	if (*out && !text_check(*out, max, key, e))
		return false;
	if (*out && strpbrk(*out, "\t\r\n"))
		return err_field(e, 422, key, ERR_NOT_ONE_LINE, "%s \"%s\" must be on one line", key, *out);
	return true;
}

json_object *call_event_post(struct db *db, const struct intake_settings *s, json_object *body,
			     bool *created, struct err *e)
{
	static const char *const types[] = { "offered", "answered", "ended" };
	const char *type = NULL, *call_id = NULL, *caller, *dialled, *queue, *agent, *cause;
	const char *at_text = NULL;
	char at[TIMEUTIL_ISO_LEN], phone[PHONE_MAX], seconds[16];
	struct buf hotline = BUF_INIT;
	struct db_res *r = NULL;
	json_object *out = NULL;
	bool known = false;

	*created = false;
	if (!json_get_string(body, "type", true, &type, e)
	    || !json_get_string(body, "call_id", true, &call_id, e))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		known |= !strcmp(type, types[i]);
	if (!known)
		return err_field(e, 422, "type", ERR_UNKNOWN_CHOICE, "unknown event type \"%s\": expected offered, answered or ended",
				 type), NULL;
	if (!event_text(body, "call_id", CALL_ID_MAX, &call_id, e))
		return NULL;
	if (!call_id)
		return err_field(e, 422, "call_id", ERR_REQUIRED, "call_id must not be empty"), NULL;
	if (!event_text(body, "caller", EVENT_TEXT_MAX, &caller, e)
	    || !event_text(body, "dialled", EVENT_TEXT_MAX, &dialled, e)
	    || !event_text(body, "queue", EVENT_TEXT_MAX, &queue, e)
	    || !event_text(body, "agent", EVENT_TEXT_MAX, &agent, e)
	    || !event_text(body, "cause", EVENT_TEXT_MAX, &cause, e)
	    || !json_get_string(body, "at", false, &at_text, e))
		return NULL;
	if (at_text) {
		time_t t;
		if (!time_parse_iso(at_text, &t, "at", e)) {
			e->status = 422;
			return NULL;
		}
		time_format_iso(t, at);
	}
	if (!caller || !phone_normalise(caller, phone, "caller", NULL))
		phone[0] = '\0';
	snprintf(seconds, sizeof(seconds), "%d", s->short_abandon_seconds);
	intake_hotline_array(s, &hotline);

	const char *params[] = {
		seconds, hotline.data, call_id, type, at_text ? at : NULL, caller,
		phone[0] ? phone : NULL, dialled, queue, agent, cause,
	};
	if (!db_begin(db, e))
		goto out;
	r = DB_EXEC(db, e, sql_lock_shared, call_id);
	if (!r)
		goto fail;
	bool new_row = db_res_bool(r, 0, "new_row");
	db_res_free(r);
	r = NULL;
	if (new_row && (!db_run(db, sql_lock_imports, 0, NULL, e) || !DB_RUN(db, e, sql_adopt, call_id)))
		goto fail;
	r = db_exec(db, sql_event, (int)(ARRAY_SIZE(params)), params, e);
	if (!r)
		goto fail;
	*created = db_res_ll(r, 0, "inserted") > 0;
	db_res_free(r);
	r = NULL;
	if (*created && !DB_RUN(db, e, sql_notify_agent, call_id))
		goto fail;
	r = DB_EXEC(db, e, sql_call_by_id, call_id);
	if (!r || db_res_rows(r) != 1)
		goto fail;
	if (!db_commit(db, e))
		goto fail;
	out = json_object_new_object();
	json_object_object_add(out, "created", json_object_new_boolean(*created));
	json_object_object_add(out, "call", call_summary(r, 0));
	goto out;
fail:
	if (r && !err_isset(e))
		err_set(e, 500, ERR_INTERNAL, "the call \"%s\" vanished while recording its event", call_id);
	db_rollback(db);
out:
	db_res_free(r);
	buf_release(&hotline);
	return out;
}

/* ---- current call and history ---- */

/* The history of an already normalised phone number. */
static json_object *history_of(struct db *db, const char *phone, int limit, struct err *e)
{
	char lim[16];
	struct buf ids = BUF_INIT;
	struct db_res *calls = NULL, *orders = NULL;
	json_object *out = NULL, *call_list, *order_list;

	snprintf(lim, sizeof(lim), "%d", limit);
	calls = DB_EXEC(db, e, sql_history_calls, phone, lim);
	if (!calls)
		goto out;
	/* The call ids as a text[] literal, each element quoted. */
	buf_addch(&ids, '{');
	for (int i = 0; i < db_res_rows(calls); i++) {
		const char *id = db_res_str(calls, i, "call_id");
		if (i)
			buf_addch(&ids, ',');
		buf_addch(&ids, '"');
		for (const char *p = id; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(&ids, '\\');
			buf_addch(&ids, *p);
		}
		buf_addch(&ids, '"');
	}
	buf_addch(&ids, '}');
	orders = DB_EXEC(db, e, sql_history_orders, phone, lim, ids.data);
	if (!orders)
		goto out;
	out = json_object_new_object();
	call_list = json_object_new_array();
	order_list = json_object_new_array();
	json_object_object_add(out, "phone", json_object_new_string(phone));
	json_object_object_add(out, "calls", call_list);
	json_object_object_add(out, "orders", order_list);
	for (int j = 0; j < db_res_rows(orders); j++)
		json_object_array_add(order_list, order_item(orders, j));
	for (int i = 0; i < db_res_rows(calls); i++) {
		json_object *c = call_summary(calls, i);
		json_object *linked = json_object_new_array();
		const char *id = db_res_str(calls, i, "call_id");

		for (int j = 0; j < db_res_rows(orders); j++)
			if (!strcmp(db_res_str(orders, j, "call_id"), id))
				json_object_array_add(linked, order_item(orders, j));
		json_object_object_add(c, "orders", linked);
		json_object_array_add(call_list, c);
	}
out:
	db_res_free(calls);
	db_res_free(orders);
	buf_release(&ids);
	return out;
}

json_object *caller_history(struct db *db, const char *phone, int limit, struct err *e)
{
	char normal[PHONE_MAX];

	if (limit < 1 || limit > CALL_HISTORY_MAX)
		return err_field(e, 422, "limit", ERR_OUT_OF_RANGE, "limit \"%d\" must be 1 to %d", limit,
				 CALL_HISTORY_MAX), NULL;
	if (!phone_normalise(phone, normal, "phone", e))
		return NULL;
	return history_of(db, normal, limit, e);
}

json_object *call_current(struct db *db, int user_id, struct err *e)
{
	char uid[16];
	struct db_res *r;
	json_object *out, *history = NULL;
	const char *phone;

	snprintf(uid, sizeof(uid), "%d", user_id);
	r = DB_EXEC(db, e, sql_current, uid);
	if (!r)
		return NULL;
	out = json_object_new_object();
	if (db_res_rows(r) == 0) {
		json_object_object_add(out, "call", NULL);
		json_object_object_add(out, "history", NULL);
		db_res_free(r);
		return out;
	}
	phone = db_res_str(r, 0, "caller_phone");
	if (*phone) {
		history = history_of(db, phone, 10, e);
		if (!history) {
			db_res_free(r);
			json_object_put(out);
			return NULL;
		}
	}
	json_object_object_add(out, "call", call_summary(r, 0));
	json_object_object_add(out, "history", history);
	db_res_free(r);
	return out;
}

/* ---- extensions ---- */

bool agent_extension_put(struct db *db, const char *login, const char *extension, struct err *e)
{
	size_t n = strlen(extension);
	struct db_res *r;
	char uid[16];

	if (n > 32
	    || strspn(extension, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") != n)
		return err_field(e, 422, "extension", ERR_BAD_CODE,
				 "extension \"%s\" must be 1 to 32 letters, digits, '_', '.' or '-'",
				 extension);
	r = DB_EXEC(db, e, "SELECT id FROM app_user WHERE login = $1", login);
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return err_field(e, 404, "login", ERR_UNKNOWN_USER, "no user with login \"%s\"", login);
	}
	snprintf(uid, sizeof(uid), "%s", db_res_get(r, 0, 0));
	db_res_free(r);
	return DB_RUN(db, e, "DELETE FROM agent_extension WHERE user_id = $1::int OR extension = $2",
		      uid, extension)
	       && (!n || DB_RUN(db, e, "INSERT INTO agent_extension (extension, user_id) VALUES ($1, $2::int)",
				extension, uid));
}

bool agent_extension_set(struct db *db, const char *login, const char *extension, struct err *e)
{
	if (!*extension)
		return err_field(e, 422, "extension", ERR_BAD_CODE,
				 "extension \"\" must be 1 to 32 letters, digits, '_', '.' or '-'");
	if (!db_begin(db, e))
		return false;
	if (agent_extension_put(db, login, extension, e) && db_commit(db, e))
		return true;
	db_rollback(db);
	return false;
}

json_object *agent_extensions(struct db *db, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT u.login, x.extension FROM agent_extension x JOIN app_user u ON u.id = x.user_id");
	json_object *out;

	if (!r)
		return NULL;
	out = json_object_new_object();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_object_add(out, db_res_str(r, i, "login"),
				       json_object_new_string(db_res_str(r, i, "extension")));
	db_res_free(r);
	return out;
}
