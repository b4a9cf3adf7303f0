#include "orders/vocab.h"

#include <stdio.h>
#include <string.h>

#include "core/array.h"

#define VOCAB(ident, name_, ...)                                                           \
	static const struct vocab_entry ident##_entries[] = { __VA_ARGS__ };                 \
	const struct vocab ident = { name_, ident##_entries,                                  \
				     ARRAY_SIZE(ident##_entries) }

/* In the order of enum satisfaction. */
VOCAB(vocab_satisfaction, "satisfaction",
      [SAT_SATISFIED] = { "satisfied", "满意" },
      [SAT_BASICALLY] = { "basically", "基本满意" },
      [SAT_UNSATISFIED] = { "unsatisfied", "不满意" });

/* In the order of enum callback_channel. */
VOCAB(vocab_callback_channel, "callback channel",
      [CBCH_PHONE] = { "phone", "电话回访" },
      [CBCH_SMS] = { "sms", "短信回访" },
      [CBCH_WEB] = { "web", "网上评价" });

/* In the order of enum transfer_target. */
VOCAB(vocab_transfer_target, "transfer target",
      [TRANSFER_110] = { "110", "110 报警服务台" },
      [TRANSFER_119] = { "119", "119 消防" },
      [TRANSFER_120] = { "120", "120 急救" },
      [TRANSFER_122] = { "122", "122 交通事故" });

VOCAB(vocab_alert, "light",
      { "none", "无" },
      { "green", "正常" },
      { "yellow", "临期" },
      { "red", "超时" });

VOCAB(vocab_system_event, "system event",
      { "alert", "时限预警" },
      { "sign_overdue", "签收超时" },
      { "police_feedback", "110反馈" },
      { "deadline_recalculated", "时限重算" });

VOCAB(vocab_press_level, "press level",
      { "1", "一级（催办）" },
      { "2", "二级（督办）" },
      { "3", "三级（挂牌督办）" });

int vocab_parse(const struct vocab *v, const char *code)
{
	for (size_t i = 0; code && i < v->count; i++)
		if (!strcmp(v->entries[i].code, code))
			return (int)i;
	return -1;
}

const char *vocab_code(const struct vocab *v, int i)
{
	return i >= 0 && (size_t)i < v->count ? v->entries[i].code : "";
}

const char *vocab_label(const struct vocab *v, int i)
{
	return i >= 0 && (size_t)i < v->count ? v->entries[i].label : "";
}

const char *vocab_label_of(const struct vocab *v, const char *code)
{
	int i = vocab_parse(v, code);

	return i >= 0 ? v->entries[i].label : code;
}

void vocab_list(const struct vocab *v, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < v->count && len < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == v->count ? " or " : ", ";
		int n = snprintf(out + len, size - len, "%s%s", sep, v->entries[i].code);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}
