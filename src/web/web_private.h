/*
 * web_private: what the page files of the web module share — the page
 * context, rendering, form parsing, the presentation of orders, the action
 * forms and the Chinese messages. Nothing here is used outside src/web.
 *
 * A page handler runs as:
 *
 *	struct page pg;
 *	if (!page_begin(req, ROLES_CENTRE, "受理台", &pg))
 *		return;				// already answered (login, 403, 503)
 *	json_object_object_add(pg.data, "orders", …);
 *	page_render(&pg, 200, "console");	// or http_redirect() after a POST
 *	page_end(&pg);
 *
 * Every page response carries the security headers (see page_begin()), and
 * everything the user sees goes through the Mustache templates, which
 * escape every {{value}}. The one raw tag is {{{…_svg}}}: the charts that
 * chart.c builds, whose every text has gone through svg_text(); no other
 * template value is ever put in raw (a test checks the templates).
 */
#ifndef HOTLINE_WEB_WEB_PRIVATE_H
#define HOTLINE_WEB_WEB_PRIVATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/authorize.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "directory/reference.h"
#include "http/http.h"
#include "orders/lifecycle.h"
#include "orders/params.h"

/* ------------------------------------------------------------ web.c */

/* One request's page: who is looking, their connection, the template data. */
struct page {
	struct http_req *req;
	const struct principal *who;	/* NULL on public pages */
	struct db *db;
	json_object *data;		/* owned; freed by page_end() */
};

/*
 * Authorises the request for `roles` (ROLE_BIT set) as a page: the
 * anonymous are sent to /login, other refusals (wrong role, CSRF) get an
 * error page. Opens the thread's database connection and starts the
 * template data with the title, the navigation bar and the CSRF token.
 * Returns true with `pg` ready; false after replying (pg needs no
 * page_end() then). Either way the response carries the security headers:
 * the strict Content-Security-Policy, X-Frame-Options DENY,
 * Referrer-Policy same-origin, and Cache-Control no-store (pages hold
 * personal data and the CSRF token).
 */
bool page_begin(struct http_req *req, unsigned roles, const char *title, struct page *pg);

/* As page_begin() for a public page (no principal): data and database only. */
bool page_begin_public(struct http_req *req, const char *title, struct page *pg);

struct form;
/*
 * As page_begin() for a POST whose body may be multipart/form-data (a file
 * upload), whose CSRF token auth_authorize() cannot read: parses the body
 * into `f` (always; the caller releases it), authorises the session and
 * the role (auth_authorize_session()) and checks the form's csrf_token
 * (auth_csrf_form()). Returns true with
 * `pg` ready, false after replying.
 */
bool page_begin_upload(struct http_req *req, unsigned roles, const char *title, struct page *pg,
		       struct form *f);

/* Redirects (303) to `path` followed by the query parts, each "name=value" URL-escaped:
 * page_redirect(pg, "/callbacks", "done", "rated", "order", number, NULL). */
void page_redirect(struct page *pg, const char *path, ...) __attribute__((sentinel));

/* Frees the template data. */
void page_end(struct page *pg);

/* Renders template `name` with pg->data and replies `status` (text/html). */
void page_render(struct page *pg, int status, const char *name);

/*
 * Replies with the error page for `e` (status and a Chinese message), with
 * the navigation bar if the caller is known.
 */
void page_fail(struct http_req *req, const struct err *e);

/* Sets "flash" in the data: the notice shown at the top of the page. */
void page_flash(struct page *pg, const char *text);

/* ------------------------------------------------------------ static.c */

/* Loads the files of `dir` (static assets) into memory; false with `e`. */
bool static_load(const char *dir, bool dev, struct err *e);
void static_release(void);
/* Writes the version hash of asset `name` to `out` ("" if unknown). */
void static_version(const char *name, char out[17]);
/* GET /static/{file} */
void static_get(struct http_req *req);

/* ------------------------------------------------------------ form.c */

