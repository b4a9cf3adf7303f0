#include "supervision/callbacks.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar/calendar.h"
#include "core/array.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/deadline.h"
#include "orders/recompute.h"
#include "supervision/settings.h"
#include "supervision/sv_private.h"

#define COMMENT_MAX 1000

static const char *const task_statuses[] = {
	"open", "skipped", "done", "reopened", "unreachable", "cancelled",
};

/* ------------------------------------------------------------- reading */

#define TASK_COLUMNS \
	"t.id, t.round, t.status, iso(t.due_at) AS due_at, t.attempts, hu.login AS held_by," \
	" iso(t.held_until) AS held_until, (t.status = 'open' AND t.held_until > now()) AS held," \
	" (t.status = 'open' AND t.due_at <= now()) AS due, iso(t.last_attempt_at) AS last_attempt_at," \
	" iso(t.created_at) AS created_at, iso(t.finished_at) AS finished_at, fu.login AS finished_by," \
	" o.number, o.status AS order_status, o.caller_name, o.caller_phone, o.content, o.result," \
	" o.solved, o.contacted, iso(o.replied_at) AS replied_at, o.reopen_count," \
	" ld.code AS lead_code, ld.name AS lead_name"

#define TASK_JOINS \
	" FROM callback_task t JOIN work_order o ON o.id = t.order_id" \
	" LEFT JOIN department ld ON ld.id = o.lead_department_id" \
	" LEFT JOIN app_user hu ON hu.id = t.held_by" \
	" LEFT JOIN app_user fu ON fu.id = t.finished_by"

static json_object *task_json(const struct db_res *r, int row, int max_attempts)
{
	json_object *t = json_object_new_object();
	json_object *o = json_object_new_object();
	json_object *caller = json_object_new_object();

	json_object_object_add(t, "id", json_object_new_int64(db_res_ll(r, row, "id")));
	json_object_object_add(t, "status", db_res_json_text(r, row, "status"));
	json_object_object_add(t, "round", json_object_new_int64(db_res_ll(r, row, "round")));
	json_object_object_add(t, "due_at", db_res_json_text(r, row, "due_at"));
	json_object_object_add(t, "due", json_object_new_boolean(db_res_bool(r, row, "due")));
	json_object_object_add(t, "attempts", json_object_new_int64(db_res_ll(r, row, "attempts")));
	json_object_object_add(t, "max_attempts", json_object_new_int64(max_attempts));
	json_object_object_add(t, "held", json_object_new_boolean(db_res_bool(r, row, "held")));
	json_object_object_add(t, "held_by", db_res_bool(r, row, "held") ? db_res_json_text(r, row, "held_by") : NULL);
	json_object_object_add(t, "held_until", db_res_bool(r, row, "held") ? db_res_json_text(r, row, "held_until") : NULL);
	json_object_object_add(t, "last_attempt_at", db_res_json_text(r, row, "last_attempt_at"));
	json_object_object_add(t, "created_at", db_res_json_text(r, row, "created_at"));
	json_object_object_add(t, "finished_at", db_res_json_text(r, row, "finished_at"));
	json_object_object_add(t, "finished_by", db_res_json_text(r, row, "finished_by"));
	json_object_object_add(o, "number", db_res_json_text(r, row, "number"));
	json_object_object_add(o, "status", db_res_json_text(r, row, "order_status"));
	json_object_object_add(caller, "name", db_res_json_text(r, row, "caller_name"));
	json_object_object_add(caller, "phone", db_res_json_text(r, row, "caller_phone"));
	json_object_object_add(o, "caller", caller);
	json_object_object_add(o, "content", db_res_json_text(r, row, "content"));
	json_object_object_add(o, "result", db_res_json_text(r, row, "result"));
	json_object_object_add(o, "solved", db_res_json_bool(r, row, "solved"));
	json_object_object_add(o, "contacted", db_res_json_bool(r, row, "contacted"));
	json_object_object_add(o, "replied_at", db_res_json_text(r, row, "replied_at"));
	json_object_object_add(o, "reopen_count", json_object_new_int64(db_res_ll(r, row, "reopen_count")));
	json_object_object_add(o, "lead_department",
			       sv_code_name(db_res_str(r, row, "lead_code"), db_res_str(r, row, "lead_name")));
	json_object_object_add(t, "order", o);
	return t;
}

