#include "orders/orders.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "orders/deadline.h"
#include "orders/fields.h"

/* ------------------------------------------------------------ visibility */

/*
 * The department subtree the viewer is limited to, as a SQL parameter:
 * NULL for centre staff (who see everything).
 */
static const char *scope_param(const struct principal *who)
{
	return principal_is_department(who) ? who->department_path : NULL;
}

/* `$%d` is the scope parameter; NULL scope passes everything. */
#define VISIBLE_SQL(n)                                                                    \
	"($" #n "::text IS NULL OR ld.path LIKE $" #n " || '%' OR EXISTS ("                 \
	"SELECT 1 FROM order_assist a JOIN department ad ON ad.id = a.department_id"        \
	" WHERE a.order_id = o.id AND ad.path LIKE $" #n " || '%'))"

/*
 * The columns of an order as the API shows it. Names of codes come from
 * scalar subqueries rather than joins: with a dozen joined tables the
 * planner spent far longer choosing a join order than running the query.
 * Only the lead department is joined (as ld), because visibility tests it.
 */
#define ORDER_COLUMNS \
	"o.id, o.number, o.channel, (SELECT name FROM channel WHERE code = o.channel) AS channel_name," \
	" o.request_type, (SELECT name FROM request_type WHERE code = o.request_type) AS request_type_name," \
	" o.urgency, (SELECT name FROM urgency WHERE code = o.urgency) AS urgency_name," \
	" o.category_code, coalesce((SELECT name FROM category WHERE code = o.category_code), '')" \
	"  AS category_name," \
	" o.caller_name, o.caller_phone, o.confidential, o.address," \
	" (SELECT code FROM department WHERE id = o.district_id) AS district_code," \
	" (SELECT name FROM department WHERE id = o.district_id) AS district_name," \
	" (SELECT code FROM department WHERE id = o.street_id) AS street_code," \
	" (SELECT name FROM department WHERE id = o.street_id) AS street_name," \
	" o.latitude, o.longitude," \
	" o.content, o.request, o.status, ld.code AS lead_code, ld.name AS lead_name," \
	" coalesce(ld.path, '') AS lead_path," \
	" (SELECT json_agg(json_build_object('code', ad.code, 'name', ad.name) ORDER BY ad.code)" \
	"  FROM order_assist a JOIN department ad ON ad.id = a.department_id" \
	"  WHERE a.order_id = o.id) AS assisting," \
	" iso(o.clock_started_at) AS clock_started_at, iso(o.sign_deadline) AS sign_deadline," \
	" iso(o.handle_deadline) AS handle_deadline, o.handle_unit, o.alert, o.sign_overdue," \
	" iso(o.suspended_at) AS suspended_at, iso(o.requested_deadline) AS requested_deadline," \
	" o.pending_reason, o.extension_count, o.return_count, o.reopen_count, o.press_count," \
	" o.result, o.solved, o.contacted, o.satisfaction, o.callback_result, o.transferred_to," \
	" (SELECT number FROM work_order m WHERE m.id = o.merged_into) AS merged_into," \
	" o.call_id, iso(o.signed_at) AS signed_at," \
	" iso(o.replied_at) AS replied_at, iso(o.completed_at) AS completed_at," \
	" iso(o.created_at) AS created_at, iso(o.updated_at) AS updated_at, o.version," \
	" (SELECT login FROM app_user WHERE id = o.created_by) AS created_by"

#define ORDER_JOINS \
	" FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"

/* ------------------------------------------------------------- to JSON */

static json_object *code_name(const struct db_res *r, int row, const char *code_col,
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
static json_object *allowed_actions(const struct principal *who, enum order_status st,
				    const char *lead_path)
{
	enum order_action acts[ACT_COUNT];
	size_t n = lifecycle_allowed(st, who->role, acts);
	json_object *arr = json_object_new_array();

	if (principal_is_department(who)
	    && strncmp(lead_path, who->department_path, strlen(who->department_path)))
		n = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "action", json_object_new_string(action_code(acts[i])));
		json_object_object_add(a, "name", json_object_new_string(action_label(acts[i])));
		json_object_array_add(arr, a);
	}
	return arr;
}

static json_object *order_json(const struct db_res *r, int row, const struct principal *who)
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
	json_object_object_add(o, "channel", code_name(r, row, "channel", "channel_name"));
	json_object_object_add(o, "request_type", code_name(r, row, "request_type", "request_type_name"));
	json_object_object_add(o, "urgency", code_name(r, row, "urgency", "urgency_name"));
	json_object_object_add(o, "category", code_name(r, row, "category_code", "category_name"));
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
	json_object_object_add(o, "district", code_name(r, row, "district_code", "district_name"));
	json_object_object_add(o, "street", code_name(r, row, "street_code", "street_name"));
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
	json_object_object_add(o, "lead_department", code_name(r, row, "lead_code", "lead_name"));
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
	json_object_object_add(o, "deadlines", deadlines);
	json_object_object_add(o, "pending_reason", db_res_json_text(r, row, "pending_reason"));
	json_object_object_add(counts, "extensions", json_object_new_int64(db_res_ll(r, row, "extension_count")));
	json_object_object_add(counts, "returns", json_object_new_int64(db_res_ll(r, row, "return_count")));
	json_object_object_add(counts, "reopens", json_object_new_int64(db_res_ll(r, row, "reopen_count")));
	json_object_object_add(counts, "presses", json_object_new_int64(db_res_ll(r, row, "press_count")));
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
		err_set(e, 404, "not-found", "no order \"%s\"", number);
	db_res_free(r);
	return o;
}

/* ---------------------------------------------------------------- create */

/* Maps a foreign-key constraint of work_order to the input field. */
static void name_constraint_field(struct err *e, json_object *body)
{
	static const struct {
		const char *constraint, *field;
	} map[] = {
		{ "work_order_channel_fkey", "channel" },
		{ "work_order_request_type_fkey", "request_type" },
		{ "work_order_urgency_fkey", "urgency" },
		{ "work_order_category_code_fkey", "category" },
		{ "work_order_latitude_check", "latitude" },
		{ "work_order_longitude_check", "longitude" },
	};

	if (!e || strcmp(e->code, "constraint"))
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(e->field, map[i].constraint))
			continue;
		const char *value = json_str(body, map[i].field);
		err_field(e, 422, map[i].field, "unknown or invalid %s \"%s\"", map[i].field,
			  value ? value : "");
		return;
	}
}

struct new_order {
	const char *channel, *request_type, *urgency, *category;
	const char *caller_name, *address, *district, *street, *content, *request, *call_id;
	char phone[PHONE_MAX];
	bool confidential;
	double latitude, longitude;
	bool has_location;
};

