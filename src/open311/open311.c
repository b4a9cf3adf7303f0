/* Open311's services and requests over the orders (see open311.h). */
#include "open311/open311.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonutil.h"
#include "core/timeutil.h"
#include "orders/fields.h"
#include "orders/orders.h"

#define AT(member) offsetof(struct open311_request, member)
#define LINE(name_, max_, label_, member) \
	{ .name = name_, .kind = PARAM_LINE, .max = max_, .label = label_, .offset = AT(member) }

const struct param_spec open311_request_fields[] = {
	LINE("service_code", 32, "诉求类别", service_code),
	{ .name = "lat", .kind = PARAM_NUMBER, .min = -90, .max = 90, .label = "纬度", .offset = AT(lat) },
	{ .name = "long", .kind = PARAM_NUMBER, .min = -180, .max = 180, .label = "经度", .offset = AT(lon) },
	{ .name = "address_string", .kind = PARAM_TEXT, .max = 500, .label = "地址", .offset = AT(address_string) },
	LINE("address_id", 64, "地址编号", address_id),
	LINE("first_name", 32, "名", first_name),
	LINE("last_name", 32, "姓", last_name),
	{ .name = "phone", .kind = PARAM_PHONE, .max = 64, .label = "联系电话", .offset = AT(phone) },
	LINE("email", 254, "电子邮箱", email),
	LINE("device_id", 128, "设备编号", device_id),
	LINE("account_id", 128, "账号", account_id),
	{ .name = "description", .kind = PARAM_TEXT, .max = ORDER_CONTENT_MAX, .rows = 5, .label = "诉求内容",
	  .offset = AT(description) },
	LINE("media_url", 2000, "图片链接", media_url),
	LINE("jurisdiction_id", 128, "辖区", jurisdiction_id),
};
const size_t open311_request_fields_count = sizeof(open311_request_fields) / sizeof(open311_request_fields[0]);

bool open311_read_request(const struct param_source *src, struct open311_request *out, struct err *e)
{
	struct err all = ERR_INIT, one = ERR_INIT;

	/* On failure `all` holds the table's refusals; the location and the
	 * service are reported with them. */
	params_read_fields(open311_request_fields, open311_request_fields_count, src, out, sizeof(*out), &all);
	if (!out->service_code && strcmp(all.field, "service_code")) {
		err_field(&one, 422, "service_code", ERR_REQUIRED, "field \"service_code\" is required");
		err_collect(&all, &one);
	}
	if (out->lat.given != out->lon.given) {
		const char *missing = out->lat.given ? "long" : "lat";
		err_clear(&one);
		err_field(&one, 422, missing, ERR_REQUIRED, "field \"%s\" is required with the other coordinate",
			  missing);
		err_collect(&all, &one);
	} else if (!out->lat.given && !out->address_string && !out->address_id && !err_isset(&all)) {
		err_clear(&one);
		err_field(&one, 422, "address_string", ERR_REQUIRED,
			  "a location is required: lat and long, address_string or address_id");
		err_collect(&all, &one);
	}
	if (!err_isset(&all))
		return true;
	*e = all;
	return false;
}

/* Our field names in an error from orders_create(), as Open311 names them. */
static void open311_field_names(struct err *e)
{
	static const char *const names[][2] = {
		{ "latitude", "lat" }, { "longitude", "long" }, { "address", "address_string" },
		{ "caller_phone", "phone" }, { "caller_name", "first_name" }, { "content", "description" },
		{ "category", "service_code" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(e->field, names[i][0]))
			snprintf(e->field, sizeof(e->field), "%s", names[i][1]);
}

json_object *open311_submit(struct db *db, const struct open311_request *r, const char *channel,
			    const char *submitter, struct err *e)
{
	struct principal who = { .role = ROLE_SYSTEM };
	struct register_params p = { 0 };
	struct buf name = BUF_INIT, address = BUF_INIT, content = BUF_INIT;
	struct db_res *res;
	json_object *order, *out = NULL;
	bool created = false;

	res = DB_EXEC(db, e, "SELECT name, public_request_type FROM category WHERE code = $1 AND public AND active",
		      r->service_code);
	if (!res)
		return NULL;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		err_field(e, 400, "service_code", ERR_UNKNOWN_CATEGORY, "unknown service_code \"%s\"",
			  r->service_code ? r->service_code : "");
		err_text_arg(e, r->service_code);
		return NULL;
	}
	snprintf(who.login, sizeof(who.login), "open311");
	snprintf(who.name, sizeof(who.name), "%s", submitter);
	/* A Chinese name is written family name first. */
	buf_addf(&name, "%s%s", r->last_name ? r->last_name : "", r->first_name ? r->first_name : "");
	if (r->address_string)
		buf_adds(&address, r->address_string);
	else if (r->address_id)
		buf_addf(&address, "地址编号 %s", r->address_id);
	buf_adds(&content, r->description ? r->description : db_res_str(res, 0, "name"));
	p.channel = channel;
	p.request_type = db_res_str(res, 0, "public_request_type");
	p.category = r->service_code;
	p.caller_name = name.data;
	snprintf(p.caller_phone, sizeof(p.caller_phone), "%s", r->phone);
	p.address = address.data;
	p.latitude = r->lat;
	p.longitude = r->lon;
	p.content = content.data;
	order = orders_create(db, &who, &p, NULL, &created, e);
	db_res_free(res);
	if (order) {
		out = json_object_new_object();
		json_add_string(out, "service_request_id", json_str(order, "number"));
		json_add_string(out, "service_notice", "已受理，可凭工单号和联系电话查询办理进度");
		json_object_object_add(out, "account_id", NULL);
		json_object_put(order);
	} else {
		if (e->status == 422)
			e->status = 400;
		open311_field_names(e);
	}
	buf_release(&name);
	buf_release(&address);
	buf_release(&content);
	return out;
}

