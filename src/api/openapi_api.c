/* GET /api/v1/openapi.json: the API reference (src/api/openapi.json, compiled in). */
#include <string.h>

#include "api/api.h"

extern const char openapi_json[];

void api_openapi(struct http_req *req)
{
	http_set_header(req, "Cache-Control", "public, max-age=300");
	http_reply(req, 200, "application/json; charset=utf-8", openapi_json, strlen(openapi_json));
}
