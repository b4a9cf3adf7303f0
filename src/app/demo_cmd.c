/*
 * `hotline demo load`: a small demo city — the department tree and
 * category tree of scripts/demo/, one user per role, and a few hundred
 * orders in every state, made through the same domain functions as the
 * API so that every order has its true event record. Each order is
 * replayed step by step at its own moments over the last 30 days up to the
 * moment of loading (orders_create_input_at(), orders_act_input_at()): its
 * events, deadlines, lights, callback due times, handling times and
 * statistics agree with each other as they would had the month been lived.
 * A step that would fall after the load is not taken, so the newest orders
 * wait where a real month leaves them. Logins go to stdout and
 * var/demo-logins.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/app.h"
#include "auth/auth.h"
#include "core/array.h"
#include "core/jsonutil.h"
#include "db/db.h"
#include "dispatch/dispatch.h"
#include "orders/deadline.h"
#include "orders/orders.h"

struct demo_user {
	const char *login, *role, *department, *name, *password;
};

static const struct demo_user demo_users[] = {
	{ "agent", "agent", NULL, "王芳", "agent-12345" },
	{ "reviewer", "reviewer", NULL, "李强", "reviewer-12345" },
	{ "handler", "dept_handler", "SCGJ", "张伟", "handler-12345" },
	{ "deptadmin", "dept_admin", "SCGJ", "刘洋", "deptadmin-12345" },
	{ "supervisor", "supervisor", NULL, "赵敏", "supervisor-12345" },
	{ "admin", "admin", NULL, "系统管理员", "admin-12345" },
};

/* What a caller reports, which category it is and who handles it; a
 * police matter (listed last) goes to 110 with `police` as the note. */
struct demo_matter {
	const char *category, *department, *type, *text, *police;
};

static const struct demo_matter matters[] = {
	{ "010102", "SCGJ", "complaint", "%s的路灯已经坏了%d天，晚上出行很不安全，希望尽快维修。", NULL },
	{ "010101", "SCGJ", "help", "%s路面出现一个大坑，车辆经过很危险，已经有电动车摔倒。", NULL },
	{ "010103", "SCGJ", "report", "%s的井盖丢失，路过行人容易掉进去。", NULL },
	{ "020101", "SHBJ", "complaint", "%s附近工地夜间施工，晚上十一点以后还在打桩，噪音扰民。", NULL },
	{ "020102", "D01", "complaint", "%s楼下商铺音响声音太大，每天到深夜，影响休息。", NULL },
	{ "030101", "SRSJ", "help", "我在%s附近的公司打工，老板已经拖欠工资%d个月不发。", NULL },
	{ "040101", "SSCJ", "complaint", "在%s的商场买的电器有质量问题，商家拒绝退款。", NULL },
	{ "040102", "SSCJ", "report", "%s一家餐馆后厨卫生很差，吃完后全家腹泻。", NULL },
	{ "050101", "SSWJ", "help", "%s小区已经停水%d天了，事先没有任何通知。", NULL },
	{ "050201", "SGDGS", "help", "%s一带频繁停电，家里的冰箱和电脑都坏了。", NULL },
	{ "050401", "SZJW", "complaint", "%s家中暖气不热，室温只有十几度，老人孩子受不了。", NULL },
	{ "010201", "SZJW-WY", "complaint", "%s小区物业乱收停车费，服务质量也很差。", NULL },
	{ "020201", "SCGJ-HW", "complaint", "%s的垃圾桶满了%d天没人清运，气味很大。", NULL },
	{ "060101", "SJTJ", "complaint", "在%s打车，出租车司机拒载还绕路多收钱。", NULL },
	{ "0701", "SJYJ", "suggestion", "建议在%s附近小学门口增设护学岗，上下学时段交通很乱。", NULL },
	{ "0801", "SYBJ", "consult", "咨询异地就医在%s的医院看病，医保报销需要哪些材料。", NULL },
	{ "010202", "D02", "report", "%s有人私搭乱建，占用了小区的消防通道。", NULL },
	{ "010102", "SCGJ", "praise", "表扬城管委的工作人员，%s的路灯报修第二天就修好了。", NULL },
	{ "090101", NULL, "report", "%s门口有几个人正在打架，有人受伤了，请马上派人来。",
	  "正在发生的打架斗殴，一键转110" },
	{ "090102", NULL, "report", "我的电动车刚才在%s楼下被人偷了，监控可能拍到了。",
	  "盗窃案件，转110受理" },
	{ "0904", NULL, "help", "家里八十多岁的老人上午在%s附近走失了，穿灰色外套，有老年痴呆。",
	  "人员走失，转110协助查找" },
};

