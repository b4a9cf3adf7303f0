#include "http/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "core/log.h"

#define MAX_PARAMS 8
#define PARKED_MAX 1024			/* long-polling requests held at once */
#define PARK_TOPIC_MAX 64
#define WAKE_BUCKETS 32
#define PARK_TICK_MS 100		/* how often parked requests' waits are checked */
#define CONNECTION_LIMIT 1024u
#define RESERVE_SHARE 8			/* the last 1/8 of the connections … */
#define RESERVE_PER_CLIENT 4		/* … go to addresses holding fewer than this */
#define MAX_SEGMENTS 16

/* Statuses counted separately in /metrics; anything else is "other". */
static const int counted_statuses[] = {
	200, 201, 204, 303, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
};
#define NSTATUS (ARRAY_SIZE(counted_statuses) + 1)

/* Latency histogram upper bounds in milliseconds (+Inf implied). */
static const double latency_bounds_ms[] = { 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 };
#define NBUCKETS (ARRAY_SIZE(latency_bounds_ms) + 1)

struct route_stats {
	atomic_long by_status[NSTATUS];
	atomic_long buckets[NBUCKETS];
	atomic_long micros_sum;
};

struct compiled_route {
	const struct http_route *route;
	char *segments[MAX_SEGMENTS];	/* "{x}" kept as is */
	int nsegments;
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_config cfg;
	struct compiled_route *routes;
	struct route_stats *stats;	/* nroutes + 1: the last is "unmatched" */
	atomic_long in_flight;
	int port;
	/* Long polling: requests parked on a topic, under park_mu. */
	pthread_mutex_t park_mu;
	pthread_cond_t park_cv;		/* wakes the timer at once on stop */
	struct http_req *parked;	/* through park_next */
	size_t nparked;			/* parked, plus parks promised by http_park() */
	bool park_closed;		/* stopping: nothing parks any more */
	/* http_server_wake() calls so far, by a hash of their topic: a request
	 * compares only its own topic's bucket between dispatch and park. */
	atomic_ulong wakes[WAKE_BUCKETS];
	pthread_t park_timer;
	/* Connections by client address, under conn_mu (see admit_connection). */
	pthread_mutex_t conn_mu;
	struct client_slot *clients;	/* CONNECTION_LIMIT slots; n == 0 is free */
	long connections;
	atomic_long refused_per_client, refused_reserve, refused_framing;
};

struct client_slot {
	char ip[INET6_ADDRSTRLEN];
	int n;
};

struct header {
	char *name;
	char *value;
};

struct form_field {
	char *name;
	char *value;
};

struct http_req {
	struct http_server *server;
	struct MHD_Connection *conn;
	struct timespec started;
	char request_id[40];
	char client_ip[INET6_ADDRSTRLEN];
	char *method;
	char *path;
	struct buf body;
	bool too_large;
	int route_index;		/* -1 = unmatched */
	const char *param_names[MAX_PARAMS];
	char *param_values[MAX_PARAMS];
	int nparams;
	struct form_field *form;
	size_t nform;
	bool form_parsed;
	void *principal;
	void (*principal_free)(void *);
	/* response */
	int status;
	char *content_type;
	struct buf resp;
	struct header *headers;
	size_t nheaders;
	bool replied;
	bool close_after;		/* refused before its body: close the connection */
	size_t body_limit;
	size_t resp_bytes;
	long user_id;			/* for the access log; 0: nobody */
	/* long polling (see http_park) */
	unsigned long wakes_at_dispatch[WAKE_BUCKETS];
	bool parking;			/* the handler parked: suspend it */
	bool resumed;			/* the handler runs again after its park */
	char topic[PARK_TOPIC_MAX];
	struct timespec wake_by;	/* CLOCK_MONOTONIC */
	struct http_req *park_next;
};

/* ---------------------------------------------------------------- routes */

static void compile_route(struct compiled_route *cr, const struct http_route *r)
{
	char *copy = xstrdup(r->pattern);
	char *save = NULL;

	cr->route = r;
	cr->nsegments = 0;
	for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (cr->nsegments == MAX_SEGMENTS) {
			log_error("route pattern \"%s\" has too many segments", r->pattern);
			abort();
		}
		cr->segments[cr->nsegments++] = xstrdup(seg);
	}
	free(copy);
}

/* Splits `path` into segments in `scratch` (modified). Returns the count or -1. */
static int split_path(char *scratch, char **segs)
{
	int n = 0;
	char *save = NULL;

	for (char *seg = strtok_r(scratch, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGMENTS)
			return -1;
		segs[n++] = seg;
	}
	return n;
}

static bool route_matches(const struct compiled_route *cr, char **segs, int n)
{
	if (cr->nsegments != n)
		return false;
	for (int i = 0; i < n; i++) {
		const char *p = cr->segments[i];
		if (p[0] != '{' && strcmp(p, segs[i]))
			return false;
	}
	return true;
}