/* The calls made for a task, oldest first. */
static json_object *history_json(struct db *db, const char *task_id, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT iso(a.at) AS at, u.login, a.outcome, a.satisfaction, a.solved, a.attributable,"
		" a.comment FROM callback_attempt a LEFT JOIN app_user u ON u.id = a.agent_id"
		" WHERE a.task_id = $1 ORDER BY a.id", task_id);
	json_object *arr;

	if (!r)
		return NULL;
	arr = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++) {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "at", db_res_json_text(r, i, "at"));
		json_object_object_add(a, "agent", db_res_json_text(r, i, "login"));
		json_object_object_add(a, "outcome", db_res_json_text(r, i, "outcome"));
		json_object_object_add(a, "satisfaction", db_res_json_text(r, i, "satisfaction"));
		json_object_object_add(a, "solved", db_res_json_bool(r, i, "solved"));
		json_object_object_add(a, "attributable", db_res_json_bool(r, i, "attributable"));
		json_object_object_add(a, "comment", db_res_json_text(r, i, "comment"));
		json_object_array_add(arr, a);
	}
	db_res_free(r);
	return arr;
}

/* One task with its call history; NULL with `e` (404 if there is none). */
static json_object *task_get(struct db *db, const char *task_id, struct err *e)
{
	struct callback_settings s;
	struct db_res *r;
	json_object *t = NULL, *history;

	if (!callback_settings_load(db, &s, e))
		return NULL;
	r = DB_EXEC(db, e, "SELECT " TASK_COLUMNS TASK_JOINS " WHERE t.id = $1::bigint", task_id);
	if (!r)
		return NULL;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return err_set(e, 404, ERR_NOT_FOUND, "no callback task \"%s\"", task_id), NULL;
	}
	t = task_json(r, 0, s.max_attempts);
	db_res_free(r);
	if (!(history = history_json(db, task_id, e))) {
		json_object_put(t);
		return NULL;
	}
	json_object_object_add(t, "history", history);
	return t;
}

/* ----------------------------------------------------------- the hook */

/*
 * Whether order `id` is in a sample of `share` of all orders: a
 * multiplicative hash of the id, so the choice is fixed and spread evenly
 * over consecutive ids.
 */
bool sv_sampled(long long id, double share)
{
	uint32_t h = (uint32_t)((uint64_t)id * 2654435761u);

	if (share >= 1)
		return true;
	return (double)h / 4294967296.0 < share;
}

/* 00:00 of the `delay`th working day on `cal` after `from`; `from` if 0. */
static time_t task_due(const struct calendar *cal, time_t from, int delay)
{
	if (delay <= 0)
		return from;
	return time_from_local(time_local_day(calendar_add_workdays(cal, from, delay)), 0, 0, 0);
}

/* A reply: the round's task, due at 00:00 of the Nth working day after now. */
static bool create_task(struct db *db, const struct order_change *c, struct err *e)
{
	struct callback_settings s;
	time_t due;
	char due_text[32], at[32];

	if (!callback_settings_load(db, &s, e))
		return false;
	due = task_due(deadline_calendar_hold(), c->at, s.delay_workdays);
	deadline_calendar_release();
	snprintf(at, sizeof(at), "%lld", (long long)c->at);
	snprintf(due_text, sizeof(due_text), "%lld", (long long)due);
	/* A task of an earlier round still open (the order was replied again
	 * some other way) is no longer anyone's work. */
	return DB_RUN(db, e,
		      "UPDATE callback_task SET status = 'cancelled', finished_at = now(),"
		      " held_by = NULL, held_until = NULL"
		      " WHERE order_id = $1::bigint AND status IN ('open', 'skipped')", c->order_id)
	       && DB_RUN(db, e,
		      "INSERT INTO callback_task (order_id, round, status, due_at, created_at)"
		      " SELECT id, reopen_count, $2, to_timestamp($3::bigint), to_timestamp($4::bigint)"
		      " FROM work_order WHERE id = $1::bigint"
		      " ON CONFLICT (order_id, round) DO UPDATE SET status = EXCLUDED.status,"
		      "  due_at = EXCLUDED.due_at, attempts = 0, held_by = NULL, held_until = NULL,"
		      "  finished_at = NULL, finished_by = NULL",
		      c->order_id, sv_sampled(atoll(c->order_id), s.share) ? "open" : "skipped", due_text,
		      at);
}

