#include "supervision/report_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonutil.h"
#include "db/db.h"
#include "orders/deadline.h"
#include "supervision/export.h"
#include "supervision/stats.h"
#include "supervision/sv_private.h"

const char report_usage[] =
	"usage: hotline report orders --from ISO --to ISO [--by KIND] [--format table|json|csv]\n"
	"       hotline report ranking --from ISO --to ISO [--format table|json|csv]\n"
	"       hotline report rebuild [--all-handling]\n"
	"KIND: department (default), category, district, channel, request_type\n";

struct report_args {
	const char *from, *to, *by, *format;
	bool all_handling;
};

static bool parse_args(int argc, char **argv, struct report_args *a)
{
	memset(a, 0, sizeof(*a));
	a->by = "department";
	a->format = "table";
	for (int i = 2; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--from") ? &a->from
				    : !strcmp(argv[i], "--to") ? &a->to
				    : !strcmp(argv[i], "--by") ? &a->by
				    : !strcmp(argv[i], "--format") ? &a->format : NULL;
		if (!strcmp(argv[i], "--all-handling")) {
			a->all_handling = true;
		} else if (slot && i + 1 < argc) {
			*slot = argv[++i];
		} else {
			fprintf(stderr, "hotline report: unexpected argument \"%s\"\n", argv[i]);
			return false;
		}
	}
	if (strcmp(a->format, "table") && strcmp(a->format, "json") && strcmp(a->format, "csv")) {
		fprintf(stderr, "hotline report: unknown format \"%s\": expected table, json or csv\n", a->format);
		return false;
	}
	return true;
}

static void print_report(json_object *report, const char *format, bool ranking)
{
	struct buf out = BUF_INIT;

	if (!strcmp(format, "json"))
		buf_adds(&out, json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY
								      | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!strcmp(format, "csv"))
		(ranking ? export_ranking_csv : export_orders_csv)(report, &out);
	else
		(ranking ? export_ranking_table : export_orders_table)(report, &out);
	if (strcmp(format, "csv") && (!out.len || out.data[out.len - 1] != '\n'))
		buf_addch(&out, '\n');
	fwrite(out.data, 1, out.len, stdout);
	buf_release(&out);
}

static int run_report(struct db *db, const char *what, const struct report_args *a)
{
	struct err e = ERR_INIT;
	time_t from, to;
	json_object *report;
	int kind = stats_kind_parse(a->by);

	if (!sv_parse_time(a->from, "--from", true, &from, &e) || !sv_parse_time(a->to, "--to", true, &to, &e)) {
		fprintf(stderr, "hotline report: %s\n", e.message);
		return 2;
	}
	if (kind < 0) {
		fprintf(stderr, "hotline report: unknown --by \"%s\": expected department, category, district, channel or request_type\n",
			a->by);
		return 2;
	}
	if (!strcmp(what, "ranking"))
		report = stats_ranking(db, from, to, &e);
	else
		report = stats_orders(db, from, to, (enum stat_kind)kind, &e);
	if (!report) {
		fprintf(stderr, "hotline report %s: %s\n", what, e.message);
		return e.status == 400 ? 2 : 1;
	}
	print_report(report, a->format, !strcmp(what, "ranking"));
	json_object_put(report);
	return 0;
}

static int run_rebuild(struct db *db, const struct report_args *a)
{
	struct err e = ERR_INIT;
	long handling, rows;

	if (!deadline_calendar_load(db, &e) || !stats_rebuild(db, a->all_handling, &handling, &rows, &e)) {
		fprintf(stderr, "hotline report rebuild: %s\n", e.message);
		return 1;
	}
	deadline_calendar_warn_missing();
	printf("statistics rebuilt: %ld handling times computed, %ld rollup rows\n", handling, rows);
	return 0;
}

int report_main(const char *conninfo, int argc, char **argv)
{
	struct report_args a;
	struct err e = ERR_INIT;
	struct db *db;
	int status;

	if (argc < 2 || (strcmp(argv[1], "orders") && strcmp(argv[1], "ranking")
			 && strcmp(argv[1], "rebuild"))) {
		fputs(report_usage, stderr);
		return 2;
	}
	if (!parse_args(argc, argv, &a)) {
		fputs(report_usage, stderr);
		return 2;
	}
	db = db_connect(conninfo, &e);
	if (!db) {
		fprintf(stderr, "hotline report: cannot connect to the database: %s\n", e.message);
		return 1;
	}
	status = !strcmp(argv[1], "rebuild") ? run_rebuild(db, &a) : run_report(db, argv[1], &a);
	db_close(db);
	return status;
}
