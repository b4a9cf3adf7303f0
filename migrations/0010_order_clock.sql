-- What an order's current deadlines were computed from, so that they can be
-- computed again, exactly, when a year's official holiday notice arrives
-- (src/orders/recompute.c): the start and the limit of the handling clock
-- and of the current sign-for clock, the extensions and suspensions since
-- the handling clock started, in order, and the calendar years the
-- computation looked at. One row per order that was given clocks; orders
-- dispatched before this migration have none, and keep their deadlines.
CREATE TABLE order_clock (
	order_id bigint PRIMARY KEY REFERENCES work_order(id) ON DELETE CASCADE,
	handle_from timestamptz,
	handle_limit integer,
	handle_unit text CHECK (handle_unit IN ('hours', 'workdays')),
	sign_from timestamptz,
	sign_limit integer,
	sign_unit text CHECK (sign_unit IN ('hours', 'workdays')),
	-- sign_overdue as it stood when the current sign-for clock started (a
	-- late sign-for on an earlier clock of the same round stays late)
	sign_overdue_before boolean NOT NULL DEFAULT false,
	-- [{"workdays": N}] an extension by N working days from the deadline,
	-- [{"until": epoch}] one to a given time, [{"suspended": [a, b]}] a
	-- suspension from a to b (epoch seconds)
	steps jsonb NOT NULL DEFAULT '[]',
	-- the working days of an extension asked for and not yet decided
	pending_workdays integer,
	-- the calendar years the computation touched (NULL: none, hours only)
	year_from integer,
	year_to integer
);
CREATE INDEX order_clock_years ON order_clock (year_to, year_from) WHERE year_to IS NOT NULL;

-- The years without an official notice that the current deadlines were
-- computed across (their statutory holidays counted, make-up days not):
-- NULL or empty when the deadlines are final.
ALTER TABLE work_order ADD COLUMN deadline_provisional integer[];
