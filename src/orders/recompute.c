#include "orders/recompute.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calendar/calendar.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/clock.h"
#include "orders/deadline.h"

/* The recorded clocks that touched year $1, with what the order holds now. */
static const char select_sql[] =
	"SELECT o.id, o.status,"
	" extract(epoch FROM c.handle_from)::bigint AS handle_from,"
	" coalesce(c.handle_limit, 0) AS handle_limit, coalesce(c.handle_unit, 'workdays') AS handle_unit,"
	" extract(epoch FROM c.sign_from)::bigint AS sign_from, coalesce(c.sign_limit, 0) AS sign_limit,"
	" coalesce(c.sign_unit, 'workdays') AS sign_unit, c.steps::text AS steps,"
	" coalesce(c.pending_workdays, 0) AS pending_workdays, c.sign_overdue_before,"
	" extract(epoch FROM o.sign_deadline)::bigint AS sign_deadline,"
	" extract(epoch FROM o.handle_deadline)::bigint AS handle_deadline,"
	" extract(epoch FROM o.requested_deadline)::bigint AS requested_deadline,"
	" extract(epoch FROM o.signed_at)::bigint AS signed_at, o.sign_overdue"
	" FROM order_clock c JOIN work_order o ON o.id = c.order_id"
	" WHERE c.year_to >= $1::integer AND c.year_from <= $1::integer"
	" ORDER BY o.id FOR UPDATE OF o";

/*
 * The new deadlines, the light of a running clock re-evaluated as
 * refresh_alert() in orders.c does, and the event. Parameters: $1 id,
 * $2 sign deadline, $3 handling deadline, $4 asked-for deadline, $5
 * sign_overdue, $6 provisional years, $7 note, $8 the year.
 */
static const char update_sql[] =
	"WITH old AS (SELECT id, status, alert, sign_deadline, handle_deadline, requested_deadline"
	"  FROM work_order WHERE id = $1),"
	" upd AS ("
	" UPDATE work_order o SET sign_deadline = coalesce(to_timestamp($2::bigint), o.sign_deadline),"
	"  handle_deadline = coalesce(to_timestamp($3::bigint), o.handle_deadline),"
	"  requested_deadline = CASE WHEN o.requested_deadline IS NULL THEN NULL"
	"   ELSE coalesce(to_timestamp($4::bigint), o.requested_deadline) END,"
	"  warn_at = CASE WHEN o.clock_started_at IS NULL OR $3::bigint IS NULL THEN o.warn_at"
	"   ELSE o.clock_started_at + (to_timestamp($3::bigint) - o.clock_started_at)"
	"    * o.warn_fraction::float8 END,"
	"  alert = CASE WHEN $3::bigint IS NULL OR o.clock_started_at IS NULL"
	"   OR o.status NOT IN ('dispatched', 'in_progress', 'return_requested', 'extension_requested')"
	"   THEN o.alert"
	"   WHEN to_timestamp($3::bigint) <= now() THEN 'red'"
	"   WHEN o.clock_started_at + (to_timestamp($3::bigint) - o.clock_started_at)"
	"    * o.warn_fraction::float8 <= now() THEN 'yellow' ELSE 'green' END,"
	"  sign_overdue = $5::boolean, deadline_provisional = $6::integer[],"
	"  version = o.version + 1, updated_at = now()"
	" FROM old WHERE o.id = old.id"
	" RETURNING o.id, o.alert, o.sign_deadline, o.handle_deadline, o.requested_deadline)"
	" INSERT INTO order_event (order_id, actor_role, action, from_status, to_status, note, payload)"
	" SELECT old.id, 'system', 'deadline_recalculated', old.status, old.status, $7,"
	"  jsonb_strip_nulls(jsonb_build_object('year', $8::integer,"
	"   'reason', 'official_notice',"
	"   'old_sign_deadline', iso(old.sign_deadline), 'new_sign_deadline', iso(upd.sign_deadline),"
	"   'old_deadline', iso(old.handle_deadline), 'new_deadline', iso(upd.handle_deadline),"
	"   'old_requested_deadline', iso(old.requested_deadline),"
	"   'new_requested_deadline', iso(upd.requested_deadline),"
	"   'old_alert', old.alert, 'new_alert', upd.alert))"
	" FROM old, upd";

