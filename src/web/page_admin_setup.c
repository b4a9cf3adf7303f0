/*
 * The administration's settings: the deadline policies (one row per request
 * type × urgency, orders/deadline.h), the holiday calendar (the years loaded,
 * and an upload of a year's official JSON), and the callback and ranking
 * settings (supervision/settings.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "directory/holidays.h"
#include "directory/policies.h"
#include "orders/deadline.h"
#include "supervision/settings.h"
#include "web/web_private.h"

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* A whole number from the form; false with `e` (422 naming `field`) if it is not one. */
static bool form_int(const struct form *f, const char *name, const char *field, int64_t *out,
		     struct err *e)
{
	const char *v = form_get_nonempty(f, name);
	char *end;

	if (!v)
		return err_field(e, 422, field, ERR_REQUIRED, "field \"%s\" is required", field);
	while (*v == ' ')
		v++;
	*out = strtoll(v, &end, 10);
	while (*end == ' ')
		end++;
	if (*end || strlen(v) > 9)
		return err_field(e, 422, field, ERR_NOT_INTEGER, "field \"%s\" must be a whole number, not \"%s\"", field, v);
	return true;
}

static bool form_number(const struct form *f, const char *name, const char *field, double *out,
			struct err *e)
{
	const char *v = form_get_nonempty(f, name);
	char *end;

	if (!v)
		return err_field(e, 422, field, ERR_REQUIRED, "field \"%s\" is required", field);
	*out = strtod(v, &end);
	while (*end == ' ')
		end++;
	if (*end || !isfinite(*out))
		return err_field(e, 422, field, ERR_NOT_NUMBER, "field \"%s\" must be a number, not \"%s\"", field, v);
	return true;
}

/* ------------------------------------------------------------ policies */

static json_object *unit_choices(const char *selected)
{
	static const char *const units[][2] = { { "hours", "小时" }, { "workdays", "工作日" } };
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		json_object *o = json_object_new_object();
		add_string(o, "code", units[i][0]);
		add_string(o, "name", units[i][1]);
		json_object_object_add(o, "selected", json_object_new_boolean(selected && !strcmp(selected, units[i][0])));
		json_object_array_add(out, o);
	}
	return out;
}

/* The form names of a policy row's fields: "sign_limit.complaint.normal". */
static void field_name(char *out, size_t size, const char *field, json_object *row)
{
	snprintf(out, size, "%s.%s.%s", field, json_str(row, "request_type"), json_str(row, "urgency"));
}

static const char *const policy_fields[] = { "sign_limit", "sign_unit", "handle_limit", "handle_unit", "warn_pct" };

/*
 * The policies page. With a refused form `f`, the rows show what was
 * submitted, and the row `bad` (-1: none) the message `msg` beside `field`.
 */
static void policies_show(struct page *pg, int status, const struct form *f, long bad,
			  const char *field, const char *msg)
{
	struct err e = ERR_INIT;
	json_object *rows = policies_rows(pg->db, &e);
	struct buf b = BUF_INIT;

	if (!rows) {
		page_fail(pg->req, &e);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		json_object *errs = json_object_new_object();
		char name[128];
		for (size_t k = 0; k < ARRAY_SIZE(policy_fields); k++) {
			const char *v;
			field_name(name, sizeof(name), policy_fields[k], row);
			if (f && (v = form_get(f, name)))
				add_string(row, policy_fields[k], v);
			char key[32];
			snprintf(key, sizeof(key), "%s_name", policy_fields[k]);
			add_string(row, key, name);
		}
		json_object_object_add(row, "sign_units", unit_choices(json_str(row, "sign_unit")));
		json_object_object_add(row, "handle_units", unit_choices(json_str(row, "handle_unit")));
		view_time(&b, json_str(row, "updated_at"));
		add_string(row, "updated", b.data);
		buf_reset(&b);
		if ((long)i == bad && field) {
			add_string(errs, !strcmp(field, "warn_fraction") ? "warn_pct" : field, msg);
			json_object_object_add(row, "bad", json_object_new_boolean(true));
		}
		json_object_object_add(row, "err", errs);
	}
	buf_release(&b);
	json_object_object_add(pg->data, "policies", rows);
	page_render(pg, status, "admin/policies");
}

