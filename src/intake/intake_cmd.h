/*
 * intake_cmd: the command-line side of call intake. Each takes the
 * process configuration (unused: the intake settings and the database
 * conninfo were applied at start), argc and argv with argv[0] the command
 * name, and returns the exit code: 0 done, 1 failed (after saying why on
 * stderr), 2 bad usage (after printing it).
 */
#ifndef HOTLINE_INTAKE_CMD_H
#define HOTLINE_INTAKE_CMD_H

struct config;

/*
 * `hotline import-calls [--format F] [--batch N] FILE…` (FILE "-" reads
 * stdin). For each file prints one summary line on stdout ("FILE: imported
 * N, duplicates D, rejected R (…)") and each rejected record on stderr as
 * "FILE: line L: reason" (the first 100; all are in the rejects file).
 * Rejected records are written to FILE.rejects beside the file, one a line:
 * line, field, reason and the text of the record's first line, separated
 * by tabs, after a header comment (not for stdin). On a terminal a
 * progress line shows records/s and the share of the file read. Rejects do
 * not fail the command; a file that cannot be read or imported does (the
 * other files are still imported).
 */
int intake_cmd_import_calls(struct config *cfg, int argc, char **argv);

/*
 * `hotline report calls --from ISO --to ISO [--granularity hour|day|month]
 * [--dialled N] [--queue Q] [--short-abandons count|exclude]
 * [--format table|json|csv]`: the call statistics of GET /api/v1/stats/calls.
 */
int intake_cmd_report(struct config *cfg, int argc, char **argv);

/*
 * `hotline calls extension --login L --extension E`: the agent's phone
 * extension, for live events and CDRs naming it.
 * `hotline calls rebuild`: recompute the call rollups (after changing the
 * hotline numbers, the short-abandon threshold or the time zone).
 */
int intake_cmd_calls(struct config *cfg, int argc, char **argv);

#endif