/* One candidate order: its recorded clock replayed on `cal`. */
static bool recompute_one(struct db *db, const struct calendar *cal, const struct db_res *r,
			  int row, int year, time_t now, long *moved, struct err *e)
{
	struct clock_input in = { 0 };
	struct clock_result res;
	const char *id = db_res_str(r, row, "id");
	bool waiting_extension = !strcmp(db_res_str(r, row, "status"), "extension_requested");
	time_t sign_old = (time_t)db_res_ll(r, row, "sign_deadline");
	time_t handle_old = (time_t)db_res_ll(r, row, "handle_deadline");
	time_t req_old = (time_t)db_res_ll(r, row, "requested_deadline");
	time_t signed_at = (time_t)db_res_ll(r, row, "signed_at");
	bool overdue = db_res_bool(r, row, "sign_overdue");
	char t[3][24], note[160], y[16], prov[8 * CLOCK_PROVISIONAL_MAX];

	in.handle_from = (time_t)db_res_ll(r, row, "handle_from");
	in.handle_limit = (int)db_res_ll(r, row, "handle_limit");
	in.handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, row, "handle_unit"));
	in.sign_from = (time_t)db_res_ll(r, row, "sign_from");
	in.sign_limit = (int)db_res_ll(r, row, "sign_limit");
	in.sign_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, row, "sign_unit"));
	in.steps = json_tokener_parse(db_res_str(r, row, "steps"));
	in.pending_workdays = waiting_extension ? (int)db_res_ll(r, row, "pending_workdays") : 0;
	clock_replay(cal, &in, &res);
	json_object_put(in.steps);

	bool sign_moved = res.sign_deadline && res.sign_deadline != sign_old;
	bool handle_moved = res.handle_deadline && res.handle_deadline != handle_old;
	bool req_moved = res.requested_deadline && req_old && res.requested_deadline != req_old;
	if (!sign_moved && !handle_moved && !req_moved)
		return clock_store_years(db, id, &res, e);

	/* Late sign-for, judged again on the current sign-for clock. */
	if (sign_moved && signed_at && signed_at >= in.sign_from)
		overdue = db_res_bool(r, row, "sign_overdue_before") || signed_at > res.sign_deadline;
	else if (sign_moved && !signed_at && !strcmp(db_res_str(r, row, "status"), "dispatched"))
		overdue = db_res_bool(r, row, "sign_overdue_before") || now >= res.sign_deadline;

	snprintf(t[0], sizeof(t[0]), "%lld", (long long)res.sign_deadline);
	snprintf(t[1], sizeof(t[1]), "%lld", (long long)res.handle_deadline);
	snprintf(t[2], sizeof(t[2]), "%lld", (long long)res.requested_deadline);
	snprintf(y, sizeof(y), "%d", year);
	snprintf(note, sizeof(note), "%d 年节假日安排已公布，按正式安排重新计算时限", year);
	(*moved)++;
	return DB_RUN(db, e, update_sql, id, sign_moved ? t[0] : NULL,
		      handle_moved ? t[1] : NULL, req_moved ? t[2] : NULL,
		      overdue ? "true" : "false", clock_provisional_sql(&res, prov), note, y)
	       && clock_store_years(db, id, &res, e);
}

bool orders_recompute_year(struct db *db, int year, long *moved, struct err *e)
{
	struct calendar *cal = deadline_calendar_read(db, e);
	struct db_res *r = NULL;
	time_t now = time(NULL);
	char y[16];
	bool ok = false;

	*moved = 0;
	if (!cal)
		return false;
	snprintf(y, sizeof(y), "%d", year);
	r = DB_EXEC(db, e, select_sql, y);
	if (!r)
		goto out;
	for (int i = 0; i < db_res_rows(r); i++)
		if (!recompute_one(db, cal, r, i, year, now, moved, e))
			goto out;
	ok = true;
out:
	db_res_free(r);
	calendar_free(cal);
	return ok;
}
