/*
 * The agent's console (/console): the current call with the caller's
 * history (来电弹屏), the new-order form (受理登记) with routing suggestions
 * and duplicate candidates (并单), the order just registered with its next
 * steps (派单, 直接办结, 不予受理, 转出), today's orders, and the orders
 * waiting for a callback.
 *
 * The form posts to /console/orders with one of its buttons: 受理登记
 * registers; 查看建议 (op=suggest) and 采用 (accept=N) show the form again
 * with the suggestions, the accepted one filled in; 并入此单 (merge_into=
 * NUMBER) registers and merges into that order. A suggestion accepted
 * before registering pre-selects the dispatch form (and records the rule
 * with the dispatch), or opens the transfer to 110.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "dispatch/dispatch.h"
#include "intake/events.h"
#include "orders/orders.h"
#include "web/web_private.h"

#define IDEM_HEX 33

/* The form fields dispatch_suggest() reads. */
static const char *const suggest_fields[] = {
	"content", "address", "category", "district", "street", "caller_phone",
};

/* A new idempotency key against double submits, into `form`. */
static void add_idem(json_object *form)
{
	unsigned char raw[16];
	char idem[IDEM_HEX];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(idem, sizeof(idem), raw, sizeof(raw));
	json_add_text(form, "idem", idem);
}

/* A fresh form: urgency 一般, a new idempotency key. */
static json_object *fresh_form(void)
{
	json_object *form = json_object_new_object();

	json_add_text(form, "urgency", "normal");
	add_idem(form);
	return form;
}

/* The district/street selects: districts, and streets grouped by district. */
static void add_places(json_object *data, json_object *ref, json_object *form)
{
	json_object *depts = json_object_object_get(ref, "departments");
	json_object *districts = ref_options(depts, json_str(form, "district"), NULL, "district");
	json_object *groups = json_object_new_array();
	const char *street = json_str(form, "street");

	for (size_t i = 0; i < json_object_array_length(districts); i++) {
		json_object *d = json_object_array_get_idx(districts, i);
		json_object *group = json_object_new_object();
		json_object *streets = json_object_new_array();
		const char *code = json_str(d, "code");
		for (size_t k = 0; depts && k < json_object_array_length(depts); k++) {
			json_object *s = json_object_array_get_idx(depts, k);
			const char *parent = json_str(s, "parent"), *kind = json_str(s, "kind");
			const char *scode = json_str(s, "code");
			if (!kind || strcmp(kind, "street") || !parent || strcmp(parent, code))
				continue;
			json_object *o = json_object_new_object();
			json_add_text(o, "code", scode);
			json_add_text(o, "name", json_str(s, "name"));
			json_add_text(o, "district", code);
			json_object_object_add(o, "selected",
					       json_object_new_boolean(street && !strcmp(street, scode)));
			json_object_array_add(streets, o);
		}
		json_add_text(group, "name", json_str(d, "name"));
		json_add_text(group, "code", code);
		json_object_object_add(group, "streets", streets);
		json_object_array_add(groups, group);
	}
	json_object_object_add(data, "districts", districts);
	json_object_object_add(data, "street_groups", groups);
}

/* ------------------------------------------------------------ the call */

static const char *outcome_label(const char *outcome)
{
	static const char *const labels[][2] = {
		{ "answered", "已接通" }, { "abandoned", "放弃" }, { "waiting", "排队中" },
		{ "not_offered", "未进入人工" },
	};

	for (size_t i = 0; outcome && i < ARRAY_SIZE(labels); i++)
		if (!strcmp(outcome, labels[i][0]))
			return labels[i][1];
	return outcome ? outcome : "";
}

/* The orders of a caller's history for display: time, status name, excerpt. */
static json_object *history_orders(json_object *orders, json_object *ref)
{
	json_object *out = json_object_new_array();
	struct buf b = BUF_INIT;

	for (size_t i = 0; orders && i < json_object_array_length(orders); i++) {
		json_object *o = json_object_array_get_idx(orders, i);
		json_object *v = json_object_new_object();
		const char *type = json_str(ref_find(ref, "request_types", json_str(o, "request_type")), "name");
		json_add_text(v, "number", json_str(o, "number"));
		json_add_text(v, "status", json_str(o, "status"));
		json_add_text(v, "status_name", status_label(status_parse(json_str(o, "status"))));
		/* An open order can take the caller's chase-up (催办) instead of a duplicate. */
		json_object_object_add(v, "open", json_object_new_boolean(
			lifecycle_is_open(status_parse(json_str(o, "status")))));
		view_time(&b, json_str(o, "created_at"));
		json_add_buf(v, "at", &b);
		json_add_text(v, "type", type ? type : "");
		json_add_text(v, "category", json_str(o, "category_name"));
		view_excerpt(&b, json_str(o, "summary"), 36);
		json_add_buf(v, "excerpt", &b);
		json_object_array_add(out, v);
	}
	buf_release(&b);
	return out;
}

