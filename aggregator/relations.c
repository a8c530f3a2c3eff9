/* relations.c: index a table of cells by key and enumerate its additive relations (partitions,
 * geography, time) and the counts each percentage is computed from; shared by sdc.c and
 * disclosure_audit.c so that the protection and its audit reason about the same relations.
 */
#include "relations.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "ref.h"

/* Fields of a key: measure, area, period, then one per breakdown dimension. */
#define NFIELDS (3 + AGG_NDIMS)

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

/* The builder's working state. Every distinct string of the table (measure, area, period and
 * breakdown codes alike) is interned once and numbered in lexicographic order, so that a key
 * becomes NFIELDS small integers: comparing two such tuples field by field gives the order of
 * the key strings, and hashing them is cheap. */
typedef struct ctx {
    const agg_cell *cells;
    size_t n;
    const char **str;   /* interned strings (pointing into cells), by id */
    size_t nstr, strcap;
    uint32_t *smap;     /* string table slots: id + 1, 0 = empty */
    size_t smask;
    uint32_t *tup;      /* n * NFIELDS string ids, the cells' keys */
    size_t *cmap;       /* key table slots: cell index, AGG_NONE = empty */
    size_t cmask;
} ctx;

#define NO_ID UINT32_MAX

static const char *field(const agg_cell *c, int f)
{
    return f == 0 ? c->mesure : f == 1 ? c->area : f == 2 ? c->period : c->dim[f - 3];
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* The id of string s, or NO_ID when no cell uses it. */
static uint32_t str_find(const ctx *x, const char *s)
{
    for (size_t i = (size_t)str_hash(s) & x->smask; x->smap[i]; i = (i + 1) & x->smask)
        if (strcmp(x->str[x->smap[i] - 1], s) == 0)
            return x->smap[i] - 1;
    return NO_ID;
}

/* Intern s (which must outlive the build): its id, or NO_ID on memory exhaustion. */
static uint32_t str_intern(ctx *x, const char *s)
{
    size_t i = (size_t)str_hash(s) & x->smask;
    for (; x->smap[i]; i = (i + 1) & x->smask)
        if (strcmp(x->str[x->smap[i] - 1], s) == 0)
            return x->smap[i] - 1;
    if (2 * (x->nstr + 1) > x->smask + 1) { /* keep the load under one half */
        size_t size = 2 * (x->smask + 1);
        uint32_t *m = calloc(size, sizeof *m);
        if (m == NULL)
            return NO_ID;
        for (size_t j = 0; j < x->nstr; j++) {
            size_t k = (size_t)str_hash(x->str[j]) & (size - 1);
            while (m[k])
                k = (k + 1) & (size - 1);
            m[k] = (uint32_t)j + 1;
        }
        free(x->smap);
        x->smap = m;
        x->smask = size - 1;
        return str_intern(x, s);
    }
    if (x->nstr == x->strcap) {
        size_t cap = x->strcap ? 2 * x->strcap : 256;
        const char **v = realloc(x->str, cap * sizeof *v);
        if (v == NULL)
            return NO_ID;
        x->str = v;
        x->strcap = cap;
    }
    x->str[x->nstr] = s;
    x->smap[i] = (uint32_t)++x->nstr;
    return (uint32_t)(x->nstr - 1);
}

static uint64_t tup_hash(const uint32_t *t)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int f = 0; f < NFIELDS; f++) {
        h = (h ^ t[f]) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    return h;
}

/* Find a key: the slot holding it, or the empty slot where it would go. */
static size_t key_probe(const ctx *x, const uint32_t *t)
{
    size_t s = (size_t)tup_hash(t) & x->cmask;
    while (x->cmap[s] != AGG_NONE &&
           memcmp(&x->tup[x->cmap[s] * NFIELDS], t, NFIELDS * sizeof *t) != 0)
        s = (s + 1) & x->cmask;
    return s;
}

