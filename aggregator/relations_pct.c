/* relations_pct.c: the counts each percentage of a table is computed from (indicators.md
 * section 1, docs/disclosure-control.md section 5), and the reverse index from a count to the
 * percentages it is a source of; part of agg_relset_build (see relations_build.h). */
#include <stdlib.h>
#include <string.h>

#include "relations_build.h"

/* The cells each percentage is computed from, as indicators.md section 1 defines them and
 * aggregator/sql/cells_people.sql computes them (docs/disclosure-control.md section 5), all
 * of the same area and period: the count measure `mesure` with the percentage's own breakdown
 * (SRC_SAME), with every dimension at _T (SRC_ALL), or with dimension `dim` at `code` (NULL:
 * every code of the dimension's list). disclosure_audit.c keeps its own table on purpose: a
 * mistake here must not be repeated there. */
enum { SRC_SAME = -1, SRC_ALL = -2 };

static const struct srcdef {
    const char *pct, *mesure;
    int dim;
    const char *code;
    agg_src_role role;
} srcdefs[] = {
    /* NB_PERSONNES(b) / NB_PERSONNES(_T), NB_CONTACTS(b) / NB_CONTACTS(_T) */
    {"PART_PERSONNES", "NB_PERSONNES", SRC_SAME, NULL, AGG_SRC_TERM},
    {"PART_PERSONNES", "NB_PERSONNES", SRC_ALL, NULL, AGG_SRC_TERM},
    {"PART_CONTACTS", "NB_CONTACTS", SRC_SAME, NULL, AGG_SRC_TERM},
    {"PART_CONTACTS", "NB_CONTACTS", SRC_ALL, NULL, AGG_SRC_TERM},
    /* (AGE Y_LT15 + AGE Y15T17) / (_T - AGE _U) */
    {"PART_MINEURS", "NB_PERSONNES", AGG_AGE, "Y_LT15", AGG_SRC_TERM},
    {"PART_MINEURS", "NB_PERSONNES", AGG_AGE, "Y15T17", AGG_SRC_TERM},
    {"PART_MINEURS", "NB_PERSONNES", SRC_ALL, NULL, AGG_SRC_TERM},
    {"PART_MINEURS", "NB_PERSONNES", AGG_AGE, "_U", AGG_SRC_TERM},
    /* NSP / _T */
    {"PART_NSP_SS", "NB_PERSONNES", SRC_ALL, NULL, AGG_SRC_TERM},
    /* NON / (OUI + NON) = NON / (_T - NSP): NSP is PART_NSP_SS's numerator */
    {"PART_INCONNUS_SS", "NB_PERSONNES", SRC_ALL, NULL, AGG_SRC_TERM},
    {"PART_INCONNUS_SS", "PART_NSP_SS", SRC_ALL, NULL, AGG_SRC_TERM},
    /* persons with an orientation (the union of the PARTENAIRE cells) / _T */
    {"PART_ORIENTEES", "NB_PERSONNES", SRC_ALL, NULL, AGG_SRC_TERM},
    {"PART_ORIENTEES", "NB_PERSONNES", AGG_PARTENAIRE, NULL, AGG_SRC_UNION},
};

/* The sources being collected (entries of all percentages, in cell index order). */
typedef struct srcvec {
    size_t *cell;
    unsigned char *role;
    size_t n, cap;
} srcvec;

/* Append source j (with its role) unless absent or already listed for this percentage
 * (from: its first entry); sources stay in key order. */
static obs_status src_add(srcvec *v, const agg_relset *rs, size_t from, size_t j, int role)
{
    if (j == AGG_NONE)
        return OBS_OK;
    for (size_t a = from; a < v->n; a++)
        if (v->cell[a] == j)
            return OBS_OK;
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 4096;
        size_t *c = realloc(v->cell, cap * sizeof *c);
        if (c == NULL)
            return OBS_ERR_NOMEM;
        v->cell = c;
        unsigned char *r = realloc(v->role, cap);
        if (r == NULL)
            return OBS_ERR_NOMEM;
        v->role = r;
        v->cap = cap;
    }
    size_t a = v->n++;
    for (; a > from && rs->rank[v->cell[a - 1]] > rs->rank[j]; a--) {
        v->cell[a] = v->cell[a - 1];
        v->role[a] = v->role[a - 1];
    }
    v->cell[a] = j;
    v->role[a] = (unsigned char)role;
    return OBS_OK;
}

