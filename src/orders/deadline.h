/*
 * deadline: the clocks of an order (签收时限, 办理时限) on the official
 * working-day calendar.
 *
 * The process keeps one calendar, loaded from the database by
 * deadline_calendar_load() at start and again whenever the set of loaded
 * years changes (the sweeper checks). Readers and the reload are
 * serialised by a read-write lock, so any thread may compute deadlines.
 */
#ifndef HOTLINE_ORDERS_DEADLINE_H
#define HOTLINE_ORDERS_DEADLINE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "core/err.h"
#include "db/db.h"

enum deadline_unit { UNIT_HOURS, UNIT_WORKDAYS };

struct deadline_policy {
	int sign_limit;
	enum deadline_unit sign_unit;
	int handle_limit;
	enum deadline_unit handle_unit;
	double warn_fraction;
};

/* Parses "hours" / "workdays"; returns -1 otherwise. */
int deadline_unit_parse(const char *s);
const char *deadline_unit_code(enum deadline_unit u);

struct calendar;

/*
 * Reads the calendar from calendar_day and calendar_year (within the
 * caller's transaction, if any) into a new calendar owned by the caller:
 * the official days, and for each year from 2025 to 2100 without a notice
 * the statutory holidays of the law (calendar_apply_statutory()), such a
 * year staying unknown, i.e. provisional. NULL with `e` filled on failure.
 */
struct calendar *deadline_calendar_read(struct db *db, struct err *e);
/*
 * (Re)loads the process calendar as deadline_calendar_read() reads it.
 * Returns false with `e` filled (the previous calendar stays in force).
 */
bool deadline_calendar_load(struct db *db, struct err *e);
/*
 * The process calendar, held for reading (never NULL: weekends only before
 * the first load) until deadline_calendar_release(). Hold it briefly, and
 * never across a reload in the same thread.
 */
const struct calendar *deadline_calendar_hold(void);
void deadline_calendar_release(void);
/* The first year from a's local year to b's (either order) that has no
 * official notice, so that a deadline across it is provisional; 0 if none. */
int deadline_first_provisional(time_t a, time_t b);
/* Logs a warning for this year and next if they have no official data. */
void deadline_calendar_warn_missing(void);
/* The number of years loaded (to notice that a reload is due). */
int deadline_calendar_years(void);
/* True if `year` has official holiday data. */
bool deadline_year_known(int year);

/*
 * The due time `limit` units after `from`: natural hours are added as
 * they are; N working days end at 23:59:59 local time of the Nth working
 * day counted from the day after from's local date.
 */
time_t deadline_add(time_t from, int limit, enum deadline_unit unit);
/*
 * The deadline `due` pushed back by a suspension from `a` to `b`: by the
 * natural time for hour clocks, by the working time in [a, b) for working
 * day clocks (docs/deadlines.md, "Suspensions": the deadline moves, the
 * clock does not just stop). A suspension that began at or after `due`
 * moves nothing: time already overdue is never given back.
 */
time_t deadline_push_back(time_t due, enum deadline_unit unit, time_t a, time_t b);
/* Working seconds between two instants (for average handling time). */
long deadline_working_seconds(time_t a, time_t b);

/* Reads the policy for a request type and urgency. 422 if there is none. */
bool deadline_policy_get(struct db *db, const char *request_type, const char *urgency,
			 struct deadline_policy *out, struct err *e);

/*
 * Changes one policy from a JSON object {request_type, urgency, sign_limit,
 * sign_unit, handle_limit, handle_unit, warn_fraction}. New clocks use it;
 * running clocks keep the deadlines they were given. 422 naming the field.
 */
bool deadline_policy_set(struct db *db, json_object *policy, struct err *e);

#endif
