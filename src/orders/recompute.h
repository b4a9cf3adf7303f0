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
 */
#ifndef HOTLINE_ORDERS_RECOMPUTE_H
#define HOTLINE_ORDERS_RECOMPUTE_H

#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"

/*
 * Recomputes, inside the caller's transaction and after the calendar rows
 * of `year` were stored in it, the deadlines of every order whose clock
 * touched `year`, as described above. Stores in *moved the number of orders
 * whose deadlines moved. Returns false with `e` filled on a database error
 * (the caller rolls back). The process calendar is not reloaded: the caller
 * does that after committing (deadline_calendar_load()).
 */
bool orders_recompute_year(struct db *db, int year, long *moved, struct err *e);

#endif
