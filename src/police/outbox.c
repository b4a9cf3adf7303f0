/*
 * The outbox: messages to 110 written inside the transaction of the action
 * that causes them, the operator's retry, and the bridge's view of an order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/log.h"
#include "police/police.h"
#include "police/police_private.h"

/* Everything a message may carry about its order, read after the action stored it. */
static const char order_sql[] =
	"SELECT o.number, iso(o.created_at) AS created_at, o.caller_name, o.caller_phone,"
	" o.address, o.latitude, o.longitude, o.category_code, c.name AS category_name,"
	" o.content, o.request, o.request_type, o.urgency, o.result,"
	" iso(coalesce(o.completed_at, now())) AS completed_at, iso(now()) AS now,"
	" ld.code AS lead_code, ld.name AS lead_name, pi.incident_no, mo.number AS merged_into,"
	" (SELECT coalesce(max(seq), 0) + 1 FROM police_outbox WHERE order_id = o.id) AS seq"
	" FROM work_order o LEFT JOIN category c ON c.code = o.category_code"
	" LEFT JOIN department ld ON ld.id = o.lead_department_id"
	" LEFT JOIN police_inbound pi ON pi.order_id = o.id"
	" LEFT JOIN work_order mo ON mo.id = o.merged_into"
	" WHERE o.id = $1";

static void add_str(json_object *o, const char *key, const struct db_res *r, const char *col)
{
	int c = db_res_col(r, col);

	json_add_string(o, key, db_res_isnull(r, 0, c) ? NULL : db_res_get(r, 0, c));
}

static void add_number(json_object *o, const char *key, const struct db_res *r, const char *col)
{
	int c = db_res_col(r, col);

	if (db_res_isnull(r, 0, c))
		json_object_object_add(o, key, NULL);
	else
		json_object_object_add(o, key, json_object_new_double_s(atof(db_res_get(r, 0, c)),
									db_res_get(r, 0, c)));
}

/* Stores `msg` (its message_id and sequence are added here) for order `order_id`. */
static bool enqueue(struct db *db, const char *order_id, const struct db_res *r, const char *kind,
		    json_object *msg, struct err *e)
{
	char *message_id = xasprintf("hotline-%s-%s", db_res_str(r, 0, "number"), db_res_str(r, 0, "seq"));
	const char *body;
	bool ok;

	/* The identity first, so that a reader sees it at the top. */
	json_object *full = json_object_new_object();
	json_add_string(full, "type", kind);
	json_add_string(full, "message_id", message_id);
	json_object_object_add(full, "sequence", json_object_new_int64(db_res_ll(r, 0, "seq")));
	json_object_object_foreach(msg, key, val)
		json_object_object_add(full, key, json_object_get(val));
	body = json_object_to_json_string_ext(full, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ok = DB_RUN(db, e,
		    "INSERT INTO police_outbox (order_id, seq, kind, message_id, body)"
		    " VALUES ($1, $2::integer, $3, $4, $5)",
		    order_id, db_res_str(r, 0, "seq"), kind, message_id, body);
	if (ok)
		log_info("110 bridge: queued %s %s for order %s", kind, message_id, db_res_str(r, 0, "number"));
	json_object_put(full);
	free(message_id);
	return ok;
}

/* A transfer (一键转接) of one of our orders to 110. */
static bool enqueue_transfer(struct db *db, const struct order_change *c, const struct db_res *r,
			     struct err *e)
{
	json_object *m = json_object_new_object(), *agent = json_object_new_object();
	bool ok;

	add_str(m, "order_number", r, "number");
	add_str(m, "time", r, "created_at");
	add_str(m, "caller_name", r, "caller_name");
	add_str(m, "caller_phone", r, "caller_phone");
	add_str(m, "address", r, "address");
	add_number(m, "latitude", r, "latitude");
	add_number(m, "longitude", r, "longitude");
	add_str(m, "category_code", r, "category_code");
	add_str(m, "category_name", r, "category_name");
	add_str(m, "description", r, "content");
	add_str(m, "request", r, "request");
	add_str(m, "request_type", r, "request_type");
	add_str(m, "urgency", r, "urgency");
	json_add_string(m, "note", c->note ? c->note : "");
	json_add_string(agent, "login", c->who->login);
	json_add_string(agent, "name", c->who->name);
	json_object_object_add(m, "agent", agent);
	ok = enqueue(db, c->order_id, r, "transfer", m, e);
	json_object_put(m);
	return ok;
}

/* Feedback on a 警单 110 gave us: `state` and what goes with it. */
static bool enqueue_feedback(struct db *db, const struct order_change *c, const struct db_res *r,
			     const char *state, struct err *e)
{
	json_object *m = json_object_new_object();
	const char *lead = db_res_str(r, 0, "lead_name");
	const char *note = c->note;
	char *result = NULL;
	bool ok;

	add_str(m, "order_number", r, "number");
	add_str(m, "incident_no", r, "incident_no");
	json_add_string(m, "state", state);
	if (!strcmp(state, "dispatched")) {
		result = xasprintf("已派单至%s%s%s", lead, note && *note ? "：" : "", note ? note : "");
		json_add_string(m, "result", result);
		json_add_string(m, "handler", lead);
		add_str(m, "time", r, "now");
	} else if (!strcmp(state, "merged")) {
		result = xasprintf("与工单%s为同一事项，已并单办理", db_res_str(r, 0, "merged_into"));
		json_add_string(m, "result", result);
		json_add_string(m, "handler", *lead ? lead : "12345热线");
		add_str(m, "merged_into", r, "merged_into");
		add_str(m, "time", r, "now");
	} else if (!strcmp(state, "returned")) {
		json_add_string(m, "result", note ? note : "不属于12345受理范围，退回110");
		json_add_string(m, "handler", "12345热线");
		add_str(m, "time", r, "now");
	} else {			/* completed, not_accepted */
		add_str(m, "result", r, "result");
		json_add_string(m, "handler", *lead ? lead : "12345热线");
		add_str(m, "time", r, "completed_at");
	}
	ok = enqueue(db, c->order_id, r, "feedback", m, e);
	free(result);
	json_object_put(m);
	return ok;
}

/* The feedback state an action on a 警单 order reports, or NULL for none. */
static const char *feedback_state(const struct order_change *c)
{
	switch (c->action) {
	case ACT_DISPATCH:
		return "dispatched";
	case ACT_MERGE:
		return "merged";
	case ACT_NOT_ACCEPT:
		return "not_accepted";
	case ACT_TRANSFER_OUT:
		return c->params->transfer_out.target == TRANSFER_110 ? "returned" : NULL;
	default:
		return c->to == ST_COMPLETED && c->from != ST_COMPLETED ? "completed" : NULL;
	}
}

bool police_on_change(struct db *db, const struct order_change *c, struct err *e)
{
	bool from_110 = c->channel && !strcmp(c->channel, "police");
	bool to_110 = c->action == ACT_TRANSFER_OUT && c->params->transfer_out.target == TRANSFER_110;
	const char *state = from_110 ? feedback_state(c) : NULL;
	struct db_res *r;
	bool ok = true;

	if (!state && !to_110)
		return true;
	r = DB_EXEC(db, e, order_sql, c->order_id);
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return true;
	}
	if (state && *db_res_str(r, 0, "incident_no"))
		ok = enqueue_feedback(db, c, r, state, e);
	else if (to_110)
		/* Registered by hand with channel "police" (no 警单): a transfer. */
		ok = enqueue_transfer(db, c, r, e);
	db_res_free(r);
	return ok;
}

