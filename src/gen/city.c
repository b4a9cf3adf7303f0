/*
 * The generated city: sixteen districts with their streets and towns,
 * the city's functional departments with their units, and a three-level
 * subject catalogue whose leaves know the department that handles them
 * (归口) and whether the street usually does (属地).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "core/array.h"

static const struct {
	const char *code, *name;
	double weight;			/* share of the city's orders */
	int streets;
} district_table[] = {
	{ "D01", "东城区", 0.06, 17 }, { "D02", "西城区", 0.07, 15 }, { "D03", "朝阳区", 0.15, 43 },
	{ "D04", "海淀区", 0.13, 29 }, { "D05", "丰台区", 0.09, 26 }, { "D06", "石景山区", 0.03, 9 },
	{ "D07", "门头沟区", 0.02, 13 }, { "D08", "房山区", 0.05, 28 }, { "D09", "通州区", 0.07, 22 },
	{ "D10", "顺义区", 0.05, 25 }, { "D11", "昌平区", 0.09, 22 }, { "D12", "大兴区", 0.08, 22 },
	{ "D13", "怀柔区", 0.02, 16 }, { "D14", "平谷区", 0.02, 18 }, { "D15", "密云区", 0.03, 20 },
	{ "D16", "延庆区", 0.02, 18 },
};

static const struct {
	const char *code, *name;
	const char *units;		/* "CODE:名称|…" */
} city_table[] = {
	{ "SGAJ", "市公安局", "" },
	{ "SCGJ", "市城管委", "ZF:市城管执法总队|HW:市环卫中心" },
	{ "SZJW", "市住建委", "WY:市物业管理中心|AJ:市建设工程安全质量监督总站" },
	{ "SSWJ", "市水务局", "PS:市排水集团" },
	{ "SZLS", "市自来水集团", "" },
	{ "SGDGS", "市供电公司", "" },
	{ "SRQGS", "市燃气集团", "" },
	{ "SRLJT", "市热力集团", "" },
	{ "SRSJ", "市人社局", "JC:市劳动保障监察总队" },
	{ "SSCJ", "市市场监管局", "ZD:市市场监管执法总队" },
	{ "SJTJ", "市交通委", "YG:市运输管理局|LZ:市路政局" },
	{ "SGJJT", "市公交集团", "" },
	{ "SJGJ", "市公安交管局", "" },
	{ "SJYJ", "市教育局", "" },
	{ "SWJW", "市卫健委", "" },
	{ "SYBJ", "市医保局", "" },
	{ "SMZJ", "市民政局", "" },
	{ "SHBJ", "市生态环境局", "ZF:市生态环境执法总队" },
	{ "SYLJ", "市园林绿化局", "" },
	{ "SGHZY", "市规划自然资源委", "" },
	{ "SFGJ", "市房屋管理局", "" },
	{ "SWLJ", "市文化和旅游局", "" },
	{ "SSWU", "市税务局", "" },
	{ "SYJJ", "市应急管理局", "" },
	{ "STXJ", "市通信管理局", "" },
	{ "SYZJ", "市邮政管理局", "" },
	{ "SSFJ", "市司法局", "" },
	{ "SCL", "市残联", "" },
	{ "STYJR", "市退役军人事务局", "" },
	{ "SNYJ", "市农业农村局", "" },
	{ "SSWXJ", "市商务局", "" },
};

/* Syllables for street and town names. */
static const char *const name_parts[] = {
	"安", "和", "平", "东", "西", "南", "北", "新", "华", "光", "明", "永", "定", "长", "春",
	"兴", "隆", "福", "泰", "康", "宁", "德", "胜", "建", "国", "太", "阳", "月", "坛", "天",
	"桥", "马", "甸", "营", "庄", "园", "河", "湖", "山", "石", "台", "龙", "凤", "金", "银",
};

/*
 * The catalogue: top level, second level, leaves ("|"-separated), the
 * functional department (by code, "" for none), whether the street
 * usually handles it, and the relative volume of the second level.
 */