static bool parse_new_order(json_object *body, struct new_order *n, struct err *e)
{
	const char *phone = NULL;

	memset(n, 0, sizeof(*n));
	n->channel = "phone";
	n->urgency = "normal";
	n->caller_name = n->address = n->request = "";
	if (!json_get_string(body, "channel", false, &n->channel, e)
	    || !json_get_string(body, "request_type", true, &n->request_type, e)
	    || !json_get_string(body, "urgency", false, &n->urgency, e)
	    || !json_get_string(body, "category", false, &n->category, e)
	    || !json_get_string(body, "caller_name", false, &n->caller_name, e)
	    || !json_get_string(body, "caller_phone", false, &phone, e)
	    || !json_get_bool(body, "confidential", false, &n->confidential, e)
	    || !json_get_string(body, "address", false, &n->address, e)
	    || !json_get_string(body, "district", false, &n->district, e)
	    || !json_get_string(body, "street", false, &n->street, e)
	    || !json_get_string(body, "content", true, &n->content, e)
	    || !json_get_string(body, "request", false, &n->request, e)
	    || !json_get_string(body, "call_id", false, &n->call_id, e))
		return false;
	if (json_object_object_get_ex(body, "latitude", NULL)
	    || json_object_object_get_ex(body, "longitude", NULL)) {
		if (!json_get_double(body, "latitude", true, &n->latitude, e)
		    || !json_get_double(body, "longitude", true, &n->longitude, e))
			return false;
		if (n->latitude < -90 || n->latitude > 90)
			return err_field(e, 422, "latitude", "latitude %g is out of range -90 to 90", n->latitude);
		if (n->longitude < -180 || n->longitude > 180)
			return err_field(e, 422, "longitude", "longitude %g is out of range -180 to 180", n->longitude);
		n->has_location = true;
	}
	if (phone && *phone && !phone_normalise(phone, n->phone, "caller_phone", e))
		return false;
	if (!*n->content || strspn(n->content, " \t\r\n") == strlen(n->content))
		return err_field(e, 422, "content", "field \"content\" must not be empty");
	return text_check(n->content, ORDER_CONTENT_MAX, "content", e)
	       && text_check(n->caller_name, 64, "caller_name", e)
	       && text_check(n->address, 500, "address", e)
	       && text_check(n->request, 1000, "request", e);
}

/*
 * Why registration found no row: the district or street code that is
 * unknown (false, 422 naming the field). True if both are known after all.
 */
static bool places_known(struct db *db, const struct new_order *n, struct err *e)
{
	struct db_res *r;
	bool ok = true;

	r = DB_EXEC(db, e,
		    "SELECT (SELECT id FROM department WHERE code = $1 AND kind = 'district') AS district,"
		    " (SELECT id FROM department WHERE code = $2 AND kind = 'street') AS street",
		    n->district, n->street);
	if (!r)
		return false;
	if (n->district && db_res_isnull(r, 0, db_res_col(r, "district")))
		ok = err_field(e, 422, "district", "unknown district \"%s\"", n->district);
	else if (n->street && db_res_isnull(r, 0, db_res_col(r, "street")))
		ok = err_field(e, 422, "street", "unknown street \"%s\"", n->street);
	db_res_free(r);
	return ok;
}

/*
 * Registration in one statement, so one round trip and its own transaction:
 * the district and street codes resolved, the day's counter advanced, the
 * order inserted, its "register" event written, and the order read back
 * with the columns orders_get() reads. It yields no row, and uses up no
 * number, when a district or street code given is unknown.
 * scripts/bench.d/pgbench_sql.py reads this text for the pgbench baseline.
 */
static const char create_order_sql[] =
	"WITH place AS ("
	" SELECT (SELECT id FROM department WHERE code = $9 AND kind = 'district') AS district_id,"
	"  (SELECT id FROM department WHERE code = $10 AND kind = 'street') AS street_id),"
	" n AS ("
	" INSERT INTO order_counter (day, last)"
	" SELECT (now() AT TIME ZONE current_setting('TimeZone'))::date, 1 FROM place"
	"  WHERE ($9::text IS NULL OR district_id IS NOT NULL)"
	"  AND ($10::text IS NULL OR street_id IS NOT NULL)"
	" ON CONFLICT (day) DO UPDATE SET last = order_counter.last + 1"
	" RETURNING day, last),"
	" created AS ("
	" INSERT INTO work_order (number, channel, request_type, urgency, category_code,"
	"  caller_name, caller_phone, confidential, address, district_id, street_id, latitude,"
	"  longitude, content, request, status, call_id, created_by, idempotency_key)"
	" SELECT to_char(n.day, 'YYYYMMDD') || '-' || lpad(n.last::text, 6, '0'),"
	"  $1, $2, $3, $4, $5, $6, $7, $8, place.district_id, place.street_id, $11::float8,"
	"  $12::float8, $13, $14, 'pending', $15, $16::integer, $17 FROM n, place"
	" RETURNING *),"
	" ev AS ("
	" INSERT INTO order_event (order_id, actor_id, actor_role, department_id, action,"
	"  from_status, to_status, note, payload)"
	" SELECT id, $16::integer, $18, $19::integer, 'register', NULL, 'pending', '',"
	"  jsonb_build_object('channel', $1::text) FROM created)"
	" SELECT " ORDER_COLUMNS " FROM created o LEFT JOIN department ld ON ld.id = o.lead_department_id";

static const char insert_event_sql[] =
	"INSERT INTO order_event (order_id, actor_id, actor_role, department_id, action,"
	" from_status, to_status, note, payload)"
	" VALUES ($1, $2::integer, $3, $4::integer, $5, $6, $7, $8, $9::jsonb)";

