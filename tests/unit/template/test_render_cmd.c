/*
 * `hotline render TEMPLATE DATA.json [--partials DIR]` end to end: files
 * in a temporary directory, cmd_render() called in-process with stdout
 * and stderr sent to files, and the exit code, output and messages
 * compared.
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
#include <unistd.h>

#include "core/buf.h"
#include "template/render_cmd.h"

#ifndef TEMPLATE_FIXTURES
#error "TEMPLATE_FIXTURES must name tests/unit/template/fixtures"
#endif

struct run {
	int rc;
	char *out;
	char *err;
};

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

struct fixture {
	char *dir;		/* temporary directory, also the working directory */
	char *cwd;		/* working directory to return to */
	struct run last;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = xstrdup("/tmp/render-cmd-test-XXXXXX");
	f->cwd = getcwd(NULL, 0);
	if (!mkdtemp(f->dir) || !f->cwd || chdir(f->dir) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (chdir(f->cwd) != 0)
		return -1;
	remove_tree(f->dir);
	free(f->last.out);
	free(f->last.err);
	free(f->dir);
	free(f->cwd);
	free(f);
	return 0;
}

/* Runs cmd_render with the NULL-terminated arguments after "render". */
static struct run *run(struct fixture *f, ...)
{
	char *argv[16] = { "render" };
	int argc = 1, saved_out, saved_err, fd_out, fd_err;
	va_list ap;

	va_start(ap, f);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd_out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fd_err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved_out >= 0 && saved_err >= 0 && fd_out >= 0 && fd_err >= 0);
	dup2(fd_out, 1);
	dup2(fd_err, 2);
	f->last.rc = cmd_render(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(fd_out);
	close(fd_err);

	free(f->last.out);
	free(f->last.err);
	f->last.out = slurp("stdout.txt");
	f->last.err = slurp("stderr.txt");
	unlink("stdout.txt");
	unlink("stderr.txt");
	return &f->last;
}

static void renders_the_golden_order_page(void **state)
{
	struct run *r = run(*state, TEMPLATE_FIXTURES "/site/order.mustache",
			    TEMPLATE_FIXTURES "/order.json",
			    "--partials", TEMPLATE_FIXTURES "/site", NULL);
	char *want = slurp(TEMPLATE_FIXTURES "/order.expected.html");

	assert_string_equal(r->err, "");
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, want);
	free(want);
}

static void output_is_exactly_the_rendered_text(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "t.mustache", "{{n}} 件");
	write_file(f->dir, "d.json", "{\"n\": 12}\n");
	r = run(f, "t.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, "12 件");
	assert_string_equal(r->err, "");
}

static void partials_come_from_templates_by_default(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "page.mustache", "<ul>\n  {{> orders/row}}\n</ul>\n");
	write_file(f->dir, "templates/orders/row.mustache", "<li>{{id}}</li>\n{{> orders/tail}}");
	write_file(f->dir, "templates/orders/tail.mustache", "<!-- {{id}} -->\n");
	write_file(f->dir, "templates/unused.mustache", "{{#broken");
	write_file(f->dir, "d.json", "{\"id\": \"BJ-1\"}");
	r = run(f, "page.mustache", "d.json", NULL);
	assert_string_equal(r->err, "");
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, "<ul>\n  <li>BJ-1</li>\n  <!-- BJ-1 -->\n</ul>\n");
}

static void partials_option_takes_both_forms(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "page.mustache", "[{{>p}}]");
	write_file(f->dir, "parts/p.mustache", "{{.}}");
	write_file(f->dir, "d.json", "\"x\"");
	r = run(f, "page.mustache", "--partials", "parts", "d.json", NULL);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, "[x]");
	r = run(f, "--partials=parts/", "page.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, "[x]");
}

