/*
 * cdr: streaming readers for the telephone system's call records (来电记录).
 *
 * Three batch formats (docs/calls.md), one record at a time, in constant
 * memory, no database code:
 *
 *   CDR_ASTERISK_CSV        cdr_csv Master.csv. 16 fixed columns
 *                           accountcode, src, dst, dcontext, clid, channel,
 *                           dstchannel, lastapp, lastdata, start, answer, end,
 *                           duration, billsec, disposition, amaflags; then
 *                           what cdr.conf enabled, in this order: uniqueid
 *                           (loguniqueid), userfield (loguserfield),
 *                           peeraccount, linkedid, sequence (newcdrcolumns).
 *                           So a line has 16 to 21 fields, read as:
 *                             16  none
 *                             17  uniqueid if field 17 looks like one
 *                                 ("[system-]digits.digits"), else userfield
 *                             18  uniqueid, userfield
 *                             19  peeraccount, linkedid, sequence
 *                             20  as 17, then peeraccount, linkedid, sequence
 *                             21  all five
 *   CDR_ASTERISK_QUEUE_LOG  queue_log: epoch|callid|queue|agent|event|data…,
 *                           no quoting; old files carry fewer data fields.
 *   CDR_FREESWITCH_CSV      mod_cdr_csv default template, 15 fields:
 *                           caller_id_name, caller_id_number,
 *                           destination_number, context, start_stamp,
 *                           answer_stamp, end_stamp, duration, billsec,
 *                           hangup_cause, uuid, bleg_uuid, accountcode,
 *                           read_codec, write_codec.
 *
 * Auto-detection (CDR_AUTO), from the first non-blank line only:
 *   - it starts with one or more digits and then '|'  → queue_log;
 *   - otherwise it is read as a CSV record: 16 to 21 fields → Asterisk CSV;
 *     exactly 15 fields with a UUID (8-4-4-4-12 hex digits) in field 11
 *     → FreeSWITCH CSV;
 *   - anything else is a fatal error (CDR_ERROR): the file is not one we
 *     know, and guessing would import garbage.
 * The format then holds for the whole input.
 *
 * Framing. Records end at LF; a CR before it is dropped (CRLF files). A
 * UTF-8 byte order mark at the very start is skipped. In the CSV formats a
 * LF inside double quotes belongs to the field, so one record may span
 * several physical lines; fields are optionally double-quoted with "" for
 * a quote inside. Lines that are empty or only blanks are skipped (they
 * still count for line numbers). Bare-CR (old Mac) line ends are not
 * supported.
 *
 * Rejects. A record that cannot be read is reported (CDR_REJECT) with the
 * physical line on which it starts and a reason naming the field, e.g.
 *   line 7: field "start": invalid time "2026-13-01 00:00:00"
 * and reading continues with the next record. Reasons include: wrong field
 * count, invalid time or number, unknown disposition, invalid UTF-8 (a GBK
 * export must be converted first; PostgreSQL would refuse it anyway), a NUL
 * byte, a record longer than the limit (64 KiB by default), an
 * unbalanced quote, and a last record with no line end: a PBX appends to
 * Master.csv and queue_log while it runs, so an unterminated last line is
 * most likely half-written and importing it would store a cut value under a
 * wrong key (set cdr_options.accept_unterminated to parse it anyway).
 * After an over-long record, or a quote still open at the end of the input,
 * reading resumes at the physical line after the record's first: a stray
 * quote then costs one line, not the rest of the file. (A record cut after
 * an embedded newline therefore gives two rejects, never a record.)
 *
 * Times. CSV times are local "YYYY-MM-DD HH:MM:SS" without offset and are
 * converted in the process zone (timeutil_set_zone(); it must not change
 * while a reader is in use, as offsets are cached per local hour). Other
 * forms accepted by
 * time_parse_iso() with a time of day ("T" separator, fractions, an
 * explicit offset) are accepted too. With cdr_options.utc_times (Asterisk
 * usegmtime=yes) the plain form is read as UTC instead, and is the only
 * form accepted. An empty answer
 * time means the call was not answered: answer = 0. queue_log times are
 * epoch seconds.
 *
 * Normalisation. Empty text fields become NULL, so "" and a missing
 * optional column look the same. queue_log's "NONE" placeholders become
 * NULL as well.
 *
 * Lifetime contract. Every pointer in a record or event returned by
 * cdr_reader_next() points into the reader's reused buffers and stays valid
 * only until the next call of cdr_reader_next(), cdr_reader_feed(),
 * cdr_reader_finish() or cdr_reader_free() on that reader. Copy what you
 * keep (or write it out with call_record_copy_line()). Records are parsed
 * in place: there is no allocation per record once the buffers have grown
 * to the longest record.
 *
 * Memory. The reader holds at most one chunk of input (64 KiB) plus one
 * record (the limit), whatever the input size. In push mode the caller must
 * drain cdr_reader_next() until CDR_NEED_INPUT before feeding more.
 *
 * A reader is not thread-safe; use one per thread.
 */
