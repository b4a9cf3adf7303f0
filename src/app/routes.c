/* The route table: method, path pattern, handler, who may call it. */
#include "app/app.h"

const struct http_route app_routes[] = {
	{ "GET", "/healthz", health_get, 0 },
	{ "GET", "/metrics", metrics_get, 0 },
};
const size_t app_routes_count = sizeof(app_routes) / sizeof(app_routes[0]);

const struct http_route app_debug_routes[] = {
	{ "GET", "/debug/sleep", debug_sleep, 0 },
};
const size_t app_debug_routes_count = sizeof(app_debug_routes) / sizeof(app_debug_routes[0]);
