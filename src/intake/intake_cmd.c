#include "intake/intake_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/csv.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "intake/events.h"
#include "intake/import.h"
#include "intake/stats.h"

/* Rejects shown on stderr per file; the rejects file has them all. */
#define REJECTS_SHOWN 100
/* Rejects kept in detail for the rejects file; the rest are counted. */
#define REJECTS_KEPT 100000

/* Finds "--name value" in argv; NULL if absent. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static struct db *connect_or_say(const char *cmd)
{
	struct err e = ERR_INIT;
	struct db *db = db_connect(db_conninfo(), &e);

	if (!db)
		fprintf(stderr, "hotline %s: cannot connect to the database: %s\n", cmd, e.message);
	return db;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- import-calls ---- */

/* A FILE source that counts the bytes read, for the progress line. The
 * import's reading thread adds to `read` while the progress callback reads
 * it: both atomically. */
struct counted_file {
	FILE *f;
	unsigned long long read, size;
};

static long counted_read(void *ctx, char *dst, size_t n, struct err *e)
{
	struct counted_file *cf = ctx;
	size_t got = fread(dst, 1, n, cf->f);

	if (got == 0 && ferror(cf->f))
		return err_set(e, 500, ERR_IO, "cannot read: %s", strerror(errno)), -1;
	__atomic_fetch_add(&cf->read, (unsigned long long)got, __ATOMIC_RELAXED);
	return (long)got;
}

struct import_run {
	const char *path;
	struct counted_file src;
	bool tty;
	double started, shown;
	unsigned long rejects;
	struct buf kept;		/* "line\tfield\treason\n" of the first REJECTS_KEPT */
};

static void on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
	struct import_run *run = ctx;

	if (run->rejects < REJECTS_SHOWN) {
		if (run->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "%s: line %lu: %s\n", run->path, line, reason);
	}
	if (run->rejects < REJECTS_KEPT) {
		buf_addf(&run->kept, "%lu\t%s\t", line, field);
		for (const char *p = reason; *p; p++)
			buf_addch(&run->kept, *p == '\t' || *p == '\n' ? ' ' : *p);
		buf_addch(&run->kept, '\n');
	}
	run->rejects++;
}

static void on_progress(void *ctx, const struct call_import_result *so_far)
{
	struct import_run *run = ctx;
	double now = now_seconds();

	if (!run->tty || now - run->shown < 0.25)
		return;
	run->shown = now;
	fprintf(stderr, "\r\033[K%s: %lu records", run->path, so_far->records);
	if (run->src.size)
		fprintf(stderr, ", %.0f%%", 100.0 * (double)__atomic_load_n(&run->src.read, __ATOMIC_RELAXED)
			/ (double)run->src.size);
	if (now > run->started)
		fprintf(stderr, ", %.0f records/s", (double)so_far->records / (now - run->started));
	fflush(stderr);
}

/*
 * Writes PATH.rejects: a header, then per kept reject its line, field,
 * reason and the text of that line of the input (read again). Returns the
 * rejects file's name (malloc'd) or NULL after saying why on stderr.
 */
static char *write_rejects(struct import_run *run)
{
	char *name = xasprintf("%s.rejects", run->path);
	FILE *in = fopen(run->path, "rb"), *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned long at = 0;
	const char *p = run->kept.data;

	if (!in || !(out = fopen(name, "w"))) {
		fprintf(stderr, "hotline import-calls: cannot write the rejects of %s to %s: %s\n",
			run->path, name, strerror(errno));
		if (in)
			fclose(in);
		free(name);
		return NULL;
	}
	fprintf(out, "# records of %s that were not imported (hotline import-calls)\n"
		     "# line\tfield\treason\ttext of the line\n", run->path);
	while (*p) {
		const char *nl = strchr(p, '\n');
		unsigned long want = strtoul(p, NULL, 10);
		ssize_t n = 0;

		while (at < want && (n = getline(&line, &cap, in)) >= 0)
			at++;
		if (at < want)
			n = 0;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		fprintf(out, "%.*s\t%s\n", (int)(nl - p), p, n > 0 ? line : "");
		p = nl + 1;
	}
	if (run->rejects > REJECTS_KEPT)
		fprintf(out, "# … and %lu more rejects, not listed\n", run->rejects - REJECTS_KEPT);
	free(line);
	fclose(in);
	if (fclose(out) != 0) {
		fprintf(stderr, "hotline import-calls: cannot write %s: %s\n", name, strerror(errno));
		free(name);
		return NULL;
	}
	return name;
}

