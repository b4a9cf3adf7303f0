/*
 * PostgreSQL COPY formats for call records and queue events: text (one
 * line per record, tab-separated, \N for NULL, backslash escapes), and
 * binary for call records (network byte order, as the server sends it).
 */
#include "calls/cdr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "db/copy.h"

void cdr_copy_add_text(struct buf *out, const char *s)
{
	if (!s) {
		buf_add(out, "\\N", 2);
		return;
	}
	for (;;) {
		/* Copy the run that needs no escape in one go. */
		size_t run = 0;
		while ((unsigned char)s[run] >= 0x20 && s[run] != '\\' && s[run] != 0x7f)
			run++;
		buf_add(out, s, run);
		s += run;
		if (!*s)
			return;
		switch (*s) {
		case '\\': buf_add(out, "\\\\", 2); break;
		case '\t': buf_add(out, "\\t", 2); break;
		case '\n': buf_add(out, "\\n", 2); break;
		case '\r': buf_add(out, "\\r", 2); break;
		case '\b': buf_add(out, "\\b", 2); break;
		case '\f': buf_add(out, "\\f", 2); break;
		case '\v': buf_add(out, "\\v", 2); break;
		default:
			/* Other control characters as octal: \ooo. */
			buf_addf(out, "\\%03o", (unsigned char)*s);
			break;
		}
		s++;
	}
}

static void sep(struct buf *out)
{
	buf_addch(out, '\t');
}

/* A count, or \N when negative (absent). */
static void add_num(struct buf *out, long v)
{
	char digits[24];
	size_t i = sizeof(digits);

	if (v < 0) {
		buf_add(out, "\\N", 2);
		return;
	}
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(out, digits + i, sizeof(digits) - i);
}

/*
 * The zone offset of the UTC hour last formatted, per thread: glibc's
 * localtime_r() costs about a microsecond after a zone's last listed
 * transition (it re-parses the TZ rule each call), three times a record.
 * An hour is cached only when the offset is the same at both its ends.
 */
static _Thread_local struct {
	long hour;		/* t / 3600 */
	long offset;		/* seconds east of UTC */
	bool valid;
	char zone[64];		/* timeutil_zone() when cached */
} tz_cache;

