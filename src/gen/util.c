/* The generator's primitives: random numbers, COPY output, local time,
 * callers, and the spread of events over a year. */
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "gen/gen.h"

/* ------------------------------------------------------------ random */

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed * 0x9E3779B97F4A7C15ULL ^ (stream + 1) * 0xD1B54A32D192ED03ULL;
	(void)rng_next(r);
}

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

long rng_below(struct rng *r, long n)
{
	return (long)(rng_unit(r) * (double)n);
}

double rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

size_t rng_pick(struct rng *r, const double *weights, size_t n)
{
	double total = 0, x;

	for (size_t i = 0; i < n; i++)
		total += weights[i];
	x = rng_unit(r) * total;
	for (size_t i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

/* ------------------------------------------------------------ output */

void out_text(struct buf *b, const char *s)
{
	if (!s) {
		buf_add(b, "\\N", 2);
		return;
	}
	for (;;) {
		size_t run = strcspn(s, "\\\t\n\r");
		buf_add(b, s, run);
		s += run;
		if (!*s)
			return;
		switch (*s) {
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		default: buf_addch(b, *s);
		}
		s++;
	}
}

static void put2(char *p, long v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD HH:MM:SS" of `t` shifted by `offset` seconds. */
static void stamp(time_t t, long offset, char out[20])
{
	long long x = (long long)t + offset;
	long days = (long)(x >= 0 ? x / 86400 : (x - 86399) / 86400);
	long secs = (long)(x - (long long)days * 86400);
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00 00:00:00", 20);
	put2(out, y / 100);
	put2(out + 2, y % 100);
	put2(out + 5, m);
	put2(out + 8, d);
	put2(out + 11, secs / 3600);
	put2(out + 14, secs / 60 % 60);
	put2(out + 17, secs % 60);
}

void out_time(struct buf *b, time_t t)
{
	char s[20];

	if (!t) {
		buf_add(b, "\\N", 2);
		return;
	}
	stamp(t, 0, s);
	buf_add(b, s, 19);
	buf_add(b, "+00", 3);
}

void out_long(struct buf *b, long long v)
{
	char digits[24];
	size_t i = sizeof(digits);
	bool neg = v < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		digits[--i] = '-';
	buf_add(b, digits + i, sizeof(digits) - i);
}

void out_flush(struct buf *b, bool force)
{
	size_t done = 0;

	if (!force && b->len < (4u << 20))
		return;
	while (done < b->len) {
		ssize_t n = write(STDOUT_FILENO, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hotline-gen: cannot write the output: %s\n", strerror(errno));
			exit(1);
		}
		done += (size_t)n;
	}
	buf_reset(b);
}

/* ----------------------------------------------------- binary COPY */

void out_flush_file(struct buf *b, FILE *f, const char *what, bool force)
{
	if (!force && b->len < (4u << 20))
		return;
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len) {
		fprintf(stderr, "hotline-gen: cannot write %s: %s\n", what, strerror(errno));
		exit(1);
	}
	buf_reset(b);
}

/* ------------------------------------------------- several outputs */

/* Past this many bytes waiting for every output, fanout_put() waits. */
#define FANOUT_HIGH (1u << 20)

static size_t fanout_waiting(const struct fanout *f, size_t i)
{
	return f->pending[i].len - f->done[i];
}

static void fanout_fail(const struct fanout *f, size_t i)
{
	fprintf(stderr, "hotline-gen: cannot write %s: %s\n", f->name[i], strerror(errno));
	exit(1);
}

/* Writes what output `i` takes without waiting. */
static void fanout_write(struct fanout *f, size_t i)
{
	struct buf *b = &f->pending[i];

	while (f->done[i] < b->len) {
		ssize_t n = write(f->fd[i], b->data + f->done[i], b->len - f->done[i]);
		if (n > 0)
			f->done[i] += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else if (n < 0 && errno != EINTR)
			fanout_fail(f, i);
	}
	buf_reset(b);
	f->done[i] = 0;
}

/* Writes until one output (every output when `all`) has at most `limit`
 * bytes waiting. */
static void fanout_pump(struct fanout *f, size_t limit, bool all)
{
	for (;;) {
		struct pollfd p[FANOUT_MAX];
		nfds_t np = 0;
		bool enough = all;

		for (size_t i = 0; i < f->n; i++) {
			if (fanout_waiting(f, i))
				fanout_write(f, i);
			if (all ? fanout_waiting(f, i) > limit : fanout_waiting(f, i) <= limit)
				enough = !all;
			if (fanout_waiting(f, i))
				p[np++] = (struct pollfd){ .fd = f->fd[i], .events = POLLOUT };
		}
		if (enough || !np)
			return;
		if (poll(p, np, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "hotline-gen: cannot wait for the outputs: %s\n", strerror(errno));
			exit(1);
		}
	}
}

/* Opens a FIFO for writing, waiting up to a minute for its reader. */
static int open_output(const char *path)
{
	for (int tries = 0;; tries++) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENXIO || tries >= 6000) {
			fprintf(stderr, "hotline-gen: cannot open %s: %s\n", path,
				errno == ENXIO ? "nobody reads it" : strerror(errno));
			exit(1);
		}
		usleep(10000);
	}
}