static bool write_event(struct db *db, const struct principal *who, const char *order_id,
			enum order_action action, enum order_status from, enum order_status to,
			const char *note, json_object *payload, struct err *e)
{
	char uid[16], dept[16];
	const char *payload_text = payload ? json_object_to_json_string_ext(
		payload, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "{}";

	snprintf(uid, sizeof(uid), "%d", who->user_id);
	snprintf(dept, sizeof(dept), "%d", who->department_id);
	return DB_RUN_P(db, e, insert_event_sql, order_id, who->user_id ? uid : NULL,
			role_code(who->role), who->department_id ? dept : NULL, action_code(action),
			from == ST_NONE ? NULL : status_code(from),
			to == ST_NONE ? NULL : status_code(to), note ? note : "", payload_text);
}

/*
 * The order made earlier with this idempotency key, as orders_get() would
 * show it (404 if the viewer may not see it), or NULL with `e` unset if
 * there is none.
 */
static json_object *find_idempotent(struct db *db, const struct principal *who,
				    const char *key, struct err *e)
{
	static const char sql[] =
		"SELECT " ORDER_COLUMNS ", " VISIBLE_SQL(3) " AS visible" ORDER_JOINS
		" WHERE o.created_by = $1::integer AND o.idempotency_key = $2";
	char uid[16];
	struct db_res *r;
	json_object *o = NULL;

	snprintf(uid, sizeof(uid), "%d", who->user_id);
	r = DB_EXEC_P(db, e, sql, uid, key, scope_param(who));
	if (!r)
		return NULL;
	if (db_res_rows(r) == 1 && db_res_bool(r, 0, "visible"))
		o = order_json(r, 0, who);
	else if (db_res_rows(r) == 1)
		err_set(e, 404, "not-found", "no order \"%s\"", db_res_str(r, 0, "number"));
	db_res_free(r);
	return o;
}

json_object *orders_create(struct db *db, const struct principal *who, json_object *body,
			   const char *idempotency_key, bool *created, struct err *e)
{
	struct new_order n;
	char lat[32], lon[32], uid[16], dept[16];
	struct db_res *r;
	json_object *o = NULL;

	*created = false;
	if (idempotency_key && (!*idempotency_key || strlen(idempotency_key) > 200))
		return err_set(e, 400, "bad-idempotency-key",
			       "Idempotency-Key must be 1 to 200 characters"), NULL;
	if (idempotency_key) {
		json_object *earlier = find_idempotent(db, who, idempotency_key, e);
		if (earlier || err_isset(e))
			return earlier;
	}
	if (!parse_new_order(body, &n, e))
		return NULL;
	snprintf(lat, sizeof(lat), "%.8f", n.latitude);
	snprintf(lon, sizeof(lon), "%.8f", n.longitude);
	snprintf(uid, sizeof(uid), "%d", who->user_id);
	snprintf(dept, sizeof(dept), "%d", who->department_id);
	r = DB_EXEC_P(db, e, create_order_sql, n.channel, n.request_type, n.urgency, n.category,
		      n.caller_name, n.phone, n.confidential ? "true" : "false", n.address,
		      n.district, n.street, n.has_location ? lat : NULL, n.has_location ? lon : NULL,
		      n.content, n.request, n.call_id, who->user_id ? uid : NULL, idempotency_key,
		      role_code(who->role), who->department_id ? dept : NULL);
	if (!r) {
		if (e && !strcmp(e->code, "unique-violation") && idempotency_key) {
			/* A concurrent retry with the same key won the race. */
			err_clear(e);
			return find_idempotent(db, who, idempotency_key, e);
		}
		name_constraint_field(e, body);
		return NULL;
	}
	if (db_res_rows(r) == 1) {
		*created = true;
		/*
		 * A new order has no lead or assisting unit yet, so only centre
		 * staff may see it (VISIBLE_SQL with a NULL scope).
		 */
		if (principal_is_department(who))
			err_set(e, 404, "not-found", "no order \"%s\"", db_res_str(r, 0, "number"));
		else
			o = order_json(r, 0, who);
	} else if (places_known(db, &n, e)) {
		err_set(e, 409, "conflict", "the district or street changed during registration; try again");
	}
	db_res_free(r);
	return o;
}

/* ---------------------------------------------------------- events, list */

/* Labels of the events the system writes outside the lifecycle table. */
static const char *system_event_label(const char *action)
{
	if (!strcmp(action, "alert"))
		return "时限预警";
	if (!strcmp(action, "sign_overdue"))
		return "签收超时";
	if (!strcmp(action, "police_feedback"))
		return "110反馈";
	return action;
}

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
		return err_set(e, 404, "not-found", "no order \"%s\"", number), NULL;
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
								       : system_event_label(db_res_str(r, i, "action"))));
		json_object_object_add(ev, "from_status", db_res_json_text(r, i, "from_status"));
		json_object_object_add(ev, "to_status", db_res_json_text(r, i, "to_status"));
		json_object_object_add(ev, "note", db_res_json_text(r, i, "note"));
		json_object_object_add(ev, "payload", json_tokener_parse(db_res_str(r, i, "payload")));
		json_object_object_add(actor, "login", db_res_json_text(r, i, "login"));
		json_object_object_add(actor, "name", db_res_json_text(r, i, "display_name"));
		json_object_object_add(actor, "role", db_res_json_text(r, i, "actor_role"));
		json_object_object_add(ev, "actor", actor);
		json_object_object_add(ev, "department", code_name(r, i, "department_code", "department_name"));
		json_object_array_add(arr, ev);
	}
	db_res_free(r);
	return arr;
}

json_object *orders_list(struct db *db, const struct principal *who,
			 const struct order_filter *f, struct err *e)
{
	struct buf sql = BUF_INIT;
	const char *params[16];
	char phone[PHONE_MAX], from[32], to[32], after[32];
	int np = 0, lim = f->limit > 0 ? (f->limit > ORDER_LIST_MAX ? ORDER_LIST_MAX : f->limit)
				       : ORDER_LIST_DEFAULT;
	json_object *out = NULL, *items;
	struct db_res *r;

	/*
	 * Only fixed fragments go into the SQL text, and every value from the
	 * request is a parameter. Two exceptions keep a page's plan reusable
	 * (the statement is prepared): centre staff, who see everything, get
	 * no visibility test at all rather than one with a NULL scope, and the
	 * page size, a number bounded here, is written into the text (with
	 * LIMIT $n PostgreSQL plans for a tenth of the table, and so plans
	 * every execution afresh).
	 */
	buf_adds(&sql, "SELECT " ORDER_COLUMNS ORDER_JOINS " WHERE ");
	if (scope_param(who)) {
		params[np++] = scope_param(who);
		buf_adds(&sql, VISIBLE_SQL(1));
	} else {
		buf_adds(&sql, "true");
	}
	if (f->status) {
		params[np++] = f->status;
		buf_addf(&sql, " AND o.status = ANY (string_to_array($%d, ','))", np);
	}
	if (f->department) {
		params[np++] = f->department;
		buf_addf(&sql, " AND ld.path LIKE (SELECT path FROM department WHERE code = $%d) || '%%'", np);
	}
	if (f->request_type) {
		params[np++] = f->request_type;
		buf_addf(&sql, " AND o.request_type = $%d", np);
	}
	if (f->urgency) {
		params[np++] = f->urgency;
		buf_addf(&sql, " AND o.urgency = $%d", np);
	}
	if (f->category) {
		params[np++] = f->category;
		buf_addf(&sql, " AND o.category_code LIKE $%d || '%%'", np);
	}
	if (f->caller_phone) {
		if (!phone_normalise(f->caller_phone, phone, "caller_phone", e)) {
			e->status = 400;
			snprintf(e->code, sizeof(e->code), "bad-request");
			goto out;
		}
		params[np++] = phone;
		buf_addf(&sql, " AND o.caller_phone = $%d", np);
		/* A department must not learn who a confidential caller is by guessing. */
		if (principal_is_department(who))
			buf_adds(&sql, " AND NOT o.confidential");
	}
	if (f->text) {
		params[np++] = f->text;
		buf_addf(&sql, " AND (o.content || ' ' || o.address) ILIKE '%%' || "
			       "replace(replace(replace($%d, '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%'", np);
	}
	if (f->overdue)
		buf_adds(&sql, " AND o.alert = 'red'");
	if (f->created_from) {
		snprintf(from, sizeof(from), "%lld", (long long)f->created_from);
		params[np++] = from;
		buf_addf(&sql, " AND o.created_at >= to_timestamp($%d)", np);
	}
	if (f->created_to) {
		snprintf(to, sizeof(to), "%lld", (long long)f->created_to);
		params[np++] = to;
		buf_addf(&sql, " AND o.created_at < to_timestamp($%d)", np);
	}
	if (f->after > 0) {
		snprintf(after, sizeof(after), "%lld", f->after);
		params[np++] = after;
		buf_addf(&sql, " AND o.id < $%d", np);
	}
	buf_addf(&sql, " ORDER BY o.id DESC LIMIT %d", lim + 1);
	/*
	 * A creation-time range is left unprepared: a generic plan assumes a
	 * narrow range and may pick the creation-time index for a wide one.
	 */
	if (f->created_from || f->created_to)
		r = db_exec(db, sql.data, np, params, e);
	else
		r = db_exec_prepared(db, sql.data, np, params, e);
	if (!r)
		goto out;
	out = json_object_new_object();
	items = json_object_new_array();
	int rows = db_res_rows(r);
	for (int i = 0; i < rows && i < lim; i++)
		json_object_array_add(items, order_json(r, i, who));
	json_object_object_add(out, "items", items);
	if (rows > lim)
		json_object_object_add(out, "next_cursor", json_object_new_string(db_res_str(r, lim - 1, "id")));
	else
		json_object_object_add(out, "next_cursor", NULL);
	db_res_free(r);
out:
	buf_release(&sql);
	return out;
}

