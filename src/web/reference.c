/*
 * Reference data for the forms (request types, urgencies, categories,
 * departments), read from the directory in one query per page that needs
 * it, and turned into option lists with the current choice marked.
 */
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "web/web_private.h"

static bool in_list(json_object *list, const char *code)
{
	for (size_t i = 0; list && code && i < json_object_array_length(list); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(list, i));
		if (s && !strcmp(s, code))
			return true;
	}
	return false;
}

static bool kind_matches(const char *kinds, const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;

	if (!kinds)
		return true;
	for (const char *p = kinds; n && (p = strstr(p, kind)); p += n)
		if ((p == kinds || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* A copy of option `item` with "selected" set as asked. */
static json_object *option(json_object *item, bool selected)
{
	json_object *o = json_object_new_object();

	json_object_object_foreach(item, key, val)
		json_object_object_add(o, key, json_object_get(val));
	json_object_object_add(o, "selected", json_object_new_boolean(selected));
	return o;
}

json_object *ref_options(json_object *list, const char *selected, json_object *selected_list,
			 const char *kinds)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *item = json_object_array_get_idx(list, i);
		const char *code = json_str(item, "code");
		if (!kind_matches(kinds, json_str(item, "kind")))
			continue;
		json_object_array_add(out, option(item, code && ((selected && !strcmp(code, selected))
								  || in_list(selected_list, code))));
	}
	return out;
}

json_object *ref_department_groups(json_object *ref, const char *selected, json_object *selected_list,
				   const char *under_path)
{
	static const struct {
		const char *label, *kinds;
	} groups[] = {
		{ "市级部门", "city,unit" },
		{ "区", "district" },
		{ "街道乡镇", "street" },
	};
	json_object *depts = json_object_object_get(ref, "departments");
	json_object *out = json_object_new_array();

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		json_object *options = json_object_new_array();
		for (size_t i = 0; depts && i < json_object_array_length(depts); i++) {
			json_object *item = json_object_array_get_idx(depts, i);
			const char *code = json_str(item, "code"), *path = json_str(item, "path");
			if (!code || !path || !kind_matches(groups[g].kinds, json_str(item, "kind")))
				continue;
			if (under_path && (strncmp(path, under_path, strlen(under_path)) || !strcmp(path, under_path)))
				continue;
			json_object_array_add(options, option(item, (selected && !strcmp(code, selected))
								     || in_list(selected_list, code)));
		}
		if (!json_object_array_length(options)) {
			json_object_put(options);
			continue;
		}
		json_object *group = json_object_new_object();
		json_object_object_add(group, "label", json_object_new_string(groups[g].label));
		json_object_object_add(group, "options", options);
		json_object_array_add(out, group);
	}
	return out;
}

json_object *ref_find(json_object *ref, const char *key, const char *code)
{
	json_object *list = json_object_object_get(ref, key);

	for (size_t i = 0; list && code && i < json_object_array_length(list); i++) {
		json_object *item = json_object_array_get_idx(list, i);
		const char *c = json_str(item, "code");
		if (c && !strcmp(c, code))
			return item;
	}
	return NULL;
}

const char *ref_department_name(json_object *ref, const char *code)
{
	return json_str(ref_find(ref, "departments", code), "name");
}
