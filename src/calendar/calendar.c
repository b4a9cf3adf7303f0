#include "calendar/calendar.h"

#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"

/* Years outside this range are refused by calendar_load_json(). */
#define CALENDAR_MIN_YEAR 1900
#define CALENDAR_MAX_YEAR 9998

struct calendar_day {
	long day;
	bool off;
	char *name;		/* owned; NULL when unnamed */
};

struct calendar {
	struct calendar_day *days;	/* sorted by day, no duplicates */
	size_t ndays, days_cap;
	int *years;			/* sorted, no duplicates */
	size_t nyears, years_cap;
};

/* Makes room in *array for at least `need` elements of `size` bytes. */
static void grow(void **array, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			abort();
		n *= 2;
	}
	*array = xrealloc(*array, n * size);
	*cap = n;
}

struct calendar *calendar_new(void)
{
	return xcalloc(1, sizeof(struct calendar));
}

void calendar_free(struct calendar *cal)
{
	if (!cal)
		return;
	for (size_t i = 0; i < cal->ndays; i++)
		free(cal->days[i].name);
	free(cal->days);
	free(cal->years);
	free(cal);
}

/* Index of the first overridden day >= `day` (cal->ndays if none). */
static size_t day_lower_bound(const struct calendar *cal, long day)
{
	size_t lo = 0, hi = cal->ndays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct calendar_day *day_find(const struct calendar *cal, long day)
{
	size_t i = day_lower_bound(cal, day);

	return i < cal->ndays && cal->days[i].day == day ? &cal->days[i] : NULL;
}

void calendar_set_day(struct calendar *cal, long day, bool off_day, const char *name)
{
	size_t i = day_lower_bound(cal, day);
	/* Copy first: `name` may be the very string being replaced. */
	char *copy = name && *name ? xstrdup(name) : NULL;

	if (i < cal->ndays && cal->days[i].day == day) {
		free(cal->days[i].name);
	} else {
		grow((void **)&cal->days, &cal->days_cap, cal->ndays + 1, sizeof(*cal->days));
		memmove(&cal->days[i + 1], &cal->days[i], (cal->ndays - i) * sizeof(*cal->days));
		cal->ndays++;
	}
	cal->days[i] = (struct calendar_day){ .day = day, .off = off_day, .name = copy };
	assert(i == 0 || cal->days[i - 1].day < day);
	assert(i + 1 == cal->ndays || cal->days[i + 1].day > day);
}

/* Index of the first marked year >= `year` (cal->nyears if none). */
static size_t year_lower_bound(const struct calendar *cal, int year)
{
	size_t lo = 0, hi = cal->nyears;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cal->years[mid] < year)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void calendar_mark_year(struct calendar *cal, int year)
{
	size_t i = year_lower_bound(cal, year);

	if (i < cal->nyears && cal->years[i] == year)
		return;
	grow((void **)&cal->years, &cal->years_cap, cal->nyears + 1, sizeof(*cal->years));
	memmove(&cal->years[i + 1], &cal->years[i], (cal->nyears - i) * sizeof(*cal->years));
	cal->years[i] = year;
	cal->nyears++;
}

bool calendar_year_known(const struct calendar *cal, int year)
{
	size_t i = year_lower_bound(cal, year);

	return i < cal->nyears && cal->years[i] == year;
}

bool calendar_is_workday(const struct calendar *cal, long day)
{
	const struct calendar_day *d = day_find(cal, day);

	if (d)
		return !d->off;
	return weekday_from_days(day) < 5;
}

const char *calendar_day_name(const struct calendar *cal, long day)
{
	const struct calendar_day *d = day_find(cal, day);

	return d ? d->name : NULL;
}

void calendar_apply_statutory(struct calendar *cal, int year)
{
	struct calendar_statutory_day days[CALENDAR_STATUTORY_MAX];
	size_t n = calendar_statutory_days(year, days);

	for (size_t i = 0; i < n; i++)
		if (!day_find(cal, days[i].day))
			calendar_set_day(cal, days[i].day, true, days[i].name);
}

time_t calendar_add_workdays(const struct calendar *cal, time_t from, int n)
{
	long day = time_local_day(from);

	if (n < 1)
		n = 1;
	while (n > 0) {
		day++;
		if (calendar_is_workday(cal, day))
			n--;
	}
	return time_from_local(day, 23, 59, 59);
}

long calendar_working_seconds(const struct calendar *cal, time_t a, time_t b)
{
	long total = 0;
	long day;
	time_t start, end;

	if (b <= a)
		return 0;
	day = time_local_day(a);
	for (start = time_from_local(day, 0, 0, 0); start < b; start = end, day++) {
		end = time_from_local(day + 1, 0, 0, 0);
		if (!calendar_is_workday(cal, day))
			continue;
		time_t lo = a > start ? a : start;
		time_t hi = b < end ? b : end;
		if (hi > lo)
			total += (long)(hi - lo);
	}
	return total;
}

time_t calendar_add_working_seconds(const struct calendar *cal, time_t t, long secs)
{
	long day;
	time_t cur = t, end;

	if (secs <= 0)
		return t;
	for (day = time_local_day(t);; day++, cur = end) {
		end = time_from_local(day + 1, 0, 0, 0);
		if (!calendar_is_workday(cal, day))
			continue;
		if (secs <= end - cur)
			return cur + secs;
		secs -= (long)(end - cur);
	}
}

/* One validated entry of a year file; `name` belongs to the JSON tree. */
struct pending_day {
	long day;
	bool off;
	const char *name;
	size_t index;		/* position in "days" */
};

static int pending_cmp(const void *pa, const void *pb)
{
	const struct pending_day *a = pa, *b = pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Parses exactly "YYYY-MM-DD" naming a real date; fills *year and *day. */
static bool parse_date(const char *s, int *year, long *day)
{
	int y, m, d, y2, m2, d2;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1)
		return false;
	*day = days_from_civil(y, m, d);
	civil_from_days(*day, &y2, &m2, &d2);
	*year = y;
	return y2 == y && m2 == m && d2 == d;
}

/* Re-files an error of a getter on days[i] under "days[i].<key>". */
static bool day_field_err(struct err *e, size_t i, const char *key, const struct err *inner)
{
	char field[64];

	snprintf(field, sizeof(field), "days[%zu].%s", i, key);
	return err_field(e, 422, field, inner->code, "days[%zu]: %s", i, inner->message);
}

/* Validates days[i] of a file for `year` into *out. */
static bool parse_day(json_object *item, size_t i, int year, struct pending_day *out,
		      struct err *e)
{
	struct err inner = ERR_INIT;
	const char *date = NULL;
	char field[64];
	int date_year;

	if (!json_object_is_type(item, json_type_object)) {
		snprintf(field, sizeof(field), "days[%zu]", i);
		return err_field(e, 422, field, ERR_WRONG_TYPE,
				 "days[%zu] must be an object with name, date and isOffDay", i);
	}
	if (!json_get_string(item, "name", true, &out->name, &inner))
		return day_field_err(e, i, "name", &inner);
	if (!json_get_string(item, "date", true, &date, &inner))
		return day_field_err(e, i, "date", &inner);
	if (!json_get_bool(item, "isOffDay", true, &out->off, &inner))
		return day_field_err(e, i, "isOffDay", &inner);
	snprintf(field, sizeof(field), "days[%zu].date", i);
	if (!parse_date(date, &date_year, &out->day))
		return err_field(e, 422, field, ERR_BAD_DATE,
				 "days[%zu]: invalid date \"%s\": expected a real date as YYYY-MM-DD",
				 i, date);
	if (date_year < year - 1 || date_year > year + 1)
		return err_field(e, 422, field, ERR_OUT_OF_RANGE,
				 "days[%zu]: date \"%s\" is not within a year of %d, the year of the file",
				 i, date, year);
	out->index = i;
	return true;
}

static bool parse_papers(json_object *doc, struct err *e)
{
	json_object *papers;
	char field[64];

	if (!json_object_object_get_ex(doc, "papers", &papers) || !papers)
		return err_field(e, 422, "papers", ERR_REQUIRED,
				 "field \"papers\" is required: the URLs of the State Council notices");
	if (!json_object_is_type(papers, json_type_array))
		return err_field(e, 422, "papers", ERR_WRONG_TYPE, "field \"papers\" must be an array of URLs");
	for (size_t i = 0; i < json_object_array_length(papers); i++) {
		if (json_object_is_type(json_object_array_get_idx(papers, i), json_type_string))
			continue;
		snprintf(field, sizeof(field), "papers[%zu]", i);
		return err_field(e, 422, field, ERR_WRONG_TYPE, "papers[%zu] must be a string (a URL)", i);
	}
	return true;
}

/* Reports the first date (by position in the file) listed twice. */
static bool check_duplicates(const struct pending_day *sorted, size_t n, struct err *e)
{
	size_t worst = 0;	/* index into sorted of the offending later entry */
	char field[64];
	int y, m, d;

	for (size_t i = 1; i < n; i++)
		if (sorted[i].day == sorted[i - 1].day
		    && (!worst || sorted[i].index < sorted[worst].index))
			worst = i;
	if (!worst)
		return true;
	civil_from_days(sorted[worst].day, &y, &m, &d);
	snprintf(field, sizeof(field), "days[%zu].date", sorted[worst].index);
	return err_field(e, 422, field, ERR_LISTED_TWICE,
			 "days[%zu]: date \"%04d-%02d-%02d\" is listed twice (also days[%zu])",
			 sorted[worst].index, y, m, d, sorted[worst - 1].index);
}

bool calendar_notice_parse(const char *text, size_t len, struct calendar_notice *out, struct err *e)
{
	json_object *doc = NULL, *days, *papers;
	struct pending_day *pending = NULL;
	int64_t year = 0;
	size_t n = 0;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!json_parse_object(text, len, &doc, e))
		return false;
	if (!json_get_int(doc, "year", true, &year, e))
		goto out;
	if (year < CALENDAR_MIN_YEAR || year > CALENDAR_MAX_YEAR) {
		err_field(e, 422, "year", ERR_OUT_OF_RANGE, "year %lld is out of range: expected %d to %d",
			  (long long)year, CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR);
		goto out;
	}
	if (!parse_papers(doc, e))
		goto out;
	if (!json_object_object_get_ex(doc, "days", &days) || !days) {
		err_field(e, 422, "days", ERR_REQUIRED, "field \"days\" is required");
		goto out;
	}
	if (!json_object_is_type(days, json_type_array)) {
		err_field(e, 422, "days", ERR_WRONG_TYPE, "field \"days\" must be an array");
		goto out;
	}
	n = json_object_array_length(days);
	pending = xcalloc(n ? n : 1, sizeof(*pending));
	for (size_t i = 0; i < n; i++)
		if (!parse_day(json_object_array_get_idx(days, i), i, (int)year, &pending[i], e))
			goto out;
	qsort(pending, n, sizeof(*pending), pending_cmp);
	if (!check_duplicates(pending, n, e))
		goto out;

	/* Valid throughout: copy out what the document holds. */
	papers = json_object_object_get(doc, "papers");
	out->year = (int)year;
	out->source = xstrdup(json_object_array_length(papers)
			      ? json_object_get_string(json_object_array_get_idx(papers, 0)) : "");
	out->days = xcalloc(n ? n : 1, sizeof(*out->days));
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		out->days[i].day = pending[i].day;
		out->days[i].off_day = pending[i].off;
		out->days[i].name = xstrdup(pending[i].name ? pending[i].name : "");
	}
	ok = true;
out:
	free(pending);
	json_object_put(doc);
	return ok;
}

void calendar_notice_release(struct calendar_notice *notice)
{
	for (size_t i = 0; i < notice->n; i++)
		free(notice->days[i].name);
	free(notice->days);
	free(notice->source);
	memset(notice, 0, sizeof(*notice));
}

void calendar_apply_notice(struct calendar *cal, const struct calendar_notice *notice)
{
	for (size_t i = 0; i < notice->n; i++)
		calendar_set_day(cal, notice->days[i].day, notice->days[i].off_day, notice->days[i].name);
	calendar_mark_year(cal, notice->year);
}

bool calendar_load_json(struct calendar *cal, const char *text, size_t len,
			int *year_out, struct err *e)
{
	struct calendar_notice notice;

	if (!calendar_notice_parse(text, len, &notice, e))
		return false;
	calendar_apply_notice(cal, &notice);
	if (year_out)
		*year_out = notice.year;
	calendar_notice_release(&notice);
	return true;
}