static const struct {
	const char *top, *mid, *leaves, *dept;
	bool local;
	double weight;
} cat_table[] = {
	/* the demo catalogue (scripts/demo/categories.csv) keeps its codes, so
	 * that the default routing rules apply; more leaves and groups follow */
	{ "城乡建设", "市政设施", "道路破损|路灯|井盖|人行道损坏|桥梁隐患", "SCGJ", true, 5 },
	{ "城乡建设", "住房", "物业管理|违法建设|电梯故障|停车管理|房屋漏水|老旧小区改造", "SZJW", true, 10 },
	{ "城乡建设", "房屋安全", "外墙脱落|危房|违规装修", "SZJW", true, 2 },
	{ "环境保护", "噪声污染", "施工噪声|生活噪声|商业噪声|交通噪声", "SHBJ", true, 6 },
	{ "环境保护", "垃圾", "垃圾清运|垃圾分类|建筑垃圾|垃圾桶破损", "SCGJ", true, 4 },
	{ "环境保护", "大气污染", "油烟扰民|露天焚烧|扬尘污染|异味", "SHBJ", true, 3 },
	{ "劳动保障", "工资", "拖欠工资|加班费|最低工资", "SRSJ", false, 5 },
	{ "劳动保障", "劳动关系", "劳动合同|工伤认定|辞退补偿", "SRSJ", false, 3 },
	{ "劳动保障", "社会保险", "社保缴纳|养老金|失业保险|社保卡", "SRSJ", false, 4 },
	{ "市场监管", "消费维权", "消费纠纷|食品安全|预付卡退费|商品质量|虚假宣传|价格欺诈|网购纠纷", "SSCJ", false, 9 },
	{ "市场监管", "经营秩序", "无证经营|占道经营|过期食品", "SSCJ", true, 2 },
	{ "公共服务", "供水", "停水|水压低|水质问题|水管破裂", "SSWJ", false, 4 },
	{ "公共服务", "供电", "停电|电压不稳|电线老化|电表问题", "SGDGS", false, 4 },
	{ "公共服务", "燃气", "燃气泄漏|燃气停供|燃气表故障", "SRQGS", false, 2 },
	{ "公共服务", "供暖", "供暖不热|供暖停止|暖气漏水|供暖收费", "SRLJT", false, 6 },
	{ "公共服务", "排水", "下水道堵塞|污水外溢|雨后积水", "SSWJ", true, 3 },
	{ "交通运输", "出租车", "出租车服务|拒载绕路|网约车投诉", "SJTJ", false, 2 },
	{ "交通运输", "公共交通", "公交线路|公交服务|公交站台|地铁服务", "SGJJT", false, 3 },
	{ "交通运输", "道路交通", "信号灯故障|违章停车|交通拥堵|标志标线", "SJGJ", false, 4 },
	{ "教育", "学校管理", "入学咨询|校外培训|学校收费|校园周边", "SJYJ", false, 3 },
	{ "医疗保障", "医保报销", "门诊报销|异地就医|医保卡", "SYBJ", false, 2 },
	{ "医疗保障", "医疗服务", "就医服务|医患纠纷|疫苗接种|医疗收费", "SWJW", false, 3 },
	/* 公安: mostly 110's; the few that reach 12345 are transferred */
	{ "公安", "治安", "打架斗殴|盗窃", "SGAJ", false, 0.3 },
	{ "公安", "交通事故", "", "SGAJ", false, 0 },
	{ "公安", "火情", "", "SGAJ", false, 0 },
	{ "公安", "人员走失", "", "SGAJ", false, 0 },
	{ "公安", "危及生命", "", "SGAJ", false, 0 },
	{ "民政服务", "社会救助", "低保申请|养老服务|残疾人补贴|困难救助", "SMZJ", true, 2 },
	{ "民政服务", "户籍证件", "户口迁移|居住证|身份证办理", "", true, 2 },
	{ "园林绿化", "绿化管理", "树木修剪|绿地养护|病虫害|古树保护", "SYLJ", true, 2 },
	{ "规划国土", "规划审批", "规划咨询|不动产登记|征地拆迁", "SGHZY", false, 2 },
	{ "通信邮政", "通信服务", "信号差|宽带故障|快递投诉|骚扰电话", "STXJ", false, 2 },
	{ "应急安全", "安全隐患", "消防通道堵塞|电动车充电|危化品|高空坠物", "SYJJ", true, 2 },
	{ "文化旅游", "文化旅游", "景区服务|旅行社纠纷|文化活动", "SWLJ", false, 1 },
	{ "政策咨询", "政务服务", "办事指南|政策解读|证照办理|税费咨询", "", false, 6 },
};

