#include "template/mustache.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"

#define NOT_FOUND SIZE_MAX
/* Subdirectories of a template directory nested deeper are an error
 * (most likely a symbolic link pointing back up). */
#define MAX_DIR_DEPTH 16
#define EXTENSION ".mustache"
#define EXTENSION_LEN (sizeof(EXTENSION) - 1)

/*
 * The compiled form: a flat array of nodes in template order. A section's
 * children are the nodes that follow it, up to (not including) the index in
 * its `aux`; rendering skips to `aux` after the section.
 */
enum node_type {
	NODE_TEXT,		/* literal text */
	NODE_VAR,		/* {{name}}, escaped */
	NODE_RAW,		/* {{{name}}} or {{&name}} */
	NODE_SECTION,		/* {{#name}} */
	NODE_INVERTED,		/* {{^name}} */
	NODE_PARTIAL,		/* {{>name}} */
};

/*
 * Where a node starts in the template once standalone lines are gone. A
 * partial included with indentation repeats that indentation before every
 * node starting a line; BOL_START (the very start of the template) is left
 * out when the partial is included in the middle of a line.
 */
enum node_bol { BOL_NONE, BOL_LINE, BOL_START };

struct node {
	unsigned char type;	/* enum node_type */
	unsigned char bol;	/* enum node_bol */
	bool standalone;	/* NODE_PARTIAL: the tag was alone on its line */
	unsigned nseg;		/* name parts ("a.b" has 2); 0 for "." */
	size_t off;		/* TEXT: the text; others: the name; in store */
	size_t len;		/* TEXT: text length; PARTIAL: indentation length */
	size_t aux;		/* SECTION, INVERTED: index after the children;
				 * PARTIAL: indentation offset in store */
};

struct mustache_template {
	char *name;
	/* The source, a NUL, then the names, each part NUL-terminated. */
	char *store;
	struct node *nodes;
	size_t nnodes;
	size_t *partials;	/* indices of the NODE_PARTIAL nodes */
	size_t npartials;
};

struct set_entry {
	char *name;
	struct mustache_template *t;
};

struct file_stamp {
	char *rel;		/* path below the directory, e.g. "orders/row.mustache" */
	struct timespec mtime;
	off_t size;
};

struct file_list {
	struct file_stamp *v;
	size_t n, cap;
};

struct mustache_set {
	struct set_entry *v;	/* sorted by name */
	size_t n, cap;
	char *dir;		/* NULL unless loaded by mustache_set_load_dir() */
	struct file_list files;	/* what was loaded from dir */
};

/* ------------------------------------------------------------------ */
/* Compiling                                                           */
/* ------------------------------------------------------------------ */

struct open_section {
	size_t node;		/* index of the section node */
	size_t name, name_len;	/* its name in the source */
	size_t pos;		/* offset of its tag */
};

struct parser {
	const char *src;
	size_t len;
	const char *label;	/* file name or template name for messages */
	struct buf names;	/* stored after the source */
	struct node *nodes;
	size_t nnodes, nodes_cap;
	size_t *partials;
	size_t npartials, partials_cap;
	struct open_section stack[MUSTACHE_MAX_SECTION_DEPTH];
	size_t depth;
	const char *otag, *ctag; /* current delimiters */
	size_t olen, clen;
	struct err *e;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t line_of(const char *s, size_t pos)
{
	size_t line = 1;