struct form_pair {
	char *name;
	char *value;		/* NUL-terminated; `len` bytes */
	size_t len;
	char *filename;		/* a file field of a multipart form ("" if none was chosen); else NULL */
};

/* A decoded form body, keeping repeated names in their order. */
struct form {
	struct form_pair *pairs;
	size_t n, cap;
};

/*
 * Parses the request body: application/x-www-form-urlencoded or
 * multipart/form-data (an empty form for anything else). Returns false
 * with `e` (400 "bad-form") if a name or value holds a NUL character or a
 * multipart body is malformed; `f` is filled either way and must be
 * released.
 */
bool form_parse(struct form *f, struct http_req *req, struct err *e);
/* The file field `name` of a multipart form, or NULL. */
const struct form_pair *form_file(const struct form *f, const char *name);
/* The first value of `name`, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* The first value of `name` if it is not empty (only blanks count as empty), else NULL. */
const char *form_get_nonempty(const struct form *f, const char *name);
/*
 * The submitted values as an object for re-rendering the form: each name
 * once (its first value) as a string, the names in `lists` (NULL-ended,
 * may be NULL) as arrays of all their values. The CSRF token and any
 * password are left out. Returns a new object.
 */
json_object *form_values(const struct form *f, const char *const *lists);
void form_release(struct form *f);
/* The form as the source of a table of parameters (orders/params.h): a
 * value is the first non-blank one of its name, a list all non-blank ones.
 * `f` must outlive what is read from it. */
struct param_source form_source(const struct form *f);

/* URL-escapes `s` (RFC 3986 unreserved kept) onto `out`. */
void url_escape(struct buf *out, const char *s);
/* True if `s` looks like an order number (letters, digits and '-', 1 to 32). */
bool order_number_ok(const char *s);

/* ------------------------------------------------------------ messages.c */

/* The Chinese label of an input field ("content" → "来电内容"), or NULL. */
const char *field_label(const char *field);
/* Appends a Chinese message for `e` to `out` (what the user should know). */
void err_text(struct buf *out, const struct err *e);
/* As err_text(), for one of several bad fields (status: the error's). */
void err_detail_text(struct buf *out, const struct err_detail *d, int status);
/* True if the pages have a text of their own for `code` (a unit test
 * checks that every code a user can cause has one). */
bool err_code_has_text(enum err_code code);

/* ------------------------------------------------------------ view.c */

/*
 * Adds "view" to an order object from orders_get()/orders_list(): display
 * times, the deadline badge (colour and countdown against `now`), a short
 * excerpt of the content, the caller as one line. Returns `order`.
 */
json_object *view_order(json_object *order, time_t now);
/* "2026-11-21T10:05:00+08:00" → "2026-11-21 10:05" (NULL/"" → ""). */
void view_time(struct buf *out, const char *iso);
/* Appends "3天4小时" / "2小时5分" / "8分" for `s` seconds (>= 0). */
void view_duration(struct buf *out, long long s);
/* The first `max` characters of `s` on one line, "…" if cut. */
void view_excerpt(struct buf *out, const char *s, size_t max);
/* Appends `tmpl` with its first "%s" replaced by `value` (NULL: ""), for notices kept in tables. */
void text_fill(struct buf *out, const char *tmpl, const char *value);
/* A rate (a JSON number in [0, 1], or null) as "92.5%" ("—" for null). */
void view_rate_text(struct buf *out, json_object *rate);
/*
 * A rate for display: {"text", "has", and with a `target` > 0 "ok" / "below"
 * (at or above the target, or under it)}. Returns a new object.
 */
json_object *view_rate(json_object *rate, double target);
/* view_order() over the "items" of an orders_list() page; returns the items array. */
json_object *view_orders(json_object *list, time_t now);
/*
 * Adds "view" to each event of orders_events(): display time, actor,
 * status names, and the payload as label/value pairs. `ref` (reference
 * data, may be NULL) names departments.
 */
void view_events(json_object *events, json_object *ref);

/* ------------------------------------------------------------ reference.c */

