/* `hotline rules import|export FILE`: what an administrator's file turns
 * into, and how a mistake in it is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "routing/rules_io.h"

static void assert_opt_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_def_equal(const struct rule_def *a, const struct rule_def *b)
{
	assert_int_equal(a->priority, b->priority);
	assert_opt_equal(a->name, b->name);
	assert_opt_equal(a->pattern, b->pattern);
	assert_int_equal(a->caseless, b->caseless);
	assert_int_equal(a->applies_to ? a->applies_to : RULE_ON_CONTENT,
			 b->applies_to ? b->applies_to : RULE_ON_CONTENT);
	assert_opt_equal(a->category_prefix, b->category_prefix);
	assert_opt_equal(a->district, b->district);
	assert_opt_equal(a->street, b->street);
	assert_opt_equal(a->suggest_category, b->suggest_category);
	assert_opt_equal(a->suggest_department, b->suggest_department);
	assert_opt_equal(a->suggest_urgency, b->suggest_urgency);
	assert_int_equal(a->police, b->police);
}

static void json_import_reads_every_member_and_defaults_the_rest(void **state)
{
	static const char doc[] =
		"[\n"
		"  {\"id\": 42, \"priority\": 90, \"name\": \"打架斗殴\", \"pattern\": \"打架|斗殴\",\n"
		"   \"caseless\": true, \"applies_to\": \"both\", \"category_prefix\": \"09\",\n"
		"   \"district\": \"D01\", \"street\": \"D01S01\", \"suggest_category\": \"090101\",\n"
		"   \"suggest_department\": \"SGAJ\", \"suggest_urgency\": \"紧急\", \"police\": true},\n"
		"  {\"name\": \"路灯\", \"pattern\": \"路灯\", \"suggest_category\": \"010102\",\n"
		"   \"district\": null, \"suggest_urgency\": \"\"}\n"
		"]\n";
	struct rule_def_list l = RULE_DEF_LIST_INIT;
	struct err e = ERR_INIT;
	const struct rule_def *a, *b;

	assert_true(rule_defs_parse_json(doc, strlen(doc), &l, &e));
	assert_int_equal(l.n, 2);
	a = &l.items[0];
	assert_int_equal(a->id, 42);
	assert_int_equal(a->priority, 90);
	assert_string_equal(a->name, "打架斗殴");
	assert_string_equal(a->pattern, "打架|斗殴");
	assert_true(a->caseless);
	assert_int_equal(a->applies_to, RULE_ON_BOTH);
	assert_string_equal(a->category_prefix, "09");
	assert_string_equal(a->district, "D01");
	assert_string_equal(a->street, "D01S01");
	assert_string_equal(a->suggest_category, "090101");
	assert_string_equal(a->suggest_department, "SGAJ");
	assert_string_equal(a->suggest_urgency, "紧急");
	assert_true(a->police);
	b = &l.items[1];
	assert_int_equal(b->id, 0);
	assert_int_equal(b->priority, 0);
	assert_int_equal(b->applies_to, RULE_ON_CONTENT);
	assert_false(b->police);
	assert_false(b->caseless);
	assert_null(b->district);
	assert_null(b->suggest_urgency);	/* "" is absent */
	rule_def_list_release(&l);
}

