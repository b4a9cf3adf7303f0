/*
 * The orders hook of the dispatch module: the suggestion record on
 * dispatch, the extra callers on merge. Runs inside the action's
 * transaction; a failed statement there refuses the action, so the SQL is
 * kept plain and the rules are only read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "core/log.h"
#include "dispatch/dispatch.h"
#include "dispatch/dispatch_private.h"

/* What was suggested to the agent for an order. */
struct suggestion {
	char rule_id[24];		/* "" = none */
	char *rule_name;
	char *department;		/* NULL = the rules had no department */
	const char *source;		/* "agent" or "rules" */
};

static void suggestion_release(struct suggestion *s)
{
	free(s->rule_name);
	free(s->department);
}

/* The suggestion the client reports having shown; false only on a db error. */
static bool from_client(struct db *db, const struct order_change *c, struct suggestion *s,
		      bool *found, struct err *e)
{
	const char *dept = c->params->dispatch.suggested_department;
	int64_t rule = c->params->dispatch.suggestion_rule;
	struct db_res *r;

	*found = false;
	if (!rule && !(dept && *dept))
		return true;
	*found = true;
	s->source = "agent";
	if (dept && *dept)
		s->department = xstrdup(dept);
	if (!rule)
		return true;
	snprintf(s->rule_id, sizeof(s->rule_id), "%" PRId64, rule);
	r = DB_EXEC(db, e, "SELECT name, suggest_department FROM routing_rule WHERE id = $1", s->rule_id);
	if (!r)
		return false;
	if (db_res_rows(r) == 1) {
		s->rule_name = xstrdup(db_res_str(r, 0, "name"));
		if (!s->department && *db_res_str(r, 0, "suggest_department"))
			s->department = xstrdup(db_res_str(r, 0, "suggest_department"));
	}
	db_res_free(r);
	return true;
}

/* The first suggestion of the rules that names a department. */
static bool from_rules(struct db *db, const struct order_change *c, struct suggestion *s,
		       bool *found, struct err *e)
{
	struct rule_match m[DISPATCH_MAX_SUGGESTIONS];
	struct err ignored = ERR_INIT;
	struct rule_set *set;
	struct db_res *r;
	char *content, *address;
	ssize_t n;

	*found = false;
	r = DB_EXEC(db, e,
		    "SELECT o.content, o.address, o.category_code, dd.code AS district, sd.code AS street"
		    " FROM work_order o LEFT JOIN department dd ON dd.id = o.district_id"
		    " LEFT JOIN department sd ON sd.id = o.street_id WHERE o.id = $1",
		    c->order_id);
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return true;
	}
	content = rule_normalise_dup(db_res_str(r, 0, "content"));
	address = rule_normalise_dup(db_res_str(r, 0, "address"));
	struct rule_input in = {
		.content = content, .address = address,
		.category = *db_res_str(r, 0, "category_code") ? db_res_str(r, 0, "category_code") : NULL,
		.district = *db_res_str(r, 0, "district") ? db_res_str(r, 0, "district") : NULL,
		.street = *db_res_str(r, 0, "street") ? db_res_str(r, 0, "street") : NULL,
	};
	set = dispatch_rules_current(db, NULL);
	n = rule_set_match(set, &in, m, DISPATCH_MAX_SUGGESTIONS, NULL, &ignored);
	for (ssize_t i = 0; i < n; i++) {
		if (!m[i].suggest_department)
			continue;
		*found = true;
		s->source = "rules";
		snprintf(s->rule_id, sizeof(s->rule_id), "%" PRId64, m[i].rule_id);
		s->rule_name = xstrdup(m[i].name);
		s->department = xstrdup(m[i].suggest_department);
		break;
	}
	rule_set_unref(set);
	free(content);
	free(address);
	db_res_free(r);
	return true;
}

static bool record_suggestion(struct db *db, const struct order_change *c, struct err *e)
{
	const char *chosen = c->params->dispatch.department;	/* dispatch, approve_return */
	struct suggestion s = { .source = "agent" };
	char actor[16];
	bool found, ok;

	if (!chosen)
		return true;
	ok = from_client(db, c, &s, &found, e);
	if (ok && !found)
		ok = from_rules(db, c, &s, &found, e);
	if (ok && found) {
		snprintf(actor, sizeof(actor), "%d", c->who->user_id);
		ok = DB_RUN(db, e,
			    "INSERT INTO dispatch_suggestion (order_id, rule_id, rule_name,"
			    " suggested_department, chosen_department, accepted, source, actor_id)"
			    " VALUES ($1, $2::bigint, $3, $4, $5, $6::boolean, $7, $8::integer)",
			    c->order_id, s.rule_id[0] ? s.rule_id : NULL, s.rule_name ? s.rule_name : "",
			    s.department, chosen, s.department && !strcmp(s.department, chosen) ? "true" : "false",
			    s.source, c->who->user_id ? actor : NULL);
	}
	suggestion_release(&s);
	return ok;
}

/* The merged order's caller, and the callers it had gathered, go to the master. */
static bool move_callers(struct db *db, const struct order_change *c, struct err *e)
{
	const char *into = c->params->merge.into;

	if (!into)
		return true;
	return DB_RUN(db, e,
		      "INSERT INTO order_extra_caller (order_id, merged_order_id, name, phone, confidential)"
		      " SELECT m.id, o.id, o.caller_name, o.caller_phone, o.confidential"
		      " FROM work_order o, work_order m"
		      " WHERE o.id = $1 AND m.number = $2 AND (o.caller_name <> '' OR o.caller_phone <> '')"
		      " ON CONFLICT (order_id, merged_order_id) DO NOTHING",
		      c->order_id, into)
	       && DB_RUN(db, e,
			 "INSERT INTO order_extra_caller (order_id, merged_order_id, name, phone, confidential, at)"
			 " SELECT m.id, x.merged_order_id, x.name, x.phone, x.confidential, x.at"
			 " FROM order_extra_caller x, work_order m"
			 " WHERE x.order_id = $1 AND m.number = $2 AND x.merged_order_id <> m.id"
			 " ON CONFLICT (order_id, merged_order_id) DO NOTHING",
			 c->order_id, into);
}

bool dispatch_on_change(struct db *db, const struct order_change *change, struct err *e)
{
	switch (change->action) {
	case ACT_DISPATCH:
		return record_suggestion(db, change, e);
	case ACT_MERGE:
		return move_callers(db, change, e);
	default:
		return true;
	}
}
