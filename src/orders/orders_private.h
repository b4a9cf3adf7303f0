/*
 * The order module's private parts, shared by its files (read.c, create.c,
 * list.c, act.c, sweep.c): the columns an order is read with, the
 * visibility test every query of a department user carries, and the JSON
 * projection that the API and the pages share.
 */
#ifndef HOTLINE_ORDERS_PRIVATE_H
#define HOTLINE_ORDERS_PRIVATE_H

#include "orders/orders.h"

/*
 * The department subtree the viewer is limited to, as a SQL parameter:
 * NULL for centre staff (who see everything).
 */
static inline const char *scope_param(const struct principal *who)
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
	" coalesce(array_to_json(o.deadline_provisional)::text, '[]') AS deadline_provisional," \
	" o.pending_reason, o.extension_count, o.return_count, o.reopen_count, o.press_count, o.chase_count," \
	" o.result, o.solved, o.contacted, o.satisfaction, o.callback_result, o.transferred_to," \
	" (SELECT number FROM work_order m WHERE m.id = o.merged_into) AS merged_into," \
	" o.call_id, iso(o.signed_at) AS signed_at," \
	" iso(o.replied_at) AS replied_at, iso(o.completed_at) AS completed_at," \
	" iso(o.created_at) AS created_at, iso(o.updated_at) AS updated_at, o.version," \
	" (SELECT login FROM app_user WHERE id = o.created_by) AS created_by"

#define ORDER_JOINS \
	" FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"

/* {"code", "name"} from two columns of row `row`, or NULL when the code is NULL. */
json_object *order_code_name(const struct db_res *r, int row, const char *code_col,
			     const char *name_col);

/* The order in row `row` of `r` (read with ORDER_COLUMNS) as `who` may see it. */
json_object *order_json(const struct db_res *r, int row, const struct principal *who);

#endif
