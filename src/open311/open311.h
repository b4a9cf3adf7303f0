/*
 * open311: citizens' requests through the Open311 GeoReport v2 model —
 * the services a citizen may file under (the categories the city marks
 * public), a new request (registered as an order on the channel of the
 * app that filed it, exactly as an agent's registration), and the public
 * view of requests: their status, the unit responsible, the expected time
 * and the unit's reply, never the caller.
 *
 * The public pages (/public/…) file requests through the same table of
 * parameters and the same checks; the HTTP side of Open311
 * (/open311/v2/…, JSON and XML) is open311_http.c.
 *
 * Every function returning json_object returns a new reference owned by
 * the caller, or NULL with `e` filled. Statuses are HTTP's: Open311 says
 * 400 for a bad request (an unknown service code, no location, a field
 * refused), 403 for a bad api_key and 404 for an unknown service or
 * request.
 */
#ifndef HOTLINE_OPEN311_OPEN311_H
#define HOTLINE_OPEN311_OPEN311_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "db/db.h"
#include "orders/params.h"

/* At most this many requests in one answer, and the longest date range. */
#define OPEN311_MAX_REQUESTS 1000
#define OPEN311_RANGE_DAYS 90

/* A new request: the members of Open311's POST requests that are kept. */
struct open311_request {
	const char *service_code;	/* a public category's code */
	struct opt_number lat, lon;	/* "lat", "long": both or neither */
	const char *address_string;
	const char *address_id;
	const char *first_name, *last_name;
	char phone[PHONE_MAX];		/* normalised; "" if none */
	const char *email, *device_id, *account_id;	/* read and not kept */
	const char *description;
	const char *media_url;		/* not kept: attachments are another work */
	const char *jurisdiction_id;	/* one city: accepted and ignored */
};

/* The parameters of a new request, by their Open311 names, with the Chinese
 * labels of the public form (see params.h). */
extern const struct param_spec open311_request_fields[];
extern const size_t open311_request_fields_count;

/*
 * Reads a new request from `src` (a form) into `out`: every field checked
 * by the table, then a location (lat and long, address_string or
 * address_id) and a service code required. Every bad field is reported
 * (e->more); statuses are 422 as the table gives them (the Open311 side
 * answers them as 400).
 */
bool open311_read_request(const struct param_source *src, struct open311_request *out, struct err *e);

/*
 * Registers request `r` as an order on `channel`, by `submitter` (the app
 * a key was issued to, or "public" for the public pages) through
 * orders_create(): it waits in the 待派单 queue with its routing
 * suggestions and duplicate candidates like any other. Returns
 * {"service_request_id": number, "service_notice": …, "account_id": null}.
 * 400 "unknown-category" naming service_code when the code is not a
 * public service; the statuses of orders_create() otherwise.
 */
json_object *open311_submit(struct db *db, const struct open311_request *r, const char *channel,
			    const char *submitter, struct err *e);

/* The public services, by code: [{service_code, service_name, description,
 * metadata, type, keywords, group}…]. */
json_object *open311_services(struct db *db, struct err *e);

/* The service definition of `code`: {service_code, attributes: []}. 404 if
 * it is not a public service. */
json_object *open311_service_definition(struct db *db, const char *code, struct err *e);

/*
 * Marks category `code` public (a service) or not. A public category
 * files its requests with `request_type` (NULL: keep the one it has) and
 * shows `description` (NULL: keep). 404 if there is no such category,
 * 422 naming request_type if that is not a request type.
 */
bool open311_publish(struct db *db, const char *code, bool public, const char *request_type,
		     const char *description, struct err *e);

/* What GET requests asks for. Lists are comma-separated; NULL: any. */
struct open311_query {
	const char *ids;		/* service_request_id: overrides the rest */
	const char *service_codes;
	const char *statuses;		/* "open", "closed" */
	time_t start, end;		/* 0: the last OPEN311_RANGE_DAYS days */
};

/*
 * The requests `q` selects, newest first, at most OPEN311_MAX_REQUESTS:
 * orders of a public category that are not confidential. Each is
 * {service_request_id, status, status_notes, service_name, service_code,
 * description, agency_responsible, service_notice, requested_datetime,
 * updated_datetime, expected_datetime, address, address_id, zipcode, lat,
 * long, media_url}; the caller never appears. 400 for a bad status or a
 * range of more than OPEN311_RANGE_DAYS days.
 */
json_object *open311_requests(struct db *db, const struct open311_query *q, struct err *e);

#endif
