/* Reference data: request types, urgencies, channels, states, departments,
 * categories, and the deadline policies an administrator can change. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "directory/categories.h"
#include "directory/departments.h"
#include "directory/policies.h"
#include "directory/reference.h"
#include "orders/deadline.h"

/* Replies with JSON text built by the directory (`json` owned; NULL: the problem in `e`). */
static void reply_text(struct http_req *req, char *json, const struct err *e)
{
	if (!json) {
		http_reply_problem(req, e);
		return;
	}
	http_reply(req, 200, "application/json; charset=utf-8", json, strlen(json));
	free(json);
}

void api_reference(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		reply_text(req, reference_vocabulary_json(db, &e), &e);
}

void api_departments(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		reply_text(req, departments_list_json(db, &e), &e);
}

void api_categories(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		reply_text(req, categories_list_json(db, &e), &e);
}

void api_policies_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);

	if (db)
		reply_text(req, policies_list_json(db, &e), &e);
}

void api_policies_put(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body;
	struct db *db;

	if (!api_input_or_reply(req, &body, &db))
		return;
	if (deadline_policy_set(db, body, &e))
		api_policies_get(req);
	else
		http_reply_problem(req, &e);
	json_object_put(body);
}
