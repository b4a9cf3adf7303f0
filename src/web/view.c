/*
 * Presentation of the domain's order and event objects: display times,
 * deadline badges with countdowns, excerpts, and event details in words.
 * The objects themselves are the ones the API returns; this only adds a
 * "view" member beside what is there.
 */
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "web/web_private.h"

void view_time(struct buf *out, const char *iso)
{
	size_t n = iso ? strlen(iso) : 0;

	if (n < 16 || iso[10] != 'T') {
		buf_adds(out, iso ? iso : "");
		return;
	}
	buf_add(out, iso, 10);
	buf_addch(out, ' ');
	buf_add(out, iso + 11, 5);
}

void view_duration(struct buf *out, long long s)
{
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0)
		buf_addf(out, "%lld天%lld小时", d, h);
	else if (h > 0)
		buf_addf(out, "%lld小时%lld分", h, m);
	else
		buf_addf(out, "%lld分", m);
}

void view_excerpt(struct buf *out, const char *s, size_t max)
{
	size_t chars = 0;

	for (const char *p = s; p && *p; chars++) {
		size_t len = 1;
		if (chars == max) {
			buf_adds(out, "…");
			return;
		}
		while ((p[len] & 0xC0) == 0x80)
			len++;
		if (*p == '\n' || *p == '\r' || *p == '\t')
			buf_addch(out, ' ');
		else
			buf_add(out, p, len);
		p += len;
	}
}

/* States whose handling clock runs. */
static bool clock_runs(const char *status)
{
	static const char *const running[] = { "dispatched", "in_progress", "return_requested",
						"extension_requested" };

	for (size_t i = 0; status && i < ARRAY_SIZE(running); i++)
		if (!strcmp(status, running[i]))
			return true;
	return false;
}

/*
 * A deadline for display: {"text", "cls", "label", "epoch", "countdown"}.
 * `alert` is the sweeper's colour; the badge turns red the moment the
 * deadline passes even if the sweeper has not run yet.
 */
static json_object *deadline_view(const char *iso, const char *status, const char *alert,
				  time_t now)
{
	struct buf b = BUF_INIT;
	json_object *v;
	time_t t;

	if (!iso || !*iso || !time_parse_iso(iso, &t, "deadline", NULL))
		return NULL;
	v = json_object_new_object();
	view_time(&b, iso);
	json_add_buf(v, "text", &b);
	json_object_object_add(v, "epoch", json_object_new_int64((int64_t)t));
	json_object_object_add(v, "running", json_object_new_boolean(false));
	if (status && !strcmp(status, "suspended")) {
		json_add_text(v, "cls", "grey");
		json_add_text(v, "label", "已挂起");
	} else if (clock_runs(status)) {
		long long left = (long long)(t - now);
		const char *cls = left <= 0 || (alert && !strcmp(alert, "red")) ? "red"
				  : alert && !strcmp(alert, "yellow") ? "yellow" : "green";
		json_add_text(v, "cls", cls);
		json_add_text(v, "label", !strcmp(cls, "red") ? "超时" : !strcmp(cls, "yellow") ? "临期" : "正常");
		if (left > 0) {
			buf_adds(&b, !strcmp(cls, "yellow") ? "临期 · 剩余 " : "剩余 ");
			view_duration(&b, left);
		} else {
			buf_adds(&b, "超时 ");
			view_duration(&b, -left);
		}
		json_add_buf(v, "countdown", &b);
		json_object_object_add(v, "running", json_object_new_boolean(true));
	} else {
		json_add_text(v, "cls", "");
	}
	buf_release(&b);
	return v;
}

/*
 * What a list shows beside an order so that it stands out: reopened (重办),
 * pressed (督办), chased by the caller (催办), from 110, confidential.
 * Returns a new array of {"cls", "text"}.
 */
