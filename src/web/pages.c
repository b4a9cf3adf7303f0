/* The page routes. (Placeholder until the pages land: the home page only.) */
#include "web/web.h"

bool web_init(const char *templates_dir, bool dev, struct err *e)
{
	(void)templates_dir, (void)dev, (void)e;
	return true;
}

void web_release(void)
{
}

static void home(struct http_req *req)
{
	http_redirect(req, "/api/v1/openapi.json");
}

const struct http_route web_routes[] = {
	{ "GET", "/", home, 0 },
};
const size_t web_routes_count = sizeof(web_routes) / sizeof(web_routes[0]);
