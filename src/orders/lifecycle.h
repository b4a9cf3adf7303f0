/*
 * lifecycle: the work order's states and actions, and the one table that
 * says which role (auth/role.h) may take which action in which state
 * (docs/lifecycle.md).
 * The API and the web pages both consult lifecycle_find(); nothing else
 * decides whether an action is allowed.
 */
#ifndef HOTLINE_ORDERS_LIFECYCLE_H
#define HOTLINE_ORDERS_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/role.h"

enum order_status {
	ST_NONE = -1,			/* before registration */
	ST_PENDING,			/* 待派单 */
	ST_DISPATCHED,			/* 待签收 */
	ST_IN_PROGRESS,			/* 办理中 */
	ST_RETURN_REQUESTED,		/* 退单待审 */
	ST_EXTENSION_REQUESTED,		/* 延期待审 */
	ST_SUSPENDED,			/* 挂起 (waiting for the caller) */
	ST_AWAITING_CALLBACK,		/* 待回访 */
	ST_COMPLETED,			/* 已办结 */
	ST_TRANSFERRED,			/* 已转出 */
	ST_MERGED,			/* 已并单 */
	ST_ARCHIVED,			/* 已归档 */
	ST_COUNT
};

enum order_action {
	ACT_REGISTER,			/* 受理 */
	ACT_ANSWER,			/* 直接办结 / 即答 */
	ACT_NOT_ACCEPT,			/* 不予受理 */
	ACT_TRANSFER_OUT,		/* 转出 110/119/120/122 */
	ACT_DISPATCH,			/* 派单 */
	ACT_SIGN,			/* 签收 */
	ACT_RETURN,			/* 退单 */
	ACT_APPROVE_RETURN,		/* 同意退单并改派 */
	ACT_REJECT_RETURN,		/* 驳回退单 */
	ACT_SUB_DISPATCH,		/* 二级派单 */
	ACT_REQUEST_EXTENSION,		/* 延期申请 */
	ACT_APPROVE_EXTENSION,		/* 同意延期 */
	ACT_REJECT_EXTENSION,		/* 驳回延期 */
	ACT_SUSPEND,			/* 挂起 */
	ACT_RESUME,			/* 恢复 */
	ACT_REPLY,			/* 回复 */
	ACT_CALLBACK,			/* 回访 */
	ACT_REOPEN,			/* 重办 */
	ACT_MERGE,			/* 并单 */
	ACT_PRESS,			/* 督办 / 催办 */
	ACT_ARCHIVE,			/* 归档 */
	ACT_CHASE,			/* 催办 by the caller: a repeated call (重复来电) about an open order */
	ACT_COUNT
};

/* A state to state move; `to` == ST_NONE means the state does not change. */
struct transition {
	enum order_action action;
	unsigned from;			/* bit set of enum order_status */
	enum order_status to;
	unsigned roles;			/* bit set of enum role */
};

/*
 * The transition for `action` from `status` by `role`, or NULL when the
 * role may not take the action in that state.
 */
const struct transition *lifecycle_find(enum order_action action, enum order_status status,
					enum role role);
/* True if some role may take `action` in `status` (409 vs 403). */
bool lifecycle_action_possible(enum order_action action, enum order_status status);
/*
 * Fills `out` with the actions `role` may take in `status`, in table order.
 * Returns their number (at most ACT_COUNT).
 */
size_t lifecycle_allowed(enum order_status status, enum role role, enum order_action out[ACT_COUNT]);
/* True for the states in which the order's deadline clock runs (the same
 * set as CLOCK_RUNS_SQL in vocab.h). */
bool lifecycle_clock_runs(enum order_status status);
/* True for the states in which the order is still being worked on. */
bool lifecycle_is_open(enum order_status status);

/* Wire codes ("in_progress", "sign") and Chinese labels; roles have theirs in auth/role.h. */
const char *status_code(enum order_status s);
const char *status_label(enum order_status s);
enum order_status status_parse(const char *code);	/* ST_NONE if unknown */
const char *action_code(enum order_action a);
const char *action_label(enum order_action a);
int action_parse(const char *code);			/* -1 if unknown */

#endif
