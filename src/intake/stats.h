/*
 * stats: call statistics (docs/metrics.md, "Call figures") from the
 * hourly rollups, and the
 * rebuild of those rollups.
 *
 * A report covers [from, to), both on whole local hours, split into rows
 * by hour, day or month (local calendar), optionally for one dialled
 * number and/or one queue. Figures (definitions in migrations/0004_calls.sql):
 *   offered, answered, abandoned, short_abandoned   counts
 *   connection_rate       answered ÷ offered          (接通率)
 *   service_level_15s     answered within 15 s of queue entry ÷ offered
 *   abandon_rate          abandoned ÷ offered         (放弃率)
 *   avg_wait_s            mean wait of answered calls (平均等待时长)
 *   avg_talk_s            mean talk time of answered calls (平均通话时长)
 *   worst_24h_connection_rate  the lowest connection rate of any 24
 *                         consecutive hours starting on a whole hour and
 *                         lying inside the range (and the row), with
 *                         worst_24h_from its start; GB/T 33358-2016 asks
 *                         for at least 95% (INTAKE_STANDARD_RATE); null
 *                         when no such window has an offered call
 * Rates are fractions rounded to 4 places, averages to 0.1 s; each is null
 * when its denominator is 0. When short abandons do not count in offered,
 * they are taken out of offered and abandoned (and still reported as
 * short_abandoned).
 */
#ifndef HOTLINE_INTAKE_STATS_H
#define HOTLINE_INTAKE_STATS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "core/err.h"
#include "db/db.h"
#include "intake/settings.h"

/* The longest range a report covers (hours): five years. */
#define CALL_STATS_MAX_HOURS (5 * 366 * 24)

enum call_granularity {
	CALL_BY_HOUR,
	CALL_BY_DAY,
	CALL_BY_MONTH,
};

/* "hour" / "day" / "month" into *out; false on anything else. */
bool call_granularity_parse(const char *name, enum call_granularity *out);

struct call_stats_query {
	time_t from, to;		/* [from, to), whole local hours */
	enum call_granularity granularity;
	const char *dialled;		/* NULL = every number */
	const char *queue;		/* NULL = every queue */
	bool short_abandons_offered;	/* short abandons count in offered */
	int short_abandon_seconds;	/* for the report's "definitions" only */
	long window_min_offered;	/* see below; 0 counts as 1 */
};

/*
 * The report:
 *   {"from", "to", "granularity", "dialled", "queue",
 *    "definitions": {"short_abandon_seconds", "short_abandons_offered",
 *                    "service_level_seconds": 15, "standard_connection_rate": 0.95,
 *                    "window_min_offered"},
 *    "total": {figures…, "worst_24h_from", "meets_standard"},
 *    "rows": [{"bucket": ISO start, figures…}, …]}
 * Rows cover every bucket of the range, empty ones included. Fails with
 * 422 naming "from"/"to" when they are not whole hours, to ≤ from, or the
 * range exceeds CALL_STATS_MAX_HOURS; 503/500 on database failure.
 */
json_object *call_stats(struct db *db, const struct call_stats_query *q, struct err *e);

/*
 * Recomputes what the hourly rollups hold from the call summaries, after
 * reclassifying every CDR and live event with the hotline numbers of `s`
 * (needed after changing them, the short-abandon threshold or the zone).
 * Runs in one transaction holding the intake lock exclusively: imports and
 * live events wait. Returns the number of rollup rows written, or -1 with
 * `e` filled.
 */
long call_rollups_rebuild(struct db *db, const struct intake_settings *s, struct err *e);

#endif
