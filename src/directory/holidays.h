/*
 * holidays: the official holiday calendar as stored — the days of each
 * year's notice (calendar_day) and the years loaded (calendar_year) — and
 * the import of a year's notice, which src/calendar reads and checks
 * (calendar_notice_parse()). The process's in-memory calendar is
 * deadline_calendar_load()'s (orders/deadline.h): the caller reloads it
 * after an import.
 */
#ifndef HOTLINE_DIRECTORY_HOLIDAYS_H
#define HOTLINE_DIRECTORY_HOLIDAYS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "db/db.h"
#include "orders/recompute.h"

/*
 * The years loaded, newest first: a new array (caller puts) of {"year",
 * "source" (the notice's address, or what the file named), "loaded_at"
 * (ISO 8601), "off_days", "workdays" (the overridden days of each kind
 * within the year)}, or NULL with `e`.
 */
json_object *holidays_years(struct db *db, struct err *e);

/*
 * Reads one year's notice from `text` (`len` bytes, the official JSON, see
 * calendar_load_json()) and stores it within the caller's transaction,
 * replacing the listed days and the year's source; then, in the same
 * transaction, computes again what was computed across the year on the
 * calendar: the orders' deadlines (orders_recompute_year()), the callback
 * due times (callbacks_recompute_year()) and completed orders' working
 * handling times (stats_recompute_handling()), adding what changed to
 * *sum (zeroed by the caller). Sets *year. Returns false with `e`: 400/422 naming the member at
 * fault for a bad file (as calendar_notice_parse(); nothing is stored
 * then), or a database failure (the caller rolls back).
 */
bool holidays_store(struct db *db, const char *text, size_t len, int *year,
		    struct recompute_summary *sum, struct err *e);

/* holidays_store() in a transaction of its own: all of the year or nothing. */
bool holidays_import(struct db *db, const char *text, size_t len, int *year,
		     struct recompute_summary *sum, struct err *e);

#endif
