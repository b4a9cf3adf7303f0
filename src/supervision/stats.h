/*
 * stats: the work-order statistics (docs/metrics.md, "Work-order
 * figures") — the order report,
 * the 三率 ranking of units with its red and black lists, and hot topics.
 *
 * Cohort: the orders registered in [from, to), as they stand at the time of
 * the report. The period is split at the midnights and month starts of the
 * statistics zone: its whole months are read from stat_rollup_month
 * (counters per registration month and key), the whole days before the
 * first whole month and after the last from stat_rollup (counters per
 * registration day and key), both kept exact by triggers on work_order
 * (migrations/0006_supervision.sql, 0008_stat_month.sql); the parts of days
 * at either end, when the period does not start or end at midnight, are
 * counted from the orders themselves. A month's report thus reads about one
 * rollup row per key, however many orders the month has. The counters
 * and how each kind of order counts are defined in the API reference of
 * GET /api/v1/stats/orders (src/api/openapi.json).
 *
 * Rates are fractions rounded to 4 decimals, null when the denominator is
 * 0; avg_handling_workdays is rounded to 2 decimals.
 */
#ifndef HOTLINE_SUPERVISION_STATS_H
#define HOTLINE_SUPERVISION_STATS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "core/err.h"
#include "db/db.h"
#include "orders/orders.h"

struct calendar;

/* What the rows of a report are: the order's … */
enum stat_kind {
	STAT_BY_DEPARTMENT = 1,		/* lead unit (主办单位) as of now */
	STAT_BY_CATEGORY,		/* subject category code */
	STAT_BY_DISTRICT,		/* district */
	STAT_BY_CHANNEL,		/* channel (phone, police = 110, web, …) */
	STAT_BY_REQUEST_TYPE,		/* 咨询, 求助, 投诉 … */
};

/* Parses "department", "category", "district", "channel", "request_type";
 * returns -1 for anything else. */
int stats_kind_parse(const char *by);
const char *stats_kind_code(enum stat_kind kind);

/*
 * Accepted and completed orders by registration day (the cohort of each
 * day, as stats_orders() counts it) over the `n` local days from `d0`
 * (days since 1970-01-01): accepted[i] and completed[i] for day d0 + i, 0
 * for a day without orders. One query of the daily rollup, where
 * stats_orders() would take one report a day. False with `e` on a
 * database failure (the arrays are zeroed either way).
 */
bool stats_orders_by_day(struct db *db, long d0, int n, double *accepted, double *completed,
			 struct err *e);

#define HOT_TOPICS_DEFAULT 10
#define HOT_TOPICS_MAX 100

/*
 * The order report: {"from", "to", "by", "total": {…}, "rows": [{"key",
 * "name", …}]}, rows by accepted orders, most first. A new reference, or
 * NULL with `e` (400 if from is not before to).
 */
json_object *stats_orders(struct db *db, time_t from, time_t to, enum stat_kind by, struct err *e);

/*
 * The 三率 ranking of lead units over [from, to): score = weighted
 * response, resolution and satisfaction rates (setting ranking.weights);
 * units with fewer than ranking.min_dispatched dispatched orders, or
 * without one of the three rates, are listed unranked (score null) after
 * the others. Red list: score >= ranking.red_min; black list: score <
 * ranking.black_max. A new reference, or NULL with `e`.
 */
json_object *stats_ranking(struct db *db, time_t from, time_t to, struct err *e);

/*
 * Hot topics: the `limit` categories and addresses with the most orders
 * registered in [from, to) (merged repeat calls included: each is a caller
 * asking), each with its count in the previous period of the same length
 * and the change. A new reference, or NULL with `e`.
 */
json_object *stats_hot_topics(struct db *db, time_t from, time_t to, int limit, struct err *e);

/*
 * The statistics' part of the order hook: when an action completes an
 * order (to completed or transferred), stores its handling time — the
 * working seconds from registration to completion on the official
 * calendar — in order_handling. Returns false with `e` on a database error.
 */
bool stats_on_change(struct db *db, const struct order_change *change, struct err *e);

/*
 * Rebuilds the rollup from the orders, in one transaction: first computes
 * the handling time of completed orders that have none (of all of them
 * when `all_handling`), then recounts every rollup row. Needs the holiday
 * calendar loaded (deadline_calendar_load). Stores the number of handling
 * times computed and of rollup rows (day and month rows) in *handling and
 * *rows. Returns false with `e`; nothing is changed then.
 */
bool stats_rebuild(struct db *db, bool all_handling, long *handling, long *rows, struct err *e);

/*
 * After the official notice of `year` was stored (inside the import's
 * transaction, orders/recompute.h): computes again on `after` the working
 * handling time of every completed order whose registration-to-completion
 * span touches the year, and stores those that changed; the rollups follow
 * through their triggers. Adds the number changed to *changed. False with
 * `e` on a database error.
 */
bool stats_recompute_handling(struct db *db, int year, const struct calendar *after,
			      long *changed, struct err *e);

#endif
