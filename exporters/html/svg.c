/* svg.c: server-side SVG charts with text alternatives (see svg.h and docs/html.md). */
#include "svg.h"

#include <math.h>
#include <string.h>

#define BAR_W 640.0      /* chart width */
#define BAR_LABEL 250.0  /* width of the label column */
#define BAR_ROW 26.0     /* height of one bar's row */
#define BAR_SPACE 300.0  /* longest bar */
#define LABEL_CHARS 36   /* bar labels are cut after this many characters (the table has all) */

double exp_svg_nice_max(double v)
{
    if (!(v > 0))
        return 1.0;
    double p = pow(10.0, floor(log10(v)));
    static const double steps[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    for (size_t i = 0; i < OBS_ARRAY_LEN(steps); i++)
        if (v <= steps[i] * p + 1e-9)
            return steps[i] * p;
    return 10.0 * p;
}

/* Write at most max characters of UTF-8 text s, then "…" when it was longer. */
static void text_cut(exp_html *h, const char *s, size_t max)
{
    size_t chars = 0, i = 0, n = strlen(s);
    while (i < n && chars < max) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    exp_html_textn(h, s, i);
    if (i < n)
        exp_html_raw(h, "\xE2\x80\xA6");
}

/* ` data-key="..."` of a datum (nothing without a key). */
static void datum_key(exp_html *h, const exp_datum *d)
{
    if (d->key[0])
        exp_html_attr(h, "data-key", d->key);
}

/* <svg ...><title id=..>..</title><desc id=..>..</desc> */
static void svg_open(exp_html *h, const char *id, const char *title, const char *desc, double w,
                     double hgt)
{
    exp_html_raw(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 ");
    exp_html_num(h, "%.0f %.0f", w, hgt);
    exp_html_raw(h, "\" width=\"");
    exp_html_num(h, "%.0f", w);
    exp_html_raw(h, "\" height=\"");
    exp_html_num(h, "%.0f", hgt);
    exp_html_raw(h, "\" aria-labelledby=\"");
    exp_html_text(h, id);
    exp_html_raw(h, "-titre ");
    exp_html_text(h, id);
    exp_html_raw(h, "-desc\"><title id=\"");
    exp_html_text(h, id);
    exp_html_raw(h, "-titre\">");
    exp_html_text(h, title);
    exp_html_raw(h, "</title><desc id=\"");
    exp_html_text(h, id);
    exp_html_raw(h, "-desc\">");
    exp_html_text(h, desc);
    exp_html_raw(h, "</desc>");
}

void exp_svg_bars(exp_html *h, const char *id, const char *title, const char *desc,
                  const exp_datum *d, size_t n, double max)
{
    if (max <= 0)
        for (size_t i = 0; i < n; i++)
            if (d[i].shown && d[i].value > max)
                max = d[i].value;
    if (max <= 0)
        max = 1.0;
    double hgt = BAR_ROW * (double)n + 10.0;
    svg_open(h, id, title, desc, BAR_W, hgt);
    exp_html_raw(h, "<line class=\"axe\" x1=\"");
    exp_html_num(h, "%.0f", BAR_LABEL);
    exp_html_raw(h, "\" y1=\"0\" x2=\"");
    exp_html_num(h, "%.0f", BAR_LABEL);
    exp_html_raw(h, "\" y2=\"");
    exp_html_num(h, "%.0f", hgt);
    exp_html_raw(h, "\"/>");
    for (size_t i = 0; i < n; i++) {
        double y = 5.0 + BAR_ROW * (double)i;
        exp_html_raw(h, "<text");
        datum_key(h, &d[i]);
        exp_html_raw(h, " x=\"");
        exp_html_num(h, "%.0f", BAR_LABEL - 6.0);
        exp_html_raw(h, "\" y=\"");
        exp_html_num(h, "%.1f", y + 16.0);
        exp_html_raw(h, "\" text-anchor=\"end\">");
        text_cut(h, d[i].label, LABEL_CHARS);
        exp_html_raw(h, "</text>");
        double x = BAR_LABEL + 4.0;
        if (d[i].shown) {
            double w = d[i].value > 0 ? BAR_SPACE * d[i].value / max : 0.0;
            exp_html_raw(h, "<rect class=\"barre\"");
            datum_key(h, &d[i]);
            exp_html_raw(h, " x=\"");
            exp_html_num(h, "%.1f", BAR_LABEL);
            exp_html_raw(h, "\" y=\"");
            exp_html_num(h, "%.1f", y + 3.0);
            exp_html_raw(h, "\" width=\"");
            exp_html_num(h, "%.1f", w);
            exp_html_raw(h, "\" height=\"18\"/>");
            x = BAR_LABEL + w + 6.0;
            exp_html_raw(h, "<text");
        } else {
            exp_html_raw(h, "<text class=\"secret-txt\"");
        }
        datum_key(h, &d[i]);
        exp_html_raw(h, " x=\"");
        exp_html_num(h, "%.1f", x);
        exp_html_raw(h, "\" y=\"");
        exp_html_num(h, "%.1f", y + 16.0);
        exp_html_raw(h, "\">");
        exp_html_text(h, d[i].text);
        exp_html_raw(h, "</text>");
    }
    exp_html_raw(h, "</svg>");
}

#define LINE_W 640.0
#define LINE_H 260.0
#define LINE_L 70.0  /* left margin (y labels) */
#define LINE_R 20.0
#define LINE_T 20.0
#define LINE_B 50.0  /* bottom margin (x labels, notes) */

void exp_svg_line(exp_html *h, const char *id, const char *title, const char *desc,
                  const exp_datum *d, size_t n, int pct)
{
    double max = 0.0;
    for (size_t i = 0; i < n; i++)
        if (d[i].shown && d[i].value > max)
            max = d[i].value;
    max = exp_svg_nice_max(max * 1.05);
    if (pct && max > 100.0)
        max = 100.0;
    double pw = LINE_W - LINE_L - LINE_R, ph = LINE_H - LINE_T - LINE_B;
    double step = n > 1 ? pw / (double)(n - 1) : 0.0;
    svg_open(h, id, title, desc, LINE_W, LINE_H);
    /* Horizontal grid: 0, half, max. */
    for (int k = 0; k <= 2; k++) {
        double v = max * k / 2.0, y = LINE_T + ph - ph * k / 2.0;
        exp_html_raw(h, "<line class=\"axe\" x1=\"");
        exp_html_num(h, "%.0f", LINE_L);
        exp_html_raw(h, "\" y1=\"");
        exp_html_num(h, "%.1f", y);
        exp_html_raw(h, "\" x2=\"");
        exp_html_num(h, "%.0f", LINE_W - LINE_R);
        exp_html_raw(h, "\" y2=\"");
        exp_html_num(h, "%.1f", y);
        exp_html_raw(h, "\"/><text x=\"");
        exp_html_num(h, "%.0f", LINE_L - 6.0);
        exp_html_raw(h, "\" y=\"");
        exp_html_num(h, "%.1f", y + 4.0);
        exp_html_raw(h, "\" text-anchor=\"end\">");
        char lab[40];
        if (pct)
            exp_fmt_pct(v, lab, sizeof lab);
        else
            exp_fmt_count(v, lab, sizeof lab);
        exp_html_text(h, lab);
        exp_html_raw(h, "</text>");
    }
    /* The line, in segments between unpublished points. */
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        if (!d[i].shown) {
            if (open)
                exp_html_raw(h, "\"/>");
            open = 0;
            continue;
        }
        double x = LINE_L + step * (double)i, y = LINE_T + ph - ph * d[i].value / max;
        exp_html_raw(h, open ? " " : "<polyline class=\"ligne\" points=\"");
        exp_html_num(h, "%.1f,%.1f", x, y);
        open = 1;
    }
    if (open)
        exp_html_raw(h, "\"/>");
    for (size_t i = 0; i < n; i++) {
        double x = LINE_L + step * (double)i;
        if (d[i].shown) {
            exp_html_raw(h, "<circle class=\"point\"");
            datum_key(h, &d[i]);
            exp_html_raw(h, " cx=\"");
            exp_html_num(h, "%.1f", x);
            exp_html_raw(h, "\" cy=\"");
            exp_html_num(h, "%.1f", LINE_T + ph - ph * d[i].value / max);
            exp_html_raw(h, "\" r=\"3.5\"><title>");
            exp_html_text(h, d[i].label);
            exp_html_raw(h, " : ");
            exp_html_text(h, d[i].text);
            exp_html_raw(h, "</title></circle>");
        } else if (d[i].secret) {
            exp_html_raw(h, "<text class=\"secret-txt\"");
            datum_key(h, &d[i]);
            exp_html_raw(h, " x=\"");
            exp_html_num(h, "%.1f", x);
            exp_html_raw(h, "\" y=\"");
            exp_html_num(h, "%.1f", LINE_T + ph - 6.0);
            exp_html_raw(h, "\" text-anchor=\"middle\">s<title>");
            exp_html_text(h, d[i].label);
            exp_html_raw(h, " : ");
            exp_html_text(h, d[i].text);
            exp_html_raw(h, "</title></text>");
        }
        exp_html_raw(h, "<text");
        datum_key(h, &d[i]);
        exp_html_raw(h, " x=\"");
        exp_html_num(h, "%.1f", x);
        exp_html_raw(h, "\" y=\"");
        exp_html_num(h, "%.1f", LINE_H - LINE_B + 18.0);
        exp_html_raw(h, "\" text-anchor=\"middle\">");
        text_cut(h, d[i].label, 8);
        exp_html_raw(h, "</text>");
    }
    exp_html_raw(h, "</svg>");
}
