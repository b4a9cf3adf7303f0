#include "auth/authorize.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "db/db.h"

const struct principal *auth_who(const struct http_req *req)
{
	return http_principal(req);
}

void auth_cookie_set(struct http_req *req, const char *token)
{
	const char *proto = http_header(req, "X-Forwarded-Proto");
	char cookie[256];

	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s",
		 AUTH_SESSION_COOKIE, token, AUTH_SESSION_HOURS * 3600,
		 proto && !strcmp(proto, "https") ? "; Secure" : "");
	http_set_header(req, "Set-Cookie", cookie);
}

void auth_cookie_clear(struct http_req *req)
{
	http_set_header(req, "Set-Cookie", AUTH_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
}

void auth_retry_after(struct http_req *req, const struct err *e)
{
	char secs[24];

	if (e->status != 429 || e->num[0] < 1)
		return;
	snprintf(secs, sizeof(secs), "%.0f", e->num[0]);
	http_set_header(req, "Retry-After", secs);
}

static bool safe_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

static bool csrf_matches(const struct principal *who, const char *token)
{
	size_t n = strlen(who->csrf);

	return token && strlen(token) == n && sodium_memcmp(token, who->csrf, n) == 0;
}

bool auth_csrf_form(const struct principal *who, const char *token, struct err *e)
{
	if (!csrf_matches(who, token))
		return err_set(e, 403, ERR_CSRF, "missing or wrong CSRF token in the form");
	return true;
}

/*
 * The caller from the bearer token `authz` (the whole header; NULL: none)
 * or else the session `cookie`, set on `req`; the role checked against
 * `access`. Returns the principal (owned by `req`) or NULL with `e`.
 */
static const struct principal *identify(struct http_req *req, const char *authz, const char *cookie,
					unsigned access, struct err *e)
{
	struct principal *who;
	struct db *db;
	bool ok;

	if (!authz && !cookie) {
		if (access & ACCESS_PAGE) {
			http_redirect(req, "/login");
			return err_set(e, 303, ERR_LOGIN_REQUIRED, "log in first"), NULL;
		}
		return err_set(e, 401, ERR_UNAUTHENTICATED, "log in or send an API token"), NULL;
	}
	db = db_thread(e);
	if (!db)
		return NULL;
	who = xcalloc(1, sizeof(*who));
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7)) {
			free(who);
			return err_set(e, 401, ERR_UNAUTHENTICATED,
				       "the Authorization header must be \"Bearer <token>\""), NULL;
		}
		ok = auth_bearer(db, authz + 7, who, e);
	} else {
		ok = auth_session(db, cookie, who, e);
	}
	if (!ok) {
		free(who);
		if (access & ACCESS_PAGE && e->status == 401) {
			auth_cookie_clear(req);
			http_redirect(req, "/login");
		}
		return NULL;
	}
	http_set_principal(req, who, free);
	http_set_log_user(req, who->user_id);
	if (!(access & ROLE_BIT(who->role)))
		return err_set(e, 403, ERR_FORBIDDEN, "role %s may not use %s %s", role_code(who->role),
			       http_method(req), http_path(req)), NULL;
	return who;
}

bool auth_authorize(struct http_req *req, unsigned access, struct err *e)
{
	const struct principal *who = identify(req, http_header(req, "Authorization"),
					       http_cookie(req, AUTH_SESSION_COOKIE), access, e);

	if (!who)
		return false;
	if (!who->via_token && !safe_method(http_method(req))) {
		const char *token = http_header(req, "X-CSRF-Token");
		if (!token)
			token = http_form(req, "csrf_token");
		if (!csrf_matches(who, token))
			return err_set(e, 403, ERR_CSRF, "missing or wrong CSRF token: send the X-CSRF-Token header given at login");
	}
	return true;
}

bool auth_authorize_session(struct http_req *req, unsigned access, struct err *e)
{
	return identify(req, NULL, http_cookie(req, AUTH_SESSION_COOKIE), access | ACCESS_PAGE, e) != NULL;
}
