#include "directory/policies.h"

#include "directory/directory_private.h"

static const char list_sql[] =
	"SELECT coalesce(json_agg(json_build_object('request_type', p.request_type,"
	" 'request_type_name', t.name, 'urgency', p.urgency, 'urgency_name', u.name,"
	" 'sign_limit', p.sign_limit, 'sign_unit', p.sign_unit, 'handle_limit', p.handle_limit,"
	" 'handle_unit', p.handle_unit, 'warn_fraction', p.warn_fraction, 'updated_at', iso(p.updated_at))"
	" ORDER BY t.sort, u.sort), '[]')::text"
	" FROM deadline_policy p JOIN request_type t ON t.code = p.request_type"
	" JOIN urgency u ON u.code = p.urgency";

char *policies_list_json(struct db *db, struct err *e)
{
	return dir_query_text(db, list_sql, e);
}

static const char rows_sql[] =
	"SELECT coalesce(json_agg(json_build_object('request_type', p.request_type,"
	" 'type_name', t.name, 'urgency', p.urgency, 'urgency_name', u.name,"
	" 'sign_limit', p.sign_limit, 'sign_unit', p.sign_unit, 'handle_limit', p.handle_limit,"
	" 'handle_unit', p.handle_unit, 'warn_pct', round(p.warn_fraction * 100)::int,"
	" 'updated_at', iso(p.updated_at))"
	" ORDER BY t.sort, u.sort), '[]')::text"
	" FROM deadline_policy p JOIN request_type t ON t.code = p.request_type"
	" JOIN urgency u ON u.code = p.urgency";

json_object *policies_rows(struct db *db, struct err *e)
{
	return dir_query_json(db, rows_sql, e);
}
