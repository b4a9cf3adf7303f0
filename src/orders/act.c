/*
 * The action engine: every lifecycle action but registration, each in one
 * transaction that writes exactly one event, with the action's typed
 * parameters (params.h) and a handler per action.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/clock.h"
#include "orders/deadline.h"
#include "orders/orders_private.h"
#include "orders/params.h"

static const char insert_event_sql[] =
	"INSERT INTO order_event (order_id, actor_id, actor_role, department_id, action,"
	" from_status, to_status, note, payload, at)"
	" VALUES ($1, $2::integer, $3, $4::integer, $5, $6, $7, $8, $9::jsonb,"
	" coalesce(to_timestamp($10::bigint), now()))";

/* The event of an action taken at `at` (0: now). */
static bool write_event(struct db *db, const struct principal *who, const char *order_id,
			enum order_action action, enum order_status from, enum order_status to,
			const char *note, json_object *payload, time_t at, struct err *e)
{
	char uid[16], dept[16], when[24];
	const char *payload_text = payload ? json_object_to_json_string_ext(
		payload, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "{}";

	snprintf(uid, sizeof(uid), "%d", who->user_id);
	snprintf(dept, sizeof(dept), "%d", who->department_id);
	snprintf(when, sizeof(when), "%lld", (long long)at);
	return DB_RUN_P(db, e, insert_event_sql, order_id, who->user_id ? uid : NULL,
			role_code(who->role), who->department_id ? dept : NULL, action_code(action),
			from == ST_NONE ? NULL : status_code(from),
			to == ST_NONE ? NULL : status_code(to), note ? note : "", payload_text,
			at ? when : NULL);
}

/*
 * The mutable part of an order, loaded under a row lock, changed by one
 * action handler, and written back in one UPDATE. Times are epoch seconds,
 * 0 meaning NULL; tri-state booleans are -1 for NULL.
 */
struct order_row {
	char id[24];
	char number[32];
	char channel[16];
	char request_type[24];
	char urgency[24];
	int version;
	enum order_status status;
	int lead_department_id;		/* 0 = none */
	char lead_path[256];
	time_t clock_started_at, sign_deadline, handle_deadline, suspended_at;
	time_t requested_deadline, signed_at, replied_at, completed_at;
	enum deadline_unit handle_unit;
	double warn_fraction;
	char alert[8];
	bool sign_overdue;
	char *pending_reason;
	int extension_count, return_count, reopen_count, press_count, chase_count;
	char *result;
	int solved, contacted;
	char satisfaction[16];
	char callback_result[32];
	char transferred_to[16];
	long long merged_into;		/* 0 = none */
};

static void row_release(struct order_row *o)
{
	free(o->pending_reason);
	free(o->result);
}

static void set_text(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value ? value : "");
}

static int tristate(const struct db_res *r, const char *col)
{
	int c = db_res_col(r, col);

	return db_res_isnull(r, 0, c) ? -1 : db_res_get(r, 0, c)[0] == 't';
}

static const char load_sql[] =
	"SELECT o.id, o.number, o.channel, o.request_type, o.urgency, o.version, o.status,"
	" coalesce(o.lead_department_id, 0) AS lead_department_id, coalesce(ld.path, '') AS lead_path,"
	" extract(epoch FROM o.clock_started_at)::bigint AS clock_started_at,"
	" extract(epoch FROM o.sign_deadline)::bigint AS sign_deadline,"
	" extract(epoch FROM o.handle_deadline)::bigint AS handle_deadline,"
	" extract(epoch FROM o.suspended_at)::bigint AS suspended_at,"
	" extract(epoch FROM o.requested_deadline)::bigint AS requested_deadline,"
	" extract(epoch FROM o.signed_at)::bigint AS signed_at,"
	" extract(epoch FROM o.replied_at)::bigint AS replied_at,"
	" extract(epoch FROM o.completed_at)::bigint AS completed_at,"
	" coalesce(o.handle_unit, 'workdays') AS handle_unit, o.warn_fraction, o.alert,"
	" o.sign_overdue, o.pending_reason, o.extension_count, o.return_count, o.reopen_count,"
	" o.press_count, o.chase_count, o.result, o.solved, o.contacted, coalesce(o.satisfaction, '') AS satisfaction,"
	" coalesce(o.callback_result, '') AS callback_result,"
	" coalesce(o.transferred_to, '') AS transferred_to, coalesce(o.merged_into, 0) AS merged_into"
	" FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"
	" WHERE o.number = $1 AND " VISIBLE_SQL(2) " FOR UPDATE OF o";

