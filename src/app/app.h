/*
 * app: the running service — configuration, the HTTP server and the
 * shared, read-mostly state that handlers consult. One struct app exists
 * per `hotline serve` process; handlers reach it with http_req_app().
 */
#ifndef HOTLINE_APP_APP_H
#define HOTLINE_APP_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "app/config.h"
#include "http/http.h"

/* The deadline sweeper thread and the figures it leaves for /metrics. */
struct sweeper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	int period_seconds;
	atomic_long runs, changes, green, yellow, red;
};

void sweeper_start(struct sweeper *s, int period_seconds);
/* Wakes the sweeper, waits for it to finish its pass, and joins it. */
void sweeper_stop(struct sweeper *s);

struct app {
	struct config *cfg;
	struct http_server *server;
	struct sweeper sweeper;
	time_t started;
};

/* The route table: every endpoint the service answers. */
extern const struct http_route app_routes[];
extern const size_t app_routes_count;
/* Extra routes for the test suite, served only with HOTLINE_DEBUG_ROUTES=1. */
extern const struct http_route app_debug_routes[];
extern const size_t app_debug_routes_count;

/* Handlers (one file per area). */
void health_get(struct http_req *req);
void metrics_get(struct http_req *req);
void debug_sleep(struct http_req *req);

/*
 * Starts the modules that react to order actions inside their transaction
 * (callback queue, dispatch records, the 110 outbox) and their settings.
 * Every command that takes order actions calls it first, so that no path
 * skips them. False with `e` on a bad setting.
 */
bool app_modules_init(struct err *e);
void app_modules_shutdown(void);

/* `hotline serve`: runs until SIGTERM or SIGINT. Returns the exit code. */
int cmd_serve(struct config *cfg, int argc, char **argv);
/* `hotline migrate [--dir DIR]`. */
int cmd_migrate(struct config *cfg, int argc, char **argv);
/* Administration commands (admin_cmd.c); argv[0] is the command name. */
int cmd_user(struct config *cfg, int argc, char **argv);
int cmd_token(struct config *cfg, int argc, char **argv);
int cmd_department(struct config *cfg, int argc, char **argv);
int cmd_category(struct config *cfg, int argc, char **argv);
int cmd_calendar(struct config *cfg, int argc, char **argv);
int cmd_deadline(struct config *cfg, int argc, char **argv);
/* `hotline demo load [--if-empty]` (demo_cmd.c). */
int cmd_demo(struct config *cfg, int argc, char **argv);

struct db;
/* CSV imports, each one transaction; the number of rows or -1 with `e`
 * naming the file and line. */
long app_import_departments(struct db *db, const char *file, struct err *e);
long app_import_categories(struct db *db, const char *file, struct err *e);
/* The same over CSV text of `len` bytes, as uploaded; `name` (the file's
 * name) prefixes the messages. */
long app_import_departments_text(struct db *db, const char *name, const char *text, size_t len,
				 struct err *e);
long app_import_categories_text(struct db *db, const char *name, const char *text, size_t len,
				struct err *e);
/*
 * Checks one year of the official holiday calendar (JSON as in
 * `hotline calendar import`) and stores it in one transaction, replacing
 * that year's days. Sets *year. Returns false with `e` (400/422 naming the
 * member at fault, as calendar_load_json()); nothing is stored then. The
 * caller reloads the process's calendar (deadline_calendar_load()). In the
 * same transaction the deadlines that touched the year are computed again
 * (orders_recompute_year()); *moved gets how many orders' deadlines moved.
 */
bool app_calendar_import_text(struct db *db, const char *text, size_t len, int *year, long *moved,
			      struct err *e);

#endif
