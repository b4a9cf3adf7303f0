#include "orders/deadline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "core/timeutil.h"

static pthread_rwlock_t calendar_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct calendar *current;	/* NULL until loaded: weekends only */
static int current_years;

int deadline_unit_parse(const char *s)
{
	if (s && !strcmp(s, "hours"))
		return UNIT_HOURS;
	if (s && !strcmp(s, "workdays"))
		return UNIT_WORKDAYS;
	return -1;
}

const char *deadline_unit_code(enum deadline_unit u)
{
	return u == UNIT_HOURS ? "hours" : "workdays";
}

struct calendar *deadline_calendar_read(struct db *db, struct err *e)
{
	struct db_res *days = NULL, *years = NULL;
	struct calendar *cal = NULL;
	int y, m, d;

	days = db_exec(db, "SELECT day::text AS day, off_day, name FROM calendar_day", 0, NULL, e);
	if (!days)
		return NULL;
	years = db_exec(db, "SELECT year FROM calendar_year", 0, NULL, e);
	if (!years)
		goto out;
	cal = calendar_new();
	for (int i = 0; i < db_res_rows(days); i++) {
		if (sscanf(db_res_str(days, i, "day"), "%d-%d-%d", &y, &m, &d) != 3)
			continue;
		calendar_set_day(cal, days_from_civil(y, m, d), db_res_bool(days, i, "off_day"),
				 db_res_str(days, i, "name"));
	}
	for (int i = 0; i < db_res_rows(years); i++)
		calendar_mark_year(cal, (int)db_res_ll(years, i, "year"));
	/* Years without a notice get what the law fixes, and stay provisional. */
	for (int year = CALENDAR_LAW_FIRST_YEAR; year <= CALENDAR_LAW_LAST_YEAR; year++)
		if (!calendar_year_known(cal, year))
			calendar_apply_statutory(cal, year);
out:
	db_res_free(days);
	db_res_free(years);
	return cal;
}

bool deadline_calendar_load(struct db *db, struct err *e)
{
	struct calendar *cal = deadline_calendar_read(db, e);
	struct db_res *n;
	int years;

	if (!cal)
		return false;
	n = db_exec(db, "SELECT count(*) AS n FROM calendar_year", 0, NULL, e);
	if (!n) {
		calendar_free(cal);
		return false;
	}
	years = (int)db_res_ll(n, 0, "n");
	db_res_free(n);
	pthread_rwlock_wrlock(&calendar_lock);
	calendar_free(current);
	current = cal;
	current_years = years;
	pthread_rwlock_unlock(&calendar_lock);
	return true;
}

void deadline_calendar_warn_missing(void)
{
	int y, m, d;

	civil_from_days(time_local_day(time(NULL)), &y, &m, &d);
	for (int year = y; year <= y + 1; year++)
		if (!deadline_year_known(year))
			log_warn("no official holiday notice for %d: deadlines across it count the statutory holidays but no make-up days, and are provisional; load it with `hotline calendar import`",
				 year);
}

int deadline_calendar_years(void)
{
	int n;

	pthread_rwlock_rdlock(&calendar_lock);
	n = current_years;
	pthread_rwlock_unlock(&calendar_lock);
	return n;
}

/* Before the first load: weekends only. Freed never (one small object). */
static struct calendar *empty;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void make_empty(void)
{
	empty = calendar_new();
}

static struct calendar *empty_calendar(void)
{
	pthread_once(&empty_once, make_empty);
	return empty;
}

const struct calendar *deadline_calendar_hold(void)
{
	pthread_rwlock_rdlock(&calendar_lock);
	return current ? current : empty_calendar();
}

void deadline_calendar_release(void)
{
	pthread_rwlock_unlock(&calendar_lock);
}

int deadline_first_provisional(time_t a, time_t b)
{
	int y0, y1, m, d, found = 0;

	civil_from_days(time_local_day(a < b ? a : b), &y0, &m, &d);
	civil_from_days(time_local_day(a < b ? b : a), &y1, &m, &d);
	pthread_rwlock_rdlock(&calendar_lock);
	for (int y = y0; y <= y1 && !found; y++)
		if (!current || !calendar_year_known(current, y))
			found = y;
	pthread_rwlock_unlock(&calendar_lock);
	return found;
}

bool deadline_year_known(int year)
{
	bool known;

	pthread_rwlock_rdlock(&calendar_lock);
	known = current && calendar_year_known(current, year);
	pthread_rwlock_unlock(&calendar_lock);
	return known;
}

time_t deadline_add(time_t from, int limit, enum deadline_unit unit)
{
	time_t due;

	if (unit == UNIT_HOURS)
		return from + (time_t)limit * 3600;
	pthread_rwlock_rdlock(&calendar_lock);
	due = calendar_add_workdays(current ? current : empty_calendar(), from, limit);
	pthread_rwlock_unlock(&calendar_lock);
	return due;
}

