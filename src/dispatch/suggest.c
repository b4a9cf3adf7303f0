/*
 * Suggestions for an agent, duplicate candidates (并单), the callers of
 * merged orders, and the module's start-up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "dispatch/dispatch.h"
#include "dispatch/dispatch_private.h"
#include "orders/fields.h"

static int window_days = DISPATCH_DUPLICATE_DAYS;

int dispatch_window_days(void)
{
	return window_days;
}

bool dispatch_init(struct err *e)
{
	const char *v = getenv("HOTLINE_DUPLICATE_DAYS");

	if (v && *v) {
		char *end;
		long days = strtol(v, &end, 10);
		if (*end || days < 1 || days > 365) {
			err_set(e, 400, ERR_BAD_OPTION,
				"invalid value \"%s\" for the duplicate window: expected a whole number of days from 1 to 365", v);
			snprintf(e->field, sizeof(e->field), "HOTLINE_DUPLICATE_DAYS");
			return false;
		}
		window_days = (int)days;
	}
	orders_on_change(dispatch_on_change);
	return true;
}

static const struct {
	const char *word, *code;
} urgencies[] = {
	{ "一般", "normal" },
	{ "紧急", "urgent" },
	{ "特急", "critical" },
};

const char *dispatch_urgency_code(const char *word)
{
	for (size_t i = 0; word && i < ARRAY_SIZE(urgencies); i++)
		if (!strcmp(word, urgencies[i].word))
			return urgencies[i].code;
	return NULL;
}

/* Number of UTF-8 characters in the first `len` bytes of `s`. */
static size_t chars_in(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* {"code", "name"} with the name from `names` (code → name), or null. */
static json_object *code_name(json_object *names, const char *code)
{
	json_object *o, *name = NULL;

	if (!code || !*code)
		return NULL;
	o = json_object_new_object();
	json_add_string(o, "code", code);
	json_object_object_get_ex(names, code, &name);
	json_object_object_add(o, "name", name ? json_object_get(name) : NULL);
	return o;
}

/*
 * Looks up the names of the categories and departments the matches
 * suggest: two objects code → name (new references in *cats, *depts).
 */
static bool lookup_names(struct db *db, const struct rule_match *m, ssize_t n, json_object **cats,
			 json_object **depts, struct err *e)
{
	json_object *cc, *dc;
	struct db_res *r;
	char *ctext, *dtext;

	if (n == 0) {
		*cats = json_object_new_object();
		*depts = json_object_new_object();
		return true;
	}
	cc = json_object_new_array();
	dc = json_object_new_array();
	for (ssize_t i = 0; i < n; i++) {
		if (m[i].suggest_category)
			json_object_array_add(cc, json_object_new_string(m[i].suggest_category));
		if (m[i].suggest_department)
			json_object_array_add(dc, json_object_new_string(m[i].suggest_department));
	}
	ctext = xstrdup(json_object_to_json_string_ext(cc, JSON_C_TO_STRING_PLAIN));
	dtext = xstrdup(json_object_to_json_string_ext(dc, JSON_C_TO_STRING_PLAIN));
	json_object_put(cc);
	json_object_put(dc);
	r = DB_EXEC(db, e,
		    "SELECT 'c' AS kind, code, name FROM category"
		    " WHERE code IN (SELECT jsonb_array_elements_text($1::jsonb))"
		    " UNION ALL SELECT 'd', code, name FROM department"
		    " WHERE code IN (SELECT jsonb_array_elements_text($2::jsonb))",
		    ctext, dtext);
	free(ctext);
	free(dtext);
	if (!r)
		return false;
	*cats = json_object_new_object();
	*depts = json_object_new_object();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_object_add(db_res_str(r, i, "kind")[0] == 'c' ? *cats : *depts,
				       db_res_str(r, i, "code"),
				       json_object_new_string(db_res_str(r, i, "name")));
	db_res_free(r);
	return true;
}

static json_object *match_json(const struct rule_match *m, const char *field_text,
			       json_object *cats, json_object *depts)
{
	json_object *o = json_object_new_object(), *rule = json_object_new_object();
	const char *ucode = dispatch_urgency_code(m->suggest_urgency);

	json_object_object_add(rule, "id", json_object_new_int64(m->rule_id));
	json_add_string(rule, "name", m->name);
	json_object_object_add(o, "rule", rule);
	json_object_object_add(o, "priority", json_object_new_int(m->priority));
	json_add_string(o, "field", rule_target_name(m->field));
	json_object_object_add(o, "matched", json_object_new_string_len(m->text, (int)m->text_len));
	/* Character offsets: full-width folding keeps the character count,
	 * so they hold for the text as the agent typed it. */
	json_object_object_add(o, "start", json_object_new_int64((int64_t)chars_in(field_text, m->start)));
	json_object_object_add(o, "end", json_object_new_int64((int64_t)chars_in(field_text, m->end)));
	json_object_object_add(o, "category", code_name(cats, m->suggest_category));
	json_object_object_add(o, "department", code_name(depts, m->suggest_department));
	if (ucode) {
		json_object *u = json_object_new_object();
		json_add_string(u, "code", ucode);
		json_add_string(u, "name", m->suggest_urgency);
		json_object_object_add(o, "urgency", u);
	} else {
		json_object_object_add(o, "urgency", NULL);
	}
	json_object_object_add(o, "police", json_object_new_boolean(m->police));
	return o;
}

/* ------------------------------------------------------------ 并单 */

#define OPEN_STATUSES \
	"('pending', 'dispatched', 'in_progress', 'return_requested', 'extension_requested'," \
	" 'suspended', 'awaiting_callback')"

static const char duplicates_sql[] =
	"SELECT o.number, o.status, iso(o.created_at) AS created_at, o.caller_name, o.caller_phone,"
	" o.address, o.category_code, coalesce(c.name, '') AS category_name, o.content,"
	" ld.code AS lead_code, ld.name AS lead_name,"
	" coalesce(o.caller_phone <> '' AND o.caller_phone = $1"
	"  OR o.id IN (SELECT x.order_id FROM order_extra_caller x WHERE x.phone = $1), false) AS same_phone,"
	" coalesce(o.address <> '' AND regexp_replace(o.address, '\\s', '', 'g')"
	"  = regexp_replace($2, '\\s', '', 'g') AND o.category_code = $3, false) AS same_place,"
	" round(similarity(o.content, $4)::numeric, 3) AS similarity"
	" FROM work_order o"
	" LEFT JOIN category c ON c.code = o.category_code"
	" LEFT JOIN department ld ON ld.id = o.lead_department_id"
	" WHERE o.status IN " OPEN_STATUSES
	" AND o.created_at >= coalesce(to_timestamp($6::bigint), now()) - make_interval(days => $5::integer)"
	" AND o.created_at <= coalesce(to_timestamp($6::bigint), now()) + make_interval(days => $5::integer)"
	" AND ($7::bigint IS NULL OR o.id <> $7::bigint)"
	" AND ((o.caller_phone <> '' AND o.caller_phone = $1)"
	"  OR o.id IN (SELECT x.order_id FROM order_extra_caller x WHERE x.phone = $1)"
	"  OR (o.address <> '' AND regexp_replace(o.address, '\\s', '', 'g')"
	"      = regexp_replace($2, '\\s', '', 'g') AND o.category_code = $3))"
	" ORDER BY similarity DESC, o.created_at DESC, o.id DESC LIMIT $8::integer";

/* What a duplicate search looks for; NULL members are absent. */
struct dup_query {
	const char *phone;		/* normalised */
	const char *address;
	const char *category;
	const char *content;
	const char *around;		/* epoch seconds of the reference time; NULL = now */
	const char *exclude_id;		/* work_order.id not to return */
};

static json_object *find_duplicates(struct db *db, const struct dup_query *q, struct err *e)
{
	char days[16], limit[16];
	struct db_res *r;
	json_object *items;

	if (!q->phone && !(q->address && *q->address && q->category))
		return json_object_new_array();
	snprintf(days, sizeof(days), "%d", window_days);
	snprintf(limit, sizeof(limit), "%d", DISPATCH_MAX_DUPLICATES);
	r = DB_EXEC(db, e, duplicates_sql, q->phone, q->address ? q->address : "", q->category,
		    q->content ? q->content : "", days, q->around, q->exclude_id, limit);
	if (!r)
		return NULL;
	items = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *o = json_object_new_object(), *caller = json_object_new_object();
		json_object *reasons = json_object_new_array();

		json_add_string(o, "number", db_res_str(r, i, "number"));
		json_add_string(o, "status", db_res_str(r, i, "status"));
		json_add_string(o, "created_at", db_res_str(r, i, "created_at"));
		json_add_string(caller, "name", db_res_str(r, i, "caller_name"));
		json_add_string(caller, "phone", db_res_str(r, i, "caller_phone"));
		json_object_object_add(o, "caller", caller);
		json_add_string(o, "address", db_res_str(r, i, "address"));
		if (*db_res_str(r, i, "category_code")) {
			json_object *c = json_object_new_object();
			json_add_string(c, "code", db_res_str(r, i, "category_code"));
			json_add_string(c, "name", db_res_str(r, i, "category_name"));
			json_object_object_add(o, "category", c);
		} else {
			json_object_object_add(o, "category", NULL);
		}
		if (*db_res_str(r, i, "lead_code")) {
			json_object *d = json_object_new_object();
			json_add_string(d, "code", db_res_str(r, i, "lead_code"));
			json_add_string(d, "name", db_res_str(r, i, "lead_name"));
			json_object_object_add(o, "lead_department", d);
		} else {
			json_object_object_add(o, "lead_department", NULL);
		}
		json_add_string(o, "content", db_res_str(r, i, "content"));
		if (db_res_bool(r, i, "same_phone"))
			json_object_array_add(reasons, json_object_new_string("same_phone"));
		if (db_res_bool(r, i, "same_place"))
			json_object_array_add(reasons, json_object_new_string("same_address_category"));
		json_object_object_add(o, "reasons", reasons);
		json_object_object_add(o, "similarity",
				       json_object_new_double_s(atof(db_res_str(r, i, "similarity")),
								db_res_str(r, i, "similarity")));
		json_object_array_add(items, o);
	}
	db_res_free(r);
	return items;
}