/*
 * Finds the route for the request. Returns its index, or -1 with
 * *path_known telling whether another method would have matched (405).
 */
static int find_route(struct http_req *req, bool *path_known, struct buf *allow)
{
	struct http_server *s = req->server;
	char *scratch = xstrdup(req->path);
	char *segs[MAX_SEGMENTS];
	int n = split_path(scratch, segs);
	int found = -1;

	*path_known = false;
	for (size_t i = 0; n >= 0 && i < s->cfg.nroutes; i++) {
		const struct compiled_route *cr = &s->routes[i];
		if (!route_matches(cr, segs, n))
			continue;
		if (strcmp(cr->route->method, req->method)) {
			*path_known = true;
			if (!strstr(allow->data, cr->route->method)) {
				if (allow->len)
					buf_adds(allow, ", ");
				buf_adds(allow, cr->route->method);
			}
			continue;
		}
		found = (int)i;
		for (int k = 0; k < n && req->nparams < MAX_PARAMS; k++) {
			const char *p = cr->segments[k];
			if (p[0] != '{')
				continue;
			char *value = xstrdup(segs[k]);
			http_url_decode(value, false);
			req->param_names[req->nparams] = p;
			req->param_values[req->nparams++] = value;
		}
		break;
	}
	free(scratch);
	return found;
}

/* ------------------------------------------------------------- accessors */

const char *http_method(const struct http_req *req) { return req->method; }
const char *http_path(const struct http_req *req) { return req->path; }
const char *http_request_id(const struct http_req *req) { return req->request_id; }
void *http_req_app(const struct http_req *req) { return req->server->cfg.app; }
struct http_server *http_req_server(const struct http_req *req) { return req->server; }
const char *http_client_ip(const struct http_req *req) { return req->client_ip; }
void http_set_log_user(struct http_req *req, long user_id) { req->user_id = user_id; }
void *http_principal(const struct http_req *req) { return req->principal; }
bool http_replied(const struct http_req *req) { return req->replied; }

const char *http_param(const struct http_req *req, const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < req->nparams; i++) {
		const char *p = req->param_names[i];
		if (!strncmp(p + 1, name, len) && p[len + 1] == '}')
			return req->param_values[i];
	}
	return NULL;
}

const char *http_query(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_body(const struct http_req *req, size_t *len)
{
	if (len)
		*len = req->body.len;
	return req->body.data;
}

size_t http_url_decode(char *s, bool plus_space)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (*p == '+' && plus_space) {
			*out++ = ' ';
		} else if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };
			*out++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

static void parse_form(struct http_req *req)
{
	const char *ctype = http_header(req, "Content-Type");
	char *copy, *save = NULL;
	size_t cap = 0;

	req->form_parsed = true;
	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33))
		return;
	copy = xstrdup(req->body.data);
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (eq)
			*eq = '\0';
		if (req->nform == cap) {
			cap = cap ? cap * 2 : 8;
			req->form = xrealloc(req->form, cap * sizeof(*req->form));
		}
		struct form_field *f = &req->form[req->nform++];
		f->name = xstrdup(pair);
		f->value = xstrdup(eq ? eq + 1 : "");
		http_url_decode(f->name, true);
		http_url_decode(f->value, true);
	}
	free(copy);
}

const char *http_form(struct http_req *req, const char *name)
{
	if (!req->form_parsed)
		parse_form(req);
	for (size_t i = 0; i < req->nform; i++)
		if (!strcmp(req->form[i].name, name))
			return req->form[i].value;
	return NULL;
}

void http_set_principal(struct http_req *req, void *principal, void (*free_fn)(void *))
{
	if (req->principal && req->principal_free)
		req->principal_free(req->principal);
	req->principal = principal;
	req->principal_free = free_fn;
}

/* ------------------------------------------------------------- responses */

void http_set_header(struct http_req *req, const char *name, const char *value)
{
	req->headers = xrealloc(req->headers, (req->nheaders + 1) * sizeof(*req->headers));
	req->headers[req->nheaders].name = xstrdup(name);
	req->headers[req->nheaders].value = xstrdup(value);
	req->nheaders++;
}

void http_reply_buf(struct http_req *req, int status, const char *content_type,
		   struct buf *body)
{
	if (req->replied) {
		log_error("handler for %s %s replied twice", req->method, req->path);
		buf_release(body);
		return;
	}
	req->replied = true;
	req->status = status;
	free(req->content_type);
	req->content_type = xstrdup(content_type);
	buf_release(&req->resp);
	req->resp = *body;
	buf_init(body);
}

