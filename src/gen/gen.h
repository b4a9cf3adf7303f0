/*
 * gen: the data generator behind scripts/gen-data and scripts/bench
 * (build/hotline-gen). Private to src/gen; nothing in the service uses it.
 *
 * Everything is a pure function of the seed and the options: the same
 * invocation writes the same bytes, so a cached database can be keyed by
 * GEN_VERSION, the seed and the sizes. Output is PostgreSQL COPY on stdout
 * (binary for the work orders, text for the rest) or an Asterisk
 * Master.csv, written through a large buffer.
 *
 * Times are written in UTC ("2026-11-21 01:30:00+00"); local dates (order
 * numbers, working days) use the process zone (TZ), cached per hour.
 */
#ifndef HOTLINE_GEN_GEN_H
#define HOTLINE_GEN_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "calendar/calendar.h"
#include "core/buf.h"
#include "db/copy.h"

/* Bump when the generated data changes, so cached databases are rebuilt. */
#define GEN_VERSION 3

/* ---- random numbers: splitmix64, deterministic per seed ---- */

struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* Uniform in [0, n); n > 0. */
long rng_below(struct rng *r, long n);
/* Exponential with the given mean. */
double rng_exp(struct rng *r, double mean);
/* An index into `weights` (n entries, not all zero), drawn by weight. */
size_t rng_pick(struct rng *r, const double *weights, size_t n);

/* ---- output ---- */

/* Appends `s` escaped for COPY text (NULL → \N). */
void out_text(struct buf *b, const char *s);
/* Appends `t` as "YYYY-MM-DD HH:MM:SS+00"; 0 → \N. */
void out_time(struct buf *b, time_t t);
/* Appends a whole number. */
void out_long(struct buf *b, long long v);
/* Writes the buffer to stdout when it holds more than a few megabytes
 * (always when `force`), then empties it. Exits on a write error. */
void out_flush(struct buf *b, bool force);

/* ---- output: PostgreSQL binary COPY (db/copy.h) ----
 *
 * The binary format skips the server's parsing of every field (dates,
 * numbers, escapes): for the millions of work orders it is most of the
 * load's cost.
 */

/* Writes the buffer to `f` when it holds more than a few megabytes (always
 * when `force`), then empties it. Exits saying `what` failed on an error. */
void out_flush_file(struct buf *b, FILE *f, const char *what, bool force);

/* ---- one binary COPY over several outputs ---- */

#define FANOUT_MAX 8

/*
 * A table's rows spread over stdout and FIFOs, each output a complete
 * binary COPY stream that a session of its own loads, so that several
 * server processes share the work. Whole chunks of rows go to the output
 * with the least waiting; the rows are the same however they are split.
 * The outputs are written without blocking, so that a slow reader does not
 * hold up the others.
 */
struct fanout {
	size_t n;
	int fd[FANOUT_MAX];
	const char *name[FANOUT_MAX];
	struct buf pending[FANOUT_MAX];	/* written up to done[i] */
	size_t done[FANOUT_MAX];
	size_t last;			/* the output of the last chunk */
};

/* Opens stdout and the `npaths` (< FANOUT_MAX) paths for writing (a FIFO is
 * waited for up to a minute until its reader opens it), and starts each
 * stream with the binary COPY header. Exits saying why on an error. */
void fanout_open(struct fanout *f, const char *const *paths, size_t npaths);
/* Hands over the whole rows in `chunk` and empties it; waits while every
 * output has more than a megabyte waiting. Exits on a write error. */
void fanout_put(struct fanout *f, struct buf *chunk);
/* With `finish`, ends every stream and waits until all is written (exits
 * on an error); without, leaves the streams cut short, so that their
 * readers fail. Closes the FIFOs and frees the buffers. */
void fanout_close(struct fanout *f, bool finish);

/* ---- local time, cached per hour ---- */

/* Seconds east of UTC at `t` in the process zone. */
long local_offset(time_t t);
/* The local day (days since 1970-01-01) of `t`. */
long local_day(time_t t);
/* The local hour of day 0..23 of `t`. */
int local_hour(time_t t);
/* `t` as local "YYYY-MM-DD HH:MM:SS" (20 bytes with the NUL). */
void local_stamp(time_t t, char out[20]);

/* ---- working days, precomputed for the generated period ---- */

/*
 * The official calendar's working days over a range of local days, with
 * each day's midnight and the working seconds before it, so that the
 * generator's millions of deadlines need no time zone conversion. Same
 * results as calendar_add_workdays() and calendar_working_seconds().
 */
struct workcal {
	long day0;			/* first local day covered */
	long n;				/* days covered */
	time_t *midnight;		/* n + 1 local midnights */
	long long *before;		/* working seconds from day0's midnight to each */
	bool *work;
};

