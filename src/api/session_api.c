/* POST/GET/DELETE /api/v1/session: log in, who am I, log out. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/jsonutil.h"

static json_object *principal_json(const struct principal *who)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "login", json_object_new_string(who->login));
	json_object_object_add(o, "name", json_object_new_string(who->name));
	json_object_object_add(o, "role", json_object_new_string(role_code(who->role)));
	json_object_object_add(o, "role_name", json_object_new_string(role_label(who->role)));
	if (who->department_id) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "code", json_object_new_string(who->department_code));
		json_object_object_add(d, "name", json_object_new_string(who->department_name));
		json_object_object_add(o, "department", d);
	} else {
		json_object_object_add(o, "department", NULL);
	}
	if (who->csrf[0])
		json_object_object_add(o, "csrf_token", json_object_new_string(who->csrf));
	return o;
}

void api_session_create(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct principal who;
	char token[AUTH_SECRET_HEX];
	const char *login = NULL, *password = NULL;
	json_object *body;
	const char *ctype = http_header(req, "Content-Type");
	struct db *db;

	/* A form that another site posts here cannot send JSON without a
	 * CORS preflight: requiring it stops login CSRF. */
	if (!ctype || strncasecmp(ctype, "application/json", 16)
	    || (ctype[16] && ctype[16] != ';' && ctype[16] != ' ')) {
		http_reply_error(req, 415, ERR_UNSUPPORTED_MEDIA_TYPE,
				 "log in with Content-Type application/json, not \"%s\"", ctype ? ctype : "");
		return;
	}
	if (!(body = api_body_or_reply(req)))
		return;
	if (!json_get_string(body, "login", true, &login, &e)
	    || !json_get_string(body, "password", true, &password, &e)) {
		json_object_put(body);
		http_reply_problem(req, &e);
		return;
	}
	if (!(db = api_db_or_reply(req))) {
		json_object_put(body);
		return;
	}
	if (!auth_login(db, login, password, http_client_ip(req), &who, token, &e)) {
		json_object_put(body);
		auth_retry_after(req, &e);
		http_reply_problem(req, &e);
		return;
	}
	json_object_put(body);
	auth_cookie_set(req, token);
	api_reply(req, 201, principal_json(&who), NULL);
}

void api_session_get(struct http_req *req)
{
	api_reply(req, 200, principal_json(auth_who(req)), NULL);
}

void api_session_delete(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *cookie = http_cookie(req, AUTH_SESSION_COOKIE);
	struct db *db;

	if (!(db = api_db_or_reply(req)))
		return;
	if (cookie && !auth_logout(db, cookie, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	auth_cookie_clear(req);
	http_reply(req, 204, "application/json", "", 0);
}
