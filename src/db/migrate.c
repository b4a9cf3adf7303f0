#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

/* pg_advisory_lock key: "hotline-migrate" folded into 63 bits. */
#define MIGRATE_LOCK_KEY "727364050402"

struct migration_list {
	struct migration *items;
	size_t count;
	bool owned;		/* items and their strings were loaded from a directory */
};

static void checksum_hex(const char *sql, char out[2 * crypto_hash_sha256_BYTES + 1])
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(hash, (const unsigned char *)sql, strlen(sql));
	sodium_bin2hex(out, 2 * crypto_hash_sha256_BYTES + 1, hash, sizeof(hash));
}

static int by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static void list_release(struct migration_list *l)
{
	if (l->owned) {
		for (size_t i = 0; i < l->count; i++) {
			free((char *)l->items[i].name);
			free((char *)l->items[i].sql);
		}
		free(l->items);
	}
	memset(l, 0, sizeof(*l));
}

/* Loads NNNN_name.sql files from `dir`, sorted by version. A file that
 * cannot be read fails the whole list (naming it): skipping it would apply
 * the later migrations without it. */
static bool list_load_dir(struct migration_list *l, const char *dir, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	l->owned = true;
	if (!d)
		return err_set(e, 400, ERR_NO_MIGRATIONS, "cannot open migrations directory \"%s\": %s",
			       dir, strerror(errno));
	while ((ent = readdir(d))) {
		const char *name = ent->d_name;
		size_t len = strlen(name);
		struct buf text = BUF_INIT;
		char *path;

		if (len < 10 || strspn(name, "0123456789") != 4 || name[4] != '_'
		    || strcmp(name + len - 4, ".sql"))
			continue;
		path = xasprintf("%s/%s", dir, name);
		bool ok = buf_read_file(&text, path, e);
		free(path);
		if (!ok) {
			buf_release(&text);
			closedir(d);
			return false;
		}
		if (l->count == cap) {
			cap = cap ? cap * 2 : 16;
			l->items = xrealloc(l->items, cap * sizeof(*l->items));
		}
		l->items[l->count++] = (struct migration){
			.version = atoi(name),
			.name = xstrndup(name + 5, len - 9),
			.sql = buf_detach(&text, NULL),
		};
	}
	closedir(d);
	qsort(l->items, l->count, sizeof(*l->items), by_version);
	return true;
}

static void list_embedded(struct migration_list *l)
{
	l->items = (struct migration *)embedded_migrations;
	l->count = embedded_migrations_count;
	l->owned = false;
}

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static const char applied_sql[] =
	"SELECT version, name, checksum FROM schema_migrations ORDER BY version";

/*
 * Compares what the database has applied with `l`, marking applied[i] for
 * each migration of `l` already in the database. Fails on an edited
 * migration or one the code does not know.
 */
static bool compare(struct db *db, const struct migration_list *l, bool *applied,
		    struct err *e)
{
	struct db_res *r = db_exec(db, applied_sql, 0, NULL, e);
	char sum[2 * crypto_hash_sha256_BYTES + 1];
	bool ok = false;

	if (!r)
		return false;
	for (size_t j = 0; j < l->count; j++)
		applied[j] = false;
	for (int i = 0; i < db_res_rows(r); i++) {
		int version = (int)db_res_ll(r, i, "version");
		const struct migration *m = NULL;

		for (size_t j = 0; j < l->count; j++) {
			if (l->items[j].version == version) {
				m = &l->items[j];
				applied[j] = true;
			}
		}
		if (!m) {
			err_set(e, 503, ERR_SCHEMA_AHEAD,
				"database has migration %04d_%s, which this build of hotline does not know: upgrade hotline",
				version, db_res_str(r, i, "name"));
			goto out;
		}
		checksum_hex(m->sql, sum);
		if (strcmp(sum, db_res_str(r, i, "checksum"))) {
			err_set(e, 409, ERR_MIGRATION_EDITED,
				"migration %04d_%s was edited after it was applied: restore its original text and add a new migration instead",
				m->version, m->name);
			goto out;
		}
	}
	ok = true;
out:
	db_res_free(r);
	return ok;
}

static bool apply_one(struct db *db, const struct migration *m, struct err *e)
{
	char sum[2 * crypto_hash_sha256_BYTES + 1];
	char version[16];

	checksum_hex(m->sql, sum);
	snprintf(version, sizeof(version), "%d", m->version);
	if (!db_begin(db, e))
		return false;
	if (!db_run_script(db, m->sql, e)) {
		struct err inner = *e;
		db_rollback(db);
		return err_set(e, inner.status, ERR_MIGRATION_FAILED, "migration %04d_%s failed: %s",
			       m->version, m->name, inner.message);
	}
	if (!DB_RUN(db, e, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
		    version, m->name, sum)
	    || !db_commit(db, e)) {
		db_rollback(db);
		return false;
	}
	return true;
}

bool migrate_run(struct db *db, const char *dir,
		 void (*progress)(const struct migration *m, void *arg), void *arg,
		 struct err *e)
{
	struct migration_list l;
	bool *applied = NULL;
	bool ok = false;

	if (dir) {
		if (!list_load_dir(&l, dir, e)) {
			list_release(&l);
			return false;
		}
	} else {
		list_embedded(&l);
	}
	if (!db_run(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, e))
		goto out_nolock;
	applied = xcalloc(l.count + 1, sizeof(*applied));
	if (!db_run(db, create_table_sql, 0, NULL, e) || !compare(db, &l, applied, e))
		goto out;
	/* Every migration not yet applied, in order, even one older than the
	 * newest applied (two branches may have added migrations). */
	for (size_t i = 0; i < l.count; i++) {
		if (applied[i])
			continue;
		if (!apply_one(db, &l.items[i], e))
			goto out;
		if (progress)
			progress(&l.items[i], arg);
	}
	ok = true;
out:
	db_run(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL, NULL);
out_nolock:
	free(applied);
	list_release(&l);
	return ok;
}

bool migrate_check(struct db *db, struct err *e)
{
	struct migration_list l;
	struct db_res *r;
	bool exists, ok = true;
	bool *applied;

	list_embedded(&l);
	r = db_exec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL AS present", 0, NULL, e);
	if (!r)
		return false;
	exists = db_res_bool(r, 0, "present");
	db_res_free(r);
	if (!exists) {
		if (l.count == 0)
			return true;
		return err_set(e, 503, ERR_SCHEMA_BEHIND,
			       "database has no schema yet: run `hotline migrate`");
	}
	applied = xcalloc(l.count + 1, sizeof(*applied));
	if (!compare(db, &l, applied, e)) {
		free(applied);
		return false;
	}
	for (size_t i = 0; ok && i < l.count; i++)
		if (!applied[i])
			ok = err_set(e, 503, ERR_SCHEMA_BEHIND,
				     "database is behind: migration %04d_%s is not applied; run `hotline migrate`",
				     l.items[i].version, l.items[i].name);
	free(applied);
	return ok;
}
