/*
 * The callback queue (/callbacks) for agents: take the next due task
 * (领取下一个回访), the task held with the order's summary and the caller's
 * phone, the form that records the call — a rating (满意 / 基本满意 / 不满意,
 * solved, attributable to the unit, a comment) or 无法接通 — and the list of
 * the tasks due now. Everything goes through supervision/callbacks.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "orders/orders.h"
#include "supervision/callbacks.h"
#include "web/web_private.h"

/* How far the page looks for the task the agent holds (due tasks, earliest first). */
#define HELD_SCAN_PAGES 5
#define LIST_SHOWN 50

/* Display members for a task of callbacks_list(); `me` is the viewer's login. */
static json_object *task_view(json_object *t, const char *me)
{
	json_object *order = json_object_object_get(t, "order");
	json_object *caller = json_object_object_get(order, "caller");
	json_object *v = json_object_new_object();
	struct buf b = BUF_INIT;
	const char *name = json_str(caller, "name"), *phone = json_str(caller, "phone");

	view_time(&b, json_str(t, "due_at"));
	json_add_buf(v, "due", &b);
	view_time(&b, json_str(t, "held_until"));
	json_add_buf(v, "held_until", &b);
	view_time(&b, json_str(order, "replied_at"));
	json_add_buf(v, "replied", &b);
	view_excerpt(&b, json_str(order, "content"), 40);
	json_add_buf(v, "excerpt", &b);
	buf_addf(&b, "%s%s%s", name ? name : "", name && phone ? " " : "", phone ? phone : "");
	json_add_buf(v, "caller", &b);
	json_add_text(v, "phone", phone);
	json_add_text(v, "lead", json_str(json_object_object_get(order, "lead_department"), "name"));
	json_object_object_add(v, "tried", json_object_new_boolean(json_int(t, "attempts", 0) > 0));
	json_object_object_add(v, "mine", json_object_new_boolean(json_str(t, "held_by") && !strcmp(json_str(t, "held_by"), me)));
	buf_addf(&b, "第 %lld 次 / 最多 %lld 次", (long long)json_int(t, "attempts", 0) + 1,
		 (long long)json_int(t, "max_attempts", 0));
	json_add_buf(v, "attempt", &b);
	if (json_int(order, "reopen_count", 0) > 0) {
		buf_addf(&b, "重办后回访（已重办 %lld 次）", (long long)json_int(order, "reopen_count", 0));
		json_add_buf(v, "reopened", &b);
	}
	json_object *solved = json_object_object_get(order, "solved");
	if (solved)
		json_add_text(v, "solved", json_object_get_boolean(solved) ? "承办单位答复：已解决" : "承办单位答复：未解决");
	buf_release(&b);
	json_object_object_add(t, "view", v);
	return t;
}

/*
 * The open task `who` holds, looked for among the due tasks (a held task is
 * due; the earliest due are taken first, so it is near the front). Returns
 * a new reference or NULL (none, or `e` set).
 */
static json_object *held_task(struct page *pg, struct err *e)
{
	struct callback_filter f = { .status = "open", .due_only = true, .limit = CALLBACK_LIST_MAX };

	for (int page = 0; page < HELD_SCAN_PAGES; page++) {
		json_object *list = callbacks_list(pg->db, &f, e), *items;
		const char *next;

		if (!list)
			return NULL;
		items = json_object_object_get(list, "items");
		for (size_t i = 0; items && i < json_object_array_length(items); i++) {
			json_object *t = json_object_array_get_idx(items, i);
			const char *by = json_str(t, "held_by");
			if (json_object_get_boolean(json_object_object_get(t, "held")) && by
			    && !strcmp(by, pg->who->login)) {
				json_object_get(t);
				json_object_put(list);
				return t;
			}
		}
		next = json_str(list, "next_cursor");
		f.after = next ? atoll(next) : 0;
		json_object_put(list);
		if (!f.after)
			break;
	}
	return NULL;
}

/* The recording form: choices with the submitted values (`values` may be NULL) checked. */
static json_object *record_form(json_object *values)
{
	json_object *form = json_object_new_object(), *sat = json_object_new_array();
	const char *chosen = json_str(values, "satisfaction");
	static const char *const yesno[] = { "solved", "attributable" };

	for (int i = 0; i < (int)vocab_satisfaction.count; i++) {
		json_object *o = json_object_new_object();
		json_add_text(o, "code", vocab_code(&vocab_satisfaction, i));
		json_add_text(o, "name", vocab_label(&vocab_satisfaction, i));
		json_object_object_add(o, "checked", json_object_new_boolean(vocab_parse(&vocab_satisfaction, chosen) == i));
		json_object_array_add(sat, o);
	}
	json_object_object_add(form, "satisfactions", sat);
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_str(values, yesno[i]);
		json_object *chk = json_object_new_object();
		json_object_object_add(chk, "yes", json_object_new_boolean(v && !strcmp(v, "true")));
		json_object_object_add(chk, "no", json_object_new_boolean(v && !strcmp(v, "false")));
		json_object_object_add(form, yesno[i], chk);
	}
	json_add_text(form, "comment", json_str(values, "comment"));
	return form;
}

/*
 * The page: the held task (with its order), the recording form (`values`
 * re-rendering a refused one), and the due tasks. `status` is the reply's.
 */
