/*
 * Administration from the command line: users, tokens, the imports of
 * departments, categories and the holiday calendar (src/directory does
 * the work; here the files are read), and the deadline calculator.
 * Every import is one transaction: a bad line names itself and nothing
 * of the file is applied.
 */
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "auth/auth.h"
#include "calendar/calendar.h"
#include "core/jsonutil.h"
#include "core/num.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "directory/categories.h"
#include "directory/departments.h"
#include "directory/holidays.h"
#include "orders/deadline.h"

static struct db *connect_or_say(const struct config *cfg, const char *cmd)
{
	struct err e = ERR_INIT;
	struct db *db = db_connect(cfg->conninfo, &e);

	if (!db)
		fprintf(stderr, "hotline %s: cannot connect to the database: %s\n", cmd, e.message);
	return db;
}

/* Finds "--name value" in argv; NULL if absent. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

/* Reads one line from stdin (the password), without its newline. */
static char *read_secret_line(void)
{
	struct buf b = BUF_INIT;
	int c;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	while ((c = getchar()) != EOF && c != '\n')
		buf_addch(&b, (char)c);
	if (b.len && b.data[b.len - 1] == '\r')
		buf_truncate(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

int cmd_user(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *login = opt(argc, argv, "--login");
	const char *sub = argc > 1 ? argv[1] : "";
	struct db *db;
	char *password;
	bool ok;

	if (!login || (strcmp(sub, "add") && strcmp(sub, "password"))
	    || (!strcmp(sub, "add") && !opt(argc, argv, "--role"))) {
		fprintf(stderr, "usage: hotline user add --login L --role R [--department CODE] [--name NAME]  (password on stdin)\n"
				"       hotline user password --login L  (password on stdin)\n");
		return 2;
	}
	if (!(db = connect_or_say(cfg, "user")))
		return 1;
	password = read_secret_line();
	if (!strcmp(sub, "add"))
		ok = auth_user_add(db, login, opt(argc, argv, "--role"), opt(argc, argv, "--department"),
				   opt(argc, argv, "--name"), password, &e);
	else
		ok = auth_user_password(db, login, password, NULL, &e);
	sodium_memzero(password, strlen(password));
	free(password);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "hotline user %s: %s\n", sub, e.message);
		return 1;
	}
	printf("%s %s\n", !strcmp(sub, "add") ? "created user" : "changed the password of", login);
	return 0;
}

/* `hotline token list [--login L]`: one line a token, with its last use. */
static int token_list(struct db *db, const char *login)
{
	struct err e = ERR_INIT;
	json_object *list = auth_token_list(db, login, &e);

	if (!list) {
		fprintf(stderr, "hotline token list: %s\n", e.message);
		return 1;
	}
	printf("%-6s %-20s %-20s %-10s %-25s %-25s %s\n", "id", "login", "name", "channel",
	       "created", "last used", "revoked");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *t = json_object_array_get_idx(list, i);
		const char *channel = json_str(t, "channel"), *used = json_str(t, "last_used_at");
		const char *revoked = json_str(t, "revoked_at");

		printf("%-6lld %-20s %-20s %-10s %-25s %-25s %s\n",
		       (long long)json_object_get_int64(json_object_object_get(t, "id")),
		       json_str(t, "login"), *json_str(t, "name") ? json_str(t, "name") : "-",
		       channel ? channel : "-", json_str(t, "created_at"), used ? used : "never",
		       revoked ? revoked : "-");
	}
	json_object_put(list);
	return 0;
}

int cmd_token(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *login = opt(argc, argv, "--login"), *id = opt(argc, argv, "--id");
	const char *sub = argc > 1 ? argv[1] : "";
	char token[AUTH_SECRET_HEX];
	long long n = 0;
	struct db *db;
	int rc = 0;

	if ((!strcmp(sub, "create") && !login) || (!strcmp(sub, "revoke") && !num_parse_ll(id, 1, LLONG_MAX, &n))
	    || (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))) {
		fprintf(stderr, "usage: hotline token create --login L [--name NAME]\n"
				"       hotline token list [--login L]\n"
				"       hotline token revoke --id N\n");
		return 2;
	}
	if (!(db = connect_or_say(cfg, "token")))
		return 1;
	if (!strcmp(sub, "list")) {
		rc = token_list(db, login);
	} else if (!strcmp(sub, "revoke")) {
		if (auth_token_revoke(db, n, &e))
			printf("revoked token %lld\n", n);
		else
			rc = 1;
	} else if (auth_token_create(db, login, opt(argc, argv, "--name"), token, &e)) {
		printf("%s\n", token);
	} else {
		rc = 1;
	}
	db_close(db);
	if (rc && err_isset(&e))
		fprintf(stderr, "hotline token %s: %s\n", sub, e.message);
	return rc;
}

/*
 * Reads the file at `file` and imports it with `import` (a directory CSV
 * import). Returns the number of rows or -1 with `e`.
 */
