/*
 * The routing rules in the database (routing_rule), their import and
 * export, and the compiled rule set this process shares between threads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/array.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "dispatch/dispatch.h"
#include "dispatch/dispatch_private.h"
#include "routing/rules_io.h"

#define RULE_NAME_MAX 200
#define RULE_CODE_MAX 64

static const char rule_columns[] =
	"id, priority, name, pattern, applies_to, category_prefix, district, street,"
	" suggest_category, suggest_department, suggest_urgency, police, caseless, active,"
	" iso(updated_at) AS updated_at";

/* ------------------------------------------------------ rows and JSON */

/* Fills `def` with pointers into `r` (valid until db_res_free). */
static void row_def(const struct db_res *r, int i, struct rule_def *def)
{
	enum rule_target t = RULE_ON_CONTENT;

	rule_target_parse(db_res_str(r, i, "applies_to"), &t);
	memset(def, 0, sizeof(*def));
	def->id = db_res_ll(r, i, "id");
	def->priority = (int)db_res_ll(r, i, "priority");
	def->name = db_res_str(r, i, "name");
	def->pattern = db_res_str(r, i, "pattern");
	def->caseless = db_res_bool(r, i, "caseless");
	def->applies_to = t;
	def->category_prefix = db_res_str(r, i, "category_prefix");
	def->district = db_res_str(r, i, "district");
	def->street = db_res_str(r, i, "street");
	def->suggest_category = db_res_str(r, i, "suggest_category");
	def->suggest_department = db_res_str(r, i, "suggest_department");
	def->suggest_urgency = db_res_str(r, i, "suggest_urgency");
	def->police = db_res_bool(r, i, "police");
}

static void add_opt(json_object *o, const char *key, const char *value)
{
	json_add_string(o, key, value && *value ? value : NULL);
}

static json_object *rule_json(const struct db_res *r, int i)
{
	json_object *o = json_object_new_object();
	struct rule_def d;

	row_def(r, i, &d);
	json_object_object_add(o, "id", json_object_new_int64(d.id));
	json_object_object_add(o, "priority", json_object_new_int(d.priority));
	json_add_string(o, "name", d.name);
	json_add_string(o, "pattern", d.pattern);
	json_object_object_add(o, "caseless", json_object_new_boolean(d.caseless));
	json_add_string(o, "applies_to", rule_target_name(d.applies_to));
	add_opt(o, "category_prefix", d.category_prefix);
	add_opt(o, "district", d.district);
	add_opt(o, "street", d.street);
	add_opt(o, "suggest_category", d.suggest_category);
	add_opt(o, "suggest_department", d.suggest_department);
	add_opt(o, "suggest_urgency", d.suggest_urgency);
	json_object_object_add(o, "police", json_object_new_boolean(d.police));
	json_object_object_add(o, "active", json_object_new_boolean(db_res_bool(r, i, "active")));
	json_add_string(o, "updated_at", db_res_str(r, i, "updated_at"));
	return o;
}

/* ------------------------------------------------------------ the body */

static const char *const body_members[] = {
	"id", "priority", "name", "pattern", "caseless", "applies_to", "category_prefix",
	"district", "street", "suggest_category", "suggest_department", "suggest_urgency",
	"police", "active", "updated_at",
};

/* An optional string member: absent, null and "" are all "no value". */
static bool opt_text(json_object *body, const char *key, size_t max_chars, const char **out,
		     struct err *e)
{
	*out = NULL;
	if (!json_get_string(body, key, false, out, e))
		return false;
	if (*out && !**out)
		*out = NULL;
	if (*out && strlen(*out) > max_chars * 4)
		return err_field(e, 422, key, ERR_TOO_LONG, "%s is too long (at most %zu characters)", key, max_chars);
	return true;
}

/*
 * Reads a rule from a request body. "id" and "updated_at" are accepted
 * (a rule read with GET can be sent back) and ignored; any other unknown
 * member is refused, to catch typos. The strings borrow from `body`.
 */
