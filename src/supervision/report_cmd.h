/*
 * `hotline report`: the order report and the ranking on the command line,
 * and the rebuild of the statistics rollup.
 *
 *   report orders --from ISO --to ISO [--by KIND] [--format table|json|csv]
 *   report ranking --from ISO --to ISO [--format table|json|csv]
 *   report rebuild [--all-handling]
 */
#ifndef HOTLINE_SUPERVISION_REPORT_CMD_H
#define HOTLINE_SUPERVISION_REPORT_CMD_H

/* The usage lines, for `hotline help`. */
extern const char report_usage[];

/*
 * Runs `hotline report …` against the database `conninfo`; argv[0] is
 * "report". Prints the report on stdout, errors on stderr. Returns the
 * exit status: 0 done, 1 failed, 2 bad usage.
 */
int report_main(const char *conninfo, int argc, char **argv);

#endif