/* --------------------------------------------------------------- actions */

/*
 * The mutable part of an order, loaded under a row lock, changed by one
 * action handler, and written back in one UPDATE. Times are epoch seconds,
 * 0 meaning NULL; tri-state booleans are -1 for NULL.
 */
struct order_row {
	char id[24];
	char number[32];
	char channel[16];
	char request_type[24];
	char urgency[24];
	int version;
	enum order_status status;
	int lead_department_id;		/* 0 = none */
	char lead_path[256];
	time_t clock_started_at, sign_deadline, handle_deadline, suspended_at;
	time_t requested_deadline, signed_at, replied_at, completed_at;
	enum deadline_unit handle_unit;
	double warn_fraction;
	char alert[8];
	bool sign_overdue;
	char *pending_reason;
	int extension_count, return_count, reopen_count, press_count;
	char *result;
	int solved, contacted;
	char satisfaction[16];
	char callback_result[32];
	char transferred_to[16];
	long long merged_into;		/* 0 = none */
};

static void row_release(struct order_row *o)
{
	free(o->pending_reason);
	free(o->result);
}

static void set_text(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value ? value : "");
}

static int tristate(const struct db_res *r, const char *col)
{
	int c = db_res_col(r, col);

	return db_res_isnull(r, 0, c) ? -1 : db_res_get(r, 0, c)[0] == 't';
}

static const char load_sql[] =
	"SELECT o.id, o.number, o.channel, o.request_type, o.urgency, o.version, o.status,"
	" coalesce(o.lead_department_id, 0) AS lead_department_id, coalesce(ld.path, '') AS lead_path,"
	" extract(epoch FROM o.clock_started_at)::bigint AS clock_started_at,"
	" extract(epoch FROM o.sign_deadline)::bigint AS sign_deadline,"
	" extract(epoch FROM o.handle_deadline)::bigint AS handle_deadline,"
	" extract(epoch FROM o.suspended_at)::bigint AS suspended_at,"
	" extract(epoch FROM o.requested_deadline)::bigint AS requested_deadline,"
	" extract(epoch FROM o.signed_at)::bigint AS signed_at,"
	" extract(epoch FROM o.replied_at)::bigint AS replied_at,"
	" extract(epoch FROM o.completed_at)::bigint AS completed_at,"
	" coalesce(o.handle_unit, 'workdays') AS handle_unit, o.warn_fraction, o.alert,"
	" o.sign_overdue, o.pending_reason, o.extension_count, o.return_count, o.reopen_count,"
	" o.press_count, o.result, o.solved, o.contacted, coalesce(o.satisfaction, '') AS satisfaction,"
	" coalesce(o.callback_result, '') AS callback_result,"
	" coalesce(o.transferred_to, '') AS transferred_to, coalesce(o.merged_into, 0) AS merged_into"
	" FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"
	" WHERE o.number = $1 AND " VISIBLE_SQL(2) " FOR UPDATE OF o";

static bool row_load(struct db *db, const struct principal *who, const char *number,
		     struct order_row *o, struct err *e)
{
	struct db_res *r = DB_EXEC_P(db, e, load_sql, number, scope_param(who));

	memset(o, 0, sizeof(*o));
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return err_set(e, 404, "not-found", "no order \"%s\"", number);
	}
	snprintf(o->id, sizeof(o->id), "%s", db_res_str(r, 0, "id"));
	snprintf(o->number, sizeof(o->number), "%s", db_res_str(r, 0, "number"));
	snprintf(o->channel, sizeof(o->channel), "%s", db_res_str(r, 0, "channel"));
	snprintf(o->request_type, sizeof(o->request_type), "%s", db_res_str(r, 0, "request_type"));
	snprintf(o->urgency, sizeof(o->urgency), "%s", db_res_str(r, 0, "urgency"));
	o->version = (int)db_res_ll(r, 0, "version");
	o->status = status_parse(db_res_str(r, 0, "status"));
	o->lead_department_id = (int)db_res_ll(r, 0, "lead_department_id");
	snprintf(o->lead_path, sizeof(o->lead_path), "%s", db_res_str(r, 0, "lead_path"));
	o->clock_started_at = (time_t)db_res_ll(r, 0, "clock_started_at");
	o->sign_deadline = (time_t)db_res_ll(r, 0, "sign_deadline");
	o->handle_deadline = (time_t)db_res_ll(r, 0, "handle_deadline");
	o->suspended_at = (time_t)db_res_ll(r, 0, "suspended_at");
	o->requested_deadline = (time_t)db_res_ll(r, 0, "requested_deadline");
	o->signed_at = (time_t)db_res_ll(r, 0, "signed_at");
	o->replied_at = (time_t)db_res_ll(r, 0, "replied_at");
	o->completed_at = (time_t)db_res_ll(r, 0, "completed_at");
	o->handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, 0, "handle_unit"));
	o->warn_fraction = atof(db_res_str(r, 0, "warn_fraction"));
	snprintf(o->alert, sizeof(o->alert), "%s", db_res_str(r, 0, "alert"));
	o->sign_overdue = db_res_bool(r, 0, "sign_overdue");
	o->pending_reason = xstrdup(db_res_str(r, 0, "pending_reason"));
	o->extension_count = (int)db_res_ll(r, 0, "extension_count");
	o->return_count = (int)db_res_ll(r, 0, "return_count");
	o->reopen_count = (int)db_res_ll(r, 0, "reopen_count");
	o->press_count = (int)db_res_ll(r, 0, "press_count");
	o->result = xstrdup(db_res_str(r, 0, "result"));
	o->solved = tristate(r, "solved");
	o->contacted = tristate(r, "contacted");
	snprintf(o->satisfaction, sizeof(o->satisfaction), "%s", db_res_str(r, 0, "satisfaction"));
	snprintf(o->callback_result, sizeof(o->callback_result), "%s", db_res_str(r, 0, "callback_result"));
	snprintf(o->transferred_to, sizeof(o->transferred_to), "%s", db_res_str(r, 0, "transferred_to"));
	o->merged_into = db_res_ll(r, 0, "merged_into");
	db_res_free(r);
	return true;
}

