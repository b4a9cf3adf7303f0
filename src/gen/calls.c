/*
 * Call records over a year, as the PBX writes them: an Asterisk Master.csv
 * with uniqueid and userfield (cdr.conf loguniqueid, loguserfield), 18
 * columns. The mix follows tests/fixtures/calls/generate_calls.py: 86% to
 * 12345 through the queue (about 92% of them answered), 3% to the old
 * merged numbers through Dial, 4% ending in the IVR, 7% callbacks agents
 * place from-internal. Callers come from the same population as the
 * orders' callers, so a caller's history finds both.
 *
 * The summary form writes instead the row each call makes in the call
 * summary table (as the import folds a single CDR), for loading tens of
 * millions of calls without their raw records; the hourly rollups are then
 * computed by `hotline calls rebuild`.
 */
#include <stdio.h>
#include <string.h>

#include "gen/gen.h"

struct call_gen {
	const struct gen_opts *o;
	struct rng r;
	struct buf out, name;
	long i, callers;
	bool summary;
};

/* Appends `s` as a double-quoted CSV field ("" for a quote inside). */
static void csv_q(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(b, '"');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

static void csv_time(struct buf *b, time_t t)
{
	char s[20];

	if (!t) {
		buf_adds(b, "\"\"");
		return;
	}
	local_stamp(t, s);
	buf_addch(b, '"');
	buf_add(b, s, 19);
	buf_addch(b, '"');
}

struct cdr {
	char uid[48], caller[24], agent[24];
	const char *dst, *ctx, *app, *disposition;
	char data[96], channel[64], dstchannel[64], clid[128];
	time_t start, answer, end;
	bool inbound, excluded, connected;
};

static void make_cdr(struct call_gen *g, time_t t, struct cdr *c)
{
	struct rng *r = &g->r;
	double kind = rng_unit(r);
	long i = g->i;

	memset(c, 0, sizeof(*c));
	snprintf(c->uid, sizeof(c->uid), "%lld.%ld", (long long)t, i);
	caller_phone(g->o->seed, caller_pick(r, g->callers), c->caller);
	snprintf(c->agent, sizeof(c->agent), "80%02ld", 1 + rng_below(r, 99));
	buf_reset(&g->name);
	person_name(r, &g->name);
	c->start = t;
	if (kind < 0.86) {		/* the hotline queue */
		long wait = (long)rng_exp(r, 12.0);
		c->dst = "12345";
		c->ctx = "from-trunk";
		c->app = "Queue";
		snprintf(c->data, sizeof(c->data), "hotline,t,,,300");
		snprintf(c->channel, sizeof(c->channel), "SIP/cmcc-trunk-%08lx", i & 0xffffffffL);
		snprintf(c->clid, sizeof(c->clid), "\"%s\" <%s>", g->name.data, c->caller);
		c->inbound = true;
		if (rng_unit(r) < 0.92) {
			c->answer = t + wait;
			c->end = c->answer + 30 + (long)rng_exp(r, 180.0);
			snprintf(c->dstchannel, sizeof(c->dstchannel), "SIP/%s-%08lx", c->agent, i & 0xffffffffL);
			c->disposition = "ANSWERED";
			c->connected = true;
		} else {
			c->end = t + wait;
			c->disposition = "NO ANSWER";
		}
	} else if (kind < 0.89) {	/* an old merged number, straight to an agent */
		long ring = 2 + rng_below(r, 18);
		c->dst = rng_unit(r) < 0.5 ? "12315" : "12369";
		c->ctx = "from-trunk";
		c->app = "Dial";
		snprintf(c->data, sizeof(c->data), "SIP/%s,30,tT", c->agent);
		snprintf(c->channel, sizeof(c->channel), "SIP/ct-trunk-%08lx", i & 0xffffffffL);
		snprintf(c->dstchannel, sizeof(c->dstchannel), "SIP/%s-%08lx", c->agent, i & 0xffffffffL);
		snprintf(c->clid, sizeof(c->clid), "%s", c->caller);
		c->inbound = true;
		if (rng_unit(r) < 0.9) {
			c->answer = t + ring;
			c->end = c->answer + 30 + (long)rng_exp(r, 150.0);
			c->disposition = "ANSWERED";
			c->connected = true;
		} else {
			c->end = t + ring;
			c->disposition = "NO ANSWER";
		}
	} else if (kind < 0.93) {	/* IVR only */
		c->dst = "12345";
		c->ctx = "ivr-menu";
		c->app = "Hangup";
		c->answer = t;
		c->end = t + 5 + rng_below(r, 85);
		c->disposition = "ANSWERED";
		snprintf(c->channel, sizeof(c->channel), "SIP/cu-trunk-%08lx", i & 0xffffffffL);
		snprintf(c->clid, sizeof(c->clid), "\"%s\" <%s>", g->name.data, c->caller);
	} else {			/* a callback placed by an agent */
		long ring = 3 + rng_below(r, 27);
		char citizen[24];
		memcpy(citizen, c->caller, sizeof(citizen));
		c->dst = NULL;
		c->ctx = "from-internal";
		c->app = "Dial";
		snprintf(c->data, sizeof(c->data), "SIP/cmcc-trunk/%s,60", citizen);
		snprintf(c->channel, sizeof(c->channel), "SIP/%s-%08lx", c->agent, i & 0xffffffffL);
		snprintf(c->dstchannel, sizeof(c->dstchannel), "SIP/cmcc-trunk-%08lx", i & 0xffffffffL);
		snprintf(c->clid, sizeof(c->clid), "\"Agent %s\" <%s>", c->agent, c->agent);
		snprintf(c->caller, sizeof(c->caller), "%s", c->agent);
		c->excluded = true;
		if (rng_unit(r) < 0.7) {
			c->answer = t + ring;
			c->end = c->answer + 20 + (long)rng_exp(r, 90.0);
			c->disposition = "ANSWERED";
		} else {
			c->end = t + ring;
			c->disposition = "NO ANSWER";
		}
		/* the dialled number is the citizen's */
		static _Thread_local char dialled[24];
		memcpy(dialled, citizen, sizeof(dialled));
		c->dst = dialled;
	}
}

static void write_csv(struct call_gen *g, const struct cdr *c)
{
	struct buf *b = &g->out;
	long duration = (long)(c->end - c->start), billsec = c->answer ? (long)(c->end - c->answer) : 0;

	csv_q(b, "");
	buf_addch(b, ',');
	csv_q(b, c->caller);
	buf_addch(b, ',');
	csv_q(b, c->dst);
	buf_addch(b, ',');
	csv_q(b, c->ctx);
	buf_addch(b, ',');
	csv_q(b, c->clid);
	buf_addch(b, ',');
	csv_q(b, c->channel);
	buf_addch(b, ',');
	csv_q(b, c->dstchannel);
	buf_addch(b, ',');
	csv_q(b, c->app);
	buf_addch(b, ',');
	csv_q(b, c->data);
	buf_addch(b, ',');
	csv_time(b, c->start);
	buf_addch(b, ',');
	csv_time(b, c->answer);
	buf_addch(b, ',');
	csv_time(b, c->end);
	buf_addf(b, ",%ld,%ld,", duration, billsec);
	csv_q(b, c->disposition);
	buf_adds(b, ",\"DOCUMENTATION\",");
	csv_q(b, c->uid);
	buf_adds(b, ",\"\"\n");
}

/* The call summary row the import makes of this single CDR. */
static void write_summary(struct call_gen *g, const struct cdr *c)
{
	struct buf *b = &g->out;
	bool phone = strlen(c->caller) == 11;

	out_text(b, c->uid);
	buf_addch(b, '\t');
	out_text(b, c->caller);
	buf_addch(b, '\t');
	out_text(b, phone ? c->caller : NULL);
	buf_addch(b, '\t');
	if (c->clid[0] == '"') {
		/* the name part of "Name" <number> */
		const char *q = strchr(c->clid + 1, '"');
		buf_add(b, c->clid + 1, (size_t)(q - c->clid - 1));
	} else {
		buf_adds(b, "\\N");
	}
	buf_addch(b, '\t');
	out_text(b, c->dst);
	buf_adds(b, c->inbound ? "\t1\tt\t" : "\t1\tf\t");
	buf_adds(b, c->excluded ? "t\t" : "f\t");
	out_time(b, c->start);
	buf_addch(b, '\t');
	out_time(b, c->connected ? c->answer : 0);
	buf_addch(b, '\t');
	out_time(b, c->end);
	buf_adds(b, c->connected ? "\tt\t" : "\tf\t");
	if (c->connected)
		out_long(b, (long long)(c->end - c->answer));
	else
		buf_adds(b, "\\N");
	buf_addch(b, '\t');
	out_text(b, c->connected ? c->agent : NULL);
	buf_addch(b, '\n');
}

static void emit_call(void *ctx, time_t t)
{
	struct call_gen *g = ctx;
	struct cdr c;

	make_cdr(g, t, &c);
	if (g->o->until && t >= g->o->until)
		return;		/* a day still going: its later calls not yet made */
	if (g->summary)
		write_summary(g, &c);
	else
		write_csv(g, &c);
	g->i++;
	out_flush(&g->out, false);
}

int gen_calls(const struct gen_opts *o, bool summary)
{
	struct call_gen g = { .o = o, .out = BUF_INIT, .name = BUF_INIT, .summary = summary };

	rng_seed(&g.r, o->seed, 4);
	/* the same population as the orders' callers */
	g.callers = o->orders / 3 > 1000 ? o->orders / 3 : 1000;
	spread_over_year(o->seed, 5, o->calls, o->end, o->days, o->cal, emit_call, &g);
	out_flush(&g.out, true);
	buf_release(&g.out);
	buf_release(&g.name);
	return 0;
}
