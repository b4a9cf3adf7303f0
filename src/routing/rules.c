#define PCRE2_CODE_UNIT_WIDTH 8
#include "routing/rules.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/log.h"

/* Patterns longer than this are refused: nobody writes one on purpose. */
#define RULE_PATTERN_MAX 4096
#define RULE_JIT_STACK_START (32u * 1024u)

struct rule {
	struct rule_def def;		/* strings owned (allocated by dup_opt) */
	pcre2_code *code;
	_Atomic uint64_t limit_hits;
};

struct rule_set {
	atomic_uint refs;
	struct rule *rules;
	size_t n;
	size_t cap;
	size_t n_jit;
	struct rule_limits limits;
	bool jit_available;
	rule_limit_fn *on_limit;
	void *on_limit_arg;
};

/* A matching rule before ranking; `index` keeps the sort stable. */
struct candidate {
	size_t index;
	int priority;
	enum rule_target field;
	size_t start;
	size_t end;
};

static const uint32_t compile_options = PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;

bool rule_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t need;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1; cp = c & 0x1F; min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2; cp = c & 0x0F; min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			goto bad;
		}
		if (len - i <= need)
			goto bad;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		i += need + 1;
	}
	return true;
bad:
	if (bad)
		*bad = i;
	return false;
}

void rule_normalise_text(const char *text, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *run = p;

	while (*p) {
		/* U+FF01..U+FF5E is EF BC 81 .. EF BD 9E. */
		if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD)
		    && p[2] >= 0x80 && p[2] <= 0xBF) {
			uint32_t cp = 0xF000u | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);

			if (cp >= 0xFF01 && cp <= 0xFF5E) {
				buf_add(out, run, (size_t)(p - run));
				buf_addch(out, (char)(cp - 0xFEE0));
				p += 3;
				run = p;
				continue;
			}
		}
		if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
			buf_add(out, run, (size_t)(p - run));
			buf_addch(out, ' ');
			p += 3;
			run = p;
			continue;
		}
		p++;
	}
	buf_add(out, run, (size_t)(p - run));
}

char *rule_normalise_dup(const char *text)
{
	struct buf b = BUF_INIT;

	rule_normalise_text(text, &b);
	return buf_detach(&b, NULL);
}

const char *rule_target_name(enum rule_target t)
{
	switch (t) {
	case RULE_ON_CONTENT: return "content";
	case RULE_ON_ADDRESS: return "address";
	case RULE_ON_BOTH: return "both";
	}
	return "content";
}

