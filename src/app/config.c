#include "app/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "intake/settings.h"

const char config_usage[] =
	"common options (each also read from the environment variable shown):\n"
	"  --db CONNINFO       HOTLINE_DB        libpq conninfo (default: PG* variables, else var/pg)\n"
	"  --bind ADDR         HOTLINE_BIND      listen address (127.0.0.1)\n"
	"  --port N            HOTLINE_PORT      listen port, 0 = any free (8080)\n"
	"  --threads N         HOTLINE_THREADS   HTTP worker threads (8)\n"
	"  --max-body BYTES    HOTLINE_MAX_BODY  request body limit (1048576)\n"
	"  --max-public-body BYTES  HOTLINE_MAX_PUBLIC_BODY  body limit of public routes (65536)\n"
	"  --per-client N      HOTLINE_PER_CLIENT  connections per client address (64)\n"
	"  --idle-timeout S    HOTLINE_IDLE_TIMEOUT  seconds a silent connection lives (15)\n"
	"  --tz ZONE           HOTLINE_TZ        local time zone (Asia/Shanghai)\n"
	"  --log-level LEVEL   HOTLINE_LOG_LEVEL debug, info, warn, error (info)\n"
	"  --templates DIR     HOTLINE_TEMPLATES page templates (<root>/templates; installed: <datadir>/hotline/templates)\n"
	"  --metrics-token T   HOTLINE_METRICS_TOKEN  /metrics asks for \"Authorization: Bearer T\" (open when unset)\n"
	"  --dev               HOTLINE_DEV=1     reload templates when they change\n"
	"  --sweep-seconds N   HOTLINE_SWEEP_SECONDS deadline sweeper period (60)\n"
	"  --hotline-numbers L HOTLINE_NUMBERS   the hotline's dialled numbers, comma-separated (12345)\n"
	"  --short-abandon-seconds N  HOTLINE_SHORT_ABANDON_SECONDS  abandons this short are short (5)\n"
	"  --short-abandons-offered yes|no  HOTLINE_SHORT_ABANDONS_OFFERED  count them in offered (yes)\n"
	"  --window-min-offered N  HOTLINE_WINDOW_MIN_OFFERED  calls a 24-hour window needs to count (100)\n"
	"environment only (the 110 bridge and duplicate detection, see docs/police.md):\n"
	"  HOTLINE_POLICE_URL            110 endpoint for our messages (unset: they wait in the outbox)\n"
	"  HOTLINE_POLICE_SECRET         shared HMAC secret, both directions (unset: 110 requests get 503)\n"
	"  HOTLINE_POLICE_MAX_ATTEMPTS   attempts before a message is parked (10)\n"
	"  HOTLINE_POLICE_RETRY_MS       first retry delay, doubled each attempt, with jitter (1000)\n"
	"  HOTLINE_POLICE_RETRY_MAX_MS   longest retry delay (300000)\n"
	"  HOTLINE_POLICE_TIMEOUT_MS     one delivery request (10000)\n"
	"  HOTLINE_POLICE_POLL_MS        how often the outbox is looked at when idle (1000)\n"
	"  HOTLINE_DUPLICATE_DAYS        window for duplicate candidates (30)\n";

/* The directories `meson install` uses, relative to the prefix (or
 * absolute), and the prefix itself (src/app/meson.build defines them). */
#ifndef HOTLINE_PREFIX
#define HOTLINE_PREFIX "/usr/local"
#endif
#ifndef HOTLINE_BINDIR
#define HOTLINE_BINDIR "bin"
#endif
#ifndef HOTLINE_DATADIR
#define HOTLINE_DATADIR "share"
#endif