void page_admin_policies(struct http_req *req)
{
	static const char *const notices[][2] = { { "saved", "已保存办理时限：%s 条规则有变化。新受理的工单按新规则计时，已在计时的工单不变。" } };
	struct page pg;

	if (!admin_begin(req, "policies", "办理时限", &pg))
		return;
	admin_flash(&pg, notices, ARRAY_SIZE(notices));
	policies_show(&pg, 200, NULL, -1, NULL, NULL);
	page_end(&pg);
}

/* One row of the submitted form as the body of deadline_policy_set(); NULL with `e`. */
static json_object *policy_body(const struct form *f, json_object *row, struct err *e)
{
	char name[128];
	int64_t sign, handle, pct;
	json_object *body;

	field_name(name, sizeof(name), "sign_limit", row);
	if (!form_int(f, name, "sign_limit", &sign, e))
		return NULL;
	field_name(name, sizeof(name), "handle_limit", row);
	if (!form_int(f, name, "handle_limit", &handle, e))
		return NULL;
	field_name(name, sizeof(name), "warn_pct", row);
	if (!form_int(f, name, "warn_fraction", &pct, e))
		return NULL;
	if (pct < 1 || pct > 99)
		return err_field_n(e, 422, "warn_fraction", ERR_OUT_OF_RANGE, 1, 99, "the warning share must be a whole number from 1 to 99"), NULL;
	body = json_object_new_object();
	add_string(body, "request_type", json_str(row, "request_type"));
	add_string(body, "urgency", json_str(row, "urgency"));
	json_object_object_add(body, "sign_limit", json_object_new_int64(sign));
	json_object_object_add(body, "handle_limit", json_object_new_int64(handle));
	field_name(name, sizeof(name), "sign_unit", row);
	add_string(body, "sign_unit", form_get(f, name));
	field_name(name, sizeof(name), "handle_unit", row);
	add_string(body, "handle_unit", form_get(f, name));
	json_object_object_add(body, "warn_fraction", json_object_new_double((double)pct / 100));
	return body;
}

/* True if the submitted row differs from the stored one. */
static bool policy_changed(json_object *body, json_object *row)
{
	return json_int(body, "sign_limit", 0) != json_int(row, "sign_limit", 0)
	       || json_int(body, "handle_limit", 0) != json_int(row, "handle_limit", 0)
	       || strcmp(json_str(body, "sign_unit") ? json_str(body, "sign_unit") : "", json_str(row, "sign_unit"))
	       || strcmp(json_str(body, "handle_unit") ? json_str(body, "handle_unit") : "", json_str(row, "handle_unit"))
	       || lround(json_object_get_double(json_object_object_get(body, "warn_fraction")) * 100)
		  != json_int(row, "warn_pct", 0);
}

void page_admin_policies_save(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	json_object *rows = NULL;
	long bad = -1, changed = 0;

	if (!admin_begin(req, "policies", "办理时限", &pg))
		return;
	if (!form_parse(&f, req, &e) || !(rows = policies_rows(pg.db, &e)) || !db_begin(pg.db, &e)) {
		page_fail(req, &e);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(rows) && bad < 0; i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		json_object *body = policy_body(&f, row, &e);
		if (body && policy_changed(body, row)) {
			if (deadline_policy_set(pg.db, body, &e))
				changed++;
			else
				bad = (long)i;
		} else if (!body) {
			bad = (long)i;
		}
		json_object_put(body);
	}
	if (bad < 0 && db_commit(pg.db, &e)) {
		char n[24];
		snprintf(n, sizeof(n), "%ld", changed);
		page_redirect(&pg, "/admin/policies", "done", "saved", "what", n, NULL);
		goto out;
	}
	db_rollback(pg.db);
	if (bad >= 0 && e.status == 422) {
		struct buf msg = BUF_INIT, top = BUF_INIT;
		json_object *row = json_object_array_get_idx(rows, (size_t)bad);
		const char *label = field_label(e.field);
		err_text(&msg, &e);
		buf_addf(&top, "%s · %s：%s%s未保存任何更改。", json_str(row, "type_name"), json_str(row, "urgency_name"),
			 label ? label : "", label ? "有误，" : "");
		add_string(pg.data, "error", top.data);
		policies_show(&pg, 422, &f, bad, e.field, msg.data);
		buf_release(&msg);
		buf_release(&top);
	} else {
		page_fail(req, &e);
	}
out:
	json_object_put(rows);
	form_release(&f);
	page_end(&pg);
}