bool rule_target_parse(const char *s, enum rule_target *out)
{
	static const enum rule_target all[] = { RULE_ON_CONTENT, RULE_ON_ADDRESS, RULE_ON_BOTH };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (strcmp(s, rule_target_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

bool rule_urgency_valid(const char *s)
{
	return !s || !*s || strcmp(s, "一般") == 0 || strcmp(s, "紧急") == 0
		|| strcmp(s, "特急") == 0;
}

/* Characters (not bytes) before byte offset `off`, for error messages. */
static size_t char_offset(const char *s, size_t off)
{
	size_t n = 0;

	for (size_t i = 0; i < off && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Cuts `b` to at most `max` bytes without splitting a character. */
static void utf8_clip(struct buf *b, size_t max)
{
	size_t len = b->len;

	if (len <= max)
		return;
	len = max;
	while (len > 0 && ((unsigned char)b->data[len] & 0xC0) == 0x80)
		len--;
	buf_truncate(b, len);
}

/*
 * Returns `s`, or its first ABBREV_CHARS characters and "…" (in `b`), so
 * that quoting user text cannot overflow an error message.
 */
#define ABBREV_CHARS 60
static const char *abbrev(const char *s, struct buf *b)
{
	size_t chars = 0, i;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == ABBREV_CHARS)
			break;
	}
	if (!s[i])
		return s;
	buf_reset(b);
	buf_add(b, s, i);
	buf_adds(b, "…");
	return b->data;
}

void rule_err_locate(struct err *e, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addf(&b, ": %s", e->message);
	utf8_clip(&b, sizeof(e->message) - 1);
	memcpy(e->message, b.data, b.len + 1);
	buf_release(&b);
}

static pcre2_code *compile(const char *pattern, bool caseless, struct err *e)
{
	pcre2_code *code;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR reason[256];
	size_t len, bad;
	int errcode;

	if (!pattern || !*pattern) {
		err_field(e, 422, "pattern", ERR_REQUIRED, "pattern is required");
		return NULL;
	}
	len = strlen(pattern);
	if (len > RULE_PATTERN_MAX) {
		err_field(e, 422, "pattern", ERR_TOO_LONG, "pattern is too long (%zu bytes, at most %d)",
			  len, RULE_PATTERN_MAX);
		return NULL;
	}
	if (!rule_utf8_valid(pattern, len, &bad)) {
		err_field(e, 422, "pattern", ERR_NOT_UTF8, "pattern is not valid UTF-8 (byte %zu)", bad);
		return NULL;
	}
	code = pcre2_compile((PCRE2_SPTR)pattern, len,
			     compile_options | (caseless ? PCRE2_CASELESS : 0),
			     &errcode, &erroff, NULL);
	if (!code) {
		struct buf b = BUF_INIT;

		pcre2_get_error_message(errcode, reason, sizeof(reason));
		char offset[24];
		snprintf(offset, sizeof(offset), "%zu", char_offset(pattern, erroff));
		err_field(e, 422, "pattern", ERR_BAD_PATTERN, "invalid pattern \"%s\" at offset %s: %s",
			  abbrev(pattern, &b), offset, (const char *)reason);
		/* Also as a member of its own, for forms that put the cursor there. */
		err_extra(e, "offset", offset);
		err_num(e, (double)char_offset(pattern, erroff) + 1, 0);
		err_text_arg(e, (const char *)reason);
		buf_release(&b);
	}
	return code;
}

bool rule_pattern_check_flags(const char *pattern, bool caseless, struct err *e)
{
	pcre2_code *code = compile(pattern, caseless, e);

	pcre2_code_free(code);
	return code != NULL;
}

bool rule_pattern_check(const char *pattern, struct err *e)
{
	return rule_pattern_check_flags(pattern, false, e);
}

static bool check_text(const char *field, const char *s, bool required, struct err *e)
{
	size_t bad;

	if (!s || !*s) {
		if (required)
			return err_field(e, 422, field, ERR_REQUIRED, "%s is required", field);
		return true;
	}
	if (!rule_utf8_valid(s, strlen(s), &bad))
		return err_field(e, 422, field, ERR_NOT_UTF8, "%s is not valid UTF-8 (byte %zu)", field, bad);
	return true;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* Everything rule_def_check() checks except that the pattern compiles. */
static bool check_members(const struct rule_def *def, struct err *e)
{
	const struct {
		const char *field;
		const char *value;
	} optional[] = {
		{ "category_prefix", def->category_prefix },
		{ "district", def->district },
		{ "street", def->street },
		{ "suggest_category", def->suggest_category },
		{ "suggest_department", def->suggest_department },
		{ "suggest_urgency", def->suggest_urgency },
	};
	struct buf b = BUF_INIT;
	bool ok = false;

	if (!check_text("name", def->name, true, e))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(optional); i++)
		if (!check_text(optional[i].field, optional[i].value, false, e))
			return false;
	if (def->applies_to != 0 && def->applies_to != RULE_ON_CONTENT
	    && def->applies_to != RULE_ON_ADDRESS && def->applies_to != RULE_ON_BOTH)
		return err_field(e, 422, "applies_to", ERR_UNKNOWN_CHOICE, "applies_to %d is not content, address or both",
				 (int)def->applies_to);
	if (!rule_urgency_valid(def->suggest_urgency)) {
		err_field(e, 422, "suggest_urgency", ERR_UNKNOWN_CHOICE,
			  "suggest_urgency \"%s\" is not one of 一般, 紧急, 特急",
			  abbrev(def->suggest_urgency, &b));
		goto out;
	}
	if (!nonempty(def->suggest_category) && !nonempty(def->suggest_department)
	    && !nonempty(def->suggest_urgency) && !def->police) {
		err_field(e, 422, "suggest_category", ERR_RULE_SUGGESTS_NOTHING,
			  "rule \"%s\" suggests nothing: give a category, department, urgency or the police flag",
			  abbrev(def->name, &b));
		goto out;
	}
	ok = true;
out:
	buf_release(&b);
	return ok;
}

bool rule_def_check(const struct rule_def *def, struct err *e)
{
	return check_members(def, e) && rule_pattern_check_flags(def->pattern, def->caseless, e);
}

static void default_on_limit(int64_t rule_id, const char *rule_name, int rc,
			     const char *reason, void *arg)
{
	log_warn("routing rule %" PRId64 " \"%s\" stopped (%s, code %d); treated as no match",
		 rule_id, rule_name, reason, rc);
}

struct rule_set *rule_set_new_with_limits(const struct rule_limits *limits)
{
	struct rule_set *set = xcalloc(1, sizeof(*set));
	uint32_t jit = 0;

	atomic_init(&set->refs, 1);
	if (limits)
		set->limits = *limits;
	if (!set->limits.match_limit)
		set->limits.match_limit = RULE_MATCH_LIMIT_DEFAULT;
	if (!set->limits.depth_limit)
		set->limits.depth_limit = RULE_DEPTH_LIMIT_DEFAULT;
	if (!set->limits.jit_stack_size)
		set->limits.jit_stack_size = RULE_JIT_STACK_DEFAULT;
	if (set->limits.jit_stack_size < RULE_JIT_STACK_START)
		set->limits.jit_stack_size = RULE_JIT_STACK_START;
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) < 0)
		jit = 0;
	set->jit_available = jit && !set->limits.no_jit;
	set->on_limit = default_on_limit;
	return set;
}

struct rule_set *rule_set_new(void)
{
	return rule_set_new_with_limits(NULL);
}

void rule_set_on_limit(struct rule_set *set, rule_limit_fn *fn, void *arg)
{
	set->on_limit = fn;
	set->on_limit_arg = arg;
}

/* NULL for NULL or "", else a copy. */
static const char *dup_opt(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void rule_release(struct rule *r)
{
	free((char *)r->def.name);
	free((char *)r->def.pattern);
	free((char *)r->def.category_prefix);
	free((char *)r->def.district);
	free((char *)r->def.street);
	free((char *)r->def.suggest_category);
	free((char *)r->def.suggest_department);
	free((char *)r->def.suggest_urgency);
	pcre2_code_free(r->code);
}

bool rule_set_add(struct rule_set *set, const struct rule_def *def, struct err *e)
{
	struct rule *r;
	pcre2_code *code;

	if (!check_members(def, e))
		return false;
	code = compile(def->pattern, def->caseless, e);
	if (!code)
		return false;
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 16;
		set->rules = xrealloc(set->rules, set->cap * sizeof(*set->rules));
	}
	r = &set->rules[set->n++];
	memset(r, 0, sizeof(*r));
	r->def.id = def->id;
	r->def.priority = def->priority;
	r->def.name = xstrdup(def->name);
	r->def.pattern = xstrdup(def->pattern);
	r->def.caseless = def->caseless;
	r->def.applies_to = def->applies_to ? def->applies_to : RULE_ON_CONTENT;
	r->def.category_prefix = dup_opt(def->category_prefix);
	r->def.district = dup_opt(def->district);
	r->def.street = dup_opt(def->street);
	r->def.suggest_category = dup_opt(def->suggest_category);
	r->def.suggest_department = dup_opt(def->suggest_department);
	r->def.suggest_urgency = dup_opt(def->suggest_urgency);
	r->def.police = def->police;
	r->code = code;
	atomic_init(&r->limit_hits, 0);
	/* Any JIT failure (no JIT, no executable memory) leaves the interpreter. */
	if (set->jit_available && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0)
		set->n_jit++;
	return true;
}

struct rule_set *rule_set_build(const struct rule_def *defs, size_t n,
				const struct rule_limits *limits, struct err *e)
{
	struct rule_set *set = rule_set_new_with_limits(limits);
	struct buf name = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (rule_set_add(set, &defs[i], e))
			continue;
		rule_err_locate(e, "rule at index %zu (\"%s\")", i,
				abbrev(defs[i].name ? defs[i].name : "", &name));
		buf_release(&name);
		rule_set_unref(set);
		return NULL;
	}
	return set;
}

