/* The lifecycle table against docs/lifecycle.md, "The table", row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "orders/lifecycle.h"

/* Every row of docs/lifecycle.md, "The table", as (from, action, role, to). */
static const struct {
	enum order_status from;
	enum order_action action;
	enum role role;
	enum order_status to;
} rows[] = {
	{ ST_PENDING, ACT_ANSWER, ROLE_AGENT, ST_COMPLETED },
	{ ST_PENDING, ACT_NOT_ACCEPT, ROLE_AGENT, ST_COMPLETED },
	{ ST_PENDING, ACT_TRANSFER_OUT, ROLE_AGENT, ST_TRANSFERRED },
	{ ST_PENDING, ACT_DISPATCH, ROLE_AGENT, ST_DISPATCHED },
	{ ST_PENDING, ACT_DISPATCH, ROLE_REVIEWER, ST_DISPATCHED },
	{ ST_DISPATCHED, ACT_SIGN, ROLE_DEPT_HANDLER, ST_IN_PROGRESS },
	{ ST_DISPATCHED, ACT_RETURN, ROLE_DEPT_HANDLER, ST_RETURN_REQUESTED },
	{ ST_IN_PROGRESS, ACT_RETURN, ROLE_DEPT_HANDLER, ST_RETURN_REQUESTED },
	{ ST_RETURN_REQUESTED, ACT_APPROVE_RETURN, ROLE_REVIEWER, ST_DISPATCHED },
	{ ST_RETURN_REQUESTED, ACT_REJECT_RETURN, ROLE_REVIEWER, ST_DISPATCHED },
	{ ST_IN_PROGRESS, ACT_SUB_DISPATCH, ROLE_DEPT_ADMIN, ST_DISPATCHED },
	{ ST_IN_PROGRESS, ACT_REQUEST_EXTENSION, ROLE_DEPT_HANDLER, ST_EXTENSION_REQUESTED },
	{ ST_EXTENSION_REQUESTED, ACT_APPROVE_EXTENSION, ROLE_SUPERVISOR, ST_IN_PROGRESS },
	{ ST_EXTENSION_REQUESTED, ACT_REJECT_EXTENSION, ROLE_SUPERVISOR, ST_IN_PROGRESS },
	{ ST_IN_PROGRESS, ACT_REPLY, ROLE_DEPT_HANDLER, ST_AWAITING_CALLBACK },
	{ ST_AWAITING_CALLBACK, ACT_CALLBACK, ROLE_AGENT, ST_COMPLETED },
	{ ST_AWAITING_CALLBACK, ACT_REOPEN, ROLE_AGENT, ST_DISPATCHED },
	{ ST_AWAITING_CALLBACK, ACT_REOPEN, ROLE_REVIEWER, ST_DISPATCHED },
	{ ST_IN_PROGRESS, ACT_MERGE, ROLE_AGENT, ST_MERGED },
	{ ST_PENDING, ACT_MERGE, ROLE_REVIEWER, ST_MERGED },
	{ ST_IN_PROGRESS, ACT_PRESS, ROLE_SUPERVISOR, ST_NONE },
	{ ST_COMPLETED, ACT_ARCHIVE, ROLE_SYSTEM, ST_ARCHIVED },
	{ ST_IN_PROGRESS, ACT_SUSPEND, ROLE_DEPT_HANDLER, ST_SUSPENDED },
	{ ST_SUSPENDED, ACT_RESUME, ROLE_DEPT_HANDLER, ST_IN_PROGRESS },
};

static void every_domain_row_is_allowed(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct transition *t = lifecycle_find(rows[i].action, rows[i].from, rows[i].role);
		if (!t)
			fail_msg("%s by %s in %s is refused", action_code(rows[i].action),
				 role_code(rows[i].role), status_code(rows[i].from));
		assert_int_equal(t->to, rows[i].to);
	}
}

static void closed_orders_take_no_work(void **state)
{
	static const enum order_status closed[] = { ST_TRANSFERRED, ST_MERGED, ST_ARCHIVED };
	enum order_action acts[ACT_COUNT];

	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
		for (int r = 0; r < ROLE_COUNT; r++)
			for (size_t k = 0; k < lifecycle_allowed(closed[i], (enum role)r, acts); k++)
				if (acts[k] != ACT_ARCHIVE)
					fail_msg("%s may %s a %s order", role_code((enum role)r),
						 action_code(acts[k]), status_code(closed[i]));
	assert_false(lifecycle_is_open(ST_COMPLETED));
	assert_true(lifecycle_is_open(ST_AWAITING_CALLBACK));
}

static void roles_keep_to_their_side(void **state)
{
	/* Departments never dispatch or call back; agents never sign or reply. */
	assert_null(lifecycle_find(ACT_DISPATCH, ST_PENDING, ROLE_DEPT_HANDLER));
	assert_null(lifecycle_find(ACT_CALLBACK, ST_AWAITING_CALLBACK, ROLE_DEPT_ADMIN));
	assert_null(lifecycle_find(ACT_SIGN, ST_DISPATCHED, ROLE_AGENT));
	assert_null(lifecycle_find(ACT_REPLY, ST_IN_PROGRESS, ROLE_AGENT));
	assert_null(lifecycle_find(ACT_APPROVE_EXTENSION, ST_EXTENSION_REQUESTED, ROLE_DEPT_ADMIN));
	assert_null(lifecycle_find(ACT_SUB_DISPATCH, ST_IN_PROGRESS, ROLE_DEPT_HANDLER));
	/* A state mismatch is not the same as a role mismatch (409 vs 403). */
	assert_false(lifecycle_action_possible(ACT_SIGN, ST_IN_PROGRESS));
	assert_true(lifecycle_action_possible(ACT_SIGN, ST_DISPATCHED));
}

static void codes_round_trip(void **state)
{
	for (int s = 0; s < ST_COUNT; s++) {
		assert_int_equal(status_parse(status_code((enum order_status)s)), s);
		assert_true(strlen(status_label((enum order_status)s)) > 0);
	}
	for (int a = 0; a < ACT_COUNT; a++)
		assert_int_equal(action_parse(action_code((enum order_action)a)), a);
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(role_parse(role_code((enum role)r)), r);
	assert_int_equal(status_parse("nonsense"), ST_NONE);
	assert_int_equal(action_parse("drop_table"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_domain_row_is_allowed),
		cmocka_unit_test(closed_orders_take_no_work),
		cmocka_unit_test(roles_keep_to_their_side),
		cmocka_unit_test(codes_round_trip),
	};
	return cmocka_run_group_tests_name("orders-lifecycle", tests, NULL, NULL);
}
