/*
 * directory_private: what the units of src/directory share — running a
 * query that builds its JSON itself, and the one-transaction CSV import
 * that departments.c and categories.c both use. Nothing here is used
 * outside src/directory.
 */
#ifndef HOTLINE_DIRECTORY_PRIVATE_H
#define HOTLINE_DIRECTORY_PRIVATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/csv.h"
#include "core/err.h"
#include "db/db.h"

/*
 * Runs `sql` (no parameters), whose one row and column is JSON text.
 * Returns that text as a new string (caller frees), or NULL with `e`.
 */
char *dir_query_text(struct db *db, const char *sql, struct err *e);
/* As dir_query_text(), parsed: a new JSON value (caller puts) or NULL with `e`. */
json_object *dir_query_json(struct db *db, const char *sql, struct err *e);

/* One CSV layout: its columns, of which the first `required` must be in the header. */
struct dir_csv {
	const char *const *cols;
	size_t ncols;
	size_t required;
	/* Stores one row; `pos[i]` is the row's index of cols[i], -1 if absent. */
	bool (*row)(struct db *db, const struct csv_row *row, const int *pos, struct err *e);
	/* Run after the last row, before the commit (may be NULL). */
	const char *finish_sql;
};

/* The cell at `pos` of `row`, or NULL if the column is absent or the cell empty. */
const char *dir_cell(const struct csv_row *row, int pos);

/*
 * Imports the CSV text `text` (`len` bytes, named `file` in messages) as
 * `layout` says, in one transaction. Returns the number of rows, or -1
 * with `e` naming the file and the line (err_at_line()); nothing is stored
 * then.
 */
long dir_import_csv(struct db *db, const struct dir_csv *layout, const char *file,
		    const char *text, size_t len, struct err *e);

#endif
