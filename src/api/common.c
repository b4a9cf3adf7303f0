/* Authorisation and the helpers every handler uses. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"

const struct principal *api_who(const struct http_req *req)
{
	return http_principal(req);
}

struct db *api_db_or_reply(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = db_thread(&e);

	if (!db)
		http_reply_problem(req, &e);
	return db;
}

json_object *api_body_or_reply(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *obj = NULL;
	size_t len;
	const char *body = http_body(req, &len);
	const char *ctype = http_header(req, "Content-Type");

	if (ctype && strncasecmp(ctype, "application/json", 16)) {
		http_reply_error(req, 415, ERR_UNSUPPORTED_MEDIA_TYPE,
				 "expected Content-Type application/json, got \"%s\"", ctype);
		return NULL;
	}
	if (!json_parse_object(body, len, &obj, &e)) {
		http_reply_problem(req, &e);
		return NULL;
	}
	return obj;
}

bool api_query_time(struct http_req *req, const char *name, time_t *out, struct err *e)
{
	const char *v = http_query(req, name);
	char copy[64];
	size_t n;

	*out = 0;
	if (!v || !*v)
		return true;
	/* A "+08:00" offset sent unencoded arrives as " 08:00": put the sign back. */
	snprintf(copy, sizeof(copy), "%s", v);
	n = strlen(copy);
	if (n > 6 && copy[n - 6] == ' ' && copy[n - 3] == ':')
		copy[n - 6] = '+';
	return time_parse_iso(copy, out, name, e);
}

const char *api_query(struct http_req *req, const char *name)
{
	const char *v = http_query(req, name);
	return v && *v ? v : NULL;
}

void api_reply(struct http_req *req, int status, json_object *obj, const struct err *e)
{
	if (!obj) {
		http_reply_problem(req, e);
		return;
	}
	http_reply_json(req, status, obj);
	json_object_put(obj);
}

static bool safe_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

bool api_authorize(struct http_req *req, unsigned access, struct err *e)
{
	const char *authz = http_header(req, "Authorization");
	const char *cookie = http_cookie(req, AUTH_SESSION_COOKIE);
	struct principal *who;
	struct db *db;
	bool ok;

	if (!authz && !cookie) {
		if (access & ACCESS_PAGE) {
			http_redirect(req, "/login");
			return err_set(e, 303, ERR_LOGIN_REQUIRED, "log in first");
		}
		return err_set(e, 401, ERR_UNAUTHENTICATED, "log in or send an API token");
	}
	db = db_thread(e);
	if (!db)
		return false;
	who = xcalloc(1, sizeof(*who));
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7)) {
			free(who);
			return err_set(e, 401, ERR_UNAUTHENTICATED, "the Authorization header must be \"Bearer <token>\"");
		}
		ok = auth_bearer(db, authz + 7, who, e);
	} else {
		ok = auth_session(db, cookie, who, e);
	}
	if (!ok) {
		free(who);
		if (access & ACCESS_PAGE && e->status == 401) {
			http_set_header(req, "Set-Cookie", AUTH_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
			http_redirect(req, "/login");
		}
		return false;
	}
	http_set_principal(req, who, free);
	if (!(access & ROLE_BIT(who->role)))
		return err_set(e, 403, ERR_FORBIDDEN, "role %s may not use %s %s", role_code(who->role),
			       http_method(req), http_path(req));
	if (!who->via_token && !safe_method(http_method(req))) {
		const char *token = http_header(req, "X-CSRF-Token");
		if (!token)
			token = http_form(req, "csrf_token");
		if (!token || strlen(token) != strlen(who->csrf)
		    || sodium_memcmp(token, who->csrf, strlen(who->csrf)) != 0)
			return err_set(e, 403, ERR_CSRF, "missing or wrong CSRF token: send the X-CSRF-Token header given at login");
	}
	return true;
}
