/*
 * Compiling and loading: template errors name the file and line, a
 * directory loads into a set with "dir/name" names, development mode
 * reloads changed files, recursive partials stop, and the golden order
 * page renders byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonutil.h"
#include "template/mustache.h"

#ifndef TEMPLATE_FIXTURES
#error "TEMPLATE_FIXTURES must name tests/unit/template/fixtures"
#endif

/* ---- compile errors ---- */

struct error_case {
	const char *name;
	const char *tmpl;
	const char *message;
};

static struct error_case error_cases[] = {
	{ "unclosed section names the section and its line",
	  "a\n{{#events}}\nx\n", "t:2: unclosed section \"events\"" },
	{ "innermost unclosed section is reported",
	  "{{#a}}\n{{#b}}\n{{/b}}\n", "t:1: unclosed section \"a\"" },
	{ "mismatched closing tag names both sections",
	  "{{#a}}\n\n{{/b}}", "t:3: closing tag \"b\" does not match section \"a\" opened at line 1" },
	{ "closing tag without a section",
	  "x\n{{/a}}", "t:2: closing tag \"a\" has no open section" },
	{ "unclosed tag at the end",
	  "x\n\n<p>{{name", "t:3: unclosed tag \"{{name\": no closing \"}}\"" },
	{ "unclosed tag before a later tag",
	  "<p>{{name</p>\n{{other}}", "t:1: unclosed tag \"{{name</p>\": no closing \"}}\"" },
	{ "unclosed tag swallowing an opening delimiter",
	  "<p>{{name {{other}}", "t:1: unclosed tag \"{{name {{other}}\": no closing \"}}\"" },
	{ "unclosed triple mustache",
	  "{{{name}}", "t:1: unclosed tag \"{{{name}}\": no closing \"}}}\"" },
	{ "unclosed comment",
	  "a\n{{! note", "t:2: unclosed comment \"{{! note\": no closing \"}}\"" },
	{ "unclosed tag with custom delimiters",
	  "{{=<% %>=}}\n<%name", "t:2: unclosed tag \"<%name\": no closing \"%>\"" },
	{ "unclosed set-delimiter tag",
	  "{{=<% %>}}", "t:1: unclosed tag \"{{=<% %>}}\": no closing \"=}}\"" },
	{ "set-delimiter tag with one delimiter",
	  "{{=<% =}}", "t:1: invalid set-delimiter tag \"{{=<% =}}\": expected two delimiters separated by a space" },
	{ "set-delimiter tag with three delimiters",
	  "x\n{{=<% %> ! =}}", "t:2: invalid set-delimiter tag \"{{=<% %> ! =}}\": expected two delimiters separated by a space" },
	{ "empty set-delimiter tag", "{{==}}", "t:1: empty tag \"{{==}}\"" },
	{ "section closed with the old delimiters stays open",
	  "{{=<% %>=}}\n<%#a%>\n{{/a}}", "t:2: unclosed section \"a\"" },
	{ "empty tag", "{{}}", "t:1: empty tag \"{{}}\"" },
	{ "blank tag", "{{ }}", "t:1: empty tag \"{{ }}\"" },
	{ "empty section name", "{{#}}x{{/}}", "t:1: empty tag \"{{#}}\"" },
	{ "empty partial name", "{{>  }}", "t:1: empty tag \"{{>  }}\"" },
	{ "empty triple mustache", "{{{}}}", "t:1: empty tag \"{{{}}}\"" },
	{ "space inside a name", "{{a b}}", "t:1: invalid tag \"{{a b}}\": a name cannot contain white space" },
	{ "space inside a partial name", "\n{{> a b}}", "t:2: invalid tag \"{{> a b}}\": a name cannot contain white space" },
	{ "two dots in a row", "{{a..b}}",
	  "t:1: invalid name \"a..b\": a dotted name needs a name on each side of every dot" },
	{ "leading dot", "{{#.a}}{{/.a}}",
	  "t:1: invalid name \".a\": a dotted name needs a name on each side of every dot" },
	{ "trailing dot", "{{{a.}}}",
	  "t:1: invalid name \"a.\": a dotted name needs a name on each side of every dot" },
	{ "lines are counted over CRLF", "{{#a}}\r\n{{/b}}\r\n",
	  "t:2: closing tag \"b\" does not match section \"a\" opened at line 1" },
	{ "lines are counted inside multi-line comments", "{{!\n\n}}\n{{#a}}",
	  "t:4: unclosed section \"a\"" },
	{ "Chinese section names are quoted whole", "工单\n{{#事件}}", "t:2: unclosed section \"事件\"" },
	{ "long unclosed tags are cut at a character boundary",
	  "{{工工工工工工工工工工工工工工工工工工工工工工工工工工工工工工",
	  "t:1: unclosed tag \"{{工工工工工工工工工工工工…\": no closing \"}}\"" },
};

