/*
 * authorize: how an HTTP request becomes a `struct principal` — the session
 * cookie or the bearer token, the role the route allows, and the CSRF token
 * that every state-changing request made with the cookie must echo. The
 * JSON API and the web pages both authorise through here; neither borrows
 * the other's.
 *
 * The principal is kept on the request (http_set_principal()) and freed
 * with it; auth_who() reads it back.
 */
#ifndef HOTLINE_AUTH_AUTHORIZE_H
#define HOTLINE_AUTH_AUTHORIZE_H

#include <stdbool.h>

#include "auth/auth.h"
#include "auth/role.h"
#include "core/err.h"
#include "http/http.h"

/* Route access: role bits (ROLE_BIT) plus these flags. */
#define ACCESS_ANY_USER ROLES_ANY
#define ACCESS_PAGE (1u << 20)	/* a web page: send the anonymous to /login */

/*
 * The authorizer of the route table (http_authorizer): finds the caller
 * from "Authorization: Bearer <token>" or else the session cookie, checks
 * that their role is in `access`, and for a cookie session on a method
 * other than GET or HEAD that the X-CSRF-Token header (or the form field
 * csrf_token) matches the session's.
 *
 * Returns true with the principal set on `req`. Otherwise false with `e`:
 * 401 for no or an unknown credential, 403 for a role outside `access` or
 * a wrong CSRF token (the principal is set then), 503 without a database.
 * With ACCESS_PAGE the anonymous are redirected to /login instead (303,
 * already replied: http_replied()), and a stale session cookie is cleared.
 */
bool auth_authorize(struct http_req *req, unsigned access, struct err *e);

/*
 * As auth_authorize() with ACCESS_PAGE, for a browser request whose CSRF
 * token the caller reads itself (from a multipart upload, which the http
 * module does not parse): the session cookie only, and the role; the CSRF
 * token is checked with auth_csrf_form() afterwards. Returns as
 * auth_authorize().
 */
bool auth_authorize_session(struct http_req *req, unsigned access, struct err *e);

/* True if `token` (may be NULL) is `who`'s CSRF token; else false with
 * `e` (403, ERR_CSRF, naming the form). Compares in constant time. */
bool auth_csrf_form(const struct principal *who, const char *token, struct err *e);

/* The caller set by auth_authorize(), owned by the request; NULL on public
 * routes and before authorisation. */
const struct principal *auth_who(const struct http_req *req);

/* Sets the session cookie `token` (HttpOnly, SameSite=Lax, for
 * AUTH_SESSION_HOURS; Secure behind TLS, X-Forwarded-Proto https). */
void auth_cookie_set(struct http_req *req, const char *token);
/* Tells the browser to forget the session cookie. */
void auth_cookie_clear(struct http_req *req);
/* Sets Retry-After from a 429 of auth_login() (its e->num[0]); else nothing. */
void auth_retry_after(struct http_req *req, const struct err *e);

#endif
