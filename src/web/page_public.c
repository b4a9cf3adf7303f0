/*
 * The public pages, for citizens, without login:
 *   /public/new     file a request (the fields and checks of Open311's
 *                   POST requests, on the channel "web");
 *   /public/status  look an order up by its number and the caller's phone:
 *                   status, responsible unit, deadline, the public steps of
 *                   its record and the unit's reply; rate the result once
 *                   (一事一评), recorded as a callback made on the web.
 *
 * Forms carry a signed double-submit token: GET sets a random value in an
 * HttpOnly, SameSite=Strict cookie, and the form holds its HMAC under a key
 * the process draws at start; a POST needs both, matching. A forged form
 * from another site has neither the cookie's value nor the key.
 *
 * Rate limits per client address (table public_attempt): submissions per
 * hour, and look-ups that found nothing per 15 minutes; past the limit the
 * address gets 429 until the window moves on. A wrong number or phone says
 * only "not found", the same for both.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "open311/open311.h"
#include "orders/fields.h"
#include "orders/orders.h"
#include "orders/vocab.h"
#include "web/web_private.h"

#define PUBLIC_COOKIE "hotline_public"
#define PUBLIC_NONCE_HEX 33		/* 16 random bytes as hex plus NUL */
#define PUBLIC_TOKEN_HEX (2 * crypto_auth_BYTES + 1)
#define PUBLIC_SUBMITS_PER_HOUR 10	/* HOTLINE_PUBLIC_SUBMITS_PER_HOUR */
#define PUBLIC_LOOKUP_FAILURES 5	/* HOTLINE_PUBLIC_LOOKUP_FAILURES, per 15 minutes */
#define PUBLIC_SUBMITTER "市民网站"

static unsigned char token_key[crypto_auth_KEYBYTES];
static pthread_once_t token_key_once = PTHREAD_ONCE_INIT;

static void token_key_init(void)
{
	crypto_auth_keygen(token_key);
}

static bool nonce_ok(const char *t)
{
	return t && strlen(t) == PUBLIC_NONCE_HEX - 1 && strspn(t, "0123456789abcdef") == PUBLIC_NONCE_HEX - 1;
}

/* The form token of `nonce`: its HMAC as hex. */
static void sign_nonce(const char *nonce, char out[PUBLIC_TOKEN_HEX])
{
	unsigned char mac[crypto_auth_BYTES];

	pthread_once(&token_key_once, token_key_init);
	crypto_auth(mac, (const unsigned char *)nonce, strlen(nonce), token_key);
	sodium_bin2hex(out, PUBLIC_TOKEN_HEX, mac, sizeof(mac));
}

/* Puts the form token in the page data, setting the cookie if the browser has none. */
static void add_form_token(struct page *pg)
{
	const char *have = http_cookie(pg->req, PUBLIC_COOKIE);
	char nonce[PUBLIC_NONCE_HEX], token[PUBLIC_TOKEN_HEX], cookie[160];
	unsigned char raw[16];

	if (nonce_ok(have)) {
		snprintf(nonce, sizeof(nonce), "%s", have);
	} else {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(nonce, sizeof(nonce), raw, sizeof(raw));
		snprintf(cookie, sizeof(cookie),
			 PUBLIC_COOKIE "=%s; Path=/public; HttpOnly; SameSite=Strict; Max-Age=86400", nonce);
		http_set_header(pg->req, "Set-Cookie", cookie);
	}
	sign_nonce(nonce, token);
	json_object_object_add(pg->data, "form_token", json_object_new_string(token));
}

/* True if the form's token is the signature of the cookie's value. */
static bool form_token_ok(struct http_req *req, const struct form *f)
{
	const char *nonce = http_cookie(req, PUBLIC_COOKIE), *given = form_get(f, "form_token");
	char token[PUBLIC_TOKEN_HEX];

	if (!nonce_ok(nonce) || !given || strlen(given) != PUBLIC_TOKEN_HEX - 1)
		return false;
	sign_nonce(nonce, token);
	return sodium_memcmp(token, given, PUBLIC_TOKEN_HEX - 1) == 0;
}

static long env_limit(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	return *end || n < 1 ? dflt : n;
}

/*
 * False (429 in `e`) if the client's address made `limit` attempts of
 * `kind` within `window` (an SQL interval).
 */
static bool under_limit(struct page *pg, const char *kind, const char *window, long limit, struct err *e)
{
	char lim[24];
	struct db_res *r;
	bool ok;

	snprintf(lim, sizeof(lim), "%ld", limit);
	r = DB_EXEC(pg->db, e,
		    "SELECT count(*) < $4::bigint AS ok FROM public_attempt"
		    " WHERE kind = $1 AND address = $2 AND at > now() - $3::interval",
		    kind, http_client_ip(pg->req), window, lim);
	if (!r)
		return false;
	ok = db_res_bool(r, 0, "ok");
	db_res_free(r);
	if (!ok)
		return err_set(e, 429, ERR_TOO_MANY_FAILURES, "too many attempts from this address: try again later");
	return true;
}