void http_reply(struct http_req *req, int status, const char *content_type,
		const char *body, size_t len)
{
	struct buf b = BUF_INIT;

	buf_add(&b, body, len);
	http_reply_buf(req, status, content_type, &b);
}

void http_reply_json(struct http_req *req, int status, json_object *obj)
{
	struct buf b = BUF_INIT;
	size_t len;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	buf_add(&b, s, len);
	http_reply_buf(req, status, "application/json; charset=utf-8", &b);
}

/* ,"errors":[{"field","type","detail"},…]: every bad field of the input, the first included. */
static void add_problem_errors(struct buf *b, const struct err *e)
{
	struct err_detail d;

	buf_adds(b, ",\"errors\":[");
	for (int i = 0; i <= e->nmore; i++) {
		err_detail_at(e, i, &d);
		buf_adds(b, i ? ",{\"field\":" : "{\"field\":");
		buf_add_json_string(b, d.field);
		buf_adds(b, ",\"type\":");
		buf_add_json_string(b, err_code_slug(d.code));
		buf_adds(b, ",\"detail\":");
		buf_add_json_string(b, d.message);
		buf_addch(b, '}');
	}
	buf_addch(b, ']');
}

void http_reply_problem(struct http_req *req, const struct err *e)
{
	struct buf b = BUF_INIT;
	int status = e->status ? e->status : 500;

	buf_adds(&b, "{\"type\":");
	buf_add_json_string(&b, e->code != ERR_NONE ? err_code_slug(e->code) : "about:blank");
	buf_adds(&b, ",\"title\":");
	buf_add_json_string(&b, http_status_title(status));
	buf_addf(&b, ",\"status\":%d,\"detail\":", status);
	buf_add_json_string(&b, e->message[0] ? e->message : http_status_title(status));
	if (e->field[0]) {
		buf_adds(&b, ",\"field\":");
		buf_add_json_string(&b, e->field);
	}
	if (e->ext_key[0]) {
		buf_addch(&b, ',');
		buf_add_json_string(&b, e->ext_key);
		buf_addch(&b, ':');
		buf_add_json_string(&b, e->ext_value);
	}
	if (e->nmore > 0)
		add_problem_errors(&b, e);
	buf_adds(&b, ",\"request_id\":");
	buf_add_json_string(&b, req->request_id);
	buf_addch(&b, '}');
	http_reply_buf(req, status, "application/problem+json; charset=utf-8", &b);
}

void http_reply_error(struct http_req *req, int status, enum err_code code, const char *fmt, ...)
{
	struct err e = ERR_INIT;
	va_list ap;

	e.status = status;
	e.code = code;
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	http_reply_problem(req, &e);
}

void http_redirect(struct http_req *req, const char *location)
{
	http_set_header(req, "Location", location);
	http_reply(req, 303, "text/plain; charset=utf-8", "", 0);
}

/* ------------------------------------------------------------ life cycle */

static void make_request_id(struct http_req *req)
{
	const char *given = http_header(req, "X-Request-Id");
	unsigned char raw[8];

	if (given && *given && strlen(given) < sizeof(req->request_id)
	    && strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
		       == strlen(given)) {
		snprintf(req->request_id, sizeof(req->request_id), "%s", given);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(req->request_id, sizeof(req->request_id), raw, sizeof(raw));
}

static void client_ip(struct http_req *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(req->client_ip, sizeof(req->client_ip), "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->client_ip,
			  sizeof(req->client_ip));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->client_ip,
			  sizeof(req->client_ip));
}

static struct http_req *req_new(struct http_server *s, struct MHD_Connection *conn,
				const char *method, const char *url)
{
	struct http_req *req = xcalloc(1, sizeof(*req));
	const char *q = strchr(url, '?');

	req->server = s;
	req->conn = conn;
	req->route_index = -1;
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	req->method = xstrdup(method);
	req->path = q ? xstrndup(url, (size_t)(q - url)) : xstrdup(url);
	buf_init(&req->body);
	buf_init(&req->resp);
	make_request_id(req);
	client_ip(req);
	atomic_fetch_add(&s->in_flight, 1);
	return req;
}

static void req_free(struct http_req *req)
{
	free(req->method);
	free(req->path);
	buf_release(&req->body);
	buf_release(&req->resp);
	free(req->content_type);
	for (int i = 0; i < req->nparams; i++)
		free(req->param_values[i]);
	for (size_t i = 0; i < req->nform; i++) {
		free(req->form[i].name);
		free(req->form[i].value);
	}
	free(req->form);
	for (size_t i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->headers);
	if (req->principal && req->principal_free)
		req->principal_free(req->principal);
	free(req);
}

/* --------------------------------------------------------------- admission */

