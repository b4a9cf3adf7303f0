/*
 * Format-specific parsing: from a record's split fields to a normalised
 * struct call_record or struct queue_event. See cdr.h for the formats and
 * the normalisation rules.
 */
#include "calls/cdr_private.h"

#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/array.h"
#include "core/timeutil.h"

#define NO_COLUMN ((size_t)-1)
#define SHOWN_MAX 80

/* ---- small helpers ---- */

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* queue_log writes "NONE" where there is nothing. */
static const char *nz_none(const char *s)
{
	return s && *s && strcmp(s, "NONE") != 0 ? s : NULL;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (s[n] < '0' || s[n] > '9')
			return false;
	return n >= min && n <= max;
}

/*
 * `s` as it goes into a message between quotes: at most SHOWN_MAX bytes,
 * cut on a character boundary, control characters and quotes as '?', an
 * ellipsis when cut. The input may be 64 KiB; the message is 512 bytes.
 */
static const char *shown(const char *s, char out[SHOWN_MAX + 8])
{
	size_t i = 0, o = 0;

	while (s[i] && i < SHOWN_MAX) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = ch < 0x20 || ch == 0x7f || ch == '"' ? '?' : (char)ch;
		i++;
	}
	if (s[i]) {
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;		/* drop continuation bytes … */
		if (o > 0 && (unsigned char)out[o - 1] >= 0xc0)
			o--;		/* … and the lead byte they belonged to */
		memcpy(out + o, "\xe2\x80\xa6", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/*
 * Whether s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values
 * above U+10FFFF). ASCII goes eight bytes at a time.
 */
bool cdr_valid_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;

	while (s < end) {
		if (end - s >= 8) {
			uint64_t w;
			memcpy(&w, s, 8);
			if (!(w & UINT64_C(0x8080808080808080))) {
				s += 8;
				continue;
			}
		}
		if (*s < 0x80) {
			s++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (*s >= 0xc2 && *s <= 0xdf) {
			len = 2;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			len = 3;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			len = 4;
			cp = *s & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - s) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
		    || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		s += len;
	}
	return true;
}

/* Names the field when the reader found the record not valid UTF-8. */
static bool check_utf8(const struct cdr_parse_ctx *c, const char *name, const char *s,
		       struct err *e)
{
	if (c->utf8_checked || cdr_valid_utf8(s, strlen(s)))
		return true;
	return err_field(e, 422, name, ERR_NOT_UTF8,
			 "field \"%s\": invalid UTF-8: convert the file to UTF-8 first (e.g. from GBK)",
			 name);
}

/* A whole number of seconds (or a count) in 0..INT_MAX. */
static bool parse_count(const char *name, const char *s, int *out, struct err *e)
{
	char sh[SHOWN_MAX + 8];
	long v = 0;

	if (!*s)
		return err_field(e, 422, name, ERR_REQUIRED, "field \"%s\": missing number", name);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT_MAX - 9) / 10)
			return err_field(e, 422, name, ERR_NOT_INTEGER,
					 "field \"%s\": invalid number \"%s\": expected a whole number",
					 name, shown(s, sh));
		v = v * 10 + (*p - '0');
	}
	*out = (int)v;
	return true;
}

