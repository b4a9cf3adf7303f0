/*
 * The 110 bridge over HTTP: the two endpoints 110 calls (public in the
 * route table: they check the HMAC signature themselves, before reading
 * the body) and the bridge's view of an order. Exports its own route table.
 */
#include <stdlib.h>
#include <strings.h>

#include "api/api.h"
#include "core/array.h"
#include "core/jsonutil.h"
#include "police/police.h"

/*
 * Checks the signature of the request; false after replying. A request
 * refused for its Content-Type is refused before the signature is looked
 * at, so that its signature is not spent: the same bytes sent again with
 * the right header are processed (docs/police.md, §1).
 */
static bool authentic_or_reply(struct http_req *req, struct db *db)
{
	struct err e = ERR_INIT;
	size_t len;
	const char *body = http_body(req, &len);
	const char *ctype = http_header(req, "Content-Type");

	if (ctype && strncasecmp(ctype, "application/json", 16)) {
		http_reply_error(req, 415, ERR_UNSUPPORTED_MEDIA_TYPE,
				 "expected Content-Type application/json, got \"%s\"", ctype);
		return false;
	}
	if (police_authenticate(db, http_header(req, "X-Hotline-Timestamp"),
				http_header(req, "X-Hotline-Signature"), body, len, &e))
		return true;
	http_reply_problem(req, &e);
	return false;
}

static void transfers(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body, *order;
	struct db *db;
	bool created = false;

	if (!(db = api_db_or_reply(req)) || !authentic_or_reply(req, db) || !(body = api_body_or_reply(req)))
		return;
	order = police_receive_transfer(db, body, &created, &e);
	json_object_put(body);
	if (order && created) {
		char *location = xasprintf("/api/v1/orders/%s", json_str(order, "order_number"));
		http_set_header(req, "Location", location);
		free(location);
	}
	api_reply(req, created ? 201 : 200, order, &e);
}

static void feedback(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body, *out;
	struct db *db;
	bool created = false;

	if (!(db = api_db_or_reply(req)) || !authentic_or_reply(req, db) || !(body = api_body_or_reply(req)))
		return;
	out = police_receive_feedback(db, body, http_header(req, "Idempotency-Key"), &created, &e);
	json_object_put(body);
	api_reply(req, created ? 201 : 200, out, &e);
}

static void order_status(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, police_order_status(db, auth_who(req), http_param(req, "number"), &e), &e);
}

const struct http_route police_routes[] = {
	{ "POST", "/api/v1/police/transfers", transfers, 0 },
	{ "POST", "/api/v1/police/feedback", feedback, 0 },
	{ "GET", "/api/v1/orders/{number}/police", order_status, ACCESS_ANY_USER },
};
const size_t police_routes_count = ARRAY_SIZE(police_routes);