#ifndef HOTLINE_CALLS_CDR_H
#define HOTLINE_CALLS_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

enum cdr_format {
	CDR_AUTO,
	CDR_ASTERISK_CSV,
	CDR_ASTERISK_QUEUE_LOG,
	CDR_FREESWITCH_CSV,
};

/* "auto", "asterisk-csv", "asterisk-queue-log", "freeswitch-csv": static
 * strings, never NULL ("unknown" for a value out of range). */
const char *cdr_format_name(enum cdr_format f);
/* Parses one of the names above into *out. Returns false on any other
 * name, *out untouched. */
bool cdr_format_parse(const char *name, enum cdr_format *out);

enum call_disposition {
	CALL_ANSWERED,
	CALL_NO_ANSWER,
	CALL_BUSY,
	CALL_FAILED,
	CALL_CONGESTION,
	CALL_CANCEL,
	CALL_UNKNOWN,
};

/* The Asterisk spelling: "ANSWERED", "NO ANSWER", "BUSY", "FAILED",
 * "CONGESTION", "CANCEL", "UNKNOWN". Static string, never NULL. */
const char *call_disposition_name(enum call_disposition d);

/*
 * One call record, normalised from either CSV format. Text fields are
 * NULL when empty or absent in the format. Field origins, Asterisk /
 * FreeSWITCH:
 */
struct call_record {
	enum cdr_format format;
	unsigned long line;		/* physical line the record starts on */
	/*
	 * Stable key, never NULL. With a call id: the call id, or
	 * "<uniqueid>#<sequence>" when Asterisk wrote a sequence (Asterisk 12+
	 * may write several CDRs for one channel, same uniqueid, one
	 * sequence each). Without a call id: 32 lowercase hex digits, a
	 * BLAKE2b-128 hash of the normalised fields (times as epoch seconds,
	 * so the key depends on the process zone). The same line read again,
	 * whatever its quoting or line ends, gives the same key.
	 */
	const char *key;
	const char *call_id;		/* uniqueid / uuid */
	const char *linkedid;		/* linkedid / NULL */
	const char *peer_call_id;	/* NULL / bleg_uuid */
	long sequence;			/* sequence / -1; -1 when absent */
	const char *accountcode;	/* accountcode / accountcode */
	const char *caller;		/* src / caller_id_number */
	const char *caller_name;	/* name part of clid / caller_id_name */
	const char *dialled;		/* dst / destination_number */
	const char *context;		/* dcontext / context */
	const char *channel;		/* channel / NULL */
	const char *dstchannel;		/* dstchannel / NULL */
	const char *lastapp;		/* lastapp / NULL */
	const char *lastdata;		/* lastdata / NULL */
	/*
	 * The agent's extension, when derivable: from dstchannel
	 * ("SIP/8001-0000001a", "PJSIP/8001-…", "Local/8001@ctx-…;1",
	 * "Agent/8001"), else from lastdata when lastapp is Dial with a single
	 * target ("SIP/8001,30,tT"). Only a peer of 2 to 8 digits counts as an
	 * extension, and DAHDI/Zap channel numbers never do; so a trunk named
	 * with digits would be mistaken for an agent. NULL otherwise, and
	 * always NULL for FreeSWITCH (its default template names no agent).
	 */
	const char *agent;
	time_t start;
	time_t answer;			/* 0 = not answered */
	time_t end;
	int duration;			/* dial to hangup, seconds */
	int billsec;			/* answer to hangup, seconds */
	/*
	 * Asterisk: the disposition column. FreeSWITCH: ANSWERED when
	 * answer_stamp is set or billsec > 0, whatever the cause; otherwise
	 * from hangup_cause: NO_ANSWER, NO_USER_RESPONSE, NORMAL_CLEARING,
	 * ALLOTTED_TIMEOUT, RECOVERY_ON_TIMER_EXPIRE, PROGRESS_TIMEOUT → NO
	 * ANSWER; ORIGINATOR_CANCEL, LOSE_RACE, PICKED_OFF → CANCEL; USER_BUSY
	 * → BUSY; NORMAL_CIRCUIT_CONGESTION, SWITCH_CONGESTION → CONGESTION;
	 * the routing and network failures (UNALLOCATED_NUMBER,
	 * NO_ROUTE_DESTINATION, CALL_REJECTED, DESTINATION_OUT_OF_ORDER,
	 * INVALID_NUMBER_FORMAT, NETWORK_OUT_OF_ORDER, …) → FAILED; any other
	 * cause → UNKNOWN.
	 */
	enum call_disposition disposition;
	const char *hangup_cause;	/* NULL / hangup_cause */
	const char *userfield;		/* userfield / NULL */
};

