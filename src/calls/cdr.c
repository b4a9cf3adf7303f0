/*
 * The reader: input buffering, framing (line ends, quotes, BOM, blank and
 * over-long lines), field splitting in place, format detection and the
 * reject bookkeeping. What the fields mean is cdr_parse.c's business.
 */
#include "calls/cdr_private.h"
#include "core/array.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CDR_CHUNK (64 * 1024)

struct mem_source {
	const char *p;
	size_t left;
};

struct cdr_reader {
	struct cdr_options opt;
	enum cdr_format format;		/* CDR_AUTO until detected */
	bool csv_pending;		/* a CSV format, which one not yet known */
	bool has_source;		/* pull mode */
	struct cdr_source src;
	struct mem_source mem;
	bool eof;			/* no input will follow what is in `in` */
	bool bom_checked;
	bool skipping;			/* discarding up to the next LF */
	bool failed;
	struct err fail;

	struct buf in;			/* unread input is in.data[pos..in.len) */
	size_t pos;
	/* The search for the end of the record starting at pos: */
	size_t scan;			/* bytes after pos already looked at */
	bool in_quotes;			/* inside quotes at pos + scan */
	unsigned long scan_lines;	/* LFs inside quotes met so far */
	unsigned long line;		/* physical line of in.data[pos] */

	char **fields;			/* the current record's fields */
	size_t fields_cap;
	struct cdr_parse_ctx ctx;
	struct cdr_stats stats;
};

static const char *const format_names[] = {
	[CDR_AUTO] = "auto",
	[CDR_ASTERISK_CSV] = "asterisk-csv",
	[CDR_ASTERISK_QUEUE_LOG] = "asterisk-queue-log",
	[CDR_FREESWITCH_CSV] = "freeswitch-csv",
};

const char *cdr_format_name(enum cdr_format f)
{
	if ((unsigned)f >= ARRAY_SIZE(format_names))
		return "unknown";
	return format_names[f];
}

bool cdr_format_parse(const char *name, enum cdr_format *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (name && !strcmp(name, format_names[i])) {
			*out = (enum cdr_format)i;
			return true;
		}
	}
	return false;
}

/* ---- sources ---- */

static long file_read(void *ctx, char *dst, size_t n, struct err *e)
{
	FILE *f = ctx;
	size_t got = fread(dst, 1, n, f);

	if (got == 0 && ferror(f)) {
		err_set(e, 500, ERR_IO, "cannot read the call records: %s", strerror(errno));
		return -1;
	}
	return (long)got;
}

static long mem_read(void *ctx, char *dst, size_t n, struct err *e)
{
	struct mem_source *m = ctx;

	if (n > m->left)
		n = m->left;
	memcpy(dst, m->p, n);
	m->p += n;
	m->left -= n;
	return (long)n;
}

/* ---- lifecycle ---- */

struct cdr_reader *cdr_reader_new(const struct cdr_options *opt)
{
	static const struct cdr_options defaults = CDR_OPTIONS_INIT;
	struct cdr_reader *r = xcalloc(1, sizeof(*r));

	/* Thread-safe and idempotent; picks the fastest hash code. */
	if (sodium_init() < 0)
		abort();
	r->opt = opt ? *opt : defaults;
	if (!r->opt.max_record)
		r->opt.max_record = CDR_MAX_RECORD_DEFAULT;
	r->format = r->opt.format;
	buf_init(&r->in);
	r->line = 1;
	cdr_parse_ctx_init(&r->ctx);
	r->ctx.utc_times = r->opt.utc_times;
	return r;
}

struct cdr_reader *cdr_reader_new_source(const struct cdr_source *src,
					 const struct cdr_options *opt)
{
	struct cdr_reader *r = cdr_reader_new(opt);

	r->src = *src;
	r->has_source = true;
	return r;
}

struct cdr_reader *cdr_reader_new_file(FILE *f, const struct cdr_options *opt)
{
	struct cdr_source src = { file_read, f };

	return cdr_reader_new_source(&src, opt);
}

struct cdr_reader *cdr_reader_new_memory(const void *data, size_t len,
					 const struct cdr_options *opt)
{
	struct cdr_reader *r = cdr_reader_new(opt);

	r->mem.p = data;
	r->mem.left = len;
	r->src.read = mem_read;
	r->src.ctx = &r->mem;
	r->has_source = true;
	return r;
}

void cdr_reader_free(struct cdr_reader *r)
{
	if (!r)
		return;
	cdr_parse_ctx_release(&r->ctx);
	free(r->fields);
	buf_release(&r->in);
	free(r);
}

