#include "directory/holidays.h"

#include <stdio.h>

#include "calendar/calendar.h"
#include "core/timeutil.h"
#include "directory/directory_private.h"
#include "orders/deadline.h"
#include "orders/recompute.h"
#include "supervision/callbacks.h"
#include "supervision/stats.h"

static const char years_sql[] =
	"SELECT coalesce(json_agg(json_build_object('year', y.year, 'source', y.source,"
	" 'loaded_at', iso(y.loaded_at),"
	" 'off_days', (SELECT count(*) FROM calendar_day d WHERE d.off_day"
	"   AND d.day >= make_date(y.year, 1, 1) AND d.day < make_date(y.year + 1, 1, 1)),"
	" 'workdays', (SELECT count(*) FROM calendar_day d WHERE NOT d.off_day"
	"   AND d.day >= make_date(y.year, 1, 1) AND d.day < make_date(y.year + 1, 1, 1)))"
	" ORDER BY y.year DESC), '[]')::text FROM calendar_year y";

json_object *holidays_years(struct db *db, struct err *e)
{
	return dir_query_json(db, years_sql, e);
}

/* Stores the days and the year of a checked notice. */
static bool store_notice(struct db *db, const struct calendar_notice *notice, struct err *e)
{
	char y[16], date[16];
	int yy, mm, dd;

	for (size_t i = 0; i < notice->n; i++) {
		const struct calendar_notice_day *d = &notice->days[i];
		civil_from_days(d->day, &yy, &mm, &dd);
		snprintf(date, sizeof(date), "%04d-%02d-%02d", yy, mm, dd);
		if (!DB_RUN(db, e,
			    "INSERT INTO calendar_day (day, off_day, name) VALUES ($1::date, $2::boolean, $3)"
			    " ON CONFLICT (day) DO UPDATE SET off_day = EXCLUDED.off_day, name = EXCLUDED.name",
			    date, d->off_day ? "true" : "false", d->name))
			return false;
	}
	snprintf(y, sizeof(y), "%d", notice->year);
	return DB_RUN(db, e,
		      "INSERT INTO calendar_year (year, source) VALUES ($1::integer, $2)"
		      " ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now()",
		      y, notice->source);
}

bool holidays_store(struct db *db, const char *text, size_t len, int *year,
		    struct recompute_summary *sum, struct err *e)
{
	struct calendar_notice notice;
	struct calendar *before = NULL, *after = NULL;
	json_object *notes = json_object_new_object();
	bool ok;

	if (!calendar_notice_parse(text, len, &notice, e)) {
		json_object_put(notes);
		return false;
	}
	*year = notice.year;
	/* The callbacks first: the orders' recompute writes each order's one
	 * event, with what moved its callback. */
	ok = (before = deadline_calendar_read(db, e))
	     && store_notice(db, &notice, e)
	     && (after = deadline_calendar_read(db, e))
	     && callbacks_recompute_year(db, notice.year, before, after, notes,
					 &sum->callbacks_moved, e)
	     && orders_recompute_year(db, notice.year, before, after, notes, sum, e)
	     && stats_recompute_handling(db, notice.year, after, &sum->handling, e);
	json_object_put(notes);
	calendar_free(before);
	calendar_free(after);
	calendar_notice_release(&notice);
	return ok;
}

bool holidays_import(struct db *db, const char *text, size_t len, int *year,
		     struct recompute_summary *sum, struct err *e)
{
	if (!db_begin(db, e))
		return false;
	if (holidays_store(db, text, len, year, sum, e) && db_commit(db, e))
		return true;
	db_rollback(db);
	return false;
}