time_t deadline_push_back(time_t due, enum deadline_unit unit, time_t a, time_t b)
{
	time_t pushed;

	if (b <= a || a >= due)
		return due;	/* time already overdue is never given back */
	if (unit == UNIT_HOURS)
		return due + (b - a);
	pthread_rwlock_rdlock(&calendar_lock);
	const struct calendar *cal = current ? current : empty_calendar();
	pushed = calendar_add_working_seconds(cal, due, calendar_working_seconds(cal, a, b));
	pthread_rwlock_unlock(&calendar_lock);
	return pushed;
}

long deadline_working_seconds(time_t a, time_t b)
{
	long secs;

	pthread_rwlock_rdlock(&calendar_lock);
	secs = calendar_working_seconds(current ? current : empty_calendar(), a, b);
	pthread_rwlock_unlock(&calendar_lock);
	return secs;
}

bool deadline_policy_get(struct db *db, const char *request_type, const char *urgency,
			 struct deadline_policy *out, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT sign_limit, sign_unit, handle_limit, handle_unit, warn_fraction"
		" FROM deadline_policy WHERE request_type = $1 AND urgency = $2",
		request_type, urgency);
	bool ok;

	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok) {
		out->sign_limit = (int)db_res_ll(r, 0, "sign_limit");
		out->sign_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, 0, "sign_unit"));
		out->handle_limit = (int)db_res_ll(r, 0, "handle_limit");
		out->handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, 0, "handle_unit"));
		out->warn_fraction = atof(db_res_str(r, 0, "warn_fraction"));
	} else {
		err_set(e, 422, ERR_NO_POLICY, "no deadline policy for request type \"%s\" and urgency \"%s\"",
			request_type, urgency);
	}
	db_res_free(r);
	return ok;
}

bool deadline_policy_set(struct db *db, json_object *policy, struct err *e)
{
	const char *type, *urgency, *sign_unit, *handle_unit;
	int64_t sign_limit, handle_limit;
	double warn = 0;
	bool has_warn = json_object_object_get_ex(policy, "warn_fraction", NULL);
	char sl[16], hl[16], wf[16];
	struct db_res *r;
	bool ok;

	if (!json_get_string(policy, "request_type", true, &type, e)
	    || !json_get_string(policy, "urgency", true, &urgency, e)
	    || !json_get_int(policy, "sign_limit", true, &sign_limit, e)
	    || !json_get_string(policy, "sign_unit", true, &sign_unit, e)
	    || !json_get_int(policy, "handle_limit", true, &handle_limit, e)
	    || !json_get_string(policy, "handle_unit", true, &handle_unit, e)
	    || !json_get_double(policy, "warn_fraction", false, &warn, e))
		return false;
	if (deadline_unit_parse(sign_unit) < 0)
		return err_field(e, 422, "sign_unit", ERR_UNKNOWN_CHOICE, "unknown unit \"%s\": expected hours or workdays", sign_unit);
	if (deadline_unit_parse(handle_unit) < 0)
		return err_field(e, 422, "handle_unit", ERR_UNKNOWN_CHOICE, "unknown unit \"%s\": expected hours or workdays", handle_unit);
	if (sign_limit < 1 || sign_limit > 1000)
		return err_field_n(e, 422, "sign_limit", ERR_OUT_OF_RANGE, 1, 1000, "sign_limit %lld is out of range 1 to 1000", (long long)sign_limit);
	if (handle_limit < 1 || handle_limit > 1000)
		return err_field_n(e, 422, "handle_limit", ERR_OUT_OF_RANGE, 1, 1000, "handle_limit %lld is out of range 1 to 1000", (long long)handle_limit);
	if (has_warn && !(warn > 0 && warn < 1))
		return err_field(e, 422, "warn_fraction", ERR_OUT_OF_RANGE, "warn_fraction %g must be between 0 and 1", warn);
	snprintf(sl, sizeof(sl), "%lld", (long long)sign_limit);
	snprintf(hl, sizeof(hl), "%lld", (long long)handle_limit);
	snprintf(wf, sizeof(wf), "%.3f", warn);
	const char *wf_param = has_warn ? wf : NULL;	/* absent: keep the current fraction */
	r = DB_EXEC(db, e,
		    "UPDATE deadline_policy SET sign_limit = $3, sign_unit = $4, handle_limit = $5,"
		    " handle_unit = $6, warn_fraction = coalesce($7::numeric, warn_fraction), updated_at = now()"
		    " WHERE request_type = $1 AND urgency = $2",
		    type, urgency, sl, sign_unit, hl, handle_unit, wf_param);
	if (!r)
		return false;
	ok = db_res_affected(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "request_type", ERR_NO_POLICY, "no policy for request type \"%s\" and urgency \"%s\"",
				 type, urgency);
	return true;
}
