/* Submitted forms (application/x-www-form-urlencoded) and URL escaping. */
#include <string.h>
#include <strings.h>

#include "web/web_private.h"

bool form_parse(struct form *f, struct http_req *req, struct err *e)
{
	const char *ctype = http_header(req, "Content-Type");
	size_t len, cap = 0;
	const char *body = http_body(req, &len);
	char *copy, *save = NULL;
	bool ok = true;

	memset(f, 0, sizeof(*f));
	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) || !len)
		return true;
	copy = xstrndup(body, len);
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (eq)
			*eq = '\0';
		if (f->n == cap) {
			cap = cap ? cap * 2 : 16;
			f->pairs = xrealloc(f->pairs, cap * sizeof(*f->pairs));
		}
		struct form_pair *p = &f->pairs[f->n++];
		p->name = xstrdup(pair);
		p->value = xstrdup(eq ? eq + 1 : "");
		/* A decoded %00 would cut the value short without anyone noticing. */
		if (http_url_decode(p->name, true) != strlen(p->name)
		    || http_url_decode(p->value, true) != strlen(p->value))
			ok = false;
	}
	free(copy);
	if (!ok)
		err_set(e, 400, "bad-form", "the form contains a NUL character");
	return ok;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->pairs[i].name, name))
			return f->pairs[i].value;
	return NULL;
}

const char *form_get_nonempty(const struct form *f, const char *name)
{
	const char *v = form_get(f, name);

	return v && strspn(v, " \t\r\n") < strlen(v) ? v : NULL;
}

json_object *form_values(const struct form *f, const char *const *lists)
{
	json_object *o = json_object_new_object();

	for (size_t k = 0; lists && lists[k]; k++)
		json_object_object_add(o, lists[k], json_object_new_array());
	for (size_t i = 0; i < f->n; i++) {
		const char *name = f->pairs[i].name;
		json_object *list = NULL;
		if (!strcmp(name, "csrf_token") || !strcmp(name, "password"))
			continue;
		if (json_object_object_get_ex(o, name, &list) && json_object_is_type(list, json_type_array))
			json_object_array_add(list, json_object_new_string(f->pairs[i].value));
		else if (!list)
			json_object_object_add(o, name, json_object_new_string(f->pairs[i].value));
	}
	return o;
}

void form_release(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->pairs[i].name);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	memset(f, 0, sizeof(*f));
}

void url_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
		    || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addch(out, (char)*p);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		}
	}
}

bool order_number_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 32
	       && strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") == n;
}
