/* report_cells.h: what the HTML reports share: loading the cells an audience may see (through
 * the aggregator's publication, never recomputed here), finding one, and writing a value the
 * only way a page may: published, or "secret statistique" without the value, or "–".
 */
#ifndef EXP_REPORT_CELLS_H
#define EXP_REPORT_CELLS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "cells.h"
#include "html.h"
#include "publish.h"
#include "svg.h"

/* The text written in place of a withheld value. */
#define EXP_SECRET "secret statistique"

typedef struct exp_cells {
    agg_cell *v; /* owned (free) */
    size_t n;
    char as_of[24]; /* the latest change of the protected figures loaded (agg_selection) */
} exp_cells;

/* " Données au JJ/MM/AAAA à HH:MM:SS UTC." for cs->as_of ("" when unknown), into out. */
void exp_cells_as_of(const exp_cells *cs, char *out, size_t cap);

/* Load the cells view may see (post: the post of AGG_VIEW_POST) matching comma-separated
 * filters (NULL: no filter; dims_total 1: every breakdown dimension "_T"). Appends to cs
 * (zero it first). OBS_ERR_DB, OBS_ERR_NOMEM, OBS_ERR_INPUT (a bad filter: our bug). */
obs_status exp_cells_load(PGconn *c, agg_view view, const char *post, const char *mesures,
                          const char *areas, const char *periods, int dims_total,
                          exp_cells *cs, obs_err *e);

void exp_cells_free(exp_cells *cs);

/* The cell (mesure, area, period) with every dimension "_T" except dim (AGG_NDIMS: none)
 * equal to code; NULL when absent. */
const agg_cell *exp_cells_find(const exp_cells *cs, const char *mesure, const char *area,
                               const char *period, int dim, const char *code);

/* 1 when the cell may show its value: present, observed, not withheld. */
int exp_cell_published(const agg_cell *c);

/* The cell as printed: "12 345", "48,3 %", EXP_SECRET when withheld, "–" when absent. */
void exp_cell_text(const agg_cell *c, char *out, size_t cap);

/* <span class="v|secret|na" data-key="MESURE.AREA.PERIOD.dims"[ data-value="48.3"]>text</span>:
 * data-value (the machine-readable published value, as /api/v1/indicators rounds it) only
 * for a published cell. key_* name the cell when c is NULL (absent). */
void exp_cell_html(exp_html *h, const agg_cell *c, const char *mesure, const char *area,
                   const char *period);

/* The data-key of a cell: MESURE.AREA.PERIOD.dims, or MESURE.AREA.PERIOD when c is NULL
 * (absent), into out (cap bytes; 128 is enough). */
void exp_cell_key(const agg_cell *c, const char *mesure, const char *area, const char *period,
                  char *out, size_t cap);

/* A chart datum from a cell, with its data-key (mesure, area, period name an absent cell);
 * label is borrowed. A withheld value never enters the datum. */
void exp_cell_datum(const agg_cell *c, const char *mesure, const char *area, const char *period,
                    const char *label, exp_datum *d);

/* The reference list of a breakdown dimension (REF_SEXE ... REF_MODE). */
int exp_dim_list(int dim);

/* A section for one breakdown of persons (PART_PERSONNES and NB_PERSONNES by dim) in period:
 * <h2>, an intro, bars for the first area, and the table of every area (columns labelled by
 * area_labels). Categories are ordered by the first area's published share, largest first;
 * unpublished ones come last in code-list order (their order reveals nothing). */
void exp_section_breakdown(exp_html *h, const exp_cells *cs, int dim, const char *period,
                           const char *const *areas, const char *const *area_labels,
                           size_t nareas, const char *id, const char *title, const char *intro);

/* Most months in a trend. */
#define EXP_TREND_MAX 24

/* A monthly trend of one measure of one area (every dimension "_T") over n months (periods
 * "YYYY-MM", in order): the line chart, and beside it the table of all n values (the chart's
 * text alternative: every point is a row). Chart points are labelled short_labels[i], table
 * rows long_labels[i]; id names the chart ([a-z0-9-]). */
void exp_section_trend(exp_html *h, const exp_cells *cs, const char *mesure, const char *area,
                       const char *const *periods, const char *const *short_labels,
                       const char *const *long_labels, size_t n, const char *id,
                       const char *title, const char *desc);

/* The French label of a measure code (REF_MESURE), or the code. */
const char *exp_mesure_label(const char *mesure);

#endif