static bool row_load(struct db *db, const struct principal *who, const char *number,
		     struct order_row *o, struct err *e)
{
	struct db_res *r = DB_EXEC_P(db, e, load_sql, number, scope_param(who));

	memset(o, 0, sizeof(*o));
	if (!r)
		return false;
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", number);
	}
	snprintf(o->id, sizeof(o->id), "%s", db_res_str(r, 0, "id"));
	snprintf(o->number, sizeof(o->number), "%s", db_res_str(r, 0, "number"));
	snprintf(o->channel, sizeof(o->channel), "%s", db_res_str(r, 0, "channel"));
	snprintf(o->request_type, sizeof(o->request_type), "%s", db_res_str(r, 0, "request_type"));
	snprintf(o->urgency, sizeof(o->urgency), "%s", db_res_str(r, 0, "urgency"));
	o->version = (int)db_res_ll(r, 0, "version");
	o->status = status_parse(db_res_str(r, 0, "status"));
	o->lead_department_id = (int)db_res_ll(r, 0, "lead_department_id");
	snprintf(o->lead_path, sizeof(o->lead_path), "%s", db_res_str(r, 0, "lead_path"));
	o->clock_started_at = (time_t)db_res_ll(r, 0, "clock_started_at");
	o->sign_deadline = (time_t)db_res_ll(r, 0, "sign_deadline");
	o->handle_deadline = (time_t)db_res_ll(r, 0, "handle_deadline");
	o->suspended_at = (time_t)db_res_ll(r, 0, "suspended_at");
	o->requested_deadline = (time_t)db_res_ll(r, 0, "requested_deadline");
	o->signed_at = (time_t)db_res_ll(r, 0, "signed_at");
	o->replied_at = (time_t)db_res_ll(r, 0, "replied_at");
	o->completed_at = (time_t)db_res_ll(r, 0, "completed_at");
	o->handle_unit = (enum deadline_unit)deadline_unit_parse(db_res_str(r, 0, "handle_unit"));
	o->warn_fraction = atof(db_res_str(r, 0, "warn_fraction"));
	snprintf(o->alert, sizeof(o->alert), "%s", db_res_str(r, 0, "alert"));
	o->sign_overdue = db_res_bool(r, 0, "sign_overdue");
	o->pending_reason = xstrdup(db_res_str(r, 0, "pending_reason"));
	o->extension_count = (int)db_res_ll(r, 0, "extension_count");
	o->return_count = (int)db_res_ll(r, 0, "return_count");
	o->reopen_count = (int)db_res_ll(r, 0, "reopen_count");
	o->press_count = (int)db_res_ll(r, 0, "press_count");
	o->chase_count = (int)db_res_ll(r, 0, "chase_count");
	o->result = xstrdup(db_res_str(r, 0, "result"));
	o->solved = tristate(r, "solved");
	o->contacted = tristate(r, "contacted");
	snprintf(o->satisfaction, sizeof(o->satisfaction), "%s", db_res_str(r, 0, "satisfaction"));
	snprintf(o->callback_result, sizeof(o->callback_result), "%s", db_res_str(r, 0, "callback_result"));
	snprintf(o->transferred_to, sizeof(o->transferred_to), "%s", db_res_str(r, 0, "transferred_to"));
	o->merged_into = db_res_ll(r, 0, "merged_into");
	db_res_free(r);
	return true;
}

