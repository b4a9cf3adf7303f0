/*
 * api: the JSON API under /api/v1 — thin handlers that parse the request,
 * call the domain, and map its struct err to a problem response. Nothing
 * here decides business rules.
 */
#ifndef HOTLINE_API_API_H
#define HOTLINE_API_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/authorize.h"
#include "db/db.h"
#include "http/http.h"
#include "orders/lifecycle.h"

/* The thread's database connection, or NULL after replying 503. */
struct db *api_db_or_reply(struct http_req *req);
/* Parses the body as a JSON object, or returns NULL after replying 400. */
json_object *api_body_or_reply(struct http_req *req);
/* Both: the body in *body (the caller puts it) and the connection in *db;
 * false after replying (and with nothing left to put) if either fails. */
bool api_input_or_reply(struct http_req *req, json_object **body, struct db **db);
/* A query-string argument, or NULL when absent or empty. */
const char *api_query(struct http_req *req, const char *name);
/*
 * A query-string time (ISO 8601) into *out, 0 when absent. An offset
 * "+08:00" sent unencoded arrives as " 08:00" and is understood. False
 * with `e` (400, naming the parameter) for anything else.
 */
bool api_query_time(struct http_req *req, const char *name, time_t *out, struct err *e);
/* Replies with `obj` (status) and drops the reference; replies the problem in `e` if NULL.
 * Either way with Cache-Control: no-store, since answers carry personal data. */
void api_reply(struct http_req *req, int status, json_object *obj, const struct err *e);

/* Handlers. */
void api_session_create(struct http_req *req);
void api_session_get(struct http_req *req);
void api_session_delete(struct http_req *req);
void api_orders_create(struct http_req *req);
void api_orders_list(struct http_req *req);
void api_orders_get(struct http_req *req);
void api_orders_events(struct http_req *req);
void api_orders_action(struct http_req *req);
void api_reference(struct http_req *req);
void api_departments(struct http_req *req);
void api_categories(struct http_req *req);
void api_policies_get(struct http_req *req);
void api_policies_put(struct http_req *req);
void api_openapi(struct http_req *req);

#endif
