-- Foundation: extensions and the helpers every later migration uses.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ISO 8601 with offset in the session's time zone, e.g.
-- 2026-11-21T09:30:00+08:00: the one time format on the wire.
CREATE FUNCTION iso(t timestamptz) RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT to_char(t, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') $$;

-- Operational key/value settings that administrators change at run time
-- (the rest of the configuration is command-line and environment).
CREATE TABLE setting (
	key text PRIMARY KEY,
	value jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
