/* The bridge's settings, request signing and its checks, the backoff, /metrics. */
#include <ctype.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "police/police.h"
#include "police/police_private.h"

struct police_counters police_stats;
static struct police_config settings;

const struct police_config *police_settings(void)
{
	return &settings;
}

/* Reads an integer variable; leaves *out alone when it is unset. */
static bool env_int(const char *name, long min, long max, int *out, struct err *e)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return true;
	n = strtol(v, &end, 10);
	if (*end || n < min || n > max) {
		err_set(e, 400, ERR_BAD_OPTION, "invalid value \"%s\": expected a whole number from %ld to %ld",
			v, min, max);
		snprintf(e->field, sizeof(e->field), "%s", name);
		return false;
	}
	*out = (int)n;
	return true;
}

static char *env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? xstrdup(v) : NULL;
}

static void settings_release(void)
{
	free(settings.url);
	if (settings.secret)
		sodium_memzero(settings.secret, strlen(settings.secret));
	free(settings.secret);
	memset(&settings, 0, sizeof(settings));
}

bool police_init(struct err *e)
{
	settings_release();
	settings.max_attempts = 10;
	settings.retry_ms = 1000;
	settings.retry_max_ms = 300000;
	settings.timeout_ms = 10000;
	settings.poll_ms = 1000;
	settings.url = env_str("HOTLINE_POLICE_URL");
	settings.secret = env_str("HOTLINE_POLICE_SECRET");
	if (!env_int("HOTLINE_POLICE_MAX_ATTEMPTS", 1, 1000, &settings.max_attempts, e)
	    || !env_int("HOTLINE_POLICE_RETRY_MS", 1, 3600000, &settings.retry_ms, e)
	    || !env_int("HOTLINE_POLICE_RETRY_MAX_MS", 1, 86400000, &settings.retry_max_ms, e)
	    || !env_int("HOTLINE_POLICE_TIMEOUT_MS", 100, 600000, &settings.timeout_ms, e)
	    || !env_int("HOTLINE_POLICE_POLL_MS", 10, 600000, &settings.poll_ms, e))
		return false;
	if (settings.retry_max_ms < settings.retry_ms)
		settings.retry_max_ms = settings.retry_ms;
	if (settings.url && strncmp(settings.url, "http://", 7) && strncmp(settings.url, "https://", 8)) {
		err_set(e, 400, ERR_BAD_OPTION, "invalid 110 endpoint \"%s\": expected an http:// or https:// URL",
			settings.url);
		snprintf(e->field, sizeof(e->field), "HOTLINE_POLICE_URL");
		return false;
	}
	if (settings.url && !settings.secret) {
		err_set(e, 400, ERR_BAD_OPTION,
			"the 110 endpoint is set but no shared secret: messages to 110 must be signed");
		snprintf(e->field, sizeof(e->field), "HOTLINE_POLICE_SECRET");
		return false;
	}
	if (sodium_init() < 0)
		return err_set(e, 500, ERR_INTERNAL, "libsodium failed to initialise");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, 500, ERR_INTERNAL, "libcurl failed to initialise");
	orders_on_change(police_on_change);
	if (!settings.url)
		log_info("110 bridge: no HOTLINE_POLICE_URL, messages to 110 wait in the outbox");
	return true;
}

void police_shutdown(void)
{
	settings_release();
	curl_global_cleanup();
}

void police_sign(const char *secret, const char *timestamp, const char *body, size_t len,
		 char out[POLICE_SIGNATURE_LEN])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, POLICE_SIGNATURE_LEN - 7, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

bool police_verify(const char *secret, const char *timestamp, const char *signature,
		   const char *body, size_t len, time_t now, struct err *e)
{
	char expected[POLICE_SIGNATURE_LEN], given[POLICE_SIGNATURE_LEN];
	long long ts;
	char *end;

	if (!timestamp || !*timestamp)
		return err_set(e, 401, ERR_UNSIGNED, "missing X-Hotline-Timestamp header");
	if (!signature || !*signature)
		return err_set(e, 401, ERR_UNSIGNED, "missing X-Hotline-Signature header");
	ts = strtoll(timestamp, &end, 10);
	if (*end || strlen(timestamp) > 12 || !isdigit((unsigned char)timestamp[0]))
		return err_set(e, 401, ERR_BAD_TIMESTAMP,
			       "X-Hotline-Timestamp \"%.20s\" is not a number of seconds since 1970", timestamp);
	if (ts < (long long)now - POLICE_WINDOW_SECONDS || ts > (long long)now + POLICE_WINDOW_SECONDS)
		return err_set(e, 401, ERR_STALE_TIMESTAMP,
			       "X-Hotline-Timestamp %lld is %lld seconds from our clock; at most %d are allowed",
			       ts, ts > (long long)now ? ts - (long long)now : (long long)now - ts,
			       POLICE_WINDOW_SECONDS);
	if (strlen(signature) != POLICE_SIGNATURE_LEN - 1 || strncmp(signature, "sha256=", 7))
		return err_set(e, 401, ERR_BAD_SIGNATURE,
			       "X-Hotline-Signature must be \"sha256=\" and 64 hexadecimal digits");
	for (size_t i = 0; i < POLICE_SIGNATURE_LEN; i++)
		given[i] = (char)tolower((unsigned char)signature[i]);
	police_sign(secret, timestamp, body, len, expected);
	if (sodium_memcmp(expected, given, POLICE_SIGNATURE_LEN - 1) != 0)
		return err_set(e, 401, ERR_BAD_SIGNATURE,
			       "the signature does not match the body and timestamp: check the shared secret");
	return true;
}

