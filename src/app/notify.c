#include "app/notify.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"

#define WAIT_MS 250			/* how long one wait lasts: the stop's latency */
#define RECONNECT_WAITS 4		/* waits between two connection attempts */

struct notifier {
	pthread_t thread;
	atomic_bool stop;
	struct http_server *server;
	const char *const *channels;
};

static void wake(const char *channel, const char *payload, void *arg)
{
	struct notifier *n = arg;
	char topic[128];

	snprintf(topic, sizeof(topic), "%s:%s", channel, payload);
	http_server_wake(n->server, topic);
}

/* A connection listening on every channel, or NULL (logged). */
static struct db *listen_all(struct notifier *n)
{
	struct err e = ERR_INIT;
	struct db *db = db_connect(db_conninfo(), &e);

	for (size_t i = 0; db && n->channels[i]; i++) {
		struct buf sql = BUF_INIT;
		bool ok;

		buf_addf(&sql, "LISTEN %s", n->channels[i]);	/* a constant of ours, not input */
		ok = db_run(db, sql.data, 0, NULL, &e);
		buf_release(&sql);
		if (!ok) {
			db_close(db);
			db = NULL;
		}
	}
	if (!db)
		log_warn("notifications: cannot listen (%s); consoles learn of new calls by polling",
			 e.message);
	return db;
}

static void *run(void *arg)
{
	struct notifier *n = arg;
	struct db *db = NULL;
	int idle = RECONNECT_WAITS;

	while (!atomic_load(&n->stop)) {
		struct err e = ERR_INIT;

		if (!db) {
			if (idle++ < RECONNECT_WAITS) {
				usleep(WAIT_MS * 1000);
				continue;
			}
			idle = 0;
			if (!(db = listen_all(n)))
				continue;
		}
		if (db_wait_notify(db, WAIT_MS, wake, n, &e) < 0) {
			log_warn("notifications: %s; reconnecting", e.message);
			db_close(db);
			db = NULL;
		}
	}
	db_close(db);
	return NULL;
}

struct notifier *notifier_start(struct http_server *s, const char *const *channels)
{
	struct notifier *n = xcalloc(1, sizeof(*n));

	n->server = s;
	n->channels = channels;
	pthread_create(&n->thread, NULL, run, n);
	return n;
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	pthread_join(n->thread, NULL);
	free(n);
}
