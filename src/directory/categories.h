/*
 * categories: the tree of request categories (诉求分类, up to six levels,
 * "城乡建设 › 市政设施 › 路灯"), as the API, the administration pages and
 * the CSV import see it.
 */
#ifndef HOTLINE_DIRECTORY_CATEGORIES_H
#define HOTLINE_DIRECTORY_CATEGORIES_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/err.h"
#include "db/db.h"

/*
 * Every category, by code, as JSON text: an array of {"code", "name",
 * "parent" (code or null), "active"}. A new string (caller frees), or NULL
 * with `e` on a database failure.
 */
char *categories_list_json(struct db *db, struct err *e);

/*
 * The categories in tree order (each after its parent, siblings by code),
 * as a new array (caller puts) of {"code", "name", "parent", "active",
 * "depth" (1 for the top)}, or NULL with `e`.
 */
json_object *categories_tree(struct db *db, struct err *e);

/*
 * Imports categories from CSV text (`len` bytes; `file` names it in the
 * messages) with the header code,name,parent, in one transaction: a known
 * code is updated, a new one added; parents must come before their
 * children. Returns the number of rows, or -1 with `e` naming the file,
 * the line and the field (422; 400 for a malformed file) and nothing
 * stored.
 */
long categories_import_csv(struct db *db, const char *file, const char *text, size_t len,
			   struct err *e);

#endif
