#include "directory/categories.h"

#include "core/array.h"
#include "directory/directory_private.h"

static const char list_sql[] =
	"SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'parent', parent_code,"
	" 'active', active) ORDER BY code), '[]')::text FROM category";

char *categories_list_json(struct db *db, struct err *e)
{
	return dir_query_text(db, list_sql, e);
}

static const char tree_sql[] =
	"WITH RECURSIVE t AS ("
	" SELECT code, name, parent_code, active, 1 AS depth, ARRAY[code] AS sortkey FROM category"
	"  WHERE parent_code IS NULL"
	" UNION ALL SELECT c.code, c.name, c.parent_code, c.active, t.depth + 1, t.sortkey || c.code"
	"  FROM category c JOIN t ON c.parent_code = t.code WHERE t.depth < 6)"
	" SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'parent', parent_code,"
	" 'active', active, 'depth', depth) ORDER BY sortkey), '[]')::text FROM t";

json_object *categories_tree(struct db *db, struct err *e)
{
	return dir_query_json(db, tree_sql, e);
}

static bool category_row(struct db *db, const struct csv_row *row, const int *pos, struct err *e)
{
	const char *code = dir_cell(row, pos[0]), *name = dir_cell(row, pos[1]), *parent = dir_cell(row, pos[2]);
	struct db_res *r;

	if (!code)
		return err_field(e, 422, "code", ERR_REQUIRED, "field \"code\" is empty");
	if (!name)
		return err_field(e, 422, "name", ERR_REQUIRED, "field \"name\" is empty");
	r = DB_EXEC(db, e,
		    "INSERT INTO category (code, name, parent_code)"
		    " SELECT $1, $2, p.code FROM (SELECT 1) one LEFT JOIN category p ON p.code = $3"
		    " WHERE $3 IS NULL OR p.code IS NOT NULL"
		    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code"
		    " RETURNING code",
		    code, name, parent);
	if (!r) {
		if (e->code == ERR_CONSTRAINT)
			err_field(e, 422, "code", ERR_BAD_CODE, "field \"code\": invalid code \"%s\" (2 to 12 letters or digits)", code);
		return false;
	}
	bool ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "parent", ERR_UNKNOWN_PARENT, "field \"parent\": unknown category \"%s\" (list parents before their children)",
				 parent);
	return true;
}

static const char *const cols[] = { "code", "name", "parent" };

static const struct dir_csv layout = { cols, ARRAY_SIZE(cols), 2, category_row, NULL };

long categories_import_csv(struct db *db, const char *file, const char *text, size_t len,
			   struct err *e)
{
	return dir_import_csv(db, &layout, file, text, len, e);
}