	for (const char *p = s, *end = s + pos;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		line++;
	return line;
}

/* Fills p->e with "label:line: reason" for the tag at `pos`; returns false. */
static bool syntax_error(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool syntax_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	err_set(p->e, 500, ERR_TEMPLATE_SYNTAX, "%s:%zu: %s",
		p->label, line_of(p->src, pos), b.data);
	buf_release(&b);
	return false;
}

/*
 * Appends the source from `pos` to the end of its line, at most about 40
 * bytes and not cutting a UTF-8 sequence, for quoting in a message.
 */
static void add_excerpt(struct buf *b, const char *s, size_t len, size_t pos)
{
	size_t end = pos;

	while (end < len && s[end] != '\n' && s[end] != '\r' && end - pos < 40)
		end++;
	while (end < len && end > pos && ((unsigned char)s[end] & 0xC0) == 0x80)
		end--;
	buf_add(b, s + pos, end - pos);
	if (end < len && s[end] != '\n' && s[end] != '\r')
		buf_adds(b, "…");
}

static size_t find(const char *s, size_t len, size_t from,
		   const char *needle, size_t nlen)
{
	assert(nlen > 0);
	while (from + nlen <= len) {
		const char *c = memchr(s + from, needle[0], len - from - nlen + 1);

		if (!c)
			return NOT_FOUND;
		from = (size_t)(c - s);
		if (memcmp(c, needle, nlen) == 0)
			return from;
		from++;
	}
	return NOT_FOUND;
}

/*
 * Finds the closing delimiter of a tag whose content starts at `from`.
 * With `prefix` (the '}' of "}}}" or the '=' of "=}}") the delimiter must
 * follow that character. Returns the offset of the closing delimiter.
 */
static size_t find_close(const struct parser *p, size_t from, char prefix)
{
	size_t r = from;

	for (;;) {
		r = find(p->src, p->len, r, p->ctag, p->clen);
		if (r == NOT_FOUND || !prefix)
			return r;
		if (r > from && p->src[r - 1] == prefix)
			return r;
		r++;
	}
}

static size_t add_node(struct parser *p, enum node_type type, enum node_bol bol)
{
	struct node *n;

	if (p->nnodes == p->nodes_cap) {
		p->nodes_cap = p->nodes_cap ? 2 * p->nodes_cap : 16;
		p->nodes = xrealloc(p->nodes, p->nodes_cap * sizeof(*p->nodes));
	}
	n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof(*n));
	n->type = (unsigned char)type;
	n->bol = (unsigned char)bol;
	return p->nnodes++;
}

static enum node_bol bol_at(const struct parser *p, size_t pos)
{
	if (pos == 0)
		return BOL_START;
	return p->src[pos - 1] == '\n' ? BOL_LINE : BOL_NONE;
}

static void add_text(struct parser *p, size_t from, size_t to)
{
	size_t i;

	if (from >= to)
		return;
	i = add_node(p, NODE_TEXT, bol_at(p, from));
	p->nodes[i].off = from;
	p->nodes[i].len = to - from;
}

/*
 * A tag that renders nothing but starts a line (an inline comment, say)
 * still marks where a partial's indentation goes.
 */
static void add_line_marker(struct parser *p, enum node_bol bol)
{
	if (bol != BOL_NONE)
		add_node(p, NODE_TEXT, bol);
}

/* Stores a name (dotted parts NUL-separated); sets node->off and nseg. */
static bool add_name(struct parser *p, size_t node, size_t tag,
		     const char *s, size_t n, bool dotted)
{
	size_t off = p->len + 1 + p->names.len;
	unsigned nseg = 1;

	if (dotted && n == 1 && s[0] == '.') {
		nseg = 0;
	} else if (dotted) {
		if (s[0] == '.' || s[n - 1] == '.' || find(s, n, 0, "..", 2) != NOT_FOUND)
			return syntax_error(p, tag, "invalid name \"%.*s\": a dotted name needs a name on each side of every dot",
					    (int)n, s);
		for (size_t i = 0; i < n; i++)
			if (s[i] == '.')
				nseg++;
	}
	for (size_t i = 0; i < n; i++)
		buf_addch(&p->names, dotted && s[i] == '.' ? '\0' : s[i]);
	buf_addch(&p->names, '\0');
	p->nodes[node].off = off;
	p->nodes[node].nseg = nseg;
	return true;
}

static bool unclosed_tag(struct parser *p, size_t tag, char kind)
{
	struct buf what = BUF_INIT;
	struct buf want = BUF_INIT;

	add_excerpt(&what, p->src, p->len, tag);
	if (kind == '{' || kind == '=')
		buf_addch(&want, kind == '{' ? '}' : '=');
	buf_add(&want, p->ctag, p->clen);
	syntax_error(p, tag, "unclosed %s \"%s\": no closing \"%s\"",
		     kind == '!' ? "comment" : "tag", what.data, want.data);
	buf_release(&what);
	buf_release(&want);
	return false;
}

static bool set_delimiters(struct parser *p, size_t tag, size_t end,
			   size_t cs, size_t ce)
{
	size_t a = cs, b, c;

	while (a < ce && !is_space(p->src[a]))
		a++;
	b = a;
	while (b < ce && is_space(p->src[b]))
		b++;
	c = b;
	while (c < ce && !is_space(p->src[c]))
		c++;
	if (a == cs || b == ce || c != ce)
		return syntax_error(p, tag, "invalid set-delimiter tag \"%.*s\": expected two delimiters separated by a space",
				    (int)(end - tag), p->src + tag);
	p->otag = p->src + cs;
	p->olen = a - cs;
	p->ctag = p->src + b;
	p->clen = ce - b;
	return true;
}

static bool open_section(struct parser *p, enum node_type type, enum node_bol bol,
			 size_t tag, size_t cs, size_t ce)
{
	struct open_section *o;
	size_t i;

	if (p->depth == MUSTACHE_MAX_SECTION_DEPTH)
		return syntax_error(p, tag, "sections nested deeper than %d levels",
				    MUSTACHE_MAX_SECTION_DEPTH);
	i = add_node(p, type, bol);
	if (!add_name(p, i, tag, p->src + cs, ce - cs, true))
		return false;
	o = &p->stack[p->depth++];
	o->node = i;
	o->name = cs;
	o->name_len = ce - cs;
	o->pos = tag;
	return true;
}

static bool close_section(struct parser *p, enum node_bol bol, size_t tag,
			  size_t cs, size_t ce)
{
	const struct open_section *o;

	if (p->depth == 0)
		return syntax_error(p, tag, "closing tag \"%.*s\" has no open section",
				    (int)(ce - cs), p->src + cs);
	o = &p->stack[p->depth - 1];
	if (o->name_len != ce - cs || memcmp(p->src + o->name, p->src + cs, ce - cs) != 0)
		return syntax_error(p, tag, "closing tag \"%.*s\" does not match section \"%.*s\" opened at line %zu",
				    (int)(ce - cs), p->src + cs, (int)o->name_len,
				    p->src + o->name, line_of(p->src, o->pos));
	add_line_marker(p, bol);
	p->nodes[o->node].aux = p->nnodes;
	p->depth--;
	return true;
}

static void add_partial(struct parser *p, enum node_bol bol, bool standalone,
			size_t indent, size_t indent_len, size_t cs, size_t ce)
{
	size_t i = add_node(p, NODE_PARTIAL, standalone ? BOL_NONE : bol);

	p->nodes[i].off = p->len + 1 + p->names.len;
	buf_add(&p->names, p->src + cs, ce - cs);
	buf_addch(&p->names, '\0');
	p->nodes[i].standalone = standalone;
	p->nodes[i].aux = indent;
	p->nodes[i].len = standalone ? indent_len : 0;
	if (p->npartials == p->partials_cap) {
		p->partials_cap = p->partials_cap ? 2 * p->partials_cap : 4;
		p->partials = xrealloc(p->partials, p->partials_cap * sizeof(*p->partials));
	}
	p->partials[p->npartials++] = i;
}

/*
 * Is the tag [tag, end) alone on its line, with only blanks around it? If
 * so, sets *ls to the start of the line and *le past its line break.
 */
static bool standalone_line(const struct parser *p, size_t tag, size_t end,
			    size_t *ls, size_t *le)
{
	size_t a = tag, b = end;

	while (a > 0 && is_blank(p->src[a - 1]))
		a--;
	if (a > 0 && p->src[a - 1] != '\n')
		return false;
	while (b < p->len && is_blank(p->src[b]))
		b++;
	if (b < p->len && p->src[b] == '\n')
		b++;
	else if (b + 1 < p->len && p->src[b] == '\r' && p->src[b + 1] == '\n')
		b += 2;
	else if (b < p->len)
		return false;
	*ls = a;
	*le = b;
	return true;
}

/*
 * Parses the tag whose opening delimiter is at `tag`. Text before it (from
 * *text_start) becomes a text node; *text_start moves past the tag, or past
 * its whole line if it is standalone.
 */
static bool parse_tag(struct parser *p, size_t tag, size_t *text_start)
{
	const char *src = p->src;
	size_t q = tag + p->olen;
	char kind = q < p->len ? src[q] : 'v';
	size_t cs, ce, r, end, ls = tag, le;
	bool standalone = false;
	enum node_bol bol;

	switch (kind) {
	case '{':
	case '=':
		cs = q + 1;
		r = find_close(p, cs, kind == '{' ? '}' : '=');
		ce = r - 1;
		break;
	case '!':
	case '#':
	case '^':
	case '/':
	case '>':
	case '&':
		cs = q + 1;
		r = ce = find_close(p, cs, 0);
		break;
	default:
		kind = 'v';
		cs = q;
		r = ce = find_close(p, cs, 0);
		break;
	}
	if (r == NOT_FOUND)
		return unclosed_tag(p, tag, kind);
	end = r + p->clen;
	if (kind != '!' && kind != '=' &&
	    (memchr(src + cs, '\n', ce - cs) || find(src, ce, cs, p->otag, p->olen) != NOT_FOUND))
		return unclosed_tag(p, tag, kind);
	while (cs < ce && is_space(src[cs]))
		cs++;
	while (ce > cs && is_space(src[ce - 1]))
		ce--;
	if (cs == ce && kind != '!')
		return syntax_error(p, tag, "empty tag \"%.*s\"", (int)(end - tag), src + tag);
	if (kind != '!' && kind != '=')
		for (size_t i = cs; i < ce; i++)
			if (is_space(src[i]))
				return syntax_error(p, tag, "invalid tag \"%.*s\": a name cannot contain white space",
						    (int)(end - tag), src + tag);

	if (strchr("#^/!>=", kind))
		standalone = standalone_line(p, tag, end, &ls, &le);
	if (standalone) {
		assert(ls >= *text_start);
		add_text(p, *text_start, ls);
		*text_start = le;
		bol = BOL_NONE;
	} else {
		add_text(p, *text_start, tag);
		*text_start = end;
		bol = bol_at(p, tag);
	}

	switch (kind) {
	case '!':
		add_line_marker(p, bol);
		return true;
	case '=':
		add_line_marker(p, bol);
		return set_delimiters(p, tag, end, cs, ce);
	case '#':
		return open_section(p, NODE_SECTION, bol, tag, cs, ce);
	case '^':
		return open_section(p, NODE_INVERTED, bol, tag, cs, ce);
	case '/':
		return close_section(p, bol, tag, cs, ce);
	case '>':
		add_partial(p, bol, standalone, ls, tag - ls, cs, ce);
		return true;
	default:
		return add_name(p, add_node(p, kind == 'v' ? NODE_VAR : NODE_RAW, bol),
				tag, src + cs, ce - cs, true);
	}
}

static bool parse(struct parser *p)
{
	size_t text_start = 0;
	size_t tag;

	while ((tag = find(p->src, p->len, text_start, p->otag, p->olen)) != NOT_FOUND)
		if (!parse_tag(p, tag, &text_start))
			return false;
	add_text(p, text_start, p->len);
	if (p->depth) {
		const struct open_section *o = &p->stack[p->depth - 1];

		return syntax_error(p, o->pos, "unclosed section \"%.*s\"",
				    (int)o->name_len, p->src + o->name);
	}
	return true;
}

static struct mustache_template *compile(const char *name, const char *label,
					 const char *text, size_t len, struct err *e)
{
	struct parser p = {
		.src = text, .len = len, .label = label, .names = BUF_INIT,
		.otag = "{{", .olen = 2, .ctag = "}}", .clen = 2, .e = e,
	};
	struct mustache_template *t = NULL;

	assert(text || len == 0);
	if (!text)
		p.src = "";
	if (!parse(&p))
		goto out;
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->store = xmalloc(len + 1 + p.names.len + 1);
	memcpy(t->store, p.src, len);
	t->store[len] = '\0';
	memcpy(t->store + len + 1, p.names.data, p.names.len);
	t->store[len + 1 + p.names.len] = '\0';
	t->nodes = p.nodes;
	t->nnodes = p.nnodes;
	t->partials = p.partials;
	t->npartials = p.npartials;
	p.nodes = NULL;
	p.partials = NULL;
out:
	free(p.nodes);
	free(p.partials);
	buf_release(&p.names);
	return t;
}

struct mustache_template *mustache_compile(const char *name, const char *text,
					   size_t len, struct err *e)
{
	return compile(name, name, text, len, e);
}

/* buf_read_file(), its failure worded as a template's. */
static bool read_file(const char *path, struct buf *b, struct err *e)
{
	if (buf_read_file(b, path, e))
		return true;
	err_set(e, 500, ERR_IO, "cannot read template \"%s\": %s", path, strerror(errno));
	return err_text_arg(e, path);
}

/* The file name without directory and without the ".mustache" extension. */
static char *name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > EXTENSION_LEN && strcmp(base + n - EXTENSION_LEN, EXTENSION) == 0)
		n -= EXTENSION_LEN;
	return xstrndup(base, n);
}

