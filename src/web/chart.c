/*
 * Charts as inline SVG, built here and put into the page raw: the one place
 * where markup is written outside the templates. Every text that reaches
 * the SVG (labels, tooltips, titles) goes through svg_text(); numbers are
 * formatted here. Colours and fonts come from classes in app.css (a strict
 * CSP forbids style attributes); the few geometry attributes are SVG
 * presentation attributes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "web/web_private.h"
#include "core/array.h"

void svg_text(struct buf *out, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addch(out, *p); break;
		}
	}
}

/* <svg …> with the accessible name; `w`×`h` user units, scaled by CSS. */
static void svg_open(struct buf *out, const struct chart *c, int w, int h, const char *cls)
{
	buf_addf(out, "<svg class=\"chart %s\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"",
		 cls, w, h);
	svg_text(out, c->id);
	buf_adds(out, "-t\"><title id=\"");
	svg_text(out, c->id);
	buf_adds(out, "-t\">");
	svg_text(out, c->title);
	buf_adds(out, "</title>");
}

/* <text> at (x, y) with anchor and class. */
static void svg_label(struct buf *out, double x, double y, const char *anchor, const char *cls,
		      const char *text)
{
	buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls);
	svg_text(out, text);
	buf_adds(out, "</text>");
}

/* A <title> child (the tooltip of the element it closes). */
static void svg_tip(struct buf *out, const char *text)
{
	buf_adds(out, "<title>");
	svg_text(out, text);
	buf_adds(out, "</title>");
}

/* A round upper bound for a scale starting at 0, and its step (4 or 5 steps). */
static double nice_max(double max, double *step)
{
	static const double mult[] = { 1, 2, 2.5, 5, 10 };
	double mag, s = 1;

	if (!(max > 0)) {
		*step = 1;
		return 4;
	}
	mag = pow(10, floor(log10(max / 4)));
	for (size_t i = 0; i < ARRAY_SIZE(mult); i++) {
		s = mult[i] * mag;
		if (s * 4 >= max)
			break;
	}
	if (s < 1)
		s = 1;	/* counts: whole steps */
	*step = s;
	return s * ceil(max / s);
}

/* The width of `s` in user units at the charts' 11px: CJK a full em, ASCII about 0.6. */
static double text_width(const char *s)
{
	double w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w += 6.6;
		else if ((*p & 0xC0) != 0x80)
			w += 11.5;
	}
	return w;
}

/* Legend entries in a row at the top right, from right to left. */
static void legend(struct buf *out, int right, const struct chart_series *s, size_t ns,
		   const char *extra_cls, const char *extra_name)
{
	double x = right;

	if (extra_name) {
		x -= text_width(extra_name) + 22;
		svg_label(out, x + 18, 11, "start", "lg", extra_name);
		buf_addf(out, "<line x1=\"%.1f\" y1=\"7\" x2=\"%.1f\" y2=\"7\" class=\"%s\"/>", x, x + 14,
			 extra_cls);
		x -= 10;
	}
	for (size_t i = ns; i-- > 0;) {
		x -= text_width(s[i].name) + 22;
		buf_addf(out, "<rect x=\"%.1f\" y=\"2\" width=\"10\" height=\"10\" rx=\"2\" class=\"%s\"/>", x,
			 s[i].cls);
		svg_label(out, x + 14, 11, "start", "lg", s[i].name);
		x -= 10;
	}
}

/* Which labels to print under an axis of `n` points: about 8 of them, the last always. */
static bool label_shown(size_t i, size_t n)
{
	size_t every = n > 8 ? (n + 7) / 8 : 1;

	if (i == n - 1)
		return true;
	return i % every == 0 && n - 1 - i >= (every + 1) / 2;
}

enum { W_DEFAULT = 640, ML = 44, MR = 14, MT = 22, MB = 26 };

