/*
 * Administration from the command line: users, tokens, departments,
 * categories, the holiday calendar, and the deadline calculator.
 * Every import is one transaction: a bad line names itself and nothing
 * of the file is applied.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "auth/auth.h"
#include "calendar/calendar.h"
#include "core/csv.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "orders/deadline.h"
#include "orders/recompute.h"

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
		ok = auth_user_password(db, login, password, &e);
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

int cmd_token(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *login = opt(argc, argv, "--login");
	char token[AUTH_SECRET_HEX];
	struct db *db;
	bool ok;

	if (argc < 2 || strcmp(argv[1], "create") || !login) {
		fprintf(stderr, "usage: hotline token create --login L [--name NAME]\n");
		return 2;
	}
	if (!(db = connect_or_say(cfg, "token")))
		return 1;
	ok = auth_token_create(db, login, opt(argc, argv, "--name"), token, &e);
	db_close(db);
	if (!ok) {
		fprintf(stderr, "hotline token create: %s\n", e.message);
		return 1;
	}
	printf("%s\n", token);
	return 0;
}

/* Column positions of a CSV header; -1 for absent optional columns. */
static bool csv_columns(const struct csv_row *row, const char *const *names, int *pos,
			size_t n, size_t required, const char *file, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		pos[i] = -1;
		for (size_t k = 0; k < row->n; k++)
			if (!strcmp(row->fields[k], names[i]))
				pos[i] = (int)k;
		if (pos[i] < 0 && i < required)
			return err_set(e, 400, ERR_BAD_CSV, "%s: line %d: the header has no column \"%s\"",
				       file, row->line, names[i]);
	}
	return true;
}

static const char *cell(const struct csv_row *row, int pos)
{
	return pos >= 0 && (size_t)pos < row->n && row->fields[pos][0] ? row->fields[pos] : NULL;
}

static const char recompute_paths_sql[] =
	"WITH RECURSIVE t AS ("
	" SELECT id, '/' || id || '/' AS path FROM department WHERE parent_id IS NULL"
	" UNION ALL SELECT d.id, t.path || d.id || '/' FROM department d JOIN t ON d.parent_id = t.id)"
	" UPDATE department d SET path = t.path FROM t WHERE d.id = t.id AND d.path <> t.path";

/*
 * Imports the CSV text `text` (`len` bytes, named `file` in messages) row
 * by row with `row_fn`, in one transaction. Returns the number of rows or
 * -1 (with `e` naming file and line).
 */
static long import_csv_text(struct db *db, const char *file, const char *text, size_t len,
			    const char *const *cols, size_t ncols, size_t required,
			    bool (*row_fn)(struct db *db, const struct csv_row *row, const int *pos,
					   struct err *e),
			    struct err *e)
{
	struct csv_reader r;
	struct csv_row row = CSV_ROW_INIT;
	int pos[16];
	long count = -1, n = 0;
	int rc;

	csv_reader_init(&r, text, len);
	rc = csv_next(&r, &row, e);
	if (rc == 0)
		err_set(e, 400, ERR_BAD_CSV, "%s: the file is empty: a header row is required", file);
	if (rc <= 0 || !csv_columns(&row, cols, pos, ncols, required, file, e) || !db_begin(db, e))
		goto out;
	while ((rc = csv_next(&r, &row, e)) > 0) {
		if (!row_fn(db, &row, pos, e)) {
			err_at_line(e, file, row.line);
			goto out;
		}
		n++;
	}
	if (rc < 0) {
		err_prefix(e, "%s: ", file);
		goto out;
	}
	if (!db_run(db, recompute_paths_sql, 0, NULL, e) || !db_commit(db, e))
		goto out;
	count = n;
out:
	if (count < 0)
		db_rollback(db);
	csv_row_release(&row);
	return count;
}

/* import_csv_text() over the file at `file`. */
static long import_csv(struct db *db, const char *file, const char *const *cols, size_t ncols,
		       size_t required,
		       bool (*row_fn)(struct db *db, const struct csv_row *row, const int *pos,
				      struct err *e),
		       struct err *e)
{
	struct buf text = BUF_INIT;
	long count = -1;

