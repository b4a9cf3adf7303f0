/*
 * The order page (/orders/{number}): details, caller, deadlines, the full
 * event record, and one form per action the viewer may take; and the
 * handler those forms post to.
 */
#include <stdio.h>
#include <string.h>

#include "core/jsonutil.h"
#include "orders/orders.h"
#include "web/web_private.h"

/*
 * The order page for `number`, with `failure` (may be NULL) re-rendering
 * the form of a refused action.
 */
static void order_show(struct page *pg, int status, const char *number,
		       const struct action_failure *failure)
{
	struct err e = ERR_INIT;
	json_object *ref = NULL, *order = NULL, *events = NULL;
	struct buf title = BUF_INIT;

	if (!order_number_ok(number)) {
		err_set(&e, 404, "not-found", "no order \"%s\"", number ? number : "");
		page_fail(pg->req, &e);
		return;
	}
	if (!(ref = ref_load(pg->db, &e)) || !(order = orders_get(pg->db, pg->who, number, &e))
	    || !(events = orders_events(pg->db, pg->who, number, &e))) {
		page_fail(pg->req, &e);
		goto out;
	}
	view_order(order, time(NULL));
	view_events(events, ref);
	actions_view(order, ref, pg->who, failure, NULL);
	buf_addf(&title, "工单 %s", number);
	json_object_object_add(pg->data, "title", json_object_new_string(title.data));
	json_object_object_add(pg->data, "order", json_object_get(order));
	json_object_object_add(pg->data, "events", json_object_get(events));
	page_render(pg, status, "order");
out:
	buf_release(&title);
	json_object_put(events);
	json_object_put(order);
	json_object_put(ref);
}

void page_order(struct http_req *req)
{
	struct page pg;
	int done;

	if (!page_begin(req, ROLES_ANY, "工单", &pg))
		return;
	done = action_parse(http_query(req, "done"));
	if (done > ACT_REGISTER) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "已%s。", action_label((enum order_action)done));
		page_flash(&pg, b.data);
		buf_release(&b);
	}
	order_show(&pg, 200, http_param(req, "number"), NULL);
	page_end(&pg);
}

/* Fills `failure` from the domain's refusal of `action`. */
static void describe_failure(struct action_failure *failure, int action, const struct form *f,
			     const struct err *e)
{
	static const char *const lists[] = { "assisting", NULL };
	const char *label = field_label(e->field);
	struct buf msg = BUF_INIT;

	failure->action = action;
	failure->values = form_values(f, lists);
	failure->errors = json_object_new_object();
	err_text(&msg, e);
	if (label && strcmp(e->field, "version")) {
		json_object_object_add(failure->errors, e->field, json_object_new_string(msg.data));
		snprintf(failure->message, sizeof(failure->message), "%s：%s", label, msg.data);
	} else {
		snprintf(failure->message, sizeof(failure->message), "%s", msg.data);
	}
	buf_release(&msg);
}

void page_order_action(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct action_failure failure = ACTION_FAILURE_INIT;
	const char *number = http_param(req, "number");
	int action = action_parse(http_param(req, "action"));
	json_object *body = NULL, *order = NULL;
	struct page pg;
	struct form f;
	bool to_console;
	bool parsed;

	if (!page_begin(req, ROLES_ANY, "工单", &pg))
		return;
	parsed = form_parse(&f, req, &e);
	to_console = form_get(&f, "back") && !strcmp(form_get(&f, "back"), "console");
	if (action <= ACT_REGISTER || !order_number_ok(number)) {
		err_set(&e, 404, "page-not-found", "no such action");
		page_fail(req, &e);
		goto out;
	}
	if (parsed)
		body = actions_body((enum order_action)action, &f, &e);
	if (body)
		order = orders_act(pg.db, pg.who, number, (enum order_action)action, body, &e);
	if (order) {
		struct buf loc = BUF_INIT;
		if (to_console) {
			buf_addf(&loc, "/console?done=%s&order=", action_code((enum order_action)action));
			url_escape(&loc, number);
		} else {
			buf_adds(&loc, "/orders/");
			url_escape(&loc, number);
			buf_addf(&loc, "?done=%s", action_code((enum order_action)action));
		}
		http_redirect(req, loc.data);
		buf_release(&loc);
		goto out;
	}
	if (e.status != 422 && e.status != 409 && e.status != 403 && e.status != 400) {
		page_fail(req, &e);
		goto out;
	}
	describe_failure(&failure, action, &f, &e);
	{
		struct buf top = BUF_INIT;
		buf_addf(&top, "「%s」未完成：%s", action_label((enum order_action)action), failure.message);
		json_object_object_add(pg.data, "error", json_object_new_string(top.data));
		buf_release(&top);
	}
	if (to_console)
		console_show(&pg, e.status, number, &failure);
	else
		order_show(&pg, e.status, number, &failure);
out:
	action_failure_release(&failure);
	json_object_put(order);
	json_object_put(body);
	form_release(&f);
	page_end(&pg);
}
