/*
 * Work orders over a year. Each order's life is simulated from its
 * registration — answered on the spot, not accepted, transferred to 110,
 * merged, or dispatched, signed for, perhaps returned, extended or
 * suspended, replied (on time or late), called back, perhaps reopened — and
 * the order is written as it stands at the end of the period: the old ones
 * closed, the recent ones in every open state, with the deadline lights
 * the sweeper would show. Deadlines follow the default policies of
 * migrations/0002_orders.sql on the official working-day calendar.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "gen/gen.h"

#define HOUR 3600
#define DAY 86400

enum status {
	S_PENDING, S_DISPATCHED, S_IN_PROGRESS, S_RETURN_REQUESTED, S_EXTENSION_REQUESTED,
	S_SUSPENDED, S_AWAITING_CALLBACK, S_COMPLETED, S_TRANSFERRED, S_MERGED, S_ARCHIVED,
};

static const char *const status_codes[] = {
	"pending", "dispatched", "in_progress", "return_requested", "extension_requested",
	"suspended", "awaiting_callback", "completed", "transferred", "merged", "archived",
};

static const char *const types[] = { "consult", "help", "complaint", "report", "suggestion", "praise" };
static const double type_weight[] = { 0.30, 0.22, 0.30, 0.05, 0.10, 0.03 };
/* Handling limit in working days of a normal order, by type (the seeded policy). */
static const int type_workdays[] = { 2, 10, 15, 15, 10, 2 };
static const char *const urgencies[] = { "normal", "urgent", "critical" };
static const double urgency_weight[] = { 0.93, 0.06, 0.01 };
static const char *const channels[] = { "phone", "web", "sms", "police", "letter" };
static const double channel_weight[] = { 0.82, 0.09, 0.03, 0.03, 0.03 };

static const char *const roads[] = {
	"长安街", "建国路", "朝阳路", "光华路", "东三环中路", "西大望路", "安定路", "北苑路",
	"学院路", "中关村大街", "知春路", "万泉河路", "丰台北路", "南三环西路", "石景山路",
	"阜石路", "通惠河北路", "新华大街", "府前街", "鼓楼大街", "和平里东街", "安贞路",
	"西直门外大街", "复兴路", "永定路", "金融大街", "广安门内大街", "菜市口大街",
	"天坛路", "珠市口东大街", "望京街", "酒仙桥路", "京顺路", "回龙观西大街",
	"天通苑北街", "黄村西大街", "亦庄文化园路", "良乡大街", "双桥路", "育新街",
};
static const char *const places[] = {
	"", "", "", "小区", "小区", "家园", "花园", "社区", "公寓", "大厦", "商场", "菜市场", "幼儿园",
	"路口", "公交站", "地铁站出口",
};
static const char *const details[] = {
	"已持续一周", "已持续半个多月", "多次反映未解决", "严重影响居民正常生活",
	"存在安全隐患", "夜间尤为严重", "涉及周边多户居民", "老人孩子出行不便",
	"物业称不归其管理", "联系相关单位无人处理", "近期明显加重", "雨天尤为严重",
};
static const char *const asks[] = {
	"请相关部门尽快处理", "希望尽快解决", "请核实处理并回复", "要求相关单位给予说明",
	"希望加强管理", "请尽快派人查看", "咨询办理流程", "希望得到答复",
};

struct policy {
	int sign_hours;			/* > 0: natural hours */
	int sign_days;			/* > 0: working days */
	int handle_hours;
	int handle_days;
};

static struct policy policy_of(int type, int urgency)
{
	struct policy p = { 0, 0, 0, 0 };

	if (urgency == 0) {
		p.sign_days = 1;
		p.handle_days = type_workdays[type];
	} else if (urgency == 1) {
		p.sign_hours = 2;
		p.handle_hours = 24;
	} else {
		p.sign_hours = 1;
		p.handle_hours = 2;
	}
	return p;
}

