/*
 * settings: what the call intake needs to know about the hotline — which
 * dialled numbers are the hotline's, and how short abandons count.
 *
 * One process-wide set, filled at start by the configuration (options
 * --hotline-numbers, --short-abandon-seconds, --short-abandons-offered,
 * --window-min-offered and
 * their environment variables, see app/config.c) before any thread runs,
 * and read-only afterwards. Every intake function takes the settings as a
 * parameter, so tests may pass their own.
 */
#ifndef HOTLINE_INTAKE_SETTINGS_H
#define HOTLINE_INTAKE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define INTAKE_DEFAULT_HOTLINE "12345"
#define INTAKE_DEFAULT_SHORT_ABANDON 5
/* A 24-hour window with fewer offered calls says nothing of the service. */
#define INTAKE_DEFAULT_WINDOW_MIN_OFFERED 100
#define INTAKE_MAX_HOTLINE_NUMBERS 64
/* GB/T 33358-2016: 呼叫接通率 ≥ 95% over any continuous 24 hours. */
#define INTAKE_STANDARD_RATE 0.95
/* GB/T 33358-2016: answered by a person within 15 seconds. */
#define INTAKE_SERVICE_LEVEL_SECONDS 15

struct intake_settings {
	/* The hotline numbers: 12345 and the old numbers merged into it
	 * (一号通). Digits only, 3 to 20 of them, no duplicates. */
	char *hotline[INTAKE_MAX_HOTLINE_NUMBERS];
	size_t nhotline;
	/* An abandon after at most this many seconds of waiting is short. */
	int short_abandon_seconds;
	/* Whether short abandons count in offered (and abandoned) in reports. */
	bool short_abandons_offered;
	/* The worst continuous 24 hours only count windows with at least
	 * this many offered calls. */
	long window_min_offered;
};

/* The process's settings; never NULL (the defaults until changed). */
const struct intake_settings *intake_settings(void);

/*
 * Setters for the configuration, each parsing the option's text. Return
 * false with `e` (400, code "bad-option", the message naming the
 * option) on a bad
 * value, leaving the setting unchanged. Not thread-safe: call at start.
 *   hotline numbers   comma-separated, e.g. "12345,12315,12369"
 *   short abandon     whole seconds 0 to 60
 *   offered           yes/no, true/false, 1/0
 */
bool intake_set_hotline_numbers(const char *list, struct err *e);
bool intake_set_short_abandon_seconds(const char *value, struct err *e);
bool intake_set_short_abandons_offered(const char *value, struct err *e);
bool intake_set_window_min_offered(const char *value, struct err *e);	/* 1 to 1000000 */

/* Whether `number` is one of the hotline numbers of `s`. */
bool intake_is_hotline(const struct intake_settings *s, const char *number);

/* Appends the hotline numbers as a PostgreSQL array literal, "{12345,12315}",
 * for a text[] statement parameter. */
void intake_hotline_array(const struct intake_settings *s, struct buf *out);

/* Appends them comma-separated, as the option takes them. */
void intake_hotline_list(const struct intake_settings *s, struct buf *out);

#endif