enum cdr_format cdr_reader_format(const struct cdr_reader *r)
{
	return r->format;
}

const struct cdr_stats *cdr_reader_stats(const struct cdr_reader *r)
{
	return &r->stats;
}

/* ---- input buffer ---- */

/* Moves the unread input to the front of the buffer. */
static void compact(struct cdr_reader *r)
{
	if (!r->pos)
		return;
	memmove(r->in.data, r->in.data + r->pos, r->in.len - r->pos);
	r->in.len -= r->pos;
	r->in.data[r->in.len] = '\0';
	r->pos = 0;
}

void cdr_reader_feed(struct cdr_reader *r, const void *data, size_t len)
{
	assert(!r->has_source && !r->eof);
	compact(r);
	buf_add(&r->in, data, len);
}

void cdr_reader_finish(struct cdr_reader *r)
{
	r->eof = true;
}

/* Pull mode: reads one more chunk. On a read error the reader fails. */
static void fill(struct cdr_reader *r)
{
	compact(r);
	buf_grow(&r->in, CDR_CHUNK);
	long n = r->src.read(r->src.ctx, r->in.data + r->in.len, CDR_CHUNK, &r->fail);
	if (n < 0) {
		if (!err_isset(&r->fail))
			err_set(&r->fail, 500, ERR_IO, "cannot read the call records");
		r->failed = true;
		return;
	}
	assert((size_t)n <= CDR_CHUNK);
	if (n == 0)
		r->eof = true;
	r->in.len += (size_t)n;
	r->in.data[r->in.len] = '\0';
}

/* Continues reading at `to` (an offset into in.data), `lines` lines on. */
static void consume(struct cdr_reader *r, size_t to, unsigned long lines)
{
	r->pos = to;
	r->line += lines;
	r->scan = 0;
	r->in_quotes = false;
	r->scan_lines = 0;
}

/* ---- framing ---- */

static bool quoting(const struct cdr_reader *r)
{
	return r->format != CDR_ASTERISK_QUEUE_LOG;
}

/*
 * Looks for the LF that ends the record starting at pos: the first one
 * outside double quotes (any LF for queue_log). Returns true with its
 * offset in *lf; false when the buffer ends first, remembering how far it
 * got so that the search resumes there when more input arrives.
 */
