/*
 * mustache: Mustache templates (https://github.com/mustache/spec) rendered
 * over json-c values, for the server-rendered pages.
 *
 * Supported: {{name}} (HTML-escaped), {{{name}}} and {{& name}} (raw),
 * sections {{#name}}…{{/name}}, inverted sections {{^name}}…{{/name}},
 * comments {{! … }}, partials {{> name}} (with standalone indentation),
 * set delimiters {{=<% %>=}}, dotted names (a.b.c: the first part is looked
 * up through the context stack, the rest inside the value found), the
 * implicit iterator {{.}}, and the spec's standalone-line rules. Lambdas
 * are not supported.
 *
 * Values:
 *   - Escaping turns & < > " ' into &amp; &lt; &gt; &quot; &#39;, and a NUL
 *     byte into U+FFFD. Raw tags copy the value byte for byte.
 *   - Strings render as they are, integers as integers, doubles in the
 *     shortest form that reads back the same (1.5, 0.9626, 3.0 -> "3"),
 *     booleans as "true" / "false", null and missing names as nothing,
 *     objects and arrays as their compact JSON text (escaped like a string).
 *   - Falsy for sections: missing, null, false, an empty array and an empty
 *     string. Everything else, including 0 and {}, is truthy. An array
 *     repeats the section once per element; any other truthy value renders
 *     it once with the value on top of the context stack.
 *
 * Templates are compiled once (struct mustache_template) and rendered many
 * times without re-parsing. A compiled template and a template set are
 * read-only while rendering: any number of threads may render the same
 * templates concurrently, each into its own struct buf and with its own
 * data (json-c caches the JSON text of an object or array inside it when
 * one is interpolated, so data shared between threads must not be). Only mustache_set_add*() and mustache_set_reload_if_changed()
 * modify a set, and they must not run while another thread renders it.
 *
 * Errors in a template (unclosed section, mismatched closing tag, unclosed
 * tag, bad delimiter, malformed name) are reported at compile time in
 * `e->message` as "<label>:<line>: <reason>", e.g.
 *   templates/order.mustache:12: unclosed section "events"
 * with status 500 and code "template-syntax".
 */
#ifndef HOTLINE_TEMPLATE_MUSTACHE_H
#define HOTLINE_TEMPLATE_MUSTACHE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Partials nested deeper than this are not rendered (see mustache_render). */
#define MUSTACHE_MAX_PARTIAL_DEPTH 64
/* Sections nested deeper than this in one template are a compile error. */
#define MUSTACHE_MAX_SECTION_DEPTH 100

struct mustache_template;
struct mustache_set;

/*
 * Compiles `len` bytes of `text` (need not be NUL-terminated). `name` names
 * the template and prefixes error messages. Returns a new template the
 * caller frees with mustache_template_free(), or NULL with `e` filled
 * (500, "template-syntax") if the text is not a valid template.
 */
struct mustache_template *mustache_compile(const char *name, const char *text,
					   size_t len, struct err *e);

/*
 * Reads and compiles the file at `path`. The template is named `name`, or,
 * if `name` is NULL, after the file name without directory and without a
 * ".mustache" extension. Error messages name `path`. Returns a new template
 * (caller frees), or NULL with `e` filled: 500 "template-io" if the file
 * cannot be read, 500 "template-syntax" if it does not compile.
 */
struct mustache_template *mustache_compile_file(const char *path, const char *name,
						struct err *e);

/* Frees a template; accepts NULL. */
void mustache_template_free(struct mustache_template *t);

/* The template's name; owned by the template. */
const char *mustache_template_name(const struct mustache_template *t);

/*
 * The partials the template includes with {{> name}}, in the order of
 * their tags (a name appears once per tag). Returns the count, and the i-th
 * name (owned by the template) or NULL when i is out of range.
 */
size_t mustache_template_partial_count(const struct mustache_template *t);
const char *mustache_template_partial_name(const struct mustache_template *t, size_t i);

/* Returns a new, empty set (never NULL); free with mustache_set_free(). */
struct mustache_set *mustache_set_new(void);

/*
 * Loads every "*.mustache" file under `dir`, subdirectories included; a
 * file "dir/orders/row.mustache" becomes the template "orders/row". Names
 * starting with '.' are skipped. Every file is compiled now, so a broken
 * template fails the load with its path and line in `e`. Partials that no
 * template in the set defines are logged as warnings (they render empty).
 * Returns a new set (caller frees), or NULL with `e` filled (500,
 * "template-io" or "template-syntax").
 */
struct mustache_set *mustache_set_load_dir(const char *dir, struct err *e);

/*
 * Compiles `text` and adds it to the set as `name`, replacing any template
 * of that name. Returns true, or false with `e` filled (set unchanged).
 */
bool mustache_set_add(struct mustache_set *set, const char *name,
		      const char *text, size_t len, struct err *e);

/* As mustache_set_add(), reading the template from the file at `path`. */
bool mustache_set_add_file(struct mustache_set *set, const char *name,
			   const char *path, struct err *e);

/* The template named `name`, owned by the set, or NULL if there is none. */
const struct mustache_template *mustache_set_get(const struct mustache_set *set,
						 const char *name);

/* Number of templates in the set. */
size_t mustache_set_count(const struct mustache_set *set);

/*
 * For a set made by mustache_set_load_dir() (development mode): looks at
 * the directory again and, if any template file was added, removed or
 * changed (modification time or size), reloads the whole set.
 * Returns 1 if it reloaded, 0 if nothing changed (or the set was not loaded
 * from a directory), -1 with `e` filled if the new files do not load; the
 * set then keeps its previous templates, and the next call tries again.
 * Must not run while another thread renders from the set.
 */
int mustache_set_reload_if_changed(struct mustache_set *set, struct err *e);

/* Frees the set and its templates; accepts NULL. */
void mustache_set_free(struct mustache_set *set);

/*
 * Renders `t` with `data` (any JSON value, NULL for null) appended to
 * `out`. Partials are looked up by name in `partials` (may be NULL); a
 * missing partial renders as nothing. Partials nested deeper than
 * MUSTACHE_MAX_PARTIAL_DEPTH (a recursive partial) are left out.
 * Returns true, or false if some partial was left out for that reason;
 * everything else has been rendered into `out` either way. Allocates
 * nothing besides growing `out` (and the JSON text json-c keeps inside an
 * interpolated object or array).
 */
bool mustache_render(const struct mustache_set *partials,
		     const struct mustache_template *t, json_object *data,
		     struct buf *out);

/*
 * Renders the template `name` from `set`, which also provides the
 * partials. Returns true, or false with `e` filled: 500 "template-missing"
 * if the set has no such template, 500 "template-recursion" if partials
 * nested too deep (what was rendered stays in `out`).
 */
bool mustache_render_named(const struct mustache_set *set, const char *name,
			   json_object *data, struct buf *out, struct err *e);

/* Appends `len` bytes of `s` to `out` escaped as the {{name}} tag does. */
void mustache_escape_html(struct buf *out, const char *s, size_t len);

#endif
