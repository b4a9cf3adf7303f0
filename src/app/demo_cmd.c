/*
 * `hotline demo load`: a small demo city — the department tree and
 * category tree of scripts/demo/, one user per role, and a few hundred
 * orders in every state, made through the same domain functions as the
 * API so that every order has its true event record. The orders are then
 * spread over the last 30 days. Logins go to stdout and var/demo-logins.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* What a caller reports, which category it is and who handles it. */
struct demo_matter {
	const char *category, *department, *type, *text;
};

static const struct demo_matter matters[] = {
	{ "010102", "SCGJ", "complaint", "%s的路灯已经坏了%d天，晚上出行很不安全，希望尽快维修。" },
	{ "010101", "SCGJ", "help", "%s路面出现一个大坑，车辆经过很危险，已经有电动车摔倒。" },
	{ "010103", "SCGJ", "report", "%s的井盖丢失，路过行人容易掉进去。" },
	{ "020101", "SHBJ", "complaint", "%s附近工地夜间施工，晚上十一点以后还在打桩，噪音扰民。" },
	{ "020102", "D01", "complaint", "%s楼下商铺音响声音太大，每天到深夜，影响休息。" },
	{ "030101", "SRSJ", "help", "我在%s附近的公司打工，老板已经拖欠工资%d个月不发。" },
	{ "040101", "SSCJ", "complaint", "在%s的商场买的电器有质量问题，商家拒绝退款。" },
	{ "040102", "SSCJ", "report", "%s一家餐馆后厨卫生很差，吃完后全家腹泻。" },
	{ "050101", "SSWJ", "help", "%s小区已经停水%d天了，事先没有任何通知。" },
	{ "050201", "SGDGS", "help", "%s一带频繁停电，家里的冰箱和电脑都坏了。" },
	{ "050401", "SZJW", "complaint", "%s家中暖气不热，室温只有十几度，老人孩子受不了。" },
	{ "010201", "SZJW-WY", "complaint", "%s小区物业乱收停车费，服务质量也很差。" },
	{ "020201", "SCGJ-HW", "complaint", "%s的垃圾桶满了%d天没人清运，气味很大。" },
	{ "060101", "SJTJ", "complaint", "在%s打车，出租车司机拒载还绕路多收钱。" },
	{ "0701", "SJYJ", "suggestion", "建议在%s附近小学门口增设护学岗，上下学时段交通很乱。" },
	{ "0801", "SYBJ", "consult", "咨询异地就医在%s的医院看病，医保报销需要哪些材料。" },
	{ "010202", "D02", "report", "%s有人私搭乱建，占用了小区的消防通道。" },
	{ "010102", "SCGJ", "praise", "表扬城管委的工作人员，%s的路灯报修第二天就修好了。" },
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
	struct err e;
};

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

/* Takes one action with its parameters written as a JSON body, as an API
 * client would send them; false on any error. */
static bool act(struct demo *d, const struct principal *who, const char *number,
		enum order_action a, const char *json)
{
	json_object *body = json ? json_tokener_parse(json) : NULL;
	struct param_source src = params_from_json(body);
	json_object *o = orders_act_input(d->db, who, number, a, &src, &d->e);

	json_object_put(body);
	if (!o) {
		fprintf(stderr, "demo: %s on %s failed: %s\n", action_code(a), number, d->e.message);
		return false;
	}
	json_object_put(o);
	return true;
}