static void missing_partials_render_empty(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "page.mustache", "a{{>nope}}b{{>../escape}}c{{>/etc/passwd}}d");
	write_file(f->dir, "escape.mustache", "SECRET");
	write_file(f->dir, "templates/other.mustache", "other");
	write_file(f->dir, "d.json", "{}");
	r = run(f, "page.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out, "abcd");
	assert_string_equal(r->err, "");
}

static void usage_errors_exit_2(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	r = run(f, NULL);
	assert_int_equal(r->rc, 2);
	assert_string_equal(r->out, "");
	assert_non_null(strstr(r->err, "usage: hotline render TEMPLATE DATA.json [--partials DIR]"));
	r = run(f, "t.mustache", NULL);
	assert_int_equal(r->rc, 2);
	r = run(f, "t.mustache", "d.json", "extra", NULL);
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "unexpected argument \"extra\""));
	r = run(f, "--verbose", "t.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "unknown option \"--verbose\""));
	r = run(f, "t.mustache", "d.json", "--partials", NULL);
	assert_int_equal(r->rc, 2);
	r = run(f, "t.mustache", "d.json", "--partials=", NULL);
	assert_int_equal(r->rc, 2);
	r = run(f, "--help", NULL);
	assert_int_equal(r->rc, 0);
	assert_non_null(strstr(r->out, "usage:"));
}

static void missing_files_exit_1_naming_them(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "t.mustache", "x");
	r = run(f, "none.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "hotline render: cannot read template \"none.mustache\": No such file or directory\n");
	r = run(f, "t.mustache", "none.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->err, "hotline render: cannot read \"none.json\": No such file or directory\n");
	write_file(f->dir, "d.json", "{}");
	r = run(f, "t.mustache", "d.json", "--partials", "nodir", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->err, "hotline render: cannot open partials directory \"nodir\": No such file or directory\n");
	r = run(f, "t.mustache", "d.json", "--partials", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->err, "hotline render: cannot open partials directory \"d.json\": not a directory\n");
}

static void template_errors_name_file_and_line(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "order.mustache", "<ol>\n{{#events}}\n<li>{{note}}</li>\n</ol>\n");
	write_file(f->dir, "d.json", "{}");
	r = run(f, "order.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "hotline render: order.mustache:2: unclosed section \"events\"\n");
}

static void broken_partials_name_file_and_line(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "page.mustache", "{{>a}}");
	write_file(f->dir, "templates/a.mustache", "{{>b/c}}");
	write_file(f->dir, "templates/b/c.mustache", "ok\n{{/x}}");
	write_file(f->dir, "d.json", "{}");
	r = run(f, "page.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "hotline render: templates/b/c.mustache:2: closing tag \"x\" has no open section\n");
}

static void json_errors_name_file_and_line(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "t.mustache", "x");
	write_file(f->dir, "d.json", "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
	r = run(f, "t.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "");
	assert_non_null(strstr(r->err, "hotline render: d.json: malformed JSON at line 3"));
	write_file(f->dir, "d.json", "");
	r = run(f, "t.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->err, "hotline render: d.json: the file is empty: a JSON document is required\n");
}

static void recursive_partials_fail(void **state)
{
	struct fixture *f = *state;
	struct run *r;

	write_file(f->dir, "page.mustache", "{{>loop}}");
	write_file(f->dir, "templates/loop.mustache", "x{{>loop}}");
	write_file(f->dir, "d.json", "{}");
	r = run(f, "page.mustache", "d.json", NULL);
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "hotline render: page.mustache: partials nested deeper than 64 levels (a partial including itself?)\n");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(renders_the_golden_order_page),
		T(output_is_exactly_the_rendered_text),
		T(partials_come_from_templates_by_default),
		T(partials_option_takes_both_forms),
		T(missing_partials_render_empty),
		T(usage_errors_exit_2),
		T(missing_files_exit_1_naming_them),
		T(template_errors_name_file_and_line),
		T(broken_partials_name_file_and_line),
		T(json_errors_name_file_and_line),
		T(recursive_partials_fail),
	};

	return cmocka_run_group_tests_name("render-cmd", tests, NULL, NULL);
}