static json_object *order_markers(json_object *order)
{
	json_object *m = json_object_new_array(), *counts = json_object_object_get(order, "counts");
	const char *channel = json_str(json_object_object_get(order, "channel"), "code");
	struct buf b = BUF_INIT;
	static const struct {
		const char *count, *cls, *text;
	} counted[] = {
		{ "reopens", "reopened", "重办" },
		{ "presses", "pressed", "督办" },
		{ "chases", "chased", "催办" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(counted); i++) {
		int64_t n = json_int(counts, counted[i].count, 0);
		if (n <= 0)
			continue;
		buf_reset(&b);
		buf_adds(&b, counted[i].text);
		if (n > 1)
			buf_addf(&b, "×%lld", (long long)n);
		json_object *one = json_object_new_object();
		json_add_text(one, "cls", counted[i].cls);
		json_add_text(one, "text", b.data);
		json_object_array_add(m, one);
	}
	if (channel && !strcmp(channel, "police")) {
		json_object *one = json_object_new_object();
		json_add_text(one, "cls", "police");
		json_add_text(one, "text", "110");
		json_object_array_add(m, one);
	}
	if (json_object_get_boolean(json_object_object_get(order, "confidential"))) {
		json_object *one = json_object_new_object();
		json_add_text(one, "cls", "confidential");
		json_add_text(one, "text", "保密");
		json_object_array_add(m, one);
	}
	buf_release(&b);
	return m;
}

/*
 * The action that moves the order on, one click from a list: of those the
 * viewer may take, the first of the usual course (sign, then reply, …), or
 * NULL when none of them is allowed. Borrowed from `allowed`.
 */
static json_object *next_action(json_object *allowed)
{
	static const char *const course[] = {
		"sign", "reply", "resume", "dispatch", "approve_return", "approve_extension", "callback",
	};

	for (size_t k = 0; allowed && k < ARRAY_SIZE(course); k++)
		for (size_t i = 0; i < json_object_array_length(allowed); i++) {
			json_object *a = json_object_array_get_idx(allowed, i);
			const char *code = json_str(a, "action");
			if (code && !strcmp(code, course[k]))
				return a;
		}
	return NULL;
}

json_object *view_order(json_object *order, time_t now)
{
	json_object *view = json_object_new_object();
	json_object *deadlines = NULL, *caller = NULL, *lead = NULL;
	const char *status = json_str(order, "status");
	const char *alert = NULL;
	struct buf b = BUF_INIT;

	if (json_object_object_get_ex(order, "deadlines", &deadlines))
		alert = json_str(deadlines, "alert");
	view_time(&b, json_str(order, "created_at"));
	json_add_buf(view, "created", &b);
	/* "2026-11-21 10:05" → "11-21 10:05" for lists */
	{
		const char *c = json_str(order, "created_at");
		if (c && strlen(c) >= 16) {
			buf_add(&b, c + 5, 5);
			buf_addch(&b, ' ');
			buf_add(&b, c + 11, 5);
		}
		json_add_buf(view, "created_short", &b);
	}
	view_excerpt(&b, json_str(order, "content"), 40);
	json_add_buf(view, "excerpt", &b);
	if (json_object_object_get_ex(order, "caller", &caller) && caller) {
		const char *name = json_str(caller, "name"), *phone = json_str(caller, "phone");
		if (name && *name)
			buf_adds(&b, name);
		if (phone && *phone) {
			if (b.len)
				buf_addch(&b, ' ');
			buf_adds(&b, phone);
		}
		if (!b.len)
			buf_adds(&b, "匿名");
		json_add_buf(view, "caller", &b);
	}
	{
		const char *urgency = json_str(json_object_object_get(order, "urgency"), "code");
		json_object_object_add(view, "urgent", json_object_new_boolean(urgency && strcmp(urgency, "normal")));
	}
	{
		static const char *const parts[] = { "district", "street" };
		for (size_t i = 0; i < 2; i++) {
			const char *name = json_str(json_object_object_get(order, parts[i]), "name");
			if (name && *name)
				buf_addf(&b, "%s%s", b.len ? " " : "", name);
		}
		const char *address = json_str(order, "address");
		if (address && *address)
			buf_addf(&b, "%s%s", b.len ? " " : "", address);
		json_add_buf(view, "place", &b);
	}
	if (json_object_object_get_ex(order, "lead_department", &lead) && lead)
		json_add_text(view, "lead", json_str(lead, "name") ? json_str(lead, "name") : "");
	if (deadlines) {
		json_object *h = deadline_view(json_str(deadlines, "handle_deadline"), status, alert, now);
		if (h)
			json_object_object_add(view, "deadline", h);
		if (status && !strcmp(status, "dispatched")) {
			json_object *s = deadline_view(json_str(deadlines, "sign_deadline"), status,
						       json_object_get_boolean(json_object_object_get(deadlines, "sign_overdue")) ? "red" : "green",
						       now);
			if (s)
				json_object_object_add(view, "sign", s);
		}
		view_time(&b, json_str(deadlines, "requested_deadline"));
		if (b.len)
			json_add_buf(view, "requested", &b);
		json_object *years = json_object_object_get(deadlines, "provisional_years");
		for (size_t i = 0; years && i < json_object_array_length(years); i++)
			buf_addf(&b, "%s%d", i ? "、" : "",
				 json_object_get_int(json_object_array_get_idx(years, i)));
		if (b.len) {
			buf_addf(&b, " 年节假日安排尚未公布：时限按法定节假日暂定，调休公布后自动重算");
			json_add_buf(view, "provisional", &b);
		}
	}
	view_time(&b, json_str(order, "completed_at"));
	if (b.len)
		json_add_buf(view, "completed", &b);
	buf_release(&b);
	json_object_object_add(view, "markers", order_markers(order));
	{
		json_object *next = next_action(json_object_object_get(order, "allowed_actions"));
		if (next)
			json_object_object_add(view, "next", json_object_get(next));
	}
	json_object_object_add(order, "view", view);
	return order;
}

void text_fill(struct buf *out, const char *tmpl, const char *value)
{
	const char *at = strstr(tmpl, "%s");

	if (!at) {
		buf_adds(out, tmpl);
		return;
	}
	buf_add(out, tmpl, (size_t)(at - tmpl));
	buf_adds(out, value ? value : "");
	buf_adds(out, at + 2);
}

void view_rate_text(struct buf *out, json_object *rate)
{
	if (!rate || !(json_object_is_type(rate, json_type_double) || json_object_is_type(rate, json_type_int))) {
		buf_adds(out, "—");
		return;
	}
	buf_addf(out, "%.1f%%", json_object_get_double(rate) * 100);
}

json_object *view_rate(json_object *rate, double target)
{
	json_object *v = json_object_new_object();
	struct buf b = BUF_INIT;
	bool has = rate && (json_object_is_type(rate, json_type_double) || json_object_is_type(rate, json_type_int));

	view_rate_text(&b, rate);
	json_add_buf(v, "text", &b);
	json_object_object_add(v, "has", json_object_new_boolean(has));
	if (has && target > 0) {
		bool ok = json_object_get_double(rate) >= target;
		json_object_object_add(v, "ok", json_object_new_boolean(ok));
		json_object_object_add(v, "below", json_object_new_boolean(!ok));
	}
	buf_release(&b);
	return v;
}

json_object *view_orders(json_object *list, time_t now)
{
	json_object *items = NULL;

	if (!list || !json_object_object_get_ex(list, "items", &items) || !items)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(items); i++)
		view_order(json_object_array_get_idx(items, i), now);
	return items;
}