/* ------------------------------------------------------------ retry */

long police_outbox_retry(struct db *db, int64_t id, struct err *e)
{
	char ids[24];
	struct db_res *r;
	long n;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if (id) {
		r = DB_EXEC(db, e, "SELECT state FROM police_outbox WHERE id = $1", ids);
		if (!r)
			return -1;
		if (db_res_rows(r) != 1) {
			db_res_free(r);
			return err_set(e, 404, ERR_NOT_FOUND, "no outbox message %" PRId64, id), -1;
		}
		if (!strcmp(db_res_str(r, 0, "state"), "sent")) {
			db_res_free(r);
			return err_set(e, 409, ERR_ALREADY_SENT,
				       "outbox message %" PRId64 " was already acknowledged by 110", id), -1;
		}
		db_res_free(r);
	}
	r = DB_EXEC(db, e,
		    "UPDATE police_outbox SET state = 'pending', attempts = 0, next_attempt_at = now(),"
		    " parked_at = NULL, lease_owner = NULL, lease_until = NULL"
		    " WHERE state <> 'sent' AND ($1::bigint = 0 AND state = 'parked' OR id = $1::bigint)",
		    ids);
	if (!r)
		return -1;
	n = db_res_affected(r);
	db_res_free(r);
	return n;
}

/* ------------------------------------------------------------ status */