static bool two(const char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Local hh:00:00 on `day`, from the cache when that hour was seen. */
static time_t local_time(struct cdr_time_cache *tc, long day, int hh, int mm, int ss)
{
	long hour = day * 24 + hh;
	size_t slot = (size_t)hour % CDR_TIME_SLOTS;

	if (!tc->valid[slot] || tc->hour[slot] != hour) {
		tc->base[slot] = time_from_local(day, hh, 0, 0);
		tc->uniform[slot] = time_from_local(day, hh, 59, 59) - tc->base[slot] == 3599;
		tc->hour[slot] = hour;
		tc->valid[slot] = true;
	}
	if (!tc->uniform[slot])
		return time_from_local(day, hh, mm, ss);
	return tc->base[slot] + mm * 60 + ss;
}

/* "YYYY-MM-DD HH:MM:SS" exactly; false on anything else. */
static bool parse_plain_time(struct cdr_parse_ctx *c, const char *s, time_t *out)
{
	int y1, y2, mo, d, hh, mi, ss;

	if (strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':'
	    || s[16] != ':' || !two(s, &y1) || !two(s + 2, &y2) || !two(s + 5, &mo)
	    || !two(s + 8, &d) || !two(s + 11, &hh) || !two(s + 14, &mi) || !two(s + 17, &ss))
		return false;
	int y = y1 * 100 + y2;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || hh > 23
	    || mi > 59 || ss > 59)
		return false;
	long day = days_from_civil(y, mo, d);
	if (c->utc_times)
		*out = (time_t)day * 86400 + hh * 3600 + mi * 60 + ss;
	else
		*out = local_time(&c->times, day, hh, mi, ss);
	return true;
}

/*
 * A CSV time into *out. Empty: 0 when `optional`, else an error. The plain
 * form takes the fast path; other ISO forms with a time of day go through
 * time_parse_iso() (UTC unless they carry an offset, when utc_times).
 */
static bool parse_time(struct cdr_parse_ctx *c, const char *name, const char *s,
		       bool optional, time_t *out, struct err *e)
{
	char sh[SHOWN_MAX + 8];

	if (!*s) {
		if (optional) {
			*out = 0;
			return true;
		}
		return err_field(e, 422, name, ERR_REQUIRED, "field \"%s\": missing time", name);
	}
	if (parse_plain_time(c, s, out))
		return true;
	if (strlen(s) >= 16 && !c->utc_times && time_parse_iso(s, out, name, NULL))
		return true;
	return err_field(e, 422, name, ERR_BAD_TIME, "field \"%s\": invalid time \"%s\"", name, shown(s, sh));
}

/* ---- keys ---- */

static void hash_str(struct buf *b, const char *s)
{
	if (s)
		buf_adds(b, s);
	else
		buf_addch(b, '\x1e');
	buf_addch(b, '\x1f');
}

static void hash_num(struct buf *b, long long v)
{
	buf_addf(b, "%lld\x1f", v);
}

/* Sets c->key to the hex BLAKE2b-128 of c->hash_in; returns it. */
static const char *hash_key(struct cdr_parse_ctx *c)
{
	unsigned char h[16];

	crypto_generichash(h, sizeof(h), (const unsigned char *)c->hash_in.data,
			   c->hash_in.len, NULL, 0);
	buf_reset(&c->key);
	buf_grow(&c->key, sizeof(h) * 2);
	sodium_bin2hex(c->key.data, sizeof(h) * 2 + 1, h, sizeof(h));
	c->key.len = sizeof(h) * 2;
	return c->key.data;
}

static const char *call_key(struct cdr_parse_ctx *c)
{
	const struct call_record *r = &c->call;
	struct buf *b = &c->hash_in;

	if (r->call_id && r->sequence < 0)
		return r->call_id;
	if (r->call_id) {
		buf_reset(&c->key);
		buf_addf(&c->key, "%s#%ld", r->call_id, r->sequence);
		return c->key.data;
	}
	buf_reset(b);
	hash_str(b, cdr_format_name(r->format));
	hash_str(b, r->linkedid);
	hash_str(b, r->peer_call_id);
	hash_num(b, r->sequence);
	hash_str(b, r->accountcode);
	hash_str(b, r->caller);
	hash_str(b, r->caller_name);
	hash_str(b, r->dialled);
	hash_str(b, r->context);
	hash_str(b, r->channel);
	hash_str(b, r->dstchannel);
	hash_str(b, r->lastapp);
	hash_str(b, r->lastdata);
	hash_num(b, (long long)r->start);
	hash_num(b, (long long)r->answer);
	hash_num(b, (long long)r->end);
	hash_num(b, r->duration);
	hash_num(b, r->billsec);
	hash_str(b, call_disposition_name(r->disposition));
	hash_str(b, r->hangup_cause);
	hash_str(b, r->userfield);
	return hash_key(c);
}

