/*
 * The delivery thread: claims due outbox messages one at a time under a
 * lease, POSTs each to 110 over libcurl, and records the outcome.
 *
 * A message is claimable when it is pending, due, not leased (or its lease
 * expired: its sender died), and every earlier message of its order has
 * been acknowledged. The claim is one statement (FOR UPDATE SKIP LOCKED),
 * committed before the request goes out, so no transaction stays open
 * across the network; the outcome is written only while this process
 * still holds the lease.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonutil.h"
#include "core/log.h"
#include "police/police.h"
#include "police/police_private.h"

#define RESPONSE_MAX (64 * 1024)
#define PURGE_SECONDS 60

struct police_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;			/* under mu */
	atomic_bool stopping;		/* read by the transfer's progress callback */
	char owner[48];			/* lease owner: this process */
	time_t last_purge;
};

/* One claimed message. */
struct message {
	char id[24];
	char message_id[160];
	char kind[16];
	char number[40];
	char *body;
	int attempts;
};

/* How a delivery ended. */
enum outcome {
	OUT_SENT,			/* 2xx */
	OUT_RETRY,			/* try again later */
	OUT_REFUSED,			/* the peer refused it (4xx): park at once */
	OUT_ABANDONED,			/* shutting down: not an attempt */
};

static const char *const outcome_codes[] = { "sent", "retry", "refused", "abandon" };

static const char claim_sql[] =
	"UPDATE police_outbox m SET lease_owner = $1,"
	" lease_until = now() + make_interval(secs => $2::float8 / 1000),"
	" attempts = m.attempts + 1, last_attempt_at = now()"
	" WHERE m.id = ("
	"  SELECT c.id FROM police_outbox c"
	"  WHERE c.state = 'pending' AND c.next_attempt_at <= now()"
	"   AND (c.lease_until IS NULL OR c.lease_until < now())"
	"   AND NOT EXISTS (SELECT 1 FROM police_outbox p"
	"    WHERE p.order_id = c.order_id AND p.seq < c.seq AND p.state <> 'sent')"
	"  ORDER BY c.next_attempt_at, c.id LIMIT 1"
	"  FOR UPDATE SKIP LOCKED)"
	" RETURNING m.id, m.message_id, m.kind, m.body, m.attempts,"
	" (SELECT number FROM work_order WHERE id = m.order_id) AS number";

static const char record_sql[] =
	"UPDATE police_outbox SET"
	" state = CASE WHEN $3 = 'sent' THEN 'sent'"
	"  WHEN $3 = 'refused' OR ($3 = 'retry' AND attempts >= $4::integer) THEN 'parked'"
	"  ELSE 'pending' END,"
	" sent_at = CASE WHEN $3 = 'sent' THEN now() END,"
	" parked_at = CASE WHEN $3 = 'refused' OR ($3 = 'retry' AND attempts >= $4::integer)"
	"  THEN now() END,"
	" attempts = CASE WHEN $3 = 'abandon' THEN greatest(attempts - 1, 0) ELSE attempts END,"
	" next_attempt_at = now() + make_interval(secs => $5::float8 / 1000),"
	" last_status = $6::integer, last_error = $7, peer_ref = coalesce($8, peer_ref),"
	" lease_owner = NULL, lease_until = NULL"
	" WHERE id = $1 AND lease_owner = $2"
	" RETURNING state, attempts";