static void compile_error_case(void **state)
{
	const struct error_case *c = *state;
	struct err e = ERR_INIT;
	struct mustache_template *t = mustache_compile("t", c->tmpl, strlen(c->tmpl), &e);

	if (t) {
		mustache_template_free(t);
		fail_msg("\"%s\" compiled", c->tmpl);
	}
	assert_string_equal(e.message, c->message);
	assert_int_equal(e.status, 500);
	assert_int_equal(e.code, ERR_TEMPLATE_SYNTAX);
}

static void section_nesting_is_bounded(void **state)
{
	struct buf src = BUF_INIT;
	struct err e = ERR_INIT;
	struct mustache_template *t;

	for (int i = 0; i < MUSTACHE_MAX_SECTION_DEPTH; i++)
		buf_adds(&src, "{{#a}}");
	for (int i = 0; i < MUSTACHE_MAX_SECTION_DEPTH; i++)
		buf_adds(&src, "{{/a}}");
	t = mustache_compile("t", src.data, src.len, &e);
	assert_non_null(t);
	mustache_template_free(t);

	buf_reset(&src);
	for (int i = 0; i <= MUSTACHE_MAX_SECTION_DEPTH; i++)
		buf_adds(&src, "{{#a}}\n");
	assert_null(mustache_compile("t", src.data, src.len, &e));
	assert_string_equal(e.message, "t:101: sections nested deeper than 100 levels");
	buf_release(&src);
}

/* ---- compiling and rendering basics ---- */

static char *render_to_string(const struct mustache_set *set, const struct mustache_template *t,
			      const char *json)
{
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data = NULL;

	if (!json_parse_document(json, strlen(json), &data, &e))
		fail_msg("bad test data: %s", e.message);
	assert_true(mustache_render(set, t, data, &out));
	json_object_put(data);
	return buf_detach(&out, NULL);
}

static void text_need_not_be_terminated(void **state)
{
	struct err e = ERR_INIT;
	struct mustache_template *t = mustache_compile("t", "{{a}}{{#broken", 5, &e);
	char *s;

	assert_non_null(t);
	assert_string_equal(mustache_template_name(t), "t");
	s = render_to_string(NULL, t, "{\"a\":\"ok\"}");
	assert_string_equal(s, "ok");
	free(s);
	mustache_template_free(t);

	t = mustache_compile("empty", NULL, 0, &e);
	assert_non_null(t);
	s = render_to_string(NULL, t, "{}");
	assert_string_equal(s, "");
	free(s);
	mustache_template_free(t);
	mustache_template_free(NULL);
	mustache_set_free(NULL);
}

static void render_appends_to_the_buffer(void **state)
{
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	struct mustache_template *t = mustache_compile("t", "<b>{{.}}</b>", 12, &e);
	json_object *v = json_object_new_string("工单");

	buf_adds(&out, "<p>");
	assert_true(mustache_render(NULL, t, v, &out));
	assert_true(mustache_render(NULL, t, v, &out));
	assert_string_equal(out.data, "<p><b>工单</b><b>工单</b>");
	buf_release(&out);
	json_object_put(v);
	mustache_template_free(t);
}

static void partial_names_are_listed(void **state)
{
	struct err e = ERR_INIT;
	const char *src = "{{>a}}{{#s}}\n  {{> b/c }}\n{{/s}}{{=<% %>=}}<%>a%>";
	struct mustache_template *t = mustache_compile("t", src, strlen(src), &e);

	assert_non_null(t);
	assert_int_equal(mustache_template_partial_count(t), 3);
	assert_string_equal(mustache_template_partial_name(t, 0), "a");
	assert_string_equal(mustache_template_partial_name(t, 1), "b/c");
	assert_string_equal(mustache_template_partial_name(t, 2), "a");
	assert_null(mustache_template_partial_name(t, 3));
	mustache_template_free(t);
}

static void set_add_replaces_and_keeps_on_error(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;

	assert_true(mustache_set_add(set, "a", "one", 3, &e));
	assert_true(mustache_set_add(set, "b", "[{{>a}}]", 8, &e));
	assert_true(mustache_set_add(set, "a", "two", 3, &e));
	assert_int_equal(mustache_set_count(set), 2);
	assert_false(mustache_set_add(set, "a", "{{#x}}", 6, &e));
	assert_string_equal(e.message, "a:1: unclosed section \"x\"");
	assert_true(mustache_render_named(set, "b", NULL, &out, &e));
	assert_string_equal(out.data, "[two]");
	assert_null(mustache_set_get(set, "c"));
	buf_release(&out);
	mustache_set_free(set);
}

