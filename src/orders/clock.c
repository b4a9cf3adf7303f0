#include "orders/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "core/log.h"
#include "core/timeutil.h"

static int year_of(time_t t)
{
	int y, m, d;

	civil_from_days(time_local_day(t), &y, &m, &d);
	return y;
}

/* Notes that a computation looked at the days from `a` to `b`. */
static void touch(struct clock_result *r, time_t a, time_t b)
{
	int y0 = year_of(a < b ? a : b), y1 = year_of(a < b ? b : a);

	if (!r->year_from || y0 < r->year_from)
		r->year_from = y0;
	if (!r->year_to || y1 > r->year_to)
		r->year_to = y1;
}

static time_t add(const struct calendar *cal, struct clock_result *r, time_t from, int n,
		  enum deadline_unit unit)
{
	time_t due;

	if (unit == UNIT_HOURS)
		return from + (time_t)n * 3600;
	due = calendar_add_workdays(cal, from, n);
	touch(r, from, due);
	return due;
}

static time_t push_back(const struct calendar *cal, struct clock_result *r, time_t due,
			enum deadline_unit unit, time_t a, time_t b)
{
	time_t pushed;

	if (b <= a || a >= due)
		return due;	/* a suspension begun past the deadline forgives nothing */
	if (unit == UNIT_HOURS)
		return due + (b - a);
	pushed = calendar_add_working_seconds(cal, due, calendar_working_seconds(cal, a, b));
	touch(r, a, b);
	touch(r, due, pushed);
	return pushed;
}

static time_t step_time(json_object *step, const char *key, int i)
{
	json_object *v = json_object_object_get(step, key);

	if (json_object_is_type(v, json_type_array))
		v = json_object_array_get_idx(v, (size_t)i);
	return (time_t)json_object_get_int64(v);
}

void clock_replay(const struct calendar *cal, const struct clock_input *in,
		  struct clock_result *out)
{
	memset(out, 0, sizeof(*out));
	if (in->sign_from)
		out->sign_deadline = add(cal, out, in->sign_from, in->sign_limit, in->sign_unit);
	if (in->handle_from) {
		time_t due = add(cal, out, in->handle_from, in->handle_limit, in->handle_unit);
		size_t n = in->steps ? json_object_array_length(in->steps) : 0;

		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(in->steps, i);
			if (json_object_object_get_ex(s, "workdays", NULL))
				due = add(cal, out, due,
					  json_object_get_int(json_object_object_get(s, "workdays")),
					  UNIT_WORKDAYS);
			else if (json_object_object_get_ex(s, "until", NULL))
				due = step_time(s, "until", 0);
			else if (json_object_object_get_ex(s, "suspended", NULL))
				due = push_back(cal, out, due, in->handle_unit,
						step_time(s, "suspended", 0), step_time(s, "suspended", 1));
		}
		out->handle_deadline = due;
		if (in->pending_workdays > 0)
			out->requested_deadline = add(cal, out, due, in->pending_workdays, UNIT_WORKDAYS);
	}
	for (int y = out->year_from; y && y <= out->year_to; y++)
		if (!calendar_year_known(cal, y) && out->nprovisional < CLOCK_PROVISIONAL_MAX)
			out->provisional[out->nprovisional++] = y;
}

const char *clock_provisional_sql(const struct clock_result *r, char *out)
{
	size_t len = 0;

	if (!r->nprovisional)
		return NULL;
	out[len++] = '{';
	for (int i = 0; i < r->nprovisional; i++)
		len += (size_t)snprintf(out + len, 8, "%s%d", i ? "," : "", r->provisional[i] % 100000);
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

bool clock_store_years(struct db *db, const char *order_id, const struct clock_result *r,
		       struct err *e)
{
	char from[16], to[16], prov[8 * CLOCK_PROVISIONAL_MAX];

	snprintf(from, sizeof(from), "%d", r->year_from);
	snprintf(to, sizeof(to), "%d", r->year_to);
	return DB_RUN(db, e,
		      "WITH c AS (UPDATE order_clock SET year_from = $2::integer, year_to = $3::integer"
		      " WHERE order_id = $1)"
		      " UPDATE work_order SET deadline_provisional = $4::integer[]"
		      " WHERE id = $1 AND deadline_provisional IS DISTINCT FROM $4::integer[]",
		      order_id, r->year_from ? from : NULL, r->year_to ? to : NULL,
		      clock_provisional_sql(r, prov));
}

static const char load_sql[] =
	"SELECT extract(epoch FROM handle_from)::bigint AS handle_from,"
	" coalesce(handle_limit, 0) AS handle_limit, coalesce(handle_unit, 'workdays') AS handle_unit,"
	" extract(epoch FROM sign_from)::bigint AS sign_from, coalesce(sign_limit, 0) AS sign_limit,"
	" coalesce(sign_unit, 'workdays') AS sign_unit, steps::text AS steps,"
	" coalesce(pending_workdays, 0) AS pending_workdays"
	" FROM order_clock WHERE order_id = $1";

/*
 * Replays the order's recorded clock on the process calendar and stores
 * the years it touched; *r (if not NULL) gets the result. An order with no
 * recorded clock (dispatched before clocks were recorded) is left alone.
 */
static bool refresh(struct db *db, const char *order_id, struct clock_result *r, struct err *e)
{
	struct db_res *res = DB_EXEC(db, e, load_sql, order_id);
	struct clock_input in = { 0 };
	struct clock_result local;
	bool ok;

	if (!res)
		return false;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return true;
	}
	in.handle_from = (time_t)db_res_ll(res, 0, "handle_from");
	in.handle_limit = (int)db_res_ll(res, 0, "handle_limit");
	in.handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(res, 0, "handle_unit"));
	in.sign_from = (time_t)db_res_ll(res, 0, "sign_from");
	in.sign_limit = (int)db_res_ll(res, 0, "sign_limit");
	in.sign_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(res, 0, "sign_unit"));
	in.steps = json_tokener_parse(db_res_str(res, 0, "steps"));
	in.pending_workdays = (int)db_res_ll(res, 0, "pending_workdays");
	db_res_free(res);
	if (!r)
		r = &local;
	clock_replay(deadline_calendar_hold(), &in, r);
	deadline_calendar_release();
	json_object_put(in.steps);
	ok = clock_store_years(db, order_id, r, e);
	return ok;
}

