/*
 * intake_sql: the SQL that every way into the call summary shares (private
 * to the intake module). A statement that changes `call` rows upserts them
 * in a CTE named "up" that ends with INTAKE_SQL_UP_RETURNING and whose
 * DO UPDATE SET begins with INTAKE_SQL_STASH_PREV; INTAKE_SQL_ROLLUP then
 * moves the hourly rollups by what the changed calls count as now minus
 * what they counted as before. $1 is the short-abandon threshold.
 */
#ifndef HOTLINE_INTAKE_SQL_H
#define HOTLINE_INTAKE_SQL_H

/* Import batches and live events take this lock shared, `hotline calls
 * rebuild` exclusively (pg_advisory_xact_lock(INTAKE_LOCK)). */
#define INTAKE_LOCK "4004, 1"
/* Import batches take this one exclusively: one batch at a time. */
#define INTAKE_IMPORT_LOCK "4004, 2"

#define INTAKE_SQL_STASH_PREV \
	"prev_at = call_at(c), prev_dialled = c.dialled, prev_queue = c.queue, " \
	"prev_offered = call_offered(c), prev_answered = call_answered(c), " \
	"prev_abandoned = call_abandoned(c), prev_wait_s = call_wait(c), " \
	"prev_talk_s = call_talk(c), "

#define INTAKE_SQL_UP_RETURNING \
	" RETURNING call_at(c) AS at, c.dialled, c.queue, call_offered(c) AS offered," \
	" call_answered(c) AS answered, call_abandoned(c) AS abandoned," \
	" call_wait(c) AS wait_s, call_talk(c) AS talk_s, c.prev_at, c.prev_dialled," \
	" c.prev_queue, c.prev_offered, c.prev_answered, c.prev_abandoned, c.prev_wait_s," \
	" c.prev_talk_s"

/* The rows in `src` with columns bucket, dialled, queue, sign (+1 or -1),
 * answered, abandoned, wait_s, talk_s, summed into call_hour. */
#define INTAKE_SQL_ROLLUP_FROM(src) \
	"INSERT INTO call_hour AS h (bucket, dialled, queue, offered, answered, abandoned," \
	"  short_abandoned, answered_15s, wait_sum, wait_n, talk_sum, talk_n)" \
	" SELECT bucket, dialled, queue, sum(sign)," \
	"  sum(CASE WHEN answered THEN sign ELSE 0 END)," \
	"  sum(CASE WHEN abandoned THEN sign ELSE 0 END)," \
	"  sum(CASE WHEN abandoned AND wait_s <= $1::int THEN sign ELSE 0 END)," \
	"  sum(CASE WHEN answered AND wait_s <= 15 THEN sign ELSE 0 END)," \
	"  coalesce(sum(CASE WHEN answered THEN sign * wait_s END), 0)," \
	"  sum(CASE WHEN answered AND wait_s IS NOT NULL THEN sign ELSE 0 END)," \
	"  coalesce(sum(CASE WHEN answered THEN sign * talk_s END), 0)," \
	"  sum(CASE WHEN answered AND talk_s IS NOT NULL THEN sign ELSE 0 END)" \
	" FROM " src " GROUP BY bucket, dialled, queue ORDER BY bucket, dialled, queue" \
	" ON CONFLICT (bucket, dialled, queue) DO UPDATE SET" \
	"  offered = h.offered + excluded.offered, answered = h.answered + excluded.answered," \
	"  abandoned = h.abandoned + excluded.abandoned," \
	"  short_abandoned = h.short_abandoned + excluded.short_abandoned," \
	"  answered_15s = h.answered_15s + excluded.answered_15s," \
	"  wait_sum = h.wait_sum + excluded.wait_sum, wait_n = h.wait_n + excluded.wait_n," \
	"  talk_sum = h.talk_sum + excluded.talk_sum, talk_n = h.talk_n + excluded.talk_n"

/* Follows the "up" CTE: ", delta AS (…), roll AS (…)". */
#define INTAKE_SQL_ROLLUP \
	"), delta AS (" \
	" SELECT date_trunc('hour', at) AS bucket, coalesce(dialled, '') AS dialled," \
	"  coalesce(queue, '') AS queue, 1 AS sign, answered, abandoned, wait_s, talk_s" \
	" FROM up WHERE offered" \
	" UNION ALL" \
	" SELECT date_trunc('hour', prev_at), coalesce(prev_dialled, ''), coalesce(prev_queue, '')," \
	"  -1, prev_answered, prev_abandoned, prev_wait_s, prev_talk_s" \
	" FROM up WHERE prev_offered" \
	"), roll AS (" INTAKE_SQL_ROLLUP_FROM("delta") " RETURNING 1)"

#endif