static const char store_sql[] =
	"UPDATE work_order SET status = $2, lead_department_id = $3::integer,"
	" clock_started_at = to_timestamp($4::bigint), sign_deadline = to_timestamp($5::bigint),"
	" handle_deadline = to_timestamp($6::bigint), suspended_at = to_timestamp($7::bigint),"
	" requested_deadline = to_timestamp($8::bigint), signed_at = to_timestamp($9::bigint),"
	" replied_at = to_timestamp($10::bigint), completed_at = to_timestamp($11::bigint),"
	" handle_unit = $12, warn_fraction = $13::numeric,"
	" warn_at = to_timestamp($4::bigint)"
	"  + (to_timestamp($6::bigint) - to_timestamp($4::bigint)) * $13::float8,"
	" alert = $14, sign_overdue = $15::boolean,"
	" pending_reason = $16, extension_count = $17::integer, return_count = $18::integer,"
	" reopen_count = $19::integer, press_count = $20::integer, result = $21,"
	" solved = $22::boolean, contacted = $23::boolean, satisfaction = $24,"
	" callback_result = $25, transferred_to = $26, merged_into = $27::bigint,"
	" chase_count = $28::integer,"
	" version = version + 1, updated_at = now()"
	" WHERE id = $1";

static bool row_store(struct db *db, const struct order_row *o, struct err *e)
{
	char t[8][24], n[5][16], lead[16], warn[16], merged[24];
	time_t times[8] = { o->clock_started_at, o->sign_deadline, o->handle_deadline,
			    o->suspended_at, o->requested_deadline, o->signed_at,
			    o->replied_at, o->completed_at };
	int ints[5] = { o->extension_count, o->return_count, o->reopen_count, o->press_count,
			o->chase_count };
	const char *tp[8];
	static const char *const tri[] = { NULL, "false", "true" };

	for (int i = 0; i < 8; i++) {
		snprintf(t[i], sizeof(t[i]), "%lld", (long long)times[i]);
		tp[i] = times[i] ? t[i] : NULL;
	}
	for (int i = 0; i < 5; i++)
		snprintf(n[i], sizeof(n[i]), "%d", ints[i]);
	snprintf(lead, sizeof(lead), "%d", o->lead_department_id);
	snprintf(warn, sizeof(warn), "%.3f", o->warn_fraction);
	snprintf(merged, sizeof(merged), "%lld", o->merged_into);
	return DB_RUN_P(db, e, store_sql, o->id, status_code(o->status),
			o->lead_department_id ? lead : NULL, tp[0], tp[1], tp[2], tp[3], tp[4], tp[5],
			tp[6], tp[7], o->clock_started_at ? deadline_unit_code(o->handle_unit) : NULL,
			warn, o->alert, o->sign_overdue ? "true" : "false", o->pending_reason, n[0],
			n[1], n[2], n[3], o->result, tri[o->solved + 1], tri[o->contacted + 1],
			o->satisfaction[0] ? o->satisfaction : NULL,
			o->callback_result[0] ? o->callback_result : NULL,
			o->transferred_to[0] ? o->transferred_to : NULL,
			o->merged_into ? merged : NULL, n[4]);
}

/* Everything an action handler needs. */
struct act_ctx {
	struct db *db;
	const struct principal *who;
	struct order_row *row;
	const struct action_params *p;	/* the action's parameters, already checked */
	json_object *payload;		/* what goes into the event */
	const char *note;		/* the event's note */
	time_t now;
	struct err *e;
};

/* Looks up an active department by code: id and path. 422 naming `field`. */
static bool department_lookup(struct act_ctx *c, const char *field, const char *code,
			      int *id, char path[256])
{
	struct db_res *r = DB_EXEC_P(c->db, c->e,
		"SELECT id, path FROM department WHERE code = $1 AND active", code);
	bool ok;

	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (ok) {
		*id = (int)db_res_ll(r, 0, "id");
		snprintf(path, 256, "%s", db_res_str(r, 0, "path"));
	} else {
		err_field(c->e, 422, field, ERR_UNKNOWN_DEPARTMENT, "unknown or inactive department \"%s\"", code);
		err_text_arg(c->e, code);
	}
	db_res_free(r);
	return ok;
}

/* Starts the sign-for and handling clocks at `now` for the order's policy. */
static bool start_clocks(struct act_ctx *c)
{
	struct deadline_policy p;
	struct order_row *o = c->row;

	if (!deadline_policy_get(c->db, o->request_type, o->urgency, &p, c->e))
		return false;
	o->clock_started_at = c->now;
	if (!clock_start(c->db, o->id, c->now, &p, &o->sign_deadline, &o->handle_deadline, c->e))
		return false;
	o->handle_unit = p.handle_unit;
	o->warn_fraction = p.warn_fraction;
	snprintf(o->alert, sizeof(o->alert), "green");
	o->sign_overdue = false;
	o->signed_at = 0;
	return true;
}