static void json_errors_name_the_rule_index_and_field(void **state)
{
	static const struct {
		const char *doc;
		int status;
		const char *field;
		const char *message;	/* a fragment */
	} cases[] = {
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"police\":true},"
		  "{\"name\":\"b\",\"pattern\":\"(b\",\"police\":true}]",
		  422, "pattern", "rule at index 1: invalid pattern \"(b\" at offset 2" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"sugest_category\":\"01\"}]",
		  422, "sugest_category", "rule at index 0: unknown member \"sugest_category\"" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"priority\":\"high\",\"police\":true}]",
		  422, "priority", "rule at index 0: field \"priority\" must be an integer" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"priority\":9999999999,\"police\":true}]",
		  422, "priority", "out of range" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"police\":\"yes\"}]",
		  422, "police", "must be true or false" },
		{ "[{\"pattern\":\"a\",\"police\":true}]", 422, "name", "rule at index 0: field \"name\" is required" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"applies_to\":\"all\",\"police\":true}]",
		  422, "applies_to", "\"all\" is not one of content, address, both" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\",\"suggest_urgency\":\"加急\"}]",
		  422, "suggest_urgency", "\"加急\"" },
		{ "[{\"name\":\"a\",\"pattern\":\"a\"}]", 422, "suggest_category", "suggests nothing" },
		{ "[1]", 422, "", "rule at index 0: a rule must be a JSON object" },
		{ "{\"rules\": []}", 400, "", "JSON array" },
		{ "[\n{\"name\": \"a\",\n\"pattern\": }]", 400, "", "line 3" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct err e = ERR_INIT;

		assert_false(rule_defs_parse_json(cases[c].doc, strlen(cases[c].doc), &l, &e));
		assert_int_equal(e.status, cases[c].status);
		assert_string_equal(e.field, cases[c].field);
		if (!strstr(e.message, cases[c].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", c, e.message, cases[c].message);
		assert_int_equal(l.n, 0);	/* all or nothing */
	}
}

static void csv_import_reads_quoted_fields_in_any_column_order(void **state)
{
	/* BOM, CRLF, reordered and missing columns, quotes, a blank line. */
	static const char doc[] =
		"\xEF\xBB\xBF" "name,pattern,priority,police,suggest_department,suggest_category,"
		"suggest_urgency,district,applies_to,caseless\r\n"
		"打架斗殴,打架|斗殴,90,是,SGAJ,090101,紧急,,content,否\r\n"
		"\r\n"
		"\"路灯, 井盖\",\"(路灯|井盖){1,2}\",40,false,SCGJ,0101, ,D01,both,\r\n"
		"\"说 \"\"要跳楼\"\"\",\" 跳楼\",100,1,SGAJ,0905,特急,,,yes\r\n";
	struct rule_def_list l = RULE_DEF_LIST_INIT;
	struct err e = ERR_INIT;

	if (!rule_defs_parse_csv(doc, strlen(doc), &l, &e))
		fail_msg("%s", e.message);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "打架斗殴");
	assert_int_equal(l.items[0].priority, 90);
	assert_true(l.items[0].police);
	assert_false(l.items[0].caseless);
	assert_null(l.items[0].district);
	assert_string_equal(l.items[0].suggest_urgency, "紧急");
	assert_string_equal(l.items[1].name, "路灯, 井盖");
	assert_string_equal(l.items[1].pattern, "(路灯|井盖){1,2}");
	assert_null(l.items[1].suggest_urgency);	/* a blank cell */
	assert_string_equal(l.items[1].district, "D01");
	assert_int_equal(l.items[1].applies_to, RULE_ON_BOTH);
	assert_false(l.items[1].police);
	assert_string_equal(l.items[2].name, "说 \"要跳楼\"");
	assert_string_equal(l.items[2].pattern, " 跳楼");	/* patterns keep their spaces */
	assert_int_equal(l.items[2].applies_to, RULE_ON_CONTENT);
	assert_true(l.items[2].police);
	assert_true(l.items[2].caseless);
	rule_def_list_release(&l);
}

static void csv_errors_name_the_line_and_field(void **state)
{
	static const char header[] = "priority,name,pattern,suggest_category,police\n";
	static const struct {
		const char *body;	/* after the header line (line 1) */
		int status;
		const char *field;
		const char *message;
	} cases[] = {
		{ "1,a,a,01,false\nhigh,b,b,01,false\n", 422, "priority",
		  "line 3: priority \"high\" is not an integer" },
		/* A quoted line break: the bad record starts on line 4. */
		{ "1,\"two\nlines\",a,01,false\n2,b,(b,01,false\n", 422, "pattern",
		  "line 4: invalid pattern \"(b\" at offset 2: missing closing parenthesis" },
		{ "1,a,a,01,maybe\n", 422, "police", "line 2: police \"maybe\" is not true or false" },
		{ "1,,a,01,true\n", 422, "name", "line 2: name is required" },
		{ "1,a,a,01\n", 400, "", "line 2: 4 fields, but the header has 5" },
		{ "1,\"a,a,01,true\n", 400, "", "line 2: quoted field is not closed" },
		{ "1,\"a\"x,a,01,true\n", 400, "", "line 2: unexpected text after a closing quote" },
		{ "1,a,a,,false\n", 422, "suggest_category", "line 2: rule \"a\" suggests nothing" },
		{ "1,\xC2\xB7\xB7,a,01,true\n", 400, "", "line 2: the file is not UTF-8" },
	};
	static const struct {
		const char *doc;
		const char *field;
		const char *message;
	} headers[] = {
		{ "name,pattern,department\n", "department", "line 1: unknown column \"department\"" },
		{ "name,pattern,name\n", "name", "line 1: column \"name\" appears twice" },
		{ "priority,name\n", "", "line 1: the header must name the columns name and pattern" },
		{ "", "", "the file is empty" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct err e = ERR_INIT;
		char *doc = xasprintf("%s%s", header, cases[c].body);

		assert_false(rule_defs_parse_csv(doc, strlen(doc), &l, &e));
		assert_int_equal(e.status, cases[c].status);
		assert_string_equal(e.field, cases[c].field);
		if (!strstr(e.message, cases[c].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", c, e.message, cases[c].message);
		assert_int_equal(l.n, 0);
		free(doc);
	}
	for (size_t c = 0; c < sizeof(headers) / sizeof(headers[0]); c++) {
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct err e = ERR_INIT;

		assert_false(rule_defs_parse_csv(headers[c].doc, strlen(headers[c].doc), &l, &e));
		assert_string_equal(e.field, headers[c].field);
		if (!strstr(e.message, headers[c].message))
			fail_msg("header %zu: \"%s\" lacks \"%s\"", c, e.message, headers[c].message);
	}
}

static const struct rule_def tricky[] = {
	{ .priority = 90, .name = "打架斗殴 → 110", .pattern = "打架|斗殴", .applies_to = RULE_ON_CONTENT,
	  .suggest_category = "090101", .suggest_department = "SGAJ", .suggest_urgency = "紧急",
	  .police = true },
	{ .priority = -5, .name = "commas, \"quotes\"", .pattern = "a{1,3}\"b\"", .caseless = true,
	  .applies_to = RULE_ON_BOTH, .category_prefix = "01", .district = "D01", .street = "D01S01",
	  .suggest_category = "0101" },
	{ .priority = 0, .name = "two\nlines", .pattern = " 前后空格 ", .applies_to = RULE_ON_ADDRESS,
	  .suggest_department = "SCGJ" },
	{ .priority = 7, .name = "反斜杠", .pattern = "\\d+号楼\\s*/", .suggest_urgency = "特急" },
};
#define N_TRICKY (sizeof(tricky) / sizeof(tricky[0]))

static void export_then_import_round_trips_both_formats(void **state)
{
	for (int fmt = 0; fmt < 2; fmt++) {
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct buf text = BUF_INIT;
		struct err e = ERR_INIT;
		bool ok;

		if (fmt == 0)
			rule_defs_to_json(tricky, N_TRICKY, &text);
		else
			rule_defs_to_csv(tricky, N_TRICKY, &text);
		ok = fmt == 0 ? rule_defs_parse_json(text.data, text.len, &l, &e)
			      : rule_defs_parse_csv(text.data, text.len, &l, &e);
		if (!ok)
			fail_msg("%s: %s\n%s", fmt ? "csv" : "json", e.message, text.data);
		assert_int_equal(l.n, N_TRICKY);
		for (size_t i = 0; i < N_TRICKY; i++)
			assert_def_equal(&l.items[i], &tricky[i]);
		rule_def_list_release(&l);
		buf_release(&text);
	}
}

static void csv_export_starts_with_the_documented_header(void **state)
{
	struct buf text = BUF_INIT;

	rule_defs_to_csv(tricky, 1, &text);
	assert_string_equal(text.data,
			    "priority,name,pattern,applies_to,category_prefix,district,street,"
			    "suggest_category,suggest_department,suggest_urgency,police,caseless\n"
			    "90,打架斗殴 → 110,打架|斗殴,content,,,,090101,SGAJ,紧急,true,false\n");
	buf_release(&text);
}

static void files_are_read_and_written_by_extension(void **state)
{
	char dir[] = "/tmp/routing-io-XXXXXX";
	const char *names[] = { "rules.json", "RULES.CSV" };

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct err e = ERR_INIT;

		assert_true(rule_defs_write_file(path, tricky, N_TRICKY, &e));
		assert_true(rule_defs_read_file(path, &l, &e));
		/* Appends: reading twice doubles the list. */
		assert_true(rule_defs_read_file(path, &l, &e));
		assert_int_equal(l.n, 2 * N_TRICKY);
		assert_def_equal(&l.items[N_TRICKY + 1], &tricky[1]);
		rule_def_list_release(&l);
		assert_int_equal(unlink(path), 0);
		free(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void unreadable_or_unknown_files_are_refused(void **state)
{
	static const struct {
		const char *path;
		int status;
		const char *message;
	} cases[] = {
		{ "/nonexistent/rules.json", 500, "cannot read \"/nonexistent/rules.json\"" },
		{ "/tmp/rules.xlsx", 400, "name it .json or .csv" },
		{ "/tmp/rules", 400, "name it .json or .csv" },
	};
	static const struct {
		const char *path;
		enum rule_format fmt;
	} formats[] = {
		{ "a.json", RULE_FORMAT_JSON }, { "A.JSON", RULE_FORMAT_JSON },
		{ "dir.csv/x", RULE_FORMAT_UNKNOWN }, { "x.Csv", RULE_FORMAT_CSV },
		{ "json", RULE_FORMAT_UNKNOWN },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rule_def_list l = RULE_DEF_LIST_INIT;
		struct err e = ERR_INIT;

		assert_false(rule_defs_read_file(cases[c].path, &l, &e));
		assert_int_equal(e.status, cases[c].status);
		assert_non_null(strstr(e.message, cases[c].message));
	}
	for (size_t c = 0; c < sizeof(formats) / sizeof(formats[0]); c++)
		assert_int_equal(rule_format_from_path(formats[c].path), formats[c].fmt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_import_reads_every_member_and_defaults_the_rest),
		cmocka_unit_test(json_errors_name_the_rule_index_and_field),
		cmocka_unit_test(csv_import_reads_quoted_fields_in_any_column_order),
		cmocka_unit_test(csv_errors_name_the_line_and_field),
		cmocka_unit_test(export_then_import_round_trips_both_formats),
		cmocka_unit_test(csv_export_starts_with_the_documented_header),
		cmocka_unit_test(files_are_read_and_written_by_extension),
		cmocka_unit_test(unreadable_or_unknown_files_are_refused),
	};
	return cmocka_run_group_tests_name("routing-rules-io", tests, NULL, NULL);
}
