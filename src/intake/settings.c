#include "intake/settings.h"
#include "core/array.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char default_hotline[] = INTAKE_DEFAULT_HOTLINE;

static struct intake_settings current = {
	.hotline = { default_hotline },
	.nhotline = 1,
	.short_abandon_seconds = INTAKE_DEFAULT_SHORT_ABANDON,
	.window_min_offered = INTAKE_DEFAULT_WINDOW_MIN_OFFERED,
	.short_abandons_offered = true,
};

const struct intake_settings *intake_settings(void)
{
	return &current;
}

static void clear_hotline(void)
{
	for (size_t i = 0; i < current.nhotline; i++)
		if (current.hotline[i] != default_hotline)
			free(current.hotline[i]);
	current.nhotline = 0;
}

bool intake_set_hotline_numbers(const char *list, struct err *e)
{
	char *parsed[INTAKE_MAX_HOTLINE_NUMBERS];
	size_t n = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		const char *start = p;

		while (len && *start == ' ')
			start++, len--;
		while (len && start[len - 1] == ' ')
			len--;
		bool digits = len >= 3 && len <= 20 && strspn(start, "0123456789") >= len;
		if (!digits || n == INTAKE_MAX_HOTLINE_NUMBERS) {
			for (size_t i = 0; i < n; i++)
				free(parsed[i]);
			if (!digits)
				return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for --hotline-numbers: expected numbers of 3 to 20 digits separated by commas, e.g. 12345,12315",
						 list);
			return err_set(e, 400, ERR_BAD_OPTION, "too many hotline numbers in \"%.100s\": at most %d", list,
					 INTAKE_MAX_HOTLINE_NUMBERS);
		}
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			if (strlen(parsed[i]) == len && !memcmp(parsed[i], start, len))
				seen = true;
		if (!seen)
			parsed[n++] = xstrndup(start, len);
		p += strcspn(p, ",");
		if (!*p)
			break;
		p++;
	}
	clear_hotline();
	memcpy(current.hotline, parsed, n * sizeof(parsed[0]));
	current.nhotline = n;
	return true;
}

bool intake_set_short_abandon_seconds(const char *value, struct err *e)
{
	char *end;
	long v = strtol(value, &end, 10);

	if (!*value || *end || v < 0 || v > 60)
		return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for --short-abandon-seconds: expected a whole number from 0 to 60",
				 value);
	current.short_abandon_seconds = (int)v;
	return true;
}

bool intake_set_window_min_offered(const char *value, struct err *e)
{
	char *end;
	long v = strtol(value, &end, 10);

	if (!*value || *end || v < 1 || v > 1000000)
		return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for --window-min-offered: expected a whole number from 1 to 1000000",
			       value);
	current.window_min_offered = v;
	return true;
}

bool intake_set_short_abandons_offered(const char *value, struct err *e)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(value, yes[i])) {
			current.short_abandons_offered = true;
			return true;
		}
		if (!strcasecmp(value, no[i])) {
			current.short_abandons_offered = false;
			return true;
		}
	}
	return err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\" for --short-abandons-offered: expected yes or no", value);
}

bool intake_is_hotline(const struct intake_settings *s, const char *number)
{
	if (!number)
		return false;
	for (size_t i = 0; i < s->nhotline; i++)
		if (!strcmp(s->hotline[i], number))
			return true;
	return false;
}

void intake_hotline_array(const struct intake_settings *s, struct buf *out)
{
	buf_addch(out, '{');
	intake_hotline_list(s, out);
	buf_addch(out, '}');
}

void intake_hotline_list(const struct intake_settings *s, struct buf *out)
{
	for (size_t i = 0; i < s->nhotline; i++) {
		if (i)
			buf_addch(out, ',');
		buf_adds(out, s->hotline[i]);
	}
}
