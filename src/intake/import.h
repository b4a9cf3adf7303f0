/*
 * import: loading call records (Asterisk Master.csv, Asterisk queue_log,
 * FreeSWITCH CSV) from a cdr_reader into the database.
 *
 * Batches. Every `batch_records` records (and at the end) the batch is
 * stored, in one transaction per lane (below): the new records in
 * call_record (a record whose key is stored already is a duplicate),
 * merged into the per-call summary (table call, or the record itself for a
 * call it is the only source of: migrations/0007_call_alone.sql), and the
 * hourly rollups (call_hour) moved by the difference. A crash loses at
 * most the batches in flight, and what was committed is whole: a call's
 * records are all in one lane. Re-importing a file therefore adds nothing:
 * every record comes back as a duplicate. Most CDRs (a new call with one
 * record in the batch) are copied straight into call_record, alone, in
 * input order, and their callers into call_alone_caller by phone
 * (migrations/0009_call_alone_caller.sql), with their rollups summed in C;
 * the others, and queue_log events, go through a temporary staging table
 * and INSERT … SELECT … ON CONFLICT (import.c explains the two paths).
 * A thread reads and parses the next batch while one is being stored, so
 * that parsing and the database's work overlap, and a big batch's CDRs are
 * stored in two lanes at once, split by call id, each lane's part in a
 * transaction of its own on a connection of its own (import.c). Memory is
 * bounded by the reader's buffers and two batches (about 50 MB at the
 * default 50,000 records), whatever the input size.
 *
 * Rejects (records the reader cannot read) never stop an import; they are
 * counted and handed to the caller's callback. A fatal reader error (input
 * that is not call records, a read error) or a database failure stops it:
 * the batches committed before stay, and the result counts them.
 *
 * What counts as inbound, offered, answered and so on is documented in
 * migrations/0004_calls.sql.
 */
#ifndef HOTLINE_INTAKE_IMPORT_H
#define HOTLINE_INTAKE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "calls/cdr.h"
#include "core/err.h"
#include "db/db.h"
#include "intake/settings.h"

#define CALL_IMPORT_BATCH_DEFAULT 50000

/*
 * Parses a format name: "auto", "asterisk-cdr" (or "asterisk-csv"),
 * "asterisk-queue-log", "freeswitch-cdr" (or "freeswitch-csv"). Returns
 * false on any other name, *out untouched.
 */
bool call_import_format_parse(const char *name, enum cdr_format *out);
/* The name this module uses for `f` ("asterisk-cdr", …); static, never NULL. */
const char *call_import_format_name(enum cdr_format f);

struct call_import_result {
	enum cdr_format format;		/* as detected; CDR_AUTO if no record was read */
	unsigned long records;		/* records read (imported + duplicates) */
	unsigned long imported;		/* new rows stored */
	unsigned long duplicates;	/* records already stored (or twice in the input) */
	unsigned long rejected;		/* records the reader rejected */
};

struct call_import_options {
	const struct intake_settings *settings;
	size_t batch_records;		/* 0 = CALL_IMPORT_BATCH_DEFAULT */
	/* Called for each rejected record, in input order, when the batch it
	 * was met in comes to be stored: the physical line it starts on, the
	 * field at fault ("" if none) and the reason without the "line N: "
	 * prefix. May be NULL. Both callbacks run on the caller's thread. */
	void (*on_reject)(void *ctx, unsigned long line, const char *field, const char *reason);
	/* Called after each batch, with the result so far. May be NULL. */
	void (*on_progress)(void *ctx, const struct call_import_result *so_far);
	void *ctx;
};

/*
 * Imports everything `r` yields (a pulling or memory reader; push mode is
 * not supported) over `db`, which must not be inside a transaction. Fills
 * *res as it goes, so that after a failure it still says what was
 * committed. Returns true at the end of the input, or false with `e`:
 *   400 the input is not call records of a known format (the reader's
 *       message),
 *   500 a read error,
 *   503/500 the database failed (the batch in flight is rolled back).
 */
bool call_import(struct db *db, struct cdr_reader *r, const struct call_import_options *opt,
		 struct call_import_result *res, struct err *e);

#endif