/* A fresh sign-for clock for the unit that now holds the order; the
 * handling deadline stands. */
static bool restart_sign_clock(struct act_ctx *c)
{
	struct deadline_policy p;

	if (!deadline_policy_get(c->db, c->row->request_type, c->row->urgency, &p, c->e)
	    || !clock_start_sign(c->db, c->row->id, c->now, &p, c->row->sign_overdue,
				 &c->row->sign_deadline, c->e))
		return false;
	c->row->signed_at = 0;
	return true;
}

static void add_time(json_object *payload, const char *key, time_t t)
{
	char iso[TIMEUTIL_ISO_LEN];

	time_format_iso(t, iso);
	json_object_object_add(payload, key, json_object_new_string(iso));
}

/* Sets the lead unit and the assisting units (replacing the earlier ones). */
static bool assign_departments(struct act_ctx *c, const struct dispatch_params *d)
{
	char path[256];
	json_object *listed;

	if (!department_lookup(c, "department", d->department, &c->row->lead_department_id, path))
		return false;
	snprintf(c->row->lead_path, sizeof(c->row->lead_path), "%s", path);
	if (!DB_RUN_P(c->db, c->e, "DELETE FROM order_assist WHERE order_id = $1", c->row->id))
		return false;
	if (!d->assisting.count)
		return true;
	listed = json_object_new_array();
	for (size_t i = 0; i < d->assisting.count; i++) {
		const char *code = d->assisting.codes[i];
		bool twice = !strcmp(code, d->department);	/* the lead is not also an assistant */
		struct db_res *r;

		for (size_t k = 0; k < json_object_array_length(listed); k++)
			twice |= !strcmp(code, json_object_get_string(json_object_array_get_idx(listed, k)));
		if (twice)
			continue;
		r = DB_EXEC_P(c->db, c->e,
			      "INSERT INTO order_assist (order_id, department_id)"
			      " SELECT $1, id FROM department WHERE code = $2 AND active AND code <> $3"
			      " ON CONFLICT DO NOTHING RETURNING department_id",
			      c->row->id, code, d->department);
		bool found = r && db_res_rows(r) == 1;
		db_res_free(r);
		if (!found) {
			json_object_put(listed);
			if (err_isset(c->e))
				return false;
			err_field(c->e, 422, "assisting", ERR_UNKNOWN_DEPARTMENT,
				  "unknown or inactive department \"%s\"", code);
			return err_text_arg(c->e, code);
		}
		json_object_array_add(listed, json_object_new_string(code));
	}
	json_object_object_add(c->payload, "assisting", listed);
	return true;
}

static bool act_dispatch(struct act_ctx *c)
{
	const struct dispatch_params *d = &c->p->dispatch;

	c->note = d->note;
	if (!assign_departments(c, d) || !start_clocks(c))
		return false;
	add_time(c->payload, "sign_deadline", c->row->sign_deadline);
	add_time(c->payload, "handle_deadline", c->row->handle_deadline);
	return true;
}

static bool act_sign(struct act_ctx *c)
{
	c->note = c->p->sign.note;
	c->row->signed_at = c->now;
	if (c->row->sign_deadline && c->now > c->row->sign_deadline)
		c->row->sign_overdue = true;
	return true;
}

static bool act_return(struct act_ctx *c)
{
	c->note = c->p->return_.reason;
	set_text(&c->row->pending_reason, c->note);
	c->row->return_count++;
	return true;
}

static bool act_approve_return(struct act_ctx *c)
{
	const struct dispatch_params *d = &c->p->approve_return;
	int old = c->row->lead_department_id;

	c->note = d->note;
	if (!assign_departments(c, d))
		return false;
	if (c->row->lead_department_id == old)
		return err_field(c->e, 422, "department", ERR_SAME_DEPARTMENT,
				 "re-dispatch must go to another department than the one that returned it");
	set_text(&c->row->pending_reason, "");
	return start_clocks(c);
}

