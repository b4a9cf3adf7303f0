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
 * escape every {{value}}. No template uses a raw {{{tag}}}.
 */
#ifndef HOTLINE_WEB_WEB_PRIVATE_H
#define HOTLINE_WEB_WEB_PRIVATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "api/api.h"
#include "http/http.h"
#include "orders/lifecycle.h"

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
	char *value;
};

/* A decoded application/x-www-form-urlencoded body, keeping repeated names. */
struct form {
	struct form_pair *pairs;
	size_t n;
};

/*
 * Parses the request body (an empty form if it is not urlencoded).
 * Returns false with `e` (400 "bad-form") if a name or value holds a NUL
 * character; `f` is filled either way and must be released.
 */
bool form_parse(struct form *f, struct http_req *req, struct err *e);
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

/* URL-escapes `s` (RFC 3986 unreserved kept) onto `out`. */
void url_escape(struct buf *out, const char *s);
/* True if `s` looks like an order number (letters, digits and '-', 1 to 32). */
bool order_number_ok(const char *s);

/* ------------------------------------------------------------ messages.c */

/* The Chinese label of an input field ("content" → "来电内容"), or NULL. */
const char *field_label(const char *field);
/* Appends a Chinese message for `e` to `out` (what the user should know). */
void err_text(struct buf *out, const struct err *e);

/* ------------------------------------------------------------ view.c */

/*
 * Adds "view" to an order object from orders_get()/orders_list(): display
 * times, the deadline badge (colour and countdown against `now`), a short
 * excerpt of the content, the caller as one line. Returns `order`.
 */
json_object *view_order(json_object *order, time_t now);
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
 * Reference data for forms, in one query: {"request_types", "urgencies"
 * (code, name), "categories" (code, name: the full path "城乡建设 › 市政设施
 * › 路灯", depth), "departments" (active ones: code, name, kind, parent,
 * path, label)}. Returns a new object (caller puts) or NULL with `e`.
 */
json_object *ref_load(struct db *db, struct err *e);
/*
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
};
#define ACTION_FAILURE_INIT { -1, NULL, NULL, "" }
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
 * Builds the JSON body of `action` from the submitted form (only the
 * parameters that action takes, plus "version"). Returns a new object, or
 * NULL with `e` (422 naming the field) for a malformed number.
 */
json_object *actions_body(enum order_action action, const struct form *f, struct err *e);

/* POST /orders/{number}/actions/{action} (page_order.c) */
void page_order_action(struct http_req *req);

/* ------------------------------------------------------------ page_lists.c */

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

/*
 * The console page with `current` (an order number, may be NULL) shown
 * with its action forms; `failure` (may be NULL) re-renders a failed
 * action. Used by page_console() and by the action handler.
 */
void console_show(struct page *pg, int status, const char *current,
		  const struct action_failure *failure);

#endif