struct mustache_template *mustache_compile_file(const char *path, const char *name,
						struct err *e)
{
	struct buf text = BUF_INIT;
	struct mustache_template *t = NULL;
	char *derived = NULL;

	if (!read_file(path, &text, e))
		goto out;
	if (!name)
		name = derived = name_from_path(path);
	t = compile(name, path, text.data, text.len, e);
out:
	free(derived);
	buf_release(&text);
	return t;
}

void mustache_template_free(struct mustache_template *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->store);
	free(t->nodes);
	free(t->partials);
	free(t);
}

const char *mustache_template_name(const struct mustache_template *t)
{
	return t->name;
}

size_t mustache_template_partial_count(const struct mustache_template *t)
{
	return t->npartials;
}

const char *mustache_template_partial_name(const struct mustache_template *t, size_t i)
{
	if (i >= t->npartials)
		return NULL;
	return t->store + t->nodes[t->partials[i]].off;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

/* The context stack, one frame per section level, on the C stack. */
struct ctx {
	json_object *obj;
	const struct ctx *up;
};

/* Indentation of nested standalone partials, outermost last. */
struct indent {
	const char *s;
	size_t len;
	const struct indent *outer;
};

struct render {
	const struct mustache_set *set;
	struct buf *out;
	bool cut;		/* a partial was left out: too deep */
};

static const char *const html_entity[256] = {
	['\0'] = "\xEF\xBF\xBD",
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

void mustache_escape_html(struct buf *out, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = html_entity[(unsigned char)s[i]];

		if (rep) {
			buf_add(out, s + start, i - start);
			buf_adds(out, rep);
			start = i + 1;
		}
	}
	buf_add(out, s + start, len - start);
}

static void add_indent(struct buf *out, const struct indent *ind)
{
	if (ind->outer)
		add_indent(out, ind->outer);
	buf_add(out, ind->s, ind->len);
}

/* Appends text, indenting every line after the first that has content. */
static void emit_text(struct buf *out, const char *s, size_t len, const struct indent *ind)
{
	const char *nl;

	while (ind && len > 1 && (nl = memchr(s, '\n', len - 1)) != NULL) {
		size_t n = (size_t)(nl - s) + 1;

		buf_add(out, s, n);
		add_indent(out, ind);
		s += n;
		len -= n;
	}
	buf_add(out, s, len);
}

/* Shortest "%g" form that reads back as the same double. */
static size_t format_double(char *tmp, size_t size, double d)
{
	int n = snprintf(tmp, size, "%.15g", d);

	if (strtod(tmp, NULL) != d)
		n = snprintf(tmp, size, "%.17g", d);
	for (char *c = tmp; *c; c++)
		if (*c == ',')	/* a locale's decimal comma */
			*c = '.';
	return (size_t)n;
}

static void emit_value(struct buf *out, json_object *v, bool escape)
{
	char tmp[64];
	const char *s = tmp;
	size_t len;
	int64_t i;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return;
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		break;
	case json_type_int:
		i = json_object_get_int64(v);
		if (i == INT64_MAX)
			len = (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64,
					       json_object_get_uint64(v));
		else
			len = (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, i);
		break;
	case json_type_double:
		len = format_double(tmp, sizeof(tmp), json_object_get_double(v));
		break;
	case json_type_boolean:
		s = json_object_get_boolean(v) ? "true" : "false";
		len = strlen(s);
		break;
	default:
		s = json_object_to_json_string_length(
			v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		break;
	}
	if (escape)
		mustache_escape_html(out, s, len);
	else
		buf_add(out, s, len);
}

static bool truthy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	default:
		return true;
	}
}