/* RFC 9110 token characters: what a header name is made of. */
static bool is_token(const char *t)
{
	if (!*t)
		return false;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (!(isalnum(*p) || strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	return true;
}

struct framing {
	int content_lengths;
	const char *transfer_encoding;
	bool bad_name;
};

static enum MHD_Result see_header(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!is_token(name))
		f->bad_name = true;
	else if (!strcasecmp(name, "Content-Length"))
		f->content_lengths++;
	else if (!strcasecmp(name, "Transfer-Encoding"))
		f->transfer_encoding = f->transfer_encoding ? "" : (value ? value : "");
	return MHD_YES;
}

/*
 * Framing another server (a proxy in front of us) could read otherwise
 * than we do, which would let the bytes after one request be taken as
 * another (RFC 9112 §6.3): refused, and the connection closed. A path with
 * a control character (a decoded %00 included) is refused too.
 */
static bool framing_ok(struct http_req *req, struct err *e)
{
	struct framing f = { 0 };

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, see_header, &f);
	for (const unsigned char *p = (const unsigned char *)req->path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return err_set(e, 400, ERR_BAD_REQUEST, "the path contains a control character");
	if (f.bad_name)
		return err_set(e, 400, ERR_BAD_REQUEST, "a header name is not a token");
	if (f.content_lengths > 1)
		return err_set(e, 400, ERR_BAD_REQUEST, "more than one Content-Length");
	if (f.transfer_encoding && f.content_lengths)
		return err_set(e, 400, ERR_BAD_REQUEST, "both Transfer-Encoding and Content-Length");
	if (f.transfer_encoding && strcasecmp(f.transfer_encoding, "chunked"))
		return err_set(e, 400, ERR_BAD_REQUEST, "Transfer-Encoding other than chunked");
	return true;
}

static void reply_too_large(struct http_req *req)
{
	http_reply_error(req, 413, ERR_TOO_LARGE, "request body exceeds the limit of %zu bytes",
			 req->body_limit);
}

/*
 * Decides on the headers alone whether the request's body will be read:
 * false after replying (the body, if any, is then never read). Sets the
 * route and the body's limit.
 */
static bool admit(struct http_req *req)
{
	struct http_server *s = req->server;
	struct buf allow = BUF_INIT;
	struct err e = ERR_INIT;
	const char *clen = http_header(req, "Content-Length");
	bool path_known, ok = false;

	if (!framing_ok(req, &e)) {
		atomic_fetch_add(&s->refused_framing, 1);
		req->close_after = true;
		http_reply_problem(req, &e);
		goto out;
	}
	req->route_index = find_route(req, &path_known, &allow);
	const struct http_route *route = req->route_index >= 0 ? s->routes[req->route_index].route : NULL;
	unsigned access = route ? route->access & ~HTTP_LARGE_BODY : 0;
	req->body_limit = route && route->access ? s->cfg.max_body : s->cfg.max_public_body;
	req->close_after = (clen && strcmp(clen, "0")) || http_header(req, "Transfer-Encoding");
	if (clen && strtoull(clen, NULL, 10) > req->body_limit) {
		reply_too_large(req);
	} else if (!route && path_known) {
		http_set_header(req, "Allow", allow.data);
		http_reply_error(req, 405, ERR_METHOD_NOT_ALLOWED, "method %s is not allowed on \"%s\"; allowed: %s",
				 req->method, req->path, allow.data);
	} else if (!route) {
		if (s->cfg.not_found)
			s->cfg.not_found(req);
		if (!req->replied)
			http_reply_error(req, 404, ERR_NOT_FOUND, "no resource at \"%s\"", req->path);
	} else if (access && s->cfg.authorize && !s->cfg.authorize(req, access, &e)) {
		if (!req->replied)	/* a page's authorizer may have redirected already */
			http_reply_problem(req, &e);
	} else {
		ok = true;
		req->close_after = false;
	}
out:
	buf_release(&allow);
	return ok;
}

/*
 * Runs the admitted request's handler once its body has arrived, or again
 * once its park ends (it may not park twice, so it must reply then).
 */
static void dispatch(struct http_req *req)
{
	struct http_server *s = req->server;
	const struct http_route *route = s->routes[req->route_index].route;

	if (req->parking) {
		req->parking = false;
		req->resumed = true;
	} else if (req->too_large) {
		reply_too_large(req);
		return;
	} else {
		for (int i = 0; i < WAKE_BUCKETS; i++)
			req->wakes_at_dispatch[i] = atomic_load(&s->wakes[i]);
	}
	route->handler(req);
	if (!req->replied && !req->parking) {
		log_error("handler for %s %s did not reply", req->method, route->pattern);
		http_reply_error(req, 500, ERR_INTERNAL, "internal error");
	}
}

static enum MHD_Result queue_reply(struct http_req *req)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body = buf_detach(&req->resp, &len);

	req->resp_bytes = len;

	resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	MHD_add_response_header(resp, "Content-Type", req->content_type);
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < req->nheaders; i++)
		MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
	if (req->close_after)	/* its body, if any, was never read */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---------------------------------------------------------- long polling */

