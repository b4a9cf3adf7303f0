/* The order list: filters, visibility and keyset pagination. */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "orders/fields.h"
#include "orders/orders_private.h"

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
			e->code = ERR_BAD_REQUEST;
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

