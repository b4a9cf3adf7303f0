-- Supervision: the callback queue (回访, DOMAIN.md §9), the working-day
-- handling time of completed orders, and the statistics rollup behind the
-- order reports and the unit ranking (§10).

-- The zone whose calendar days the statistics count registration days in.
-- It must be the zone the service runs in (--tz); after changing it, run
-- `hotline report rebuild`.
INSERT INTO setting (key, value) VALUES ('stats.time_zone', '"Asia/Shanghai"')
	ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION stat_zone() RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT coalesce((SELECT value #>> '{}' FROM setting WHERE key = 'stats.time_zone'),
	                      'Asia/Shanghai') $$;

-- ------------------------------------------------------------- callbacks

-- One task per reply: `round` is the order's reopen count when it was
-- replied, so a reopened order's second reply makes a second task.
--   open         waiting to be called (due_at), possibly held by an agent
--   skipped      not in the sample ('callback.share' below 1)
--   done         rated; the order is completed
--   reopened     unsatisfied and attributable to the unit; the order reopened
--   unreachable  not reached after the maximum attempts (无法回访)
--   cancelled    the order left awaiting callback another way (merged)
CREATE TABLE callback_task (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	round integer NOT NULL,
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'skipped', 'done',
		'reopened', 'unreachable', 'cancelled')),
	due_at timestamptz NOT NULL,
	attempts integer NOT NULL DEFAULT 0,
	held_by integer REFERENCES app_user(id),
	held_until timestamptz,
	last_attempt_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	finished_by integer REFERENCES app_user(id),
	UNIQUE (order_id, round)
);
CREATE INDEX callback_task_queue ON callback_task (due_at, id) WHERE status = 'open';
CREATE INDEX callback_task_holder ON callback_task (held_by) WHERE status = 'open';

-- Every call made for a task, the first rating of a reopened order included.
CREATE TABLE callback_attempt (
	id bigserial PRIMARY KEY,
	task_id bigint NOT NULL REFERENCES callback_task(id),
	at timestamptz NOT NULL DEFAULT now(),
	agent_id integer REFERENCES app_user(id),
	outcome text NOT NULL CHECK (outcome IN ('unreachable', 'rated', 'reopened')),
	satisfaction text CHECK (satisfaction IN ('satisfied', 'basically', 'unsatisfied')),
	solved boolean,
	attributable boolean,
	comment text NOT NULL DEFAULT ''
);
CREATE INDEX callback_attempt_task ON callback_attempt (task_id, id);

-- ------------------------------------------------------- handling time

-- Working seconds from registration to completion on the official calendar,
-- computed by the service when the order completes (or by `hotline report
-- rebuild` for orders completed without it).
CREATE TABLE order_handling (
	order_id bigint PRIMARY KEY REFERENCES work_order(id),
	seconds bigint NOT NULL CHECK (seconds >= 0),
	computed_at timestamptz NOT NULL DEFAULT now()
);

-- ------------------------------------------------------------ statistics