/* The call that finished the task, as the action's parameters tell it. */
struct call {
	const char *outcome;		/* unreachable, rated, reopened */
	const char *task_status;	/* done, reopened, unreachable, cancelled */
	const char *satisfaction;	/* NULL if none */
	int solved, attributable;	/* -1 = not said */
	const char *comment;
	const char *channel;		/* phone, sms, web */
};

static const char *satisfaction_code(enum satisfaction s)
{
	return s == SAT_NONE ? NULL : vocab_code(&vocab_satisfaction, s);
}

static void describe_call(const struct order_change *c, struct call *call)
{
	const struct callback_params *cb = &c->params->callback;
	const struct reopen_params *ro = &c->params->reopen;

	memset(call, 0, sizeof(*call));
	call->solved = call->attributable = YN_UNSET;
	call->channel = "phone";
	if (c->action == ACT_REOPEN) {
		/* A reopen is the unit's fault by definition (docs/lifecycle.md, "Rules around the table"). */
		call->outcome = "reopened";
		call->task_status = "reopened";
		call->satisfaction = ro->satisfaction == SAT_NONE ? "unsatisfied"
								  : satisfaction_code(ro->satisfaction);
		call->solved = ro->solved;
		call->attributable = YN_YES;
		call->comment = ro->comment ? ro->comment : ro->reason;
	} else if (c->action == ACT_CALLBACK && cb->skipped) {
		/* Outside the sample: nobody called; the task stays "skipped". */
		call->task_status = "skipped";
	} else if (c->action == ACT_CALLBACK && cb->unreachable) {
		call->outcome = "unreachable";
		call->task_status = "unreachable";
		call->comment = cb->comment ? cb->comment : cb->note;
	} else if (c->action == ACT_CALLBACK) {
		call->outcome = "rated";
		call->task_status = "done";
		call->satisfaction = satisfaction_code(cb->satisfaction);
		call->solved = cb->solved;
		call->attributable = cb->attributable;
		call->comment = cb->comment ? cb->comment : cb->note;
		if (cb->channel > CBCH_PHONE)
			call->channel = vocab_code(&vocab_callback_channel, cb->channel);
	} else {
		call->task_status = "cancelled";
	}
	if (!call->comment)
		call->comment = "";
}

/* The order left awaiting callback: finish its task, recording the call. */
static bool finish_task(struct db *db, const struct order_change *c, struct err *e)
{
	static const char *const tri[] = { NULL, "false", "true" };
	struct call call;
	struct db_res *r;
	char uid[16], task_id[24], at[24];
	bool ok;

	r = DB_EXEC(db, e,
		"SELECT t.id, t.held_by, t.held_until > now() AS holding, u.login, iso(t.held_until) AS until"
		" FROM callback_task t LEFT JOIN app_user u ON u.id = t.held_by"
		" WHERE t.order_id = $1::bigint AND t.status IN ('open', 'skipped')"
		" ORDER BY t.id DESC LIMIT 1 FOR UPDATE OF t", c->order_id);
	if (!r)
		return false;
	if (db_res_rows(r) == 0) {
		db_res_free(r);
		return true;		/* replied before the queue existed */
	}
	snprintf(task_id, sizeof(task_id), "%s", db_res_str(r, 0, "id"));
	if (c->action != ACT_MERGE && db_res_bool(r, 0, "holding")
	    && db_res_ll(r, 0, "held_by") != c->who->user_id) {
		err_set(e, 409, ERR_CALLBACK_HELD, "the callback of order %s is being made by %s (held until %s)",
			c->number, db_res_str(r, 0, "login"), db_res_str(r, 0, "until"));
		db_res_free(r);
		return false;
	}
	db_res_free(r);
	describe_call(c, &call);
	sv_user_id(c->who, uid);
	snprintf(at, sizeof(at), "%lld", (long long)c->at);
	ok = DB_RUN(db, e,
		    "UPDATE callback_task SET status = $2, finished_at = to_timestamp($5::bigint),"
		    " finished_by = $3::integer, held_by = NULL, held_until = NULL,"
		    " attempts = attempts + CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END,"
		    " last_attempt_at = CASE WHEN $4::text IS NULL THEN last_attempt_at"
		    "  ELSE to_timestamp($5::bigint) END"
		    " WHERE id = $1::bigint",
		    task_id, call.task_status, c->who->user_id ? uid : NULL, call.outcome, at);
	if (ok && call.outcome)
		ok = DB_RUN(db, e,
			    "INSERT INTO callback_attempt (task_id, agent_id, outcome, satisfaction, solved,"
			    " attributable, comment, channel, at) VALUES ($1::bigint, $2::integer, $3, $4,"
			    " $5::boolean, $6::boolean, $7, $8, to_timestamp($9::bigint))",
			    task_id, c->who->user_id ? uid : NULL, call.outcome, call.satisfaction,
			    tri[call.solved + 1], tri[call.attributable + 1], call.comment, call.channel, at);
	return ok;
}

