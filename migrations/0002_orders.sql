-- The work-order engine: departments, users, reference data, orders and
-- their append-only event record, deadline policies.

-- Departments form a tree: city departments and districts at the top,
-- streets/towns and sub-units below. `path` lists the ids from the root,
-- "/3/17/", so that "this department or any below it" is a prefix match.
CREATE TABLE department (
	id serial PRIMARY KEY,
	code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
	name text NOT NULL CHECK (name <> ''),
	kind text NOT NULL CHECK (kind IN ('city', 'district', 'street', 'unit')),
	parent_id integer REFERENCES department(id),
	path text NOT NULL DEFAULT '',
	active boolean NOT NULL DEFAULT true,
	contact text NOT NULL DEFAULT '',
	phone text NOT NULL DEFAULT ''
);
CREATE INDEX department_path ON department (path text_pattern_ops);

CREATE FUNCTION department_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.parent_id IS NULL THEN
		NEW.path := '/' || NEW.id || '/';
	ELSE
		SELECT path || NEW.id || '/' INTO NEW.path FROM department WHERE id = NEW.parent_id;
		IF NEW.path LIKE '%/' || NEW.id || '/%/' || NEW.id || '/' OR NEW.path IS NULL THEN
			RAISE EXCEPTION 'department % cannot be its own ancestor', NEW.code
				USING ERRCODE = 'check_violation', CONSTRAINT = 'department_parent_cycle';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER department_path BEFORE INSERT OR UPDATE OF parent_id ON department
	FOR EACH ROW EXECUTE FUNCTION department_set_path();

CREATE TABLE app_user (
	id serial PRIMARY KEY,
	login text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9_.@-]{2,64}$'),
	display_name text NOT NULL DEFAULT '',
	role text NOT NULL CHECK (role IN ('agent', 'reviewer', 'dept_handler', 'dept_admin',
	                                   'supervisor', 'admin')),
	department_id integer REFERENCES department(id),
	password_hash text NOT NULL,
	active boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT app_user_department_role CHECK (
		(role IN ('dept_handler', 'dept_admin')) = (department_id IS NOT NULL))
);

