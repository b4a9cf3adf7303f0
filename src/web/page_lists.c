/*
 * The department inbox (/inbox), and the order lists other pages show:
 * sections of orders from orders_list().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/orders.h"
#include "web/web_private.h"

/* Orders by the time left, most urgent first; those without a deadline last. */
static int by_deadline(const void *x, const void *y)
{
	json_object *a = *(json_object *const *)x, *b = *(json_object *const *)y;
	json_object *da = json_object_object_get(json_object_object_get(a, "view"), "deadline");
	json_object *db = json_object_object_get(json_object_object_get(b, "view"), "deadline");
	int64_t ta = da ? json_int(da, "epoch", INT64_MAX) : INT64_MAX;
	int64_t tb = db ? json_int(db, "epoch", INT64_MAX) : INT64_MAX;

	return ta < tb ? -1 : ta > tb;
}

json_object *order_section(struct page *pg, const char *id, const char *title, const char *empty,
			    const struct order_filter *f, bool sort, time_t now)
{
	struct err e = ERR_INIT;
	json_object *s = json_object_new_object();
	json_object *list = orders_list(pg->db, pg->who, f, &e);
	json_object *items = list ? json_object_get(view_orders(list, now)) : NULL;

	/* Always set, so that the template never finds the page's own "error". */
	json_object_object_add(s, "error", json_object_new_string(""));
	if (!items) {
		struct buf msg = BUF_INIT;
		err_text(&msg, &e);
		json_object_object_add(s, "error", json_object_new_string(msg.data));
		buf_release(&msg);
		items = json_object_new_array();
	}
	json_object_object_add(s, "more", json_object_new_boolean(list && json_str(list, "next_cursor")));
	json_object_put(list);
	if (sort)
		json_object_array_sort(items, by_deadline);
	json_object_object_add(s, "id", json_object_new_string(id));
	json_object_object_add(s, "title", json_object_new_string(title));
	json_object_object_add(s, "empty", json_object_new_string(empty));
	json_object_object_add(s, "count", json_object_new_int((int)json_object_array_length(items)));
	json_object_object_add(s, "any", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(s, "orders", items);
	return s;
}

/* The inbox shows at most this many open orders (the most urgent first). */
#define INBOX_MAX 1000

/*
 * Every order `f` selects, up to INBOX_MAX, following the list's cursor:
 * one query a page of ORDER_LIST_MAX. Returns a new array (with "view"),
 * or NULL with `e`. *more is set if orders were left out.
 */
static json_object *fetch_all(struct page *pg, struct order_filter f, time_t now, bool *more,
			      struct err *e)
{
	json_object *all = json_object_new_array();

	*more = false;
	f.limit = ORDER_LIST_MAX;
	for (;;) {
		json_object *list = orders_list(pg->db, pg->who, &f, e);
		json_object *items = list ? view_orders(list, now) : NULL;
		const char *next;

		if (!items) {
			json_object_put(list);
			json_object_put(all);
			return NULL;
		}
		for (size_t i = 0; i < json_object_array_length(items); i++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i)));
		next = json_str(list, "next_cursor");
		f.after = next ? atoll(next) : 0;
		json_object_put(list);
		if (!f.after)
			return all;
		if (json_object_array_length(all) >= INBOX_MAX) {
			*more = true;
			return all;
		}
	}
}

/* A section of the orders of `all` whose status is one of `statuses` (comma-separated). */
static json_object *section_of(json_object *all, const char *id, const char *title,
			       const char *empty, const char *statuses)
{
	json_object *s = json_object_new_object();
	json_object *items = json_object_new_array();
	size_t n = 0;

	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *o = json_object_array_get_idx(all, i);
		const char *st = json_str(o, "status");
		const char *p = st ? strstr(statuses, st) : NULL;
		size_t len = st ? strlen(st) : 0;
		if (!p || (p != statuses && p[-1] != ',') || (p[len] && p[len] != ','))
			continue;
		json_object_array_add(items, json_object_get(o));
		n++;
	}
	json_object_array_sort(items, by_deadline);
	json_object_object_add(s, "error", json_object_new_string(""));
	json_object_object_add(s, "id", json_object_new_string(id));
	json_object_object_add(s, "title", json_object_new_string(title));
	json_object_object_add(s, "empty", json_object_new_string(empty));
	json_object_object_add(s, "count", json_object_new_int((int)n));
	json_object_object_add(s, "any", json_object_new_boolean(n > 0));
	json_object_object_add(s, "more", json_object_new_boolean(false));
	json_object_object_add(s, "orders", items);
	return s;
}

void page_inbox(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct order_filter open = {
		.status = INBOX_STATUSES,
	};
	json_object *sections, *all;
	struct page pg;
	bool more;

	if (!page_begin(req, ROLES_DEPARTMENT, "待办工单", &pg))
		return;
	/* One list split into sections: the order list's query is the page's main cost. */
	all = fetch_all(&pg, open, time(NULL), &more, &e);
	if (!all) {
		page_fail(req, &e);
		page_end(&pg);
		return;
	}
	sections = json_object_new_array();
	json_object_array_add(sections, section_of(all, "unsigned", "待签收", "没有待签收的工单",
						   "dispatched"));
	json_object_array_add(sections, section_of(all, "working", "办理中", "没有办理中的工单",
						   "in_progress,extension_requested,suspended"));
	json_object_array_add(sections, section_of(all, "returned", "已退单，待审核", "没有待审核的退单",
						   "return_requested"));
	json_object_object_add(pg.data, "sections", sections);
	if (more)
		json_object_object_add(pg.data, "truncated", json_object_new_int(INBOX_MAX));
	json_object_put(all);
	page_render(&pg, 200, "inbox");
	page_end(&pg);
}
