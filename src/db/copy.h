/*
 * copy: PostgreSQL's binary COPY format, written into a struct buf.
 *
 * COPY ... FROM STDIN (FORMAT binary) spares the server parsing times and
 * numbers and unescaping text. A stream is copy_header(), then rows, then
 * copy_trailer(); a row is copy_row() with its field count, then exactly
 * that many fields, each of its column's type exactly (int2, int4, int8,
 * float8, bool, text, timestamptz, date), or the server refuses the load.
 * Everything is in network byte order, as the server sends it.
 *
 * This is the one encoder of the format: the call import (through
 * db_copy_binary_begin() and friends in db.h) and the data generator
 * (through its own files and pipes) both write with it. The writers only
 * append to the buffer, so they cannot fail (the buffer aborts on an
 * allocation failure) and are safe from any thread on buffers of its own.
 * They are inline because the import and the generator call them for
 * every field of millions of rows; they allocate nothing but the buffer's
 * growth.
 *
 * Needs no database: nothing here includes libpq.
 */
#ifndef HOTLINE_DB_COPY_H
#define HOTLINE_DB_COPY_H

#include <assert.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

/* Seconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00 UTC. */
#define COPY_PG_EPOCH 946684800LL
/* Days from 1970-01-01 to 2000-01-01. */
#define COPY_PG_EPOCH_DAYS 10957L
/* The field length that stands for NULL. */
#define COPY_NULL_LENGTH 0xffffffffu

static inline void copy_be16(struct buf *b, uint16_t v)
{
	v = htobe16(v);
	buf_add(b, &v, 2);
}

static inline void copy_be32(struct buf *b, uint32_t v)
{
	v = htobe32(v);
	buf_add(b, &v, 4);
}

static inline void copy_be64(struct buf *b, uint64_t v)
{
	v = htobe64(v);
	buf_add(b, &v, 8);
}

/* The stream's header: signature, flags (no OIDs), no header extension. */
static inline void copy_header(struct buf *b)
{
	buf_add(b, "PGCOPY\n\377\r\n\0", 11);
	copy_be32(b, 0);
	copy_be32(b, 0);
}

/* The end-of-data marker, after the last row. */
static inline void copy_trailer(struct buf *b)
{
	copy_be16(b, 0xffff);
}

/* Starts a row of `nfields` fields (1 to 1599, PostgreSQL's column limit). */
static inline void copy_row(struct buf *b, int nfields)
{
	assert(nfields > 0 && nfields < 1600);
	copy_be16(b, (uint16_t)nfields);
}

static inline void copy_null(struct buf *b)
{
	copy_be32(b, COPY_NULL_LENGTH);
}

/* Text of `len` bytes (UTF-8, no NUL: the server refuses one). */
static inline void copy_textn(struct buf *b, const char *s, size_t len)
{
	assert(len < 0x7fffffff);
	copy_be32(b, (uint32_t)len);
	buf_add(b, s, len);
}

/* Text; NULL → SQL NULL. */
static inline void copy_text(struct buf *b, const char *s)
{
	if (s)
		copy_textn(b, s, strlen(s));
	else
		copy_null(b);
}

/*
 * A text field whose bytes the caller appends to `b` itself, between
 * copy_field_open() (which returns where the length goes) and
 * copy_field_close() (which writes it).
 */
static inline size_t copy_field_open(struct buf *b)
{
	size_t at = b->len;

	copy_be32(b, 0);
	return at;
}

static inline void copy_field_close(struct buf *b, size_t at)
{
	uint32_t len;

	assert(at + 4 <= b->len && b->len - at - 4 < 0x7fffffff);
	len = htobe32((uint32_t)(b->len - at - 4));
	memcpy(b->data + at, &len, 4);
}

static inline void copy_int2(struct buf *b, int16_t v)
{
	copy_be32(b, 2);
	copy_be16(b, (uint16_t)v);
}

static inline void copy_int4(struct buf *b, int32_t v)
{
	copy_be32(b, 4);
	copy_be32(b, (uint32_t)v);
}

static inline void copy_int8(struct buf *b, int64_t v)
{
	copy_be32(b, 8);
	copy_be64(b, (uint64_t)v);
}

static inline void copy_bool(struct buf *b, bool v)
{
	copy_be32(b, 1);
	buf_addch(b, v ? 1 : 0);
}

static inline void copy_float8(struct buf *b, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, 8);
	copy_be32(b, 8);
	copy_be64(b, bits);
}

/* A timestamptz, microseconds since PostgreSQL's epoch; 0 (the project's
 * "no time") → NULL. */
static inline void copy_timestamptz(struct buf *b, time_t t)
{
	if (!t)
		copy_null(b);
	else
		copy_int8(b, ((int64_t)t - COPY_PG_EPOCH) * 1000000);
}

/* A date, from days since 1970-01-01. */
static inline void copy_date(struct buf *b, long day)
{
	copy_int4(b, (int32_t)(day - COPY_PG_EPOCH_DAYS));
}

#endif
