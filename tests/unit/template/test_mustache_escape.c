/*
 * Hostile values in every place a template puts them: text, attributes
 * (double and single quoted), section contexts, partials, raw tags. Data
 * is never re-read as template, and long values come out whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonutil.h"
#include "template/mustache.h"

struct escape_case {
	const char *name;
	const char *tmpl;
	const char *value;	/* bound to "v" (and to each item of "list") */
	const char *expected;
};

#define SCRIPT "<script>alert(document.cookie)</script>"
#define SCRIPT_ESC "&lt;script&gt;alert(document.cookie)&lt;/script&gt;"

static struct escape_case cases[] = {
	{ "script in a text node", "<p>{{v}}</p>", SCRIPT, "<p>" SCRIPT_ESC "</p>" },
	{ "script in a section over the value", "{{#v}}<p>{{.}}</p>{{/v}}", SCRIPT,
	  "<p>" SCRIPT_ESC "</p>" },
	{ "script in list items", "{{#list}}<li>{{.}}</li>{{/list}}", SCRIPT,
	  "<li>" SCRIPT_ESC "</li><li>" SCRIPT_ESC "</li>" },
	{ "script through a partial", "{{>show}}", SCRIPT, "<b>" SCRIPT_ESC "</b>" },
	{ "script through a dotted name", "{{obj.v}}", SCRIPT, SCRIPT_ESC },
	{ "double quote cannot leave a double-quoted attribute",
	  "<a title=\"{{v}}\">", "\" onmouseover=\"alert(1)",
	  "<a title=\"&quot; onmouseover=&quot;alert(1)\">" },
	{ "single quote cannot leave a single-quoted attribute",
	  "<a title='{{v}}'>", "' onclick='alert(1)",
	  "<a title='&#39; onclick=&#39;alert(1)'>" },
	{ "closing a tag from an attribute is escaped",
	  "<input value=\"{{v}}\">", "\"><img src=x onerror=alert(1)>",
	  "<input value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">" },
	{ "ampersand entities are not passed through", "{{v}}", "&lt;b&gt; &amp; &#39;",
	  "&amp;lt;b&amp;gt; &amp;amp; &amp;#39;" },
	{ "every special character maps to its entity", "{{v}}", "&<>\"'",
	  "&amp;&lt;&gt;&quot;&#39;" },
	{ "other punctuation is left alone", "{{v}}", "a/b=c`d{e}f%g",
	  "a/b=c`d{e}f%g" },
	{ "mustache tags in data are not interpreted", "{{v}}", "{{secret}}", "{{secret}}" },
	{ "triple mustache tags in data are not interpreted", "{{{v}}}", "{{{secret}}}{{>show}}",
	  "{{{secret}}}{{>show}}" },
	{ "section tags in data are not interpreted", "{{v}}", "{{#secret}}x{{/secret}}",
	  "{{#secret}}x{{/secret}}" },
	{ "delimiter change in data is not interpreted", "{{v}}{{secret}}",
	  "{{=<% %>=}}", "{{=&lt;% %&gt;=}}s3cr3t" },
	{ "custom delimiters in data are not interpreted", "{{=<% %>=}}<%v%>",
	  "<%secret%>", "&lt;%secret%&gt;" },
	{ "tags in data are not interpreted inside a partial", "{{>show}}", "{{secret}}",
	  "<b>{{secret}}</b>" },
	{ "raw tag copies the value unchanged", "{{{v}}}|{{&v}}", SCRIPT, SCRIPT "|" SCRIPT },
	{ "Chinese text keeps its bytes while escaping", "{{v}}", "张三 <李四> & “王五”",
	  "张三 &lt;李四&gt; &amp; “王五”" },
	{ "newlines in data are kept and not indented", "  {{>show}}\n", "a\nb\n",
	  "  <b>a\nb\n</b>" },
	{ "a value naming a partial includes nothing", "{{v}}", "> show", "&gt; show" },
};

static json_object *case_data(const char *v)
{
	json_object *root = json_object_new_object();
	json_object *list = json_object_new_array();
	json_object *obj = json_object_new_object();

	json_object_object_add(root, "v", json_object_new_string(v));
	json_object_array_add(list, json_object_new_string(v));
	json_object_array_add(list, json_object_new_string(v));
	json_object_object_add(root, "list", list);
	json_object_object_add(obj, "v", json_object_new_string(v));
	json_object_object_add(root, "obj", obj);
	json_object_object_add(root, "secret", json_object_new_string("s3cr3t"));
	return root;
}

static void escape_case(void **state)
{
	const struct escape_case *c = *state;
	struct mustache_set *set = mustache_set_new();
	struct mustache_template *t;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data = case_data(c->value);

	assert_true(mustache_set_add(set, "show", "<b>{{v}}</b>", 12, &e));
	t = mustache_compile("case", c->tmpl, strlen(c->tmpl), &e);
	if (!t)
		fail_msg("template does not compile: %s", e.message);
	assert_true(mustache_render(set, t, data, &out));
	assert_string_equal(out.data, c->expected);
	assert_int_equal(out.len, strlen(c->expected));
	buf_release(&out);
	mustache_template_free(t);
	mustache_set_free(set);
	json_object_put(data);
}

static void very_long_values_come_out_whole(void **state)
{
	size_t n = 1 << 20;
	char *v = malloc(n + 1);
	struct mustache_template *t;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data;
	size_t amps = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = i % 100 == 99 ? '&' : 'a' + (char)(i % 26);
		amps += v[i] == '&';
	}
	v[n] = '\0';
	data = json_object_new_object();
	json_object_object_add(data, "v", json_object_new_string(v));
	t = mustache_compile("long", "[{{v}}][{{{v}}}]", 16, &e);
	assert_non_null(t);
	assert_true(mustache_render(NULL, t, data, &out));
	/* "&" grows to "&amp;": four more bytes each. */
	assert_int_equal(out.len, 4 + n + amps * 4 + n);
	assert_int_equal(out.data[0], '[');
	assert_memory_equal(out.data + 1 + 99 + 0, "&amp;", 5);
	assert_memory_equal(out.data + out.len - 1 - n, v, n);
	assert_string_equal(out.data + out.len - 1, "]");
	buf_release(&out);
	mustache_template_free(t);
	json_object_put(data);
	free(v);
}