/* The sources of percentage cell i, by the rules of srcdefs, appended to v. */
static obs_status cell_sources(const agg_keyidx *x, uint32_t id_total, const agg_relset *rs, size_t i,
                               srcvec *v)
{
    const uint32_t *t = &x->tup[i * NFIELDS];
    size_t from = v->n;
    obs_status rc = OBS_OK;
    for (size_t s = 0; rc == OBS_OK && s < OBS_ARRAY_LEN(srcdefs); s++) {
        const struct srcdef *d = &srcdefs[s];
        uint32_t k[NFIELDS];
        if (strcmp(x->cells[i].mesure, d->pct) != 0 || (k[0] = agg_str_find(x, d->mesure)) == AGG_NO_ID)
            continue;
        memcpy(k + 1, t + 1, (NFIELDS - 1) * sizeof *k);
        if (d->dim != SRC_SAME) {
            if (id_total == AGG_NO_ID)
                continue;
            for (int f = 0; f < AGG_NDIMS; f++)
                k[3 + f] = id_total;
        }
        if (d->dim < 0) {
            rc = src_add(v, rs, from, agg_key_find(x, k), (int)d->role);
            continue;
        }
        size_t ncodes = d->code ? 1 : ref_count(agg_dim_list(d->dim));
        for (size_t c = 0; rc == OBS_OK && c < ncodes; c++) {
            k[3 + d->dim] = agg_str_find(x, d->code ? d->code : ref_at(agg_dim_list(d->dim), c)->code);
            if (k[3 + d->dim] != AGG_NO_ID)
                rc = src_add(v, rs, from, agg_key_find(x, k), (int)d->role);
        }
    }
    return rc;
}

obs_status agg_relset_link_percentages(const agg_keyidx *x, uint32_t id_total, agg_relset *rs)
{
    size_t n = rs->n;
    srcvec v = {0};
    obs_status rc = OBS_OK;
    rs->src_off = malloc((n + 1) * sizeof *rs->src_off);
    rs->dep_off = calloc(n + 1, sizeof *rs->dep_off);
    if (!rs->src_off || !rs->dep_off)
        return OBS_ERR_NOMEM;
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        rs->src_off[i] = v.n;
        if (rs->mclass[i] == AGG_MC_PCT)
            rc = cell_sources(x, id_total, rs, i, &v);
    }
    rs->src_off[n] = v.n;
    rs->src = v.cell;
    rs->src_role = v.role;
    if (rc)
        return rc;
    if (v.n == 0 && (!(rs->src = malloc(sizeof *rs->src)) || !(rs->src_role = malloc(1))))
        return OBS_ERR_NOMEM;
    for (size_t a = 0; a < v.n; a++)
        rs->dep_off[v.cell[a] + 1]++;
    for (size_t i = 0; i < n; i++)
        rs->dep_off[i + 1] += rs->dep_off[i];
    rs->dep = malloc((v.n ? v.n : 1) * sizeof *rs->dep);
    size_t *fill = malloc((n ? n : 1) * sizeof *fill);
    if (!rs->dep || !fill) {
        free(fill);
        return OBS_ERR_NOMEM;
    }
    memcpy(fill, rs->dep_off, n * sizeof *fill);
    for (size_t r = 0; r < n; r++) { /* percentages in key order */
        size_t i = rs->order[r];
        for (size_t a = rs->src_off[i]; a < rs->src_off[i + 1]; a++)
            rs->dep[fill[rs->src[a]]++] = i;
    }
    free(fill);
    return OBS_OK;
}