/* Imports one file; returns false if it could not be imported. */
static bool import_one(struct db *db, const char *path, enum cdr_format format, size_t batch)
{
	struct cdr_options ropt = CDR_OPTIONS_INIT;
	struct import_run run = { .path = path, .tty = isatty(STDERR_FILENO), .kept = BUF_INIT };
	struct call_import_options iopt = {
		.settings = intake_settings(), .batch_records = batch,
		.on_reject = on_reject, .on_progress = on_progress, .ctx = &run,
	};
	struct call_import_result res;
	struct err e = ERR_INIT;
	struct cdr_source source = { counted_read, &run.src };
	struct cdr_reader *r;
	bool is_stdin = !strcmp(path, "-");
	char *rejects_file = NULL;
	struct stat st;
	bool ok;
	double took;

	run.src.f = is_stdin ? stdin : fopen(path, "rb");
	if (!run.src.f) {
		fprintf(stderr, "hotline import-calls: cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!fstat(fileno(run.src.f), &st) && S_ISREG(st.st_mode))
		run.src.size = (unsigned long long)st.st_size;
	ropt.format = format;
	r = cdr_reader_new_source(&source, &ropt);
	run.started = run.shown = now_seconds();
	ok = call_import(db, r, &iopt, &res, &e);
	took = now_seconds() - run.started;
	cdr_reader_free(r);
	if (!is_stdin)
		fclose(run.src.f);
	if (run.tty)
		fputs("\r\033[K", stderr);
	if (run.rejects > REJECTS_SHOWN)
		fprintf(stderr, "%s: … %lu more rejects\n", path, run.rejects - REJECTS_SHOWN);
	if (run.rejects && !is_stdin)
		rejects_file = write_rejects(&run);
	printf("%s: imported %lu, duplicates %lu, rejected %lu (%s, %lu records in %.1f s, %.0f records/s)",
	       path, res.imported, res.duplicates, res.rejected, call_import_format_name(res.format),
	       res.records, took, took > 0 ? (double)res.records / took : 0.0);
	if (rejects_file)
		printf("; rejects in %s", rejects_file);
	printf("\n");
	fflush(stdout);
	if (!ok)
		fprintf(stderr, "hotline import-calls: %s: %s%s\n", path, e.message,
			res.records ? " (the batches before were imported)" : "");
	free(rejects_file);
	buf_release(&run.kept);
	return ok;
}

int intake_cmd_import_calls(struct config *cfg, int argc, char **argv)
{
	static const char usage[] =
		"usage: hotline import-calls [--format auto|asterisk-cdr|asterisk-queue-log|freeswitch-cdr]\n"
		"                            [--batch N] FILE...   (FILE - reads stdin)\n";
	enum cdr_format format = CDR_AUTO;
	size_t batch = 0;
	int first = 1, failed = 0;
	struct db *db;

	(void)cfg;
	while (first < argc && !strncmp(argv[first], "--", 2)) {
		if (!strcmp(argv[first], "--format") && first + 1 < argc) {
			if (!call_import_format_parse(argv[first + 1], &format)) {
				fprintf(stderr, "hotline import-calls: unknown format \"%s\"\n%s", argv[first + 1], usage);
				return 2;
			}
		} else if (!strcmp(argv[first], "--batch") && first + 1 < argc) {
			char *end;
			long n = strtol(argv[first + 1], &end, 10);
			if (*end || n < 1 || n > 10000000) {
				fprintf(stderr, "hotline import-calls: --batch \"%s\" must be 1 to 10000000\n", argv[first + 1]);
				return 2;
			}
			batch = (size_t)n;
		} else {
			fputs(usage, stderr);
			return 2;
		}
		first += 2;
	}
	if (first >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (!(db = connect_or_say("import-calls")))
		return 1;
	for (int i = first; i < argc; i++)
		failed += !import_one(db, argv[i], format, batch);
	db_close(db);
	return failed ? 1 : 0;
}

/* ---- report calls ---- */

/* A rate member as a percentage ("96.26%"), "-" when null. */
static void add_percent(struct buf *out, json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && v)
		buf_addf(out, "%.2f%%", json_object_get_double(v) * 100);
	else
		buf_adds(out, "-");
}

static void add_number(struct buf *out, json_object *o, const char *key, const char *unit)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && v)
		buf_addf(out, "%s%s", json_object_get_string(v), unit);
	else
		buf_adds(out, "-");
}