static void callbacks_show(struct page *pg, int status, json_object *values)
{
	struct err e = ERR_INIT;
	struct callback_filter due = { .status = "open", .due_only = true, .limit = LIST_SHOWN };
	json_object *held = held_task(pg, &e), *list;

	if (err_isset(&e)) {
		page_fail(pg->req, &e);
		return;
	}
	if (held) {
		json_object *order = orders_get(pg->db, pg->who,
						json_str(json_object_object_get(held, "order"), "number"), &e);
		task_view(held, pg->who->login);
		if (order)
			json_object_object_add(held, "full", view_order(order, time(NULL)));
		else
			err_clear(&e);	/* the task's own summary is shown */
		json_object_object_add(held, "form", record_form(values));
		json_object_object_add(pg->data, "held", held);
	}
	if (!(list = callbacks_list(pg->db, &due, &e))) {
		page_fail(pg->req, &e);
		return;
	}
	json_object *items = json_object_object_get(list, "items");
	for (size_t i = 0; items && i < json_object_array_length(items); i++)
		task_view(json_object_array_get_idx(items, i), pg->who->login);
	json_object_object_add(pg->data, "tasks", json_object_get(items));
	json_object_object_add(pg->data, "any_tasks",
			       json_object_new_boolean(items && json_object_array_length(items) > 0));
	json_object_object_add(pg->data, "more", json_object_new_boolean(json_str(list, "next_cursor") != NULL));
	json_object_object_add(pg->data, "counts", json_object_get(json_object_object_get(list, "counts")));
	json_object_put(list);
	page_render(pg, status, "callbacks");
}

/* The notice after a redirect: ?done=taken|empty|rated|reopened|unreachable|closed&order=N. */
static void flash_done(struct page *pg)
{
	static const char *const notices[][2] = {
		{ "taken", "已领取回访任务，请拨打来电人电话。" },
		{ "empty", "当前没有到期的回访任务。" },
		{ "rated", "已记录回访结果，工单 %s 已办结。" },
		{ "reopened", "已记录不满意，工单 %s 已退回承办单位重办。" },
		{ "unreachable", "已记录无法接通，工单 %s 稍后将再次进入回访队列。" },
		{ "closed", "多次无法接通，工单 %s 已按“无法回访”办结。" },
	};
	const char *done = http_query(pg->req, "done"), *number = http_query(pg->req, "order");
	struct buf b = BUF_INIT;

	for (size_t i = 0; done && i < ARRAY_SIZE(notices); i++) {
		if (strcmp(done, notices[i][0]))
			continue;
		if (strstr(notices[i][1], "%s") && !order_number_ok(number))
			break;
		text_fill(&b, notices[i][1], number);
		page_flash(pg, b.data);
	}
	buf_release(&b);
}

void page_callbacks(struct http_req *req)
{
	struct page pg;

	/* The supervisor watches the queue; the centre's agents take it. */
	if (!page_begin(req, ROLES_CENTRE | ROLE_BIT(ROLE_SUPERVISOR), "回访", &pg))
		return;
	json_object_object_add(pg.data, "can_take",
			       json_object_new_boolean((ROLES_CENTRE & ROLE_BIT(pg.who->role)) != 0));
	flash_done(&pg);
	callbacks_show(&pg, 200, NULL);
	page_end(&pg);
}

void page_callbacks_next(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	json_object *task;

	if (!page_begin(req, ROLES_CENTRE, "回访", &pg))
		return;
	task = callbacks_next(pg.db, pg.who, &e);
	if (task)
		page_redirect(&pg, "/callbacks", "done", "taken", NULL);
	else if (!err_isset(&e))
		page_redirect(&pg, "/callbacks", "done", "empty", NULL);
	else
		page_fail(req, &e);
	json_object_put(task);
	page_end(&pg);
}

/* Which notice the result of a recorded call deserves. */
static const char *done_of(json_object *result, bool unreachable)
{
	json_object *task = json_object_object_get(result, "task");
	const char *order_status = json_str(json_object_object_get(result, "order"), "status");
	const char *task_status = json_str(task, "status");

	if (unreachable)
		return task_status && !strcmp(task_status, "open") ? "unreachable" : "closed";
	if (order_status && strcmp(order_status, "completed") && strcmp(order_status, "archived"))
		return "reopened";
	return "rated";
}

void page_callbacks_record(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	json_object *result = NULL;
	struct param_source src;
	bool unreachable;

	if (!page_begin(req, ROLES_CENTRE, "回访", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	unreachable = form_get_nonempty(&f, "unreachable") != NULL;
	/* "unreachable" is the button pressed. */
	src = form_source(&f);
	result = callbacks_record(pg.db, pg.who, http_param(req, "id"), &src, &e);
	if (result) {
		page_redirect(&pg, "/callbacks", "done", done_of(result, unreachable), "order",
			      json_str(json_object_object_get(result, "order"), "number"), NULL);
	} else if (e.status == 422 || e.status == 400 || e.status == 409) {
		static const char *const labels[] = { "solved", "诉求是否解决", NULL };
		json_object *values = form_values(&f, NULL);
		page_form_error(&pg, &e, labels);
		callbacks_show(&pg, e.status, values);
		json_object_put(values);
	} else {
		page_fail(req, &e);
	}
out:
	json_object_put(result);
	form_release(&f);
	page_end(&pg);
}
