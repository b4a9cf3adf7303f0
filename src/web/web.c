/*
 * The web module's frame: templates (loaded once, reloaded in development
 * under a lock), the page context every handler starts from, rendering,
 * error pages, security headers, and the route table.
 */
#include "web/web.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "orders/orders.h"
#include "supervision/callbacks.h"
#include "template/mustache.h"
#include "web/web_private.h"

/*
 * The templates. Renders hold the read lock; in development the reload
 * check holds the write lock, because mustache_set_reload_if_changed()
 * must not run while another thread renders from the set.
 */
static struct {
	struct mustache_set *set;
	pthread_rwlock_t lock;
	bool dev;
	bool ready;
} web;

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';" \
	    " font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';" \
	    " form-action 'self'; frame-ancestors 'none'"

bool web_init(const char *templates_dir, bool dev, struct err *e)
{
	char *static_dir;
	bool ok;

	if (web.ready)
		return err_set(e, 500, ERR_INTERNAL, "web_init called twice");
	web.set = mustache_set_load_dir(templates_dir, e);
	if (!web.set)
		return false;
	static const char *const required[] = {
		"login", "console", "order", "inbox", "dashboard", "wallboard", "callbacks", "error",
		"admin/users", "admin/departments", "admin/categories", "admin/rules", "admin/rule",
		"admin/policies", "admin/calendar", "admin/settings", "admin/tokens", "search",
	};
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!mustache_set_get(web.set, required[i])) {
			err_set(e, 500, ERR_TEMPLATE_MISSING, "%s: no template \"%s.mustache\"",
				templates_dir, required[i]);
			mustache_set_free(web.set);
			web.set = NULL;
			return false;
		}
	}
	static_dir = xasprintf("%s/static", templates_dir);
	ok = static_load(static_dir, dev, e);
	free(static_dir);
	if (!ok) {
		mustache_set_free(web.set);
		web.set = NULL;
		return false;
	}
	pthread_rwlock_init(&web.lock, NULL);
	web.dev = dev;
	web.ready = true;
	log_info("web: %zu templates from %s%s", mustache_set_count(web.set), templates_dir,
		 dev ? " (reloaded when changed)" : "");
	return true;
}

void web_release(void)
{
	if (!web.ready)
		return;
	mustache_set_free(web.set);
	web.set = NULL;
	static_release();
	pthread_rwlock_destroy(&web.lock);
	web.ready = false;
}

/* Development: picks up edited templates before a render. */
static void templates_maybe_reload(void)
{
	struct err e = ERR_INIT;
	int r;

	if (!web.dev)
		return;
	pthread_rwlock_wrlock(&web.lock);
	r = mustache_set_reload_if_changed(web.set, &e);
	pthread_rwlock_unlock(&web.lock);
	if (r > 0)
		log_info("web: templates reloaded");
	else if (r < 0)
		log_error("web: templates not reloaded, keeping the previous ones: %s", e.message);
}

static void render(struct http_req *req, int status, const char *name, json_object *data)
{
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	bool ok;

	if (!web.ready) {
		http_reply(req, 500, "text/plain; charset=utf-8", "templates not loaded\n", 21);
		return;
	}
	templates_maybe_reload();
	pthread_rwlock_rdlock(&web.lock);
	ok = mustache_render_named(web.set, name, data, &out, &e);
	pthread_rwlock_unlock(&web.lock);
	if (!ok) {
		log_error("web: rendering \"%s\": %s", name, e.message);
		buf_release(&out);
		static const char msg[] = "<!doctype html><meta charset=\"utf-8\"><title>错误</title>"
					  "<p>页面生成失败，请联系系统管理员。</p>\n";
		http_reply(req, 500, "text/html; charset=utf-8", msg, sizeof(msg) - 1);
		return;
	}
	http_reply_buf(req, status, "text/html; charset=utf-8", &out);
}

/* The headers every page carries (see page_begin()). */
static void page_headers(struct http_req *req)
{
	http_set_header(req, "Content-Security-Policy", CSP);
	http_set_header(req, "X-Frame-Options", "DENY");
	http_set_header(req, "Referrer-Policy", "same-origin");
	http_set_header(req, "Cache-Control", "no-store");
}

/* The link to /static/NAME with its content version, e.g. "/static/app.css?v=1a2b…". */
static char *web_asset_url(const char *name)
{
	char v[17];

	static_version(name, v);
	return xasprintf("/static/%s?v=%s", name, v);
}

static void add_owned(json_object *o, const char *key, char *value)
{
	json_add_text(o, key, value);
	free(value);
}

