/*
 * The routing rules (派单目录) under /admin/rules: the catalogue by
 * priority, a form to add a rule, one to edit or delete each. Rules are
 * stored by dispatch/dispatch.h, which compiles every pattern with PCRE2:
 * a pattern it refuses comes back with PCRE2's reason and the offset, which
 * the form shows beside the field with the pattern split at that place.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "dispatch/dispatch.h"
#include "web/web_private.h"

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* The text members of a rule, as rules_io.h names them. */
static const char *const text_members[] = {
	"name", "pattern", "applies_to", "category_prefix", "district", "street",
	"suggest_category", "suggest_department", "suggest_urgency",
};
static const char *const bool_members[] = { "caseless", "police", "active" };

static const char *const applies[][2] = {
	{ "content", "来电内容" }, { "address", "地址" }, { "both", "内容和地址" },
};
static const char *const urgencies[] = { "一般", "紧急", "特急" };

static const char *applies_label(const char *code)
{
	for (size_t i = 0; code && i < ARRAY_SIZE(applies); i++)
		if (!strcmp(code, applies[i][0]))
			return applies[i][1];
	return code ? code : "";
}

/* The submitted form as the JSON body of dispatch_rule_create/update(); NULL with `e`. */
static json_object *rule_body(const struct form *f, struct err *e)
{
	json_object *body = json_object_new_object();
	const char *priority = form_get_nonempty(f, "priority");

	for (size_t i = 0; i < ARRAY_SIZE(text_members); i++) {
		const char *v = form_get(f, text_members[i]);
		/* The pattern is kept as typed; the other members are trimmed by the empty test. */
		if (!strcmp(text_members[i], "pattern") ? v && *v : form_get_nonempty(f, text_members[i]) != NULL)
			add_string(body, text_members[i], v);
		else
			json_object_object_add(body, text_members[i], NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bool_members); i++) {
		const char *v = form_get(f, bool_members[i]);
		json_object_object_add(body, bool_members[i], json_object_new_boolean(v && !strcmp(v, "true")));
	}
	if (priority) {
		char *end;
		long long p = strtoll(priority, &end, 10);
		if (*end || strlen(priority) > 8) {
			json_object_put(body);
			err_field(e, 422, "priority", ERR_NOT_INTEGER, "field \"priority\" must be a whole number, not \"%s\"", priority);
			return NULL;
		}
		json_object_object_add(body, "priority", json_object_new_int64(p));
	}
	return body;
}

/* A rule's JSON as form values: strings as they are, booleans as "true" or absent. */
static json_object *rule_values(json_object *rule)
{
	json_object *v = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(text_members); i++)
		if (json_str(rule, text_members[i]))
			add_string(v, text_members[i], json_str(rule, text_members[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bool_members); i++)
		if (json_object_get_boolean(json_object_object_get(rule, bool_members[i])))
			add_string(v, bool_members[i], "true");
	if (json_object_object_get(rule, "priority"))
		add_string(v, "priority", json_object_get_string(json_object_object_get(rule, "priority")));
	return v;
}

/* Choices for a select: `list` items {code, name} with `selected` marked. */
static json_object *choices(const char *const (*list)[2], size_t n, const char *selected)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		add_string(o, "code", list[i][0]);
		add_string(o, "name", list[i][1]);
		json_object_object_add(o, "selected", json_object_new_boolean(selected && !strcmp(selected, list[i][0])));
		json_object_array_add(out, o);
	}
	return out;
}

/* Everything the rule form needs to render with `values`. */
static void add_rule_form(struct page *pg, json_object *values, json_object *ref)
{
	json_object *depts = json_object_object_get(ref, "departments");
	json_object *urg = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(urgencies); i++) {
		json_object *o = json_object_new_object();
		const char *sel = json_str(values, "suggest_urgency");
		add_string(o, "code", urgencies[i]);
		add_string(o, "name", urgencies[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(sel && !strcmp(sel, urgencies[i])));
		json_object_array_add(urg, o);
	}
	json_object_object_add(pg->data, "applies", choices(applies, ARRAY_SIZE(applies),
							   json_str(values, "applies_to") ? json_str(values, "applies_to") : "content"));
	json_object_object_add(pg->data, "urgency_opts", urg);
	json_object_object_add(pg->data, "category_opts",
			       ref_options(json_object_object_get(ref, "categories"), json_str(values, "suggest_category"), NULL, NULL));
	json_object_object_add(pg->data, "district_opts", ref_options(depts, json_str(values, "district"), NULL, "district"));
	json_object_object_add(pg->data, "street_opts", ref_options(depts, json_str(values, "street"), NULL, "street"));
	json_object_object_add(pg->data, "dept_groups", ref_department_groups(ref, json_str(values, "suggest_department"), NULL, NULL));
	json_object_object_add(pg->data, "form", json_object_get(values));
}

