#include "orders/params.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "orders/fields.h"

#define AT(member) offsetof(struct action_params, member)

/* Free text of up to PARAM_TEXT_MAX characters. */
/* `rows_` lines of text on the form; 0, one line. */
#define TEXT(name_, req, label_, rows_, member) \
	{ .name = name_, .kind = PARAM_TEXT, .required = req, .max = PARAM_TEXT_MAX, \
	  .label = label_, .rows = rows_, .offset = AT(member) }
#define LONG_TEXT(name_, req, label_, member) \
	{ .name = name_, .kind = PARAM_TEXT, .required = req, .max = PARAM_LONG_TEXT_MAX, \
	  .label = label_, .rows = 4, .offset = AT(member) }
#define NOTE(label_, rows_, member) TEXT("note", false, label_, rows_, member)
#define DEPARTMENT(label_, member) \
	{ .name = "department", .kind = PARAM_DEPARTMENT, .required = true, .max = PARAM_CODE_MAX, \
	  .label = label_, .offset = AT(member) }
#define ASSISTING(member) \
	{ .name = "assisting", .kind = PARAM_DEPARTMENTS, .max = PARAM_CODE_MAX, \
	  .label = "协办单位", .offset = AT(member) }
#define YES_NO(name_, req, label_, member) \
	{ .name = name_, .kind = PARAM_BOOL, .required = req, .label = label_, .offset = AT(member) }

/* Reference codes (request types, categories, …) are checked by the
 * database, whose foreign keys name the field (see create.c). */
#define CODE(name_, req, label_, member) \
	{ .name = name_, .kind = PARAM_LINE, .required = req, .max = PARAM_CODE_MAX, \
	  .label = label_, .offset = AT(member) }

