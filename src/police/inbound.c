/*
 * What 110 sends us: 警单 (work orders it hands to 12345) and feedback on
 * the orders we handed to it. Both arrive already authenticated
 * (police_authenticate); here they are validated and stored.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "orders/fields.h"
#include "police/police.h"
#include "police/police_private.h"

#define INCIDENT_MAX 64

/* The principal of work the bridge does itself. */
static void system_principal(struct principal *p)
{
	memset(p, 0, sizeof(*p));
	p->role = ROLE_SYSTEM;
	snprintf(p->login, sizeof(p->login), "110-bridge");
	snprintf(p->name, sizeof(p->name), "110联动");
}

/*
 * A missing or mistyped field is a malformed message (400); a field that
 * is there but refused keeps 422. Both name the field.
 */
static bool malformed(struct err *e)
{
	if (e && e->status == 422) {
		e->status = 400;
		e->code = ERR_BAD_REQUEST;
	}
	return false;
}

static bool wire_string(json_object *body, const char *key, bool required, const char **out,
			struct err *e)
{
	return json_get_string(body, key, required, out, e) || malformed(e);
}

static bool wire_time(json_object *body, const char *key, time_t *out, struct err *e)
{
	const char *s = NULL;

	if (!wire_string(body, key, true, &s, e))
		return false;
	return time_parse_iso(s, out, key, e);
}

static bool incident_valid(const char *s, struct err *e)
{
	size_t n = strlen(s);

	if (n == 0 || n > INCIDENT_MAX
	    || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != n)
		return err_field(e, 422, "incident_no", ERR_BAD_CODE,
				 "incident_no \"%.64s\" must be 1 to %d letters, digits or . _ : -", s,
				 INCIDENT_MAX);
	return true;
}

/* ------------------------------------------------------------ transfers */

struct transfer {
	const char *incident_no, *caller_name, *caller_phone, *address, *category_code;
	const char *description, *urgency, *request_type;
	time_t time;
	double latitude, longitude;
	bool has_location;
};

static const struct {
	const char *word, *code;
} urgency_words[] = {
	{ "normal", "normal" }, { "urgent", "urgent" }, { "critical", "critical" },
	{ "一般", "normal" }, { "紧急", "urgent" }, { "特急", "critical" },
};

static bool parse_transfer(json_object *body, struct transfer *t, struct err *e)
{
	static const char *const types[] = { "consult", "help", "complaint", "report", "suggestion" };
	const char *urgency = NULL;
	bool known = false;

	memset(t, 0, sizeof(*t));
	t->request_type = "help";
	if (!wire_string(body, "incident_no", true, &t->incident_no, e)
	    || !wire_time(body, "time", &t->time, e)
	    || !wire_string(body, "caller_name", false, &t->caller_name, e)
	    || !wire_string(body, "caller_phone", false, &t->caller_phone, e)
	    || !wire_string(body, "address", false, &t->address, e)
	    || !wire_string(body, "category_code", false, &t->category_code, e)
	    || !wire_string(body, "description", true, &t->description, e)
	    || !wire_string(body, "urgency", false, &urgency, e)
	    || !wire_string(body, "request_type", false, &t->request_type, e))
		return false;
	if (json_object_object_get_ex(body, "latitude", NULL) || json_object_object_get_ex(body, "longitude", NULL)) {
		if ((!json_get_double(body, "latitude", true, &t->latitude, e)
		     || !json_get_double(body, "longitude", true, &t->longitude, e)))
			return malformed(e);
		t->has_location = true;
	}
	if (!incident_valid(t->incident_no, e))
		return false;
	t->urgency = "normal";
	for (size_t i = 0; urgency && i < ARRAY_SIZE(urgency_words); i++)
		if (!strcmp(urgency, urgency_words[i].word))
			t->urgency = urgency_words[i].code;
	if (urgency && !strcmp(t->urgency, "normal") && strcmp(urgency, "normal") && strcmp(urgency, "一般"))
		return err_field(e, 422, "urgency", ERR_UNKNOWN_CHOICE,
				 "unknown urgency \"%.32s\": expected normal, urgent or critical", urgency);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(t->request_type, types[i]))
			known = true;
	if (!known)
		return err_field(e, 422, "request_type", ERR_UNKNOWN_CHOICE,
				 "unknown request_type \"%.32s\": expected consult, help, complaint, report or suggestion",
				 t->request_type);
	if (t->category_code && !*t->category_code)
		t->category_code = NULL;
	return true;
}