static void render_named_reports_a_missing_template(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;

	assert_false(mustache_render_named(set, "orders/nope", NULL, &out, &e));
	assert_int_equal(e.status, 500);
	assert_int_equal(e.code, ERR_TEMPLATE_MISSING);
	assert_string_equal(e.message, "template \"orders/nope\" does not exist");
	assert_int_equal(out.len, 0);
	mustache_set_free(set);
}

/* ---- partial recursion ---- */

static void self_including_partial_stops_at_the_depth_limit(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;

	assert_true(mustache_set_add(set, "self", "x{{>self}}", 10, &e));
	assert_false(mustache_render_named(set, "self", NULL, &out, &e));
	assert_int_equal(e.code, ERR_TEMPLATE_RECURSION);
	assert_non_null(strstr(e.message, "\"self\""));
	/* The template itself and 64 nested copies. */
	assert_int_equal(out.len, MUSTACHE_MAX_PARTIAL_DEPTH + 1);
	assert_int_equal(strspn(out.data, "x"), out.len);
	buf_release(&out);
	mustache_set_free(set);
}

static void mutual_recursion_stops_and_the_rest_renders(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	const struct mustache_template *page;

	assert_true(mustache_set_add(set, "a", "a{{>b}}", 7, &e));
	assert_true(mustache_set_add(set, "b", "  {{>a}}\n", 9, &e));
	assert_true(mustache_set_add(set, "page", "<{{>a}}>", 8, &e));
	page = mustache_set_get(set, "page");
	assert_false(mustache_render(set, page, NULL, &out));
	assert_int_equal(out.data[0], '<');
	assert_int_equal(out.data[out.len - 1], '>');
	assert_non_null(strstr(out.data, "a  a    a"));
	buf_release(&out);
	mustache_set_free(set);
}

static void deep_data_recursion_below_the_limit_renders(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *root = json_object_new_object(), *node = root;

	for (int i = 0; i < 30; i++) {
		json_object *child = json_object_new_object();

		json_object_object_add(node, "n", json_object_new_int(i));
		json_object_object_add(node, "child", child);
		node = child;
	}
	json_object_object_add(node, "n", json_object_new_int(30));
	/* A null child ends the recursion: without the key, {{#child}} would
	 * find the parent's child (this very node) further up the stack. */
	json_object_object_add(node, "child", NULL);
	assert_true(mustache_set_add(set, "tree", "{{n}}{{#child}}>{{>tree}}{{/child}}", 35, &e));
	assert_true(mustache_render_named(set, "tree", root, &out, &e));
	assert_string_equal(out.data + out.len - 5, "29>30");
	assert_int_equal(out.data[0], '0');
	buf_release(&out);
	json_object_put(root);
	mustache_set_free(set);
}

/* ---- loading directories ---- */

static void write_file(const char *dir, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f;

	for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	free(path);
}

/* Gives the file a distinct modification time, as a later edit would. */
static void touch_later(const char *dir, const char *rel, int seconds)
{
	char *path = xasprintf("%s/%s", dir, rel);
	struct timespec times[2];

	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec += seconds;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	free(path);
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = xasprintf("%s/%s", path, de->d_name);
		remove_tree(child);
		free(child);
	}
	closedir(d);
	rmdir(path);
}

