#include "supervision/settings.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/jsonutil.h"
#include "core/log.h"
#include "supervision/sv_private.h"

enum setting_type { S_INT, S_NUMBER, S_WEIGHTS };

/* One setting: its API group and name, its key in the table, and its domain. */
struct setting_desc {
	const char *group;
	const char *name;
	const char *key;
	enum setting_type type;
	double min, max, dflt;
};

static const struct setting_desc descs[] = {
	{ "callbacks", "delay_workdays", "callback.delay_workdays", S_INT, 0, 30, 1 },
	{ "callbacks", "share", "callback.share", S_NUMBER, 0, 1, 1.0 },
	{ "callbacks", "max_attempts", "callback.max_attempts", S_INT, 1, 10, 3 },
	{ "callbacks", "hold_minutes", "callback.hold_minutes", S_NUMBER, 0.01, 1440, 15 },
	{ "callbacks", "retry_minutes", "callback.retry_minutes", S_INT, 0, 10080, 60 },
	{ "ranking", "weights", "ranking.weights", S_WEIGHTS, 0, 1, 0 },
	{ "ranking", "red_min", "ranking.red_min", S_NUMBER, 0, 1, 0.95 },
	{ "ranking", "black_max", "ranking.black_max", S_NUMBER, 0, 1, 0.80 },
	{ "ranking", "min_dispatched", "ranking.min_dispatched", S_INT, 1, 1000000, 1 },
};
#define NDESCS ARRAY_SIZE(descs)

static const char *const weight_names[3] = { "response", "resolution", "satisfaction" };
static const double weight_defaults[3] = { 0.30, 0.35, 0.35 };

/* A setting's value: `num` for numbers, `w` for the weights. */
struct setting_value {
	double num;
	double w[3];
};

static void set_default(const struct setting_desc *d, struct setting_value *v)
{
	v->num = d->dflt;
	memcpy(v->w, weight_defaults, sizeof(v->w));
}

static bool check_number(const struct setting_desc *d, const char *field, json_object *j,
			 double *out, struct err *e)
{
	bool is_int = json_object_is_type(j, json_type_int);

	if (d->type == S_INT && !is_int)
		return err_field_n(e, 422, field, ERR_OUT_OF_RANGE, d->min, d->max, "setting \"%s\" must be a whole number from %g to %g",
				 field, d->min, d->max);
	if (!is_int && !json_object_is_type(j, json_type_double))
		return err_field_n(e, 422, field, ERR_OUT_OF_RANGE, d->min, d->max, "setting \"%s\" must be a number from %g to %g", field,
				 d->min, d->max);
	*out = json_object_get_double(j);
	if (!isfinite(*out) || *out < d->min || *out > d->max)
		return err_field_n(e, 422, field, ERR_OUT_OF_RANGE, d->min, d->max, "setting \"%s\" is %s, out of range %g to %g", field,
				 json_object_to_json_string(j), d->min, d->max);
	return true;
}

static bool check_weights(json_object *j, double w[3], struct err *e)
{
	double sum = 0;

	if (!json_object_is_type(j, json_type_object) || json_object_object_length(j) != 3)
		return err_field(e, 422, "weights", ERR_WRONG_TYPE,
				 "setting \"weights\" must be an object with exactly \"response\", \"resolution\" and \"satisfaction\"");
	for (int i = 0; i < 3; i++) {
		json_object *v;
		if (!json_object_object_get_ex(j, weight_names[i], &v) || !v
		    || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
			return err_field(e, 422, "weights", ERR_NOT_NUMBER, "weight \"%s\" is missing or not a number",
					 weight_names[i]);
		w[i] = json_object_get_double(v);
		if (!isfinite(w[i]) || w[i] < 0 || w[i] > 1)
			return err_field_n(e, 422, "weights", ERR_OUT_OF_RANGE, 0, 1, "weight \"%s\" is %g, out of range 0 to 1",
					 weight_names[i], w[i]);
		sum += w[i];
	}
	if (fabs(sum - 1) > 1e-6)
		return err_field(e, 422, "weights", ERR_WEIGHTS_SUM, "the weights add up to %g: they must add up to 1", sum);
	return true;
}

static bool check_value(const struct setting_desc *d, json_object *j, struct setting_value *v,
			struct err *e)
{
	if (!j)
		return err_field(e, 422, d->name, ERR_REQUIRED, "setting \"%s\" must not be null", d->name);
	if (d->type == S_WEIGHTS)
		return check_weights(j, v->w, e);
	return check_number(d, d->name, j, &v->num, e);
}

/* Fills vals[] (indexed like descs[]) from the table, defaults for the rest. */
static bool load_all(struct db *db, struct setting_value vals[NDESCS], struct err *e)
{
	struct db_res *r;

	for (size_t i = 0; i < NDESCS; i++)
		set_default(&descs[i], &vals[i]);
	r = db_exec(db, "SELECT key, value::text AS value FROM setting"
			" WHERE key LIKE 'callback.%' OR key LIKE 'ranking.%'", 0, NULL, e);
	if (!r)
		return false;
	for (int row = 0; row < db_res_rows(r); row++) {
		const char *key = db_res_str(r, row, "key");
		for (size_t i = 0; i < NDESCS; i++) {
			struct err bad = ERR_INIT;
			struct setting_value v = vals[i];
			json_object *j;

			if (strcmp(key, descs[i].key))
				continue;
			j = json_tokener_parse(db_res_str(r, row, "value"));
			if (check_value(&descs[i], j, &v, &bad))
				vals[i] = v;
			else
				log_warn("setting \"%s\" ignored, default used: %s", key, bad.message);
			json_object_put(j);
		}
	}
	db_res_free(r);
	return true;
}

static const struct setting_value *find(const struct setting_value vals[NDESCS], const char *key)
{
	for (size_t i = 0; i < NDESCS; i++)
		if (!strcmp(descs[i].key, key))
			return &vals[i];
	assert(!"unknown setting key");
	return &vals[0];
}

bool callback_settings_load(struct db *db, struct callback_settings *out, struct err *e)
{
	struct setting_value vals[NDESCS];

	if (!load_all(db, vals, e))
		return false;
	out->delay_workdays = (int)find(vals, "callback.delay_workdays")->num;
	out->share = find(vals, "callback.share")->num;
	out->max_attempts = (int)find(vals, "callback.max_attempts")->num;
	out->hold_minutes = find(vals, "callback.hold_minutes")->num;
	out->retry_minutes = (int)find(vals, "callback.retry_minutes")->num;
	return true;
}

bool ranking_settings_load(struct db *db, struct ranking_settings *out, struct err *e)
{
	struct setting_value vals[NDESCS];
	const struct setting_value *w;

	if (!load_all(db, vals, e))
		return false;
	w = find(vals, "ranking.weights");
	out->w_response = w->w[0];
	out->w_resolution = w->w[1];
	out->w_satisfaction = w->w[2];
	out->red_min = find(vals, "ranking.red_min")->num;
	out->black_max = find(vals, "ranking.black_max")->num;
	out->min_dispatched = (int)find(vals, "ranking.min_dispatched")->num;
	return true;
}

static json_object *value_json(const struct setting_desc *d, const struct setting_value *v)
{
	json_object *o;

	switch (d->type) {
	case S_INT:
		return json_object_new_int64((int64_t)v->num);
	case S_NUMBER:
		return sv_number(v->num, 6);
	case S_WEIGHTS:
		o = json_object_new_object();
		for (int i = 0; i < 3; i++)
			json_object_object_add(o, weight_names[i], sv_number(v->w[i], 6));
		return o;
	}
	return NULL;
}

static bool known_group(const char *group, struct err *e)
{
	if (group && (!strcmp(group, "callbacks") || !strcmp(group, "ranking")))
		return true;
	return err_set(e, 404, ERR_NOT_FOUND, "no settings group \"%s\": expected callbacks or ranking",
		       group ? group : "");
}

static json_object *group_json(const char *group, const struct setting_value vals[NDESCS])
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < NDESCS; i++)
		if (!strcmp(descs[i].group, group))
			json_object_object_add(o, descs[i].name, value_json(&descs[i], &vals[i]));
	return o;
}