static const char store_sql[] =
	"UPDATE work_order SET status = $2, lead_department_id = $3::integer,"
	" clock_started_at = to_timestamp($4::bigint), sign_deadline = to_timestamp($5::bigint),"
	" handle_deadline = to_timestamp($6::bigint), suspended_at = to_timestamp($7::bigint),"
	" requested_deadline = to_timestamp($8::bigint), signed_at = to_timestamp($9::bigint),"
	" replied_at = to_timestamp($10::bigint), completed_at = to_timestamp($11::bigint),"
	" handle_unit = $12, warn_fraction = $13::numeric,"
	" warn_at = to_timestamp($4::bigint)"
	"  + (to_timestamp($6::bigint) - to_timestamp($4::bigint)) * $13::float8,"
	" alert = $14, sign_overdue = $15::boolean,"
	" pending_reason = $16, extension_count = $17::integer, return_count = $18::integer,"
	" reopen_count = $19::integer, press_count = $20::integer, result = $21,"
	" solved = $22::boolean, contacted = $23::boolean, satisfaction = $24,"
	" callback_result = $25, transferred_to = $26, merged_into = $27::bigint,"
	" version = version + 1, updated_at = now()"
	" WHERE id = $1";

static bool row_store(struct db *db, const struct order_row *o, struct err *e)
{
	char t[8][24], n[8][16], lead[16], warn[16], merged[24];
	time_t times[8] = { o->clock_started_at, o->sign_deadline, o->handle_deadline,
			    o->suspended_at, o->requested_deadline, o->signed_at,
			    o->replied_at, o->completed_at };
	int ints[4] = { o->extension_count, o->return_count, o->reopen_count, o->press_count };
	const char *tp[8];
	static const char *const tri[] = { NULL, "false", "true" };

	for (int i = 0; i < 8; i++) {
		snprintf(t[i], sizeof(t[i]), "%lld", (long long)times[i]);
		tp[i] = times[i] ? t[i] : NULL;
	}
	for (int i = 0; i < 4; i++)
		snprintf(n[i], sizeof(n[i]), "%d", ints[i]);
	snprintf(lead, sizeof(lead), "%d", o->lead_department_id);
	snprintf(warn, sizeof(warn), "%.3f", o->warn_fraction);
	snprintf(merged, sizeof(merged), "%lld", o->merged_into);
	return DB_RUN_P(db, e, store_sql, o->id, status_code(o->status),
			o->lead_department_id ? lead : NULL, tp[0], tp[1], tp[2], tp[3], tp[4], tp[5],
			tp[6], tp[7], o->clock_started_at ? deadline_unit_code(o->handle_unit) : NULL,
			warn, o->alert, o->sign_overdue ? "true" : "false", o->pending_reason, n[0],
			n[1], n[2], n[3], o->result, tri[o->solved + 1], tri[o->contacted + 1],
			o->satisfaction[0] ? o->satisfaction : NULL,
			o->callback_result[0] ? o->callback_result : NULL,
			o->transferred_to[0] ? o->transferred_to : NULL,
			o->merged_into ? merged : NULL);
}

/* Everything an action handler needs. */
struct act_ctx {
	struct db *db;
	const struct principal *who;
	struct order_row *row;
	json_object *body;		/* parameters; may be NULL */
	json_object *payload;		/* what goes into the event */
	const char *note;		/* the event's note */
	time_t now;
	struct err *e;
};

static bool param_text(struct act_ctx *c, const char *key, bool required, const char **out,
		       size_t max_chars)
{
	*out = NULL;
	if (!json_get_string(c->body, key, required, out, c->e))
		return false;
	if (*out && !text_check(*out, max_chars, key, c->e))
		return false;
	if (required && strspn(*out, " \t\r\n") == strlen(*out))
		return err_field(c->e, 422, key, "field \"%s\" must not be empty", key);
	if (*out)
		json_object_object_add(c->payload, key, json_object_new_string(*out));
	return true;
}

/* Looks up an active department by code: id and path. 422 naming `field`. */
static bool department_lookup(struct act_ctx *c, const char *field, const char *code,
			      int *id, char path[256])
{
	struct db_res *r = DB_EXEC_P(c->db, c->e,
		"SELECT id, path FROM department WHERE code = $1 AND active", code);
	bool ok;

	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok) {
		*id = (int)db_res_ll(r, 0, "id");
		snprintf(path, 256, "%s", db_res_str(r, 0, "path"));
	} else {
		err_field(c->e, 422, field, "unknown or inactive department \"%s\"", code);
	}
	db_res_free(r);
	return ok;
}

/* Starts the sign-for and handling clocks at `now` for the order's policy. */
static bool start_clocks(struct act_ctx *c)
{
	struct deadline_policy p;
	struct order_row *o = c->row;

	if (!deadline_policy_get(c->db, o->request_type, o->urgency, &p, c->e))
		return false;
	o->clock_started_at = c->now;
	o->sign_deadline = deadline_add(c->now, p.sign_limit, p.sign_unit);
	o->handle_deadline = deadline_add(c->now, p.handle_limit, p.handle_unit);
	o->handle_unit = p.handle_unit;
	o->warn_fraction = p.warn_fraction;
	snprintf(o->alert, sizeof(o->alert), "green");
	o->sign_overdue = false;
	o->signed_at = 0;
	return true;
}

static void add_time(json_object *payload, const char *key, time_t t)
{
	char iso[TIMEUTIL_ISO_LEN];

	time_format_iso(t, iso);
	json_object_object_add(payload, key, json_object_new_string(iso));
}

/* Sets the lead unit from the "department" parameter and the assisting units. */
static bool assign_departments(struct act_ctx *c, bool with_assist)
{
	const char *code;
	char path[256];
	json_object *assist = NULL;

	if (!param_text(c, "department", true, &code, 32)
	    || !department_lookup(c, "department", code, &c->row->lead_department_id, path))
		return false;
	snprintf(c->row->lead_path, sizeof(c->row->lead_path), "%s", path);
	if (!with_assist)
		return true;
	if (!DB_RUN_P(c->db, c->e, "DELETE FROM order_assist WHERE order_id = $1", c->row->id))
		return false;
	if (!json_object_object_get_ex(c->body, "assisting", &assist) || !assist)
		return true;
	if (!json_object_is_type(assist, json_type_array))
		return err_field(c->e, 422, "assisting", "field \"assisting\" must be a list of department codes");
	json_object *copy = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(assist); i++) {
		json_object *item = json_object_array_get_idx(assist, i);
		const char *acode = json_object_get_string(item);
		struct db_res *r;
		if (!json_object_is_type(item, json_type_string)) {
			json_object_put(copy);
			return err_field(c->e, 422, "assisting", "field \"assisting\" must be a list of department codes");
		}
		bool listed = !strcmp(acode, code);	/* the lead is not also an assistant */
		for (size_t k = 0; k < json_object_array_length(copy); k++)
			listed |= !strcmp(acode, json_object_get_string(json_object_array_get_idx(copy, k)));
		if (listed)
			continue;
		r = DB_EXEC_P(c->db, c->e,
			      "INSERT INTO order_assist (order_id, department_id)"
			      " SELECT $1, id FROM department WHERE code = $2 AND active AND code <> $3"
			      " ON CONFLICT DO NOTHING RETURNING department_id",
			      c->row->id, acode, code);
		if (!r) {
			json_object_put(copy);
			return false;
		}
		bool found = db_res_rows(r) == 1;
		db_res_free(r);
		if (!found) {
			json_object_put(copy);
			return err_field(c->e, 422, "assisting", "unknown or inactive department \"%s\"", acode);
		}
		json_object_array_add(copy, json_object_new_string(acode));
	}
	json_object_object_add(c->payload, "assisting", copy);
	return true;
}