void chart_line(struct buf *out, const struct chart *c, const struct chart_series *s, double target,
		const char *target_name)
{
	const int h = 210, w = c->width > 0 ? c->width : W_DEFAULT, pw = w - ML - MR, ph = h - MT - MB;
	double lo = target > 0 ? target : 1, step;
	char text[64];
	bool open = false;

	for (size_t i = 0; i < c->n; i++)
		if (!isnan(s->v[i]) && s->v[i] < lo)
			lo = s->v[i];
	/* From a round 5% below the lowest value, at least 20 points of range. */
	lo = floor(lo * 20 - 0.5) / 20;
	if (lo > 0.8)
		lo = 0.8;
	if (lo < 0)
		lo = 0;
	step = 1 - lo > 0.4 ? 0.1 : 0.05;
	svg_open(out, c, w, h, "chart-line");
	legend(out, w - MR, s, 1, target_name ? "target" : NULL, target_name);
#define Y(v) (MT + ph * (1 - ((v) - lo) / (1 - lo)))
#define X(i) (ML + (c->n > 1 ? (double)pw * (double)(i) / (double)(c->n - 1) : pw / 2.0))
	for (double g = lo; g <= 1.0001; g += step) {
		buf_addf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>", ML, Y(g),
			 w - MR, Y(g));
		snprintf(text, sizeof(text), "%.0f%%", g * 100);
		svg_label(out, ML - 6, Y(g) + 4, "end", "ax", text);
	}
	if (target > lo && target <= 1)
		buf_addf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"target\"/>", ML,
			 Y(target), w - MR, Y(target));
	/* The line, broken where a day has no data. */
	for (size_t i = 0; i < c->n; i++) {
		if (isnan(s->v[i])) {
			if (open)
				buf_adds(out, "\"/>");
			open = false;
			continue;
		}
		if (!open)
			buf_addf(out, "<polyline class=\"%s\" points=\"", s->cls);
		buf_addf(out, "%s%.1f,%.1f", open ? " " : "", X(i), Y(s->v[i]));
		open = true;
	}
	if (open)
		buf_adds(out, "\"/>");
	for (size_t i = 0; i < c->n; i++) {
		if (!isnan(s->v[i])) {
			buf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"%s%s\">", X(i),
				 Y(s->v[i]), s->cls, target > 0 && s->v[i] < target ? " below" : "");
			if (c->tips && c->tips[i]) {
				svg_tip(out, c->tips[i]);
			} else {
				snprintf(text, sizeof(text), " %.2f%%", s->v[i] * 100);
				struct buf tip = BUF_INIT;
				buf_adds(&tip, c->labels[i]);
				buf_adds(&tip, text);
				svg_tip(out, tip.data);
				buf_release(&tip);
			}
			buf_adds(out, "</circle>");
		}
		if (label_shown(i, c->n))
			svg_label(out, X(i), h - 8, "middle", "ax", c->labels[i]);
	}
#undef X
#undef Y
	buf_adds(out, "</svg>");
}

void chart_columns(struct buf *out, const struct chart *c, const struct chart_series *s, size_t ns)
{
	const int h = 210, w = c->width > 0 ? c->width : W_DEFAULT, pw = w - ML - MR, ph = h - MT - MB;
	double max = 0, step, top;
	double slot = c->n ? (double)pw / (double)c->n : pw;
	double bar = slot * 0.8 / (double)(ns ? ns : 1);
	char text[64];

	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < c->n; i++)
			if (!isnan(s[k].v[i]) && s[k].v[i] > max)
				max = s[k].v[i];
	top = nice_max(max, &step);
	svg_open(out, c, w, h, "chart-columns");
	legend(out, w - MR, s, ns, NULL, NULL);