/* The template data every page starts with. */
static json_object *base_data(const char *title)
{
	json_object *d = json_object_new_object();
	json_object *asset = json_object_new_object();

	json_add_text(d, "title", title);
	add_owned(asset, "css", web_asset_url("app.css"));
	add_owned(asset, "js", web_asset_url("app.js"));
	add_owned(asset, "icon", web_asset_url("favicon.svg"));
	json_object_object_add(d, "asset", asset);
	return d;
}

/* What a queue in the navigation bar counts. */
enum nav_count {
	COUNT_NONE,
	COUNT_STATUS,			/* the orders of `status` the viewer may see */
	COUNT_CALLBACKS_DUE,		/* callbacks due now */
};

#define SUPERVISORS (ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))

/* The pages and queues a role works in, in the navigation bar; each queue
 * with its count, oldest first. */
static const struct {
	const char *href, *label;
	unsigned roles;
	enum nav_count count;
	const char *status;		/* COUNT_STATUS */
} nav_items[] = {
	{ "/console", "受理台", ROLES_CENTRE, COUNT_NONE, NULL },
	{ "/search?status=pending&order=oldest", "待派单", ROLES_CENTRE, COUNT_STATUS, "pending" },
	{ "/search?status=return_requested&order=oldest", "退单待审",
	  ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_SUPERVISOR), COUNT_STATUS, "return_requested" },
	{ "/search?status=extension_requested&order=oldest", "延期待审", ROLE_BIT(ROLE_SUPERVISOR),
	  COUNT_STATUS, "extension_requested" },
	{ "/callbacks", "回访", ROLES_CENTRE | ROLE_BIT(ROLE_SUPERVISOR), COUNT_CALLBACKS_DUE, NULL },
	{ "/inbox", "待办", ROLES_DEPARTMENT, COUNT_STATUS, INBOX_STATUSES },
	{ "/search", "查询", ROLES_ANY, COUNT_NONE, NULL },
	{ "/dashboard", "监督看板", SUPERVISORS, COUNT_NONE, NULL },
	{ "/wallboard", "大屏", SUPERVISORS, COUNT_NONE, NULL },
	{ "/admin", "系统管理", ROLE_BIT(ROLE_ADMIN), COUNT_NONE, NULL },
};
#define NAV_ITEMS ARRAY_SIZE(nav_items)

/* True if `path` is `href` or below it ("/admin/rules" is under "/admin");
 * a queue (a search) is active on the search page with its query. */
static bool nav_active(const char *path, const char *href)
{
	size_t n = strcspn(href, "?");

	return !strncmp(path, href, n) && (path[n] == '\0' || path[n] == '/');
}

static void add_principal(json_object *d, const struct principal *who, const char *path)
{
	json_object *me = json_object_new_object();
	json_object *nav = json_object_new_array();

	json_add_text(me, "name", who->name[0] ? who->name : who->login);
	json_add_text(me, "login", who->login);
	json_add_text(me, "role", role_code(who->role));
	json_add_text(me, "role_name", role_label(who->role));
	if (who->department_id)
		json_add_text(me, "department", who->department_name);
	json_object_object_add(d, "me", me);
	if (who->csrf[0])
		json_add_text(d, "csrf", who->csrf);
	for (size_t i = 0; i < NAV_ITEMS; i++) {
		if (!(nav_items[i].roles & ROLE_BIT(who->role)))
			continue;
		json_object *item = json_object_new_object();
		json_add_text(item, "href", nav_items[i].href);
		json_add_text(item, "label", nav_items[i].label);
		json_object_object_add(item, "active", json_object_new_boolean(
			!strchr(nav_items[i].href, '?') && nav_active(path, nav_items[i].href)));
		json_object_object_add(item, "queue", json_object_new_int((int)i));
		json_object_array_add(nav, item);
	}
	json_object_object_add(d, "nav", nav);
}

/*
 * The counts of the viewer's queues, beside them in the navigation bar
 * (only when there is something waiting). A count that cannot be read is
 * left out: the page itself still works.
 */
static void add_nav_counts(struct page *pg)
{
	json_object *nav = json_object_object_get(pg->data, "nav");

	for (size_t i = 0; nav && i < json_object_array_length(nav); i++) {
		json_object *item = json_object_array_get_idx(nav, i);
		size_t k = (size_t)json_object_get_int(json_object_object_get(item, "queue"));
		struct err e = ERR_INIT;
		long long n = 0;
		bool ok = true;

		json_object_object_del(item, "queue");
		if (k >= NAV_ITEMS || nav_items[k].count == COUNT_NONE)
			continue;
		if (nav_items[k].count == COUNT_STATUS) {
			struct order_filter f = { .status = nav_items[k].status };
			ok = orders_count(pg->db, pg->who, &f, &n, &e);
		} else {
			ok = callbacks_due_count(pg->db, &n, &e);
		}
		if (!ok)
			log_warn("web: the count of %s: %s", nav_items[k].label, e.message);
		else if (n > 0)
			json_object_object_add(item, "count", json_object_new_int64(n));
	}
}

