/* Helpers shared by the call-record tests: fixtures and reading summaries. */
#ifndef HOTLINE_TESTS_CALLS_TEST_H
#define HOTLINE_TESTS_CALLS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls/cdr.h"
#include "core/buf.h"
#include "core/timeutil.h"

#ifndef CALLS_FIXTURES
#error "CALLS_FIXTURES must name the fixture folder"
#endif

static inline int calls_setup_zone(void **state)
{
	(void)state;
	return timeutil_set_zone("Asia/Shanghai") ? 0 : -1;
}

/* The whole fixture file, NUL-terminated; *len_out its size. */
static inline char *fixture_load(const char *name, size_t *len_out)
{
	char path[512];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", CALLS_FIXTURES, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		abort();
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len_out);
}

/*
 * Reads everything and describes it, one item a line:
 *   "ok <line> <key>" for a record, "reject <line> [<field>] <message>",
 *   "error <message>" for a fatal error, "end" at the end.
 * With `push_chunk` > 0 the input is fed in pieces of that size (push mode)
 * instead of read from memory. Returns a malloc'd string.
 */
static inline char *read_summary(const char *data, size_t len, const struct cdr_options *opt,
				 size_t push_chunk)
{
	struct buf out = BUF_INIT;
	struct cdr_reader *r = push_chunk ? cdr_reader_new(opt)
					  : cdr_reader_new_memory(data, len, opt);
	size_t fed = 0;

	for (;;) {
		struct cdr_item it;
		struct err e = ERR_INIT;
		enum cdr_status st = cdr_reader_next(r, &it, &e);

		if (st == CDR_NEED_INPUT) {
			if (fed == len) {
				cdr_reader_finish(r);
			} else {
				size_t k = len - fed < push_chunk ? len - fed : push_chunk;
				cdr_reader_feed(r, data + fed, k);
				fed += k;
			}
			continue;
		}
		if (st == CDR_RECORD) {
			buf_addf(&out, "ok %lu %s\n", it.line,
				 it.call ? it.call->key : it.event->key);
		} else if (st == CDR_REJECT) {
			buf_addf(&out, "reject %lu [%s] %s\n", it.line, e.field, e.message);
		} else if (st == CDR_ERROR) {
			buf_addf(&out, "error %s\n", e.message);
			break;
		} else {
			buf_adds(&out, "end\n");
			break;
		}
	}
	cdr_reader_free(r);
	return buf_detach(&out, NULL);
}

/* Only the "ok <line>" / "reject <line>" / "end" skeleton of a summary. */
static inline char *read_outline(const char *data, size_t len, const struct cdr_options *opt)
{
	char *full = read_summary(data, len, opt, 0);
	struct buf out = BUF_INIT;

	for (char *line = strtok(full, "\n"); line; line = strtok(NULL, "\n")) {
		char word[16];
		unsigned long n;
		if (sscanf(line, "%15s %lu", word, &n) == 2)
			buf_addf(&out, "%s%s@%lu", out.len ? " " : "", word, n);
		else
			buf_addf(&out, "%s%.5s", out.len ? " " : "", line);
	}
	free(full);
	return buf_detach(&out, NULL);
}

#endif
