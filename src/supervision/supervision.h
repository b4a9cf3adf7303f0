/*
 * supervision: callbacks (回访), supervision lists, statistics and the unit
 * ranking (docs/metrics.md; callbacks: docs/deadlines.md, "Callbacks").
 * The units:
 *   callbacks.h  the callback queue
 *   lists.h      overdue orders, requests waiting for a decision
 *   stats.h      the order report, the ranking, hot topics, the rollup
 *   export.h     CSV and text-table output of the reports
 *   settings.h   callback and ranking settings
 *   report_cmd.h `hotline report`
 */
#ifndef HOTLINE_SUPERVISION_SUPERVISION_H
#define HOTLINE_SUPERVISION_SUPERVISION_H

#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"
#include "orders/orders.h"

/*
 * The module's order hook: inside every action's transaction it queues
 * and finishes callback tasks and stores the handling time of an order
 * that completes. Returns false with `e` to refuse the action.
 */
bool supervision_on_change(struct db *db, const struct order_change *change, struct err *e);

/* Registers supervision_on_change() with orders_on_change(); call once at
 * start, before any thread runs. */
void supervision_init(void);

#endif
