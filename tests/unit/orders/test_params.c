/*
 * The action parameter table (src/orders/params.c): the API reference
 * says what the table says, and reading a body or a form follows it —
 * every bad field reported at once, each with its own code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "orders/lifecycle.h"
#include "orders/params.h"
#include "orders/vocab.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;

	if (!f)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

/* The body schema of `action` in the API reference: "<Action>Body". */
static json_object *body_schema(json_object *doc, enum order_action action)
{
	char name[64];
	const char *code = action == ACT_REGISTER ? "order_create" : action_code(action);
	size_t k = 0;
	json_object *components, *schemas, *schema = NULL;

	for (bool up = true; *code && k < sizeof(name) - 5; code++) {
		if (*code == '_') {
			up = true;
			continue;
		}
		name[k++] = up ? (char)(*code - 'a' + 'A') : *code;
		up = false;
	}
	memcpy(name + k, action == ACT_REGISTER ? "" : "Body", action == ACT_REGISTER ? 1 : 5);
	json_object_object_get_ex(doc, "components", &components);
	json_object_object_get_ex(components, "schemas", &schemas);
	if (!json_object_object_get_ex(schemas, name, &schema))
		fail_msg("the API reference has no schema %s for action %s", name, action_code(action));
	return schema;
}

static bool listed_required(json_object *schema, const char *name)
{
	json_object *req;

	if (!json_object_object_get_ex(schema, "required", &req))
		return false;
	for (size_t i = 0; i < json_object_array_length(req); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(req, i)), name))
			return true;
	return false;
}

/* Every parameter of the table is in the reference with the same kind,
 * limits and choices, and the reference has no parameter the table lacks. */
static void the_api_reference_says_what_the_table_says(void **state)
{
	char *text = slurp(OPENAPI_JSON);
	json_object *doc = json_tokener_parse(text);

	assert_non_null(doc);
	for (int a = ACT_REGISTER; a < ACT_COUNT; a++) {
		size_t n;
		const struct param_spec *specs = params_of((enum order_action)a, &n);
		json_object *schema = body_schema(doc, (enum order_action)a), *props;

		assert_true(json_object_object_get_ex(schema, "properties", &props));
		assert_true(n <= PARAMS_PER_ACTION_MAX);
		for (size_t i = 0; i < n; i++) {
			const struct param_spec *s = &specs[i];
			json_object *p, *v;
			const char *act = action_code((enum order_action)a);

			if (!json_object_object_get_ex(props, s->name, &p))
				fail_msg("%s: parameter %s is not in the API reference", act, s->name);
			if (listed_required(schema, s->name) != (s->required && !s->unless[0]))
				fail_msg("%s: %s is required in one and not the other", act, s->name);
			switch (s->kind) {
			case PARAM_NUMBER:
				if (!json_object_object_get_ex(p, "maximum", &v) || json_object_get_int64(v) != s->max
				    || !json_object_object_get_ex(p, "minimum", &v) || json_object_get_int64(v) != s->min)
					fail_msg("%s: %s has a range other than %lld to %lld", act, s->name,
						 (long long)s->min, (long long)s->max);
				break;
			case PARAM_PHONE:
				if (!json_object_object_get_ex(p, "type", &v) || strcmp(json_object_get_string(v), "string"))
					fail_msg("%s: %s is not a string", act, s->name);
				break;
			case PARAM_TEXT:
			case PARAM_LINE:
			case PARAM_DEPARTMENT:
				if (!json_object_object_get_ex(p, "maxLength", &v) || json_object_get_int64(v) != s->max)
					fail_msg("%s: %s has maxLength other than %lld", act, s->name, (long long)s->max);
				break;
			case PARAM_INT:
				if (s->max < INT64_MAX
				    && (!json_object_object_get_ex(p, "maximum", &v) || json_object_get_int64(v) != s->max
					|| !json_object_object_get_ex(p, "minimum", &v) || json_object_get_int64(v) != s->min))
					fail_msg("%s: %s has a range other than %lld to %lld", act, s->name,
						 (long long)s->min, (long long)s->max);
				break;
			case PARAM_CHOICE:
				if (!json_object_object_get_ex(p, "enum", &v) || json_object_array_length(v) != s->choices->count)
					fail_msg("%s: %s lists other choices", act, s->name);
				for (size_t k = 0; k < s->choices->count; k++)
					if (strcmp(json_object_get_string(json_object_array_get_idx(v, k)),
						   s->choices->entries[k].code))
						fail_msg("%s: %s choice %zu is not %s", act, s->name, k,
							 s->choices->entries[k].code);
				break;
			case PARAM_BOOL:
			case PARAM_FLAG:
				if (!json_object_object_get_ex(p, "type", &v) || strcmp(json_object_get_string(v), "boolean"))
					fail_msg("%s: %s is not a boolean", act, s->name);
				break;
			case PARAM_TIME:
				if (!json_object_object_get_ex(p, "format", &v) || strcmp(json_object_get_string(v), "date-time"))
					fail_msg("%s: %s is not a date-time", act, s->name);
				break;
			case PARAM_DEPARTMENTS:
				if (!json_object_object_get_ex(p, "type", &v) || strcmp(json_object_get_string(v), "array"))
					fail_msg("%s: %s is not an array", act, s->name);
				break;
			}
		}
		json_object_object_foreach(props, key, val) {
			(void)val;
			if (strcmp(key, "version") && !param_find((enum order_action)a, key))
				fail_msg("%s: the API reference has %s, the table does not", action_code((enum order_action)a), key);
		}
	}
	json_object_put(doc);
	free(text);
}

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static void a_json_body_becomes_typed_parameters(void **state)
{
	json_object *body = parse("{\"result\": \"已修复\", \"solved\": true, \"contacted\": false, \"extra\": 1}");
	struct param_source src = params_from_json(body);
	struct action_params p;
	struct err e = ERR_INIT;

	assert_true(params_read(ACT_REPLY, &src, &p, &e));
	assert_string_equal(p.reply.result, "已修复");
	assert_int_equal(p.reply.solved, YN_YES);
	assert_int_equal(p.reply.contacted, YN_NO);
	json_object_put(body);

	body = parse("{\"target\": \"119\"}");
	src = params_from_json(body);
	assert_true(params_read(ACT_TRANSFER_OUT, &src, &p, &e));
	assert_int_equal(p.transfer_out.target, TRANSFER_119);
	json_object_put(body);

	body = parse("{\"department\": \"A\", \"assisting\": [\"B\", \"C\"], \"suggestion_rule\": \"12\"}");
	src = params_from_json(body);
	assert_true(params_read(ACT_DISPATCH, &src, &p, &e));
	assert_int_equal(p.dispatch.assisting.count, 2);
	assert_string_equal(p.dispatch.assisting.codes[1], "C");
	assert_int_equal(p.dispatch.suggestion_rule, 12);
	json_object_put(body);
}

