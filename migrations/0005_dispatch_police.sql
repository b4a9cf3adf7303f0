-- Dispatch intelligence and the 110 bridge: the keyword rules of the
-- dispatch catalogue, what was suggested at dispatch, the callers that
-- merged orders bring to their master, and the work orders exchanged with
-- 110 (国办发〔2022〕12号: 工单互转、闭环反馈).

-- The keyword rules (派单目录). The server compiles the active ones into
-- one PCRE2 rule set and rebuilds it when routing_version moves.
CREATE TABLE routing_rule (
	id bigserial PRIMARY KEY,
	priority integer NOT NULL DEFAULT 0,
	name text NOT NULL CHECK (name <> ''),
	pattern text NOT NULL CHECK (pattern <> ''),
	applies_to text NOT NULL DEFAULT 'content' CHECK (applies_to IN ('content', 'address', 'both')),
	category_prefix text,
	district text,
	street text,
	suggest_category text,
	suggest_department text,
	suggest_urgency text CHECK (suggest_urgency IN ('一般', '紧急', '特急')),
	police boolean NOT NULL DEFAULT false,
	caseless boolean NOT NULL DEFAULT false,
	active boolean NOT NULL DEFAULT true,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_rule_priority ON routing_rule (priority DESC, id) WHERE active;

-- One row, bumped by every statement that changes routing_rule (including
-- edits made with psql), so that each server process can tell with one
-- cheap query whether its compiled rule set is stale.
CREATE TABLE routing_version (
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	version bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO routing_version (version) VALUES (1);

CREATE FUNCTION routing_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE routing_version SET version = version + 1, updated_at = now();
	RETURN NULL;
END $$;
CREATE TRIGGER routing_rule_changed AFTER INSERT OR UPDATE OR DELETE ON routing_rule
	FOR EACH STATEMENT EXECUTE FUNCTION routing_version_bump();
CREATE TRIGGER routing_rule_truncated AFTER TRUNCATE ON routing_rule
	FOR EACH STATEMENT EXECUTE FUNCTION routing_version_bump();

-- What the rules suggested when an order was dispatched, and whether the
-- agent followed it. rule_id has no foreign key: an import replaces every
-- rule, and the record must outlive it (rule_name keeps what was shown).
CREATE TABLE dispatch_suggestion (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	rule_id bigint,
	rule_name text NOT NULL DEFAULT '',
	suggested_department text,
	chosen_department text NOT NULL,
	accepted boolean NOT NULL,
	source text NOT NULL CHECK (source IN ('agent', 'rules')),
	actor_id integer REFERENCES app_user(id),
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispatch_suggestion_order ON dispatch_suggestion (order_id, id);
CREATE INDEX dispatch_suggestion_at ON dispatch_suggestion (at);

-- 并单: the callers of orders merged into a master order. merged_order_id
-- is the order the caller first called about (kept through chains of merges).
CREATE TABLE order_extra_caller (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	merged_order_id bigint NOT NULL REFERENCES work_order(id),
	name text NOT NULL DEFAULT '',
	phone text NOT NULL DEFAULT '',
	confidential boolean NOT NULL DEFAULT false,
	at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (order_id, merged_order_id)
);

-- Duplicate candidates: same address (white space ignored) and category.
CREATE INDEX work_order_address_category ON work_order
	((regexp_replace(address, '\s', '', 'g')), category_code) WHERE address <> '';

-- Messages to 110, delivered by a background worker (transactional outbox:
-- written in the transaction of the action that causes them). Messages of
-- one order go out strictly in `seq` order; `body` is the exact JSON sent
-- on every attempt, `message_id` its Idempotency-Key.
CREATE TABLE police_outbox (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	seq integer NOT NULL CHECK (seq > 0),
	kind text NOT NULL CHECK (kind IN ('transfer', 'feedback')),
	message_id text NOT NULL UNIQUE,
	body text NOT NULL,
	state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'parked')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_owner text,
	lease_until timestamptz,
	last_attempt_at timestamptz,
	last_status integer,
	last_error text NOT NULL DEFAULT '',
	peer_ref text,			-- the peer's incident number from its acknowledgement
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz,
	parked_at timestamptz,
	UNIQUE (order_id, seq)
);
CREATE INDEX police_outbox_due ON police_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX police_outbox_parked ON police_outbox (id) WHERE state = 'parked';

-- Work orders 110 handed to us (警单转12345), one order per incident.
CREATE TABLE police_inbound (
	incident_no text PRIMARY KEY,
	order_id bigint NOT NULL UNIQUE REFERENCES work_order(id),
	incident_time timestamptz NOT NULL,
	category_code text,		-- as sent, even when not one of ours
	payload jsonb NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
);

-- An order made from a 警单 carries the key "police:<incident_no>" and no
-- creator: at most one order per incident even if two requests race.
CREATE UNIQUE INDEX work_order_police_incident ON work_order (idempotency_key)
	WHERE channel = 'police' AND created_by IS NULL AND idempotency_key IS NOT NULL;

-- 110's feedback on orders we transferred to them.
CREATE TABLE police_feedback (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	incident_no text NOT NULL DEFAULT '',
	state text NOT NULL,
	result text NOT NULL DEFAULT '',
	handler text NOT NULL DEFAULT '',
	at timestamptz NOT NULL,
	dedup_key text NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (order_id, dedup_key)
);

-- Signatures of signed requests from 110 already accepted within the
-- timestamp window: a replayed request is refused. Old rows are purged.
CREATE TABLE police_nonce (
	signature text PRIMARY KEY,
	seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX police_nonce_seen ON police_nonce (seen_at);
