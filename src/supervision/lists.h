/*
 * lists: the supervisor's working lists — orders overdue or about to be
 * (督办), and the extension and return requests waiting for a decision.
 * A department user sees only orders whose lead unit is its department or
 * below it.
 */
#ifndef HOTLINE_SUPERVISION_LISTS_H
#define HOTLINE_SUPERVISION_LISTS_H

#include <json-c/json.h>

#include "auth/auth.h"
#include "core/err.h"
#include "db/db.h"

#define OVERDUE_PER_DEPARTMENT_DEFAULT 50
#define OVERDUE_PER_DEPARTMENT_MAX 500
#define DECISIONS_DEFAULT 100
#define DECISIONS_MAX 500

/*
 * Open orders whose handling clock runs (dispatched, in progress, return or
 * extension requested; a suspended clock does not run) and is past its
 * deadline (red) or past the warning share of it (yellow), as of now —
 * not waiting for the sweeper. Grouped by lead unit, most red first:
 * {"total": {"red", "yellow"}, "departments": [{"code", "name", "red",
 * "yellow", "orders": [… at most `limit`, latest deadline last]}]}.
 * `department` (a code; NULL for all) keeps that unit and those below it;
 * 422 naming "department" if there is no such unit. A new reference, or
 * NULL with `e`.
 */
json_object *supervision_overdue(struct db *db, const struct principal *who,
				 const char *department, int limit, struct err *e);

/*
 * Orders waiting for a decision — status extension_requested (延期待审, for
 * a supervisor) or return_requested (退单待审, for a reviewer) — oldest
 * request first: {"counts": {"extension", "return"}, "items": […]}.
 * `kind` is "extension", "return" or NULL for both (400 otherwise).
 */
json_object *supervision_pending_decisions(struct db *db, const struct principal *who,
					   const char *kind, const char *department, int limit,
					   struct err *e);

#endif