static bool parse_body(json_object *body, struct rule_def *def, bool *active, struct err *e)
{
	const char *applies = NULL;
	int64_t priority = 0;

	memset(def, 0, sizeof(*def));
	*active = true;
	json_object_object_foreach(body, key, val) {
		bool known = false;
		(void)val;
		for (size_t i = 0; i < ARRAY_SIZE(body_members); i++)
			if (!strcmp(key, body_members[i]))
				known = true;
		if (!known)
			return err_field(e, 422, key, ERR_UNKNOWN_MEMBER, "unknown member \"%s\" in a routing rule", key);
	}
	if (!json_get_int(body, "priority", false, &priority, e)
	    || !json_get_string(body, "name", true, &def->name, e)
	    || !json_get_string(body, "pattern", true, &def->pattern, e)
	    || !json_get_bool(body, "caseless", false, &def->caseless, e)
	    || !json_get_string(body, "applies_to", false, &applies, e)
	    || !opt_text(body, "category_prefix", RULE_CODE_MAX, &def->category_prefix, e)
	    || !opt_text(body, "district", RULE_CODE_MAX, &def->district, e)
	    || !opt_text(body, "street", RULE_CODE_MAX, &def->street, e)
	    || !opt_text(body, "suggest_category", RULE_CODE_MAX, &def->suggest_category, e)
	    || !opt_text(body, "suggest_department", RULE_CODE_MAX, &def->suggest_department, e)
	    || !opt_text(body, "suggest_urgency", 8, &def->suggest_urgency, e)
	    || !json_get_bool(body, "police", false, &def->police, e)
	    || !json_get_bool(body, "active", false, active, e))
		return false;
	if (priority < -1000000 || priority > 1000000)
		return err_field_n(e, 422, "priority", ERR_OUT_OF_RANGE, -1000000, 1000000, "priority %" PRId64 " is out of range -1000000 to 1000000",
				 priority);
	def->priority = (int)priority;
	if (strlen(def->name) > RULE_NAME_MAX * 4)
		return err_field(e, 422, "name", ERR_TOO_LONG, "name is too long (at most %d characters)", RULE_NAME_MAX);
	def->applies_to = RULE_ON_CONTENT;
	if (applies && !rule_target_parse(applies, &def->applies_to))
		return err_field(e, 422, "applies_to", ERR_UNKNOWN_CHOICE,
				 "applies_to \"%s\" is not content, address or both", applies);
	return dispatch_rule_check(def, e);
}

bool dispatch_rule_check(const struct rule_def *def, struct err *e)
{
	/* A bad pattern's offset comes as the error's "offset" member. */
	return rule_def_check(def, e);
}

/* The parameters of an INSERT or UPDATE of routing_rule, $2..$14. */
struct rule_params {
	char priority[16];
	const char *v[13];
};

static void rule_params_fill(struct rule_params *p, const struct rule_def *d, bool active)
{
	snprintf(p->priority, sizeof(p->priority), "%d", d->priority);
	p->v[0] = p->priority;
	p->v[1] = d->name;
	p->v[2] = d->pattern;
	p->v[3] = rule_target_name(d->applies_to ? d->applies_to : RULE_ON_CONTENT);
	p->v[4] = d->category_prefix && *d->category_prefix ? d->category_prefix : NULL;
	p->v[5] = d->district && *d->district ? d->district : NULL;
	p->v[6] = d->street && *d->street ? d->street : NULL;
	p->v[7] = d->suggest_category && *d->suggest_category ? d->suggest_category : NULL;
	p->v[8] = d->suggest_department && *d->suggest_department ? d->suggest_department : NULL;
	p->v[9] = d->suggest_urgency && *d->suggest_urgency ? d->suggest_urgency : NULL;
	p->v[10] = d->police ? "true" : "false";
	p->v[11] = d->caseless ? "true" : "false";
	p->v[12] = active ? "true" : "false";
}