/* The directory of the running binary, in `out`; false if unknown. */
static bool exe_dir(char out[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", out, PATH_MAX - 1);
	char *slash;

	if (n <= 0)
		return false;
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

/* The project root: the parent of the build directory holding the binary,
 * or HOTLINE_ROOT, or the current directory. *in_tree says whether it is a
 * source tree (the first two) rather than a guess (the last). */
static char *find_root(bool *in_tree)
{
	char exe[PATH_MAX];
	const char *env = getenv("HOTLINE_ROOT");

	*in_tree = true;
	if (env && *env)
		return xstrdup(env);
	if (exe_dir(exe)) {
		char *slash = strrchr(exe, '/');
		if (slash && !strncmp(slash + 1, "build", 5)) {
			*slash = '\0';
			return xstrdup(exe[0] ? exe : "/");
		}
	}
	*in_tree = false;
	return getcwd(exe, sizeof(exe)) ? xstrdup(exe) : xstrdup(".");
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Where an installed binary finds its templates: <datadir>/hotline/templates
 * of the prefix it was installed under. With relative bindir and datadir
 * (meson's defaults) the prefix is taken from the binary's own place
 * (<prefix>/<bindir>/hotline), so that a tree installed with --destdir or
 * moved elsewhere finds its own files; else the compiled-in prefix.
 * NULL if the directory does not exist. The caller frees the result.
 */
static char *installed_templates(void)
{
	char exe[PATH_MAX];
	char *dir = NULL;
	size_t n = strlen(exe_dir(exe) ? exe : ""), b = strlen(HOTLINE_BINDIR);

	if (HOTLINE_BINDIR[0] != '/' && HOTLINE_DATADIR[0] != '/' && n > b + 1
	    && !strcmp(exe + n - b, HOTLINE_BINDIR) && exe[n - b - 1] == '/') {
		exe[n - b - 1] = '\0';
		dir = xasprintf("%s/%s/hotline/templates", exe, HOTLINE_DATADIR);
	} else if (HOTLINE_DATADIR[0] == '/') {
		dir = xasprintf("%s/hotline/templates", HOTLINE_DATADIR);
	} else {
		dir = xasprintf("%s/%s/hotline/templates", HOTLINE_PREFIX, HOTLINE_DATADIR);
	}
	if (is_dir(dir))
		return dir;
	free(dir);
	return NULL;
}

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static bool parse_int(const char *opt, const char *s, long min, long max, long *out,
		      struct err *e)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for %s: expected a whole number from %ld to %ld",
			       s, opt, min, max);
	*out = v;
	return true;
}

/* Applies one option by its long name (without dashes). */
static bool set_option(struct config *cfg, const char *name, const char *value, struct err *e)
{
	long v = 0;

	if (!strcmp(name, "db")) {
		set_str(&cfg->conninfo, value);
	} else if (!strcmp(name, "bind")) {
		set_str(&cfg->bind, value);
	} else if (!strcmp(name, "port")) {
		if (!parse_int("--port", value, 0, 65535, &v, e))
			return false;
		cfg->port = (int)v;
	} else if (!strcmp(name, "threads")) {
		if (!parse_int("--threads", value, 1, 256, &v, e))
			return false;
		cfg->threads = (int)v;
	} else if (!strcmp(name, "max-body")) {
		if (!parse_int("--max-body", value, 1024, 1L << 30, &v, e))
			return false;
		cfg->max_body = (size_t)v;
	} else if (!strcmp(name, "max-public-body")) {
		if (!parse_int("--max-public-body", value, 1024, 1L << 30, &v, e))
			return false;
		cfg->max_public_body = (size_t)v;
	} else if (!strcmp(name, "per-client")) {
		if (!parse_int("--per-client", value, 1, 1024, &v, e))
			return false;
		cfg->per_client = (int)v;
	} else if (!strcmp(name, "idle-timeout")) {
		if (!parse_int("--idle-timeout", value, 1, 3600, &v, e))
			return false;
		cfg->idle_timeout = (int)v;
	} else if (!strcmp(name, "tz")) {
		set_str(&cfg->zone, value);
	} else if (!strcmp(name, "log-level")) {
		if (log_level_parse(value) < 0)
			return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for --log-level: expected debug, info, warn or error", value);
		set_str(&cfg->log_level, value);
	} else if (!strcmp(name, "templates")) {
		set_str(&cfg->templates_dir, value);
	} else if (!strcmp(name, "metrics-token")) {
		set_str(&cfg->metrics_token, value);
	} else if (!strcmp(name, "hotline-numbers")) {
		return intake_set_hotline_numbers(value, e);
	} else if (!strcmp(name, "short-abandon-seconds")) {
		return intake_set_short_abandon_seconds(value, e);
	} else if (!strcmp(name, "window-min-offered")) {
		return intake_set_window_min_offered(value, e);
	} else if (!strcmp(name, "short-abandons-offered")) {
		return intake_set_short_abandons_offered(value, e);
	} else if (!strcmp(name, "sweep-seconds")) {
		if (!parse_int("--sweep-seconds", value, 1, 86400, &v, e))
			return false;
		cfg->sweep_seconds = (int)v;
	} else if (!strcmp(name, "dev")) {
		cfg->dev = !strcmp(value, "1") || !strcmp(value, "true");
	} else {
		return false;
	}
	return true;
}

static const struct {
	const char *option;
	const char *env;
} env_names[] = {
	{ "db", "HOTLINE_DB" },
	{ "bind", "HOTLINE_BIND" },
	{ "port", "HOTLINE_PORT" },
	{ "threads", "HOTLINE_THREADS" },
	{ "max-body", "HOTLINE_MAX_BODY" },
	{ "max-public-body", "HOTLINE_MAX_PUBLIC_BODY" },
	{ "per-client", "HOTLINE_PER_CLIENT" },
	{ "idle-timeout", "HOTLINE_IDLE_TIMEOUT" },
	{ "tz", "HOTLINE_TZ" },
	{ "log-level", "HOTLINE_LOG_LEVEL" },
	{ "templates", "HOTLINE_TEMPLATES" },
	{ "metrics-token", "HOTLINE_METRICS_TOKEN" },
	{ "dev", "HOTLINE_DEV" },
	{ "sweep-seconds", "HOTLINE_SWEEP_SECONDS" },
	{ "hotline-numbers", "HOTLINE_NUMBERS" },
	{ "short-abandon-seconds", "HOTLINE_SHORT_ABANDON_SECONDS" },
	{ "short-abandons-offered", "HOTLINE_SHORT_ABANDONS_OFFERED" },
	{ "window-min-offered", "HOTLINE_WINDOW_MIN_OFFERED" },
};

bool config_load(struct config *cfg, int *argc, char **argv, struct err *e)
{
	int out = 1;
	bool in_tree;

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = find_root(&in_tree);
	cfg->conninfo = db_default_conninfo(cfg->root);
	cfg->bind = xstrdup("127.0.0.1");
	cfg->port = 8080;
	cfg->threads = 8;
	cfg->max_body = 1 << 20;
	cfg->max_public_body = 64 << 10;
	cfg->per_client = 64;
	cfg->idle_timeout = 15;
	cfg->zone = xstrdup(TIMEUTIL_DEFAULT_ZONE);
	cfg->log_level = xstrdup("info");
	/* A source tree's own templates; else those installed beside the
	 * binary; else ./templates as before. */
	cfg->templates_dir = in_tree ? NULL : installed_templates();
	if (!cfg->templates_dir)
		cfg->templates_dir = xasprintf("%s/templates", cfg->root);
	cfg->grace_ms = 30000;
	cfg->sweep_seconds = 60;
	for (size_t i = 0; i < ARRAY_SIZE(env_names); i++) {
		const char *v = getenv(env_names[i].env);
		if (v && *v && !set_option(cfg, env_names[i].option, v, e)) {
			if (err_isset(e))
				snprintf(e->field, sizeof(e->field), "%s", env_names[i].env);
			return false;
		}
	}
	for (int i = 1; i < *argc; i++) {
		const char *arg = argv[i];
		char name[32];
		const char *value;

		if (strncmp(arg, "--", 2) || strlen(arg) >= sizeof(name) + 2) {
			argv[out++] = argv[i];
			continue;
		}
		const char *eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - arg - 2) : strlen(arg + 2)),
			 arg + 2);
		if (!strcmp(name, "dev")) {
			value = "1";
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < *argc) {
			value = argv[i + 1];
		} else {
			value = NULL;
		}
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(env_names); k++)
			if (!strcmp(name, env_names[k].option))
				known = true;
		if (!known) {
			argv[out++] = argv[i];
			continue;
		}
		if (!value)
			return err_set(e, 400, ERR_BAD_OPTION, "option --%s needs a value", name);
		if (!set_option(cfg, name, value, e))
			return false;
		if (!eq && strcmp(name, "dev"))
			i++;
	}
	argv[out] = NULL;
	*argc = out;
	return true;
}

bool config_apply(const struct config *cfg, struct err *e)
{
	if (!timeutil_set_zone(cfg->zone))
		return err_set(e, 400, ERR_BAD_OPTION, "unknown time zone \"%s\": expected an IANA name such as Asia/Shanghai",
			       cfg->zone);
	log_set_level((enum log_level)log_level_parse(cfg->log_level));
	/* libpq sets each session's TimeZone from PGTZ, so that SQL dates and
	 * iso() agree with the process. */
	setenv("PGTZ", cfg->zone, 1);
	db_configure(cfg->conninfo);
	return true;
}

void config_release(struct config *cfg)
{
	free(cfg->root);
	free(cfg->conninfo);
	free(cfg->bind);
	free(cfg->zone);
	free(cfg->log_level);
	free(cfg->templates_dir);
	free(cfg->metrics_token);
	memset(cfg, 0, sizeof(*cfg));
}