static const struct param_spec register_[] = {
	CODE("channel", false, "来源渠道", register_.channel),
	CODE("request_type", true, "诉求类型", register_.request_type),
	CODE("urgency", false, "紧急程度", register_.urgency),
	CODE("category", false, "诉求分类", register_.category),
	{ .name = "caller_name", .kind = PARAM_TEXT, .max = 64, .label = "来电人",
	  .offset = AT(register_.caller_name) },
	{ .name = "caller_phone", .kind = PARAM_PHONE, .max = 64, .label = "联系电话",
	  .offset = AT(register_.caller_phone) },
	{ .name = "confidential", .kind = PARAM_FLAG, .label = "保密", .offset = AT(register_.confidential) },
	{ .name = "address", .kind = PARAM_TEXT, .max = 500, .label = "地址", .offset = AT(register_.address) },
	CODE("district", false, "所在区", register_.district),
	CODE("street", false, "街道乡镇", register_.street),
	{ .name = "latitude", .kind = PARAM_NUMBER, .min = -90, .max = 90, .label = "纬度",
	  .offset = AT(register_.latitude) },
	{ .name = "longitude", .kind = PARAM_NUMBER, .min = -180, .max = 180, .label = "经度",
	  .offset = AT(register_.longitude) },
	{ .name = "content", .kind = PARAM_TEXT, .required = true, .max = PARAM_LONG_TEXT_MAX, .rows = 5,
	  .label = "来电内容", .offset = AT(register_.content) },
	{ .name = "request", .kind = PARAM_TEXT, .max = 1000, .rows = 2, .label = "诉求",
	  .offset = AT(register_.request) },
	{ .name = "call_id", .kind = PARAM_LINE, .max = 128, .label = "通话编号", .offset = AT(register_.call_id) },
};
static const struct param_spec answer[] = {
	LONG_TEXT("answer", true, "答复内容", answer.answer),
};
static const struct param_spec not_accept[] = {
	TEXT("reason", true, "不予受理的理由", 3, not_accept.reason),
	{ .name = "channel_advice", .kind = PARAM_TEXT, .max = PARAM_TEXT_MAX, .label = "已告知的法定途径",
	  .hint = "如：诉讼、仲裁、信访", .offset = AT(not_accept.channel_advice) },
};
static const struct param_spec transfer_out[] = {
	{ .name = "target", .kind = PARAM_CHOICE, .required = true, .choices = &vocab_transfer_target,
	  .label = "转往", .offset = AT(transfer_out.target) },
	NOTE("备注", 2, transfer_out.note),
};
static const struct param_spec dispatch[] = {
	DEPARTMENT("主办单位", dispatch.department),
	ASSISTING(dispatch.assisting),
	NOTE("派单意见", 2, dispatch.note),
	{ .name = "suggestion_rule", .kind = PARAM_INT, .max = INT64_MAX, .digits_ok = true,
	  .label = "采用的派单建议",
	  .hidden = true, .offset = AT(dispatch.suggestion_rule) },
	{ .name = "suggested_department", .kind = PARAM_LINE, .max = PARAM_CODE_MAX,
	  .label = "建议的承办单位", .hidden = true, .offset = AT(dispatch.suggested_department) },
};
static const struct param_spec sign[] = {
	NOTE("备注", 0, sign.note),
};
static const struct param_spec return_[] = {
	TEXT("reason", true, "退单理由", 3, return_.reason),
};
static const struct param_spec approve_return[] = {
	DEPARTMENT("改派至", approve_return.department),
	ASSISTING(approve_return.assisting),
	NOTE("意见", 2, approve_return.note),
};
static const struct param_spec reject_return[] = {
	TEXT("reason", true, "驳回理由", 3, reject_return.reason),
};
static const struct param_spec sub_dispatch[] = {
	DEPARTMENT("派至下级单位", sub_dispatch.department),
	NOTE("派单意见", 2, sub_dispatch.note),
};
static const struct param_spec request_extension[] = {
	TEXT("reason", true, "延期理由", 3, request_extension.reason),
	{ .name = "until", .kind = PARAM_TIME, .label = "申请延至", .offset = AT(request_extension.until) },
	{ .name = "workdays", .kind = PARAM_INT, .min = 1, .max = 60, .label = "或延长工作日",
	  .offset = AT(request_extension.workdays) },
};
static const struct param_spec approve_extension[] = {
	NOTE("意见", 0, approve_extension.note),
};
static const struct param_spec reject_extension[] = {
	NOTE("驳回意见", 0, reject_extension.note),
};
static const struct param_spec suspend[] = {
	TEXT("reason", true, "挂起原因", 2, suspend.reason),
};
static const struct param_spec resume[] = {
	NOTE("备注", 0, resume.note),
};
static const struct param_spec reply[] = {
	LONG_TEXT("result", true, "办理结果", reply.result),
	YES_NO("solved", true, "诉求是否解决", reply.solved),
	YES_NO("contacted", true, "是否已联系来电人", reply.contacted),
};
static const struct param_spec callback[] = {
	{ .name = "satisfaction", .kind = PARAM_CHOICE, .required = true,
	  .unless = { "unreachable", "skipped" }, .choices = &vocab_satisfaction, .label = "满意度", .offset = AT(callback.satisfaction) },
	{ .name = "solved", .kind = PARAM_BOOL, .required = true,
	  .unless = { "unreachable", "skipped" }, .label = "诉求是否解决", .offset = AT(callback.solved) },
	YES_NO("attributable", false, "不满意是否属承办单位责任", callback.attributable),
	NOTE("回访记录", 2, callback.note),
	{ .name = "unreachable", .kind = PARAM_FLAG, .label = "无法联系来电人", .hidden = true,
	  .offset = AT(callback.unreachable) },
	{ .name = "skipped", .kind = PARAM_FLAG, .label = "未抽中回访", .hidden = true,
	  .offset = AT(callback.skipped) },
	{ .name = "channel", .kind = PARAM_CHOICE, .choices = &vocab_callback_channel, .label = "回访方式",
	  .hidden = true, .offset = AT(callback.channel) },
};
static const struct param_spec reopen[] = {
	TEXT("reason", true, "重办理由", 3, reopen.reason),
};
static const struct param_spec merge[] = {
	{ .name = "into", .kind = PARAM_LINE, .required = true, .max = PARAM_CODE_MAX, .label = "并入工单号",
	  .hint = "如 20261121-000001", .offset = AT(merge.into) },
	NOTE("备注", 0, merge.note),
};
static const struct param_spec press[] = {
	{ .name = "level", .kind = PARAM_INT, .min = 1, .max = 3, .choices = &vocab_press_level,
	  .label = "督办级别",
	  .offset = AT(press.level) },
	TEXT("note", true, "督办意见", 2, press.note),
};
static const struct param_spec archive[] = {
	NOTE("备注", 0, archive.note),
};
static const struct param_spec chase[] = {
	NOTE("来电人催办的内容", 2, chase.note),
};