/* The order goes back to the same unit, which must sign for it again. */
static bool act_reject_return(struct act_ctx *c)
{
	c->note = c->p->reject_return.reason;
	set_text(&c->row->pending_reason, "");
	return restart_sign_clock(c);
}

static bool act_sub_dispatch(struct act_ctx *c)
{
	const struct sub_dispatch_params *d = &c->p->sub_dispatch;
	char path[256];
	int id;

	c->note = d->note;
	if (!department_lookup(c, "department", d->department, &id, path))
		return false;
	if (strncmp(path, c->row->lead_path, strlen(c->row->lead_path)) || id == c->row->lead_department_id)
		return err_field(c->e, 422, "department", ERR_NOT_SUB_UNIT,
				 "department \"%s\" is not a sub-unit of the department handling the order",
				 d->department);
	c->row->lead_department_id = id;
	snprintf(c->row->lead_path, sizeof(c->row->lead_path), "%s", path);
	/* The sub-unit gets its own sign-for clock; the handling deadline stands. */
	return restart_sign_clock(c);
}

static bool act_request_extension(struct act_ctx *c)
{
	const struct extension_params *x = &c->p->request_extension;
	time_t wanted;

	c->note = x->reason;
	if (c->row->handle_deadline && c->now > c->row->handle_deadline)
		return err_set(c->e, 409, ERR_PAST_DEADLINE,
			       "an extension must be asked for before the deadline, which has passed");
	if (x->until)
		wanted = x->until;
	else if (x->workdays)
		wanted = deadline_add(c->row->handle_deadline, (int)x->workdays, UNIT_WORKDAYS);
	else
		return err_field(c->e, 422, "workdays", ERR_EXTENSION_HOW,
				 "give either \"until\" (a time) or \"workdays\" (1 to 60) for the new deadline");
	if (wanted <= c->row->handle_deadline)
		return err_field(c->e, 422, x->until ? "until" : "workdays", ERR_DEADLINE_NOT_LATER,
				 "the new deadline must be later than the current one");
	c->row->requested_deadline = wanted;
	add_time(c->payload, "requested_deadline", wanted);
	return clock_extension_asked(c->db, c->row->id, x->until ? 0 : (int)x->workdays, c->e);
}

static bool act_approve_extension(struct act_ctx *c)
{
	c->note = c->p->approve_extension.note;
	add_time(c->payload, "old_deadline", c->row->handle_deadline);
	c->row->handle_deadline = c->row->requested_deadline;
	add_time(c->payload, "new_deadline", c->row->handle_deadline);
	c->row->extension_count++;
	c->row->requested_deadline = 0;
	snprintf(c->row->alert, sizeof(c->row->alert), "green");
	return clock_extension_granted(c->db, c->row->id, c->row->handle_deadline, c->e);
}

static bool act_reject_extension(struct act_ctx *c)
{
	c->note = c->p->reject_extension.note;
	c->row->requested_deadline = 0;
	return true;
}

/*
 * A suspension stops the clock of an order still within its time; one
 * whose handling deadline has passed cannot be suspended (it would leave
 * the overdue lists, and resuming would move the passed deadline): the
 * unit replies late, or asks the centre to extend before the deadline.
 */
static bool act_suspend(struct act_ctx *c)
{
	c->note = c->p->suspend.reason;
	if (c->row->handle_deadline && c->now >= c->row->handle_deadline)
		return err_set(c->e, 409, ERR_SUSPEND_OVERDUE,
			       "order %s is past its handling deadline: an overdue order cannot be suspended",
			       c->row->number);
	c->row->suspended_at = c->now;
	return true;
}

static bool act_resume(struct act_ctx *c)
{
	time_t old = c->row->handle_deadline;

	c->note = c->p->resume.note;
	c->row->handle_deadline = deadline_push_back(old, c->row->handle_unit,
						     c->row->suspended_at, c->now);
	add_time(c->payload, "suspended_at", c->row->suspended_at);
	add_time(c->payload, "old_deadline", old);
	add_time(c->payload, "new_deadline", c->row->handle_deadline);
	if (!clock_resumed(c->db, c->row->id, c->row->suspended_at, c->now, c->e))
		return false;
	c->row->suspended_at = 0;
	return true;
}

