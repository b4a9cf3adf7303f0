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
/*
 * Import lanes (what migrations/0007_call_alone.sql calls INTAKE_IMPORT_LOCK
 * is the set of lane locks). The import stores a batch's CDRs in INTAKE_LANES lanes,
 * the records of one call always in the same lane (call_lane() of
 * import_private.h), each lane in a transaction of its own that holds the
 * lane's lock exclusively; lane l's lock is pg_advisory_xact_lock(4004,
 * 2 + l). So two lanes never touch the same calls and may run at once,
 * while two imports take turns lane by lane (never locking the same calls
 * in different orders). A transaction that may touch calls of any lane (a
 * queue_log batch) takes every lane's lock, in lane order; a live event
 * about to create a call row takes them all shared, to wait for the
 * batches in flight (migrations/0007_call_alone.sql). Rows the lanes share
 * (the hourly rollups) are upserted in key order, one statement per
 * transaction, so lanes wait for each other there but never deadlock.
 */
#define INTAKE_LANES 2
#define INTAKE_LANES_LAST "1"
_Static_assert(INTAKE_LANES == 2, "INTAKE_LANES_LAST is INTAKE_LANES - 1");
/* A scalar subquery taking the locks of lanes `first` to `last` (SQL
 * integer expressions) with `fn` (pg_advisory_xact_lock or its _shared). */
#define INTAKE_SQL_LANE_LOCKS(fn, first, last) \
	"(SELECT count(" fn "(4004, 2 + l)) FROM generate_series(" first ", " last ") AS l)"
#define INTAKE_SQL_ALL_LANE_LOCKS(fn) INTAKE_SQL_LANE_LOCKS(fn, "0", INTAKE_LANES_LAST)

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
 * answered, abandoned, wait_s, talk_s, as call_hour's counters per hour,
 * dialled number and queue: a SELECT. */
#define INTAKE_SQL_SIGNED_SUMS(src) \
	" SELECT bucket, dialled, queue, sum(sign)::int AS offered," \
	"  sum(CASE WHEN answered THEN sign ELSE 0 END)::int AS answered," \
	"  sum(CASE WHEN abandoned THEN sign ELSE 0 END)::int AS abandoned," \
	"  sum(CASE WHEN abandoned AND wait_s <= $1::int THEN sign ELSE 0 END)::int AS short_abandoned," \
	"  sum(CASE WHEN answered AND wait_s <= 15 THEN sign ELSE 0 END)::int AS answered_15s," \
	"  coalesce(sum(CASE WHEN answered THEN sign * wait_s END), 0)::bigint AS wait_sum," \
	"  sum(CASE WHEN answered AND wait_s IS NOT NULL THEN sign ELSE 0 END)::int AS wait_n," \
	"  coalesce(sum(CASE WHEN answered THEN sign * talk_s END), 0)::bigint AS talk_sum," \
	"  sum(CASE WHEN answered AND talk_s IS NOT NULL THEN sign ELSE 0 END)::int AS talk_n" \
	" FROM " src " GROUP BY bucket, dialled, queue"

/*
 * Rollup rows already summed by the caller, as arrays of one length:
 * bucket (epoch seconds), dialled, queue, then the nine counters in
 * call_hour's order. `p` is the number of the first of the twelve
 * parameters. A FROM item yielding the columns of call_hour.
 */
#define INTAKE_SQL_SUMMED(p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12) \
	" unnest($" p1 "::bigint[], $" p2 "::text[], $" p3 "::text[], $" p4 "::int[], $" p5 "::int[]," \
	"  $" p6 "::int[], $" p7 "::int[], $" p8 "::int[], $" p9 "::bigint[], $" p10 "::int[]," \
	"  $" p11 "::bigint[], $" p12 "::int[])" \
	" AS d(b, dialled, queue, offered, answered, abandoned, short_abandoned, answered_15s," \
	"  wait_sum, wait_n, talk_sum, talk_n)"

/* The upsert of summed rows (the columns of INTAKE_SQL_SUMMED) into call_hour,
 * in key order. */
#define INTAKE_SQL_ROLLUP_SUMMED(from) \
	"INSERT INTO call_hour AS h (bucket, dialled, queue, offered, answered, abandoned," \
	"  short_abandoned, answered_15s, wait_sum, wait_n, talk_sum, talk_n)" \
	" SELECT bucket, dialled, queue, sum(offered), sum(answered), sum(abandoned)," \
	"  sum(short_abandoned), sum(answered_15s), sum(wait_sum), sum(wait_n), sum(talk_sum)," \
	"  sum(talk_n)" \
	" FROM " from " GROUP BY bucket, dialled, queue ORDER BY bucket, dialled, queue" \
	" ON CONFLICT (bucket, dialled, queue) DO UPDATE SET" \
	"  offered = h.offered + excluded.offered, answered = h.answered + excluded.answered," \
	"  abandoned = h.abandoned + excluded.abandoned," \
	"  short_abandoned = h.short_abandoned + excluded.short_abandoned," \
	"  answered_15s = h.answered_15s + excluded.answered_15s," \
	"  wait_sum = h.wait_sum + excluded.wait_sum, wait_n = h.wait_n + excluded.wait_n," \
	"  talk_sum = h.talk_sum + excluded.talk_sum, talk_n = h.talk_n + excluded.talk_n"

/* The rows in `src` (as INTAKE_SQL_SIGNED_SUMS takes them) summed into
 * call_hour. */
#define INTAKE_SQL_ROLLUP_FROM(src) INTAKE_SQL_ROLLUP_SUMMED("(" INTAKE_SQL_SIGNED_SUMS(src) ") s")

/* Follows the "up" CTE: what the changed calls count as now (sign +1) and
 * what they counted as before (-1), as the CTE "delta". */
#define INTAKE_SQL_DELTA \
	"), delta AS (" \
	" SELECT date_trunc('hour', at) AS bucket, coalesce(dialled, '') AS dialled," \
	"  coalesce(queue, '') AS queue, 1 AS sign, answered, abandoned, wait_s, talk_s" \
	" FROM up WHERE offered" \
	" UNION ALL" \
	" SELECT date_trunc('hour', prev_at), coalesce(prev_dialled, ''), coalesce(prev_queue, '')," \
	"  -1, prev_answered, prev_abandoned, prev_wait_s, prev_talk_s" \
	" FROM up WHERE prev_offered"

/* Follows the "up" CTE: ", delta AS (…), roll AS (…)". */
#define INTAKE_SQL_ROLLUP \
	INTAKE_SQL_DELTA "), roll AS (" INTAKE_SQL_ROLLUP_FROM("delta") " RETURNING 1)"

/* Follows the "up" CTE like INTAKE_SQL_ROLLUP, and adds the summed rows of
 * parameters $3 to $14 (see INTAKE_SQL_SUMMED) in the same upsert, so that
 * the batch moves every rollup row it touches in one statement, in key
 * order (no deadlock with live events). */
#define INTAKE_SQL_ROLLUP_WITH_SUMMED \
	INTAKE_SQL_DELTA \
	"), summed AS (" INTAKE_SQL_SIGNED_SUMS("delta") \
	" UNION ALL" \
	" SELECT to_timestamp(b), dialled, queue, offered, answered, abandoned, short_abandoned," \
	"  answered_15s, wait_sum, wait_n, talk_sum, talk_n" \
	" FROM" INTAKE_SQL_SUMMED("3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14") \
	"), roll AS (" INTAKE_SQL_ROLLUP_SUMMED("summed") " RETURNING 1)"

#endif