static long import_file(struct db *db, const char *file,
			long (*import)(struct db *, const char *, const char *, size_t, struct err *),
			struct err *e)
{
	struct buf text = BUF_INIT;
	long count = -1;

	if (buf_read_file(&text, file, e))
		count = import(db, file, text.data, text.len, e);
	buf_release(&text);
	return count;
}

long app_import_departments(struct db *db, const char *file, struct err *e)
{
	return import_file(db, file, departments_import_csv, e);
}

long app_import_categories(struct db *db, const char *file, struct err *e)
{
	return import_file(db, file, categories_import_csv, e);
}

static int import_command(struct config *cfg, int argc, char **argv, const char *what,
			  long (*import)(struct db *, const char *, struct err *))
{
	struct err e = ERR_INIT;
	struct db *db;
	long n;

	if (argc != 3 || strcmp(argv[1], "import")) {
		fprintf(stderr, "usage: hotline %s import FILE.csv\n", what);
		return 2;
	}
	if (!(db = connect_or_say(cfg, what)))
		return 1;
	n = import(db, argv[2], &e);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "hotline %s import: %s\n", what, e.message);
		return 1;
	}
	printf("imported %ld %s rows from %s\n", n, what, argv[2]);
	return 0;
}

int cmd_department(struct config *cfg, int argc, char **argv)
{
	return import_command(cfg, argc, argv, "department", app_import_departments);
}

int cmd_category(struct config *cfg, int argc, char **argv)
{
	return import_command(cfg, argc, argv, "category", app_import_categories);
}

int cmd_calendar(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct db *db;
	int status = 1;

	if (argc < 3 || strcmp(argv[1], "import")) {
		fprintf(stderr, "usage: hotline calendar import FILE.json...\n");
		return 2;
	}
	if (!(db = connect_or_say(cfg, "calendar")) || !db_begin(db, &e))
		goto out;
	for (int i = 2; i < argc; i++) {
		struct buf text = BUF_INIT;
		int year = 0;
		struct recompute_summary sum = { 0 };
		bool ok = buf_read_file(&text, argv[i], &e)
			  && holidays_store(db, text.data, text.len, &year, &sum, &e);
		buf_release(&text);
		if (!ok) {
			fprintf(stderr, "hotline calendar import: %s: %s\n", argv[i], e.message);
			err_clear(&e);
			goto out;
		}
		printf("loaded the official calendar for %d from %s: the deadlines of %ld orders moved\n",
		       year, argv[i], sum.moved);
		if (sum.reconstructed || sum.kept)
			printf("  clocks from before clocks were recorded: %ld reconstructed, %ld kept as they"
			       " were (extended, suspended or under a since-changed policy)\n",
			       sum.reconstructed, sum.kept);
		printf("  callback due times moved: %ld; handling times of completed orders"
		       " recomputed: %ld\n", sum.callbacks_moved, sum.handling);
	}
	if (db_commit(db, &e))
		status = 0;
out:
	if (db) {
		db_rollback(db);
		db_close(db);
	}
	if (status && e.status)
		fprintf(stderr, "hotline calendar import: %s\n", e.message);
	return status;
}

int cmd_deadline(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *from = opt(argc, argv, "--from");
	const char *workdays = opt(argc, argv, "--workdays");
	const char *hours = opt(argc, argv, "--hours");
	char iso[TIMEUTIL_ISO_LEN], *end;
	struct db *db;
	time_t t, due;
	long n;
	int y;

	if (!from || !workdays == !hours) {
		fprintf(stderr, "usage: hotline deadline --from ISO_TIME (--workdays N | --hours H)\n");
		return 2;
	}
	if (!time_parse_iso(from, &t, "--from", &e)) {
		fprintf(stderr, "hotline deadline: %s\n", e.message);
		return 2;
	}
	n = strtol(workdays ? workdays : hours, &end, 10);
	if (*end || n < 1 || n > 10000) {
		fprintf(stderr, "hotline deadline: invalid value \"%s\" for %s: expected a whole number from 1 to 10000\n",
			workdays ? workdays : hours, workdays ? "--workdays" : "--hours");
		return 2;
	}
	if (!(db = connect_or_say(cfg, "deadline")))
		return 1;
	if (!deadline_calendar_load(db, &e)) {
		fprintf(stderr, "hotline deadline: %s\n", e.message);
		db_close(db);
		return 1;
	}
	db_close(db);
	due = deadline_add(t, (int)n, workdays ? UNIT_WORKDAYS : UNIT_HOURS);
	if (workdays && (y = deadline_first_provisional(t, due)) != 0)
		fprintf(stderr, "warning: no official holiday notice for %d: the deadline is provisional"
			" (%s, no make-up working days)\n", y,
			y >= CALENDAR_LAW_FIRST_YEAR && y <= CALENDAR_LAW_LAST_YEAR
				? "the statutory holidays counted" : "weekends only");
	time_format_iso(due, iso);
	printf("%s\n", iso);
	return 0;
}