static bool act_dispatch(struct act_ctx *c)
{
	if (!assign_departments(c, true) || !start_clocks(c))
		return false;
	param_text(c, "note", false, &c->note, 1000);
	add_time(c->payload, "sign_deadline", c->row->sign_deadline);
	add_time(c->payload, "handle_deadline", c->row->handle_deadline);
	return !err_isset(c->e);
}

static bool act_sign(struct act_ctx *c)
{
	c->row->signed_at = c->now;
	if (c->row->sign_deadline && c->now > c->row->sign_deadline)
		c->row->sign_overdue = true;
	return param_text(c, "note", false, &c->note, 1000);
}

static bool act_return(struct act_ctx *c)
{
	const char *reason;

	if (!param_text(c, "reason", true, &reason, 1000))
		return false;
	set_text(&c->row->pending_reason, reason);
	c->row->return_count++;
	c->note = reason;
	return true;
}

static bool act_approve_return(struct act_ctx *c)
{
	int old = c->row->lead_department_id;

	if (!assign_departments(c, true))
		return false;
	if (c->row->lead_department_id == old)
		return err_field(c->e, 422, "department",
				 "re-dispatch must go to another department than the one that returned it");
	set_text(&c->row->pending_reason, "");
	param_text(c, "note", false, &c->note, 1000);
	return !err_isset(c->e) && start_clocks(c);
}

/* The order goes back to the same unit, which must sign for it again: a
 * fresh sign-for clock; the handling deadline stands. */
static bool act_reject_return(struct act_ctx *c)
{
	struct deadline_policy p;

	set_text(&c->row->pending_reason, "");
	if (!param_text(c, "reason", true, &c->note, 1000)
	    || !deadline_policy_get(c->db, c->row->request_type, c->row->urgency, &p, c->e))
		return false;
	c->row->sign_deadline = deadline_add(c->now, p.sign_limit, p.sign_unit);
	c->row->signed_at = 0;
	return true;
}

static bool act_sub_dispatch(struct act_ctx *c)
{
	const char *code;
	char path[256];
	int id;
	struct deadline_policy p;

	if (!param_text(c, "department", true, &code, 32)
	    || !department_lookup(c, "department", code, &id, path))
		return false;
	if (strncmp(path, c->row->lead_path, strlen(c->row->lead_path)) || id == c->row->lead_department_id)
		return err_field(c->e, 422, "department",
				 "department \"%s\" is not a sub-unit of the department handling the order", code);
	c->row->lead_department_id = id;
	snprintf(c->row->lead_path, sizeof(c->row->lead_path), "%s", path);
	/* The sub-unit gets its own sign-for clock; the handling deadline stands. */
	if (!deadline_policy_get(c->db, c->row->request_type, c->row->urgency, &p, c->e))
		return false;
	c->row->sign_deadline = deadline_add(c->now, p.sign_limit, p.sign_unit);
	c->row->signed_at = 0;
	return param_text(c, "note", false, &c->note, 1000);
}

static bool act_request_extension(struct act_ctx *c)
{
	const char *until = NULL;
	int64_t days = 0;
	time_t wanted;

	if (!param_text(c, "reason", true, &c->note, 1000)
	    || !json_get_string(c->body, "until", false, &until, c->e)
	    || !json_get_int(c->body, "workdays", false, &days, c->e))
		return false;
	if (c->row->handle_deadline && c->now > c->row->handle_deadline)
		return err_set(c->e, 409, "past-deadline",
			       "an extension must be asked for before the deadline, which has passed");
	if (until) {
		if (!time_parse_iso(until, &wanted, "until", c->e)) {
			c->e->status = 422;
			snprintf(c->e->code, sizeof(c->e->code), "invalid-field");
			return false;
		}
	} else if (days >= 1 && days <= 60) {
		wanted = deadline_add(c->row->handle_deadline, (int)days, UNIT_WORKDAYS);
	} else {
		return err_field(c->e, 422, "workdays",
				 "give either \"until\" (a time) or \"workdays\" (1 to 60) for the new deadline");
	}
	if (wanted <= c->row->handle_deadline)
		return err_field(c->e, 422, until ? "until" : "workdays",
				 "the new deadline must be later than the current one");
	c->row->requested_deadline = wanted;
	add_time(c->payload, "requested_deadline", wanted);
	return true;
}

static bool act_decide_extension(struct act_ctx *c, bool approve)
{
	if (!param_text(c, "note", false, &c->note, 1000))
		return false;
	if (approve) {
		add_time(c->payload, "old_deadline", c->row->handle_deadline);
		c->row->handle_deadline = c->row->requested_deadline;
		add_time(c->payload, "new_deadline", c->row->handle_deadline);
		c->row->extension_count++;
		snprintf(c->row->alert, sizeof(c->row->alert), "green");
	}
	c->row->requested_deadline = 0;
	return true;
}

static bool act_approve_extension(struct act_ctx *c) { return act_decide_extension(c, true); }
static bool act_reject_extension(struct act_ctx *c) { return act_decide_extension(c, false); }

static bool act_suspend(struct act_ctx *c)
{
	c->row->suspended_at = c->now;
	return param_text(c, "reason", true, &c->note, 1000);
}

static bool act_resume(struct act_ctx *c)
{
	time_t old = c->row->handle_deadline;

	c->row->handle_deadline = deadline_push_back(old, c->row->handle_unit,
						     c->row->suspended_at, c->now);
	add_time(c->payload, "suspended_at", c->row->suspended_at);
	add_time(c->payload, "old_deadline", old);
	add_time(c->payload, "new_deadline", c->row->handle_deadline);
	c->row->suspended_at = 0;
	return param_text(c, "note", false, &c->note, 1000);
}

static bool act_reply(struct act_ctx *c)
{
	const char *result;
	bool solved, contacted;

	if (!param_text(c, "result", true, &result, ORDER_CONTENT_MAX)
	    || !json_get_bool(c->body, "solved", true, &solved, c->e)
	    || !json_get_bool(c->body, "contacted", true, &contacted, c->e))
		return false;
	set_text(&c->row->result, result);
	c->row->solved = solved;
	c->row->contacted = contacted;
	c->row->replied_at = c->now;
	c->row->satisfaction[0] = '\0';
	json_object_object_add(c->payload, "solved", json_object_new_boolean(solved));
	json_object_object_add(c->payload, "contacted", json_object_new_boolean(contacted));
	return true;
}

