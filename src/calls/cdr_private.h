/*
 * cdr_private: what the reader (cdr.c) shares with the format parsers
 * (cdr_parse.c). Not part of the API: include only from src/calls.
 */
#ifndef HOTLINE_CALLS_CDR_PRIVATE_H
#define HOTLINE_CALLS_CDR_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "calls/cdr.h"
#include "core/buf.h"
#include "core/err.h"

#define CDR_TIME_SLOTS 8

/* Local hour → epoch of its first second, for the hours seen lately. */
struct cdr_time_cache {
	long hour[CDR_TIME_SLOTS];	/* days since epoch * 24 + hour */
	time_t base[CDR_TIME_SLOTS];
	bool valid[CDR_TIME_SLOTS];
	bool uniform[CDR_TIME_SLOTS];	/* no offset change inside the hour */
};

/* Per-reader parsing state: reused scratch space and the current record. */
struct cdr_parse_ctx {
	bool utc_times;			/* cdr_options.utc_times */
	bool utf8_checked;		/* the reader found the record valid UTF-8 */
	struct cdr_time_cache times;
	struct buf agent;		/* derived agent extension */
	struct buf key;			/* the record's key */
	struct buf hash_in;		/* normalised fields fed to the hash */
	struct call_record call;
	struct queue_event ev;
};

void cdr_parse_ctx_init(struct cdr_parse_ctx *c);
void cdr_parse_ctx_release(struct cdr_parse_ctx *c);

/*
 * Each parser takes the record's fields (split in place, NUL-terminated,
 * writable) and fills c->call or c->ev, pointing into them. They return
 * false and fill `e` (status 422) with a message naming the field but no
 * line number: the reader prefixes that.
 */
bool cdr_parse_asterisk_csv(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e);
bool cdr_parse_freeswitch_csv(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e);
bool cdr_parse_queue_log(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e);

/* Whether s[0..n) is well-formed UTF-8. */
bool cdr_valid_utf8(const char *s, size_t n);

/* Which CSV format a first record of `n` fields is, or CDR_AUTO if none. */
enum cdr_format cdr_detect_csv(char *const *f, size_t n);

#endif