/* The order made for `incident`, as {"order_number", "status"}; NULL if none. */
static json_object *existing_order(struct db *db, const char *key, char id[24], struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT id, number, status FROM work_order"
		" WHERE channel = 'police' AND created_by IS NULL AND idempotency_key = $1", key);
	json_object *o = NULL;

	if (!r)
		return NULL;
	if (db_res_rows(r) == 1) {
		o = json_object_new_object();
		json_add_string(o, "order_number", db_res_str(r, 0, "number"));
		json_add_string(o, "status", db_res_str(r, 0, "status"));
		snprintf(id, 24, "%s", db_res_str(r, 0, "id"));
	}
	db_res_free(r);
	return o;
}

/* Only our own category codes go on the order; others are kept with the incident. */
static bool category_known(struct db *db, const char *code, bool *known, struct err *e)
{
	struct db_res *r;

	*known = false;
	if (!code)
		return true;
	r = DB_EXEC(db, e, "SELECT 1 FROM category WHERE code = $1 AND active", code);
	if (!r)
		return false;
	*known = db_res_rows(r) == 1;
	db_res_free(r);
	return true;
}

static json_object *order_body(const struct transfer *t, bool category)
{
	json_object *b = json_object_new_object();

	json_add_string(b, "channel", "police");
	json_add_string(b, "request_type", t->request_type);
	json_add_string(b, "urgency", t->urgency);
	if (category)
		json_add_string(b, "category", t->category_code);
	if (t->caller_name)
		json_add_string(b, "caller_name", t->caller_name);
	if (t->caller_phone && *t->caller_phone)
		json_add_string(b, "caller_phone", t->caller_phone);
	if (t->address)
		json_add_string(b, "address", t->address);
	if (t->has_location) {
		json_object_object_add(b, "latitude", json_object_new_double(t->latitude));
		json_object_object_add(b, "longitude", json_object_new_double(t->longitude));
	}
	json_add_string(b, "content", t->description);
	return b;
}

/* Names the wire field for an error orders_create() gave about its own field. */
static void rename_field(struct err *e)
{
	static const struct {
		const char *ours, *wire;
	} map[] = { { "content", "description" }, { "category", "category_code" } };
	char *at;

	for (size_t i = 0; e && i < ARRAY_SIZE(map); i++) {
		if (strcmp(e->field, map[i].ours))
			continue;
		snprintf(e->field, sizeof(e->field), "%s", map[i].wire);
		if ((at = strstr(e->message, map[i].ours)) && strlen(e->message) + 8 < sizeof(e->message)) {
			char rest[sizeof(e->message)];
			snprintf(rest, sizeof(rest), "%s", at + strlen(map[i].ours));
			snprintf(at, sizeof(e->message) - (size_t)(at - e->message), "%s%s", map[i].wire, rest);
		}
	}
}

json_object *police_receive_transfer(struct db *db, json_object *body, bool *created,
				     struct err *e)
{
	struct principal sys;
	struct transfer t;
	json_object *out = NULL, *order, *obody;
	char *key = NULL, id[24] = "", ts[24];
	bool category;