/*
 * The callback (回访): a rating and whether the matter was solved; or
 * {"unreachable": true} when the caller could not be reached after the
 * configured attempts (closed as 无法回访, with no rating); or
 * {"skipped": true} when the order fell outside the share of orders the
 * city calls back (closed by the system, with no rating).
 */
static bool act_callback(struct act_ctx *c)
{
	const char *sat = NULL;
	bool solved = false, unreachable = false, skipped = false;

	if (!json_get_bool(c->body, "unreachable", false, &unreachable, c->e)
	    || !json_get_bool(c->body, "skipped", false, &skipped, c->e)
	    || !param_text(c, "note", false, &c->note, 1000))
		return false;
	c->row->completed_at = c->now;
	if (unreachable || skipped) {
		snprintf(c->row->callback_result, sizeof(c->row->callback_result), "%s",
			 unreachable ? "unreachable" : "not_sampled");
		c->row->satisfaction[0] = '\0';
		json_object_object_add(c->payload, unreachable ? "unreachable" : "skipped",
				       json_object_new_boolean(true));
		return true;
	}
	if (!param_text(c, "satisfaction", true, &sat, 16)
	    || !json_get_bool(c->body, "solved", true, &solved, c->e))
		return false;
	if (strcmp(sat, "satisfied") && strcmp(sat, "basically") && strcmp(sat, "unsatisfied"))
		return err_field(c->e, 422, "satisfaction",
				 "unknown satisfaction \"%s\": expected satisfied, basically or unsatisfied", sat);
	snprintf(c->row->satisfaction, sizeof(c->row->satisfaction), "%s", sat);
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "rated");
	c->row->solved = solved;
	json_object_object_add(c->payload, "solved", json_object_new_boolean(solved));
	return true;
}

static bool act_reopen(struct act_ctx *c)
{
	if (!param_text(c, "reason", true, &c->note, 1000))
		return false;
	c->row->reopen_count++;
	c->row->replied_at = 0;
	c->row->solved = -1;
	c->row->contacted = -1;
	c->row->satisfaction[0] = '\0';
	if (!start_clocks(c))
		return false;
	add_time(c->payload, "handle_deadline", c->row->handle_deadline);
	return true;
}

static bool act_answer(struct act_ctx *c)
{
	const char *answer;

	if (!param_text(c, "answer", true, &answer, ORDER_CONTENT_MAX))
		return false;
	set_text(&c->row->result, answer);
	c->row->solved = 1;
	c->row->completed_at = c->now;
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "answered");
	return true;
}

static bool act_not_accept(struct act_ctx *c)
{
	const char *reason;

	if (!param_text(c, "reason", true, &reason, 1000)
	    || !param_text(c, "channel_advice", false, &c->note, 1000))
		return false;
	set_text(&c->row->result, reason);
	c->row->completed_at = c->now;
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "not_accepted");
	c->note = reason;
	return true;
}

static bool act_transfer_out(struct act_ctx *c)
{
	static const char *const targets[] = { "110", "119", "120", "122" };
	const char *target;

	if (!param_text(c, "target", true, &target, 8)
	    || !param_text(c, "note", false, &c->note, 1000))
		return false;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (!strcmp(target, targets[i])) {
			snprintf(c->row->transferred_to, sizeof(c->row->transferred_to), "%s", target);
			c->row->completed_at = c->now;
			return true;
		}
	}
	return err_field(c->e, 422, "target", "unknown transfer target \"%s\": expected 110, 119, 120 or 122",
			 target);
}

static bool act_merge(struct act_ctx *c)
{
	const char *into;
	struct db_res *r;
	bool ok;

	if (!param_text(c, "into", true, &into, 32) || !param_text(c, "note", false, &c->note, 1000))
		return false;
	if (!strcmp(into, c->row->number))
		return err_field(c->e, 422, "into", "an order cannot be merged into itself");
	r = DB_EXEC_P(c->db, c->e,
		      "SELECT o.id, o.status FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"
		      " WHERE o.number = $1 AND " VISIBLE_SQL(2),
		      into, scope_param(c->who));
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (!ok) {
		err_field(c->e, 422, "into", "no order \"%s\" to merge into", into);
	} else if (!lifecycle_is_open(status_parse(db_res_str(r, 0, "status")))) {
		ok = err_field(c->e, 422, "into", "order \"%s\" is closed (%s): merge into an open order",
			       into, db_res_str(r, 0, "status"));
	} else {
		c->row->merged_into = db_res_ll(r, 0, "id");
		c->row->completed_at = c->now;
	}
	db_res_free(r);
	return ok;
}

static bool act_press(struct act_ctx *c)
{
	int64_t level = 1;

	if (!param_text(c, "note", true, &c->note, 1000)
	    || !json_get_int(c->body, "level", false, &level, c->e))
		return false;
	if (level < 1 || level > 3)
		return err_field(c->e, 422, "level", "press level %lld is out of range 1 to 3", (long long)level);
	c->row->press_count++;
	json_object_object_add(c->payload, "level", json_object_new_int64(level));
	return true;
}

static bool act_archive(struct act_ctx *c)
{
	return param_text(c, "note", false, &c->note, 1000);
}

static bool (*const handlers[ACT_COUNT])(struct act_ctx *c) = {
	[ACT_ANSWER] = act_answer,
	[ACT_NOT_ACCEPT] = act_not_accept,
	[ACT_TRANSFER_OUT] = act_transfer_out,
	[ACT_DISPATCH] = act_dispatch,
	[ACT_SIGN] = act_sign,
	[ACT_RETURN] = act_return,
	[ACT_APPROVE_RETURN] = act_approve_return,
	[ACT_REJECT_RETURN] = act_reject_return,
	[ACT_SUB_DISPATCH] = act_sub_dispatch,
	[ACT_REQUEST_EXTENSION] = act_request_extension,
	[ACT_APPROVE_EXTENSION] = act_approve_extension,
	[ACT_REJECT_EXTENSION] = act_reject_extension,
	[ACT_SUSPEND] = act_suspend,
	[ACT_RESUME] = act_resume,
	[ACT_REPLY] = act_reply,
	[ACT_CALLBACK] = act_callback,
	[ACT_REOPEN] = act_reopen,
	[ACT_MERGE] = act_merge,
	[ACT_PRESS] = act_press,
	[ACT_ARCHIVE] = act_archive,
};

/*
 * The deadline light after an action moved the clock: red past the
 * deadline, yellow past the warning point, green before. (The sweeper only
 * moves lights forward as time passes; an extension or a resumed
 * suspension can move them back.) Lights of stopped clocks stay as they are.
 */