static void long_value_with_every_special_character(void **state)
{
	struct buf v = BUF_INIT;
	struct buf want = BUF_INIT;
	struct buf out = BUF_INIT;
	struct mustache_template *t;
	struct err e = ERR_INIT;
	json_object *data;

	for (int i = 0; i < 20000; i++) {
		buf_adds(&v, "<>&\"'工单");
		buf_adds(&want, "&lt;&gt;&amp;&quot;&#39;工单");
	}
	data = json_object_new_object();
	json_object_object_add(data, "v", json_object_new_string_len(v.data, (int)v.len));
	t = mustache_compile("long", "<td title=\"{{v}}\">", 18, &e);
	assert_non_null(t);
	assert_true(mustache_render(NULL, t, data, &out));
	assert_int_equal(out.len, 11 + want.len + 2);
	assert_memory_equal(out.data + 11, want.data, want.len);
	buf_release(&v);
	buf_release(&want);
	buf_release(&out);
	mustache_template_free(t);
	json_object_put(data);
}

static void nul_byte_is_replaced_when_escaped(void **state)
{
	struct mustache_template *t;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data = json_object_new_object();

	json_object_object_add(data, "v", json_object_new_string_len("a\0b", 3));
	t = mustache_compile("nul", "{{v}}|{{{v}}}", 13, &e);
	assert_non_null(t);
	assert_true(mustache_render(NULL, t, data, &out));
	assert_int_equal(out.len, 5 + 1 + 3);
	assert_memory_equal(out.data, "a\xEF\xBF\xBD" "b|a\0b", 9);
	buf_release(&out);
	mustache_template_free(t);
	json_object_put(data);
}

static void hostile_keys_are_only_names(void **state)
{
	/* A key that looks like markup is just a key; its value is escaped. */
	const char *json = "{\"<b>\":\"<i>\",\"a\":{\"<b>\":\"x\"}}";
	struct mustache_template *t;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data = NULL;

	assert_true(json_parse_document(json, strlen(json), &data, &e));
	t = mustache_compile("keys", "{{<b>}}{{a.<b>}}", 16, &e);
	assert_non_null(t);
	assert_true(mustache_render(NULL, t, data, &out));
	assert_string_equal(out.data, "&lt;i&gt;x");
	buf_release(&out);
	mustache_template_free(t);
	json_object_put(data);
}

static void escape_helper_appends(void **state)
{
	struct buf out = BUF_INIT;

	buf_adds(&out, "x=");
	mustache_escape_html(&out, "<a href=\"?q=1&r='2'\">", 21);
	assert_string_equal(out.data, "x=&lt;a href=&quot;?q=1&amp;r=&#39;2&#39;&quot;&gt;");
	mustache_escape_html(&out, "", 0);
	assert_string_equal(out.data, "x=&lt;a href=&quot;?q=1&amp;r=&#39;2&#39;&quot;&gt;");
	buf_release(&out);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	static struct CMUnitTest tests[NCASES + 5];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++) {
		tests[n].name = cases[i].name;
		tests[n].test_func = escape_case;
		tests[n].initial_state = &cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(very_long_values_come_out_whole);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(long_value_with_every_special_character);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(nul_byte_is_replaced_when_escaped);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(hostile_keys_are_only_names);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(escape_helper_appends);
	return cmocka_run_group_tests_name("mustache-escape", tests, NULL, NULL);
}
