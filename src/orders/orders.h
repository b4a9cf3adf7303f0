/*
 * orders: the work order — registration, reading, listing, and every
 * lifecycle action, each in one transaction that writes exactly one event.
 *
 * Access: centre staff (agents, reviewers, supervisors, administrators)
 * see every order; a department user sees only orders whose lead or
 * assisting unit is its department or below it, and any other order is
 * "not found" (404), never "forbidden". A confidential order shows
 * departments a masked caller.
 *
 * Every function returns a new json_object reference owned by the caller,
 * or NULL with `e` filled (statuses as in the API reference).
 */
#ifndef HOTLINE_ORDERS_ORDERS_H
#define HOTLINE_ORDERS_ORDERS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "auth/auth.h"
#include "core/err.h"
#include "db/db.h"
#include "orders/lifecycle.h"
#include "orders/params.h"

#define ORDER_CONTENT_MAX 4000
#define ORDER_LIST_DEFAULT 50
#define ORDER_LIST_MAX 200

/*
 * Registers an order (the ACT_REGISTER parameters of params.h). With an
 * idempotency key, a repeated call by the same user returns the order the
 * first call made, and *created is false. 422 names the field at fault:
 * an unknown code of a reference table, district or street among them.
 */
json_object *orders_create(struct db *db, const struct principal *who, const struct register_params *p,
			   const char *idempotency_key, bool *created, struct err *e);
/* As orders_create(), the parameters read from an input (params_read()):
 * every bad field is reported at once. */
json_object *orders_create_input(struct db *db, const struct principal *who, const struct param_source *src,
				 const char *idempotency_key, bool *created, struct err *e);
/* As orders_create_input(), registered at `at` instead of now (its time,
 * its number's day, its event): for a loader that replays a history, as
 * orders_act_input_at(). */
json_object *orders_create_input_at(struct db *db, const struct principal *who,
				    const struct param_source *src, time_t at, struct err *e);

/* One order as the viewer may see it, with the actions the viewer may take. */
json_object *orders_get(struct db *db, const struct principal *who, const char *number,
			struct err *e);

/*
 * True if `who` may act for the order's lead unit, whose department path
 * is `lead_path`: centre staff always; a department user when the lead
 * unit is its own department or one below it (an assisting unit 协办 may
 * read the order, not act on it).
 */
bool orders_led_by(const struct principal *who, const char *lead_path);

/* The event record of an order, oldest first. */
json_object *orders_events(struct db *db, const struct principal *who, const char *number,
			   struct err *e);

struct order_filter {
	const char *number;		/* an order number, or its beginning */
	const char *status;		/* a status code, or several separated by commas */
	const char *department;		/* lead unit code: that unit and those below it */
	const char *request_type;
	const char *category;		/* code prefix: 01 matches 0101 and 010101 */
	const char *district;		/* district code */
	const char *urgency;
	const char *channel;		/* channel code ("police": from 110) */
	const char *caller_phone;	/* in any written form: normalised before matching */
	const char *text;		/* substring of content, address or request (case
					   ignored); two characters or more use the index */
	const char *light;		/* deadline lights, comma-separated ("yellow,red") */
	bool overdue;			/* only orders past their handling deadline */
	bool reopened, pressed, chased;	/* reopened (重办), pressed (督办), chased by the
					   caller (催办) at least once */
	time_t created_from, created_to;	/* 0 = open */
	bool oldest_first;		/* oldest first (the queues): the cursor goes forward */
	long long after;		/* keyset cursor: the id of the last order seen */
	int limit;
};

/*
 * A page of orders, newest first (oldest first with f->oldest_first):
 * {"items": […], "next_cursor": "…"|null}. 400 for a malformed phone or an
 * unknown light.
 */
json_object *orders_list(struct db *db, const struct principal *who,
			 const struct order_filter *f, struct err *e);
/* How many orders `f` selects for `who` (f->after and f->limit aside):
 * the queues' counts. False with `e` as orders_list(). */
bool orders_count(struct db *db, const struct principal *who, const struct order_filter *f,
		  long long *n, struct err *e);

/*
 * Takes `action` on the order with its parameters `p` (see params.h; a
 * caller that builds them itself, such as the callback queue). If
 * p->version is set, the order must still be at that version (409
 * otherwise). Returns the order after the action.
 *   404 the order does not exist or is not the viewer's,
 *   403 the viewer's role may not take the action,
 *   409 the action does not fit the order's state (the state is named),
 *   422 a parameter is wrong (named, with a specific code).
 */
json_object *orders_act(struct db *db, const struct principal *who, const char *number,
			enum order_action action, const struct action_params *p, struct err *e);
/*
 * As orders_act(), with the parameters read from an input (an API body or
 * a web form) by params_read() once the order, its version, its state and
 * the viewer's role have been checked; every bad parameter is reported
 * (e->more).
 */
json_object *orders_act_input(struct db *db, const struct principal *who, const char *number,
			      enum order_action action, const struct param_source *src, struct err *e);

/*
 * As orders_act_input(), the action taken at `at` instead of now: its
 * event, its deadlines and its checks (a late sign-for, an overdue order)
 * as of that moment. For a loader that replays a history in order (the
 * demo); `at` must not be earlier than the order's last event. The server
 * never calls it.
 */
json_object *orders_act_input_at(struct db *db, const struct principal *who, const char *number,
				 enum order_action action, const struct param_source *src, time_t at,
				 struct err *e);

/* What an action did, for the modules that react to it (the 110 bridge). */
struct order_change {
	const char *order_id;		/* work_order.id */
	const char *number;
	const char *channel;		/* the order's channel code, e.g. "police" */
	enum order_action action;
	enum order_status from, to;
	const struct action_params *params;	/* the action's parameters */
	const char *note;		/* the event's note (a reason, a remark); may be NULL */
	const struct principal *who;
	time_t at;			/* when the action was taken (now, or a replay's moment) */
};

/*
 * A function called inside every action's transaction, after the order is
 * stored and before the commit: its writes commit or roll back with the
 * action. Returning false (with `e`) refuses the action.
 */
typedef bool (*order_hook_fn)(struct db *db, const struct order_change *change, struct err *e);

/* Registers a hook (at most 8; the same function once); call at start,
 * before any thread runs. */
void orders_on_change(order_hook_fn fn);

/*
 * One pass of the deadline sweeper: marks open orders green, yellow (past
 * the warning fraction) or red (overdue) and flags late sign-for, writing
 * an event for each change. Safe to run in several processes at once
 * (rows are claimed with FOR UPDATE SKIP LOCKED). Returns the number of
 * orders changed, or -1 with `e` filled.
 */
long orders_sweep(struct db *db, struct err *e);

/* Counts of open orders by alert colour, for /metrics. */
bool orders_alert_counts(struct db *db, long *green, long *yellow, long *red, struct err *e);

#endif
