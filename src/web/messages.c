/*
 * The Chinese the pages say about errors. The domain's messages are
 * English for the API and the logs; here they become what a 话务员 or a
 * 承办人 reads next to the field. Unknown messages keep the domain's
 * text after a Chinese lead, so nothing is hidden.
 */
#include <stdio.h>
#include <string.h>

#include "web/web_private.h"

static const struct {
	const char *field, *label;
} fields[] = {
	{ "request_type", "诉求类型" },
	{ "urgency", "紧急程度" },
	{ "category", "诉求分类" },
	{ "channel", "来源渠道" },
	{ "caller_name", "来电人" },
	{ "caller_phone", "联系电话" },
	{ "confidential", "保密" },
	{ "address", "地址" },
	{ "district", "所在区" },
	{ "street", "街道乡镇" },
	{ "latitude", "纬度" },
	{ "longitude", "经度" },
	{ "content", "来电内容" },
	{ "request", "诉求" },
	{ "department", "承办单位" },
	{ "assisting", "协办单位" },
	{ "answer", "答复内容" },
	{ "reason", "原因" },
	{ "channel_advice", "告知的法定途径" },
	{ "target", "转往" },
	{ "note", "备注" },
	{ "result", "办理结果" },
	{ "solved", "是否解决" },
	{ "contacted", "是否联系来电人" },
	{ "satisfaction", "满意度" },
	{ "until", "申请延至" },
	{ "workdays", "延长工作日" },
	{ "into", "并入工单号" },
	{ "level", "督办级别" },
	{ "version", "版本" },
	{ "login", "用户名" },
	{ "password", "密码" },
	{ "role", "角色" },
	{ "display_name", "姓名" },
	{ "attributable", "是否属承办单位责任" },
	{ "comment", "回访记录" },
	{ "pattern", "匹配规则（正则表达式）" },
	{ "priority", "优先级" },
	{ "applies_to", "匹配范围" },
	{ "category_prefix", "限定分类" },
	{ "suggest_category", "建议分类" },
	{ "suggest_department", "建议承办单位" },
	{ "suggest_urgency", "建议紧急程度" },
	{ "file", "文件" },
	{ "from", "开始日期" },
	{ "to", "结束日期" },
	{ "sign_limit", "签收时限" },
	{ "sign_unit", "签收时限单位" },
	{ "handle_limit", "办理时限" },
	{ "handle_unit", "办理时限单位" },
	{ "warn_fraction", "预警比例" },
	{ "delay_workdays", "回访延后工作日" },
	{ "share", "回访抽样比例" },
	{ "max_attempts", "最多拨打次数" },
	{ "hold_minutes", "领取保留分钟" },
	{ "retry_minutes", "重拨间隔分钟" },
	{ "weights", "三率权重" },
	{ "red_min", "红榜分数下限" },
	{ "black_max", "黑榜分数上限" },
	{ "min_dispatched", "参与排名的最少派单数" },
	{ "year", "年份" },
	{ "days", "日期列表" },
};

const char *field_label(const char *field)
{
	for (size_t i = 0; field && i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].field, field))
			return fields[i].label;
	return NULL;
}