void fanout_open(struct fanout *f, const char *const *paths, size_t npaths)
{
	assert(npaths < FANOUT_MAX);
	memset(f, 0, sizeof(*f));
	f->n = npaths + 1;
	f->fd[0] = STDOUT_FILENO;
	f->name[0] = "the output";
	for (size_t i = 1; i < f->n; i++) {
		f->fd[i] = open_output(paths[i - 1]);
		f->name[i] = paths[i - 1];
	}
	for (size_t i = 0; i < f->n; i++) {
		int fl = fcntl(f->fd[i], F_GETFL);
		if (fl < 0 || fcntl(f->fd[i], F_SETFL, fl | O_NONBLOCK) < 0)
			fanout_fail(f, i);
		/* A deeper pipe keeps a reader busy while the others are fed;
		 * not every system allows it, and nothing depends on it. */
		(void)fcntl(f->fd[i], F_SETPIPE_SZ, (int)FANOUT_HIGH);
		buf_init(&f->pending[i]);
		copy_header(&f->pending[i]);
	}
}

void fanout_put(struct fanout *f, struct buf *chunk)
{
	size_t to = (f->last + 1) % f->n;

	/* the least waiting, round the outputs on a tie */
	for (size_t k = 1; k < f->n; k++) {
		size_t i = (f->last + 1 + k) % f->n;
		if (fanout_waiting(f, i) < fanout_waiting(f, to))
			to = i;
	}
	f->last = to;
	buf_add(&f->pending[to], chunk->data, chunk->len);
	buf_reset(chunk);
	fanout_pump(f, FANOUT_HIGH, false);
}

void fanout_close(struct fanout *f, bool finish)
{
	if (finish) {
		for (size_t i = 0; i < f->n; i++)
			copy_trailer(&f->pending[i]);
		fanout_pump(f, 0, true);
	}
	for (size_t i = 0; i < f->n; i++) {
		if (i > 0 && close(f->fd[i]) != 0 && finish)
			fanout_fail(f, i);
		buf_release(&f->pending[i]);
	}
}

/* -------------------------------------------------------- local time */

/* The offsets of recent hours, by hour modulo the size: the orders come in
 * time order, but their deadlines and handling times reach weeks ahead. */
#define TZ_CACHE_HOURS 16384

static struct tz_hour {
	long hour;
	long offset;
	bool valid;			/* the hour holds no zone change */
} tz_cache[TZ_CACHE_HOURS];