/*
 * Resolves a node's name: the first part through the context stack, top
 * down, the rest inside what was found. NULL if missing (or null).
 */
static json_object *lookup(const struct mustache_template *t, const struct node *n,
			   const struct ctx *c)
{
	const char *seg = t->store + n->off;
	json_object *v = NULL;

	if (n->nseg == 0)
		return c->obj;
	for (; c; c = c->up)
		if (json_object_is_type(c->obj, json_type_object) &&
		    json_object_object_get_ex(c->obj, seg, &v))
			break;
	if (!c)
		return NULL;
	for (unsigned k = 1; k < n->nseg; k++) {
		seg += strlen(seg) + 1;
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, seg, &v))
			return NULL;
	}
	return v;
}

static void render_range(struct render *r, const struct mustache_template *t,
			 size_t i, size_t end, const struct ctx *c,
			 const struct indent *ind, bool midline, unsigned depth);

static void render_partial(struct render *r, const struct mustache_template *t,
			   const struct node *n, const struct ctx *c,
			   const struct indent *ind, unsigned depth)
{
	const struct mustache_template *pt;
	struct indent own;

	if (!r->set || !(pt = mustache_set_get(r->set, t->store + n->off)))
		return;
	if (depth >= MUSTACHE_MAX_PARTIAL_DEPTH) {
		r->cut = true;
		return;
	}
	if (n->standalone && n->len) {
		own.s = t->store + n->aux;
		own.len = n->len;
		own.outer = ind;
		ind = &own;
	}
	render_range(r, pt, 0, pt->nnodes, c, ind, !n->standalone, depth + 1);
}