/* Messages by a fragment of the domain's message (first match wins). */
static const struct {
	const char *fragment, *text;
} by_message[] = {
	{ "is required", "此项必填" },
	{ "must not be empty", "此项必填" },
	{ "control character", "含有不允许的控制字符" },
	{ "not valid UTF-8", "含有无效字符" },
	{ "is too long", "电话号码过长" },
	{ "has no digits", "电话号码中没有数字" },
	{ "not a valid mobile number", "手机号码无效：第二位应为 3–9" },
	{ "needs its area code", "固定电话需加区号，如 010-12345678" },
	{ "neither a mobile", "电话号码无效：应为 11 位手机号或带区号的固定电话" },
	{ "phone number", "电话号码无效" },
	{ "unknown district", "所在区无效" },
	{ "unknown street", "街道乡镇无效" },
	{ "unknown or inactive department", "单位不存在或已停用" },
	{ "must be a list of department codes", "协办单位无效" },
	{ "re-dispatch must go to another department", "改派须派往退单单位以外的单位" },
	{ "is not a sub-unit", "只能派给本单位的下级单位" },
	{ "list parents before their children", "上级不存在（上级须列在下级之前）" },
	{ "unknown or invalid category", "诉求分类无效" },
	{ "unknown or invalid request_type", "诉求类型无效" },
	{ "unknown or invalid urgency", "紧急程度无效" },
	{ "unknown or invalid channel", "来源渠道无效" },
	{ "new deadline must be later", "新的期限须晚于当前期限" },
	{ "give either \"until\"", "请填写申请延至的时间，或延长的工作日数（1–60）" },
	{ "unknown satisfaction", "请选择满意度" },
	{ "unknown transfer target", "请选择转往的服务台（110、119、120 或 122）" },
	{ "merged into itself", "不能并入本工单" },
	{ "to merge into", "被并入的工单不存在" },
	{ "merge into an open order", "被并入的工单已办结，只能并入未办结的工单" },
	{ "press level", "督办级别应为 1–3" },
	{ "is already taken", "该用户名已被使用" },
	{ "password is too short", "密码至少 8 个字符" },
	{ "needs a department", "此角色须选择所属单位" },
	{ "does not belong to a department", "此角色不属于任何单位，请不要选择单位" },
	{ "unknown department", "单位不存在" },
	{ "invalid login", "用户名应为 2–64 个字母、数字或 . _ @ -" },
	{ "unknown role", "请选择角色" },
	{ "suggests nothing", "规则没有任何建议：请至少选择建议分类、建议承办单位、建议紧急程度，或勾选转 110" },
	{ "pattern is too long", "正则表达式过长" },
	{ "the weights add up to", "三项权重之和须等于 1" },
	{ "is below black_max", "红榜分数下限不能低于黑榜分数上限" },
	{ "unsatisfied rating attributable", "不满意且属承办单位责任时工单将重办，请在回访记录中写明原因" },
	{ "the header has no column", "文件缺少必需的列，请检查表头" },
	{ "the file is empty", "文件是空的：第一行须为表头" },
	{ "is not true or false", "应为 true 或 false" },
	{ "unknown kind", "类型应为 city、district、street 或 unit" },
	{ "invalid date", "日期无效" },
	{ "out of range", "超出允许范围" },
	{ "must be a whole number", "请填写整数" },
};

/* Messages by the error's code. */
static const struct {
	const char *code, *text;
} by_code[] = {
	{ "bad-credentials", "用户名或密码错误" },
	{ "too-many-failures", "登录失败次数过多，请 15 分钟后再试" },
	{ "csrf", "页面已过期或来源无法确认（CSRF 校验失败），请返回并刷新页面后重试" },
	{ "street-not-in-district", "所选街道乡镇不属于所选的区" },
	{ "bad-form", "提交的内容含有无效字符（NUL），请检查后重新提交" },
	{ "login-missing", "请输入用户名和密码" },
	{ "login-csrf", "登录页面已过期，请重新输入后登录" },
	{ "stale-version", "工单已被他人更新，请查看最新状态后再操作" },
	{ "invalid-state", "工单当前状态不允许此操作，请刷新后查看" },
	{ "not-lead-department", "只有主办单位可以办理此工单" },
	{ "past-deadline", "已超过办理期限，不能再申请延期" },
	{ "forbidden", "您的角色无权进行此操作" },
	{ "not-found", "工单不存在，或不在您的查看范围内" },
	{ "page-not-found", "页面不存在" },
	{ "unavailable", "数据库暂时无法连接，请稍后再试" },
	{ "conflict", "与他人的操作冲突，请重试" },
	{ "unique-violation", "与已有记录重复，请检查后重试" },
	{ "no-policy", "缺少该诉求类型和紧急程度的办理时限规则，请联系系统管理员" },
	{ "bad-idempotency-key", "表单已失效，请刷新页面后重新提交" },
	{ "callback-held", "此回访正由其他话务员拨打，请领取下一个" },
	{ "not-holder", "您没有领取此回访任务，或领取已超时，请重新领取" },
	{ "callback-finished", "此回访任务已经完成" },
	{ "no-file", "请选择要上传的文件" },
	{ "bad-date", "日期格式应为 年-月-日，如 2026-11-01" },
	{ "bad-period", "开始日期不能晚于结束日期，且期间不超过 366 天" },
	{ "self-deactivate", "不能停用自己的账号" },
};