static long offset_at(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

static void put2(char *p, long v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* As time_format_iso(), "2026-11-21T09:30:00+08:00". */
static void add_time(struct buf *out, time_t t)
{
	long hour = (long)(t >= 0 ? t / 3600 : (t - 3599) / 3600);
	const char *zone = timeutil_zone();
	char iso[TIMEUTIL_ISO_LEN];
	int y, m, d;

	if (!tz_cache.valid || tz_cache.hour != hour || strcmp(tz_cache.zone, zone)) {
		time_t first = (time_t)hour * 3600;
		tz_cache.offset = offset_at(first);
		tz_cache.valid = offset_at(first + 3599) == tz_cache.offset;
		tz_cache.hour = hour;
		snprintf(tz_cache.zone, sizeof(tz_cache.zone), "%s", zone);
	}
	long long local = (long long)t + tz_cache.offset;
	long days = (long)(local >= 0 ? local / 86400 : (local - 86399) / 86400);
	long secs = (long)(local - (long long)days * 86400);
	civil_from_days(days, &y, &m, &d);
	if (!tz_cache.valid || y < 1000 || y > 9999) {
		time_format_iso(t, iso);
		buf_adds(out, iso);
		return;
	}
	long off = tz_cache.offset < 0 ? -tz_cache.offset : tz_cache.offset;
	memcpy(iso, "0000-00-00T00:00:00+00:00", 26);
	put2(iso, y / 100);
	put2(iso + 2, y % 100);
	put2(iso + 5, m);
	put2(iso + 8, d);
	put2(iso + 11, secs / 3600);
	put2(iso + 14, secs / 60 % 60);
	put2(iso + 17, secs % 60);
	iso[19] = tz_cache.offset < 0 ? '-' : '+';
	put2(iso + 20, off / 3600);
	put2(iso + 23, off % 3600 / 60);
	buf_add(out, iso, 25);
}

void call_record_copy_line(const struct call_record *c, struct buf *out)
{
	const char *text1[] = {
		c->key, cdr_format_name(c->format), c->call_id, c->linkedid, c->peer_call_id,
	};
	const char *text2[] = {
		c->accountcode, c->caller, c->caller_name, c->dialled, c->context,
		c->channel, c->dstchannel, c->lastapp, c->lastdata, c->agent,
	};

	for (size_t i = 0; i < ARRAY_SIZE(text1); i++) {
		cdr_copy_add_text(out, text1[i]);
		sep(out);
	}
	add_num(out, c->sequence);
	for (size_t i = 0; i < ARRAY_SIZE(text2); i++) {
		sep(out);
		cdr_copy_add_text(out, text2[i]);
	}
	sep(out);
	add_time(out, c->start);
	sep(out);
	if (c->answer)
		add_time(out, c->answer);
	else
		buf_add(out, "\\N", 2);
	sep(out);
	add_time(out, c->end);
	sep(out);
	add_num(out, c->duration);
	sep(out);
	add_num(out, c->billsec);
	sep(out);
	buf_adds(out, call_disposition_name(c->disposition));
	sep(out);
	cdr_copy_add_text(out, c->hangup_cause);
	sep(out);
	cdr_copy_add_text(out, c->userfield);
	buf_addch(out, '\n');
}

void queue_event_copy_line(const struct queue_event *ev, struct buf *out)
{
	const char *text[] = { ev->call_id, ev->queue, ev->member, ev->agent, ev->event };

	cdr_copy_add_text(out, ev->key);
	sep(out);
	add_time(out, ev->at);
	for (size_t i = 0; i < ARRAY_SIZE(text); i++) {
		sep(out);
		cdr_copy_add_text(out, text[i]);
	}
	sep(out);
	if (!ev->ndata)
		buf_add(out, "\\N", 2);
	for (size_t i = 0; i < ev->ndata; i++) {
		if (i)
			buf_addch(out, '|');
		cdr_copy_add_text(out, ev->data[i]);
	}
	sep(out);
	cdr_copy_add_text(out, ev->caller);
	const int nums[] = { ev->position, ev->origposition, ev->wait, ev->talk, ev->ring };
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		sep(out);
		add_num(out, nums[i]);
	}
	const char *tail[] = { ev->exit_key, ev->transfer_to, ev->member_call_id };
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++) {
		sep(out);
		cdr_copy_add_text(out, tail[i]);
	}
	buf_addch(out, '\n');
}

/* ---- binary ---- */

/* A count, or NULL when negative (absent), as add_num() writes it. */
static void bin_count(struct buf *out, long v)
{
	if (v < 0)
		copy_null(out);
	else
		copy_int4(out, (int32_t)v);
}

void call_record_copy_binary(const struct call_record *c, struct buf *out)
{
	const char *text1[] = {
		c->key, cdr_format_name(c->format), c->call_id, c->linkedid, c->peer_call_id,
	};
	const char *text2[] = {
		c->accountcode, c->caller, c->caller_name, c->dialled, c->context,
		c->channel, c->dstchannel, c->lastapp, c->lastdata, c->agent,
	};

	for (size_t i = 0; i < ARRAY_SIZE(text1); i++)
		copy_text(out, text1[i]);
	bin_count(out, c->sequence);
	for (size_t i = 0; i < ARRAY_SIZE(text2); i++)
		copy_text(out, text2[i]);
	copy_timestamptz(out, c->start);
	copy_timestamptz(out, c->answer);
	copy_timestamptz(out, c->end);
	bin_count(out, c->duration);
	bin_count(out, c->billsec);
	copy_text(out, call_disposition_name(c->disposition));
	copy_text(out, c->hangup_cause);
	copy_text(out, c->userfield);
}