static void render_section(struct render *r, const struct mustache_template *t,
			   size_t i, const struct ctx *c, const struct indent *ind,
			   unsigned depth)
{
	const struct node *n = &t->nodes[i];
	json_object *v = lookup(t, n, c);
	struct ctx frame = { v, c };

	if (n->type == NODE_INVERTED) {
		if (!truthy(v))
			render_range(r, t, i + 1, n->aux, c, ind, false, depth);
	} else if (json_object_is_type(v, json_type_array)) {
		size_t count = json_object_array_length(v);

		for (size_t k = 0; k < count; k++) {
			frame.obj = json_object_array_get_idx(v, k);
			render_range(r, t, i + 1, n->aux, &frame, ind, false, depth);
		}
	} else if (truthy(v)) {
		render_range(r, t, i + 1, n->aux, &frame, ind, false, depth);
	}
}

/*
 * Renders nodes [i, end) of `t`. `ind` is the indentation of the enclosing
 * standalone partials; `midline` says the template was included in the
 * middle of a line, so its very start gets no indentation.
 */
static void render_range(struct render *r, const struct mustache_template *t,
			 size_t i, size_t end, const struct ctx *c,
			 const struct indent *ind, bool midline, unsigned depth)
{
	while (i < end) {
		const struct node *n = &t->nodes[i];

		if (ind && n->bol != BOL_NONE && !(midline && n->bol == BOL_START))
			add_indent(r->out, ind);
		switch ((enum node_type)n->type) {
		case NODE_TEXT:
			emit_text(r->out, t->store + n->off, n->len, ind);
			break;
		case NODE_VAR:
		case NODE_RAW:
			emit_value(r->out, lookup(t, n, c), n->type == NODE_VAR);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			render_section(r, t, i, c, ind, depth);
			i = n->aux;
			continue;
		case NODE_PARTIAL:
			render_partial(r, t, n, c, ind, depth);
			break;
		}
		i++;
	}
}

