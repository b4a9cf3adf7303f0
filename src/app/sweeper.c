/*
 * The background sweeper: every period it moves deadline alerts along
 * (green → yellow → red), reloads the holiday calendar when a new year
 * was imported, and refreshes the open-order counts shown in /metrics.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "app/app.h"
#include "core/log.h"
#include "db/db.h"
#include "orders/deadline.h"
#include "orders/orders.h"
#include "supervision/callbacks.h"

static void sweep_once(struct sweeper *s)
{
	struct err e = ERR_INIT;
	struct db *db = db_thread(&e);
	struct db_res *r;
	long changed, green, yellow, red;

	if (!db)
		return;
	r = db_exec(db, "SELECT count(*) AS n FROM calendar_year", 0, NULL, &e);
	if (r) {
		if (db_res_ll(r, 0, "n") != deadline_calendar_years()
		    && deadline_calendar_load(db, &e)) {
			log_info("holiday calendar reloaded (%d years)", deadline_calendar_years());
			deadline_calendar_warn_missing();
		}
		db_res_free(r);
	}
	changed = orders_sweep(db, &e);
	if (changed < 0) {
		log_warn("deadline sweep failed: %s", e.message);
		return;
	}
	if (changed > 0)
		log_info("deadline sweep: %ld orders changed alert", changed);
	atomic_fetch_add(&s->changes, changed);
	if (callbacks_close_skipped(db, &e) < 0)
		log_warn("closing unsampled callbacks failed: %s", e.message);
	if (orders_alert_counts(db, &green, &yellow, &red, &e)) {
		atomic_store(&s->green, green);
		atomic_store(&s->yellow, yellow);
		atomic_store(&s->red, red);
	}
	atomic_fetch_add(&s->runs, 1);
}

static void *sweeper_main(void *arg)
{
	struct sweeper *s = arg;
	struct timespec until;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		sweep_once(s);
		pthread_mutex_lock(&s->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += s->period_seconds;
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	db_thread_close();
	return NULL;
}

void sweeper_start(struct sweeper *s, int period_seconds)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->stop = false;
	s->period_seconds = period_seconds > 0 ? period_seconds : 60;
	pthread_create(&s->thread, NULL, sweeper_main, s);
}

void sweeper_stop(struct sweeper *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}
