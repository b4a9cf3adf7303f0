#include "directory/departments.h"

#include <string.h>

#include "core/array.h"
#include "directory/directory_private.h"

static const char list_sql[] =
	"SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name, 'kind', d.kind,"
	" 'parent', p.code, 'active', d.active, 'contact', d.contact, 'phone', d.phone)"
	" ORDER BY d.path), '[]')::text FROM department d LEFT JOIN department p ON p.id = d.parent_id";

char *departments_list_json(struct db *db, struct err *e)
{
	return dir_query_text(db, list_sql, e);
}

static const char tree_sql[] =
	"SELECT coalesce(json_agg(json_build_object('code', d.code, 'name', d.name, 'kind', d.kind,"
	" 'parent', p.code, 'active', d.active, 'contact', d.contact, 'phone', d.phone,"
	" 'depth', least(coalesce(array_length(string_to_array(trim(both '/' from d.path), '/'), 1), 1), 6),"
	" 'users', (SELECT count(*) FROM app_user u WHERE u.department_id = d.id AND u.active))"
	" ORDER BY string_to_array(nullif(trim(both '/' from d.path), ''), '/')::int[], d.code), '[]')::text"
	" FROM department d LEFT JOIN department p ON p.id = d.parent_id";

json_object *departments_tree(struct db *db, struct err *e)
{
	return dir_query_json(db, tree_sql, e);
}

static bool department_row(struct db *db, const struct csv_row *row, const int *pos, struct err *e)
{
	static const char *const kinds[] = { "city", "district", "street", "unit" };
	const char *code = dir_cell(row, pos[0]), *name = dir_cell(row, pos[1]), *kind = dir_cell(row, pos[2]);
	const char *parent = dir_cell(row, pos[3]), *active = dir_cell(row, pos[6]);
	bool kind_ok = false;
	struct db_res *r;

	if (!code)
		return err_field(e, 422, "code", ERR_REQUIRED, "field \"code\" is empty");
	if (!name)
		return err_field(e, 422, "name", ERR_REQUIRED, "field \"name\" is empty");
	for (size_t i = 0; kind && i < ARRAY_SIZE(kinds); i++)
		kind_ok |= !strcmp(kind, kinds[i]);
	if (!kind_ok)
		return err_field(e, 422, "kind", ERR_UNKNOWN_CHOICE, "field \"kind\": unknown kind \"%s\": expected city, district, street or unit",
				 kind ? kind : "");
	if (active && strcmp(active, "true") && strcmp(active, "false"))
		return err_field(e, 422, "active", ERR_NOT_BOOLEAN, "field \"active\": \"%s\" is not true or false", active);
	r = DB_EXEC(db, e,
		    "INSERT INTO department (code, name, kind, parent_id, contact, phone, active)"
		    " SELECT $1, $2, $3, p.id, coalesce($5, ''), coalesce($6, ''), coalesce($7::boolean, true)"
		    " FROM (SELECT 1) one LEFT JOIN department p ON p.code = $4"
		    " WHERE $4 IS NULL OR p.id IS NOT NULL"
		    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
		    " parent_id = EXCLUDED.parent_id, contact = EXCLUDED.contact, phone = EXCLUDED.phone,"
		    " active = EXCLUDED.active RETURNING id",
		    code, name, kind, parent, dir_cell(row, pos[4]), dir_cell(row, pos[5]), active);
	if (!r) {
		if (e->code == ERR_CONSTRAINT)
			err_field(e, 422, "code", ERR_BAD_CODE, "field \"code\": invalid code \"%s\" (1 to 32 letters, digits, _ or -)", code);
		return false;
	}
	bool ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "parent", ERR_UNKNOWN_PARENT, "field \"parent\": unknown department \"%s\" (list parents before their children)",
				 parent);
	return true;
}

/* Every department's path from its parent's, after an import moved some. */
static const char recompute_paths_sql[] =
	"WITH RECURSIVE t AS ("
	" SELECT id, '/' || id || '/' AS path FROM department WHERE parent_id IS NULL"
	" UNION ALL SELECT d.id, t.path || d.id || '/' FROM department d JOIN t ON d.parent_id = t.id)"
	" UPDATE department d SET path = t.path FROM t WHERE d.id = t.id AND d.path <> t.path";

static const char *const cols[] = { "code", "name", "kind", "parent", "contact", "phone", "active" };

static const struct dir_csv layout = {
	cols, ARRAY_SIZE(cols), 3, department_row, recompute_paths_sql,
};

long departments_import_csv(struct db *db, const char *file, const char *text, size_t len,
			    struct err *e)
{
	return dir_import_csv(db, &layout, file, text, len, e);
}