static bool find_end(struct cdr_reader *r, size_t *lf)
{
	char *d = r->in.data;
	size_t i = r->pos + r->scan, n = r->in.len;

	while (i < n) {
		char *nl = memchr(d + i, '\n', n - i);
		char *stop = nl ? nl : d + n;
		if (quoting(r)) {
			for (char *q = d + i; (q = memchr(q, '"', (size_t)(stop - q))); q++)
				r->in_quotes = !r->in_quotes;
		}
		if (!nl) {
			i = n;
			break;
		}
		if (!r->in_quotes) {
			*lf = (size_t)(nl - d);
			return true;
		}
		r->scan_lines++;
		i = (size_t)(nl - d) + 1;
	}
	r->scan = i - r->pos;
	return false;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* "digits|" at the start. */
static bool looks_like_queue_log(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && i < n && s[i] == '|';
}

/* Prefixes e->message with "line N: ", keeping it terminated. */
static void prefix_line(struct err *e, unsigned long line)
{
	char prefix[32];
	int k = snprintf(prefix, sizeof(prefix), "line %lu: ", line);
	size_t ml = strnlen(e->message, sizeof(e->message) - 1);

	if ((size_t)k + ml >= sizeof(e->message))
		ml = sizeof(e->message) - 1 - (size_t)k;
	memmove(e->message + k, e->message, ml);
	memcpy(e->message, prefix, (size_t)k);
	e->message[(size_t)k + ml] = '\0';
}

static enum cdr_status reject(struct cdr_reader *r, struct cdr_item *item,
			      unsigned long line, struct err *e)
{
	assert(err_isset(e));
	prefix_line(e, line);
	r->stats.rejected++;
	r->stats.lines = r->line - 1;
	item->format = r->format;
	item->line = line;
	return CDR_REJECT;
}

/* Marks the reader failed with `e` (already filled) and reports it. */
static enum cdr_status fatal(struct cdr_reader *r, struct err *e)
{
	r->fail = *e;
	r->failed = true;
	return CDR_ERROR;
}

/*
 * Rejects the record starting at pos for being over-long or for an
 * unbalanced quote, and resumes at the next physical line: after a stray
 * quote, the lines that followed it are read again on their own.
 */
static enum cdr_status resync(struct cdr_reader *r, struct cdr_item *item, struct err *e,
			      const char *why)
{
	unsigned long line = r->line;
	char *nl = memchr(r->in.data + r->pos, '\n', r->in.len - r->pos);

	err_set(e, 422, ERR_BAD_RECORD, "%s", why);
	if (nl) {
		consume(r, (size_t)(nl - r->in.data) + 1, 1);
	} else {
		consume(r, r->in.len, 0);
		r->skipping = !r->eof;
	}
	return reject(r, item, line, e);
}

/* The same message however much of the record had arrived. */
static enum cdr_status too_long(struct cdr_reader *r, struct cdr_item *item, struct err *e)
{
	char why[64];

	snprintf(why, sizeof(why), "record longer than %zu bytes", r->opt.max_record);
	return resync(r, item, e, why);
}

/* ---- splitting ---- */

static void add_field(struct cdr_reader *r, size_t *nf, char *f)
{
	if (*nf == r->fields_cap) {
		r->fields_cap = r->fields_cap ? r->fields_cap * 2 : 32;
		r->fields = xrealloc(r->fields, r->fields_cap * sizeof(*r->fields));
	}
	r->fields[(*nf)++] = f;
}

/*
 * Splits the CSV record s[0..n) into r->fields, in place: quotes removed,
 * "" made ", each field NUL-terminated (s[n] must be writable). Returns
 * false and fills `e` on text after a closing quote.
 */
static bool split_csv(struct cdr_reader *r, char *s, size_t n, size_t *nf_out, struct err *e)
{
	char *p = s, *end = s + n, *w = s;
	size_t nf = 0;

	for (;;) {
		add_field(r, &nf, w);
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				char *q = memchr(p, '"', (size_t)(end - p));
				if (!q)
					return err_set(e, 422, ERR_BAD_CSV,
						       "field %zu: unbalanced quote", nf);
				memmove(w, p, (size_t)(q - p));
				w += q - p;
				p = q + 1;
				if (p < end && *p == '"') {
					*w++ = '"';
					p++;
					continue;
				}
				break;
			}
			if (p < end && *p != ',')
				return err_set(e, 422, ERR_BAD_CSV,
					       "field %zu: text after the closing quote", nf);
		} else {
			char *q = memchr(p, ',', (size_t)(end - p));
			size_t k = q ? (size_t)(q - p) : (size_t)(end - p);
			if (w != p)
				memmove(w, p, k);
			w += k;
			p += k;
		}
		if (p >= end)
			break;
		*w++ = '\0';	/* w <= p, which is at the comma */
		p++;
	}
	*w = '\0';
	*nf_out = nf;
	return true;
}

/* Splits a queue_log line at '|', in place. */
static void split_pipe(struct cdr_reader *r, char *s, size_t n, size_t *nf_out)
{
	char *p = s, *end = s + n;
	size_t nf = 0;

	*end = '\0';
	for (;;) {
		add_field(r, &nf, p);
		char *q = memchr(p, '|', (size_t)(end - p));
		if (!q)
			break;
		*q = '\0';
		p = q + 1;
	}
	*nf_out = nf;
}

/* ---- records ---- */

static enum cdr_status parse_record(struct cdr_reader *r, char *s, size_t n,
				    unsigned long line, struct cdr_item *item, struct err *e)
{
	size_t nf = 0;
	bool ok;

	if (memchr(s, '\0', n)) {
		err_set(e, 422, ERR_BAD_RECORD, "record contains a NUL byte");
		return reject(r, item, line, e);
	}
	/* One pass over the record; the parsers look field by field only to
	 * name the culprit. */
	r->ctx.utf8_checked = cdr_valid_utf8(s, n);
	if (r->format == CDR_ASTERISK_QUEUE_LOG)
		split_pipe(r, s, n, &nf);
	else if (!split_csv(r, s, n, &nf, e))
		return r->csv_pending ? fatal(r, e) : reject(r, item, line, e);

	if (r->csv_pending) {
		r->format = cdr_detect_csv(r->fields, nf);
		r->csv_pending = false;
		if (r->format == CDR_AUTO) {
			err_set(e, 400, ERR_UNKNOWN_FORMAT,
				"cannot tell the call record format from line %lu (%zu fields): expected asterisk-csv (16 to 21 fields), freeswitch-csv (15 fields, a uuid in field 11) or asterisk-queue-log (epoch|callid|…)",
				line, nf);
			return fatal(r, e);
		}
	}

	switch (r->format) {
	case CDR_ASTERISK_CSV:
		ok = cdr_parse_asterisk_csv(&r->ctx, r->fields, nf, e);
		break;
	case CDR_FREESWITCH_CSV:
		ok = cdr_parse_freeswitch_csv(&r->ctx, r->fields, nf, e);
		break;
	case CDR_ASTERISK_QUEUE_LOG:
		ok = cdr_parse_queue_log(&r->ctx, r->fields, nf, e);
		break;
	default:
		assert(!"format decided before parsing");
		ok = false;
	}
	if (!ok)
		return reject(r, item, line, e);

	r->stats.records++;
	r->stats.lines = r->line - 1;
	item->format = r->format;
	item->line = line;
	if (r->format == CDR_ASTERISK_QUEUE_LOG) {
		r->ctx.ev.line = line;
		item->event = &r->ctx.ev;
	} else {
		r->ctx.call.line = line;
		item->call = &r->ctx.call;
	}
	return CDR_RECORD;
}

