/* disclosure_audit.c: attack a protected table the way a reader of the publication could, and
 * list every cell the protection failed to hide: a withheld cell recoverable by subtraction
 * within one relation, withheld parts whose published total pins their sum in [1, k), a
 * primary-sensitive cell left published, a percentage published while a cell it is computed
 * from is withheld; and every relation or percentage whose arithmetic does not hold (the
 * attack assumes it does). The additive relations are enumerated by relations.c, as for
 * sdc.c; what each percentage is computed from is this file's own table (recipes).
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

/* Rules 1 and 2, for one relation: what a reader learns from the published members; and the
 * relation's arithmetic (a total that is not the sum of its parts means the relations, or the
 * table, are wrong: every conclusion drawn from them is then void). */
static void check_relation(const agg_cell *cells, const agg_relset *rs, size_t r, int k,
                           finder *f)
{
    const agg_rel *rl = &rs->rels[r];
    int cls = rs->mclass[rl->total];
    size_t nw = 0, first_w = AGG_NONE;
    double wsum[2] = {0, 0}, psum[2] = {0, 0}, tot[2], m[2];
    int total_w = agg_withheld(&cells[rl->total]);
    int nm = agg_rel_magnitudes(&cells[rl->total], cls, tot);
    char rel[160], cell[160];

    if (total_w) {
        nw++;
        first_w = rl->total;
    }
    for (size_t j = 0; j < rl->nparts; j++) {
        size_t p = rs->members[rl->first + j];
        agg_rel_magnitudes(&cells[p], cls, m);
        for (int c = 0; c < nm; c++)
            psum[c] += m[c];
        if (!agg_withheld(&cells[p]))
            continue;
        if (first_w == AGG_NONE)
            first_w = p;
        nw++;
        for (int c = 0; c < nm; c++)
            wsum[c] += m[c];
    }
    for (int c = 0; c < nm; c++)
        if (psum[c] != tot[c]) {
            agg_rel_describe(cells, rs, r, rel, sizeof rel);
            agg_cell_describe(&cells[rl->total], cell, sizeof cell);
            add_finding(f, rel, cell, "not additive: the total's %s is %.0f, its parts add up to "
                        "%.0f", cls == AGG_MC_PCT ? (c ? "den - num" : "numerator") : "value",
                        tot[c], psum[c]);
            break;
        }
    if (nw == 0)
        return;

    agg_rel_describe(cells, rs, r, rel, sizeof rel);
    if (nw == 1) {
        /* The only unknown of "total = sum of parts": one subtraction gives it. */
        agg_rel_magnitudes(&cells[first_w], cls, m);
        agg_cell_describe(&cells[first_w], cell, sizeof cell);
        add_finding(f, rel, cell, "recoverable by subtraction: only withheld member (true %.0f)",
                    m[0]);
        return;
    }
    for (int c = 0; c < nm && !total_w; c++) {
        if (wsum[c] < 1 || wsum[c] >= k)
            continue;
        /* Published total minus published parts = the withheld parts' sum, a small number. */
        char first[100];
        agg_cell_describe(&cells[first_w], first, sizeof first);
        snprintf(cell, sizeof cell, "%s and %zu other withheld part(s)", first, nw - 1);
        add_finding(f, rel, cell, "withheld parts sum to %.0f%s, in [1,%d), and their total is "
                    "published", wsum[c], cls == AGG_MC_PCT ? (c ? " (den - num)" : " (numerator)")
                    : "", k);
        return;
    }
}

/* ---- percentages ------------------------------------------------------------------------ */

/* What each percentage is computed from, written for the audit on its own (relations.c has
 * the protection's table; the two are kept apart on purpose, so that a mistake in one is not
 * repeated in the other). Terms are cells of the same area and period: a count measure with
 * the percentage's own breakdown ("="), every dimension _T (""), or "DIM=CODE"; or another
 * percentage, whose numerator is the term. num = sum of the 'n' terms, den = sum of the 'd'
 * terms (with signs). A recipe without 'n' terms has a numerator that no published cell
 * gives (NSP, NON, persons with an orientation); union_dim names the dimension whose cells
 * the numerator is the union of (a person in several of them counts once), so that it
 * equals the only one of them that is not zero. */
typedef struct term {
    char part;          /* 'n' numerator, 'd' denominator, 0 end of list */
    int sign;           /* +1 or -1 */
    const char *mesure; /* count measure, or a percentage (its numerator) */
    const char *bd;     /* "=", "" or "DIM=CODE" */
} term;

