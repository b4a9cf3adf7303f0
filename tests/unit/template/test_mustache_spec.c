/*
 * The Mustache specification (github.com/mustache/spec, v1.3 semantics:
 * interpolation, sections, inverted, comments, partials, delimiters) as a
 * table of cases, followed by the choices this project made where the
 * spec is silent (numbers, empty strings, indentation of nested partials).
 * Each row is one cmocka test named after it.
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

struct spec_case {
	const char *name;
	const char *data;	/* JSON */
	const char *tmpl;
	const char *expected;
	const char *partials[8]; /* name, text, name, text, …, NULL */
};

#define FORBIDDEN "{\"forbidden\":\"& \\\" < >\"}"
#define ESCAPED_LINE "These characters should be HTML escaped: "
#define RAW_LINE "These characters should not be HTML escaped: "
#define NESTED_DATA "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}}," \
	"\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Wrong\"}}}}}"
#define DEEP_TEMPLATE \
	"{{#a}}\n{{one}}\n{{#b}}\n{{one}}{{two}}{{one}}\n{{#c}}\n" \
	"{{one}}{{two}}{{three}}{{two}}{{one}}\n{{#d}}\n" \
	"{{one}}{{two}}{{three}}{{four}}{{three}}{{two}}{{one}}\n{{#five}}\n" \
	"{{one}}{{two}}{{three}}{{four}}{{five}}{{four}}{{three}}{{two}}{{one}}\n" \
	"{{one}}{{two}}{{three}}{{four}}{{.}}6{{.}}{{four}}{{three}}{{two}}{{one}}\n" \
	"{{one}}{{two}}{{three}}{{four}}{{five}}{{four}}{{three}}{{two}}{{one}}\n" \
	"{{/five}}\n{{one}}{{two}}{{three}}{{four}}{{three}}{{two}}{{one}}\n{{/d}}\n" \
	"{{one}}{{two}}{{three}}{{two}}{{one}}\n{{/c}}\n{{one}}{{two}}{{one}}\n{{/b}}\n" \
	"{{one}}\n{{/a}}\n"
#define DEEP_DATA "{\"a\":{\"one\":1},\"b\":{\"two\":2}," \
	"\"c\":{\"three\":3,\"d\":{\"four\":4,\"five\":5}}}"
#define DEEP_EXPECTED "1\n121\n12321\n1234321\n123454321\n12345654321\n" \
	"123454321\n1234321\n12321\n121\n1\n"
#define LIST_CONTEXTS_DATA "{\"tops\":[{\"tname\":{\"upper\":\"A\",\"lower\":\"a\"}," \
	"\"middles\":[{\"mname\":\"1\",\"bottoms\":[{\"bname\":\"x\"},{\"bname\":\"y\"}]}]}]}"
#define LIST_CONTEXTS_TEMPLATE "{{#tops}}{{#middles}}{{tname.lower}}{{mname}}." \
	"{{#bottoms}}{{tname.upper}}{{mname}}{{bname}}.{{/bottoms}}{{/middles}}{{/tops}}"

