/*
 * timeutil: ISO 8601 times with offset, in the configured zone.
 *
 * The process has one local zone (default Asia/Shanghai), set once at
 * start with timeutil_set_zone() before any thread starts. Times travel as
 * time_t (seconds since the epoch, UTC); only formatting and parsing of
 * offset-less input involve the zone.
 */
#ifndef HOTLINE_CORE_TIMEUTIL_H
#define HOTLINE_CORE_TIMEUTIL_H

#include <stdbool.h>
#include <time.h>

#include "core/err.h"

#define TIMEUTIL_DEFAULT_ZONE "Asia/Shanghai"
/* "2026-11-21T10:00:00+08:00" (25 bytes) fits, with room for any year. */
#define TIMEUTIL_ISO_LEN 64

/* Sets the local zone (an IANA name). Returns false if the zone is unknown
 * to the system's tz database. Not thread-safe: call before threads start. */
bool timeutil_set_zone(const char *zone);
const char *timeutil_zone(void);

/* Writes `t` as "YYYY-MM-DDTHH:MM:SS+08:00" in the local zone. */
void time_format_iso(time_t t, char out[TIMEUTIL_ISO_LEN]);

/*
 * Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.frac]][Z|±HH[:]MM]" or a bare date
 * "YYYY-MM-DD" (midnight). Without an offset the time is local. Fractions
 * are accepted and dropped. Returns false and fills `e` (status 400,
 * naming `field`) on anything else, including out-of-range parts.
 */
bool time_parse_iso(const char *s, time_t *out, const char *field, struct err *e);

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
long days_from_civil(int y, int m, int d);
/* "YYYY-MM-DD" (a real date, years 1900 to 2999) → its day number; false otherwise. */
bool time_parse_day(const char *s, long *day);
void civil_from_days(long days, int *y, int *m, int *d);
/* 0 = Monday … 6 = Sunday. */
int weekday_from_days(long days);

/* The local civil date of `t`, as days since the epoch. */
long time_local_day(time_t t);
/* The instant of local time hh:mm:ss on local day `day`. */
time_t time_from_local(long day, int hh, int mm, int ss);

#endif