static const struct recipe {
    const char *pct;
    int union_dim; /* a dimension, or -1 */
    term t[5];
} recipes[] = {
    {"PART_PERSONNES", -1, {{'n', 1, "NB_PERSONNES", "="}, {'d', 1, "NB_PERSONNES", ""}}},
    {"PART_CONTACTS", -1, {{'n', 1, "NB_CONTACTS", "="}, {'d', 1, "NB_CONTACTS", ""}}},
    {"PART_MINEURS",
     -1,
     {{'n', 1, "NB_PERSONNES", "AGE=Y_LT15"},
      {'n', 1, "NB_PERSONNES", "AGE=Y15T17"},
      {'d', 1, "NB_PERSONNES", ""},
      {'d', -1, "NB_PERSONNES", "AGE=_U"}}},
    {"PART_NSP_SS", -1, {{'d', 1, "NB_PERSONNES", ""}}},
    {"PART_INCONNUS_SS", -1, {{'d', 1, "NB_PERSONNES", ""}, {'d', -1, "PART_NSP_SS", ""}}},
    {"PART_ORIENTEES", AGG_PARTENAIRE, {{'d', 1, "NB_PERSONNES", ""}}},
};

/* Byte order of the keys, field by field: the order of agg_relset.order. */
static int key_cmp(const agg_cell *a, const agg_cell *b)
{
    int d;
    if ((d = strcmp(a->mesure, b->mesure)) || (d = strcmp(a->area, b->area)) ||
        (d = strcmp(a->period, b->period)))
        return d;
    for (int i = 0; i < AGG_NDIMS; i++)
        if ((d = strcmp(a->dim[i], b->dim[i])))
            return d;
    return 0;
}