#define ROW(a, specs) [a] = { specs, ARRAY_SIZE(specs) }

static const struct {
	const struct param_spec *specs;
	size_t count;
} table[ACT_COUNT] = {
	ROW(ACT_REGISTER, register_),
	ROW(ACT_ANSWER, answer),
	ROW(ACT_NOT_ACCEPT, not_accept),
	ROW(ACT_TRANSFER_OUT, transfer_out),
	ROW(ACT_DISPATCH, dispatch),
	ROW(ACT_SIGN, sign),
	ROW(ACT_RETURN, return_),
	ROW(ACT_APPROVE_RETURN, approve_return),
	ROW(ACT_REJECT_RETURN, reject_return),
	ROW(ACT_SUB_DISPATCH, sub_dispatch),
	ROW(ACT_REQUEST_EXTENSION, request_extension),
	ROW(ACT_APPROVE_EXTENSION, approve_extension),
	ROW(ACT_REJECT_EXTENSION, reject_extension),
	ROW(ACT_SUSPEND, suspend),
	ROW(ACT_RESUME, resume),
	ROW(ACT_REPLY, reply),
	ROW(ACT_CALLBACK, callback),
	ROW(ACT_REOPEN, reopen),
	ROW(ACT_MERGE, merge),
	ROW(ACT_PRESS, press),
	ROW(ACT_ARCHIVE, archive),
	ROW(ACT_CHASE, chase),
};

static const struct param_spec *spec_named(const struct param_spec *specs, size_t n, const char *name);

const struct param_spec *params_of(enum order_action action, size_t *n)
{
	if (action < 0 || action >= ACT_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = table[action].count;
	return table[action].specs;
}

const struct param_spec *param_find(enum order_action action, const char *name)
{
	size_t n;
	const struct param_spec *specs = params_of(action, &n);

	return spec_named(specs, n, name);
}

/* ------------------------------------------------------------ reading */

/* Where the value of `s` lives in the struct at `base`. */
static void *slot(void *base, const struct param_spec *s)
{
	return (char *)base + s->offset;
}

static const void *cslot(const void *base, const struct param_spec *s)
{
	return (const char *)base + s->offset;
}

/* Blank: empty or only white space. */
static bool blank(const char *s)
{
	return strspn(s, " \t\r\n") == strlen(s);
}

/* The member `name` of a JSON body (NULL: absent or null). */
static json_object *json_member(const struct param_source *src, const char *name)
{
	json_object *v = NULL;

	if (!src->body || !json_object_object_get_ex(src->body, name, &v))
		return NULL;
	return v;
}

static bool wrong_type(const struct param_spec *s, const char *what, struct err *e)
{
	err_field(e, 422, s->name, ERR_WRONG_TYPE, "field \"%s\" must be %s", s->name, what);
	return err_text_arg(e, what);
}

/* The text of a string parameter, checked; *out NULL when absent. */
static bool read_text(const struct param_source *src, const struct param_spec *s, const char **out,
		      struct err *e)
{
	*out = NULL;
	if (src->body) {
		json_object *v = json_member(src, s->name);
		if (!v)
			return true;
		if (!json_object_is_type(v, json_type_string))
			return wrong_type(s, "a string", e);
		if ((size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v)))
			return err_field(e, 422, s->name, ERR_CONTROL_CHAR,
					 "field \"%s\" contains a NUL character", s->name);
		*out = json_object_get_string(v);
	} else {
		*out = src->get(src->form, s->name);
	}
	if (!*out)
		return true;
	if (!text_check(*out, s->max > 0 ? (size_t)s->max : PARAM_CODE_MAX, s->name, e))
		return false;
	if (s->kind == PARAM_LINE && strpbrk(*out, "\r\n"))
		return err_field(e, 422, s->name, ERR_NOT_ONE_LINE, "field \"%s\" must be on one line", s->name);
	return true;
}