/*
 * The current call panel: {"call_id", "phone", "caller", "at", "queue",
 * "dialled", "wait", "calls" (earlier calls), "orders", "any_calls",
 * "any_orders", "prefill" (the link that registers with this number)}, or
 * NULL when the agent has no current call. A failure to read it is shown,
 * not fatal: the console must work without the telephone link.
 */
static json_object *call_panel(struct page *pg, json_object *ref)
{
	struct err e = ERR_INIT;
	json_object *cur = call_current(pg->db, pg->who->user_id, &e);
	json_object *call, *history, *panel, *calls;
	const char *call_id, *phone;
	struct buf b = BUF_INIT;

	if (!cur) {
		struct buf msg = BUF_INIT;
		err_text(&msg, &e);
		panel = json_object_new_object();
		json_add_text(panel, "failed", msg.data);
		buf_release(&msg);
		return panel;
	}
	call = json_object_object_get(cur, "call");
	if (!call) {
		json_object_put(cur);
		return NULL;
	}
	history = json_object_object_get(cur, "history");
	call_id = json_str(call, "call_id");
	phone = json_str(call, "caller_phone");
	panel = json_object_new_object();
	json_add_text(panel, "call_id", call_id);
	json_add_text(panel, "phone", phone ? phone : json_str(call, "caller"));
	json_add_text(panel, "caller", json_str(call, "caller"));
	json_add_text(panel, "queue", json_str(call, "queue"));
	json_add_text(panel, "dialled", json_str(call, "dialled"));
	view_time(&b, json_str(call, "answered_at") ? json_str(call, "answered_at") : json_str(call, "at"));
	json_add_buf(panel, "at", &b);
	if (json_object_object_get(call, "wait_s")) {
		buf_addf(&b, "%d 秒", json_object_get_int(json_object_object_get(call, "wait_s")));
		json_add_buf(panel, "wait", &b);
	}
	calls = json_object_new_array();
	json_object *hc = json_object_object_get(history, "calls");
	for (size_t i = 0; hc && i < json_object_array_length(hc); i++) {
		json_object *c = json_object_array_get_idx(hc, i);
		const char *id = json_str(c, "call_id");
		if (id && call_id && !strcmp(id, call_id))
			continue;	/* this call itself */
		json_object *v = json_object_new_object();
		view_time(&b, json_str(c, "at"));
		json_add_buf(v, "at", &b);
		json_add_text(v, "outcome", json_str(c, "outcome"));
		json_add_text(v, "outcome_name", outcome_label(json_str(c, "outcome")));
		if (json_object_object_get(c, "talk_s")) {
			view_duration(&b, json_object_get_int(json_object_object_get(c, "talk_s")));
			json_add_buf(v, "talk", &b);
		}
		json_object_object_add(v, "orders", history_orders(json_object_object_get(c, "orders"), ref));
		json_object_array_add(calls, v);
	}
	json_object_object_add(panel, "any_calls", json_object_new_boolean(json_object_array_length(calls) > 0));
	json_object_object_add(panel, "calls", calls);
	json_object *orders = history_orders(json_object_object_get(history, "orders"), ref);
	json_object_object_add(panel, "any_orders", json_object_new_boolean(json_object_array_length(orders) > 0));
	json_object_object_add(panel, "orders", orders);
	if (phone) {
		buf_adds(&b, "/console?phone=");
		url_escape(&b, phone);
		buf_adds(&b, "&call=");
		url_escape(&b, call_id ? call_id : "");
		buf_adds(&b, "#new-order");
		json_add_buf(panel, "prefill", &b);
	}
	buf_release(&b);
	json_object_put(cur);
	return panel;
}

/* ------------------------------------------------------------ suggestions */

static const char *reason_label(const char *reason)
{
	if (reason && !strcmp(reason, "same_phone"))
		return "同一来电号码";
	if (reason && !strcmp(reason, "same_address_category"))
		return "同一地址、同一分类";
	return reason ? reason : "";
}

