#include "db/db.h"

#include <assert.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/log.h"
#include "db/copy.h"

/* One statement prepared on a connection (see db.h for the cache). */
struct db_stmt {
	char *sql;			/* a copy of the text: the key */
	const char *seen_at;		/* where the caller's text was last time (a shortcut) */
	size_t len;
	uint64_t hash;
	uint64_t used;			/* db->tick at the last use: the oldest goes first */
	bool doomed;			/* failed as prepared; to DEALLOCATE when possible */
	char name[24];			/* "s<n>" */
};

struct db {
	PGconn *conn;
	struct db_stmt stmts[DB_PREPARED_MAX];
	int nstmts;
	int ndoomed;			/* how many of them are doomed */
	uint64_t tick;			/* counts uses of the cache */
	unsigned long long named;	/* statements named so far: the next is "s<named + 1>" */
};

/*
 * Column numbers already found by name, in a direct-mapped table indexed by
 * the name's address: an API answer reads dozens of columns by name from
 * every row, and PQfnumber compares the name with each column's in turn.
 * A hit is verified against the column's own name, so an address reused
 * for another name only costs a lookup.
 */
#define DB_RES_COLS 64

struct db_res {
	PGresult *res;
	struct {
		const char *name;
		int col;
	} cols[DB_RES_COLS];
};

static char *configured_conninfo;
static atomic_long open_connections;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

void db_configure(const char *conninfo)
{
	free(configured_conninfo);
	configured_conninfo = xstrdup(conninfo ? conninfo : "");
}

const char *db_conninfo(void)
{
	return configured_conninfo ? configured_conninfo : "";
}

char *db_default_conninfo(const char *project_root)
{
	static const char *const libpq_vars[] = {
		"PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE", "PGPORT",
	};

	for (size_t i = 0; i < ARRAY_SIZE(libpq_vars); i++)
		if (getenv(libpq_vars[i]))
			return xstrdup("");
	return xasprintf("host=%s/var/pg user=hotline dbname=hotline", project_root);
}

/* Silences libpq's NOTICE chatter (e.g. "relation already exists, skipping"). */
static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgres: %s", message);
}

/* Wraps a new connection; NULL with `e` (503) if it failed, `conn` freed. */
static struct db *db_wrap(PGconn *conn, struct err *e)
{
	struct db *db;

	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = PQerrorMessage(conn);
		size_t n = strcspn(msg, "\n");
		log_warn("database connection failed: %.*s", (int)n, msg);
		PQfinish(conn);
		return err_set(e, 503, ERR_UNAVAILABLE, "the database is unavailable"), NULL;
	}
	PQsetNoticeProcessor(conn, notice_ignore, NULL);
	db = xcalloc(1, sizeof(*db));
	db->conn = conn;
	atomic_fetch_add(&open_connections, 1);
	return db;
}

struct db *db_connect(const char *conninfo, struct err *e)
{
	return db_wrap(PQconnectdb(conninfo ? conninfo : ""), e);
}

struct db *db_connect_like(struct db *db, struct err *e)
{
	PQconninfoOption *opts = PQconninfo(db->conn);
	const char **keys, **values;
	size_t n = 0;
	PGconn *conn;

	if (!opts)
		return err_set(e, 500, ERR_INTERNAL, "out of memory"), NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		n++;
	keys = xcalloc(n + 1, sizeof(*keys));
	values = xcalloc(n + 1, sizeof(*values));
	n = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val && *o->val) {
			keys[n] = o->keyword;
			values[n++] = o->val;
		}
	}
	conn = PQconnectdbParams(keys, values, 0);
	free(keys);
	free(values);
	PQconninfoFree(opts);
	return db_wrap(conn, e);
}

/* Forgets every prepared statement (the server has lost or will lose them). */
static void stmts_clear(struct db *db)
{
	for (int i = 0; i < db->nstmts; i++)
		free(db->stmts[i].sql);
	db->nstmts = db->ndoomed = 0;
}

/* PQreset, which ends the session and with it its prepared statements. */
static bool conn_reset(struct db *db)
{
	stmts_clear(db);
	PQreset(db->conn);
	return PQstatus(db->conn) == CONNECTION_OK;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	stmts_clear(db);
	PQfinish(db->conn);
	atomic_fetch_sub(&open_connections, 1);
	free(db);
}

long db_open_connections(void)
{
	return atomic_load(&open_connections);
}

static void thread_db_destroy(void *p)
{
	db_close(p);
}

