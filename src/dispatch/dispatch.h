/*
 * dispatch: dispatch intelligence (派单目录; docs/lifecycle.md, "Dispatch:
 * the catalogue and duplicates") — the routing
 * rules kept in the database, the compiled rule set every request shares,
 * suggestions for an agent, duplicate candidates (并单), the callers a
 * merge brings to the master order, and the record of whether the agent
 * followed the suggestion.
 *
 * The live rule set: the active rows of routing_rule are compiled once
 * (PCRE2 with JIT, bounded matching; see routing/rules.h) into one
 * rule_set shared by all threads. Every change to routing_rule bumps the
 * single row of routing_version (a trigger), so a process learns that its
 * set is stale with one cheap query, made at most once per
 * DISPATCH_RULES_CHECK_MS and immediately after a change made through this
 * module. Several server processes on one database therefore converge
 * within that interval without a restart. The swap is: build outside any
 * lock, then under a mutex replace the pointer; requests hold their own
 * reference (rule_set_ref/unref) for as long as they match.
 *
 * Every function returning json_object returns a new reference owned by
 * the caller, or NULL with `e` filled (statuses as in the API reference).
 */
#ifndef HOTLINE_DISPATCH_DISPATCH_H
#define HOTLINE_DISPATCH_DISPATCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "orders/orders.h"
#include "routing/rules.h"

/* How often a process asks the database whether the rules changed. */
#define DISPATCH_RULES_CHECK_MS 1000
/* Default window for duplicate candidates (HOTLINE_DUPLICATE_DAYS). */
#define DISPATCH_DUPLICATE_DAYS 30
/* At most this many suggestions and duplicate candidates are returned. */
#define DISPATCH_MAX_SUGGESTIONS 8
#define DISPATCH_MAX_DUPLICATES 10

/*
 * Reads HOTLINE_DUPLICATE_DAYS (1..365) and registers the change hook
 * (dispatch_on_change) with the orders module. Call once at start, before
 * threads run. Returns false with `e` (400, field naming the variable) on
 * a bad value.
 */
bool dispatch_init(struct err *e);
/* Drops the process's compiled rule set (at shutdown). */
void dispatch_shutdown(void);

/* ------------------------------------------------------------ the rules */

/*
 * The catalogue: {"version": n, "items": [rule, …]}, every rule (active
 * or not) by priority, highest first. A rule is the JSON of rules_io.h
 * plus "id", "active" and "updated_at".
 */
json_object *dispatch_rules_list(struct db *db, struct err *e);
/* One rule; 404 if there is no rule `id`. */
json_object *dispatch_rule_get(struct db *db, int64_t id, struct err *e);
/*
 * Stores a new rule from `body` (members as in rules_io.h, plus "active",
 * default true) and returns it. Refuses an invalid rule with 422 naming
 * the member; for a pattern PCRE2 cannot compile the message carries
 * PCRE2's reason and offset, and e's extra member "offset" the offset.
 */
json_object *dispatch_rule_create(struct db *db, json_object *body, struct err *e);
/* Replaces rule `id` with `body` (as create); 404 if there is none. */
json_object *dispatch_rule_update(struct db *db, int64_t id, json_object *body, struct err *e);
/* Deletes rule `id`; 404 if there is none. */
bool dispatch_rule_delete(struct db *db, int64_t id, struct err *e);

/*
 * Replaces the whole catalogue with the rules of the file at `path` (CSV
 * or JSON by extension, see rules_io.h), in one transaction: on any
 * error nothing changes. Returns the number of rules, or -1 with `e`
 * naming the line or index at fault.
 */
long dispatch_rules_import(struct db *db, const char *path, struct err *e);
/* Writes the active rules to `path` (CSV or JSON by extension). Returns
 * their number, or -1 with `e`. */
long dispatch_rules_export(struct db *db, const char *path, struct err *e);
/*
 * Demo set-up: imports the rules of `path` (src/routing/default_rules.json)
 * if the catalogue is empty. Returns the number loaded (0 when rules
 * already exist), or -1 with `e`.
 */
long dispatch_load_default_rules(struct db *db, const char *path, struct err *e);

/*
 * The process's current rule set, rebuilt first if the database holds a
 * newer version (checked at most every DISPATCH_RULES_CHECK_MS). Returns a
 * reference the caller drops with rule_set_unref(), and the version it was
 * built from in *version (may be NULL). Never NULL: with no database or
 * no rules it is an empty set. A version that fails to build is logged
 * and the previous set kept.
 */
struct rule_set *dispatch_rules_current(struct db *db, long long *version);
/* Makes the next dispatch_rules_current() consult the database. */
void dispatch_rules_invalidate(void);

/* ------------------------------------------------- suggestions, 并单 */

/*
 * Suggestions for a new call: `body` is {content, address?, category?,
 * district?, street?, caller_phone?}. Returns
 *   {"suggestions": [{rule, priority, field, matched, start, end, category,
 *     department, urgency, police}…], "police": bool, "rules_version": n,
 *   "rules_evaluated": n, "rules_limited": n, "duplicates": […]}
 * ranked best first. Duplicates use the given category, else the first
 * suggested one. 422 naming the field for invalid input.
 */
json_object *dispatch_suggest(struct db *db, const struct principal *who, json_object *body,
			      struct err *e);

/*
 * Open orders that may be the same matter as order `number`: the same
 * caller phone (theirs or one of their extra callers'), or the same
 * address (white space ignored) and category, registered within the
 * duplicate window of it; ranked by pg_trgm similarity of the content.
 * {"order": number, "window_days": n, "items": [candidate…]}. 404 if the
 * viewer cannot see the order.
 */
json_object *dispatch_duplicates(struct db *db, const struct principal *who, const char *number,
				 struct err *e);

/*
 * The callers of order `number`: {"caller": {name, phone}, "extra": [{name,
 * phone, merged_order, at}…]}; masked for departments where the order
 * they came from was confidential. 404 if the viewer cannot see the order.
 */
json_object *dispatch_callers(struct db *db, const struct principal *who, const char *number,
			      struct err *e);

/* The suggestion records of order `number`, oldest first: {"items": […]}. */
json_object *dispatch_suggestion_records(struct db *db, const struct principal *who,
					 const char *number, struct err *e);

/*
 * The orders hook (see orders_on_change): on dispatch records the
 * suggestion against the department chosen, from the body's
 * "suggestion_rule" / "suggested_department" when the client sends them,
 * else from the rules; on merge copies the merged order's caller (and its
 * own extra callers) to the master. Returns false only if the database
 * fails, which refuses the action.
 */
bool dispatch_on_change(struct db *db, const struct order_change *change, struct err *e);

/* Appends the module's Prometheus metrics (rule set, limit hits). */
void dispatch_metrics(struct buf *out);

struct config;
/* `hotline rules import|export FILE`: argv[0] is "rules". Returns the exit code. */
int dispatch_cmd_rules(struct config *cfg, int argc, char **argv);

#endif