/* The duplicate candidates of dispatch_suggest() or dispatch_duplicates() for display. */
static json_object *duplicates_view(json_object *items)
{
	json_object *out = json_object_new_array();
	struct buf b = BUF_INIT;

	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *d = json_object_array_get_idx(items, i);
		json_object *v = json_object_new_object();
		json_object *reasons = json_object_object_get(d, "reasons");
		json_add_text(v, "number", json_str(d, "number"));
		json_add_text(v, "status", json_str(d, "status"));
		json_add_text(v, "status_name", status_label(status_parse(json_str(d, "status"))));
		view_time(&b, json_str(d, "created_at"));
		json_add_buf(v, "at", &b);
		json_add_text(v, "address", json_str(d, "address"));
		json_add_text(v, "category", json_str(json_object_object_get(d, "category"), "name"));
		json_add_text(v, "lead", json_str(json_object_object_get(d, "lead_department"), "name"));
		view_excerpt(&b, json_str(d, "content"), 48);
		json_add_buf(v, "excerpt", &b);
		for (size_t k = 0; reasons && k < json_object_array_length(reasons); k++)
			buf_addf(&b, "%s%s", k ? "；" : "",
				 reason_label(json_object_get_string(json_object_array_get_idx(reasons, k))));
		json_add_buf(v, "reasons", &b);
		json_object_array_add(out, v);
	}
	buf_release(&b);
	return out;
}

/* The suggestions of dispatch_suggest() for display, `accepted` (-1: none) marked. */
static json_object *suggestions_view(json_object *result, int accepted)
{
	json_object *panel = json_object_new_object();
	json_object *items = json_object_new_array();
	json_object *list = json_object_object_get(result, "suggestions");
	json_object *dups = duplicates_view(json_object_object_get(result, "duplicates"));

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *s = json_object_array_get_idx(list, i);
		json_object *v = json_object_new_object();
		json_object *rule = json_object_object_get(s, "rule");
		const char *field = json_str(s, "field");
		json_object_object_add(v, "i", json_object_new_int((int)i));
		json_object_object_add(v, "rule_id", json_object_new_int64(json_int(rule, "id", 0)));
		json_add_text(v, "rule", json_str(rule, "name"));
		json_add_text(v, "matched", json_str(s, "matched"));
		json_add_text(v, "field", field && !strcmp(field, "address") ? "地址" : "来电内容");
		json_object_object_add(v, "category", json_object_get(json_object_object_get(s, "category")));
		json_object_object_add(v, "department", json_object_get(json_object_object_get(s, "department")));
		json_object_object_add(v, "urgency", json_object_get(json_object_object_get(s, "urgency")));
		json_object_object_add(v, "police", json_object_get(json_object_object_get(s, "police")));
		json_object_object_add(v, "accepted", json_object_new_boolean((int)i == accepted));
		json_object_array_add(items, v);
	}
	json_object_object_add(panel, "shown", json_object_new_boolean(true));
	json_object_object_add(panel, "any", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(panel, "items", items);
	json_object_object_add(panel, "police", json_object_get(json_object_object_get(result, "police")));
	json_object_object_add(panel, "any_duplicates", json_object_new_boolean(json_object_array_length(dups) > 0));
	json_object_object_add(panel, "duplicates", dups);
	return panel;
}

/* ------------------------------------------------------------ the page */

/*
 * After registering with an accepted suggestion (?dept=&rule=&police=1):
 * the dispatch form with the suggested unit chosen and the rule sent along
 * (the suggestion record), or the transfer to 110 opened first.
 */
static void apply_prefill(struct page *pg, json_object *order, json_object *ref)
{
	const char *dept = http_query(pg->req, "dept"), *rule = http_query(pg->req, "rule");
	const char *police = http_query(pg->req, "police");
	json_object *actions = json_object_object_get(order, "actions");
	bool to_police = police && !strcmp(police, "1");

	for (size_t i = 0; actions && i < json_object_array_length(actions); i++) {
		json_object *a = json_object_array_get_idx(actions, i);
		const char *code = json_str(a, "action");
		json_object *aval = json_object_object_get(a, "aval");
		if (!strcmp(code, "dispatch") && dept && ref_find(ref, "departments", dept)
		    && !json_str(aval, "department")) {
			json_add_text(aval, "department", dept);
			json_add_text(aval, "suggested_department", dept);
			if (rule && strspn(rule, "0123456789") == strlen(rule) && *rule)
				json_add_text(aval, "suggestion_rule", rule);
			actions_fields(a, ref, pg->who);
			json_object_object_add(a, "suggested", json_object_new_boolean(true));
			if (to_police)
				json_object_object_add(a, "open", json_object_new_boolean(false));
		} else if (!strcmp(code, "transfer_out") && to_police) {
			json_object_object_add(a, "open", json_object_new_boolean(true));
			json_object_object_add(a, "suggested", json_object_new_boolean(true));
		}
	}
}

