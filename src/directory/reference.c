#include "directory/reference.h"

#include "directory/directory_private.h"

static const char vocabulary_sql[] =
	"SELECT json_build_object("
	" 'request_types', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM request_type),"
	" 'urgencies', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM urgency),"
	" 'channels', (SELECT json_agg(json_build_object('code', code, 'name', name) ORDER BY sort) FROM channel))::text";

char *reference_vocabulary_json(struct db *db, struct err *e)
{
	return dir_query_text(db, vocabulary_sql, e);
}

static const char choices_sql[] =
	"SELECT json_build_object("
	" 'request_types', (SELECT coalesce(json_agg(json_build_object('code', code, 'name', name)"
	"   ORDER BY sort), '[]') FROM request_type),"
	" 'urgencies', (SELECT coalesce(json_agg(json_build_object('code', code, 'name', name)"
	"   ORDER BY sort), '[]') FROM urgency),"
	" 'channels', (SELECT coalesce(json_agg(json_build_object('code', code, 'name', name)"
	"   ORDER BY sort), '[]') FROM channel),"
	" 'categories', (WITH RECURSIVE t AS ("
	"   SELECT code, name::text AS label, 1 AS depth FROM category"
	"    WHERE parent_code IS NULL AND active"
	"   UNION ALL SELECT c.code, t.label || ' › ' || c.name, t.depth + 1"
	"    FROM category c JOIN t ON c.parent_code = t.code WHERE c.active AND t.depth < 6)"
	"  SELECT coalesce(json_agg(json_build_object('code', code, 'name', label, 'depth', depth)"
	"   ORDER BY code), '[]') FROM t),"
	" 'departments', (SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name,"
	"   'kind', d.kind, 'parent', p.code, 'path', d.path,"
	"   'label', CASE WHEN p.code IS NULL THEN d.name ELSE p.name || ' › ' || d.name END)"
	"   ORDER BY CASE d.kind WHEN 'district' THEN 2 WHEN 'street' THEN 3 ELSE 1 END,"
	"   string_to_array(trim(both '/' from d.path), '/')::int[]), '[]')"
	"  FROM department d LEFT JOIN department p ON p.id = d.parent_id WHERE d.active)"
	")::text";

json_object *reference_choices(struct db *db, struct err *e)
{
	json_object *out = dir_query_json(db, choices_sql, e);

	if (out && !json_object_is_type(out, json_type_object)) {
		json_object_put(out);
		return err_set(e, 500, ERR_INTERNAL, "the reference query returned no object"), NULL;
	}
	return out;
}
