-- A call whose only source is one CDR (most calls of a deployment that
-- imports Master.csv alone) needs no row in `call`: its summary follows
-- from the record. The import's fast path stores such a record with
-- `alone` set and writes no summary row, which halves what an import
-- writes. The first other source of the call (another CDR, a queue_log
-- event, a live event) adopts it: call_adopt() writes the summary row the
-- record stands for and clears the flag, and the merge goes on as before.
-- So every call has exactly one summary at any time: its `call` row, or
-- its alone record through call_of_record(). The functions below read
-- both; nothing reads `call` alone except for live-event state (the agent's
-- current call), which a lone CDR never has.
--
-- Who may adopt: import batches hold INTAKE_IMPORT_LOCK exclusively
-- (src/intake/intake_sql.h); a live event about to create a call row takes
-- it shared first, so that a batch storing the same call alone either
-- commits before the event looks (and is adopted) or starts after the
-- event's row is there (and takes the merging path).

ALTER TABLE call_record ADD COLUMN alone boolean NOT NULL DEFAULT false;

-- The caller history of calls without a summary row (`call` has its own).
CREATE INDEX call_record_alone_caller ON call_record ((caller_phone COLLATE "C"))
	WHERE alone AND caller_phone IS NOT NULL;

-- The call id of a record, and whether an agent answered it; the same
-- facts sql_merge_calls (src/intake/import.c) folds.
CREATE FUNCTION call_record_cid(r call_record) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(r.call_id, r.key) $$;

CREATE FUNCTION call_record_connected(r call_record) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT r.disposition = 'ANSWERED' AND r.kind = 'inbound'
	AND (r.dst_channel IS NOT NULL OR r.agent IS NOT NULL OR r.last_app IS NULL) $$;

-- The summary of the call of record `r` if it were the call's only
-- source, column for column as `call` (prev_*: nothing counted before).
CREATE FUNCTION call_of_record(r call_record) RETURNS call
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ROW(call_record_cid(r), r.caller, r.caller_phone, r.caller_name, r.dialled,
	NULL,						-- queue
	1, r.kind = 'inbound', r.kind IN ('outbound', 'other'), r.started_at,
	CASE WHEN call_record_connected(r) THEN r.answered_at END, r.ended_at,
	call_record_connected(r),
	CASE WHEN call_record_connected(r) THEN r.billsec END,
	CASE WHEN call_record_connected(r) THEN r.agent END,
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,	-- queue_log
	NULL, NULL, NULL, NULL, NULL, NULL, NULL,	-- live events
	NULL, NULL, NULL, false, false, false, NULL, NULL)::call $$;

-- The alone records of call `id`: its key is the call id, or the call id,
-- '#' and a sequence (src/calls/cdr.h), so one range of the primary key
-- holds them.
CREATE FUNCTION call_alone_records(id text) RETURNS SETOF call_record
	LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT r.* FROM call_record r
WHERE r.key >= id AND r.key < id || '$' AND r.alone AND call_record_cid(r) = id $$;

-- Every call's summary. (These functions are inlined into the query that
-- calls them, so that its conditions reach the indexes.)
CREATE FUNCTION call_summaries() RETURNS SETOF call
	LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT c.* FROM call c
UNION ALL
SELECT (call_of_record(r)).* FROM call_record r WHERE r.alone $$;

-- The summary of call `id` (no row if unknown).
CREATE FUNCTION call_summary(id text) RETURNS SETOF call
	LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT c.* FROM call c WHERE c.call_id = id
UNION ALL
SELECT (call_of_record(r)).* FROM call_alone_records(id) r $$;

-- The summaries of the calls from normalised phone number `phone`.
CREATE FUNCTION call_summaries_of(phone text) RETURNS SETOF call
	LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT c.* FROM call c WHERE c.caller_phone = phone
UNION ALL
SELECT (call_of_record(r)).* FROM call_record r
WHERE r.alone AND r.caller_phone IS NOT NULL AND (r.caller_phone COLLATE "C") = phone $$;

-- Gives the calls `ids` that have an alone record their summary row, as
-- call_of_record() has it (the rollups count them already), and clears
-- the flag. Returns the number of calls adopted. The caller holds
-- INTAKE_IMPORT_LOCK (see the top).
CREATE FUNCTION call_adopt(ids text[]) RETURNS bigint
	LANGUAGE sql AS $$
WITH a AS (
	UPDATE call_record r SET alone = false
	FROM (SELECT DISTINCT unnest(ids) AS id) x
	WHERE r.key >= x.id AND r.key < x.id || '$' AND r.alone AND call_record_cid(r) = x.id
	RETURNING call_of_record(r) AS c
), ins AS (
	INSERT INTO call SELECT (a.c).* FROM a RETURNING 1
)
SELECT count(*) FROM ins $$;
