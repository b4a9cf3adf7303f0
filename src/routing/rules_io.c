#include "routing/rules_io.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/array.h"
#include "core/csv.h"
#include "core/jsonutil.h"

/* Rules files are small; anything bigger is a mistake. */
#define RULES_FILE_MAX (16u * 1024u * 1024u)

void rule_def_list_init(struct rule_def_list *l)
{
	l->items = NULL;
	l->n = 0;
	l->cap = 0;
}

static const char *dup_opt(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void def_release(struct rule_def *d)
{
	free((char *)d->name);
	free((char *)d->pattern);
	free((char *)d->category_prefix);
	free((char *)d->district);
	free((char *)d->street);
	free((char *)d->suggest_category);
	free((char *)d->suggest_department);
	free((char *)d->suggest_urgency);
}

void rule_def_list_release(struct rule_def_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		def_release(&l->items[i]);
	free(l->items);
	rule_def_list_init(l);
}

void rule_def_list_add(struct rule_def_list *l, const struct rule_def *def)
{
	struct rule_def *d;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	d = &l->items[l->n++];
	*d = *def;
	d->name = dup_opt(def->name);
	d->pattern = dup_opt(def->pattern);
	d->category_prefix = dup_opt(def->category_prefix);
	d->district = dup_opt(def->district);
	d->street = dup_opt(def->street);
	d->suggest_category = dup_opt(def->suggest_category);
	d->suggest_department = dup_opt(def->suggest_department);
	d->suggest_urgency = dup_opt(def->suggest_urgency);
}

/* Moves every item of `from` to the end of `to`; `from` is left empty. */
static void list_move(struct rule_def_list *to, struct rule_def_list *from)
{
	if (to->n + from->n > to->cap) {
		to->cap = to->n + from->n;
		to->items = xrealloc(to->items, to->cap * sizeof(*to->items));
	}
	if (from->n)
		memcpy(to->items + to->n, from->items, from->n * sizeof(*from->items));
	to->n += from->n;
	free(from->items);
	rule_def_list_init(from);
}

enum rule_format rule_format_from_path(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return RULE_FORMAT_UNKNOWN;
	if (strcasecmp(dot, ".json") == 0)
		return RULE_FORMAT_JSON;
	if (strcasecmp(dot, ".csv") == 0)
		return RULE_FORMAT_CSV;
	return RULE_FORMAT_UNKNOWN;
}

/* ---- JSON ---- */

static const char *const json_members[] = {
	"id", "priority", "name", "pattern", "caseless", "applies_to",
	"category_prefix", "district", "street", "suggest_category",
	"suggest_department", "suggest_urgency", "police",
};

static bool json_known_member(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(json_members); i++)
		if (strcmp(key, json_members[i]) == 0)
			return true;
	return false;
}

/* Reads one rule object; the strings borrow from `obj`. */
static bool json_read_rule(json_object *obj, struct rule_def *d, struct err *e)
{
	const char *applies = NULL;
	int64_t priority = 0;

	memset(d, 0, sizeof(*d));
	if (!json_object_is_type(obj, json_type_object))
		return err_set(e, 422, ERR_WRONG_TYPE, "a rule must be a JSON object");
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (!json_known_member(key))
			return err_field(e, 422, key, ERR_UNKNOWN_MEMBER, "unknown member \"%s\"", key);
	}
	if (!json_get_int(obj, "id", false, &d->id, e)
	    || !json_get_int(obj, "priority", false, &priority, e)
	    || !json_get_string(obj, "name", true, &d->name, e)
	    || !json_get_string(obj, "pattern", true, &d->pattern, e)
	    || !json_get_bool(obj, "caseless", false, &d->caseless, e)
	    || !json_get_string(obj, "applies_to", false, &applies, e)
	    || !json_get_string(obj, "category_prefix", false, &d->category_prefix, e)
	    || !json_get_string(obj, "district", false, &d->district, e)
	    || !json_get_string(obj, "street", false, &d->street, e)
	    || !json_get_string(obj, "suggest_category", false, &d->suggest_category, e)
	    || !json_get_string(obj, "suggest_department", false, &d->suggest_department, e)
	    || !json_get_string(obj, "suggest_urgency", false, &d->suggest_urgency, e)
	    || !json_get_bool(obj, "police", false, &d->police, e))
		return false;
	if (priority < INT_MIN || priority > INT_MAX)
		return err_field(e, 422, "priority", ERR_OUT_OF_RANGE, "priority %" PRId64 " is out of range", priority);
	d->priority = (int)priority;
	d->applies_to = RULE_ON_CONTENT;
	if (applies && !rule_target_parse(applies, &d->applies_to))
		return err_field(e, 422, "applies_to", ERR_UNKNOWN_CHOICE,
				 "applies_to \"%s\" is not one of content, address, both", applies);
	return rule_def_check(d, e);
}

