/*
 * The Chinese the pages say about errors. The domain's messages are
 * English for the API and the logs; here each error's code becomes what a
 * 话务员 or a 承办人 reads next to the field, with the code's arguments
 * (a limit, the value refused) in their place. Nothing here reads a
 * message: a reworded message changes nothing on the pages.
 */
#include <stdio.h>
#include <string.h>

#include "web/web_private.h"
#include "core/array.h"

/* The labels of the fields of forms other than the order's (whose
 * parameters are labelled in orders/params.c). */
static const struct {
	const char *field, *label;
} fields[] = {
	{ "department", "承办单位" },
	{ "solved", "是否解决" },
	{ "satisfaction", "满意度" },
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
	/* The order form's fields are labelled by the parameter table. */
	const struct param_spec *spec = param_find(ACT_REGISTER, field);

	if (spec)
		return spec->label;
	for (size_t i = 0; field && i < ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].field, field))
			return fields[i].label;
	return NULL;
}

/*
 * What each code says on a page. "{0}" and "{1}" stand for the error's
 * numbers, "{t}" for its text; a code whose arguments were not given
 * (both numbers 0, or no text) says its `plain` text instead. A code with
 * no text at all says what its HTTP status means (see status_text()).
 */
static const struct {
	const char *with_args, *plain;
} texts[ERR_CODE_COUNT] = {
	[ERR_UNAVAILABLE] = { NULL, "数据库暂时无法连接，请稍后再试" },
	[ERR_IO] = { NULL, "文件无法读取，请联系系统管理员" },
	[ERR_NOT_FOUND] = { NULL, "工单不存在，或不在您的查看范围内" },
	[ERR_PAGE_NOT_FOUND] = { NULL, "页面不存在" },
	[ERR_UNKNOWN_ACTION] = { NULL, "没有这项操作" },
	[ERR_TOO_LARGE] = { NULL, "提交的内容过大" },
	[ERR_UNSUPPORTED_MEDIA_TYPE] = { NULL, "提交的内容格式不受支持" },
	[ERR_EMPTY_BODY] = { NULL, "提交的内容是空的" },
	[ERR_MALFORMED_JSON] = { NULL, "文件不是有效的 JSON" },
	[ERR_BAD_FORM] = { NULL, "提交的内容含有无效字符（NUL），请检查后重新提交" },
	[ERR_BAD_ENCODING] = { NULL, "含有无效字符：内容须为 UTF-8 编码" },
	[ERR_UNAUTHENTICATED] = { NULL, "请先登录" },
	[ERR_LOGIN_REQUIRED] = { NULL, "请先登录" },
	[ERR_BAD_CREDENTIALS] = { NULL, "用户名或密码错误" },
	[ERR_TOO_MANY_FAILURES] = { "登录失败次数过多，请 {0} 秒后再试", "尝试次数过多，请稍后再试" },
	[ERR_LOGIN_MISSING] = { NULL, "请输入用户名和密码" },
	[ERR_LOGIN_CSRF] = { NULL, "登录页面已过期，请重新输入后登录" },
	[ERR_CSRF] = { NULL, "页面已过期或来源无法确认（CSRF 校验失败），请返回并刷新页面后重试" },
	[ERR_FORBIDDEN] = { NULL, "您的角色无权进行此操作" },
	[ERR_BAD_IDEMPOTENCY_KEY] = { NULL, "表单已失效，请刷新页面后重新提交" },
	[ERR_CONFLICT] = { NULL, "与他人的操作冲突，请重试" },
	[ERR_UNIQUE_VIOLATION] = { NULL, "与已有记录重复，请检查后重试" },
	[ERR_CONSTRAINT] = { NULL, "输入的值不符合要求" },
	[ERR_INVALID_VALUE] = { NULL, "输入的值无效" },
	[ERR_BAD_REQUEST] = { NULL, "输入有误" },
	[ERR_REQUIRED] = { NULL, "此项必填" },
	[ERR_WRONG_TYPE] = { NULL, "格式不对" },
	[ERR_TOO_LONG] = { "最多 {1} 个字，现有 {0} 个", "内容过长" },
	[ERR_CONTROL_CHAR] = { NULL, "含有不允许的控制字符" },
	[ERR_NOT_UTF8] = { NULL, "含有无效字符" },
	[ERR_NOT_ONE_LINE] = { NULL, "只能填写一行" },
	[ERR_NOT_INTEGER] = { NULL, "请填写整数" },
	[ERR_NOT_NUMBER] = { NULL, "请填写数字" },
	[ERR_NOT_BOOLEAN] = { NULL, "应为 true 或 false" },
	[ERR_OUT_OF_RANGE] = { "超出允许范围（{0} 到 {1}）", "超出允许范围" },
	[ERR_UNKNOWN_CHOICE] = { NULL, "请从列出的选项中选择" },
	[ERR_UNKNOWN_MEMBER] = { "无法识别的项“{t}”", "含有无法识别的项" },
	[ERR_BAD_TIME] = { NULL, "时间格式无效" },
	[ERR_BAD_DATE] = { NULL, "日期无效：格式应为 年-月-日，如 2026-11-01" },
	[ERR_BAD_PERIOD] = { NULL, "开始日期不能晚于结束日期，且期间不超过 366 天" },
	[ERR_NOT_WHOLE_HOUR] = { NULL, "时间须为整点" },
	[ERR_BAD_CODE] = { NULL, "代码格式无效" },
	[ERR_BAD_CURSOR] = { NULL, "翻页参数无效，请从第一页重新查看" },
	[ERR_LISTED_TWICE] = { NULL, "有重复的项" },
	[ERR_PHONE_TOO_LONG] = { NULL, "电话号码过长" },
	[ERR_PHONE_NO_DIGITS] = { NULL, "电话号码中没有数字" },
	[ERR_PHONE_BAD_MOBILE] = { NULL, "手机号码无效：第二位应为 3–9" },
	[ERR_PHONE_NEEDS_AREA] = { NULL, "固定电话需加区号，如 010-12345678" },
	[ERR_PHONE_INVALID] = { NULL, "电话号码无效：应为 11 位手机号或带区号的固定电话" },
	[ERR_UNKNOWN_DEPARTMENT] = { NULL, "单位不存在或已停用" },
	[ERR_UNKNOWN_DISTRICT] = { NULL, "所在区无效" },
	[ERR_UNKNOWN_STREET] = { NULL, "街道乡镇无效" },
	[ERR_STREET_NOT_IN_DISTRICT] = { NULL, "所选街道乡镇不属于所选的区" },
	[ERR_UNKNOWN_CATEGORY] = { NULL, "诉求分类无效" },
	[ERR_UNKNOWN_PARENT] = { NULL, "上级不存在（上级须列在下级之前）" },
	[ERR_UNKNOWN_ORDER] = { NULL, "被并入的工单不存在" },
	[ERR_UNKNOWN_USER] = { NULL, "用户不存在" },
	[ERR_NO_POLICY] = { NULL, "缺少该诉求类型和紧急程度的办理时限规则，请联系系统管理员" },
	[ERR_INVALID_STATE] = { NULL, "工单当前状态不允许此操作，请刷新后查看" },
	[ERR_STALE_VERSION] = { NULL, "工单已被他人更新，请查看最新状态后再操作" },
	[ERR_NOT_LEAD_DEPARTMENT] = { NULL, "只有主办单位可以办理此工单" },
	[ERR_PAST_DEADLINE] = { NULL, "已超过办理期限，不能再申请延期" },
	[ERR_SUSPEND_OVERDUE] = { NULL, "已超过办理期限，不能挂起：请尽快办理并回复，超期时间照常计入" },
	[ERR_SAME_DEPARTMENT] = { NULL, "改派须派往退单单位以外的单位" },
	[ERR_NOT_SUB_UNIT] = { NULL, "只能派给本单位的下级单位" },
	[ERR_DEADLINE_NOT_LATER] = { NULL, "新的期限须晚于当前期限" },
	[ERR_EXTENSION_HOW] = { NULL, "请填写申请延至的时间，或延长的工作日数（1–60）" },
	[ERR_MERGE_SELF] = { NULL, "不能并入本工单" },
	[ERR_MERGE_CLOSED] = { NULL, "被并入的工单已办结，只能并入未办结的工单" },
	[ERR_REASON_FOR_REOPEN] = { NULL, "不满意且属承办单位责任时工单将重办，请在回访记录中写明原因" },
	[ERR_CALLBACK_HELD] = { NULL, "此回访正由其他话务员拨打，请领取下一个" },
	[ERR_NOT_HOLDER] = { NULL, "您没有领取此回访任务，或领取已超时，请重新领取" },
	[ERR_CALLBACK_FINISHED] = { NULL, "此回访任务已经完成" },
	[ERR_LOGIN_TAKEN] = { NULL, "该用户名已被使用" },
	[ERR_PASSWORD_SHORT] = { NULL, "密码至少 8 个字符" },
	[ERR_PASSWORD_IS_LOGIN] = { NULL, "密码不能与用户名相同" },
	[ERR_PASSWORD_TRIVIAL] = { NULL, "密码不能是同一字符的重复或连续的数字、字母（如 12345678、abcdefgh），太容易被猜中" },
	[ERR_PASSWORD_COMMON] = { NULL, "这是最常见的密码之一，容易被猜中，请换一个" },
	[ERR_ROLE_NEEDS_DEPARTMENT] = { NULL, "此角色须选择所属单位" },
	[ERR_ROLE_WITHOUT_DEPARTMENT] = { NULL, "此角色不属于任何单位，请不要选择单位" },
	[ERR_BAD_LOGIN] = { NULL, "用户名应为 2–64 个字母、数字或 . _ @ -" },
	[ERR_SELF_DEACTIVATE] = { NULL, "不能停用自己的账号" },
	[ERR_SELF_ROLE] = { NULL, "不能修改自己的角色或所属单位" },
	[ERR_BAD_PATTERN] = { "正则表达式有误（第 {0} 个字符处）：{t}", "正则表达式有误" },
	[ERR_RULE_SUGGESTS_NOTHING] = { NULL, "规则没有任何建议：请至少选择建议分类、建议承办单位、建议紧急程度，或勾选转 110" },
	[ERR_WEIGHTS_SUM] = { NULL, "三项权重之和须等于 1" },
	[ERR_RED_BELOW_BLACK] = { NULL, "红榜分数下限不能低于黑榜分数上限" },
	[ERR_NO_FILE] = { NULL, "请选择要上传的文件" },
	[ERR_EMPTY_FILE] = { NULL, "文件是空的：第一行须为表头" },
	[ERR_MISSING_COLUMN] = { NULL, "文件缺少必需的列，请检查表头" },
	[ERR_BAD_CSV] = { NULL, "文件格式有误" },
	[ERR_BAD_RECORD] = { NULL, "文件中有无法识别的记录" },
	[ERR_UNKNOWN_FORMAT] = { NULL, "无法识别的文件格式" },
};

