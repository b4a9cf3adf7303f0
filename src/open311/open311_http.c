/*
 * /open311/v2: Open311 GeoReport v2 over HTTP. Every resource answers in
 * the format its name ends with, .json or .xml (libxml2 writes the XML);
 * errors are the specification's list of {code, description}, in the same
 * format, with the HTTP status of the first.
 */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "open311/open311.h"
#include "open311/open311_http.h"

enum format { FMT_JSON, FMT_XML };

/* Splits "services.json" into its name ("services", in `name` of `size`
 * bytes) and format. False if it ends with neither .json nor .xml. */
static bool split_resource(const char *file, char *name, size_t size, enum format *fmt)
{
	const char *dot = file ? strrchr(file, '.') : NULL;

	*fmt = FMT_JSON;
	if (!dot || (size_t)(dot - file) >= size || dot == file)
		return false;
	if (!strcmp(dot, ".json"))
		*fmt = FMT_JSON;
	else if (!strcmp(dot, ".xml"))
		*fmt = FMT_XML;
	else
		return false;
	memcpy(name, file, (size_t)(dot - file));
	name[dot - file] = '\0';
	return true;
}

/* The element name of an item of the list `name`: "attributes" → "attribute". */
static void singular(const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	snprintf(out, size, "%.*s", (int)(n > 1 && name[n - 1] == 's' ? n - 1 : n), name);
}

static void xml_value(xmlTextWriterPtr w, const char *name, json_object *v)
{
	char item[64];

	xmlTextWriterStartElement(w, BAD_CAST name);
	switch (json_object_get_type(v)) {
	case json_type_null:
		break;
	case json_type_object:
		json_object_object_foreach(v, key, member)
			xml_value(w, key, member);
		break;
	case json_type_array:
		singular(name, item, sizeof(item));
		for (size_t i = 0; i < json_object_array_length(v); i++)
			xml_value(w, item, json_object_array_get_idx(v, i));
		break;
	default:
		xmlTextWriterWriteString(w, BAD_CAST json_object_get_string(v));
		break;
	}
	xmlTextWriterEndElement(w);
}

/*
 * Replies `status` with `v` (a list, or one object) in `fmt`: in XML the
 * list is the element `root` holding one `item` per entry, and an object
 * is the element `root` itself.
 */
static void reply(struct http_req *req, enum format fmt, int status, json_object *v, const char *root,
		  const char *item)
{
	xmlBufferPtr b;
	xmlTextWriterPtr w;

	if (fmt == FMT_JSON) {
		const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		http_reply(req, status, "application/json; charset=utf-8", text, strlen(text));
		return;
	}
	b = xmlBufferCreate();
	w = xmlNewTextWriterMemory(b, 0);
	if (!b || !w) {
		if (b)
			xmlBufferFree(b);
		http_reply_error(req, 500, ERR_INTERNAL, "out of memory writing XML");
		return;
	}
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	if (json_object_is_type(v, json_type_array)) {
		xmlTextWriterStartElement(w, BAD_CAST root);
		for (size_t i = 0; i < json_object_array_length(v); i++)
			xml_value(w, item, json_object_array_get_idx(v, i));
		xmlTextWriterEndElement(w);
	} else {
		xml_value(w, root, v);
	}
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	http_reply(req, status, "text/xml; charset=utf-8", (const char *)xmlBufferContent(b),
		   (size_t)xmlBufferLength(b));
	xmlBufferFree(b);
}

/* One error of the list: "field: message" names the parameter at fault. */
static json_object *error_item(int status, const char *field, const char *message)
{
	json_object *o = json_object_new_object();
	char *text = field[0] ? xasprintf("%s: %s", field, message) : xstrdup(message);

	json_object_object_add(o, "code", json_object_new_int(status));
	json_object_object_add(o, "description", json_object_new_string(text));
	free(text);
	return o;
}

/* Replies the errors of `e` (every bad field) as the specification's list. */
static void reply_errors(struct http_req *req, enum format fmt, const struct err *e)
{
	int status = e->status >= 400 && e->status < 600 ? e->status : 500;
	json_object *list = json_object_new_array();

	if (status >= 500) {
		log_warn("open311: %s %s: %s", http_method(req), http_path(req), e->message);
		json_object_array_add(list, error_item(status, "", "internal error"));
	} else {
		json_object_array_add(list, error_item(status, e->field, e->message));
		for (int i = 0; i < e->nmore; i++)
			json_object_array_add(list, error_item(status, e->more[i].field, e->more[i].message));
	}
	reply(req, fmt, status, list, "errors", "error");
	json_object_put(list);
}

static void reply_result(struct http_req *req, enum format fmt, int status, json_object *v, const struct err *e,
			 const char *root, const char *item)
{
	if (!v) {
		reply_errors(req, fmt, e);
		return;
	}
	reply(req, fmt, status, v, root, item);
	json_object_put(v);
}

static void not_found(struct http_req *req, enum format fmt)
{
	struct err e = ERR_INIT;

	err_set(&e, 404, ERR_NOT_FOUND, "no such resource \"%s\"", http_path(req));
	reply_errors(req, fmt, &e);
}