bool open311_publish(struct db *db, const char *code, bool public, const char *request_type,
		     const char *description, struct err *e)
{
	struct db_res *r;
	bool found;

	r = DB_EXEC(db, e,
		    "UPDATE category SET public = $2::boolean,"
		    " public_request_type = coalesce($3, public_request_type),"
		    " public_description = coalesce($4, public_description) WHERE code = $1 RETURNING code",
		    code, public ? "true" : "false", request_type, description);
	if (!r) {
		if (e->code == ERR_CONSTRAINT) {
			err_field(e, 422, "request_type", ERR_UNKNOWN_CHOICE, "unknown request type \"%s\"",
				  request_type ? request_type : "");
			err_text_arg(e, request_type);
		}
		return false;
	}
	found = db_res_rows(r) == 1;
	db_res_free(r);
	if (!found)
		return err_set(e, 404, ERR_NOT_FOUND, "no category \"%s\"", code);
	return true;
}

static json_object *service_json(const struct db_res *r, int i)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "service_code", db_res_json_text(r, i, "code"));
	json_object_object_add(s, "service_name", db_res_json_text(r, i, "name"));
	json_object_object_add(s, "description", db_res_json_text(r, i, "public_description"));
	json_object_object_add(s, "metadata", json_object_new_boolean(false));
	json_add_string(s, "type", "realtime");
	json_add_string(s, "keywords", "");
	json_object_object_add(s, "group", db_res_json_text(r, i, "parent_name"));
	return s;
}

static const char services_sql[] =
	"SELECT c.code, c.name, c.public_description, coalesce(p.name, '') AS parent_name"
	" FROM category c LEFT JOIN category p ON p.code = c.parent_code"
	" WHERE c.public AND c.active AND ($1::text IS NULL OR c.code = $1) ORDER BY c.code";

json_object *open311_services(struct db *db, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e, services_sql, NULL);
	json_object *out;

	if (!r)
		return NULL;
	out = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_array_add(out, service_json(r, i));
	db_res_free(r);
	return out;
}

json_object *open311_service_definition(struct db *db, const char *code, struct err *e)
{
	struct db_res *r = DB_EXEC(db, e, services_sql, code);
	json_object *out = NULL;

	if (!r)
		return NULL;
	if (db_res_rows(r) == 1) {
		/* No category asks for attributes yet: metadata is false and the list empty. */
		out = json_object_new_object();
		json_object_object_add(out, "service_code", db_res_json_text(r, 0, "code"));
		json_object_object_add(out, "attributes", json_object_new_array());
	} else {
		err_set(e, 404, ERR_NOT_FOUND, "no service \"%s\"", code);
	}
	db_res_free(r);
	return out;
}

/*
 * The public projection of an order. An order is closed once the unit has
 * replied (its result is the status notes), or when it left the centre's
 * hands otherwise. The content is shown only for orders a citizen wrote
 * through a citizens' channel: an agent's record of a call may name the
 * caller.
 */