static int make_dir(void **state)
{
	char *dir = xstrdup("/tmp/mustache-test-XXXXXX");

	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

static void directory_loads_with_subdirectory_names(void **state)
{
	const char *dir = *state;
	struct mustache_set *set;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	char *with_slash = xasprintf("%s//", dir);
	json_object *data = json_object_new_object();

	write_file(dir, "page.mustache", "<h1>{{title}}</h1>\n  {{> parts/row}}\n");
	write_file(dir, "parts/row.mustache", "<tr>\n<td>{{title}}</td>\n</tr>\n");
	write_file(dir, "deep/er/x.mustache", "x");
	write_file(dir, "notes.txt", "{{#broken");
	write_file(dir, ".hidden.mustache", "{{#broken");
	write_file(dir, ".git/y.mustache", "{{#broken");
	write_file(dir, "parts/.row.mustache.swp", "{{#broken");

	set = mustache_set_load_dir(with_slash, &e);
	if (!set)
		fail_msg("%s", e.message);
	assert_int_equal(mustache_set_count(set), 3);
	assert_non_null(mustache_set_get(set, "page"));
	assert_non_null(mustache_set_get(set, "parts/row"));
	assert_non_null(mustache_set_get(set, "deep/er/x"));
	assert_null(mustache_set_get(set, "notes"));
	assert_null(mustache_set_get(set, ".hidden"));
	assert_string_equal(mustache_template_name(mustache_set_get(set, "parts/row")), "parts/row");

	json_object_object_add(data, "title", json_object_new_string("市民热线 <12345>"));
	assert_true(mustache_render_named(set, "page", data, &out, &e));
	assert_string_equal(out.data,
			    "<h1>市民热线 &lt;12345&gt;</h1>\n"
			    "  <tr>\n  <td>市民热线 &lt;12345&gt;</td>\n  </tr>\n");
	buf_release(&out);
	json_object_put(data);
	mustache_set_free(set);
	free(with_slash);
}

static void broken_template_fails_the_load_with_file_and_line(void **state)
{
	const char *dir = *state;
	struct err e = ERR_INIT;
	char *want;

	write_file(dir, "ok.mustache", "fine");
	write_file(dir, "order.mustache",
		   "<main>\n<h1>{{title}}</h1>\n<dl>\n<dt>来电人</dt>\n<dd>{{caller}}</dd>\n"
		   "<dt>地址</dt>\n<dd>{{address}}</dd>\n</dl>\n<ol>\n\n\n"
		   "{{#events}}\n<li>{{note}}</li>\n</ol>\n</main>\n");
	assert_null(mustache_set_load_dir(dir, &e));
	want = xasprintf("%s/order.mustache:12: unclosed section \"events\"", dir);
	assert_string_equal(e.message, want);
	assert_int_equal(e.code, ERR_TEMPLATE_SYNTAX);
	free(want);
}

static void broken_template_in_a_subdirectory_is_named_by_path(void **state)
{
	const char *dir = *state;
	struct err e = ERR_INIT;
	char *want;

	write_file(dir, "orders/row.mustache", "<tr>\n{{#a}}\n{{/b}}\n</tr>\n");
	assert_null(mustache_set_load_dir(dir, &e));
	want = xasprintf("%s/orders/row.mustache:3: closing tag \"b\" does not match section \"a\" opened at line 2", dir);
	assert_string_equal(e.message, want);
	free(want);
}

static void missing_directory_fails_the_load(void **state)
{
	struct err e = ERR_INIT;
	char *dir = xasprintf("%s/nope", (const char *)*state);
	char *want = xasprintf("cannot open template directory \"%s\": No such file or directory", dir);

	assert_null(mustache_set_load_dir(dir, &e));
	assert_string_equal(e.message, want);
	assert_int_equal(e.code, ERR_IO);
	free(want);
	free(dir);
}

static void compile_file_names_the_template_after_the_file(void **state)
{
	const char *dir = *state;
	struct err e = ERR_INIT;
	char *path = xasprintf("%s/sub/工单.mustache", dir);
	char *missing = xasprintf("%s/none.mustache", dir);
	struct mustache_template *t;

	write_file(dir, "sub/工单.mustache", "{{#a}}\n");
	t = mustache_compile_file(path, NULL, &e);
	assert_null(t);
	assert_non_null(strstr(e.message, "sub/工单.mustache:1: unclosed section \"a\""));

	write_file(dir, "sub/工单.mustache", "ok");
	t = mustache_compile_file(path, NULL, &e);
	assert_non_null(t);
	assert_string_equal(mustache_template_name(t), "工单");
	mustache_template_free(t);
	t = mustache_compile_file(path, "orders/show", &e);
	assert_string_equal(mustache_template_name(t), "orders/show");
	mustache_template_free(t);

	assert_null(mustache_compile_file(missing, NULL, &e));
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.message, missing));
	free(missing);
	free(path);
}

static void render_expect(const struct mustache_set *set, const char *name, const char *want)
{
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;

	if (!mustache_render_named(set, name, NULL, &out, &e))
		fail_msg("%s", e.message);
	assert_string_equal(out.data, want);
	buf_release(&out);
}