bool rule_defs_parse_json(const char *text, size_t len, struct rule_def_list *out,
			  struct err *e)
{
	struct rule_def_list got = RULE_DEF_LIST_INIT;
	json_object *doc = NULL;
	bool ok = false;
	size_t n;

	if (!json_parse_document(text, len, &doc, e))
		return false;
	if (!json_object_is_type(doc, json_type_array)) {
		err_set(e, 400, ERR_MALFORMED_JSON, "a rules file must hold a JSON array of rules");
		goto out;
	}
	n = json_object_array_length(doc);
	for (size_t i = 0; i < n; i++) {
		struct rule_def d;

		if (!json_read_rule(json_object_array_get_idx(doc, i), &d, e)) {
			rule_err_locate(e, "rule at index %zu", i);
			goto out;
		}
		rule_def_list_add(&got, &d);
	}
	list_move(out, &got);
	ok = true;
out:
	rule_def_list_release(&got);
	json_object_put(doc);
	return ok;
}

static json_object *json_string_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

void rule_defs_to_json(const struct rule_def *defs, size_t n, struct buf *out)
{
	json_object *arr = json_object_new_array();
	const char *s;
	size_t len;

	for (size_t i = 0; i < n; i++) {
		const struct rule_def *d = &defs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "priority", json_object_new_int(d->priority));
		json_object_object_add(o, "name", json_string_or_null(d->name));
		json_object_object_add(o, "pattern", json_string_or_null(d->pattern));
		json_object_object_add(o, "caseless", json_object_new_boolean(d->caseless));
		json_object_object_add(o, "applies_to",
				       json_object_new_string(rule_target_name(d->applies_to)));
		json_object_object_add(o, "category_prefix", json_string_or_null(d->category_prefix));
		json_object_object_add(o, "district", json_string_or_null(d->district));
		json_object_object_add(o, "street", json_string_or_null(d->street));
		json_object_object_add(o, "suggest_category", json_string_or_null(d->suggest_category));
		json_object_object_add(o, "suggest_department",
				       json_string_or_null(d->suggest_department));
		json_object_object_add(o, "suggest_urgency", json_string_or_null(d->suggest_urgency));
		json_object_object_add(o, "police", json_object_new_boolean(d->police));
		json_object_array_add(arr, o);
	}
	s = json_object_to_json_string_length(
		arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);
	buf_add(out, s, len);
	buf_addch(out, '\n');
	json_object_put(arr);
}

/* ---- CSV ---- */

enum csv_col {
	COL_PRIORITY, COL_NAME, COL_PATTERN, COL_APPLIES_TO, COL_CATEGORY_PREFIX,
	COL_DISTRICT, COL_STREET, COL_SUGGEST_CATEGORY, COL_SUGGEST_DEPARTMENT,
	COL_SUGGEST_URGENCY, COL_POLICE, COL_CASELESS, COL_ID, COL_COUNT
};

/* In export order; the exporter stops before COL_ID. */
static const char *const csv_names[COL_COUNT] = {
	"priority", "name", "pattern", "applies_to", "category_prefix",
	"district", "street", "suggest_category", "suggest_department",
	"suggest_urgency", "police", "caseless", "id",
};

/* Trims ASCII white space in place; returns NULL for an empty result. */
static const char *trimmed(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return *s ? s : NULL;
}

static bool csv_bool(const char *col, const char *s, bool *out, struct err *e)
{
	static const char *const yes[] = { "true", "1", "yes", "y", "是" };
	static const char *const no[] = { "false", "0", "no", "n", "否" };

	*out = false;
	if (!s)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0)
			return true;
	}
	return err_field(e, 422, col, ERR_NOT_BOOLEAN, "%s \"%s\" is not true or false", col, s);
}

