/* relations_key.c: the key index of a table of cells for agg_relset_build: every distinct
 * string interned once and numbered in lexicographic order, keys as tuples of those numbers in
 * an open-addressing table, cells sorted by key (see relations_build.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "period.h"
#include "relations_build.h"

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

uint32_t agg_str_find(const agg_keyidx *x, const char *s)
{
    for (size_t i = (size_t)str_hash(s) & x->smask; x->smap[i]; i = (i + 1) & x->smask)
        if (strcmp(x->str[x->smap[i] - 1], s) == 0)
            return x->smap[i] - 1;
    return AGG_NO_ID;
}

/* Intern s (which must outlive the build): its id, or AGG_NO_ID on memory exhaustion. */
static uint32_t str_intern(agg_keyidx *x, const char *s)
{
    size_t i = (size_t)str_hash(s) & x->smask;
    for (; x->smap[i]; i = (i + 1) & x->smask)
        if (strcmp(x->str[x->smap[i] - 1], s) == 0)
            return x->smap[i] - 1;
    if (2 * (x->nstr + 1) > x->smask + 1) { /* keep the load under one half */
        size_t size = 2 * (x->smask + 1);
        uint32_t *m = calloc(size, sizeof *m);
        if (m == NULL)
            return AGG_NO_ID;
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
            return AGG_NO_ID;
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

size_t agg_key_probe(const agg_keyidx *x, const uint32_t *t)
{
    size_t s = (size_t)tup_hash(t) & x->cmask;
    while (x->cmap[s] != AGG_NONE &&
           memcmp(&x->tup[x->cmap[s] * NFIELDS], t, NFIELDS * sizeof *t) != 0)
        s = (s + 1) & x->cmask;
    return s;
}

size_t agg_key_find(const agg_keyidx *x, const uint32_t *t)
{
    return x->cmap[agg_key_probe(x, t)];
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

obs_status agg_keyidx_index(agg_keyidx *x, agg_relset *rs, obs_err *e)
{
    const agg_cell *cells = x->cells;
    size_t n = x->n;
    for (size_t i = 0; i < n; i++) {
        int cls;
        agg_period per;
        if (!fields_terminated(&cells[i]) || (cls = agg_mesure_class(cells[i].mesure)) < 0 ||
            agg_period_parse(cells[i].period, &per) < 0)
            return obs_fail(e, OBS_ERR_INPUT, "E_SDC_CELL",
                            "cellule %zu : mesure, période ou champ invalide", i);
        rs->mclass[i] = (unsigned char)cls;
        for (int f = 0; f < NFIELDS; f++)
            if ((x->tup[i * NFIELDS + (size_t)f] = str_intern(x, field(&cells[i], f))) == AGG_NO_ID)
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
