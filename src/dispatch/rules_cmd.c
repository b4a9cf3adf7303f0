/* `hotline rules import|export FILE`: the routing catalogue as CSV or JSON. */
#include <stdio.h>
#include <string.h>

#include "dispatch/dispatch.h"

static const char usage[] =
	"usage: hotline rules import FILE   replace every routing rule with those of FILE\n"
	"       hotline rules export FILE   write the active routing rules to FILE\n"
	"FILE is CSV or JSON by its extension (.csv, .json).\n";

int dispatch_cmd_rules(struct config *cfg, int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct db *db;
	bool import;
	long n;

	(void)cfg;
	if (argc != 3 || (strcmp(argv[1], "import") && strcmp(argv[1], "export"))) {
		fputs(usage, stderr);
		return 2;
	}
	import = !strcmp(argv[1], "import");
	db = db_connect(db_conninfo(), &e);
	if (!db) {
		fprintf(stderr, "hotline rules: cannot connect to the database: %s\n", e.message);
		return 1;
	}
	n = import ? dispatch_rules_import(db, argv[2], &e) : dispatch_rules_export(db, argv[2], &e);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "hotline rules %s: %s\n", argv[1], e.message);
		return 1;
	}
	printf("%s %ld routing rules %s %s\n", import ? "imported" : "exported", n,
	       import ? "from" : "to", argv[2]);
	return 0;
}