-- What one order contributes to the counters, as of now (the definitions are
-- restated in the API reference of GET /api/v1/stats/orders):
--   1 accepted        registered, not merged into another order
--   2 completed       completed, transferred out or archived
--   3 on_time         completed, replied (or closed) by the current, possibly
--                     extended, handling deadline; no deadline = on time
--   4 dispatched      has a lead unit
--   5 signed_timely   signed for within the sign-for limit of its current clock
--   6 responded       signed in time, or the reply says the caller was contacted
--   7 returned        returned at least once
--   8 extended        extended at least once
--   9 replied         replied at least once (a reopened order was)
--  10 reopened        reopened at least once
--  11 callback_due    replied in its current round (awaiting or past callback)
--  12 rated           rated at callback in its current round
--  13 satisfied       rated satisfied or basically satisfied
--  14 solved          rated and the caller says it was solved
--  15 unreachable     closed as 无法回访
--  16 transferred     transferred out (110, 119, 120, 122)
--  17 merged          merged into another order (and nothing else)
--  18 handled         completed, dispatched, with a handling time
--  19 handling_seconds  that handling time
CREATE FUNCTION stat_facts(o work_order, handling bigint) RETURNS bigint[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN o.merged_into IS NOT NULL THEN
	'{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0}'::bigint[]
ELSE ARRAY[
	1,
	coalesce(o.status IN ('completed', 'transferred', 'archived'), false)::int,
	coalesce(o.status IN ('completed', 'transferred', 'archived')
		AND (o.handle_deadline IS NULL
		     OR coalesce(o.replied_at, o.completed_at) <= o.handle_deadline), false)::int,
	(o.lead_department_id IS NOT NULL)::int,
	coalesce(o.lead_department_id IS NOT NULL AND o.signed_at IS NOT NULL
		AND NOT o.sign_overdue AND o.signed_at <= o.sign_deadline, false)::int,
	coalesce(o.lead_department_id IS NOT NULL
		AND ((o.signed_at IS NOT NULL AND NOT o.sign_overdue AND o.signed_at <= o.sign_deadline)
		     OR o.contacted), false)::int,
	(o.return_count > 0)::int,
	(o.extension_count > 0)::int,
	(o.replied_at IS NOT NULL OR o.reopen_count > 0)::int,
	(o.reopen_count > 0)::int,
	(o.replied_at IS NOT NULL)::int,
	(o.satisfaction IS NOT NULL)::int,
	coalesce(o.satisfaction IN ('satisfied', 'basically'), false)::int,
	coalesce(o.satisfaction IS NOT NULL AND o.solved, false)::int,
	coalesce(o.callback_result = 'unreachable', false)::int,
	(o.transferred_to IS NOT NULL)::int,
	0,
	coalesce(o.status IN ('completed', 'transferred', 'archived')
		AND o.lead_department_id IS NOT NULL AND handling IS NOT NULL, false)::int,
	CASE WHEN o.status IN ('completed', 'transferred', 'archived')
		AND o.lead_department_id IS NOT NULL THEN coalesce(handling, 0) ELSE 0 END
]::bigint[] END $$;

-- The keys an order is counted under, by kind: 1 lead unit (department id),
-- 2 category code, 3 district (department id), 4 channel, 5 request type;
-- '' for none.
CREATE FUNCTION stat_keys(o work_order) RETURNS text[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ARRAY[coalesce(o.lead_department_id::text, ''), coalesce(o.category_code, ''),
	coalesce(o.district_id::text, ''), o.channel, o.request_type] $$;

-- Counters per registration day (in stat_zone()) and key of one kind: a
-- month's report by unit reads about 30 × units rows, never the orders.
-- Kept exact by the triggers below: every change of an order subtracts its
-- old contribution and adds the new one.
CREATE TABLE stat_rollup (
	kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
	day date NOT NULL,
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
	PRIMARY KEY (kind, day, key)
);

-- Moves an order's contribution from its old state (old_o with handling
-- old_h; NULL for a new order) to its new one (NULL for a deleted order):
-- one upsert of the rows of every kind, the old ones negated, merged where
-- old and new share a row. Rows are written in primary-key order, so that
-- two transactions moving orders between the same rows cannot deadlock.
CREATE FUNCTION stat_apply(old_o work_order, old_h bigint, new_o work_order, new_h bigint)
	RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	z text;
	f0 bigint[];
	f1 bigint[];
	k0 text[];
	k1 text[];
	d0 date;
	d1 date;
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
	INSERT INTO stat_rollup AS r (kind, day, key, accepted, completed, on_time, dispatched,
		signed_timely, responded, returned, extended, replied, reopened, callback_due, rated,
		satisfied, solved, unreachable, transferred, merged, handled, handling_seconds)
	SELECT kind, day, key,
		sum(s * v[1]), sum(s * v[2]), sum(s * v[3]), sum(s * v[4]), sum(s * v[5]), sum(s * v[6]),
		sum(s * v[7]), sum(s * v[8]), sum(s * v[9]), sum(s * v[10]), sum(s * v[11]), sum(s * v[12]),
		sum(s * v[13]), sum(s * v[14]), sum(s * v[15]), sum(s * v[16]), sum(s * v[17]), sum(s * v[18]),
		sum(s * v[19])
	FROM (SELECT i::smallint AS kind, d0 AS day, k0[i] AS key, -1 AS s, f0 AS v
	      FROM generate_series(1, 5) i WHERE f0 IS NOT NULL
	      UNION ALL
	      SELECT i::smallint, d1, k1[i], 1, f1 FROM generate_series(1, 5) i WHERE f1 IS NOT NULL) x
	GROUP BY kind, day, key
	HAVING sum(s * v[1]) <> 0 OR sum(s * v[2]) <> 0 OR sum(s * v[3]) <> 0
		 OR sum(s * v[4]) <> 0 OR sum(s * v[5]) <> 0 OR sum(s * v[6]) <> 0
		 OR sum(s * v[7]) <> 0 OR sum(s * v[8]) <> 0 OR sum(s * v[9]) <> 0
		 OR sum(s * v[10]) <> 0 OR sum(s * v[11]) <> 0 OR sum(s * v[12]) <> 0
		 OR sum(s * v[13]) <> 0 OR sum(s * v[14]) <> 0 OR sum(s * v[15]) <> 0
		 OR sum(s * v[16]) <> 0 OR sum(s * v[17]) <> 0 OR sum(s * v[18]) <> 0
		 OR sum(s * v[19]) <> 0
	ORDER BY kind, day, key
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
END $$;

-- A session may switch the triggers off (SET hotline.stat_sync = off) for
-- bulk loads, and must then run `hotline report rebuild`.
CREATE FUNCTION stat_sync_off() RETURNS boolean
	LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('hotline.stat_sync', true), '') = 'off' $$;

