/*
 * The agent's console (/console): the new-order form (受理登记), the order
 * just registered with its next steps (派单, 直接办结, 不予受理, 转出),
 * today's orders, and the orders waiting for a callback.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/orders.h"
#include "web/web_private.h"

#define IDEM_HEX 33

/* The fields of the new-order form, in the order orders_create() reads them. */
static const char *const order_fields[] = {
	"request_type", "urgency", "category", "caller_name", "caller_phone", "address",
	"district", "street", "content", "request",
};

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* A fresh form: urgency 一般, a new idempotency key against double submits. */
static json_object *fresh_form(void)
{
	json_object *form = json_object_new_object();
	unsigned char raw[16];
	char idem[IDEM_HEX];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(idem, sizeof(idem), raw, sizeof(raw));
	add_string(form, "urgency", "normal");
	add_string(form, "idem", idem);
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
			add_string(o, "code", scode);
			add_string(o, "name", json_str(s, "name"));
			add_string(o, "district", code);
			json_object_object_add(o, "selected",
					       json_object_new_boolean(street && !strcmp(street, scode)));
			json_object_array_add(streets, o);
		}
		add_string(group, "name", json_str(d, "name"));
		add_string(group, "code", code);
		json_object_object_add(group, "streets", streets);
		json_object_array_add(groups, group);
	}
	json_object_object_add(data, "districts", districts);
	json_object_object_add(data, "street_groups", groups);
}

void console_show(struct page *pg, int status, const char *current,
		  const struct action_failure *failure)
{
	struct err e = ERR_INIT;
	struct order_filter today = { 0 }, callbacks = { 0 };
	time_t now = time(NULL);
	json_object *ref = ref_load(pg->db, &e);
	json_object *form = NULL;

	if (!ref) {
		page_fail(pg->req, &e);
		return;
	}
	if (!json_object_object_get_ex(pg->data, "form", &form)) {
		form = fresh_form();
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
	add_places(pg->data, ref, form);

	if (current && order_number_ok(current)) {
		json_object *order = orders_get(pg->db, pg->who, current, &e);
		if (order) {
			view_order(order, now);
			actions_view(order, ref, pg->who, failure, "console");
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

/* Sets "flash" from ?done=ACTION&order=NUMBER after a redirect. */
static void flash_done(struct page *pg)
{
	const char *done = http_query(pg->req, "done");
	const char *number = http_query(pg->req, "order");
	const char *current = http_query(pg->req, "current");
	struct buf b = BUF_INIT;
	int action = action_parse(done);

	if (action == ACT_REGISTER && order_number_ok(current))
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
static bool check_place(json_object *body, json_object *ref, struct err *e)
{
	const char *street = json_str(body, "street"), *district = json_str(body, "district");
	json_object *s = street ? ref_find(ref, "departments", street) : NULL;
	const char *parent = json_str(s, "parent");

	if (!street || !parent)
		return true;	/* the domain names an unknown street */
	if (!district) {
		add_string(body, "district", parent);
		return true;
	}
	if (strcmp(district, parent)) {
		err_field(e, 422, "street", "street \"%s\" is not in district \"%s\"", street, district);
		snprintf(e->code, sizeof(e->code), "street-not-in-district");
		return false;
	}
	return true;
}

/*
 * Puts the submitted values back into the form, with the message next to
 * the field at fault and at the top of the form.
 */
static void form_error(struct page *pg, const struct form *f, const struct err *e)
{
	json_object *values = form_values(f, NULL);
	json_object *errors = json_object_new_object();
	const char *label = field_label(e->field);
	struct buf msg = BUF_INIT;

	err_text(&msg, e);
	if (label)
		add_string(errors, e->field, msg.data);
	json_object_object_add(pg->data, "errors", errors);
	if (label) {
		struct buf top = BUF_INIT;
		buf_addf(&top, "%s：%s", label, msg.data);
		add_string(pg->data, "error", top.data);
		buf_release(&top);
	} else {
		add_string(pg->data, "error", msg.data);
	}
	if (!json_str(values, "idem")) {
		json_object *fresh = fresh_form();
		add_string(values, "idem", json_str(fresh, "idem"));
		json_object_put(fresh);
	}
	json_object_object_add(pg->data, "form", values);
	buf_release(&msg);
}

/* The order form as the JSON body of orders_create(). */
static json_object *order_body(const struct form *f)
{
	json_object *body = json_object_new_object();
	const char *confidential = form_get(f, "confidential");

	add_string(body, "channel", "phone");
	for (size_t i = 0; i < sizeof(order_fields) / sizeof(order_fields[0]); i++) {
		const char *v = form_get_nonempty(f, order_fields[i]);
		if (v)
			add_string(body, order_fields[i], v);
	}
	json_object_object_add(body, "confidential",
			       json_object_new_boolean(confidential && *confidential
						       && strcmp(confidential, "false")));
	return body;
}

void page_console_create(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	json_object *body = NULL, *order = NULL, *ref = NULL;
	const char *idem;
	bool created;

	if (!page_begin(req, ROLES_CENTRE, "受理台", &pg))
		return;
	if (form_parse(&f, req, &e)) {
		idem = form_get_nonempty(&f, "idem");
		body = order_body(&f);
		ref = ref_load(pg.db, &e);
		if (ref && check_place(body, ref, &e))
			order = orders_create(pg.db, pg.who, body, idem, &created, &e);
	}
	if (order) {
		struct buf loc = BUF_INIT;
		buf_adds(&loc, "/console?current=");
		url_escape(&loc, json_str(order, "number"));
		buf_adds(&loc, "&done=register");
		http_redirect(req, loc.data);
		buf_release(&loc);
	} else if (e.status == 422 || e.status == 400) {
		form_error(&pg, &f, &e);
		console_show(&pg, e.status, NULL, NULL);
	} else {
		page_fail(req, &e);
	}
	json_object_put(order);
	json_object_put(ref);
	json_object_put(body);
	form_release(&f);
	page_end(&pg);
}
