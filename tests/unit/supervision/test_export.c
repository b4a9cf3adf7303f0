/*
 * The reports as a supervisor takes them away (export.h): CSV that Excel
 * opens with its Chinese intact (byte-order mark, RFC 4180 quoting, CRLF),
 * and the text table of `hotline report`, aligned although a CJK character
 * takes two columns of a terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/csv.h"
#include "supervision/export.h"

#define BOM "\xEF\xBB\xBF"

/* An order report as stats_orders() returns it (members left out are null). */
static const char report_json[] =
	"{\"from\": \"2026-11-01T00:00:00+08:00\", \"to\": \"2026-12-01T00:00:00+08:00\","
	" \"by\": \"department\","
	" \"total\": {\"accepted\": 107515, \"completed\": 107358, \"completion_rate\": 0.9985,"
	"   \"on_time_rate\": 0.97, \"satisfaction_rate\": 0.9512, \"avg_handling_workdays\": 2.35,"
	"   \"dispatched\": 80000, \"merged\": 12},"
	" \"rows\": ["
	"  {\"key\": \"110105\", \"name\": \"朝阳区\", \"accepted\": 120, \"completed\": 118,"
	"   \"completion_rate\": 0.9833, \"on_time_rate\": 1.0, \"satisfaction_rate\": null,"
	"   \"avg_handling_workdays\": 2.5, \"dispatched\": 100, \"merged\": 0},"
	"  {\"key\": \"110108001\", \"name\": \"海淀区学院路街道\", \"accepted\": 7, \"completed\": 0,"
	"   \"completion_rate\": 0.0, \"on_time_rate\": null, \"avg_handling_workdays\": null,"
	"   \"dispatched\": 7},"
	"  {\"key\": \"X1\", \"name\": \"Water, \\\"North\\\" works\", \"accepted\": 3, \"completed\": 3,"
	"   \"completion_rate\": 1.0},"
	"  {\"key\": null, \"name\": \"未派单\", \"accepted\": 1, \"completed\": 1}"
	" ]}";

static const char ranking_json[] =
	"{\"from\": \"2026-11-01T00:00:00+08:00\", \"to\": \"2026-12-01T00:00:00+08:00\","
	" \"rows\": ["
	"  {\"rank\": 1, \"key\": \"110105\", \"name\": \"朝阳区\", \"score\": 0.9712,"
	"   \"response_rate\": 1.0, \"resolution_rate\": 0.95, \"satisfaction_rate\": 0.97,"
	"   \"dispatched\": 100, \"rated\": 80, \"list\": \"red\"},"
	"  {\"rank\": 1, \"key\": \"110101\", \"name\": \"东城区\", \"score\": 0.9712,"
	"   \"response_rate\": 1.0, \"resolution_rate\": 0.95, \"satisfaction_rate\": 0.97,"
	"   \"dispatched\": 10, \"rated\": 8, \"list\": \"red\"},"
	"  {\"rank\": 3, \"key\": \"110108\", \"name\": \"海淀区\", \"score\": 0.6,"
	"   \"response_rate\": 0.5, \"resolution_rate\": 0.6, \"satisfaction_rate\": 0.7,"
	"   \"dispatched\": 4, \"rated\": 2, \"list\": \"black\"},"
	"  {\"rank\": null, \"key\": \"110106\", \"name\": \"丰台区\", \"score\": null,"
	"   \"response_rate\": 1.0, \"resolution_rate\": null, \"satisfaction_rate\": null,"
	"   \"dispatched\": 2, \"rated\": 0, \"list\": null}"
	" ],"
	" \"red_list\": [{\"key\": \"110105\", \"name\": \"朝阳区\", \"score\": 0.9712},"
	"               {\"key\": \"110101\", \"name\": \"东城区\", \"score\": 0.9712}],"
	" \"black_list\": [{\"key\": \"110108\", \"name\": \"海淀区\", \"score\": 0.6}]}";