/* ------------------------------------------------------------- events */

enum detail_kind { D_TEXT, D_TIME, D_BOOL, D_FLAG, D_DEPT, D_DEPTS, D_SAT, D_CHANNEL, D_ALERT, D_INT };

/* The payload members worth showing, in display order. */
static const struct {
	const char *key, *label;
	enum detail_kind kind;
} details[] = {
	{ "channel", "来源渠道", D_CHANNEL },
	{ "department", "承办单位", D_DEPT },
	{ "assisting", "协办单位", D_DEPTS },
	{ "sign_deadline", "签收时限", D_TIME },
	{ "handle_deadline", "办理时限", D_TIME },
	{ "requested_deadline", "申请延至", D_TIME },
	{ "old_sign_deadline", "原签收时限", D_TIME },
	{ "new_sign_deadline", "新签收时限", D_TIME },
	{ "old_deadline", "原时限", D_TIME },
	{ "new_deadline", "新时限", D_TIME },
	{ "old_requested_deadline", "原申请延期至", D_TIME },
	{ "new_requested_deadline", "新申请延期至", D_TIME },
	{ "old_callback_due", "原回访时间", D_TIME },
	{ "new_callback_due", "新回访时间", D_TIME },
	{ "year", "节假日年度", D_INT },
	{ "suspended_at", "挂起时间", D_TIME },
	{ "target", "转往", D_TEXT },
	{ "answer", "答复内容", D_TEXT },
	{ "result", "办理结果", D_TEXT },
	{ "channel_advice", "告知途径", D_TEXT },
	{ "solved", "是否解决", D_BOOL },
	{ "contacted", "联系来电人", D_BOOL },
	{ "satisfaction", "满意度", D_SAT },
	{ "into", "并入工单", D_TEXT },
	{ "level", "督办级别", D_INT },
	{ "from", "原预警", D_ALERT },
	{ "to", "新预警", D_ALERT },
	{ "sign_overdue", "签收超时", D_FLAG },
};

