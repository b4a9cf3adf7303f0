#include "supervision/export.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/csv.h"

enum col_kind { COL_TEXT, COL_COUNT, COL_RATE, COL_DAYS };

struct column {
	const char *key;		/* member of the row object */
	const char *label;
	enum col_kind kind;
	bool in_table;			/* also in the text table (CSV has every column) */
};

static const struct column order_columns[] = {
	{ "key", "编码", COL_TEXT, false },
	{ "name", "名称", COL_TEXT, true },
	{ "accepted", "受理量", COL_COUNT, true },
	{ "completed", "办结量", COL_COUNT, true },
	{ "completion_rate", "办结率", COL_RATE, true },
	{ "on_time_rate", "按时办结率", COL_RATE, true },
	{ "timely_sign_rate", "及时签收率", COL_RATE, true },
	{ "return_rate", "退单率", COL_RATE, true },
	{ "reopen_rate", "重办率", COL_RATE, true },
	{ "callback_rate", "回访率", COL_RATE, true },
	{ "satisfaction_rate", "满意率", COL_RATE, true },
	{ "resolution_rate", "解决率", COL_RATE, true },
	{ "response_rate", "响应率", COL_RATE, true },
	{ "avg_handling_workdays", "平均办理工作日", COL_DAYS, true },
	{ "on_time", "按时办结量", COL_COUNT, false },
	{ "dispatched", "派单量", COL_COUNT, false },
	{ "signed_timely", "及时签收量", COL_COUNT, false },
	{ "responded", "响应量", COL_COUNT, false },
	{ "returned", "退单量", COL_COUNT, false },
	{ "extended", "延期量", COL_COUNT, false },
	{ "replied", "回复量", COL_COUNT, false },
	{ "reopened", "重办量", COL_COUNT, false },
	{ "callback_due", "应回访量", COL_COUNT, false },
	{ "rated", "回访评价量", COL_COUNT, false },
	{ "satisfied", "满意量", COL_COUNT, false },
	{ "solved", "解决量", COL_COUNT, false },
	{ "unreachable", "无法回访量", COL_COUNT, false },
	{ "transferred", "转出量", COL_COUNT, false },
	{ "merged", "并单量", COL_COUNT, false },
};

static const struct column ranking_columns[] = {
	{ "rank", "排名", COL_COUNT, true },
	{ "key", "编码", COL_TEXT, true },
	{ "name", "名称", COL_TEXT, true },
	{ "score", "三率得分", COL_RATE, true },
	{ "response_rate", "响应率", COL_RATE, true },
	{ "resolution_rate", "解决率", COL_RATE, true },
	{ "satisfaction_rate", "满意率", COL_RATE, true },
	{ "dispatched", "派单量", COL_COUNT, true },
	{ "rated", "评价量", COL_COUNT, true },
	{ "list", "榜单", COL_TEXT, true },
};

/* ------------------------------------------------------------ widths */

static uint32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = *s++;
	int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

	if (more)
		c &= 0x3F >> more;
	while (more-- > 0 && (*s & 0xC0) == 0x80)
		c = (c << 6) | (*s++ & 0x3F);
	*p = s;
	return c;
}

static bool wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E)
	       || (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF)
	       || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF)
	       || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF)
	       || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60)
	       || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}

size_t export_display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p)
		w += wide(utf8_next(&p)) ? 2 : 1;
	return w;
}

/* ------------------------------------------------------------- cells */

/* The cell text of `col` in `row`; `table` chooses percentages for rates. */
static void cell(json_object *row, const struct column *col, bool table, struct buf *out)
{
	json_object *v = NULL;

	json_object_object_get_ex(row, col->key, &v);
	if (!v) {
		buf_adds(out, table && col->kind != COL_TEXT ? "-" : "");
		return;
	}
	if (col->kind == COL_RATE && table) {
		buf_addf(out, "%.2f%%", json_object_get_double(v) * 100);
	} else if (col->kind == COL_TEXT && table && !strcmp(col->key, "list")) {
		const char *list = json_object_get_string(v);
		buf_adds(out, !strcmp(list, "red") ? "红榜" : !strcmp(list, "black") ? "黑榜" : list);
	} else if (col->kind == COL_TEXT) {
		buf_adds(out, json_object_get_string(v));
	} else {
		buf_adds(out, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	}
}

static void csv_line(json_object *row, const struct column *cols, size_t n, struct buf *out)
{
	struct buf text = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&text);
		cell(row, &cols[i], false, &text);
		if (i)
			buf_addch(out, ',');
		/* A name a spreadsheet would read as a formula is kept as text. */
		if (cols[i].kind == COL_TEXT)
			csv_add_text(out, text.data);
		else
			csv_add_field(out, text.data);
	}
	buf_adds(out, "\r\n");
	buf_release(&text);
}

static void csv_header(const struct column *cols, size_t n, struct buf *out)
{
	buf_adds(out, "\xEF\xBB\xBF");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(out, ',');
		csv_add_field(out, cols[i].label);
	}
	buf_adds(out, "\r\n");
}

