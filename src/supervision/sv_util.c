#include "supervision/sv_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/timeutil.h"

double sv_round(double v, int decimals)
{
	double scale = pow(10, decimals);

	return round(v * scale) / scale;
}

/* sv_number()'s text for the integer n / 10^decimals: the digits of n
 * with the point put in, trailing zeros dropped but one ("0.5", "3.0"). */
static void fixed_text(long long n, int decimals, char *text)
{
	char digits[24];	/* least significant first */
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	int len = 0, low = 0;

	do {
		digits[len++] = (char)('0' + u % 10);
		u /= 10;
	} while (u || len <= decimals);
	if (n < 0)
		*text++ = '-';
	while (len > decimals)
		*text++ = digits[--len];
	*text++ = '.';
	while (low < len - 1 && digits[low] == '0')
		low++;
	if (len == 0)
		*text++ = '0';
	while (len > low)
		*text++ = digits[--len];
	*text = '\0';
}

json_object *sv_number(double v, int decimals)
{
	char text[64];
	double scale = pow(10, decimals), scaled;

	if (!isfinite(v))
		return NULL;
	scaled = round(v * scale);	/* sv_round() before the division */
	if (scaled == 0)
		scaled = 0;		/* no "-0.0" */
	v = scaled / scale;
	if (decimals >= 0 && decimals <= 9 && fabs(scaled) < 9e15) {
		/* the digits of the rounded value are those of the integer */
		fixed_text((long long)scaled, decimals, text);
		return json_object_new_double_s(v, text);
	}
	snprintf(text, sizeof(text), "%.*f", decimals, v);
	if (strchr(text, '.')) {
		size_t n = strlen(text);
		while (n > 0 && text[n - 1] == '0')
			text[--n] = '\0';
		if (text[n - 1] == '.')
			text[n++] = '0', text[n] = '\0';
	} else {
		strcat(text, ".0");
	}
	return json_object_new_double_s(v, text);
}

json_object *sv_time(time_t t)
{
	char iso[TIMEUTIL_ISO_LEN];

	if (!t)
		return NULL;
	time_format_iso(t, iso);
	return json_object_new_string(iso);
}

json_object *sv_code_name(const char *code, const char *name)
{
	json_object *o;

	if (!code || !*code)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "name", json_object_new_string(name ? name : ""));
	return o;
}

void sv_user_id(const struct principal *who, char out[16])
{
	snprintf(out, 16, "%d", who->user_id);
}

bool sv_parse_time(const char *value, const char *name, bool required, time_t *out,
		   struct err *e)
{
	if (!value || !*value) {
		if (required)
			return err_field(e, 400, name, ERR_REQUIRED, "parameter \"%s\" is required (an ISO 8601 time such as 2026-03-01 or 2026-03-01T00:00:00+08:00)",
					 name);
		*out = 0;
		return true;
	}
	if (!time_parse_iso(value, out, name, e)) {
		e->status = 400;
		return false;
	}
	return true;
}