enum queue_event_kind {
	QUEUE_EV_OTHER,			/* any event not listed here */
	QUEUE_EV_ENTERQUEUE,		/* url|callerid|position */
	QUEUE_EV_CONNECT,		/* holdtime|member-uniqueid|ringtime */
	QUEUE_EV_ABANDON,		/* position|origposition|waittime */
	QUEUE_EV_EXITWITHTIMEOUT,	/* position|origposition|waittime */
	QUEUE_EV_EXITEMPTY,		/* position|origposition|waittime */
	QUEUE_EV_EXITWITHKEY,		/* key|position|origposition|waittime */
	QUEUE_EV_COMPLETECALLER,	/* holdtime|calltime|origposition */
	QUEUE_EV_COMPLETEAGENT,		/* holdtime|calltime|origposition */
	QUEUE_EV_BLINDTRANSFER,		/* extension|context|holdtime|calltime|origposition */
	/* Asterisk 12+: BRIDGE|bridge|… or APP|app|… then holdtime|calltime|
	 * origposition, or LINK|chan1|chan2|holdtime|calltime|origposition;
	 * older: extension|context|holdtime|calltime[|origposition]. */
	QUEUE_EV_ATTENDEDTRANSFER,
	QUEUE_EV_RINGNOANSWER,		/* ringtime in milliseconds */
};

/* Whether the event ends a queue call without a connection (ABANDON,
 * EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY): it counts as abandoned (放弃)
 * in docs/metrics.md, "Call figures". */
bool queue_event_kind_is_abandon(enum queue_event_kind k);
/* Whether the event ends a connected call (COMPLETECALLER, COMPLETEAGENT,
 * BLINDTRANSFER, ATTENDEDTRANSFER): `talk` holds the talk time. */
bool queue_event_kind_is_completion(enum queue_event_kind k);

#define QUEUE_EVENT_MAX_DATA 16

/*
 * One queue_log line. The interpreted fields are -1 (numbers) or NULL
 * (text) when the event does not carry them, including when an older
 * Asterisk left the trailing fields out.
 */