static const char orders_header[] =
	BOM "编码,名称,受理量,办结量,办结率,按时办结率,及时签收率,退单率,重办率,回访率,满意率,"
	"解决率,响应率,平均办理工作日,按时办结量,派单量,及时签收量,响应量,退单量,延期量,回复量,"
	"重办量,应回访量,回访评价量,满意量,解决量,无法回访量,转出量,并单量\r\n";

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static char *orders_csv(void)
{
	json_object *report = parse(report_json);
	struct buf out = BUF_INIT;

	export_orders_csv(report, &out);
	json_object_put(report);
	return buf_detach(&out, NULL);
}

/* The records of `csv`, parsed back with the project's own reader. */
struct records {
	char ***rows;
	size_t *n;
	size_t count;
};

static struct records read_back(const char *csv)
{
	struct csv_reader r;
	struct csv_row row = CSV_ROW_INIT;
	struct records recs = { 0 };
	struct err e = ERR_INIT;
	int rc;

	csv_reader_init(&r, csv, strlen(csv));
	while ((rc = csv_next(&r, &row, &e)) == 1) {
		recs.rows = xrealloc(recs.rows, (recs.count + 1) * sizeof(*recs.rows));
		recs.n = xrealloc(recs.n, (recs.count + 1) * sizeof(*recs.n));
		recs.rows[recs.count] = xcalloc(row.n, sizeof(char *));
		for (size_t i = 0; i < row.n; i++)
			recs.rows[recs.count][i] = xstrdup(row.fields[i]);
		recs.n[recs.count++] = row.n;
	}
	csv_row_release(&row);
	if (rc < 0)
		fail_msg("the CSV does not read back: %s", e.message);
	return recs;
}

static void records_release(struct records *recs)
{
	for (size_t r = 0; r < recs->count; r++) {
		for (size_t i = 0; i < recs->n[r]; i++)
			free(recs->rows[r][i]);
		free(recs->rows[r]);
	}
	free(recs->rows);
	free(recs->n);
}

/* The field of record `r` under header label `label`. */
static const char *field(const struct records *recs, size_t r, const char *label)
{
	for (size_t i = 0; i < recs->n[0]; i++)
		if (!strcmp(recs->rows[0][i], label))
			return recs->rows[r][i];
	fail_msg("no column %s", label);
	return NULL;
}

static void the_orders_csv_starts_with_a_bom_and_chinese_labels(void **state)
{
	char *csv = orders_csv();

	assert_memory_equal(csv, orders_header, strlen(orders_header));
	/* Every line ends with CRLF, the last one too. */
	for (const char *p = csv; (p = strchr(p, '\n')); p++)
		assert_true(p > csv && p[-1] == '\r');
	assert_string_equal(csv + strlen(csv) - 2, "\r\n");
	free(csv);
}

static void the_orders_csv_has_one_record_a_row_and_the_total_last(void **state)
{
	char *csv = orders_csv();
	struct records recs = read_back(csv);

	assert_int_equal(recs.count, 1 + 4 + 1);
	for (size_t r = 0; r < recs.count; r++)
		assert_int_equal(recs.n[r], 29);

	/* Rates are fractions as in the JSON, counts are whole numbers. */
	assert_string_equal(field(&recs, 1, "编码"), "110105");
	assert_string_equal(field(&recs, 1, "名称"), "朝阳区");
	assert_string_equal(field(&recs, 1, "受理量"), "120");
	assert_string_equal(field(&recs, 1, "办结率"), "0.9833");
	assert_string_equal(field(&recs, 1, "按时办结率"), "1.0");
	assert_string_equal(field(&recs, 1, "平均办理工作日"), "2.5");
	assert_string_equal(field(&recs, 1, "派单量"), "100");
	assert_string_equal(field(&recs, 1, "并单量"), "0");
	/* Undefined (null) and absent figures are empty cells, not 0. */
	assert_string_equal(field(&recs, 1, "满意率"), "");
	assert_string_equal(field(&recs, 1, "退单率"), "");
	assert_string_equal(field(&recs, 2, "办结率"), "0.0");
	assert_string_equal(field(&recs, 2, "按时办结率"), "");
	assert_string_equal(field(&recs, 2, "平均办理工作日"), "");
	/* Orders without a lead unit: no code, the name stats gave them. */
	assert_string_equal(field(&recs, 4, "编码"), "");
	assert_string_equal(field(&recs, 4, "名称"), "未派单");

	/* The total: no code, the name 合计, its own figures. */
	assert_string_equal(field(&recs, 5, "编码"), "");
	assert_string_equal(field(&recs, 5, "名称"), "合计");
	assert_string_equal(field(&recs, 5, "受理量"), "107515");
	assert_string_equal(field(&recs, 5, "办结量"), "107358");
	assert_string_equal(field(&recs, 5, "办结率"), "0.9985");
	assert_string_equal(field(&recs, 5, "满意率"), "0.9512");
	assert_string_equal(field(&recs, 5, "平均办理工作日"), "2.35");
	assert_string_equal(field(&recs, 5, "并单量"), "12");
	records_release(&recs);
	free(csv);
}

