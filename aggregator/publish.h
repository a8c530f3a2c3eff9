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
#include "protect.h"

typedef enum agg_view {
    AGG_VIEW_PUBLIC,  /* FR, régions, départements, protected */
    AGG_VIEW_ANALYST, /* also every post, protected */
    AGG_VIEW_POST     /* the public cells plus one post's own cells, unprotected ('F') */
} agg_view;

/* The columns agg_cell_from_row reads, in its order. */
#define AGG_CELLCOLS                                                                          \
    "area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode, num,"  \
    " den, value"

/* Row i of r (columns AGG_CELLCOLS first) as a cell: obs_status 'P', conf_status 'F'. */
void agg_cell_from_row(PGresult *r, int i, agg_cell *c);

/* An answer: its cells and the time of the latest change of the figures it shows
 * ("YYYY-MM-DDTHH:MM:SSZ", "" without any protected cell). */
typedef struct agg_selection {
    agg_cell *cells; /* owned: free() */
    size_t n;
    char as_of[24];
} agg_selection;

/* The cells matching q (NULL: every cell) that view may see, in key order. On the primary,
 * the protected cells are those of the published round (protect.h: the latest completed
 * protection, which may lag the latest uploads by a few seconds, never waited for once one
 * exists); a post's own cells in AGG_VIEW_POST are read as they are now, unprotected. On a
 * standby, the reader's own snapshot is protected (computed when not known yet). More than
 * max cells (0: no limit): OBS_ERR_TOO_LARGE. Failures: OBS_ERR_DB, OBS_ERR_NOMEM,
 * OBS_ERR_INTERNAL (SDC failure). */
obs_status agg_select(PGconn *c, const agg_query *q, agg_view view, const char *post,
                      size_t max, agg_selection *out, obs_err *e);

/* The cells matching q (NULL: every cell) that view may see, sorted by key, into a new
 * array *out of *n cells (free() it). post names the post of AGG_VIEW_POST (else ignored).
 * obs_status is the current one (final once the period is locked); conf_status is set, and
 * the value of a withheld cell must not be shown (it is left in the cell: callers decide).
 * More than max cells (0: no limit): OBS_ERR_TOO_LARGE, nothing returned. Failures:
 * OBS_ERR_DB, OBS_ERR_NOMEM, OBS_ERR_INTERNAL (SDC failure). */
obs_status agg_select_cells(PGconn *c, const agg_query *q, agg_view view, const char *post,
                            size_t max, agg_cell **out, size_t *n, obs_err *e);

/* What the exporters publish: the cells of AGG_VIEW_PUBLIC, or AGG_VIEW_ANALYST when
 * include_posts is 1, without limit, protected in the reader's own snapshot (the SDMX
 * publication runs record the state they read: sdmx_vintage.c). */
obs_status agg_published_cells(PGconn *c, const agg_query *q, int include_posts, agg_cell **out,
                               size_t *n, obs_err *e);

/* The same cells as agg_published_cells, read in the round's own transaction and protected
 * by the round (the caller holds agg_round_conn(r)): the SDMX publication of a round. */
obs_status agg_round_cells(agg_round *r, const agg_query *q, int include_posts,
                           agg_cell **out, size_t *n, obs_err *e);

/* The unit of a measure: PERSONNES, CONTACTS, PCT, POSTES or GRILLES ("" when unknown). */
const char *agg_unit(const char *mesure);

/* A 64-bit code identifying a cell's key within its year (measure, period of the year, area,
 * breakdown codes), injective over valid keys; -1 when the cell has an unknown code. */
int agg_cellkey(const agg_cell *c, uint64_t *key);

/* Forget every cached protection and round (tests, shutdown): agg_protect_reset. */
void agg_publish_reset(void);

#endif