static const char insert_sql[] =
	"INSERT INTO routing_rule (priority, name, pattern, applies_to, category_prefix, district,"
	" street, suggest_category, suggest_department, suggest_urgency, police, caseless, active)"
	" VALUES ($1::integer, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::boolean, $12::boolean,"
	" $13::boolean) RETURNING id";

static const char update_sql[] =
	"UPDATE routing_rule SET priority = $2::integer, name = $3, pattern = $4, applies_to = $5,"
	" category_prefix = $6, district = $7, street = $8, suggest_category = $9,"
	" suggest_department = $10, suggest_urgency = $11, police = $12::boolean,"
	" caseless = $13::boolean, active = $14::boolean, updated_at = now()"
	" WHERE id = $1 RETURNING id";

/*
 * Refuses a rule that would suggest a department or category that does not
 * exist: an agent accepting the suggestion would dispatch to nowhere.
 */
static bool suggestions_exist(struct db *db, const struct rule_def *d, struct err *e)
{
	const char *dept = d->suggest_department && *d->suggest_department ? d->suggest_department : NULL;
	const char *cat = d->suggest_category && *d->suggest_category ? d->suggest_category : NULL;
	struct db_res *r;
	bool ok = true;

	if (!dept && !cat)
		return true;
	r = DB_EXEC(db, e,
		    "SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM department WHERE code = $1 AND active))"
		    "  AS dept_ok,"
		    " ($2::text IS NULL OR EXISTS (SELECT 1 FROM category WHERE code = $2)) AS cat_ok",
		    dept, cat);
	if (!r)
		return false;
	if (!db_res_bool(r, 0, "dept_ok"))
		ok = err_field(e, 422, "suggest_department", ERR_UNKNOWN_DEPARTMENT, "unknown or inactive department \"%s\"", dept);
	else if (!db_res_bool(r, 0, "cat_ok"))
		ok = err_field(e, 422, "suggest_category", ERR_UNKNOWN_CATEGORY, "unknown category \"%s\"", cat);
	db_res_free(r);
	return ok;
}

/* Inserts `d`; returns the new id, or 0 with `e` filled. */
static int64_t insert_rule(struct db *db, const struct rule_def *d, bool active, struct err *e)
{
	struct rule_params p;
	struct db_res *r;
	int64_t id;

	if (!suggestions_exist(db, d, e))
		return 0;
	rule_params_fill(&p, d, active);
	r = db_exec(db, insert_sql, 13, p.v, e);
	if (!r)
		return 0;
	id = db_res_ll(r, 0, "id");
	db_res_free(r);
	return id;
}

/* ------------------------------------------------------------ the API */

json_object *dispatch_rules_list(struct db *db, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct db_res *r;
	json_object *out = NULL, *items;

	buf_addf(&sql, "SELECT %s FROM routing_rule ORDER BY priority DESC, id", rule_columns);
	r = db_exec(db, sql.data, 0, NULL, e);
	buf_release(&sql);
	if (!r)
		return NULL;
	out = json_object_new_object();
	items = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_array_add(items, rule_json(r, i));
	db_res_free(r);
	r = db_exec(db, "SELECT version FROM routing_version", 0, NULL, e);
	if (!r) {
		json_object_put(items);
		json_object_put(out);
		return NULL;
	}
	json_object_object_add(out, "version", json_object_new_int64(db_res_ll(r, 0, "version")));
	db_res_free(r);
	json_object_object_add(out, "items", items);
	return out;
}

json_object *dispatch_rule_get(struct db *db, int64_t id, struct err *e)
{
	char ids[24];
	struct buf sql = BUF_INIT;
	struct db_res *r;
	json_object *o = NULL;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	buf_addf(&sql, "SELECT %s FROM routing_rule WHERE id = $1", rule_columns);
	r = DB_EXEC(db, e, sql.data, ids);
	buf_release(&sql);
	if (!r)
		return NULL;
	if (db_res_rows(r) == 1)
		o = rule_json(r, 0);
	else
		err_set(e, 404, ERR_NOT_FOUND, "no routing rule %" PRId64, id);
	db_res_free(r);
	return o;
}

