-- A month level for the statistics rollup (DOMAIN.md §10): a month's report
-- by unit reads about `units` rows of stat_rollup_month instead of 30 ×
-- units rows of stat_rollup. A period is read as the parts of days at
-- either end (from the orders), the whole days before its first whole month
-- and after its last (stat_rollup), and the whole months (this table); see
-- src/supervision/stats.c.

-- Counters per registration month and key of one kind: `month` is the first
-- day of the month (in stat_zone()) of the registration days it sums. Every
-- row equals the sum of the stat_rollup rows of its kind and key over the
-- days of its month, counter for counter; stat_apply() and stat_rebuild()
-- below keep it so. Columns in the order of stat_rollup's.
CREATE TABLE stat_rollup_month (
	kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
	month date NOT NULL CHECK (extract(day FROM month) = 1),
	key text NOT NULL,
	accepted bigint NOT NULL DEFAULT 0,
	completed bigint NOT NULL DEFAULT 0,
	on_time bigint NOT NULL DEFAULT 0,
	dispatched bigint NOT NULL DEFAULT 0,
	signed_timely bigint NOT NULL DEFAULT 0,
	responded bigint NOT NULL DEFAULT 0,
	returned bigint NOT NULL DEFAULT 0,
	extended bigint NOT NULL DEFAULT 0,
	replied bigint NOT NULL DEFAULT 0,
	reopened bigint NOT NULL DEFAULT 0,
	callback_due bigint NOT NULL DEFAULT 0,
	rated bigint NOT NULL DEFAULT 0,
	satisfied bigint NOT NULL DEFAULT 0,
	solved bigint NOT NULL DEFAULT 0,
	unreachable bigint NOT NULL DEFAULT 0,
	transferred bigint NOT NULL DEFAULT 0,
	merged bigint NOT NULL DEFAULT 0,
	handled bigint NOT NULL DEFAULT 0,
	handling_seconds bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, month, key)
);

-- The month of registration day `day`: its first day. (Truncated as a
-- timestamp without zone, so that the session's zone plays no part.)
CREATE FUNCTION stat_month(day date) RETURNS date
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT date_trunc('month', day::timestamp)::date $$;

-- The month rows of the days already counted, stored month by month as a
-- live system adds them.
INSERT INTO stat_rollup_month
SELECT kind, stat_month(day), key,
	sum(accepted), sum(completed), sum(on_time), sum(dispatched), sum(signed_timely),
	sum(responded), sum(returned), sum(extended), sum(replied), sum(reopened),
	sum(callback_due), sum(rated), sum(satisfied), sum(solved), sum(unreachable),
	sum(transferred), sum(merged), sum(handled), sum(handling_seconds)
FROM stat_rollup
GROUP BY 2, 1, 3
ORDER BY 2, 1, 3;
ANALYZE stat_rollup_month;

-- Moves an order's contribution from its old state (old_o with handling
-- old_h; NULL for a new order) to its new one (NULL for a deleted order),
-- in both levels of the rollup. The signed facts (old negated) are summed
-- once, by day and by month (grouping sets), where old and new share a
-- row; rows whose deltas are all zero are skipped. Then one upsert of the
-- month rows and one of the day rows, each in primary-key order, the month
-- rows first: so two transactions moving orders between the same rows take
-- the row locks in the same order, and whoever holds a month row holds the
-- way to its days: a transaction changing several orders cannot deadlock
-- with one changing another order of the same month on a different day.
CREATE OR REPLACE FUNCTION stat_apply(old_o work_order, old_h bigint, new_o work_order, new_h bigint)
	RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	z text;
	f0 bigint[];
	f1 bigint[];
	k0 text[];
	k1 text[];
	d0 date;
	d1 date;
	days stat_rollup[];
	months stat_rollup[];		-- `day` holds the month
