/*
 * callbacks: the callback queue 回访 (docs/deadlines.md, "Callbacks").
 *
 * When a department replies to an order (reply: in_progress →
 * awaiting_callback) a task is created in the same transaction, due at
 * 00:00 of the Nth working day after the reply on the official calendar
 * (callback.delay_workdays), unless the order falls outside the sample
 * (callback.share; a deterministic choice by order id), when the task is
 * recorded as "skipped" and never queued.
 *
 * An agent takes the next due task (callbacks_next): it is held for that
 * agent for callback.hold_minutes, claimed with FOR UPDATE SKIP LOCKED so
 * that two agents never get the same caller; a hold that runs out releases
 * the task to the next agent who asks. The holder records the call
 * (callbacks_record):
 *   - a rating, which closes the order (orders_act callback), or, when the
 *     caller is unsatisfied and the cause is attributable to the unit,
 *     reopens it to the same unit with a new deadline (orders_act reopen);
 *     the reply that follows makes a new task, and its rating is the one
 *     the order keeps;
 *   - "unreachable", which counts an attempt and puts the task back in the
 *     queue after callback.retry_minutes, until callback.max_attempts
 *     attempts close the order as 无法回访 (orders_act callback
 *     {"unreachable": true}).
 * Every call is kept in callback_attempt, the first rating of a reopened
 * order included.
 */
#ifndef HOTLINE_SUPERVISION_CALLBACKS_H
#define HOTLINE_SUPERVISION_CALLBACKS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "auth/auth.h"
#include "core/err.h"
#include "db/db.h"
#include "orders/orders.h"

struct calendar;

#define CALLBACK_LIST_DEFAULT 50
#define CALLBACK_LIST_MAX 200

/*
 * The queue's part of the order hook, run inside the action's transaction:
 * a reply creates the round's task; a callback, reopen or merge of an order
 * awaiting callback finishes its task, recording the call. Refuses (409
 * "callback-held") a callback or reopen while another agent holds the task.
 * Returns false with `e` to refuse the action.
 */
bool callbacks_on_change(struct db *db, const struct order_change *change, struct err *e);

/*
 * Takes the next due task for `who` (the task `who` already holds, if its
 * hold is still running, else the earliest due free one) and holds it.
 * Returns the task as JSON (a new reference), or NULL: with `e` unset when
 * nothing is due, with `e` filled on a database failure.
 */
json_object *callbacks_next(struct db *db, const struct principal *who, struct err *e);

/*
 * Records a call for task `task_id`, read from `src` (an API body or the
 * queue page's form): "satisfaction" (satisfied, basically, unsatisfied),
 * "solved" and "attributable" (yes/no) and "comment"; or "unreachable"
 * true and "comment". Returns {"task": …, "order": …} (a new reference),
 * or NULL with `e`:
 *   404 no such task,
 *   409 "callback-finished" the task is no longer open,
 *   409 "not-holder" `who` does not hold the task (or the hold ran out),
 *   422 fields missing or wrong (every one named); a reopen needs a comment,
 * or the statuses of orders_act().
 */
json_object *callbacks_record(struct db *db, const struct principal *who, const char *task_id,
			      const struct param_source *src, struct err *e);

struct callback_filter {
	const char *status;	/* a task status, or "all"; NULL = "open" */
	bool due_only;		/* only tasks due now */
	long long after;	/* keyset cursor: a task id from next_cursor; 0 = start */
	int limit;		/* 0 = CALLBACK_LIST_DEFAULT */
};

/*
 * A page of tasks, earliest due first: {"items": […], "counts": {"open",
 * "due", "held"}, "next_cursor": "…"|null}. NULL with `e` (400 for an
 * unknown status).
 */
json_object *callbacks_list(struct db *db, const struct callback_filter *f, struct err *e);

/* The number of open callback tasks due now (the queue's count in the
 * navigation bar). False with `e`. */
bool callbacks_due_count(struct db *db, long long *n, struct err *e);

/*
 * Closes, as the system, the orders whose callback fell outside the
 * sample (callback.share) once their task is due: they complete with no
 * rating. Returns how many were closed, or -1 with `e` filled. Run by the
 * sweeper.
 */
long callbacks_close_skipped(struct db *db, struct err *e);

/*
 * After the official notice of `year` was stored (inside the import's
 * transaction, orders/recompute.h): moves the due time of every open or
 * skipped task whose computation touched the year to what `after` gives.
 * A task is moved only if its due time is exactly what the current
 * callback.delay_workdays gives from the task's creation on `before` (a
 * task put back after an unreachable call, or created under another delay,
 * keeps its time). Each move is noted in `notes` (old_callback_due,
 * new_callback_due: orders_note_recalculated()) for the order's one
 * "deadline_recalculated" event, and counted in *moved. Runs before
 * orders_recompute_year(), which writes the events. False with `e` on a
 * database error.
 */
bool callbacks_recompute_year(struct db *db, int year, const struct calendar *before,
			      const struct calendar *after, json_object *notes, long *moved,
			      struct err *e);

#endif