struct rule_set *rule_set_ref(struct rule_set *set)
{
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void rule_set_unref(struct rule_set *set)
{
	if (!set)
		return;
	if (atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < set->n; i++)
		rule_release(&set->rules[i]);
	free(set->rules);
	free(set);
}

size_t rule_set_count(const struct rule_set *set)
{
	return set->n;
}

size_t rule_set_jit_count(const struct rule_set *set)
{
	return set->n_jit;
}

uint64_t rule_set_limit_hits(const struct rule_set *set, int64_t rule_id)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->rules[i].def.id == rule_id)
			return atomic_load_explicit(&set->rules[i].limit_hits, memory_order_relaxed);
	return 0;
}

static bool conditions_hold(const struct rule_def *d, const struct rule_input *in)
{
	if (d->category_prefix
	    && (!in->category || strncmp(in->category, d->category_prefix,
					 strlen(d->category_prefix)) != 0))
		return false;
	if (d->district && (!in->district || strcmp(in->district, d->district) != 0))
		return false;
	if (d->street && (!in->street || strcmp(in->street, d->street) != 0))
		return false;
	return true;
}

/* Per-call matching state: nothing here is shared between threads. */
struct matcher {
	const struct rule_set *set;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *stack;
	size_t limited;
};

static void matcher_init(struct matcher *m, const struct rule_set *set)
{
	m->set = set;
	m->limited = 0;
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->stack = NULL;
	if (!m->md || !m->mctx)
		abort();	/* as xmalloc: out of memory */
	pcre2_set_match_limit(m->mctx, set->limits.match_limit);
	pcre2_set_depth_limit(m->mctx, set->limits.depth_limit);
	if (set->n_jit) {
		m->stack = pcre2_jit_stack_create(RULE_JIT_STACK_START,
						  set->limits.jit_stack_size, NULL);
		/* Without it JIT falls back to 32 KiB of machine stack: still bounded. */
		if (m->stack)
			pcre2_jit_stack_assign(m->mctx, NULL, m->stack);
	}
}