static void names_with_commas_and_quotes_survive_the_csv(void **state)
{
	char *csv = orders_csv();
	struct records recs = read_back(csv);

	assert_non_null(strstr(csv, "\r\nX1,\"Water, \"\"North\"\" works\",3,3,1.0,"));
	assert_string_equal(field(&recs, 3, "名称"), "Water, \"North\" works");
	records_release(&recs);
	free(csv);
}

static void exporting_leaves_the_report_unchanged(void **state)
{
	json_object *report = parse(report_json), *copy = parse(report_json);
	struct buf out = BUF_INIT;

	export_orders_csv(report, &out);
	export_orders_table(report, &out);
	/* The total row was exported under the name 合计 from a copy. */
	assert_true(json_object_equal(report, copy));
	buf_release(&out);
	json_object_put(report);
	json_object_put(copy);
}

static void an_empty_report_is_the_header_and_the_total(void **state)
{
	json_object *report = parse("{\"from\": \"a\", \"to\": \"b\", \"by\": \"category\", \"rows\": [],"
				    " \"total\": {\"accepted\": 0, \"completion_rate\": null}}");
	struct buf out = BUF_INIT;
	char *csv;

	export_orders_csv(report, &out);
	csv = buf_detach(&out, NULL);
	assert_memory_equal(csv, orders_header, strlen(orders_header));
	assert_string_equal(csv + strlen(orders_header), ",合计,0,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
	free(csv);
	json_object_put(report);
}

static void display_width_counts_cjk_as_two_columns(void **state)
{
	static const struct {
		const char *text;
		size_t width;
	} cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "99.85%", 6 },
		{ "合计", 4 },
		{ "朝阳区", 6 },
		{ "海淀区学院路街道", 16 },
		{ "A区", 3 },
		{ "，", 2 },			/* fullwidth comma */
		{ "１２３", 6 },		/* fullwidth digits */
		{ "。「」", 6 },		/* CJK punctuation */
		{ "한국", 4 },			/* Hangul */
		{ "ひらがな", 8 },
		{ "𠀀", 2 },			/* CJK extension B, four bytes */
		{ "—", 1 },			/* the em dash of the title line */
		{ "…", 1 },
		{ "é", 1 },
		{ "\xe5\xb8", 1 },		/* a cut-off character: one column, no overrun */
		{ "\x80" "ab", 3 },		/* a stray continuation byte */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (export_display_width(cases[i].text) != cases[i].width)
			fail_msg("\"%s\": width %zu, want %zu", cases[i].text,
				 export_display_width(cases[i].text), cases[i].width);
}

/* The lines of `text` (copies, NULL-ended), for looking at a table. */
static char **lines_of(const char *text, size_t *n)
{
	char **lines = NULL;

	*n = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		lines = xrealloc(lines, (*n + 2) * sizeof(*lines));
		lines[(*n)++] = xstrndup(p, len);
		p += len + (p[len] == '\n');
	}
	lines[*n] = NULL;
	return lines;
}

