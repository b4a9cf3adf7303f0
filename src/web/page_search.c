/*
 * The search (/search): orders by number, caller phone, text and filters,
 * the query in the URL, a page at a time; the same query as CSV
 * (/search/export). It reads through orders_list(), so a department finds
 * only its own orders, as everywhere. The queues of the navigation bar are
 * searches (待派单 is status=pending&order=oldest).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/csv.h"
#include "core/jsonutil.h"
#include "core/num.h"
#include "core/timeutil.h"
#include "directory/reference.h"
#include "orders/orders.h"
#include "orders/vocab.h"
#include "web/web_private.h"

/* The export stops at this many orders (a spreadsheet, not a backup). */
#define EXPORT_MAX 10000

/* The query's text arguments: the URL names, in the order they are kept. */
static const char *const text_args[] = {
	"number", "phone", "q", "status", "department", "category", "district", "request_type",
	"urgency", "channel", "light", "from", "to", "order",
};
/* The query's yes/no arguments, with their labels on the form. */
static const char *const flag_args[][2] = {
	{ "reopened", "重办过" }, { "pressed", "督办过" }, { "chased", "来电催办过" }, { "police", "来自110" },
};
#define NTEXT ARRAY_SIZE(text_args)
#define NFLAG ARRAY_SIZE(flag_args)

static const char *arg(struct http_req *req, const char *name)
{
	const char *v = http_query(req, name);

	return v && v[strspn(v, " \t")] ? v : NULL;
}

static bool flag(struct http_req *req, const char *name)
{
	const char *v = http_query(req, name);

	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"));
}

/* A date of the form (YYYY-MM-DD, local midnight); `next_day` for the end of a range. */
static bool date_arg(struct http_req *req, const char *name, bool next_day, time_t *out, struct err *e)
{
	const char *v = arg(req, name);

	*out = 0;
	if (!v)
		return true;
	if (!time_parse_iso(v, out, name, e))
		return false;
	if (next_day)
		*out += 24 * 3600;	/* the calendar day the user chose, included */
	return true;
}

/*
 * The filter of the request's query, and the query again as "a=b&…" in
 * `query` (the recognised arguments only, for the pager and the export).
 * False with `e` for a date that cannot be read.
 */
static bool read_query(struct http_req *req, struct order_filter *f, struct buf *query, struct err *e)
{
	memset(f, 0, sizeof(*f));
	f->number = arg(req, "number");
	f->caller_phone = arg(req, "phone");
	f->text = arg(req, "q");
	f->status = arg(req, "status");
	f->department = arg(req, "department");
	f->category = arg(req, "category");
	f->district = arg(req, "district");
	f->request_type = arg(req, "request_type");
	f->urgency = arg(req, "urgency");
	f->channel = arg(req, "channel");
	f->light = arg(req, "light");
	f->reopened = flag(req, "reopened");
	f->pressed = flag(req, "pressed");
	f->chased = flag(req, "chased");
	if (flag(req, "police"))
		f->channel = "police";
	f->oldest_first = arg(req, "order") && !strcmp(arg(req, "order"), "oldest");
	for (size_t i = 0; i < NTEXT; i++) {
		const char *v = arg(req, text_args[i]);
		if (!v)
			continue;
		buf_addf(query, "%s%s=", query->len ? "&" : "", text_args[i]);
		url_escape(query, v);
	}
	for (size_t i = 0; i < NFLAG; i++)
		if (flag(req, flag_args[i][0]))
			buf_addf(query, "%s%s=1", query->len ? "&" : "", flag_args[i][0]);
	return date_arg(req, "from", false, &f->created_from, e)
	       && date_arg(req, "to", true, &f->created_to, e);
}

/* {code, label, selected} options of a vocabulary, after an empty "any" one. */
static json_object *options(const char *const (*items)[2], size_t n, const char *selected)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_add_text(o, "code", items[i][0]);
		json_add_text(o, "label", items[i][1]);
		json_object_object_add(o, "selected",
				       json_object_new_boolean(selected && !strcmp(selected, items[i][0])));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The form's choices, each with the query's value selected. */