/* Duplicate candidates of the order just registered, if it may still be merged. */
static void add_current_duplicates(struct page *pg, json_object *order)
{
	struct err e = ERR_INIT;
	json_object *allowed = json_object_object_get(order, "allowed_actions");
	bool can_merge = false;
	json_object *dups;

	for (size_t i = 0; allowed && i < json_object_array_length(allowed); i++)
		can_merge |= !strcmp(json_str(json_object_array_get_idx(allowed, i), "action"), "merge");
	if (!can_merge)
		return;
	dups = dispatch_duplicates(pg->db, pg->who, json_str(order, "number"), &e);
	if (!dups)
		return;
	json_object *view = duplicates_view(json_object_object_get(dups, "items"));
	json_object_object_add(order, "any_duplicates", json_object_new_boolean(json_object_array_length(view) > 0));
	json_object_object_add(order, "duplicates", view);
	json_object_put(dups);
}

void console_show(struct page *pg, int status, const char *current,
		  const struct action_failure *failure)
{
	struct err e = ERR_INIT;
	struct order_filter today = { 0 }, callbacks = { 0 };
	time_t now = time(NULL);
	json_object *ref = reference_choices(pg->db, &e);
	json_object *form = NULL, *call;

	if (!ref) {
		page_fail(pg->req, &e);
		return;
	}
	if (!json_object_object_get_ex(pg->data, "form", &form)) {
		const char *phone = http_query(pg->req, "phone"), *call_id = http_query(pg->req, "call");
		form = fresh_form();
		if (phone && *phone)
			json_add_text(form, "caller_phone", phone);
		if (call_id && *call_id)
			json_add_text(form, "call_id", call_id);
		json_object_object_add(pg->data, "form", form);
	}
	json_object_object_add(pg->data, "request_types",
			       ref_options(json_object_object_get(ref, "request_types"),
					   json_str(form, "request_type"), NULL, NULL));
	json_object_object_add(pg->data, "urgencies",
			       ref_options(json_object_object_get(ref, "urgencies"),
					   json_str(form, "urgency"), NULL, NULL));
	json_object_object_add(pg->data, "categories",
			       ref_options(json_object_object_get(ref, "categories"),
					   json_str(form, "category"), NULL, NULL));
	json_object_object_add(pg->data, "dept_groups",
			       ref_department_groups(ref, json_str(form, "department"), NULL, NULL));
	add_places(pg->data, ref, form);

	if ((call = call_panel(pg, ref)))
		json_object_object_add(pg->data, "call", call);

	if (current && order_number_ok(current)) {
		json_object *order = orders_get(pg->db, pg->who, current, &e);
		if (order) {
			view_order(order, now);
			actions_view(order, ref, pg->who, failure, "console");
			if (!failure)
				apply_prefill(pg, order, ref);
			add_current_duplicates(pg, order);
			json_object_object_add(pg->data, "current", order);
		}
	}

	today.created_from = time_from_local(time_local_day(now), 0, 0, 0);
	today.limit = 100;
	json_object_object_add(pg->data, "today",
			       order_section(pg, "today", "今日工单", "今天还没有受理工单", &today, false, now));
	callbacks.status = "awaiting_callback";
	callbacks.limit = 50;
	json_object_object_add(pg->data, "callbacks",
			       order_section(pg, "callbacks", "待回访", "没有待回访的工单", &callbacks, false, now));

	json_object_put(ref);
	page_render(pg, status, "console");
}

/* Sets "flash" from ?done=ACTION&order=NUMBER (or &merged=) after a redirect. */
static void flash_done(struct page *pg)
{
	const char *done = http_query(pg->req, "done");
	const char *number = http_query(pg->req, "order");
	const char *current = http_query(pg->req, "current");
	const char *merged = http_query(pg->req, "merged");
	struct buf b = BUF_INIT;
	int action = action_parse(done);

	if (action == ACT_MERGE && order_number_ok(current) && order_number_ok(merged))
		buf_addf(&b, "已受理登记工单 %s，并已并入工单 %s。", current, merged);
	else if (action == ACT_REGISTER && order_number_ok(current))
		buf_addf(&b, "已受理登记，工单号 %s。请接着派单，或直接办结、不予受理、转出。", current);
	else if (action > ACT_REGISTER && order_number_ok(number))
		buf_addf(&b, "工单 %s：已%s。", number, action_label((enum order_action)action));
	if (b.len)
		page_flash(pg, b.data);
	buf_release(&b);
}