/* ------------------------------------------------------------ suggest */

struct suggest_input {
	const char *content, *address, *category, *district, *street, *phone_in;
	char phone[PHONE_MAX];
};

static bool parse_suggest(json_object *body, struct suggest_input *in, struct err *e)
{
	memset(in, 0, sizeof(*in));
	if (!json_get_string(body, "content", true, &in->content, e)
	    || !json_get_string(body, "address", false, &in->address, e)
	    || !json_get_string(body, "category", false, &in->category, e)
	    || !json_get_string(body, "district", false, &in->district, e)
	    || !json_get_string(body, "street", false, &in->street, e)
	    || !json_get_string(body, "caller_phone", false, &in->phone_in, e))
		return false;
	if (!text_check(in->content, ORDER_CONTENT_MAX, "content", e)
	    || (in->address && !text_check(in->address, 500, "address", e)))
		return false;
	if (in->phone_in && *in->phone_in && !phone_normalise(in->phone_in, in->phone, "caller_phone", e))
		return false;
	if (in->category && !*in->category)
		in->category = NULL;
	return true;
}

json_object *dispatch_suggest(struct db *db, const struct principal *who, json_object *body,
			      struct err *e)
{
	struct suggest_input in;
	struct rule_match m[DISPATCH_MAX_SUGGESTIONS];
	struct rule_report report = { 0 };
	struct rule_set *set = NULL;
	char *content = NULL, *address = NULL;
	json_object *out = NULL, *list, *dups, *cats = NULL, *depts = NULL;
	const char *dup_category;
	long long version = 0;
	bool police = false;
	ssize_t n;