static void thread_key_create(void)
{
	pthread_key_create(&thread_key, thread_db_destroy);
}

struct db *db_thread(struct err *e)
{
	struct db *db;

	pthread_once(&thread_key_once, thread_key_create);
	db = pthread_getspecific(thread_key);
	if (db && PQstatus(db->conn) == CONNECTION_OK)
		return db;
	if (db) {
		if (conn_reset(db)) {
			log_info("database connection re-established");
			return db;
		}
		return err_set(e, 503, ERR_UNAVAILABLE, "the database is unavailable"), NULL;
	}
	db = db_connect(db_conninfo(), e);
	if (db)
		pthread_setspecific(thread_key, db);
	return db;
}

void db_thread_close(void)
{
	struct db *db;

	pthread_once(&thread_key_once, thread_key_create);
	db = pthread_getspecific(thread_key);
	pthread_setspecific(thread_key, NULL);
	db_close(db);
}

static bool is_plain_select(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	return !strncmp(sql, "SELECT", 6) || !strncmp(sql, "BEGIN", 5);
}

/* Maps a failed result to `e`; logs what the client must not see. */
static void fail_from_result(struct db *db, const PGresult *res, const char *sql, struct err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	if (PQstatus(db->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2)
	    || !strncmp(state, "57P", 3)) {
		log_warn("database unavailable: %.*s", (int)strcspn(msg, "\n"), msg);
		err_set(e, 503, ERR_UNAVAILABLE, "the database is unavailable");
	} else if (!strcmp(state, "23505")) {
		err_set(e, 409, ERR_UNIQUE_VIOLATION, "a record with the same key already exists (%s)",
			constraint ? constraint : "unique");
		if (e && constraint)
			snprintf(e->field, sizeof(e->field), "%s", constraint);
	} else if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		err_set(e, 409, ERR_CONFLICT, "a concurrent change conflicted with this one; try again");
	} else if (!strncmp(state, "23", 2)) {
		err_set(e, 422, ERR_CONSTRAINT, "the data violates constraint \"%s\"",
			constraint ? constraint : state);
		if (e && constraint)
			snprintf(e->field, sizeof(e->field), "%s", constraint);
	} else if (!strcmp(state, "22021")) {
		err_set(e, 400, ERR_BAD_ENCODING, "the request contains text that is not valid UTF-8");
	} else if (!strcmp(state, "22P02") || !strcmp(state, "22007") || !strcmp(state, "22008")
		   || !strcmp(state, "22003")) {
		err_set(e, 422, ERR_INVALID_VALUE, "%.*s", (int)strcspn(msg, "\n"),
			strncmp(msg, "ERROR:  ", 8) ? msg : msg + 8);
	} else {
		log_error("sql failed (%s): %.*s; statement: %.200s", state,
			  (int)strcspn(msg, "\n"), msg, sql);
		err_set(e, 500, ERR_INTERNAL, "internal database error");
	}
}

/* ------------------------------------------------ prepared statements */

