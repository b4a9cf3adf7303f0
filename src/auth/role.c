#include "auth/role.h"

#include <string.h>

static const struct {
	const char *code, *label;
} roles[ROLE_COUNT] = {
	[ROLE_AGENT] = { "agent", "话务员" },
	[ROLE_REVIEWER] = { "reviewer", "审单员" },
	[ROLE_DEPT_HANDLER] = { "dept_handler", "承办人" },
	[ROLE_DEPT_ADMIN] = { "dept_admin", "单位管理员" },
	[ROLE_SUPERVISOR] = { "supervisor", "督办" },
	[ROLE_ADMIN] = { "admin", "系统管理员" },
	[ROLE_SYSTEM] = { "system", "系统" },
};

const char *role_code(enum role r)
{
	return r < ROLE_COUNT ? roles[r].code : "";
}

const char *role_label(enum role r)
{
	return r < ROLE_COUNT ? roles[r].label : "";
}

int role_parse(const char *code)
{
	for (int i = 0; code && i < ROLE_COUNT; i++)
		if (!strcmp(code, roles[i].code))
			return i;
	return -1;
}