/* 1 with `m` filled, 0 when nothing is due, -1 on a database error. */
static int claim(struct db *db, struct police_worker *w, struct message *m)
{
	const struct police_config *cfg = police_settings();
	struct err e = ERR_INIT;
	char lease[24];
	struct db_res *r;

	snprintf(lease, sizeof(lease), "%d", 2 * cfg->timeout_ms + 1000);
	r = DB_EXEC(db, &e, claim_sql, w->owner, lease);
	if (!r) {
		log_warn("110 bridge: cannot claim outbox messages: %s", e.message);
		return -1;
	}
	if (db_res_rows(r) != 1) {
		db_res_free(r);
		return 0;
	}
	snprintf(m->id, sizeof(m->id), "%s", db_res_str(r, 0, "id"));
	snprintf(m->message_id, sizeof(m->message_id), "%s", db_res_str(r, 0, "message_id"));
	snprintf(m->kind, sizeof(m->kind), "%s", db_res_str(r, 0, "kind"));
	snprintf(m->number, sizeof(m->number), "%s", db_res_str(r, 0, "number"));
	m->body = xstrdup(db_res_str(r, 0, "body"));
	m->attempts = (int)db_res_ll(r, 0, "attempts");
	db_res_free(r);
	return 1;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;

	if (b->len + len > RESPONSE_MAX)
		len = RESPONSE_MAX > b->len ? RESPONSE_MAX - b->len : 0;
	buf_add(b, data, len);
	return size * n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct police_worker *w = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(&w->stopping) ? 1 : 0;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(list, line);

	free(line);
	if (!l)
		abort();
	return l;
}

/*
 * POSTs `m` to the peer. Fills *status (0 without a response), `error`
 * with a reason when not sent, and `peer_ref` with the incident number an
 * acknowledgement of a transfer carries.
 */
static enum outcome deliver(struct police_worker *w, CURL *curl, const struct message *m,
			    long *status, struct buf *error, struct buf *peer_ref)
{
	const struct police_config *cfg = police_settings();
	char ts[24], sig[POLICE_SIGNATURE_LEN], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct buf response = BUF_INIT;
	size_t len = strlen(m->body);
	enum outcome out;
	CURLcode rc;

	*status = 0;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	police_sign(cfg->secret, ts, m->body, len, sig);
	headers = add_header(headers, "Content-Type", "application/json; charset=utf-8");
	headers = add_header(headers, "X-Hotline-Timestamp", ts);
	headers = add_header(headers, "X-Hotline-Signature", sig);
	headers = add_header(headers, "Idempotency-Key", m->message_id);
	headers = add_header(headers, "Expect", "");
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, cfg->url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, m->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "hotline/" HOTLINE_VERSION);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, w);
	rc = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		out = rc == CURLE_ABORTED_BY_CALLBACK ? OUT_ABANDONED : OUT_RETRY;
		buf_addf(error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 200 && *status < 300) {
		json_object *ack = NULL;
		struct err ignored = ERR_INIT;
		if (response.len && json_parse_object(response.data, response.len, &ack, &ignored)
		    && json_str(ack, "incident_no"))
			buf_adds(peer_ref, json_str(ack, "incident_no"));
		json_object_put(ack);
		out = OUT_SENT;
		goto out;
	}
	/* Busy, throttled, or broken on their side: later. Any other refusal
	 * will not change by itself: park it for an operator. */
	out = *status == 408 || *status == 425 || *status == 429 || *status >= 500 ? OUT_RETRY
										   : OUT_REFUSED;
	buf_addf(error, "HTTP %ld: %.*s", *status, (int)(response.len > 300 ? 300 : response.len),
		 response.data);
out:
	buf_release(&response);
	return out;
}

static void record(struct db *db, struct police_worker *w, const struct message *m,
		   enum outcome out, long status, const char *error, const char *peer_ref)
{
	const struct police_config *cfg = police_settings();
	char max[16], delay[24], code[16];
	struct err e = ERR_INIT;
	struct db_res *r;

