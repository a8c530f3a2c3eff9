/* sdc.c: statistical disclosure control (secret statistique) of a table of indicator cells:
 * primary suppression of small counts and percentages, secondary suppression over the
 * additive relations of relations.c, percentages following the cells they are computed from,
 * until no relation discloses a withheld cell and no percentage gives one away.
 * The rules and the choices made are in docs/disclosure-control.md.
 */
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "relations.h"

/* How much of a relation's disclosure cell c would fix: the magnitude that falls short (comp),
 * or all of them added (comp < 0). */
static double size_of(const agg_cell *c, int cls, int comp)
{
    double m[2];
    int nm = agg_rel_magnitudes(c, cls, m);
    return comp >= 0 ? m[comp] : nm == 2 ? m[0] + m[1] : m[0];
}

/* Examine relation r. When it discloses a withheld cell (exactly one withheld member, or the
 * total published and the withheld parts adding up to [1, k) in one of the magnitudes of
 * agg_rel_magnitudes), return the cell to withhold next: the published part with the smallest
 * non-zero shortfall magnitude (ties: smaller key), or the total when no part qualifies.
 * AGG_NONE when the relation is safe (or, for an inconsistent table, cannot be made safe). */
static size_t complement_needed(const agg_cell *cells, const agg_relset *rs, size_t r, int k)
{
    const agg_rel *rl = &rs->rels[r];
    int cls = rs->mclass[rl->total];
    size_t nw = 0, pick = AGG_NONE;
    double wsum[2] = {0, 0}, m[2], best = 0;
    int total_w = agg_withheld(&cells[rl->total]);
    int nm = agg_rel_magnitudes(&cells[rl->total], cls, m);

    nw += (size_t)total_w;
    for (size_t j = 0; j < rl->nparts; j++) {
        size_t p = rs->members[rl->first + j];
        if (!agg_withheld(&cells[p]))
            continue;
        nw++;
        agg_rel_magnitudes(&cells[p], cls, m);
        for (int c = 0; c < nm; c++)
            wsum[c] += m[c];
    }
    int unsafe = nw == 1, comp = -1;
    for (int c = 0; c < nm && !total_w; c++)
        if (wsum[c] >= 1 && wsum[c] < k) {
            unsafe = 1;
            comp = c;
            break;
        }
    if (!unsafe)
        return AGG_NONE;
    /* Parts are in key order: a strictly smaller size wins, so ties go to the smaller key. */
    for (size_t j = 0; j < rl->nparts; j++) {
        size_t p = rs->members[rl->first + j];
        double v = size_of(&cells[p], cls, comp);
        if (!agg_withheld(&cells[p]) && v > 0 && (pick == AGG_NONE || v < best)) {
            pick = p;
            best = v;
        }
    }
    if (pick == AGG_NONE && !total_w && size_of(&cells[rl->total], cls, comp) > 0)
        pick = rl->total;
    return pick;
}

/* 1 when published percentage i must follow its sources: a cell its numerator or denominator
 * is computed from is withheld, or its numerator equals a withheld cell (PART_ORIENTEES whose
 * PARTENAIRE cells are all published zeros but one, withheld). */
static int must_follow(const agg_cell *cells, const agg_relset *rs, size_t i)
{
    size_t unknown = 0, withheld = 0;
    for (size_t a = rs->src_off[i]; a < rs->src_off[i + 1]; a++) {
        const agg_cell *s = &cells[rs->src[a]];
        if (rs->src_role[a] == AGG_SRC_TERM) {
            if (agg_withheld(s))
                return 1;
        } else if (agg_withheld(s) || (s->has_value && s->value != 0)) {
            unknown++;
            withheld += (size_t)agg_withheld(s);
        }
    }
    return unknown == 1 && withheld == 1;
}

/* A FIFO of ids below cap, each present at most once. */
typedef struct worklist {
    size_t *ring;
    unsigned char *queued;
    size_t cap, head, len;
} worklist;

static int wl_init(worklist *w, size_t cap)
{
    w->cap = cap ? cap : 1;
    w->head = w->len = 0;
    w->ring = malloc(w->cap * sizeof *w->ring);
    w->queued = calloc(w->cap, 1);
    return w->ring && w->queued ? 0 : -1;
}

static void wl_free(worklist *w)
{
    free(w->ring);
    free(w->queued);
}

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

/* Withhold cell c ('D') and queue what may now disclose: its relations, and the percentages
 * computed from it. */
static void withhold(agg_cell *cells, const agg_relset *rs, size_t c, worklist *rels,
                     worklist *pcts)
{
    cells[c].conf_status = 'D';
    for (size_t j = rs->cell_rel_off[c]; j < rs->cell_rel_off[c + 1]; j++)
        wl_push(rels, rs->cell_rels[j]);
    for (size_t j = rs->dep_off[c]; j < rs->dep_off[c + 1]; j++)
        wl_push(pcts, rs->dep[j]);
}

/* Secondary suppression and percentages following their sources, to a fixed point: every
 * relation (key order), then every percentage (key order); after that, every relation of a
 * cell that just got withheld and every percentage computed from it, relations first, until
 * both lists are empty. Cells only ever go from published to withheld, so this ends after at
 * most n withholdings. */
static obs_status secondary(agg_cell *cells, const agg_relset *rs, int k)
{
    worklist rels = {0}, pcts = {0};
    if (wl_init(&rels, rs->nrels) || wl_init(&pcts, rs->n)) {
        wl_free(&rels);
        wl_free(&pcts);
        return OBS_ERR_NOMEM;
    }
    for (size_t r = 0; r < rs->nrels; r++)
        wl_push(&rels, r);
    for (size_t r = 0; r < rs->n; r++)
        if (rs->mclass[rs->order[r]] == AGG_MC_PCT)
            wl_push(&pcts, rs->order[r]);
    while (rels.len > 0 || pcts.len > 0) {
        if (rels.len > 0) {
            size_t c = complement_needed(cells, rs, wl_pop(&rels), k);
            if (c != AGG_NONE)
                withhold(cells, rs, c, &rels, &pcts);
            continue;
        }
        size_t i = wl_pop(&pcts);
        if (cells[i].has_value && !agg_withheld(&cells[i]) && must_follow(cells, rs, i))
            withhold(cells, rs, i, &rels, &pcts);
    }
    wl_free(&rels);
    wl_free(&pcts);
    return OBS_OK;
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
    agg_relset_free(&rs);
    if (rc) {
        withhold_all(cells, n);
        return obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante");
    }
    return OBS_OK;
}
