/*
 * reference: the small vocabularies stored in the database (request
 * types, urgencies, channels) and, for the forms, everything a form
 * offers to choose from in one query.
 */
#ifndef HOTLINE_DIRECTORY_REFERENCE_H
#define HOTLINE_DIRECTORY_REFERENCE_H

#include <json-c/json.h>

#include "core/err.h"
#include "db/db.h"

/*
 * The vocabularies as JSON text: {"request_types", "urgencies",
 * "channels"}, each an array of {"code", "name"} in display order. A new
 * string (caller frees), or NULL with `e` on a database failure.
 */
char *reference_vocabulary_json(struct db *db, struct err *e);

/*
 * What the forms choose from, in one query: {"request_types", "urgencies",
 * "channels" (code, name), "categories" (active ones: code, name as the full path
 * "城乡建设 › 市政设施 › 路灯", depth), "departments" (active ones: code,
 * name, kind, parent, path, label: "parent › name" below the top)}. A new
 * object (caller puts), or NULL with `e`.
 */
json_object *reference_choices(struct db *db, struct err *e);

#endif