/* The text of `code` for a code whose meaning the page must not lose. */
static void status_text(struct buf *out, int status)
{
	switch (status) {
	case 401: buf_adds(out, "请先登录"); return;
	case 403: buf_adds(out, "您无权进行此操作"); return;
	case 404: buf_adds(out, "页面或工单不存在"); return;
	case 409: buf_adds(out, "操作与工单当前状态冲突，请刷新后查看"); return;
	case 413: buf_adds(out, "提交的内容过大"); return;
	case 503: buf_adds(out, "服务暂时不可用，请稍后再试"); return;
	default:
		if (status >= 400 && status < 500)
			buf_adds(out, "输入有误");
		else
			buf_adds(out, "系统内部错误，请稍后再试；如仍出错请联系系统管理员");
		return;
	}
}

/* Appends `text` with {0}, {1} and {t} replaced by the arguments of `d`. */
static void fill_args(struct buf *out, const char *text, const struct err_detail *d)
{
	for (const char *p = text; *p; p++) {
		if (p[0] == '{' && (p[1] == '0' || p[1] == '1') && p[2] == '}') {
			buf_addf(out, "%g", d->num[p[1] - '0']);
			p += 2;
		} else if (p[0] == '{' && p[1] == 't' && p[2] == '}') {
			buf_adds(out, d->text);
			p += 2;
		} else {
			buf_addch(out, *p);
		}
	}
}

void err_detail_text(struct buf *out, const struct err_detail *d, int status)
{
	const char *with = d->code > 0 && d->code < ERR_CODE_COUNT ? texts[d->code].with_args : NULL;
	const char *plain = d->code > 0 && d->code < ERR_CODE_COUNT ? texts[d->code].plain : NULL;
	bool has_args = d->num[0] != 0 || d->num[1] != 0 || d->text[0];

	if (with && has_args)
		fill_args(out, with, d);
	else if (plain)
		buf_adds(out, plain);
	else
		status_text(out, status);
}

void err_text(struct buf *out, const struct err *e)
{
	struct err_detail d;

	err_detail_at(e, 0, &d);
	err_detail_text(out, &d, e->status);
}

bool err_code_has_text(enum err_code code)
{
	return code > 0 && code < ERR_CODE_COUNT && texts[code].plain;
}
