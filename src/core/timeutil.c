#include "core/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char zone_name[64] = TIMEUTIL_DEFAULT_ZONE;

bool timeutil_set_zone(const char *zone)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if (strstr(zone, "..") || !(f = fopen(path, "r")))
		return false;
	fclose(f);
	snprintf(zone_name, sizeof(zone_name), "%s", zone);
	setenv("TZ", zone, 1);
	tzset();
	return true;
}

const char *timeutil_zone(void)
{
	return zone_name;
}

void time_format_iso(time_t t, char out[TIMEUTIL_ISO_LEN])
{
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(out, TIMEUTIL_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, sign, off / 3600, off % 3600 / 60);
}

/* Reads exactly `n` digits at *p; advances *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int weekday_from_days(long days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0). */
	long w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

long time_local_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

time_t time_from_local(long day, int hh, int mm, int ss)
{
	struct tm tm = { 0 };
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

bool time_parse_iso(const char *s, time_t *out, const char *field, struct err *e)
{
	const char *p = s;
	int y, mo, d, hh = 0, mi = 0, ss = 0, oh = 0, om = 0;
	bool has_offset = false;
	int sign = 1;

	if (!s)
		goto bad;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-'
	    || !digits(&p, 2, &d))
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &ss))
				goto bad;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					goto bad;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z') {
			has_offset = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (!digits(&p, 2, &oh))
				goto bad;
			if (*p == ':')
				p++;
			if (*p && !digits(&p, 2, &om))
				goto bad;
			has_offset = true;
		}
	}
	if (*p)
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23
	    || mi > 59 || ss > 60 || oh > 23 || om > 59)
		goto bad;
	if (has_offset) {
		long days = days_from_civil(y, mo, d);
		*out = (time_t)days * 86400 + hh * 3600 + mi * 60 + ss
		       - sign * (oh * 3600 + om * 60);
	} else {
		*out = time_from_local(days_from_civil(y, mo, d), hh, mi, ss);
	}
	return true;
bad:
	return err_field(e, 400, field, ERR_BAD_TIME,
			 "invalid time \"%s\" in \"%s\": expected ISO 8601 such as 2026-11-21T09:30:00+08:00",
			 s ? s : "", field);
}

bool time_parse_day(const char *s, long *day)
{
	int y, m, d, yy, mm, dd;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*day = days_from_civil(y, m, d);
	civil_from_days(*day, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d;
}
