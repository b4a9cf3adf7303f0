/*
 * The action forms of an order: which to show (exactly the order's
 * "allowed_actions", which come from lifecycle_allowed(), the table the
 * API uses), and their fields, read from the action parameter table
 * (orders/params.c): a field's label, whether it is required, its kind and
 * its choices come from there, so a new parameter needs no change here or
 * in the template. A submitted form is read by the same table
 * (params_read() through form_source()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "orders/orders.h"
#include "orders/params.h"
#include "web/web_private.h"

/* Actions whose form is shown open: the usual next step in that state. */
static bool primary(enum order_action a)
{
	return a == ACT_DISPATCH || a == ACT_SIGN || a == ACT_REPLY || a == ACT_CALLBACK
	       || a == ACT_APPROVE_EXTENSION || a == ACT_APPROVE_RETURN;
}

void action_failure_release(struct action_failure *f)
{
	json_object_put(f->errors);
	json_object_put(f->values);
	f->errors = f->values = NULL;
	f->action = -1;
}

/* The options of a choice (or of a number offered as a list), `selected` chosen. */
static json_object *options(const struct vocab *v, const char *selected)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < v->count; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(v->entries[i].code));
		json_object_object_add(o, "label", json_object_new_string(v->entries[i].label));
		json_object_object_add(o, "selected",
				       json_object_new_boolean(selected && !strcmp(selected, v->entries[i].code)));
		json_object_array_add(out, o);
	}
	return out;
}

/*
 * One field of an action's form, from its row of the parameter table:
 * {name, id, label, required, hint, value, error, is.<kind>, and for the
 * kinds that need them options, yes/no, dept_groups}. `values` and
 * `errors` are the submitted values and their messages, or NULL.
 */
static json_object *field_view(enum order_action action, const struct param_spec *s,
			       json_object *values, json_object *errors, json_object *ref,
			       const struct principal *who)
{
	json_object *f = json_object_new_object(), *is = json_object_new_object();
	const char *value = json_str(values, s->name);
	const char *error = json_str(errors, s->name);
	char id[96];

	snprintf(id, sizeof(id), "a-%s-%s", action_code(action), s->name);
	json_add_string(f, "name", s->name);
	json_add_string(f, "id", id);
	json_add_string(f, "label", s->label);
	json_object_object_add(f, "required", json_object_new_boolean(s->required && !s->unless[0]));
	/* Always set, so that the template never finds the action's own. */
	json_add_string(f, "hint", s->hint ? s->hint : "");
	json_add_string(f, "value", value ? value : "");
	json_add_string(f, "error", error ? error : "");
	if (s->hidden) {
		json_object_object_add(is, "hidden", json_object_new_boolean(value != NULL));
		json_object_object_add(f, "is", is);
		return f;
	}
	switch (s->kind) {
	case PARAM_TEXT:
		json_object_object_add(is, s->rows ? "textarea" : "text", json_object_new_boolean(true));
		json_object_object_add(f, "rows", json_object_new_int(s->rows));
		break;
	case PARAM_LINE:
	case PARAM_PHONE:
	case PARAM_NUMBER:
		json_object_object_add(is, "text", json_object_new_boolean(true));
		break;
	case PARAM_BOOL:
	case PARAM_FLAG:
		json_object_object_add(is, "yes_no", json_object_new_boolean(true));
		json_object_object_add(f, "yes", json_object_new_boolean(value && !strcmp(value, "true")));
		json_object_object_add(f, "no", json_object_new_boolean(value && !strcmp(value, "false")));
		break;
	case PARAM_INT:
		if (s->choices) {
			json_object_object_add(is, "select", json_object_new_boolean(true));
			json_object_object_add(f, "options", options(s->choices, value ? value : vocab_code(s->choices, 0)));
		} else {
			json_object_object_add(is, "number", json_object_new_boolean(true));
			json_object_object_add(f, "min", json_object_new_int64(s->min));
			json_object_object_add(f, "max", json_object_new_int64(s->max));
		}
		break;
	case PARAM_TIME:
		json_object_object_add(is, "time", json_object_new_boolean(true));
		break;
	case PARAM_CHOICE:
		/* A few choices read best as radio buttons; the required ones start unchosen. */
		if (s->choices->count <= 3) {
			json_object_object_add(is, "radio", json_object_new_boolean(true));
			json_object_object_add(f, "options", options(s->choices, value));
		} else {
			json_object_object_add(is, "select", json_object_new_boolean(true));
			json_object_object_add(f, "options", options(s->choices, value ? value : vocab_code(s->choices, 0)));
		}
		break;
	case PARAM_DEPARTMENT:
		json_object_object_add(is, "department", json_object_new_boolean(true));
		json_object_object_add(f, "dept_groups",
				       ref_department_groups(ref, value, NULL,
							     action == ACT_SUB_DISPATCH ? who->department_path : NULL));
		break;
	case PARAM_DEPARTMENTS:
		json_object_object_add(is, "departments", json_object_new_boolean(true));
		json_object_object_add(f, "dept_groups",
				       ref_department_groups(ref, NULL, json_object_object_get(values, s->name), NULL));
		break;
	}
	json_object_object_add(f, "is", is);
	return f;
}