	snprintf(max, sizeof(max), "%d", cfg->max_attempts);
	snprintf(delay, sizeof(delay), "%ld", out == OUT_RETRY
		 ? police_backoff_ms(m->attempts, cfg->retry_ms, cfg->retry_max_ms,
				     randombytes_uniform(1000000))
		 : 0);
	snprintf(code, sizeof(code), "%ld", status);
	r = DB_EXEC(db, &e, record_sql, m->id, w->owner, outcome_codes[out], max, delay,
		    status ? code : NULL, error, peer_ref && *peer_ref ? peer_ref : NULL);
	if (!r) {
		log_warn("110 bridge: cannot record the delivery of %s: %s", m->message_id, e.message);
		return;
	}
	if (db_res_rows(r) != 1) {
		log_warn("110 bridge: lost the lease on %s while sending it", m->message_id);
	} else if (out == OUT_SENT) {
		atomic_fetch_add(&police_stats.sent, 1);
		log_info("110 bridge: %s %s of order %s acknowledged (HTTP %ld, attempt %d)", m->kind,
			 m->message_id, m->number, status, m->attempts);
	} else if (out != OUT_ABANDONED) {
		atomic_fetch_add(&police_stats.failed_attempts, 1);
		if (!strcmp(db_res_str(r, 0, "state"), "parked")) {
			atomic_fetch_add(&police_stats.parked, 1);
			log_error("110 bridge ALERT: %s %s of order %s parked after %d attempts (%s);"
				  " later messages of the order wait; resend with `hotline outbox retry --id %s`",
				  m->kind, m->message_id, m->number, m->attempts, error, m->id);
		} else {
			log_warn("110 bridge: %s %s of order %s not delivered (attempt %d: %s); retrying in %s ms",
				 m->kind, m->message_id, m->number, m->attempts, error, delay);
		}
	}
	db_res_free(r);
}

static void refresh_figures(struct db *db, struct police_worker *w)
{
	struct err e = ERR_INIT;
	struct db_res *r;
	time_t now = time(NULL);

	r = db_exec(db,
		    "SELECT (SELECT count(*) FROM police_outbox WHERE state = 'pending') AS pending,"
		    " (SELECT count(*) FROM police_outbox WHERE state = 'parked') AS parked,"
		    " coalesce((SELECT extract(epoch FROM now() - min(created_at))::bigint"
		    "  FROM police_outbox WHERE state = 'pending'), 0) AS oldest",
		    0, NULL, &e);
	if (r) {
		atomic_store(&police_stats.pending_now, (long)db_res_ll(r, 0, "pending"));
		atomic_store(&police_stats.parked_now, (long)db_res_ll(r, 0, "parked"));
		atomic_store(&police_stats.oldest_pending_s, (long)db_res_ll(r, 0, "oldest"));
		db_res_free(r);
	}
	if (now - w->last_purge >= PURGE_SECONDS) {
		w->last_purge = now;
		if (!db_run(db, "DELETE FROM police_nonce WHERE seen_at < now() - interval '15 minutes'",
			    0, NULL, &e))
			log_warn("110 bridge: cannot purge replay records: %s", e.message);
	}
}

/* Delivers every due message; returns when none is left or on stop. */
static void deliver_due(struct db *db, struct police_worker *w, CURL *curl)
{
	struct message m;

	while (!atomic_load(&w->stopping) && claim(db, w, &m) == 1) {
		struct buf error = BUF_INIT, peer_ref = BUF_INIT;
		long status;
		enum outcome out = deliver(w, curl, &m, &status, &error, &peer_ref);

		record(db, w, &m, out, status, error.data, peer_ref.data);
		buf_release(&error);
		buf_release(&peer_ref);
		free(m.body);
	}
}

static void *worker_main(void *arg)
{
	struct police_worker *w = arg;
	const struct police_config *cfg = police_settings();
	CURL *curl = curl_easy_init();
	struct timespec until;

	if (!curl)
		log_error("110 bridge: libcurl failed to start: messages to 110 wait");
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct err e = ERR_INIT;
		struct db *db;

		pthread_mutex_unlock(&w->mu);
		db = db_thread(&e);
		if (db) {
			if (cfg->url && cfg->secret && curl)
				deliver_due(db, w, curl);
			refresh_figures(db, w);
		}
		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += cfg->poll_ms / 1000;
		until.tv_nsec += (long)(cfg->poll_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->mu);
	if (curl)
		curl_easy_cleanup(curl);
	db_thread_close();
	return NULL;
}

struct police_worker *police_worker_start(void)
{
	struct police_worker *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	atomic_init(&w->stopping, false);
	snprintf(w->owner, sizeof(w->owner), "%d-%08x", (int)getpid(), randombytes_random());
	if (police_settings()->url)
		log_info("110 bridge: delivering to %s as %s", police_settings()->url, w->owner);
	pthread_create(&w->thread, NULL, worker_main, w);
	return w;
}

void police_worker_stop(struct police_worker *w)
{
	if (!w)
		return;
	atomic_store(&w->stopping, true);
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
