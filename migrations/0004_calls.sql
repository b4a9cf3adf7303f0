-- Call intake (DOMAIN.md §2–§3): the call records imported from the PBX,
-- the live call events of the CTI link, one summary row per call, and the
-- hourly rollups behind the call statistics.
--
-- Sources of one call, joined by its call id (Asterisk uniqueid, FreeSWITCH
-- uuid, or the CTI's call id):
--   call_record  one row per CDR line (Master.csv or FreeSWITCH CSV); a call
--                may have several (Asterisk 12+ writes one per bridge, with
--                a sequence number)
--   queue_event  one row per queue_log line
--   call_event   one row per live event type (offered, answered, ended)
-- Each is keyed by the reader's record key (or call id and type), so a
-- file imported twice adds nothing.
--
-- What counts (the API reference of GET /api/v1/stats/calls restates it):
--
--   kind      of each CDR, by call_kind() below, with the hotline numbers
--             (--hotline-numbers, default 12345, plus the old numbers merged
--             into it) as a parameter:
--               outbound  placed from an internal context: callbacks and
--                         other calls agents make (Asterisk from-internal…,
--                         internal…; FreeSWITCH default);
--               other     from outside to a number that is not a hotline
--                         number;
--               ivr       to a hotline number, ended in the IVR: the last
--                         application was not Queue or Dial and no agent's
--                         channel was reached (menu, announcement, hang-up
--                         before the queue);
--               inbound   to a hotline number, reached the queue or an agent.
--             Outbound and other calls are stored but never count.
--   offered   (呼入量) an inbound call that reached the queue for a person:
--               - queue_log, when the call has an ENTERQUEUE: the queue
--                 defines the call (queue entry time, wait, answer by an
--                 agent, abandon), whatever its CDR says, except that a
--                 CDR marking the call outbound or other excludes it;
--               - else the live events, when an "offered" event came;
--               - else the CDR alone (a CDR-only deployment): a call with an
--                 inbound record; IVR-only calls are excluded.
--   answered  (接通) offered and connected to an agent: queue_log CONNECT;
--             live "answered"; CDR-only: an inbound record ANSWERED that
--             reached an agent's channel (FreeSWITCH, which names no
--             channel: ANSWERED).
--   abandoned (放弃) offered, not answered, and over: ABANDON,
--             EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY; live "ended" before
--             "answered"; a CDR not answered. A queue call with neither
--             outcome yet is offered and still waiting.
--   wait      seconds from queue entry to answer or abandon: CONNECT
--             holdtime / the exit's waittime; live answered − offered;
--             CDR-only: answer − start (the PBX's view: a queue that
--             answers the channel first reports about 0 s; import queue_log
--             for true waits).
--   talk      of answered calls: queue_log COMPLETE*/TRANSFER calltime,
--             else the CDR billsec (summed over the call's answered legs),
--             else live ended − answered.
--   short abandon  abandoned with wait ≤ --short-abandon-seconds (5).
--   hour      the local hour (session time zone, --tz) of queue entry,
--             else the live offer, else the CDR start.
-- Whether short abandons count in offered is decided when reporting.

-- ------------------------------------------------------------ raw records

-- What a CDR is for the hotline (see the top). FreeSWITCH records have no
-- last application: they count as reaching the queue.
CREATE FUNCTION call_kind(dialled text, context text, last_app text, dst_channel text,
		agent text, hotline text[])
	RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
	WHEN context LIKE 'from-internal%' OR context LIKE 'internal%' OR context = 'default'
		THEN 'outbound'
	WHEN dialled IS NULL OR NOT dialled = ANY (hotline) THEN 'other'
	WHEN last_app IS NULL OR last_app IN ('Queue', 'Dial', 'AgentLogin')
		OR dst_channel IS NOT NULL OR agent IS NOT NULL THEN 'inbound'
	ELSE 'ivr' END $$;

-- One CDR line. The columns up to user_field are the reader's COPY columns
-- (CALL_RECORD_COPY_COLUMNS in src/calls/cdr.h); caller_phone and kind are
-- the import's: the caller normalised (NULL when not a phone number, e.g.
-- an extension), and call_kind() with the hotline numbers of the import.
CREATE TABLE call_record (
	key text COLLATE "C" PRIMARY KEY,
	source_format text NOT NULL,
	call_id text,
	linked_id text,
	peer_call_id text,
	sequence integer,
	account_code text,
	caller text,
	caller_name text,
	dialled text,
	context text,
	channel text,
	dst_channel text,
	last_app text,
	last_data text,
	agent text,
	started_at timestamptz NOT NULL,
	answered_at timestamptz,
	ended_at timestamptz NOT NULL,
	duration integer NOT NULL,
	billsec integer NOT NULL,
	disposition text NOT NULL,
	hangup_cause text,
	user_field text,
	caller_phone text,
	kind text NOT NULL CHECK (kind IN ('inbound', 'ivr', 'outbound', 'other')),
	imported_at timestamptz NOT NULL DEFAULT now()
);