bool page_begin(struct http_req *req, unsigned roles, const char *title, struct page *pg)
{
	struct err e = ERR_INIT;

	memset(pg, 0, sizeof(*pg));
	pg->req = req;
	page_headers(req);
	if (!auth_authorize(req, ACCESS_PAGE | roles, &e)) {
		if (!http_replied(req))
			page_fail(req, &e);
		return false;
	}
	pg->who = auth_who(req);
	pg->db = db_thread(&e);
	if (!pg->db) {
		page_fail(req, &e);
		return false;
	}
	pg->data = base_data(title);
	add_principal(pg->data, pg->who, http_path(req));
	add_nav_counts(pg);
	return true;
}

bool page_begin_public(struct http_req *req, const char *title, struct page *pg)
{
	struct err e = ERR_INIT;

	memset(pg, 0, sizeof(*pg));
	pg->req = req;
	page_headers(req);
	pg->db = db_thread(&e);
	if (!pg->db) {
		page_fail(req, &e);
		return false;
	}
	pg->data = base_data(title);
	return true;
}

bool page_begin_upload(struct http_req *req, unsigned roles, const char *title, struct page *pg,
		       struct form *f)
{
	struct err e = ERR_INIT, form_e = ERR_INIT;
	bool parsed;

	memset(pg, 0, sizeof(*pg));
	pg->req = req;
	page_headers(req);
	parsed = form_parse(f, req, &form_e);
	if (auth_authorize_session(req, roles, &e)) {
		/* A form that did not parse has no token to check: its own error is shown. */
		if (!parsed)
			e = form_e;
		else if (auth_csrf_form(auth_who(req), form_get(f, "csrf_token"), &e))
			pg->db = db_thread(&e);
	}
	if (!pg->db) {
		if (!http_replied(req))
			page_fail(req, &e);
		return false;
	}
	pg->who = auth_who(req);
	pg->data = base_data(title);
	add_principal(pg->data, pg->who, http_path(req));
	add_nav_counts(pg);
	return true;
}

void page_redirect(struct page *pg, const char *path, ...)
{
	struct buf loc = BUF_INIT;
	const char *name;
	va_list ap;
	char sep = '?';

	buf_adds(&loc, path);
	va_start(ap, path);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		buf_addch(&loc, sep);
		url_escape(&loc, name);
		buf_addch(&loc, '=');
		url_escape(&loc, value ? value : "");
		sep = '&';
	}
	va_end(ap);
	http_redirect(pg->req, loc.data);
	buf_release(&loc);
}

void page_form_error(struct page *pg, const struct err *e, const char *const *labels)
{
	json_object *errors = json_object_new_object();
	struct buf msg = BUF_INIT, top = BUF_INIT;
	struct err_detail d;

	/* Every bad field beside itself; the first named at the top. */
	for (int i = 0; i <= e->nmore; i++) {
		const char *label;

		err_detail_at(e, i, &d);
		label = field_label(d.field);
		for (size_t k = 0; !label && labels && labels[k]; k += 2)
			if (!strcmp(labels[k], d.field))
				label = labels[k + 1];
		buf_reset(&msg);
		err_detail_text(&msg, &d, e->status);
		if (d.field[0])
			json_add_text(errors, d.field, msg.data);
		if (i > 0)
			continue;
		if (label)
			buf_addf(&top, "%s：%s", label, msg.data);
		else
			buf_adds(&top, msg.data);
	}
	if (e->nmore > 0)
		buf_addf(&top, "（另有 %d 处需要修改，见下方标注）", e->nmore);
	json_object_object_add(pg->data, "errors", errors);
	json_add_text(pg->data, "error", top.data);
	buf_release(&top);
	buf_release(&msg);
}

void page_end(struct page *pg)
{
	json_object_put(pg->data);
	pg->data = NULL;
}

void page_render(struct page *pg, int status, const char *name)
{
	render(pg->req, status, name, pg->data);
}

void page_flash(struct page *pg, const char *text)
{
	json_add_text(pg->data, "flash", text);
}

static const char *error_title(int status)
{
	switch (status) {
	case 400: return "请求有误";
	case 401: return "请先登录";
	case 403: return "无权操作";
	case 404: return "未找到";
	case 409: return "状态已变化";
	case 413: return "内容过大";
	case 422: return "输入有误";
	case 429: return "操作过于频繁";
	case 503: return "服务暂时不可用";
	default: return "系统错误";
	}
}