json_object *dispatch_rule_create(struct db *db, json_object *body, struct err *e)
{
	struct rule_def def;
	bool active;
	int64_t id;

	if (!parse_body(body, &def, &active, e))
		return NULL;
	id = insert_rule(db, &def, active, e);
	if (!id)
		return NULL;
	dispatch_rules_invalidate();
	return dispatch_rule_get(db, id, e);
}

json_object *dispatch_rule_update(struct db *db, int64_t id, json_object *body, struct err *e)
{
	struct rule_def def;
	struct rule_params p;
	const char *params[14];
	char ids[24];
	struct db_res *r;
	bool active, found;

	if (!parse_body(body, &def, &active, e) || !suggestions_exist(db, &def, e))
		return NULL;
	rule_params_fill(&p, &def, active);
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	params[0] = ids;
	memcpy(params + 1, p.v, sizeof(p.v));
	r = db_exec(db, update_sql, 14, params, e);
	if (!r)
		return NULL;
	found = db_res_rows(r) == 1;
	db_res_free(r);
	if (!found)
		return err_set(e, 404, ERR_NOT_FOUND, "no routing rule %" PRId64, id), NULL;
	dispatch_rules_invalidate();
	return dispatch_rule_get(db, id, e);
}

bool dispatch_rule_delete(struct db *db, int64_t id, struct err *e)
{
	char ids[24];
	struct db_res *r;
	long n;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	r = DB_EXEC(db, e, "DELETE FROM routing_rule WHERE id = $1", ids);
	if (!r)
		return false;
	n = db_res_affected(r);
	db_res_free(r);
	if (n == 0)
		return err_set(e, 404, ERR_NOT_FOUND, "no routing rule %" PRId64, id);
	dispatch_rules_invalidate();
	return true;
}

/* ---------------------------------------------------- import, export */

/* Replaces every rule with `l`, in one transaction. */
static long replace_all(struct db *db, const struct rule_def_list *l, struct err *e)
{
	if (!db_begin(db, e))
		return -1;
	if (!DB_RUN(db, e, "DELETE FROM routing_rule WHERE true"))
		goto fail;
	for (size_t i = 0; i < l->n; i++) {
		if (!insert_rule(db, &l->items[i], true, e)) {
			rule_err_locate(e, "rule at index %zu (\"%s\")", i, l->items[i].name);
			goto fail;
		}
	}
	if (!db_commit(db, e))
		goto fail;
	dispatch_rules_invalidate();
	return (long)l->n;
fail:
	db_rollback(db);
	return -1;
}

long dispatch_rules_import(struct db *db, const char *path, struct err *e)
{
	struct rule_def_list l = RULE_DEF_LIST_INIT;
	long n = -1;

	if (rule_defs_read_file(path, &l, e))
		n = replace_all(db, &l, e);
	if (n < 0 && e && !strstr(e->message, path))
		err_prefix(e, "%s: ", path);
	rule_def_list_release(&l);
	return n;
}

long dispatch_rules_export(struct db *db, const char *path, struct err *e)
{
	struct rule_def_list l = RULE_DEF_LIST_INIT;
	struct buf sql = BUF_INIT;
	struct db_res *r;
	long n = -1;

	buf_addf(&sql, "SELECT %s FROM routing_rule WHERE active ORDER BY priority DESC, id", rule_columns);
	r = db_exec(db, sql.data, 0, NULL, e);
	buf_release(&sql);
	if (!r)
		return -1;
	for (int i = 0; i < db_res_rows(r); i++) {
		struct rule_def d;
		row_def(r, i, &d);
		rule_def_list_add(&l, &d);
	}
	db_res_free(r);
	if (rule_defs_write_file(path, l.items, l.n, e))
		n = (long)l.n;
	rule_def_list_release(&l);
	return n;
}

long dispatch_load_default_rules(struct db *db, const char *path, struct err *e)
{
	struct db_res *r = db_exec(db, "SELECT count(*) AS n FROM routing_rule", 0, NULL, e);
	long long have;

	if (!r)
		return -1;
	have = db_res_ll(r, 0, "n");
	db_res_free(r);
	return have > 0 ? 0 : dispatch_rules_import(db, path, e);
}

