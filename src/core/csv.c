#include "core/csv.h"

#include <stdlib.h>
#include <string.h>

void csv_reader_init(struct csv_reader *r, const char *text, size_t len)
{
	r->p = text;
	r->end = text + len;
	r->line = 1;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		r->p += 3;
}

static void csv_row_clear(struct csv_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		free(row->fields[i]);
	row->n = 0;
}

void csv_row_release(struct csv_row *row)
{
	csv_row_clear(row);
	free(row->fields);
	row->fields = NULL;
	row->cap = 0;
}

static void csv_row_push(struct csv_row *row, struct buf *field)
{
	if (row->n == row->cap) {
		row->cap = row->cap ? 2 * row->cap : 16;
		row->fields = xrealloc(row->fields, row->cap * sizeof(*row->fields));
	}
	row->fields[row->n++] = buf_detach(field, NULL);
}

/* Reads a quoted field after its opening quote. */
static bool csv_quoted(struct csv_reader *r, struct buf *f, int start_line, struct err *e)
{
	for (;;) {
		if (r->p == r->end)
			return err_set(e, 400, ERR_BAD_CSV,
				       "line %d: quoted field is not closed", start_line);
		if (*r->p == '"') {
			if (r->p + 1 < r->end && r->p[1] == '"') {
				buf_addch(f, '"');
				r->p += 2;
				continue;
			}
			r->p++;
			break;
		}
		if (*r->p == '\n')
			r->line++;
		buf_addch(f, *r->p++);
	}
	if (r->p < r->end && !strchr(",\r\n", *r->p))
		return err_set(e, 400, ERR_BAD_CSV,
			       "line %d: unexpected text after a closing quote", r->line);
	return true;
}

/*
 * Reads the next record into `row` (cleared first). Returns 1 for a
 * record, 0 at the end of the text, -1 with `e` filled on malformed input.
 * Blank lines are skipped.
 */
int csv_next(struct csv_reader *r, struct csv_row *row, struct err *e)
{
	struct buf f = BUF_INIT;

	csv_row_clear(row);
	for (;;) {
		if (r->p == r->end)
			return 0;
		if (*r->p != '\n' && *r->p != '\r')
			break;
		if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
			r->p++;
		r->p++;
		r->line++;
	}
	row->line = r->line;
	for (;;) {
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			if (!csv_quoted(r, &f, row->line, e)) {
				buf_release(&f);
				return -1;
			}
		} else {
			const char *s = r->p;

			while (r->p < r->end && !strchr(",\r\n", *r->p))
				r->p++;
			buf_add(&f, s, (size_t)(r->p - s));
		}
		csv_row_push(row, &f);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		break;
	}
	if (r->p < r->end) {
		if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
			r->p++;
		r->p++;
		r->line++;
	}
	return 1;
}

void csv_add_field(struct buf *out, const char *s)
{
	size_t len;

	if (!s)
		return;
	len = strlen(s);
	if (!strpbrk(s, ",\"\r\n") && (len == 0 || (s[0] != ' ' && s[len - 1] != ' '
						    && s[0] != '\t' && s[len - 1] != '\t'))) {
		buf_add(out, s, len);
		return;
	}
	buf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(out, '"');
		buf_addch(out, *s);
	}
	buf_addch(out, '"');
}


bool csv_formula_like(const char *s)
{
	return s && *s && strchr("=+-@\t\r", s[0]);
}

void csv_add_text(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;

	if (!csv_formula_like(s)) {
		csv_add_field(out, s);
		return;
	}
	buf_addch(&t, '\'');
	buf_adds(&t, s);
	csv_add_field(out, t.data);
	buf_release(&t);
}