static struct spec_case cases[] = {
	/* ---- interpolation ---- */
	{ "interpolation: no interpolation", "{}",
	  "Hello from {Mustache}!\n", "Hello from {Mustache}!\n", { NULL } },
	{ "interpolation: basic", "{\"subject\":\"world\"}",
	  "Hello, {{subject}}!\n", "Hello, world!\n", { NULL } },
	{ "interpolation: no re-interpolation", "{\"template\":\"{{planet}}\",\"planet\":\"Earth\"}",
	  "{{template}}: {{planet}}", "{{planet}}: Earth", { NULL } },
	{ "interpolation: HTML escaping", FORBIDDEN,
	  ESCAPED_LINE "{{forbidden}}\n", ESCAPED_LINE "&amp; &quot; &lt; &gt;\n", { NULL } },
	{ "interpolation: triple mustache", FORBIDDEN,
	  RAW_LINE "{{{forbidden}}}\n", RAW_LINE "& \" < >\n", { NULL } },
	{ "interpolation: ampersand", FORBIDDEN,
	  RAW_LINE "{{&forbidden}}\n", RAW_LINE "& \" < >\n", { NULL } },
	{ "interpolation: basic integer", "{\"mph\":85}",
	  "\"{{mph}} miles an hour!\"", "\"85 miles an hour!\"", { NULL } },
	{ "interpolation: triple mustache integer", "{\"mph\":85}",
	  "\"{{{mph}}} miles an hour!\"", "\"85 miles an hour!\"", { NULL } },
	{ "interpolation: ampersand integer", "{\"mph\":85}",
	  "\"{{&mph}} miles an hour!\"", "\"85 miles an hour!\"", { NULL } },
	{ "interpolation: basic decimal", "{\"power\":1.210}",
	  "\"{{power}} jiggawatts!\"", "\"1.21 jiggawatts!\"", { NULL } },
	{ "interpolation: triple mustache decimal", "{\"power\":1.210}",
	  "\"{{{power}}} jiggawatts!\"", "\"1.21 jiggawatts!\"", { NULL } },
	{ "interpolation: ampersand decimal", "{\"power\":1.210}",
	  "\"{{&power}} jiggawatts!\"", "\"1.21 jiggawatts!\"", { NULL } },
	{ "interpolation: basic null", "{\"cannot\":null}",
	  "I ({{cannot}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: triple mustache null", "{\"cannot\":null}",
	  "I ({{{cannot}}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: ampersand null", "{\"cannot\":null}",
	  "I ({{&cannot}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: basic context miss", "{}",
	  "I ({{cannot}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: triple mustache context miss", "{}",
	  "I ({{{cannot}}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: ampersand context miss", "{}",
	  "I ({{&cannot}}) be seen!", "I () be seen!", { NULL } },
	{ "interpolation: dotted names, basic", "{\"person\":{\"name\":\"Joe\"}}",
	  "\"{{person.name}}\" == \"{{#person}}{{name}}{{/person}}\"", "\"Joe\" == \"Joe\"", { NULL } },
	{ "interpolation: dotted names, triple mustache", "{\"person\":{\"name\":\"Joe\"}}",
	  "\"{{{person.name}}}\" == \"{{#person}}{{{name}}}{{/person}}\"", "\"Joe\" == \"Joe\"", { NULL } },
	{ "interpolation: dotted names, ampersand", "{\"person\":{\"name\":\"Joe\"}}",
	  "\"{{&person.name}}\" == \"{{#person}}{{&name}}{{/person}}\"", "\"Joe\" == \"Joe\"", { NULL } },
	{ "interpolation: dotted names, arbitrary depth",
	  "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}}}",
	  "\"{{a.b.c.d.e.name}}\" == \"Phil\"", "\"Phil\" == \"Phil\"", { NULL } },
	{ "interpolation: dotted names, broken chains", "{\"a\":{}}",
	  "\"{{a.b.c}}\" == \"\"", "\"\" == \"\"", { NULL } },
	{ "interpolation: dotted names, broken chain resolution",
	  "{\"a\":{\"b\":{}},\"c\":{\"name\":\"Jim\"}}",
	  "\"{{a.b.c.name}}\" == \"\"", "\"\" == \"\"", { NULL } },
	{ "interpolation: dotted names, initial resolution", NESTED_DATA,
	  "\"{{#a}}{{b.c.d.e.name}}{{/a}}\" == \"Phil\"", "\"Phil\" == \"Phil\"", { NULL } },
	{ "interpolation: dotted names, context precedence",
	  "{\"a\":{\"b\":{}},\"b\":{\"c\":\"ERROR\"}}", "{{#a}}{{b.c}}{{/a}}", "", { NULL } },
	{ "interpolation: dotted names are never single keys", "{\"a.b\":\"c\"}",
	  "{{a.b}}", "", { NULL } },
	{ "interpolation: dotted names, no masking", "{\"a.b\":\"c\",\"a\":{\"b\":\"d\"}}",
	  "{{a.b}}", "d", { NULL } },
	{ "interpolation: implicit iterator, basic", "\"world\"",
	  "Hello, {{.}}!\n", "Hello, world!\n", { NULL } },
	{ "interpolation: implicit iterator, HTML escaping", "\"& \\\" < >\"",
	  ESCAPED_LINE "{{.}}\n", ESCAPED_LINE "&amp; &quot; &lt; &gt;\n", { NULL } },
	{ "interpolation: implicit iterator, triple mustache", "\"& \\\" < >\"",
	  RAW_LINE "{{{.}}}\n", RAW_LINE "& \" < >\n", { NULL } },
	{ "interpolation: implicit iterator, ampersand", "\"& \\\" < >\"",
	  RAW_LINE "{{&.}}\n", RAW_LINE "& \" < >\n", { NULL } },
	{ "interpolation: implicit iterator, integer", "85",
	  "\"{{.}} miles an hour!\"", "\"85 miles an hour!\"", { NULL } },
	{ "interpolation: surrounding whitespace", "{\"string\":\"---\"}",
	  "| {{string}} |", "| --- |", { NULL } },
	{ "interpolation: triple mustache surrounding whitespace", "{\"string\":\"---\"}",
	  "| {{{string}}} |", "| --- |", { NULL } },
	{ "interpolation: ampersand surrounding whitespace", "{\"string\":\"---\"}",
	  "| {{&string}} |", "| --- |", { NULL } },
	{ "interpolation: standalone keeps its line", "{\"string\":\"---\"}",
	  "  {{string}}\n", "  ---\n", { NULL } },
	{ "interpolation: triple mustache standalone keeps its line", "{\"string\":\"---\"}",
	  "  {{{string}}}\n", "  ---\n", { NULL } },
	{ "interpolation: ampersand standalone keeps its line", "{\"string\":\"---\"}",
	  "  {{&string}}\n", "  ---\n", { NULL } },
	{ "interpolation: with padding", "{\"string\":\"---\"}",
	  "|{{ string }}|", "|---|", { NULL } },
	{ "interpolation: triple mustache with padding", "{\"string\":\"---\"}",
	  "|{{{ string }}}|", "|---|", { NULL } },
	{ "interpolation: ampersand with padding", "{\"string\":\"---\"}",
	  "|{{& string }}|", "|---|", { NULL } },

