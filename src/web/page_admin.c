/*
 * Administration (/admin/…), for the admin role only: users (list, add with
 * role and unit, reset a password, deactivate and reactivate), the unit
 * tree and the category tree (each with a CSV upload that imports as
 * `hotline department|category import` does), and the API tokens (list
 * with last use, revoke). The other sections are in
 * page_admin_rules.c and page_admin_setup.c; all share admin_begin().
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/num.h"
#include "directory/categories.h"
#include "directory/departments.h"
#include "directory/reference.h"
#include "intake/events.h"
#include "web/web_private.h"

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* The sections of the administration, in the order of its tabs. */
static const struct {
	const char *id, *href, *label;
} sections[] = {
	{ "users", "/admin/users", "用户" },
	{ "departments", "/admin/departments", "单位" },
	{ "categories", "/admin/categories", "诉求分类" },
	{ "rules", "/admin/rules", "派单规则" },
	{ "policies", "/admin/policies", "办理时限" },
	{ "calendar", "/admin/calendar", "节假日" },
	{ "settings", "/admin/settings", "回访与排名" },
	{ "tokens", "/admin/tokens", "接口令牌" },
};

static void add_tabs(struct page *pg, const char *section)
{
	json_object *tabs = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		json_object *t = json_object_new_object();
		add_string(t, "href", sections[i].href);
		add_string(t, "label", sections[i].label);
		json_object_object_add(t, "active", json_object_new_boolean(!strcmp(section, sections[i].id)));
		json_object_array_add(tabs, t);
	}
	json_object_object_add(pg->data, "admin_tabs", tabs);
}

bool admin_begin(struct http_req *req, const char *section, const char *title, struct page *pg)
{
	if (!page_begin(req, ROLE_BIT(ROLE_ADMIN), title, pg))
		return false;
	add_tabs(pg, section);
	return true;
}

bool admin_begin_upload(struct http_req *req, const char *section, const char *title,
			struct page *pg, struct form *f)
{
	if (!page_begin_upload(req, ROLE_BIT(ROLE_ADMIN), title, pg, f))
		return false;
	add_tabs(pg, section);
	return true;
}

void admin_flash(struct page *pg, const char *const (*notices)[2], size_t n)
{
	const char *done = http_query(pg->req, "done"), *what = http_query(pg->req, "what");
	struct buf b = BUF_INIT;

	for (size_t i = 0; done && i < n; i++) {
		if (strcmp(done, notices[i][0]))
			continue;
		text_fill(&b, notices[i][1], what);
		page_flash(pg, b.data);
		break;
	}
	buf_release(&b);
}

void page_admin(struct http_req *req)
{
	struct page pg;

	if (!admin_begin(req, "users", "系统管理", &pg))
		return;
	http_redirect(req, "/admin/users");
	page_end(&pg);
}

/* ------------------------------------------------------------ users */

static const char *const roles[] = { "agent", "reviewer", "dept_handler", "dept_admin", "supervisor", "admin" };

/* The role options, `selected` marked. A new array. */
static json_object *role_options(const char *selected)
{
	json_object *opts = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		json_object *o = json_object_new_object();
		add_string(o, "code", roles[i]);
		add_string(o, "name", role_label((enum role)role_parse(roles[i])));
		json_object_object_add(o, "selected", json_object_new_boolean(selected && !strcmp(selected, roles[i])));
		json_object_array_add(opts, o);
	}
	return opts;
}

/*
 * The users page. `add` (may be NULL) re-renders the add form with its
 * values; `row_login` and `row_error` put a message beside one user's
 * password form.
 */
