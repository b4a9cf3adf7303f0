/* /api/v1/orders: register, read, list, the event record and every action. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/jsonutil.h"
#include "core/num.h"
#include "core/timeutil.h"
#include "orders/orders.h"

void api_orders_create(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body, *order;
	struct db *db;
	bool created;

	if (!api_input_or_reply(req, &body, &db))
		return;
	struct param_source src = params_from_json(body);
	order = orders_create_input(db, auth_who(req), &src, http_header(req, "Idempotency-Key"), &created, &e);
	json_object_put(body);
	if (order && created) {
		char *location = xasprintf("/api/v1/orders/%s", json_str(order, "number"));
		http_set_header(req, "Location", location);
		free(location);
	}
	api_reply(req, created ? 201 : 200, order, &e);
}

void api_orders_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, orders_get(db, auth_who(req), http_param(req, "number"), &e), &e);
}

void api_orders_events(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		api_reply(req, 200, orders_events(db, auth_who(req), http_param(req, "number"), &e), &e);
}

/* A yes of a query string: "true" or "1". */
static bool query_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

void api_orders_list(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct order_filter f = { 0 };
	const char *overdue = http_query(req, "overdue");
	const char *limit = http_query(req, "limit");
	const char *cursor = http_query(req, "cursor");
	struct db *db;

	const char *order = http_query(req, "order");

	f.number = api_query(req, "number");
	f.status = api_query(req, "status");
	f.department = api_query(req, "department");
	f.request_type = api_query(req, "request_type");
	f.category = api_query(req, "category");
	f.district = api_query(req, "district");
	f.urgency = api_query(req, "urgency");
	f.channel = api_query(req, "channel");
	f.caller_phone = api_query(req, "caller_phone");
	f.text = api_query(req, "q");
	f.light = api_query(req, "light");
	f.overdue = query_true(overdue);
	f.reopened = query_true(http_query(req, "reopened"));
	f.pressed = query_true(http_query(req, "pressed"));
	f.chased = query_true(http_query(req, "chased"));
	if (query_true(http_query(req, "police")))
		f.channel = "police";
	if (order && strcmp(order, "newest") && strcmp(order, "oldest")) {
		http_reply_error(req, 400, ERR_UNKNOWN_CHOICE, "order \"%s\" must be newest or oldest", order);
		return;
	}
	f.oldest_first = order && !strcmp(order, "oldest");
	if (!api_query_time(req, "created_from", &f.created_from, &e)
	    || !api_query_time(req, "created_to", &f.created_to, &e)) {
		http_reply_problem(req, &e);
		return;
	}
	if (limit) {
		long long n;
		if (!num_parse_ll(limit, 1, ORDER_LIST_MAX, &n)) {
			http_reply_error(req, 400, ERR_OUT_OF_RANGE, "limit \"%s\" must be 1 to %d", limit,
					 ORDER_LIST_MAX);
			return;
		}
		f.limit = (int)n;
	}
	if (cursor) {
		long long n;
		if (!num_parse_ll(cursor, 1, INT64_MAX, &n)) {
			http_reply_error(req, 400, ERR_BAD_CURSOR, "invalid cursor \"%s\"", cursor);
			return;
		}
		f.after = n;
	}
	if ((db = api_db_or_reply(req)))
		api_reply(req, 200, orders_list(db, auth_who(req), &f, &e), &e);
}

void api_orders_action(struct http_req *req)
{
	struct err e = ERR_INIT;
	const char *name = http_param(req, "action");
	int action = action_parse(name);
	json_object *body = NULL, *order;
	size_t len;
	struct db *db;

	if (action < 0 || action == ACT_REGISTER) {
		http_reply_error(req, 404, ERR_UNKNOWN_ACTION, "unknown action \"%s\"", name);
		return;
	}
	http_body(req, &len);
	if (len && !(body = api_body_or_reply(req)))
		return;
	if (!(db = api_db_or_reply(req))) {
		json_object_put(body);
		return;
	}
	struct param_source src = params_from_json(body);
	order = orders_act_input(db, auth_who(req), http_param(req, "number"), (enum order_action)action, &src, &e);
	json_object_put(body);
	api_reply(req, 200, order, &e);
}