/* Every bad field at once, each with its own code and arguments. */
static void every_bad_field_is_reported_with_its_own_code(void **state)
{
	json_object *body = parse("{\"reason\": \"  \", \"workdays\": 99, \"until\": \"noon\"}");
	struct param_source src = params_from_json(body);
	struct action_params p;
	struct err e = ERR_INIT;
	struct err_detail d;
	bool seen_range = false, seen_time = false, seen_required = false;

	assert_false(params_read(ACT_REQUEST_EXTENSION, &src, &p, &e));
	assert_int_equal(e.status, 422);
	assert_int_equal(e.nmore, 2);
	for (int i = 0; i <= e.nmore; i++) {
		err_detail_at(&e, i, &d);
		if (!strcmp(d.field, "workdays")) {
			assert_int_equal(d.code, ERR_OUT_OF_RANGE);
			assert_true(d.num[0] == 1 && d.num[1] == 60);
			seen_range = true;
		} else if (!strcmp(d.field, "until")) {
			assert_int_equal(d.code, ERR_BAD_TIME);
			seen_time = true;
		} else if (!strcmp(d.field, "reason")) {
			assert_int_equal(d.code, ERR_REQUIRED);
			seen_required = true;
		}
	}
	assert_true(seen_range && seen_time && seen_required);
	json_object_put(body);

	body = parse("{\"answer\": 5}");
	src = params_from_json(body);
	assert_false(params_read(ACT_ANSWER, &src, &p, &e));
	assert_int_equal(e.code, ERR_WRONG_TYPE);
	assert_int_equal(e.nmore, 0);	/* not also "required" */
	json_object_put(body);

	body = parse("{\"satisfaction\": \"happy\", \"solved\": true}");
	src = params_from_json(body);
	assert_false(params_read(ACT_CALLBACK, &src, &p, &e));
	assert_int_equal(e.code, ERR_UNKNOWN_CHOICE);
	assert_string_equal(e.text, "happy");
	json_object_put(body);
}

