#include "core/jsonutil.h"

#include <string.h>

static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

bool json_parse_document(const char *text, size_t len, json_object **out, struct err *e)
{
	json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;
	int line, col;

	if (len == 0)
		return err_set(e, 400, ERR_MALFORMED_JSON, "request body is empty: a JSON document is required");
	if (len > INT32_MAX)
		return err_set(e, 413, ERR_TOO_LARGE, "JSON document too large");
	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* Flush a trailing bare number such as "12". */
		json_object_put(obj);
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
		end = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		if (end > len)
			end = len;
		position(text, end, &line, &col);
		return err_set(e, 400, ERR_MALFORMED_JSON,
			       "malformed JSON at line %d, column %d (byte %zu): %s",
			       line, col, end, json_tokener_error_desc(jerr));
	}
	/* Anything but white space after the document is an error. */
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len) {
		json_object_put(obj);
		position(text, end, &line, &col);
		return err_set(e, 400, ERR_MALFORMED_JSON,
			       "malformed JSON at line %d, column %d (byte %zu): unexpected data after the document",
			       line, col, end);
	}
	*out = obj;
	return true;
}

bool json_parse_object(const char *text, size_t len, json_object **out, struct err *e)
{
	json_object *obj;

	if (!json_parse_document(text, len, &obj, e))
		return false;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return err_set(e, 400, ERR_MALFORMED_JSON, "request body must be a JSON object");
	}
	*out = obj;
	return true;
}

static bool lookup(json_object *obj, const char *key, bool required, json_type type,
		   const char *type_name, json_object **val, struct err *e)
{
	*val = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, val) || !*val
	    || json_object_is_type(*val, json_type_null)) {
		*val = NULL;
		if (required)
			return err_field(e, 422, key, ERR_REQUIRED, "field \"%s\" is required", key);
		return true;
	}
	if (json_object_is_type(*val, type)
	    || (type == json_type_double && json_object_is_type(*val, json_type_int)))
		return true;
	*val = NULL;
	return err_field(e, 422, key, ERR_WRONG_TYPE, "field \"%s\" must be %s", key, type_name);
}

bool json_get_string(json_object *obj, const char *key, bool required,
		     const char **out, struct err *e)
{
	json_object *v;

	if (!lookup(obj, key, required, json_type_string, "a string", &v, e))
		return false;
	if (!v)
		return true;
	/* A NUL inside the string would silently cut it short in C. */
	if ((size_t)json_object_get_string_len(v) != strlen(json_object_get_string(v)))
		return err_field(e, 422, key, ERR_CONTROL_CHAR, "field \"%s\" contains a NUL character", key);
	*out = json_object_get_string(v);
	return true;
}

bool json_get_int(json_object *obj, const char *key, bool required,
		  int64_t *out, struct err *e)
{
	json_object *v;

	if (!lookup(obj, key, required, json_type_int, "an integer", &v, e))
		return false;
	if (v)
		*out = json_object_get_int64(v);
	return true;
}

bool json_get_bool(json_object *obj, const char *key, bool required,
		   bool *out, struct err *e)
{
	json_object *v;

	if (!lookup(obj, key, required, json_type_boolean, "true or false", &v, e))
		return false;
	if (v)
		*out = json_object_get_boolean(v);
	return true;
}

bool json_get_double(json_object *obj, const char *key, bool required,
		     double *out, struct err *e)
{
	json_object *v;

	if (!lookup(obj, key, required, json_type_double, "a number", &v, e))
		return false;
	if (v)
		*out = json_object_get_double(v);
	return true;
}

const char *json_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v
	    || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t json_int(json_object *obj, const char *key, int64_t dflt)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v
	    || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

void buf_add_json(struct buf *b, json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	buf_add(b, s, len);
}

void json_add_string(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, value ? json_object_new_string(value) : NULL);
}

void json_add_text(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value ? value : ""));
}

void json_add_buf(json_object *obj, const char *key, struct buf *b)
{
	json_add_text(obj, key, b->data);
	buf_reset(b);
}
