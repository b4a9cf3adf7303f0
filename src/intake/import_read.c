/*
 * import_read: the reading half of the call import (import_private.h). A
 * thread pulls records from the reader into one of two chunks; a full
 * chunk goes to the storing side, and the thread fills the other one
 * meanwhile. Handing over and giving back take a mutex; the thread waits
 * only when both chunks are with the storing side.
 */
#include "intake/import_private.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#include "calls/cdr.h"
#include "db/copy.h"
#include "orders/fields.h"

struct import_reading {
	struct cdr_reader *reader;
	const struct intake_settings *settings;
	size_t limit;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct import_chunk chunks[2];
	/* under mu: full chunks in input order, and spare ones */
	struct import_chunk *ready[2], *spare[2];
	int nready, nspare;
	bool stop;			/* written under mu, read anywhere atomically */
};

/* ---- chunks ---- */

static void chunk_init(struct import_chunk *ch)
{
	memset(ch, 0, sizeof(*ch));
	for (int l = 0; l < INTAKE_LANES; l++) {
		buf_init(&ch->cdrs[l].fields);
		buf_init(&ch->cdrs[l].strs);
	}
	buf_init(&ch->text);
	buf_init(&ch->reject_texts);
}

static void chunk_release(struct import_chunk *ch)
{
	for (int l = 0; l < INTAKE_LANES; l++) {
		free(ch->cdrs[l].recs);
		buf_release(&ch->cdrs[l].fields);
		buf_release(&ch->cdrs[l].strs);
	}
	buf_release(&ch->text);
	free(ch->reject_lines);
	buf_release(&ch->reject_texts);
}

/* Empties a chunk for the next batch, keeping its memory. */
static void chunk_reset(struct import_chunk *ch)
{
	ch->queue = false;
	ch->staged = 0;
	ch->format = CDR_AUTO;
	for (int l = 0; l < INTAKE_LANES; l++) {
		ch->cdrs[l].nrecs = 0;
		buf_reset(&ch->cdrs[l].fields);
		buf_reset(&ch->cdrs[l].strs);
	}
	buf_reset(&ch->text);
	ch->nrejects = 0;
	buf_reset(&ch->reject_texts);
	ch->end = false;
	err_clear(&ch->err);
}

/* The reason without the reader's "line N: " prefix. */
static const char *reject_reason(const char *message)
{
	const char *p = message;

	if (strncmp(p, "line ", 5))
		return message;
	p += 5;
	p += strspn(p, "0123456789");
	return strncmp(p, ": ", 2) ? message : p + 2;
}

static void chunk_reject(struct import_chunk *ch, unsigned long line, const struct err *re)
{
	const char *reason = reject_reason(re->message);

	if (ch->nrejects == ch->rejects_cap) {
		ch->rejects_cap = ch->rejects_cap ? 2 * ch->rejects_cap : 16;
		ch->reject_lines = xrealloc(ch->reject_lines, ch->rejects_cap * sizeof(*ch->reject_lines));
	}
	ch->reject_lines[ch->nrejects++] = line;
	buf_add(&ch->reject_texts, re->field, strlen(re->field) + 1);
	buf_add(&ch->reject_texts, reason, strlen(reason) + 1);
}

/* call_kind() of migrations/0004_calls.sql. */
static const char *record_kind(const struct intake_settings *s, const struct call_record *c)
{
	const char *ctx = c->context;

	if (ctx && (!strncmp(ctx, "from-internal", 13) || !strncmp(ctx, "internal", 8)
		    || !strcmp(ctx, "default")))
		return "outbound";
	if (!c->dialled || !intake_is_hotline(s, c->dialled))
		return "other";
	if (!c->lastapp || !strcmp(c->lastapp, "Queue") || !strcmp(c->lastapp, "Dial")
	    || !strcmp(c->lastapp, "AgentLogin") || c->dstchannel || c->agent)
		return "inbound";
	return "ivr";
}

/* Appends "\t<phone or \N>\n" in place of the line end of a COPY line. */
static void add_caller_phone(struct buf *out, const char *caller)
{
	char phone[PHONE_MAX];

	assert(out->len > 0 && out->data[out->len - 1] == '\n');
	buf_truncate(out, out->len - 1);
	buf_addch(out, '\t');
	if (caller && phone_normalise(caller, phone, "caller", NULL))
		cdr_copy_add_text(out, phone);
	else
		buf_adds(out, "\\N");
	buf_addch(out, '\n');
}

static void cdr_keep(struct cdr_set *set, const struct intake_settings *s, const struct call_record *c)
{
	char phone[PHONE_MAX];
	struct cdr_rec *r;

	if (set->nrecs == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 1024;
		set->recs = xrealloc(set->recs, set->cap * sizeof(*set->recs));
	}
	r = &set->recs[set->nrecs++];
	memset(r, 0, sizeof(*r));
	if (!c->caller || !phone_normalise(c->caller, phone, "caller", NULL))
		phone[0] = '\0';
	r->fields = set->fields.len;
	call_record_copy_binary(c, &set->fields);
	copy_text(&set->fields, phone[0] ? phone : NULL);
	r->fields_len = set->fields.len - r->fields;
	r->phone = phone[0] ? cdr_set_keep(set, phone) : NO_STR;
	r->key = cdr_set_keep(set, c->key);
	r->cid = c->call_id ? cdr_set_keep(set, c->call_id) : r->key;
	r->dialled = cdr_set_keep(set, c->dialled);
	r->caller = cdr_set_keep(set, c->caller);
	r->name = cdr_set_keep(set, c->caller_name);
	r->agent = cdr_set_keep(set, c->agent);
	r->start = c->start;
	r->answer = c->answer;
	r->end = c->end;
	r->billsec = c->billsec;
	r->kind = record_kind(s, c);
	r->connected = c->disposition == CALL_ANSWERED && !strcmp(r->kind, "inbound")
		       && (c->dstchannel || c->agent || !c->lastapp);
	r->path = REC_NEW;
}