static const char *event_key(struct cdr_parse_ctx *c)
{
	const struct queue_event *ev = &c->ev;
	struct buf *b = &c->hash_in;

	buf_reset(b);
	hash_str(b, cdr_format_name(CDR_ASTERISK_QUEUE_LOG));
	hash_num(b, (long long)ev->at);
	hash_str(b, ev->call_id);
	hash_str(b, ev->queue);
	hash_str(b, ev->member);
	hash_str(b, ev->event);
	for (size_t i = 0; i < ev->ndata; i++)
		hash_str(b, ev->data[i]);
	return hash_key(c);
}

/* ---- agents ---- */

/*
 * The extension in a channel or dial string: "SIP/8001-0000001a",
 * "PJSIP/8001", "Local/8001@agents-00000012;1", "Agent/8001" → "8001",
 * copied into `out`. NULL when the peer is not 2 to 8 digits, or the
 * technology numbers channels rather than peers (DAHDI, Zap).
 */
static const char *agent_from_channel(const char *ch, struct buf *out)
{
	const char *slash = strchr(ch, '/');

	if (!slash || (slash - ch == 5 && !strncasecmp(ch, "DAHDI", 5))
	    || (slash - ch == 3 && !strncasecmp(ch, "Zap", 3)))
		return NULL;
	const char *peer = slash + 1;
	size_t n = strcspn(peer, "@;,&/");
	if (peer[n] != '@') {
		/* Drop the "-0000001a" a channel name ends with. */
		size_t dash = n;
		while (dash > 0 && peer[dash - 1] != '-')
			dash--;
		if (dash > 0)
			n = dash - 1;
	}
	if (n < 2 || n > 8)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (peer[i] < '0' || peer[i] > '9')
			return NULL;
	buf_reset(out);
	buf_add(out, peer, n);
	return out->data;
}

static const char *asterisk_agent(struct cdr_parse_ctx *c)
{
	const struct call_record *r = &c->call;

	if (r->dstchannel)
		return agent_from_channel(r->dstchannel, &c->agent);
	if (r->lastapp && r->lastdata && !strcasecmp(r->lastapp, "Dial")) {
		size_t n = strcspn(r->lastdata, ",&");
		if (r->lastdata[n] == '&')
			return NULL;	/* rang several: none of them is the agent */
		return agent_from_channel(r->lastdata, &c->agent);
	}
	return NULL;
}

/*
 * The name in a clid, in place: "\"张三\" <13800138000>" → "张三". A clid
 * without <number> is a name unless it repeats the number. NULL if none.
 */
static const char *name_from_clid(char *clid, const char *src)
{
	char *lt = strrchr(clid, '<');
	size_t n = strlen(clid);

	if (lt && n > 0 && clid[n - 1] == '>')
		n = (size_t)(lt - clid);
	while (n > 0 && clid[n - 1] == ' ')
		n--;
	while (*clid == ' ' && n > 0) {
		clid++;
		n--;
	}
	if (n >= 2 && clid[0] == '"' && clid[n - 1] == '"') {
		clid++;
		n -= 2;
	}
	clid[n] = '\0';
	if (!n || (src && !strcmp(clid, src)))
		return NULL;
	return clid;
}

/* ---- dispositions ---- */

static const char *const disposition_names[] = {
	[CALL_ANSWERED] = "ANSWERED",
	[CALL_NO_ANSWER] = "NO ANSWER",
	[CALL_BUSY] = "BUSY",
	[CALL_FAILED] = "FAILED",
	[CALL_CONGESTION] = "CONGESTION",
	[CALL_CANCEL] = "CANCEL",
	[CALL_UNKNOWN] = "UNKNOWN",
};

