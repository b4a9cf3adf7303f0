#include "db/db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct db {
	PGconn *conn;
};

struct db_res {
	PGresult *res;
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

	for (size_t i = 0; i < sizeof(libpq_vars) / sizeof(libpq_vars[0]); i++)
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

struct db *db_connect(const char *conninfo, struct err *e)
{
	PGconn *conn = PQconnectdb(conninfo ? conninfo : "");
	struct db *db;

	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = PQerrorMessage(conn);
		size_t n = strcspn(msg, "\n");
		log_warn("database connection failed: %.*s", (int)n, msg);
		PQfinish(conn);
		return err_set(e, 503, "unavailable", "the database is unavailable"), NULL;
	}
	PQsetNoticeProcessor(conn, notice_ignore, NULL);
	db = xcalloc(1, sizeof(*db));
	db->conn = conn;
	atomic_fetch_add(&open_connections, 1);
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
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
		PQreset(db->conn);
		if (PQstatus(db->conn) == CONNECTION_OK) {
			log_info("database connection re-established");
			return db;
		}
		return err_set(e, 503, "unavailable", "the database is unavailable"), NULL;
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
		err_set(e, 503, "unavailable", "the database is unavailable");
	} else if (!strcmp(state, "23505")) {
		err_set(e, 409, "unique-violation", "a record with the same key already exists (%s)",
			constraint ? constraint : "unique");
		if (e && constraint)
			snprintf(e->field, sizeof(e->field), "%s", constraint);
	} else if (!strcmp(state, "40001") || !strcmp(state, "40P01")) {
		err_set(e, 409, "conflict", "a concurrent change conflicted with this one; try again");
	} else if (!strncmp(state, "23", 2)) {
		err_set(e, 422, "constraint", "the data violates constraint \"%s\"",
			constraint ? constraint : state);
		if (e && constraint)
			snprintf(e->field, sizeof(e->field), "%s", constraint);
	} else if (!strcmp(state, "22021")) {
		err_set(e, 400, "invalid-encoding", "the request contains text that is not valid UTF-8");
	} else if (!strcmp(state, "22P02") || !strcmp(state, "22007") || !strcmp(state, "22008")
		   || !strcmp(state, "22003")) {
		err_set(e, 422, "invalid-value", "%.*s", (int)strcspn(msg, "\n"),
			strncmp(msg, "ERROR:  ", 8) ? msg : msg + 8);
	} else {
		log_error("sql failed (%s): %.*s; statement: %.200s", state,
			  (int)strcspn(msg, "\n"), msg, sql);
		err_set(e, 500, "internal", "internal database error");
	}
}

struct db_res *db_exec(struct db *db, const char *sql, int nparams,
		       const char *const *params, struct err *e)
{
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res;
	ExecStatusType st;
	struct db_res *r;

	for (int attempt = 0;; attempt++) {
		res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN)
			break;
		if (attempt == 0 && idle && PQstatus(db->conn) == CONNECTION_BAD
		    && is_plain_select(sql)) {
			PQclear(res);
			PQreset(db->conn);
			if (PQstatus(db->conn) == CONNECTION_OK)
				continue;
			return err_set(e, 503, "unavailable", "the database is unavailable"), NULL;
		}
		fail_from_result(db, res, sql, e);
		PQclear(res);
		return NULL;
	}
	r = xmalloc(sizeof(*r));
	r->res = res;
	return r;
}

bool db_run(struct db *db, const char *sql, int nparams, const char *const *params,
	    struct err *e)
{
	struct db_res *r = db_exec(db, sql, nparams, params, e);

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
			err_set(e, 503, "unavailable", "the database is unavailable");
		} else {
			const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
			err_set(e, 500, "script-failed", "%.*s%s%s", (int)strcspn(msg, "\n"), msg,
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

int db_res_col(const struct db_res *r, const char *name)
{
	return PQfnumber(r->res, name);
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

const char *db_res_str(const struct db_res *r, int row, const char *name)
{
	return db_res_get(r, row, PQfnumber(r->res, name));
}

long long db_res_ll(const struct db_res *r, int row, const char *name)
{
	return atoll(db_res_str(r, row, name));
}

bool db_res_bool(const struct db_res *r, int row, const char *name)
{
	return db_res_str(r, row, name)[0] == 't';
}

void db_res_free(struct db_res *r)
{
	if (!r)
		return;
	PQclear(r->res);
	free(r);
}

json_object *db_res_json_text(const struct db_res *r, int row, const char *name)
{
	int col = PQfnumber(r->res, name);

	if (db_res_isnull(r, row, col))
		return NULL;
	return json_object_new_string(PQgetvalue(r->res, row, col));
}

json_object *db_res_json_bool(const struct db_res *r, int row, const char *name)
{
	int col = PQfnumber(r->res, name);

	if (db_res_isnull(r, row, col))
		return NULL;
	return json_object_new_boolean(PQgetvalue(r->res, row, col)[0] == 't');
}

json_object *db_res_json_int(const struct db_res *r, int row, const char *name)
{
	int col = PQfnumber(r->res, name);

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
		return err_set(e, 500, "internal", "COPY did not start");
	return true;
}

bool db_copy_put(struct db *db, const char *data, size_t len, struct err *e)
{
	while (len > 0) {
		int chunk = len > (1 << 30) ? 1 << 30 : (int)len;
		if (PQputCopyData(db->conn, data, chunk) != 1)
			return err_set(e, 503, "unavailable", "the database connection failed during COPY");
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
		return err_set(e, 503, "unavailable", "the database connection failed during COPY"), -1;
	while ((res = PQgetResult(db->conn))) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			rows = atol(PQcmdTuples(res));
		else if (!abort_reason)
			fail_from_result(db, res, "COPY", e);
		PQclear(res);
	}
	return abort_reason ? -1 : rows;
}

const char *db_server_version(struct db *db, char *out, size_t size)
{
	int v = PQserverVersion(db->conn);

	snprintf(out, size, "%d.%d", v / 10000, v % 10000);
	return out;
}
