/*
 * `hotline channel`: what a city does to open its citizens' channels —
 * issue an Open311 api_key to an app or portal, tied to the channel its
 * requests come in on, and mark the categories citizens may file under.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "open311/open311.h"

static const char channel_usage[] =
	"usage: hotline channel key --channel C --login L [--name NAME]\n"
	"       hotline channel publish [--request-type T] [--description D] CODE...\n"
	"       hotline channel unpublish CODE...\n";

/* "--name value" in argv; NULL if absent. */
static const char *opt_value(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static int channel_key(struct db *db, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *channel = opt_value(argc, argv, "--channel"), *login = opt_value(argc, argv, "--login");
	char token[AUTH_SECRET_HEX];

	if (!channel || !login) {
		fputs(channel_usage, stderr);
		return 2;
	}
	if (!auth_channel_key_create(db, login, opt_value(argc, argv, "--name"), channel, token, &e)) {
		fprintf(stderr, "hotline channel key: %s\n", e.message);
		return 1;
	}
	printf("%s\n", token);
	return 0;
}

/* publish / unpublish: every argument that is not an option or its value is a category code. */
static int channel_publish(struct db *db, int argc, char **argv, bool public)
{
	const char *type = opt_value(argc, argv, "--request-type");
	const char *description = opt_value(argc, argv, "--description");
	int n = 0;

	for (int i = 2; i < argc; i++) {
		struct err e = ERR_INIT;
		if (!strncmp(argv[i], "--", 2)) {
			i++;
			continue;
		}
		if (!open311_publish(db, argv[i], public, type, description, &e)) {
			fprintf(stderr, "hotline channel %s: %s\n", argv[1], e.message);
			return 1;
		}
		n++;
	}
	if (!n) {
		fputs(channel_usage, stderr);
		return 2;
	}
	printf("%d categor%s %s\n", n, n == 1 ? "y" : "ies", public ? "published" : "unpublished");
	return 0;
}

int cmd_channel(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct db *db;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "key") && strcmp(argv[1], "publish") && strcmp(argv[1], "unpublish"))) {
		fputs(channel_usage, stderr);
		return 2;
	}
	if (!(db = db_connect(cfg->conninfo, &e))) {
		fprintf(stderr, "hotline channel: cannot connect to the database: %s\n", e.message);
		return 1;
	}
	if (!strcmp(argv[1], "key"))
		rc = channel_key(db, argc, argv);
	else
		rc = channel_publish(db, argc, argv, !strcmp(argv[1], "publish"));
	db_close(db);
	return rc;
}
