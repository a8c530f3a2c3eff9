/* relations.c: the classes of the measures, the primary rule, and the enumeration of a
 * table's additive relations (partitions, geography, time), shared by sdc.c and
 * disclosure_audit.c so that the protection and its audit reason about the same relations.
 * The key index is relations_key.c; the percentages' sources, relations_pct.c.
 */
#include "relations.h"
#include "relations_build.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "ref.h"

/* The breakdown dimensions: SDMX name and code list, in agg_dim order. */
static const struct {
    const char *name;
    ref_list list;
} dims[AGG_NDIMS] = {
    {"SEXE", REF_SEXE},
    {"AGE", REF_AGE},
    {"STATUT", REF_STATUT},
    {"ORIGINE", REF_ORIGINE},
    {"PROBLEMATIQUE", REF_PROBLEMATIQUE},
    {"PARTENAIRE", REF_PARTENAIRE},
    {"MODE", REF_MODE},
};

const char *agg_dim_name(int d)
{
    return dims[d].name;
}

ref_list agg_dim_list(int d)
{
    return dims[d].list;
}

/* hidden: a percentage whose numerator or denominator is not a published count. */
static const struct {
    const char *code;
    agg_mclass cls;
    int hidden;
} mesures[] = {
    {"NB_CONTACTS", AGG_MC_COUNT, 0},      {"NB_PERSONNES", AGG_MC_COUNT, 0},
    {"NB_NOUVELLES", AGG_MC_COUNT, 0},     {"PART_PERSONNES", AGG_MC_PCT, 0},
    {"PART_CONTACTS", AGG_MC_PCT, 0},      {"PART_INCONNUS_SS", AGG_MC_PCT, 1},
    {"PART_NSP_SS", AGG_MC_PCT, 1},        {"PART_ORIENTEES", AGG_MC_PCT, 1},
    {"PART_MINEURS", AGG_MC_PCT, 0},       {"NB_POSTES_ACTIFS", AGG_MC_POST, 0},
    {"NB_GRILLES", AGG_MC_POST, 0},        {"TAUX_COMPLETUDE", AGG_MC_POST, 0},
    {"TAUX_PROMPTITUDE", AGG_MC_POST, 0},
};

static int mesure_index(const char *mesure)
{
    for (size_t i = 0; i < OBS_ARRAY_LEN(mesures); i++)
        if (strcmp(mesures[i].code, mesure) == 0)
            return (int)i;
    return -1;
}

int agg_mesure_class(const char *mesure)
{
    int i = mesure_index(mesure);
    return i < 0 ? -1 : (int)mesures[i].cls;
}

int agg_mesure_hidden(const char *mesure)
{
    int i = mesure_index(mesure);
    return i >= 0 && mesures[i].hidden;
}

int agg_rel_magnitudes(const agg_cell *c, int cls, double m[2])
{
    if (cls == AGG_MC_PCT) {
        m[0] = (double)c->num;
        m[1] = (double)(c->den - c->num);
        return 2;
    }
    m[0] = c->has_value ? c->value : 0.0;
    return 1;
}

int agg_withheld(const agg_cell *c)
{
    return c->conf_status == 'C' || c->conf_status == 'D';
}

int agg_primary_sensitive(const agg_cell *c, int k)
{
    if (!c->has_value)
        return 0;
    switch (agg_mesure_class(c->mesure)) {
    case AGG_MC_COUNT:
        return c->value >= 1 && c->value < k;
    case AGG_MC_PCT: {
        long diff = c->den - c->num;
        return c->den < k || (c->num >= 1 && c->num < k) || (diff >= 1 && diff < k);
    }
    default:
        return 0;
    }
}

/* Period kinds, from agg_period_parse (period.c). */
enum { PER_BAD, PER_M, PER_Q, PER_A };

static int period_kind(const char *code, agg_period *p)
{
    if (agg_period_parse(code, p) < 0)
        return PER_BAD;
    return p->freq == 'M' ? PER_M : p->freq == 'Q' ? PER_Q : PER_A;
}

/* The area one level up: "" for FR, or NULL for a malformed or unknown area code.
 * out receives the parent code (at least 12 bytes). */
