/*
 * config: the process's settings, from the environment and then the
 * command line (which wins). Every option has an environment variable and
 * a default; README.md has the table.
 */
#ifndef HOTLINE_APP_CONFIG_H
#define HOTLINE_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct config {
	char *root;		/* project root: templates/, var/ live here */
	char *conninfo;		/* libpq conninfo; "" = libpq's PG* variables */
	char *bind;
	int port;
	int threads;
	size_t max_body;
	size_t max_public_body;		/* public routes' bodies */
	int per_client;			/* connections per client address */
	int idle_timeout;		/* seconds */
	char *zone;
	char *log_level;
	char *templates_dir;
	char *metrics_token;		/* NULL: /metrics is open */
	bool dev;		/* reload templates when they change */
	int grace_ms;		/* how long SIGTERM waits for requests in flight */
	int sweep_seconds;	/* deadline sweeper period */
};

/*
 * Fills `cfg` from defaults and the environment, then consumes the common
 * options (--db, --bind, --port, --threads, --max-body, --tz, --log-level,
 * --templates, --dev) from argv, compacting argv to what is left (argv[0]
 * kept). Returns false with `e` naming the option on a bad value.
 */
bool config_load(struct config *cfg, int *argc, char **argv, struct err *e);
/* Applies the zone and log level to the process. */
bool config_apply(const struct config *cfg, struct err *e);
void config_release(struct config *cfg);
/* Text for `hotline help`. */
extern const char config_usage[];

#endif
