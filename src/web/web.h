/*
 * web: the server-rendered pages (Simplified Chinese) for agents,
 * departments and supervisors, from the Mustache templates in templates/.
 */
#ifndef HOTLINE_WEB_WEB_H
#define HOTLINE_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/http.h"

/*
 * Loads and compiles every template under `templates_dir`; a broken one
 * fails here with file, line and reason. With `dev`, templates are
 * reloaded when they change. Call once before the server starts.
 */
bool web_init(const char *templates_dir, bool dev, struct err *e);
/* Frees the templates; accepts being called without web_init(). */
void web_release(void);

/* The pages' routes, merged into the server's table. */
extern const struct http_route web_routes[];
extern const size_t web_routes_count;

#endif