/* The cell with key t, or AGG_NONE. */
static size_t key_find(const ctx *x, const uint32_t *t)
{
    return x->cmap[key_probe(x, t)];
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
static obs_status link_parent(const ctx *x, const uint32_t *pk, size_t part, int kind, mvec *m)
{
    size_t total = key_find(x, pk);
    return total == AGG_NONE ? OBS_OK : mvec_push(m, total, part, kind);
}

/* Parents of the table's areas and periods, computed once per distinct string id. */
typedef struct ups {
    uint32_t *geo;         /* parent area id, NO_ID when none or not in the table */
    uint32_t *quarter;     /* a month's quarter id */
    uint32_t *year;        /* a month's or quarter's year id */
    unsigned char *astate; /* area: 0 not computed, 1 computed */
    unsigned char *pstate; /* period: 0 not computed, else 1 + period kind */
    uint32_t id_total;     /* id of "_T", NO_ID when no cell uses it */
} ups;

/* Compute the parents of area id a and period id p (once each). 0, or -1 for an area code
 * that is not FR, a région, a known département or a post of one. */
static int compute_ups(const ctx *x, ups *u, uint32_t a, uint32_t p)
{
    char buf[16];
    if (!u->astate[a]) {
        if (geo_parent(x->str[a], buf, sizeof buf) == NULL)
            return -1;
        u->geo[a] = buf[0] ? str_find(x, buf) : NO_ID;
        u->astate[a] = 1;
    }
    if (!u->pstate[p]) {
        agg_period per;
        int kind = period_kind(x->str[p], &per);
        u->quarter[p] = u->year[p] = NO_ID;
        if (kind == PER_M) {
            agg_month_quarter(per.year, per.sub, buf, sizeof buf);
            u->quarter[p] = str_find(x, buf);
        }
        if (kind == PER_M || kind == PER_Q) {
            agg_period year = {'A', per.year, 0};
            agg_period_format(&year, buf, sizeof buf);
            u->year[p] = str_find(x, buf);
        }
        u->pstate[p] = (unsigned char)(1 + kind);
    }
    return 0;
}

/* Memberships of cell i: for a count, partition, geography and time; for a percentage of
 * agg_mesure_hidden, geography only (persons are not additive over time). */
static obs_status cell_memberships(const ctx *x, const ups *u, size_t i, mvec *m)
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
    if (u->geo[t[1]] != NO_ID) {
        memcpy(pk, t, sizeof pk);
        pk[1] = u->geo[t[1]];
        if ((rc = link_parent(x, pk, i, AGG_REL_GEO, m)))
            return rc;
    }
    /* (c) time: contacts, and new persons (a first contact ever falls in one month only). */
    if (contacts || strcmp(c->mesure, "NB_NOUVELLES") == 0) {
        int month = u->pstate[t[2]] == 1 + PER_M;
        memcpy(pk, t, sizeof pk);
        if (month && u->quarter[t[2]] != NO_ID) {
            pk[2] = u->quarter[t[2]];
            if ((rc = link_parent(x, pk, i, AGG_REL_MONTHS, m)))
                return rc;
        }
        if (u->year[t[2]] != NO_ID) {
            pk[2] = u->year[t[2]];
            if ((rc = link_parent(x, pk, i, month ? AGG_REL_MONTHS : AGG_REL_QUARTERS, m)))
                return rc;
        }
    }
    return OBS_OK;
}

typedef struct sortent {
    const uint32_t *t;
    size_t i;
} sortent;

static int cmp_tuple(const void *a, const void *b)
{
    const uint32_t *ta = ((const sortent *)a)->t, *tb = ((const sortent *)b)->t;
    for (int f = 0; f < NFIELDS; f++)
        if (ta[f] != tb[f])
            return ta[f] < tb[f] ? -1 : 1;
    return 0;
}

typedef struct strent {
    const char *s;
    uint32_t id;
} strent;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(((const strent *)a)->s, ((const strent *)b)->s);
}