static bool csv_int(const char *col, const char *s, long long lo, long long hi,
		    long long *out, struct err *e)
{
	char *end;

	*out = 0;
	if (!s)
		return true;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return err_field(e, 422, col, ERR_NOT_INTEGER, "%s \"%s\" is not an integer", col, s);
	if (*out < lo || *out > hi)
		return err_field(e, 422, col, ERR_OUT_OF_RANGE, "%s \"%s\" is out of range", col, s);
	return true;
}

/* Maps header names to columns; map[col] = field index or -1. */
static bool csv_header(struct csv_row *row, int map[COL_COUNT], struct err *e)
{
	for (int c = 0; c < COL_COUNT; c++)
		map[c] = -1;
	for (size_t i = 0; i < row->n; i++) {
		const char *name = trimmed(row->fields[i]);
		int c;

		if (!name)
			return err_set(e, 422, ERR_MISSING_COLUMN, "line %d: column %zu has no name",
				       row->line, i + 1);
		for (c = 0; c < COL_COUNT; c++)
			if (strcasecmp(name, csv_names[c]) == 0)
				break;
		if (c == COL_COUNT)
			return err_field(e, 422, name, ERR_UNKNOWN_MEMBER, "line %d: unknown column \"%s\"", row->line, name);
		if (map[c] >= 0)
			return err_field(e, 422, name, ERR_BAD_CSV, "line %d: column \"%s\" appears twice",
					 row->line, name);
		map[c] = (int)i;
	}
	if (map[COL_NAME] < 0 || map[COL_PATTERN] < 0)
		return err_set(e, 422, ERR_MISSING_COLUMN,
			       "line %d: the header must name the columns name and pattern "
			       "(and may name priority, applies_to, category_prefix, district, street, "
			       "suggest_category, suggest_department, suggest_urgency, police, caseless, id)",
			       row->line);
	return true;
}

/* Reads one record; the strings borrow from `row`. */
static bool csv_read_rule(struct csv_row *row, const int map[COL_COUNT], struct rule_def *d,
			  struct err *e)
{
	const char *v[COL_COUNT];
	long long num;

	memset(d, 0, sizeof(*d));
	for (int c = 0; c < COL_COUNT; c++) {
		if (map[c] < 0)
			v[c] = NULL;
		else if (c == COL_PATTERN)
			v[c] = *row->fields[map[c]] ? row->fields[map[c]] : NULL;
		else
			v[c] = trimmed(row->fields[map[c]]);
	}
	if (!csv_int("id", v[COL_ID], INT64_MIN, INT64_MAX, &num, e))
		return false;
	d->id = num;
	if (!csv_int("priority", v[COL_PRIORITY], INT_MIN, INT_MAX, &num, e))
		return false;
	d->priority = (int)num;
	d->name = v[COL_NAME];
	d->pattern = v[COL_PATTERN];
	d->applies_to = RULE_ON_CONTENT;
	if (v[COL_APPLIES_TO] && !rule_target_parse(v[COL_APPLIES_TO], &d->applies_to))
		return err_field(e, 422, "applies_to", ERR_UNKNOWN_CHOICE,
				 "applies_to \"%s\" is not one of content, address, both",
				 v[COL_APPLIES_TO]);
	d->category_prefix = v[COL_CATEGORY_PREFIX];
	d->district = v[COL_DISTRICT];
	d->street = v[COL_STREET];
	d->suggest_category = v[COL_SUGGEST_CATEGORY];
	d->suggest_department = v[COL_SUGGEST_DEPARTMENT];
	d->suggest_urgency = v[COL_SUGGEST_URGENCY];
	if (!csv_bool("police", v[COL_POLICE], &d->police, e)
	    || !csv_bool("caseless", v[COL_CASELESS], &d->caseless, e))
		return false;
	return rule_def_check(d, e);
}

bool rule_defs_parse_csv(const char *text, size_t len, struct rule_def_list *out,
			 struct err *e)
{
	struct rule_def_list got = RULE_DEF_LIST_INIT;
	struct csv_reader r;
	struct csv_row row = CSV_ROW_INIT;
	int map[COL_COUNT];
	size_t bad, width;
	bool ok = false;
	int rc;

