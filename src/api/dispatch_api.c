/*
 * Dispatch intelligence over HTTP: suggestions and duplicate candidates
 * for agents, the callers of merged orders, the suggestion record, and the
 * routing rules administrators manage. Exports its own route table.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "api/api.h"
#include "core/array.h"
#include "core/jsonutil.h"
#include "dispatch/dispatch.h"

static void suggest(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body;
	struct db *db;

	if (!(body = api_body_or_reply(req)))
		return;
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, dispatch_suggest(db, auth_who(req), body, &e), &e);
	json_object_put(body);
}

static void duplicates(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, dispatch_duplicates(db, auth_who(req), http_param(req, "number"), &e), &e);
}

static void callers(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, dispatch_callers(db, auth_who(req), http_param(req, "number"), &e), &e);
}

static void suggestion_records(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, dispatch_suggestion_records(db, auth_who(req), http_param(req, "number"), &e),
			  &e);
}

/* ------------------------------------------------------------ rules */

/* The {id} of the path, or false after replying 404. */
static bool rule_id_or_reply(struct http_req *req, int64_t *id)
{
	const char *s = http_param(req, "id");
	char *end;

	*id = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || *id <= 0) {
		http_reply_error(req, 404, ERR_NOT_FOUND, "no routing rule \"%s\"", s ? s : "");
		return false;
	}
	return true;
}

static void rules_list(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, dispatch_rules_list(db, &e), &e);
}

static void rule_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db;
	int64_t id;

	if (rule_id_or_reply(req, &id) && (db = api_db_or_reply(req)))
		api_reply(req, 200, dispatch_rule_get(db, id, &e), &e);
}

static void rule_create(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body, *rule;
	struct db *db;

	if (!(body = api_body_or_reply(req)))
		return;
	if (!(db = api_db_or_reply(req))) {
		json_object_put(body);
		return;
	}
	rule = dispatch_rule_create(db, body, &e);
	json_object_put(body);
	if (rule) {
		char *location = xasprintf("/api/v1/routing-rules/%" PRId64, json_int(rule, "id", 0));
		http_set_header(req, "Location", location);
		free(location);
	}
	api_reply(req, 201, rule, &e);
}

static void rule_update(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body;
	struct db *db;
	int64_t id;

	if (!rule_id_or_reply(req, &id) || !(body = api_body_or_reply(req)))
		return;
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, dispatch_rule_update(db, id, body, &e), &e);
	json_object_put(body);
}

static void rule_delete(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db;
	int64_t id;

	if (!rule_id_or_reply(req, &id) || !(db = api_db_or_reply(req)))
		return;
	if (dispatch_rule_delete(db, id, &e))
		http_reply(req, 204, "application/json", "", 0);
	else
		http_reply_problem(req, &e);
}

#define CENTRE ROLES_CENTRE
#define STAFF (ROLES_CENTRE | ROLE_BIT(ROLE_SUPERVISOR) | ROLE_BIT(ROLE_ADMIN))
#define ADMIN ROLE_BIT(ROLE_ADMIN)

const struct http_route dispatch_routes[] = {
	{ "POST", "/api/v1/orders/suggest", suggest, CENTRE },
	{ "GET", "/api/v1/orders/{number}/duplicates", duplicates, STAFF },
	{ "GET", "/api/v1/orders/{number}/callers", callers, ACCESS_ANY_USER },
	{ "GET", "/api/v1/orders/{number}/suggestions", suggestion_records, STAFF },
	{ "GET", "/api/v1/routing-rules", rules_list, STAFF },
	{ "POST", "/api/v1/routing-rules", rule_create, ADMIN },
	{ "GET", "/api/v1/routing-rules/{id}", rule_get, STAFF },
	{ "PUT", "/api/v1/routing-rules/{id}", rule_update, ADMIN },
	{ "DELETE", "/api/v1/routing-rules/{id}", rule_delete, ADMIN },
};
const size_t dispatch_routes_count = ARRAY_SIZE(dispatch_routes);