static void refresh_alert(struct order_row *o, time_t now)
{
	time_t warn_at;

	if (!o->handle_deadline || !o->clock_started_at
	    || (o->status != ST_DISPATCHED && o->status != ST_IN_PROGRESS
		&& o->status != ST_RETURN_REQUESTED && o->status != ST_EXTENSION_REQUESTED))
		return;
	warn_at = o->clock_started_at
		  + (time_t)((double)(o->handle_deadline - o->clock_started_at) * o->warn_fraction);
	snprintf(o->alert, sizeof(o->alert), "%s",
		 now >= o->handle_deadline ? "red" : now >= warn_at ? "yellow" : "green");
}

static order_hook_fn hooks[8];
static size_t nhooks;

void orders_on_change(order_hook_fn fn)
{
	assert(nhooks < sizeof(hooks) / sizeof(hooks[0]));
	for (size_t i = 0; i < nhooks; i++)
		if (hooks[i] == fn)
			return;		/* registering twice is harmless */
	hooks[nhooks++] = fn;
}

static bool run_hooks(struct db *db, const struct order_change *change, struct err *e)
{
	for (size_t i = 0; i < nhooks; i++)
		if (!hooks[i](db, change, e))
			return false;
	return true;
}

/* Refuses an action the viewer may not take now: 409 for the state, 403 for the role. */
static bool check_allowed(const struct principal *who, const struct order_row *o,
			  enum order_action action, const struct transition **tr, struct err *e)
{
	*tr = lifecycle_find(action, o->status, who->role);
	if (*tr) {
		/* Department actions belong to the lead unit (or a unit above it). */
		if (principal_is_department(who)
		    && strncmp(o->lead_path, who->department_path, strlen(who->department_path)))
			return err_set(e, 403, "not-lead-department",
				       "only the lead department may %s order %s", action_code(action),
				       o->number);
		return true;
	}
	if (!lifecycle_action_possible(action, o->status)) {
		err_set(e, 409, "invalid-state", "cannot %s order %s: it is %s (%s)",
			action_code(action), o->number, status_label(o->status), status_code(o->status));
		err_extra(e, "current_status", status_code(o->status));
		return false;
	}
	return err_set(e, 403, "forbidden", "role %s may not %s an order that is %s",
		       role_code(who->role), action_code(action), status_code(o->status));
}

json_object *orders_act(struct db *db, const struct principal *who, const char *number,
			enum order_action action, json_object *body, struct err *e)
{
	struct order_row row;
	const struct transition *tr;
	struct act_ctx c = { .db = db, .who = who, .row = &row, .body = body, .now = time(NULL), .e = e };
	enum order_status from;
	int64_t version = 0;
	bool ok = false;

	if (action == ACT_REGISTER || action >= ACT_COUNT || !handlers[action])
		return err_set(e, 404, "not-found", "no such action"), NULL;
	if (body && !json_get_int(body, "version", false, &version, e))
		return NULL;
	if (!db_begin(db, e))
		return NULL;
	if (!row_load(db, who, number, &row, e))
		goto out;
	if (version && version != row.version) {
		err_set(e, 409, "stale-version", "order %s was changed by someone else (now version %d, you had %lld): reload it",
			number, row.version, (long long)version);
		err_extra(e, "current_status", status_code(row.status));
		goto out;
	}
	if (!check_allowed(who, &row, action, &tr, e))
		goto out;
	from = row.status;
	c.payload = json_object_new_object();
	if (!handlers[action](&c)) {
		json_object_put(c.payload);
		goto out;
	}
	if (tr->to != ST_NONE)
		row.status = tr->to;
	refresh_alert(&row, c.now);
	struct order_change change = {
		.order_id = row.id, .number = row.number, .channel = row.channel, .action = action,
		.from = from, .to = row.status, .body = body, .who = who,
	};
	ok = row_store(db, &row, e)
	     && run_hooks(db, &change, e)
	     && write_event(db, who, row.id, action, from, tr->to == ST_NONE ? from : tr->to, c.note,
			    c.payload, e)
	     && db_commit(db, e);
	json_object_put(c.payload);
out:
	if (!ok)
		db_rollback(db);
	row_release(&row);
	return ok ? orders_get(db, who, number, e) : NULL;
}

/* ---------------------------------------------------------------- sweeper */

/* Open states in which a clock runs (a suspended order's clock is stopped). */
#define CLOCK_STATES "('dispatched', 'in_progress', 'return_requested', 'extension_requested')"

static const char sweep_sql[] =
	"WITH claimed AS ("
	" SELECT id, status, alert AS old_alert, sign_overdue AS old_sign,"
	"  CASE WHEN handle_deadline <= now() THEN 'red'"
	"       WHEN warn_at <= now() THEN 'yellow' ELSE 'green' END AS new_alert,"
	"  (status = 'dispatched' AND signed_at IS NULL AND sign_deadline <= now()) AS late_sign"
	" FROM work_order"
	" WHERE status IN " CLOCK_STATES " AND handle_deadline IS NOT NULL"
	"  AND ((alert IN ('none', 'green') AND warn_at <= now())"
	"   OR (alert <> 'red' AND handle_deadline <= now())"
	"   OR (status = 'dispatched' AND NOT sign_overdue AND sign_deadline <= now()))"
	" ORDER BY id LIMIT 5000"
	" FOR UPDATE SKIP LOCKED),"
	" changed AS ("
	" UPDATE work_order o SET alert = c.new_alert, sign_overdue = o.sign_overdue OR c.late_sign,"
	"  version = o.version + 1, updated_at = now()"
	" FROM claimed c WHERE o.id = c.id"
	" RETURNING o.id, c.status, c.old_alert, c.new_alert, c.late_sign AND NOT c.old_sign AS sign_flag)"
	" INSERT INTO order_event (order_id, actor_role, action, from_status, to_status, payload)"
	" SELECT id, 'system', CASE WHEN new_alert <> old_alert THEN 'alert' ELSE 'sign_overdue' END,"
	"  status, status,"
	"  json_build_object('from', old_alert, 'to', new_alert, 'sign_overdue', sign_flag)::jsonb"
	" FROM changed";

long orders_sweep(struct db *db, struct err *e)
{
	long total = 0;

	/* In batches, so that one pass never holds thousands of row locks long. */
	for (;;) {
		struct db_res *r = db_exec(db, sweep_sql, 0, NULL, e);
		long n;

		if (!r)
			return -1;
		n = db_res_affected(r);
		db_res_free(r);
		total += n;
		if (n < 5000)
			return total;
	}
}

bool orders_alert_counts(struct db *db, long *green, long *yellow, long *red, struct err *e)
{
	struct db_res *r = db_exec(db,
		"SELECT count(*) FILTER (WHERE alert IN ('none', 'green')) AS green,"
		" count(*) FILTER (WHERE alert = 'yellow') AS yellow,"
		" count(*) FILTER (WHERE alert = 'red') AS red"
		" FROM work_order WHERE status IN " CLOCK_STATES, 0, NULL, e);

	if (!r)
		return false;
	*green = db_res_ll(r, 0, "green");
	*yellow = db_res_ll(r, 0, "yellow");
	*red = db_res_ll(r, 0, "red");
	db_res_free(r);
	return true;
}