bool mustache_render(const struct mustache_set *partials,
		     const struct mustache_template *t, json_object *data,
		     struct buf *out)
{
	struct render r = { partials, out, false };
	struct ctx root = { data, NULL };

	render_range(&r, t, 0, t->nnodes, &root, NULL, false, 0);
	return !r.cut;
}

bool mustache_render_named(const struct mustache_set *set, const char *name,
			   json_object *data, struct buf *out, struct err *e)
{
	const struct mustache_template *t = mustache_set_get(set, name);

	if (!t)
		return err_set(e, 500, ERR_TEMPLATE_MISSING, "template \"%s\" does not exist", name);
	if (!mustache_render(set, t, data, out))
		return err_set(e, 500, ERR_TEMPLATE_RECURSION,
			       "template \"%s\": partials nested deeper than %d levels (a partial including itself?)",
			       name, MUSTACHE_MAX_PARTIAL_DEPTH);
	return true;
}

/* ------------------------------------------------------------------ */
/* Template sets                                                       */
/* ------------------------------------------------------------------ */

struct mustache_set *mustache_set_new(void)
{
	return xcalloc(1, sizeof(struct mustache_set));
}

/* Index of `name` in the set, or of where it would go (*found false). */
static size_t set_find(const struct mustache_set *set, const char *name, bool *found)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, set->v[mid].name);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