static const char *const places[][3] = {
	{ "D01", "D01-S01", "东城区东华门街道南池子大街%d号" },
	{ "D01", "D01-S02", "东城区景山街道景山前街%d号" },
	{ "D01", "D01-S03", "东城区交道口街道南锣鼓巷%d号" },
	{ "D02", "D02-S01", "西城区西长安街街道府右街%d号" },
	{ "D02", "D02-S02", "西城区新街口街道新街口北大街%d号" },
	{ "D03", "D03-S01", "南城区天桥街道天桥南大街%d号" },
	{ "D03", "D03-S03", "南城区南苑镇南苑路%d号" },
	{ "D04", "D04-S01", "北城区安贞街道安定路%d号" },
	{ "D04", "D04-S02", "北城区和平里街道和平里东街%d号" },
};

static const char *const surnames[] = { "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴" };
static const char *const given[] = { "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "军" };

/* Expands a demo text: "%s" becomes `text`, "%d" becomes `n`. */
static void expand(char *out, size_t size, const char *tmpl, const char *text, int n)
{
	struct buf b = BUF_INIT;

	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			buf_adds(&b, text);
			p++;
		} else if (p[0] == '%' && p[1] == 'd') {
			buf_addf(&b, "%d", n);
			p++;
		} else {
			buf_addch(&b, *p);
		}
	}
	snprintf(out, size, "%s", b.data);
	buf_release(&b);
}

/* A fixed linear congruential generator: the same demo city every time. */
static unsigned long demo_seed = 12345;
static int roll(int n)
{
	demo_seed = demo_seed * 6364136223846793005UL + 1442695040888963407UL;
	return (int)((demo_seed >> 33) % (unsigned long)n);
}

struct demo {
	struct db *db;
	char merge_target[32];		/* a pending order that later ones merge into */
	struct principal agent, reviewer, supervisor, admin;
	time_t loaded;			/* the moment of loading: no step after it */
	time_t at;			/* the moment of the order's current step */
	struct err e;
};

/* A random moment `lo`..`hi` seconds before the load, in the hours callers
 * call (07:00–22:00 local; a few at night). */
static time_t demo_start(struct demo *d, long lo, long hi)
{
	time_t t = d->loaded - lo - (time_t)roll((int)(hi - lo));
	struct tm tm;

	localtime_r(&t, &tm);
	if (roll(10) && (tm.tm_hour < 7 || tm.tm_hour >= 22) && t - 9 * 3600 > d->loaded - hi)
		t -= 9 * 3600;		/* the night's call moved to the evening before */
	return t;
}

/* The next step `lo`..`hi` seconds after the last one; false if it would
 * come after the load (the order stays where it is). */
static bool later(struct demo *d, long lo, long hi)
{
	time_t t = d->at + lo + (hi > lo ? roll((int)(hi - lo)) : 0);

	if (t > d->loaded)
		return false;
	d->at = t;
	return true;
}

