#include "supervision/lists.h"

#include <stdio.h>
#include <string.h>

#include "orders/lifecycle.h"
#include "orders/vocab.h"
#include "supervision/sv_private.h"

/* The path of department `code` ("/3/17/"), into `path`; 422 if unknown. */
static bool department_path(struct db *db, const char *code, char path[256], struct err *e)
{
	struct db_res *r;
	bool ok;

	path[0] = '\0';
	if (!code)
		return true;
	r = DB_EXEC(db, e, "SELECT path FROM department WHERE code = $1", code);
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok)
		snprintf(path, 256, "%s", db_res_str(r, 0, "path"));
	else
		err_field(e, 422, "department", ERR_UNKNOWN_DEPARTMENT, "unknown department \"%s\"", code);
	db_res_free(r);
	return ok;
}

/* The caller's own subtree: NULL for centre staff. */
static const char *scope(const struct principal *who)
{
	return principal_is_department(who) ? who->department_path : NULL;
}

/* -------------------------------------------------------------- overdue */

static const char overdue_sql[] =
	"WITH a AS ("
	" SELECT o.id, o.number, o.status, o.handle_deadline, o.press_count, o.extension_count,"
	"  o.address, CASE WHEN o.handle_deadline <= now() THEN 'red' ELSE 'yellow' END AS alert,"
	"  o.lead_department_id AS dept_id, ld.code AS dept_code, ld.name AS dept_name,"
	"  o.category_code, c.name AS category_name"
	" FROM work_order o JOIN department ld ON ld.id = o.lead_department_id"
	" LEFT JOIN category c ON c.code = o.category_code"
	" WHERE o.status IN " CLOCK_RUNS_SQL
	"  AND o.handle_deadline IS NOT NULL AND (o.handle_deadline <= now() OR o.warn_at <= now())"
	"  AND ($1::text IS NULL OR ld.path LIKE $1 || '%')"
	"  AND ($2::text IS NULL OR ld.path LIKE $2 || '%')),"
	" g AS (SELECT dept_id, count(*) FILTER (WHERE alert = 'red') AS red,"
	"  count(*) FILTER (WHERE alert = 'yellow') AS yellow FROM a GROUP BY dept_id),"
	" n AS (SELECT a.*, row_number() OVER (PARTITION BY a.dept_id ORDER BY a.handle_deadline, a.id)"
	"  AS rn FROM a)"
	" SELECT n.number, n.status, n.alert, n.press_count, n.extension_count, n.address,"
	"  n.dept_code, n.dept_name, n.category_code, n.category_name, g.red, g.yellow,"
	"  iso(n.handle_deadline) AS deadline,"
	"  extract(epoch FROM now() - n.handle_deadline)::bigint AS overdue_seconds"
	" FROM n JOIN g USING (dept_id) WHERE n.rn <= $3::integer"
	" ORDER BY g.red DESC, g.yellow DESC, n.dept_code, n.rn";

static json_object *overdue_order(const struct db_res *r, int i)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "number", db_res_json_text(r, i, "number"));
	json_object_object_add(o, "status", db_res_json_text(r, i, "status"));
	json_object_object_add(o, "status_name",
			       json_object_new_string(status_label(status_parse(db_res_str(r, i, "status")))));
	json_object_object_add(o, "alert", db_res_json_text(r, i, "alert"));
	json_object_object_add(o, "handle_deadline", db_res_json_text(r, i, "deadline"));
	json_object_object_add(o, "overdue_seconds", json_object_new_int64(db_res_ll(r, i, "overdue_seconds")));
	json_object_object_add(o, "press_count", json_object_new_int64(db_res_ll(r, i, "press_count")));
	json_object_object_add(o, "extension_count", json_object_new_int64(db_res_ll(r, i, "extension_count")));
	json_object_object_add(o, "category",
			       sv_code_name(db_res_str(r, i, "category_code"), db_res_str(r, i, "category_name")));
	json_object_object_add(o, "address", db_res_json_text(r, i, "address"));
	return o;
}

json_object *supervision_overdue(struct db *db, const struct principal *who,
				 const char *department, int limit, struct err *e)
{
	char path[256], lim[16];
	struct db_res *r;
	json_object *out, *groups, *group = NULL, *orders = NULL, *total;
	long long red = 0, yellow = 0;
	const char *current = "";

	if (limit <= 0)
		limit = OVERDUE_PER_DEPARTMENT_DEFAULT;
	if (limit > OVERDUE_PER_DEPARTMENT_MAX)
		return err_field(e, 400, "limit", ERR_OUT_OF_RANGE, "limit %d is out of range 1 to %d", limit,
				 OVERDUE_PER_DEPARTMENT_MAX), NULL;
	if (!department_path(db, department, path, e))
		return NULL;
	snprintf(lim, sizeof(lim), "%d", limit);
	r = DB_EXEC(db, e, overdue_sql, department ? path : NULL, scope(who), lim);
	if (!r)
		return NULL;
	out = json_object_new_object();
	groups = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		const char *code = db_res_str(r, i, "dept_code");
		if (!group || strcmp(code, current)) {
			current = code;
			group = json_object_new_object();
			orders = json_object_new_array();
			json_object_object_add(group, "code", json_object_new_string(code));
			json_object_object_add(group, "name", db_res_json_text(r, i, "dept_name"));
			json_object_object_add(group, "red", json_object_new_int64(db_res_ll(r, i, "red")));
			json_object_object_add(group, "yellow", json_object_new_int64(db_res_ll(r, i, "yellow")));
			json_object_object_add(group, "orders", orders);
			json_object_array_add(groups, group);
			red += db_res_ll(r, i, "red");
			yellow += db_res_ll(r, i, "yellow");
		}
		json_object_array_add(orders, overdue_order(r, i));
	}
	db_res_free(r);
	total = json_object_new_object();
	json_object_object_add(total, "red", json_object_new_int64(red));
	json_object_object_add(total, "yellow", json_object_new_int64(yellow));
	json_object_object_add(out, "total", total);
	json_object_object_add(out, "departments", groups);
	return out;
}

