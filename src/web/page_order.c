/*
 * The order page (/orders/{number}): details, caller, deadlines, the full
 * event record, and one form per action the viewer may take; and the
 * handler those forms post to.
 */
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "orders/orders.h"
#include "police/police.h"
#include "web/web_private.h"

/* A code's label from a table of pairs, or the code itself. */
static const char *label_of(const char *code, const char *const (*table)[2], size_t n)
{
	for (size_t i = 0; code && i < n; i++)
		if (!strcmp(code, table[i][0]))
			return table[i][1];
	return code ? code : "";
}

static const char *const delivery_labels[][2] = {
	{ "none", "无消息" }, { "pending", "发送中" }, { "sent", "已送达 110" }, { "parked", "发送失败，已暂停重试" },
};
static const char *const message_states[][2] = {
	{ "pending", "待发送" }, { "sent", "已送达" }, { "parked", "已暂停" },
};
static const char *const message_kinds[][2] = {
	{ "transfer", "转警单" }, { "feedback", "办理反馈" },
};
static const char *const feedback_states[][2] = {
	{ "accepted", "已受理" }, { "dispatched", "已派警" }, { "arrived", "已到场" },
	{ "in_progress", "处置中" }, { "completed", "已办结" }, { "returned", "已退回" },
};

/*
 * For an order exchanged with 110 (transferred to it, or received from it):
 * "police" with the bridge's view — the direction, the incident, every
 * message with its delivery state, and 110's feedback. Nothing for other
 * orders; a failure to read it is shown in the card, not fatal.
 */
static void add_police(struct page *pg, json_object *order)
{
	struct err e = ERR_INIT;
	const char *channel = json_str(json_object_object_get(order, "channel"), "code");
	const char *to = json_str(json_object_object_get(order, "outcome"), "transferred_to");
	json_object *st, *card = json_object_new_object();
	struct buf b = BUF_INIT;

	if (!(channel && !strcmp(channel, "police")) && !(to && !strcmp(to, "110"))) {
		json_object_put(card);
		return;
	}
	json_object_object_add(order, "police", card);
	if (!(st = police_order_status(pg->db, pg->who, json_str(order, "number"), &e))) {
		err_text(&b, &e);
		json_add_text(card, "failed", b.data);
		buf_release(&b);
		return;
	}
	const char *delivery = json_str(st, "delivery");
	json_add_text(card, "direction", channel && !strcmp(channel, "police") ? "110 转来的警单" : "已转 110");
	json_add_text(card, "incident_no", json_str(st, "incident_no"));
	json_add_text(card, "delivery", delivery);
	json_add_text(card, "delivery_name", label_of(delivery, delivery_labels, ARRAY_SIZE(delivery_labels)));
	json_object *messages = json_object_object_get(st, "messages"), *ms = json_object_new_array();
	for (size_t i = 0; messages && i < json_object_array_length(messages); i++) {
		json_object *m = json_object_array_get_idx(messages, i), *v = json_object_new_object();
		json_add_text(v, "kind", label_of(json_str(m, "kind"), message_kinds, ARRAY_SIZE(message_kinds)));
		json_add_text(v, "state", json_str(m, "state"));
		json_add_text(v, "state_name", label_of(json_str(m, "state"), message_states, ARRAY_SIZE(message_states)));
		json_object_object_add(v, "attempts", json_object_get(json_object_object_get(m, "attempts")));
		view_time(&b, json_str(m, "created_at"));
		json_add_text(v, "created", b.data);
		buf_reset(&b);
		view_time(&b, json_str(m, "sent_at") ? json_str(m, "sent_at") : json_str(m, "next_attempt_at"));
		json_add_text(v, "when", b.data);
		buf_reset(&b);
		json_add_text(v, "last_error", json_str(m, "last_error"));
		json_add_text(v, "message_id", json_str(m, "message_id"));
		json_object_array_add(ms, v);
	}
	json_object_object_add(card, "messages", ms);
	json_object_object_add(card, "any_messages", json_object_new_boolean(json_object_array_length(ms) > 0));
	json_object *feedback = json_object_object_get(st, "feedback"), *fs = json_object_new_array();
	for (size_t i = 0; feedback && i < json_object_array_length(feedback); i++) {
		json_object *f = json_object_array_get_idx(feedback, i), *v = json_object_new_object();
		json_add_text(v, "state_name", label_of(json_str(f, "state"), feedback_states, ARRAY_SIZE(feedback_states)));
		json_add_text(v, "result", json_str(f, "result"));
		json_add_text(v, "handler", json_str(f, "handler"));
		view_time(&b, json_str(f, "time"));
		json_add_text(v, "at", b.data);
		buf_reset(&b);
		json_object_array_add(fs, v);
	}
	json_object_object_add(card, "feedback", fs);
	json_object_object_add(card, "any_feedback", json_object_new_boolean(json_object_array_length(fs) > 0));
	/* Once 110 reports, the badge says where the case stands there, not
	 * that our message arrived. */
	if (json_object_array_length(fs) > 0) {
		json_object *latest = json_object_array_get_idx(fs, json_object_array_length(fs) - 1);
		buf_reset(&b);
		buf_addf(&b, "110 %s", json_str(latest, "state_name"));
		json_add_text(card, "delivery_name", b.data);
	}
	buf_release(&b);
	json_object_put(st);
}

