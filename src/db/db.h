/*
 * db: the only door to PostgreSQL. Nothing outside this module includes
 * libpq-fe.h or sees a PGresult.
 *
 * Connections: every thread that touches the database (an HTTP worker, the
 * sweeper, a CLI command) uses its own connection, opened lazily by
 * db_thread() with the process-wide conninfo set by db_configure(). A lost
 * connection is reset transparently on the next statement; statements that
 * fail because the server is down fail with status 503 and the process
 * carries on.
 *
 * SQL goes out only through db_exec() with $n text parameters. Results are
 * read through struct db_res accessors, which return pointers valid until
 * db_res_free().
 *
 * Prepared statements: db_exec_prepared() (DB_EXEC_P, DB_RUN_P) runs a
 * statement through a per-connection cache of named prepared statements,
 * so that a statement run on every request (an order read, the session
 * lookup) is parsed once per connection, and planned once when PostgreSQL
 * finds its generic plan as good as a custom one. The cache:
 *   - is keyed by the SQL text itself (a 64-bit hash, then the whole text
 *     compared), not by the pointer: text built at run time (a list query
 *     with filters) is as safe as a static literal, and a buffer reused
 *     for different text never finds the wrong statement (the address a
 *     text was last seen at only lets static text skip the hashing; the
 *     text is still compared);
 *   - holds at most DB_PREPARED_MAX statements per connection; a new one
 *     beyond that DEALLOCATEs the one used longest ago, so a caller with
 *     many shapes of text only costs re-preparing (the bound is the
 *     server's memory: an order read keeps some 300 KiB of parse trees and
 *     plans in the backend);
 *   - names statements "s1", "s2", … in the order the connection prepared
 *     them;
 *   - is emptied when the connection is reset (the server forgot the
 *     statements with the session), so statements are prepared again;
 *   - drops a statement PostgreSQL refuses to run as prepared — "cached
 *     plan must not change result type" (SQLSTATE 0A000) after a schema
 *     change, or a statement the session no longer has (26000) — and, if
 *     the call ran outside a transaction, prepares it again and retries
 *     once. Inside a transaction the error is reported (the transaction is
 *     aborted) and the next call prepares afresh.
 * Opt in per statement, not everywhere: a prepared statement may settle on
 * a generic plan, which suits point reads and writes but can be worse for
 * queries whose best plan depends on the values (a date range over a big
 * table), and COPY, DDL and transaction control gain nothing from it.
 */
#ifndef HOTLINE_DB_DB_H
#define HOTLINE_DB_DB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct db;
struct db_res;

/* Sets the conninfo used by db_thread() (copied). Call before threads start. */
void db_configure(const char *conninfo);
const char *db_conninfo(void);

/*
 * The default conninfo: empty (libpq's own PG* variables decide) when any of
 * PGHOST, PGHOSTADDR, PGDATABASE, PGSERVICE or PGPORT is set, otherwise the
 * project's private cluster "host=<root>/var/pg dbname=hotline". Returns a
 * malloc'd string.
 */
char *db_default_conninfo(const char *project_root);

/* Opens a new connection. Returns NULL and fills `e` (503) on failure. */
struct db *db_connect(const char *conninfo, struct err *e);
/* Opens a new connection to the same server, database and user as `db`
 * (its connection's parameters), for work alongside it on another thread.
 * Returns NULL and fills `e` (503) on failure. */
struct db *db_connect_like(struct db *db, struct err *e);
/* Closes the connection; accepts NULL. */
void db_close(struct db *db);

/*
 * The calling thread's connection, opened on first use (and after
 * db_thread_close()). Returns NULL and fills `e` (503) if the server cannot
 * be reached; a later call tries again.
 */
struct db *db_thread(struct err *e);
/* Closes the calling thread's connection, if any. */
void db_thread_close(void);
/* Number of connections open in this process. */
long db_open_connections(void);

/*
 * Runs one statement with `nparams` text parameters (NULL = SQL NULL).
 * Returns the result (free with db_res_free) or NULL with `e` filled:
 *   503 "unavailable"       the server cannot be reached,
 *   409 "unique-violation"  SQLSTATE 23505,
 *   409 "conflict"          serialization failure or deadlock,
 *   422 "constraint"        check / foreign key / not-null violations,
 * (for both constraint kinds `e->field` holds the constraint's name, for
 * the caller to translate into the input field at fault),
 *   500 "internal"          anything else (logged with the SQL).
 * A statement run outside a transaction whose connection turns out to be
 * dead is retried once on a fresh connection if it is a plain SELECT.
 */
struct db_res *db_exec(struct db *db, const char *sql, int nparams,
		       const char *const *params, struct err *e);

/* db_exec(db, e, sql, "a", "b") with the parameter count worked out. */
#define DB_EXEC(db, e, sql, ...)                                                  \
	db_exec((db), (sql), (int)(sizeof((const char *[]){ __VA_ARGS__ }) /       \
				   sizeof(const char *)),                           \
		(const char *[]){ __VA_ARGS__ }, (e))

/* The most statements db_exec_prepared() keeps prepared on one connection. */
#define DB_PREPARED_MAX 32

/*
 * db_exec() through the connection's prepared-statement cache (see the top
 * of this file): prepares `sql` the first time this connection sees the
 * text, then binds and executes it. The same result and errors as
 * db_exec(), a failed prepare included (a syntax error is 500 "internal",
 * a lost server 503). `sql` need not outlive the call (the cache keeps a
 * copy); it must be one statement, always with the same `nparams`.
 */
struct db_res *db_exec_prepared(struct db *db, const char *sql, int nparams,
				const char *const *params, struct err *e);