static bool message_has(const struct err *e, const char *fragment)
{
	return strstr(e->message, fragment) != NULL;
}

/* "… has 4001 characters; at most 4000 are allowed" → "最多 4000 个字，现有 4001 个". */
static bool too_long(struct buf *out, const struct err *e)
{
	const char *p = strstr(e->message, " has ");
	unsigned long have, most;

	if (!p || !strstr(p, "characters; at most")
	    || sscanf(p, " has %lu characters; at most %lu", &have, &most) != 2)
		return false;
	buf_addf(out, "最多 %lu 个字，现有 %lu 个", most, have);
	return true;
}

/* "invalid pattern "…" at offset 5: missing closing parenthesis" → PCRE2's reason and the place. */
static bool bad_pattern(struct buf *out, const struct err *e)
{
	const char *p = strstr(e->message, "\" at offset ");
	unsigned long at;
	int used = 0;

	if (strncmp(e->message, "invalid pattern", 15) || !p || sscanf(p, "\" at offset %lu: %n", &at, &used) != 1
	    || !used)
		return false;
	buf_addf(out, "正则表达式有误（第 %lu 个字符处）：%s", at + 1, p + used);
	return true;
}

/* The settings' "must be a whole number from 0 to 30" and "is 99, out of range 0 to 30". */
static bool setting_range(struct buf *out, const struct err *e)
{
	const char *p;
	double lo, hi;

	if ((p = strstr(e->message, "must be a whole number from "))
	    && sscanf(p, "must be a whole number from %lf to %lf", &lo, &hi) == 2)
		buf_addf(out, "应为 %g 到 %g 之间的整数", lo, hi);
	else if ((p = strstr(e->message, "must be a number from "))
		 && sscanf(p, "must be a number from %lf to %lf", &lo, &hi) == 2)
		buf_addf(out, "应为 %g 到 %g 之间的数", lo, hi);
	else if ((p = strstr(e->message, "out of range ")) && sscanf(p, "out of range %lf to %lf", &lo, &hi) == 2)
		buf_addf(out, "超出允许范围（%g 到 %g）", lo, hi);
	else
		return false;
	return true;
}

void err_text(struct buf *out, const struct err *e)
{
	for (size_t i = 0; i < sizeof(by_code) / sizeof(by_code[0]); i++) {
		if (!strcmp(e->code, by_code[i].code)) {
			buf_adds(out, by_code[i].text);
			return;
		}
	}
	if (e->status == 422 || e->status == 400 || (e->status == 409 && e->field[0])) {
		if (too_long(out, e) || bad_pattern(out, e) || setting_range(out, e))
			return;
		for (size_t i = 0; i < sizeof(by_message) / sizeof(by_message[0]); i++) {
			if (message_has(e, by_message[i].fragment)) {
				buf_adds(out, by_message[i].text);
				return;
			}
		}
		buf_addf(out, "输入有误：%s", e->message);
		return;
	}
	switch (e->status) {
	case 401: buf_adds(out, "请先登录"); return;
	case 403: buf_adds(out, "您无权进行此操作"); return;
	case 404: buf_adds(out, "页面或工单不存在"); return;
	case 409: buf_addf(out, "操作与工单当前状态冲突：%s", e->message); return;
	case 413: buf_adds(out, "提交的内容过大"); return;
	case 503: buf_adds(out, "服务暂时不可用，请稍后再试"); return;
	default: buf_adds(out, "系统内部错误，请稍后再试；如仍出错请联系系统管理员"); return;
	}
}