bool callbacks_on_change(struct db *db, const struct order_change *c, struct err *e)
{
	if (c->action == ACT_REPLY && c->to == ST_AWAITING_CALLBACK)
		return create_task(db, c, e);
	if (c->from == ST_AWAITING_CALLBACK && c->to != ST_AWAITING_CALLBACK)
		return finish_task(db, c, e);
	return true;
}

/* ------------------------------------------------------------ the queue */

static const char next_sql[] =
	"WITH mine AS ("
	" SELECT id FROM callback_task"
	" WHERE status = 'open' AND held_by = $1::integer AND held_until > now()"
	" ORDER BY id LIMIT 1),"
	" pick AS ("
	" SELECT t.id FROM callback_task t"
	" WHERE t.status = 'open' AND t.due_at <= now()"
	"  AND (t.held_until IS NULL OR t.held_until <= now())"
	"  AND EXISTS (SELECT 1 FROM work_order o WHERE o.id = t.order_id"
	"   AND o.status = 'awaiting_callback')"
	"  AND NOT EXISTS (SELECT 1 FROM mine)"
	" ORDER BY t.due_at, t.id LIMIT 1"
	" FOR UPDATE OF t SKIP LOCKED)"
	" UPDATE callback_task t SET held_by = $1::integer,"
	"  held_until = now() + make_interval(secs => $2::float8)"
	" FROM (SELECT id FROM mine UNION ALL SELECT id FROM pick) p"
	" WHERE t.id = p.id RETURNING t.id";

json_object *callbacks_next(struct db *db, const struct principal *who, struct err *e)
{
	struct callback_settings s;
	struct db_res *r;
	char uid[16], hold[32], task_id[24];

	if (!callback_settings_load(db, &s, e))
		return NULL;
	sv_user_id(who, uid);
	snprintf(hold, sizeof(hold), "%.3f", s.hold_minutes * 60);
	r = DB_EXEC(db, e, next_sql, uid, hold);
	if (!r)
		return NULL;
	if (db_res_rows(r) == 0) {
		db_res_free(r);
		return NULL;
	}
	snprintf(task_id, sizeof(task_id), "%s", db_res_str(r, 0, "id"));
	db_res_free(r);
	return task_get(db, task_id, e);
}

/* What the agent said on the phone. */
struct result {
	enum satisfaction satisfaction;	/* SAT_NONE when unreachable */
	enum yes_no solved, attributable;
	const char *comment;
	bool unreachable;
};

#define AT(member) offsetof(struct result, member)

/* The record of a call, read by the parameter table's readers (orders/params.h). */
static const struct param_spec result_fields[] = {
	{ .name = "satisfaction", .kind = PARAM_CHOICE, .required = true, .unless = { "unreachable" },
	  .choices = &vocab_satisfaction, .offset = AT(satisfaction) },
	{ .name = "solved", .kind = PARAM_BOOL, .required = true, .unless = { "unreachable" },
	  .offset = AT(solved) },
	{ .name = "attributable", .kind = PARAM_BOOL, .offset = AT(attributable) },
	{ .name = "comment", .kind = PARAM_TEXT, .max = COMMENT_MAX, .offset = AT(comment) },
	{ .name = "unreachable", .kind = PARAM_FLAG, .offset = AT(unreachable) },
};