	*created = false;
	if (!parse_transfer(body, &t, e))
		return NULL;
	key = xasprintf("police:%s", t.incident_no);
	out = existing_order(db, key, id, e);
	if (!out && err_isset(e))
		goto out;
	if (!out) {
		if (!category_known(db, t.category_code, &category, e))
			goto out;
		system_principal(&sys);
		obody = order_body(&t, category);
		struct param_source src = params_from_json(obody);
		order = orders_create_input(db, &sys, &src, key, created, e);
		json_object_put(obody);
		if (!order && !err_isset(e)) {
			/* Another request for the incident won the race: its order. */
			out = existing_order(db, key, id, e);
		} else if (order) {
			out = json_object_new_object();
			json_add_string(out, "order_number", json_str(order, "number"));
			json_add_string(out, "status", json_str(order, "status"));
			snprintf(id, sizeof(id), "%lld", (long long)json_int(order, "id", 0));
			json_object_put(order);
		}
		if (!out) {
			rename_field(e);
			goto out;
		}
	}
	snprintf(ts, sizeof(ts), "%lld", (long long)t.time);
	if (!DB_RUN(db, e,
		    "INSERT INTO police_inbound (incident_no, order_id, incident_time, category_code, payload)"
		    " VALUES ($1, $2, to_timestamp($3::bigint), $4, $5::jsonb)"
		    " ON CONFLICT (incident_no) DO NOTHING",
		    t.incident_no, id, ts, t.category_code,
		    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN))) {
		json_object_put(out);
		out = NULL;
		goto out;
	}
	json_add_string(out, "incident_no", t.incident_no);
	json_object_object_add(out, "created", json_object_new_boolean(*created));
	if (*created) {
		atomic_fetch_add(&police_stats.transfers_created, 1);
		log_info("110 bridge: incident %s received as order %s", t.incident_no,
			 json_str(out, "order_number"));
	} else {
		atomic_fetch_add(&police_stats.transfers_repeated, 1);
	}
out:
	free(key);
	return out;
}

/* ------------------------------------------------------------ feedback */

static const char *const feedback_states[] = {
	"accepted", "dispatched", "arrived", "in_progress", "completed", "returned",
};

struct feedback {
	const char *order_number, *incident_no, *state, *result, *handler, *time_text;
	time_t time;
};

static bool parse_feedback(json_object *body, struct feedback *f, struct err *e)
{
	bool known = false;

	memset(f, 0, sizeof(*f));
	f->result = f->handler = "";
	if (!wire_string(body, "order_number", true, &f->order_number, e)
	    || !wire_string(body, "incident_no", false, &f->incident_no, e)
	    || !wire_string(body, "state", true, &f->state, e)
	    || !wire_string(body, "result", false, &f->result, e)
	    || !wire_string(body, "handler", false, &f->handler, e)
	    || !wire_string(body, "time", true, &f->time_text, e)
	    || !time_parse_iso(f->time_text, &f->time, "time", e))
		return false;
	if (f->incident_no && *f->incident_no && !incident_valid(f->incident_no, e))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(feedback_states); i++)
		if (!strcmp(f->state, feedback_states[i]))
			known = true;
	if (!known)
		return err_field(e, 422, "state", ERR_UNKNOWN_CHOICE,
				 "unknown state \"%.32s\": expected accepted, dispatched, arrived, in_progress,"
				 " completed or returned", f->state);
	return text_check(f->result, ORDER_CONTENT_MAX, "result", e)
	       && text_check(f->handler, 200, "handler", e);
}

/* Without an Idempotency-Key a repeat is recognised by its content. */
static char *dedup_key(const struct feedback *f, const char *idempotency_key)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256_state st;
	const char *parts[] = { f->incident_no ? f->incident_no : "", f->state, f->time_text,
				f->result, f->handler };

	if (idempotency_key && *idempotency_key)
		return xasprintf("key:%.200s", idempotency_key);
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		crypto_hash_sha256_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
	crypto_hash_sha256_final(&st, hash);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	return xasprintf("sha256:%s", hex);
}