/* The header names the agent who registered the order as the timeline
 * does (its first event's actor), not by login. */
static void registered_by(json_object *order, json_object *events)
{
	json_object *first = json_object_array_length(events) ? json_object_array_get_idx(events, 0) : NULL;
	json_object *view = first ? json_object_object_get(first, "view") : NULL;
	const char *actor = view ? json_str(view, "actor") : NULL;

	if (actor && json_str(order, "created_by"))
		json_add_text(json_object_object_get(order, "view"), "registered_by", actor);
}

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
		err_set(&e, 404, ERR_NOT_FOUND, "no order \"%s\"", number ? number : "");
		page_fail(pg->req, &e);
		return;
	}
	if (!(ref = reference_choices(pg->db, &e)) || !(order = orders_get(pg->db, pg->who, number, &e))
	    || !(events = orders_events(pg->db, pg->who, number, &e))) {
		page_fail(pg->req, &e);
		goto out;
	}
	view_order(order, time(NULL));
	view_events(events, ref);
	registered_by(order, events);
	actions_view(order, ref, pg->who, failure, NULL);
	add_police(pg, order);
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

/*
 * Fills `failure` from the domain's refusal of `action`: each bad field's
 * message beside it, and a summary naming the first (and how many more).
 */
static void describe_failure(struct action_failure *failure, int action, const struct form *f,
			     const struct err *e)
{
	static const char *const lists[] = { "assisting", NULL };
	struct buf msg = BUF_INIT, first = BUF_INIT;
	struct err_detail d;

	failure->action = action;
	failure->values = form_values(f, lists);
	failure->errors = json_object_new_object();
	for (int i = 0; i <= e->nmore; i++) {
		const struct param_spec *spec;

		err_detail_at(e, i, &d);
		spec = param_find((enum order_action)action, d.field);
		buf_reset(&msg);
		err_detail_text(&msg, &d, e->status);
		if (spec)
			json_object_object_add(failure->errors, d.field, json_object_new_string(msg.data));
		if (i == 0 && spec)
			buf_addf(&first, "%s：%s", spec->label, msg.data);
		else if (i == 0)
			buf_adds(&first, msg.data);
	}
	failure->fielded = (int)json_object_object_length(failure->errors) == e->nmore + 1;
	if (e->nmore > 0)
		snprintf(failure->message, sizeof(failure->message), "%s（另有 %d 处需要修改，见下方标注）",
			 first.data, e->nmore);
	else
		snprintf(failure->message, sizeof(failure->message), "%s", first.data);
	buf_release(&first);
	buf_release(&msg);
}

void page_order_action(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct action_failure failure = ACTION_FAILURE_INIT;
	const char *number = http_param(req, "number");
	int action = action_parse(http_param(req, "action"));
	json_object *order = NULL;
	struct param_source src;
	struct page pg;
	struct form f;
	bool to_console;
	bool parsed;

	if (!page_begin(req, ROLES_ANY, "工单", &pg))
		return;
	parsed = form_parse(&f, req, &e);
	to_console = form_get(&f, "back") && !strcmp(form_get(&f, "back"), "console");
	if (action <= ACT_REGISTER || !order_number_ok(number)) {
		err_set(&e, 404, ERR_PAGE_NOT_FOUND, "no such action");
		page_fail(req, &e);
		goto out;
	}
	src = form_source(&f);
	if (parsed)
		order = orders_act_input(pg.db, pg.who, number, (enum order_action)action, &src, &e);
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
		/* Said once: beside its field when it has one, else here and in the form. */
		if (failure.fielded)
			buf_addf(&top, "「%s」未完成：请修改下方标出的内容。", action_label((enum order_action)action));
		else
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
	form_release(&f);
	page_end(&pg);
}