CREATE FUNCTION work_order_stat_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	h bigint;
BEGIN
	IF stat_sync_off() THEN
		RETURN NULL;
	END IF;
	IF TG_OP <> 'INSERT' THEN
		SELECT seconds INTO h FROM order_handling WHERE order_id = OLD.id;
	END IF;
	IF TG_OP = 'INSERT' THEN
		PERFORM stat_apply(NULL, NULL, NEW, NULL);
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM stat_apply(OLD, h, NEW, h);
	ELSE
		PERFORM stat_apply(OLD, h, NULL, NULL);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER work_order_stat_insert AFTER INSERT ON work_order
	FOR EACH ROW EXECUTE FUNCTION work_order_stat_sync();
CREATE TRIGGER work_order_stat_delete AFTER DELETE ON work_order
	FOR EACH ROW EXECUTE FUNCTION work_order_stat_sync();
-- Only changes of the columns the counters read (the sweeper's alert
-- changes pass by).
CREATE TRIGGER work_order_stat_update AFTER UPDATE ON work_order
	FOR EACH ROW WHEN ((OLD.status, OLD.merged_into, OLD.lead_department_id, OLD.category_code,
		OLD.district_id, OLD.channel, OLD.request_type, OLD.created_at, OLD.completed_at,
		OLD.handle_deadline, OLD.replied_at, OLD.signed_at, OLD.sign_deadline, OLD.sign_overdue,
		OLD.contacted, OLD.return_count, OLD.extension_count, OLD.reopen_count, OLD.satisfaction,
		OLD.solved, OLD.callback_result, OLD.transferred_to)
	IS DISTINCT FROM (NEW.status, NEW.merged_into, NEW.lead_department_id, NEW.category_code,
		NEW.district_id, NEW.channel, NEW.request_type, NEW.created_at, NEW.completed_at,
		NEW.handle_deadline, NEW.replied_at, NEW.signed_at, NEW.sign_deadline, NEW.sign_overdue,
		NEW.contacted, NEW.return_count, NEW.extension_count, NEW.reopen_count, NEW.satisfaction,
		NEW.solved, NEW.callback_result, NEW.transferred_to))
	EXECUTE FUNCTION work_order_stat_sync();

CREATE FUNCTION order_handling_stat_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	o work_order;
BEGIN
	IF stat_sync_off() THEN
		RETURN NULL;
	END IF;
	SELECT * INTO o FROM work_order WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.order_id
	                                                ELSE NEW.order_id END;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	PERFORM stat_apply(o, CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.seconds END,
	                   o, CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.seconds END);
	RETURN NULL;
END $$;

CREATE TRIGGER order_handling_stat AFTER INSERT OR UPDATE OR DELETE ON order_handling
	FOR EACH ROW EXECUTE FUNCTION order_handling_stat_sync();

-- Recomputes the whole rollup from the orders in one pass (under a lock
-- that holds back concurrent order changes until it commits). Returns the
-- number of rollup rows.
CREATE FUNCTION stat_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	z text := stat_zone();
BEGIN
	LOCK TABLE stat_rollup IN EXCLUSIVE MODE;
	DELETE FROM stat_rollup;
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
	RETURN n;
END $$;

SELECT stat_rebuild();