json_object *settings_group_get(struct db *db, const char *group, struct err *e)
{
	struct setting_value vals[NDESCS];

	if (!known_group(group, e) || !load_all(db, vals, e))
		return NULL;
	return group_json(group, vals);
}

/* The names of a group's settings, for the message about an unknown one. */
static void group_names(const char *group, struct buf *out)
{
	for (size_t i = 0; i < NDESCS; i++) {
		if (strcmp(descs[i].group, group))
			continue;
		buf_addf(out, "%s%s", out->len ? ", " : "", descs[i].name);
	}
}

/* Applies the members of `body` to vals[], marking changed[]. */
static bool apply_body(const char *group, json_object *body, struct setting_value vals[NDESCS],
		       bool changed[NDESCS], struct err *e)
{
	json_object_object_foreach(body, name, value) {
		size_t i;
		for (i = 0; i < NDESCS; i++)
			if (!strcmp(descs[i].group, group) && !strcmp(descs[i].name, name))
				break;
		if (i == NDESCS) {
			struct buf names = BUF_INIT;
			group_names(group, &names);
			err_field(e, 422, name, ERR_UNKNOWN_CHOICE, "unknown setting \"%s\": expected %s", name, names.data);
			buf_release(&names);
			return false;
		}
		if (!check_value(&descs[i], value, &vals[i], e))
			return false;
		changed[i] = true;
	}
	if (!strcmp(group, "ranking")
	    && find(vals, "ranking.red_min")->num < find(vals, "ranking.black_max")->num)
		return err_field(e, 422, "red_min", ERR_RED_BELOW_BLACK,
				 "red_min %g is below black_max %g: a unit cannot be on both lists",
				 find(vals, "ranking.red_min")->num, find(vals, "ranking.black_max")->num);
	return true;
}

json_object *settings_group_put(struct db *db, const char *group, json_object *body,
				struct err *e)
{
	struct setting_value vals[NDESCS];
	bool changed[NDESCS] = { false };
	json_object *out = NULL;

	if (!known_group(group, e))
		return NULL;
	if (!json_object_is_type(body, json_type_object))
		return err_set(e, 400, ERR_MALFORMED_JSON, "the body must be a JSON object"), NULL;
	if (!db_begin(db, e))
		return NULL;
	/* The lock keeps two concurrent changes from mixing. */
	if (!DB_RUN(db, e, "SELECT pg_advisory_xact_lock(hashtext('hotline.settings'))")
	    || !load_all(db, vals, e) || !apply_body(group, body, vals, changed, e))
		goto out;
	for (size_t i = 0; i < NDESCS; i++) {
		json_object *j;
		bool ok;

		if (!changed[i])
			continue;
		j = value_json(&descs[i], &vals[i]);
		ok = DB_RUN(db, e,
			    "INSERT INTO setting (key, value, updated_at) VALUES ($1, $2::jsonb, now())"
			    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
			    descs[i].key, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
		if (!ok)
			goto out;
	}
	if (db_commit(db, e))
		out = group_json(group, vals);
out:
	if (!out)
		db_rollback(db);
	return out;
}