/* A yes/no parameter: true/false in JSON, "true"/"false" from a form. */
static bool read_bool(const struct param_source *src, const struct param_spec *s, int *out,
		      struct err *e)
{
	*out = YN_UNSET;
	if (src->body) {
		json_object *v = json_member(src, s->name);
		if (!v)
			return true;
		if (!json_object_is_type(v, json_type_boolean))
			return wrong_type(s, "true or false", e);
		*out = json_object_get_boolean(v) ? YN_YES : YN_NO;
		return true;
	}
	const char *t = src->get(src->form, s->name);
	if (!t)
		return true;
	if (strcmp(t, "true") && strcmp(t, "false")) {
		err_field(e, 422, s->name, ERR_NOT_BOOLEAN, "field \"%s\": \"%s\" is not true or false", s->name, t);
		return err_text_arg(e, t);
	}
	*out = t[0] == 't' ? YN_YES : YN_NO;
	return true;
}

/* Parses a whole number written in decimal, with an optional sign. */
static bool parse_whole(const char *t, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(t, &end, 10);
	if (!*t || *end || errno)
		return false;
	*out = v;
	return true;
}

static bool read_int(const struct param_source *src, const struct param_spec *s, int64_t *out,
		     bool *given, struct err *e)
{
	*given = false;
	if (src->body) {
		json_object *v = json_member(src, s->name);
		if (!v)
			return true;
		/* A string of digits is a number too (an id copied from a form). */
		if (s->digits_ok && json_object_is_type(v, json_type_string)
		    && !parse_whole(json_object_get_string(v), out)) {
			err_field(e, 422, s->name, ERR_NOT_INTEGER, "field \"%s\" must be a whole number, not \"%s\"",
				  s->name, json_object_get_string(v));
			return err_text_arg(e, json_object_get_string(v));
		}
		if (!(s->digits_ok && json_object_is_type(v, json_type_string))
		    && !json_object_is_type(v, json_type_int))
			return wrong_type(s, "an integer", e);
		if (json_object_is_type(v, json_type_int))
			*out = json_object_get_int64(v);
	} else {
		const char *t = src->get(src->form, s->name);
		if (!t)
			return true;
		if (!parse_whole(t, out)) {
			err_field(e, 422, s->name, ERR_NOT_INTEGER, "field \"%s\" must be a whole number, not \"%s\"",
				  s->name, t);
			return err_text_arg(e, t);
		}
	}
	*given = true;
	if (*out < s->min || *out > s->max)
		return err_field_n(e, 422, s->name, ERR_OUT_OF_RANGE, (double)s->min, (double)s->max,
				   "%s %lld is out of range %lld to %lld", s->name, (long long)*out,
				   (long long)s->min, (long long)s->max);
	return true;
}

static bool read_number(const struct param_source *src, const struct param_spec *s,
			struct opt_number *out, struct err *e)
{
	const char *t;
	char *end;

	out->given = false;
	if (src->body) {
		json_object *v = json_member(src, s->name);
		if (!v)
			return true;
		if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
			return wrong_type(s, "a number", e);
		out->value = json_object_get_double(v);
	} else {
		if (!(t = src->get(src->form, s->name)))
			return true;
		errno = 0;
		out->value = strtod(t, &end);
		if (*end || errno || end == t) {
			err_field(e, 422, s->name, ERR_NOT_NUMBER, "field \"%s\" must be a number, not \"%s\"", s->name, t);
			return err_text_arg(e, t);
		}
	}
	out->given = true;
	if (!(out->value >= (double)s->min && out->value <= (double)s->max))
		return err_field_n(e, 422, s->name, ERR_OUT_OF_RANGE, (double)s->min, (double)s->max,
				   "%s %g is out of range %lld to %lld", s->name, out->value, (long long)s->min,
				   (long long)s->max);
	return true;
}

/* A choice: its index in the vocabulary. JSON may give a level as a number. */
static bool read_choice(const struct param_source *src, const struct param_spec *s, int *index,
			bool *given, struct err *e)
{
	const char *code = NULL;
	char expected[160];

	*given = false;
	if (!read_text(src, s, &code, e))
		return false;
	if (!code)
		return true;
	*given = true;
	*index = vocab_parse(s->choices, code);
	if (*index >= 0)
		return true;
	vocab_list(s->choices, expected, sizeof(expected));
	err_field(e, 422, s->name, ERR_UNKNOWN_CHOICE, "unknown %s \"%s\": expected %s", s->choices->name,
		  code, expected);
	return err_text_arg(e, code);
}