/* Adds `t` as `name`, taking ownership of `t`. */
static void set_put(struct mustache_set *set, const char *name, struct mustache_template *t)
{
	bool found;
	size_t i = set_find(set, name, &found);

	if (found) {
		mustache_template_free(set->v[i].t);
		set->v[i].t = t;
		return;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 16;
		set->v = xrealloc(set->v, set->cap * sizeof(*set->v));
	}
	memmove(&set->v[i + 1], &set->v[i], (set->n - i) * sizeof(*set->v));
	set->v[i].name = xstrdup(name);
	set->v[i].t = t;
	set->n++;
}

bool mustache_set_add(struct mustache_set *set, const char *name,
		      const char *text, size_t len, struct err *e)
{
	struct mustache_template *t = mustache_compile(name, text, len, e);

	if (!t)
		return false;
	set_put(set, name, t);
	return true;
}

bool mustache_set_add_file(struct mustache_set *set, const char *name,
			   const char *path, struct err *e)
{
	struct mustache_template *t = mustache_compile_file(path, name, e);

	if (!t)
		return false;
	set_put(set, t->name, t);
	return true;
}

const struct mustache_template *mustache_set_get(const struct mustache_set *set,
						 const char *name)
{
	bool found;
	size_t i = set_find(set, name, &found);

	return found ? set->v[i].t : NULL;
}

size_t mustache_set_count(const struct mustache_set *set)
{
	return set->n;
}

static void file_list_release(struct file_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->v[i].rel);
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

static void set_release(struct mustache_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].name);
		mustache_template_free(set->v[i].t);
	}
	free(set->v);
	free(set->dir);
	file_list_release(&set->files);
}

void mustache_set_free(struct mustache_set *set)
{
	if (!set)
		return;
	set_release(set);
	free(set);
}

