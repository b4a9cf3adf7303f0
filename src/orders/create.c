/* Registering an order: one statement, one round trip. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "orders/fields.h"
#include "orders/orders_private.h"

/* Maps a foreign-key or check constraint of work_order to the input field. */
static void name_constraint_field(struct err *e, const struct register_params *n)
{
	static const struct {
		const char *constraint, *field;
		enum err_code code;
		size_t value;		/* offset of the code given */
	} map[] = {
		{ "work_order_channel_fkey", "channel", ERR_UNKNOWN_CHOICE, offsetof(struct register_params, channel) },
		{ "work_order_request_type_fkey", "request_type", ERR_UNKNOWN_CHOICE,
		  offsetof(struct register_params, request_type) },
		{ "work_order_urgency_fkey", "urgency", ERR_UNKNOWN_CHOICE, offsetof(struct register_params, urgency) },
		{ "work_order_category_code_fkey", "category", ERR_UNKNOWN_CATEGORY,
		  offsetof(struct register_params, category) },
	};

	if (!e || e->code != ERR_CONSTRAINT)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(e->field, map[i].constraint))
			continue;
		const char *value = *(const char *const *)((const char *)n + map[i].value);
		err_field(e, 422, map[i].field, map[i].code, "unknown or invalid %s \"%s\"", map[i].field,
			  value ? value : "");
		err_text_arg(e, value);
		return;
	}
}

/* The checks of registration beyond each field's own: content is not
 * blank (the table's "required"), and a location has both coordinates. */
static bool register_check(const struct register_params *n, struct err *e)
{
	if (n->latitude.given != n->longitude.given) {
		const char *missing = n->latitude.given ? "longitude" : "latitude";
		return err_field(e, 422, missing, ERR_REQUIRED, "field \"%s\" is required", missing);
	}
	if (!n->request_type)
		return err_field(e, 422, "request_type", ERR_REQUIRED, "field \"request_type\" is required");
	if (!n->content)
		return err_field(e, 422, "content", ERR_REQUIRED, "field \"content\" must not be empty");
	return true;
}

/*
 * Why registration found no row: the district or street code that is
 * unknown (false, 422 naming the field). True if both are known after all.
 */
static bool places_known(struct db *db, const struct register_params *n, struct err *e)
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
		ok = err_field(e, 422, "district", ERR_UNKNOWN_DISTRICT, "unknown district \"%s\"", n->district);
	else if (n->street && db_res_isnull(r, 0, db_res_col(r, "street")))
		ok = err_field(e, 422, "street", ERR_UNKNOWN_STREET, "unknown street \"%s\"", n->street);
	db_res_free(r);
	return ok;
}

/*
 * Registration in one statement, so one round trip and its own transaction:
 * the district and street codes resolved, the day's counter advanced, the
 * order inserted, its "register" event written, and the order read back
 * with the columns orders_get() reads. It yields no row, and uses up no
 * number, when a district or street code given is unknown. $20 is the
 * moment of registration for a replayed history, NULL for now.
 * scripts/bench.d/pgbench_sql.py reads this text for the pgbench baseline.
 */
static const char create_order_sql[] =
	"WITH place AS ("
	" SELECT (SELECT id FROM department WHERE code = $9 AND kind = 'district') AS district_id,"
	"  (SELECT id FROM department WHERE code = $10 AND kind = 'street') AS street_id),"
	" n AS ("
	" INSERT INTO order_counter (day, last)"
	" SELECT (coalesce(to_timestamp($20::bigint), now()) AT TIME ZONE current_setting('TimeZone'))::date,"
	"  1 FROM place"
	"  WHERE ($9::text IS NULL OR district_id IS NOT NULL)"
	"  AND ($10::text IS NULL OR street_id IS NOT NULL)"
	" ON CONFLICT (day) DO UPDATE SET last = order_counter.last + 1"
	" RETURNING day, last),"
	" created AS ("
	" INSERT INTO work_order (number, channel, request_type, urgency, category_code,"
	"  caller_name, caller_phone, confidential, address, district_id, street_id, latitude,"
	"  longitude, content, request, status, call_id, created_by, idempotency_key, created_at,"
	"  updated_at)"
	" SELECT to_char(n.day, 'YYYYMMDD') || '-' || lpad(n.last::text, 6, '0'),"
	"  $1, $2, $3, $4, $5, $6, $7, $8, place.district_id, place.street_id, $11::float8,"
	"  $12::float8, $13, $14, 'pending', $15, $16::integer, $17,"
	"  coalesce(to_timestamp($20::bigint), now()), coalesce(to_timestamp($20::bigint), now())"
	" FROM n, place"
	" RETURNING *),"
	" ev AS ("
	" INSERT INTO order_event (order_id, actor_id, actor_role, department_id, action,"
	"  from_status, to_status, note, payload, at)"
	" SELECT id, $16::integer, $18, $19::integer, 'register', NULL, 'pending', '',"
	"  jsonb_build_object('channel', $1::text), created_at FROM created)"
	" SELECT " ORDER_COLUMNS " FROM created o LEFT JOIN department ld ON ld.id = o.lead_department_id";

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
		err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", db_res_str(r, 0, "number"));
	db_res_free(r);
	return o;
}

