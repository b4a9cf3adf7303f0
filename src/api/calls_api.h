/*
 * calls_api: the call intake endpoints (src/intake) — import of call
 * records, live CTI events, the agent's current call, the caller's
 * history, and call statistics. The routes are a table of their own,
 * which the server appends to the others (app/serve.c).
 */
#ifndef HOTLINE_API_CALLS_API_H
#define HOTLINE_API_CALLS_API_H

#include <stddef.h>

#include "http/http.h"

extern const struct http_route calls_routes[];
extern const size_t calls_routes_count;

#endif
