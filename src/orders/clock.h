/*
 * clock: what an order's deadlines are computed from, kept beside them
 * (table order_clock) so that they can be computed again, exactly, on a
 * corrected calendar (orders/recompute.h).
 *
 * A handling clock is its start, its limit and unit (from the policy), and
 * the steps that moved it since: extensions by N working days or to a given
 * time, and suspensions from a to b. A sign-for clock is its start, limit
 * and unit. clock_replay() computes the deadlines from these on a given
 * calendar; the clock_*() functions below record each event as the
 * lifecycle actions take it, inside the action's transaction, and return
 * the deadlines as clock_replay() computes them on the process calendar,
 * so that the first computation and any later one are the same function.
 *
 * Each also notes the calendar years the computation touched and which of
 * them have no official notice: work_order.deadline_provisional.
 */
#ifndef HOTLINE_ORDERS_CLOCK_H
#define HOTLINE_ORDERS_CLOCK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "core/err.h"
#include "db/db.h"
#include "orders/deadline.h"

struct calendar;

/* The most provisional years one computation reports (more are dropped). */
#define CLOCK_PROVISIONAL_MAX 8

struct clock_input {
	time_t handle_from;		/* 0: no handling clock recorded */
	int handle_limit;
	enum deadline_unit handle_unit;
	time_t sign_from;		/* 0: no sign-for clock recorded */
	int sign_limit;
	enum deadline_unit sign_unit;
	json_object *steps;		/* array as in order_clock.steps; borrowed; may be NULL */
	int pending_workdays;		/* an extension asked for by working days; 0 none */
};

struct clock_result {
	time_t sign_deadline;		/* 0 when there is no sign-for clock */
	time_t handle_deadline;		/* 0 when there is no handling clock */
	time_t requested_deadline;	/* of pending_workdays; 0 when none */
	int year_from, year_to;		/* the years looked at; 0 when none (hours only) */
	int provisional[CLOCK_PROVISIONAL_MAX];	/* of those, the ones without a notice */
	int nprovisional;
};

/* Computes the deadlines of `in` on `cal`. Never fails. */
void clock_replay(const struct calendar *cal, const struct clock_input *in,
		  struct clock_result *out);

/*
 * Starts both clocks of order `order_id` at `now` under policy `p` (dispatch,
 * re-dispatch, reopen), forgetting earlier steps; stores the deadlines in
 * *sign_deadline and *handle_deadline. False with `e` filled on a database
 * error.
 */
bool clock_start(struct db *db, const char *order_id, time_t now, const struct deadline_policy *p,
		 time_t *sign_deadline, time_t *handle_deadline, struct err *e);

/* A new sign-for clock at `now` (a sub-unit, a rejected return); the handling
 * clock stands. `overdue_before` is the order's sign_overdue until now. */
bool clock_start_sign(struct db *db, const char *order_id, time_t now,
		      const struct deadline_policy *p, bool overdue_before,
		      time_t *sign_deadline, struct err *e);

/* An extension asked for: by `workdays` working days, or (0) to a time. */
bool clock_extension_asked(struct db *db, const char *order_id, int workdays, struct err *e);

/* The extension granted, the deadline now `until`. */
bool clock_extension_granted(struct db *db, const char *order_id, time_t until, struct err *e);

/* The clock suspended from `a` and resumed at `b`. */
bool clock_resumed(struct db *db, const char *order_id, time_t a, time_t b, struct err *e);

/*
 * Stores the result of a replay of the order's clock: order_clock's years
 * and work_order.deadline_provisional. For orders/recompute.c.
 */
bool clock_store_years(struct db *db, const char *order_id, const struct clock_result *r,
		       struct err *e);

/* Formats r's provisional years as a SQL array literal ("{2027}"), or NULL
 * if there are none; `out` must hold 8 * CLOCK_PROVISIONAL_MAX bytes. */
const char *clock_provisional_sql(const struct clock_result *r, char *out);

#endif