static const char feedback_order_sql[] =
	"SELECT o.id, o.status, coalesce(o.transferred_to, '') = '110'"
	"  OR EXISTS (SELECT 1 FROM police_outbox p WHERE p.order_id = o.id AND p.kind = 'transfer')"
	"  AS transferred,"
	" (SELECT p.peer_ref FROM police_outbox p WHERE p.order_id = o.id AND p.kind = 'transfer'"
	"  AND p.peer_ref IS NOT NULL ORDER BY p.seq DESC LIMIT 1) AS incident_no"
	" FROM work_order o WHERE o.number = $1";

json_object *police_receive_feedback(struct db *db, json_object *body, const char *idempotency_key,
				     bool *created, struct err *e)
{
	struct feedback f;
	struct db_res *r, *ins;
	json_object *out = NULL, *payload;
	char id[24], status[32], ts[24], *key = NULL, iso[TIMEUTIL_ISO_LEN];
	const char *known_incident;

	*created = false;
	if (!parse_feedback(body, &f, e))
		return NULL;
	r = DB_EXEC(db, e, feedback_order_sql, f.order_number);
	if (!r)
		return NULL;
	if (db_res_rows(r) != 1 || !db_res_bool(r, 0, "transferred")) {
		db_res_free(r);
		return err_field(e, 404, "order_number", ERR_UNKNOWN_ORDER, "no order \"%.40s\" was transferred to 110",
				 f.order_number), NULL;
	}
	snprintf(id, sizeof(id), "%s", db_res_str(r, 0, "id"));
	snprintf(status, sizeof(status), "%s", db_res_str(r, 0, "status"));
	known_incident = db_res_str(r, 0, "incident_no");
	if (f.incident_no && *f.incident_no && *known_incident && strcmp(f.incident_no, known_incident)) {
		err_field(e, 422, "incident_no", ERR_INVALID_VALUE, "incident \"%s\" is not the one 110 gave order %s (\"%s\")",
			  f.incident_no, f.order_number, known_incident);
		db_res_free(r);
		return NULL;
	}
	if (!(f.incident_no && *f.incident_no))
		f.incident_no = *known_incident ? known_incident : "";
	key = dedup_key(&f, idempotency_key);
	snprintf(ts, sizeof(ts), "%lld", (long long)f.time);
	time_format_iso(f.time, iso);
	payload = json_object_new_object();
	json_add_string(payload, "incident_no", f.incident_no);
	json_add_string(payload, "state", f.state);
	json_add_string(payload, "result", f.result);
	json_add_string(payload, "handler", f.handler);
	json_add_string(payload, "time", iso);
	if (!db_begin(db, e))
		goto out;
	ins = DB_EXEC(db, e,
		"INSERT INTO police_feedback (order_id, incident_no, state, result, handler, at, dedup_key)"
		" VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), $7)"
		" ON CONFLICT (order_id, dedup_key) DO NOTHING RETURNING id",
		id, f.incident_no, f.state, f.result, f.handler, ts, key);
	if (!ins)
		goto fail;
	*created = db_res_rows(ins) == 1;
	db_res_free(ins);
	if (*created
	    && !DB_RUN(db, e,
		       "INSERT INTO order_event (order_id, actor_role, action, from_status, to_status, note, payload)"
		       " VALUES ($1, 'system', 'police_feedback', $2, $2, $3, $4::jsonb)",
		       id, status, f.result,
		       json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		goto fail;
	if (!db_commit(db, e))
		goto fail;
	out = json_object_new_object();
	json_add_string(out, "order_number", f.order_number);
	json_add_string(out, "state", f.state);
	json_object_object_add(out, "recorded", json_object_new_boolean(*created));
	if (*created) {
		atomic_fetch_add(&police_stats.feedback_received, 1);
		log_info("110 bridge: feedback \"%s\" on order %s", f.state, f.order_number);
	}
	goto out;
fail:
	db_rollback(db);
	*created = false;
out:
	json_object_put(payload);
	db_res_free(r);
	free(key);
	return out;
}