static const char *geo_parent(const char *area, char *out, size_t cap)
{
    if (strcmp(area, "FR") == 0) {
        out[0] = '\0';
        return out;
    }
    if (area[0] == 'R') {
        if (ref_region_find(area + 1) == NULL)
            return NULL;
        snprintf(out, cap, "FR");
        return out;
    }
    if (area[0] == 'D') {
        const ref_dep *d = ref_dep_find(area + 1);
        if (d == NULL)
            return NULL;
        snprintf(out, cap, "R%s", d->region);
        return out;
    }
    /* A post: "ISCG-093-01" -> D93, "ISCG-02A-01" -> D2A, "ISCG-974-01" -> D974. */
    if (strncmp(area, "ISCG-", 5) == 0 && strlen(area) >= 10 && area[8] == '-') {
        char dep[4];
        size_t skip = area[5] == '0' ? 1 : 0;
        memcpy(dep, area + 5 + skip, 3 - skip);
        dep[3 - skip] = '\0';
        if (ref_dep_find(dep) == NULL)
            return NULL;
        snprintf(out, cap, "D%s", dep);
        return out;
    }
    return NULL;
}

/* One "part of" fact before grouping. */
typedef struct memb {
    size_t total, part;
    int kind;
} memb;

typedef struct mvec {
    memb *v;
    size_t n, cap;
} mvec;

static obs_status mvec_push(mvec *m, size_t total, size_t part, int kind)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        memb *v = realloc(m->v, cap * sizeof *v);
        if (v == NULL)
            return OBS_ERR_NOMEM;
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n++] = (memb){total, part, kind};
    return OBS_OK;
}

/* Look up a parent key and record the membership when the parent is in the table. */
static obs_status link_parent(const agg_keyidx *x, const uint32_t *pk, size_t part, int kind, mvec *m)
{
    size_t total = agg_key_find(x, pk);
    return total == AGG_NONE ? OBS_OK : mvec_push(m, total, part, kind);
}

/* Parents of the table's areas and periods, computed once per distinct string id. */
typedef struct ups {
    uint32_t *geo;         /* parent area id, AGG_NO_ID when none or not in the table */
    uint32_t *quarter;     /* a month's quarter id */
    uint32_t *year;        /* a month's or quarter's year id */
    unsigned char *astate; /* area: 0 not computed, 1 computed */
    unsigned char *pstate; /* period: 0 not computed, else 1 + period kind */
    uint32_t id_total;     /* id of "_T", AGG_NO_ID when no cell uses it */
} ups;

/* Compute the parents of area id a and period id p (once each). 0, or -1 for an area code
 * that is not FR, a région, a known département or a post of one. */
static int compute_ups(const agg_keyidx *x, ups *u, uint32_t a, uint32_t p)
{
    char buf[16];
    if (!u->astate[a]) {
        if (geo_parent(x->str[a], buf, sizeof buf) == NULL)
            return -1;
        u->geo[a] = buf[0] ? agg_str_find(x, buf) : AGG_NO_ID;
        u->astate[a] = 1;
    }
    if (!u->pstate[p]) {
        agg_period per;
        int kind = period_kind(x->str[p], &per);
        u->quarter[p] = u->year[p] = AGG_NO_ID;
        if (kind == PER_M) {
            agg_month_quarter(per.year, per.sub, buf, sizeof buf);
            u->quarter[p] = agg_str_find(x, buf);
        }
        if (kind == PER_M || kind == PER_Q) {
            agg_period year = {'A', per.year, 0};
            agg_period_format(&year, buf, sizeof buf);
            u->year[p] = agg_str_find(x, buf);
        }
        u->pstate[p] = (unsigned char)(1 + kind);
    }
    return 0;
}

/* Memberships of cell i: for a count, partition, geography and time; for a percentage of
 * agg_mesure_hidden, geography only (persons are not additive over time). */
static obs_status cell_memberships(const agg_keyidx *x, const ups *u, size_t i, mvec *m)
{
    const agg_cell *c = &x->cells[i];
    const uint32_t *t = &x->tup[i * NFIELDS];
    uint32_t pk[NFIELDS];
    obs_status rc;
    int persons = strcmp(c->mesure, "NB_PERSONNES") == 0;
    int contacts = strcmp(c->mesure, "NB_CONTACTS") == 0;

    /* (a) partitions: exactly one dimension broken down, and that one a partition. */
    int nbroken = 0, broken = -1;
    for (int d = 0; d < AGG_NDIMS; d++)
        if (t[3 + d] != u->id_total) {
            nbroken++;
            broken = d;
        }
    if (nbroken == 1 && ((persons && broken <= AGG_ORIGINE) || (contacts && broken == AGG_MODE))) {
        memcpy(pk, t, sizeof pk);
        pk[3 + broken] = u->id_total;
        if ((rc = link_parent(x, pk, i, broken, m)))
            return rc;
    }
    /* (b) geography, for every count measure and breakdown. */
    if (u->geo[t[1]] != AGG_NO_ID) {
        memcpy(pk, t, sizeof pk);
        pk[1] = u->geo[t[1]];
        if ((rc = link_parent(x, pk, i, AGG_REL_GEO, m)))
            return rc;
    }
    /* (c) time: contacts, and new persons (a first contact ever falls in one month only). */
    if (contacts || strcmp(c->mesure, "NB_NOUVELLES") == 0) {
        int month = u->pstate[t[2]] == 1 + PER_M;
        memcpy(pk, t, sizeof pk);
        if (month && u->quarter[t[2]] != AGG_NO_ID) {
            pk[2] = u->quarter[t[2]];
            if ((rc = link_parent(x, pk, i, AGG_REL_MONTHS, m)))
                return rc;
        }
        if (u->year[t[2]] != AGG_NO_ID) {
            pk[2] = u->year[t[2]];
            if ((rc = link_parent(x, pk, i, month ? AGG_REL_MONTHS : AGG_REL_QUARTERS, m)))
                return rc;
        }
    }
    return OBS_OK;
}