static long offset_of(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

long local_offset(time_t t)
{
	long hour = (long)(t >= 0 ? t / 3600 : (t - 3599) / 3600);
	struct tz_hour *c = &tz_cache[(unsigned long)hour % TZ_CACHE_HOURS];

	if (c->valid && c->hour == hour)
		return c->offset;
	c->offset = offset_of((time_t)hour * 3600);
	/* An hour with a zone change inside is not cached. */
	c->valid = offset_of((time_t)hour * 3600 + 3599) == c->offset;
	c->hour = hour;
	return c->valid ? c->offset : offset_of(t);
}

long local_day(time_t t)
{
	long long x = (long long)t + local_offset(t);

	return (long)(x >= 0 ? x / 86400 : (x - 86399) / 86400);
}

int local_hour(time_t t)
{
	long long x = (long long)t + local_offset(t);
	long long s = x % 86400;

	return (int)((s < 0 ? s + 86400 : s) / 3600);
}

void local_stamp(time_t t, char out[20])
{
	stamp(t, local_offset(t), out);
}

/* ---------------------------------------------------- people, places */

void caller_phone(uint64_t seed, long k, char out[12])
{
	static const char *const prefixes[] = {
		"130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
		"155", "156", "158", "159", "176", "177", "180", "181", "185", "186", "187",
		"188", "189", "199",
	};
	struct rng r;
	uint64_t x;

	rng_seed(&r, seed, 0x1000000 + (uint64_t)k);
	x = rng_next(&r);
	memcpy(out, prefixes[x % (ARRAY_SIZE(prefixes))], 3);
	x /= ARRAY_SIZE(prefixes);
	for (int i = 3; i < 11; i++) {
		out[i] = (char)('0' + x % 10);
		x /= 10;
	}
	out[11] = '\0';
}

long caller_pick(struct rng *r, long n)
{
	double u = rng_unit(r);

	/* Skewed: the first tenth of the callers make about a third of the calls. */
	return (long)(pow(u, 1.6) * (double)n);
}

void person_name(struct rng *r, struct buf *out)
{
	static const char *const surnames[] = {
		"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
		"胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
	};
	static const char *const given[] = {
		"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
		"涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建国", "建华", "国强", "志强",
		"淑珍", "玉兰", "海燕", "晓东", "春梅", "文", "鹏", "辉", "红", "斌", "宇", "浩",
	};

	buf_adds(out, surnames[rng_below(r, ARRAY_SIZE(surnames))]);
	buf_adds(out, given[rng_below(r, ARRAY_SIZE(given))]);
	if (rng_unit(r) < 0.4)
		buf_adds(out, given[rng_below(r, ARRAY_SIZE(given))]);
}

/* ------------------------------------------------------- the year */

/* Calls per hour of the day, relative (a hotline's day). */
static const double hour_weight[24] = {
	0.15, 0.08, 0.05, 0.04, 0.04, 0.06, 0.2, 0.6, 1.3, 1.9, 2.0, 1.8,
	1.2, 1.4, 1.8, 1.9, 1.7, 1.3, 0.9, 0.8, 0.7, 0.6, 0.4, 0.25,
};

static double day_weight(const struct calendar *cal, long day)
{
	int y, m, d;
	double w;

	civil_from_days(day, &y, &m, &d);
	w = calendar_is_workday(cal, day) ? 1.0 : 0.65;
	/* summer (heat, water, noise) and the heating season are busier */
	if (m >= 6 && m <= 8)
		w *= 1.2;
	else if (m == 11 || m == 12 || m == 1)
		w *= 1.1;
	return w;
}

static int cmp_time(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return (x > y) - (x < y);
}

void spread_over_year(uint64_t seed, uint64_t stream, long n, time_t end, int days,
		      const struct calendar *cal, void (*emit)(void *ctx, time_t t), void *ctx)
{
	long last = local_day(end) - 1, first = last - days + 1;
	double *w = xcalloc((size_t)days, sizeof(*w)), total = 0, carry = 0;
	time_t *times = NULL;
	size_t cap = 0;
	struct rng r;

	rng_seed(&r, seed, stream);
	for (int i = 0; i < days; i++)
		total += w[i] = day_weight(cal, first + i);
	long given = 0;
	for (int i = 0; i < days; i++) {
		/* Whole events per day, the fractions carried on; the last day
		 * takes what is left so that exactly n are emitted. */
		double want = (double)n * w[i] / total + carry;
		long k = i == days - 1 ? n - given : (long)want;
		carry = want - (double)k;
		if (k < 0)
			k = 0;
		if (given + k > n)
			k = n - given;
		given += k;
		if ((size_t)k > cap) {
			cap = (size_t)k;
			times = xrealloc(times, cap * sizeof(*times));
		}
		time_t midnight = time_from_local(first + i, 0, 0, 0);
		for (long j = 0; j < k; j++) {
			size_t h = rng_pick(&r, hour_weight, 24);
			times[j] = midnight + (time_t)h * 3600 + (time_t)rng_below(&r, 3600);
		}
		qsort(times, (size_t)k, sizeof(*times), cmp_time);
		for (long j = 0; j < k; j++)
			emit(ctx, times[j]);
	}
	free(times);
	free(w);
}

/* ---------------------------------------------------- working days */

void workcal_init(struct workcal *w, const struct calendar *cal, long first_day, long last_day)
{
	w->day0 = first_day;
	w->n = last_day - first_day + 1;
	w->midnight = xcalloc((size_t)w->n + 1, sizeof(*w->midnight));
	w->before = xcalloc((size_t)w->n + 1, sizeof(*w->before));
	w->work = xcalloc((size_t)w->n, sizeof(*w->work));
	for (long i = 0; i <= w->n; i++)
		w->midnight[i] = time_from_local(first_day + i, 0, 0, 0);
	for (long i = 0; i < w->n; i++) {
		w->work[i] = calendar_is_workday(cal, first_day + i);
		w->before[i + 1] = w->before[i] + (w->work[i] ? w->midnight[i + 1] - w->midnight[i] : 0);
	}
}

void workcal_release(struct workcal *w)
{
	free(w->midnight);
	free(w->before);
	free(w->work);
}

/* The index of the day holding `t`, clamped to the range. */
static long day_index(const struct workcal *w, time_t t)
{
	long i = local_day(t) - w->day0;

	return i < 0 ? 0 : i >= w->n ? w->n - 1 : i;
}

time_t workcal_add_workdays(const struct workcal *w, time_t from, int n)
{
	long i = day_index(w, from);

	if (n < 1)
		n = 1;
	while (n > 0 && i + 1 < w->n) {
		i++;
		if (w->work[i])
			n--;
	}
	return w->midnight[i + 1] - 1;
}

/* Working seconds from the start of the range to `t`. */
static long long working_before(const struct workcal *w, time_t t)
{
	long i = day_index(w, t);
	time_t into = t - w->midnight[i], len = w->midnight[i + 1] - w->midnight[i];

	if (into < 0)
		into = 0;
	if (into > len)
		into = len;
	return w->before[i] + (w->work[i] ? into : 0);
}

long workcal_seconds(const struct workcal *w, time_t a, time_t b)
{
	return b <= a ? 0 : (long)(working_before(w, b) - working_before(w, a));
}
