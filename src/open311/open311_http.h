/*
 * open311_http: the routes of Open311 GeoReport v2 under /open311/v2 —
 * services.{json,xml}, services/{code}.{json,xml}, requests.{json,xml}
 * (GET, and POST with an api_key) and requests/{id}.{json,xml}. No login:
 * reading is public, filing needs a channel key (auth_channel_key()).
 */
#ifndef HOTLINE_OPEN311_OPEN311_HTTP_H
#define HOTLINE_OPEN311_OPEN311_HTTP_H

#include <stddef.h>

#include "http/http.h"

extern const struct http_route open311_routes[];
extern const size_t open311_routes_count;

void open311_get(struct http_req *req);
void open311_post(struct http_req *req);
void open311_get_service(struct http_req *req);
void open311_get_request(struct http_req *req);

#endif
