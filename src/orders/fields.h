/*
 * fields: validation and presentation of the order's free-form fields —
 * phone numbers, UTF-8 text, and the masks that hide a confidential
 * caller from departments.
 */
#ifndef HOTLINE_ORDERS_FIELDS_H
#define HOTLINE_ORDERS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define PHONE_MAX 24

/*
 * Normalises a Chinese phone number into `out`:
 *   mobile             13812345678  (from +86 138 1234 5678, 0086-138…, 86138…)
 *   landline           010-12345678 (area code required; 0755 8888 1234 → 0755-88881234)
 *   service            400-123-4567 → 4001234567, and 5-digit hotlines such as 12345
 * Spaces, dashes, dots and parentheses are ignored. Returns false with `e`
 * (422, naming `field`) giving the reason otherwise.
 */
bool phone_normalise(const char *in, char out[PHONE_MAX], const char *field, struct err *e);

/* Appends `phone` masked: 138****5678, 010-****5678; short numbers keep
 * only their last digit. */
void phone_mask(struct buf *out, const char *phone);
/* Appends `name` with every character after the first masked: 张三 → 张*. */
void name_mask(struct buf *out, const char *name);

/*
 * Checks that `s` is valid UTF-8 without control characters other than
 * tab and newlines, and at most `max_chars` characters. Returns false
 * with `e` (422, naming `field`) saying which rule failed.
 */
bool text_check(const char *s, size_t max_chars, const char *field, struct err *e);
/* Number of UTF-8 characters in a valid string. */
size_t utf8_length(const char *s);

#endif