void export_orders_csv(json_object *report, struct buf *out)
{
	json_object *rows = json_object_object_get(report, "rows");
	json_object *total = json_object_object_get(report, "total");

	csv_header(order_columns, ARRAY_SIZE(order_columns), out);
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		csv_line(json_object_array_get_idx(rows, i), order_columns, ARRAY_SIZE(order_columns), out);
	if (total) {
		/* The total row has no key; its name is the label 合计. */
		json_object *t = json_object_new_object();
		json_object_object_foreach(total, k, v)
			json_object_object_add(t, k, json_object_get(v));
		json_object_object_add(t, "name", json_object_new_string("合计"));
		csv_line(t, order_columns, ARRAY_SIZE(order_columns), out);
		json_object_put(t);
	}
}

void export_ranking_csv(json_object *ranking, struct buf *out)
{
	json_object *rows = json_object_object_get(ranking, "rows");

	csv_header(ranking_columns, ARRAY_SIZE(ranking_columns), out);
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		csv_line(json_object_array_get_idx(rows, i), ranking_columns, ARRAY_SIZE(ranking_columns), out);
}

/* ------------------------------------------------------------- tables */

/* A table of cells being laid out: row 0 is the header. */
struct grid {
	const struct column *cols;
	size_t ncols;
	char **cells;			/* nrows × ncols */
	size_t nrows, cap;
};

static void grid_add(struct grid *g, json_object *row, const char *name_override)
{
	struct buf text = BUF_INIT;

	if (g->nrows == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->cells = xrealloc(g->cells, g->cap * g->ncols * sizeof(*g->cells));
	}
	for (size_t c = 0; c < g->ncols; c++) {
		buf_reset(&text);
		if (!row)
			buf_adds(&text, g->cols[c].label);
		else if (name_override && !strcmp(g->cols[c].key, "name"))
			buf_adds(&text, name_override);
		else
			cell(row, &g->cols[c], true, &text);
		g->cells[g->nrows * g->ncols + c] = xstrdup(text.data ? text.data : "");
	}
	g->nrows++;
	buf_release(&text);
}

static void pad(struct buf *out, size_t n)
{
	while (n-- > 0)
		buf_addch(out, ' ');
}

/* Writes the grid with columns aligned (text left, numbers right), and frees it. */
static void grid_flush(struct grid *g, struct buf *out)
{
	size_t *w = xcalloc(g->ncols, sizeof(*w));

	for (size_t r = 0; r < g->nrows; r++)
		for (size_t c = 0; c < g->ncols; c++) {
			size_t cw = export_display_width(g->cells[r * g->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < g->nrows; r++) {
		for (size_t c = 0; c < g->ncols; c++) {
			const char *s = g->cells[r * g->ncols + c];
			size_t gap = w[c] - export_display_width(s);
			bool right = g->cols[c].kind != COL_TEXT;

			if (c)
				buf_adds(out, "  ");
			if (right)
				pad(out, gap);
			buf_adds(out, s);
			if (!right && c + 1 < g->ncols)
				pad(out, gap);
			free(g->cells[r * g->ncols + c]);
		}
		buf_addch(out, '\n');
		if (r == 0) {
			size_t total = 0;
			for (size_t c = 0; c < g->ncols; c++)
				total += w[c] + (c ? 2 : 0);
			for (size_t i = 0; i < total; i++)
				buf_addch(out, '-');
			buf_addch(out, '\n');
		}
	}
	free(w);
	free(g->cells);
}

/* The columns shown in the text table. */
static size_t table_columns(const struct column *all, size_t n, struct column *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (all[i].in_table)
			out[k++] = all[i];
	return k;
}

void export_orders_table(json_object *report, struct buf *out)
{
	struct column cols[ARRAY_SIZE(order_columns)];
	struct grid g = { .cols = cols };
	json_object *rows = json_object_object_get(report, "rows");
	json_object *total = json_object_object_get(report, "total");

	g.ncols = table_columns(order_columns, ARRAY_SIZE(order_columns), cols);
	buf_addf(out, "%s — %s, by %s\n\n", json_object_get_string(json_object_object_get(report, "from")),
		 json_object_get_string(json_object_object_get(report, "to")),
		 json_object_get_string(json_object_object_get(report, "by")));
	grid_add(&g, NULL, NULL);
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		grid_add(&g, json_object_array_get_idx(rows, i), NULL);
	if (total)
		grid_add(&g, total, "合计");
	grid_flush(&g, out);
}

static void list_line(json_object *ranking, const char *member, const char *label, struct buf *out)
{
	json_object *list = json_object_object_get(ranking, member);

	buf_addf(out, "%s:", label);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *u = json_object_array_get_idx(list, i);
		buf_addf(out, "%s%s (%s)", i ? "，" : " ",
			 json_object_get_string(json_object_object_get(u, "name")),
			 json_object_get_string(json_object_object_get(u, "score")));
	}
	if (json_object_array_length(list) == 0)
		buf_adds(out, " -");
	buf_addch(out, '\n');
}

void export_ranking_table(json_object *ranking, struct buf *out)
{
	struct grid g = { .cols = ranking_columns, .ncols = ARRAY_SIZE(ranking_columns) };
	json_object *rows = json_object_object_get(ranking, "rows");

	buf_addf(out, "%s — %s\n\n", json_object_get_string(json_object_object_get(ranking, "from")),
		 json_object_get_string(json_object_object_get(ranking, "to")));
	grid_add(&g, NULL, NULL);
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		grid_add(&g, json_object_array_get_idx(rows, i), NULL);
	grid_flush(&g, out);
	buf_addch(out, '\n');
	list_line(ranking, "red_list", "红榜", out);
	list_line(ranking, "black_list", "黑榜", out);
}
