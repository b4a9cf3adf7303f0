/*
 * The statutory holidays of 《全国年节及纪念日放假办法》 as revised in 2024
 * (in force from 2025): the days the law itself makes holidays, before the
 * State Council's yearly notice adds its make-up working days (调休) and
 * bridge days. The lunar and solar-term dates come from the table below,
 * printed by scripts/lunar-table (see there for the astronomy and why a
 * table rather than ICU's Chinese calendar).
 */
#include "calendar/calendar.h"

#include <stddef.h>

#include "core/array.h"
#include "core/timeutil.h"

struct festival_row {
	short year;
	signed char spring_m, spring_d;		/* 正月初一 */
	signed char dragon_m, dragon_d;		/* 五月初五, 端午 */
	signed char autumn_m, autumn_d;		/* 八月十五, 中秋 */
	signed char qingming_m, qingming_d;	/* the solar term 清明 */
};

/* scripts/lunar-table 2020 2100; the comments are its margins (minutes
 * between an instant a row depends on and a Beijing midnight). */
static const struct festival_row festivals[] = {
	{ 2020,  1, 25,  6, 25, 10,  1,  4,  4 },	/* 17, 496 */
	{ 2021,  2, 12,  6, 14,  9, 21,  4,  4 },	/* 10, 147 */
	{ 2022,  2,  1,  6,  3,  9, 10,  4,  5 },	/* 10, 200 */
	{ 2023,  1, 22,  6, 22,  9, 29,  4,  5 },	/* 7, 548 */
	{ 2024,  2, 10,  6, 10,  9, 17,  4,  4 },	/* 141, 546 */
	{ 2025,  1, 29,  5, 31, 10,  6,  4,  4 },	/* 60, 199 */
	{ 2026,  2, 17,  6, 19,  9, 25,  4,  5 },	/* 10, 147 */
	{ 2027,  2,  6,  6,  9,  9, 15,  4,  5 },	/* 4, 494 */
	{ 2028,  1, 26,  5, 28, 10,  3,  4,  4 },	/* 48, 599 */
	{ 2029,  2, 13,  6, 16,  9, 22,  4,  4 },	/* 9, 251 */
	{ 2030,  2,  3,  6,  5,  9, 12,  4,  5 },	/* 7, 98 */
	{ 2031,  1, 23,  6, 24, 10,  1,  4,  5 },	/* 11, 448 */
	{ 2032,  2, 11,  6, 12,  9, 19,  4,  4 },	/* 25, 642 */
	{ 2033,  1, 31,  6,  1,  9,  8,  4,  4 },	/* 112, 291 */
	{ 2034,  2, 19,  6, 20,  9, 27,  4,  5 },	/* 14, 60 */
	{ 2035,  2,  8,  6, 10,  9, 16,  4,  5 },	/* 57, 411 */
	{ 2036,  1, 28,  5, 30, 10,  4,  4,  4 },	/* 26, 678 */
	{ 2037,  2, 15,  6, 18,  9, 24,  4,  4 },	/* 8, 327 */
	{ 2038,  2,  4,  6,  7,  9, 13,  4,  5 },	/* 43, 22 */
	{ 2039,  1, 24,  5, 27, 10,  2,  4,  5 },	/* 32, 371 */
	{ 2040,  2, 12,  6, 14,  9, 20,  4,  4 },	/* 32, 720 */
	{ 2041,  2,  1,  6,  3,  9, 10,  4,  4 },	/* 16, 373 */
	{ 2042,  1, 22,  6, 22,  9, 28,  4,  4 },	/* 83, 26 */
	{ 2043,  2, 10,  6, 11,  9, 17,  4,  5 },	/* 83, 321 */
	{ 2044,  1, 30,  5, 31, 10,  5,  4,  4 },	/* 62, 667 */
	{ 2045,  2, 17,  6, 19,  9, 25,  4,  4 },	/* 75, 426 */
	{ 2046,  2,  6,  6,  8,  9, 15,  4,  4 },	/* 38, 79 */
	{ 2047,  1, 26,  5, 29, 10,  4,  4,  5 },	/* 76, 268 */
	{ 2048,  2, 14,  6, 15,  9, 22,  4,  4 },	/* 30, 617 */
	{ 2049,  2,  2,  6,  4,  9, 11,  4,  4 },	/* 15, 474 */
	{ 2050,  1, 23,  6, 23,  9, 30,  4,  4 },	/* 36, 124 */
	{ 2051,  2, 11,  6, 13,  9, 19,  4,  5 },	/* 36, 226 */
	{ 2052,  2,  1,  6,  1,  9,  7,  4,  4 },	/* 57, 577 */
	{ 2053,  2, 19,  6, 20,  9, 26,  4,  4 },	/* 31, 512 */
	{ 2054,  2,  8,  6, 10,  9, 16,  4,  4 },	/* 3, 161 */
	{ 2055,  1, 28,  5, 30, 10,  5,  4,  5 },	/* 3, 190 */
	{ 2056,  2, 15,  6, 17,  9, 24,  4,  4 },	/* 6, 540 */
	{ 2057,  2,  4,  6,  6,  9, 13,  4,  4 },	/* 0, 550 */
	{ 2058,  1, 24,  6, 25, 10,  2,  4,  4 },	/* 12, 202 */
	{ 2059,  2, 12,  6, 14,  9, 21,  4,  5 },	/* 10, 146 */
	{ 2060,  2,  2,  6,  3,  9,  9,  4,  4 },	/* 7, 493 */
	{ 2061,  1, 21,  6, 22,  9, 28,  4,  4 },	/* 44, 600 */
	{ 2062,  2,  9,  6, 11,  9, 17,  4,  4 },	/* 57, 253 */
	{ 2063,  1, 29,  6,  1, 10,  6,  4,  5 },	/* 57, 93 */
	{ 2064,  2, 17,  6, 19,  9, 25,  4,  4 },	/* 109, 440 */
	{ 2065,  2,  5,  6,  8,  9, 15,  4,  4 },	/* 39, 653 */
	{ 2066,  1, 26,  5, 28, 10,  3,  4,  4 },	/* 133, 305 */
	{ 2067,  2, 14,  6, 16,  9, 23,  4,  5 },	/* 115, 43 */
	{ 2068,  2,  3,  6,  4,  9, 11,  4,  4 },	/* 49, 393 */
	{ 2069,  1, 23,  6, 23,  9, 29,  4,  4 },	/* 43, 697 */
	{ 2070,  2, 11,  6, 13,  9, 19,  4,  4 },	/* 8, 346 */
	{ 2071,  1, 31,  6,  2,  9,  8,  4,  5 },	/* 53, 5 */
	{ 2072,  2, 19,  6, 20,  9, 26,  4,  4 },	/* 59, 356 */
	{ 2073,  2,  7,  6, 10,  9, 16,  4,  4 },	/* 55, 707 */
	{ 2074,  1, 27,  5, 30, 10,  5,  4,  4 },	/* 55, 383 */
	{ 2075,  2, 15,  6, 17,  9, 24,  4,  4 },	/* 81, 33 */
	{ 2076,  2,  5,  6,  6,  9, 12,  4,  4 },	/* 74, 316 */
	{ 2077,  1, 24,  6, 24, 10,  1,  4,  4 },	/* 60, 665 */
	{ 2078,  2, 12,  6, 14,  9, 20,  4,  4 },	/* 56, 428 */
	{ 2079,  2,  2,  6,  4,  9, 10,  4,  4 },	/* 62, 81 */
	{ 2080,  1, 22,  6, 22,  9, 28,  4,  4 },	/* 23, 266 */
	{ 2081,  2,  9,  6, 11,  9, 17,  4,  4 },	/* 43, 612 */
	{ 2082,  1, 29,  6,  1, 10,  6,  4,  4 },	/* 6, 481 */
	{ 2083,  2, 17,  6, 19,  9, 26,  4,  4 },	/* 48, 134 */
	{ 2084,  2,  6,  6,  7,  9, 14,  4,  4 },	/* 48, 213 */
	{ 2085,  1, 26,  5, 27, 10,  3,  4,  4 },	/* 37, 561 */
	{ 2086,  2, 14,  6, 15,  9, 22,  4,  4 },	/* 53, 530 */
	{ 2087,  2,  3,  6,  5,  9, 11,  4,  4 },	/* 7, 180 */
	{ 2088,  1, 24,  6, 23,  9, 29,  4,  4 },	/* 7, 170 */
	{ 2089,  2, 10,  6, 13,  9, 18,  4,  4 },	/* 2, 521 */
	{ 2090,  1, 30,  6,  2,  9,  8,  4,  4 },	/* 31, 568 */
	{ 2091,  2, 18,  6, 21,  9, 27,  4,  4 },	/* 26, 217 */
	{ 2092,  2,  7,  6,  9,  9, 16,  4,  4 },	/* 10, 134 */
	{ 2093,  1, 27,  5, 29, 10,  5,  4,  4 },	/* 10, 485 */
	{ 2094,  2, 15,  6, 17,  9, 24,  4,  4 },	/* 16, 606 */
	{ 2095,  2,  5,  6,  6,  9, 13,  4,  4 },	/* 36, 257 */
	{ 2096,  1, 25,  6, 24,  9, 30,  4,  4 },	/* 50, 91 */
	{ 2097,  2, 12,  6, 14,  9, 20,  4,  4 },	/* 0, 439 */
	{ 2098,  2,  1,  6,  4,  9,  9,  4,  4 },	/* 8, 655 */
	{ 2099,  1, 21,  6, 23,  9, 29,  4,  4 },	/* 10, 308 */
	{ 2100,  2,  9,  6, 12,  9, 18,  4,  5 },	/* 16, 38 */
};

