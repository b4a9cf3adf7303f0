#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fill(struct err *e, int status, const char *code, const char *field,
		 const char *fmt, va_list ap)
{
	e->status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->field, sizeof(e->field), "%s", field);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

bool err_set(struct err *e, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return false;
	va_start(ap, fmt);
	fill(e, status, code, "", fmt, ap);
	va_end(ap);
	return false;
}

bool err_field(struct err *e, int status, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return false;
	va_start(ap, fmt);
	fill(e, status, status == 422 ? "invalid-field" : "bad-request", field, fmt, ap);
	va_end(ap);
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

void err_extra(struct err *e, const char *key, const char *value)
{
	if (!e)
		return;
	snprintf(e->ext_key, sizeof(e->ext_key), "%s", key);
	snprintf(e->ext_value, sizeof(e->ext_value), "%s", value);
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
