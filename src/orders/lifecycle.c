#include "orders/lifecycle.h"
#include "core/array.h"

#include <string.h>

#define S(x) (1u << (x))
#define OPEN_STATES (S(ST_PENDING) | S(ST_DISPATCHED) | S(ST_IN_PROGRESS) \
		     | S(ST_RETURN_REQUESTED) | S(ST_EXTENSION_REQUESTED) | S(ST_SUSPENDED) \
		     | S(ST_AWAITING_CALLBACK))
/* Dispatched, being handled, or waiting for the centre's decision on a
 * return or an extension; a suspended order's clock is stopped. */
#define CLOCK_STATES (S(ST_DISPATCHED) | S(ST_IN_PROGRESS) | S(ST_RETURN_REQUESTED) \
		      | S(ST_EXTENSION_REQUESTED))
#define R(x) ROLE_BIT(ROLE_##x)

/* docs/lifecycle.md, "The table", row by row. */
static const struct transition table[] = {
	{ ACT_ANSWER, S(ST_PENDING), ST_COMPLETED, R(AGENT) | R(REVIEWER) },
	{ ACT_NOT_ACCEPT, S(ST_PENDING), ST_COMPLETED, R(AGENT) | R(REVIEWER) },
	{ ACT_TRANSFER_OUT, S(ST_PENDING), ST_TRANSFERRED, R(AGENT) | R(REVIEWER) },
	{ ACT_DISPATCH, S(ST_PENDING), ST_DISPATCHED, R(AGENT) | R(REVIEWER) },
	{ ACT_SIGN, S(ST_DISPATCHED), ST_IN_PROGRESS, ROLES_DEPARTMENT },
	{ ACT_RETURN, S(ST_DISPATCHED) | S(ST_IN_PROGRESS), ST_RETURN_REQUESTED, ROLES_DEPARTMENT },
	{ ACT_APPROVE_RETURN, S(ST_RETURN_REQUESTED), ST_DISPATCHED, R(REVIEWER) | R(SUPERVISOR) },
	{ ACT_REJECT_RETURN, S(ST_RETURN_REQUESTED), ST_DISPATCHED, R(REVIEWER) | R(SUPERVISOR) },
	{ ACT_SUB_DISPATCH, S(ST_IN_PROGRESS), ST_DISPATCHED, R(DEPT_ADMIN) },
	{ ACT_REQUEST_EXTENSION, S(ST_IN_PROGRESS), ST_EXTENSION_REQUESTED, ROLES_DEPARTMENT },
	{ ACT_APPROVE_EXTENSION, S(ST_EXTENSION_REQUESTED), ST_IN_PROGRESS, R(SUPERVISOR) },
	{ ACT_REJECT_EXTENSION, S(ST_EXTENSION_REQUESTED), ST_IN_PROGRESS, R(SUPERVISOR) },
	{ ACT_SUSPEND, S(ST_IN_PROGRESS), ST_SUSPENDED, ROLES_DEPARTMENT },
	{ ACT_RESUME, S(ST_SUSPENDED), ST_IN_PROGRESS, ROLES_DEPARTMENT },
	{ ACT_REPLY, S(ST_IN_PROGRESS), ST_AWAITING_CALLBACK, ROLES_DEPARTMENT },
	{ ACT_CALLBACK, S(ST_AWAITING_CALLBACK), ST_COMPLETED, R(AGENT) | R(REVIEWER) | R(SYSTEM) },
	{ ACT_REOPEN, S(ST_AWAITING_CALLBACK), ST_DISPATCHED, R(AGENT) | R(REVIEWER) },
	{ ACT_MERGE, OPEN_STATES, ST_MERGED, R(AGENT) | R(REVIEWER) },
	{ ACT_PRESS, OPEN_STATES & ~S(ST_PENDING), ST_NONE, R(SUPERVISOR) },
	{ ACT_ARCHIVE, S(ST_COMPLETED) | S(ST_TRANSFERRED) | S(ST_MERGED), ST_ARCHIVED,
	  R(ADMIN) | R(SUPERVISOR) | R(SYSTEM) },
	{ ACT_CHASE, OPEN_STATES, ST_NONE, R(AGENT) | R(REVIEWER) },
};