static char *xstrcat3(const char *a, const char *b, const char *c)
{
	return xasprintf("%s%s%s", a, b, c);
}

static int add_dept(struct gen_city *c, size_t *cap, const char *code, const char *name,
		    const char *kind, int parent, int first_id)
{
	struct gen_dept *d;

	if (c->ndepts == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		c->depts = xrealloc(c->depts, *cap * sizeof(*c->depts));
	}
	d = &c->depts[c->ndepts];
	memset(d, 0, sizeof(*d));
	d->id = first_id + (int)c->ndepts;
	d->code = xstrdup(code);
	d->name = xstrdup(name);
	d->kind = kind;
	d->parent = parent;
	d->first_child = -1;
	return (int)c->ndepts++;
}

static int find_dept(const struct gen_city *c, const char *code)
{
	for (size_t i = 0; i < c->ndepts; i++)
		if (!strcmp(c->depts[i].code, code))
			return (int)i;
	return -1;
}

static void build_departments(struct gen_city *c, struct rng *r, int first_id)
{
	size_t cap = 0, nd = ARRAY_SIZE(district_table);

	for (size_t i = 0; i < ARRAY_SIZE(city_table); i++) {
		int p = add_dept(c, &cap, city_table[i].code, city_table[i].name, "city", -1, first_id);
		char *units = xstrdup(city_table[i].units), *save = NULL;
		c->depts[p].first_child = (int)c->ndepts;
		for (char *u = strtok_r(units, "|", &save); u; u = strtok_r(NULL, "|", &save)) {
			char *colon = strchr(u, ':');
			*colon = '\0';
			char *code = xasprintf("%s-%s", city_table[i].code, u);
			add_dept(c, &cap, code, colon + 1, "unit", p, first_id);
			c->depts[p].nchildren++;
			free(code);
		}
		free(units);
	}
	c->districts = xcalloc(nd, sizeof(*c->districts));
	c->district_weight = xcalloc(nd, sizeof(*c->district_weight));
	for (size_t i = 0; i < nd; i++) {
		int p = add_dept(c, &cap, district_table[i].code, district_table[i].name, "district",
				 -1, first_id);
		c->districts[c->ndistricts] = p;
		c->district_weight[c->ndistricts++] = district_table[i].weight;
		c->depts[p].first_child = (int)c->ndepts;
		for (int s = 1; s <= district_table[i].streets; s++) {
			size_t np = ARRAY_SIZE(name_parts);
			/* outer districts have more towns (镇) than streets (街道) */
			bool town = i >= 6 && rng_unit(r) < 0.6;
			char *code = xasprintf("%s-S%02d", district_table[i].code, s);
			char *name = xstrcat3(name_parts[rng_below(r, (long)np)],
					      name_parts[rng_below(r, (long)np)], town ? "镇" : "街道");
			add_dept(c, &cap, code, name, "street", p, first_id);
			c->depts[p].nchildren++;
			free(code);
			free(name);
		}
	}
}

static int add_cat(struct gen_city *c, size_t *cap, const char *code, const char *name,
		   int parent, int level)
{
	struct gen_category *k;

	if (c->ncats == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		c->cats = xrealloc(c->cats, *cap * sizeof(*c->cats));
	}
	k = &c->cats[c->ncats];
	memset(k, 0, sizeof(*k));
	snprintf(k->code, sizeof(k->code), "%.12s", code);
	k->name = name;
	k->parent = parent;
	k->level = level;
	k->dept = -1;
	return (int)c->ncats++;
}