/*
 * Option lists over the reference data of reference_choices()
 * (directory/reference.h), called `ref` below.
 *
 * A new array of copies of `list`'s items with "selected": true on the
 * one whose "code" is `selected` (or is in the JSON array `selected_list`).
 * Items of kind not matching `kinds` (comma-separated, NULL = all) are
 * left out.
 */
json_object *ref_options(json_object *list, const char *selected, json_object *selected_list,
			 const char *kinds);
/*
 * The active departments as option groups for a department select:
 * [{"label": "市级部门", "options": […]}, {"label": "区"…}, {"label": "街道乡镇"…}],
 * marking `selected` / those in `selected_list`. With `under_path`, only
 * the departments strictly below that path (sub-dispatch). Returns a new array.
 */
json_object *ref_department_groups(json_object *ref, const char *selected, json_object *selected_list,
				   const char *under_path);
/* The name of department `code` in `ref`, or NULL. */
const char *ref_department_name(json_object *ref, const char *code);
/* The item with "code" `code` in `ref`'s array `key`, or NULL. */
json_object *ref_find(json_object *ref, const char *key, const char *code);

/* ------------------------------------------------------------ actions.c */

/*
 * What went wrong with an action the user submitted, for re-rendering its
 * form: the action, field messages, the submitted values, a general message.
 */
struct action_failure {
	int action;			/* enum order_action, or -1 for none */
	json_object *errors;		/* {"field": "消息"}; owned */
	json_object *values;		/* {"field": "value"}; owned */
	char message[600];
	bool fielded;			/* every error is shown beside its field */
};
#define ACTION_FAILURE_INIT { -1, NULL, NULL, "", false }
void action_failure_release(struct action_failure *f);

/*
 * Adds "actions" to `order`: one entry per allowed action (order JSON's
 * "allowed_actions") with what its form needs — flags is.<action>, the
 * option lists, and for the failed action its errors and values. A
 * department viewer that is not the lead unit gets none ("assist_only").
 * `back` ("console" or NULL) is where the forms return.
 */
void actions_view(json_object *order, json_object *ref, const struct principal *who,
		  const struct action_failure *failure, const char *back);

/*
 * (Re)builds the "fields" of one entry `a` of "actions" from the action
 * parameter table and the entry's "aval" (values) and "aerr" (messages):
 * for a page that changes the values after actions_view() (the console's
 * accepted suggestion).
 */
void actions_fields(json_object *a, json_object *ref, const struct principal *who);


/* POST /orders/{number}/actions/{action} (page_order.c) */
void page_order_action(struct http_req *req);

/* ------------------------------------------------------------ page_lists.c */

/* The statuses of a department's open orders: the inbox, and its count. */
#define INBOX_STATUSES "dispatched,in_progress,extension_requested,suspended,return_requested"

struct order_filter;
/*
 * A list section of the orders `f` selects, for the order/table partial:
 * {"id", "title", "empty" (what to say when there are none), "orders"
 * (with "view"), "count", "any", "more" (the list stops at f->limit),
 * "error" (a message, or "" when the list could be read)}.
 * `sort` puts the most urgent deadline first. Returns a new object.
 */
json_object *order_section(struct page *pg, const char *id, const char *title, const char *empty,
			   const struct order_filter *f, bool sort, time_t now);

/* ------------------------------------------------------------ chart.c */

/* Appends `s` escaped for SVG/HTML text and attribute values (& < > " '). */
void svg_text(struct buf *out, const char *s);

/* One series of a chart: its legend name, CSS class, and one value per point (NAN: none). */
struct chart_series {
	const char *name;
	const char *cls;
	const double *v;
};

/* What every chart has: an id unique on the page, an accessible title, the points' labels. */
struct chart {
	const char *id;
	const char *title;
	size_t n;
	const char *const *labels;	/* n labels (x axis, or the bars' names) */
	const char *const *tips;	/* n tooltips for chart_line(), or NULL */
	int width;			/* user units across (0: 640); the SVG scales to its box */
};