-- Browser sessions and integration tokens are stored as SHA-256 of the
-- secret: a database dump does not let anyone in.
CREATE TABLE session (
	token_hash bytea PRIMARY KEY,
	user_id integer NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
	csrf_token text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX session_expires ON session (expires_at);

CREATE TABLE api_token (
	id serial PRIMARY KEY,
	user_id integer NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE,
	name text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);

CREATE TABLE login_failure (
	login text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failure_login_at ON login_failure (login, at);

-- Subject categories: a tree of codes, two digits a level (01, 0101, 010101).
CREATE TABLE category (
	code text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z]{2,12}$'),
	name text NOT NULL CHECK (name <> ''),
	parent_code text REFERENCES category(code),
	active boolean NOT NULL DEFAULT true
);

CREATE TABLE request_type (
	code text PRIMARY KEY,
	name text NOT NULL,
	sort smallint NOT NULL
);
INSERT INTO request_type VALUES
	('consult', '咨询', 1), ('help', '求助', 2), ('complaint', '投诉', 3),
	('report', '举报', 4), ('suggestion', '建议', 5), ('praise', '表扬', 6);

CREATE TABLE urgency (
	code text PRIMARY KEY,
	name text NOT NULL,
	sort smallint NOT NULL
);
INSERT INTO urgency VALUES ('normal', '一般', 1), ('urgent', '紧急', 2), ('critical', '特急', 3);

CREATE TABLE channel (
	code text PRIMARY KEY,
	name text NOT NULL,
	sort smallint NOT NULL
);
INSERT INTO channel VALUES
	('phone', '电话', 1), ('police', '110转办', 2), ('web', '网站/APP', 3),
	('sms', '短信', 4), ('letter', '信件', 5);

-- Deadline policy per request type and urgency. Units: natural hours, or
-- working days on the official calendar. Seeded from Guangdong's published
-- handling limits (咨询 2, 求助/建议 10, 投诉/举报 15 working days), sign-for
-- within 1 working day; urgent work runs on natural hours: 紧急 24 hours,
-- 特急 2 hours (Beijing's draft for matters endangering life or property).
CREATE TABLE deadline_policy (
	request_type text NOT NULL REFERENCES request_type(code),
	urgency text NOT NULL REFERENCES urgency(code),
	sign_limit integer NOT NULL CHECK (sign_limit > 0),
	sign_unit text NOT NULL CHECK (sign_unit IN ('hours', 'workdays')),
	handle_limit integer NOT NULL CHECK (handle_limit > 0),
	handle_unit text NOT NULL CHECK (handle_unit IN ('hours', 'workdays')),
	warn_fraction numeric(4,3) NOT NULL DEFAULT 0.75 CHECK (warn_fraction > 0 AND warn_fraction < 1),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (request_type, urgency)
);
INSERT INTO deadline_policy (request_type, urgency, sign_limit, sign_unit, handle_limit, handle_unit)
SELECT t.code, u.code,
	CASE u.code WHEN 'normal' THEN 1 WHEN 'urgent' THEN 2 ELSE 1 END,
	CASE u.code WHEN 'normal' THEN 'workdays' ELSE 'hours' END,
	CASE u.code
		WHEN 'critical' THEN 2
		WHEN 'urgent' THEN 24
		ELSE CASE t.code WHEN 'consult' THEN 2 WHEN 'help' THEN 10 WHEN 'suggestion' THEN 10
		                 WHEN 'praise' THEN 2 ELSE 15 END
	END,
	CASE u.code WHEN 'normal' THEN 'workdays' ELSE 'hours' END
FROM request_type t CROSS JOIN urgency u;

-- Daily counter behind the human-readable number 20261121-000123.
CREATE TABLE order_counter (
	day date PRIMARY KEY,
	last integer NOT NULL
);

CREATE TABLE work_order (
	id bigserial PRIMARY KEY,
	number text NOT NULL UNIQUE,
	channel text NOT NULL REFERENCES channel(code),
	request_type text NOT NULL REFERENCES request_type(code),
	urgency text NOT NULL REFERENCES urgency(code),
	category_code text REFERENCES category(code),
	caller_name text NOT NULL DEFAULT '',
	caller_phone text NOT NULL DEFAULT '',
	confidential boolean NOT NULL DEFAULT false,
	address text NOT NULL DEFAULT '',
	district_id integer REFERENCES department(id),
	street_id integer REFERENCES department(id),
	latitude double precision CHECK (latitude BETWEEN -90 AND 90),
	longitude double precision CHECK (longitude BETWEEN -180 AND 180),
	content text NOT NULL CHECK (content <> '' AND char_length(content) <= 4000),
	request text NOT NULL DEFAULT '',	-- what the caller asks for (诉求)
	status text NOT NULL CHECK (status IN ('pending', 'dispatched', 'in_progress',
		'return_requested', 'extension_requested', 'suspended', 'awaiting_callback',
		'completed', 'transferred', 'merged', 'archived')),
	lead_department_id integer REFERENCES department(id),
	-- deadlines: the running clock's start, the sign-for and handling limits
	clock_started_at timestamptz,
	sign_deadline timestamptz,
	handle_deadline timestamptz,
	handle_unit text CHECK (handle_unit IN ('hours', 'workdays')),
	warn_fraction numeric(4,3) NOT NULL DEFAULT 0.75,
	warn_at timestamptz,		-- when the warning fraction of the clock is used up
	alert text NOT NULL DEFAULT 'none' CHECK (alert IN ('none', 'green', 'yellow', 'red')),
	sign_overdue boolean NOT NULL DEFAULT false,
	suspended_at timestamptz,
	-- requests waiting for a decision
	requested_deadline timestamptz,
	pending_reason text NOT NULL DEFAULT '',
	extension_count integer NOT NULL DEFAULT 0,
	return_count integer NOT NULL DEFAULT 0,
	reopen_count integer NOT NULL DEFAULT 0,
	press_count integer NOT NULL DEFAULT 0,
	-- outcome
	result text NOT NULL DEFAULT '',
	solved boolean,
	contacted boolean,
	satisfaction text CHECK (satisfaction IN ('satisfied', 'basically', 'unsatisfied')),
	callback_result text,
	transferred_to text,
	merged_into bigint REFERENCES work_order(id),
	call_id text,
	signed_at timestamptz,
	replied_at timestamptz,
	completed_at timestamptz,
	created_by integer REFERENCES app_user(id),
	idempotency_key text,
	version integer NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (created_by, idempotency_key)
);
CREATE INDEX work_order_status ON work_order (status, id);
CREATE INDEX work_order_lead ON work_order (lead_department_id, status);
CREATE INDEX work_order_created ON work_order (created_at);
CREATE INDEX work_order_phone ON work_order (caller_phone, created_at);
CREATE INDEX work_order_open_deadline ON work_order (handle_deadline)
	WHERE status IN ('dispatched', 'in_progress', 'return_requested', 'extension_requested',
	                 'suspended');
CREATE INDEX work_order_warn ON work_order (warn_at)
	WHERE alert IN ('none', 'green') AND status IN ('dispatched', 'in_progress',
	      'return_requested', 'extension_requested');
CREATE INDEX work_order_text ON work_order USING gin ((content || ' ' || address) gin_trgm_ops);

-- Assisting units (协办) beside the lead unit (主办).
CREATE TABLE order_assist (
	order_id bigint NOT NULL REFERENCES work_order(id),
	department_id integer NOT NULL REFERENCES department(id),
	PRIMARY KEY (order_id, department_id)
);
CREATE INDEX order_assist_department ON order_assist (department_id);

-- Every action on an order (全程留痕): appended, never updated, never deleted.
CREATE TABLE order_event (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES work_order(id),
	at timestamptz NOT NULL DEFAULT now(),
	actor_id integer REFERENCES app_user(id),
	actor_role text NOT NULL DEFAULT 'system',
	department_id integer REFERENCES department(id),
	action text NOT NULL,
	from_status text,
	to_status text,
	note text NOT NULL DEFAULT '',
	payload jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX order_event_order ON order_event (order_id, id);
CREATE INDEX order_event_action_at ON order_event (action, at);

CREATE FUNCTION order_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'order events are append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER order_event_no_update BEFORE UPDATE OR DELETE ON order_event
	FOR EACH ROW EXECUTE FUNCTION order_event_append_only();
CREATE TRIGGER order_event_no_truncate BEFORE TRUNCATE ON order_event
	FOR EACH STATEMENT EXECUTE FUNCTION order_event_append_only();
