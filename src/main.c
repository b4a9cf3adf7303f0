/*
 * hotline: the 12345 work-order system. One binary, several subcommands;
 * each is an entry of the table below.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/config.h"
#include "core/array.h"
#include "dispatch/dispatch.h"
#include "intake/intake_cmd.h"
#include "police/police.h"
#include "supervision/report_cmd.h"
#include "template/render_cmd.h"

struct command {
	const char *name;
	int (*run)(struct config *cfg, int argc, char **argv);
	const char *usage;
	const char *summary;
};

static int cmd_help(struct config *cfg, int argc, char **argv);
static int cmd_render_template(struct config *cfg, int argc, char **argv);
static int cmd_version(struct config *cfg, int argc, char **argv);
static int cmd_report(struct config *cfg, int argc, char **argv);

static const struct command commands[] = {
	{ "serve", cmd_serve, "serve", "run the HTTP service until SIGTERM" },
	{ "migrate", cmd_migrate, "migrate [--dir DIR]", "bring the database schema up to date" },
	{ "user", cmd_user, "user add --login L --role R [--department C]", "create a user (password on stdin)" },
	{ "user", cmd_user, "user password --login L", "set a user's password (on stdin)" },
	{ "token", cmd_token, "token create --login L [--name N] | list [--login L] | revoke --id N",
	  "create, list (with last use) or revoke API tokens" },
	{ "channel", cmd_channel, "channel key --channel C --login L [--name N]", "issue an Open311 api_key to an app, tied to its channel" },
	{ "channel", cmd_channel, "channel publish|unpublish [--request-type T] CODE...", "make categories Open311 services, or stop" },
	{ "department", cmd_department, "department import FILE.csv", "add or update departments" },
	{ "category", cmd_category, "category import FILE.csv", "add or update subject categories" },
	{ "calendar", cmd_calendar, "calendar import FILE.json...", "load official holidays and make-up days" },
	{ "deadline", cmd_deadline, "deadline --from ISO (--workdays N | --hours H)", "print a due time" },
	{ "rules", dispatch_cmd_rules, "rules import|export FILE", "replace or save the routing rules (CSV or JSON)" },
	{ "outbox", police_cmd_outbox, "outbox list [--state S]", "messages to 110 and their delivery state" },
	{ "outbox", police_cmd_outbox, "outbox retry (--all | --id N)", "send parked messages to 110 again" },
	{ "report", cmd_report, "report orders --from ISO --to ISO [OPTIONS]", "order report; --by KIND, --format table|json|csv" },
	{ "report", cmd_report, "report ranking --from ISO --to ISO [--format F]", "三率 ranking of units with red and black lists" },
	{ "report", cmd_report, "report rebuild [--all-handling]", "recount the statistics rollup from the orders" },
	{ "report", cmd_report, "report calls --from ISO --to ISO [OPTIONS]", "call statistics; --granularity, --format table|json|csv" },
	{ "import-calls", intake_cmd_import_calls, "import-calls [--format F] FILE...", "import call records (Asterisk CDR or queue_log, FreeSWITCH CDR)" },
	{ "calls", intake_cmd_calls, "calls extension --login L --extension E", "give an agent a phone extension" },
	{ "calls", intake_cmd_calls, "calls rebuild", "recount the call statistics from the calls" },
	{ "demo", cmd_demo, "demo load [--if-empty]", "load the demo city (departments, users, orders)" },
	{ "render", cmd_render_template, "render TEMPLATE DATA.json [--partials DIR]", "render a Mustache template" },
	{ "version", cmd_version, "version", "print the version" },
	{ "help", cmd_help, "help", "list the subcommands" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: hotline COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-48s %s\n", commands[i].usage, commands[i].summary);
	fprintf(out, "\n%s", config_usage);
}

static int cmd_help(struct config *cfg, int argc, char **argv)
{
	(void)cfg, (void)argc, (void)argv;
	usage(stdout);
	return 0;
}

static int cmd_render_template(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	return cmd_render(argc, argv);
}

static int cmd_report(struct config *cfg, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "calls"))
		return intake_cmd_report(cfg, argc, argv);
	return report_main(cfg->conninfo, argc, argv);
}

static int cmd_version(struct config *cfg, int argc, char **argv)
{
	(void)cfg, (void)argc, (void)argv;
	printf("hotline %s\n", HOTLINE_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct err e = ERR_INIT;
	int status = 2;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		int sub_argc = argc - 1;
		if (!config_load(&cfg, &sub_argc, argv + 1, &e) || !config_apply(&cfg, &e)) {
			if (e.field[0])
				fprintf(stderr, "hotline %s: %s (from %s)\n", argv[1], e.message, e.field);
			else
				fprintf(stderr, "hotline %s: %s\n", argv[1], e.message);
			config_release(&cfg);
			return 2;
		}
		status = commands[i].run(&cfg, sub_argc, argv + 1);
		config_release(&cfg);
		return status;
	}
	fprintf(stderr, "hotline: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