static json_object *messages_json(const struct db_res *r, const char **summary)
{
	json_object *arr = json_object_new_array();

	*summary = "none";
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *m = json_object_new_object();
		const char *state = db_res_str(r, i, "state");

		json_object_object_add(m, "id", json_object_new_int64(db_res_ll(r, i, "id")));
		json_object_object_add(m, "sequence", json_object_new_int64(db_res_ll(r, i, "seq")));
		json_add_string(m, "kind", db_res_str(r, i, "kind"));
		json_add_string(m, "message_id", db_res_str(r, i, "message_id"));
		json_add_string(m, "state", state);
		json_object_object_add(m, "attempts", json_object_new_int64(db_res_ll(r, i, "attempts")));
		if (db_res_isnull(r, i, db_res_col(r, "last_status")))
			json_object_object_add(m, "last_status", NULL);
		else
			json_object_object_add(m, "last_status", json_object_new_int64(db_res_ll(r, i, "last_status")));
		json_add_string(m, "last_error", db_res_str(r, i, "last_error"));
		json_object_object_add(m, "created_at", db_res_json_text(r, i, "created_at"));
		json_object_object_add(m, "last_attempt_at", db_res_json_text(r, i, "last_attempt_at"));
		json_object_object_add(m, "next_attempt_at",
				       strcmp(state, "pending") ? NULL : db_res_json_text(r, i, "next_attempt_at"));
		json_object_object_add(m, "sent_at", db_res_json_text(r, i, "sent_at"));
		json_object_object_add(m, "parked_at", db_res_json_text(r, i, "parked_at"));
		json_object_object_add(m, "peer_ref", db_res_json_text(r, i, "peer_ref"));
		json_object_array_add(arr, m);
		/* The order's delivery state is its least advanced message's. */
		if (!strcmp(state, "parked"))
			*summary = "parked";
		else if (!strcmp(state, "pending") && strcmp(*summary, "parked"))
			*summary = "pending";
		else if (!strcmp(*summary, "none"))
			*summary = "sent";
	}
	return arr;
}

static json_object *feedback_json(const struct db_res *r)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *f = json_object_new_object();
		json_add_string(f, "incident_no", db_res_str(r, i, "incident_no"));
		json_add_string(f, "state", db_res_str(r, i, "state"));
		json_add_string(f, "result", db_res_str(r, i, "result"));
		json_add_string(f, "handler", db_res_str(r, i, "handler"));
		json_add_string(f, "time", db_res_str(r, i, "at"));
		json_add_string(f, "received_at", db_res_str(r, i, "received_at"));
		json_object_array_add(arr, f);
	}
	return arr;
}

json_object *police_order_status(struct db *db, const struct principal *who, const char *number,
				 struct err *e)
{
	json_object *order = orders_get(db, who, number, e), *out = NULL, *inbound = NULL;
	struct db_res *ri = NULL, *rm = NULL, *rf = NULL;
	const char *summary, *incident = NULL;
	char id[24];

	if (!order)
		return NULL;
	snprintf(id, sizeof(id), "%" PRId64, json_int(order, "id", 0));
	json_object_put(order);
	ri = DB_EXEC(db, e,
		     "SELECT incident_no, iso(incident_time) AS incident_time, category_code,"
		     " iso(received_at) AS received_at FROM police_inbound WHERE order_id = $1", id);
	rm = ri ? DB_EXEC(db, e,
			  "SELECT id, seq, kind, message_id, state, attempts, last_status, last_error,"
			  " iso(created_at) AS created_at, iso(last_attempt_at) AS last_attempt_at,"
			  " iso(next_attempt_at) AS next_attempt_at, iso(sent_at) AS sent_at,"
			  " iso(parked_at) AS parked_at, peer_ref"
			  " FROM police_outbox WHERE order_id = $1 ORDER BY seq", id) : NULL;
	rf = rm ? DB_EXEC(db, e,
			  "SELECT incident_no, state, result, handler, iso(at) AS at,"
			  " iso(received_at) AS received_at FROM police_feedback WHERE order_id = $1"
			  " ORDER BY at, id", id) : NULL;
	if (!rf)
		goto out;
	out = json_object_new_object();
	json_add_string(out, "order_number", number);
	if (db_res_rows(ri) == 1) {
		inbound = json_object_new_object();
		json_add_string(inbound, "incident_no", db_res_str(ri, 0, "incident_no"));
		json_add_string(inbound, "time", db_res_str(ri, 0, "incident_time"));
		json_object_object_add(inbound, "category_code", db_res_json_text(ri, 0, "category_code"));
		json_add_string(inbound, "received_at", db_res_str(ri, 0, "received_at"));
		incident = db_res_str(ri, 0, "incident_no");
	}
	for (int i = db_res_rows(rm) - 1; !incident && i >= 0; i--)
		if (!db_res_isnull(rm, i, db_res_col(rm, "peer_ref")))
			incident = db_res_str(rm, i, "peer_ref");
	json_add_string(out, "direction", inbound ? "from_110" : db_res_rows(rm) ? "to_110" : NULL);
	json_add_string(out, "incident_no", incident);
	json_object_object_add(out, "inbound", inbound);
	json_object_object_add(out, "messages", messages_json(rm, &summary));
	json_add_string(out, "delivery", summary);
	json_object_object_add(out, "feedback", feedback_json(rf));
out:
	db_res_free(ri);
	db_res_free(rm);
	db_res_free(rf);
	return out;
}