void workcal_init(struct workcal *w, const struct calendar *cal, long first_day, long last_day);
void workcal_release(struct workcal *w);
/* 23:59:59 of the nth working day after the local day of `from` (n >= 1). */
time_t workcal_add_workdays(const struct workcal *w, time_t from, int n);
/* Working seconds in [a, b); 0 if b <= a. */
long workcal_seconds(const struct workcal *w, time_t a, time_t b);

/* ---- the city ---- */

struct gen_dept {
	int id;
	char *code;
	char *name;
	const char *kind;		/* city, district, street, unit */
	int parent;			/* index into the department array, -1 for none */
	int first_child, nchildren;	/* streets of a district, units of a city department */
};

struct gen_category {
	char code[32];
	const char *name;
	int parent;			/* index, -1 for a top level */
	int level;			/* 1, 2, 3 */
	/* leaves only: */
	int top;			/* index of the top level */
	int dept;			/* functional department (index), -1 for none */
	bool local;			/* usually handled by the street (属地) */
	double weight;
};

struct gen_city {
	struct gen_dept *depts;
	size_t ndepts;
	int *districts;			/* indexes of the districts */
	size_t ndistricts;
	double *district_weight;
	struct gen_category *cats;
	size_t ncats;
	int *leaves;			/* indexes of the leaf categories */
	double *leaf_weight;
	size_t nleaves;
};

/* Builds the city for `seed` with department ids from `first_id` on. */
void city_build(struct gen_city *c, uint64_t seed, int first_id);
void city_release(struct gen_city *c);
/* COPY text of department (id, code, name, kind, parent_id, contact, phone)
 * and of category (code, name, parent_code), parents before children. */
void city_write_departments(const struct gen_city *c, struct buf *out);
void city_write_categories(const struct gen_city *c, struct buf *out);

/* ---- people and places ---- */

/* The phone number of caller `k` (a mobile number, 11 digits). */
void caller_phone(uint64_t seed, long k, char out[12]);
/* A caller index for a population of `n`: a few call often. */
long caller_pick(struct rng *r, long n);
/* A person's name (UTF-8, static storage). */
void person_name(struct rng *r, struct buf *out);

/* ---- the time of the year ---- */

/*
 * Spreads `n` events over the `days` local days before `end` (a local
 * midnight): weekdays busier than weekends and holidays, a busier summer,
 * and the hotline's hours (busy 9-11 and 14-17, quiet at night). Calls
 * `emit(ctx, t)` n times in time order.
 */
void spread_over_year(uint64_t seed, uint64_t stream, long n, time_t end, int days,
		      const struct calendar *cal, void (*emit)(void *ctx, time_t t), void *ctx);

/* ---- the generators ---- */

struct gen_opts {
	uint64_t seed;
	long orders;
	long calls;
	time_t end;			/* a local midnight: the data ends here */
	time_t until;			/* calls: none at or after this moment (0: none) */
	int days;
	int first_dept_id;
	long first_order_id;
	const char *handling_paths[FANOUT_MAX];	/* orders: order_handling COPY, spread over these */
	size_t nhandling;
	const char *counters_path;	/* orders: order_counter COPY goes here */
	const char *splits[FANOUT_MAX - 1];	/* orders: more outputs (FIFOs) */
	size_t nsplits;
	struct calendar *cal;
	struct workcal *work;		/* over the period and a year after */
};

/* The COPY column lists of what the generators write. */
#define GEN_ORDER_COLUMNS \
	"id, number, channel, request_type, urgency, category_code, caller_name, caller_phone," \
	" confidential, address, district_id, street_id, latitude, longitude, content, request," \
	" status, lead_department_id, clock_started_at, sign_deadline, handle_deadline," \
	" handle_unit, warn_at, alert, sign_overdue, suspended_at, requested_deadline," \
	" pending_reason, extension_count, return_count, reopen_count, press_count, result," \
	" solved, contacted, satisfaction, callback_result, transferred_to, merged_into, call_id," \
	" signed_at, replied_at, completed_at, version, created_at, updated_at"
#define GEN_DEPARTMENT_COLUMNS "id, code, name, kind, parent_id, contact, phone"
#define GEN_CATEGORY_COLUMNS "code, name, parent_code"
#define GEN_CALL_COLUMNS \
	"call_id, caller, caller_phone, caller_name, dialled, cdr_rows, cdr_inbound," \
	" cdr_excluded, cdr_started_at, cdr_answered_at, cdr_ended_at, cdr_answered," \
	" cdr_billsec, cdr_agent"

/* Work orders on stdout (and the split outputs), handling times (spread
 * over the handling files by blocks of ids) and day counters to their
 * files, all as binary COPY. The files are complete before the order
 * streams end. Returns 0, or 1 after saying why on stderr. */
int gen_orders(const struct gen_opts *o);
/* Call records on stdout: an Asterisk Master.csv (summary false) or COPY
 * text of the call summary table (summary true). Returns 0 or 1. */
int gen_calls(const struct gen_opts *o, bool summary);

#endif
