/* Reference data: request types, urgencies, channels, states, departments,
 * categories, and the deadline policies an administrator can change. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/jsonutil.h"
#include "orders/deadline.h"

/* Replies with the single text column of a query that builds JSON itself. */
static void reply_sql_json(struct http_req *req, const char *sql, int nparams,
			   const char *const *params)
{
	struct err e = ERR_INIT;
	struct db *db = api_db_or_reply(req);
	struct db_res *r;

	if (!db)
		return;
	r = db_exec(db, sql, nparams, params, &e);
	if (!r) {
		http_reply_problem(req, &e);
		return;
	}
	const char *json = db_res_get(r, 0, 0);
	http_reply(req, 200, "application/json; charset=utf-8", json, strlen(json));
	db_res_free(r);
}

static const char reference_sql[] =
	"SELECT json_build_object("
	" 'request_types', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM request_type),"
	" 'urgencies', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM urgency),"
	" 'channels', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM channel))::text";

void api_reference(struct http_req *req)
{
	reply_sql_json(req, reference_sql, 0, NULL);
}

void api_departments(struct http_req *req)
{
	reply_sql_json(req,
		"SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name, 'kind', d.kind,"
		" 'parent', p.code, 'active', d.active, 'contact', d.contact, 'phone', d.phone)"
		" ORDER BY d.path), '[]')::text FROM department d LEFT JOIN department p ON p.id = d.parent_id",
		0, NULL);
}

void api_categories(struct http_req *req)
{
	reply_sql_json(req,
		"SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'parent', parent_code,"
		" 'active', active) ORDER BY code), '[]')::text FROM category", 0, NULL);
}

void api_policies_get(struct http_req *req)
{
	reply_sql_json(req,
		"SELECT coalesce(json_agg(json_build_object('request_type', p.request_type,"
		" 'request_type_name', t.name, 'urgency', p.urgency, 'urgency_name', u.name,"
		" 'sign_limit', p.sign_limit, 'sign_unit', p.sign_unit, 'handle_limit', p.handle_limit,"
		" 'handle_unit', p.handle_unit, 'warn_fraction', p.warn_fraction, 'updated_at', iso(p.updated_at))"
		" ORDER BY t.sort, u.sort), '[]')::text"
		" FROM deadline_policy p JOIN request_type t ON t.code = p.request_type"
		" JOIN urgency u ON u.code = p.urgency", 0, NULL);
}

void api_policies_put(struct http_req *req)
{
	struct err e = ERR_INIT;
	json_object *body = api_body_or_reply(req);
	struct db *db;

	if (!body)
		return;
	if ((db = api_db_or_reply(req))) {
		if (deadline_policy_set(db, body, &e))
			api_policies_get(req);
		else
			http_reply_problem(req, &e);
	}
	json_object_put(body);
}