/* Refuses a malformed key; returns the order an earlier call with the key
 * made, or NULL (with `e` unset) when there is none. */
static json_object *earlier_with_key(struct db *db, const struct principal *who, const char *key,
				     struct err *e)
{
	if (!key)
		return NULL;
	if (!*key || strlen(key) > 200)
		return err_set(e, 400, ERR_BAD_IDEMPOTENCY_KEY, "Idempotency-Key must be 1 to 200 characters"), NULL;
	return find_idempotent(db, who, key, e);
}

static json_object *create(struct db *db, const struct principal *who, const struct register_params *n,
			   const char *idempotency_key, time_t at, bool *created, struct err *e)
{
	char lat[32], lon[32], uid[16], dept[16], when[24];
	struct db_res *r;
	json_object *o = NULL;

	if (!register_check(n, e))
		return NULL;
	snprintf(lat, sizeof(lat), "%.8f", n->latitude.value);
	snprintf(lon, sizeof(lon), "%.8f", n->longitude.value);
	snprintf(uid, sizeof(uid), "%d", who->user_id);
	snprintf(dept, sizeof(dept), "%d", who->department_id);
	snprintf(when, sizeof(when), "%lld", (long long)at);
	r = DB_EXEC_P(db, e, create_order_sql, n->channel ? n->channel : "phone", n->request_type,
		      n->urgency ? n->urgency : "normal", n->category, n->caller_name ? n->caller_name : "",
		      n->caller_phone, n->confidential ? "true" : "false", n->address ? n->address : "",
		      n->district, n->street, n->latitude.given ? lat : NULL, n->longitude.given ? lon : NULL,
		      n->content, n->request ? n->request : "", n->call_id, who->user_id ? uid : NULL,
		      idempotency_key, role_code(who->role), who->department_id ? dept : NULL,
		      at ? when : NULL);
	if (!r) {
		if (e && e->code == ERR_UNIQUE_VIOLATION && idempotency_key) {
			/* A concurrent retry with the same key won the race. */
			err_clear(e);
			return find_idempotent(db, who, idempotency_key, e);
		}
		name_constraint_field(e, n);
		return NULL;
	}
	if (db_res_rows(r) == 1) {
		*created = true;
		/*
		 * A new order has no lead or assisting unit yet, so only centre
		 * staff may see it (VISIBLE_SQL with a NULL scope).
		 */
		if (principal_is_department(who))
			err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", db_res_str(r, 0, "number"));
		else
			o = order_json(r, 0, who);
	} else if (places_known(db, n, e)) {
		err_set(e, 409, ERR_CONFLICT, "the district or street changed during registration; try again");
	}
	db_res_free(r);
	return o;
}

json_object *orders_create(struct db *db, const struct principal *who, const struct register_params *p,
			   const char *idempotency_key, bool *created, struct err *e)
{
	json_object *earlier;

	*created = false;
	if ((earlier = earlier_with_key(db, who, idempotency_key, e)) || err_isset(e))
		return earlier;
	return create(db, who, p, idempotency_key, 0, created, e);
}

json_object *orders_create_input(struct db *db, const struct principal *who, const struct param_source *src,
				 const char *idempotency_key, bool *created, struct err *e)
{
	struct action_params p;
	json_object *earlier;

	*created = false;
	if ((earlier = earlier_with_key(db, who, idempotency_key, e)) || err_isset(e))
		return earlier;
	if (!params_read(ACT_REGISTER, src, &p, e))
		return NULL;
	return create(db, who, &p.register_, idempotency_key, 0, created, e);
}

json_object *orders_create_input_at(struct db *db, const struct principal *who,
				    const struct param_source *src, time_t at, struct err *e)
{
	struct action_params p;
	bool created;

	if (!params_read(ACT_REGISTER, src, &p, e))
		return NULL;
	return create(db, who, &p.register_, NULL, at, &created, e);
}