const char *call_disposition_name(enum call_disposition d)
{
	if ((unsigned)d >= ARRAY_SIZE(disposition_names))
		return "UNKNOWN";
	return disposition_names[d];
}

static bool parse_disposition(const char *s, enum call_disposition *out, struct err *e)
{
	char sh[SHOWN_MAX + 8];

	for (size_t i = 0; i < ARRAY_SIZE(disposition_names); i++) {
		if (!strcmp(s, disposition_names[i])) {
			*out = (enum call_disposition)i;
			return true;
		}
	}
	return err_field(e, 422, "disposition", ERR_UNKNOWN_CHOICE,
			 "field \"disposition\": unknown disposition \"%s\": expected ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION, CANCEL or UNKNOWN",
			 shown(s, sh));
}

static const struct {
	const char *cause;
	enum call_disposition d;
} fs_causes[] = {
	{ "NORMAL_CLEARING", CALL_NO_ANSWER },
	{ "NO_ANSWER", CALL_NO_ANSWER },
	{ "NO_USER_RESPONSE", CALL_NO_ANSWER },
	{ "ALLOTTED_TIMEOUT", CALL_NO_ANSWER },
	{ "RECOVERY_ON_TIMER_EXPIRE", CALL_NO_ANSWER },
	{ "PROGRESS_TIMEOUT", CALL_NO_ANSWER },
	{ "ORIGINATOR_CANCEL", CALL_CANCEL },
	{ "LOSE_RACE", CALL_CANCEL },
	{ "PICKED_OFF", CALL_CANCEL },
	{ "USER_BUSY", CALL_BUSY },
	{ "NORMAL_CIRCUIT_CONGESTION", CALL_CONGESTION },
	{ "SWITCH_CONGESTION", CALL_CONGESTION },
	{ "UNALLOCATED_NUMBER", CALL_FAILED },
	{ "NO_ROUTE_TRANSIT_NET", CALL_FAILED },
	{ "NO_ROUTE_DESTINATION", CALL_FAILED },
	{ "CALL_REJECTED", CALL_FAILED },
	{ "NUMBER_CHANGED", CALL_FAILED },
	{ "DESTINATION_OUT_OF_ORDER", CALL_FAILED },
	{ "INVALID_NUMBER_FORMAT", CALL_FAILED },
	{ "NETWORK_OUT_OF_ORDER", CALL_FAILED },
	{ "NORMAL_TEMPORARY_FAILURE", CALL_FAILED },
	{ "SERVICE_UNAVAILABLE", CALL_FAILED },
	{ "BEARERCAPABILITY_NOTAVAIL", CALL_FAILED },
	{ "INCOMPATIBLE_DESTINATION", CALL_FAILED },
	{ "SUBSCRIBER_ABSENT", CALL_FAILED },
	{ "USER_NOT_REGISTERED", CALL_FAILED },
	{ "MEDIA_TIMEOUT", CALL_FAILED },
};

static enum call_disposition fs_disposition(const struct call_record *r)
{
	if (r->answer || r->billsec > 0)
		return CALL_ANSWERED;
	if (!r->hangup_cause)
		return CALL_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(fs_causes); i++)
		if (!strcmp(r->hangup_cause, fs_causes[i].cause))
			return fs_causes[i].d;
	return CALL_UNKNOWN;
}

/* ---- Asterisk cdr_csv ---- */

static const char *const asterisk_columns[] = {
	"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
	"lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
	"disposition", "amaflags", "uniqueid", "userfield", "peeraccount",
	"linkedid", "sequence",
};

enum { A_ACCOUNTCODE, A_SRC, A_DST, A_DCONTEXT, A_CLID, A_CHANNEL, A_DSTCHANNEL,
       A_LASTAPP, A_LASTDATA, A_START, A_ANSWER, A_END, A_DURATION, A_BILLSEC,
       A_DISPOSITION, A_AMAFLAGS, A_FIXED };