static void dept_name(struct buf *b, json_object *ref, const char *code)
{
	const char *name = ref_department_name(ref, code);

	buf_adds(b, name ? name : code);
}

/* Appends the display value of payload member `v`; false to leave it out. */
static bool detail_value(struct buf *b, json_object *v, enum detail_kind kind, json_object *ref,
			 const char *note)
{
	const char *s = json_object_get_string(v);

	switch (kind) {
	case D_TEXT:
		if (!s || !*s || (note && !strcmp(s, note)))
			return false;
		buf_adds(b, s);
		return true;
	case D_TIME:
		view_time(b, s);
		return b->len > 0;
	case D_BOOL:
		buf_adds(b, json_object_get_boolean(v) ? "是" : "否");
		return true;
	case D_FLAG:
		if (!json_object_get_boolean(v))
			return false;
		buf_adds(b, "是");
		return true;
	case D_DEPT:
		dept_name(b, ref, s);
		return true;
	case D_DEPTS:
		if (!json_object_is_type(v, json_type_array) || !json_object_array_length(v))
			return false;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				buf_adds(b, "、");
			dept_name(b, ref, json_object_get_string(json_object_array_get_idx(v, i)));
		}
		return true;
	case D_SAT:
		buf_adds(b, vocab_label_of(&vocab_satisfaction, s));
		return true;
	case D_CHANNEL: {
		/* The channels' names are reference data, like the units'. */
		const char *name = json_str(ref_find(ref, "channels", s), "name");
		buf_adds(b, name ? name : s);
		return true;
	}
	case D_ALERT:
		buf_adds(b, vocab_label_of(&vocab_alert, s));
		return true;
	case D_INT:
		buf_addf(b, "%d", json_object_get_int(v));
		return true;
	}
	return false;
}

static json_object *event_details(json_object *payload, json_object *ref, const char *note)
{
	json_object *list = json_object_new_array();
	struct buf b = BUF_INIT;

	for (size_t i = 0; payload && i < ARRAY_SIZE(details); i++) {
		json_object *v;
		if (!json_object_object_get_ex(payload, details[i].key, &v) || !v)
			continue;
		if (!detail_value(&b, v, details[i].kind, ref, note)) {
			buf_reset(&b);
			continue;
		}
		json_object *d = json_object_new_object();
		json_add_text(d, "label", details[i].label);
		json_add_buf(d, "value", &b);
		json_object_array_add(list, d);
	}
	buf_release(&b);
	return list;
}

void view_events(json_object *events, json_object *ref)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; events && i < json_object_array_length(events); i++) {
		json_object *ev = json_object_array_get_idx(events, i);
		json_object *view = json_object_new_object();
		json_object *actor = json_object_object_get(ev, "actor");
		json_object *dept = json_object_object_get(ev, "department");
		const char *from = json_str(ev, "from_status"), *to = json_str(ev, "to_status");
		const char *name = json_str(actor, "name"), *login = json_str(actor, "login");
		int role = role_parse(json_str(actor, "role"));

		view_time(&b, json_str(ev, "at"));
		json_add_buf(view, "at", &b);
		json_add_text(view, "actor", name && *name ? name : login && *login ? login : "系统");
		/* The system is named once: "系统", not "系统（系统）". */
		if (role >= 0 && role != ROLE_SYSTEM)
			json_add_text(view, "role", role_label((enum role)role));
		if (dept && json_str(dept, "name"))
			json_add_text(view, "department", json_str(dept, "name"));
		if (from && to && strcmp(from, to)) {
			json_add_text(view, "from", status_label(status_parse(from)));
			json_add_text(view, "to", status_label(status_parse(to)));
		} else if (!from && to) {
			json_add_text(view, "to", status_label(status_parse(to)));
		}
		json_object_object_add(view, "details",
				       event_details(json_object_object_get(ev, "payload"), ref,
						     json_str(ev, "note")));
		json_object_object_add(ev, "view", view);
	}
	buf_release(&b);
}