static const char *const report_keys[] = {
	"offered", "answered", "abandoned", "short_abandoned", "connection_rate",
	"service_level_15s", "abandon_rate", "avg_wait_s", "avg_talk_s",
	"worst_24h_connection_rate", "worst_24h_from",
};

static void report_table_row(struct buf *out, const char *label, json_object *o)
{
	struct buf cell = BUF_INIT;

	buf_addf(out, "%-25s", label);
	for (size_t i = 0; i < 4; i++)
		buf_addf(out, " %9lld", (long long)json_int(o, report_keys[i], 0));
	for (size_t i = 4; i < 7; i++) {
		buf_reset(&cell);
		add_percent(&cell, o, report_keys[i]);
		buf_addf(out, " %8s", cell.data);
	}
	for (size_t i = 7; i < 9; i++) {
		buf_reset(&cell);
		add_number(&cell, o, report_keys[i], " s");
		buf_addf(out, " %9s", cell.data);
	}
	buf_reset(&cell);
	add_percent(&cell, o, "worst_24h_connection_rate");
	buf_addf(out, " %9s\n", cell.data);
	buf_release(&cell);
}

static void report_table(struct buf *out, json_object *rep)
{
	json_object *rows = json_object_object_get(rep, "rows");
	json_object *total = json_object_object_get(rep, "total");
	json_object *worst, *meets;

	buf_addf(out, "calls from %s to %s", json_str(rep, "from"), json_str(rep, "to"));
	if (json_str(rep, "dialled"))
		buf_addf(out, ", dialled %s", json_str(rep, "dialled"));
	if (json_str(rep, "queue"))
		buf_addf(out, ", queue %s", json_str(rep, "queue"));
	buf_addf(out, "\n%-25s %9s %9s %9s %9s %8s %8s %8s %9s %9s %9s\n", "bucket", "offered",
		 "answered", "abandoned", "short", "conn.", "SL 15s", "abandon", "avg wait",
		 "avg talk", "worst 24h");
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		report_table_row(out, json_str(row, "bucket"), row);
	}
	report_table_row(out, "total", total);
	worst = json_object_object_get(total, "worst_24h_connection_rate");
	meets = json_object_object_get(total, "meets_standard");
	if (worst) {
		buf_addf(out, "worst continuous 24 hours: %.2f%% from %s, %s the GB/T 33358 line of 95%%\n",
			 json_object_get_double(worst) * 100, json_str(total, "worst_24h_from"),
			 json_object_get_boolean(meets) ? "meeting" : "BELOW");
	} else {
		buf_adds(out, "worst continuous 24 hours: no 24-hour window with offered calls in the range\n");
	}
}

static void report_csv(struct buf *out, json_object *rep)
{
	json_object *rows = json_object_object_get(rep, "rows");

	buf_adds(out, "bucket");
	for (size_t k = 0; k < ARRAY_SIZE(report_keys); k++)
		buf_addf(out, ",%s", report_keys[k]);
	buf_addch(out, '\n');
	for (size_t i = 0; i <= json_object_array_length(rows); i++) {
		bool total = i == json_object_array_length(rows);
		json_object *row = total ? json_object_object_get(rep, "total")
					 : json_object_array_get_idx(rows, i);
		csv_add_field(out, total ? "total" : json_str(row, "bucket"));
		for (size_t k = 0; k < ARRAY_SIZE(report_keys); k++) {
			json_object *v = json_object_object_get(row, report_keys[k]);
			buf_addch(out, ',');
			if (v)
				csv_add_field(out, json_object_get_string(v));
		}
		buf_addch(out, '\n');
	}
}

