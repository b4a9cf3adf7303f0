/*
 * Submitted forms (application/x-www-form-urlencoded, and
 * multipart/form-data for the upload forms) and URL escaping.
 */
#include <string.h>
#include <strings.h>

#include "web/web_private.h"

/* Appends an empty pair to `f` and returns it. */
static struct form_pair *form_add(struct form *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->pairs = xrealloc(f->pairs, f->cap * sizeof(*f->pairs));
	}
	memset(&f->pairs[f->n], 0, sizeof(f->pairs[0]));
	return &f->pairs[f->n++];
}

static bool parse_urlencoded(struct form *f, const char *body, size_t len, struct err *e)
{
	char *copy = xstrndup(body, len), *save = NULL;
	bool ok = true;

	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (eq)
			*eq = '\0';
		struct form_pair *p = form_add(f);
		p->name = xstrdup(pair);
		p->value = xstrdup(eq ? eq + 1 : "");
		/* A decoded %00 would cut the value short without anyone noticing. */
		if (http_url_decode(p->name, true) != strlen(p->name)
		    || (p->len = http_url_decode(p->value, true)) != strlen(p->value))
			ok = false;
	}
	free(copy);
	if (!ok)
		err_set(e, 400, ERR_BAD_FORM, "the form contains a NUL character");
	return ok;
}

/* The first occurrence of `needle` (`n` bytes) in `hay` (`len` bytes), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
	for (const char *p = hay; n <= len && p <= hay + len - n; p++) {
		p = memchr(p, needle[0], (size_t)(hay + len - n - p) + 1);
		if (!p)
			return NULL;
		if (!memcmp(p, needle, n))
			return p;
	}
	return NULL;
}

/*
 * The value of parameter `param` (name="…" or filename="…") in the
 * Content-Disposition header line `line` of `len` bytes, as a new string;
 * NULL if absent. Browsers escape '"' in names as %22, so none is inside.
 */
static char *disposition_param(const char *line, size_t len, const char *param)
{
	size_t n = strlen(param);

	for (const char *p = line; p + n + 2 <= line + len; p++) {
		if ((p == line || p[-1] == ' ' || p[-1] == ';') && !strncasecmp(p, param, n)
		    && p[n] == '=' && p[n + 1] == '"') {
			const char *v = p + n + 2, *end = memchr(v, '"', (size_t)(line + len - v));
			return end ? xstrndup(v, (size_t)(end - v)) : NULL;
		}
	}
	return NULL;
}

/* The boundary of a multipart Content-Type, as "--boundary" in `out`; false if none. */
static bool multipart_boundary(const char *ctype, struct buf *out)
{
	const char *b = ctype;
	size_t n;

	while (*b && strncasecmp(b, "boundary=", 9))
		b++;
	if (!*b)
		return false;
	b += 9;
	if (*b == '"') {
		b++;
		n = strcspn(b, "\"");
	} else {
		n = strcspn(b, "; \t");
	}
	if (n == 0 || n > 70)
		return false;
	buf_adds(out, "--");
	buf_add(out, b, n);
	return true;
}

/*
 * multipart/form-data (RFC 7578): parts separated by "--boundary" lines,
 * each with headers, a blank line and the content. Only the
 * Content-Disposition header matters here.
 */
static bool parse_multipart(struct form *f, const char *ctype, const char *body, size_t len,
			    struct err *e)
{
	struct buf boundary = BUF_INIT;
	const char *p, *end = body + len;
	bool ok = false;

	if (!multipart_boundary(ctype, &boundary)) {
		err_set(e, 400, ERR_BAD_FORM, "the multipart form has no boundary");
		goto out;
	}
	p = find(body, len, boundary.data, boundary.len);
	while (p) {
		const char *head = p + boundary.len, *blank, *next, *content;
		if (end - head >= 2 && head[0] == '-' && head[1] == '-') {
			ok = true;	/* the closing boundary */
			break;
		}
		if (end - head < 2 || head[0] != '\r' || head[1] != '\n')
			break;
		head += 2;
		blank = find(head, (size_t)(end - head), "\r\n\r\n", 4);
		if (!blank)
			break;
		content = blank + 4;
		/* The content ends before "\r\n--boundary". */
		next = NULL;
		for (const char *q = content; q < end;) {
			const char *c = find(q, (size_t)(end - q), boundary.data, boundary.len);
			if (!c)
				break;
			if (c - content >= 2 && c[-2] == '\r' && c[-1] == '\n') {
				next = c;
				break;
			}
			q = c + 1;
		}
		if (!next)
			break;
		char *name = NULL, *filename = NULL;
		for (const char *line = head; line < blank;) {
			const char *eol = find(line, (size_t)(blank + 2 - line), "\r\n", 2);
			size_t n = eol ? (size_t)(eol - line) : (size_t)(blank - line);
			if (n > 20 && !strncasecmp(line, "Content-Disposition:", 20)) {
				name = disposition_param(line, n, "name");
				filename = disposition_param(line, n, "filename");
			}
			line += n + 2;
		}
		if (!name) {
			free(filename);
			break;
		}
		struct form_pair *pair = form_add(f);
		pair->name = name;
		pair->filename = filename;
		pair->len = (size_t)(next - 2 - content);
		pair->value = xstrndup(content, pair->len);
		if (memchr(content, '\0', pair->len)) {
			err_set(e, 400, ERR_BAD_FORM, "the form contains a NUL character");
			goto out;
		}
		p = next;
	}
	if (!ok)
		err_set(e, 400, ERR_BAD_FORM, "the multipart form is malformed");
out:
	buf_release(&boundary);
	return ok;
}

bool form_parse(struct form *f, struct http_req *req, struct err *e)
{
	const char *ctype = http_header(req, "Content-Type");
	size_t len;
	const char *body = http_body(req, &len);

	memset(f, 0, sizeof(*f));
	if (!ctype || !len)
		return true;
	if (!strncasecmp(ctype, "application/x-www-form-urlencoded", 33))
		return parse_urlencoded(f, body, len, e);
	if (!strncasecmp(ctype, "multipart/form-data", 19))
		return parse_multipart(f, ctype, body, len, e);
	return true;
}

const struct form_pair *form_file(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->pairs[i].name, name) && f->pairs[i].filename)
			return &f->pairs[i];
	return NULL;
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
		/* Secrets are never echoed back into a re-rendered form. */
		if (!strcmp(name, "csrf_token") || strstr(name, "password") || f->pairs[i].filename)
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
		free(f->pairs[i].filename);
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

/* ------------------------------------------------------------ as parameters */

static const char *form_source_get(void *form, const char *name)
{
	return form_get_nonempty(form, name);
}

static size_t form_source_list(void *form, const char *name, const char **out, size_t max)
{
	const struct form *f = form;
	size_t n = 0;

	for (size_t k = 0; k < f->n; k++)
		if (!strcmp(f->pairs[k].name, name) && f->pairs[k].value[0] && n < max)
			out[n++] = f->pairs[k].value;
	return n;
}

struct param_source form_source(const struct form *f)
{
	struct param_source s = {
		.get = form_source_get, .list = form_source_list, .form = (void *)f,
	};
	return s;
}
