/*
 * rules_io: routing rules to and from files, for `hotline rules
 * import|export FILE` and the demo data (src/routing/default_rules.json).
 *
 * JSON: an array of objects. Members (only name and pattern required):
 *   id (integer), priority (integer, default 0), name, pattern,
 *   caseless (bool), applies_to ("content" default, "address", "both"),
 *   category_prefix, district, street, suggest_category,
 *   suggest_department, suggest_urgency ("一般"/"紧急"/"特急") (strings or
 *   null), police (bool). Unknown members are refused, to catch typos.
 *
 * CSV (RFC 4180: comma separated, "double quotes" around fields holding
 * commas, quotes or line breaks, "" for a quote inside): a header row
 * naming the columns, in any order, from
 *   priority,name,pattern,applies_to,category_prefix,district,street,
 *   suggest_category,suggest_department,suggest_urgency,police
 * plus the optional extras caseless and id. name and pattern are required
 * columns. Empty cells are absent values; booleans are true/false, 1/0,
 * yes/no or 是/否. A UTF-8 byte order mark (as Excel writes) is skipped;
 * files must be UTF-8. Values other than pattern are trimmed.
 *
 * Every parsed rule goes through rule_def_check(), so a file that imports
 * also builds. Errors name where: "line 4: ..." (the CSV line where the
 * record starts) or "rule at index 2: ..." (JSON, from 0), with e->field
 * the member at fault.
 *
 * Exports write all members except id (the database assigns ids).
 */
#ifndef HOTLINE_ROUTING_RULES_IO_H
#define HOTLINE_ROUTING_RULES_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "routing/rules.h"

/* A growable array of rule_defs that owns their strings. */
struct rule_def_list {
	struct rule_def *items;
	size_t n;
	size_t cap;
};

#define RULE_DEF_LIST_INIT { NULL, 0, 0 }

void rule_def_list_init(struct rule_def_list *l);
/* Frees every item's strings and the array; the list is empty after. */
void rule_def_list_release(struct rule_def_list *l);
/* Appends a copy of `def` (strings duplicated, "" stored as NULL). */
void rule_def_list_add(struct rule_def_list *l, const struct rule_def *def);

enum rule_format { RULE_FORMAT_UNKNOWN, RULE_FORMAT_JSON, RULE_FORMAT_CSV };

/* By file name extension, ".json" or ".csv" in any case. */
enum rule_format rule_format_from_path(const char *path);

/*
 * Parse `len` bytes of a rules document and append the rules to `out`.
 * All or nothing: on failure `out` is unchanged and `e` says where
 * (status 400 for a malformed document, 422 for a refused rule).
 */
bool rule_defs_parse_json(const char *text, size_t len, struct rule_def_list *out,
			  struct err *e);
bool rule_defs_parse_csv(const char *text, size_t len, struct rule_def_list *out,
			 struct err *e);

/*
 * Reads the file at `path`, in the format its extension names, and appends
 * its rules to `out`. Fails (all or nothing) as the parsers do, or with
 * status 400 for an unknown extension or 500 if the file cannot be read.
 */
bool rule_defs_read_file(const char *path, struct rule_def_list *out, struct err *e);

/* Append `n` rules to `out` as a pretty-printed JSON array / a CSV file
 * with the header row above (caseless included, id not). */
void rule_defs_to_json(const struct rule_def *defs, size_t n, struct buf *out);
void rule_defs_to_csv(const struct rule_def *defs, size_t n, struct buf *out);

/* Writes `n` rules to `path` in the format its extension names. Returns
 * false with `e` filled (400 unknown extension, 500 I/O error). */
bool rule_defs_write_file(const char *path, const struct rule_def *defs, size_t n,
			  struct err *e);

#endif