	(void)who;
	if (!parse_suggest(body, &in, e))
		return NULL;
	content = rule_normalise_dup(in.content);
	address = in.address ? rule_normalise_dup(in.address) : NULL;
	struct rule_input ri = {
		.content = content, .address = address, .category = in.category,
		.district = in.district, .street = in.street,
	};
	set = dispatch_rules_current(db, &version);
	n = rule_set_match(set, &ri, m, DISPATCH_MAX_SUGGESTIONS, &report, e);
	if (n < 0 || !lookup_names(db, m, n, &cats, &depts, e))
		goto out;
	list = json_object_new_array();
	dup_category = in.category;
	for (ssize_t i = 0; i < n; i++) {
		json_object_array_add(list, match_json(&m[i], m[i].field == RULE_ON_ADDRESS ? address : content,
						       cats, depts));
		police = police || m[i].police;
		if (!dup_category && m[i].suggest_category)
			dup_category = m[i].suggest_category;
	}
	struct dup_query q = {
		.phone = in.phone[0] ? in.phone : NULL, .address = in.address,
		.category = dup_category, .content = in.content,
	};
	dups = find_duplicates(db, &q, e);
	if (!dups) {
		json_object_put(list);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "suggestions", list);
	json_object_object_add(out, "police", json_object_new_boolean(police));
	json_object_object_add(out, "rules_version", json_object_new_int64(version));
	json_object_object_add(out, "rules_evaluated", json_object_new_int64((int64_t)report.evaluated));
	json_object_object_add(out, "rules_matched", json_object_new_int64((int64_t)report.total));
	json_object_object_add(out, "rules_limited", json_object_new_int64((int64_t)report.limited));
	json_object_object_add(out, "duplicate_window_days", json_object_new_int(window_days));
	json_object_object_add(out, "duplicates", dups);
out:
	json_object_put(cats);
	json_object_put(depts);
	rule_set_unref(set);
	free(content);
	free(address);
	return out;
}