static bool act_reply(struct act_ctx *c)
{
	const struct reply_params *r = &c->p->reply;

	set_text(&c->row->result, r->result);
	c->row->solved = r->solved;
	c->row->contacted = r->contacted;
	c->row->replied_at = c->now;
	c->row->satisfaction[0] = '\0';
	return true;
}

/*
 * The callback (回访): a rating and whether the matter was solved; or
 * unreachable when the caller could not be reached after the configured
 * attempts (closed as 无法回访, with no rating); or skipped when the order
 * fell outside the share of orders the city calls back (closed by the
 * system, with no rating).
 */
static bool act_callback(struct act_ctx *c)
{
	const struct callback_params *b = &c->p->callback;

	c->note = b->note;
	c->row->completed_at = c->now;
	if (b->unreachable || b->skipped) {
		snprintf(c->row->callback_result, sizeof(c->row->callback_result), "%s",
			 b->unreachable ? "unreachable" : "not_sampled");
		c->row->satisfaction[0] = '\0';
		return true;
	}
	snprintf(c->row->satisfaction, sizeof(c->row->satisfaction), "%s",
		 vocab_code(&vocab_satisfaction, b->satisfaction));
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "rated");
	c->row->solved = b->solved;
	return true;
}

static bool act_reopen(struct act_ctx *c)
{
	c->note = c->p->reopen.reason;
	c->row->reopen_count++;
	c->row->replied_at = 0;
	c->row->solved = YN_UNSET;
	c->row->contacted = YN_UNSET;
	c->row->satisfaction[0] = '\0';
	if (!start_clocks(c))
		return false;
	add_time(c->payload, "handle_deadline", c->row->handle_deadline);
	return true;
}

static bool act_answer(struct act_ctx *c)
{
	set_text(&c->row->result, c->p->answer.answer);
	c->row->solved = YN_YES;
	c->row->completed_at = c->now;
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "answered");
	return true;
}

static bool act_not_accept(struct act_ctx *c)
{
	c->note = c->p->not_accept.reason;
	set_text(&c->row->result, c->note);
	c->row->completed_at = c->now;
	snprintf(c->row->callback_result, sizeof(c->row->callback_result), "not_accepted");
	return true;
}

static bool act_transfer_out(struct act_ctx *c)
{
	const struct transfer_out_params *t = &c->p->transfer_out;

	c->note = t->note;
	snprintf(c->row->transferred_to, sizeof(c->row->transferred_to), "%s",
		 vocab_code(&vocab_transfer_target, t->target));
	c->row->completed_at = c->now;
	return true;
}

static bool act_merge(struct act_ctx *c)
{
	const char *into = c->p->merge.into;
	struct db_res *r;
	bool ok;

	c->note = c->p->merge.note;
	if (!strcmp(into, c->row->number))
		return err_field(c->e, 422, "into", ERR_MERGE_SELF, "an order cannot be merged into itself");
	r = DB_EXEC_P(c->db, c->e,
		      "SELECT o.id, o.status FROM work_order o LEFT JOIN department ld ON ld.id = o.lead_department_id"
		      " WHERE o.number = $1 AND " VISIBLE_SQL(2),
		      into, scope_param(c->who));
	if (!r)
		return false;
	ok = db_res_rows(r) == 1;
	if (!ok) {
		err_field(c->e, 422, "into", ERR_UNKNOWN_ORDER, "no order \"%s\" to merge into", into);
		err_text_arg(c->e, into);
	} else if (!lifecycle_is_open(status_parse(db_res_str(r, 0, "status")))) {
		ok = err_field(c->e, 422, "into", ERR_MERGE_CLOSED, "order \"%s\" is closed (%s): merge into an open order",
			       into, db_res_str(r, 0, "status"));
		err_text_arg(c->e, into);
	} else {
		c->row->merged_into = db_res_ll(r, 0, "id");
		c->row->completed_at = c->now;
	}
	db_res_free(r);
	return ok;
}

static bool act_press(struct act_ctx *c)
{
	c->note = c->p->press.note;
	c->row->press_count++;
	json_object_object_add(c->payload, "level",
			       json_object_new_int64(c->p->press.level ? c->p->press.level : 1));
	return true;
}

static bool act_archive(struct act_ctx *c)
{
	c->note = c->p->archive.note;
	return true;
}