/*
 * Before the format is known: decides between queue_log and CSV from the
 * first non-blank physical line. Returns false when more input is needed.
 */
static bool detect_family(struct cdr_reader *r, struct err *e)
{
	for (;;) {
		char *s = r->in.data + r->pos;
		size_t avail = r->in.len - r->pos;
		char *nl = memchr(s, '\n', avail);
		size_t n = nl ? (size_t)(nl - s) : avail;

		if (!nl && !r->eof) {
			if (avail > r->opt.max_record) {
				err_set(e, 400, ERR_UNKNOWN_FORMAT,
					"cannot tell the call record format: line %lu is longer than %zu bytes",
					r->line, r->opt.max_record);
				fatal(r, e);
			}
			return false;
		}
		if (n > 0 && blank(s, n)) {
			consume(r, r->pos + n + (nl ? 1 : 0), nl ? 1 : 0);
			continue;
		}
		if (n == 0 && nl) {
			consume(r, r->pos + 1, 1);
			continue;
		}
		if (looks_like_queue_log(s, n))
			r->format = CDR_ASTERISK_QUEUE_LOG;
		else
			r->csv_pending = true;
		return true;
	}
}

enum cdr_status cdr_reader_next(struct cdr_reader *r, struct cdr_item *item, struct err *e)
{
	memset(item, 0, sizeof(*item));
	err_clear(e);
	for (;;) {
		size_t lf = 0;

		if (r->failed) {
			*e = r->fail;
			return CDR_ERROR;
		}
		size_t avail = r->in.len - r->pos;
		bool more = false;

		if (!r->bom_checked) {
			if (avail < 3 && !r->eof) {
				more = true;
			} else {
				if (avail >= 3 && !memcmp(r->in.data + r->pos, "\xef\xbb\xbf", 3))
					r->pos += 3;
				r->bom_checked = true;
				continue;
			}
		} else if (r->skipping) {
			char *nl = memchr(r->in.data + r->pos, '\n', avail);
			if (nl) {
				consume(r, (size_t)(nl - r->in.data) + 1, 1);
				r->skipping = false;
				continue;
			}
			consume(r, r->in.len, 0);
			if (r->eof) {
				r->skipping = false;
				continue;
			}
			more = true;
		} else if (r->format == CDR_AUTO && !r->csv_pending) {
			if (detect_family(r, e))
				continue;
			more = !r->failed;
		} else if (!find_end(r, &lf)) {
			if (avail > r->opt.max_record)
				return too_long(r, item, e);
			if (!r->eof) {
				more = true;
			} else if (!avail || blank(r->in.data + r->pos, avail)) {
				consume(r, r->in.len, 0);
				r->stats.lines = r->line - 1;
				return CDR_END;
			} else if (r->in_quotes && r->scan_lines) {
				return resync(r, item, e,
					      "unbalanced quote: the input ends inside a quoted field");
			} else if (r->in_quotes || !r->opt.accept_unterminated) {
				unsigned long line = r->line;
				err_set(e, 422, ERR_BAD_CSV, "truncated record: the input ends %s",
					r->in_quotes ? "inside a quoted field" : "without a line end");
				consume(r, r->in.len, 1);
				return reject(r, item, line, e);
			} else {
				lf = r->in.len;	/* accepted without a line end */
			}
		}
		if (more) {
			if (!r->has_source)
				return CDR_NEED_INPUT;
			fill(r);
			continue;
		}

		/* A whole record at pos..lf. */
		char *s = r->in.data + r->pos;
		size_t n = lf - r->pos;
		unsigned long line = r->line;

		if (n > r->opt.max_record)
			return too_long(r, item, e);
		consume(r, lf < r->in.len ? lf + 1 : lf, 1 + r->scan_lines);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (blank(s, n))
			continue;
		return parse_record(r, s, n, line, item, e);
	}
}
