/* `hotline serve` and `hotline migrate`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "app/app.h"
#include "app/notify.h"
#include "auth/authorize.h"
#include "core/array.h"
#include "core/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "dispatch/dispatch.h"
#include "intake/events.h"
#include "orders/deadline.h"
#include "police/police.h"
#include "api/supervision_api.h"
#include "api/calls_api.h"
#include "supervision/supervision.h"
#include "web/web.h"
#include "open311/open311_http.h"

/* The route tables of dispatch intelligence and the 110 bridge (src/api/dispatch_api.c, police_api.c). */
extern const struct http_route dispatch_routes[], police_routes[];
extern const size_t dispatch_routes_count, police_routes_count;

bool app_modules_init(struct err *e)
{
	supervision_init();
	return dispatch_init(e) && police_init(e);
}

void app_modules_shutdown(void)
{
	police_shutdown();
	dispatch_shutdown();
}

/* Builds the route table: the API's, the pages', and the debug routes when asked for. */
static struct http_route *routes_for(size_t *count)
{
	const char *debug = getenv("HOTLINE_DEBUG_ROUTES");
	const struct {
		const struct http_route *routes;
		size_t n;
	} tables[] = {
		{ app_routes, app_routes_count },
		{ dispatch_routes, dispatch_routes_count },
		{ police_routes, police_routes_count },
		{ supervision_routes, supervision_routes_count },
		{ calls_routes, calls_routes_count },
		{ open311_routes, open311_routes_count },
		{ web_routes, web_routes_count },
		{ public_routes, public_routes_count },
		{ app_debug_routes, debug && !strcmp(debug, "1") ? app_debug_routes_count : 0 },
	};
	size_t n = 0;
	struct http_route *r;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		n += tables[i].n;
	r = xcalloc(n, sizeof(*r));
	n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		memcpy(r + n, tables[i].routes, tables[i].n * sizeof(*r));
		n += tables[i].n;
	}
	*count = n;
	return r;
}

int cmd_serve(struct config *cfg, int argc, char **argv)
{
	struct app app = { .cfg = cfg, .started = time(NULL) };
	struct err e = ERR_INIT;
	struct http_route *routes;
	struct http_config hc = { 0 };
	sigset_t stop_signals;
	struct db *db;
	int sig = 0;

	if (argc > 1) {
		fprintf(stderr, "hotline serve: unexpected argument \"%s\"\n", argv[1]);
		return 2;
	}
	/* Signals are taken synchronously by this thread; workers never see them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	db = db_thread(&e);
	if (!db) {
		fprintf(stderr, "hotline serve: cannot connect to the database (%s): %s\n",
			cfg->conninfo[0] ? cfg->conninfo : "PG* environment", e.message);
		return 1;
	}
	if (!migrate_check(db, &e) || !deadline_calendar_load(db, &e)) {
		fprintf(stderr, "hotline serve: %s\n", e.message);
		db_thread_close();
		return 1;
	}
	db_thread_close();
	deadline_calendar_warn_missing();
	if (!app_modules_init(&e)) {
		fprintf(stderr, "hotline serve: %s%s%s%s\n", e.message, e.field[0] ? " (from " : "", e.field,
			e.field[0] ? ")" : "");
		return 1;
	}
	if (!web_init(cfg->templates_dir, cfg->dev, &e)) {
		fprintf(stderr, "hotline serve: %s\n", e.message);
		return 1;
	}

	routes = routes_for(&hc.nroutes);
	hc.bind = cfg->bind;
	hc.port = cfg->port;
	hc.threads = cfg->threads;
	hc.max_body = cfg->max_body;
	hc.max_public_body = cfg->max_public_body;
	hc.per_client = cfg->per_client;
	hc.idle_timeout = cfg->idle_timeout;
	hc.routes = routes;
	hc.authorize = auth_authorize;
	hc.not_found = web_not_found;
	hc.app = &app;
	app.server = http_server_start(&hc, &e);
	if (!app.server) {
		fprintf(stderr, "hotline serve: %s\n", e.message);
		free(routes);
		web_release();
		return 1;
	}
	sweeper_start(&app.sweeper, cfg->sweep_seconds);
	struct police_worker *police = police_worker_start();
	static const char *const channels[] = { CALL_NOTIFY_CHANNEL, NULL };
	struct notifier *notifier = notifier_start(app.server, channels);
	printf("hotline %s listening on http://%s:%d\n", HOTLINE_VERSION, cfg->bind,
	       http_server_port(app.server));
	fflush(stdout);
	log_info("serving on http://%s:%d with %d worker threads", cfg->bind,
		 http_server_port(app.server), cfg->threads);

	sigwait(&stop_signals, &sig);
	log_info("received %s: finishing requests in flight, then stopping",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	notifier_stop(notifier);	/* before the server it wakes goes */
	http_server_stop(app.server, cfg->grace_ms);
	sweeper_stop(&app.sweeper);
	police_worker_stop(police);
	app_modules_shutdown();
	web_release();
	free(routes);
	log_info("stopped");
	return 0;
}

static void print_applied(const struct migration *m, void *arg)
{
	(void)arg;
	printf("applied %04d_%s\n", m->version, m->name);
}

int cmd_migrate(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *dir = NULL;
	struct db *db;
	bool ok;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else {
			fprintf(stderr, "usage: hotline migrate [--dir DIR]\n");
			return 2;
		}
	}
	db = db_connect(cfg->conninfo, &e);
	if (!db) {
		fprintf(stderr, "hotline migrate: cannot connect to the database: %s\n", e.message);
		return 1;
	}
	ok = migrate_run(db, dir, print_applied, NULL, &e);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "hotline migrate: %s\n", e.message);
		return 1;
	}
	printf("database schema is up to date\n");
	return 0;
}