void actions_fields(json_object *a, json_object *ref, const struct principal *who)
{
	int action = action_parse(json_str(a, "action"));
	json_object *values = json_object_object_get(a, "aval"), *errors = json_object_object_get(a, "aerr");
	json_object *fields = json_object_new_array();
	size_t n;
	const struct param_spec *specs = params_of((enum order_action)action, &n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(fields, field_view((enum order_action)action, &specs[i], values, errors,
							 ref, who));
	json_object_object_add(a, "fields", fields);
}

/* True if a department viewer's unit is the order's lead unit or above it. */
static bool viewer_leads(json_object *order, json_object *ref, const struct principal *who)
{
	json_object *lead = json_object_object_get(order, "lead_department");
	const char *path = json_str(ref_find(ref, "departments", json_str(lead, "code")), "path");

	return !path || orders_led_by(who, path);
}

void actions_view(json_object *order, json_object *ref, const struct principal *who,
		  const struct action_failure *failure, const char *back)
{
	json_object *allowed = json_object_object_get(order, "allowed_actions");
	json_object *out = json_object_new_array();
	int failed = failure ? failure->action : -1;

	json_object_object_add(order, "assist_only", json_object_new_boolean(!viewer_leads(order, ref, who)));
	if (!viewer_leads(order, ref, who))
		allowed = NULL;
	for (size_t i = 0; allowed && i < json_object_array_length(allowed); i++) {
		json_object *item = json_object_array_get_idx(allowed, i);
		const char *code = json_str(item, "action");
		int action = action_parse(code);
		if (action < 0)
			continue;
		bool this_failed = action == failed;
		json_object *values = this_failed && failure->values ? failure->values : NULL;
		json_object *a = json_object_new_object();
		json_object *is = json_object_new_object();

		json_object_object_add(a, "action", json_object_new_string(code));
		json_object_object_add(a, "name", json_object_new_string(json_str(item, "name")));
		json_object_object_add(is, code, json_object_new_boolean(true));
		json_object_object_add(a, "is", is);
		json_object_object_add(a, "open", json_object_new_boolean(this_failed || primary((enum order_action)action)));
		json_object_object_add(a, "aerr", this_failed && failure->errors ? json_object_get(failure->errors)
								      : json_object_new_object());
		json_object_object_add(a, "aval", values ? json_object_get(values) : json_object_new_object());
		/* Always set, so that the template never finds the page's own "error". */
		json_object_object_add(a, "error", json_object_new_string(this_failed && !failure->fielded
									  ? failure->message : ""));
		json_object_object_add(a, "back", json_object_new_string(back ? back : ""));
		json_object_object_add(a, "suggested", json_object_new_boolean(false));
		actions_fields(a, ref, who);
		json_object_array_add(out, a);
	}
	json_object_object_add(order, "actions", out);
	json_object_object_add(order, "has_actions", json_object_new_boolean(json_object_array_length(out) > 0));
}
