/* publish.h: indicator cells as each audience may see them, protected by statistical
 * disclosure control (sdc.c) when they leave the service: the JSON API uses it, and the SDMX,
 * CSV and HTML exporters reuse agg_published_cells.
 *
 * Protection is computed once on a whole year's table, post cells included (relations span
 * the geography down to the posts and the months of a year), and every view is cut from that
 * one pattern: a cell has the same conf_status in every view that shows it (except a post's
 * own cells in its own view). It is cached in memory per year and reused while the year's
 * generation (agg_generation, bumped by every change) is the same. Cells and generation are
 * read in one REPEATABLE READ snapshot: what is returned after an upload's answer reflects
 * that upload, protected.
 */
#ifndef AGG_PUBLISH_H
#define AGG_PUBLISH_H

#include <libpq-fe.h>
#include <stdint.h>

#include "cells.h"
#include "filter.h"

typedef enum agg_view {
    AGG_VIEW_PUBLIC,  /* FR, régions, départements, protected */
    AGG_VIEW_ANALYST, /* also every post, protected */
    AGG_VIEW_POST     /* the public cells plus one post's own cells, unprotected ('F') */
} agg_view;

/* The cells matching q (NULL: every cell) that view may see, sorted by key, into a new
 * array *out of *n cells (free() it). post names the post of AGG_VIEW_POST (else ignored).
 * obs_status is the current one (final once the period is locked); conf_status is set, and
 * the value of a withheld cell must not be shown (it is left in the cell: callers decide).
 * More than max cells (0: no limit): OBS_ERR_TOO_LARGE, nothing returned. Failures:
 * OBS_ERR_DB, OBS_ERR_NOMEM, OBS_ERR_INTERNAL (SDC failure). */
obs_status agg_select_cells(PGconn *c, const agg_query *q, agg_view view, const char *post,
                            size_t max, agg_cell **out, size_t *n, obs_err *e);

/* What the exporters publish: agg_select_cells with AGG_VIEW_PUBLIC, or AGG_VIEW_ANALYST when
 * include_posts is 1, without limit. */
obs_status agg_published_cells(PGconn *c, const agg_query *q, int include_posts, agg_cell **out,
                               size_t *n, obs_err *e);

/* The unit of a measure: PERSONNES, CONTACTS, PCT, POSTES or GRILLES ("" when unknown). */
const char *agg_unit(const char *mesure);

/* A 64-bit code identifying a cell's key within its year (measure, period of the year, area,
 * breakdown codes), injective over valid keys; -1 when the cell has an unknown code. */
int agg_cellkey(const agg_cell *c, uint64_t *key);

/* Forget every cached protection (tests, shutdown). */
void agg_publish_reset(void);

#endif
