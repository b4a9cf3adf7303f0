/*
 * What the pages show of an order (view_order, view_events in
 * web_private.h): the deadline badge — its colour, label and countdown —
 * times without seconds, the excerpt, the caller on one line, and the
 * event record in words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "web/web_private.h"

#define NOW 1795226400		/* 2026-11-21T10:00:00+08:00 */

static int setup(void **state)
{
	return timeutil_set_zone("Asia/Shanghai") ? 0 : -1;
}

/* An order as orders_get() gives it, with the given status and deadlines (JSON or NULL). */
static json_object *order(const char *status, const char *deadlines)
{
	char text[2048];
	json_object *o;

	snprintf(text, sizeof(text),
		 "{\"number\": \"20261121-0001\", \"status\": \"%s\","
		 " \"created_at\": \"2026-11-21T09:05:07+08:00\","
		 " \"content\": \"小区路灯不亮\", \"caller\": {\"name\": \"张先生\", \"phone\": \"13812345678\"},"
		 " \"urgency\": {\"code\": \"normal\", \"name\": \"一般\"}, \"deadlines\": %s}",
		 status, deadlines ? deadlines : "null");
	o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

/* view.<member>.<key> of a viewed order, or NULL. */
static const char *badge(json_object *o, const char *member, const char *key)
{
	json_object *view = json_object_object_get(o, "view");

	return json_str(json_object_object_get(view, member), key);
}

static const struct {
	const char *what, *status, *deadline, *alert;
	const char *cls, *label, *countdown;	/* countdown NULL: none shown */
} badges[] = {
	{ "days left", "in_progress", "2026-11-24T14:05:00+08:00", "green",
	  "green", "正常", "剩余 3天4小时" },
	{ "hours left", "dispatched", "2026-11-21T12:05:00+08:00", "green",
	  "green", "正常", "剩余 2小时5分" },
	{ "minutes left", "in_progress", "2026-11-21T10:08:30+08:00", "green",
	  "green", "正常", "剩余 8分" },
	{ "the sweeper's warning", "in_progress", "2026-11-21T12:05:00+08:00", "yellow",
	  "yellow", "临期", "临期 · 剩余 2小时5分" },
	{ "overdue before the sweeper noticed", "in_progress", "2026-11-20T08:59:00+08:00", "green",
	  "red", "超时", "超时 1天1小时" },
	{ "overdue by minutes", "return_requested", "2026-11-21T09:55:00+08:00", "yellow",
	  "red", "超时", "超时 5分" },
	{ "due this very second", "extension_requested", "2026-11-21T10:00:00+08:00", "green",
	  "red", "超时", "超时 0分" },
	{ "overdue, and the sweeper agrees", "in_progress", "2026-11-19T10:00:00+08:00", "red",
	  "red", "超时", "超时 2天0小时" },
	{ "no alert yet", "in_progress", "2026-11-22T10:00:00+08:00", NULL,
	  "green", "正常", "剩余 1天0小时" },
	/* A suspended clock does not run: no countdown, whatever the time. */
	{ "suspended", "suspended", "2026-11-20T08:59:00+08:00", "red",
	  "grey", "已挂起", NULL },
	/* Past handling: the deadline is shown plainly. */
	{ "awaiting callback", "awaiting_callback", "2026-11-20T08:59:00+08:00", "red", "", NULL, NULL },
	{ "completed", "completed", "2026-11-20T08:59:00+08:00", "green", "", NULL, NULL },
};

static void the_deadline_badge_shows_colour_label_and_countdown(void **state)
{
	for (size_t i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
		char deadlines[256];
		json_object *o;

		snprintf(deadlines, sizeof(deadlines), "{\"handle_deadline\": \"%s\", \"alert\": %s%s%s}",
			 badges[i].deadline, badges[i].alert ? "\"" : "",
			 badges[i].alert ? badges[i].alert : "null", badges[i].alert ? "\"" : "");
		o = view_order(order(badges[i].status, deadlines), NOW);
		const char *cls = badge(o, "deadline", "cls"), *label = badge(o, "deadline", "label");
		const char *countdown = badge(o, "deadline", "countdown");
		json_object *running = json_object_object_get(
			json_object_object_get(json_object_object_get(o, "view"), "deadline"), "running");

		if (!cls || strcmp(cls, badges[i].cls))
			fail_msg("%s: colour \"%s\", want \"%s\"", badges[i].what, cls ? cls : "(none)",
				 badges[i].cls);
		if (badges[i].label ? !label || strcmp(label, badges[i].label) : label != NULL)
			fail_msg("%s: label \"%s\"", badges[i].what, label ? label : "(none)");
		if (badges[i].countdown ? !countdown || strcmp(countdown, badges[i].countdown)
					: countdown != NULL)
			fail_msg("%s: countdown \"%s\", want \"%s\"", badges[i].what,
				 countdown ? countdown : "(none)",
				 badges[i].countdown ? badges[i].countdown : "(none)");
		assert_true(json_object_get_boolean(running) == (badges[i].countdown != NULL));
		json_object_put(o);
	}
}

static void the_deadline_shows_minutes_and_carries_the_instant(void **state)
{
	json_object *o = view_order(order("in_progress",
					  "{\"handle_deadline\": \"2026-11-24T14:05:00+08:00\", \"alert\": \"green\"}"),
				    NOW);
	json_object *d = json_object_object_get(json_object_object_get(o, "view"), "deadline");

	assert_string_equal(json_str(d, "text"), "2026-11-24 14:05");
	/* The page's script counts down from the instant itself. */
	assert_int_equal(json_int(d, "epoch", 0), NOW + 3 * 86400 + 4 * 3600 + 5 * 60);
	json_object_put(o);
}

static void a_missing_or_unreadable_deadline_shows_no_badge(void **state)
{
	static const char *const deadlines[] = {
		NULL, "{}", "{\"handle_deadline\": null}", "{\"handle_deadline\": \"\"}",
		"{\"handle_deadline\": \"next week\"}",
	};

	for (size_t i = 0; i < sizeof(deadlines) / sizeof(deadlines[0]); i++) {
		json_object *o = view_order(order("in_progress", deadlines[i]), NOW);

		if (json_object_object_get(json_object_object_get(o, "view"), "deadline"))
			fail_msg("deadlines %s: a badge", deadlines[i] ? deadlines[i] : "null");
		json_object_put(o);
	}
}

static void a_dispatched_order_also_shows_the_sign_for_clock(void **state)
{
	json_object *o;

	o = view_order(order("dispatched",
			     "{\"handle_deadline\": \"2026-11-28T18:00:00+08:00\", \"alert\": \"green\","
			     " \"sign_deadline\": \"2026-11-21T12:00:00+08:00\", \"sign_overdue\": false}"),
		       NOW);
	assert_string_equal(badge(o, "sign", "cls"), "green");
	assert_string_equal(badge(o, "sign", "countdown"), "剩余 2小时0分");
	assert_string_equal(badge(o, "sign", "text"), "2026-11-21 12:00");
	json_object_put(o);

	/* Past the sign-for limit: red at once, as for handling. */
	o = view_order(order("dispatched",
			     "{\"handle_deadline\": \"2026-11-28T18:00:00+08:00\", \"alert\": \"green\","
			     " \"sign_deadline\": \"2026-11-21T09:30:00+08:00\", \"sign_overdue\": false}"),
		       NOW);
	assert_string_equal(badge(o, "sign", "cls"), "red");
	assert_string_equal(badge(o, "sign", "label"), "超时");
	assert_string_equal(badge(o, "sign", "countdown"), "超时 30分");
	assert_string_equal(badge(o, "deadline", "cls"), "green");
	json_object_put(o);

	o = view_order(order("dispatched",
			     "{\"sign_deadline\": \"2026-11-21T09:30:00+08:00\", \"sign_overdue\": true}"),
		       NOW);
	assert_string_equal(badge(o, "sign", "cls"), "red");
	json_object_put(o);

	/* Once signed for, the sign-for clock is gone. */
	o = view_order(order("in_progress",
			     "{\"handle_deadline\": \"2026-11-28T18:00:00+08:00\", \"alert\": \"green\","
			     " \"sign_deadline\": \"2026-11-21T09:30:00+08:00\", \"sign_overdue\": true}"),
		       NOW);
	assert_null(json_object_object_get(json_object_object_get(o, "view"), "sign"));
	json_object_put(o);
}

static void times_drop_seconds_and_lists_drop_the_year(void **state)
{
	json_object *o = order("completed",
			       "{\"handle_deadline\": \"2026-11-28T18:00:00+08:00\","
			       " \"requested_deadline\": \"2026-12-05T18:00:00+08:00\"}");
	json_object *view;

	json_object_object_add(o, "completed_at", json_object_new_string("2026-11-23T15:02:11+08:00"));
	view = json_object_object_get(view_order(o, NOW), "view");
	assert_string_equal(json_str(view, "created"), "2026-11-21 09:05");
	assert_string_equal(json_str(view, "created_short"), "11-21 09:05");
	assert_string_equal(json_str(view, "completed"), "2026-11-23 15:02");
	assert_string_equal(json_str(view, "requested"), "2026-12-05 18:00");
	json_object_put(o);

	/* Still open: no completion time, no requested extension. */
	o = view_order(order("in_progress", "{\"handle_deadline\": \"2026-11-28T18:00:00+08:00\"}"), NOW);
	view = json_object_object_get(o, "view");
	assert_null(json_object_object_get(view, "completed"));
	assert_null(json_object_object_get(view, "requested"));
	json_object_put(o);
}

static void the_excerpt_is_forty_characters_on_one_line(void **state)
{
	static const struct {
		const char *content, *excerpt;
	} cases[] = {
		{ "小区路灯不亮", "小区路灯不亮" },
		{ "第一行\n第二行\r\n\t第三行", "第一行 第二行   第三行" },
		/* 40 characters exactly: whole */
		{ "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十",
		  "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十" },
		/* 41: cut after 40, never inside a character */
		{ "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十多",
		  "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十…" },
		{ "0123456789012345678901234567890123456789abc", "0123456789012345678901234567890123456789…" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = order("pending", NULL);

		json_object_object_add(o, "content", json_object_new_string(cases[i].content));
		view_order(o, NOW);
		assert_string_equal(json_str(json_object_object_get(o, "view"), "excerpt"), cases[i].excerpt);
		json_object_put(o);
	}
}

static void the_caller_is_one_line_or_anonymous(void **state)
{
	static const struct {
		const char *caller, *line;	/* line NULL: no caller member */
	} cases[] = {
		{ "{\"name\": \"张先生\", \"phone\": \"13812345678\"}", "张先生 13812345678" },
		{ "{\"name\": \"张先生\", \"phone\": null}", "张先生" },
		{ "{\"name\": \"\", \"phone\": \"138****5678\"}", "138****5678" },
		{ "{\"name\": null, \"phone\": \"\"}", "匿名" },
		{ "{}", "匿名" },
		{ "null", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = order("pending", NULL);
		const char *line;

		json_object_object_add(o, "caller", json_tokener_parse(cases[i].caller));
		view_order(o, NOW);
		line = json_str(json_object_object_get(o, "view"), "caller");
		if (cases[i].line ? !line || strcmp(line, cases[i].line) : line != NULL)
			fail_msg("caller %s: \"%s\"", cases[i].caller, line ? line : "(none)");
		json_object_put(o);
	}
}

static void place_urgency_and_lead_unit(void **state)
{
	json_object *o = order("in_progress", NULL), *view;

	json_object_object_add(o, "district", json_tokener_parse("{\"code\": \"110105\", \"name\": \"朝阳区\"}"));
	json_object_object_add(o, "street", json_tokener_parse("{\"code\": \"110105001\", \"name\": \"建外街道\"}"));
	json_object_object_add(o, "address", json_object_new_string("建国路 88 号"));
	json_object_object_add(o, "urgency", json_tokener_parse("{\"code\": \"urgent\", \"name\": \"紧急\"}"));
	json_object_object_add(o, "lead_department", json_tokener_parse("{\"code\": \"D01\", \"name\": \"市城管委\"}"));
	view = json_object_object_get(view_order(o, NOW), "view");
	assert_string_equal(json_str(view, "place"), "朝阳区 建外街道 建国路 88 号");
	assert_true(json_object_get_boolean(json_object_object_get(view, "urgent")));
	assert_string_equal(json_str(view, "lead"), "市城管委");
	json_object_put(o);

	o = order("pending", NULL);
	json_object_object_add(o, "address", json_object_new_string("建国路 88 号"));
	view = json_object_object_get(view_order(o, NOW), "view");
	assert_string_equal(json_str(view, "place"), "建国路 88 号");
	assert_false(json_object_get_boolean(json_object_object_get(view, "urgent")));
	assert_null(json_object_object_get(view, "lead"));
	json_object_put(o);

	o = order("pending", NULL);
	json_object_object_add(o, "urgency", json_tokener_parse("{\"code\": \"critical\", \"name\": \"特急\"}"));
	view = json_object_object_get(view_order(o, NOW), "view");
	assert_true(json_object_get_boolean(json_object_object_get(view, "urgent")));
	assert_string_equal(json_str(view, "place"), "");
	json_object_put(o);
}

static void view_orders_views_every_item(void **state)
{
	json_object *list = json_object_new_object(), *items = json_object_new_array();

	json_object_array_add(items, order("pending", NULL));
	json_object_array_add(items, order("in_progress", "{\"handle_deadline\": \"2026-11-20T08:59:00+08:00\"}"));
	json_object_object_add(list, "items", items);
	assert_ptr_equal(view_orders(list, NOW), items);
	for (size_t i = 0; i < json_object_array_length(items); i++)
		assert_non_null(json_object_object_get(json_object_array_get_idx(items, i), "view"));
	assert_string_equal(badge(json_object_array_get_idx(items, 1), "deadline", "cls"), "red");
	json_object_put(list);

	assert_null(view_orders(NULL, NOW));
	list = json_tokener_parse("{\"items\": null}");
	assert_null(view_orders(list, NOW));
	json_object_put(list);
}

/* The details of an event's view as "label=value;" pairs. */
static void details_text(json_object *ev, char *out, size_t size)
{
	json_object *details = json_object_object_get(json_object_object_get(ev, "view"), "details");
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(details) && len < size; i++) {
		json_object *d = json_object_array_get_idx(details, i);
		len += (size_t)snprintf(out + len, size - len, "%s=%s;", json_str(d, "label"), json_str(d, "value"));
	}
}

static void events_read_as_who_did_what_in_chinese(void **state)
{
	json_object *ref = json_tokener_parse(
		"{\"departments\": [{\"code\": \"110105\", \"name\": \"朝阳区\"},"
		"                   {\"code\": \"D01\", \"name\": \"市城管委\"}],"
		" \"channels\": [{\"code\": \"phone\", \"name\": \"电话\"}, {\"code\": \"police\", \"name\": \"110转办\"}]}");
	json_object *events = json_tokener_parse(
		"[{\"at\": \"2026-11-21T09:05:07+08:00\", \"action\": \"register\", \"from_status\": null,"
		"  \"to_status\": \"pending\", \"actor\": {\"name\": \"李娜\", \"login\": \"lina\", \"role\": \"agent\"},"
		"  \"payload\": {\"channel\": \"police\"}},"
		" {\"at\": \"2026-11-21T09:10:00+08:00\", \"action\": \"dispatch\", \"from_status\": \"pending\","
		"  \"to_status\": \"dispatched\", \"actor\": {\"name\": \"\", \"login\": \"wang\", \"role\": \"reviewer\"},"
		"  \"payload\": {\"department\": \"110105\", \"assisting\": [\"D01\", \"X9\"],"
		"   \"handle_deadline\": \"2026-11-28T18:00:00+08:00\", \"sign_deadline\": \"2026-11-22T09:10:00+08:00\"}},"
		" {\"at\": \"2026-11-23T15:02:11+08:00\", \"action\": \"callback\", \"from_status\": \"awaiting_callback\","
		"  \"to_status\": \"completed\", \"actor\": {\"name\": \"李娜\", \"role\": \"agent\"},"
		"  \"note\": \"已修好\", \"department\": {\"code\": \"110105\", \"name\": \"朝阳区\"},"
		"  \"payload\": {\"satisfaction\": \"basically\", \"solved\": true, \"result\": \"已修好\","
		"   \"sign_overdue\": false, \"level\": 2}},"
		" {\"at\": \"2026-11-22T00:00:00+08:00\", \"action\": \"alert\", \"from_status\": \"in_progress\","
		"  \"to_status\": \"in_progress\", \"actor\": null,"
		"  \"payload\": {\"from\": \"yellow\", \"to\": \"red\", \"sign_overdue\": true}}]");
	json_object *v;
	char details[512];

	view_events(events, ref);

	v = json_object_object_get(json_object_array_get_idx(events, 0), "view");
	assert_string_equal(json_str(v, "at"), "2026-11-21 09:05");
	assert_string_equal(json_str(v, "actor"), "李娜");
	assert_string_equal(json_str(v, "role"), "话务员");
	assert_null(json_str(v, "from"));
	assert_string_equal(json_str(v, "to"), "待派单");
	details_text(json_object_array_get_idx(events, 0), details, sizeof(details));
	assert_string_equal(details, "来源渠道=110转办;");

	/* No display name: the login; departments by name, unknown codes as they are. */
	v = json_object_object_get(json_object_array_get_idx(events, 1), "view");
	assert_string_equal(json_str(v, "actor"), "wang");
	assert_string_equal(json_str(v, "role"), "审单员");
	assert_string_equal(json_str(v, "from"), "待派单");
	assert_string_equal(json_str(v, "to"), "待签收");
	details_text(json_object_array_get_idx(events, 1), details, sizeof(details));
	assert_string_equal(details, "承办单位=朝阳区;协办单位=市城管委、X9;签收时限=2026-11-22 09:10;"
				     "办理时限=2026-11-28 18:00;");

	/* A result equal to the note is not said twice; a false flag is left out. */
	v = json_object_object_get(json_object_array_get_idx(events, 2), "view");
	assert_string_equal(json_str(v, "department"), "朝阳区");
	assert_string_equal(json_str(v, "to"), "已办结");
	details_text(json_object_array_get_idx(events, 2), details, sizeof(details));
	assert_string_equal(details, "是否解决=是;满意度=基本满意;督办级别=2;");

	/* The system's own events; no status change shown when it stays. */
	v = json_object_object_get(json_object_array_get_idx(events, 3), "view");
	assert_string_equal(json_str(v, "actor"), "系统");
	assert_null(json_str(v, "role"));
	assert_null(json_str(v, "from"));
	assert_null(json_str(v, "to"));
	details_text(json_object_array_get_idx(events, 3), details, sizeof(details));
	assert_string_equal(details, "原预警=临期;新预警=超时;签收超时=是;");

	json_object_put(events);
	json_object_put(ref);
	view_events(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_deadline_badge_shows_colour_label_and_countdown),
		cmocka_unit_test(the_deadline_shows_minutes_and_carries_the_instant),
		cmocka_unit_test(a_missing_or_unreadable_deadline_shows_no_badge),
		cmocka_unit_test(a_dispatched_order_also_shows_the_sign_for_clock),
		cmocka_unit_test(times_drop_seconds_and_lists_drop_the_year),
		cmocka_unit_test(the_excerpt_is_forty_characters_on_one_line),
		cmocka_unit_test(the_caller_is_one_line_or_anonymous),
		cmocka_unit_test(place_urgency_and_lead_unit),
		cmocka_unit_test(view_orders_views_every_item),
		cmocka_unit_test(events_read_as_who_did_what_in_chinese),
	};
	return cmocka_run_group_tests_name("web-view", tests, setup, NULL);
}