BEGIN
	IF old_o.id IS NOT NULL THEN
		f0 := stat_facts(old_o, old_h);
		k0 := stat_keys(old_o);
	END IF;
	IF new_o.id IS NOT NULL THEN
		f1 := stat_facts(new_o, new_h);
		k1 := stat_keys(new_o);
	END IF;
	IF f0 IS NOT DISTINCT FROM f1 AND k0 IS NOT DISTINCT FROM k1
	   AND old_o.created_at IS NOT DISTINCT FROM new_o.created_at THEN
		RETURN;
	END IF;
	z := stat_zone();
	d0 := (old_o.created_at AT TIME ZONE z)::date;
	d1 := (new_o.created_at AT TIME ZONE z)::date;
	SELECT array_agg(r ORDER BY (r).kind, (r).day, (r).key) FILTER (WHERE NOT by_month),
	       array_agg(r ORDER BY (r).kind, (r).day, (r).key) FILTER (WHERE by_month)
	INTO days, months
	FROM (SELECT GROUPING(day) = 1 AS by_month,
		ROW(kind, coalesce(day, month), key,
		    sum(s * v[1]), sum(s * v[2]), sum(s * v[3]), sum(s * v[4]), sum(s * v[5]),
		    sum(s * v[6]), sum(s * v[7]), sum(s * v[8]), sum(s * v[9]), sum(s * v[10]),
		    sum(s * v[11]), sum(s * v[12]), sum(s * v[13]), sum(s * v[14]), sum(s * v[15]),
		    sum(s * v[16]), sum(s * v[17]), sum(s * v[18]), sum(s * v[19]))::stat_rollup AS r
	      FROM (SELECT i::smallint AS kind, d0 AS day, stat_month(d0) AS month, k0[i] AS key,
			-1 AS s, f0 AS v
		    FROM generate_series(1, 5) i WHERE f0 IS NOT NULL
		    UNION ALL
		    SELECT i::smallint, d1, stat_month(d1), k1[i], 1, f1
		    FROM generate_series(1, 5) i WHERE f1 IS NOT NULL) x
	      GROUP BY GROUPING SETS ((kind, day, key), (kind, month, key))
	      HAVING sum(s * v[1]) <> 0 OR sum(s * v[2]) <> 0 OR sum(s * v[3]) <> 0
		  OR sum(s * v[4]) <> 0 OR sum(s * v[5]) <> 0 OR sum(s * v[6]) <> 0
		  OR sum(s * v[7]) <> 0 OR sum(s * v[8]) <> 0 OR sum(s * v[9]) <> 0
		  OR sum(s * v[10]) <> 0 OR sum(s * v[11]) <> 0 OR sum(s * v[12]) <> 0
		  OR sum(s * v[13]) <> 0 OR sum(s * v[14]) <> 0 OR sum(s * v[15]) <> 0
		  OR sum(s * v[16]) <> 0 OR sum(s * v[17]) <> 0 OR sum(s * v[18]) <> 0
		  OR sum(s * v[19]) <> 0) g;
	IF months IS NOT NULL THEN
		INSERT INTO stat_rollup_month AS r
		SELECT * FROM unnest(months) ORDER BY kind, day, key
		ON CONFLICT (kind, month, key) DO UPDATE SET
			accepted = r.accepted + EXCLUDED.accepted, completed = r.completed + EXCLUDED.completed,
			on_time = r.on_time + EXCLUDED.on_time, dispatched = r.dispatched + EXCLUDED.dispatched,
			signed_timely = r.signed_timely + EXCLUDED.signed_timely,
			responded = r.responded + EXCLUDED.responded, returned = r.returned + EXCLUDED.returned,
			extended = r.extended + EXCLUDED.extended, replied = r.replied + EXCLUDED.replied,
			reopened = r.reopened + EXCLUDED.reopened,
			callback_due = r.callback_due + EXCLUDED.callback_due, rated = r.rated + EXCLUDED.rated,
			satisfied = r.satisfied + EXCLUDED.satisfied, solved = r.solved + EXCLUDED.solved,
			unreachable = r.unreachable + EXCLUDED.unreachable,
			transferred = r.transferred + EXCLUDED.transferred, merged = r.merged + EXCLUDED.merged,
			handled = r.handled + EXCLUDED.handled,
			handling_seconds = r.handling_seconds + EXCLUDED.handling_seconds;
	END IF;
	IF days IS NOT NULL THEN
		INSERT INTO stat_rollup AS r
		SELECT * FROM unnest(days) ORDER BY kind, day, key
		ON CONFLICT (kind, day, key) DO UPDATE SET
			accepted = r.accepted + EXCLUDED.accepted, completed = r.completed + EXCLUDED.completed,
			on_time = r.on_time + EXCLUDED.on_time, dispatched = r.dispatched + EXCLUDED.dispatched,
			signed_timely = r.signed_timely + EXCLUDED.signed_timely,
			responded = r.responded + EXCLUDED.responded, returned = r.returned + EXCLUDED.returned,
			extended = r.extended + EXCLUDED.extended, replied = r.replied + EXCLUDED.replied,
			reopened = r.reopened + EXCLUDED.reopened,
			callback_due = r.callback_due + EXCLUDED.callback_due, rated = r.rated + EXCLUDED.rated,
			satisfied = r.satisfied + EXCLUDED.satisfied, solved = r.solved + EXCLUDED.solved,
			unreachable = r.unreachable + EXCLUDED.unreachable,
			transferred = r.transferred + EXCLUDED.transferred, merged = r.merged + EXCLUDED.merged,
			handled = r.handled + EXCLUDED.handled,
			handling_seconds = r.handling_seconds + EXCLUDED.handling_seconds;
	END IF;
