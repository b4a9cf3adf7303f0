/* The shared parts of the directory's units (directory_private.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/jsonutil.h"
#include "directory/directory_private.h"

char *dir_query_text(struct db *db, const char *sql, struct err *e)
{
	struct db_res *r = db_exec(db, sql, 0, NULL, e);
	char *text;

	if (!r)
		return NULL;
	text = xstrdup(db_res_get(r, 0, 0));
	db_res_free(r);
	return text;
}

json_object *dir_query_json(struct db *db, const char *sql, struct err *e)
{
	char *text = dir_query_text(db, sql, e);
	json_object *out = NULL;

	if (text && !json_parse_document(text, strlen(text), &out, e))
		out = NULL;
	free(text);
	return out;
}

const char *dir_cell(const struct csv_row *row, int pos)
{
	return pos >= 0 && (size_t)pos < row->n && row->fields[pos][0] ? row->fields[pos] : NULL;
}

/* Column positions of a CSV header; -1 for absent optional columns. */
static bool csv_columns(const struct csv_row *row, const struct dir_csv *layout, int *pos,
			const char *file, struct err *e)
{
	for (size_t i = 0; i < layout->ncols; i++) {
		pos[i] = -1;
		for (size_t k = 0; k < row->n; k++)
			if (!strcmp(row->fields[k], layout->cols[i]))
				pos[i] = (int)k;
		if (pos[i] < 0 && i < layout->required)
			return err_set(e, 400, ERR_BAD_CSV, "%s: line %d: the header has no column \"%s\"",
				       file, row->line, layout->cols[i]);
	}
	return true;
}

long dir_import_csv(struct db *db, const struct dir_csv *layout, const char *file,
		    const char *text, size_t len, struct err *e)
{
	struct csv_reader r;
	struct csv_row row = CSV_ROW_INIT;
	int pos[16];
	long count = -1, n = 0;
	int rc;

	assert(layout->ncols <= ARRAY_SIZE(pos));
	csv_reader_init(&r, text, len);
	rc = csv_next(&r, &row, e);
	if (rc == 0)
		err_set(e, 400, ERR_BAD_CSV, "%s: the file is empty: a header row is required", file);
	if (rc <= 0 || !csv_columns(&row, layout, pos, file, e) || !db_begin(db, e))
		goto out;
	while ((rc = csv_next(&r, &row, e)) > 0) {
		if (!layout->row(db, &row, pos, e)) {
			err_at_line(e, file, row.line);
			goto out;
		}
		n++;
	}
	if (rc < 0) {
		err_prefix(e, "%s: ", file);
		goto out;
	}
	if ((layout->finish_sql && !db_run(db, layout->finish_sql, 0, NULL, e)) || !db_commit(db, e))
		goto out;
	count = n;
out:
	if (count < 0)
		db_rollback(db);
	csv_row_release(&row);
	return count;
}