struct order {
	long id;
	time_t created;
	int type, urgency, channel, leaf, district, street, lead;
	bool confidential, has_location;
	double lat, lon;
	enum status st;
	time_t clock, sign_dl, handle_dl, warn_at, suspended_at, requested_dl;
	time_t signed_at, replied_at, completed_at, updated;
	bool sign_overdue, hours_unit;
	int extensions, returns, reopens, presses, version;
	int solved, contacted;		/* -1 = NULL */
	const char *satisfaction, *callback_result, *transferred_to, *result, *pending;
	long merged_into;
	const char *alert;
};

/* A binary COPY written to a file. */
struct copy_file {
	const char *path;
	FILE *f;
	struct buf out;
};

struct order_gen {
	const struct gen_opts *o;
	struct gen_city city;
	struct rng r;
	struct fanout outputs;		/* the work orders' streams */
	struct buf out, name, text;	/* out: the rows not yet handed over */
	struct copy_file handling[FANOUT_MAX], counters;
	size_t nhandling;
	long next_id, callers;
	long day, day_count;		/* order_counter of the current local day */
	time_t end;
};

static time_t add_clock(const struct workcal *w, time_t from, int hours, int days)
{
	return hours > 0 ? from + (time_t)hours * HOUR : workcal_add_workdays(w, from, days);
}

/* Moves the order's state to `st` at `t` if `t` is not after the end. */
static bool happens(struct order_gen *g, struct order *o, time_t t, enum status st)
{
	if (t > g->end)
		return false;
	o->st = st;
	o->updated = t;
	o->version++;
	return true;
}

/* Starts a clock at `t`: the deadlines of the order's policy. */
static void start_clock(struct order_gen *g, struct order *o, time_t t)
{
	struct policy p = policy_of(o->type, o->urgency);

	o->clock = t;
	o->sign_dl = add_clock(g->o->work, t, p.sign_hours, p.sign_days);
	o->handle_dl = add_clock(g->o->work, t, p.handle_hours, p.handle_days);
	o->hours_unit = p.handle_hours > 0;
	o->warn_at = t + (time_t)((double)(o->handle_dl - t) * 0.75);
	o->signed_at = 0;
	o->sign_overdue = false;
}

/* The lead unit for the order's category and street. */
static int pick_lead(struct order_gen *g, const struct order *o)
{
	const struct gen_category *k = &g->city.cats[o->leaf];
	const struct gen_dept *d;

	if (k->dept < 0 || (k->local && rng_unit(&g->r) < 0.7))
		return rng_unit(&g->r) < 0.9 ? o->street : o->district;
	d = &g->city.depts[k->dept];
	if (d->nchildren && rng_unit(&g->r) < 0.35)
		return d->first_child + (int)rng_below(&g->r, d->nchildren);
	return k->dept;
}

/* One round of handling from dispatch at `t`: sign, reply, callback.
 * Returns false when the period ends inside the round. */