END $$;

-- Recomputes both levels of the rollup from the orders in one pass (under
-- locks that hold back concurrent order changes until it commits): the day
-- rows from the orders, the month rows from the day rows, stored month by
-- month. Returns the number of rollup rows, days and months.
CREATE OR REPLACE FUNCTION stat_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	m bigint;
	z text := stat_zone();
BEGIN
	LOCK TABLE stat_rollup, stat_rollup_month IN EXCLUSIVE MODE;
	DELETE FROM stat_rollup;
	DELETE FROM stat_rollup_month;
	INSERT INTO stat_rollup (kind, day, key, accepted, completed, on_time, dispatched,
		signed_timely, responded, returned, extended, replied, reopened, callback_due, rated,
		satisfied, solved, unreachable, transferred, merged, handled, handling_seconds)
	SELECT CASE WHEN GROUPING(k1) = 0 THEN 1 WHEN GROUPING(k2) = 0 THEN 2
	            WHEN GROUPING(k3) = 0 THEN 3 WHEN GROUPING(k4) = 0 THEN 4 ELSE 5 END,
		day, coalesce(k1, k2, k3, k4, k5),
		sum(f[1]), sum(f[2]), sum(f[3]), sum(f[4]), sum(f[5]), sum(f[6]), sum(f[7]), sum(f[8]),
		sum(f[9]), sum(f[10]), sum(f[11]), sum(f[12]), sum(f[13]), sum(f[14]), sum(f[15]),
		sum(f[16]), sum(f[17]), sum(f[18]), sum(f[19])
	FROM (SELECT (o.created_at AT TIME ZONE z)::date AS day, stat_facts(o, h.seconds) AS f,
		coalesce(o.lead_department_id::text, '') AS k1, coalesce(o.category_code, '') AS k2,
		coalesce(o.district_id::text, '') AS k3, o.channel AS k4, o.request_type AS k5
		FROM work_order o LEFT JOIN order_handling h ON h.order_id = o.id) s
	GROUP BY GROUPING SETS ((day, k1), (day, k2), (day, k3), (day, k4), (day, k5));
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO stat_rollup_month
	SELECT kind, stat_month(day), key,
		sum(accepted), sum(completed), sum(on_time), sum(dispatched), sum(signed_timely),
		sum(responded), sum(returned), sum(extended), sum(replied), sum(reopened),
		sum(callback_due), sum(rated), sum(satisfied), sum(solved), sum(unreachable),
		sum(transferred), sum(merged), sum(handled), sum(handling_seconds)
	FROM stat_rollup
	GROUP BY 2, 1, 3
	ORDER BY 2, 1, 3;
	GET DIAGNOSTICS m = ROW_COUNT;
	RETURN n + m;
END $$;