static void chunk_add(struct import_chunk *ch, const struct intake_settings *s,
		      const struct cdr_item *it)
{
	ch->queue = it->event != NULL;
	ch->format = it->format;
	if (ch->queue) {
		queue_event_copy_line(it->event, &ch->text);
		add_caller_phone(&ch->text, it->event->caller);
	} else {
		const struct call_record *c = it->call;
		cdr_keep(&ch->cdrs[call_lane(c->call_id ? c->call_id : c->key)], s, c);
	}
	ch->staged++;
}

/* ---- handing over ---- */

static bool stopped(struct import_reading *rd)
{
	return __atomic_load_n(&rd->stop, __ATOMIC_RELAXED);
}

/* A spare chunk, emptied, once there is one; NULL when told to stop. */
static struct import_chunk *take_spare(struct import_reading *rd)
{
	struct import_chunk *ch = NULL;

	pthread_mutex_lock(&rd->mu);
	while (!rd->stop && rd->nspare == 0)
		pthread_cond_wait(&rd->cv, &rd->mu);
	if (!rd->stop)
		ch = rd->spare[--rd->nspare];
	pthread_mutex_unlock(&rd->mu);
	if (ch)
		chunk_reset(ch);
	return ch;
}

static void hand_over(struct import_reading *rd, struct import_chunk *ch)
{
	pthread_mutex_lock(&rd->mu);
	assert(rd->nready < 2);
	rd->ready[rd->nready++] = ch;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

static void *reading_main(void *arg)
{
	struct import_reading *rd = arg;
	struct import_chunk *ch = take_spare(rd);

	while (ch && !stopped(rd)) {
		struct cdr_item it;
		struct err re = ERR_INIT;
		enum cdr_status st = cdr_reader_next(rd->reader, &it, &re);

		if (st == CDR_RECORD) {
			if (ch->staged && (it.event != NULL) != ch->queue) {
				hand_over(rd, ch);
				if (!(ch = take_spare(rd)))
					break;
			}
			chunk_add(ch, rd->settings, &it);
			if (ch->staged >= rd->limit) {
				hand_over(rd, ch);
				ch = take_spare(rd);
			}
		} else if (st == CDR_REJECT) {
			chunk_reject(ch, it.line, &re);
		} else {
			if (st == CDR_ERROR)
				ch->err = re;
			else if (st != CDR_END)
				err_set(&ch->err, 500, ERR_INTERNAL, "call_import needs a pulling reader, not push mode");
			if (ch->format == CDR_AUTO)
				ch->format = cdr_reader_format(rd->reader);
			ch->end = true;
			hand_over(rd, ch);
			break;
		}
	}
	return NULL;
}

/* ---- the storing side's calls ---- */

struct import_reading *import_reading_start(struct cdr_reader *r, const struct intake_settings *s,
					    size_t limit, struct err *e)
{
	struct import_reading *rd = xmalloc(sizeof(*rd));
	int rc;

	memset(rd, 0, sizeof(*rd));
	rd->reader = r;
	rd->settings = s;
	rd->limit = limit ? limit : 1;
	pthread_mutex_init(&rd->mu, NULL);
	pthread_cond_init(&rd->cv, NULL);
	for (int i = 0; i < 2; i++) {
		chunk_init(&rd->chunks[i]);
		rd->spare[rd->nspare++] = &rd->chunks[i];
	}
	rc = pthread_create(&rd->thread, NULL, reading_main, rd);
	if (rc) {
		err_set(e, 500, ERR_INTERNAL, "cannot start the reading thread: %s", strerror(rc));
		import_reading_free(rd);
		return NULL;
	}
	rd->started = true;
	return rd;
}

struct import_chunk *import_reading_next(struct import_reading *rd)
{
	struct import_chunk *ch;

	pthread_mutex_lock(&rd->mu);
	while (rd->nready == 0)
		pthread_cond_wait(&rd->cv, &rd->mu);
	ch = rd->ready[0];
	rd->ready[0] = rd->ready[1];
	rd->nready--;
	pthread_mutex_unlock(&rd->mu);
	return ch;
}

void import_reading_done(struct import_reading *rd, struct import_chunk *ch)
{
	pthread_mutex_lock(&rd->mu);
	assert(rd->nspare < 2);
	rd->spare[rd->nspare++] = ch;
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

void import_reading_free(struct import_reading *rd)
{
	if (!rd)
		return;
	pthread_mutex_lock(&rd->mu);
	__atomic_store_n(&rd->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
	if (rd->started)
		pthread_join(rd->thread, NULL);
	for (int i = 0; i < 2; i++)
		chunk_release(&rd->chunks[i]);
	pthread_cond_destroy(&rd->cv);
	pthread_mutex_destroy(&rd->mu);
	free(rd);
}
