-- Login throttling by client address and by login, counted atomically;
-- API tokens remember when they were last used.

-- One row per throttled key: "p:<address>:<md5 of login>" (a login from one
-- address), "l:<md5 of login>" (a login from anywhere), "a:<address>" (an
-- address trying any login). `failures` counts the attempts since the last
-- quiet spell (a success refunds its own); once a key's count reaches its
-- free allowance, every further failure blocks it until `blocked_until`,
-- a delay that doubles with each failure up to a cap (src/auth/auth.c).
CREATE TABLE login_throttle (
	key text PRIMARY KEY,
	failures integer NOT NULL DEFAULT 0,
	last_failure timestamptz NOT NULL DEFAULT now(),
	blocked_until timestamptz
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure);

DROP TABLE login_failure;

ALTER TABLE api_token ADD COLUMN last_used_at timestamptz;
