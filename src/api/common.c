/* The helpers every handler uses. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"

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

bool api_input_or_reply(struct http_req *req, json_object **body, struct db **db)
{
	if (!(*body = api_body_or_reply(req)))
		return false;
	if (!(*db = api_db_or_reply(req))) {
		json_object_put(*body);
		*body = NULL;
		return false;
	}
	return true;
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
	/* Answers name callers, phones and addresses: no cache keeps them. */
	http_set_header(req, "Cache-Control", "no-store");
	if (!obj) {
		http_reply_problem(req, e);
		return;
	}
	http_reply_json(req, status, obj);
	json_object_put(obj);
}