void agg_relset_free(agg_relset *rs)
{
    if (rs == NULL)
        return;
    free(rs->order);
    free(rs->rank);
    free(rs->mclass);
    free(rs->rels);
    free(rs->members);
    free(rs->cell_rel_off);
    free(rs->cell_rels);
    free(rs->src_off);
    free(rs->src);
    free(rs->src_role);
    free(rs->dep_off);
    free(rs->dep);
    memset(rs, 0, sizeof *rs);
}

/* Group memberships by (total, kind) into relations; parts stay in key order. */
static obs_status group_relations(const mvec *m, agg_relset *rs)
{
    size_t n = rs->n;
    size_t *start = calloc(n + 1, sizeof *start);
    memb *sorted = malloc((m->n ? m->n : 1) * sizeof *sorted);
    rs->members = malloc((m->n ? m->n : 1) * sizeof *rs->members);
    rs->rels = malloc((m->n ? m->n : 1) * sizeof *rs->rels);
    if (!start || !sorted || !rs->members || !rs->rels) {
        free(start);
        free(sorted);
        return OBS_ERR_NOMEM;
    }
    /* Stable counting sort by the total's rank (memberships arrive in the parts' key order). */
    for (size_t j = 0; j < m->n; j++)
        start[rs->rank[m->v[j].total] + 1]++;
    for (size_t r = 0; r < n; r++)
        start[r + 1] += start[r];
    for (size_t j = 0; j < m->n; j++)
        sorted[start[rs->rank[m->v[j].total]]++] = m->v[j];
    /* Within one total (a few dozen parts at most), stable insertion sort by kind. */
    for (size_t a = 0; a < m->n;) {
        size_t b = a;
        while (b < m->n && sorted[b].total == sorted[a].total)
            b++;
        for (size_t x = a + 1; x < b; x++) {
            memb v = sorted[x];
            size_t y = x;
            for (; y > a && sorted[y - 1].kind > v.kind; y--)
                sorted[y] = sorted[y - 1];
            sorted[y] = v;
        }
        a = b;
    }
    rs->nrels = 0;
    for (size_t j = 0; j < m->n; j++) {
        if (j == 0 || sorted[j].total != sorted[j - 1].total ||
            sorted[j].kind != sorted[j - 1].kind)
            rs->rels[rs->nrels++] = (agg_rel){sorted[j].total, j, 0, sorted[j].kind};
        rs->rels[rs->nrels - 1].nparts++;
        rs->members[j] = sorted[j].part;
    }
    free(sorted);
    free(start);
    return OBS_OK;
}

/* For every cell, the relations it belongs to, ascending. */
static obs_status index_cell_relations(agg_relset *rs)
{
    size_t n = rs->n, total = 0;
    rs->cell_rel_off = calloc(n + 1, sizeof *rs->cell_rel_off);
    if (!rs->cell_rel_off)
        return OBS_ERR_NOMEM;
    for (size_t r = 0; r < rs->nrels; r++) {
        const agg_rel *rl = &rs->rels[r];
        rs->cell_rel_off[rl->total + 1]++;
        for (size_t j = 0; j < rl->nparts; j++)
            rs->cell_rel_off[rs->members[rl->first + j] + 1]++;
        total += rl->nparts + 1;
    }
    for (size_t i = 0; i < n; i++)
        rs->cell_rel_off[i + 1] += rs->cell_rel_off[i];
    rs->cell_rels = malloc((total ? total : 1) * sizeof *rs->cell_rels);
    size_t *fill = malloc((n ? n : 1) * sizeof *fill);
    if (!rs->cell_rels || !fill) {
        free(fill);
        return OBS_ERR_NOMEM;
    }
    memcpy(fill, rs->cell_rel_off, n * sizeof *fill);
    for (size_t r = 0; r < rs->nrels; r++) {
        const agg_rel *rl = &rs->rels[r];
        rs->cell_rels[fill[rl->total]++] = r;
        for (size_t j = 0; j < rl->nparts; j++)
            rs->cell_rels[fill[rs->members[rl->first + j]]++] = r;
    }
    free(fill);
    return OBS_OK;
}

