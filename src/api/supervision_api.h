/*
 * The supervision endpoints: the callback queue, the supervisor's lists,
 * the statistics and their settings (handlers in supervision_api.c). The
 * server adds this table to its routes (src/app/serve.c).
 */
#ifndef HOTLINE_API_SUPERVISION_API_H
#define HOTLINE_API_SUPERVISION_API_H

#include <stddef.h>

#include "http/http.h"

extern const struct http_route supervision_routes[];
extern const size_t supervision_routes_count;

#endif
