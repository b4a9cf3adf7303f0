/*
 * recompute: deadlines computed again when a year's official holiday
 * notice arrives (or is corrected).
 *
 * Until its notice is loaded a year is provisional: its statutory holidays
 * count, its make-up working days and bridge days do not. Once the notice is
 * stored, every order whose recorded clock (orders/clock.h) touched that
 * year gets its sign-for, handling and asked-for deadlines replayed on the
 * corrected calendar: the same start, the same limits, the same extensions
 * and suspensions. Each order whose deadlines moved gets one event
 * ("deadline_recalculated") with the old and new times and the reason, its
 * light re-evaluated if its clock runs, and its sign-for lateness redone.
 * Closed orders are corrected too: their on-time and sign-for figures in
 * the statistics rollups follow through the rollups' own triggers, exactly.
 *
 * Orders whose clocks started before clocks were recorded (migration 0010)
 * have only their deadlines. Such a clock is reconstructed when the order's
 * current policy, replayed on the calendar as it stood before the notice,
 * gives exactly the deadline the order holds (no extension, no suspension,
 * the policy unchanged since); it is then recorded and corrected like the
 * others. A clock that cannot be reconstructed so keeps its deadline, and
 * the import counts it.
 */
#ifndef HOTLINE_ORDERS_RECOMPUTE_H
#define HOTLINE_ORDERS_RECOMPUTE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"

struct calendar;

/*
 * SQL text: the span from `from` to `to` (SQL expressions) may touch the
 * year given by parameter `year` (e.g. "$1"): it starts before the year
 * ends and ends after the year begins, with a day's slack each side for
 * the time zone. The recomputations select their candidates with it.
 */
#define RECOMPUTE_SPAN_MAY_TOUCH(from, to, year) \
	" " from " < make_date(" year "::integer + 1, 1, 1) + interval '1 day'" \
	" AND " to " >= make_date(" year "::integer, 1, 1) - interval '1 day'"

/* What importing one year's notice changed, for the import's summary. */
struct recompute_summary {
	long moved;		/* orders whose deadlines moved */
	long reconstructed;	/* clocks older than the records, reconstructed */
	long kept;		/* such clocks that could not be: deadlines kept */
	long callbacks_moved;	/* callback due times moved */
	long handling;		/* completed orders' working handling times changed */
};

/*
 * Recomputes, inside the caller's transaction and after the calendar rows
 * of `year` were stored in it, the deadlines of every order whose clock
 * touched `year`, as described above. `before` is the calendar as it was
 * read before the notice was stored (for reconstructing unrecorded
 * clocks), `after` as read after; `notes` (may be NULL) holds what other
 * clocks moved (orders_note_recalculated()). Adds to sum->moved, ->reconstructed and
 * ->kept. Returns false with `e` filled on a database error (the caller
 * rolls back). The process calendar is not reloaded: the caller does that
 * after committing (deadline_calendar_load()).
 */
bool orders_recompute_year(struct db *db, int year, const struct calendar *before,
			   const struct calendar *after, json_object *notes,
			   struct recompute_summary *sum, struct err *e);

/*
 * What other clocks computed on the calendar moved on an order (the
 * callback's due time), for the order's one "deadline_recalculated" event:
 * sets member `key` to `value` in the object for `order_id` in `notes` (a
 * JSON object keyed by order id). Computed before orders_recompute_year(),
 * which merges each order's members into the event it writes for the order
 * or, when the order's own deadlines did not move, writes an event of
 * their own.
 */
void orders_note_recalculated(json_object *notes, const char *order_id, const char *key,
			      const char *value);

#endif