/* The byte offset of character `chars` in UTF-8 `s` (its length if shorter). */
static size_t byte_offset(const char *s, unsigned long chars)
{
	size_t i = 0;

	for (unsigned long c = 0; s[i] && c < chars; c++)
		for (i++; ((unsigned char)s[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

/*
 * For a pattern PCRE2 refused: "pattern_error" with the pattern split at
 * the offset ({"before", "at", "after", "offset"}), to mark the place.
 */
static void add_pattern_error(struct page *pg, const struct err *e, const char *pattern)
{
	json_object *pe;
	unsigned long chars;
	size_t at, len;

	if (strcmp(e->field, "pattern") || strcmp(e->ext_key, "offset") || !pattern)
		return;
	chars = strtoul(e->ext_value, NULL, 10);
	at = byte_offset(pattern, chars);
	len = pattern[at] ? byte_offset(pattern + at, 1) : 0;
	pe = json_object_new_object();
	json_object_object_add(pe, "before", json_object_new_string_len(pattern, (int)at));
	json_object_object_add(pe, "at", json_object_new_string_len(pattern + at, (int)len));
	json_object_object_add(pe, "after", json_object_new_string(pattern + at + len));
	json_object_object_add(pe, "offset", json_object_new_int64((int64_t)chars + 1));
	json_object_object_add(pe, "end", json_object_new_boolean(len == 0));
	json_object_object_add(pg->data, "pattern_error", pe);
}

/* The catalogue for the list: each rule with its conditions and suggestion in words. */
static json_object *rules_view(json_object *rules, json_object *ref)
{
	json_object *items = json_object_object_get(rules, "items");
	struct buf b = BUF_INIT;

	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		json_object *r = json_object_array_get_idx(items, i);
		json_object *v = json_object_new_object();
		const char *s;
		add_string(v, "applies", applies_label(json_str(r, "applies_to")));
		if ((s = json_str(r, "category_prefix")))
			buf_addf(&b, "分类 %s*", s);
		if ((s = json_str(r, "district")))
			buf_addf(&b, "%s%s", b.len ? "；" : "", ref_department_name(ref, s) ? ref_department_name(ref, s) : s);
		if ((s = json_str(r, "street")))
			buf_addf(&b, "%s%s", b.len ? "；" : "", ref_department_name(ref, s) ? ref_department_name(ref, s) : s);
		add_string(v, "where", b.data);
		buf_reset(&b);
		if ((s = json_str(r, "suggest_category"))) {
			const char *name = json_str(ref_find(ref, "categories", s), "name");
			buf_adds(&b, name ? name : s);
		}
		if ((s = json_str(r, "suggest_department"))) {
			const char *name = ref_department_name(ref, s);
			buf_addf(&b, "%s→ %s", b.len ? " " : "", name ? name : s);
			if (!name)
				json_object_object_add(v, "unknown_department", json_object_new_boolean(true));
		}
		if ((s = json_str(r, "suggest_urgency")))
			buf_addf(&b, "%s%s", b.len ? " · " : "", s);
		add_string(v, "suggest", b.data);
		buf_reset(&b);
		json_object_object_add(r, "view", v);
	}
	buf_release(&b);
	return items;
}

/*
 * The rule tester (试一试): the sample of the query (try_content, and
 * optionally try_address, try_category, try_district) matched against the
 * catalogue exactly as the console's suggestions match it: every rule that
 * matched, best first, with the words it matched marked in the sample, and
 * what it suggests. The first is what the console offers first.
 */
static void add_trial(struct page *pg, json_object *ref)
{
	static const char *const keys[][2] = {
		{ "try_content", "content" }, { "try_address", "address" },
		{ "try_category", "category" }, { "try_district", "district" },
	};
	const char *content = http_query(pg->req, "try_content");
	json_object *body, *out, *trial, *items;
	struct err e = ERR_INIT;

	trial = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		add_string(trial, keys[i][1], http_query(pg->req, keys[i][0]));
	json_object_object_add(pg->data, "try_category_opts",
			       ref_options(json_object_object_get(ref, "categories"), json_str(trial, "category"),
					   NULL, NULL));
	json_object_object_add(pg->data, "try_district_opts",
			       ref_options(json_object_object_get(ref, "departments"), json_str(trial, "district"),
					   NULL, "district"));
	json_object_object_add(pg->data, "trial", trial);
	if (!content || !*content)
		return;
	body = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = http_query(pg->req, keys[i][0]);
		if (v && *v)
			add_string(body, keys[i][1], v);
	}
	out = dispatch_suggest(pg->db, pg->who, body, &e);
	json_object_put(body);
	json_object_object_add(trial, "tried", json_object_new_boolean(true));
	if (!out) {
		struct buf msg = BUF_INIT;
		err_text(&msg, &e);
		add_string(trial, "error", msg.data);
		buf_release(&msg);
		return;
	}
	items = json_object_new_array();
	json_object *list = json_object_object_get(out, "suggestions");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *m = json_object_array_get_idx(list, i), *v = json_object_new_object();
		const char *field = json_str(m, "field");
		bool on_address = field && !strcmp(field, "address");
		const char *text = json_str(trial, on_address ? "address" : "content");
		size_t from = byte_offset(text, (unsigned long)json_object_get_int64(json_object_object_get(m, "start")));
		size_t to = byte_offset(text, (unsigned long)json_object_get_int64(json_object_object_get(m, "end")));
		json_object *cat = json_object_object_get(m, "category"), *dept = json_object_object_get(m, "department");
		json_object *urg = json_object_object_get(m, "urgency");

		json_object_object_add(v, "first", json_object_new_boolean(i == 0));
		json_object_object_add(v, "rule_id", json_object_get(json_object_object_get(json_object_object_get(m, "rule"), "id")));
		add_string(v, "name", json_str(json_object_object_get(m, "rule"), "name"));
		json_object_object_add(v, "priority", json_object_get(json_object_object_get(m, "priority")));
		add_string(v, "field", on_address ? "地址" : "来电内容");
		json_object_object_add(v, "before", json_object_new_string_len(text, (int)from));
		json_object_object_add(v, "matched", json_object_new_string_len(text + from, (int)(to - from)));
		add_string(v, "after", text + to);
		add_string(v, "category", cat ? json_str(cat, "name") : NULL);
		add_string(v, "department", dept ? json_str(dept, "name") : NULL);
		add_string(v, "urgency", urg ? json_str(urg, "name") : NULL);
		json_object_object_add(v, "police", json_object_get(json_object_object_get(m, "police")));
		json_object_array_add(items, v);
	}
	json_object_object_add(trial, "any", json_object_new_boolean(json_object_array_length(items) > 0));
	json_object_object_add(trial, "items", items);
	json_object_object_add(trial, "evaluated", json_object_get(json_object_object_get(out, "rules_evaluated")));
	json_object_object_add(trial, "matched_count", json_object_get(json_object_object_get(out, "rules_matched")));
	json_object_object_add(trial, "shown_max", json_object_new_int(DISPATCH_MAX_SUGGESTIONS));
	json_object_put(out);
}

/*
 * The list page, with the add form (`values` re-renders a refused one).
 */
static void rules_show(struct page *pg, int status, json_object *values)
{
	struct err e = ERR_INIT;
	json_object *rules = dispatch_rules_list(pg->db, &e), *ref = rules ? reference_choices(pg->db, &e) : NULL;
	json_object *fresh = NULL;

	if (!rules || !ref) {
		json_object_put(rules);
		page_fail(pg->req, &e);
		return;
	}
	if (!values) {
		fresh = json_object_new_object();
		add_string(fresh, "active", "true");
		add_string(fresh, "applies_to", "content");
		add_string(fresh, "priority", "50");
	}
	add_rule_form(pg, values ? values : fresh, ref);
	add_trial(pg, ref);
	json_object_object_add(pg->data, "rules", json_object_get(rules_view(rules, ref)));
	json_object_object_add(pg->data, "version", json_object_get(json_object_object_get(rules, "version")));
	json_object_object_add(pg->data, "rule_count",
			       json_object_new_int((int)json_object_array_length(json_object_object_get(rules, "items"))));
	json_object_object_add(pg->data, "add_open", json_object_new_boolean(values != NULL));
	json_object_put(fresh);
	json_object_put(rules);
	json_object_put(ref);
	page_render(pg, status, "admin/rules");
}

static const char *const rule_labels[] = { "name", "规则名称", "district", "限定区", "street", "限定街道", NULL };

void page_admin_rules(struct http_req *req)
{
	static const char *const notices[][2] = {
		{ "added", "已添加规则「%s」，新规则在一秒内对所有受理台生效。" },
		{ "saved", "已保存规则「%s」。" },
		{ "deleted", "已删除规则「%s」。" },
	};
	struct page pg;

	if (!admin_begin(req, "rules", "派单规则", &pg))
		return;
	admin_flash(&pg, notices, ARRAY_SIZE(notices));
	rules_show(&pg, 200, NULL);
	page_end(&pg);
}

/* The rule id of the path, or 0 after replying 404. */
static int64_t rule_id_or_fail(struct page *pg)
{
	struct err e = ERR_INIT;
	const char *s = http_param(pg->req, "id");
	char *end;
	long long id = s ? strtoll(s, &end, 10) : 0;

	if (!s || !*s || *end || id <= 0) {
		err_set(&e, 404, ERR_PAGE_NOT_FOUND, "no routing rule \"%s\"", s ? s : "");
		page_fail(pg->req, &e);
		return 0;
	}
	return id;
}

/* The edit page of `rule` (`values` re-renders a refused form). */
static void rule_show(struct page *pg, int status, json_object *rule, json_object *values)
{
	struct err e = ERR_INIT;
	json_object *ref = reference_choices(pg->db, &e), *v = values ? json_object_get(values) : rule_values(rule);

	if (!ref) {
		json_object_put(v);
		page_fail(pg->req, &e);
		return;
	}
	struct buf when = BUF_INIT;
	add_rule_form(pg, v, ref);
	view_time(&when, json_str(rule, "updated_at"));
	add_string(rule, "updated", when.data);
	buf_release(&when);
	json_object_object_add(pg->data, "rule", json_object_get(rule));
	json_object_put(v);
	json_object_put(ref);
	page_render(pg, status, "admin/rule");
}

void page_admin_rule(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	json_object *rule;
	int64_t id;

	if (!admin_begin(req, "rules", "编辑派单规则", &pg))
		return;
	if ((id = rule_id_or_fail(&pg))) {
		if ((rule = dispatch_rule_get(pg.db, id, &e)))
			rule_show(&pg, 200, rule, NULL);
		else
			page_fail(req, &e);
		json_object_put(rule);
	}
	page_end(&pg);
}

/* Create (id 0) or update: stores the form's rule, or shows the form again with the refusal. */
static void rule_save(struct http_req *req, bool create)
{
	struct err e = ERR_INIT;
	struct page pg;
	struct form f;
	json_object *body = NULL, *saved = NULL, *rule = NULL;
	int64_t id = 0;

	if (!admin_begin(req, "rules", create ? "派单规则" : "编辑派单规则", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	if (!create && !(id = rule_id_or_fail(&pg)))
		goto out;
	if ((body = rule_body(&f, &e)))
		saved = create ? dispatch_rule_create(pg.db, body, &e) : dispatch_rule_update(pg.db, id, body, &e);
	if (saved) {
		page_redirect(&pg, "/admin/rules", "done", create ? "added" : "saved", "what", json_str(saved, "name"), NULL);
	} else if (e.status == 422 || e.status == 400) {
		json_object *values = form_values(&f, NULL);
		page_form_error(&pg, &e, rule_labels);
		add_pattern_error(&pg, &e, form_get(&f, "pattern"));
		if (create)
			rules_show(&pg, 422, values);
		else if ((rule = dispatch_rule_get(pg.db, id, &e)))
			rule_show(&pg, 422, rule, values);
		else
			page_fail(req, &e);
		json_object_put(values);
	} else {
		page_fail(req, &e);
	}
out:
	json_object_put(rule);
	json_object_put(saved);
	json_object_put(body);
	form_release(&f);
	page_end(&pg);
}

void page_admin_rule_create(struct http_req *req)
{
	rule_save(req, true);
}

void page_admin_rule_update(struct http_req *req)
{
	rule_save(req, false);
}

void page_admin_rule_delete(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct page pg;
	json_object *rule = NULL;
	int64_t id;

	if (!admin_begin(req, "rules", "派单规则", &pg))
		return;
	if ((id = rule_id_or_fail(&pg))) {
		if ((rule = dispatch_rule_get(pg.db, id, &e)) && dispatch_rule_delete(pg.db, id, &e))
			page_redirect(&pg, "/admin/rules", "done", "deleted", "what", json_str(rule, "name"), NULL);
		else
			page_fail(req, &e);
	}
	json_object_put(rule);
	page_end(&pg);
}
