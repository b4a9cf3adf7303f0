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
/* `hotline channel key|publish|unpublish` (channel_cmd.c): Open311 keys and services. */
int cmd_channel(struct config *cfg, int argc, char **argv);
/* `hotline demo load [--if-empty]` (demo_cmd.c). */
int cmd_demo(struct config *cfg, int argc, char **argv);

struct db;
/* The CSV file `file` imported as departments_import_csv() or
 * categories_import_csv() (src/directory) do: the number of rows, or -1
 * with `e` naming the file and line. */
long app_import_departments(struct db *db, const char *file, struct err *e);
long app_import_categories(struct db *db, const char *file, struct err *e);

#endif