/* A principal for a handler of `department`, created on first use. */
static bool handler_for(struct demo *d, const char *department, bool admin, struct principal *who)
{
	char login[64];

	snprintf(login, sizeof(login), "%s-%s", admin ? "admin" : "handler", department);
	for (char *p = login; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (auth_principal_for(d->db, login, who, &d->e))
		return true;
	err_clear(&d->e);
	return auth_user_add(d->db, login, admin ? "dept_admin" : "dept_handler", department,
			     login, "demo-handler-12345", &d->e)
	       && auth_principal_for(d->db, login, who, &d->e);
}

/* Takes one action at the current step's moment with its parameters
 * written as a JSON body, as an API client would send them. An action the
 * rules refuse at that moment (409: a suspension once the order is
 * overdue) is not taken, as its handler would find; false on any other
 * error. */
static bool act(struct demo *d, const struct principal *who, const char *number,
		enum order_action a, const char *json)
{
	json_object *body = json ? json_tokener_parse(json) : NULL;
	struct param_source src = params_from_json(body);
	json_object *o = orders_act_input_at(d->db, who, number, a, &src, d->at, &d->e);

	json_object_put(body);
	if (!o && d->e.status == 409) {
		err_clear(&d->e);
		return true;
	}
	if (!o) {
		fprintf(stderr, "demo: %s on %s failed: %s\n", action_code(a), number, d->e.message);
		return false;
	}
	json_object_put(o);
	return true;
}

/* A matter for the `pct`th percentile: a police matter one time in 25. */
static const struct demo_matter *demo_matter(int pct)
{
	size_t civil = 0, police;

	while (civil < ARRAY_SIZE(matters) && !matters[civil].police)
		civil++;
	police = ARRAY_SIZE(matters) - civil;
	if (pct < 4 && police)
		return &matters[civil + (size_t)roll((int)police)];
	return &matters[roll((int)civil)];
}

#define HOUR 3600L
#define DAY (24 * HOUR)

/*
 * Registers one order and walks it towards a state chosen by `fate`
 * (0–99), each step at its own moment after the one before: the open
 * states start within the last days, the closed ones anywhere in the
 * month. A step due after the load is not taken.
 */
static bool demo_order(struct demo *d, int fate)
{
	const struct demo_matter *m = demo_matter(roll(100));
	const char *const *place = places[roll((int)(ARRAY_SIZE(places)))];
	char address[256], content[512], phone[16], name[16], number[32], json[160];
	json_object *body = json_object_new_object(), *o;
	struct principal h, ha;

	expand(address, sizeof(address), place[2], "", 1 + roll(200));
	expand(content, sizeof(content), m->text, address, 2 + roll(5));
	snprintf(phone, sizeof(phone), "13%d%08d", roll(10), roll(100000000));
	snprintf(name, sizeof(name), "%s%s", surnames[roll(10)], given[roll(10)]);
	json_add_string(body, "request_type", m->type);
	json_add_string(body, "urgency", m->police || roll(10) == 0 ? "urgent" : "normal");
	json_add_string(body, "category", m->category);
	json_add_string(body, "caller_name", name);
	json_add_string(body, "caller_phone", phone);
	json_object_object_add(body, "confidential", json_object_new_boolean(roll(12) == 0));
	json_add_string(body, "address", address);
	json_add_string(body, "district", place[0]);
	json_add_string(body, "street", place[1]);
	json_add_string(body, "content", content);
	json_add_string(body, "request", "请尽快处理并回复");
	if (fate < 8 || (fate >= 52 && fate < 54))	/* waiting, or merged into one waiting */
		d->at = demo_start(d, 5 * 60, 3 * HOUR);
	else if (fate < 56)				/* open: the last twelve days */
		d->at = demo_start(d, HOUR, 12 * DAY);
	else
		d->at = demo_start(d, 6 * HOUR, 30 * DAY);
	struct param_source src = params_from_json(body);
	o = orders_create_input_at(d->db, &d->agent, &src, d->at, &d->e);
	json_object_put(body);
	if (!o)
		return false;
	snprintf(number, sizeof(number), "%s", json_str(o, "number"));
	json_object_put(o);

	if (m->police) {			/* a police matter: 110 at once */
		snprintf(json, sizeof(json), "{\"target\":\"110\",\"note\":\"%s\"}", m->police);
		return !later(d, 60, 5 * 60) || act(d, &d->agent, number, ACT_TRANSFER_OUT, json);
	}
	if (fate < 8) {				/* 8% waiting for dispatch */
		snprintf(d->merge_target, sizeof(d->merge_target), "%s", number);
		return true;
	}
	if (fate < 12)				/* 4% answered on the spot */
		return !later(d, 2 * 60, 8 * 60)
		       || act(d, &d->agent, number, ACT_ANSWER, "{\"answer\":\"已根据知识库当场解答\"}");
	if (fate >= 52 && fate < 54 && d->merge_target[0]) {	/* 2% the same matter again */
		snprintf(json, sizeof(json), "{\"into\":\"%s\",\"note\":\"同一事项重复来电\"}",
			 d->merge_target);
		return !later(d, 2 * 60, 10 * 60) || act(d, &d->reviewer, number, ACT_MERGE, json);
	}
	snprintf(json, sizeof(json), "{\"department\":\"%s\"}", m->department);
	if (!later(d, 10 * 60, 3 * HOUR))
		return true;
	if (!act(d, &d->agent, number, ACT_DISPATCH, json) || !handler_for(d, m->department, false, &h))
		return false;
	if (fate < 26)				/* 12% waiting for sign-for */
		return true;
	if (fate < 29)				/* 3% return requested */
		return !later(d, HOUR, 6 * HOUR)
		       || act(d, &h, number, ACT_RETURN, "{\"reason\":\"不属于本单位职责，建议转属地街道\"}");
	if (!later(d, 10 * 60, 30 * HOUR))	/* a few sign late */
		return true;
	if (!act(d, &h, number, ACT_SIGN, NULL))
		return false;
	if (fate < 47)				/* 18% in progress, some pressed */
		return fate % 3 || !later(d, DAY, 4 * DAY)
		       || act(d, &d->supervisor, number, ACT_PRESS, "{\"note\":\"请加快办理\",\"level\":1}");
	if (fate < 50)				/* 3% extension requested */
		return !later(d, DAY, 4 * DAY)
		       || act(d, &h, number, ACT_REQUEST_EXTENSION, "{\"reason\":\"需协调多个部门\",\"workdays\":5}");
	if (fate < 52)				/* 2% suspended */
		return !later(d, DAY, 2 * DAY)
		       || act(d, &h, number, ACT_SUSPEND, "{\"reason\":\"等待市民补充材料\"}");
	if (fate < 56 && !strcmp(m->department, "SCGJ")	/* passed to a sub-unit */
	    && handler_for(d, m->department, true, &ha))
		return !later(d, HOUR, 20 * HOUR)
		       || act(d, &ha, number, ACT_SUB_DISPATCH, "{\"department\":\"SCGJ-ZF\"}");
	if (!later(d, 4 * HOUR, 9 * DAY))	/* some replies come after the deadline */
		return true;
	if (!act(d, &h, number, ACT_REPLY,
		 "{\"result\":\"已安排人员现场处理，问题已解决\",\"solved\":true,\"contacted\":true}"))
		return false;
	if (fate < 62)				/* awaiting callback */
		return true;
	if (fate < 66)				/* reopened on the caller's word */
		return !later(d, DAY, 2 * DAY)
		       || act(d, &d->agent, number, ACT_REOPEN, "{\"reason\":\"市民反映问题仍未解决\"}");
	if (!later(d, 20 * HOUR, 3 * DAY))	/* the callback, once it is due */
		return true;
	if (!act(d, &d->agent, number, ACT_CALLBACK,
		 fate < 72 ? "{\"satisfaction\":\"unsatisfied\",\"solved\":false}"
		 : fate < 82 ? "{\"satisfaction\":\"basically\",\"solved\":true}"
			     : "{\"satisfaction\":\"satisfied\",\"solved\":true}"))
		return false;
	if (fate >= 96)				/* 4% archived */
		return !later(d, DAY, 5 * DAY) || act(d, &d->admin, number, ACT_ARCHIVE, NULL);
	return true;
}

int cmd_demo(struct config *cfg, int argc, char **argv)
{
	struct demo d = { .e = ERR_INIT };
	bool if_empty = argc > 2 && !strcmp(argv[2], "--if-empty");
	char *file, *logins_path;
	struct db_res *r;
	FILE *logins;
	int made = 0, status = 1;

	if (argc < 2 || strcmp(argv[1], "load") || (argc > 2 && !if_empty)) {
		fprintf(stderr, "usage: hotline demo load [--if-empty]\n");
		return 2;
	}
	if (!app_modules_init(&d.e)) {
		fprintf(stderr, "hotline demo: %s\n", d.e.message);
		return 1;
	}
	d.db = db_connect(cfg->conninfo, &d.e);
	if (!d.db) {
		fprintf(stderr, "hotline demo: cannot connect to the database: %s\n", d.e.message);
		return 1;
	}
	r = db_exec(d.db, "SELECT count(*) AS n FROM work_order", 0, NULL, &d.e);
	if (!r)
		goto out;
	bool has_orders = db_res_ll(r, 0, "n") > 0;
	db_res_free(r);
	if (has_orders && if_empty) {
		status = 0;
		goto out;
	}
	file = xasprintf("%s/scripts/demo/departments.csv", cfg->root);
	bool imported = app_import_departments(d.db, file, &d.e) >= 0;
	free(file);
	file = xasprintf("%s/scripts/demo/categories.csv", cfg->root);
	imported = imported && app_import_categories(d.db, file, &d.e) >= 0;
	free(file);
	file = xasprintf("%s/src/routing/default_rules.json", cfg->root);
	imported = imported && dispatch_load_default_rules(d.db, file, &d.e) >= 0;
	free(file);
	if (!imported || !deadline_calendar_load(d.db, &d.e))
		goto out;

	logins_path = xasprintf("%s/var", cfg->root);
	mkdir(logins_path, 0755);
	free(logins_path);
	logins_path = xasprintf("%s/var/demo-logins.txt", cfg->root);
	logins = fopen(logins_path, "w");
	free(logins_path);
	for (size_t i = 0; i < ARRAY_SIZE(demo_users); i++) {
		const struct demo_user *u = &demo_users[i];
		if (!auth_user_add(d.db, u->login, u->role, u->department, u->name, u->password, &d.e)
		    && d.e.status != 409)
			goto out_close;
		err_clear(&d.e);
		char line[256];
		snprintf(line, sizeof(line), "%-12s %-16s %s%s%s\n", u->login, u->password, u->name,
			 u->department ? " · " : "", u->department ? u->department : "");
		fputs(line, stdout);
		if (logins)
			fputs(line, logins);
	}
	if (!auth_principal_for(d.db, "agent", &d.agent, &d.e)
	    || !auth_principal_for(d.db, "reviewer", &d.reviewer, &d.e)
	    || !auth_principal_for(d.db, "supervisor", &d.supervisor, &d.e)
	    || !auth_principal_for(d.db, "admin", &d.admin, &d.e))
		goto out_close;
	d.loaded = time(NULL);
	for (int i = 0; i < 300; i++) {
		if (!demo_order(&d, roll(100)))
			goto out_close;
		made++;
	}
	/* The lights as of the load, as the sweeper would have left them. */
	if (orders_sweep(d.db, &d.e) < 0)
		goto out_close;
	printf("demo city loaded: %d orders\n", made);
	status = 0;
out_close:
	if (logins)
		fclose(logins);
out:
	if (status)
		fprintf(stderr, "hotline demo load: %s\n", d.e.message);
	db_close(d.db);
	app_modules_shutdown();
	return status;
}