/* ------------------------------------------------------ the live set */

static struct {
	pthread_mutex_t mu;
	struct rule_set *set;		/* NULL until the first build */
	long long version;		/* of `set` */
	long long failed;		/* a version that would not build */
	int64_t checked_ms;		/* monotonic time of the last check; 0 = check now */
	bool checking;			/* a thread is consulting the database */
	int64_t *ids;			/* rule ids of `set`, for per-rule metrics */
	size_t nids;
} live = { .mu = PTHREAD_MUTEX_INITIALIZER };

static atomic_ullong limit_hits, rebuilds, rebuild_failures;

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_limit(int64_t rule_id, const char *rule_name, int rc, const char *reason, void *arg)
{
	(void)arg;
	atomic_fetch_add(&limit_hits, 1);
	log_warn("routing rule %" PRId64 " \"%s\" hit a matching limit (%s, code %d): treated as no match;"
		 " simplify its pattern", rule_id, rule_name, reason, rc);
}

/*
 * Builds the active rules if the database's version differs from `have`
 * and from the version that failed last. Returns the new set (one
 * reference) and its version and ids, or NULL when nothing is to change.
 */
static struct rule_set *load_if_newer(struct db *db, long long have, long long failed,
				      long long *version, int64_t **ids, size_t *nids)
{
	struct err e = ERR_INIT;
	struct rule_def_list l = RULE_DEF_LIST_INIT;
	struct buf sql = BUF_INIT;
	struct rule_set *set = NULL;
	struct db_res *r;
	long long v;

	r = db_exec(db, "SELECT version FROM routing_version", 0, NULL, &e);
	if (!r) {
		log_warn("cannot check the routing rules' version: %s", e.message);
		return NULL;
	}
	v = db_res_ll(r, 0, "version");
	db_res_free(r);
	if (v == have || v == failed)
		return NULL;
	/* Rules and version from one statement: one snapshot. */
	buf_addf(&sql, "SELECT v.version AS rules_version, r.* FROM routing_version v"
		       " LEFT JOIN (SELECT %s FROM routing_rule WHERE active) r ON true"
		       " ORDER BY r.priority DESC, r.id", rule_columns);
	r = db_exec(db, sql.data, 0, NULL, &e);
	buf_release(&sql);
	if (!r) {
		log_warn("cannot load the routing rules: %s", e.message);
		return NULL;
	}
	v = db_res_ll(r, 0, "rules_version");
	for (int i = 0; i < db_res_rows(r); i++) {
		struct rule_def d;
		if (db_res_isnull(r, i, db_res_col(r, "id")))
			continue;
		row_def(r, i, &d);
		rule_def_list_add(&l, &d);
	}
	db_res_free(r);
	set = rule_set_build(l.items, l.n, NULL, &e);
	if (!set) {
		atomic_fetch_add(&rebuild_failures, 1);
		log_error("routing rules version %lld do not build, keeping version %lld: %s", v, have,
			  e.message);
		*version = v;
	} else {
		rule_set_on_limit(set, on_limit, NULL);
		atomic_fetch_add(&rebuilds, 1);
		log_info("routing rules version %lld loaded: %zu rules, %zu JIT-compiled", v,
			 rule_set_count(set), rule_set_jit_count(set));
		*version = v;
		*nids = l.n;
		*ids = xcalloc(l.n ? l.n : 1, sizeof(**ids));
		for (size_t i = 0; i < l.n; i++)
			(*ids)[i] = l.items[i].id;
	}
	rule_def_list_release(&l);
	return set;
}

struct rule_set *dispatch_rules_current(struct db *db, long long *version)
{
	struct rule_set *set = NULL, *fresh = NULL, *old = NULL;
	int64_t now = monotonic_ms(), *ids = NULL, *old_ids = NULL;
	long long have, failed, v = 0;
	size_t nids = 0;
	bool check;