/* The cell with the key of probe, or AGG_NONE (binary search in rs->order). */
static size_t find_cell(const agg_cell *cells, const agg_relset *rs, const agg_cell *probe)
{
    size_t lo = 0, hi = rs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = key_cmp(&cells[rs->order[mid]], probe);
        if (d == 0)
            return rs->order[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return AGG_NONE;
}

/* The cell term t designates for percentage p, or AGG_NONE when absent. */
static size_t term_cell(const agg_cell *cells, const agg_relset *rs, const agg_cell *p,
                        const term *t)
{
    agg_cell probe = *p;
    snprintf(probe.mesure, sizeof probe.mesure, "%s", t->mesure);
    if (strcmp(t->bd, "=") == 0)
        return find_cell(cells, rs, &probe);
    for (int d = 0; d < AGG_NDIMS; d++)
        snprintf(probe.dim[d], sizeof probe.dim[d], "_T");
    const char *eq = strchr(t->bd, '=');
    for (int d = 0; eq && d < AGG_NDIMS; d++)
        if (strlen(agg_dim_name(d)) == (size_t)(eq - t->bd) &&
            strncmp(agg_dim_name(d), t->bd, (size_t)(eq - t->bd)) == 0)
            snprintf(probe.dim[d], sizeof probe.dim[d], "%s", eq + 1);
    return find_cell(cells, rs, &probe);
}

/* A term's contribution: a count's value, a percentage's numerator. */
static double term_value(const agg_cell *c)
{
    if (agg_mesure_class(c->mesure) == AGG_MC_PCT)
        return (double)c->num;
    return c->has_value ? c->value : 0.0;
}

/* The union rule: the numerator of p is the union of the cells of dimension dim (count
 * measure NB_PERSONNES, same area and period), so it lies between the largest and their sum,
 * and it equals the only one of them a reader cannot see is zero. */
static void check_union(const agg_cell *cells, const agg_relset *rs, const agg_cell *p, int dim,
                        int reported, finder *f)
{
    agg_cell probe = *p;
    char cell[160], src[160];
    size_t unknown = 0, present = 0, withheld = AGG_NONE;
    double max = 0, total = 0;

    snprintf(probe.mesure, sizeof probe.mesure, "NB_PERSONNES");
    for (size_t c = 0; c < ref_count(agg_dim_list(dim)); c++) {
        snprintf(probe.dim[dim], sizeof probe.dim[dim], "%s", ref_at(agg_dim_list(dim), c)->code);
        size_t j = find_cell(cells, rs, &probe);
        if (j == AGG_NONE)
            continue;
        double v = term_value(&cells[j]);
        present++;
        max = v > max ? v : max;
        total += v;
        if (agg_withheld(&cells[j]) || v != 0) {
            unknown++;
            withheld = agg_withheld(&cells[j]) ? j : withheld;
        }
    }
    agg_cell_describe(p, cell, sizeof cell);
    if (present > 0 && ((double)p->num < max || (double)p->num > total))
        add_finding(f, "percentage follows its counts", cell,
                    "inconsistent: numerator %ld outside [%.0f, %.0f] of its %s cells", p->num,
                    max, total, agg_dim_name(dim));
    if (unknown == 1 && withheld != AGG_NONE && !reported) {
        agg_cell_describe(&cells[withheld], src, sizeof src);
        add_finding(f, "percentage follows its counts", cell,
                    "published while its numerator equals the withheld %.100s", src);
    }
}

/* Published percentage p against its recipe: rule 4 (no term withheld), the union rule, and
 * the arithmetic (num and den are what the terms say). */
static void check_recipe(const agg_cell *cells, const agg_relset *rs, const agg_cell *p,
                         const struct recipe *rc, finder *f)
{
    char cell[160], src[160];
    double sum[2] = {0, 0};
    int complete[2] = {1, 1}, used[2] = {0, 0}, reported = 0;

    agg_cell_describe(p, cell, sizeof cell);
    for (const term *t = rc->t; t->part; t++) {
        int w = t->part == 'd';
        size_t c = term_cell(cells, rs, p, t);
        used[w] = 1;
        if (c == AGG_NONE) {
            complete[w] = 0;
            continue;
        }
        sum[w] += t->sign * term_value(&cells[c]);
        if (!reported && agg_withheld(&cells[c])) {
            agg_cell_describe(&cells[c], src, sizeof src);
            add_finding(f, "percentage follows its counts", cell,
                        "published while its count %.100s is withheld (%s)", src,
                        w ? "denominator" : "numerator");
            reported = 1;
        }
    }
    if (used[0] && complete[0] && sum[0] != (double)p->num)
        add_finding(f, "percentage follows its counts", cell,
                    "inconsistent: numerator %ld, its counts give %.0f", p->num, sum[0]);
    if (used[1] && complete[1] && sum[1] != (double)p->den)
        add_finding(f, "percentage follows its counts", cell,
                    "inconsistent: denominator %ld, its counts give %.0f", p->den, sum[1]);
    if (rc->union_dim >= 0)
        check_union(cells, rs, p, rc->union_dim, reported, f);
}

/* Rule 4 for every published percentage with a value. */
static void check_percentages(const agg_cell *cells, const agg_relset *rs, finder *f)
{
    for (size_t r = 0; r < rs->n; r++) {
        const agg_cell *c = &cells[rs->order[r]];
        if (!c->has_value || agg_withheld(c))
            continue;
        for (size_t x = 0; x < OBS_ARRAY_LEN(recipes); x++)
            if (strcmp(recipes[x].pct, c->mesure) == 0)
                check_recipe(cells, rs, c, &recipes[x], f);
    }
}

/* 1 when the recipe's numerator has no term: no published cell gives it. */
static int recipe_hidden(const struct recipe *rc)
{
    for (const term *t = rc->t; t->part; t++)
        if (t->part == 'n')
            return 0;
    return 1;
}

/* A percentage whose numerator no published cell gives (a recipe without 'n' terms) is a
 * count of persons in disguise: its numerator and denominator add up over the geography like
 * the persons' total. Its own relations come from relations.c like every other; this check
 * does not trust that list: wherever NB_PERSONNES(_T) of an area and period is the total of
 * a geographic relation, such a percentage of the same area and period must be the total of
 * one with as many parts, or the protection never looked at the subtraction. */
static void check_hidden_geography(const agg_cell *cells, const agg_relset *rs, finder *f)
{
    static const term persons = {'d', 1, "NB_PERSONNES", ""};
    char cell[160];
    for (size_t r = 0; r < rs->nrels; r++) {
        const agg_rel *rl = &rs->rels[r];
        const agg_cell *t = &cells[rl->total];
        if (rl->kind != AGG_REL_GEO || term_cell(cells, rs, t, &persons) != rl->total)
            continue;
        for (size_t x = 0; x < OBS_ARRAY_LEN(recipes); x++) {
            if (!recipe_hidden(&recipes[x]))
                continue; /* a numerator made of published cells */
            term self = {'d', 1, recipes[x].pct, ""};
            size_t p = term_cell(cells, rs, t, &self), found = 0;
            if (p == AGG_NONE)
                continue;
            for (size_t j = rs->cell_rel_off[p]; j < rs->cell_rel_off[p + 1]; j++) {
                const agg_rel *q = &rs->rels[rs->cell_rels[j]];
                found |= q->total == p && q->kind == AGG_REL_GEO && q->nparts == rl->nparts;
            }
            if (found)
                continue;
            agg_cell_describe(&cells[p], cell, sizeof cell);
            add_finding(f, "percentage of persons over the geography", cell,
                        "not the total of its %zu parts, as the persons' total is: a withheld "
                        "numerator can be subtracted unchecked", rl->nparts);
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
    /* The percentage checks search rs->order with their own comparison: make sure it is the
     * order they expect rather than trust it. */
    for (size_t r = 1; r < n; r++)
        if (key_cmp(&cells[rs.order[r - 1]], &cells[rs.order[r]]) >= 0) {
            agg_relset_free(&rs);
            return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "index des cellules non trié");
        }

    check_primary(cells, &rs, k, &f);
    for (size_t r = 0; r < rs.nrels; r++)
        check_relation(cells, &rs, r, k, &f);
    check_percentages(cells, &rs, &f);
    check_hidden_geography(cells, &rs, &f);
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
