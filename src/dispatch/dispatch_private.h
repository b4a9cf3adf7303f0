/* Shared between the files of the dispatch module; not for other modules. */
#ifndef HOTLINE_DISPATCH_PRIVATE_H
#define HOTLINE_DISPATCH_PRIVATE_H

#include <stdbool.h>

#include "core/err.h"
#include "routing/rules.h"

/*
 * rule_def_check() that also gives a bad pattern's offset as the problem's
 * extra member "offset". Returns false with `e` (422, naming the member).
 */
bool dispatch_rule_check(const struct rule_def *def, struct err *e);

/* The duplicate window in days (HOTLINE_DUPLICATE_DAYS, default 30). */
int dispatch_window_days(void);

/* The urgency code of a rule's urgency word: 一般 → normal, 紧急 → urgent,
 * 特急 → critical; NULL for NULL or an unknown word. */
const char *dispatch_urgency_code(const char *word);

#endif