int intake_cmd_report(struct config *cfg, int argc, char **argv)
{
	static const char usage[] =
		"usage: hotline report calls --from ISO --to ISO [--granularity hour|day|month]\n"
		"                            [--dialled NUMBER] [--queue QUEUE]\n"
		"                            [--short-abandons count|exclude] [--format table|json|csv]\n";
	const struct intake_settings *s = intake_settings();
	struct call_stats_query q = {
		.granularity = CALL_BY_DAY,
		.short_abandons_offered = s->short_abandons_offered,
		.short_abandon_seconds = s->short_abandon_seconds,
		.window_min_offered = s->window_min_offered,
	};
	const char *from = opt(argc, argv, "--from"), *to = opt(argc, argv, "--to");
	const char *gran = opt(argc, argv, "--granularity"), *format = opt(argc, argv, "--format");
	const char *shorts = opt(argc, argv, "--short-abandons");
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *rep;
	struct db *db;

	(void)cfg;
	if (argc < 2 || strcmp(argv[1], "calls") || !from || !to
	    || (gran && !call_granularity_parse(gran, &q.granularity))
	    || (format && strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv"))
	    || (shorts && strcmp(shorts, "count") && strcmp(shorts, "exclude"))) {
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 2; i < argc; i += 2) {
		static const char *const known[] = { "--from", "--to", "--granularity", "--format",
						     "--short-abandons", "--dialled", "--queue" };
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(known); k++)
			ok |= !strcmp(argv[i], known[k]);
		if (!ok || i + 1 >= argc) {
			fprintf(stderr, "hotline report calls: unexpected argument \"%s\"\n%s", argv[i], usage);
			return 2;
		}
	}
	if (shorts)
		q.short_abandons_offered = !strcmp(shorts, "count");
	q.dialled = opt(argc, argv, "--dialled");
	q.queue = opt(argc, argv, "--queue");
	if (!time_parse_iso(from, &q.from, "--from", &e) || !time_parse_iso(to, &q.to, "--to", &e)) {
		fprintf(stderr, "hotline report calls: %s\n", e.message);
		return 2;
	}
	if (!(db = connect_or_say("report calls")))
		return 1;
	rep = call_stats(db, &q, &e);
	db_close(db);
	if (!rep) {
		fprintf(stderr, "hotline report calls: %s\n", e.message);
		return e.status == 422 ? 2 : 1;
	}
	if (format && !strcmp(format, "json")) {
		buf_adds(&out, json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
							      | JSON_C_TO_STRING_NOSLASHESCAPE));
		buf_addch(&out, '\n');
	} else if (format && !strcmp(format, "csv")) {
		report_csv(&out, rep);
	} else {
		report_table(&out, rep);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
	json_object_put(rep);
	return 0;
}

/* ---- calls extension / rebuild ---- */

int intake_cmd_calls(struct config *cfg, int argc, char **argv)
{
	static const char usage[] =
		"usage: hotline calls extension --login L --extension E\n"
		"       hotline calls rebuild\n";
	const char *sub = argc > 1 ? argv[1] : "";
	struct err e = ERR_INIT;
	struct db *db;

	(void)cfg;
	if (!strcmp(sub, "extension") && argc == 6 && opt(argc, argv, "--login")
	    && opt(argc, argv, "--extension")) {
		const char *login = opt(argc, argv, "--login"), *ext = opt(argc, argv, "--extension");
		if (!(db = connect_or_say("calls extension")))
			return 1;
		bool ok = agent_extension_set(db, login, ext, &e);
		db_close(db);
		if (!ok) {
			fprintf(stderr, "hotline calls extension: %s\n", e.message);
			return 1;
		}
		printf("%s answers extension %s\n", login, ext);
		return 0;
	}
	if (!strcmp(sub, "rebuild") && argc == 2) {
		if (!(db = connect_or_say("calls rebuild")))
			return 1;
		long n = call_rollups_rebuild(db, intake_settings(), &e);
		db_close(db);
		if (n < 0) {
			fprintf(stderr, "hotline calls rebuild: %s\n", e.message);
			return 1;
		}
		printf("rebuilt the call statistics: %ld hourly rows\n", n);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}