static void lines_free(char **lines)
{
	for (size_t i = 0; lines && lines[i]; i++)
		free(lines[i]);
	free(lines);
}

/* The display column where `needle` starts in `line`, or -1. */
static long column_of(const char *line, const char *needle)
{
	const char *at = strstr(line, needle);
	char *head;
	long w;

	if (!at)
		return -1;
	head = xstrndup(line, (size_t)(at - line));
	w = (long)export_display_width(head);
	free(head);
	return w;
}

/* Fails unless `line` starts with `text` and blanks up to column `width` at least
 * (a right-aligned column after it adds its own). */
static void assert_prefix(const char *line, const char *text, size_t width)
{
	size_t len = strlen(text), pad = width - export_display_width(text);

	if (strncmp(line, text, len) || strspn(line + len, " ") < pad)
		fail_msg("\"%s\" does not start with \"%s\" and %zu blanks or more", line, text, pad);
}

static void the_orders_table_lines_up_chinese_names(void **state)
{
	json_object *report = parse(report_json);
	struct buf out = BUF_INIT;
	char **lines;
	size_t n, width;

	export_orders_table(report, &out);
	lines = lines_of(out.data, &n);
	assert_string_equal(lines[0], "2026-11-01T00:00:00+08:00 — 2026-12-01T00:00:00+08:00, by department");
	assert_string_equal(lines[1], "");
	/* header, rule, four rows, total */
	assert_int_equal(n, 2 + 2 + 4 + 1);
	width = strlen(lines[3]);
	assert_true(width > 0 && strspn(lines[3], "-") == width);
	for (size_t i = 2; i < n; i++)
		if (export_display_width(lines[i]) != width)
			fail_msg("line %zu is %zu columns wide, the rule %zu: \"%s\"", i,
				 export_display_width(lines[i]), width, lines[i]);
	/* Names are left-aligned, padded to the widest ("Water, "North" works", 20). */
	assert_prefix(lines[2], "名称", 22);
	assert_prefix(lines[4], "朝阳区", 22);
	assert_prefix(lines[5], "海淀区学院路街道", 22);
	assert_prefix(lines[7], "未派单", 22);
	assert_prefix(lines[8], "合计", 22);
	/* Numbers are right-aligned: 120, 7 and 107515 end in the same column
	 * as the label 受理量. */
	assert_int_equal(column_of(lines[4], "120") + 3, column_of(lines[2], "受理量") + 6);
	assert_int_equal(column_of(lines[5], " 7 ") + 2, column_of(lines[2], "受理量") + 6);
	assert_int_equal(column_of(lines[8], "107515") + 6, column_of(lines[2], "受理量") + 6);
	/* Rates as percentages with two decimals; undefined ones as "-". */
	assert_non_null(strstr(lines[4], "98.33%"));
	assert_non_null(strstr(lines[4], "100.00%"));
	assert_non_null(strstr(lines[5], "0.00%"));
	assert_non_null(strstr(lines[8], "99.85%"));
	assert_non_null(strstr(lines[8], "95.12%"));
	assert_non_null(strstr(lines[5], " -"));
	/* Columns only in the CSV stay out of the table. */
	assert_null(strstr(out.data, "110105"));
	assert_null(strstr(out.data, "并单量"));
	lines_free(lines);
	buf_release(&out);
	json_object_put(report);
}