static void add_choices(struct page *pg, json_object *ref, const struct order_filter *f)
{
	const char *statuses[ST_COUNT][2], *lights[8][2];
	size_t nl = 0;
	json_object *channels = json_object_new_array();
	struct err e = ERR_INIT;
	struct db_res *r;

	for (int s = 0; s < ST_COUNT; s++) {
		statuses[s][0] = status_code((enum order_status)s);
		statuses[s][1] = status_label((enum order_status)s);
	}
	for (size_t i = 0; i < vocab_alert.count && nl < 8; i++, nl++) {
		lights[nl][0] = vocab_alert.entries[i].code;
		lights[nl][1] = vocab_alert.entries[i].label;
	}
	json_object_object_add(pg->data, "statuses", options(statuses, ST_COUNT, f->status));
	json_object_object_add(pg->data, "lights", options(lights, nl, f->light));
	json_object_object_add(pg->data, "request_types",
			       ref_options(json_object_object_get(ref, "request_types"), f->request_type, NULL, NULL));
	json_object_object_add(pg->data, "urgencies",
			       ref_options(json_object_object_get(ref, "urgencies"), f->urgency, NULL, NULL));
	json_object_object_add(pg->data, "categories",
			       ref_options(json_object_object_get(ref, "categories"), f->category, NULL, NULL));
	json_object_object_add(pg->data, "districts",
			       ref_options(json_object_object_get(ref, "departments"), f->district, NULL, "district"));
	json_object_object_add(pg->data, "dept_groups",
			       ref_department_groups(ref, f->department, NULL, NULL));
	r = db_exec(pg->db, "SELECT code, name FROM channel ORDER BY sort, code", 0, NULL, &e);
	for (int i = 0; r && i < db_res_rows(r); i++) {
		json_object *o = json_object_new_object();
		const char *code = db_res_str(r, i, "code");
		json_add_text(o, "code", code);
		json_add_text(o, "label", db_res_str(r, i, "name"));
		json_object_object_add(o, "selected", json_object_new_boolean(f->channel && !strcmp(f->channel, code)));
		json_object_array_add(channels, o);
	}
	db_res_free(r);
	json_object_object_add(pg->data, "channels", channels);
}

/* The submitted query, for the form's fields. */
static void add_form(struct page *pg)
{
	json_object *form = json_object_new_object();

	for (size_t i = 0; i < NTEXT; i++)
		json_add_text(form, text_args[i], arg(pg->req, text_args[i]));
	for (size_t i = 0; i < NFLAG; i++)
		json_object_object_add(form, flag_args[i][0], json_object_new_boolean(flag(pg->req, flag_args[i][0])));
	json_object_object_add(form, "oldest", json_object_new_boolean(arg(pg->req, "order")
								      && !strcmp(arg(pg->req, "order"), "oldest")));
	json_object_object_add(pg->data, "form", form);
}

void page_search(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct order_filter f;
	struct buf query = BUF_INIT, link = BUF_INIT;
	const char *cursor = http_query(req, "cursor");
	json_object *ref = NULL, *list = NULL, *items;
	struct page pg;

	if (!page_begin(req, ROLES_ANY, "查询工单", &pg))
		return;
	add_form(&pg);
	if (!read_query(req, &f, &query, &e) || !(ref = reference_choices(pg.db, &e))) {
		page_form_error(&pg, &e, NULL);
		add_choices(&pg, NULL, &f);
		page_render(&pg, 422, "search");
		goto out;
	}
	add_choices(&pg, ref, &f);
	f.after = 0;
	if (cursor && *cursor && !num_parse_ll(cursor, 1, INT64_MAX, &f.after)) {
		err_field(&e, 400, "cursor", ERR_BAD_CURSOR, "invalid cursor \"%s\"", cursor);
		page_form_error(&pg, &e, NULL);
		page_render(&pg, 400, "search");
		goto out;
	}
	f.limit = ORDER_LIST_DEFAULT;
	list = orders_list(pg.db, pg.who, &f, &e);
	if (!list) {
		page_form_error(&pg, &e, (const char *const[]){ "phone", "来电号码", "light", "时限状态", NULL });
		page_render(&pg, e.status >= 500 ? e.status : 400, "search");
		goto out;
	}
	items = view_orders(list, time(NULL));
	json_object_object_add(pg.data, "orders", json_object_get(items));
	json_object_object_add(pg.data, "any", json_object_new_boolean(json_object_array_length(items) > 0));
	json_add_text(pg.data, "empty", "没有符合条件的工单。");
	json_add_text(pg.data, "query", query.data);
	if (json_str(list, "next_cursor")) {
		buf_addf(&link, "/search?%s%scursor=%s", query.data, query.len ? "&" : "", json_str(list, "next_cursor"));
		json_add_text(pg.data, "next", link.data);
		buf_reset(&link);
	}
	if (f.after) {
		buf_reset(&link);
		buf_addf(&link, "/search%s%s", query.len ? "?" : "", query.data);
		json_add_text(pg.data, "first", link.data);
	}
	buf_reset(&link);
	buf_addf(&link, "/search/export%s%s", query.len ? "?" : "", query.data);
	json_add_text(pg.data, "export", link.data);
	page_render(&pg, 200, "search");
out:
	json_object_put(list);
	json_object_put(ref);
	buf_release(&link);
	buf_release(&query);
	page_end(&pg);
}