/* Where the optional columns are, for a line of `n` fields. */
struct asterisk_layout {
	size_t uniqueid, userfield, peeraccount, linkedid, sequence;
};

/* "1732150200.123", "pbx1-1732150200.123". */
static bool looks_like_uniqueid(const char *s)
{
	const char *dot = strrchr(s, '.');
	const char *p;

	if (!dot || dot == s || !all_digits(dot + 1, 1, 20))
		return false;
	for (p = dot; p > s && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	return p < dot && (p == s || p[-1] == '-');
}

static void asterisk_layout(char *const *f, size_t n, struct asterisk_layout *l)
{
	size_t extra = n - A_FIXED, i = A_FIXED;

	l->uniqueid = l->userfield = l->peeraccount = l->linkedid = l->sequence = NO_COLUMN;
	if (extra >= 3) {
		l->peeraccount = n - 3;
		l->linkedid = n - 2;
		l->sequence = n - 1;
		extra -= 3;
	}
	if (extra == 2) {
		l->uniqueid = i++;
		l->userfield = i;
	} else if (extra == 1) {
		if (looks_like_uniqueid(f[i]) || !*f[i])
			l->uniqueid = i;
		else
			l->userfield = i;
	}
}

static const char *asterisk_column(const struct asterisk_layout *l, size_t i)
{
	if (i < A_FIXED)
		return asterisk_columns[i];
	if (i == l->uniqueid)
		return "uniqueid";
	if (i == l->userfield)
		return "userfield";
	if (i == l->peeraccount)
		return "peeraccount";
	if (i == l->linkedid)
		return "linkedid";
	return "sequence";
}

static const char *column_or_null(char *const *f, size_t i)
{
	return i == NO_COLUMN ? NULL : nz(f[i]);
}

bool cdr_parse_asterisk_csv(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e)
{
	struct call_record *r = &c->call;
	struct asterisk_layout l;

	if (n < A_FIXED || n > A_FIXED + 5)
		return err_set(e, 422, ERR_BAD_CSV,
			       "expected 16 to 21 fields for asterisk-csv, found %zu", n);
	asterisk_layout(f, n, &l);
	for (size_t i = 0; i < n; i++)
		if (!check_utf8(c, asterisk_column(&l, i), f[i], e))
			return false;

	memset(r, 0, sizeof(*r));
	r->format = CDR_ASTERISK_CSV;
	r->sequence = -1;
	r->accountcode = nz(f[A_ACCOUNTCODE]);
	r->caller = nz(f[A_SRC]);
	r->dialled = nz(f[A_DST]);
	r->context = nz(f[A_DCONTEXT]);
	r->channel = nz(f[A_CHANNEL]);
	r->dstchannel = nz(f[A_DSTCHANNEL]);
	r->lastapp = nz(f[A_LASTAPP]);
	r->lastdata = nz(f[A_LASTDATA]);
	if (!parse_time(c, "start", f[A_START], false, &r->start, e)
	    || !parse_time(c, "answer", f[A_ANSWER], true, &r->answer, e)
	    || !parse_time(c, "end", f[A_END], false, &r->end, e)
	    || !parse_count("duration", f[A_DURATION], &r->duration, e)
	    || !parse_count("billsec", f[A_BILLSEC], &r->billsec, e)
	    || !parse_disposition(f[A_DISPOSITION], &r->disposition, e))
		return false;
	r->call_id = column_or_null(f, l.uniqueid);
	r->userfield = column_or_null(f, l.userfield);
	r->linkedid = column_or_null(f, l.linkedid);
	if (l.sequence != NO_COLUMN && *f[l.sequence]) {
		int seq = -1;
		if (!parse_count("sequence", f[l.sequence], &seq, e))
			return false;
		r->sequence = seq;
	}
	r->caller_name = name_from_clid(f[A_CLID], r->caller);
	r->agent = asterisk_agent(c);
	r->key = call_key(c);
	return true;
}

/* ---- FreeSWITCH mod_cdr_csv ---- */

static const char *const freeswitch_columns[] = {
	"caller_id_name", "caller_id_number", "destination_number", "context",
	"start_stamp", "answer_stamp", "end_stamp", "duration", "billsec",
	"hangup_cause", "uuid", "bleg_uuid", "accountcode", "read_codec",
	"write_codec",
};

enum { F_NAME, F_NUMBER, F_DEST, F_CONTEXT, F_START, F_ANSWER, F_END, F_DURATION,
       F_BILLSEC, F_CAUSE, F_UUID, F_BLEG, F_ACCOUNTCODE, F_READ_CODEC, F_WRITE_CODEC,
       F_COUNT };

bool cdr_parse_freeswitch_csv(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e)
{
	struct call_record *r = &c->call;

	if (n != F_COUNT)
		return err_set(e, 422, ERR_BAD_CSV,
			       "expected 15 fields for freeswitch-csv, found %zu", n);
	for (size_t i = 0; i < n; i++)
		if (!check_utf8(c, freeswitch_columns[i], f[i], e))
			return false;

	memset(r, 0, sizeof(*r));
	r->format = CDR_FREESWITCH_CSV;
	r->sequence = -1;
	r->caller_name = nz(f[F_NAME]);
	r->caller = nz(f[F_NUMBER]);
	r->dialled = nz(f[F_DEST]);
	r->context = nz(f[F_CONTEXT]);
	if (!parse_time(c, "start_stamp", f[F_START], false, &r->start, e)
	    || !parse_time(c, "answer_stamp", f[F_ANSWER], true, &r->answer, e)
	    || !parse_time(c, "end_stamp", f[F_END], false, &r->end, e)
	    || !parse_count("duration", f[F_DURATION], &r->duration, e)
	    || !parse_count("billsec", f[F_BILLSEC], &r->billsec, e))
		return false;
	r->hangup_cause = nz(f[F_CAUSE]);
	r->call_id = nz(f[F_UUID]);
	r->peer_call_id = nz(f[F_BLEG]);
	r->accountcode = nz(f[F_ACCOUNTCODE]);
	r->disposition = fs_disposition(r);
	r->key = call_key(c);
	return true;
}

/* "0f8e1c2a-5b7d-4e6f-9a1b-2c3d4e5f6a7b" */
static bool looks_like_uuid(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char ch = s[i];
		if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')
					 || (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return s[36] == '\0';
}

enum cdr_format cdr_detect_csv(char *const *f, size_t n)
{
	if (n >= A_FIXED && n <= A_FIXED + 5)
		return CDR_ASTERISK_CSV;
	if (n == F_COUNT && looks_like_uuid(f[F_UUID]))
		return CDR_FREESWITCH_CSV;
	return CDR_AUTO;
}

/* ---- Asterisk queue_log ---- */

static const struct {
	const char *name;
	enum queue_event_kind kind;
} queue_kinds[] = {
	{ "ENTERQUEUE", QUEUE_EV_ENTERQUEUE },
	{ "CONNECT", QUEUE_EV_CONNECT },
	{ "ABANDON", QUEUE_EV_ABANDON },
	{ "EXITWITHTIMEOUT", QUEUE_EV_EXITWITHTIMEOUT },
	{ "EXITEMPTY", QUEUE_EV_EXITEMPTY },
	{ "EXITWITHKEY", QUEUE_EV_EXITWITHKEY },
	{ "COMPLETECALLER", QUEUE_EV_COMPLETECALLER },
	{ "COMPLETEAGENT", QUEUE_EV_COMPLETEAGENT },
	{ "BLINDTRANSFER", QUEUE_EV_BLINDTRANSFER },
	{ "ATTENDEDTRANSFER", QUEUE_EV_ATTENDEDTRANSFER },
	{ "RINGNOANSWER", QUEUE_EV_RINGNOANSWER },
};

bool queue_event_kind_is_abandon(enum queue_event_kind k)
{
	return k == QUEUE_EV_ABANDON || k == QUEUE_EV_EXITWITHTIMEOUT
	       || k == QUEUE_EV_EXITEMPTY || k == QUEUE_EV_EXITWITHKEY;
}

bool queue_event_kind_is_completion(enum queue_event_kind k)
{
	return k == QUEUE_EV_COMPLETECALLER || k == QUEUE_EV_COMPLETEAGENT
	       || k == QUEUE_EV_BLINDTRANSFER || k == QUEUE_EV_ATTENDEDTRANSFER;
}

/* data[i] as text; NULL when absent or empty. */
static const char *data_text(const struct queue_event *ev, size_t i)
{
	return i < ev->ndata ? nz(ev->data[i]) : NULL;
}

/* data[i] as a count into *out; -1 when absent or empty. */
static bool data_count(const struct queue_event *ev, size_t i, const char *name,
		       int *out, struct err *e)
{
	*out = -1;
	if (i >= ev->ndata || !*ev->data[i])
		return true;
	return parse_count(name, ev->data[i], out, e);
}

/* Positions of position, origposition, wait, talk, ring in the data;
 * NO_COLUMN where the event has none. */
struct queue_layout {
	size_t position, origposition, wait, talk, ring;
	const char *wait_name;
};

static void queue_layout(const struct queue_event *ev, struct queue_layout *l)
{
	const char *d0 = data_text(ev, 0);

	l->position = l->origposition = l->wait = l->talk = l->ring = NO_COLUMN;
	l->wait_name = "holdtime";
	switch (ev->kind) {
	case QUEUE_EV_ENTERQUEUE:
		l->position = 2;
		break;
	case QUEUE_EV_CONNECT:
		l->wait = 0;
		l->ring = 2;
		break;
	case QUEUE_EV_ABANDON:
	case QUEUE_EV_EXITWITHTIMEOUT:
	case QUEUE_EV_EXITEMPTY:
		l->position = 0;
		l->origposition = 1;
		l->wait = 2;
		l->wait_name = "waittime";
		break;
	case QUEUE_EV_EXITWITHKEY:
		l->position = 1;
		l->origposition = 2;
		l->wait = 3;
		l->wait_name = "waittime";
		break;
	case QUEUE_EV_COMPLETECALLER:
	case QUEUE_EV_COMPLETEAGENT:
		l->wait = 0;
		l->talk = 1;
		l->origposition = 2;
		break;
	case QUEUE_EV_ATTENDEDTRANSFER:
		if (d0 && !strcmp(d0, "LINK")) {
			l->wait = 3;
			l->talk = 4;
			l->origposition = 5;
			break;
		}
		/* BRIDGE|x|, APP|x| and the old extension|context| are laid
		 * out as BLINDTRANSFER. */
		/* fall through */
	case QUEUE_EV_BLINDTRANSFER:
		l->wait = 2;
		l->talk = 3;
		l->origposition = 4;
		break;
	case QUEUE_EV_RINGNOANSWER:
		l->ring = 0;
		break;
	case QUEUE_EV_OTHER:
		break;
	}
}

static enum queue_event_kind queue_kind(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(queue_kinds); i++)
		if (!strcmp(name, queue_kinds[i].name))
			return queue_kinds[i].kind;
	return QUEUE_EV_OTHER;
}

bool queue_event_interpret(struct queue_event *ev, struct err *e)
{
	struct queue_layout l;

	ev->kind = queue_kind(ev->event);
	ev->caller = ev->member_call_id = ev->exit_key = ev->transfer_to = NULL;
	queue_layout(ev, &l);
	if (!data_count(ev, l.position, "position", &ev->position, e)
	    || !data_count(ev, l.origposition, "origposition", &ev->origposition, e)
	    || !data_count(ev, l.wait, l.wait_name, &ev->wait, e)
	    || !data_count(ev, l.talk, "calltime", &ev->talk, e)
	    || !data_count(ev, l.ring, "ringtime", &ev->ring, e))
		return false;
	switch (ev->kind) {
	case QUEUE_EV_ENTERQUEUE:
		ev->caller = data_text(ev, 1);
		break;
	case QUEUE_EV_CONNECT:
		ev->member_call_id = data_text(ev, 1);
		break;
	case QUEUE_EV_EXITWITHKEY:
		ev->exit_key = data_text(ev, 0);
		break;
	case QUEUE_EV_BLINDTRANSFER:
		ev->transfer_to = data_text(ev, 0);
		break;
	case QUEUE_EV_ATTENDEDTRANSFER: {
		const char *d0 = data_text(ev, 0);
		if (d0 && !strcmp(d0, "LINK"))
			ev->transfer_to = data_text(ev, 2);
		else if (d0 && (!strcmp(d0, "BRIDGE") || !strcmp(d0, "APP")))
			ev->transfer_to = data_text(ev, 1);
		else
			ev->transfer_to = d0;
		break;
	}
	case QUEUE_EV_RINGNOANSWER:
		if (ev->ring > 0)
			ev->ring = (int)(((long)ev->ring + 500) / 1000);
		break;
	default:
		break;
	}
	return true;
}

static const char *queue_data_name(size_t i, char out[16])
{
	snprintf(out, 16, "data%zu", i + 1);
	return out;
}

bool cdr_parse_queue_log(struct cdr_parse_ctx *c, char **f, size_t n, struct err *e)
{
	static const char *const names[] = { "time", "callid", "queue", "agent", "event" };
	struct queue_event *ev = &c->ev;
	char sh[SHOWN_MAX + 8], dn[16];
	long long at = 0;

	if (n < 5)
		return err_set(e, 422, ERR_BAD_CSV,
			       "expected at least 5 fields for asterisk-queue-log, found %zu", n);
	if (n - 5 > QUEUE_EVENT_MAX_DATA)
		return err_set(e, 422, ERR_BAD_CSV,
			       "expected at most %d data fields for asterisk-queue-log, found %zu",
			       QUEUE_EVENT_MAX_DATA, n - 5);
	for (size_t i = 0; i < n; i++)
		if (!check_utf8(c, i < 5 ? names[i] : queue_data_name(i - 5, dn), f[i], e))
			return false;
	if (!all_digits(f[0], 1, 12))
		return err_field(e, 422, "time", ERR_BAD_TIME,
				 "field \"time\": invalid time \"%s\": expected seconds since the epoch",
				 shown(f[0], sh));
	for (const char *p = f[0]; *p; p++)
		at = at * 10 + (*p - '0');
	if (!*f[4])
		return err_field(e, 422, "event", ERR_REQUIRED, "field \"event\": missing event name");

	memset(ev, 0, sizeof(*ev));
	ev->at = (time_t)at;
	ev->call_id = nz_none(f[1]);
	ev->queue = nz_none(f[2]);
	ev->member = nz_none(f[3]);
	ev->event = f[4];
	ev->ndata = n - 5;
	for (size_t i = 0; i < ev->ndata; i++)
		ev->data[i] = f[5 + i];
	if (!queue_event_interpret(ev, e))
		return false;
	if (ev->member && strchr(ev->member, '/'))
		ev->agent = agent_from_channel(ev->member, &c->agent);
	else if (ev->member && all_digits(ev->member, 2, 8))
		ev->agent = ev->member;
	ev->key = event_key(c);
	return true;
}

/* ---- context ---- */

void cdr_parse_ctx_init(struct cdr_parse_ctx *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->agent);
	buf_init(&c->key);
	buf_init(&c->hash_in);
}

void cdr_parse_ctx_release(struct cdr_parse_ctx *c)
{
	buf_release(&c->agent);
	buf_release(&c->key);
	buf_release(&c->hash_in);
}