static void monotonic_after(struct timespec *t, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* FNV-1a of the topic, folded into the wake buckets. */
static unsigned wake_bucket(const char *topic)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % WAKE_BUCKETS;
}

bool http_park(struct http_req *req, const char *topic, int wait_ms)
{
	struct http_server *s = req->server;
	bool ok;

	if (req->resumed || req->replied || strlen(topic) >= sizeof(req->topic))
		return false;
	pthread_mutex_lock(&s->park_mu);
	ok = !s->park_closed && s->nparked < PARKED_MAX;
	if (ok)
		s->nparked++;		/* promised now, listed once suspended */
	pthread_mutex_unlock(&s->park_mu);
	if (!ok)
		return false;
	snprintf(req->topic, sizeof(req->topic), "%s", topic);
	monotonic_after(&req->wake_by, wait_ms > 0 ? wait_ms : 0);
	req->parking = true;
	return true;
}

bool http_resumed(const struct http_req *req)
{
	return req->resumed;
}

/*
 * Suspends a request whose handler parked it and lists it. libmicrohttpd
 * calls on_request() again once the connection is resumed. Resuming
 * happens outside park_mu, on requests already taken off the list.
 */
static void park(struct http_req *req)
{
	struct http_server *s = req->server;
	bool at_once;

	MHD_suspend_connection(req->conn);
	pthread_mutex_lock(&s->park_mu);
	unsigned b = wake_bucket(req->topic);
	at_once = s->park_closed || atomic_load(&s->wakes[b]) != req->wakes_at_dispatch[b];
	if (at_once) {
		s->nparked--;
	} else {
		req->park_next = s->parked;
		s->parked = req;
	}
	pthread_mutex_unlock(&s->park_mu);
	if (at_once)
		MHD_resume_connection(req->conn);
}

/* Takes off the list, under park_mu, the requests `pick` chooses; returns them chained. */
static struct http_req *unpark(struct http_server *s, bool (*pick)(const struct http_req *, const void *),
			       const void *arg)
{
	struct http_req *taken = NULL, **link = &s->parked;

	while (*link) {
		struct http_req *r = *link;
		if (pick(r, arg)) {
			*link = r->park_next;
			r->park_next = taken;
			taken = r;
			s->nparked--;
		} else {
			link = &r->park_next;
		}
	}
	return taken;
}

static void resume_all(struct http_req *list)
{
	while (list) {
		struct http_req *next = list->park_next;
		list->park_next = NULL;
		MHD_resume_connection(list->conn);
		list = next;
	}
}

static bool on_topic(const struct http_req *r, const void *topic)
{
	return !strcmp(r->topic, topic);
}

static bool past_wait(const struct http_req *r, const void *now)
{
	return reached(now, &r->wake_by);
}

static bool any(const struct http_req *r, const void *arg)
{
	(void)r, (void)arg;
	return true;
}

void http_server_wake(struct http_server *s, const char *topic)
{
	struct http_req *list;

	pthread_mutex_lock(&s->park_mu);
	atomic_fetch_add(&s->wakes[wake_bucket(topic)], 1);
	list = unpark(s, on_topic, topic);
	pthread_mutex_unlock(&s->park_mu);
	resume_all(list);
}

/* Resumes the requests whose wait has passed, every PARK_TICK_MS, until stopped. */
static void *park_timer(void *arg)
{
	struct http_server *s = arg;

	pthread_mutex_lock(&s->park_mu);
	while (!s->park_closed) {
		struct timespec tick, now;
		struct http_req *list;

		clock_gettime(CLOCK_REALTIME, &tick);	/* the condition variable's clock */
		tick.tv_nsec += PARK_TICK_MS * 1000000L;
		if (tick.tv_nsec >= 1000000000L) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->park_cv, &s->park_mu, &tick);
		clock_gettime(CLOCK_MONOTONIC, &now);
		list = unpark(s, past_wait, &now);
		pthread_mutex_unlock(&s->park_mu);
		resume_all(list);
		pthread_mutex_lock(&s->park_mu);
	}
	pthread_mutex_unlock(&s->park_mu);
	return NULL;
}