static char *join_path(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static bool has_extension(const char *name)
{
	size_t n = strlen(name);

	return n > EXTENSION_LEN && strcmp(name + n - EXTENSION_LEN, EXTENSION) == 0;
}

/* Lists the template files below dir/rel (rel "" for dir itself). */
static bool scan_dir(const char *dir, const char *rel, int depth,
		     struct file_list *fl, struct err *e)
{
	char *path = rel[0] ? join_path(dir, rel) : xstrdup(dir);
	DIR *d = opendir(path);
	struct dirent *de;
	bool ok = false;

	if (!d) {
		err_set(e, 500, ERR_IO, "cannot open template directory \"%s\": %s",
			path, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		char *child_rel, *child;
		struct stat st;
		bool child_ok = true;

		if (de->d_name[0] == '.')
			continue;
		child_rel = rel[0] ? join_path(rel, de->d_name) : xstrdup(de->d_name);
		child = join_path(dir, child_rel);
		if (stat(child, &st) != 0) {
			child_ok = err_set(e, 500, ERR_IO, "cannot read \"%s\": %s",
					   child, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIR_DEPTH)
				child_ok = err_set(e, 500, ERR_IO,
						   "template directory \"%s\" is nested deeper than %d levels",
						   child, MAX_DIR_DEPTH);
			else
				child_ok = scan_dir(dir, child_rel, depth + 1, fl, e);
		} else if (S_ISREG(st.st_mode) && has_extension(de->d_name)) {
			if (fl->n == fl->cap) {
				fl->cap = fl->cap ? 2 * fl->cap : 16;
				fl->v = xrealloc(fl->v, fl->cap * sizeof(*fl->v));
			}
			fl->v[fl->n].rel = child_rel;
			fl->v[fl->n].mtime = st.st_mtim;
			fl->v[fl->n].size = st.st_size;
			fl->n++;
			child_rel = NULL;
		}
		free(child);
		free(child_rel);
		if (!child_ok)
			goto out;
	}
	ok = true;
out:
	if (d)
		closedir(d);
	free(path);
	return ok;
}

static int stamp_cmp(const void *a, const void *b)
{
	return strcmp(((const struct file_stamp *)a)->rel, ((const struct file_stamp *)b)->rel);
}

static bool scan(const char *dir, struct file_list *fl, struct err *e)
{
	if (!scan_dir(dir, "", 0, fl, e)) {
		file_list_release(fl);
		return false;
	}
	if (fl->n)
		qsort(fl->v, fl->n, sizeof(*fl->v), stamp_cmp);
	return true;
}

static bool same_files(const struct file_list *a, const struct file_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].rel, b->v[i].rel) != 0 ||
		    a->v[i].size != b->v[i].size ||
		    a->v[i].mtime.tv_sec != b->v[i].mtime.tv_sec ||
		    a->v[i].mtime.tv_nsec != b->v[i].mtime.tv_nsec)
			return false;
	return true;
}

static void warn_missing_partials(const struct mustache_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct mustache_template *t = set->v[i].t;

		for (size_t k = 0; k < t->npartials; k++) {
			const char *p = mustache_template_partial_name(t, k);

			if (!mustache_set_get(set, p))
				log_warn("template \"%s\" includes partial \"%s\", which is not in \"%s\"",
					 t->name, p, set->dir);
		}
	}
}

/* Compiles the files `fl` (taken over) below `dir` into a new set. */
static struct mustache_set *load_files(const char *dir, struct file_list *fl, struct err *e)
{
	struct mustache_set *set = mustache_set_new();

	set->dir = xstrdup(dir);
	set->files = *fl;
	memset(fl, 0, sizeof(*fl));
	for (size_t i = 0; i < set->files.n; i++) {
		const char *rel = set->files.v[i].rel;
		char *path = join_path(dir, rel);
		char *name = xstrndup(rel, strlen(rel) - EXTENSION_LEN);
		bool ok = mustache_set_add_file(set, name, path, e);

		free(name);
		free(path);
		if (!ok) {
			mustache_set_free(set);
			return NULL;
		}
	}
	warn_missing_partials(set);
	return set;
}

struct mustache_set *mustache_set_load_dir(const char *dir, struct err *e)
{
	struct file_list fl = { 0 };
	struct mustache_set *set = NULL;
	char *clean = xstrdup(dir);
	size_t n = strlen(clean);

	while (n > 1 && clean[n - 1] == '/')
		clean[--n] = '\0';
	if (scan(clean, &fl, e))
		set = load_files(clean, &fl, e);
	free(clean);
	return set;
}

int mustache_set_reload_if_changed(struct mustache_set *set, struct err *e)
{
	struct file_list fl = { 0 };
	struct mustache_set *fresh;
	struct mustache_set old;

	if (!set->dir)
		return 0;
	if (!scan(set->dir, &fl, e))
		return -1;
	if (same_files(&set->files, &fl)) {
		file_list_release(&fl);
		return 0;
	}
	fresh = load_files(set->dir, &fl, e);
	if (!fresh)
		return -1;
	old = *set;
	*set = *fresh;
	*fresh = old;
	mustache_set_free(fresh);
	return 1;
}