	/* ---- sections ---- */
	{ "sections: truthy", "{\"boolean\":true}",
	  "\"{{#boolean}}This should be rendered.{{/boolean}}\"", "\"This should be rendered.\"", { NULL } },
	{ "sections: falsey", "{\"boolean\":false}",
	  "\"{{#boolean}}This should not be rendered.{{/boolean}}\"", "\"\"", { NULL } },
	{ "sections: null is falsey", "{\"null\":null}",
	  "\"{{#null}}This should not be rendered.{{/null}}\"", "\"\"", { NULL } },
	{ "sections: context", "{\"context\":{\"name\":\"Joe\"}}",
	  "\"{{#context}}Hi {{name}}.{{/context}}\"", "\"Hi Joe.\"", { NULL } },
	{ "sections: parent contexts",
	  "{\"a\":\"foo\",\"b\":\"wrong\",\"sec\":{\"b\":\"bar\"},\"c\":{\"d\":\"baz\"}}",
	  "\"{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}\"", "\"foo, bar, baz\"", { NULL } },
	{ "sections: variable test", "{\"foo\":\"bar\"}",
	  "\"{{#foo}}{{.}} is {{foo}}{{/foo}}\"", "\"bar is bar\"", { NULL } },
	{ "sections: list contexts", LIST_CONTEXTS_DATA, LIST_CONTEXTS_TEMPLATE, "a1.A1x.A1y.", { NULL } },
	{ "sections: deeply nested contexts", DEEP_DATA, DEEP_TEMPLATE, DEEP_EXPECTED, { NULL } },
	{ "sections: list", "{\"list\":[{\"item\":1},{\"item\":2},{\"item\":3}]}",
	  "\"{{#list}}{{item}}{{/list}}\"", "\"123\"", { NULL } },
	{ "sections: empty list", "{\"list\":[]}",
	  "\"{{#list}}Yay lists!{{/list}}\"", "\"\"", { NULL } },
	{ "sections: strings are not lists", "{\"section\":\"123\"}",
	  "\"{{#section}}foo{{/section}}\"", "\"foo\"", { NULL } },
	{ "sections: doubled", "{\"bool\":true,\"two\":\"second\"}",
	  "{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\n",
	  "* first\n* second\n* third\n", { NULL } },
	{ "sections: nested truthy", "{\"bool\":true}",
	  "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "| A B C D E |", { NULL } },
	{ "sections: nested falsey", "{\"bool\":false}",
	  "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "| A  E |", { NULL } },
	{ "sections: context misses", "{}",
	  "[{{#missing}}Found key 'missing'!{{/missing}}]", "[]", { NULL } },
	{ "sections: implicit iterator, string", "{\"list\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
	  "\"{{#list}}({{.}}){{/list}}\"", "\"(a)(b)(c)(d)(e)\"", { NULL } },
	{ "sections: implicit iterator, integer", "{\"list\":[1,2,3,4,5]}",
	  "\"{{#list}}({{.}}){{/list}}\"", "\"(1)(2)(3)(4)(5)\"", { NULL } },
	{ "sections: implicit iterator, decimal", "{\"list\":[1.10,2.20,3.30,4.40,5.50]}",
	  "\"{{#list}}({{.}}){{/list}}\"", "\"(1.1)(2.2)(3.3)(4.4)(5.5)\"", { NULL } },
	{ "sections: implicit iterator, array", "{\"list\":[[1,2,3],[\"a\",\"b\",\"c\"]]}",
	  "\"{{#list}}({{#.}}{{.}}{{/.}}){{/list}}\"", "\"(123)(abc)\"", { NULL } },
	{ "sections: implicit iterator, HTML escaping", "{\"list\":[\"&\",\"\\\"\",\"<\",\">\"]}",
	  "\"{{#list}}({{.}}){{/list}}\"", "\"(&amp;)(&quot;)(&lt;)(&gt;)\"", { NULL } },
	{ "sections: implicit iterator, triple mustache", "{\"list\":[\"&\",\"\\\"\",\"<\",\">\"]}",
	  "\"{{#list}}({{{.}}}){{/list}}\"", "\"(&)(\")(<)(>)\"", { NULL } },
	{ "sections: implicit iterator, ampersand", "{\"list\":[\"&\",\"\\\"\",\"<\",\">\"]}",
	  "\"{{#list}}({{&.}}){{/list}}\"", "\"(&)(\")(<)(>)\"", { NULL } },
	{ "sections: implicit iterator, root-level", "[{\"value\":\"a\"},{\"value\":\"b\"}]",
	  "{{#.}}({{value}}){{/.}}", "(a)(b)", { NULL } },
	{ "sections: dotted names, truthy", "{\"a\":{\"b\":{\"c\":true}}}",
	  "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"Here\"", "\"Here\" == \"Here\"", { NULL } },
	{ "sections: dotted names, falsey", "{\"a\":{\"b\":{\"c\":false}}}",
	  "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "\"\" == \"\"", { NULL } },
	{ "sections: dotted names, broken chains", "{\"a\":{}}",
	  "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "\"\" == \"\"", { NULL } },
	{ "sections: surrounding whitespace", "{\"boolean\":true}",
	  " | {{#boolean}}\t|\t{{/boolean}} | \n", " | \t|\t | \n", { NULL } },
	{ "sections: internal whitespace", "{\"boolean\":true}",
	  " | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n", " |  \n  | \n", { NULL } },
	{ "sections: indented inline sections", "{\"boolean\":true}",
	  " {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD{{/boolean}}\n", " YES\n GOOD\n", { NULL } },
	{ "sections: standalone lines", "{\"boolean\":true}",
	  "| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n", { NULL } },
	{ "sections: indented standalone lines", "{\"boolean\":true}",
	  "| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n", { NULL } },
	{ "sections: standalone line endings", "{\"boolean\":true}",
	  "|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", "|\r\n|", { NULL } },
	{ "sections: standalone without previous line", "{\"boolean\":true}",
	  "  {{#boolean}}\n#{{/boolean}}\n/", "#\n/", { NULL } },
	{ "sections: standalone without newline", "{\"boolean\":true}",
	  "#{{#boolean}}\n/\n  {{/boolean}}", "#\n/\n", { NULL } },
	{ "sections: padding", "{\"boolean\":true}",
	  "|{{# boolean }}={{/ boolean }}|", "|=|", { NULL } },

	/* ---- inverted sections ---- */
	{ "inverted: falsey", "{\"boolean\":false}",
	  "\"{{^boolean}}This should be rendered.{{/boolean}}\"", "\"This should be rendered.\"", { NULL } },
	{ "inverted: truthy", "{\"boolean\":true}",
	  "\"{{^boolean}}This should not be rendered.{{/boolean}}\"", "\"\"", { NULL } },
	{ "inverted: null is falsey", "{\"null\":null}",
	  "\"{{^null}}This should be rendered.{{/null}}\"", "\"This should be rendered.\"", { NULL } },
	{ "inverted: context", "{\"context\":{\"name\":\"Joe\"}}",
	  "\"{{^context}}Hi {{name}}.{{/context}}\"", "\"\"", { NULL } },
	{ "inverted: list", "{\"list\":[{\"n\":1},{\"n\":2},{\"n\":3}]}",
	  "\"{{^list}}{{n}}{{/list}}\"", "\"\"", { NULL } },
	{ "inverted: empty list", "{\"list\":[]}",
	  "\"{{^list}}Yay lists!{{/list}}\"", "\"Yay lists!\"", { NULL } },
	{ "inverted: doubled", "{\"bool\":false,\"two\":\"second\"}",
	  "{{^bool}}\n* first\n{{/bool}}\n* {{two}}\n{{^bool}}\n* third\n{{/bool}}\n",
	  "* first\n* second\n* third\n", { NULL } },
	{ "inverted: nested falsey", "{\"bool\":false}",
	  "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "| A B C D E |", { NULL } },
	{ "inverted: nested truthy", "{\"bool\":true}",
	  "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "| A  E |", { NULL } },
	{ "inverted: context misses", "{}",
	  "[{{^missing}}Cannot find key 'missing'!{{/missing}}]", "[Cannot find key 'missing'!]", { NULL } },
	{ "inverted: dotted names, truthy", "{\"a\":{\"b\":{\"c\":true}}}",
	  "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"\"", "\"\" == \"\"", { NULL } },
	{ "inverted: dotted names, falsey", "{\"a\":{\"b\":{\"c\":false}}}",
	  "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", "\"Not Here\" == \"Not Here\"", { NULL } },
	{ "inverted: dotted names, broken chains", "{\"a\":{}}",
	  "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", "\"Not Here\" == \"Not Here\"", { NULL } },
	{ "inverted: surrounding whitespace", "{\"boolean\":false}",
	  " | {{^boolean}}\t|\t{{/boolean}} | \n", " | \t|\t | \n", { NULL } },
	{ "inverted: internal whitespace", "{\"boolean\":false}",
	  " | {{^boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n", " |  \n  | \n", { NULL } },
	{ "inverted: indented inline sections", "{\"boolean\":false}",
	  " {{^boolean}}NO{{/boolean}}\n {{^boolean}}WAY{{/boolean}}\n", " NO\n WAY\n", { NULL } },
	{ "inverted: standalone lines", "{\"boolean\":false}",
	  "| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n", { NULL } },
	{ "inverted: standalone indented lines", "{\"boolean\":false}",
	  "| This Is\n  {{^boolean}}\n|\n  {{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n", { NULL } },
	{ "inverted: standalone line endings", "{\"boolean\":false}",
	  "|\r\n{{^boolean}}\r\n{{/boolean}}\r\n|", "|\r\n|", { NULL } },
	{ "inverted: standalone without previous line", "{\"boolean\":false}",
	  "  {{^boolean}}\n^{{/boolean}}\n/", "^\n/", { NULL } },
	{ "inverted: standalone without newline", "{\"boolean\":false}",
	  "^{{^boolean}}\n/\n  {{/boolean}}", "^\n/\n", { NULL } },
	{ "inverted: padding", "{\"boolean\":false}",
	  "|{{^ boolean }}={{/ boolean }}|", "|=|", { NULL } },

	/* ---- comments ---- */
	{ "comments: inline", "{}", "12345{{! Comment Block! }}67890", "1234567890", { NULL } },
	{ "comments: multiline", "{}",
	  "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n", "1234567890\n", { NULL } },
	{ "comments: standalone", "{}",
	  "Begin.\n{{! Comment Block! }}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "comments: indented standalone", "{}",
	  "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "comments: standalone line endings", "{}",
	  "|\r\n{{! Standalone Comment }}\r\n|", "|\r\n|", { NULL } },
	{ "comments: standalone without previous line", "{}",
	  "  {{! I'm Still Standalone }}\n!", "!", { NULL } },
	{ "comments: standalone without newline", "{}",
	  "!\n  {{! I'm Still Standalone }}", "!\n", { NULL } },
	{ "comments: multiline standalone", "{}",
	  "Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "comments: indented multiline standalone", "{}",
	  "Begin.\n  {{!\n    Something's going on here...\n  }}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "comments: indented inline", "{}", "  12 {{! 34 }}\n", "  12 \n", { NULL } },
	{ "comments: surrounding whitespace", "{}",
	  "12345 {{! Comment Block! }} 67890", "12345  67890", { NULL } },
	{ "comments: variable name collision",
	  "{\"! comment\":1,\"! comment \":2,\"!comment\":3,\"comment\":4}",
	  "comments never show: >{{! comment }}<", "comments never show: ><", { NULL } },

	/* ---- partials ---- */
	{ "partials: basic behavior", "{}", "\"{{>text}}\"", "\"from partial\"",
	  { "text", "from partial" } },
	{ "partials: failed lookup", "{}", "\"{{>text}}\"", "\"\"", { NULL } },
	{ "partials: context", "{\"text\":\"content\"}", "\"{{>partial}}\"", "\"*content*\"",
	  { "partial", "*{{text}}*" } },
	{ "partials: recursion",
	  "{\"content\":\"X\",\"nodes\":[{\"content\":\"Y\",\"nodes\":[]}]}",
	  "{{>node}}", "X<Y<>>",
	  { "node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>" } },
	{ "partials: nested", "{\"a\":\"hello\",\"b\":\"world\"}",
	  "{{>outer}}", "*hello world!*",
	  { "outer", "*{{a}} {{>inner}}*", "inner", "{{b}}!" } },
	{ "partials: surrounding whitespace", "{}", "| {{>partial}} |", "| \t|\t |",
	  { "partial", "\t|\t" } },
	{ "partials: inline indentation", "{\"data\":\"|\"}",
	  "  {{data}}  {{> partial}}\n", "  |  >\n>\n", { "partial", ">\n>" } },
	{ "partials: standalone line endings", "{}", "|\r\n{{>partial}}\r\n|", "|\r\n>|",
	  { "partial", ">" } },
	{ "partials: standalone without previous line", "{}", "  {{>partial}}\n>",
	  "  >\n  >>", { "partial", ">\n>" } },
	{ "partials: standalone without newline", "{}", ">\n  {{>partial}}",
	  ">\n  >\n  >", { "partial", ">\n>" } },
	{ "partials: standalone indentation", "{\"content\":\"<\\n->\"}",
	  "\\\n {{>partial}}\n/\n", "\\\n |\n <\n->\n |\n/\n",
	  { "partial", "|\n{{{content}}}\n|\n" } },
	{ "partials: padding whitespace", "{\"boolean\":true}", "|{{> partial }}|", "|[]|",
	  { "partial", "[]" } },

	/* ---- set delimiters ---- */
	{ "delimiters: pair behavior", "{\"text\":\"Hey!\"}", "{{=<% %>=}}(<%text%>)", "(Hey!)", { NULL } },
	{ "delimiters: special characters", "{\"text\":\"It worked!\"}",
	  "({{=[ ]=}}[text])", "(It worked!)", { NULL } },
	{ "delimiters: sections", "{\"section\":true,\"data\":\"I got interpolated.\"}",
	  "[\n{{#section}}\n  {{data}}\n  |data|\n{{/section}}\n\n{{= | | =}}\n"
	  "|#section|\n  {{data}}\n  |data|\n|/section|\n]\n",
	  "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n  I got interpolated.\n]\n", { NULL } },
	{ "delimiters: inverted sections", "{\"section\":false,\"data\":\"I got interpolated.\"}",
	  "[\n{{^section}}\n  {{data}}\n  |data|\n{{/section}}\n\n{{= | | =}}\n"
	  "|^section|\n  {{data}}\n  |data|\n|/section|\n]\n",
	  "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n  I got interpolated.\n]\n", { NULL } },
	{ "delimiters: partial inheritance", "{\"value\":\"yes\"}",
	  "[ {{>include}} ]\n{{= | | =}}\n[ |>include| ]\n", "[ .yes. ]\n[ .yes. ]\n",
	  { "include", ".{{value}}." } },
	{ "delimiters: post-partial behavior", "{\"value\":\"yes\"}",
	  "[ {{>include}} ]\n[ .{{value}}.  .|value|. ]\n",
	  "[ .yes.  .yes. ]\n[ .yes.  .|value|. ]\n",
	  { "include", ".{{value}}. {{= | | =}} .|value|." } },
	{ "delimiters: surrounding whitespace", "{}", "| {{=@ @=}} |", "|  |", { NULL } },
	{ "delimiters: outlying whitespace (inline)", "{}", " | {{=@ @=}}\n", " | \n", { NULL } },
	{ "delimiters: standalone tag", "{}", "Begin.\n{{=@ @=}}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "delimiters: indented standalone tag", "{}",
	  "Begin.\n  {{=@ @=}}\nEnd.\n", "Begin.\nEnd.\n", { NULL } },
	{ "delimiters: standalone line endings", "{}", "|\r\n{{= @ @ =}}\r\n|", "|\r\n|", { NULL } },
	{ "delimiters: standalone without previous line", "{}", "  {{=@ @=}}\n=", "=", { NULL } },
	{ "delimiters: standalone without newline", "{}", "=\n  {{=@ @=}}", "=\n", { NULL } },
	{ "delimiters: pair with padding", "{}", "|{{= @   @ =}}|", "||", { NULL } },

	/* ---- where the spec is silent: this project's choices ---- */
	{ "hotline: doubles print without needless digits",
	  "{\"a\":1.5,\"b\":0.9626,\"c\":3.0,\"d\":-42,\"e\":0.1,\"f\":96.26,\"g\":-0.5}",
	  "{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}", "1.5 0.9626 3 -42 0.1 96.26 -0.5", { NULL } },
	{ "hotline: doubles that need 17 digits keep them", "{\"x\":0.30000000000000004}",
	  "{{x}}", "0.30000000000000004", { NULL } },
	{ "hotline: huge numbers", "{\"a\":1e21,\"b\":9223372036854775807,\"c\":18446744073709551615,"
	  "\"d\":-9223372036854775808}",
	  "{{a}} {{b}} {{c}} {{d}}", "1e+21 9223372036854775807 18446744073709551615 -9223372036854775808", { NULL } },
	{ "hotline: booleans interpolate as words", "{\"t\":true,\"f\":false}",
	  "{{t}} {{f}}", "true false", { NULL } },
	{ "hotline: empty string is falsy", "{\"s\":\"\"}",
	  "{{#s}}yes{{/s}}{{^s}}no{{/s}}", "no", { NULL } },
	{ "hotline: zero is truthy", "{\"n\":0}", "{{#n}}[{{.}}]{{/n}}{{^n}}none{{/n}}", "[0]", { NULL } },
	{ "hotline: empty object is truthy", "{\"o\":{}}", "{{#o}}yes{{/o}}{{^o}}no{{/o}}", "yes", { NULL } },
	{ "hotline: a string section pushes the string", "{\"s\":\"abc\"}",
	  "{{#s}}({{.}}){{/s}}", "(abc)", { NULL } },
	{ "hotline: objects interpolate as escaped JSON", "{\"o\":{\"k\":\"v\"}}",
	  "{{o}}|{{{o}}}", "{&quot;k&quot;:&quot;v&quot;}|{\"k\":\"v\"}", { NULL } },
	{ "hotline: arrays interpolate as JSON", "{\"l\":[1,\"a\"]}", "{{{l}}}", "[1,\"a\"]", { NULL } },
	{ "hotline: apostrophe is escaped", "{\"v\":\"it's\"}", "{{v}}", "it&#39;s", { NULL } },
	{ "hotline: Chinese text passes through", "{\"name\":\"张三\",\"addr\":\"朝阳区 <望京>\"}",
	  "来电人：{{name}}，地址：{{addr}}", "来电人：张三，地址：朝阳区 &lt;望京&gt;", { NULL } },
	{ "hotline: triple mustache with changed delimiters", "{\"v\":\"<b>\"}",
	  "{{=<% %>=}}<%{v}%> <%v%> <%& v%>", "<b> &lt;b&gt; <b>", { NULL } },
	{ "hotline: delimiters can be changed back", "{\"v\":\"x\"}",
	  "{{=| |=}}|v||={{ }}=|{{v}}", "xx", { NULL } },
	{ "hotline: multibyte delimiters", "{\"v\":\"值\"}", "{{=【 】=}}【v】【#v】!【/v】", "值!", { NULL } },
	{ "hotline: braces without tags are text", "{}",
	  "function f() { return {a: 1}; } }} {", "function f() { return {a: 1}; } }} {", { NULL } },
	{ "hotline: a single brace before a tag is text", "{\"v\":1}", "{{{v}}}{ {{v}}}", "1{ 1}", { NULL } },
	{ "hotline: padded section names match", "{\"a\":true}", "{{#  a  }}x{{/a}}", "x", { NULL } },
	{ "hotline: null data renders names empty", "null", "[{{a}}{{#a}}x{{/a}}{{.}}]", "[]", { NULL } },
	{ "hotline: list of nulls still iterates", "{\"l\":[null,null]}", "{{#l}}-{{.}}{{/l}}", "--", { NULL } },
	{ "hotline: standalone partial indents each line", "{\"list\":[\"a\",\"b\"]}",
	  "<ul>\n  {{>items}}\n</ul>\n", "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n",
	  { "items", "{{#list}}\n<li>{{.}}</li>\n{{/list}}\n" } },
	{ "hotline: nested standalone partials add up indentation", "{\"text\":\"x\"}",
	  "<div>\n  {{>outer}}\n</div>\n",
	  "<div>\n  <section>\n    <p>\n    x\n    </p>\n  </section>\n</div>\n",
	  { "outer", "<section>\n  {{>inner}}\n</section>\n", "inner", "<p>\n{{text}}\n</p>\n" } },
	{ "hotline: inline partial inside an indented partial", "{}",
	  "  {{>outer}}\n", "  a 1\n  2 b\n  c\n",
	  { "outer", "a {{>inner}} b\nc\n", "inner", "1\n2" } },
	{ "hotline: indented partial with CRLF lines", "{}", "  {{>p}}\n", "  a\r\n  b\r\n",
	  { "p", "a\r\nb\r\n" } },
	{ "hotline: inline comment at line start in an indented partial", "{}",
	  " {{>p}}\n", " x\n y", { "p", "{{! c }}x\ny" } },
	{ "hotline: inline closing tag at line start, falsy", "{\"a\":false}",
	  "  {{>p}}\n", "   y\n", { "p", "{{#a}}x\n{{/a}} y\n" } },
	{ "hotline: inline closing tag at line start, truthy", "{\"a\":true}",
	  "  {{>p}}\n", "  x\n   y\n", { "p", "{{#a}}x\n{{/a}} y\n" } },
	{ "hotline: empty value at line start keeps indentation", "{\"v\":\"\"}",
	  "  {{>p}}\n", "  [\n  \n  ]", { "p", "[\n{{v}}\n]" } },
	{ "hotline: missing standalone partial removes its line", "{}",
	  "a\n  {{>nope}}\nb", "a\nb", { NULL } },
	{ "hotline: partial sees the section context", "{\"rows\":[{\"n\":\"一\"},{\"n\":\"二\"}]}",
	  "{{#rows}}{{>row}}{{/rows}}", "<td>一</td><td>二</td>", { "row", "<td>{{n}}</td>" } },
	{ "hotline: partial names may contain slashes", "{\"v\":1}", "{{> orders/row }}", "row 1",
	  { "orders/row", "row {{v}}" } },
	{ "hotline: section nested in same-named section", "{\"a\":{\"a\":{\"b\":\"in\"},\"b\":\"out\"}}",
	  "{{#a}}{{#a}}{{b}}{{/a}}{{b}}{{/a}}", "inout", { NULL } },
	{ "hotline: inverted section over a missing dotted name", "{\"order\":{}}",
	  "{{^order.caller.name}}匿名{{/order.caller.name}}", "匿名", { NULL } },
	{ "hotline: empty template", "{}", "", "", { NULL } },
	{ "hotline: only a standalone tag", "{}", "{{! nothing }}", "", { NULL } },
};

static void render_case(void **state)
{
	const struct spec_case *c = *state;
	struct mustache_set *set = mustache_set_new();
	struct mustache_template *t;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT;
	json_object *data = NULL;

	if (!json_parse_document(c->data, strlen(c->data), &data, &e))
		fail_msg("bad test data: %s", e.message);
	for (size_t i = 0; c->partials[i]; i += 2)
		if (!mustache_set_add(set, c->partials[i], c->partials[i + 1],
				      strlen(c->partials[i + 1]), &e))
			fail_msg("partial does not compile: %s", e.message);
	t = mustache_compile("case", c->tmpl, strlen(c->tmpl), &e);
	if (!t)
		fail_msg("template does not compile: %s", e.message);
	assert_true(mustache_render(set, t, data, &out));
	assert_string_equal(out.data, c->expected);
	assert_int_equal(out.len, strlen(c->expected));

	/* Rendering again appends the same text: nothing is consumed. */
	assert_true(mustache_render(set, t, data, &out));
	assert_int_equal(out.len, 2 * strlen(c->expected));
	assert_memory_equal(out.data + out.len / 2, c->expected, out.len / 2);

	buf_release(&out);
	mustache_template_free(t);
	mustache_set_free(set);
	json_object_put(data);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	static struct CMUnitTest tests[NCASES];

	for (size_t i = 0; i < NCASES; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = render_case;
		tests[i].initial_state = &cases[i];
	}
	return cmocka_run_group_tests_name("mustache-spec", tests, NULL, NULL);
}