/* FNV-1a over the text; also measures it. */
static uint64_t sql_hash(const char *sql, size_t *len)
{
	uint64_t h = 14695981039346656037u;
	const char *p;

	for (p = sql; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	*len = (size_t)(p - sql);
	return h;
}

/* Removes entry `i` from the cache (no server round trip). */
static void stmt_remove(struct db *db, int i)
{
	assert(i >= 0 && i < db->nstmts);
	free(db->stmts[i].sql);
	db->ndoomed -= db->stmts[i].doomed;
	db->stmts[i] = db->stmts[--db->nstmts];
}

/*
 * DEALLOCATEs entry `i`, which the session has, and removes it. Only while
 * no transaction is in error (then DEALLOCATE would fail, and with it the
 * caller's transaction); the caller checks.
 */
static void stmt_deallocate(struct db *db, int i)
{
	char *sql = xasprintf("DEALLOCATE %s", db->stmts[i].name);
	PGresult *res = PQexec(db->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warn("db: %s failed: %.*s", sql, (int)strcspn(PQresultErrorMessage(res), "\n"),
			 PQresultErrorMessage(res));
	else
		log_debug("db: deallocated %s", db->stmts[i].name);
	PQclear(res);
	free(sql);
	stmt_remove(db, i);
}

/* Deallocates the doomed statements, then the least recently used until there is room. */
static void stmts_make_room(struct db *db)
{
	int oldest = 0;

	for (int i = db->nstmts - 1; i >= 0 && db->ndoomed; i--)
		if (db->stmts[i].doomed)
			stmt_deallocate(db, i);
	if (db->nstmts < DB_PREPARED_MAX)
		return;
	for (int i = 1; i < db->nstmts; i++)
		if (db->stmts[i].used < db->stmts[oldest].used)
			oldest = i;
	stmt_deallocate(db, oldest);
}

/*
 * The statement prepared for `sql`, preparing it if the connection has not.
 * NULL with *fail holding the failed result if the prepare failed.
 */
static struct db_stmt *stmt_get(struct db *db, const char *sql, int nparams, PGresult **fail)
{
	size_t len;
	uint64_t hash;
	struct db_stmt *s;
	PGresult *res;
	char name[24];

	*fail = NULL;
	db->tick++;
	/* Static text comes from the same address every time: compare, skip hashing. */
	for (int i = 0; i < db->nstmts; i++) {
		s = &db->stmts[i];
		if (s->seen_at == sql && !s->doomed && !strcmp(s->sql, sql)) {
			s->used = db->tick;
			return s;
		}
	}
	hash = sql_hash(sql, &len);
	for (int i = 0; i < db->nstmts; i++) {
		s = &db->stmts[i];
		if (s->hash == hash && s->len == len && !s->doomed && !memcmp(s->sql, sql, len)) {
			s->used = db->tick;
			s->seen_at = sql;
			return s;
		}
	}
	if (db->nstmts == DB_PREPARED_MAX || db->ndoomed)
		stmts_make_room(db);
	snprintf(name, sizeof(name), "s%llu", ++db->named);
	res = PQprepare(db->conn, name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*fail = res;
		return NULL;
	}
	PQclear(res);
	s = &db->stmts[db->nstmts++];
	*s = (struct db_stmt){ .sql = xstrdup(sql), .seen_at = sql, .len = len, .hash = hash,
			       .used = db->tick };
	snprintf(s->name, sizeof(s->name), "%s", name);
	log_debug("db: prepared %s (%d on this connection): %.60s", name, db->nstmts, sql);
	return s;
}

/*
 * True when a prepared statement failed because of the cache itself: its
 * result type changed under it (0A000, "cached plan must not change result
 * type") or the session does not have it (26000). The statement is dropped
 * from the cache then: DEALLOCATEd now if possible, or at the next prepare.
 */
static bool stmt_went_stale(struct db *db, struct db_stmt *s, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int i = (int)(s - db->stmts);

	if (!state || PQstatus(db->conn) != CONNECTION_OK
	    || (strcmp(state, "0A000") && strcmp(state, "26000")))
		return false;
	log_warn("db: prepared statement %s failed (%s), preparing it again: %.*s", s->name, state,
		 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
	if (!strcmp(state, "26000")) {
		stmt_remove(db, i);
	} else if (PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		s->doomed = true;
		db->ndoomed++;
	} else {
		stmt_deallocate(db, i);
	}
	return true;
}

/*
 * Runs `sql` once: as an unnamed statement, or through its prepared
 * statement when `prepare`. *stale tells that a prepared statement failed
 * because of the cache (see stmt_went_stale) and is gone from it.
 */
static PGresult *run_once(struct db *db, const char *sql, int nparams, const char *const *params,
			  bool prepare, bool *stale)
{
	struct db_stmt *s;
	PGresult *res;

	*stale = false;
	/* In a failed transaction every statement fails (25P02): no use preparing. */
	if (!prepare || PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		return PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (!(s = stmt_get(db, sql, nparams, &res)))
		return res;
	res = PQexecPrepared(db->conn, s->name, nparams, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		*stale = stmt_went_stale(db, s, res);
	return res;
}

static struct db_res *exec(struct db *db, const char *sql, int nparams,
			   const char *const *params, bool prepare, struct err *e)
{
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res;
	ExecStatusType st;
	struct db_res *r;

	for (int attempt = 0;; attempt++) {
		bool stale;

		res = run_once(db, sql, nparams, params, prepare, &stale);
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN)
			break;
		/* Nothing ran: the statement failed before it started. */
		if (attempt == 0 && idle && stale
		    && PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
			PQclear(res);
			continue;
		}
		if (attempt == 0 && idle && PQstatus(db->conn) == CONNECTION_BAD
		    && is_plain_select(sql)) {
			PQclear(res);
			if (conn_reset(db))
				continue;
			return err_set(e, 503, ERR_UNAVAILABLE, "the database is unavailable"), NULL;
		}
		fail_from_result(db, res, sql, e);
		PQclear(res);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->res = res;
	return r;
}

struct db_res *db_exec(struct db *db, const char *sql, int nparams,
		       const char *const *params, struct err *e)
{
	return exec(db, sql, nparams, params, false, e);
}

struct db_res *db_exec_prepared(struct db *db, const char *sql, int nparams,
				const char *const *params, struct err *e)
{
	return exec(db, sql, nparams, params, true, e);
}

bool db_run(struct db *db, const char *sql, int nparams, const char *const *params,
	    struct err *e)
{
	struct db_res *r = db_exec(db, sql, nparams, params, e);

	db_res_free(r);
	return r != NULL;
}

bool db_run_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
		     struct err *e)
{
	struct db_res *r = db_exec_prepared(db, sql, nparams, params, e);

	db_res_free(r);
	return r != NULL;
}

bool db_run_script(struct db *db, const char *sql, struct err *e)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (!ok) {
		const char *msg = PQresultErrorMessage(res);
		if (PQstatus(db->conn) != CONNECTION_OK) {
			err_set(e, 503, ERR_UNAVAILABLE, "the database is unavailable");
		} else {
			const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
			err_set(e, 500, ERR_SCRIPT_FAILED, "%.*s%s%s", (int)strcspn(msg, "\n"), msg,
				pos ? " at character " : "", pos ? pos : "");
		}
	}
	PQclear(res);
	return ok;
}

bool db_begin(struct db *db, struct err *e)
{
	return db_run(db, "BEGIN", 0, NULL, e);
}

bool db_commit(struct db *db, struct err *e)
{
	return db_run(db, "COMMIT", 0, NULL, e);
}

void db_rollback(struct db *db)
{
	if (db && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

bool db_in_transaction(struct db *db)
{
	return PQtransactionStatus(db->conn) != PQTRANS_IDLE;
}

int db_res_rows(const struct db_res *r)
{
	return PQntuples(r->res);
}

long db_res_affected(const struct db_res *r)
{
	return atol(PQcmdTuples(r->res));
}

/* PQfnumber, remembered (see struct db_res). */
static int col_of(const struct db_res *r, const char *name)
{
	struct db_res *w = (struct db_res *)r;	/* the memo only; the result is unchanged */
	size_t slot = (size_t)(((uintptr_t)name * 0x9E3779B97F4A7C15u) >> 32) % DB_RES_COLS;
	int col;

	if (name && w->cols[slot].name == name && !strcmp(PQfname(r->res, w->cols[slot].col), name))
		return w->cols[slot].col;
	col = PQfnumber(r->res, name);
	if (col >= 0) {
		w->cols[slot].name = name;
		w->cols[slot].col = col;
	}
	return col;
}

int db_res_col(const struct db_res *r, const char *name)
{
	return col_of(r, name);
}

const char *db_res_get(const struct db_res *r, int row, int col)
{
	if (col < 0 || row < 0 || row >= PQntuples(r->res))
		return "";
	return PQgetvalue(r->res, row, col);
}

bool db_res_isnull(const struct db_res *r, int row, int col)
{
	if (col < 0 || row < 0 || row >= PQntuples(r->res))
		return true;
	return PQgetisnull(r->res, row, col);
}

/* col_of() for a name the caller knows the result has: an unknown one is
 * a misspelling in the code, reported where it was asked. */
static int known_col(const struct db_res *r, const char *name, const char *file, int line)
{
	int col = col_of(r, name);

#ifndef NDEBUG
	if (col < 0) {
		fprintf(stderr, "%s:%d: assertion failed: the result has no column \"%s\"\n",
			file, line, name ? name : "(null)");
		abort();
	}
#endif
	return col;
}

const char *db_res_str_at(const struct db_res *r, int row, const char *name,
			  const char *file, int line)
{
	return db_res_get(r, row, known_col(r, name, file, line));
}

long long db_res_ll_at(const struct db_res *r, int row, const char *name,
		       const char *file, int line)
{
	return atoll(db_res_str_at(r, row, name, file, line));
}

bool db_res_bool_at(const struct db_res *r, int row, const char *name,
		    const char *file, int line)
{
	return db_res_str_at(r, row, name, file, line)[0] == 't';
}

void db_res_free(struct db_res *r)
{
	if (!r)
		return;
	PQclear(r->res);
	free(r);
}

json_object *db_res_json_text_at(const struct db_res *r, int row, const char *name,
				 const char *file, int line)
{
	int col = known_col(r, name, file, line);

	if (db_res_isnull(r, row, col))
		return NULL;
	return json_object_new_string(PQgetvalue(r->res, row, col));
}

json_object *db_res_json_bool_at(const struct db_res *r, int row, const char *name,
				 const char *file, int line)
{
	int col = known_col(r, name, file, line);

	if (db_res_isnull(r, row, col))
		return NULL;
	return json_object_new_boolean(PQgetvalue(r->res, row, col)[0] == 't');
}

json_object *db_res_json_int_at(const struct db_res *r, int row, const char *name,
				 const char *file, int line)
{
	int col = known_col(r, name, file, line);

	if (db_res_isnull(r, row, col))
		return NULL;
	return json_object_new_int64(atoll(PQgetvalue(r->res, row, col)));
}

bool db_copy_begin(struct db *db, const char *copy_sql, struct err *e)
{
	struct db_res *r = db_exec(db, copy_sql, 0, NULL, e);

	if (!r)
		return false;
	bool ok = PQresultStatus(r->res) == PGRES_COPY_IN;
	db_res_free(r);
	if (!ok)
		return err_set(e, 500, ERR_INTERNAL, "COPY did not start");
	return true;
}

bool db_copy_put(struct db *db, const char *data, size_t len, struct err *e)
{
	while (len > 0) {
		int chunk = len > (1 << 30) ? 1 << 30 : (int)len;
		if (PQputCopyData(db->conn, data, chunk) != 1)
			return err_set(e, 503, ERR_UNAVAILABLE, "the database connection failed during COPY");
		data += chunk;
		len -= (size_t)chunk;
	}
	return true;
}

long db_copy_end(struct db *db, const char *abort_reason, struct err *e)
{
	PGresult *res;
	long rows = -1;

	if (PQputCopyEnd(db->conn, abort_reason) != 1)
		return err_set(e, 503, ERR_UNAVAILABLE, "the database connection failed during COPY"), -1;
	while ((res = PQgetResult(db->conn))) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			rows = atol(PQcmdTuples(res));
		else if (!abort_reason)
			fail_from_result(db, res, "COPY", e);
		PQclear(res);
	}
	return abort_reason ? -1 : rows;
}

bool db_copy_binary_begin(struct db *db, const char *copy_sql, struct buf *out,
			  struct err *e)
{
	if (!db_copy_begin(db, copy_sql, e))
		return false;
	buf_reset(out);
	copy_header(out);
	return true;
}

bool db_copy_send(struct db *db, struct buf *out, size_t at_least, struct err *e)
{
	struct err ignored = ERR_INIT;
	bool ok;

	if (out->len < at_least || !out->len)
		return true;
	ok = db_copy_put(db, out->data, out->len, e);
	buf_reset(out);
	if (!ok)
		db_copy_end(db, "COPY failed", &ignored);
	return ok;
}

long db_copy_binary_end(struct db *db, struct buf *out, struct err *e)
{
	copy_trailer(out);
	if (!db_copy_send(db, out, 0, e))
		return -1;
	return db_copy_end(db, NULL, e);
}

const char *db_server_version(struct db *db, char *out, size_t size)
{
	int v = PQserverVersion(db->conn);

	snprintf(out, size, "%d.%d", v / 10000, v % 10000);
	return out;
}

/* ---------------------------------------------------------- notifications */

static int take_notifications(struct db *db,
			      void (*on_notify)(const char *, const char *, void *), void *arg)
{
	PGnotify *n;
	int count = 0;

	while ((n = PQnotifies(db->conn))) {
		on_notify(n->relname, n->extra, arg);
		PQfreemem(n);
		count++;
	}
	return count;
}

int db_wait_notify(struct db *db, int timeout_ms,
		   void (*on_notify)(const char *channel, const char *payload, void *arg), void *arg,
		   struct err *e)
{
	struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
	int count = take_notifications(db, on_notify, arg);

	if (count)
		return count;
	if (pfd.fd < 0 || PQstatus(db->conn) != CONNECTION_OK) {
		err_set(e, 503, ERR_UNAVAILABLE, "the notification connection is lost");
		return -1;
	}
	if (poll(&pfd, 1, timeout_ms) < 0)
		return 0;		/* interrupted: the caller waits again */
	if (pfd.revents && !PQconsumeInput(db->conn)) {
		err_set(e, 503, ERR_UNAVAILABLE, "the notification connection is lost: %s",
			PQerrorMessage(db->conn));
		return -1;
	}
	return take_notifications(db, on_notify, arg);
}