static void users_show(struct page *pg, int status, json_object *add, const char *row_login,
		       const char *row_error)
{
	struct err e = ERR_INIT;
	json_object *users = auth_user_list(pg->db, &e), *ref = users ? reference_choices(pg->db, &e) : NULL;
	json_object *role_opts = role_options(json_str(add, "role"));
	struct buf b = BUF_INIT;
	size_t active = 0;

	if (!users || !ref) {
		json_object_put(users);
		json_object_put(role_opts);
		page_fail(pg->req, &e);
		return;
	}
	json_object *extensions = agent_extensions(pg->db, &e);
	if (!extensions) {
		json_object_put(users);
		json_object_put(ref);
		json_object_put(role_opts);
		page_fail(pg->req, &e);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(users); i++) {
		json_object *u = json_object_array_get_idx(users, i);
		const char *login = json_str(u, "login");
		json_object *ext = json_object_object_get(extensions, login);
		add_string(u, "extension", ext ? json_object_get_string(ext) : "");
		int role = role_parse(json_str(u, "role"));
		add_string(u, "role_name", role >= 0 ? role_label((enum role)role) : json_str(u, "role"));
		view_time(&b, json_str(u, "created_at"));
		add_string(u, "created", b.data);
		buf_reset(&b);
		json_object_object_add(u, "me", json_object_new_boolean(!strcmp(login, pg->who->login)));
		if (row_login && !strcmp(login, row_login))
			add_string(u, "pw_error", row_error);
		active += json_object_get_boolean(json_object_object_get(u, "active"));
	}
	json_object_put(extensions);
	json_object_object_add(pg->data, "users", users);
	json_object_object_add(pg->data, "user_count", json_object_new_int((int)json_object_array_length(users)));
	json_object_object_add(pg->data, "active_count", json_object_new_int((int)active));
	json_object_object_add(pg->data, "roles", role_opts);
	json_object_object_add(pg->data, "dept_groups", ref_department_groups(ref, json_str(add, "department"), NULL, NULL));
	json_object_object_add(pg->data, "form", add ? json_object_get(add) : json_object_new_object());
	buf_release(&b);
	json_object_put(ref);
	page_render(pg, status, "admin/users");
}

void page_admin_users(struct http_req *req)
{
	static const char *const notices[][2] = {
		{ "added", "已添加用户 %s。" },
		{ "password", "已重设用户 %s 的密码。" },
		{ "deactivated", "已停用用户 %s，其登录会话已全部结束。" },
		{ "activated", "已重新启用用户 %s。" },
		{ "saved", "已保存用户 %s 的资料。" },
	};
	struct page pg;

	if (!admin_begin(req, "users", "用户管理", &pg))
		return;
	admin_flash(&pg, notices, ARRAY_SIZE(notices));
	users_show(&pg, 200, NULL, NULL, NULL);
	page_end(&pg);
}