const struct transition *lifecycle_find(enum order_action action, enum order_status status,
					enum role role)
{
	if (status < 0 || status >= ST_COUNT)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].action == action && (table[i].from & S(status))
		    && (table[i].roles & ROLE_BIT(role)))
			return &table[i];
	return NULL;
}

bool lifecycle_action_possible(enum order_action action, enum order_status status)
{
	if (status < 0 || status >= ST_COUNT)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].action == action && (table[i].from & S(status)))
			return true;
	return false;
}

size_t lifecycle_allowed(enum order_status status, enum role role, enum order_action out[ACT_COUNT])
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if ((table[i].from & S(status)) && (table[i].roles & ROLE_BIT(role)))
			out[n++] = table[i].action;
	return n;
}

bool lifecycle_clock_runs(enum order_status status)
{
	return status >= 0 && status < ST_COUNT && (CLOCK_STATES & S(status));
}

bool lifecycle_is_open(enum order_status status)
{
	return status >= 0 && status < ST_COUNT && (OPEN_STATES & S(status));
}

static const struct {
	const char *code, *label;
} statuses[ST_COUNT] = {
	[ST_PENDING] = { "pending", "待派单" },
	[ST_DISPATCHED] = { "dispatched", "待签收" },
	[ST_IN_PROGRESS] = { "in_progress", "办理中" },
	[ST_RETURN_REQUESTED] = { "return_requested", "退单待审" },
	[ST_EXTENSION_REQUESTED] = { "extension_requested", "延期待审" },
	[ST_SUSPENDED] = { "suspended", "挂起" },
	[ST_AWAITING_CALLBACK] = { "awaiting_callback", "待回访" },
	[ST_COMPLETED] = { "completed", "已办结" },
	[ST_TRANSFERRED] = { "transferred", "已转出" },
	[ST_MERGED] = { "merged", "已并单" },
	[ST_ARCHIVED] = { "archived", "已归档" },
};

static const struct {
	const char *code, *label;
} actions[ACT_COUNT] = {
	[ACT_REGISTER] = { "register", "受理" },
	[ACT_ANSWER] = { "answer", "直接办结" },
	[ACT_NOT_ACCEPT] = { "not_accept", "不予受理" },
	[ACT_TRANSFER_OUT] = { "transfer_out", "转出" },
	[ACT_DISPATCH] = { "dispatch", "派单" },
	[ACT_SIGN] = { "sign", "签收" },
	[ACT_RETURN] = { "return", "退单" },
	[ACT_APPROVE_RETURN] = { "approve_return", "同意退单并改派" },
	[ACT_REJECT_RETURN] = { "reject_return", "驳回退单" },
	[ACT_SUB_DISPATCH] = { "sub_dispatch", "二级派单" },
	[ACT_REQUEST_EXTENSION] = { "request_extension", "延期申请" },
	[ACT_APPROVE_EXTENSION] = { "approve_extension", "同意延期" },
	[ACT_REJECT_EXTENSION] = { "reject_extension", "驳回延期" },
	[ACT_SUSPEND] = { "suspend", "挂起" },
	[ACT_RESUME] = { "resume", "恢复办理" },
	[ACT_REPLY] = { "reply", "回复" },
	[ACT_CALLBACK] = { "callback", "回访" },
	[ACT_REOPEN] = { "reopen", "重办" },
	[ACT_MERGE] = { "merge", "并单" },
	[ACT_PRESS] = { "press", "督办" },
	[ACT_ARCHIVE] = { "archive", "归档" },
	[ACT_CHASE] = { "chase", "催办" },
};

const char *status_code(enum order_status s)
{
	return s >= 0 && s < ST_COUNT ? statuses[s].code : "";
}

const char *status_label(enum order_status s)
{
	return s >= 0 && s < ST_COUNT ? statuses[s].label : "";
}

enum order_status status_parse(const char *code)
{
	for (int i = 0; code && i < ST_COUNT; i++)
		if (!strcmp(code, statuses[i].code))
			return (enum order_status)i;
	return ST_NONE;
}

const char *action_code(enum order_action a)
{
	return a < ACT_COUNT ? actions[a].code : "";
}

const char *action_label(enum order_action a)
{
	return a < ACT_COUNT ? actions[a].label : "";
}

int action_parse(const char *code)
{
	for (int i = 0; code && i < ACT_COUNT; i++)
		if (!strcmp(code, actions[i].code))
			return i;
	return -1;
}