bool clock_start(struct db *db, const char *order_id, time_t now, const struct deadline_policy *p,
		 time_t *sign_deadline, time_t *handle_deadline, struct err *e)
{
	char t[24], sl[16], hl[16];
	struct clock_result r;

	snprintf(t, sizeof(t), "%lld", (long long)now);
	snprintf(sl, sizeof(sl), "%d", p->sign_limit);
	snprintf(hl, sizeof(hl), "%d", p->handle_limit);
	if (!DB_RUN(db, e,
		    "INSERT INTO order_clock AS c (order_id, handle_from, handle_limit, handle_unit,"
		    " sign_from, sign_limit, sign_unit)"
		    " VALUES ($1, to_timestamp($2::bigint), $3::integer, $4, to_timestamp($2::bigint),"
		    " $5::integer, $6)"
		    " ON CONFLICT (order_id) DO UPDATE SET handle_from = EXCLUDED.handle_from,"
		    " handle_limit = EXCLUDED.handle_limit, handle_unit = EXCLUDED.handle_unit,"
		    " sign_from = EXCLUDED.sign_from, sign_limit = EXCLUDED.sign_limit,"
		    " sign_unit = EXCLUDED.sign_unit, sign_overdue_before = false, steps = '[]',"
		    " pending_workdays = NULL",
		    order_id, t, hl, deadline_unit_code(p->handle_unit), sl,
		    deadline_unit_code(p->sign_unit))
	    || !refresh(db, order_id, &r, e))
		return false;
	*sign_deadline = r.sign_deadline;
	*handle_deadline = r.handle_deadline;
	return true;
}

bool clock_start_sign(struct db *db, const char *order_id, time_t now,
		      const struct deadline_policy *p, bool overdue_before,
		      time_t *sign_deadline, struct err *e)
{
	char t[24], sl[16];
	struct clock_result r;

	snprintf(t, sizeof(t), "%lld", (long long)now);
	snprintf(sl, sizeof(sl), "%d", p->sign_limit);
	if (!DB_RUN(db, e,
		    "INSERT INTO order_clock AS c (order_id, sign_from, sign_limit, sign_unit,"
		    " sign_overdue_before)"
		    " VALUES ($1, to_timestamp($2::bigint), $3::integer, $4, $5::boolean)"
		    " ON CONFLICT (order_id) DO UPDATE SET sign_from = EXCLUDED.sign_from,"
		    " sign_limit = EXCLUDED.sign_limit, sign_unit = EXCLUDED.sign_unit,"
		    " sign_overdue_before = EXCLUDED.sign_overdue_before",
		    order_id, t, sl, deadline_unit_code(p->sign_unit), overdue_before ? "true" : "false")
	    || !refresh(db, order_id, &r, e))
		return false;
	*sign_deadline = r.sign_deadline;
	return true;
}

bool clock_extension_asked(struct db *db, const char *order_id, int workdays, struct err *e)
{
	char n[16];

	snprintf(n, sizeof(n), "%d", workdays);
	return DB_RUN(db, e, "UPDATE order_clock SET pending_workdays = $2::integer WHERE order_id = $1",
		      order_id, workdays > 0 ? n : NULL)
	       && refresh(db, order_id, NULL, e);
}

bool clock_extension_granted(struct db *db, const char *order_id, time_t until, struct err *e)
{
	char t[24];

	snprintf(t, sizeof(t), "%lld", (long long)until);
	return DB_RUN(db, e,
		      "UPDATE order_clock SET steps = steps || CASE WHEN pending_workdays IS NULL"
		      "  THEN jsonb_build_object('until', $2::bigint)"
		      "  ELSE jsonb_build_object('workdays', pending_workdays) END,"
		      " pending_workdays = NULL WHERE order_id = $1",
		      order_id, t)
	       && refresh(db, order_id, NULL, e);
}

bool clock_resumed(struct db *db, const char *order_id, time_t a, time_t b, struct err *e)
{
	char ta[24], tb[24];

	snprintf(ta, sizeof(ta), "%lld", (long long)a);
	snprintf(tb, sizeof(tb), "%lld", (long long)b);
	return DB_RUN(db, e,
		      "UPDATE order_clock SET steps = steps"
		      " || jsonb_build_object('suspended', jsonb_build_array($2::bigint, $3::bigint))"
		      " WHERE order_id = $1",
		      order_id, ta, tb)
	       && refresh(db, order_id, NULL, e);
}