/* ----------------------------------------------------- pending decisions */

static const char decisions_sql[] =
	"SELECT o.number, o.status, iso(o.requested_deadline) AS requested_deadline,"
	" iso(o.handle_deadline) AS handle_deadline, ld.code AS dept_code, ld.name AS dept_name,"
	" iso(ev.at) AS requested_at, ev.note, u.login AS requested_by,"
	" extract(epoch FROM now() - ev.at)::bigint AS waiting_seconds"
	" FROM work_order o JOIN department ld ON ld.id = o.lead_department_id"
	" LEFT JOIN LATERAL (SELECT e.at, e.note, e.actor_id FROM order_event e"
	"  WHERE e.order_id = o.id AND e.action IN ('return', 'request_extension')"
	"  ORDER BY e.id DESC LIMIT 1) ev ON true"
	" LEFT JOIN app_user u ON u.id = ev.actor_id"
	" WHERE o.status = ANY ($1::text[])"
	"  AND ($2::text IS NULL OR ld.path LIKE $2 || '%')"
	"  AND ($3::text IS NULL OR ld.path LIKE $3 || '%')"
	" ORDER BY ev.at NULLS FIRST, o.id LIMIT $4::integer";

static const char decision_counts_sql[] =
	"SELECT count(*) FILTER (WHERE o.status = 'extension_requested') AS extension,"
	" count(*) FILTER (WHERE o.status = 'return_requested') AS return"
	" FROM work_order o JOIN department ld ON ld.id = o.lead_department_id"
	" WHERE o.status IN ('extension_requested', 'return_requested')"
	"  AND ($1::text IS NULL OR ld.path LIKE $1 || '%')"
	"  AND ($2::text IS NULL OR ld.path LIKE $2 || '%')";

static json_object *decision_json(const struct db_res *r, int i)
{
	json_object *o = json_object_new_object();
	bool extension = !strcmp(db_res_str(r, i, "status"), "extension_requested");

	json_object_object_add(o, "number", db_res_json_text(r, i, "number"));
	json_object_object_add(o, "kind", json_object_new_string(extension ? "extension" : "return"));
	json_object_object_add(o, "status", db_res_json_text(r, i, "status"));
	json_object_object_add(o, "status_name",
			       json_object_new_string(status_label(status_parse(db_res_str(r, i, "status")))));
	json_object_object_add(o, "requested_at", db_res_json_text(r, i, "requested_at"));
	json_object_object_add(o, "requested_by", db_res_json_text(r, i, "requested_by"));
	json_object_object_add(o, "waiting_seconds", db_res_isnull(r, i, db_res_col(r, "waiting_seconds"))
			       ? NULL : json_object_new_int64(db_res_ll(r, i, "waiting_seconds")));
	json_object_object_add(o, "reason", db_res_json_text(r, i, "note"));
	json_object_object_add(o, "requested_deadline", extension ? db_res_json_text(r, i, "requested_deadline") : NULL);
	json_object_object_add(o, "handle_deadline", db_res_json_text(r, i, "handle_deadline"));
	json_object_object_add(o, "department",
			       sv_code_name(db_res_str(r, i, "dept_code"), db_res_str(r, i, "dept_name")));
	return o;
}

json_object *supervision_pending_decisions(struct db *db, const struct principal *who,
					   const char *kind, const char *department, int limit,
					   struct err *e)
{
	const char *statuses;
	char path[256], lim[16];
	struct db_res *r, *counts;
	json_object *out, *items, *c;

	if (!kind)
		statuses = "{extension_requested,return_requested}";
	else if (!strcmp(kind, "extension"))
		statuses = "{extension_requested}";
	else if (!strcmp(kind, "return"))
		statuses = "{return_requested}";
	else
		return err_field(e, 400, "kind", ERR_UNKNOWN_CHOICE, "unknown kind \"%s\": expected extension or return", kind), NULL;
	if (limit <= 0)
		limit = DECISIONS_DEFAULT;
	if (limit > DECISIONS_MAX)
		return err_field(e, 400, "limit", ERR_OUT_OF_RANGE, "limit %d is out of range 1 to %d", limit, DECISIONS_MAX), NULL;
	if (!department_path(db, department, path, e))
		return NULL;
	snprintf(lim, sizeof(lim), "%d", limit);
	r = DB_EXEC(db, e, decisions_sql, statuses, department ? path : NULL, scope(who), lim);
	if (!r)
		return NULL;
	counts = DB_EXEC(db, e, decision_counts_sql, department ? path : NULL, scope(who));
	if (!counts) {
		db_res_free(r);
		return NULL;
	}
	out = json_object_new_object();
	c = json_object_new_object();
	json_object_object_add(c, "extension", json_object_new_int64(db_res_ll(counts, 0, "extension")));
	json_object_object_add(c, "return", json_object_new_int64(db_res_ll(counts, 0, "return")));
	json_object_object_add(out, "counts", c);
	items = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_array_add(items, decision_json(r, i));
	json_object_object_add(out, "items", items);
	db_res_free(counts);
	db_res_free(r);
	return out;
}