#define Y(v) (MT + ph * (1 - (v) / top))
	for (double g = 0; g <= top + step / 2; g += step) {
		buf_addf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>", ML, Y(g),
			 w - MR, Y(g));
		snprintf(text, sizeof(text), "%.0f", g);
		svg_label(out, ML - 6, Y(g) + 4, "end", "ax", text);
	}
	for (size_t i = 0; i < c->n; i++) {
		double x0 = ML + slot * (double)i + slot * 0.1;
		for (size_t k = 0; k < ns; k++) {
			double v = isnan(s[k].v[i]) ? 0 : s[k].v[i];
			struct buf tip = BUF_INIT;
			buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"%s\">",
				 x0 + bar * (double)k, Y(v), bar > 1.5 ? bar - 0.5 : bar, ph * v / top, s[k].cls);
			buf_adds(&tip, c->labels[i]);
			buf_addf(&tip, " %s %.0f", s[k].name, v);
			svg_tip(out, tip.data);
			buf_release(&tip);
			buf_adds(out, "</rect>");
		}
		if (label_shown(i, c->n))
			svg_label(out, ML + slot * ((double)i + 0.5), h - 8, "middle", "ax", c->labels[i]);
	}
#undef Y
	buf_adds(out, "</svg>");
}

void chart_hbars(struct buf *out, const struct chart *c, const struct chart_series *total,
		 const struct chart_series *part, const char *const *notes)
{
	enum { LABEL = 150, NOTE = 130, ROW = 26, TOP = 22 };
	const int h = TOP + ROW * (int)(c->n ? c->n : 1) + 6, w = c->width > 0 ? c->width : W_DEFAULT;
	const double pw = w - LABEL - NOTE - 8;
	double max = 0;

	for (size_t i = 0; i < c->n; i++)
		if (total->v[i] > max)
			max = total->v[i];
	if (max <= 0)
		max = 1;
	{
		struct chart_series both[2] = { *total, *part };
		svg_open(out, c, w, h, "chart-hbars");
		legend(out, w - MR, both, 2, NULL, NULL);
	}
	for (size_t i = 0; i < c->n; i++) {
		double y = TOP + ROW * (double)i;
		double wt = pw * total->v[i] / max, wp = pw * (isnan(part->v[i]) ? 0 : part->v[i]) / max;
		struct buf tip = BUF_INIT;

		svg_label(out, LABEL - 8, y + 16, "end", "name", c->labels[i]);
		buf_addf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\" class=\"track\"/>",
			 LABEL, y + 4, pw);
		buf_addf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\" class=\"%s\">",
			 LABEL, y + 4, wt, total->cls);
		buf_adds(&tip, c->labels[i]);
		buf_addf(&tip, " %s %.0f", total->name, total->v[i]);
		svg_tip(out, tip.data);
		buf_adds(out, "</rect>");
		buf_reset(&tip);
		buf_addf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"2\" class=\"%s\">",
			 LABEL, y + 4, wp, part->cls);
		buf_adds(&tip, c->labels[i]);
		buf_addf(&tip, " %s %.0f", part->name, isnan(part->v[i]) ? 0 : part->v[i]);
		svg_tip(out, tip.data);
		buf_adds(out, "</rect>");
		buf_release(&tip);
		if (notes && notes[i])
			svg_label(out, LABEL + pw + 8, y + 16, "start", "note", notes[i]);
	}
	buf_adds(out, "</svg>");
}

void chart_meter(struct buf *out, const char *title, double value, double target)
{
	enum { MW = 200, MH = 12 };

	buf_addf(out, "<svg class=\"meter\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", MW, MH + 4);
	svg_text(out, title);
	buf_addf(out, "\"><rect x=\"0\" y=\"2\" width=\"%d\" height=\"%d\" rx=\"3\" class=\"track\"/>", MW, MH);
	if (!isnan(value)) {
		double v = value < 0 ? 0 : value > 1 ? 1 : value;
		buf_addf(out, "<rect x=\"0\" y=\"2\" width=\"%.1f\" height=\"%d\" rx=\"3\" class=\"%s\"/>",
			 MW * v, MH, target > 0 && value < target ? "fill below" : "fill");
	}
	if (target > 0 && target < 1)
		buf_addf(out, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" class=\"target\"/>", MW * target,
			 MW * target, MH + 4);
	buf_adds(out, "</svg>");
}