-- One queue_log line (QUEUE_EVENT_COPY_COLUMNS), caller_phone normalised
-- from ENTERQUEUE's callerid.
CREATE TABLE queue_event (
	key text COLLATE "C" PRIMARY KEY,
	event_at timestamptz NOT NULL,
	call_id text,
	queue text,
	member text,
	agent text,
	event text NOT NULL,
	data text,
	caller text,
	position integer,
	orig_position integer,
	wait_seconds integer,
	talk_seconds integer,
	ring_seconds integer,
	exit_key text,
	transfer_to text,
	member_call_id text,
	caller_phone text,
	imported_at timestamptz NOT NULL DEFAULT now()
);

-- Live events (POST /api/v1/calls/events): the first of each type per call
-- wins; a repeat is acknowledged and ignored.
CREATE TABLE call_event (
	call_id text COLLATE "C" NOT NULL,
	type text NOT NULL CHECK (type IN ('offered', 'answered', 'ended')),
	at timestamptz NOT NULL,
	caller text,
	caller_phone text,
	dialled text,
	queue text,
	agent text,
	agent_user_id integer REFERENCES app_user(id),
	cause text,
	-- of an event that names the dialled number: inbound when it is a
	-- hotline number, else other; NULL when the event names none
	kind text CHECK (kind IN ('inbound', 'other')),
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (call_id, type)
);

-- An agent's phone extension, so that live events and CDRs naming an
-- extension find the user (`hotline calls extension`).
CREATE TABLE agent_extension (
	extension text PRIMARY KEY CHECK (extension ~ '^[0-9A-Za-z_.-]{1,32}$'),
	user_id integer NOT NULL UNIQUE REFERENCES app_user(id) ON DELETE CASCADE
);

-- ------------------------------------------------------ the call summary

-- One row per call id (a CDR without a call id: its record key). The
-- partial aggregates of each source are merged as batches and events
-- arrive (earliest start, latest end, sums of counts, first value of the
-- rest); the functions below derive what the call counts as; the prev_*
-- columns keep what it counted as in the rollups before the last change,
-- so that the rollups move by the difference without reading the row twice.
CREATE TABLE call (
	call_id text COLLATE "C" PRIMARY KEY,
	caller text,
	caller_phone text COLLATE "C",
	caller_name text,
	dialled text,
	queue text,
	-- from CDRs
	cdr_rows integer NOT NULL DEFAULT 0,
	cdr_inbound boolean NOT NULL DEFAULT false,
	cdr_excluded boolean NOT NULL DEFAULT false,	-- a record was outbound or other
	cdr_started_at timestamptz,
	cdr_answered_at timestamptz,
	cdr_ended_at timestamptz,
	cdr_answered boolean NOT NULL DEFAULT false,
	cdr_billsec integer,
	cdr_agent text,
	-- from queue_log
	q_events integer NOT NULL DEFAULT 0,
	q_entered_at timestamptz,
	q_connected_at timestamptz,
	q_wait integer,
	q_agent text,
	q_abandoned_at timestamptz,
	q_abandon_wait integer,
	q_talk integer,
	-- from live events
	ev_kind text,
	ev_offered_at timestamptz,
	ev_answered_at timestamptz,
	ev_ended_at timestamptz,
	ev_agent text,
	ev_agent_user_id integer,
	ev_cause text,
	-- what the rollups hold for this call
	prev_at timestamptz,
	prev_dialled text,
	prev_queue text,
	prev_offered boolean NOT NULL DEFAULT false,
	prev_answered boolean NOT NULL DEFAULT false,
	prev_abandoned boolean NOT NULL DEFAULT false,
	prev_wait_s integer,
	prev_talk_s integer
);

-- The derived facts of a call, as defined at the top. IMMUTABLE SQL
-- functions of the row: the planner inlines them into the statement.
CREATE FUNCTION call_at(c call) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(c.q_entered_at, c.ev_offered_at, c.cdr_started_at, c.ev_answered_at,
		c.q_connected_at, c.q_abandoned_at, c.ev_ended_at) $$;

