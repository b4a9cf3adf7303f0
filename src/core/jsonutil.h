/*
 * jsonutil: the json-c helpers every module uses, so that reference
 * counting and field validation live in one place.
 *
 * Getters never transfer ownership: the returned strings and objects
 * belong to the parent object. Validation failures fill `e` with status
 * 422 (or 400 for a malformed document) and name the field.
 */
#ifndef HOTLINE_CORE_JSONUTIL_H
#define HOTLINE_CORE_JSONUTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/*
 * Parses a complete JSON document of `len` bytes. On success stores a new
 * reference in *out (caller puts it). On failure fills `e` with 400 and a
 * message naming json-c's reason and the line, column and byte offset.
 */
bool json_parse_document(const char *text, size_t len, json_object **out, struct err *e);

/* As json_parse_document(), and the document must be an object. */
bool json_parse_object(const char *text, size_t len, json_object **out, struct err *e);

/*
 * Field getters. `required` fields missing (or null) fail with 422; optional
 * missing fields leave *out untouched and return true. A present field of
 * the wrong type always fails.
 */
bool json_get_string(json_object *obj, const char *key, bool required,
		     const char **out, struct err *e);
bool json_get_int(json_object *obj, const char *key, bool required,
		  int64_t *out, struct err *e);
bool json_get_bool(json_object *obj, const char *key, bool required,
		   bool *out, struct err *e);
bool json_get_double(json_object *obj, const char *key, bool required,
		     double *out, struct err *e);

/* Convenience lookups with no validation: NULL / `dflt` when absent. */
const char *json_str(json_object *obj, const char *key);
int64_t json_int(json_object *obj, const char *key, int64_t dflt);

/* Appends the compact serialisation of `obj` to `b`. */
void buf_add_json(struct buf *b, json_object *obj);

/* Adds a string member only if `value` is not NULL (else a JSON null). */
void json_add_string(json_object *obj, const char *key, const char *value);
/* Adds a string member, "" when `value` is NULL: for page data, where a
 * template shows nothing rather than testing for null. */
void json_add_text(json_object *obj, const char *key, const char *value);
/* json_add_text() of what `b` holds, then empties `b` for the next value. */
void json_add_buf(json_object *obj, const char *key, struct buf *b);

#endif