struct queue_event {
	unsigned long line;		/* physical line of the event */
	const char *key;		/* 32 hex digits, hash of the normalised line */
	time_t at;
	const char *call_id;		/* NULL for "NONE" */
	const char *queue;		/* NULL for "NONE" */
	const char *member;		/* the agent column as written; NULL for "NONE" */
	/* The extension in member, as for call_record.agent ("SIP/8001",
	 * "Local/8001@agents/n", "Agent/8001"; a bare "8001" counts too), or
	 * NULL (e.g. a member named "张三"). */
	const char *agent;
	const char *event;		/* event name as written, never NULL */
	enum queue_event_kind kind;
	const char *data[QUEUE_EVENT_MAX_DATA]; /* data1…, "" when empty */
	size_t ndata;
	/* Interpreted, by event name: */
	const char *caller;		/* ENTERQUEUE callerid */
	const char *member_call_id;	/* CONNECT member uniqueid */
	const char *exit_key;		/* EXITWITHKEY key pressed */
	const char *transfer_to;	/* transfer extension, bridge, app or channel */
	int position;			/* position in queue when the event happened */
	int origposition;		/* position on entering the queue */
	int wait;			/* seconds queued: holdtime or waittime */
	int talk;			/* seconds talked: calltime */
	int ring;			/* seconds ringing: ringtime (ms for RINGNOANSWER, rounded) */
};

/*
 * Fills kind and the interpreted fields of `ev` from ev->event and
 * ev->data (the reader does this for every event it returns; call it for
 * events built by hand, e.g. from a live feed). Missing trailing fields are
 * left -1/NULL. Returns false and fills `e` (status 422, naming the field,
 * e.g. "holdtime") when a present number is not a whole number.
 */
bool queue_event_interpret(struct queue_event *ev, struct err *e);

/* ---- the reader ---- */

#define CDR_MAX_RECORD_DEFAULT (64 * 1024)

struct cdr_options {
	enum cdr_format format;		/* CDR_AUTO to detect */
	size_t max_record;		/* bytes per record; 0 = CDR_MAX_RECORD_DEFAULT */
	bool accept_unterminated;	/* parse a last line without line end instead of rejecting it */
	bool utc_times;			/* CSV times are UTC (Asterisk cdr.conf usegmtime=yes) */
};

#define CDR_OPTIONS_INIT { CDR_AUTO, 0, false, false }

/*
 * Where a pulling reader gets bytes: read() stores up to `n` bytes at `dst`
 * and returns how many, 0 at end of input, or -1 after filling `e` (an I/O
 * failure ends the reading with CDR_ERROR). `ctx` is the caller's and must
 * outlive the reader.
 */
struct cdr_source {
	long (*read)(void *ctx, char *dst, size_t n, struct err *e);
	void *ctx;
};

struct cdr_reader;

struct cdr_stats {
	unsigned long records;		/* records returned (CDR_RECORD) */
	unsigned long rejected;		/* records rejected (CDR_REJECT) */
	unsigned long lines;		/* physical lines consumed */
};

/*
 * Creating a reader. `opt` may be NULL for the defaults. Each returns a
 * reader the caller frees with cdr_reader_free(); none fails (allocation
 * failure aborts).
 *
 * cdr_reader_new():        push mode: hand input to cdr_reader_feed() and
 *                          say cdr_reader_finish() at the end (for an HTTP
 *                          request body arriving in pieces).
 * cdr_reader_new_source(): pulls from `src`.
 * cdr_reader_new_file():   pulls from `f`, which stays the caller's (not
 *                          closed by the reader).
 * cdr_reader_new_memory(): reads `len` bytes at `data`, which must stay
 *                          valid and unchanged while the reader is used.
 */
struct cdr_reader *cdr_reader_new(const struct cdr_options *opt);
struct cdr_reader *cdr_reader_new_source(const struct cdr_source *src,
					 const struct cdr_options *opt);
struct cdr_reader *cdr_reader_new_file(FILE *f, const struct cdr_options *opt);
struct cdr_reader *cdr_reader_new_memory(const void *data, size_t len,
					 const struct cdr_options *opt);
/* Frees the reader and its buffers; accepts NULL. */
void cdr_reader_free(struct cdr_reader *r);

/* Push mode: appends `len` bytes (copied) of input. Call cdr_reader_next()
 * until CDR_NEED_INPUT before the next feed, to keep memory bounded. */
void cdr_reader_feed(struct cdr_reader *r, const void *data, size_t len);
/* Push mode: no more input will come; the remaining records follow. Do not
 * feed after this. */
void cdr_reader_finish(struct cdr_reader *r);