void page_console(struct http_req *req)
{
	struct page pg;

	if (!page_begin(req, ROLES_CENTRE, "受理台", &pg))
		return;
	flash_done(&pg);
	console_show(&pg, 200, http_query(req, "current"), NULL);
	page_end(&pg);
}

/*
 * Fills in the district from the street's parent, and refuses a street
 * of another district. False with `e` (422, "street").
 */
static bool check_place(struct register_params *p, json_object *ref, struct err *e)
{
	const char *street = p->street, *district = p->district;
	json_object *s = street ? ref_find(ref, "departments", street) : NULL;
	const char *parent = json_str(s, "parent");

	if (!street || !parent)
		return true;	/* the domain names an unknown street */
	if (!district) {
		p->district = parent;	/* lives as long as `ref` */
		return true;
	}
	if (strcmp(district, parent)) {
		err_field(e, 422, "street", ERR_STREET_NOT_IN_DISTRICT, "street \"%s\" is not in district \"%s\"", street, district);
		return false;
	}
	return true;
}

/* The submitted form as the page's "form", keeping (or making) its idempotency key. */
static json_object *form_again(struct page *pg, const struct form *f)
{
	json_object *values = form_values(f, NULL);

	if (!json_str(values, "idem"))
		add_idem(values);
	json_object_object_add(pg->data, "form", values);
	return values;
}

/*
 * Puts the submitted values back into the form, with the message next to
 * the field at fault and at the top of the form.
 */
static void form_error(struct page *pg, const struct form *f, const struct err *e)
{
	page_form_error(pg, e, NULL);
	form_again(pg, f);
}

/*
 * 查看建议 / 采用: the form again with the suggestions for what was typed;
 * with `accept` (an index) that suggestion's category, urgency, unit and
 * 110 flag filled in. Replies 200, or the form error (422) when the input
 * cannot be matched (no content, a bad phone number).
 */
static void show_suggestions(struct page *pg, const struct form *f, const char *accept)
{
	struct err e = ERR_INIT;
	json_object *body = json_object_new_object(), *result, *values;
	char *end;
	long pick = accept ? strtol(accept, &end, 10) : -1;

	if (accept && (!*accept || *end))
		pick = -1;
	for (size_t i = 0; i < ARRAY_SIZE(suggest_fields); i++) {
		const char *v = form_get_nonempty(f, suggest_fields[i]);
		if (v || !strcmp(suggest_fields[i], "content"))
			json_add_text(body, suggest_fields[i], v ? v : "");
	}
	if (!form_get_nonempty(f, "content")) {
		err_field(&e, 422, "content", ERR_REQUIRED, "content is required for suggestions");
		form_error(pg, f, &e);
		json_object_put(body);
		console_show(pg, 422, NULL, NULL);
		return;
	}
	result = dispatch_suggest(pg->db, pg->who, body, &e);
	json_object_put(body);
	if (!result) {
		if (e.status == 422 || e.status == 400) {
			form_error(pg, f, &e);
			console_show(pg, 422, NULL, NULL);
		} else {
			page_fail(pg->req, &e);
		}
		return;
	}
	values = form_again(pg, f);
	json_object *list = json_object_object_get(result, "suggestions");
	json_object *s = pick >= 0 && (size_t)pick < json_object_array_length(list)
			 ? json_object_array_get_idx(list, (size_t)pick) : NULL;
	if (s) {
		const char *cat = json_str(json_object_object_get(s, "category"), "code");
		const char *dept = json_str(json_object_object_get(s, "department"), "code");
		const char *urg = json_str(json_object_object_get(s, "urgency"), "code");
		char rule[24];
		if (cat)
			json_add_text(values, "category", cat);
		if (dept)
			json_add_text(values, "department", dept);
		if (urg)
			json_add_text(values, "urgency", urg);
		if (json_object_get_boolean(json_object_object_get(s, "police")))
			json_add_text(values, "police", "1");
		snprintf(rule, sizeof(rule), "%lld",
			 (long long)json_int(json_object_object_get(s, "rule"), "id", 0));
		json_add_text(values, "suggestion_rule", rule);
		struct buf msg = BUF_INIT;
		buf_addf(&msg, "已采用建议「%s」：请核对诉求分类、紧急程度和拟派单位，再受理登记。",
			 json_str(json_object_object_get(s, "rule"), "name"));
		page_flash(pg, msg.data);
		buf_release(&msg);
	} else if (accept) {
		page_flash(pg, "该建议已不再适用（规则可能已更新），请重新查看建议。");
	}
	json_object_object_add(pg->data, "suggest", suggestions_view(result, s ? (int)pick : -1));
	json_object_put(result);
	console_show(pg, 200, NULL, NULL);
}

