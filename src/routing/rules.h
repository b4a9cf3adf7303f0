/*
 * rules: the keyword rules of the dispatch catalogue (派单目录).
 *
 * A rule is a PCRE2 regular expression plus optional conditions (category
 * code prefix, district, street). When its pattern matches the content or
 * the address of a request, it suggests a category, a lead department, an
 * urgency and whether the matter belongs to 110. Rules only suggest: the
 * agent decides.
 *
 * Life of a rule set:
 *   1. build: rule_set_new(), then rule_set_add() once per rule, from one
 *      thread. Patterns are compiled here (PCRE2_UTF | PCRE2_UCP, plus
 *      PCRE2_CASELESS when asked), then JIT-compiled when PCRE2 has JIT;
 *      if JIT is missing or refuses, the interpreter is used silently.
 *   2. use: after the last rule_set_add() the set is immutable, and any
 *      number of threads may call rule_set_match() on it at once.
 *      rule_set_match() allocates its own pcre2 match data, match context
 *      and JIT stack for each call (per-call, not thread-local), so
 *      threads share nothing but the compiled patterns and the atomic
 *      per-rule limit counters.
 *   3. swap: the set is reference counted (atomically). A server keeps a
 *      pointer to the current set; a request takes rule_set_ref() on it
 *      (under whatever lock guards the pointer), uses it, and calls
 *      rule_set_unref(). Installing a freshly built set is: lock, swap the
 *      pointer, unlock, unref the old set; requests still holding the old
 *      one keep it alive until they finish.
 *
 * Matching is bounded: each pattern runs under a match limit and a depth
 * limit (and, with JIT, a JIT stack of fixed maximum size). A pattern that
 * hits a bound is treated as not matching, counted against its rule, and
 * reported; it is never fatal and never stalls the request.
 *
 * Text: all strings are UTF-8. Callers should run request text through
 * rule_normalise_text() first, so that full-width ASCII (Ａ，１２３！（）)
 * and the ideographic space match patterns written in ASCII; match offsets
 * then refer to the normalised text. Write patterns in ASCII digits and
 * punctuation for that reason.
 */
#ifndef HOTLINE_ROUTING_RULES_H
#define HOTLINE_ROUTING_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

#define RULE_MATCH_LIMIT_DEFAULT 100000u
#define RULE_DEPTH_LIMIT_DEFAULT 10000u
/* Maximum JIT stack per rule_set_match() call; 32 KiB is its start size. */
#define RULE_JIT_STACK_DEFAULT (512u * 1024u)

/* Which text of a request a rule looks at. The values are bit flags. */
enum rule_target {
	RULE_ON_CONTENT = 1,
	RULE_ON_ADDRESS = 2,
	RULE_ON_BOTH = 3,
};

/*
 * A rule as the administrator writes it. The struct does not own its
 * strings (see rule_def_list in rules_io.h for a list that does).
 * Optional strings are NULL when absent; rule_set_add() treats "" as NULL.
 */
struct rule_def {
	int64_t id;			/* database id; 0 if not stored yet */
	int priority;			/* higher wins */
	const char *name;		/* required, shown to the agent */
	const char *pattern;		/* required, PCRE2 syntax */
	bool caseless;			/* PCRE2_CASELESS */
	enum rule_target applies_to;	/* 0 is taken as RULE_ON_CONTENT */

	/* Conditions; NULL = any. */
	const char *category_prefix;	/* the request's category code starts with this */
	const char *district;		/* the request's district code equals this */
	const char *street;		/* the request's street code equals this */

	/* Suggestions; NULL = no opinion (except `police`). */
	const char *suggest_category;
	const char *suggest_department;	/* lead unit (主办) */
	const char *suggest_urgency;	/* "一般", "紧急", "特急" or NULL */
	bool police;			/* belongs to 110 */
};

/* Bounds for matching. A zero member takes its default. */
struct rule_limits {
	uint32_t match_limit;		/* pcre2_set_match_limit(); JIT and interpreter */
	uint32_t depth_limit;		/* pcre2_set_depth_limit(); interpreter only */
	size_t jit_stack_size;		/* maximum JIT stack in bytes */
	bool no_jit;			/* use the interpreter even if JIT exists */
};

struct rule_set;

/*
 * Called whenever a rule fails to finish (limit hit, or another PCRE2
 * matching error), from the thread that ran rule_set_match(). `rc` is the
 * PCRE2 error code and `reason` its message. Must be thread-safe.
 */
typedef void rule_limit_fn(int64_t rule_id, const char *rule_name, int rc,
			   const char *reason, void *arg);

/*
 * Returns a new empty set with the default limits and a reference count of
 * one; the caller owns that reference. Never fails (allocation aborts).
 */
struct rule_set *rule_set_new(void);
/* As rule_set_new() with the given limits (NULL = defaults). */
struct rule_set *rule_set_new_with_limits(const struct rule_limits *limits);

/*
 * Validates `def` (rule_def_check()), compiles its pattern and adds a copy
 * of it to `set`. Build phase only: not while other threads match against
 * the set. Returns false and fills `e` (status 422, field naming the
 * member, e.g. "pattern") if the rule is refused; the set is unchanged.
 */
bool rule_set_add(struct rule_set *set, const struct rule_def *def, struct err *e);