/* Counts one attempt of `kind` for the client's address (and forgets old ones). */
static void count_attempt(struct page *pg, const char *kind)
{
	struct err e = ERR_INIT;

	if (!DB_RUN(pg->db, &e, "WITH old AS (DELETE FROM public_attempt WHERE at < now() - interval '1 day')"
		    " INSERT INTO public_attempt (kind, address) VALUES ($1, $2)", kind, http_client_ip(pg->req)))
		log_warn("public: cannot count an attempt: %s", e.message);
}

/* The error page for a form whose token is missing or wrong. */
static void stale_form(struct http_req *req)
{
	struct err e = ERR_INIT;

	err_set(&e, 403, ERR_CSRF, "the form has expired: reload the page and submit it again");
	page_fail(req, &e);
}

/* ------------------------------------------------------------ /public/new */

static const char *const request_labels[] = {
	"service_code", "诉求类别", "description", "诉求内容", "address_string", "地址",
	"first_name", "姓名", "phone", "联系电话", "lat", "纬度", "long", "经度", NULL,
};

static void show_new(struct page *pg, int status, const struct form *f, const struct err *e)
{
	struct err le = ERR_INIT;
	json_object *services = open311_services(pg->db, &le);
	const char *chosen = f ? form_get(f, "service_code") : NULL;

	if (!services)
		services = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(services); i++) {
		json_object *s = json_object_array_get_idx(services, i);
		if (chosen && !strcmp(chosen, json_object_get_string(json_object_object_get(s, "service_code"))))
			json_object_object_add(s, "selected", json_object_new_boolean(true));
	}
	json_object_object_add(pg->data, "services", services);
	if (f)
		json_object_object_add(pg->data, "values", form_values(f, NULL));
	if (e)
		page_form_error(pg, e, request_labels);
	add_form_token(pg);
	page_render(pg, status, "public/new");
}

static void page_public_new(struct http_req *req)
{
	struct page pg;

	if (!page_begin_public(req, "市民诉求", &pg))
		return;
	show_new(&pg, 200, NULL, NULL);
	page_end(&pg);
}

/* The public page's own requirements beyond Open311's: the content, and a
 * phone to look the order up with. */
static bool public_request_check(const struct open311_request *r, struct err *e)
{
	struct err one = ERR_INIT;

	if (!r->description) {
		err_field(&one, 422, "description", ERR_REQUIRED, "field \"description\" is required");
		err_collect(e, &one);
	}
	if (!r->phone[0] && strcmp(e->field, "phone")) {
		err_clear(&one);
		err_field(&one, 422, "phone", ERR_REQUIRED, "field \"phone\" is required");
		err_collect(e, &one);
	}
	return !err_isset(e);
}

