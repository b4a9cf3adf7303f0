/*
 * GET / (to the page of one's role), GET/POST /login, POST /logout.
 *
 * The login form is protected against login CSRF (a foreign site logging
 * the browser into another account) by a double-submit token: GET /login
 * sets a random value in an HttpOnly, SameSite=Strict cookie and in a
 * hidden field, and POST /login requires both to match.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "web/web_private.h"

#define LOGIN_COOKIE "hotline_login"
#define LOGIN_TOKEN_HEX 33	/* 16 random bytes as hex plus NUL */

void page_home(struct http_req *req)
{
	struct page pg;

	if (!page_begin(req, ROLES_ANY, "首页", &pg))
		return;
	switch (pg.who->role) {
	case ROLE_AGENT:
	case ROLE_REVIEWER:
		http_redirect(req, "/console");
		break;
	case ROLE_DEPT_HANDLER:
	case ROLE_DEPT_ADMIN:
		http_redirect(req, "/inbox");
		break;
	default:
		http_redirect(req, "/dashboard");
		break;
	}
	page_end(&pg);
}

static bool token_ok(const char *t)
{
	return t && strlen(t) == LOGIN_TOKEN_HEX - 1
	       && strspn(t, "0123456789abcdef") == LOGIN_TOKEN_HEX - 1;
}

/* The login token: the browser's, if it has a well-formed one, else a new one (cookie set). */
static void login_token(struct http_req *req, char out[LOGIN_TOKEN_HEX])
{
	const char *have = http_cookie(req, LOGIN_COOKIE);
	unsigned char raw[16];
	char cookie[128];

	if (token_ok(have)) {
		snprintf(out, LOGIN_TOKEN_HEX, "%s", have);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, LOGIN_TOKEN_HEX, raw, sizeof(raw));
	snprintf(cookie, sizeof(cookie), LOGIN_COOKIE "=%s; Path=/login; HttpOnly; SameSite=Strict; Max-Age=86400",
		 out);
	http_set_header(req, "Set-Cookie", cookie);
}

static void show_login(struct page *pg, int status, const char *login, const struct err *e)
{
	char token[LOGIN_TOKEN_HEX];

	login_token(pg->req, token);
	json_object_object_add(pg->data, "login_token", json_object_new_string(token));
	if (login)
		json_object_object_add(pg->data, "login", json_object_new_string(login));
	if (e) {
		struct buf msg = BUF_INIT;
		err_text(&msg, e);
		json_object_object_add(pg->data, "error", json_object_new_string(msg.data));
		buf_release(&msg);
	}
	page_render(pg, status, "login");
}

void page_login_get(struct http_req *req)
{
	const char *cookie = http_cookie(req, AUTH_SESSION_COOKIE);
	struct principal who;
	struct page pg;

	if (!page_begin_public(req, "登录", &pg))
		return;
	if (cookie && auth_session(pg.db, cookie, &who, NULL)) {
		http_redirect(req, "/");
		page_end(&pg);
		return;
	}
	show_login(&pg, 200, NULL, NULL);
	page_end(&pg);
}

void page_login_post(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct form f;
	struct page pg;
	struct principal who;
	char session[AUTH_SECRET_HEX];
	const char *cookie = http_cookie(req, LOGIN_COOKIE);
	const char *given, *login, *password;
	bool parsed;

	if (!page_begin_public(req, "登录", &pg))
		return;
	parsed = form_parse(&f, req, &e);
	given = form_get(&f, "login_token");
	login = form_get(&f, "login");
	password = form_get(&f, "password");
	if (!parsed) {
		show_login(&pg, 400, NULL, &e);
	} else if (!token_ok(cookie) || !token_ok(given) || sodium_memcmp(cookie, given, LOGIN_TOKEN_HEX - 1)) {
		err_set(&e, 403, ERR_LOGIN_CSRF, "the login form's token does not match its cookie");
		show_login(&pg, 403, login, &e);
	} else if (!login || !*login || !password || !*password) {
		err_set(&e, 422, ERR_LOGIN_MISSING, "login and password are required");
		show_login(&pg, 422, login, &e);
	} else if (!auth_login(pg.db, login, password, http_client_ip(req), &who, session, &e)) {
		auth_retry_after(req, &e);
		show_login(&pg, e.status, login, &e);
	} else {
		auth_cookie_set(req, session);
		http_set_header(req, "Set-Cookie", LOGIN_COOKIE "=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
		http_redirect(req, "/");
		sodium_memzero(session, sizeof(session));
	}
	form_release(&f);
	page_end(&pg);
}

void page_logout(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *cookie = http_cookie(req, AUTH_SESSION_COOKIE);
	struct page pg;

	if (!page_begin(req, ROLES_ANY, "退出", &pg))
		return;
	if (cookie && !auth_logout(pg.db, cookie, &e)) {
		page_fail(req, &e);
	} else {
		auth_cookie_clear(req);
		http_redirect(req, "/login");
	}
	page_end(&pg);
}