static void matcher_release(struct matcher *m)
{
	pcre2_jit_stack_free(m->stack);
	pcre2_match_context_free(m->mctx);
	pcre2_match_data_free(m->md);
}

/*
 * Runs rule `r` on `text`. Returns true and fills `c` on a match; a limit
 * or any other PCRE2 error counts against the rule and is no match.
 */
static bool match_text(struct matcher *m, struct rule *r, const char *text, size_t len,
		       enum rule_target field, struct candidate *c)
{
	PCRE2_UCHAR reason[256];
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(r->code, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK,
			 m->md, m->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	if (rc < 0) {
		atomic_fetch_add_explicit(&r->limit_hits, 1, memory_order_relaxed);
		m->limited++;
		if (m->set->on_limit) {
			pcre2_get_error_message(rc, reason, sizeof(reason));
			m->set->on_limit(r->def.id, r->def.name, rc, (const char *)reason,
					 m->set->on_limit_arg);
		}
		return false;
	}
	/* rc == 0 only says the ovector is short; pair 0 is always set. */
	ov = pcre2_get_ovector_pointer(m->md);
	c->field = field;
	c->start = ov[0];
	c->end = ov[1] < ov[0] ? ov[0] : ov[1];	/* \K can put the end first */
	return true;
}

static int candidate_cmp(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	size_t la = a->end - a->start, lb = b->end - b->start;

	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->field != b->field)
		return a->field == RULE_ON_CONTENT ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (la != lb)
		return la > lb ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Stores the length of `s` (0 if NULL) and checks it is UTF-8. */
static bool check_input(const char *field, const char *s, size_t *len, struct err *e)
{
	size_t bad;

	*len = s ? strlen(s) : 0;
	if (s && !rule_utf8_valid(s, *len, &bad))
		return err_field(e, 422, field, ERR_NOT_UTF8, "%s is not valid UTF-8 (byte %zu)", field, bad);
	return true;
}

ssize_t rule_set_match(const struct rule_set *set, const struct rule_input *in,
		       struct rule_match *out, size_t max, struct rule_report *report,
		       struct err *e)
{
	struct rule_report rep = { 0, 0, 0 };
	struct candidate *cands = NULL;
	struct matcher m;
	size_t nc = 0, n, content_len, address_len;

	if (!check_input("content", in->content, &content_len, e)
	    || !check_input("address", in->address, &address_len, e))
		return -1;
	if (set->n == 0)
		goto done;
	matcher_init(&m, set);
	cands = xmalloc(set->n * sizeof(*cands));
	for (size_t i = 0; i < set->n; i++) {
		struct rule *r = &set->rules[i];
		struct candidate *c = &cands[nc];

		if (!conditions_hold(&r->def, in))
			continue;
		rep.evaluated++;
		c->index = i;
		c->priority = r->def.priority;
		if (((r->def.applies_to & RULE_ON_CONTENT) && in->content
		     && match_text(&m, r, in->content, content_len, RULE_ON_CONTENT, c))
		    || ((r->def.applies_to & RULE_ON_ADDRESS) && in->address
			&& match_text(&m, r, in->address, address_len, RULE_ON_ADDRESS, c)))
			nc++;
	}
	rep.limited = m.limited;
	matcher_release(&m);
	qsort(cands, nc, sizeof(*cands), candidate_cmp);
done:
	rep.total = nc;
	n = nc < max ? nc : max;
	for (size_t k = 0; k < n; k++) {
		const struct candidate *c = &cands[k];
		const struct rule_def *d = &set->rules[c->index].def;
		const char *text = c->field == RULE_ON_CONTENT ? in->content : in->address;

		out[k] = (struct rule_match){
			.rule_id = d->id,
			.priority = d->priority,
			.name = d->name,
			.suggest_category = d->suggest_category,
			.suggest_department = d->suggest_department,
			.suggest_urgency = d->suggest_urgency,
			.police = d->police,
			.field = c->field,
			.start = c->start,
			.end = c->end,
			.text = text + c->start,
			.text_len = c->end - c->start,
		};
	}
	free(cands);
	if (report)
		*report = rep;
	assert(n <= (size_t)SSIZE_MAX);
	return (ssize_t)n;
}
