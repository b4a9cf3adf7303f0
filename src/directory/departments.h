/*
 * departments: the unit tree (承办单位) — city departments, districts,
 * streets and their sub-units — as the API, the administration pages and
 * the CSV import see it. Each department has a code, a kind and a parent;
 * its path ("/3/17/") is kept by the import, and a department user sees
 * the orders of their path's subtree.
 */
#ifndef HOTLINE_DIRECTORY_DEPARTMENTS_H
#define HOTLINE_DIRECTORY_DEPARTMENTS_H

#include <json-c/json.h>
#include <stddef.h>

#include "core/err.h"
#include "db/db.h"

/*
 * Every department, by path, as JSON text: an array of {"code", "name",
 * "kind", "parent" (code or null), "active", "contact", "phone"}. A new
 * string (caller frees), or NULL with `e` on a database failure.
 */
char *departments_list_json(struct db *db, struct err *e);

/*
 * Every department in tree order (each after its parent), as a new array
 * (caller puts) of {"code", "name", "kind", "parent", "active", "contact",
 * "phone", "depth" (1 for the top, at most 6), "users" (active users)}, or
 * NULL with `e`.
 */
json_object *departments_tree(struct db *db, struct err *e);

/*
 * Imports departments from CSV text (`len` bytes; `file` names it in the
 * messages) with the header code,name,kind,parent[,contact,phone,active],
 * in one transaction: a known code is updated, a new one added; parents
 * must come before their children. Returns the number of rows, or -1 with
 * `e` naming the file, the line and the field (422; 400 for a malformed
 * file) and nothing stored.
 */
long departments_import_csv(struct db *db, const char *file, const char *text, size_t len,
			    struct err *e);

#endif