#define DB_EXEC_P(db, e, sql, ...)                                                \
	db_exec_prepared((db), (sql), (int)(sizeof((const char *[]){ __VA_ARGS__ }) / \
					    sizeof(const char *)),                  \
			 (const char *[]){ __VA_ARGS__ }, (e))

/* db_run() through the prepared-statement cache. False with `e` filled. */
bool db_run_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
		     struct err *e);
#define DB_RUN_P(db, e, sql, ...)                                                 \
	db_run_prepared((db), (sql), (int)(sizeof((const char *[]){ __VA_ARGS__ }) / \
					   sizeof(const char *)),                   \
			(const char *[]){ __VA_ARGS__ }, (e))

/* Runs a statement for its effect only. Returns false with `e` filled. */
bool db_run(struct db *db, const char *sql, int nparams, const char *const *params,
	    struct err *e);
#define DB_RUN(db, e, sql, ...)                                                   \
	db_run((db), (sql), (int)(sizeof((const char *[]){ __VA_ARGS__ }) /        \
				  sizeof(const char *)),                            \
	       (const char *[]){ __VA_ARGS__ }, (e))

/* Runs a script of several statements (no parameters): migrations. */
bool db_run_script(struct db *db, const char *sql, struct err *e);

bool db_begin(struct db *db, struct err *e);
bool db_commit(struct db *db, struct err *e);
/* Rolls back if a transaction is open; never fails the caller. */
void db_rollback(struct db *db);
bool db_in_transaction(struct db *db);

int db_res_rows(const struct db_res *r);
/* Rows changed by an INSERT/UPDATE/DELETE. */
long db_res_affected(const struct db_res *r);
/* Column number of `name`, or -1. */
int db_res_col(const struct db_res *r, const char *name);
/* Value at (row, col) as text; "" for NULL. Valid until db_res_free(). */
const char *db_res_get(const struct db_res *r, int row, int col);
bool db_res_isnull(const struct db_res *r, int row, int col);
/*
 * By column name: "" (0, false) for SQL NULL or a row past the end. A
 * name the result has no column of is a programming error, never caused
 * by input: it fails an assertion that prints the name and the caller's
 * file and line (a column that may be absent is asked with db_res_col()).
 */
#define db_res_str(r, row, name) db_res_str_at(r, row, name, __FILE__, __LINE__)
#define db_res_ll(r, row, name) db_res_ll_at(r, row, name, __FILE__, __LINE__)
#define db_res_bool(r, row, name) db_res_bool_at(r, row, name, __FILE__, __LINE__)
const char *db_res_str_at(const struct db_res *r, int row, const char *name,
			  const char *file, int line);
long long db_res_ll_at(const struct db_res *r, int row, const char *name,
		       const char *file, int line);
bool db_res_bool_at(const struct db_res *r, int row, const char *name,
		    const char *file, int line);
void db_res_free(struct db_res *r);

/*
 * A value as a new json-c reference for an API answer: a string, a
 * boolean or an integer, or NULL (JSON null) for SQL NULL. The caller adds
 * it to an object, which takes it. An unknown column name fails an
 * assertion, as above.
 */
#define db_res_json_text(r, row, name) db_res_json_text_at(r, row, name, __FILE__, __LINE__)
#define db_res_json_bool(r, row, name) db_res_json_bool_at(r, row, name, __FILE__, __LINE__)
#define db_res_json_int(r, row, name) db_res_json_int_at(r, row, name, __FILE__, __LINE__)
json_object *db_res_json_text_at(const struct db_res *r, int row, const char *name,
				 const char *file, int line);
json_object *db_res_json_bool_at(const struct db_res *r, int row, const char *name,
				 const char *file, int line);
json_object *db_res_json_int_at(const struct db_res *r, int row, const char *name,
				const char *file, int line);

/*
 * COPY FROM STDIN streaming: db_copy_begin() runs the COPY statement,
 * db_copy_put() sends bytes of COPY text, db_copy_end() finishes and
 * returns the row count (or -1 with `e` filled; the COPY is then aborted).
 */
bool db_copy_begin(struct db *db, const char *copy_sql, struct err *e);
bool db_copy_put(struct db *db, const char *data, size_t len, struct err *e);
long db_copy_end(struct db *db, const char *abort_reason, struct err *e);

/*
 * A binary COPY (db/copy.h) built in a caller's buffer and sent in pieces:
 * db_copy_binary_begin() runs `copy_sql` (a COPY ... FROM STDIN (FORMAT
 * binary)) and puts the stream's header in `out` (emptied first); the
 * caller appends rows; db_copy_send() sends `out` and empties it once it
 * holds at least `at_least` bytes (0: whatever it holds); and
 * db_copy_binary_end() appends the trailer, sends the rest and returns the
 * row count. On a failure of either of the last two, -1 or false with `e`
 * filled, the COPY has been ended (aborted): the caller only cleans up.
 */
bool db_copy_binary_begin(struct db *db, const char *copy_sql, struct buf *out,
			  struct err *e);
bool db_copy_send(struct db *db, struct buf *out, size_t at_least, struct err *e);
long db_copy_binary_end(struct db *db, struct buf *out, struct err *e);

/*
 * Notifications (LISTEN/NOTIFY). After db_run(db, "LISTEN channel"), a
 * connection used for nothing else waits with db_wait_notify(): up to
 * `timeout_ms` for the server's notifications, calling `on_notify` with
 * each one's channel and payload. Returns how many arrived (0 on timeout),
 * or -1 with `e` when the connection is lost: the caller reconnects and
 * listens again, knowing it may have missed some meanwhile.
 */
int db_wait_notify(struct db *db, int timeout_ms,
		   void (*on_notify)(const char *channel, const char *payload, void *arg), void *arg,
		   struct err *e);

/* The server's version string, e.g. "15.18". */
const char *db_server_version(struct db *db, char *out, size_t size);

#endif