/* The caller phoned again about the order (催办, 重复来电): counted, and
 * shown to the unit; nothing else changes. */
static bool act_chase(struct act_ctx *c)
{
	c->note = c->p->chase.note;
	c->row->chase_count++;
	json_object_object_add(c->payload, "chase_count", json_object_new_int(c->row->chase_count));
	return true;
}

static bool (*const handlers[ACT_COUNT])(struct act_ctx *c) = {
	[ACT_ANSWER] = act_answer,
	[ACT_NOT_ACCEPT] = act_not_accept,
	[ACT_TRANSFER_OUT] = act_transfer_out,
	[ACT_DISPATCH] = act_dispatch,
	[ACT_SIGN] = act_sign,
	[ACT_RETURN] = act_return,
	[ACT_APPROVE_RETURN] = act_approve_return,
	[ACT_REJECT_RETURN] = act_reject_return,
	[ACT_SUB_DISPATCH] = act_sub_dispatch,
	[ACT_REQUEST_EXTENSION] = act_request_extension,
	[ACT_APPROVE_EXTENSION] = act_approve_extension,
	[ACT_REJECT_EXTENSION] = act_reject_extension,
	[ACT_SUSPEND] = act_suspend,
	[ACT_RESUME] = act_resume,
	[ACT_REPLY] = act_reply,
	[ACT_CALLBACK] = act_callback,
	[ACT_REOPEN] = act_reopen,
	[ACT_MERGE] = act_merge,
	[ACT_PRESS] = act_press,
	[ACT_ARCHIVE] = act_archive,
	[ACT_CHASE] = act_chase,
};

/*
 * The deadline light after an action moved the clock: red past the
 * deadline, yellow past the warning point, green before. (The sweeper only
 * moves lights forward as time passes; an extension or a resumed
 * suspension can move them back.) Lights of stopped clocks stay as they are.
 */
static void refresh_alert(struct order_row *o, time_t now)
{
	time_t warn_at;

	if (!o->handle_deadline || !o->clock_started_at || !lifecycle_clock_runs(o->status))
		return;
	warn_at = o->clock_started_at
		  + (time_t)((double)(o->handle_deadline - o->clock_started_at) * o->warn_fraction);
	snprintf(o->alert, sizeof(o->alert), "%s",
		 now >= o->handle_deadline ? "red" : now >= warn_at ? "yellow" : "green");
}

static order_hook_fn hooks[8];
static size_t nhooks;

void orders_on_change(order_hook_fn fn)
{
	assert(nhooks < ARRAY_SIZE(hooks));
	for (size_t i = 0; i < nhooks; i++)
		if (hooks[i] == fn)
			return;		/* registering twice is harmless */
	hooks[nhooks++] = fn;
}

static bool run_hooks(struct db *db, const struct order_change *change, struct err *e)
{
	for (size_t i = 0; i < nhooks; i++)
		if (!hooks[i](db, change, e))
			return false;
	return true;
}

/* Refuses an action the viewer may not take now: 409 for the state, 403 for the role. */
static bool check_allowed(const struct principal *who, const struct order_row *o,
			  enum order_action action, const struct transition **tr, struct err *e)
{
	*tr = lifecycle_find(action, o->status, who->role);
	if (*tr) {
		/* Department actions belong to the lead unit (or a unit above it). */
		if (!orders_led_by(who, o->lead_path))
			return err_set(e, 403, ERR_NOT_LEAD_DEPARTMENT,
				       "only the lead department may %s order %s", action_code(action),
				       o->number);
		return true;
	}
	if (!lifecycle_action_possible(action, o->status)) {
		err_set(e, 409, ERR_INVALID_STATE, "cannot %s order %s: it is %s (%s)",
			action_code(action), o->number, status_label(o->status), status_code(o->status));
		err_extra(e, "current_status", status_code(o->status));
		return false;
	}
	return err_set(e, 403, ERR_FORBIDDEN, "role %s may not %s an order that is %s",
		       role_code(who->role), action_code(action), status_code(o->status));
}

/*
 * A callback whose rating is unsatisfied with a cause attributable to the
 * unit reopens the order (重办) instead, exactly as the callback queue does
 * (supervision/callbacks.c): the note is the reason, and 422
 * reason-for-reopen without one. Rewrites *action and *p.
 */