static void the_ranking_csv_keeps_the_rank_order(void **state)
{
	json_object *ranking = parse(ranking_json);
	struct buf out = BUF_INIT;
	struct records recs;
	char *csv;

	export_ranking_csv(ranking, &out);
	csv = buf_detach(&out, NULL);
	assert_true(!strncmp(csv, BOM "排名,编码,名称,三率得分,响应率,解决率,满意率,派单量,评价量,榜单\r\n",
			     strlen(BOM "排名,编码,名称,三率得分,响应率,解决率,满意率,派单量,评价量,榜单\r\n")));
	recs = read_back(csv);
	assert_int_equal(recs.count, 5);
	assert_string_equal(field(&recs, 1, "名称"), "朝阳区");
	assert_string_equal(field(&recs, 1, "三率得分"), "0.9712");
	assert_string_equal(field(&recs, 2, "排名"), "1");	/* a tie shares the rank */
	assert_string_equal(field(&recs, 2, "榜单"), "red");
	assert_string_equal(field(&recs, 3, "名称"), "海淀区");
	/* Unranked: no rank, no score. */
	assert_string_equal(field(&recs, 4, "排名"), "");
	assert_string_equal(field(&recs, 4, "三率得分"), "");
	assert_string_equal(field(&recs, 4, "解决率"), "");
	records_release(&recs);
	free(csv);
	json_object_put(ranking);
}

static void the_ranking_table_names_the_red_and_black_lists(void **state)
{
	json_object *ranking = parse(ranking_json);
	struct buf out = BUF_INIT;
	char **lines;
	size_t n, width;

	export_ranking_table(ranking, &out);
	lines = lines_of(out.data, &n);
	assert_string_equal(lines[0], "2026-11-01T00:00:00+08:00 — 2026-12-01T00:00:00+08:00");
	/* title, blank, header, rule, 4 rows, blank, red, black */
	assert_int_equal(n, 2 + 2 + 4 + 3);
	width = strlen(lines[3]);
	assert_true(strspn(lines[3], "-") == width);
	/* Every row but the unranked one ends with its list (text, not padded). */
	assert_non_null(strstr(lines[4], "97.12%"));
	assert_true(strlen(lines[4]) > strlen("红榜") && !strcmp(lines[4] + strlen(lines[4]) - strlen("红榜"), "红榜"));
	assert_true(!strcmp(lines[6] + strlen(lines[6]) - strlen("黑榜"), "黑榜"));
	assert_true(export_display_width(lines[4]) == width);
	assert_true(export_display_width(lines[6]) == width);
	/* The unranked unit: "-" for rank and score. */
	assert_true(lines[7][0] == ' ' || lines[7][0] == '-');
	assert_non_null(strstr(lines[7], "丰台区"));
	assert_true(column_of(lines[7], "-") < column_of(lines[7], "110106"));
	assert_string_equal(lines[8], "");
	assert_string_equal(lines[9], "红榜: 朝阳区 (0.9712)，东城区 (0.9712)");
	assert_string_equal(lines[10], "黑榜: 海淀区 (0.6)");
	lines_free(lines);
	buf_release(&out);
	json_object_put(ranking);
}

static void empty_lists_show_a_dash(void **state)
{
	json_object *ranking = parse("{\"from\": \"a\", \"to\": \"b\", \"rows\": [], \"red_list\": [],"
				     " \"black_list\": []}");
	struct buf out = BUF_INIT;

	export_ranking_table(ranking, &out);
	assert_non_null(strstr(out.data, "\n红榜: -\n黑榜: -\n"));
	buf_release(&out);
	json_object_put(ranking);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_orders_csv_starts_with_a_bom_and_chinese_labels),
		cmocka_unit_test(the_orders_csv_has_one_record_a_row_and_the_total_last),
		cmocka_unit_test(names_with_commas_and_quotes_survive_the_csv),
		cmocka_unit_test(exporting_leaves_the_report_unchanged),
		cmocka_unit_test(an_empty_report_is_the_header_and_the_total),
		cmocka_unit_test(display_width_counts_cjk_as_two_columns),
		cmocka_unit_test(the_orders_table_lines_up_chinese_names),
		cmocka_unit_test(the_ranking_csv_keeps_the_rank_order),
		cmocka_unit_test(the_ranking_table_names_the_red_and_black_lists),
		cmocka_unit_test(empty_lists_show_a_dash),
	};
	return cmocka_run_group_tests_name("supervision-export", tests, NULL, NULL);
}
