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
 * sign_overdue, $6 provisional years, $7 note, $8 the year, $9 what other
 * clocks moved (orders_note_recalculated()) or NULL.
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
	"   'old_alert', old.alert, 'new_alert', upd.alert)) || coalesce($9::jsonb, '{}')"
	" FROM old, upd";

/* The members other clocks noted for order `id` as JSON text, or NULL;
 * the text lives until the note is deleted from `notes`. */
static const char *note_take(json_object *notes, const char *id)
{
	json_object *o = notes ? json_object_object_get(notes, id) : NULL;

	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
}

/* The note of the events an import writes. */
static void notice_note(char *out, size_t size, int year)
{
	snprintf(out, size, "%d 年节假日安排已公布，按正式安排重新计算时限", year);
}

/* One candidate order: its recorded clock replayed on `cal`. */
static bool recompute_one(struct db *db, const struct calendar *cal, const struct db_res *r,
			  int row, int year, time_t now, json_object *notes, long *moved,
			  struct err *e)
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
	notice_note(note, sizeof(note), year);
	(*moved)++;
	const char *more = note_take(notes, id);
	bool ok = DB_RUN(db, e, update_sql, id, sign_moved ? t[0] : NULL,
			 handle_moved ? t[1] : NULL, req_moved ? t[2] : NULL,
			 overdue ? "true" : "false", clock_provisional_sql(&res, prov), note, y, more)
		  && clock_store_years(db, id, &res, e);
	if (notes)
		json_object_object_del(notes, id);
	return ok;
}

/*
 * Orders with running or finished clocks but no recorded clock (started
 * before clocks were recorded) whose deadlines may touch year $1, with
 * the limits of their current policy.
 */
static const char unrecorded_sql[] =
	"SELECT o.id, extract(epoch FROM o.clock_started_at)::bigint AS started,"
	" extract(epoch FROM o.sign_deadline)::bigint AS sign_deadline,"
	" extract(epoch FROM o.handle_deadline)::bigint AS handle_deadline,"
	" p.sign_limit, p.sign_unit, p.handle_limit, p.handle_unit"
	" FROM work_order o JOIN deadline_policy p"
	"  ON p.request_type = o.request_type AND p.urgency = o.urgency"
	" WHERE o.clock_started_at IS NOT NULL"
	"  AND NOT EXISTS (SELECT 1 FROM order_clock c WHERE c.order_id = o.id)"
	"  AND (p.sign_unit = 'workdays' OR p.handle_unit = 'workdays')"
	"  AND" RECOMPUTE_SPAN_MAY_TOUCH("o.clock_started_at",
					 "greatest(o.sign_deadline, o.handle_deadline)", "$1")
	" ORDER BY o.id";

static const char record_sql[] =
	"INSERT INTO order_clock (order_id, handle_from, handle_limit, handle_unit,"
	" sign_from, sign_limit, sign_unit, year_from, year_to)"
	" VALUES ($1, to_timestamp($2::bigint), $3::integer, $4,"
	" to_timestamp($5::bigint), $6::integer, $7, $8::integer, $9::integer)";

/*
 * Reconstructs, as recompute.h says, the clocks of the unrecorded orders
 * that may touch `year`: each clock whose policy replayed on `before` gives
 * exactly the order's deadline is recorded.
 */
static bool reconstruct_unrecorded(struct db *db, int year, const struct calendar *before,
				   struct recompute_summary *sum, struct err *e)
{
	struct db_res *r;
	char y[16];
	bool ok = true;