/* After registering: to the console with the order, its suggestion carried along. */
static void registered(struct page *pg, const struct form *f, const char *number)
{
	const char *dept = form_get_nonempty(f, "department");
	const char *rule = form_get_nonempty(f, "suggestion_rule");
	const char *police = form_get_nonempty(f, "police");
	struct buf loc = BUF_INIT;

	buf_adds(&loc, "/console?current=");
	url_escape(&loc, number);
	buf_adds(&loc, "&done=register");
	if (dept) {
		buf_adds(&loc, "&dept=");
		url_escape(&loc, dept);
	}
	if (rule) {
		buf_adds(&loc, "&rule=");
		url_escape(&loc, rule);
	}
	if (police && strcmp(police, "0"))
		buf_adds(&loc, "&police=1");
	http_redirect(pg->req, loc.data);
	buf_release(&loc);
}

/*
 * 并入此单: merges the order just registered into `into`. On a refusal the
 * console shows the registered order with the reason; the order stays
 * registered (pending), as the agent can see.
 */
static void merge_registered(struct page *pg, json_object *order, const char *into)
{
	struct err e = ERR_INIT;
	const char *number = json_str(order, "number");
	struct action_params p = {
		.version = json_int(order, "version", 0), .merge = { .into = into },
	};
	json_object *merged = orders_act(pg->db, pg->who, number, ACT_MERGE, &p, &e);

	if (merged) {
		page_redirect(pg, "/console", "current", number, "done", "merge", "merged", into, NULL);
		json_object_put(merged);
		return;
	}
	if (e.status >= 500) {
		page_fail(pg->req, &e);
		return;
	}
	struct buf msg = BUF_INIT, text = BUF_INIT;
	err_text(&text, &e);
	buf_addf(&msg, "工单 %s 已受理登记，但未能并入 %s：%s", number, into, text.data);
	json_add_text(pg->data, "error", msg.data);
	buf_release(&text);
	buf_release(&msg);
	console_show(pg, e.status, number, NULL);
}

void page_console_create(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	json_object *order = NULL, *ref = NULL;
	const char *idem, *op, *accept, *merge_into;
	struct param_source src;
	struct action_params params;
	bool created;

	if (!page_begin(req, ROLES_CENTRE, "受理台", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		form_error(&pg, &f, &e);
		console_show(&pg, e.status, NULL, NULL);
		goto out;
	}
	op = form_get(&f, "op");
	accept = form_get(&f, "accept");
	merge_into = form_get_nonempty(&f, "merge_into");
	if (accept || (op && !strcmp(op, "suggest"))) {
		show_suggestions(&pg, &f, accept);
		goto out;
	}
	if (merge_into && !order_number_ok(merge_into)) {
		err_field(&e, 422, "into", ERR_UNKNOWN_ORDER, "no order to merge into \"%s\"", merge_into);
		form_error(&pg, &f, &e);
		console_show(&pg, 422, NULL, NULL);
		goto out;
	}
	idem = form_get_nonempty(&f, "idem");
	src = form_source(&f);
	ref = reference_choices(pg.db, &e);
	if (ref && params_read(ACT_REGISTER, &src, &params, &e) && check_place(&params.register_, ref, &e))
		order = orders_create(pg.db, pg.who, &params.register_, idem, &created, &e);
	if (order && merge_into)
		merge_registered(&pg, order, merge_into);
	else if (order)
		registered(&pg, &f, json_str(order, "number"));
	else if (e.status == 422 || e.status == 400) {
		form_error(&pg, &f, &e);
		console_show(&pg, e.status, NULL, NULL);
	} else {
		page_fail(req, &e);
	}
out:
	json_object_put(order);
	json_object_put(ref);
	form_release(&f);
	page_end(&pg);
}
