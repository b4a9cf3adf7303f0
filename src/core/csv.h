/*
 * csv: RFC 4180 records from a text in memory — the import format of
 * departments, categories and routing rules (spreadsheets export it).
 *
 * Fields may be quoted with '"' (doubled inside) and then hold commas and
 * newlines; LF and CRLF both end a record; a UTF-8 byte-order mark at the
 * start is skipped; blank lines are skipped. Line numbers are physical
 * lines of the text, from 1, for error messages.
 */
#ifndef HOTLINE_CORE_CSV_H
#define HOTLINE_CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct csv_reader {
	const char *p;
	const char *end;
	int line;			/* line of *p, from 1 */
};

/* One record; the fields are owned by the row and replaced by csv_next(). */
struct csv_row {
	char **fields;
	size_t n;
	size_t cap;
	int line;			/* where the record starts */
};

#define CSV_ROW_INIT { NULL, 0, 0, 0 }

/* Reads `len` bytes of `text`, which must outlive the reader. */
void csv_reader_init(struct csv_reader *r, const char *text, size_t len);
/*
 * Reads the next record into `row` (cleared first). Returns 1 for a
 * record, 0 at the end of the text, -1 with `e` (400, naming the line) for
 * an unclosed quote or text after a closing quote.
 */
int csv_next(struct csv_reader *r, struct csv_row *row, struct err *e);
/* Frees the row's fields; the row can be used again. */
void csv_row_release(struct csv_row *row);
/* Appends `s` as one field, quoted when it needs to be (NULL: empty). */
void csv_add_field(struct buf *out, const char *s);
/*
 * Appends the text cell `s` of an export as csv_add_field() does, but a
 * cell a spreadsheet would run as a formula, one starting with = + - @, a
 * tab or a carriage return, is kept as text with a leading apostrophe.
 * Every export's free-text cells go through here; numbers do not.
 */
void csv_add_text(struct buf *out, const char *s);
/* True if a spreadsheet would read `s` as the start of a formula. */
bool csv_formula_like(const char *s);

#endif