static int fields_terminated(const agg_cell *c)
{
    if (!memchr(c->mesure, 0, sizeof c->mesure) || !memchr(c->area, 0, sizeof c->area) ||
        !memchr(c->period, 0, sizeof c->period))
        return 0;
    for (int d = 0; d < AGG_NDIMS; d++)
        if (!memchr(c->dim[d], 0, sizeof c->dim[d]))
            return 0;
    return 1;
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

/* Check the identifiers, intern them, renumber the strings in lexicographic order, and sort
 * the cells by key: fills x->tup, rs->mclass, rs->order and rs->rank. */
static obs_status index_cells(ctx *x, agg_relset *rs, obs_err *e)
{
    const agg_cell *cells = x->cells;
    size_t n = x->n;
    for (size_t i = 0; i < n; i++) {
        int cls;
        agg_period per;
        if (!fields_terminated(&cells[i]) || (cls = agg_mesure_class(cells[i].mesure)) < 0 ||
            period_kind(cells[i].period, &per) == PER_BAD)
            return obs_fail(e, OBS_ERR_INPUT, "E_SDC_CELL",
                            "cellule %zu : mesure, période ou champ invalide", i);
        rs->mclass[i] = (unsigned char)cls;
        for (int f = 0; f < NFIELDS; f++)
            if ((x->tup[i * NFIELDS + (size_t)f] = str_intern(x, field(&cells[i], f))) == NO_ID)
                return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }

    /* Renumber: new id = rank of the string. */
    strent *se = malloc((x->nstr ? x->nstr : 1) * sizeof *se);
    uint32_t *newid = malloc((x->nstr ? x->nstr : 1) * sizeof *newid);
    sortent *s = malloc((n ? n : 1) * sizeof *s);
    if (!se || !newid || !s) {
        free(se);
        free(newid);
        free(s);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    for (size_t j = 0; j < x->nstr; j++)
        se[j] = (strent){x->str[j], (uint32_t)j};
    qsort(se, x->nstr, sizeof *se, cmp_str);
    for (size_t j = 0; j < x->nstr; j++) {
        newid[se[j].id] = (uint32_t)j;
        x->str[j] = se[j].s;
    }
    for (size_t j = 0; j <= x->smask; j++)
        if (x->smap[j])
            x->smap[j] = newid[x->smap[j] - 1] + 1;
    for (size_t j = 0; j < n * NFIELDS; j++)
        x->tup[j] = newid[x->tup[j]];

    for (size_t i = 0; i < n; i++)
        s[i] = (sortent){&x->tup[i * NFIELDS], i};
    qsort(s, n, sizeof *s, cmp_tuple);
    obs_status rc = OBS_OK;
    for (size_t r = 0; r < n; r++) {
        if (r > 0 && cmp_tuple(&s[r - 1], &s[r]) == 0) {
            const agg_cell *c = &cells[s[r].i];
            rc = obs_fail(e, OBS_ERR_INPUT, "E_SDC_DUPLICATE", "cellule en double : %s %s %s",
                          c->mesure, c->area, c->period);
            break;
        }
        rs->order[r] = s[r].i;
        rs->rank[s[r].i] = r;
    }
    free(se);
    free(newid);
    free(s);
    return rc;
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
static obs_status cell_sources(const ctx *x, uint32_t id_total, const agg_relset *rs, size_t i,
                               srcvec *v)
{
    const uint32_t *t = &x->tup[i * NFIELDS];
    size_t from = v->n;
    obs_status rc = OBS_OK;
    for (size_t s = 0; rc == OBS_OK && s < OBS_ARRAY_LEN(srcdefs); s++) {
        const struct srcdef *d = &srcdefs[s];
        uint32_t k[NFIELDS];
        if (strcmp(x->cells[i].mesure, d->pct) != 0 || (k[0] = str_find(x, d->mesure)) == NO_ID)
            continue;
        memcpy(k + 1, t + 1, (NFIELDS - 1) * sizeof *k);
        if (d->dim != SRC_SAME) {
            if (id_total == NO_ID)
                continue;
            for (int f = 0; f < AGG_NDIMS; f++)
                k[3 + f] = id_total;
        }
        if (d->dim < 0) {
            rc = src_add(v, rs, from, key_find(x, k), (int)d->role);
            continue;
        }
        size_t ncodes = d->code ? 1 : ref_count(dims[d->dim].list);
        for (size_t c = 0; rc == OBS_OK && c < ncodes; c++) {
            k[3 + d->dim] = str_find(x, d->code ? d->code : ref_at(dims[d->dim].list, c)->code);
            if (k[3 + d->dim] != NO_ID)
                rc = src_add(v, rs, from, key_find(x, k), (int)d->role);
        }
    }
    return rc;
}

/* Fill rs->src_off/src/src_role (the sources of every percentage) and the reverse index
 * rs->dep_off/dep (the percentages of every source, in key order). */
static obs_status link_percentages(const ctx *x, uint32_t id_total, agg_relset *rs)
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
    ctx x = {0};
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
    if ((rc = index_cells(&x, rs, e)))
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
    for (size_t i = 0; i < n; i++) /* keys are unique: index_cells checked */
        x.cmap[key_probe(&x, &x.tup[i * NFIELDS])] = i;
    u.id_total = str_find(&x, "_T");

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
        (rc = link_percentages(&x, u.id_total, rs)))
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