static bool read_result(const struct param_source *src, struct result *res, struct err *e)
{
	if (!params_read_fields(result_fields, ARRAY_SIZE(result_fields), src, res,
				sizeof(*res), e))
		return false;
	if (!res->comment)
		res->comment = "";
	if (res->unreachable)
		return true;
	if (res->satisfaction == SAT_UNSATISFIED && res->attributable == YN_YES && !*res->comment)
		return err_field(e, 422, "comment", ERR_REASON_FOR_REOPEN,
				 "an unsatisfied rating attributable to the unit reopens the order: say why in \"comment\"");
	return true;
}

/* Checks that `who` holds the open task; fills the order's number. */
static bool check_holder(struct db *db, const struct principal *who, const char *task_id,
			 char number[32], int *attempts, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e,
		"SELECT t.status, t.attempts, t.held_by, t.held_until > now() AS holding,"
		" iso(t.held_until) AS until, u.login, o.number"
		" FROM callback_task t JOIN work_order o ON o.id = t.order_id"
		" LEFT JOIN app_user u ON u.id = t.held_by WHERE t.id = $1::bigint", task_id);
	bool ok = false;

	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		err_set(e, 404, ERR_NOT_FOUND, "no callback task \"%s\"", task_id);
	} else if (strcmp(db_res_str(r, 0, "status"), "open")) {
		err_set(e, 409, ERR_CALLBACK_FINISHED, "callback task %s is %s: there is nothing left to record",
			task_id, db_res_str(r, 0, "status"));
	} else if (db_res_ll(r, 0, "held_by") != who->user_id || !db_res_bool(r, 0, "holding")) {
		if (db_res_bool(r, 0, "holding"))
			err_set(e, 409, ERR_NOT_HOLDER, "callback task %s is held by %s until %s", task_id,
				db_res_str(r, 0, "login"), db_res_str(r, 0, "until"));
		else
			err_set(e, 409, ERR_NOT_HOLDER,
				"you do not hold callback task %s (or your hold ran out): take a task with POST /api/v1/callbacks/next",
				task_id);
	} else {
		snprintf(number, 32, "%s", db_res_str(r, 0, "number"));
		*attempts = (int)db_res_ll(r, 0, "attempts");
		ok = true;
	}
	db_res_free(r);
	return ok;
}

/* An unreachable call short of the last attempt: back in the queue later. */
static bool retry_later(struct db *db, const struct principal *who, const char *task_id,
			const struct callback_settings *s, const char *comment, struct err *e)
{
	struct db_res *r;
	char uid[16], retry[16];
	bool ok;

	sv_user_id(who, uid);
	snprintf(retry, sizeof(retry), "%d", s->retry_minutes);
	if (!db_begin(db, e))
		return false;
	r = DB_EXEC(db, e,
		    "UPDATE callback_task SET attempts = attempts + 1, last_attempt_at = now(),"
		    " due_at = now() + make_interval(mins => $3::integer), held_by = NULL, held_until = NULL"
		    " WHERE id = $1::bigint AND status = 'open' AND held_by = $2::integer"
		    " AND held_until > now() RETURNING id", task_id, uid, retry);
	ok = r && db_res_rows(r) == 1;
	if (r && !ok)
		err_set(e, 409, ERR_NOT_HOLDER, "callback task %s was taken or finished meanwhile", task_id);
	db_res_free(r);
	ok = ok && DB_RUN(db, e,
			  "INSERT INTO callback_attempt (task_id, agent_id, outcome, comment)"
			  " VALUES ($1::bigint, $2::integer, 'unreachable', $3)", task_id, uid, comment)
	     && db_commit(db, e);
	if (!ok)
		db_rollback(db);
	return ok;
}

/* The body of the order action that records the call (see callbacks_on_change). */
/* The action the call leads to, and its parameters: an unsatisfied rating
 * attributable to the unit reopens the order, anything else completes it. */
