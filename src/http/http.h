/*
 * http: the HTTP core over libmicrohttpd. Nothing outside this module
 * includes microhttpd.h.
 *
 * The server runs a pool of worker threads on poll(2). Each request gets a
 * struct http_req that lives from the first byte to the completion
 * callback; everything hung on it (body, response, parameters) is freed
 * then. Routes are a table of (method, pattern, handler, access); a pattern
 * is a path whose segments may be "{name}" parameters. Unknown paths answer
 * 404 and known paths with another method 405, both as problem+json.
 *
 * A request is admitted on its headers, before any of its body is read:
 * framing that could smuggle a second request (two Content-Lengths, a
 * Content-Length beside a Transfer-Encoding, a coding other than chunked,
 * a header name that is not a token) and a path with a control character
 * get 400 and the connection closes; then 413 for a declared body over the
 * route's limit, 404/405, and the authorizer. Only an admitted request's
 * body is read. A handler runs once the whole body has arrived and must
 * call exactly one of the http_reply*() functions; a handler that replies
 * nothing yields 500.
 *
 * Connections: each client address may hold `per_client` of them, and the
 * last eighth of the server's connections are kept for addresses that hold
 * few, so that one client cannot crowd out health checks and users; a
 * connection silent for `idle_timeout` seconds is closed. Refusals are
 * counted in the metrics. The access log is one JSON object per line
 * (route pattern, not path: no personal data from the URL).
 */
#ifndef HOTLINE_HTTP_HTTP_H
#define HOTLINE_HTTP_HTTP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct http_req;
struct http_server;

typedef void (*http_handler)(struct http_req *req);

/*
 * Called before the handler of a route whose `access` is not 0; decides
 * who the caller is and whether the route admits them. Returns false with
 * `e` (401/403/…) to refuse; the server then replies with the problem.
 */
typedef bool (*http_authorizer)(struct http_req *req, unsigned access, struct err *e);

struct http_route {
	const char *method;	/* "GET", "POST", … */
	const char *pattern;	/* "/api/v1/orders/{id}/events" */
	http_handler handler;
	unsigned access;	/* 0 = public; else passed to the authorizer */
};

/*
 * A public route (access 0) takes bodies up to the server's max_public_body,
 * so that the anonymous hold little memory, unless its access has this bit:
 * an upload page that authorises itself. The bit never reaches the
 * authorizer.
 */
#define HTTP_LARGE_BODY (1u << 31)

struct http_config {
	const char *bind;	/* address to listen on, e.g. "127.0.0.1" */
	int port;		/* 0 = any free port (see http_server_port) */
	int threads;		/* worker threads */
	size_t max_body;	/* bytes; larger bodies get 413 */
	size_t max_public_body;	/* bytes for public routes; 0: 64 KiB */
	int per_client;		/* connections one client address may hold; 0: 64 */
	int idle_timeout;	/* seconds a connection may stay silent; 0: 15 */
	const struct http_route *routes;
	size_t nroutes;
	http_authorizer authorize;
	/* Replies for a path that no route knows (405 stays the core's own);
	 * NULL, or a handler that leaves the request unanswered: a
	 * problem+json 404. */
	http_handler not_found;
	void *app;		/* handed to handlers through http_req_app() */
};

/* Starts listening. Returns NULL with `e` filled if the port cannot be bound. */
struct http_server *http_server_start(const struct http_config *cfg, struct err *e);
/* The port actually bound. */
int http_server_port(const struct http_server *s);
/*
 * Stops accepting connections, waits up to `grace_ms` for requests in
 * flight to complete and be sent, then stops the workers and frees `s`.
 */
void http_server_stop(struct http_server *s, int grace_ms);
/* Appends the server's Prometheus metrics (requests, latency, in flight). */
void http_server_metrics(const struct http_server *s, struct buf *out);

/* --- request accessors: returned strings live as long as the request --- */

const char *http_method(const struct http_req *req);
const char *http_path(const struct http_req *req);
const char *http_request_id(const struct http_req *req);
void *http_req_app(const struct http_req *req);
struct http_server *http_req_server(const struct http_req *req);
/* A "{name}" segment of the route pattern, or NULL. */
const char *http_param(const struct http_req *req, const char *name);
/* A decoded query-string argument, or NULL. */
const char *http_query(const struct http_req *req, const char *name);
/* A request header (case-insensitive name), or NULL. */
const char *http_header(const struct http_req *req, const char *name);
const char *http_cookie(const struct http_req *req, const char *name);
/* The body as received (NUL-terminated for convenience). */
const char *http_body(const struct http_req *req, size_t *len);
/* A field of an application/x-www-form-urlencoded body, or NULL. */
const char *http_form(struct http_req *req, const char *name);
/* The peer's IP address as text. */
const char *http_client_ip(const struct http_req *req);

/* Opaque per-request slot for the authorizer's principal; freed with `free_fn`. */
void http_set_principal(struct http_req *req, void *principal, void (*free_fn)(void *));
void *http_principal(const struct http_req *req);

/* --- responses --- */

/* Adds a response header (copied). */
void http_set_header(struct http_req *req, const char *name, const char *value);
/* Replies with `body` (copied). */
void http_reply(struct http_req *req, int status, const char *content_type,
		const char *body, size_t len);
/* Replies with the contents of `body`, taking its storage. */
void http_reply_buf(struct http_req *req, int status, const char *content_type,
		   struct buf *body);
/* Replies with `obj` serialised (the caller keeps its reference). */
void http_reply_json(struct http_req *req, int status, json_object *obj);
/* Replies with an application/problem+json body built from `e`. */
void http_reply_problem(struct http_req *req, const struct err *e);
/* Shorthand for a problem built from the arguments. */
void http_reply_error(struct http_req *req, int status, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 303 See Other to `location`. */
void http_redirect(struct http_req *req, const char *location);
bool http_replied(const struct http_req *req);

/*
 * Long polling. A handler with nothing new to say may park the request
 * instead of replying: the connection is suspended, holding no worker
 * thread, until http_server_wake() names its `topic` or `wait_ms` passes.
 * Then the same handler runs again with http_resumed() true and must
 * reply. A wake of its topic between the request's dispatch and its park
 * resumes it at once (the handler answers what it then finds), so a change
 * committed while the handler was reading is never slept through; topics
 * share 32 buckets, so now and then another topic's wake does the same.
 * Returns false, parking nothing, when the server holds its limit of
 * parked requests or is stopping: the handler then replies at once.
 */
bool http_park(struct http_req *req, const char *topic, int wait_ms);
bool http_resumed(const struct http_req *req);
/* Resumes every request parked on `topic` (any thread). */
void http_server_wake(struct http_server *s, const char *topic);

/* Names the user behind the request in the access log (the authorizer calls it). */
void http_set_log_user(struct http_req *req, long user_id);

/* Percent-decodes `s` in place ('+' is a space when `plus_space`); returns its new length. */
size_t http_url_decode(char *s, bool plus_space);

#endif