#define STR_(x) #x
#define STR(x) STR_(x)
#define CLOSED_SQL "('awaiting_callback', 'completed', 'archived', 'transferred', 'merged')"
static const char requests_sql[] =
	"SELECT o.number, CASE WHEN o.status IN " CLOSED_SQL " THEN 'closed' ELSE 'open' END AS state,"
	" CASE WHEN o.result <> '' THEN o.result"
	"  WHEN o.status = 'transferred' THEN '已转' || coalesce(o.transferred_to, '') || '处理'"
	"  WHEN o.status = 'merged' THEN '已并入工单 ' || (SELECT m.number FROM work_order m WHERE m.id = o.merged_into)"
	"  END AS notes,"
	" c.name AS service_name, c.code AS service_code,"
	" CASE WHEN o.channel NOT IN ('phone', 'police', 'letter') THEN o.content END AS description,"
	" ld.name AS agency, iso(o.created_at) AS requested, iso(o.updated_at) AS updated,"
	" iso(o.handle_deadline) AS expected, nullif(o.address, '') AS address,"
	" o.latitude::text AS lat, o.longitude::text AS lon"
	" FROM work_order o JOIN category c ON c.code = o.category_code AND c.public"
	" LEFT JOIN department ld ON ld.id = o.lead_department_id"
	" WHERE NOT o.confidential"
	" AND CASE WHEN $1::text IS NOT NULL THEN o.number = ANY (string_to_array($1, ','))"
	"  ELSE ($2::text IS NULL OR o.category_code = ANY (string_to_array($2, ',')))"
	"  AND ($3::text IS NULL OR CASE WHEN o.status IN " CLOSED_SQL " THEN 'closed' ELSE 'open' END"
	"   = ANY (string_to_array($3, ',')))"
	"  AND o.created_at >= $4::timestamptz AND ($5::timestamptz IS NULL OR o.created_at <= $5) END"
	" ORDER BY o.created_at DESC, o.id DESC LIMIT " STR(OPEN311_MAX_REQUESTS);

static json_object *number_or_null(const struct db_res *r, int i, const char *col)
{
	const char *v;

	if (db_res_isnull(r, i, db_res_col(r, col)))
		return NULL;
	v = db_res_str(r, i, col);
	return json_object_new_double_s(atof(v), v);
}

static json_object *request_json(const struct db_res *r, int i)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "service_request_id", db_res_json_text(r, i, "number"));
	json_object_object_add(o, "status", db_res_json_text(r, i, "state"));
	json_object_object_add(o, "status_notes", db_res_json_text(r, i, "notes"));
	json_object_object_add(o, "service_name", db_res_json_text(r, i, "service_name"));
	json_object_object_add(o, "service_code", db_res_json_text(r, i, "service_code"));
	json_object_object_add(o, "description", db_res_json_text(r, i, "description"));
	json_object_object_add(o, "agency_responsible", db_res_json_text(r, i, "agency"));
	json_object_object_add(o, "service_notice", NULL);
	json_object_object_add(o, "requested_datetime", db_res_json_text(r, i, "requested"));
	json_object_object_add(o, "updated_datetime", db_res_json_text(r, i, "updated"));
	json_object_object_add(o, "expected_datetime", db_res_json_text(r, i, "expected"));
	json_object_object_add(o, "address", db_res_json_text(r, i, "address"));
	json_object_object_add(o, "address_id", NULL);
	json_object_object_add(o, "zipcode", NULL);
	json_object_object_add(o, "lat", number_or_null(r, i, "lat"));
	json_object_object_add(o, "long", number_or_null(r, i, "lon"));
	json_object_object_add(o, "media_url", NULL);
	return o;
}

/* True if every item of the comma-separated `list` is "open" or "closed". */
static bool statuses_ok(const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (!((n == 4 && !strncmp(p, "open", 4)) || (n == 6 && !strncmp(p, "closed", 6))))
			return false;
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

json_object *open311_requests(struct db *db, const struct open311_query *q, struct err *e)
{
	const time_t range = (time_t)OPEN311_RANGE_DAYS * 86400;
	time_t start = q->start, end = q->end;
	char from[TIMEUTIL_ISO_LEN], to[TIMEUTIL_ISO_LEN];
	struct db_res *r;
	json_object *out;

	if (q->statuses && !statuses_ok(q->statuses)) {
		err_field(e, 400, "status", ERR_UNKNOWN_CHOICE, "unknown status \"%s\": expected open or closed",
			  q->statuses);
		err_text_arg(e, q->statuses);
		return NULL;
	}
	/* No range: the last days up to now, including what is filed meanwhile. */
	if (!start && !end)
		start = time(NULL) - range;
	else if (!end)
		end = start + range;
	else if (!start)
		start = end - range;
	if (end && (end < start || end - start > range))
		return err_field(e, 400, "end_date", ERR_BAD_PERIOD,
				 "start_date to end_date must be a range of at most %d days", OPEN311_RANGE_DAYS),
		       NULL;
	time_format_iso(start, from);
	if (end)
		time_format_iso(end, to);
	r = DB_EXEC(db, e, requests_sql, q->ids, q->service_codes, q->statuses, from, end ? to : NULL);
	if (!r)
		return NULL;
	out = json_object_new_array();
	for (int i = 0; i < db_res_rows(r); i++)
		json_object_array_add(out, request_json(r, i));
	db_res_free(r);
	return out;
}