static bool callback_reopens(enum order_action *action, struct action_params *p, struct err *e)
{
	struct callback_params cb;

	if (*action != ACT_CALLBACK)
		return true;
	cb = p->callback;
	if (cb.unreachable || cb.skipped || cb.satisfaction != SAT_UNSATISFIED || cb.attributable != YN_YES)
		return true;
	if (!cb.note)
		return err_field(e, 422, "note", ERR_REASON_FOR_REOPEN,
				 "an unsatisfied rating attributable to the unit reopens the order: say why in \"note\"");
	p->reopen = (struct reopen_params) {
		.reason = cb.note, .satisfaction = cb.satisfaction, .solved = cb.solved,
		.comment = cb.comment ? cb.comment : cb.note,
	};
	*action = ACT_REOPEN;
	return true;
}

/*
 * The action engine: one transaction that loads the order under a row
 * lock, checks the version, the state, the role and the lead unit, then
 * the parameters (typed `given`, or read from `src` at this point so that
 * a wrong state says 409 before a missing field says 422), runs the
 * handler, stores the order, runs the hooks and writes the event.
 */
static json_object *act(struct db *db, const struct principal *who, const char *number,
			enum order_action action, const struct action_params *given,
			const struct param_source *src, time_t at, struct err *e)
{
	struct order_row row;
	struct action_params read;
	const struct action_params *p;
	const struct transition *tr;
	struct act_ctx c = { .db = db, .who = who, .row = &row, .now = at ? at : time(NULL), .e = e };
	enum order_status from;
	int64_t version = given ? given->version : 0;
	bool ok = false;

	if (action == ACT_REGISTER || action >= ACT_COUNT || !handlers[action])
		return err_set(e, 404, ERR_NOT_FOUND, "no such action"), NULL;
	if (src && !params_read_version(src, &version, e))
		return NULL;
	if (!db_begin(db, e))
		return NULL;
	if (!row_load(db, who, number, &row, e))
		goto out;
	if (version && version != row.version) {
		err_set(e, 409, ERR_STALE_VERSION, "order %s was changed by someone else (now version %d, you had %lld): reload it",
			number, row.version, (long long)version);
		err_extra(e, "current_status", status_code(row.status));
		goto out;
	}
	if (!check_allowed(who, &row, action, &tr, e))
		goto out;
	if (src) {
		if (!params_read(action, src, &read, e))
			goto out;
	} else {
		read = *given;
	}
	p = &read;
	if (!callback_reopens(&action, &read, e)
	    || (action != tr->action && !check_allowed(who, &row, action, &tr, e)))
		goto out;
	from = row.status;
	c.p = p;
	c.payload = params_to_json(action, p);
	if (!handlers[action](&c)) {
		json_object_put(c.payload);
		goto out;
	}
	if (tr->to != ST_NONE)
		row.status = tr->to;
	refresh_alert(&row, c.now);
	struct order_change change = {
		.order_id = row.id, .number = row.number, .channel = row.channel, .action = action,
		.from = from, .to = row.status, .params = p, .note = c.note, .who = who, .at = c.now,
	};
	ok = row_store(db, &row, e)
	     && run_hooks(db, &change, e)
	     && write_event(db, who, row.id, action, from, tr->to == ST_NONE ? from : tr->to, c.note,
			    c.payload, at, e)
	     && db_commit(db, e);
	json_object_put(c.payload);
out:
	if (!ok)
		db_rollback(db);
	row_release(&row);
	return ok ? orders_get(db, who, number, e) : NULL;
}

json_object *orders_act(struct db *db, const struct principal *who, const char *number,
			enum order_action action, const struct action_params *p, struct err *e)
{
	return act(db, who, number, action, p, NULL, 0, e);
}

json_object *orders_act_input(struct db *db, const struct principal *who, const char *number,
			      enum order_action action, const struct param_source *src, struct err *e)
{
	return act(db, who, number, action, NULL, src, 0, e);
}

json_object *orders_act_input_at(struct db *db, const struct principal *who, const char *number,
				 enum order_action action, const struct param_source *src, time_t at,
				 struct err *e)
{
	return act(db, who, number, action, NULL, src, at, e);
}
