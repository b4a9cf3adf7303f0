/*
 * Helpers shared by the units of the supervision module (not exported
 * beyond it).
 */
#ifndef HOTLINE_SUPERVISION_SV_PRIVATE_H
#define HOTLINE_SUPERVISION_SV_PRIVATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "auth/auth.h"
#include "core/buf.h"

/*
 * A JSON number that serialises as written: `v` with up to `decimals`
 * decimals, trailing zeros dropped but one kept ("0.9985", "1.0"). A new
 * reference; NULL (JSON null) if v is not finite.
 */
json_object *sv_number(double v, int decimals);

/* Rounds `v` to `decimals` decimals, half away from zero. */
double sv_round(double v, int decimals);

/* A new JSON string of `t` in ISO 8601 with offset, or NULL (JSON null) for 0. */
json_object *sv_time(time_t t);

/* A new {"code", "name"} object, or NULL (JSON null) when code is NULL or "". */
json_object *sv_code_name(const char *code, const char *name);

/* The user id of `who` as decimal text in `out`. */
void sv_user_id(const struct principal *who, char out[16]);

/*
 * Parses a query parameter "from"/"to" (ISO 8601, a bare date meaning local
 * midnight) into *out. 400 naming the parameter when it is missing
 * (`required`) or malformed.
 */
bool sv_parse_time(const char *value, const char *name, bool required, time_t *out,
		   struct err *e);

/* Not static only so that the unit tests (tests/unit/supervision) reach them: */

/* stats.c: num ÷ den, or NAN (a rate of JSON null) when den is 0 or less. */
double sv_ratio(long long num, long long den);

/* callbacks.c: whether order `id` is in the callback sample of `share`
 * (callback.share): a fixed choice per id, spread evenly over consecutive
 * ids; always true for a share of 1 or more. */
bool sv_sampled(long long id, double share);

#endif
