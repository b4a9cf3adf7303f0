/* The route table: method, path pattern, handler, who may call it. */
#include "api/api.h"
#include "app/app.h"
#include "core/array.h"

#define CENTRE ROLES_CENTRE
#define ANY ACCESS_ANY_USER
#define ADMIN ROLE_BIT(ROLE_ADMIN)

const struct http_route app_routes[] = {
	{ "GET", "/healthz", health_get, 0 },
	{ "GET", "/metrics", metrics_get, 0 },
	{ "GET", "/api/v1/openapi.json", api_openapi, 0 },

	{ "POST", "/api/v1/session", api_session_create, 0 },
	{ "GET", "/api/v1/session", api_session_get, ANY },
	{ "DELETE", "/api/v1/session", api_session_delete, 0 },

	{ "POST", "/api/v1/orders", api_orders_create, CENTRE },
	{ "GET", "/api/v1/orders", api_orders_list, ANY },
	{ "GET", "/api/v1/orders/{number}", api_orders_get, ANY },
	{ "GET", "/api/v1/orders/{number}/events", api_orders_events, ANY },
	{ "POST", "/api/v1/orders/{number}/actions/{action}", api_orders_action, ANY },

	{ "GET", "/api/v1/reference", api_reference, ANY },
	{ "GET", "/api/v1/departments", api_departments, ANY },
	{ "GET", "/api/v1/categories", api_categories, ANY },
	{ "GET", "/api/v1/deadline-policies", api_policies_get, ANY },
	{ "PUT", "/api/v1/deadline-policies", api_policies_put, ADMIN },
};
const size_t app_routes_count = ARRAY_SIZE(app_routes);

const struct http_route app_debug_routes[] = {
	{ "GET", "/debug/sleep", debug_sleep, 0 },
};
const size_t app_debug_routes_count = ARRAY_SIZE(app_debug_routes);
