#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const slugs[ERR_CODE_COUNT] = {
#define ERR_SLUG(name, slug) [name] = slug,
	ERR_CODES(ERR_SLUG)
#undef ERR_SLUG
};

const char *err_code_slug(enum err_code code)
{
	return code >= 0 && code < ERR_CODE_COUNT ? slugs[code] : "internal";
}

static void fill(struct err *e, int status, enum err_code code, const char *field,
		 const char *fmt, va_list ap)
{
	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field);
	e->num[0] = e->num[1] = 0;
	e->text[0] = '\0';
	e->line = 0;
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

bool err_field(struct err *e, int status, const char *field, enum err_code code,
	       const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return false;
	va_start(ap, fmt);
	fill(e, status, code, field, fmt, ap);
	va_end(ap);
	return false;
}

bool err_num(struct err *e, double a, double b)
{
	if (e) {
		e->num[0] = a;
		e->num[1] = b;
	}
	return false;
}

bool err_text_arg(struct err *e, const char *text)
{
	if (e)
		snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
	return false;
}

void err_clear(struct err *e)
{
	memset(e, 0, sizeof(*e));
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char old[sizeof(e->message)];
	size_t n;
	va_list ap;

	if (!e)
		return;
	memcpy(old, e->message, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	n = strlen(e->message);
	if (n < sizeof(e->message) - 1)
		memcpy(e->message + n, old, sizeof(e->message) - 1 - n);
	e->message[sizeof(e->message) - 1] = '\0';
}

void err_at_line(struct err *e, const char *file, int line)
{
	if (!e)
		return;
	e->line = line;
	err_prefix(e, "%s: line %d: ", file, line);
}

void err_extra(struct err *e, const char *key, const char *value)
{
	if (!e)
		return;
	snprintf(e->ext_key, sizeof(e->ext_key), "%s", key);
	snprintf(e->ext_value, sizeof(e->ext_value), "%s", value);
}

void err_collect(struct err *all, const struct err *one)
{
	struct err_detail *d;

	if (!err_isset(one))
		return;
	if (!err_isset(all)) {
		*all = *one;
		all->nmore = 0;
		return;
	}
	if (all->nmore >= ERR_MORE_MAX)
		return;
	d = &all->more[all->nmore++];
	err_detail_at(one, 0, d);
}

void err_detail_at(const struct err *e, int i, struct err_detail *out)
{
	if (i > 0) {
		*out = e->more[i - 1];
		return;
	}
	out->code = e->code;
	snprintf(out->field, sizeof(out->field), "%s", e->field);
	out->num[0] = e->num[0];
	out->num[1] = e->num[1];
	snprintf(out->text, sizeof(out->text), "%s", e->text);
	snprintf(out->message, sizeof(out->message), "%.*s", (int)sizeof(out->message) - 1,
		 e->message);
}

const char *http_status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}
