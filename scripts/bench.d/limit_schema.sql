-- The fixed reference for order creation: what PostgreSQL itself commits
-- durably per second for a minimal registration on this machine, written
-- here by hand and never read out of the project's SQL, so that a slower
-- design of ours cannot slow its own yardstick.
--
-- An order row (about 500 bytes of Chinese text), numbered from a
-- sequence as day plus number, and its event row, in one transaction, with
-- the indexes any order table of a hotline needs: the key, the number,
-- queue by status, a unit's orders, by time, by caller, and the text
-- search. scripts/bench runs bench.d/limit_create.sql on it with pgbench.
DROP SCHEMA IF EXISTS bench_limit CASCADE;
CREATE SCHEMA bench_limit;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SEQUENCE bench_limit.order_number;
CREATE TABLE bench_limit.work_order (
	id bigserial PRIMARY KEY,
	number text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now(),
	status text NOT NULL,
	channel text NOT NULL,
	caller_phone text NOT NULL,
	category text NOT NULL,
	district text NOT NULL,
	unit integer,
	content text NOT NULL,
	address text NOT NULL,
	request text NOT NULL
);
CREATE INDEX ON bench_limit.work_order (status, id);
CREATE INDEX ON bench_limit.work_order (unit, status);
CREATE INDEX ON bench_limit.work_order (created_at);
CREATE INDEX ON bench_limit.work_order (caller_phone, created_at);
CREATE INDEX ON bench_limit.work_order USING gin ((content || ' ' || address) gin_trgm_ops);
CREATE TABLE bench_limit.order_event (
	id bigserial PRIMARY KEY,
	order_id bigint NOT NULL REFERENCES bench_limit.work_order (id),
	at timestamptz NOT NULL DEFAULT now(),
	action text NOT NULL,
	payload jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON bench_limit.order_event (order_id, id);
CREATE INDEX ON bench_limit.order_event (action, at);
