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

json_object *sv_number(double v, int decimals)
{
	char text[64];
	size_t n;

	if (!isfinite(v))
		return NULL;
	v = sv_round(v, decimals);
	if (v == 0)
		v = 0;		/* no "-0.0" */
	snprintf(text, sizeof(text), "%.*f", decimals, v);
	if (strchr(text, '.')) {
		n = strlen(text);
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
			return err_field(e, 400, name, "parameter \"%s\" is required (an ISO 8601 time such as 2026-03-01 or 2026-03-01T00:00:00+08:00)",
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