	snprintf(y, sizeof(y), "%d", year);
	if (!(r = DB_EXEC(db, e, unrecorded_sql, y)))
		return false;
	for (int i = 0; ok && i < db_res_rows(r); i++) {
		struct clock_input in = { 0 };
		struct clock_result res;
		time_t started = (time_t)db_res_ll(r, i, "started");
		char t[24], sl[16], hl[16], yf[16], yt[16];

		in.sign_from = in.handle_from = started;
		in.sign_limit = (int)db_res_ll(r, i, "sign_limit");
		in.sign_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, i, "sign_unit"));
		in.handle_limit = (int)db_res_ll(r, i, "handle_limit");
		in.handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, i, "handle_unit"));
		clock_replay(before, &in, &res);
		bool sign_ok = res.sign_deadline == (time_t)db_res_ll(r, i, "sign_deadline");
		bool handle_ok = res.handle_deadline == (time_t)db_res_ll(r, i, "handle_deadline");

		if ((!sign_ok && in.sign_unit == UNIT_WORKDAYS)
		    || (!handle_ok && in.handle_unit == UNIT_WORKDAYS))
			sum->kept++;
		if (!sign_ok && !handle_ok)
			continue;
		/* The years of what is recorded, as the replay of it finds them. */
		if (!sign_ok)
			in.sign_from = 0;
		if (!handle_ok)
			in.handle_from = 0;
		clock_replay(before, &in, &res);
		snprintf(t, sizeof(t), "%lld", (long long)started);
		snprintf(sl, sizeof(sl), "%d", in.sign_limit);
		snprintf(hl, sizeof(hl), "%d", in.handle_limit);
		snprintf(yf, sizeof(yf), "%d", res.year_from);
		snprintf(yt, sizeof(yt), "%d", res.year_to);
		ok = DB_RUN(db, e, record_sql, db_res_str(r, i, "id"),
			    handle_ok ? t : NULL, handle_ok ? hl : NULL,
			    handle_ok ? deadline_unit_code(in.handle_unit) : NULL,
			    sign_ok ? t : NULL, sign_ok ? sl : NULL,
			    sign_ok ? deadline_unit_code(in.sign_unit) : NULL,
			    res.year_from ? yf : NULL, res.year_to ? yt : NULL);
		sum->reconstructed++;
	}
	db_res_free(r);
	return ok;
}

/* An event for each order whose other clocks alone moved. */
static bool write_notes(struct db *db, int year, json_object *notes, struct err *e)
{
	char y[16], note[160];

	if (!notes)
		return true;
	snprintf(y, sizeof(y), "%d", year);
	notice_note(note, sizeof(note), year);
	json_object_object_foreach(notes, id, members) {
		if (!DB_RUN(db, e,
			    "INSERT INTO order_event (order_id, actor_role, action, from_status, to_status,"
			    " note, payload)"
			    " SELECT o.id, 'system', 'deadline_recalculated', o.status, o.status, $3,"
			    "  jsonb_build_object('year', $2::integer, 'reason', 'official_notice')"
			    "  || $4::jsonb"
			    " FROM work_order o WHERE o.id = $1::bigint",
			    id, y, note, json_object_to_json_string_ext(members, JSON_C_TO_STRING_PLAIN)))
			return false;
	}
	return true;
}

bool orders_recompute_year(struct db *db, int year, const struct calendar *before,
			   const struct calendar *after, json_object *notes,
			   struct recompute_summary *sum, struct err *e)
{
	struct db_res *r = NULL;
	time_t now = time(NULL);
	char y[16];
	bool ok = false;

	if (!reconstruct_unrecorded(db, year, before, sum, e))
		return false;
	snprintf(y, sizeof(y), "%d", year);
	r = DB_EXEC(db, e, select_sql, y);
	if (!r)
		return false;
	for (int i = 0; i < db_res_rows(r); i++)
		if (!recompute_one(db, after, r, i, year, now, notes, &sum->moved, e))
			goto out;
	ok = write_notes(db, year, notes, e);
out:
	db_res_free(r);
	return ok;
}

void orders_note_recalculated(json_object *notes, const char *order_id, const char *key,
			      const char *value)
{
	json_object *o = json_object_object_get(notes, order_id);

	if (!o) {
		o = json_object_new_object();
		json_object_object_add(notes, order_id, o);
	}
	json_object_object_add(o, key, json_object_new_string(value));
}