static void unreachable_waives_the_rating(void **state)
{
	json_object *body = parse("{\"unreachable\": true}");
	struct param_source src = params_from_json(body);
	struct action_params p;
	struct err e = ERR_INIT;

	assert_true(params_read(ACT_CALLBACK, &src, &p, &e));
	assert_true(p.callback.unreachable);
	assert_int_equal(p.callback.satisfaction, SAT_NONE);
	json_object_put(body);
	body = parse("{}");
	src = params_from_json(body);
	assert_false(params_read(ACT_CALLBACK, &src, &p, &e));
	assert_int_equal(e.nmore, 1);	/* satisfaction and solved */
	json_object_put(body);
}

/* A form: text values, repeated names for lists. */
struct fake_form {
	const char *pairs[8][2];
};

static const char *fake_get(void *form, const char *name)
{
	struct fake_form *f = form;

	for (int i = 0; i < 8 && f->pairs[i][0]; i++)
		if (!strcmp(f->pairs[i][0], name) && *f->pairs[i][1])
			return f->pairs[i][1];
	return NULL;
}

static size_t fake_list(void *form, const char *name, const char **out, size_t max)
{
	struct fake_form *f = form;
	size_t n = 0;

	for (int i = 0; i < 8 && f->pairs[i][0]; i++)
		if (!strcmp(f->pairs[i][0], name) && n < max)
			out[n++] = f->pairs[i][1];
	return n;
}

static void a_form_is_read_by_the_same_table(void **state)
{
	struct fake_form form = { { { "level", "2" }, { "note", "请加快" }, { NULL, NULL } } };
	struct param_source src = { .get = fake_get, .list = fake_list, .form = &form };
	struct action_params p;
	struct err e = ERR_INIT;

	assert_true(params_read(ACT_PRESS, &src, &p, &e));
	assert_int_equal(p.press.level, 2);
	assert_string_equal(p.press.note, "请加快");

	struct fake_form bad = { { { "level", "x" }, { NULL, NULL } } };
	src.form = &bad;
	assert_false(params_read(ACT_PRESS, &src, &p, &e));
	assert_int_equal(e.nmore, 1);	/* level not a number, note required */
	assert_int_equal(e.code, ERR_NOT_INTEGER);

	struct fake_form yes = { { { "result", "好了" }, { "solved", "maybe" }, { "contacted", "true" } } };
	src.form = &yes;
	assert_false(params_read(ACT_REPLY, &src, &p, &e));
	assert_int_equal(e.code, ERR_NOT_BOOLEAN);
	assert_string_equal(e.field, "solved");
}

/* The running-clock states: lifecycle.c's set, vocab.h's SQL list, and the
 * partial indexes of migration 0002 name the same states. */
static void the_clock_runs_in_one_set_of_states(void **state)
{
	char *sql = slurp(MIGRATION_ORDERS_SQL);

	for (int s = 0; s < ST_COUNT; s++) {
		char quoted[48];
		snprintf(quoted, sizeof(quoted), "'%s'", status_code((enum order_status)s));
		if (lifecycle_clock_runs((enum order_status)s) != (strstr(CLOCK_RUNS_SQL, quoted) != NULL))
			fail_msg("state %s: lifecycle_clock_runs() and CLOCK_RUNS_SQL disagree", quoted);
	}
	/* Migration 0002's partial index of running clocks lists them in this order. */
	assert_non_null(strstr(sql, "WHERE status IN ('dispatched', 'in_progress', 'return_requested', 'extension_requested'"));
	free(sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_api_reference_says_what_the_table_says),
		cmocka_unit_test(a_json_body_becomes_typed_parameters),
		cmocka_unit_test(every_bad_field_is_reported_with_its_own_code),
		cmocka_unit_test(unreachable_waives_the_rating),
		cmocka_unit_test(a_form_is_read_by_the_same_table),
		cmocka_unit_test(the_clock_runs_in_one_set_of_states),
	};
	return cmocka_run_group_tests_name("orders-params", tests, NULL, NULL);
}
