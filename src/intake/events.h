/*
 * events: the live side of call intake — events from the CTI link, the
 * agent's current call, the caller's history (来电弹屏), and the agents'
 * phone extensions.
 *
 * A call as the API shows it (a "call summary" object):
 *   call_id, at (queue entry, offer or start; ISO with offset), caller,
 *   caller_phone (normalised, or null), caller_name, dialled, queue,
 *   agent (extension or login as the sources name it), agent_login (the
 *   user, when known), offered, answered, abandoned (booleans as the
 *   statistics count them), outcome ("answered", "abandoned", "waiting",
 *   "not_offered"), wait_s, talk_s, answered_at, ended_at (null when not
 *   known), sources (array of "cdr", "queue_log", "live").
 *
 * Every function returning json_object returns a new reference owned by
 * the caller, or NULL with `e` filled.
 */
#ifndef HOTLINE_INTAKE_EVENTS_H
#define HOTLINE_INTAKE_EVENTS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"
#include "intake/settings.h"

#define CALL_HISTORY_DEFAULT 20
#define CALL_HISTORY_MAX 200
/* An answered call without an "ended" event stops being anyone's current
 * call after this long (a lost event must not pin a call forever). */
#define CALL_CURRENT_MAX_AGE "12 hours"
/* A live event that its transaction stores notifies this channel (LISTEN/
 * NOTIFY) with the call's agent's user id, so that the agent's console
 * learns of the call at once, whichever server it is connected to. The
 * server wakes the requests parked on the topic "<channel>:<payload>". */
#define CALL_NOTIFY_CHANNEL "hotline_call"

/*
 * Records one live event from `body`:
 *   type      "offered" | "answered" | "ended" (required)
 *   call_id   the PBX's call id, 1 to 128 printable characters (required)
 *   caller    the caller's number (stored as given, and normalised when it
 *             is a phone number)
 *   dialled   the number called: a hotline number makes the call inbound,
 *             another number excludes it from the statistics
 *   queue, agent (login or extension), cause: text up to 64 characters
 *   at        ISO 8601; without an offset, local time; default now
 * Idempotent per (call_id, type): the first event of a type wins, a repeat
 * changes nothing and sets *created to false. The call summary and the
 * hourly rollups move in the same transaction.
 * Returns {"created": bool, "call": <call summary>}. Fails with 422 naming
 * the field at fault, 503/500 on database failure.
 */
json_object *call_event_post(struct db *db, const struct intake_settings *s, json_object *body,
			     bool *created, struct err *e);

/*
 * The call that user `user_id` answered (live "answered" event naming the
 * user's login or extension) and that has not ended (no "ended" event, no
 * CDR), answered within
 * CALL_CURRENT_MAX_AGE: {"call": <call summary> | null, "history": <as
 * caller_history() for the caller, limit 10> | null}.
 */
json_object *call_current(struct db *db, int user_id, struct err *e);

/*
 * The calls from `phone` and the orders with that caller phone or
 * registered during those calls, newest first, at most `limit` (1 to
 * CALL_HISTORY_MAX) of each:
 *   {"phone": normalised, "calls": [<call summary> + "orders": [...]],
 *    "orders": [{number, status, created_at, call_id, request_type,
 *                urgency, category_code, category_name, summary,
 *                confidential}]}
 * Each call lists the orders linked to it (work_order.call_id); a call may
 * have none or several. `phone` is normalised first: 422 (field "phone")
 * if it is not a phone number.
 */
json_object *caller_history(struct db *db, const char *phone, int limit, struct err *e);

/*
 * Gives user `login` the phone extension `extension` (1 to 32 letters,
 * digits, '_', '.', '-'), replacing the user's earlier extension and any
 * other user's claim to this one. 404 for an unknown login, 422 for a bad
 * extension.
 */
bool agent_extension_set(struct db *db, const char *login, const char *extension, struct err *e);
/* The same inside the caller's transaction; an empty `extension` takes the
 * user's extension away. */
bool agent_extension_put(struct db *db, const char *login, const char *extension, struct err *e);
/* Every extension given: a new object {login: extension}, or NULL with `e`. */
json_object *agent_extensions(struct db *db, struct err *e);

#endif