static bool read_list(const struct param_source *src, const struct param_spec *s, struct code_list *out,
		      struct err *e)
{
	out->count = 0;
	if (!src->body) {
		const char *values[PARAM_LIST_MAX + 1];
		size_t n = src->list(src->form, s->name, values, PARAM_LIST_MAX + 1);
		if (n > PARAM_LIST_MAX)
			return err_field_n(e, 422, s->name, ERR_OUT_OF_RANGE, 0, PARAM_LIST_MAX,
					   "field \"%s\" lists more than %d departments", s->name, PARAM_LIST_MAX);
		for (size_t i = 0; i < n; i++)
			out->codes[out->count++] = values[i];
		return true;
	}
	json_object *v = json_member(src, s->name);
	if (!v)
		return true;
	if (!json_object_is_type(v, json_type_array))
		return err_field(e, 422, s->name, ERR_WRONG_TYPE, "field \"%s\" must be a list of department codes",
				 s->name);
	if (json_object_array_length(v) > PARAM_LIST_MAX)
		return err_field_n(e, 422, s->name, ERR_OUT_OF_RANGE, 0, PARAM_LIST_MAX,
				   "field \"%s\" lists more than %d departments", s->name, PARAM_LIST_MAX);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *item = json_object_array_get_idx(v, i);
		if (!json_object_is_type(item, json_type_string))
			return err_field(e, 422, s->name, ERR_WRONG_TYPE,
					 "field \"%s\" must be a list of department codes", s->name);
		out->codes[out->count++] = json_object_get_string(item);
	}
	return true;
}

/* Reads one parameter into the struct at `base`; *given says whether the input had it. */
static bool read_one(const struct param_source *src, const struct param_spec *s, void *base,
		     bool *given, struct err *e)
{
	void *at = slot(base, s);
	const char *text;
	int index, yn;
	time_t t;

	*given = false;
	switch (s->kind) {
	case PARAM_TEXT:
	case PARAM_LINE:
	case PARAM_DEPARTMENT:
		if (!read_text(src, s, &text, e))
			return false;
		if (text && blank(text))
			text = NULL;
		*(const char **)at = text;
		*given = text != NULL;
		return true;
	case PARAM_BOOL:
	case PARAM_FLAG:
		if (!read_bool(src, s, &yn, e))
			return false;
		*given = yn != YN_UNSET;
		if (s->kind == PARAM_FLAG)
			*(bool *)at = yn == YN_YES;
		else
			*(enum yes_no *)at = (enum yes_no)yn;
		return true;
	case PARAM_INT:
		return read_int(src, s, (int64_t *)at, given, e);
	case PARAM_NUMBER:
		if (!read_number(src, s, (struct opt_number *)at, e))
			return false;
		*given = ((struct opt_number *)at)->given;
		return true;
	case PARAM_PHONE:
		((char *)at)[0] = '\0';
		if (!read_text(src, s, &text, e))
			return false;
		if (!text || blank(text))
			return true;
		*given = true;
		return phone_normalise(text, (char *)at, s->name, e);
	case PARAM_TIME:
		if (!read_text(src, s, &text, e))
			return false;
		if (!text || blank(text))
			return true;
		if (!time_parse_iso(text, &t, s->name, e)) {
			e->status = 422;
			e->code = ERR_BAD_TIME;
			return err_text_arg(e, text);
		}
		*(time_t *)at = t;
		*given = true;
		return true;
	case PARAM_CHOICE:
		index = -1;
		if (!read_choice(src, s, &index, given, e))
			return false;
		*(int *)at = index;
		return true;
	case PARAM_DEPARTMENTS:
		if (!read_list(src, s, (struct code_list *)at, e))
			return false;
		*given = ((struct code_list *)at)->count > 0;
		return true;
	}
	return true;
}

static const struct param_spec *spec_named(const struct param_spec *specs, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(specs[i].name, name))
			return &specs[i];
	return NULL;
}

/* True if one of the flags that waive the requirement of `s` is set. */
static bool waived(const void *base, const struct param_spec *specs, size_t n, const struct param_spec *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->unless); i++) {
		const struct param_spec *flag = spec_named(specs, n, s->unless[i]);
		if (flag && *(const bool *)cslot(base, flag))
			return true;
	}
	return false;
}