/*
 * Returns a new set (one reference, the caller's) holding all `n` rules,
 * or NULL if one is refused: `e` then carries that rule's field and its
 * message prefixed with its index and name, e.g.
 *   rule at index 3 ("路灯"): invalid pattern "(路灯" at offset 3: ...
 */
struct rule_set *rule_set_build(const struct rule_def *defs, size_t n,
				const struct rule_limits *limits, struct err *e);

/*
 * Replaces the limit callback (build phase only). The default logs a
 * warning naming the rule. `fn` NULL silences reports; counters still run.
 */
void rule_set_on_limit(struct rule_set *set, rule_limit_fn *fn, void *arg);

/* Takes another reference; returns `set`. Thread-safe. */
struct rule_set *rule_set_ref(struct rule_set *set);
/* Drops a reference and frees the set with the last one. Accepts NULL. */
void rule_set_unref(struct rule_set *set);

/* Number of rules in the set. */
size_t rule_set_count(const struct rule_set *set);
/* How many rules are running JIT-compiled code (0 without JIT). */
size_t rule_set_jit_count(const struct rule_set *set);
/*
 * How many times the rule with `rule_id` has hit a limit (or another
 * matching error) since the set was built; 0 for an unknown id. If several
 * rules share the id (unsaved rules all have 0), the first one counts.
 */
uint64_t rule_set_limit_hits(const struct rule_set *set, int64_t rule_id);

/* What is matched. NULL texts and codes are "absent". */
struct rule_input {
	const char *content;		/* what happened / what is asked */
	const char *address;
	const char *category;		/* category code chosen so far, if any */
	const char *district;
	const char *street;
};

/*
 * One suggestion. The strings borrow from the rule set (valid while the
 * caller holds its reference) and `text` from the rule_input (valid while
 * that lives); `text` is not NUL-terminated: print it with "%.*s".
 */
struct rule_match {
	int64_t rule_id;
	int priority;
	const char *name;
	const char *suggest_category;
	const char *suggest_department;
	const char *suggest_urgency;
	bool police;
	enum rule_target field;		/* RULE_ON_CONTENT or RULE_ON_ADDRESS */
	size_t start;			/* byte offsets into that field's text */
	size_t end;
	const char *text;		/* = field text + start */
	size_t text_len;		/* = end - start */
};

/* What happened during one rule_set_match() call besides the results. */
struct rule_report {
	size_t evaluated;		/* rules whose conditions held */
	size_t total;			/* rules that matched (may exceed `max`) */
	size_t limited;			/* rules stopped by a limit or error */
};

/*
 * Matches `in` against every rule whose conditions hold and writes the best
 * `max` suggestions to `out`, at most one per rule, ranked by priority
 * (higher first), then content before address, then earlier match, then
 * longer match, then rule order. For a rule on both texts the content match
 * wins. `report` (may be NULL) is filled in.
 *
 * Returns the number written (0..max), or -1 with `e` filled (status 422,
 * field "content" or "address") when a text is not valid UTF-8. A rule
 * that hits a limit is treated as not matching and reported through the
 * callback, its counter and report->limited; it never makes the call fail.
 * Thread-safe on a built set.
 */
ssize_t rule_set_match(const struct rule_set *set, const struct rule_input *in,
		       struct rule_match *out, size_t max, struct rule_report *report,
		       struct err *e);

/*
 * Checks every member of `def`: name and pattern present, pattern compiles
 * (as rule_pattern_check()), applies_to and urgency valid, all strings
 * valid UTF-8. Returns false and fills `e` (422, field = member name).
 */
bool rule_def_check(const struct rule_def *def, struct err *e);

/*
 * Compiles `pattern` as rule_set_add() would, to validate it on save.
 * Returns false and fills `e` (422, field "pattern") with PCRE2's reason
 * and the character offset, e.g.
 *   invalid pattern "(abc" at offset 4: missing closing parenthesis
 */
bool rule_pattern_check(const char *pattern, struct err *e);
/* As rule_pattern_check() with PCRE2_CASELESS when `caseless`. */
bool rule_pattern_check_flags(const char *pattern, bool caseless, struct err *e);

/*
 * Appends `text` to `out` with full-width ASCII (U+FF01..U+FF5E) folded to
 * ASCII and the ideographic space U+3000 turned into a space; everything
 * else (including invalid bytes) is copied unchanged. The result is never
 * longer than the input. Match offsets refer to this normalised text.
 */
void rule_normalise_text(const char *text, struct buf *out);
/* As rule_normalise_text(), returning a new string the caller frees. */
char *rule_normalise_dup(const char *text);

/* True if the `len` bytes at `s` are well-formed UTF-8; on false, the
 * offset of the first bad byte is stored in *bad (if not NULL). */
bool rule_utf8_valid(const char *s, size_t len, size_t *bad);

/*
 * Prefixes e->message with a location and ": ", e.g. "line 4: ...",
 * clipping the result at a character boundary to fit. Does nothing if `e`
 * is NULL. Status, code and field are kept.
 */
void rule_err_locate(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "content", "address", "both"; and back (returns false if unknown). */
const char *rule_target_name(enum rule_target t);
bool rule_target_parse(const char *s, enum rule_target *out);
/* True if `s` is NULL or one of the three urgency words. */
bool rule_urgency_valid(const char *s);

#endif