/* Leaf names point into this copy of the table's leaf lists (split). */
static char *leaf_names[ARRAY_SIZE(cat_table)];

static void build_categories(struct gen_city *c, struct rng *r)
{
	size_t cap = 0, lcap = 0;
	int top = -1, mid = -1, ntop = 0, nmid = 0;
	const char *top_name = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cat_table); i++) {
		char code[48], *save = NULL;
		int nleaf = 0;

		if (!top_name || strcmp(top_name, cat_table[i].top)) {
			top_name = cat_table[i].top;
			snprintf(code, sizeof(code), "%02d", ++ntop);
			top = add_cat(c, &cap, code, cat_table[i].top, -1, 1);
			nmid = 0;
		}
		snprintf(code, sizeof(code), "%s%02d", c->cats[top].code, ++nmid);
		mid = add_cat(c, &cap, code, cat_table[i].mid, top, 2);
		free(leaf_names[i]);
		leaf_names[i] = xstrdup(cat_table[i].leaves);
		for (char *l = strtok_r(leaf_names[i], "|", &save); l; l = strtok_r(NULL, "|", &save)) {
			snprintf(code, sizeof(code), "%s%02d", c->cats[mid].code, ++nleaf);
			int k = add_cat(c, &cap, code, l, mid, 3);
			c->cats[k].top = top;
			c->cats[k].dept = *cat_table[i].dept ? find_dept(c, cat_table[i].dept) : -1;
			c->cats[k].local = cat_table[i].local;
			/* the first leaves of a group are the common ones */
			c->cats[k].weight = cat_table[i].weight / (nleaf + 0.5) * (0.7 + 0.6 * rng_unit(r));
			if (c->nleaves == lcap) {
				lcap = lcap ? lcap * 2 : 64;
				c->leaves = xrealloc(c->leaves, lcap * sizeof(*c->leaves));
				c->leaf_weight = xrealloc(c->leaf_weight, lcap * sizeof(*c->leaf_weight));
			}
			c->leaves[c->nleaves] = k;
			c->leaf_weight[c->nleaves++] = c->cats[k].weight;
		}
	}
}

void city_build(struct gen_city *c, uint64_t seed, int first_id)
{
	struct rng r;

	memset(c, 0, sizeof(*c));
	rng_seed(&r, seed, 1);
	build_departments(c, &r, first_id);
	build_categories(c, &r);
}

void city_release(struct gen_city *c)
{
	for (size_t i = 0; i < c->ndepts; i++) {
		free(c->depts[i].code);
		free(c->depts[i].name);
	}
	free(c->depts);
	free(c->districts);
	free(c->district_weight);
	free(c->cats);
	free(c->leaves);
	free(c->leaf_weight);
	for (size_t i = 0; i < ARRAY_SIZE(leaf_names); i++) {
		free(leaf_names[i]);
		leaf_names[i] = NULL;
	}
	memset(c, 0, sizeof(*c));
}

void city_write_departments(const struct gen_city *c, struct buf *out)
{
	for (size_t i = 0; i < c->ndepts; i++) {
		const struct gen_dept *d = &c->depts[i];
		out_long(out, d->id);
		buf_addch(out, '\t');
		out_text(out, d->code);
		buf_addch(out, '\t');
		out_text(out, d->name);
		buf_addch(out, '\t');
		out_text(out, d->kind);
		buf_addch(out, '\t');
		if (d->parent >= 0)
			out_long(out, c->depts[d->parent].id);
		else
			buf_adds(out, "\\N");
		buf_addf(out, "\t%s\t010-%08d\n", !strcmp(d->kind, "street") ? "街道办" : "热线联络员",
			 6500000 + d->id);
	}
}

void city_write_categories(const struct gen_city *c, struct buf *out)
{
	for (size_t i = 0; i < c->ncats; i++) {
		const struct gen_category *k = &c->cats[i];
		out_text(out, k->code);
		buf_addch(out, '\t');
		out_text(out, k->name);
		buf_addch(out, '\t');
		out_text(out, k->parent >= 0 ? c->cats[k->parent].code : NULL);
		buf_addch(out, '\n');
	}
}