void page_admin_user_add(struct http_req *req)
{
	static const char *const labels[] = { "department", "所属单位", NULL };
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	const char *login, *password;

	if (!admin_begin(req, "users", "用户管理", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	login = form_get(&f, "login");
	password = form_get(&f, "password");
	if (!login || !*login)
		err_field(&e, 422, "login", ERR_REQUIRED, "login is required");
	else if (!password || !*password)
		err_field(&e, 422, "password", ERR_REQUIRED, "password is required");
	if (!err_isset(&e) && auth_user_add(pg.db, login, form_get(&f, "role"), form_get_nonempty(&f, "department"),
					    form_get_nonempty(&f, "display_name"), password, &e)) {
		page_redirect(&pg, "/admin/users", "done", "added", "what", login, NULL);
		goto out;
	}
	if (e.status == 422 || e.status == 409 || e.status == 400) {
		json_object *values = form_values(&f, NULL);
		page_form_error(&pg, &e, labels);
		users_show(&pg, e.status, values, NULL, NULL);
		json_object_put(values);
	} else {
		page_fail(req, &e);
	}
out:
	form_release(&f);
	page_end(&pg);
}

/*
 * The edit page of one user: name, role, unit and phone extension.
 * `values` (may be NULL: the stored ones) re-renders a refused form.
 */
static void user_show(struct page *pg, int status, const char *login, json_object *values)
{
	struct err e = ERR_INIT;
	json_object *users = auth_user_list(pg->db, &e), *user = NULL, *stored = NULL, *ref = NULL;
	json_object *extensions = NULL;

	for (size_t i = 0; users && i < json_object_array_length(users); i++)
		if (!strcmp(json_str(json_object_array_get_idx(users, i), "login"), login))
			user = json_object_array_get_idx(users, i);
	if (users && !user)
		err_set(&e, 404, ERR_PAGE_NOT_FOUND, "no user with login \"%s\"", login);
	if (!user || !(ref = reference_choices(pg->db, &e)) || !(extensions = agent_extensions(pg->db, &e))) {
		page_fail(pg->req, &e);
		goto out;
	}
	if (!values) {
		json_object *dept = json_object_object_get(user, "department");
		json_object *ext = json_object_object_get(extensions, login);
		values = stored = json_object_new_object();
		add_string(stored, "display_name", json_str(user, "name"));
		add_string(stored, "role", json_str(user, "role"));
		add_string(stored, "department", dept ? json_str(dept, "code") : "");
		add_string(stored, "extension", ext ? json_object_get_string(ext) : "");
	}
	json_object_object_add(user, "me", json_object_new_boolean(!strcmp(login, pg->who->login)));
	json_object_object_add(pg->data, "user", json_object_get(user));
	json_object_object_add(pg->data, "roles", role_options(json_str(values, "role")));
	json_object_object_add(pg->data, "dept_groups",
			       ref_department_groups(ref, json_str(values, "department"), NULL, NULL));
	json_object_object_add(pg->data, "form", json_object_get(values));
	page_render(pg, status, "admin/user");
out:
	json_object_put(stored);
	json_object_put(extensions);
	json_object_put(ref);
	json_object_put(users);
}

void page_admin_user(struct http_req *req)
{
	struct page pg;

	if (!admin_begin(req, "users", "编辑用户", &pg))
		return;
	user_show(&pg, 200, http_param(req, "login"), NULL);
	page_end(&pg);
}

/*
 * Saves a user's name, role, unit and extension in one transaction. An
 * administrator may not change their own role or unit (they could lock
 * the centre out of its administration).
 */
void page_admin_user_save(struct http_req *req)
{
	static const char *const labels[] = { "department", "所属单位", "extension", "分机号", "display_name", "姓名",
					      NULL };
	const char *login = http_param(req, "login");
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;

	if (!admin_begin(req, "users", "编辑用户", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	const char *role = form_get(&f, "role"), *dept = form_get_nonempty(&f, "department");
	const char *extension = form_get(&f, "extension");
	if (!strcmp(login, pg.who->login)
	    && (!role || strcmp(role, role_code(pg.who->role)) || (dept && *dept)))
		err_field(&e, 409, "role", ERR_SELF_ROLE, "an administrator cannot change their own role or unit");
	if (!err_isset(&e) && db_begin(pg.db, &e)) {
		if (auth_user_update(pg.db, login, role, dept, form_get(&f, "display_name"), &e)
		    && agent_extension_put(pg.db, login, extension ? extension : "", &e) && db_commit(pg.db, &e)) {
			page_redirect(&pg, "/admin/users", "done", "saved", "what", login, NULL);
			goto out;
		}
		db_rollback(pg.db);
	}
	if (e.status == 422 || e.status == 409) {
		json_object *values = form_values(&f, NULL);
		page_form_error(&pg, &e, labels);
		user_show(&pg, e.status, login, values);
		json_object_put(values);
	} else {
		page_fail(req, &e);
	}
out:
	form_release(&f);
	page_end(&pg);
}

void page_admin_user_password(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *login = http_param(req, "login");
	struct page pg;
	struct form f;
	const char *password;
	bool own;

	if (!admin_begin(req, "users", "用户管理", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	password = form_get(&f, "password");
	/* An administrator setting their own password stays logged in here. */
	own = !strcmp(login, pg.who->login);
	if (auth_user_password(pg.db, login, password ? password : "",
			       own ? http_cookie(req, AUTH_SESSION_COOKIE) : NULL, &e)) {
		page_redirect(&pg, "/admin/users", "done", "password", "what", login, NULL);
	} else if (e.status == 422) {
		struct buf msg = BUF_INIT;
		err_text(&msg, &e);
		users_show(&pg, 422, NULL, login, msg.data);
		buf_release(&msg);
	} else {
		page_fail(req, &e);
	}
out:
	form_release(&f);
	page_end(&pg);
}

void page_admin_user_active(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *login = http_param(req, "login");
	struct page pg;
	struct form f;
	const char *active;
	bool on;

	if (!admin_begin(req, "users", "用户管理", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	active = form_get(&f, "active");
	on = active && !strcmp(active, "true");
	if (!on && login && !strcmp(login, pg.who->login))
		err_set(&e, 409, ERR_SELF_DEACTIVATE, "an administrator cannot deactivate their own account");
	if (!err_isset(&e) && auth_user_set_active(pg.db, login, on, &e))
		page_redirect(&pg, "/admin/users", "done", on ? "activated" : "deactivated", "what", login, NULL);
	else
		page_fail(req, &e);
out:
	form_release(&f);
	page_end(&pg);
}

/* ------------------------------------------------------------ the trees */

void upload_error_text(struct buf *out, const struct err *e)
{
	if (e->code == ERR_NO_FILE) {
		err_text(out, e);
		return;
	}
	size_t start = out->len;

	if (e->line > 0)
		buf_addf(out, "第 %d 行：", e->line);
	err_text(out, e);
	/* The original names the value and the place; unless the text already holds it. */
	if (!strstr(out->data + start, e->message)) {
		buf_adds(out, "（");
		buf_adds(out, e->message);
		buf_adds(out, "）");
	}
}

/* A tree of the directory: departments_tree() or categories_tree(). */
typedef json_object *(*tree_fn)(struct db *db, struct err *e);
/* Its import: departments_import_csv() or categories_import_csv(). */
typedef long (*tree_import_fn)(struct db *db, const char *file, const char *text, size_t len,
			       struct err *e);

static const char *kind_label(const char *kind)
{
	static const char *const kinds[][2] = {
		{ "city", "市级部门" }, { "district", "区" }, { "street", "街道乡镇" }, { "unit", "下属单位" },
	};

	for (size_t i = 0; kind && i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i][0]))
			return kinds[i][1];
	return kind ? kind : "";
}

/* The tree of `load` as "items", each with "kind_name" for units. */
static bool add_tree(struct page *pg, tree_fn load, struct err *e)
{
	json_object *items = load(pg->db, e);

	if (!items)
		return false;
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);
		const char *kind = json_str(it, "kind");
		if (kind)
			add_string(it, "kind_name", kind_label(kind));
	}
	json_object_object_add(pg->data, "count", json_object_new_int((int)json_object_array_length(items)));
	json_object_object_add(pg->data, "items", items);
	return true;
}

static void tree_show(struct page *pg, int status, tree_fn load, const char *template)
{
	struct err e = ERR_INIT;

	if (add_tree(pg, load, &e))
		page_render(pg, status, template);
	else
		page_fail(pg->req, &e);
}

static const char *const import_notices[][2] = { { "imported", "已导入 %s 行，原有记录按编码更新。" } };

void page_admin_departments(struct http_req *req)
{
	struct page pg;

	if (!admin_begin(req, "departments", "单位管理", &pg))
		return;
	admin_flash(&pg, import_notices, 1);
	tree_show(&pg, 200, departments_tree, "admin/departments");
	page_end(&pg);
}

void page_admin_categories(struct http_req *req)
{
	struct page pg;

	if (!admin_begin(req, "categories", "诉求分类", &pg))
		return;
	admin_flash(&pg, import_notices, 1);
	tree_show(&pg, 200, categories_tree, "admin/categories");
	page_end(&pg);
}

/*
 * An upload of `section`: imports the file field "file" with `import_fn`
 * (one transaction), then back to the tree with the count, or the tree
 * again with the refusal (file and line) next to the file field.
 */
static void tree_import(struct http_req *req, const char *section, const char *title,
			tree_fn load, const char *template, tree_import_fn import_fn)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	const struct form_pair *file;
	long n = -1;

	if (!admin_begin_upload(req, section, title, &pg, &f)) {
		form_release(&f);
		return;
	}
	file = form_file(&f, "file");
	if (!file || !file->filename[0] || !file->len) {
		err_field(&e, 422, "file", ERR_NO_FILE, "choose a file to upload");
	} else {
		n = import_fn(pg.db, file->filename, file->value, file->len, &e);
	}
	if (n >= 0) {
		char count[24];
		snprintf(count, sizeof(count), "%ld", n);
		page_redirect(&pg, strcmp(section, "departments") ? "/admin/categories" : "/admin/departments",
			      "done", "imported", "what", count, NULL);
	} else if (e.status >= 400 && e.status < 500) {
		/* The row's own field is not on this form: the message goes beside the file. */
		struct buf msg = BUF_INIT;
		json_object *errors = json_object_new_object();
		upload_error_text(&msg, &e);
		json_object_object_add(errors, "file", json_object_new_string(msg.data));
		json_object_object_add(pg.data, "errors", errors);
		json_object_object_add(pg.data, "error", json_object_new_string("导入未完成，未作任何更改。"));
		buf_release(&msg);
		tree_show(&pg, 422, load, template);
	} else {
		page_fail(req, &e);
	}
	form_release(&f);
	page_end(&pg);
}

void page_admin_departments_import(struct http_req *req)
{
	tree_import(req, "departments", "单位管理", departments_tree, "admin/departments",
		    departments_import_csv);
}

void page_admin_categories_import(struct http_req *req)
{
	tree_import(req, "categories", "诉求分类", categories_tree, "admin/categories",
		    categories_import_csv);
}

/* ------------------------------------------------------------ tokens */

/* The API tokens and channel keys, with their last use; each live one with a revoke button. */
void page_admin_tokens(struct http_req *req)
{
	static const char *const notices[][2] = { { "revoked", "已吊销令牌 %s，使用它的请求即刻被拒绝。" } };
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT;
	json_object *list;
	struct page pg;
	size_t live = 0;

	if (!admin_begin(req, "tokens", "接口令牌", &pg))
		return;
	admin_flash(&pg, notices, 1);
	if (!(list = auth_token_list(pg.db, NULL, &e))) {
		page_fail(req, &e);
		page_end(&pg);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *t = json_object_array_get_idx(list, i);
		const char *used = json_str(t, "last_used_at");

		live += !json_str(t, "revoked_at");
		buf_reset(&b);
		view_time(&b, json_str(t, "created_at"));
		add_string(t, "created", b.data);
		if (used) {
			buf_reset(&b);
			view_time(&b, used);
			add_string(t, "used", b.data);
		}
	}
	buf_release(&b);
	json_object_object_add(pg.data, "count", json_object_new_int((int)json_object_array_length(list)));
	json_object_object_add(pg.data, "live", json_object_new_int((int)live));
	json_object_object_add(pg.data, "items", list);
	page_render(&pg, 200, "admin/tokens");
	page_end(&pg);
}

void page_admin_token_revoke(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *id = http_param(req, "id");
	long long n;
	struct page pg;
	struct form f;

	if (!admin_begin(req, "tokens", "接口令牌", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
	} else if (!num_parse_ll(id, 1, LLONG_MAX, &n)) {
		err_set(&e, 404, ERR_PAGE_NOT_FOUND, "no API token \"%s\"", id ? id : "");
		page_fail(req, &e);
	} else if (auth_token_revoke(pg.db, n, &e)) {
		page_redirect(&pg, "/admin/tokens", "done", "revoked", "what", id, NULL);
	} else {
		page_fail(req, &e);
	}
	form_release(&f);
	page_end(&pg);
}