static void reload_picks_up_edits_additions_and_removals(void **state)
{
	const char *dir = *state;
	struct mustache_set *set;
	struct err e = ERR_INIT;
	char *broken_path, *new_path;

	write_file(dir, "page.mustache", "v1 {{>part}}");
	write_file(dir, "part.mustache", "p1");
	set = mustache_set_load_dir(dir, &e);
	assert_non_null(set);
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 0);
	render_expect(set, "page", "v1 p1");

	write_file(dir, "part.mustache", "p2");
	touch_later(dir, "part.mustache", 10);
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 1);
	render_expect(set, "page", "v1 p2");
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 0);

	write_file(dir, "extra/new.mustache", "new");
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 1);
	render_expect(set, "extra/new", "new");

	new_path = xasprintf("%s/extra/new.mustache", dir);
	assert_int_equal(unlink(new_path), 0);
	free(new_path);
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 1);
	assert_null(mustache_set_get(set, "extra/new"));

	/* A broken edit keeps the old templates until it is fixed. */
	write_file(dir, "page.mustache", "v2\n{{#open}}");
	touch_later(dir, "page.mustache", 20);
	assert_int_equal(mustache_set_reload_if_changed(set, &e), -1);
	broken_path = xasprintf("%s/page.mustache:2: unclosed section \"open\"", dir);
	assert_string_equal(e.message, broken_path);
	render_expect(set, "page", "v1 p2");
	assert_int_equal(mustache_set_reload_if_changed(set, &e), -1);

	write_file(dir, "page.mustache", "v3 {{>part}}");
	touch_later(dir, "page.mustache", 30);
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 1);
	render_expect(set, "page", "v3 p2");
	free(broken_path);
	mustache_set_free(set);
}

static void reload_of_a_set_not_from_a_directory_does_nothing(void **state)
{
	struct mustache_set *set = mustache_set_new();
	struct err e = ERR_INIT;

	assert_true(mustache_set_add(set, "a", "x", 1, &e));
	assert_int_equal(mustache_set_reload_if_changed(set, &e), 0);
	assert_int_equal(mustache_set_count(set), 1);
	mustache_set_free(set);
}

/* ---- the golden order page ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

static void order_page_matches_the_golden_file(void **state)
{
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	struct mustache_set *set = mustache_set_load_dir(TEMPLATE_FIXTURES "/site", &e);
	char *json = slurp(TEMPLATE_FIXTURES "/order.json");
	char *want = slurp(TEMPLATE_FIXTURES "/order.expected.html");
	json_object *data = NULL;

	if (!set)
		fail_msg("%s", e.message);
	assert_true(json_parse_document(json, strlen(json), &data, &e));
	assert_true(mustache_render_named(set, "order", data, &out, &e));
	assert_string_equal(out.data, want);

	/* No events: the inverted section shows instead. */
	json_object_object_del(json_object_object_get(data, "order"), "events");
	buf_reset(&out);
	assert_true(mustache_render_named(set, "order", data, &out, &e));
	assert_non_null(strstr(out.data, "\n    <li class=\"empty\">暂无处理记录</li>\n  </ol>\n"));
	assert_null(strstr(out.data, "<time"));

	buf_release(&out);
	json_object_put(data);
	free(want);
	free(json);
	mustache_set_free(set);
}

#define NERRORS (sizeof(error_cases) / sizeof(error_cases[0]))
#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, make_dir, remove_dir)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(section_nesting_is_bounded),
		cmocka_unit_test(text_need_not_be_terminated),
		cmocka_unit_test(render_appends_to_the_buffer),
		cmocka_unit_test(partial_names_are_listed),
		cmocka_unit_test(set_add_replaces_and_keeps_on_error),
		cmocka_unit_test(render_named_reports_a_missing_template),
		cmocka_unit_test(self_including_partial_stops_at_the_depth_limit),
		cmocka_unit_test(mutual_recursion_stops_and_the_rest_renders),
		cmocka_unit_test(deep_data_recursion_below_the_limit_renders),
		DIR_TEST(directory_loads_with_subdirectory_names),
		DIR_TEST(broken_template_fails_the_load_with_file_and_line),
		DIR_TEST(broken_template_in_a_subdirectory_is_named_by_path),
		DIR_TEST(missing_directory_fails_the_load),
		DIR_TEST(compile_file_names_the_template_after_the_file),
		DIR_TEST(reload_picks_up_edits_additions_and_removals),
		cmocka_unit_test(reload_of_a_set_not_from_a_directory_does_nothing),
		cmocka_unit_test(order_page_matches_the_golden_file),
	};
	static struct CMUnitTest tests[NERRORS + sizeof(fixed) / sizeof(fixed[0])];
	size_t n = 0;

	for (size_t i = 0; i < NERRORS; i++) {
		tests[n].name = error_cases[i].name;
		tests[n].test_func = compile_error_case;
		tests[n].initial_state = &error_cases[i];
		n++;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	return cmocka_run_group_tests_name("mustache-load", tests, NULL, NULL);
}
