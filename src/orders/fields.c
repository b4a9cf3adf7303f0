#include "orders/fields.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static size_t utf8_char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 1;
}

bool phone_normalise(const char *in, char out[PHONE_MAX], const char *field, struct err *e)
{
	char d[PHONE_MAX + 8];
	size_t n = 0;
	const char *p = in;
	bool plus = *p == '+';
	char *digits;

	if (plus)
		p++;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n + 2 >= sizeof(d))
				return err_field(e, 422, field, ERR_PHONE_TOO_LONG, "phone number \"%s\" is too long", in);
			d[1 + n++] = *p;	/* d[0] is room for a trunk 0 */
		} else if (!strchr(" -.()", *p)) {
			int len = (int)utf8_char_len((unsigned char)*p);
			return err_field(e, 422, field, ERR_PHONE_INVALID,
					 "phone number \"%s\" contains \"%.*s\": only ASCII digits, spaces, dashes and a leading + are allowed",
					 in, len, p);
		}
	}
	d[1 + n] = '\0';
	digits = d + 1;
	/* Country code 86 (as +86, 0086, or 86 before an 11-digit mobile). */
	if (!strncmp(digits, "0086", 4)) {
		digits += 4;
		plus = true;
	} else if (!strncmp(digits, "86", 2) && (plus || (n == 13 && digits[2] == '1'))) {
		digits += 2;
		plus = true;
	}
	/* An international landline drops the trunk 0: +86 10 1234 5678. */
	if (plus && digits[0] && digits[0] != '0' && !(digits[0] == '1' && strlen(digits) == 11)) {
		digits--;
		digits[0] = '0';
	}
	n = strlen(digits);
	if (n == 0)
		return err_field(e, 422, field, ERR_PHONE_NO_DIGITS, "phone number \"%s\" has no digits", in);
	if (digits[0] == '1' && n == 11) {
		if (digits[1] < '3')
			return err_field(e, 422, field, ERR_PHONE_BAD_MOBILE, "phone number \"%s\" is not a valid mobile number: the second digit must be 3 to 9", in);
		snprintf(out, PHONE_MAX, "%s", digits);
		return true;
	}
	if (digits[0] == '1' && n == 5) {	/* 12345, 12315 and the like */
		snprintf(out, PHONE_MAX, "%s", digits);
		return true;
	}
	if ((!strncmp(digits, "400", 3) || !strncmp(digits, "800", 3)) && n == 10) {
		snprintf(out, PHONE_MAX, "%s", digits);
		return true;
	}
	if (digits[0] == '0') {
		/* Area codes: 010 and 02x have three digits, the rest four. */
		size_t area = digits[1] == '1' || digits[1] == '2' ? 3 : 4;
		size_t local = n - area;
		if (n < area + 7 || local > 8)
			return err_field(e, 422, field, ERR_PHONE_INVALID,
					 "phone number \"%s\" is not a valid landline: expected an area code and 7 or 8 digits", in);
		snprintf(out, PHONE_MAX, "%.*s-%s", (int)area, digits, digits + area);
		return true;
	}
	if (n == 7 || n == 8)
		return err_field(e, 422, field, ERR_PHONE_NEEDS_AREA, "landline \"%s\" needs its area code, e.g. 010-%s", in, digits);
	return err_field(e, 422, field, ERR_PHONE_INVALID, "phone number \"%s\" is neither a mobile (11 digits starting with 1) nor a landline with area code", in);
}

void phone_mask(struct buf *out, const char *phone)
{
	size_t n = strlen(phone);
	const char *dash = strchr(phone, '-');

	if (dash && n - (size_t)(dash - phone) > 5) {
		buf_add(out, phone, (size_t)(dash - phone) + 1);
		buf_adds(out, "****");
		buf_adds(out, phone + n - 4);
	} else if (n >= 11) {
		buf_add(out, phone, 3);
		buf_adds(out, "****");
		buf_adds(out, phone + n - 4);
	} else if (n > 0) {
		for (size_t i = 0; i + 1 < n; i++)
			buf_addch(out, '*');
		buf_addch(out, phone[n - 1]);
	}
}


void name_mask(struct buf *out, const char *name)
{
	size_t first = utf8_char_len((unsigned char)name[0]);
	size_t rest;

	if (!*name)
		return;
	buf_add(out, name, strnlen(name, first));
	rest = utf8_length(name + strnlen(name, first));
	for (size_t i = 0; i < (rest ? rest : 1); i++)
		buf_addch(out, '*');
}

size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

bool text_check(const char *s, size_t max_chars, const char *field, struct err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (*p) {
		unsigned c = *p;
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return err_field(e, 422, field, ERR_CONTROL_CHAR, "field \"%s\" contains control character 0x%02x at character %zu",
						 field, c, chars + 1);
			len = 1;
			cp = c;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
		    || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			goto bad;
		p += len;
		chars++;
	}
	if (chars > max_chars)
		return err_field_n(e, 422, field, ERR_TOO_LONG, (double)chars, (double)max_chars,
				   "field \"%s\" has %zu characters; at most %zu are allowed",
				 field, chars, max_chars);
	return true;
bad:
	return err_field(e, 422, field, ERR_NOT_UTF8, "field \"%s\" is not valid UTF-8 (at character %zu)", field,
			 chars + 1);
}