bool params_read_fields(const struct param_spec *specs, size_t n, const struct param_source *src,
			void *out, size_t size, struct err *e)
{
	bool given[PARAMS_PER_ACTION_MAX] = { false };
	struct err all = ERR_INIT;

	assert(n <= PARAMS_PER_ACTION_MAX);
	memset(out, 0, size);
	for (size_t i = 0; i < n; i++) {
		struct err one = ERR_INIT;
		assert(specs[i].offset < size);
		if (!read_one(src, &specs[i], out, &given[i], &one))
			err_collect(&all, &one);
	}
	for (size_t i = 0; i < n; i++) {
		struct err one = ERR_INIT;
		if (!specs[i].required || given[i] || waived(out, specs, n, &specs[i]))
			continue;
		/* A field already refused for its value is not also "required". */
		bool refused = !strcmp(all.field, specs[i].name);
		for (int k = 0; k < all.nmore; k++)
			refused |= !strcmp(all.more[k].field, specs[i].name);
		if (refused)
			continue;
		err_field(&one, 422, specs[i].name, ERR_REQUIRED, "field \"%s\" is required", specs[i].name);
		err_collect(&all, &one);
	}
	if (!err_isset(&all))
		return true;
	if (e)
		*e = all;
	return false;
}

bool params_read(enum order_action action, const struct param_source *src,
		 struct action_params *out, struct err *e)
{
	size_t n;
	const struct param_spec *specs = params_of(action, &n);

	return params_read_fields(specs, n, src, out, sizeof(*out), e);
}

bool params_read_version(const struct param_source *src, int64_t *out, struct err *e)
{
	static const struct param_spec version = {
		.name = "version", .kind = PARAM_INT, .max = INT64_MAX, .label = "版本",
	};
	bool given;

	*out = 0;
	return read_int(src, &version, out, &given, e);
}

/* No body at all reads as a form with nothing filled in. */
static const char *nothing_get(void *form, const char *name)
{
	(void)form;
	(void)name;
	return NULL;
}

static size_t nothing_list(void *form, const char *name, const char **out, size_t max)
{
	(void)form;
	(void)name;
	(void)out;
	(void)max;
	return 0;
}

struct param_source params_from_json(json_object *body)
{
	struct param_source s = { .body = body, .get = nothing_get, .list = nothing_list };

	return s;
}

/* ------------------------------------------------------------ writing */

json_object *params_to_json(enum order_action action, const struct action_params *p)
{
	size_t n;
	const struct param_spec *specs = params_of(action, &n);

	return params_fields_to_json(specs, n, p);
}

json_object *params_fields_to_json(const struct param_spec *specs, size_t n, const void *p)
{
	json_object *o = json_object_new_object();
	char iso[TIMEUTIL_ISO_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct param_spec *s = &specs[i];
		const void *at = cslot(p, s);
		json_object *v = NULL;

		switch (s->kind) {
		case PARAM_TEXT:
		case PARAM_LINE:
		case PARAM_DEPARTMENT:
			if (*(const char *const *)at)
				v = json_object_new_string(*(const char *const *)at);
			break;
		case PARAM_FLAG:
			if (*(const bool *)at)
				v = json_object_new_boolean(true);
			break;
		case PARAM_BOOL:
			if (*(const enum yes_no *)at != YN_UNSET)
				v = json_object_new_boolean(*(const enum yes_no *)at == YN_YES);
			break;
		case PARAM_INT:
			if (*(const int64_t *)at)
				v = json_object_new_int64(*(const int64_t *)at);
			break;
		case PARAM_NUMBER:
			if (((const struct opt_number *)at)->given)
				v = json_object_new_double(((const struct opt_number *)at)->value);
			break;
		case PARAM_PHONE:
			if (*(const char *)at)
				v = json_object_new_string(at);
			break;
		case PARAM_TIME:
			if (*(const time_t *)at) {
				time_format_iso(*(const time_t *)at, iso);
				v = json_object_new_string(iso);
			}
			break;
		case PARAM_CHOICE:
			if (*(const int *)at >= 0)
				v = json_object_new_string(vocab_code(s->choices, *(const int *)at));
			break;
		case PARAM_DEPARTMENTS: {
			const struct code_list *l = at;
			if (!l->count)
				break;
			v = json_object_new_array();
			for (size_t k = 0; k < l->count; k++)
				json_object_array_add(v, json_object_new_string(l->codes[k]));
			break;
		}
		}
		if (v)
			json_object_object_add(o, s->name, v);
	}
	return o;
}