/* ------------------------------------------------------------ calendar */

static void calendar_show(struct page *pg, int status)
{
	struct err e = ERR_INIT;
	json_object *years = holidays_years(pg->db, &e), *missing;
	struct buf b = BUF_INIT;
	int y, m, d;

	if (!years) {
		page_fail(pg->req, &e);
		return;
	}
	missing = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(years); i++) {
		json_object *yr = json_object_array_get_idx(years, i);
		const char *src = json_str(yr, "source");
		view_time(&b, json_str(yr, "loaded_at"));
		add_string(yr, "loaded", b.data);
		buf_reset(&b);
		/* Only a web address becomes a link: the file's text is the uploader's. */
		if (src && (!strncmp(src, "https://", 8) || !strncmp(src, "http://", 7)))
			add_string(yr, "source_url", src);
	}
	civil_from_days(time_local_day(time(NULL)), &y, &m, &d);
	for (int k = 0; k < 2; k++) {
		if (deadline_year_known(y + k))
			continue;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "year", json_object_new_int(y + k));
		add_string(o, "which", k ? "明年" : "今年");
		json_object_array_add(missing, o);
	}
	buf_release(&b);
	json_object_object_add(pg->data, "years", years);
	json_object_object_add(pg->data, "missing", missing);
	page_render(pg, status, "admin/calendar");
}

void page_admin_calendar(struct http_req *req)
{
	static const char *const notices[][2] = {
		{ "loaded", "已载入 %s 年的官方节假日安排，办理时限即日起按此计算。" },
	};
	struct page pg;

	const char *moved = http_query(req, "moved");

	if (!admin_begin(req, "calendar", "节假日", &pg))
		return;
	admin_flash(&pg, notices, ARRAY_SIZE(notices));
	if (moved && *moved && strspn(moved, "0123456789") == strlen(moved) && strlen(moved) < 12) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "已载入 %s 年的官方节假日安排，办理时限即日起按此计算；"
			 "%s 个工单的时限已按正式安排重新计算。",
			 http_query(req, "what") ? http_query(req, "what") : "", moved);
		page_flash(&pg, b.data);
		buf_release(&b);
	}
	calendar_show(&pg, 200);
	page_end(&pg);
}

void page_admin_calendar_import(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	const struct form_pair *file;
	int year = 0;
	struct recompute_summary sum = { 0 };
	bool ok = false;

	if (!admin_begin_upload(req, "calendar", "节假日", &pg, &f)) {
		form_release(&f);
		return;
	}
	file = form_file(&f, "file");
	if (!file || !file->filename[0] || !file->len) {
		err_field(&e, 422, "file", ERR_NO_FILE, "choose a file to upload");
	} else {
		ok = holidays_import(pg.db, file->value, file->len, &year, &sum, &e);
	}
	if (ok) {
		struct err le = ERR_INIT;
		char y[16], n[24];
		if (!deadline_calendar_load(pg.db, &le))
			log_warn("web: the calendar was stored but not reloaded: %s", le.message);
		snprintf(y, sizeof(y), "%d", year);
		snprintf(n, sizeof(n), "%ld", sum.moved);
		/* How many orders moved, when any did. */
		page_redirect(&pg, "/admin/calendar", "done", "loaded", "what", y,
			      sum.moved ? "moved" : NULL, n, NULL);
	} else if (e.status >= 400 && e.status < 500) {
		struct buf msg = BUF_INIT;
		json_object *errors = json_object_new_object();
		upload_error_text(&msg, &e);
		json_object_object_add(errors, "file", json_object_new_string(msg.data));
		json_object_object_add(pg.data, "errors", errors);
		add_string(pg.data, "error", "未载入：文件不是有效的年度节假日安排，未作任何更改。");
		buf_release(&msg);
		calendar_show(&pg, 422);
	} else {
		page_fail(req, &e);
	}
	form_release(&f);
	page_end(&pg);
}

/* ------------------------------------------------------------ settings */

/* The settings of each group on the form, and whether each is a whole number. */
static const struct setting_field {
	const char *group, *name;
	bool whole;
} setting_fields[] = {
	{ "callbacks", "delay_workdays", true },
	{ "callbacks", "share", false },
	{ "callbacks", "max_attempts", true },
	{ "callbacks", "hold_minutes", false },
	{ "callbacks", "retry_minutes", true },
	{ "ranking", "red_min", false },
	{ "ranking", "black_max", false },
	{ "ranking", "min_dispatched", true },
};