static void page_public_submit(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct form f = { 0 };
	struct open311_request r;
	struct param_source src;
	struct page pg;
	json_object *created;

	if (!page_begin_public(req, "市民诉求", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	if (!form_token_ok(req, &f)) {
		stale_form(req);
		goto out;
	}
	if (!under_limit(&pg, "submit", "1 hour", env_limit("HOTLINE_PUBLIC_SUBMITS_PER_HOUR", PUBLIC_SUBMITS_PER_HOUR),
			 &e)) {
		page_fail(req, &e);
		goto out;
	}
	src = form_source(&f);
	bool ok = open311_read_request(&src, &r, &e);
	if (!public_request_check(&r, &e) || !ok) {
		show_new(&pg, 422, &f, &e);
		goto out;
	}
	created = open311_submit(pg.db, &r, "web", PUBLIC_SUBMITTER, &e);
	if (!created) {
		if (e.status == 400)
			e.status = 422;
		if (e.status == 422)
			show_new(&pg, 422, &f, &e);
		else
			page_fail(req, &e);
		goto out;
	}
	count_attempt(&pg, "submit");
	json_object_object_add(pg.data, "number",
			       json_object_get(json_object_object_get(created, "service_request_id")));
	json_object_put(created);
	add_form_token(&pg);
	page_render(&pg, 201, "public/submitted");
out:
	form_release(&f);
	page_end(&pg);
}

/* ------------------------------------------------------------ /public/status */

/* The steps of an order's record a citizen sees, with what to call them. */
static const char *public_step(const char *action)
{
	static const char *const steps[][2] = {
		{ "register", "已受理" }, { "dispatch", "已派至承办单位" }, { "approve_return", "已改派承办单位" },
		{ "sign", "承办单位已签收" }, { "suspend", "暂停办理（等待您的配合）" }, { "resume", "恢复办理" },
		{ "approve_extension", "办理时限已延长" }, { "reply", "承办单位已答复" }, { "callback", "已回访，办结" },
		{ "reopen", "重新办理" }, { "answer", "已直接答复，办结" }, { "not_accept", "不予受理" },
		{ "transfer_out", "已转交相关部门" }, { "merge", "已与同一诉求合并办理" }, { "archive", "已归档" },
	};

	for (size_t i = 0; action && i < sizeof(steps) / sizeof(steps[0]); i++)
		if (!strcmp(action, steps[i][0]))
			return steps[i][1];
	return NULL;
}

static json_object *public_timeline(struct db *db, const struct principal *who, const char *number)
{
	struct err e = ERR_INIT;
	json_object *events = orders_events(db, who, number, &e), *out = json_object_new_array();
	json_object *list = events && json_object_is_type(events, json_type_object)
				    ? json_object_object_get(events, "items") : events;

	for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++) {
		json_object *ev = json_object_array_get_idx(list, i), *step;
		const char *label = public_step(json_object_get_string(json_object_object_get(ev, "action")));
		struct buf at = BUF_INIT;
		if (!label)
			continue;
		view_time(&at, json_object_get_string(json_object_object_get(ev, "at")));
		step = json_object_new_object();
		json_object_object_add(step, "at", json_object_new_string(at.data));
		json_object_object_add(step, "label", json_object_new_string(label));
		json_object_array_add(out, step);
		buf_release(&at);
	}
	json_object_put(events);
	return out;
}

static void system_principal(struct principal *who)
{
	memset(who, 0, sizeof(*who));
	who->role = ROLE_SYSTEM;
	snprintf(who->login, sizeof(who->login), "public");
	snprintf(who->name, sizeof(who->name), "%s", PUBLIC_SUBMITTER);
}

/*
 * The order `number` if its caller's phone is `phone` (normalised first),
 * else NULL with 404 in `e`, the same whichever of the two was wrong.
 */
static json_object *find_own_order(struct db *db, const char *number, const char *phone, struct err *e)
{
	struct principal who;
	char norm[PHONE_MAX];
	struct err pe = ERR_INIT;
	json_object *o, *caller;

	system_principal(&who);
	if (!number || !phone || !order_number_ok(number) || !phone_normalise(phone, norm, "phone", &pe))
		return err_set(e, 404, ERR_NOT_FOUND, "no order with that number and phone"), NULL;
	o = orders_get(db, &who, number, e);
	if (!o)
		return NULL;
	caller = json_object_object_get(o, "caller");
	if (!norm[0] || strcmp(norm, json_object_get_string(json_object_object_get(caller, "phone")))) {
		json_object_put(o);
		err_clear(e);
		return err_set(e, 404, ERR_NOT_FOUND, "no order with that number and phone"), NULL;
	}
	return o;
}

static const char *member_str(json_object *o, const char *path1, const char *path2)
{
	json_object *v = json_object_object_get(o, path1);

	if (path2)
		v = v ? json_object_object_get(v, path2) : NULL;
	return v ? json_object_get_string(v) : NULL;
}

/* The status page's data for order `o`, found with `phone`. */
static void status_view(struct page *pg, json_object *o, const char *phone)
{
	struct principal who;
	json_object *s = json_object_new_object();
	const char *status = member_str(o, "status", NULL), *sat = member_str(o, "outcome", "satisfaction");
	struct buf t = BUF_INIT;

	system_principal(&who);
	json_object_object_add(s, "number", json_object_get(json_object_object_get(o, "number")));
	json_object_object_add(s, "status_name", json_object_get(json_object_object_get(o, "status_name")));
	json_object_object_add(s, "category", json_object_new_string(member_str(o, "category", "name") ?: ""));
	json_object_object_add(s, "unit", json_object_new_string(member_str(o, "lead_department", "name") ?: ""));
	view_time(&t, member_str(o, "deadlines", "handle_deadline"));
	json_object_object_add(s, "deadline", json_object_new_string(t.data));
	json_object_object_add(s, "reply", json_object_new_string(member_str(o, "outcome", "result") ?: ""));
	json_object_object_add(s, "can_rate", json_object_new_boolean(status && !strcmp(status, "awaiting_callback")));
	if (sat && *sat)
		json_object_object_add(s, "rating",
				       json_object_new_string(vocab_label_of(&vocab_satisfaction, sat)));
	json_object_object_add(s, "steps", public_timeline(pg->db, &who, member_str(o, "number", NULL)));
	json_object_object_add(s, "phone", json_object_new_string(phone));
	json_object_object_add(pg->data, "order", s);
	buf_release(&t);
}

static void show_lookup(struct page *pg, int status, const char *number, const char *error)
{
	if (number)
		json_object_object_add(pg->data, "number", json_object_new_string(number));
	if (error)
		json_object_object_add(pg->data, "error", json_object_new_string(error));
	add_form_token(pg);
	page_render(pg, status, "public/status");
}

static void page_public_status(struct http_req *req)
{
	struct page pg;
	const char *number = http_query(req, "number");

	if (!page_begin_public(req, "办理进度查询", &pg))
		return;
	show_lookup(&pg, 200, number && order_number_ok(number) ? number : NULL, NULL);
	page_end(&pg);
}

/*
 * Reads number and phone from `f`, checks the token and the look-up limit,
 * and finds the order: NULL after replying (a page of its own) otherwise.
 */
static json_object *lookup_or_reply(struct page *pg, const struct form *f)
{
	struct err e = ERR_INIT;
	const char *number = form_get_nonempty(f, "number"), *phone = form_get_nonempty(f, "phone");
	json_object *o;

	if (!form_token_ok(pg->req, f)) {
		stale_form(pg->req);
		return NULL;
	}
	if (!under_limit(pg, "lookup_failed", "15 minutes",
			 env_limit("HOTLINE_PUBLIC_LOOKUP_FAILURES", PUBLIC_LOOKUP_FAILURES), &e)) {
		show_lookup(pg, 429, NULL, "查询过于频繁，请稍后再试");
		return NULL;
	}
	o = find_own_order(pg->db, number, phone, &e);
	if (!o && e.status == 404) {
		count_attempt(pg, "lookup_failed");
		show_lookup(pg, 404, number && order_number_ok(number) ? number : NULL,
			    "未找到该工单，请核对工单号和联系电话");
	} else if (!o) {
		page_fail(pg->req, &e);
	}
	return o;
}

static void page_public_lookup(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct form f = { 0 };
	struct page pg;
	json_object *o;

	if (!page_begin_public(req, "办理进度查询", &pg))
		return;
	if (!form_parse(&f, req, &e))
		page_fail(req, &e);
	else if ((o = lookup_or_reply(&pg, &f))) {
		status_view(&pg, o, form_get(&f, "phone"));
		json_object_put(o);
		add_form_token(&pg);
		page_render(&pg, 200, "public/order");
	}
	form_release(&f);
	page_end(&pg);
}

static void page_public_rate(struct http_req *req)
{
	struct err e = ERR_INIT;
	struct form f = { 0 };
	struct principal who;
	struct action_params p = { 0 };
	struct page pg;
	json_object *o, *after = NULL;
	const char *solved;

	if (!page_begin_public(req, "办理进度查询", &pg))
		return;
	if (!form_parse(&f, req, &e)) {
		page_fail(req, &e);
		goto out;
	}
	if (!(o = lookup_or_reply(&pg, &f)))
		goto out;
	solved = form_get(&f, "solved");
	p.callback.satisfaction = (enum satisfaction)vocab_parse(&vocab_satisfaction, form_get(&f, "satisfaction"));
	p.callback.solved = solved && !strcmp(solved, "true") ? YN_YES : solved && !strcmp(solved, "false") ? YN_NO
													       : YN_UNSET;
	p.callback.channel = CBCH_WEB;
	p.callback.attributable = YN_UNSET;
	p.callback.note = "来电人网上评价";
	p.callback.comment = form_get_nonempty(&f, "comment");
	if (p.callback.satisfaction == SAT_NONE || p.callback.solved == YN_UNSET) {
		page_flash(&pg, "请选择满意程度和问题是否解决");
	} else {
		system_principal(&who);
		after = orders_act(pg.db, &who, member_str(o, "number", NULL), ACT_CALLBACK, &p, &e);
		page_flash(&pg, after ? "感谢您的评价" : "该工单已评价或当前不能评价");
	}
	status_view(&pg, after ? after : o, form_get(&f, "phone"));
	json_object_put(after);
	json_object_put(o);
	add_form_token(&pg);
	page_render(&pg, 200, "public/order");
out:
	form_release(&f);
	page_end(&pg);
}

const struct http_route public_routes[] = {
	{ "GET", "/public/new", page_public_new, 0 },
	{ "POST", "/public/new", page_public_submit, 0 },
	{ "GET", "/public/status", page_public_status, 0 },
	{ "POST", "/public/status", page_public_lookup, 0 },
	{ "POST", "/public/rate", page_public_rate, 0 },
};
const size_t public_routes_count = sizeof(public_routes) / sizeof(public_routes[0]);
