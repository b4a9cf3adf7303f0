/*
 * web: the server-rendered pages (Simplified Chinese) for agents,
 * departments and supervisors, from the Mustache templates in templates/.
 *
 * Pages: / (to the page of one's role), /login, /logout, /console (agents
 * and reviewers: the current call and the caller's history, registration
 * with routing suggestions and duplicates, dispatch, today's orders),
 * /callbacks (the callback queue), /search and /search/export (the search
 * and its CSV; the queues of the navigation bar, counted there, are
 * searches), /orders/{number} (details, deadlines,
 * the 110 bridge's delivery state, the event record, one form per allowed
 * action), /inbox (departments), /dashboard and /wallboard (supervisors,
 * administrators), /admin/… (administrators: users, units, categories,
 * routing rules, deadline policies, the holiday calendar, callback and
 * ranking settings), and /static/{file}. Every form works without
 * JavaScript (POST, then 303); every page sends a strict
 * Content-Security-Policy.
 */
#ifndef HOTLINE_WEB_WEB_H
#define HOTLINE_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/http.h"

/*
 * Loads and compiles every template under `templates_dir`, and reads the
 * files of `templates_dir`/static into memory. A broken template fails
 * here with file, line and reason ("…/inbox.mustache:12: unclosed
 * section …"), as do a missing page template and an unreadable static
 * directory (500 "template-*" / "static-io"). With `dev`, templates and
 * static files are re-read when they change (renders and reloads are
 * serialised with a lock). Call once before the server starts; returns
 * true, or false with `e` filled.
 */
bool web_init(const char *templates_dir, bool dev, struct err *e);
/* Frees the templates and static files; accepts being called without web_init(). */
void web_release(void);

/*
 * The server's answer for a path no route knows: a page in Chinese, except
 * under /api/ and /open311/ and for clients that ask for JSON, which it
 * leaves to the HTTP core's problem+json 404 that integrations expect.
 */
void web_not_found(struct http_req *req);

/* The pages' routes, merged into the server's table. */
extern const struct http_route web_routes[];
extern const size_t web_routes_count;

/* The public pages' routes (/public/…: no login; page_public.c). */
extern const struct http_route public_routes[];
extern const size_t public_routes_count;

#endif
