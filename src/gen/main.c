/*
 * hotline-gen: generated data for benchmarks (scripts/gen-data, scripts/bench).
 *
 *   hotline-gen departments [options]    COPY text of department
 *   hotline-gen categories [options]     COPY text of category
 *   hotline-gen orders [options] --handling FILE... --counters FILE [--split FIFO]...
 *                                        binary COPY of work_order; of
 *                                        order_handling (spread over the
 *                                        --handling files) and order_counter
 *                                        to the files. Each --split FIFO
 *                                        takes a share of the orders as a
 *                                        stream of its own, for another
 *                                        session to load alongside
 *   hotline-gen calls [options]          an Asterisk Master.csv
 *   hotline-gen call-summary [options]   COPY text of call (CDR-only calls)
 *   hotline-gen columns TABLE            the COPY column list of TABLE
 *   hotline-gen version                  GEN_VERSION
 *
 * Options: --seed S (1), --orders N, --calls M, --end YYYY-MM-DD (a local
 * midnight; the data covers the --days (365) days before it), --until
 * EPOCH (calls: none from that moment on, for a day still going), --first-dept-id,
 * --first-order-id, --holidays FILE (COPY text of calendar_day: day,
 * off_day, name; without it only weekends are off). The zone is TZ's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "gen/gen.h"

static const char usage[] =
	"usage: hotline-gen departments|categories|orders|calls|call-summary [--seed S] [--orders N]\n"
	"                  [--calls M] [--end YYYY-MM-DD] [--days D] [--until EPOCH]\n"
	"                  [--first-dept-id I]\n"
	"                  [--first-order-id I] [--holidays FILE] [--handling FILE]...\n"
	"                  [--counters FILE] [--split FIFO]...\n"
	"       hotline-gen columns department|category|work_order|call\n"
	"       hotline-gen version\n";

static bool parse_long(const char *name, const char *v, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || *end || end == v || *out < min || *out > max) {
		fprintf(stderr, "hotline-gen: %s \"%s\" must be a whole number from %ld to %ld\n", name, v,
			min, max);
		return false;
	}
	return true;
}

/* Reads "YYYY-MM-DD\t{t|f}\tname" lines into the calendar. */
static bool load_holidays(struct calendar *cal, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int y, m, d;
	char off;

	if (!f) {
		fprintf(stderr, "hotline-gen: cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d-%d-%d\t%c", &y, &m, &d, &off) != 4) {
			fprintf(stderr, "hotline-gen: %s: unexpected line \"%s\"\n", path, line);
			fclose(f);
			return false;
		}
		calendar_set_day(cal, days_from_civil(y, m, d), off == 't', NULL);
		calendar_mark_year(cal, y);
	}
	fclose(f);
	return true;
}

static int write_city(const struct gen_opts *o, bool departments)
{
	struct gen_city c;
	struct buf out = BUF_INIT;

	city_build(&c, o->seed, o->first_dept_id);
	if (departments)
		city_write_departments(&c, &out);
	else
		city_write_categories(&c, &out);
	out_flush(&out, true);
	buf_release(&out);
	city_release(&c);
	return 0;
}

static int columns(const char *table)
{
	static const struct {
		const char *table, *columns;
	} list[] = {
		{ "department", GEN_DEPARTMENT_COLUMNS },
		{ "category", GEN_CATEGORY_COLUMNS },
		{ "work_order", GEN_ORDER_COLUMNS },
		{ "call", GEN_CALL_COLUMNS },
	};

	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		if (!strcmp(table, list[i].table)) {
			printf("%s\n", list[i].columns);
			return 0;
		}
	}
	fputs(usage, stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .seed = 1, .days = 365, .first_dept_id = 1, .first_order_id = 1 };
	const char *cmd = argc > 1 ? argv[1] : "", *end = NULL, *holidays = NULL;
	long v;
	int rc;

	if (!strcmp(cmd, "version")) {
		printf("%d\n", GEN_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "columns") && argc == 3)
		return columns(argv[2]);
	for (int i = 2; i < argc; i += 2) {
		const char *name = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!val) {
			fputs(usage, stderr);
			return 2;
		}
		if (!strcmp(name, "--seed") && parse_long(name, val, 0, 1L << 40, &v))
			o.seed = (uint64_t)v;
		else if (!strcmp(name, "--orders") && parse_long(name, val, 0, 1000000000L, &v))
			o.orders = v;
		else if (!strcmp(name, "--calls") && parse_long(name, val, 0, 1000000000L, &v))
			o.calls = v;
		else if (!strcmp(name, "--days") && parse_long(name, val, 1, 3660, &v))
			o.days = (int)v;
		else if (!strcmp(name, "--first-dept-id") && parse_long(name, val, 1, 1L << 30, &v))
			o.first_dept_id = (int)v;
		else if (!strcmp(name, "--first-order-id") && parse_long(name, val, 1, 1L << 50, &v))
			o.first_order_id = v;
		else if (!strcmp(name, "--end"))
			end = val;
		else if (!strcmp(name, "--until") && parse_long(name, val, 0, 1L << 40, &v))
			o.until = (time_t)v;
		else if (!strcmp(name, "--holidays"))
			holidays = val;
		else if (!strcmp(name, "--handling") && o.nhandling < FANOUT_MAX)
			o.handling_paths[o.nhandling++] = val;
		else if (!strcmp(name, "--counters"))
			o.counters_path = val;
		else if (!strcmp(name, "--split") && o.nsplits < ARRAY_SIZE(o.splits))
			o.splits[o.nsplits++] = val;
		else if (!strcmp(name, "--split") || !strcmp(name, "--handling")) {
			fprintf(stderr, "hotline-gen: %s \"%s\": too many (at most %d)\n", name, val,
				!strcmp(name, "--split") ? FANOUT_MAX - 1 : FANOUT_MAX);
			return 2;
		} else {
			if (strncmp(name, "--", 2) || (strcmp(name, "--seed") && strcmp(name, "--orders")
			    && strcmp(name, "--calls") && strcmp(name, "--days") && strcmp(name, "--until")
			    && strcmp(name, "--first-dept-id") && strcmp(name, "--first-order-id")))
				fputs(usage, stderr);
			return 2;
		}
	}
	if (end) {
		int y, m, d;
		if (sscanf(end, "%d-%d-%d", &y, &m, &d) != 3) {
			fprintf(stderr, "hotline-gen: --end \"%s\" must be YYYY-MM-DD\n", end);
			return 2;
		}
		o.end = time_from_local(days_from_civil(y, m, d), 0, 0, 0);
	} else {
		o.end = time_from_local(local_day(time(NULL)), 0, 0, 0);
	}
	o.cal = calendar_new();
	if (holidays && !load_holidays(o.cal, holidays)) {
		calendar_free(o.cal);
		return 1;
	}
	struct workcal work;
	workcal_init(&work, o.cal, local_day(o.end) - o.days - 2, local_day(o.end) + 400);
	o.work = &work;
	if (!strcmp(cmd, "departments") || !strcmp(cmd, "categories")) {
		rc = write_city(&o, !strcmp(cmd, "departments"));
	} else if (!strcmp(cmd, "orders")) {
		if (!o.nhandling || !o.counters_path) {
			fputs(usage, stderr);
			rc = 2;
		} else {
			rc = gen_orders(&o);
		}
	} else if (!strcmp(cmd, "calls") || !strcmp(cmd, "call-summary")) {
		rc = gen_calls(&o, !strcmp(cmd, "call-summary"));
	} else {
		fputs(usage, stderr);
		rc = 2;
	}
	workcal_release(&work);
	calendar_free(o.cal);
	return rc;
}
