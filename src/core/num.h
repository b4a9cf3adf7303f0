/*
 * num: whole numbers read from text that a client sent (query strings,
 * form fields), strictly: the whole text is an optional '-' and decimal
 * digits, nothing before or after, and the value lies in a range given by
 * the caller. Nothing is cast before the range check, so "4294967297"
 * never becomes 1 on the way into an int.
 */
#ifndef HOTLINE_CORE_NUM_H
#define HOTLINE_CORE_NUM_H

#include <stdbool.h>

/*
 * Reads `s` into *out if it is a whole number from `min` to `max`. Returns
 * false (and leaves *out alone) for NULL, "", spaces, a '+', trailing
 * text, an overflow or a value out of the range.
 */
bool num_parse_ll(const char *s, long long min, long long max, long long *out);

#endif
