/*
 * export: the order report and the ranking as CSV (for spreadsheets) and
 * as an aligned text table (for a terminal), from the JSON that
 * stats_orders() and stats_ranking() return.
 *
 * CSV is UTF-8 with a byte-order mark (so that Excel reads the Chinese
 * names), RFC 4180 quoting, CRLF line ends, a header of Chinese column
 * labels; rates are fractions with 4 decimals, empty when undefined. The
 * table shows rates as percentages with 2 decimals ("99.85%"), "-" when
 * undefined, and aligns columns by display width (a CJK character takes
 * two columns).
 */
#ifndef HOTLINE_SUPERVISION_EXPORT_H
#define HOTLINE_SUPERVISION_EXPORT_H

#include <json-c/json.h>

#include "core/buf.h"

/* Appends the order report as CSV: one line per row, the total ("合计") last. */
void export_orders_csv(json_object *report, struct buf *out);
/* Appends the order report as a text table, the total last. */
void export_orders_table(json_object *report, struct buf *out);
/* Appends the ranking as CSV, in rank order. */
void export_ranking_csv(json_object *ranking, struct buf *out);
/* Appends the ranking as a text table, with the red and black lists. */
void export_ranking_table(json_object *ranking, struct buf *out);

/* The display width of UTF-8 text in a terminal (CJK and fullwidth count 2). */
size_t export_display_width(const char *s);

#endif