/* ------------------------------------------------------------ CSV */

/* A cell of the export; formula-like text is kept as text (csv_add_text). */
static void csv_cell(struct buf *out, const char *s, bool first)
{
	if (!first)
		buf_addch(out, ',');
	csv_add_text(out, s ? s : "");
}

static const char *sub(json_object *o, const char *key, const char *member)
{
	return json_str(json_object_object_get(o, key), member);
}

static void csv_order(struct buf *out, json_object *o)
{
	json_object *caller = json_object_object_get(o, "caller");
	json_object *dl = json_object_object_get(o, "deadlines");
	struct buf t = BUF_INIT;

	view_time(&t, json_str(o, "created_at"));
	csv_cell(out, json_str(o, "number"), true);
	csv_cell(out, t.data, false);
	csv_cell(out, sub(o, "channel", "name"), false);
	csv_cell(out, sub(o, "request_type", "name"), false);
	csv_cell(out, sub(o, "urgency", "name"), false);
	csv_cell(out, sub(o, "category", "name"), false);
	csv_cell(out, json_str(caller, "name"), false);
	csv_cell(out, json_str(caller, "phone"), false);
	csv_cell(out, sub(o, "district", "name"), false);
	csv_cell(out, json_str(o, "address"), false);
	csv_cell(out, json_str(o, "content"), false);
	csv_cell(out, json_str(o, "request"), false);
	csv_cell(out, sub(o, "lead_department", "name"), false);
	csv_cell(out, json_str(o, "status_name"), false);
	csv_cell(out, vocab_label_of(&vocab_alert, json_str(dl, "alert") ? json_str(dl, "alert") : "none"), false);
	buf_reset(&t);
	view_time(&t, json_str(dl, "handle_deadline"));
	csv_cell(out, t.data, false);
	buf_reset(&t);
	for (int i = 0; i < 4; i++) {
		static const char *const counts[] = { "reopens", "presses", "chases", "returns" };
		buf_reset(&t);
		buf_addf(&t, "%lld", (long long)json_int(json_object_object_get(o, "counts"), counts[i], 0));
		csv_cell(out, t.data, false);
	}
	buf_adds(out, "\r\n");
	buf_release(&t);
}

void page_search_export(struct http_req *req)
{
	static const char *const header[] = {
		"工单号", "受理时间", "来源渠道", "诉求类型", "紧急程度", "诉求分类", "来电人", "联系电话",
		"所在区", "地址", "来电内容", "诉求", "承办单位", "状态", "时限状态", "办理时限",
		"重办次数", "督办次数", "催办次数", "退单次数",
	};
	struct err e = ERR_INIT;
	struct order_filter f;
	struct buf query = BUF_INIT, out = BUF_INIT;
	size_t n = 0;
	struct page pg;

	if (!page_begin(req, ROLES_ANY, "导出工单", &pg))
		return;
	if (!read_query(req, &f, &query, &e))
		goto fail;
	buf_adds(&out, "\xEF\xBB\xBF");		/* UTF-8, for spreadsheets that guess otherwise */
	for (size_t i = 0; i < ARRAY_SIZE(header); i++)
		csv_cell(&out, header[i], i == 0);
	buf_adds(&out, "\r\n");
	f.limit = ORDER_LIST_MAX;
	for (;;) {
		json_object *list = orders_list(pg.db, pg.who, &f, &e), *items;
		const char *next;

		if (!list)
			goto fail;
		items = json_object_object_get(list, "items");
		for (size_t i = 0; i < json_object_array_length(items) && n < EXPORT_MAX; i++, n++)
			csv_order(&out, json_object_array_get_idx(items, i));
		next = json_str(list, "next_cursor");
		f.after = next ? atoll(next) : 0;
		json_object_put(list);
		if (!f.after || n >= EXPORT_MAX)
			break;
	}
	http_set_header(req, "Content-Disposition", "attachment; filename=\"orders.csv\"");
	http_reply_buf(req, 200, "text/csv; charset=utf-8", &out);
	goto out;
fail:
	page_fail(req, &e);
out:
	buf_release(&out);
	buf_release(&query);
	page_end(&pg);
}