static const char *const weight_names[] = { "response", "resolution", "satisfaction" };

/* The settings page; `group` and `f` (may be NULL) re-render a refused form. */
static void settings_show(struct page *pg, int status, const char *group, const struct form *f)
{
	static const char *const groups[] = { "callbacks", "ranking" };
	struct err e = ERR_INIT;

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		json_object *vals = settings_group_get(pg->db, groups[g], &e);
		if (!vals) {
			page_fail(pg->req, &e);
			return;
		}
		json_object *shown = json_object_new_object();
		bool again = f && group && !strcmp(group, groups[g]);
		for (size_t i = 0; i < ARRAY_SIZE(setting_fields); i++) {
			if (strcmp(setting_fields[i].group, groups[g]))
				continue;
			const char *v = again ? form_get(f, setting_fields[i].name) : NULL;
			add_string(shown, setting_fields[i].name,
				   v ? v : json_object_get_string(json_object_object_get(vals, setting_fields[i].name)));
		}
		if (!strcmp(groups[g], "ranking")) {
			json_object *w = json_object_object_get(vals, "weights");
			for (size_t i = 0; i < ARRAY_SIZE(weight_names); i++) {
				char key[32];
				snprintf(key, sizeof(key), "w_%s", weight_names[i]);
				const char *v = again ? form_get(f, key) : NULL;
				add_string(shown, key, v ? v : json_object_get_string(json_object_object_get(w, weight_names[i])));
			}
		}
		json_object_object_add(pg->data, groups[g], shown);
		json_object_put(vals);
	}
	page_render(pg, status, "admin/settings");
}

void page_admin_settings(struct http_req *req)
{
	static const char *const notices[][2] = {
		{ "callbacks", "已保存回访设置。" },
		{ "ranking", "已保存三率排名设置。" },
	};
	struct page pg;

	if (!admin_begin(req, "settings", "回访与排名", &pg))
		return;
	admin_flash(&pg, notices, ARRAY_SIZE(notices));
	settings_show(&pg, 200, NULL, NULL);
	page_end(&pg);
}

/* The submitted group as the body of settings_group_put(); NULL with `e`. */
static json_object *settings_body(const char *group, const struct form *f, struct err *e)
{
	json_object *body = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(setting_fields); i++) {
		const struct setting_field *s = &setting_fields[i];
		int64_t n;
		double d;
		if (strcmp(s->group, group))
			continue;
		if (s->whole ? !form_int(f, s->name, s->name, &n, e) : !form_number(f, s->name, s->name, &d, e)) {
			json_object_put(body);
			return NULL;
		}
		json_object_object_add(body, s->name, s->whole ? json_object_new_int64(n) : json_object_new_double(d));
	}
	if (!strcmp(group, "ranking")) {
		json_object *w = json_object_new_object();
		json_object_object_add(body, "weights", w);
		for (size_t i = 0; i < ARRAY_SIZE(weight_names); i++) {
			char key[32];
			double d;
			snprintf(key, sizeof(key), "w_%s", weight_names[i]);
			if (!form_number(f, key, "weights", &d, e)) {
				json_object_put(body);
				return NULL;
			}
			json_object_object_add(w, weight_names[i], json_object_new_double(d));
		}
	}
	return body;
}

void page_admin_settings_save(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *group = http_param(req, "group");
	struct page pg;
	struct form f;
	json_object *body = NULL, *saved = NULL;

	if (!admin_begin(req, "settings", "回访与排名", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	if (!group || (strcmp(group, "callbacks") && strcmp(group, "ranking"))) {
		err_set(&e, 404, ERR_PAGE_NOT_FOUND, "no settings group \"%s\"", group ? group : "");
		page_fail(req, &e);
		goto out;
	}
	if ((body = settings_body(group, &f, &e)))
		saved = settings_group_put(pg.db, group, body, &e);
	if (saved) {
		page_redirect(&pg, "/admin/settings", "done", group, NULL);
	} else if (e.status == 422 || e.status == 400) {
		page_form_error(&pg, &e, NULL);
		settings_show(&pg, 422, group, &f);
	} else {
		page_fail(req, &e);
	}
out:
	json_object_put(saved);
	json_object_put(body);
	form_release(&f);
	page_end(&pg);
}