CREATE FUNCTION call_offered(c call) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT NOT c.cdr_excluded AND coalesce(c.ev_kind, '') <> 'other'
	AND (c.q_entered_at IS NOT NULL OR c.ev_offered_at IS NOT NULL OR c.cdr_inbound) $$;

CREATE FUNCTION call_answered(c call) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT call_offered(c) AND CASE
	WHEN c.q_entered_at IS NOT NULL THEN c.q_connected_at IS NOT NULL
	WHEN c.ev_offered_at IS NOT NULL THEN c.ev_answered_at IS NOT NULL
	ELSE c.cdr_answered END $$;

CREATE FUNCTION call_abandoned(c call) RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT call_offered(c) AND CASE
	WHEN c.q_entered_at IS NOT NULL THEN c.q_connected_at IS NULL AND c.q_abandoned_at IS NOT NULL
	WHEN c.ev_offered_at IS NOT NULL THEN c.ev_answered_at IS NULL AND c.ev_ended_at IS NOT NULL
	ELSE NOT c.cdr_answered END $$;

-- Whole seconds from a to b, 0 if b is before a, NULL if either is unknown.
CREATE FUNCTION seconds_between(a timestamptz, b timestamptz) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN b >= a THEN extract(epoch FROM b - a)::integer WHEN b < a THEN 0 END $$;

CREATE FUNCTION call_wait(c call) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
	WHEN c.q_entered_at IS NOT NULL THEN
		CASE WHEN c.q_connected_at IS NOT NULL
			THEN coalesce(c.q_wait, seconds_between(c.q_entered_at, c.q_connected_at))
		     WHEN c.q_abandoned_at IS NOT NULL
			THEN coalesce(c.q_abandon_wait, seconds_between(c.q_entered_at, c.q_abandoned_at)) END
	WHEN c.ev_offered_at IS NOT NULL THEN
		seconds_between(c.ev_offered_at, coalesce(c.ev_answered_at, c.ev_ended_at))
	WHEN c.cdr_answered THEN seconds_between(c.cdr_started_at, c.cdr_answered_at)
	ELSE seconds_between(c.cdr_started_at, c.cdr_ended_at) END $$;

CREATE FUNCTION call_talk(c call) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
	WHEN c.q_entered_at IS NOT NULL
		THEN coalesce(c.q_talk, CASE WHEN c.cdr_answered THEN c.cdr_billsec END)
	WHEN c.ev_offered_at IS NOT NULL THEN
		coalesce(CASE WHEN c.cdr_answered THEN c.cdr_billsec END,
			 seconds_between(c.ev_answered_at, c.ev_ended_at))
	WHEN c.cdr_answered THEN c.cdr_billsec END $$;

CREATE INDEX call_caller ON call (caller_phone) WHERE caller_phone IS NOT NULL;
CREATE INDEX call_current ON call (ev_agent_user_id, ev_answered_at)
	WHERE ev_answered_at IS NOT NULL AND ev_ended_at IS NULL;

-- The orders registered during a call (work_order.call_id), for the
-- caller's history.
CREATE INDEX work_order_call ON work_order (call_id) WHERE call_id IS NOT NULL;

-- ---------------------------------------------------------------- rollups

-- Offered calls per local hour, dialled number and queue ('' = unknown or
-- none), moved by every import batch and live event in the same
-- transaction. short_abandoned uses the threshold in force when the call
-- was counted; after changing --short-abandon-seconds, --hotline-numbers
-- or --tz, run `hotline calls rebuild`.
CREATE TABLE call_hour (
	bucket timestamptz NOT NULL,
	dialled text COLLATE "C" NOT NULL,
	queue text COLLATE "C" NOT NULL,
	offered integer NOT NULL DEFAULT 0,
	answered integer NOT NULL DEFAULT 0,
	abandoned integer NOT NULL DEFAULT 0,
	short_abandoned integer NOT NULL DEFAULT 0,
	answered_15s integer NOT NULL DEFAULT 0,
	wait_sum bigint NOT NULL DEFAULT 0,
	wait_n integer NOT NULL DEFAULT 0,
	talk_sum bigint NOT NULL DEFAULT 0,
	talk_n integer NOT NULL DEFAULT 0,
	PRIMARY KEY (bucket, dialled, queue)
);