void page_fail(struct http_req *req, const struct err *e)
{
	const struct principal *who = http_principal(req);
	int status = e->status >= 400 && e->status < 600 ? e->status : 500;
	json_object *d = base_data(error_title(status));
	struct buf msg = BUF_INIT;

	if (status >= 500)
		log_warn("web: %s %s: %d %s: %s", http_method(req), http_path(req), status, err_code_slug(e->code),
			 e->message);
	if (who)
		add_principal(d, who, "");
	if (e->code == ERR_FORBIDDEN && !strcmp(http_method(req), "GET"))
		buf_addf(&msg, "您的角色（%s）无权访问此页面", who ? role_label(who->role) : "未登录");
	else
		err_text(&msg, e);
	json_add_text(d, "message", msg.data);
	json_object_object_add(d, "status", json_object_new_int(status));
	json_add_text(d, "request_id", http_request_id(req));
	buf_release(&msg);
	render(req, status, "error", d);
	json_object_put(d);
}

void web_not_found(struct http_req *req)
{
	const char *path = http_path(req), *accept = http_header(req, "Accept");
	json_object *d;

	if (!strncmp(path, "/api/", 5) || !strncmp(path, "/open311/", 9)
	    || (accept && strstr(accept, "json") && !strstr(accept, "text/html")))
		return;		/* the HTTP core's own problem+json 404 */
	d = base_data(error_title(404));
	json_add_text(d, "message", "您要找的页面不存在：地址可能有误，或页面已经移动。请从导航进入。");
	json_object_object_add(d, "status", json_object_new_int(404));
	json_add_text(d, "request_id", http_request_id(req));
	render(req, 404, "error", d);
	json_object_put(d);
}

/*
 * Page routes authorise themselves (page_begin) rather than through the
 * table's access bits, so that a refusal renders as a page and the
 * anonymous are redirected without a second reply.
 */
const struct http_route web_routes[] = {
	{ "GET", "/", page_home, 0 },
	{ "GET", "/login", page_login_get, 0 },
	{ "POST", "/login", page_login_post, 0 },
	{ "POST", "/logout", page_logout, 0 },
	{ "GET", "/console", page_console, 0 },
	{ "POST", "/console/orders", page_console_create, 0 },
	{ "GET", "/orders/{number}", page_order, 0 },
	{ "POST", "/orders/{number}/actions/{action}", page_order_action, 0 },
	{ "GET", "/inbox", page_inbox, 0 },
	{ "GET", "/search", page_search, 0 },
	{ "GET", "/search/export", page_search_export, 0 },
	{ "GET", "/dashboard", page_dashboard, 0 },
	{ "GET", "/wallboard", page_wallboard, 0 },
	{ "GET", "/callbacks", page_callbacks, 0 },
	{ "POST", "/callbacks/next", page_callbacks_next, 0 },
	{ "POST", "/callbacks/{id}/result", page_callbacks_record, 0 },
	{ "GET", "/admin", page_admin, 0 },
	{ "GET", "/admin/users", page_admin_users, 0 },
	{ "POST", "/admin/users", page_admin_user_add, 0 },
	{ "POST", "/admin/users/{login}/password", page_admin_user_password, 0 },
	{ "POST", "/admin/users/{login}/active", page_admin_user_active, 0 },
	{ "GET", "/admin/users/{login}", page_admin_user, 0 },
	{ "POST", "/admin/users/{login}", page_admin_user_save, 0 },
	{ "GET", "/admin/departments", page_admin_departments, 0 },
	{ "POST", "/admin/departments/import", page_admin_departments_import, HTTP_LARGE_BODY },
	{ "GET", "/admin/categories", page_admin_categories, 0 },
	{ "POST", "/admin/categories/import", page_admin_categories_import, HTTP_LARGE_BODY },
	{ "GET", "/admin/rules", page_admin_rules, 0 },
	{ "POST", "/admin/rules", page_admin_rule_create, 0 },
	{ "GET", "/admin/rules/{id}", page_admin_rule, 0 },
	{ "POST", "/admin/rules/{id}", page_admin_rule_update, 0 },
	{ "POST", "/admin/rules/{id}/delete", page_admin_rule_delete, 0 },
	{ "GET", "/admin/policies", page_admin_policies, 0 },
	{ "POST", "/admin/policies", page_admin_policies_save, 0 },
	{ "GET", "/admin/calendar", page_admin_calendar, 0 },
	{ "POST", "/admin/calendar", page_admin_calendar_import, HTTP_LARGE_BODY },
	{ "GET", "/admin/settings", page_admin_settings, 0 },
	{ "POST", "/admin/settings/{group}", page_admin_settings_save, 0 },
	{ "GET", "/admin/tokens", page_admin_tokens, 0 },
	{ "POST", "/admin/tokens/{id}/revoke", page_admin_token_revoke, 0 },
	{ "GET", "/static/{file}", static_get, 0 },
};
const size_t web_routes_count = ARRAY_SIZE(web_routes);