static enum order_action call_action(const struct result *res, struct action_params *p)
{
	memset(p, 0, sizeof(*p));
	if (res->unreachable) {
		p->callback = (struct callback_params) {
			.satisfaction = SAT_NONE, .solved = YN_UNSET, .attributable = YN_UNSET,
			.unreachable = true, .note = res->comment, .comment = res->comment,
		};
		return ACT_CALLBACK;
	}
	if (res->satisfaction == SAT_UNSATISFIED && res->attributable == YN_YES) {
		p->reopen = (struct reopen_params) {
			.reason = res->comment, .satisfaction = res->satisfaction,
			.solved = res->solved, .comment = res->comment,
		};
		return ACT_REOPEN;
	}
	p->callback = (struct callback_params) {
		.satisfaction = res->satisfaction, .solved = res->solved,
		.attributable = res->attributable == YN_YES ? YN_YES : YN_NO,
		.note = *res->comment ? res->comment : NULL, .comment = res->comment,
	};
	return ACT_CALLBACK;
}

json_object *callbacks_record(struct db *db, const struct principal *who, const char *task_id,
			      const struct param_source *src, struct err *e)
{
	struct callback_settings s;
	struct result res;
	enum order_action action;
	char number[32];
	int attempts;
	struct action_params params;
	json_object *order = NULL, *task, *out;
	char *end;

	if (!task_id || strtoll(task_id, &end, 10) <= 0 || *end)
		return err_set(e, 404, ERR_NOT_FOUND, "no callback task \"%s\"", task_id ? task_id : ""), NULL;
	if (!read_result(src, &res, e) || !callback_settings_load(db, &s, e)
	    || !check_holder(db, who, task_id, number, &attempts, e))
		return NULL;
	if (res.unreachable && attempts + 1 < s.max_attempts) {
		if (!retry_later(db, who, task_id, &s, res.comment, e))
			return NULL;
		order = orders_get(db, who, number, e);
	} else {
		action = call_action(&res, &params);
		order = orders_act(db, who, number, action, &params, e);
	}
	if (!order)
		return NULL;
	if (!(task = task_get(db, task_id, e))) {
		json_object_put(order);
		return NULL;
	}
	out = json_object_new_object();
	json_object_object_add(out, "task", task);
	json_object_object_add(out, "order", order);
	return out;
}

/* ------------------------------------------------------------- listing */