static bool handle_round(struct order_gen *g, struct order *o, time_t t, bool may_reopen)
{
	struct rng *r = &g->r;

	o->lead = pick_lead(g, o);
	start_clock(g, o, t);
	if (!happens(g, o, t, S_DISPATCHED))
		return false;
	/* 退单: returned, approved, dispatched again to another unit */
	if (o->reopens == 0 && rng_unit(r) < 0.03) {
		time_t ret = t + (time_t)rng_exp(r, 3 * HOUR) + 600;
		if (!happens(g, o, ret, S_RETURN_REQUESTED)) {
			return false;
		}
		o->pending = "非本单位职责范围";
		o->returns++;
		time_t again = ret + (time_t)rng_exp(r, 5 * HOUR) + 600;
		if (!happens(g, o, again, S_DISPATCHED))
			return false;
		o->pending = "";
		o->lead = pick_lead(g, o);
		start_clock(g, o, again);
		t = again;
	}
	/* 签收 */
	bool late = rng_unit(r) < 0.07;
	time_t sign = late ? o->sign_dl + (time_t)rng_exp(r, 5 * HOUR) + 60
			   : t + (time_t)fmin(rng_exp(r, 2 * HOUR) + 120, (double)(o->sign_dl - t) * 0.95);
	if (sign > g->end) {
		o->sign_overdue = g->end > o->sign_dl;
		return false;
	}
	happens(g, o, sign, S_IN_PROGRESS);
	o->signed_at = sign;
	o->sign_overdue = late;
	/* 延期 */
	if (!o->hours_unit && rng_unit(r) < 0.04) {
		time_t req = sign + (o->handle_dl - sign) / 2;
		time_t wanted = workcal_add_workdays(g->o->work, o->handle_dl, 5);
		if (!happens(g, o, req, S_EXTENSION_REQUESTED))
			return false;
		o->requested_dl = wanted;
		o->pending = "需协调多个部门，申请延期";
		time_t decided = req + (time_t)rng_exp(r, 20 * HOUR) + 1800;
		if (!happens(g, o, decided, S_IN_PROGRESS))
			return false;
		o->requested_dl = 0;
		o->pending = "";
		if (rng_unit(r) < 0.85) {
			o->extensions++;
			o->handle_dl = wanted;
			o->warn_at = o->clock + (time_t)((double)(o->handle_dl - o->clock) * 0.75);
		}
	}
	/* 挂起: waiting for the citizen; the deadline moves by the time suspended */
	if (!o->hours_unit && rng_unit(r) < 0.01) {
		time_t from = sign + (time_t)rng_exp(r, DAY), to = from + (time_t)rng_exp(r, 3 * DAY) + HOUR;
		if (!happens(g, o, from, S_SUSPENDED)) {
			return false;
		}
		o->suspended_at = from;
		o->pending = "等待市民补充材料";
		if (!happens(g, o, to, S_IN_PROGRESS))
			return false;
		o->suspended_at = 0;
		o->pending = "";
		o->handle_dl += to - from;
		o->warn_at += to - from;
	}
	/* 回复: most within the limit, some late */
	double f = rng_unit(r) < 0.08 ? 1.0 + rng_unit(r) * 0.6 : 0.05 + rng_unit(r) * 0.9;
	time_t reply = sign + (time_t)((double)(o->handle_dl - sign) * f) + 60;
	if (!happens(g, o, reply, S_AWAITING_CALLBACK))
		return false;
	o->replied_at = reply;
	o->solved = rng_unit(r) < 0.88;
	o->contacted = rng_unit(r) < 0.93;
	o->result = o->solved ? "已现场核实并处理完毕，已与市民沟通" : "已核实，因客观原因暂无法解决，已向市民解释";
	/* 回访 */
	time_t call = reply + (time_t)rng_exp(r, 16 * HOUR) + 2 * HOUR;
	double c = rng_unit(r);
	if (c < 0.05) {
		call += 2 * DAY;	/* the attempts before giving up */
		if (!happens(g, o, call, S_COMPLETED))
			return false;
		o->callback_result = "unreachable";
		o->completed_at = call;
		return true;
	}
	if (call > g->end)
		return false;
	double s = rng_unit(r);
	o->satisfaction = s < 0.80 ? "satisfied" : s < 0.92 ? "basically" : "unsatisfied";
	if (!o->solved && s < 0.80)
		o->satisfaction = "basically";
	if (may_reopen && !strcmp(o->satisfaction, "unsatisfied") && rng_unit(r) < 0.6) {
		/* 重办: the unit is called to account and handles it again */
		o->reopens++;
		o->replied_at = 0;
		o->solved = o->contacted = -1;
		o->satisfaction = NULL;
		return handle_round(g, o, call, false);
	}
	happens(g, o, call, S_COMPLETED);
	o->callback_result = "rated";
	o->completed_at = call;
	return true;
}

