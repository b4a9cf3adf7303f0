#include "template/render_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonutil.h"
#include "template/mustache.h"

#define DEFAULT_PARTIALS "templates"

static const char usage_text[] =
	"usage: hotline render TEMPLATE DATA.json [--partials DIR]\n"
	"  Renders the Mustache file TEMPLATE with the JSON document DATA.json\n"
	"  to stdout. {{> name}} reads DIR/name.mustache (default: templates).\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hotline render: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Can the partial name become a path below the partials directory? */
static bool safe_partial_name(const char *name)
{
	const char *s = name;

	if (name[0] == '/')
		return false;
	for (;;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

static bool is_missing(char **missing, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(missing[i], name) == 0)
			return true;
	return false;
}

/*
 * Adds to `set` every partial that `t` reaches, directly or through other
 * partials, read from `dir`. Partials without a file are skipped (they
 * render empty); a file that does not compile fails with `e` filled.
 */
static bool load_partials(struct mustache_set *set, const struct mustache_template *t,
			  const char *dir, struct err *e)
{
	const struct mustache_template **todo = xmalloc(sizeof(*todo));
	size_t ntodo = 1, todo_cap = 1;
	char **missing = NULL;
	size_t nmissing = 0;
	bool ok = false;

	todo[0] = t;
	for (size_t i = 0; i < ntodo; i++) {
		size_t count = mustache_template_partial_count(todo[i]);

		for (size_t k = 0; k < count; k++) {
			const char *name = mustache_template_partial_name(todo[i], k);
			struct stat st;
			char *path;
			bool added;

			if (mustache_set_get(set, name) || is_missing(missing, nmissing, name))
				continue;
			path = xasprintf("%s/%s.mustache", dir, name);
			if (!safe_partial_name(name) || stat(path, &st) != 0) {
				missing = xrealloc(missing, (nmissing + 1) * sizeof(*missing));
				missing[nmissing++] = xstrdup(name);
				free(path);
				continue;
			}
			added = mustache_set_add_file(set, name, path, e);
			free(path);
			if (!added)
				goto out;
			if (ntodo == todo_cap) {
				todo_cap *= 2;
				todo = xrealloc(todo, todo_cap * sizeof(*todo));
			}
			todo[ntodo++] = mustache_set_get(set, name);
		}
	}
	ok = true;
out:
	for (size_t i = 0; i < nmissing; i++)
		free(missing[i]);
	free(missing);
	free(todo);
	return ok;
}

int cmd_render(int argc, char **argv)
{
	const char *template_path = NULL, *data_path = NULL, *dir = NULL;
	struct mustache_template *t = NULL;
	struct mustache_set *partials = NULL;
	json_object *data = NULL;
	struct buf text = BUF_INIT;
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	struct stat st;
	bool options = true;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && strcmp(a, "--partials") == 0) {
			if (++i == argc)
				return usage();
			dir = argv[i];
		} else if (options && strncmp(a, "--partials=", 11) == 0) {
			dir = a + 11;
		} else if (options && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			fputs(usage_text, stdout);
			return 0;
		} else if (options && strcmp(a, "--") == 0) {
			options = false;
		} else if (options && a[0] == '-' && a[1]) {
			fprintf(stderr, "hotline render: unknown option \"%s\"\n", a);
			return usage();
		} else if (!template_path) {
			template_path = a;
		} else if (!data_path) {
			data_path = a;
		} else {
			fprintf(stderr, "hotline render: unexpected argument \"%s\"\n", a);
			return usage();
		}
	}
	if (!template_path || !data_path || (dir && !dir[0]))
		return usage();

	t = mustache_compile_file(template_path, NULL, &e);
	if (!t) {
		fail("%s", e.message);
		goto out;
	}
	if (!buf_read_file(&text, data_path, &e)) {
		fail("%s", e.message);
		goto out;
	}
	if (text.len == 0) {
		fail("%s: the file is empty: a JSON document is required", data_path);
		goto out;
	}
	if (!json_parse_document(text.data, text.len, &data, &e)) {
		fail("%s: %s", data_path, e.message);
		goto out;
	}
	if (dir && stat(dir, &st) != 0) {
		fail("cannot open partials directory \"%s\": %s", dir, strerror(errno));
		goto out;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		fail("cannot open partials directory \"%s\": not a directory", dir);
		goto out;
	}
	partials = mustache_set_new();
	if (!load_partials(partials, t, dir ? dir : DEFAULT_PARTIALS, &e)) {
		fail("%s", e.message);
		goto out;
	}
	if (!mustache_render(partials, t, data, &out)) {
		fail("%s: partials nested deeper than %d levels (a partial including itself?)",
		     template_path, MUSTACHE_MAX_PARTIAL_DEPTH);
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fail("cannot write the output: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_release(&out);
	json_object_put(data);
	buf_release(&text);
	mustache_set_free(partials);
	mustache_template_free(t);
	return rc;
}