static bool known_status(const char *s)
{
	if (!strcmp(s, "all"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(task_statuses); i++)
		if (!strcmp(s, task_statuses[i]))
			return true;
	return false;
}

json_object *callbacks_list(struct db *db, const struct callback_filter *f, struct err *e)
{
	static const char sql[] =
		"SELECT " TASK_COLUMNS TASK_JOINS
		" WHERE ($1 = 'all' OR t.status = $1) AND (NOT $2::boolean OR t.due_at <= now())"
		" AND ($3::bigint = 0 OR (t.due_at, t.id) >"
		"  ((SELECT due_at FROM callback_task WHERE id = $3::bigint), $3::bigint))"
		" ORDER BY t.due_at, t.id LIMIT $4::integer";
	const char *status = f->status ? f->status : "open";
	int limit = f->limit > 0 ? (f->limit > CALLBACK_LIST_MAX ? CALLBACK_LIST_MAX : f->limit)
				 : CALLBACK_LIST_DEFAULT;
	char after[24], lim[16];
	struct callback_settings s;
	struct db_res *r, *counts;
	json_object *out, *items, *c;
	int rows;

	if (!known_status(status))
		return err_field(e, 400, "status", ERR_UNKNOWN_CHOICE,
				 "unknown task status \"%s\": expected open, skipped, done, reopened, unreachable, cancelled or all",
				 status), NULL;
	if (!callback_settings_load(db, &s, e))
		return NULL;
	snprintf(after, sizeof(after), "%lld", f->after);
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	r = DB_EXEC(db, e, sql, status, f->due_only ? "true" : "false", after, lim);
	if (!r)
		return NULL;
	counts = db_exec(db,
		"SELECT count(*) AS open, count(*) FILTER (WHERE due_at <= now()) AS due,"
		" count(*) FILTER (WHERE held_until > now()) AS held"
		" FROM callback_task WHERE status = 'open'", 0, NULL, e);
	if (!counts) {
		db_res_free(r);
		return NULL;
	}
	out = json_object_new_object();
	items = json_object_new_array();
	rows = db_res_rows(r);
	for (int i = 0; i < rows && i < limit; i++)
		json_object_array_add(items, task_json(r, i, s.max_attempts));
	json_object_object_add(out, "items", items);
	c = json_object_new_object();
	json_object_object_add(c, "open", json_object_new_int64(db_res_ll(counts, 0, "open")));
	json_object_object_add(c, "due", json_object_new_int64(db_res_ll(counts, 0, "due")));
	json_object_object_add(c, "held", json_object_new_int64(db_res_ll(counts, 0, "held")));
	json_object_object_add(out, "counts", c);
	json_object_object_add(out, "next_cursor",
			       rows > limit ? json_object_new_string(db_res_str(r, limit - 1, "id")) : NULL);
	db_res_free(counts);
	db_res_free(r);
	return out;
}

long callbacks_close_skipped(struct db *db, struct err *e)
{
	struct principal system = { .role = ROLE_SYSTEM };
	struct action_params skipped = {
		.callback = { .satisfaction = SAT_NONE, .solved = YN_UNSET, .attributable = YN_UNSET,
			      .skipped = true },
	};
	struct db_res *r;
	long closed = 0;

	snprintf(system.name, sizeof(system.name), "系统");
	r = db_exec(db,
		    "SELECT o.number FROM callback_task t JOIN work_order o ON o.id = t.order_id"
		    " WHERE t.status = 'skipped' AND t.finished_at IS NULL AND t.due_at <= now()"
		    "  AND o.status = 'awaiting_callback'"
		    " ORDER BY t.due_at LIMIT 500", 0, NULL, e);
	if (!r)
		return -1;
	for (int i = 0; i < db_res_rows(r); i++) {
		struct err one = ERR_INIT;
		json_object *o = orders_act(db, &system, db_res_str(r, i, "number"), ACT_CALLBACK, &skipped, &one);
		if (o)
			closed++;
		json_object_put(o);	/* a concurrent change (409) is simply skipped this time */
	}
	db_res_free(r);
	return closed;
}

bool callbacks_due_count(struct db *db, long long *n, struct err *e)
{
	struct db_res *r = db_exec_prepared(db,
		"SELECT count(*) AS n FROM callback_task WHERE status = 'open' AND due_at <= now()"
		" AND (held_until IS NULL OR held_until <= now())", 0, NULL, e);

	*n = 0;
	if (!r)
		return false;
	*n = db_res_ll(r, 0, "n");
	db_res_free(r);
	return true;
}

/* ------------------------------------------ a year's notice arrives */

bool callbacks_recompute_year(struct db *db, int year, const struct calendar *before,
			      const struct calendar *after, json_object *notes, long *moved,
			      struct err *e)
{
	struct callback_settings s;
	struct db_res *r;
	char y[16];
	bool ok = true;

	if (!callback_settings_load(db, &s, e))
		return false;
	if (s.delay_workdays <= 0)
		return true;
	snprintf(y, sizeof(y), "%d", year);
	r = DB_EXEC(db, e,
		    "SELECT t.id, t.order_id, extract(epoch FROM t.created_at)::bigint AS created,"
		    " extract(epoch FROM t.due_at)::bigint AS due, iso(t.due_at) AS due_iso"
		    " FROM callback_task t WHERE t.status IN ('open', 'skipped') AND t.finished_at IS NULL"
		    "  AND" RECOMPUTE_SPAN_MAY_TOUCH("t.created_at", "t.due_at", "$1")
		    " ORDER BY t.id FOR UPDATE OF t", y);
	if (!r)
		return false;
	for (int i = 0; ok && i < db_res_rows(r); i++) {
		time_t created = (time_t)db_res_ll(r, i, "created");
		time_t due = (time_t)db_res_ll(r, i, "due");
		time_t corrected = task_due(after, created, s.delay_workdays);
		char t[24], iso[TIMEUTIL_ISO_LEN];

		if (task_due(before, created, s.delay_workdays) != due || corrected == due)
			continue;
		snprintf(t, sizeof(t), "%lld", (long long)corrected);
		time_format_iso(corrected, iso);
		orders_note_recalculated(notes, db_res_str(r, i, "order_id"), "old_callback_due",
					 db_res_str(r, i, "due_iso"));
		orders_note_recalculated(notes, db_res_str(r, i, "order_id"), "new_callback_due", iso);
		ok = DB_RUN(db, e, "UPDATE callback_task SET due_at = to_timestamp($2::bigint) WHERE id = $1",
			    db_res_str(r, i, "id"), t);
		(*moved)++;
	}
	db_res_free(r);
	return ok;
}