/* Stopping: nothing parks any more, and every parked request is answered now. */
static void park_close(struct http_server *s)
{
	struct http_req *list;

	pthread_mutex_lock(&s->park_mu);
	s->park_closed = true;
	list = unpark(s, any, NULL);
	pthread_cond_signal(&s->park_cv);
	pthread_mutex_unlock(&s->park_mu);
	resume_all(list);
	pthread_join(s->park_timer, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *req = *con_cls;

	(void)version;
	if (!req) {
		req = req_new(s, conn, method, url);
		*con_cls = req;
		return admit(req) ? MHD_YES : queue_reply(req);
	}
	if (*upload_data_size) {
		/* Past the limit (a chunked body says its size only as it comes)
		 * the rest is read and dropped, and the handler never runs. */
		if (!req->too_large && req->body.len + *upload_data_size <= req->body_limit)
			buf_add(&req->body, upload_data, *upload_data_size);
		else
			req->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(req);		/* a resumed request's handler runs again here */
	if (req->parking && !req->replied) {
		park(req);
		return MHD_YES;
	}
	req->parking = false;
	return queue_reply(req);
}

static long elapsed_micros(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000000L + (now.tv_nsec - start->tv_nsec) / 1000;
}

static void record(struct http_server *s, const struct http_req *req, long micros)
{
	struct route_stats *st = &s->stats[req->route_index >= 0 ? (size_t)req->route_index
							     : s->cfg.nroutes];
	size_t si = NSTATUS - 1, bi = NBUCKETS - 1;
	double ms = (double)micros / 1000.0;

	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (counted_statuses[i] == req->status)
			si = i;
	for (size_t i = 0; i < NBUCKETS - 1; i++)
		if (ms <= latency_bounds_ms[i]) {
			bi = i;
			break;
		}
	atomic_fetch_add(&st->by_status[si], 1);
	atomic_fetch_add(&st->buckets[bi], 1);
	atomic_fetch_add(&st->micros_sum, micros);
}

/*
 * The access log: one JSON object per line. The route's pattern stands
 * for the path, so that no phone number or other personal data of a URL
 * reaches the log; an unmatched path is "-".
 */
static void access_log(const struct http_req *req, long micros, bool completed)
{
	const struct http_server *s = req->server;
	struct buf line = BUF_INIT;
	struct timespec ts;
	struct tm tm;
	char stamp[40], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);	/* +0800 → +08:00 */
	buf_addf(&line, "{\"time\":\"%s.%03ld%.3s:%s\",\"type\":\"access\",\"request_id\":", stamp,
		 ts.tv_nsec / 1000000, zone, zone + 3);
	buf_add_json_string(&line, req->request_id);
	buf_adds(&line, ",\"method\":");
	buf_add_json_string(&line, req->method);
	buf_adds(&line, ",\"route\":");
	buf_add_json_string(&line, req->route_index >= 0 ? s->routes[req->route_index].route->pattern : "-");
	buf_addf(&line, ",\"status\":%d,\"bytes\":%zu,\"ms\":%.1f,\"client\":", req->status,
		 req->resp_bytes, (double)micros / 1000.0);
	buf_add_json_string(&line, req->client_ip);
	if (req->user_id)
		buf_addf(&line, ",\"user\":%ld", req->user_id);
	if (!completed)
		buf_adds(&line, ",\"closed_early\":true");
	buf_adds(&line, "}\n");
	log_line(line.data, line.len);
	buf_release(&line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *req = *con_cls;
	long micros;

	(void)conn;
	if (!req)
		return;
	micros = elapsed_micros(&req->started);
	if (!req->replied)
		req->status = 499;	/* the client went away before a reply */
	record(s, req, micros);
	access_log(req, micros, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	atomic_fetch_sub(&s->in_flight, 1);
	req_free(req);
	*con_cls = NULL;
}

/* -------------------------------------------------------- connections */

static void address_text(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
	snprintf(out, INET6_ADDRSTRLEN, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

/* The slot of `ip`, or with `add` a free one for it; NULL if none. Under conn_mu. */
static struct client_slot *client_slot(struct http_server *s, const char *ip, bool add)
{
	struct client_slot *free_slot = NULL;

	for (size_t i = 0; i < CONNECTION_LIMIT; i++) {
		struct client_slot *c = &s->clients[i];
		if (c->n > 0 && !strcmp(c->ip, ip))
			return c;
		if (c->n == 0 && !free_slot)
			free_slot = c;
	}
	if (add && free_slot)
		snprintf(free_slot->ip, sizeof(free_slot->ip), "%s", ip);
	return add ? free_slot : NULL;
}

/*
 * The accept policy: a client address holding its share is refused, and
 * once the server holds all but the reserve, so is one that holds a few
 * already; health checks and other users get the rest. An accepted
 * connection is counted here, under the lock, so that worker threads
 * accepting at once cannot each see the share not yet reached.
 * (libmicrohttpd checks its global limit before asking; a connection it
 * then fails to set up, for want of memory, stays counted.)
 */
static enum MHD_Result admit_connection(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct http_server *s = cls;
	char ip[INET6_ADDRSTRLEN];
	enum MHD_Result ok = MHD_YES;

	(void)len;
	address_text(addr, ip);
	pthread_mutex_lock(&s->conn_mu);
	struct client_slot *c = client_slot(s, ip, false);
	int held = c ? c->n : 0;
	if (held >= s->cfg.per_client) {
		atomic_fetch_add(&s->refused_per_client, 1);
		ok = MHD_NO;
	} else if (s->connections >= (long)(CONNECTION_LIMIT - CONNECTION_LIMIT / RESERVE_SHARE)
		   && held >= RESERVE_PER_CLIENT) {
		atomic_fetch_add(&s->refused_reserve, 1);
		ok = MHD_NO;
	} else if ((c = client_slot(s, ip, true))) {
		c->n++;
		s->connections++;
	}
	pthread_mutex_unlock(&s->conn_mu);
	return ok;
}

/* Ties each connection to the count admit_connection() made, until it closes. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode what)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	char ip[INET6_ADDRSTRLEN];

	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		address_text(ci ? ci->client_addr : NULL, ip);
		pthread_mutex_lock(&s->conn_mu);
		*socket_context = client_slot(s, ip, false);
		pthread_mutex_unlock(&s->conn_mu);
	} else if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct client_slot *c = *socket_context;
		pthread_mutex_lock(&s->conn_mu);
		if (c) {
			c->n--;
			s->connections--;
		}
		pthread_mutex_unlock(&s->conn_mu);
		*socket_context = NULL;
	}
}

/*
 * Percent-decoding of the path and query: libmicrohttpd's own, except that
 * %00 becomes DEL rather than a NUL that would cut the text short, so the
 * path check refuses it instead of serving a shorter path.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *text)
{
	(void)cls, (void)conn;
	for (char *p = strstr(text, "%00"); p; p = strstr(p + 3, "%00"))
		p[2] = 'F', p[1] = '7';	/* %00 → %7F */
	return MHD_http_unescape(text);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	(void)cls;
	buf_vaddf(&b, fmt, ap);
	while (b.len && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	log_warn("http: %s", b.data);
	buf_release(&b);
}

struct http_server *http_server_start(const struct http_config *cfg, struct err *e)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in addr = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	s->cfg = *cfg;
	if (!s->cfg.max_public_body)
		s->cfg.max_public_body = 64 * 1024;
	if (s->cfg.max_public_body > s->cfg.max_body)
		s->cfg.max_public_body = s->cfg.max_body;
	if (s->cfg.per_client <= 0)
		s->cfg.per_client = 64;
	if (s->cfg.idle_timeout <= 0)
		s->cfg.idle_timeout = 15;
	s->clients = xcalloc(CONNECTION_LIMIT, sizeof(*s->clients));
	pthread_mutex_init(&s->conn_mu, NULL);
	pthread_mutex_init(&s->park_mu, NULL);
	pthread_cond_init(&s->park_cv, NULL);
	s->routes = xcalloc(cfg->nroutes + 1, sizeof(*s->routes));
	s->stats = xcalloc(cfg->nroutes + 1, sizeof(*s->stats));
	for (size_t i = 0; i < cfg->nroutes; i++)
		compile_route(&s->routes[i], &cfg->routes[i]);
	addr.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->bind, &addr.sin_addr) != 1) {
		err_set(e, 400, ERR_BAD_OPTION, "invalid listen address \"%s\": expected an IPv4 address",
			cfg->bind);
		goto fail;
	}
	/*
	 * poll(2), not epoll: with epoll, libmicrohttpd's quiesce takes the
	 * listening socket out of each worker's epoll set from the stopping
	 * thread while the worker may be doing the same on its own, and the
	 * loser aborts the process ("Failed to remove listen FD from epoll
	 * set"). Each worker polls at most its share of CONNECTION_LIMIT.
	 */
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG
			| MHD_ALLOW_SUSPEND_RESUME,
		0, admit_connection, s, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 1),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.idle_timeout,
		MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
		MHD_OPTION_END);
	if (!s->daemon) {
		err_set(e, 503, ERR_LISTEN_FAILED, "cannot listen on %s:%d (is the port in use?)",
			cfg->bind, cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	pthread_create(&s->park_timer, NULL, park_timer, s);
	return s;
fail:
	for (size_t i = 0; i < cfg->nroutes; i++)
		for (int k = 0; k < s->routes[i].nsegments; k++)
			free(s->routes[i].segments[k]);
	free(s->routes);
	free(s->stats);
	pthread_cond_destroy(&s->park_cv);
	pthread_mutex_destroy(&s->park_mu);
	pthread_mutex_destroy(&s->conn_mu);
	free(s->clients);
	free(s);
	return NULL;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s, int grace_ms)
{
	MHD_socket listen_fd;

	if (!s)
		return;
	/*
	 * Quiescing tells each worker thread to stop polling the listening
	 * socket, which it does in its own time: the socket is closed only
	 * once the daemon has stopped, or a worker that gets to it after the
	 * close finds a closed descriptor and libmicrohttpd aborts.
	 */
	listen_fd = MHD_quiesce_daemon(s->daemon);
	park_close(s);
	for (int waited = 0; atomic_load(&s->in_flight) > 0 && waited < grace_ms; waited += 10)
		usleep(10 * 1000);
	if (atomic_load(&s->in_flight) > 0)
		log_warn("stopping with %ld requests still in flight", atomic_load(&s->in_flight));
	MHD_stop_daemon(s->daemon);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	for (size_t i = 0; i < s->cfg.nroutes; i++)
		for (int k = 0; k < s->routes[i].nsegments; k++)
			free(s->routes[i].segments[k]);
	free(s->routes);
	free(s->stats);
	pthread_cond_destroy(&s->park_cv);
	pthread_mutex_destroy(&s->park_mu);
	pthread_mutex_destroy(&s->conn_mu);
	free(s->clients);
	free(s);
}

static void route_labels(const struct http_server *s, size_t i, const char **method,
			 const char **pattern)
{
	*method = i < s->cfg.nroutes ? s->cfg.routes[i].method : "";
	*pattern = i < s->cfg.nroutes ? s->cfg.routes[i].pattern : "unmatched";
}

static void metrics_counts(const struct http_server *s, size_t i, struct buf *out)
{
	const struct route_stats *st = &s->stats[i];
	const char *method, *pattern;

	route_labels(s, i, &method, &pattern);
	for (size_t k = 0; k < NSTATUS; k++) {
		long n = atomic_load(&st->by_status[k]);
		if (!n)
			continue;
		buf_addf(out, "hotline_http_requests_total{method=\"%s\",route=\"%s\",status=\"",
			 method, pattern);
		if (k < NSTATUS - 1)
			buf_addf(out, "%d\"} %ld\n", counted_statuses[k], n);
		else
			buf_addf(out, "other\"} %ld\n", n);
	}
}

static void metrics_histogram(const struct http_server *s, size_t i, struct buf *out)
{
	const struct route_stats *st = &s->stats[i];
	const char *method, *pattern;
	long cumulative = 0;

	route_labels(s, i, &method, &pattern);
	for (size_t k = 0; k < NBUCKETS; k++)
		cumulative += atomic_load(&st->buckets[k]);
	if (!cumulative)
		return;
	cumulative = 0;
	for (size_t k = 0; k < NBUCKETS; k++) {
		cumulative += atomic_load(&st->buckets[k]);
		buf_addf(out, "hotline_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"",
			 method, pattern);
		if (k < NBUCKETS - 1)
			buf_addf(out, "%g\"} %ld\n", latency_bounds_ms[k] / 1000.0, cumulative);
		else
			buf_addf(out, "+Inf\"} %ld\n", cumulative);
	}
	buf_addf(out, "hotline_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
		 method, pattern, (double)atomic_load(&st->micros_sum) / 1e6);
	buf_addf(out, "hotline_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %ld\n",
		 method, pattern, cumulative);
}

void http_server_metrics(const struct http_server *s, struct buf *out)
{
	buf_adds(out, "# HELP hotline_http_requests_total HTTP requests by route and status.\n"
		      "# TYPE hotline_http_requests_total counter\n");
	for (size_t i = 0; i <= s->cfg.nroutes; i++)
		metrics_counts(s, i, out);
	buf_adds(out, "# HELP hotline_http_request_duration_seconds Time from first byte to reply.\n"
		      "# TYPE hotline_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= s->cfg.nroutes; i++)
		metrics_histogram(s, i, out);
	buf_addf(out, "# HELP hotline_http_in_flight Requests being handled.\n"
		      "# TYPE hotline_http_in_flight gauge\nhotline_http_in_flight %ld\n",
		 atomic_load(&s->in_flight) - 1);
	pthread_mutex_lock((pthread_mutex_t *)&s->conn_mu);
	long open = s->connections;
	pthread_mutex_unlock((pthread_mutex_t *)&s->conn_mu);
	buf_addf(out, "# HELP hotline_http_connections Open client connections.\n"
		      "# TYPE hotline_http_connections gauge\nhotline_http_connections %ld\n", open);
	buf_addf(out, "# HELP hotline_http_refused_total Connections and requests refused before any handler.\n"
		      "# TYPE hotline_http_refused_total counter\n"
		      "hotline_http_refused_total{reason=\"per_client\"} %ld\n"
		      "hotline_http_refused_total{reason=\"reserve\"} %ld\n"
		      "hotline_http_refused_total{reason=\"framing\"} %ld\n",
		 atomic_load(&s->refused_per_client), atomic_load(&s->refused_reserve),
		 atomic_load(&s->refused_framing));
}
