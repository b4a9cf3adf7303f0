/*
 * The action forms of an order: which to show (exactly the order's
 * "allowed_actions", which come from lifecycle_allowed(), the table the
 * API uses), what each needs to render, and the JSON body each submitted
 * form becomes for orders_act().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonutil.h"
#include "web/web_private.h"

enum param_kind { P_TEXT, P_BOOL, P_INT, P_LIST };

struct param {
	const char *name;
	enum param_kind kind;
};

#define MAX_PARAMS 5

/*
 * The parameters each action takes from its form (see orders_act()). A
 * dispatch also carries the suggestion the agent accepted, for the
 * dispatch module's record of suggestions followed.
 */
static const struct param params[ACT_COUNT][MAX_PARAMS] = {
	[ACT_ANSWER] = { { "answer", P_TEXT } },
	[ACT_NOT_ACCEPT] = { { "reason", P_TEXT }, { "channel_advice", P_TEXT } },
	[ACT_TRANSFER_OUT] = { { "target", P_TEXT }, { "note", P_TEXT } },
	[ACT_DISPATCH] = { { "department", P_TEXT }, { "assisting", P_LIST }, { "note", P_TEXT },
			   { "suggestion_rule", P_TEXT }, { "suggested_department", P_TEXT } },
	[ACT_SIGN] = { { "note", P_TEXT } },
	[ACT_RETURN] = { { "reason", P_TEXT } },
	[ACT_APPROVE_RETURN] = { { "department", P_TEXT }, { "assisting", P_LIST }, { "note", P_TEXT } },
	[ACT_REJECT_RETURN] = { { "reason", P_TEXT } },
	[ACT_SUB_DISPATCH] = { { "department", P_TEXT }, { "note", P_TEXT } },
	[ACT_REQUEST_EXTENSION] = { { "reason", P_TEXT }, { "until", P_TEXT }, { "workdays", P_INT } },
	[ACT_APPROVE_EXTENSION] = { { "note", P_TEXT } },
	[ACT_REJECT_EXTENSION] = { { "note", P_TEXT } },
	[ACT_SUSPEND] = { { "reason", P_TEXT } },
	[ACT_RESUME] = { { "note", P_TEXT } },
	[ACT_REPLY] = { { "result", P_TEXT }, { "solved", P_BOOL }, { "contacted", P_BOOL } },
	[ACT_CALLBACK] = { { "satisfaction", P_TEXT }, { "solved", P_BOOL }, { "note", P_TEXT } },
	[ACT_REOPEN] = { { "reason", P_TEXT } },
	[ACT_MERGE] = { { "into", P_TEXT }, { "note", P_TEXT } },
	[ACT_PRESS] = { { "note", P_TEXT }, { "level", P_INT } },
	[ACT_ARCHIVE] = { { "note", P_TEXT } },
};

/* Actions whose form is shown open: the usual next step in that state. */
static bool primary(enum order_action a)
{
	return a == ACT_DISPATCH || a == ACT_SIGN || a == ACT_REPLY || a == ACT_CALLBACK
	       || a == ACT_APPROVE_EXTENSION || a == ACT_APPROVE_RETURN;
}

/* Parses a whole number of at most 9 digits (an optional sign). */
static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || strlen(s) > 10)
		return false;
	v = strtoll(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

json_object *actions_body(enum order_action action, const struct form *f, struct err *e)
{
	json_object *body = json_object_new_object();
	const char *version = form_get_nonempty(f, "version");
	int64_t n;

	if (version && parse_int(version, &n))
		json_object_object_add(body, "version", json_object_new_int64(n));
	for (size_t i = 0; action < ACT_COUNT && i < MAX_PARAMS && params[action][i].name; i++) {
		const struct param *p = &params[action][i];
		const char *v = form_get_nonempty(f, p->name);

		switch (p->kind) {
		case P_TEXT:
			if (v)
				json_object_object_add(body, p->name, json_object_new_string(v));
			break;
		case P_BOOL:
			if (v && (!strcmp(v, "true") || !strcmp(v, "false")))
				json_object_object_add(body, p->name, json_object_new_boolean(v[0] == 't'));
			break;
		case P_INT:
			if (!v)
				break;
			if (!parse_int(v, &n)) {
				json_object_put(body);
				err_field(e, 422, p->name, "field \"%s\" must be a whole number, not \"%s\"",
					  p->name, v);
				return NULL;
			}
			json_object_object_add(body, p->name, json_object_new_int64(n));
			break;
		case P_LIST: {
			json_object *list = json_object_new_array();
			for (size_t k = 0; k < f->n; k++)
				if (!strcmp(f->pairs[k].name, p->name) && f->pairs[k].value[0])
					json_object_array_add(list, json_object_new_string(f->pairs[k].value));
			json_object_object_add(body, p->name, list);
			break;
		}
		}
	}
	return body;
}

void action_failure_release(struct action_failure *f)
{
	json_object_put(f->errors);
	json_object_put(f->values);
	f->errors = f->values = NULL;
	f->action = -1;
}

static json_object *choices(const char *const (*list)[2], size_t n, const char *selected,
			    const char *dflt)
{
	json_object *out = json_object_new_array();

	if (!selected)
		selected = dflt;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(list[i][0]));
		json_object_object_add(o, "name", json_object_new_string(list[i][1]));
		json_object_object_add(o, "selected",
				       json_object_new_boolean(selected && !strcmp(selected, list[i][0])));
		json_object_array_add(out, o);
	}
	return out;
}