	pthread_mutex_lock(&live.mu);
	check = db && !live.checking
		&& (!live.set || live.checked_ms == 0 || now - live.checked_ms >= DISPATCH_RULES_CHECK_MS);
	if (check) {
		live.checking = true;
		live.checked_ms = now;
	}
	have = live.version;
	failed = live.failed;
	pthread_mutex_unlock(&live.mu);

	if (check)
		fresh = load_if_newer(db, have, failed, &v, &ids, &nids);

	pthread_mutex_lock(&live.mu);
	if (check) {
		live.checking = false;
		if (fresh) {
			old = live.set;
			old_ids = live.ids;
			live.set = fresh;
			live.version = v;
			live.ids = ids;
			live.nids = nids;
		} else if (v) {
			live.failed = v;
		}
	}
	if (live.set)
		set = rule_set_ref(live.set);
	if (version)
		*version = live.version;
	pthread_mutex_unlock(&live.mu);
	rule_set_unref(old);
	free(old_ids);
	return set ? set : rule_set_new();
}

void dispatch_rules_invalidate(void)
{
	pthread_mutex_lock(&live.mu);
	live.checked_ms = 0;
	pthread_mutex_unlock(&live.mu);
}

void dispatch_shutdown(void)
{
	pthread_mutex_lock(&live.mu);
	rule_set_unref(live.set);
	free(live.ids);
	live.set = NULL;
	live.ids = NULL;
	live.nids = 0;
	live.version = 0;
	live.failed = 0;
	pthread_mutex_unlock(&live.mu);
}

void dispatch_metrics(struct buf *out)
{
	size_t count = 0, jit = 0;

	pthread_mutex_lock(&live.mu);
	if (live.set) {
		count = rule_set_count(live.set);
		jit = rule_set_jit_count(live.set);
	}
	buf_addf(out, "# HELP hotline_routing_rules Active routing rules compiled in this process.\n"
		      "# TYPE hotline_routing_rules gauge\nhotline_routing_rules %zu\n"
		      "# HELP hotline_routing_rules_jit Routing rules running JIT-compiled code.\n"
		      "# TYPE hotline_routing_rules_jit gauge\nhotline_routing_rules_jit %zu\n"
		      "# HELP hotline_routing_rules_version Version of the routing rules in use.\n"
		      "# TYPE hotline_routing_rules_version gauge\nhotline_routing_rules_version %lld\n",
		 count, jit, live.version);
	buf_addf(out, "# HELP hotline_routing_rule_limit_hits_total Rule matches stopped by the match or depth limit.\n"
		      "# TYPE hotline_routing_rule_limit_hits_total counter\n"
		      "hotline_routing_rule_limit_hits_total %llu\n",
		 (unsigned long long)atomic_load(&limit_hits));
	buf_adds(out, "# HELP hotline_routing_rule_limit_hits_by_rule Limit hits of each rule of the set in use.\n"
		      "# TYPE hotline_routing_rule_limit_hits_by_rule gauge\n");
	for (size_t i = 0; live.set && i < live.nids; i++) {
		uint64_t hits = rule_set_limit_hits(live.set, live.ids[i]);
		if (hits)
			buf_addf(out, "hotline_routing_rule_limit_hits_by_rule{rule=\"%" PRId64 "\"} %" PRIu64 "\n",
				 live.ids[i], hits);
	}
	pthread_mutex_unlock(&live.mu);
	buf_addf(out, "# HELP hotline_routing_rebuilds_total Routing rule sets built after a change.\n"
		      "# TYPE hotline_routing_rebuilds_total counter\nhotline_routing_rebuilds_total %llu\n"
		      "# HELP hotline_routing_rebuild_failures_total Rule versions that failed to build.\n"
		      "# TYPE hotline_routing_rebuild_failures_total counter\n"
		      "hotline_routing_rebuild_failures_total %llu\n",
		 (unsigned long long)atomic_load(&rebuilds),
		 (unsigned long long)atomic_load(&rebuild_failures));
}