static void simulate(struct order_gen *g, struct order *o)
{
	struct rng *r = &g->r;
	double u = rng_unit(r);
	double spot = o->type == 0 ? 0.55 : o->type == 5 ? 0.3 : 0.06;

	o->st = S_PENDING;
	o->updated = o->created;
	o->version = 1;
	o->solved = o->contacted = -1;
	o->alert = "none";
	o->pending = "";
	o->result = "";
	if (u < spot) {
		time_t t = o->created + 120 + rng_below(r, 900);
		if (happens(g, o, t, S_COMPLETED)) {
			o->completed_at = t;
			o->solved = 1;
			o->callback_result = "answered";
			o->result = "已根据知识库当场解答";
		}
	} else if ((u -= spot) < 0.015) {
		time_t t = o->created + 300 + rng_below(r, 1800);
		if (happens(g, o, t, S_COMPLETED)) {
			o->completed_at = t;
			o->callback_result = "not_accepted";
			o->result = "属于诉讼程序范围，不予受理，已告知市民依法通过诉讼途径解决";
		}
	} else if ((u -= 0.015) < 0.02) {
		static const char *const to[] = { "110", "110", "110", "119", "120", "122" };
		time_t t = o->created + 60 + rng_below(r, 600);
		if (happens(g, o, t, S_TRANSFERRED)) {
			o->completed_at = t;
			o->transferred_to = to[rng_below(r, 6)];
		}
	} else if ((u -= 0.02) < 0.02 && o->id > g->o->first_order_id) {
		long back = rng_below(r, o->id - g->o->first_order_id < 3000 ? o->id - g->o->first_order_id : 3000);
		time_t t = o->created + 600 + rng_below(r, 4 * HOUR);
		if (happens(g, o, t, S_MERGED))
			o->merged_into = o->id - 1 - back;
	} else {
		time_t t = o->created + (time_t)fmin(rng_exp(r, 25 * 60), 2.0 * DAY) + 60;
		handle_round(g, o, t, true);
	}
	/* what the sweeper shows at the end */
	if (o->clock) {
		time_t at = o->replied_at ? o->replied_at : o->completed_at ? o->completed_at : g->end;
		o->alert = at > o->handle_dl ? "red" : at > o->warn_at ? "yellow" : "green";
		if (o->st == S_DISPATCHED && g->end > o->sign_dl)
			o->sign_overdue = true;
		if (!strcmp(o->alert, "red") && rng_unit(r) < 0.5)
			o->presses = 1 + (int)rng_below(r, 2);
	}
	/* 归档: most orders closed two months ago are archived */
	if (o->st == S_COMPLETED && g->end - o->completed_at > 60 * DAY && rng_unit(r) < 0.7) {
		o->st = S_ARCHIVED;
		o->version++;
	}
}

/* The number of values in a work order row (GEN_ORDER_COLUMNS). */
#define ORDER_FIELDS 46
/* Rows go to the outputs in chunks of about this many bytes (~400 orders),
 * so that the streams load neighbouring orders side by side. */
#define ORDER_CHUNK (256u << 10)
/* Handling times spread over several files go in blocks of this many ids. */
#define HANDLING_BLOCK 4096

static void opt_id(struct order_gen *g, struct buf *b, int dept)
{
	if (dept >= 0)
		copy_int4(b, g->city.depts[dept].id);
	else
		copy_null(b);
}

static void tristate(struct buf *b, int v)
{
	if (v < 0)
		copy_null(b);
	else
		copy_bool(b, v);
}

