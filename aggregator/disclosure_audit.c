/* disclosure_audit.c: attack a protected table the way a reader of the publication could, and
 * list every cell the protection failed to hide: a withheld cell recoverable by subtraction
 * within one relation, withheld parts whose published total pins their sum in [1, k), a
 * primary-sensitive cell left published, a percentage published while its count is withheld.
 * The relations are those of relations.c, the same sdc.c protects.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "relations.h"

/* Findings accumulate here; the first allocation failure sticks. */
typedef struct finder {
    agg_audit_report *rep;
    size_t cap;
    obs_status rc;
} finder;

static void add_finding(finder *f, const char *relation, const char *cell, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_finding(finder *f, const char *relation, const char *cell, const char *fmt, ...)
{
    if (f->rc)
        return;
    agg_audit_report *rep = f->rep;
    if (rep->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        agg_audit_finding *v = realloc(rep->items, cap * sizeof *v);
        if (v == NULL) {
            f->rc = OBS_ERR_NOMEM;
            return;
        }
        rep->items = v;
        f->cap = cap;
    }
    agg_audit_finding *it = &rep->items[rep->n++];
    snprintf(it->relation, sizeof it->relation, "%s", relation);
    snprintf(it->cell, sizeof it->cell, "%s", cell);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->problem, sizeof it->problem, fmt, ap);
    va_end(ap);
}

static double count_value(const agg_cell *c)
{
    return c->has_value ? c->value : 0.0;
}

/* Why cell c is primary-sensitive, for the finding's text. */
static void primary_reason(const agg_cell *c, int k, char *out, size_t cap)
{
    if (agg_mesure_class(c->mesure) == AGG_MC_COUNT) {
        snprintf(out, cap, "primary-sensitive count %.0f in [1,%d) is published", c->value, k);
        return;
    }
    long diff = c->den - c->num;
    const char *why = c->den < k                    ? "denominator below k"
                      : (c->num >= 1 && c->num < k) ? "numerator in [1,k)"
                      : (diff >= 1 && diff < k)     ? "denominator minus numerator in [1,k)"
                                                    : "primary rule";
    snprintf(out, cap, "primary-sensitive percentage (%ld/%ld: %s, k=%d) is published", c->num,
             c->den, why, k);
}

/* Rule 3: every primary-sensitive cell is withheld. */
static void check_primary(const agg_cell *cells, const agg_relset *rs, int k, finder *f)
{
    char cell[160], why[160], rel[64];
    snprintf(rel, sizeof rel, "primary rule (k=%d)", k);
    for (size_t r = 0; r < rs->n; r++) {
        const agg_cell *c = &cells[rs->order[r]];
        if (agg_withheld(c) || !agg_primary_sensitive(c, k))
            continue;
        agg_cell_describe(c, cell, sizeof cell);
        primary_reason(c, k, why, sizeof why);
        add_finding(f, rel, cell, "%s", why);
    }
}

/* Rules 1 and 2, for one relation: what a reader learns from the published members. */
static void check_relation(const agg_cell *cells, const agg_relset *rs, size_t r, int k,
                           finder *f)
{
    const agg_rel *rl = &rs->rels[r];
    size_t nw = 0, first_w = AGG_NONE;
    double wsum = 0;
    int total_w = agg_withheld(&cells[rl->total]);

    if (total_w) {
        nw++;
        first_w = rl->total;
    }
    for (size_t j = 0; j < rl->nparts; j++) {
        size_t p = rs->members[rl->first + j];
        if (!agg_withheld(&cells[p]))
            continue;
        if (first_w == AGG_NONE)
            first_w = p;
        nw++;
        wsum += count_value(&cells[p]);
    }
    if (nw == 0)
        return;

    char rel[160], cell[160];
    agg_rel_describe(cells, rs, r, rel, sizeof rel);
    if (nw == 1) {
        /* The only unknown of "total = sum of parts": one subtraction gives it. */
        agg_cell_describe(&cells[first_w], cell, sizeof cell);
        add_finding(f, rel, cell, "recoverable by subtraction: only withheld member (true %.0f)",
                    count_value(&cells[first_w]));
        return;
    }
    if (!total_w && wsum >= 1 && wsum < k) {
        /* Published total minus published parts = the withheld parts' sum, a small number. */
        char first[100];
        agg_cell_describe(&cells[first_w], first, sizeof first);
        snprintf(cell, sizeof cell, "%s and %zu other withheld part(s)", first, nw - 1);
        add_finding(f, rel, cell, "withheld parts sum to %.0f, in [1,%d), and their total is "
                    "published", wsum, k);
    }
}

/* Rule 4: a percentage is withheld when a count it is computed from is. */
static void check_percentages(const agg_cell *cells, const agg_relset *rs, finder *f)
{
    char cell[160], src[160];
    for (size_t r = 0; r < rs->n; r++) {
        size_t i = rs->order[r];
        if (rs->mclass[i] != AGG_MC_PCT || !cells[i].has_value || agg_withheld(&cells[i]))
            continue;
        for (int s = 0; s < 2; s++) {
            size_t c = rs->pct_src[i][s];
            if (c == AGG_NONE || !agg_withheld(&cells[c]))
                continue;
            agg_cell_describe(&cells[i], cell, sizeof cell);
            agg_cell_describe(&cells[c], src, sizeof src);
            add_finding(f, "percentage follows its counts", cell,
                        "published while its count %.100s is withheld", src);
            break;
        }
    }
}

/* Cells that must always be published: post-describing measures. Withholding them is not a
 * disclosure, but it is a departure from indicators.md section 4 worth reporting. Zero
 * counts are not checked: withholding a zero is harmless over-protection. */
static void check_never_withheld(const agg_cell *cells, const agg_relset *rs, finder *f)
{
    char cell[160];
    for (size_t r = 0; r < rs->n; r++) {
        size_t i = rs->order[r];
        if (rs->mclass[i] != AGG_MC_POST || !agg_withheld(&cells[i]))
            continue;
        agg_cell_describe(&cells[i], cell, sizeof cell);
        add_finding(f, "measures describing posts are never withheld", cell,
                    "withheld (conf_status %c) although it describes posts, not people",
                    cells[i].conf_status);
    }
}

obs_status agg_audit(const agg_cell *cells, size_t n, int k, agg_audit_report *rep, obs_err *e)
{
    agg_relset rs;
    finder f = {rep, 0, OBS_OK};
    obs_status rc;

    memset(rep, 0, sizeof *rep);
    if (k < 1)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDC_K", "seuil de secret statistique invalide : %d",
                        k);
    if (n > 0 && cells == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "table de cellules absente");
    if ((rc = agg_relset_build(cells, n, &rs, e)))
        return rc;

    check_primary(cells, &rs, k, &f);
    for (size_t r = 0; r < rs.nrels; r++)
        check_relation(cells, &rs, r, k, &f);
    check_percentages(cells, &rs, &f);
    check_never_withheld(cells, &rs, &f);
    rep->relations_checked = rs.nrels;
    agg_relset_free(&rs);
    if (f.rc) {
        agg_audit_free(rep);
        return obs_fail(e, f.rc, "E_NOMEM", "mémoire insuffisante");
    }
    return OBS_OK;
}

void agg_audit_free(agg_audit_report *rep)
{
    if (rep == NULL)
        return;
    free(rep->items);
    memset(rep, 0, sizeof *rep);
}
