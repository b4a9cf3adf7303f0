/*
 * policies: the deadline policies (办理时限), one per request type and
 * urgency: the sign-for and handling limits, each in hours or working days,
 * and the share of the time after which the light turns yellow. They are
 * read here for the API and the administration page; a change goes through
 * deadline_policy_set() (orders/deadline.h), which validates it.
 */
#ifndef HOTLINE_DIRECTORY_POLICIES_H
#define HOTLINE_DIRECTORY_POLICIES_H

#include <json-c/json.h>

#include "core/err.h"
#include "db/db.h"

/*
 * Every policy as JSON text, by request type and urgency in display order:
 * an array of {"request_type", "request_type_name", "urgency",
 * "urgency_name", "sign_limit", "sign_unit", "handle_limit",
 * "handle_unit", "warn_fraction", "updated_at" (ISO 8601)}. A new string
 * (caller frees), or NULL with `e` on a database failure.
 */
char *policies_list_json(struct db *db, struct err *e);

/*
 * Every policy as the administration page shows it, in the same order: a
 * new array (caller puts) of {"request_type", "type_name", "urgency",
 * "urgency_name", "sign_limit", "sign_unit", "handle_limit",
 * "handle_unit", "warn_pct" (the warning share as a whole percentage),
 * "updated_at"}, or NULL with `e`.
 */
json_object *policies_rows(struct db *db, struct err *e);

#endif
