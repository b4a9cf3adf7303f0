/* Reading orders: one order as the viewer may see it, and its events. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "orders/fields.h"
#include "orders/orders_private.h"
#include "orders/vocab.h"

json_object *order_code_name(const struct db_res *r, int row, const char *code_col,
			     const char *name_col)
{
	json_object *o;

	if (db_res_isnull(r, row, db_res_col(r, code_col)))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "code", db_res_json_text(r, row, code_col));
	json_object_object_add(o, "name", db_res_json_text(r, row, name_col));
	return o;
}

/*
 * The actions the viewer may take: the lifecycle table's, and none for a
 * department that only assists (协办) — department actions belong to the
 * lead unit and the units above it.
 */
bool orders_led_by(const struct principal *who, const char *lead_path)
{
	return !principal_is_department(who)
	       || !strncmp(lead_path, who->department_path, strlen(who->department_path));
}

static json_object *allowed_actions(const struct principal *who, enum order_status st,
				    const char *lead_path)
{
	enum order_action acts[ACT_COUNT];
	size_t n = lifecycle_allowed(st, who->role, acts);
	json_object *arr = json_object_new_array();

	if (!orders_led_by(who, lead_path))
		n = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "action", json_object_new_string(action_code(acts[i])));
		json_object_object_add(a, "name", json_object_new_string(action_label(acts[i])));
		json_object_array_add(arr, a);
	}
	return arr;
}

json_object *order_json(const struct db_res *r, int row, const struct principal *who)
{
	json_object *o = json_object_new_object();
	json_object *caller = json_object_new_object();
	json_object *deadlines = json_object_new_object();
	json_object *counts = json_object_new_object();
	json_object *outcome = json_object_new_object();
	bool masked = db_res_bool(r, row, "confidential") && principal_is_department(who);
	enum order_status st = status_parse(db_res_str(r, row, "status"));
	const char *assisting = db_res_str(r, row, "assisting");
	struct buf mask = BUF_INIT;

	json_object_object_add(o, "number", db_res_json_text(r, row, "number"));
	json_object_object_add(o, "id", json_object_new_int64(db_res_ll(r, row, "id")));
	json_object_object_add(o, "status", db_res_json_text(r, row, "status"));
	json_object_object_add(o, "status_name", json_object_new_string(status_label(st)));
	json_object_object_add(o, "channel", order_code_name(r, row, "channel", "channel_name"));
	json_object_object_add(o, "request_type", order_code_name(r, row, "request_type", "request_type_name"));
	json_object_object_add(o, "urgency", order_code_name(r, row, "urgency", "urgency_name"));
	json_object_object_add(o, "category", order_code_name(r, row, "category_code", "category_name"));
	if (masked) {
		name_mask(&mask, db_res_str(r, row, "caller_name"));
		json_object_object_add(caller, "name", json_object_new_string(mask.data));
		buf_reset(&mask);
		phone_mask(&mask, db_res_str(r, row, "caller_phone"));
		json_object_object_add(caller, "phone", json_object_new_string(mask.data));
	} else {
		json_object_object_add(caller, "name", db_res_json_text(r, row, "caller_name"));
		json_object_object_add(caller, "phone", db_res_json_text(r, row, "caller_phone"));
	}
	json_object_object_add(caller, "masked", json_object_new_boolean(masked));
	buf_release(&mask);
	json_object_object_add(o, "caller", caller);
	json_object_object_add(o, "confidential", db_res_json_bool(r, row, "confidential"));
	json_object_object_add(o, "address", db_res_json_text(r, row, "address"));
	json_object_object_add(o, "district", order_code_name(r, row, "district_code", "district_name"));
	json_object_object_add(o, "street", order_code_name(r, row, "street_code", "street_name"));
	if (!db_res_isnull(r, row, db_res_col(r, "latitude"))) {
		json_object *loc = json_object_new_object();
		const char *lat = db_res_str(r, row, "latitude"), *lon = db_res_str(r, row, "longitude");
		json_object_object_add(loc, "latitude", json_object_new_double_s(atof(lat), lat));
		json_object_object_add(loc, "longitude", json_object_new_double_s(atof(lon), lon));
		json_object_object_add(o, "location", loc);
	} else {
		json_object_object_add(o, "location", NULL);
	}
	json_object_object_add(o, "content", db_res_json_text(r, row, "content"));
	json_object_object_add(o, "request", db_res_json_text(r, row, "request"));
	json_object_object_add(o, "lead_department", order_code_name(r, row, "lead_code", "lead_name"));
	json_object_object_add(o, "assisting_departments",
			       *assisting ? json_tokener_parse(assisting) : json_object_new_array());
	json_object_object_add(deadlines, "clock_started_at", db_res_json_text(r, row, "clock_started_at"));
	json_object_object_add(deadlines, "sign_deadline", db_res_json_text(r, row, "sign_deadline"));
	json_object_object_add(deadlines, "handle_deadline", db_res_json_text(r, row, "handle_deadline"));
	json_object_object_add(deadlines, "handle_unit", db_res_json_text(r, row, "handle_unit"));
	json_object_object_add(deadlines, "alert", db_res_json_text(r, row, "alert"));
	json_object_object_add(deadlines, "sign_overdue", db_res_json_bool(r, row, "sign_overdue"));
	json_object_object_add(deadlines, "suspended_at", db_res_json_text(r, row, "suspended_at"));
	json_object_object_add(deadlines, "requested_deadline", db_res_json_text(r, row, "requested_deadline"));
	json_object *provisional = json_tokener_parse(db_res_str(r, row, "deadline_provisional"));
	json_object_object_add(deadlines, "provisional",
			       json_object_new_boolean(json_object_array_length(provisional) > 0));
	json_object_object_add(deadlines, "provisional_years", provisional);
	json_object_object_add(o, "deadlines", deadlines);
	json_object_object_add(o, "pending_reason", db_res_json_text(r, row, "pending_reason"));
	json_object_object_add(counts, "extensions", json_object_new_int64(db_res_ll(r, row, "extension_count")));
	json_object_object_add(counts, "returns", json_object_new_int64(db_res_ll(r, row, "return_count")));
	json_object_object_add(counts, "reopens", json_object_new_int64(db_res_ll(r, row, "reopen_count")));
	json_object_object_add(counts, "presses", json_object_new_int64(db_res_ll(r, row, "press_count")));
	json_object_object_add(counts, "chases", json_object_new_int64(db_res_ll(r, row, "chase_count")));
	json_object_object_add(o, "counts", counts);
	json_object_object_add(outcome, "result", db_res_json_text(r, row, "result"));
	json_object_object_add(outcome, "solved", db_res_json_bool(r, row, "solved"));
	json_object_object_add(outcome, "contacted", db_res_json_bool(r, row, "contacted"));
	json_object_object_add(outcome, "satisfaction", db_res_json_text(r, row, "satisfaction"));
	json_object_object_add(outcome, "callback_result", db_res_json_text(r, row, "callback_result"));
	json_object_object_add(outcome, "transferred_to", db_res_json_text(r, row, "transferred_to"));
	json_object_object_add(outcome, "merged_into", db_res_json_text(r, row, "merged_into"));
	json_object_object_add(o, "outcome", outcome);
	json_object_object_add(o, "call_id", db_res_json_text(r, row, "call_id"));
	json_object_object_add(o, "signed_at", db_res_json_text(r, row, "signed_at"));
	json_object_object_add(o, "replied_at", db_res_json_text(r, row, "replied_at"));
	json_object_object_add(o, "completed_at", db_res_json_text(r, row, "completed_at"));
	json_object_object_add(o, "created_at", db_res_json_text(r, row, "created_at"));
	json_object_object_add(o, "updated_at", db_res_json_text(r, row, "updated_at"));
	json_object_object_add(o, "created_by", db_res_json_text(r, row, "created_by"));
	json_object_object_add(o, "version", json_object_new_int64(db_res_ll(r, row, "version")));
	json_object_object_add(o, "allowed_actions",
			       allowed_actions(who, st, db_res_str(r, row, "lead_path")));
	return o;
}