#define NFESTIVALS ARRAY_SIZE(festivals)

bool calendar_festivals(int year, struct calendar_festivals *out)
{
	const struct festival_row *r;

	if (year < festivals[0].year || year > festivals[NFESTIVALS - 1].year)
		return false;
	r = &festivals[year - festivals[0].year];
	out->spring = days_from_civil(year, r->spring_m, r->spring_d);
	out->dragon_boat = days_from_civil(year, r->dragon_m, r->dragon_d);
	out->mid_autumn = days_from_civil(year, r->autumn_m, r->autumn_d);
	out->qingming = days_from_civil(year, r->qingming_m, r->qingming_d);
	return true;
}

static void add(struct calendar_statutory_day *out, size_t *n, long day, const char *name)
{
	out[*n].day = day;
	out[*n].name = name;
	(*n)++;
}

size_t calendar_statutory_days(int year, struct calendar_statutory_day out[CALENDAR_STATUTORY_MAX])
{
	struct calendar_festivals f;
	size_t n = 0;

	add(out, &n, days_from_civil(year, 1, 1), "元旦");
	if (calendar_festivals(year, &f)) {
		/* 除夕 through 正月初三: four days. */
		for (long d = f.spring - 1; d <= f.spring + 2; d++)
			add(out, &n, d, "春节");
		add(out, &n, f.qingming, "清明节");
	}
	add(out, &n, days_from_civil(year, 5, 1), "劳动节");
	add(out, &n, days_from_civil(year, 5, 2), "劳动节");
	if (calendar_festivals(year, &f)) {
		add(out, &n, f.dragon_boat, "端午节");
		add(out, &n, f.mid_autumn, "中秋节");
	}
	for (int d = 1; d <= 3; d++)
		add(out, &n, days_from_civil(year, 10, d), "国庆节");
	/* Sorted by day, except that Mid-Autumn may fall in October. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j - 1].day > out[j].day; j--) {
			struct calendar_statutory_day t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	/* Mid-Autumn on a day of National Day (2020, 2031) is one day off, not two. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && out[k - 1].day == out[i].day) {
			out[k - 1].name = "国庆节、中秋节";
			continue;
		}
		out[k++] = out[i];
	}
	return k;
}
