/* sdc.c: statistical disclosure control (secret statistique) of a table of indicator cells:
 * primary suppression of small counts and percentages, secondary suppression over the
 * additive relations of relations.c until no relation discloses a withheld cell.
 * The rules and the choices made are in docs/disclosure-control.md.
 */
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "relations.h"

/* A count cell's value as the relations add it: an absent value is a zero. */
static double count_value(const agg_cell *c)
{
    return c->has_value ? c->value : 0.0;
}

/* Smaller value first, then smaller key: the deterministic order of complementary choices. */
static int better_candidate(const agg_cell *cells, const agg_relset *rs, size_t a, size_t b)
{
    if (b == AGG_NONE)
        return 1;
    double va = count_value(&cells[a]), vb = count_value(&cells[b]);
    if (va != vb)
        return va < vb;
    return rs->rank[a] < rs->rank[b];
}

/* Examine relation r. When it discloses a withheld cell (exactly one withheld member, or the
 * total published and the withheld parts adding up to [1, k)), return the cell to withhold
 * next: the smallest non-zero published part, or the total when no part qualifies.
 * AGG_NONE when the relation is safe (or, for an inconsistent table, cannot be made safe). */
static size_t complement_needed(const agg_cell *cells, const agg_relset *rs, size_t r, int k)
{
    const agg_rel *rl = &rs->rels[r];
    size_t nw = 0, pick = AGG_NONE;
    double wsum = 0;
    int total_w = agg_withheld(&cells[rl->total]);

    nw += (size_t)total_w;
    for (size_t j = 0; j < rl->nparts; j++) {
        size_t p = rs->members[rl->first + j];
        if (agg_withheld(&cells[p])) {
            nw++;
            wsum += count_value(&cells[p]);
        } else if (count_value(&cells[p]) > 0 && better_candidate(cells, rs, p, pick)) {
            pick = p;
        }
    }
    int unsafe = nw == 1 || (!total_w && wsum >= 1 && wsum < k);
    if (!unsafe)
        return AGG_NONE;
    if (pick == AGG_NONE && !total_w && count_value(&cells[rl->total]) > 0)
        pick = rl->total;
    return pick;
}

/* A FIFO of relation ids, each present at most once. */
typedef struct worklist {
    size_t *ring;
    unsigned char *queued;
    size_t cap, head, len;
} worklist;

static void wl_push(worklist *w, size_t r)
{
    if (w->queued[r])
        return;
    w->queued[r] = 1;
    w->ring[(w->head + w->len) % w->cap] = r;
    w->len++;
}

static size_t wl_pop(worklist *w)
{
    size_t r = w->ring[w->head];
    w->head = (w->head + 1) % w->cap;
    w->len--;
    w->queued[r] = 0;
    return r;
}

/* Secondary suppression: process every relation, and again every relation of a cell that
 * just got withheld, until none needs a complement (a fixed point: cells only ever go from
 * published to withheld, so this terminates after at most n withholdings). */
static obs_status secondary(agg_cell *cells, const agg_relset *rs, int k)
{
    worklist w = {0};
    w.cap = rs->nrels ? rs->nrels : 1;
    w.ring = malloc(w.cap * sizeof *w.ring);
    w.queued = calloc(w.cap, 1);
    if (!w.ring || !w.queued) {
        free(w.ring);
        free(w.queued);
        return OBS_ERR_NOMEM;
    }
    for (size_t r = 0; r < rs->nrels; r++)
        wl_push(&w, r);
    while (w.len > 0) {
        size_t r = wl_pop(&w);
        size_t c = complement_needed(cells, rs, r, k);
        if (c == AGG_NONE)
            continue;
        cells[c].conf_status = 'D';
        for (size_t j = rs->cell_rel_off[c]; j < rs->cell_rel_off[c + 1]; j++)
            wl_push(&w, rs->cell_rels[j]);
    }
    free(w.ring);
    free(w.queued);
    return OBS_OK;
}

/* Percentages follow their counts: PART_PERSONNES and PART_CONTACTS are withheld ('D') when
 * a count they are computed from is withheld. Percentages belong to no relation, so one pass
 * after the counts' fixed point is enough. */
static void follow_counts(agg_cell *cells, const agg_relset *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->mclass[i] != AGG_MC_PCT || !cells[i].has_value || agg_withheld(&cells[i]))
            continue;
        for (int s = 0; s < 2; s++) {
            size_t src = rs->pct_src[i][s];
            if (src != AGG_NONE && agg_withheld(&cells[src]))
                cells[i].conf_status = 'D';
        }
    }
}

/* On failure nothing may leak: every cell that is not a post-describing measure is withheld. */
static void withhold_all(agg_cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cells[i].conf_status = agg_mesure_class(cells[i].mesure) == AGG_MC_POST ? 'F' : 'D';
}

obs_status agg_sdc_apply(agg_cell *cells, size_t n, int k, obs_err *e)
{
    agg_relset rs;
    obs_status rc;

    if (n > 0 && cells == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "table de cellules absente");
    if (k < 1) {
        withhold_all(cells, n);
        return obs_fail(e, OBS_ERR_INPUT, "E_SDC_K", "seuil de secret statistique invalide : %d",
                        k);
    }
    if ((rc = agg_relset_build(cells, n, &rs, e))) {
        withhold_all(cells, n);
        return rc;
    }

    /* Start from scratch: a stale status from an earlier run must not leak into this one. */
    for (size_t i = 0; i < n; i++) {
        cells[i].conf_status = 'F';
        if (rs.mclass[i] != AGG_MC_POST && agg_primary_sensitive(&cells[i], k))
            cells[i].conf_status = 'C';
    }
    rc = secondary(cells, &rs, k);
    if (rc == OBS_OK)
        follow_counts(cells, &rs);
    agg_relset_free(&rs);
    if (rc) {
        withhold_all(cells, n);
        return obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante");
    }
    return OBS_OK;
}
