/*
 * police: the 110 bridge (wire format: docs/police.md) — work orders and
 * feedback exchanged with the 110 command centre (工单互转、闭环反馈).
 *
 * Outbound: actions on orders write messages to police_outbox inside the
 * action's own transaction (police_on_change, a hook of the orders module):
 * a transfer_out to "110" becomes a "transfer"; an order 110 handed to us
 * reports "dispatched", "completed"/"not_accepted", "merged" or "returned"
 * as "feedback". A background worker (police_worker_start) POSTs them as
 * signed JSON to HOTLINE_POLICE_URL until the peer answers 2xx, with
 * exponential backoff and jitter; messages of one order go strictly in
 * order (message n+1 waits until n is acknowledged); after
 * HOTLINE_POLICE_MAX_ATTEMPTS the message is parked, logged as an alert
 * and counted, until `hotline outbox retry` sends it again. Rows are
 * claimed with FOR UPDATE SKIP LOCKED and a lease, so several server
 * processes share the work without sending a message twice (the peer still
 * de-duplicates by Idempotency-Key: a process killed mid-request leaves a
 * lease that expires, and the message is sent again).
 *
 * Inbound: 110 POSTs 警单 (transfers) and feedback, signed the same way;
 * police_authenticate() checks the signature, the ±300 s timestamp window
 * and refuses a replayed signature.
 *
 * Signing: HMAC-SHA256 (libsodium) with the shared secret
 * HOTLINE_POLICE_SECRET over "<timestamp>.<body>", sent as
 *   X-Hotline-Timestamp: <unix seconds>
 *   X-Hotline-Signature: sha256=<64 lower-case hex digits>
 */
#ifndef HOTLINE_POLICE_POLICE_H
#define HOTLINE_POLICE_POLICE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "orders/orders.h"

#define POLICE_WINDOW_SECONDS 300
/* "sha256=" + 64 hex digits + NUL */
#define POLICE_SIGNATURE_LEN 72

/* Settings, from the environment (names in brackets, defaults after). */
struct police_config {
	char *url;		/* HOTLINE_POLICE_URL; NULL = off, messages wait */
	char *secret;		/* HOTLINE_POLICE_SECRET; NULL = inbound refused (503) */
	int max_attempts;	/* HOTLINE_POLICE_MAX_ATTEMPTS, 10: then parked */
	int retry_ms;		/* HOTLINE_POLICE_RETRY_MS, 1000: backoff base */
	int retry_max_ms;	/* HOTLINE_POLICE_RETRY_MAX_MS, 300000: backoff cap */
	int timeout_ms;		/* HOTLINE_POLICE_TIMEOUT_MS, 10000: one request */
	int poll_ms;		/* HOTLINE_POLICE_POLL_MS, 1000: idle outbox poll */
};

/*
 * Reads the settings from the environment into the process's
 * configuration and registers police_on_change with the orders module.
 * Call once at start, before threads run. Returns false with `e` (400,
 * field naming the variable) on a bad value, or when a URL is given
 * without a secret.
 */
bool police_init(struct err *e);
/* Frees the configuration (at shutdown). */
void police_shutdown(void);
/* The configuration police_init() read (all zero before). */
const struct police_config *police_settings(void);

/* ------------------------------------------------------------ signing */

/*
 * Writes "sha256=<hex>" of HMAC-SHA256(secret, timestamp "." body) to
 * `out`. `secret` may be of any length.
 */
void police_sign(const char *secret, const char *timestamp, const char *body, size_t len,
		 char out[POLICE_SIGNATURE_LEN]);

/*
 * Checks a signed request: `timestamp` (decimal unix seconds) within
 * POLICE_WINDOW_SECONDS of `now`, and `signature` equal to police_sign()'s
 * (hex in any case). Returns false with `e` (401) saying which check
 * failed; compares in constant time.
 */
bool police_verify(const char *secret, const char *timestamp, const char *signature,
		   const char *body, size_t len, time_t now, struct err *e);

/*
 * police_verify() with the configured secret, then records the signature
 * so that the same request cannot be replayed. Fails with 503 when no
 * secret is configured, 401 for a missing header, a bad or stale
 * signature or a replay.
 */
bool police_authenticate(struct db *db, const char *timestamp, const char *signature,
			 const char *body, size_t len, struct err *e);

/*
 * The delay before attempt `attempts` + 1 after `attempts` failures:
 * base·2^(attempts−1), capped at max_ms, of which the upper half is
 * random ("equal jitter"): the result lies in [d/2, d]. `random` is a
 * uniform number in [0, 1000000).
 */
long police_backoff_ms(int attempts, int base_ms, int max_ms, uint32_t random);

/* ------------------------------------------------------------ outbound */

/*
 * The orders hook: writes the messages an action causes to police_outbox
 * (see above). Returns false with `e` if the database fails, which
 * refuses the action.
 */
bool police_on_change(struct db *db, const struct order_change *change, struct err *e);

struct police_worker;
/*
 * Starts the delivery thread (one per process). It also refreshes the
 * outbox figures of /metrics and purges old replay records; without a
 * URL it delivers nothing. Never fails (allocation aborts).
 */
struct police_worker *police_worker_start(void);
/* Stops it: a request in flight is abandoned (and retried later). Accepts NULL. */
void police_worker_stop(struct police_worker *w);

/*
 * Makes parked message `id` (0: every parked message) pending again with
 * its attempts reset, to be sent at once. A pending message is brought
 * forward. Returns the number of messages changed, or -1 with `e` (404
 * for an unknown id, 409 for a message already acknowledged).
 */
long police_outbox_retry(struct db *db, int64_t id, struct err *e);

/* ------------------------------------------------------------ inbound */

/*
 * A 警单 from 110 (docs/police.md, §3.1): creates an order with
 * channel "police" as the system, or returns the order made earlier for
 * the same incident_no (*created false). Returns {"order_number",
 * "incident_no", "status", "created"}. Fails with 400 naming the field
 * for a missing or mistyped field, 422 for a refused value.
 */
json_object *police_receive_transfer(struct db *db, json_object *body, bool *created,
				     struct err *e);

/*
 * 110's feedback on an order we transferred to them: stored with an
 * order event "police_feedback", once per Idempotency-Key (or, without
 * one, per identical content). Returns {"order_number", "state",
 * "recorded"}; *created false for a repeat. 404 naming order_number if no
 * such order was transferred to 110; 400/422 as for transfers.
 */
json_object *police_receive_feedback(struct db *db, json_object *body, const char *idempotency_key,
				     bool *created, struct err *e);

/*
 * What the bridge knows of order `number`: the incident, the messages and
 * their delivery state, the feedback received. 404 if the viewer cannot
 * see the order.
 */
json_object *police_order_status(struct db *db, const struct principal *who, const char *number,
				 struct err *e);

/* Appends the bridge's Prometheus metrics. */
void police_metrics(struct buf *out);

struct config;
/* `hotline outbox list|retry`: argv[0] is "outbox". Returns the exit code. */
int police_cmd_outbox(struct config *cfg, int argc, char **argv);

#endif