/* ---------------------------------------------------- per-order views */

/* Checks that the viewer may see order `number` (404 otherwise). */
static bool visible(struct db *db, const struct principal *who, const char *number, struct err *e)
{
	json_object *o = orders_get(db, who, number, e);

	json_object_put(o);
	return o != NULL;
}

json_object *dispatch_duplicates(struct db *db, const struct principal *who, const char *number,
				 struct err *e)
{
	struct db_res *r;
	json_object *out = NULL, *items;
	char id[24], around[24];

	if (!visible(db, who, number, e))
		return NULL;
	r = DB_EXEC(db, e,
		    "SELECT id, nullif(caller_phone, '') AS phone, address, category_code, content,"
		    " extract(epoch FROM created_at)::bigint AS around FROM work_order WHERE number = $1",
		    number);
	if (!r)
		return NULL;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", number), NULL;
	}
	snprintf(id, sizeof(id), "%s", db_res_str(r, 0, "id"));
	snprintf(around, sizeof(around), "%s", db_res_str(r, 0, "around"));
	struct dup_query q = {
		.phone = db_res_isnull(r, 0, db_res_col(r, "phone")) ? NULL : db_res_str(r, 0, "phone"),
		.address = db_res_str(r, 0, "address"),
		.category = db_res_isnull(r, 0, db_res_col(r, "category_code")) ? NULL
			    : db_res_str(r, 0, "category_code"),
		.content = db_res_str(r, 0, "content"),
		.around = around,
		.exclude_id = id,
	};
	items = find_duplicates(db, &q, e);
	db_res_free(r);
	if (!items)
		return NULL;
	out = json_object_new_object();
	json_add_string(out, "order", number);
	json_object_object_add(out, "window_days", json_object_new_int(window_days));
	json_object_object_add(out, "items", items);
	return out;
}