static struct db *db_or_reply(struct http_req *req, enum format fmt)
{
	struct err e = ERR_INIT;
	struct db *db = db_thread(&e);

	if (!db)
		reply_errors(req, fmt, &e);
	return db;
}

/* A non-empty query argument, or NULL. */
static const char *query(struct http_req *req, const char *name)
{
	const char *v = http_query(req, name);
	return v && *v ? v : NULL;
}

/* A date argument (ISO 8601 with an offset); *out 0 when absent. */
static bool query_time(struct http_req *req, const char *name, time_t *out, struct err *e)
{
	const char *v = query(req, name);
	char copy[64];
	size_t n;

	*out = 0;
	if (!v)
		return true;
	/* A "+08:00" offset sent unencoded arrives as " 08:00": put the sign back. */
	snprintf(copy, sizeof(copy), "%s", v);
	n = strlen(copy);
	if (n > 6 && copy[n - 6] == ' ' && copy[n - 3] == ':')
		copy[n - 6] = '+';
	if (time_parse_iso(copy, out, name, e))
		return true;
	e->status = 400;
	return false;
}

static void get_requests(struct http_req *req, enum format fmt, const char *one_id)
{
	struct err e = ERR_INIT;
	struct open311_query q = { 0 };
	struct db *db;
	json_object *list;

	q.ids = one_id ? one_id : query(req, "service_request_id");
	q.service_codes = query(req, "service_code");
	q.statuses = query(req, "status");
	if (!query_time(req, "start_date", &q.start, &e) || !query_time(req, "end_date", &q.end, &e)) {
		reply_errors(req, fmt, &e);
		return;
	}
	if (!(db = db_or_reply(req, fmt)))
		return;
	list = open311_requests(db, &q, &e);
	if (list && one_id && json_object_array_length(list) == 0) {
		json_object_put(list);
		err_set(&e, 404, ERR_NOT_FOUND, "no service request \"%s\"", one_id);
		list = NULL;
	}
	reply_result(req, fmt, 200, list, &e, "service_requests", "request");
}

void open311_get(struct http_req *req)
{
	struct err e = ERR_INIT;
	char name[32];
	enum format fmt;
	struct db *db;

	if (!split_resource(http_param(req, "file"), name, sizeof(name), &fmt)) {
		not_found(req, fmt);
		return;
	}
	if (!strcmp(name, "requests")) {
		get_requests(req, fmt, NULL);
		return;
	}
	if (strcmp(name, "services")) {
		not_found(req, fmt);
		return;
	}
	if ((db = db_or_reply(req, fmt)))
		reply_result(req, fmt, 200, open311_services(db, &e), &e, "services", "service");
}

/* A form field of the request as a parameter source (blank is absent). */
static const char *form_get(void *form, const char *name)
{
	const char *v = http_form(form, name);

	return v && v[strspn(v, " \t\r\n")] ? v : NULL;
}

static size_t form_list(void *form, const char *name, const char **out, size_t max)
{
	(void)form, (void)name, (void)out, (void)max;
	return 0;
}

void open311_post(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct param_source src = { .get = form_get, .list = form_list, .form = req };
	struct open311_request r;
	struct channel_key key;
	char name[32];
	enum format fmt;
	struct db *db;

	if (!split_resource(http_param(req, "file"), name, sizeof(name), &fmt) || strcmp(name, "requests")) {
		not_found(req, fmt);
		return;
	}
	if (!(db = db_or_reply(req, fmt)))
		return;
	if (!auth_channel_key(db, http_form(req, "api_key"), &key, &e)) {
		reply_errors(req, fmt, &e);
		return;
	}
	if (!open311_read_request(&src, &r, &e)) {
		e.status = 400;
		reply_errors(req, fmt, &e);
		return;
	}
	json_object *created = open311_submit(db, &r, key.channel, key.name, &e);
	json_object *list = NULL;
	if (created) {
		list = json_object_new_array();
		json_object_array_add(list, created);
	}
	reply_result(req, fmt, 201, list, &e, "service_requests", "request");
}

void open311_get_service(struct http_req *req)
{
	struct err e = ERR_INIT;
	char code[64];
	enum format fmt;
	struct db *db;

	if (!split_resource(http_param(req, "file"), code, sizeof(code), &fmt)) {
		not_found(req, fmt);
		return;
	}
	if ((db = db_or_reply(req, fmt)))
		reply_result(req, fmt, 200, open311_service_definition(db, code, &e), &e, "service_definition",
			     NULL);
}

void open311_get_request(struct http_req *req)
{
	char id[64];
	enum format fmt;

	if (!split_resource(http_param(req, "file"), id, sizeof(id), &fmt) || strchr(id, ',')) {
		not_found(req, fmt);
		return;
	}
	get_requests(req, fmt, id);
}

const struct http_route open311_routes[] = {
	{ "GET", "/open311/v2/{file}", open311_get, 0 },
	{ "POST", "/open311/v2/{file}", open311_post, 0 },
	{ "GET", "/open311/v2/services/{file}", open311_get_service, 0 },
	{ "GET", "/open311/v2/requests/{file}", open311_get_request, 0 },
};
const size_t open311_routes_count = sizeof(open311_routes) / sizeof(open311_routes[0]);