static const char *const targets[][2] = {
	{ "110", "110 报警服务台" }, { "119", "119 消防" }, { "120", "120 急救" }, { "122", "122 交通事故" },
};
static const char *const satisfactions[][2] = {
	{ "satisfied", "满意" }, { "basically", "基本满意" }, { "unsatisfied", "不满意" },
};
static const char *const levels[][2] = {
	{ "1", "一级（催办）" }, { "2", "二级（督办）" }, { "3", "三级（挂牌督办）" },
};
#define N(t) (sizeof(t) / sizeof(t[0]))

/* chk.<name>_true / chk.<name>_false for the radio buttons of a yes/no field. */
static void add_checks(json_object *chk, json_object *values, const char *name)
{
	const char *v = json_str(values, name);
	char key[64];

	if (!v || (strcmp(v, "true") && strcmp(v, "false")))
		return;
	snprintf(key, sizeof(key), "%s_%s", name, v);
	json_object_object_add(chk, key, json_object_new_boolean(true));
}

/* True if a department viewer's unit is the order's lead unit or above it. */
static bool viewer_leads(json_object *order, json_object *ref, const struct principal *who)
{
	json_object *lead = json_object_object_get(order, "lead_department");
	const char *path = json_str(ref_find(ref, "departments", json_str(lead, "code")), "path");

	if (!principal_is_department(who) || !path)
		return true;
	return !strncmp(path, who->department_path, strlen(who->department_path));
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
		json_object *chk = json_object_new_object();
		const char *dept = json_str(values, "department");

		json_object_object_add(a, "action", json_object_new_string(code));
		json_object_object_add(a, "name", json_object_new_string(json_str(item, "name")));
		json_object_object_add(is, code, json_object_new_boolean(true));
		json_object_object_add(a, "is", is);
		json_object_object_add(a, "open", json_object_new_boolean(this_failed || primary((enum order_action)action)));
		json_object_object_add(a, "aerr", this_failed && failure->errors ? json_object_get(failure->errors)
								      : json_object_new_object());
		json_object_object_add(a, "aval", values ? json_object_get(values) : json_object_new_object());
		/* Always set, so that the template never finds the page's own "error". */
		json_object_object_add(a, "error", json_object_new_string(this_failed ? failure->message : ""));
		json_object_object_add(a, "back", json_object_new_string(back ? back : ""));
		json_object_object_add(a, "suggested", json_object_new_boolean(false));
		switch ((enum order_action)action) {
		case ACT_DISPATCH:
		case ACT_APPROVE_RETURN:
			json_object_object_add(a, "dept_groups", ref_department_groups(ref, dept, NULL, NULL));
			json_object_object_add(a, "assist_groups",
					       ref_department_groups(ref, NULL, json_object_object_get(values, "assisting"), NULL));
			break;
		case ACT_SUB_DISPATCH:
			json_object_object_add(a, "dept_groups",
					       ref_department_groups(ref, dept, NULL, who->department_path));
			break;
		case ACT_TRANSFER_OUT:
			json_object_object_add(a, "targets", choices(targets, N(targets), json_str(values, "target"), "110"));
			break;
		case ACT_CALLBACK:
			json_object_object_add(a, "satisfactions",
					       choices(satisfactions, N(satisfactions), json_str(values, "satisfaction"), NULL));
			add_checks(chk, values, "solved");
			break;
		case ACT_REPLY:
			add_checks(chk, values, "solved");
			add_checks(chk, values, "contacted");
			break;
		case ACT_PRESS:
			json_object_object_add(a, "levels", choices(levels, N(levels), json_str(values, "level"), "1"));
			break;
		default:
			break;
		}
		json_object_object_add(a, "chk", chk);
		json_object_array_add(out, a);
	}
	json_object_object_add(order, "actions", out);
	json_object_object_add(order, "has_actions", json_object_new_boolean(json_object_array_length(out) > 0));
}
