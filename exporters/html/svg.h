/* svg.h: charts as inline SVG written on the server (no script): horizontal bars and a line
 * for a monthly trend. Every chart has a <title> and a <desc> referenced by aria-labelledby
 * and is meant to sit beside the table of its data (the text alternative for everyone).
 * A value that is withheld or absent draws no bar or point: its note ("secret statistique")
 * is written instead, and the value itself never enters the SVG. Every element drawn for a
 * datum (its label, bar or point, value or note) carries the datum's data-key.
 */
#ifndef EXP_SVG_H
#define EXP_SVG_H

#include <stddef.h>

#include "html.h"

/* One bar or point. */
typedef struct exp_datum {
    const char *label; /* category or month label (text, escaped) */
    int shown;         /* 1: value is published; 0: withheld or absent */
    int secret;        /* 1: withheld (marked "s" on a line chart); 0: published or absent */
    double value;      /* read only when shown */
    char text[40];     /* the value as printed ("48,3 %"), or the note when !shown */
    char key[128];     /* the cell's data-key (report_cells.h), on every element drawn for
                          this datum, so that a chart can be matched with its table; "": none */
} exp_datum;

/* Horizontal bars, one per datum, scaled to max (0: the largest shown value). id names the
 * chart's title and description elements (a literal-like identifier: [a-z0-9-]). */
void exp_svg_bars(exp_html *h, const char *id, const char *title, const char *desc,
                  const exp_datum *d, size_t n, double max);

/* A line over n points in order (months), y axis from 0 to a round maximum (pct: at most
 * 100). Unpublished points break the line; withheld ones are marked "s" above the axis. */
void exp_svg_line(exp_html *h, const char *id, const char *title, const char *desc,
                  const exp_datum *d, size_t n, int pct);

/* A round number at or above v (1, 2, 2.5, 5 times a power of ten); 1 for v <= 0. */
double exp_svg_nice_max(double v);

#endif