/* Registers one order and walks it to a state chosen by `fate` (0–99). */
static bool demo_order(struct demo *d, int fate)
{
	const struct demo_matter *m = &matters[roll((int)(ARRAY_SIZE(matters)))];
	const char *const *place = places[roll((int)(ARRAY_SIZE(places)))];
	char address[256], content[512], phone[16], name[16], number[32], dispatch[128];
	json_object *body = json_object_new_object(), *o;
	struct principal h, ha;
	bool created, ok = true;

	expand(address, sizeof(address), place[2], "", 1 + roll(200));
	expand(content, sizeof(content), m->text, address, 2 + roll(5));
	snprintf(phone, sizeof(phone), "13%d%08d", roll(10), roll(100000000));
	snprintf(name, sizeof(name), "%s%s", surnames[roll(10)], given[roll(10)]);
	json_add_string(body, "request_type", m->type);
	json_add_string(body, "urgency", roll(10) == 0 ? "urgent" : "normal");
	json_add_string(body, "category", m->category);
	json_add_string(body, "caller_name", name);
	json_add_string(body, "caller_phone", phone);
	json_object_object_add(body, "confidential", json_object_new_boolean(roll(12) == 0));
	json_add_string(body, "address", address);
	json_add_string(body, "district", place[0]);
	json_add_string(body, "street", place[1]);
	json_add_string(body, "content", content);
	json_add_string(body, "request", "请尽快处理并回复");
	struct param_source src = params_from_json(body);
	o = orders_create_input(d->db, &d->agent, &src, NULL, &created, &d->e);
	json_object_put(body);
	if (!o)
		return false;
	snprintf(number, sizeof(number), "%s", json_str(o, "number"));
	json_object_put(o);

	if (fate < 8) {				/* 8% pending */
		snprintf(d->merge_target, sizeof(d->merge_target), "%s", number);
		return true;
	}
	if (fate < 12)				/* 4% answered on the spot */
		return act(d, &d->agent, number, ACT_ANSWER, "{\"answer\":\"已根据知识库当场解答\"}");
	if (fate < 14)				/* 2% transferred to 110 */
		return act(d, &d->agent, number, ACT_TRANSFER_OUT, "{\"target\":\"110\",\"note\":\"涉及治安，一键转110\"}");
	snprintf(dispatch, sizeof(dispatch), "{\"department\":\"%s\"}", m->department);
	if (!act(d, &d->agent, number, ACT_DISPATCH, dispatch) || !handler_for(d, m->department, false, &h))
		return false;
	if (fate < 26)				/* 12% waiting for sign-for */
		return true;
	if (fate < 29)				/* 3% return requested */
		return act(d, &h, number, ACT_RETURN, "{\"reason\":\"不属于本单位职责，建议转属地街道\"}");
	if (!act(d, &h, number, ACT_SIGN, NULL))
		return false;
	if (fate < 47)				/* 18% in progress */
		return fate % 3 || act(d, &d->supervisor, number, ACT_PRESS, "{\"note\":\"请加快办理\",\"level\":1}");
	if (fate < 50)				/* 3% extension requested */
		return act(d, &h, number, ACT_REQUEST_EXTENSION, "{\"reason\":\"需协调多个部门\",\"workdays\":5}");
	if (fate < 52)				/* 2% suspended */
		return act(d, &h, number, ACT_SUSPEND, "{\"reason\":\"等待市民补充材料\"}");
	if (fate < 54 && d->merge_target[0]) {	/* 2% merged into an earlier report */
		snprintf(dispatch, sizeof(dispatch), "{\"into\":\"%s\",\"note\":\"同一事项重复来电\"}",
			 d->merge_target);
		return act(d, &d->reviewer, number, ACT_MERGE, dispatch);
	}
	if (fate < 56 && handler_for(d, m->department, true, &ha)) {	/* 2% passed to a sub-unit */
		const char *sub = !strcmp(m->department, "SCGJ") ? "SCGJ-ZF" : NULL;
		if (sub) {
			snprintf(dispatch, sizeof(dispatch), "{\"department\":\"%s\"}", sub);
			return act(d, &ha, number, ACT_SUB_DISPATCH, dispatch);
		}
	}
	ok = act(d, &h, number, ACT_REPLY,
		 "{\"result\":\"已安排人员现场处理，问题已解决\",\"solved\":true,\"contacted\":true}");
	if (!ok || fate < 66)			/* 12% awaiting callback */
		return ok;
	if (fate < 70)				/* 4% reopened */
		return act(d, &d->agent, number, ACT_REOPEN, "{\"reason\":\"市民反映问题仍未解决\"}");
	ok = act(d, &d->agent, number, ACT_CALLBACK,
		 fate < 76 ? "{\"satisfaction\":\"unsatisfied\",\"solved\":false}"
		 : fate < 84 ? "{\"satisfaction\":\"basically\",\"solved\":true}"
			     : "{\"satisfaction\":\"satisfied\",\"solved\":true}");
	if (ok && fate >= 96)			/* 4% archived */
		ok = act(d, &d->admin, number, ACT_ARCHIVE, NULL);
	return ok;
}

/* Spreads the demo orders over the last 30 days, each order and its events by one offset. */
static const char spread_sql[] =
	"WITH shift AS (SELECT id, make_interval(secs => (abs(hashtext(number)) % (30 * 86400))) AS d"
	" FROM work_order),"
	" ev AS (UPDATE work_order o SET created_at = o.created_at - s.d, updated_at = o.updated_at - s.d,"
	"  clock_started_at = o.clock_started_at - s.d, sign_deadline = o.sign_deadline - s.d,"
	"  handle_deadline = o.handle_deadline - s.d, warn_at = o.warn_at - s.d,"
	"  suspended_at = o.suspended_at - s.d, requested_deadline = o.requested_deadline - s.d,"
	"  signed_at = o.signed_at - s.d, replied_at = o.replied_at - s.d,"
	"  completed_at = o.completed_at - s.d FROM shift s WHERE o.id = s.id RETURNING o.id)"
	" SELECT count(*) FROM ev";

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
	for (int i = 0; i < 300; i++) {
		if (!demo_order(&d, roll(100)))
			goto out_close;
		made++;
	}
	if (!db_run(d.db, spread_sql, 0, NULL, &d.e))
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