	if (buf_read_file(&text, file, e))
		count = import_csv_text(db, file, text.data, text.len, cols, ncols, required, row_fn, e);
	buf_release(&text);
	return count;
}

static bool department_row(struct db *db, const struct csv_row *row, const int *pos, struct err *e)
{
	static const char *const kinds[] = { "city", "district", "street", "unit" };
	const char *code = cell(row, pos[0]), *name = cell(row, pos[1]), *kind = cell(row, pos[2]);
	const char *parent = cell(row, pos[3]), *active = cell(row, pos[6]);
	bool kind_ok = false;
	struct db_res *r;

	if (!code)
		return err_field(e, 422, "code", ERR_REQUIRED, "field \"code\" is empty");
	if (!name)
		return err_field(e, 422, "name", ERR_REQUIRED, "field \"name\" is empty");
	for (size_t i = 0; kind && i < 4; i++)
		kind_ok |= !strcmp(kind, kinds[i]);
	if (!kind_ok)
		return err_field(e, 422, "kind", ERR_UNKNOWN_CHOICE, "field \"kind\": unknown kind \"%s\": expected city, district, street or unit",
				 kind ? kind : "");
	if (active && strcmp(active, "true") && strcmp(active, "false"))
		return err_field(e, 422, "active", ERR_NOT_BOOLEAN, "field \"active\": \"%s\" is not true or false", active);
	r = DB_EXEC(db, e,
		    "INSERT INTO department (code, name, kind, parent_id, contact, phone, active)"
		    " SELECT $1, $2, $3, p.id, coalesce($5, ''), coalesce($6, ''), coalesce($7::boolean, true)"
		    " FROM (SELECT 1) one LEFT JOIN department p ON p.code = $4"
		    " WHERE $4 IS NULL OR p.id IS NOT NULL"
		    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
		    " parent_id = EXCLUDED.parent_id, contact = EXCLUDED.contact, phone = EXCLUDED.phone,"
		    " active = EXCLUDED.active RETURNING id",
		    code, name, kind, parent, cell(row, pos[4]), cell(row, pos[5]), active);
	if (!r) {
		if (e->code == ERR_CONSTRAINT)
			err_field(e, 422, "code", ERR_BAD_CODE, "field \"code\": invalid code \"%s\" (1 to 32 letters, digits, _ or -)", code);
		return false;
	}
	bool ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "parent", ERR_UNKNOWN_PARENT, "field \"parent\": unknown department \"%s\" (list parents before their children)",
				 parent);
	return true;
}

static bool category_row(struct db *db, const struct csv_row *row, const int *pos, struct err *e)
{
	const char *code = cell(row, pos[0]), *name = cell(row, pos[1]), *parent = cell(row, pos[2]);
	struct db_res *r;

	if (!code)
		return err_field(e, 422, "code", ERR_REQUIRED, "field \"code\" is empty");
	if (!name)
		return err_field(e, 422, "name", ERR_REQUIRED, "field \"name\" is empty");
	r = DB_EXEC(db, e,
		    "INSERT INTO category (code, name, parent_code)"
		    " SELECT $1, $2, p.code FROM (SELECT 1) one LEFT JOIN category p ON p.code = $3"
		    " WHERE $3 IS NULL OR p.code IS NOT NULL"
		    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code"
		    " RETURNING code",
		    code, name, parent);
	if (!r) {
		if (e->code == ERR_CONSTRAINT)
			err_field(e, 422, "code", ERR_BAD_CODE, "field \"code\": invalid code \"%s\" (2 to 12 letters or digits)", code);
		return false;
	}
	bool ok = db_res_rows(r) == 1;
	db_res_free(r);
	if (!ok)
		return err_field(e, 422, "parent", ERR_UNKNOWN_PARENT, "field \"parent\": unknown category \"%s\" (list parents before their children)",
				 parent);
	return true;
}

