/*
 * import_private: what the two halves of the call import share (private to
 * src/intake). import_read.c reads the input on a thread of its own and
 * hands it over a batch at a time (struct import_chunk); import.c stores
 * each batch in one transaction while the thread reads the next, so that
 * parsing and the database's work overlap instead of taking turns.
 */
#ifndef HOTLINE_INTAKE_IMPORT_PRIVATE_H
#define HOTLINE_INTAKE_IMPORT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "calls/cdr.h"
#include "core/buf.h"
#include "core/err.h"
#include "intake/intake_sql.h"
#include "intake/settings.h"

/* A string offset for "no string" (NULL). */
#define NO_STR ((size_t)-1)

/* One CDR of a batch; strings are offsets into cdr_set.strs. */
struct cdr_rec {
	/* its fields for call_stage in cdr_set.fields (binary COPY, without
	 * the field count: CALL_RECORD_COPY_FIELDS and caller_phone) */
	size_t fields, fields_len;
	size_t key, cid, dialled, caller, phone, name, agent;
	time_t start, answer, end;
	int billsec;
	const char *kind;		/* call_kind(): inbound, ivr, outbound, other */
	bool connected;			/* answered by an agent (see sql_merge_calls) */
	/* set when stored, of the first new record of a call: another new
	 * record of the call follows in the batch; the call has a summary
	 * already (a `call` row or an alone record) */
	bool multi, stored;
	enum { REC_NEW, REC_DUP, REC_FAST, REC_SLOW } path;
};

/* The CDRs of a batch: the records, their binary COPY fields for
 * call_stage (the reader's columns and caller_phone), and their strings. */
struct cdr_set {
	struct cdr_rec *recs;
	size_t nrecs, cap;
	struct buf fields, strs;
};

/* Appends `s` to the set's strings; returns its offset (NO_STR for NULL). */
static inline size_t cdr_set_keep(struct cdr_set *set, const char *s)
{
	size_t at = set->strs.len;

	if (!s)
		return NO_STR;
	buf_add(&set->strs, s, strlen(s) + 1);
	return at;
}

/* The string at offset `at` (NULL for NO_STR). */
static inline const char *cdr_set_str(const struct cdr_set *set, size_t at)
{
	return at == NO_STR ? NULL : set->strs.data + at;
}

/* A string's FNV-1a hash. */
static inline uint64_t import_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The import lane of the call `cid` (see INTAKE_LANES): the same for
 * every record of the call, in every import. From the hash's high bits:
 * the hash tables of a lane's records index by its low ones. */
static inline unsigned call_lane(const char *cid)
{
	return (unsigned)((import_hash(cid) >> 32) % INTAKE_LANES);
}

/* One batch as read: CDRs, or queue_log events as COPY lines, never both. */
struct import_chunk {
	bool queue;			/* queue_log events in `text` */
	unsigned long staged;		/* records in the batch */
	enum cdr_format format;		/* as detected so far */
	struct cdr_set cdrs[INTAKE_LANES];	/* the CDRs by call_lane() */
	struct buf text;		/* queue_stage COPY lines */
	/* The rejects met since the previous chunk, in input order: line
	 * numbers, and per reject "field\0reason\0" in reject_texts. */
	unsigned long *reject_lines;
	size_t nrejects, rejects_cap;
	struct buf reject_texts;
	/* The input ends after this chunk: at its end (err unset), or at a
	 * fatal error (err set; the chunk's records are not to be stored). */
	bool end;
	struct err err;
};

struct import_reading;

/*
 * Starts reading `r` (a pulling or memory reader) on a thread, in batches
 * of at most `limit` records, with the hotline numbers of `s` for the CDRs'
 * kinds. `r` and `s` must outlive the reading, and only the thread uses `r`
 * until import_reading_free(). Returns NULL with `e` (500) if no thread
 * could be started.
 */
struct import_reading *import_reading_start(struct cdr_reader *r, const struct intake_settings *s,
					    size_t limit, struct err *e);
/* The next batch in input order, waiting until it is read. After a chunk
 * with `end` set there are no more. */
struct import_chunk *import_reading_next(struct import_reading *rd);
/* Gives back a chunk from import_reading_next() once it is stored. */
void import_reading_done(struct import_reading *rd, struct import_chunk *ch);
/* Stops the thread (between two records if it is still reading), waits
 * for it, and frees everything. Accepts NULL. */
void import_reading_free(struct import_reading *rd);

#endif