	csv_reader_init(&r, text, len);
	if (!rule_utf8_valid(r.p, (size_t)(r.end - r.p), &bad)) {
		int line = 1;

		for (const char *q = r.p; q < r.p + bad; q++)
			line += *q == '\n';
		return err_set(e, 400, ERR_BAD_CSV,
			       "line %d: the file is not UTF-8 (byte %zu); save it as UTF-8",
			       line, bad + (size_t)(r.p - text));
	}
	rc = csv_next(&r, &row, e);
	if (rc == 0)
		err_set(e, 400, ERR_BAD_CSV, "the file is empty: a header row is required");
	if (rc <= 0 || !csv_header(&row, map, e))
		goto out;
	width = row.n;
	while ((rc = csv_next(&r, &row, e)) > 0) {
		struct rule_def d;

		if (row.n != width) {
			err_set(e, 400, ERR_BAD_CSV, "line %d: %zu fields, but the header has %zu",
				row.line, row.n, width);
			goto out;
		}
		if (!csv_read_rule(&row, map, &d, e)) {
			rule_err_locate(e, "line %d", row.line);
			goto out;
		}
		rule_def_list_add(&got, &d);
	}
	if (rc < 0)
		goto out;
	list_move(out, &got);
	ok = true;
out:
	csv_row_release(&row);
	rule_def_list_release(&got);
	return ok;
}

void rule_defs_to_csv(const struct rule_def *defs, size_t n, struct buf *out)
{
	for (int c = 0; c < COL_ID; c++)
		buf_addf(out, "%s%s", c ? "," : "", csv_names[c]);
	buf_addch(out, '\n');
	for (size_t i = 0; i < n; i++) {
		const struct rule_def *d = &defs[i];

		buf_addf(out, "%d,", d->priority);
		csv_add_field(out, d->name);
		buf_addch(out, ',');
		csv_add_field(out, d->pattern);
		buf_addf(out, ",%s,", rule_target_name(d->applies_to ? d->applies_to : RULE_ON_CONTENT));
		csv_add_field(out, d->category_prefix);
		buf_addch(out, ',');
		csv_add_field(out, d->district);
		buf_addch(out, ',');
		csv_add_field(out, d->street);
		buf_addch(out, ',');
		csv_add_field(out, d->suggest_category);
		buf_addch(out, ',');
		csv_add_field(out, d->suggest_department);
		buf_addch(out, ',');
		csv_add_field(out, d->suggest_urgency);
		buf_addf(out, ",%s,%s\n", d->police ? "true" : "false",
			 d->caseless ? "true" : "false");
	}
}

/* ---- files ---- */

bool rule_defs_read_file(const char *path, struct rule_def_list *out, struct err *e)
{
	enum rule_format fmt = rule_format_from_path(path);
	struct buf text = BUF_INIT;
	bool ok = false;

	if (fmt == RULE_FORMAT_UNKNOWN)
		return err_set(e, 400, ERR_UNKNOWN_FORMAT,
			       "cannot tell the format of \"%s\": name it .json or .csv", path);
	if (!buf_read_file(&text, path, e))
		goto out;
	if (text.len > RULES_FILE_MAX)
		err_set(e, 413, ERR_TOO_LARGE, "\"%s\" is larger than %u bytes", path,
			RULES_FILE_MAX);
	else if (fmt == RULE_FORMAT_JSON)
		ok = rule_defs_parse_json(text.data, text.len, out, e);
	else
		ok = rule_defs_parse_csv(text.data, text.len, out, e);
out:
	buf_release(&text);
	return ok;
}

bool rule_defs_write_file(const char *path, const struct rule_def *defs, size_t n,
			  struct err *e)
{
	enum rule_format fmt = rule_format_from_path(path);
	struct buf text = BUF_INIT;
	bool ok = false;
	FILE *f;

	if (fmt == RULE_FORMAT_UNKNOWN)
		return err_set(e, 400, ERR_UNKNOWN_FORMAT,
			       "cannot tell the format of \"%s\": name it .json or .csv", path);
	if (fmt == RULE_FORMAT_JSON)
		rule_defs_to_json(defs, n, &text);
	else
		rule_defs_to_csv(defs, n, &text);
	f = fopen(path, "wb");
	if (!f) {
		err_set(e, 500, ERR_IO, "cannot create \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(text.data, 1, text.len, f) != text.len) {
		err_set(e, 500, ERR_IO, "cannot write \"%s\": %s", path, strerror(errno));
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0) {
		err_set(e, 500, ERR_IO, "cannot write \"%s\": %s", path, strerror(errno));
		goto out;
	}
	ok = true;
out:
	buf_release(&text);
	return ok;
}