/*
 * Appends an <svg> chart to `out`. chart_line(): rates in [0, 1] as a line
 * broken where there is no value, with the `target` line (0: none) named
 * `target_name` in the legend. chart_columns(): `ns` series of counts as
 * grouped columns. chart_hbars(): one horizontal bar per point, `total`
 * with `part` over it, and `notes` (may be NULL) at the right.
 * chart_meter(): a small bar of one rate with the target's mark.
 */
void chart_line(struct buf *out, const struct chart *c, const struct chart_series *s, double target,
		const char *target_name);
void chart_columns(struct buf *out, const struct chart *c, const struct chart_series *s, size_t ns);
void chart_hbars(struct buf *out, const struct chart *c, const struct chart_series *total,
		 const struct chart_series *part, const char *const *notes);
void chart_meter(struct buf *out, const char *title, double value, double target);

/* ------------------------------------------------------------ pages */

void page_home(struct http_req *req);
void page_login_get(struct http_req *req);
void page_login_post(struct http_req *req);
void page_logout(struct http_req *req);
void page_console(struct http_req *req);
void page_console_create(struct http_req *req);
void page_order(struct http_req *req);
void page_inbox(struct http_req *req);
void page_dashboard(struct http_req *req);
void page_wallboard(struct http_req *req);
void page_callbacks(struct http_req *req);
void page_callbacks_next(struct http_req *req);
void page_callbacks_record(struct http_req *req);
void page_admin(struct http_req *req);
void page_admin_users(struct http_req *req);
void page_admin_tokens(struct http_req *req);
void page_admin_token_revoke(struct http_req *req);
void page_admin_user_add(struct http_req *req);
void page_admin_user_password(struct http_req *req);
void page_admin_user_active(struct http_req *req);
void page_admin_user(struct http_req *req);
void page_admin_user_save(struct http_req *req);
void page_admin_departments(struct http_req *req);
void page_admin_departments_import(struct http_req *req);
void page_admin_categories(struct http_req *req);
void page_admin_categories_import(struct http_req *req);
void page_admin_rules(struct http_req *req);
void page_admin_rule_create(struct http_req *req);
void page_admin_rule(struct http_req *req);
void page_admin_rule_update(struct http_req *req);
void page_admin_rule_delete(struct http_req *req);
void page_admin_policies(struct http_req *req);
void page_admin_policies_save(struct http_req *req);
void page_admin_calendar(struct http_req *req);
void page_admin_calendar_import(struct http_req *req);
void page_admin_settings(struct http_req *req);
void page_admin_settings_save(struct http_req *req);
void page_search(struct http_req *req);
void page_search_export(struct http_req *req);

/* ------------------------------------------------------------ page_admin.c */

/* page_begin() for the admin role, with the administration's tabs (`section` active). */
bool admin_begin(struct http_req *req, const char *section, const char *title, struct page *pg);
/* page_begin_upload() likewise; `f` is filled either way and must be released. */
bool admin_begin_upload(struct http_req *req, const char *section, const char *title,
			struct page *pg, struct form *f);
/* The notice for ?done=X&what=Y: the format of the pair whose first is X, with Y for its %s. */
void admin_flash(struct page *pg, const char *const (*notices)[2], size_t n);
/* What went wrong with an uploaded file, in Chinese, with the line and the original message. */
void upload_error_text(struct buf *out, const struct err *e);

/*
 * Adds "errors" ({field: message}) and "error" (the message at the top,
 * "标签：消息") to the page for the refusal `e` of a form, the message in
 * Chinese (err_text()). `labels` (NULL-ended pairs of field and label, may
 * be NULL) name fields that field_label() does not know.
 */
void page_form_error(struct page *pg, const struct err *e, const char *const *labels);

/*
 * The console page with `current` (an order number, may be NULL) shown
 * with its action forms; `failure` (may be NULL) re-renders a failed
 * action. Used by page_console() and by the action handler.
 */
void console_show(struct page *pg, int status, const char *current,
		  const struct action_failure *failure);

#endif