json_object *dispatch_callers(struct db *db, const struct principal *who, const char *number,
			      struct err *e)
{
	json_object *order = orders_get(db, who, number, e), *caller = NULL, *out, *extra;
	struct buf mask = BUF_INIT;
	struct db_res *r;

	if (!order)
		return NULL;
	r = DB_EXEC(db, e,
		    "SELECT x.name, x.phone, x.confidential, mo.number AS merged_order, iso(x.at) AS at"
		    " FROM order_extra_caller x JOIN work_order o ON o.id = x.order_id"
		    " JOIN work_order mo ON mo.id = x.merged_order_id"
		    " WHERE o.number = $1 ORDER BY x.at, x.id",
		    number);
	if (!r) {
		json_object_put(order);
		return NULL;
	}
	out = json_object_new_object();
	json_object_object_get_ex(order, "caller", &caller);
	json_object_object_add(out, "caller", caller ? json_object_get(caller) : NULL);
	extra = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *x = json_object_new_object();
		bool masked = db_res_bool(r, i, "confidential") && principal_is_department(who);

		if (masked) {
			buf_reset(&mask);
			name_mask(&mask, db_res_str(r, i, "name"));
			json_add_string(x, "name", mask.data);
			buf_reset(&mask);
			phone_mask(&mask, db_res_str(r, i, "phone"));
			json_add_string(x, "phone", mask.data);
		} else {
			json_add_string(x, "name", db_res_str(r, i, "name"));
			json_add_string(x, "phone", db_res_str(r, i, "phone"));
		}
		json_object_object_add(x, "masked", json_object_new_boolean(masked));
		json_add_string(x, "merged_order", db_res_str(r, i, "merged_order"));
		json_add_string(x, "at", db_res_str(r, i, "at"));
		json_object_array_add(extra, x);
	}
	db_res_free(r);
	buf_release(&mask);
	json_object_put(order);
	json_object_object_add(out, "extra", extra);
	return out;
}

json_object *dispatch_suggestion_records(struct db *db, const struct principal *who,
					 const char *number, struct err *e)
{
	struct db_res *r;
	json_object *out, *items;

	if (!visible(db, who, number, e))
		return NULL;
	r = DB_EXEC(db, e,
		    "SELECT s.rule_id, s.rule_name, s.suggested_department, s.chosen_department,"
		    " s.accepted, s.source, iso(s.at) AS at, u.login"
		    " FROM dispatch_suggestion s JOIN work_order o ON o.id = s.order_id"
		    " LEFT JOIN app_user u ON u.id = s.actor_id"
		    " WHERE o.number = $1 ORDER BY s.id",
		    number);
	if (!r)
		return NULL;
	items = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *s = json_object_new_object();
		if (db_res_isnull(r, i, db_res_col(r, "rule_id")))
			json_object_object_add(s, "rule_id", NULL);
		else
			json_object_object_add(s, "rule_id", json_object_new_int64(db_res_ll(r, i, "rule_id")));
		json_add_string(s, "rule_name", db_res_str(r, i, "rule_name"));
		json_add_string(s, "suggested_department",
				*db_res_str(r, i, "suggested_department") ? db_res_str(r, i, "suggested_department") : NULL);
		json_add_string(s, "chosen_department", db_res_str(r, i, "chosen_department"));
		json_object_object_add(s, "accepted", json_object_new_boolean(db_res_bool(r, i, "accepted")));
		json_add_string(s, "source", db_res_str(r, i, "source"));
		json_add_string(s, "actor", *db_res_str(r, i, "login") ? db_res_str(r, i, "login") : NULL);
		json_add_string(s, "at", db_res_str(r, i, "at"));
		json_object_array_add(items, s);
	}
	db_res_free(r);
	out = json_object_new_object();
	json_add_string(out, "order", number);
	json_object_object_add(out, "items", items);
	return out;
}