static void put_digits(char *p, long v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* The order number: the local registration day and its running count,
 * "YYYYMMDD-NNNNNN". */
static void order_number(struct buf *b, int y, int m, int d, long count)
{
	char s[16];

	if (count > 999999) {
		char *wide = xasprintf("%04d%02d%02d-%06ld", y, m, d, count);
		copy_text(b, wide);
		free(wide);
		return;
	}
	put_digits(s, y, 4);
	put_digits(s + 4, m, 2);
	put_digits(s + 6, d, 2);
	s[8] = '-';
	put_digits(s + 9, count, 6);
	copy_textn(b, s, 15);
}

/* A coordinate as it reads to six decimals. */
static double six_decimals(double v)
{
	return round(v * 1e6) / 1e6;
}

static void write_counter(struct order_gen *g)
{
	struct buf *b = &g->counters.out;

	if (!g->day_count)
		return;
	copy_row(b, 2);
	copy_date(b, g->day);
	copy_int4(b, (int32_t)g->day_count);
}

static void write_order(struct order_gen *g, const struct order *o)
{
	struct buf *b = &g->out, *t = &g->text;
	const struct gen_category *k = &g->city.cats[o->leaf];
	long day = local_day(o->created);
	char phone[12];
	int y, m, d;
	size_t at;

	if (day != g->day) {
		write_counter(g);
		g->day = day;
		g->day_count = 0;
	}
	g->day_count++;
	civil_from_days(day, &y, &m, &d);
	copy_row(b, ORDER_FIELDS);
	copy_int8(b, o->id);
	order_number(b, y, m, d, g->day_count);
	copy_text(b, channels[o->channel]);
	copy_text(b, types[o->type]);
	copy_text(b, urgencies[o->urgency]);
	copy_text(b, k->code);
	/* caller */
	buf_reset(&g->name);
	person_name(&g->r, &g->name);
	copy_textn(b, g->name.data, g->name.len);
	if (o->channel == 4 && rng_unit(&g->r) < 0.3) {
		copy_textn(b, "", 0);
	} else {
		caller_phone(g->o->seed, caller_pick(&g->r, g->callers), phone);
		copy_textn(b, phone, 11);
	}
	copy_bool(b, o->confidential);
	/* where */
	buf_reset(t);
	long road = (o->street * 7 + rng_below(&g->r, 12)) % (long)(ARRAY_SIZE(roads));
	buf_adds(t, g->city.depts[o->district].name);
	buf_adds(t, g->city.depts[o->street].name);
	buf_adds(t, roads[road]);
	out_long(t, 1 + rng_below(&g->r, 160));
	buf_adds(t, "号");
	buf_adds(t, places[rng_below(&g->r, ARRAY_SIZE(places))]);
	copy_textn(b, t->data, t->len);
	opt_id(g, b, o->district);
	opt_id(g, b, o->street);
	if (o->has_location) {
		copy_float8(b, six_decimals(o->lat));
		copy_float8(b, six_decimals(o->lon));
	} else {
		copy_null(b);
		copy_null(b);
	}
	/* what: the address, then the complaint */
	at = copy_field_open(b);
	buf_adds(b, "市民来电反映：");
	buf_add(b, t->data, t->len);
	buf_adds(b, "附近");
	buf_adds(b, k->name);
	buf_adds(b, "，");
	buf_adds(b, details[rng_below(&g->r, ARRAY_SIZE(details))]);
	buf_adds(b, "，");
	buf_adds(b, details[rng_below(&g->r, ARRAY_SIZE(details))]);
	buf_adds(b, "。");
	copy_field_close(b, at);
	copy_text(b, asks[rng_below(&g->r, ARRAY_SIZE(asks))]);
	copy_text(b, status_codes[o->st]);
	opt_id(g, b, o->clock ? o->lead : -1);
	copy_timestamptz(b, o->clock);
	copy_timestamptz(b, o->clock ? o->sign_dl : 0);
	copy_timestamptz(b, o->clock ? o->handle_dl : 0);
	copy_text(b, o->clock ? (o->hours_unit ? "hours" : "workdays") : NULL);
	copy_timestamptz(b, o->clock ? o->warn_at : 0);
	copy_text(b, o->alert);
	copy_bool(b, o->sign_overdue);
	copy_timestamptz(b, o->suspended_at);
	copy_timestamptz(b, o->requested_dl);
	copy_text(b, o->pending);
	copy_int4(b, o->extensions);
	copy_int4(b, o->returns);
	copy_int4(b, o->reopens);
	copy_int4(b, o->presses);
	copy_text(b, o->result);
	tristate(b, o->solved);
	tristate(b, o->contacted);
	copy_text(b, o->satisfaction);
	copy_text(b, o->callback_result);
	copy_text(b, o->transferred_to);
	if (o->merged_into)
		copy_int8(b, o->merged_into);
	else
		copy_null(b);
	copy_null(b);		/* call_id */
	copy_timestamptz(b, o->signed_at);
	copy_timestamptz(b, o->replied_at);
	copy_timestamptz(b, o->completed_at);
	copy_int4(b, o->version);
	copy_timestamptz(b, o->created);
	copy_timestamptz(b, o->updated);
	if (b->len >= ORDER_CHUNK)
		fanout_put(&g->outputs, b);

	if (o->completed_at && (o->st == S_COMPLETED || o->st == S_TRANSFERRED || o->st == S_ARCHIVED)) {
		/* blocks of ids to each file in turn */
		struct copy_file *h = &g->handling[(size_t)(o->id / HANDLING_BLOCK) % g->nhandling];
		copy_row(&h->out, 2);
		copy_int8(&h->out, o->id);
		copy_int8(&h->out, workcal_seconds(g->o->work, o->created, o->completed_at));
		out_flush_file(&h->out, h->f, h->path, false);
	}
}

static void emit_order(void *ctx, time_t t)
{
	struct order_gen *g = ctx;
	struct rng *r = &g->r;
	struct order o;
	const struct gen_dept *dist;

	memset(&o, 0, sizeof(o));
	o.id = g->next_id++;
	o.created = t;
	o.type = (int)rng_pick(r, type_weight, 6);
	o.urgency = (int)rng_pick(r, urgency_weight, 3);
	o.channel = (int)rng_pick(r, channel_weight, 5);
	o.leaf = g->city.leaves[rng_pick(r, g->city.leaf_weight, g->city.nleaves)];
	o.district = g->city.districts[rng_pick(r, g->city.district_weight, g->city.ndistricts)];
	dist = &g->city.depts[o.district];
	o.street = dist->first_child + (int)rng_below(r, dist->nchildren);
	o.confidential = rng_unit(r) < 0.03;
	o.has_location = rng_unit(r) < 0.6;
	o.lat = 39.6 + rng_unit(r) * 0.7;
	o.lon = 115.9 + rng_unit(r) * 1.0;
	o.lead = -1;
	simulate(g, &o);
	write_order(g, &o);
}

static bool copy_file_open(struct copy_file *c, const char *path)
{
	c->path = path;
	buf_init(&c->out);
	c->f = fopen(path, "w");
	if (!c->f) {
		fprintf(stderr, "hotline-gen: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	copy_header(&c->out);
	return true;
}

/* Ends the stream and closes the file; false after saying why. */
static bool copy_file_finish(struct copy_file *c)
{
	bool ok;

	copy_trailer(&c->out);
	out_flush_file(&c->out, c->f, c->path, true);
	ok = fclose(c->f) == 0;
	c->f = NULL;
	if (!ok)
		fprintf(stderr, "hotline-gen: cannot write %s: %s\n", c->path, strerror(errno));
	return ok;
}

static void copy_file_release(struct copy_file *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	buf_release(&c->out);
}

int gen_orders(const struct gen_opts *opts)
{
	struct order_gen g = { .o = opts, .out = BUF_INIT, .name = BUF_INIT, .text = BUF_INIT };
	bool ok = true;

	assert(opts->nhandling > 0 && opts->nhandling <= FANOUT_MAX);
	ok = copy_file_open(&g.counters, opts->counters_path);
	for (; ok && g.nhandling < opts->nhandling; g.nhandling++)
		ok = copy_file_open(&g.handling[g.nhandling], opts->handling_paths[g.nhandling]);
	if (!ok)
		goto out;
	city_build(&g.city, opts->seed, opts->first_dept_id);
	rng_seed(&g.r, opts->seed, 2);
	g.next_id = opts->first_order_id;
	g.callers = opts->orders / 3 > 1000 ? opts->orders / 3 : 1000;
	g.end = opts->end;
	g.day = -1;
	fanout_open(&g.outputs, opts->splits, opts->nsplits);
	spread_over_year(opts->seed, 3, opts->orders, opts->end, opts->days, opts->cal, emit_order, &g);
	write_counter(&g);
	/* the files are whole before the order streams end */
	ok = copy_file_finish(&g.counters);
	for (size_t i = 0; i < g.nhandling; i++)
		ok = copy_file_finish(&g.handling[i]) && ok;
	if (ok)
		fanout_put(&g.outputs, &g.out);
	fanout_close(&g.outputs, ok);
	city_release(&g.city);
out:
	copy_file_release(&g.counters);
	for (size_t i = 0; i < g.nhandling; i++)
		copy_file_release(&g.handling[i]);
	buf_release(&g.out);
	buf_release(&g.name);
	buf_release(&g.text);
	return ok ? 0 : 1;
}
