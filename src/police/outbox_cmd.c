/* `hotline outbox list|retry`: the messages to 110, for an operator. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "police/police.h"

static const char usage[] =
	"usage: hotline outbox list [--state pending|sent|parked]   messages to 110 (default: not yet sent)\n"
	"       hotline outbox retry (--all | --id N)               send parked messages again\n";

static int list(struct db *db, const char *state)
{
	struct err e = ERR_INIT;
	struct db_res *r;

	if (state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "parked")) {
		fprintf(stderr, "hotline outbox list: unknown state \"%s\": expected pending, sent or parked\n", state);
		return 2;
	}
	r = DB_EXEC(db, &e,
		    "SELECT m.id, o.number, m.seq, m.kind, m.state, m.attempts, m.last_error,"
		    " iso(CASE m.state WHEN 'pending' THEN m.next_attempt_at WHEN 'sent' THEN m.sent_at"
		    "  ELSE m.parked_at END) AS at"
		    " FROM police_outbox m JOIN work_order o ON o.id = m.order_id"
		    " WHERE ($1::text IS NULL AND m.state <> 'sent') OR m.state = $1"
		    " ORDER BY m.id",
		    state);
	if (!r) {
		fprintf(stderr, "hotline outbox list: %s\n", e.message);
		return 1;
	}
	printf("%-8s %-18s %-4s %-9s %-8s %-8s %-26s %s\n", "id", "order", "seq", "kind", "state",
	       "attempts", "next/sent/parked at", "last error");
	for (int i = 0; i < db_res_rows(r); i++)
		printf("%-8s %-18s %-4s %-9s %-8s %-8s %-26s %s\n", db_res_str(r, i, "id"),
		       db_res_str(r, i, "number"), db_res_str(r, i, "seq"), db_res_str(r, i, "kind"),
		       db_res_str(r, i, "state"), db_res_str(r, i, "attempts"), db_res_str(r, i, "at"),
		       db_res_str(r, i, "last_error"));
	db_res_free(r);
	return 0;
}

static int retry(struct db *db, int argc, char **argv)
{
	struct err e = ERR_INIT;
	int64_t id = 0;
	long n;

	if (argc == 3 && !strcmp(argv[2], "--all")) {
		id = 0;
	} else if (argc == 4 && !strcmp(argv[2], "--id")) {
		char *end;
		id = strtoll(argv[3], &end, 10);
		if (*end || id <= 0) {
			fprintf(stderr, "hotline outbox retry: invalid message id \"%s\"\n", argv[3]);
			return 2;
		}
	} else {
		fputs(usage, stderr);
		return 2;
	}
	n = police_outbox_retry(db, id, &e);
	if (n < 0) {
		fprintf(stderr, "hotline outbox retry: %s\n", e.message);
		return 1;
	}
	printf("%ld message%s to 110 queued for sending again\n", n, n == 1 ? "" : "s");
	return 0;
}

int police_cmd_outbox(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	const char *sub = argc > 1 ? argv[1] : "";
	struct db *db;
	int status;

	(void)cfg;
	if (strcmp(sub, "list") && strcmp(sub, "retry")) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(sub, "list") && !(argc == 2 || (argc == 4 && !strcmp(argv[2], "--state")))) {
		fputs(usage, stderr);
		return 2;
	}
	db = db_connect(db_conninfo(), &e);
	if (!db) {
		fprintf(stderr, "hotline outbox: cannot connect to the database: %s\n", e.message);
		return 1;
	}
	status = !strcmp(sub, "list") ? list(db, argc == 4 ? argv[3] : NULL) : retry(db, argc, argv);
	db_close(db);
	return status;
}