enum cdr_status {
	CDR_RECORD,		/* a record: item->call or item->event is set */
	CDR_REJECT,		/* a record was rejected: `e` says where and why */
	CDR_NEED_INPUT,		/* push mode only: feed more, or finish */
	CDR_END,		/* input exhausted */
	CDR_ERROR,		/* fatal (read error, unknown format): `e` says why; repeats */
};

struct cdr_item {
	enum cdr_format format;
	unsigned long line;		/* physical line the record starts on (also for a reject) */
	const struct call_record *call;	/* set for the CSV formats, else NULL */
	const struct queue_event *event; /* set for queue_log, else NULL */
};

/*
 * Reads the next record into *item (pointers valid until the next call,
 * see the lifetime contract above). On CDR_REJECT, `e` holds status 422,
 * the field at fault in e->field ("" if none) and a message starting
 * "line N: ". On CDR_ERROR, `e` holds the fatal error (status 400 for input
 * that is not call records, 500 for a read error). `e` may not be NULL.
 */
enum cdr_status cdr_reader_next(struct cdr_reader *r, struct cdr_item *item, struct err *e);

/* The format in use: the one given, or the detected one (CDR_AUTO until
 * the first record has been read). */
enum cdr_format cdr_reader_format(const struct cdr_reader *r);
/* Counters so far; the pointer is valid as long as the reader. */
const struct cdr_stats *cdr_reader_stats(const struct cdr_reader *r);

/* ---- PostgreSQL COPY output ---- */

/*
 * One record as one line of COPY text format, in this column order (use
 * the macro in the statement: COPY calls (" CALL_RECORD_COPY_COLUMNS ")
 * FROM STDIN). Times are ISO 8601 with offset, answered_at \N when not
 * answered; NULL text and sequence -1 are \N; source_format is
 * cdr_format_name(); disposition is call_disposition_name().
 */
#define CALL_RECORD_COPY_COLUMNS \
	"key, source_format, call_id, linked_id, peer_call_id, sequence, " \
	"account_code, caller, caller_name, dialled, context, channel, " \
	"dst_channel, last_app, last_data, agent, started_at, answered_at, " \
	"ended_at, duration, billsec, disposition, hangup_cause, user_field"

/* Appends the COPY line for `c` to `out`, '\n' included: fields separated
 * by tabs; backslash, tab, LF, CR, BS, FF, VT written as \\, \t, \n, \r,
 * \b, \f, \v, other control characters as octal \ooo; NULL as \N. Text
 * is passed through as it is, valid UTF-8 (the reader guarantees it), for
 * client_encoding UTF8. Cannot fail; safe from any thread. */
void call_record_copy_line(const struct call_record *c, struct buf *out);

/*
 * The same for queue events, in this order: data is data1…dataN joined by
 * '|' (as in the file, \N when there is none); the interpreted numbers are
 * \N when -1.
 */
#define QUEUE_EVENT_COPY_COLUMNS \
	"key, event_at, call_id, queue, member, agent, event, data, caller, " \
	"position, orig_position, wait_seconds, talk_seconds, ring_seconds, " \
	"exit_key, transfer_to, member_call_id"

/* Appends the COPY line for `ev` to `out`, '\n' included, escaped as for
 * call_record_copy_line(). Cannot fail; safe from any thread. */
void queue_event_copy_line(const struct queue_event *ev, struct buf *out);

/* Appends `s` escaped for COPY text format as above (NULL → \N). */
void cdr_copy_add_text(struct buf *out, const char *s);

/*
 * COPY in binary format (COPY … FROM STDIN (FORMAT binary), written with
 * db/copy.h), which spares the server parsing times and numbers and
 * unescaping text. Cannot fail; safe from any thread.
 */
#define CALL_RECORD_COPY_FIELDS 24	/* the columns of CALL_RECORD_COPY_COLUMNS */

/* Appends the fields of `c` in CALL_RECORD_COPY_COLUMNS order, without the
 * row's field count, so that a caller can add columns of its own after
 * them. The values are those of call_record_copy_line(): absent counts
 * (negative) and times (0) are NULL. */
void call_record_copy_binary(const struct call_record *c, struct buf *out);

#endif