static int import_command(struct config *cfg, int argc, char **argv, const char *what,
			  const char *const *cols, size_t ncols, size_t required,
			  bool (*row_fn)(struct db *, const struct csv_row *, const int *, struct err *))
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
	n = import_csv(db, argv[2], cols, ncols, required, row_fn, &e);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "hotline %s import: %s\n", what, e.message);
		return 1;
	}
	printf("imported %ld %s rows from %s\n", n, what, argv[2]);
	return 0;
}

static const char *const department_cols[] = { "code", "name", "kind", "parent", "contact", "phone", "active" };
static const char *const category_cols[] = { "code", "name", "parent" };

long app_import_departments(struct db *db, const char *file, struct err *e)
{
	return import_csv(db, file, department_cols, 7, 3, department_row, e);
}

long app_import_categories(struct db *db, const char *file, struct err *e)
{
	return import_csv(db, file, category_cols, 3, 2, category_row, e);
}

long app_import_departments_text(struct db *db, const char *name, const char *text, size_t len,
				 struct err *e)
{
	return import_csv_text(db, name, text, len, department_cols, 7, 3, department_row, e);
}

long app_import_categories_text(struct db *db, const char *name, const char *text, size_t len,
				struct err *e)
{
	return import_csv_text(db, name, text, len, category_cols, 3, 2, category_row, e);
}

int cmd_department(struct config *cfg, int argc, char **argv)
{
	return import_command(cfg, argc, argv, "department", department_cols, 7, 3, department_row);
}

int cmd_category(struct config *cfg, int argc, char **argv)
{
	return import_command(cfg, argc, argv, "category", category_cols, 3, 2, category_row);
}

/* Stores one validated year file. */
static bool calendar_store(struct db *db, json_object *doc, int year, struct err *e)
{
	json_object *days = json_object_object_get(doc, "days");
	json_object *papers = json_object_object_get(doc, "papers");
	char y[16];

	snprintf(y, sizeof(y), "%d", year);
	for (size_t i = 0; i < json_object_array_length(days); i++) {
		json_object *d = json_object_array_get_idx(days, i);
		if (!DB_RUN(db, e,
			    "INSERT INTO calendar_day (day, off_day, name) VALUES ($1::date, $2::boolean, $3)"
			    " ON CONFLICT (day) DO UPDATE SET off_day = EXCLUDED.off_day, name = EXCLUDED.name",
			    json_str(d, "date"),
			    json_object_get_boolean(json_object_object_get(d, "isOffDay")) ? "true" : "false",
			    json_str(d, "name")))
			return false;
	}
	return DB_RUN(db, e,
		      "INSERT INTO calendar_year (year, source) VALUES ($1::integer, $2)"
		      " ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now()",
		      y, json_object_array_length(papers)
			      ? json_object_get_string(json_object_array_get_idx(papers, 0)) : "");
}

bool app_calendar_import_text(struct db *db, const char *text, size_t len, int *year, long *moved,
			      struct err *e)
{
	struct calendar *check = calendar_new();
	json_object *doc = NULL;
	bool ok = calendar_load_json(check, text, len, year, e)
		  && json_parse_object(text, len, &doc, e)
		  && db_begin(db, e);

	if (ok) {
		ok = calendar_store(db, doc, *year, e) && orders_recompute_year(db, *year, moved, e)
		     && db_commit(db, e);
		if (!ok)
			db_rollback(db);
	}
	json_object_put(doc);
	calendar_free(check);
	return ok;
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
		struct calendar *check = calendar_new();
		json_object *doc = NULL;
		int year = 0;
		long moved = 0;
		bool ok = buf_read_file(&text, argv[i], &e)
			  && calendar_load_json(check, text.data, text.len, &year, &e)
			  && json_parse_object(text.data, text.len, &doc, &e)
			  && calendar_store(db, doc, year, &e)
			  && orders_recompute_year(db, year, &moved, &e);
		json_object_put(doc);
		calendar_free(check);
		buf_release(&text);
		if (!ok) {
			fprintf(stderr, "hotline calendar import: %s: %s\n", argv[i], e.message);
			err_clear(&e);
			goto out;
		}
		printf("loaded the official calendar for %d from %s: the deadlines of %ld orders moved\n",
		       year, argv[i], moved);
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