bool police_authenticate(struct db *db, const char *timestamp, const char *signature,
			 const char *body, size_t len, struct err *e)
{
	char sig[POLICE_SIGNATURE_LEN];
	struct db_res *r;
	bool fresh;

	if (!settings.secret)
		return err_set(e, 503, ERR_NOT_CONFIGURED,
			       "the 110 bridge is not configured on this server (no shared secret)");
	if (!police_verify(settings.secret, timestamp, signature, body, len, time(NULL), e)) {
		atomic_fetch_add(&police_stats.rejected, 1);
		log_warn("110 bridge: refused a signed request: %s", e->message);
		return false;
	}
	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (char)tolower((unsigned char)signature[i]);
	r = DB_EXEC(db, e, "INSERT INTO police_nonce (signature) VALUES ($1)"
			   " ON CONFLICT (signature) DO NOTHING RETURNING 1 AS fresh", sig);
	if (!r)
		return false;
	fresh = db_res_rows(r) == 1;
	db_res_free(r);
	if (!fresh) {
		atomic_fetch_add(&police_stats.rejected, 1);
		log_warn("110 bridge: refused a replayed request (signature seen before)");
		return err_set(e, 401, ERR_REPLAYED,
			       "this request was already received: sign every attempt with a fresh timestamp");
	}
	return true;
}

long police_backoff_ms(int attempts, int base_ms, int max_ms, uint32_t random)
{
	long delay = base_ms > 0 ? base_ms : 1;

	for (int i = 1; i < attempts && delay < max_ms; i++)
		delay *= 2;
	if (delay > max_ms)
		delay = max_ms;
	return delay / 2 + (long)((double)(delay - delay / 2) * (double)(random % 1000000u) / 1e6);
}

void police_metrics(struct buf *out)
{
	buf_addf(out,
		 "# HELP hotline_police_outbox_pending Messages to 110 waiting to be acknowledged.\n"
		 "# TYPE hotline_police_outbox_pending gauge\nhotline_police_outbox_pending %ld\n"
		 "# HELP hotline_police_outbox_parked Messages to 110 parked after too many attempts.\n"
		 "# TYPE hotline_police_outbox_parked gauge\nhotline_police_outbox_parked %ld\n"
		 "# HELP hotline_police_outbox_oldest_pending_seconds Age of the oldest waiting message.\n"
		 "# TYPE hotline_police_outbox_oldest_pending_seconds gauge\n"
		 "hotline_police_outbox_oldest_pending_seconds %ld\n",
		 atomic_load(&police_stats.pending_now), atomic_load(&police_stats.parked_now),
		 atomic_load(&police_stats.oldest_pending_s));
	buf_addf(out,
		 "# HELP hotline_police_messages_sent_total Messages to 110 acknowledged.\n"
		 "# TYPE hotline_police_messages_sent_total counter\nhotline_police_messages_sent_total %ld\n"
		 "# HELP hotline_police_delivery_failures_total Delivery attempts to 110 without a 2xx.\n"
		 "# TYPE hotline_police_delivery_failures_total counter\n"
		 "hotline_police_delivery_failures_total %ld\n"
		 "# HELP hotline_police_messages_parked_total Messages parked (alerts) by this process.\n"
		 "# TYPE hotline_police_messages_parked_total counter\n"
		 "hotline_police_messages_parked_total %ld\n",
		 atomic_load(&police_stats.sent), atomic_load(&police_stats.failed_attempts),
		 atomic_load(&police_stats.parked));
	buf_addf(out,
		 "# HELP hotline_police_transfers_received_total Work orders received from 110.\n"
		 "# TYPE hotline_police_transfers_received_total counter\n"
		 "hotline_police_transfers_received_total{result=\"created\"} %ld\n"
		 "hotline_police_transfers_received_total{result=\"repeat\"} %ld\n"
		 "# HELP hotline_police_feedback_received_total Feedback received from 110.\n"
		 "# TYPE hotline_police_feedback_received_total counter\n"
		 "hotline_police_feedback_received_total %ld\n"
		 "# HELP hotline_police_requests_rejected_total Requests from 110 refused by signature checks.\n"
		 "# TYPE hotline_police_requests_rejected_total counter\n"
		 "hotline_police_requests_rejected_total %ld\n",
		 atomic_load(&police_stats.transfers_created), atomic_load(&police_stats.transfers_repeated),
		 atomic_load(&police_stats.feedback_received), atomic_load(&police_stats.rejected));
}
