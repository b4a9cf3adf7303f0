/*
 * role: who a user is to the system (话务员, 承办人, 督办, …), as an enum, a
 * bit set of them for access lists, and the wire code and Chinese label of
 * each. It depends on nothing but the standard library, so that the
 * lifecycle table (orders), the principal (auth) and the route tables can
 * all name roles without depending on each other.
 */
#ifndef HOTLINE_AUTH_ROLE_H
#define HOTLINE_AUTH_ROLE_H

enum role {
	ROLE_AGENT,			/* 话务员 */
	ROLE_REVIEWER,			/* 审单员 */
	ROLE_DEPT_HANDLER,		/* 承办人 */
	ROLE_DEPT_ADMIN,		/* 单位管理员 */
	ROLE_SUPERVISOR,		/* 督办 */
	ROLE_ADMIN,			/* 系统管理员 */
	ROLE_SYSTEM,			/* the sweeper, the 110 bridge */
	ROLE_COUNT
};

/* A set of roles is an unsigned with bit ROLE_BIT(r) for each role r. */
#define ROLE_BIT(r) (1u << (r))
#define ROLES_DEPARTMENT (ROLE_BIT(ROLE_DEPT_HANDLER) | ROLE_BIT(ROLE_DEPT_ADMIN))
#define ROLES_CENTRE (ROLE_BIT(ROLE_AGENT) | ROLE_BIT(ROLE_REVIEWER))
#define ROLES_ANY ((1u << ROLE_COUNT) - 1)

/* The wire code of `r` ("dept_handler"), static; "" for a value out of range. */
const char *role_code(enum role r);
/* The Chinese label of `r` ("承办人"), static; "" for a value out of range. */
const char *role_label(enum role r);
/* The role whose wire code is `code`, or -1 if none is (or `code` is NULL). */
int role_parse(const char *code);

#endif
