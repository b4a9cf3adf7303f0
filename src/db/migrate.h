/*
 * migrate: the schema, applied in order.
 *
 * Migrations are migrations/NNNN_name.sql, compiled into the binary (see
 * embed.py). Each is applied in its own transaction and recorded
 * in schema_migrations with the SHA-256 of its text. A session-level
 * advisory lock makes concurrent runs safe: the second waits, then finds
 * nothing left to do.
 */
#ifndef HOTLINE_DB_MIGRATE_H
#define HOTLINE_DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "db/db.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration embedded_migrations[];
extern const size_t embedded_migrations_count;

/*
 * Applies the pending migrations: the embedded ones, or those in `dir` when
 * it is not NULL (for testing a changed file). Refuses, before applying
 * anything, when an applied migration's text has changed (naming it) or the
 * database has migrations this code does not know. `progress` (may be NULL)
 * is called with each applied migration. Returns false with `e` filled.
 */
bool migrate_run(struct db *db, const char *dir,
		 void (*progress)(const struct migration *m, void *arg), void *arg,
		 struct err *e);

/*
 * Checks that the database is at exactly the code's version. Returns false
 * with `e` (status 503) saying whether it is behind (run `hotline migrate`)
 * or ahead (upgrade hotline).
 */
bool migrate_check(struct db *db, struct err *e);

#endif
