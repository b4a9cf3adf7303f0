/* The deadline sweeper and the counts of lights for /metrics. */
#include "orders/orders_private.h"
#include "orders/vocab.h"



static const char sweep_sql[] =
	"WITH claimed AS ("
	" SELECT id, status, alert AS old_alert, sign_overdue AS old_sign,"
	"  CASE WHEN handle_deadline <= now() THEN 'red'"
	"       WHEN warn_at <= now() THEN 'yellow' ELSE 'green' END AS new_alert,"
	"  (status = 'dispatched' AND signed_at IS NULL AND sign_deadline <= now()) AS late_sign"
	" FROM work_order"
	" WHERE status IN " CLOCK_RUNS_SQL " AND handle_deadline IS NOT NULL"
	"  AND ((alert IN ('none', 'green') AND warn_at <= now())"
	"   OR (alert <> 'red' AND handle_deadline <= now())"
	"   OR (status = 'dispatched' AND NOT sign_overdue AND sign_deadline <= now()))"
	" ORDER BY id LIMIT 5000"
	" FOR UPDATE SKIP LOCKED),"
	" changed AS ("
	" UPDATE work_order o SET alert = c.new_alert, sign_overdue = o.sign_overdue OR c.late_sign,"
	"  version = o.version + 1, updated_at = now()"
	" FROM claimed c WHERE o.id = c.id"
	" RETURNING o.id, c.status, c.old_alert, c.new_alert, c.late_sign AND NOT c.old_sign AS sign_flag)"
	" INSERT INTO order_event (order_id, actor_role, action, from_status, to_status, payload)"
	" SELECT id, 'system', CASE WHEN new_alert <> old_alert THEN 'alert' ELSE 'sign_overdue' END,"
	"  status, status,"
	"  json_build_object('from', old_alert, 'to', new_alert, 'sign_overdue', sign_flag)::jsonb"
	" FROM changed";

long orders_sweep(struct db *db, struct err *e)
{
	long total = 0;

	/* In batches, so that one pass never holds thousands of row locks long. */
	for (;;) {
		struct db_res *r = db_exec(db, sweep_sql, 0, NULL, e);
		long n;

		if (!r)
			return -1;
		n = db_res_affected(r);
		db_res_free(r);
		total += n;
		if (n < 5000)
			return total;
	}
}

bool orders_alert_counts(struct db *db, long *green, long *yellow, long *red, struct err *e)
{
	struct db_res *r = db_exec(db,
		"SELECT count(*) FILTER (WHERE alert IN ('none', 'green')) AS green,"
		" count(*) FILTER (WHERE alert = 'yellow') AS yellow,"
		" count(*) FILTER (WHERE alert = 'red') AS red"
		" FROM work_order WHERE status IN " CLOCK_RUNS_SQL, 0, NULL, e);

	if (!r)
		return false;
	*green = db_res_ll(r, 0, "green");
	*yellow = db_res_ll(r, 0, "yellow");
	*red = db_res_ll(r, 0, "red");
	db_res_free(r);
	return true;
}