json_object *orders_get(struct db *db, const struct principal *who, const char *number,
			struct err *e)
{
	static const char sql[] =
		"SELECT " ORDER_COLUMNS ORDER_JOINS " WHERE o.number = $1 AND " VISIBLE_SQL(2);
	struct db_res *r = DB_EXEC_P(db, e, sql, number, scope_param(who));
	json_object *o = NULL;

	if (!r)
		return NULL;
	if (db_res_rows(r) == 1)
		o = order_json(r, 0, who);
	else
		err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", number);
	db_res_free(r);
	return o;
}



/* Labels of the events the system writes outside the lifecycle table. */
json_object *orders_events(struct db *db, const struct principal *who, const char *number,
			   struct err *e)
{
	static const char sql[] =
		"SELECT ev.id, iso(ev.at) AS at, ev.action, ev.from_status, ev.to_status, ev.note,"
		" ev.payload::text AS payload, ev.actor_role, u.login, u.display_name,"
		" ed.code AS department_code, ed.name AS department_name"
		" FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"
		" JOIN order_event ev ON ev.order_id = o.id"
		" LEFT JOIN app_user u ON u.id = ev.actor_id"
		" LEFT JOIN department ed ON ed.id = ev.department_id"
		" WHERE o.number = $1 AND " VISIBLE_SQL(2) " ORDER BY ev.id";
	struct db_res *r = DB_EXEC_P(db, e, sql, number, scope_param(who));
	json_object *arr;

	if (!r)
		return NULL;
	if (db_res_rows(r) == 0) {
		db_res_free(r);
		return err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", number), NULL;
	}
	arr = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *ev = json_object_new_object();
		json_object *actor = json_object_new_object();
		int act = action_parse(db_res_str(r, i, "action"));

		json_object_object_add(ev, "id", json_object_new_int64(db_res_ll(r, i, "id")));
		json_object_object_add(ev, "at", db_res_json_text(r, i, "at"));
		json_object_object_add(ev, "action", db_res_json_text(r, i, "action"));
		json_object_object_add(ev, "action_name",
				       json_object_new_string(act >= 0 ? action_label((enum order_action)act)
								       : vocab_label_of(&vocab_system_event,
												db_res_str(r, i, "action"))));
		json_object_object_add(ev, "from_status", db_res_json_text(r, i, "from_status"));
		json_object_object_add(ev, "to_status", db_res_json_text(r, i, "to_status"));
		json_object_object_add(ev, "note", db_res_json_text(r, i, "note"));
		json_object_object_add(ev, "payload", json_tokener_parse(db_res_str(r, i, "payload")));
		json_object_object_add(actor, "login", db_res_json_text(r, i, "login"));
		json_object_object_add(actor, "name", db_res_json_text(r, i, "display_name"));
		json_object_object_add(actor, "role", db_res_json_text(r, i, "actor_role"));
		json_object_object_add(ev, "actor", actor);
		json_object_object_add(ev, "department", order_code_name(r, i, "department_code", "department_name"));
		json_object_array_add(arr, ev);
	}
	db_res_free(r);
	return arr;
}