static void free_ups(ups *u)
{
    free(u->geo);
    free(u->quarter);
    free(u->year);
    free(u->astate);
    free(u->pstate);
}

obs_status agg_relset_build(const agg_cell *cells, size_t n, agg_relset *rs, obs_err *e)
{
    agg_keyidx x = {0};
    ups u = {0};
    mvec m = {0};
    obs_status rc;
    size_t n1 = n ? n : 1;

    memset(rs, 0, sizeof *rs);
    rs->n = n;
    x.cells = cells;
    x.n = n;
    if ((rc = ref_init(e)))
        return rc;
    x.smask = 1023;
    x.smap = calloc(x.smask + 1, sizeof *x.smap);
    x.tup = malloc(n1 * NFIELDS * sizeof *x.tup);
    rs->order = malloc(n1 * sizeof *rs->order);
    rs->rank = malloc(n1 * sizeof *rs->rank);
    rs->mclass = malloc(n1);
    if (!x.smap || !x.tup || !rs->order || !rs->rank || !rs->mclass)
        goto nomem;
    if ((rc = agg_keyidx_index(&x, rs, e)))
        goto out;

    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    x.cmask = size - 1;
    x.cmap = malloc(size * sizeof *x.cmap);
    size_t ns = x.nstr ? x.nstr : 1;
    u.geo = malloc(ns * sizeof *u.geo);
    u.quarter = malloc(ns * sizeof *u.quarter);
    u.year = malloc(ns * sizeof *u.year);
    u.astate = calloc(ns, 1);
    u.pstate = calloc(ns, 1);
    if (!x.cmap || !u.geo || !u.quarter || !u.year || !u.astate || !u.pstate)
        goto nomem;
    for (size_t s = 0; s < size; s++)
        x.cmap[s] = AGG_NONE;
    for (size_t i = 0; i < n; i++) /* keys are unique: agg_keyidx_index checked */
        x.cmap[agg_key_probe(&x, &x.tup[i * NFIELDS])] = i;
    u.id_total = agg_str_find(&x, "_T");

    /* Memberships, generated in key order so that every relation lists its parts in it. */
    for (size_t r = 0; r < n; r++) {
        size_t i = rs->order[r];
        const uint32_t *t = &x.tup[i * NFIELDS];
        if (compute_ups(&x, &u, t[1], t[2]) < 0) {
            rc = obs_fail(e, OBS_ERR_INPUT, "E_SDC_AREA", "code de territoire inconnu : %s",
                          cells[i].area);
            goto out;
        }
        if ((rs->mclass[i] == AGG_MC_COUNT || agg_mesure_hidden(cells[i].mesure)) &&
            (rc = cell_memberships(&x, &u, i, &m)))
            goto nomem;
    }
    if ((rc = group_relations(&m, rs)) || (rc = index_cell_relations(rs)) ||
        (rc = agg_relset_link_percentages(&x, u.id_total, rs)))
        goto nomem;
    goto out;
nomem:
    rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
out:
    free(x.str);
    free(x.smap);
    free(x.tup);
    free(x.cmap);
    free_ups(&u);
    free(m.v);
    if (rc)
        agg_relset_free(rs);
    return rc;
}

void agg_cell_describe(const agg_cell *c, char *out, size_t cap)
{
    int len = snprintf(out, cap, "%s %s %s", c->mesure, c->area, c->period);
    for (int d = 0; d < AGG_NDIMS && len >= 0 && (size_t)len < cap; d++)
        if (strcmp(c->dim[d], "_T") != 0)
            len += snprintf(out + len, cap - (size_t)len, " %s=%s", dims[d].name, c->dim[d]);
}

void agg_rel_describe(const agg_cell *cells, const agg_relset *rs, size_t r, char *out,
                      size_t cap)
{
    const agg_rel *rl = &rs->rels[r];
    const agg_cell *t = &cells[rl->total];
    char tot[128];
    const char *what;
    agg_cell_describe(t, tot, sizeof tot);
    if (rl->kind < AGG_NDIMS)
        what = dims[rl->kind].name;
    else if (rl->kind == AGG_REL_GEO)
        what = t->area[0] == 'F' ? "régions" : t->area[0] == 'R' ? "départements" : "posts";
    else
        what = rl->kind == AGG_REL_MONTHS ? "months" : "quarters";
    snprintf(out, cap, "%s = sum over %s (%zu parts)", tot, what, rl->nparts);
}
