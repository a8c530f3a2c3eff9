/* publish.c: cells as each audience may see them, every view cut from one protection per year
 * (post cells included), with a cache keyed by the year's generation (see publish.h and
 * docs/indicators.md, "Publication"). */
#include "publish.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "ref.h"

#define CELLCOLS                                                                              \
    "area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode, num,"  \
    " den, value"

/* The cells a view may see, with the current observation status, in key order. */
static const char SQL_SELECT[] =
    "SELECT " CELLCOLS ", agg_obs_status(pstart, freq, $13::int), lvl"
    " FROM indicator"
    " WHERE ($1::text[] IS NULL OR mesure = ANY($1::text[]))"
    "   AND ($2::text[] IS NULL OR area = ANY($2::text[]))"
    "   AND ($3::text[] IS NULL OR period = ANY($3::text[]))"
    "   AND ($4::text[] IS NULL OR sexe = ANY($4::text[]))"
    "   AND ($5::text[] IS NULL OR age = ANY($5::text[]))"
    "   AND ($6::text[] IS NULL OR statut = ANY($6::text[]))"
    "   AND ($7::text[] IS NULL OR origine = ANY($7::text[]))"
    "   AND ($8::text[] IS NULL OR problematique = ANY($8::text[]))"
    "   AND ($9::text[] IS NULL OR partenaire = ANY($9::text[]))"
    "   AND ($10::text[] IS NULL OR mode = ANY($10::text[]))"
    "   AND ($11::date IS NULL OR pstart >= $11::date)"
    "   AND ($12::date IS NULL OR agg_period_end(pstart, freq) <= $12::date)"
    "   AND CASE $14::text WHEN 'analyst' THEN true"
    "                      WHEN 'post' THEN lvl <> 'P' OR area = $15::text"
    "                      ELSE lvl <> 'P' END"
    " ORDER BY area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode"
    " LIMIT $16::bigint";

/* A year's whole table, post cells included, for its protection: counted first (the array
 * is allocated once, at its size: a national year is ~1.3 million cells of 192 bytes), then
 * read through a cursor in batches (in the caller's REPEATABLE READ snapshot, so the count
 * holds). */
#define YEAR_WHERE " FROM indicator WHERE pstart >= $1::date AND pstart < $2::date"
static const char SQL_YEAR_COUNT[] = "SELECT count(*)" YEAR_WHERE;
static const char SQL_YEAR_CURSOR[] =
    "DECLARE agg_year NO SCROLL CURSOR FOR SELECT " CELLCOLS YEAR_WHERE;
static const char SQL_YEAR_FETCH[] = "FETCH 50000 FROM agg_year";
static const char SQL_YEAR_CLOSE[] = "CLOSE agg_year";

static const char SQL_GEN[] = "SELECT gen FROM agg_generation WHERE year = $1::int";

static const char SQL_BEGIN[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

const char *agg_unit(const char *m)
{
    if (strcmp(m, "NB_CONTACTS") == 0)
        return "CONTACTS";
    if (strcmp(m, "NB_PERSONNES") == 0 || strcmp(m, "NB_NOUVELLES") == 0)
        return "PERSONNES";
    if (strncmp(m, "PART_", 5) == 0 || strncmp(m, "TAUX_", 5) == 0)
        return "PCT";
    if (strcmp(m, "NB_POSTES_ACTIFS") == 0)
        return "POSTES";
    if (strcmp(m, "NB_GRILLES") == 0)
        return "GRILLES";
    return "";
}

/* ---- compact keys ---------------------------------------------------------------------- */

/* '0'-'9' -> 0-9, 'A' -> 10, 'B' -> 11, else -1. */
static int b12(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch == 'A' ? 10 : ch == 'B' ? 11 : -1;
}

/* Three characters of a département code padded with '0' ("093", "02A", "974") in base 12. */
static long dep3(const char *d, size_t len)
{
    char p[3] = {'0', '0', '0'};
    if (len < 2 || len > 3)
        return -1;
    memcpy(p + 3 - len, d, len);
    long v = 0;
    for (int i = 0; i < 3; i++) {
        int x = b12(p[i]);
        if (x < 0)
            return -1;
        v = v * 12 + x;
    }
    return v;
}

static long area_code(const char *a)
{
    size_t len = strlen(a);
    if (strcmp(a, "FR") == 0)
        return 0;
    if (a[0] == 'R' && len == 3 && b12(a[1]) >= 0 && b12(a[1]) < 10 && b12(a[2]) >= 0 &&
        b12(a[2]) < 10)
        return (1L << 18) | ((a[1] - '0') * 10 + (a[2] - '0'));
    if (a[0] == 'D') {
        long d = dep3(a + 1, len - 1);
        return d < 0 ? -1 : (2L << 18) | d;
    }
    if (len == 11 && strncmp(a, "ISCG-", 5) == 0 && a[8] == '-' && b12(a[9]) >= 0 &&
        b12(a[9]) < 10 && b12(a[10]) >= 0 && b12(a[10]) < 10) {
        long d = dep3(a + 5, 3);
        return d < 0 ? -1 : (3L << 18) | (d * 100 + (a[9] - '0') * 10 + (a[10] - '0'));
    }
    return -1;
}

int agg_cellkey(const agg_cell *c, uint64_t *key)
{
    static const ref_list lists[AGG_NDIMS] = {REF_SEXE,          REF_AGE,       REF_STATUT,
                                              REF_ORIGINE,       REF_PROBLEMATIQUE,
                                              REF_PARTENAIRE,    REF_MODE};
    static const int bits[AGG_NDIMS] = {3, 4, 3, 5, 6, 6, 4}; /* 31 bits */
    int m = ref_find(REF_MESURE, c->mesure);
    long a = area_code(c->area);
    size_t plen = strlen(c->period);
    int per = -1;
    if (plen == 4)
        per = 0;
    else if (plen == 7 && c->period[5] == 'Q')
        per = 12 + (c->period[6] - '0');
    else if (plen == 7)
        per = (c->period[5] - '0') * 10 + (c->period[6] - '0');
    if (m < 0 || m > 15 || a < 0 || per < 0 || per > 16)
        return -1;
    uint64_t k = ((uint64_t)m << 5) | (uint64_t)per;
    k = (k << 20) | (uint64_t)a;
    for (int d = 0; d < AGG_NDIMS; d++) {
        int v = 0;
        if (strcmp(c->dim[d], "_T") != 0) {
            int i = ref_find(lists[d], c->dim[d]);
            if (i < 0 || i + 1 >= (1 << bits[d]))
                return -1;
            v = i + 1;
        }
        k = (k << bits[d]) | (uint64_t)v;
    }
    *key = k; /* 4 + 5 + 20 + 31 = 60 bits */
    return 0;
}

/* ---- the protection cache -------------------------------------------------------------- */

typedef struct cache_ent {
    int year;
    long long gen;          /* -1: nothing computed yet */
    uint64_t *keys;         /* sorted; key << 2 | status (0 F, 1 C, 2 D) */
    size_t n;
    pthread_mutex_t mu;     /* held while computing or reading keys */
    struct cache_ent *next;
} cache_ent;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_ent *cache_head;

static cache_ent *cache_get(int year)
{
    pthread_mutex_lock(&cache_mu);
    cache_ent *c = cache_head;
    while (c && c->year != year)
        c = c->next;
    if (c == NULL && (c = calloc(1, sizeof *c)) != NULL) {
        c->year = year;
        c->gen = -1;
        pthread_mutex_init(&c->mu, NULL);
        c->next = cache_head;
        cache_head = c;
    }
    pthread_mutex_unlock(&cache_mu);
    return c;
}

void agg_publish_reset(void)
{
    pthread_mutex_lock(&cache_mu);
    while (cache_head) {
        cache_ent *c = cache_head;
        cache_head = c->next;
        pthread_mutex_destroy(&c->mu);
        free(c->keys);
        free(c);
    }
    pthread_mutex_unlock(&cache_mu);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a >> 2, y = *(const uint64_t *)b >> 2;
    return x < y ? -1 : x > y;
}

/* Copy column col of row i into dst (cap bytes, NUL-terminated, truncated: the codes of the
 * table are shorter than the fields, the schema's code lists make sure of it). */
static void copy_field(char *dst, size_t cap, const PGresult *r, int i, int col)
{
    size_t len = (size_t)PQgetlength(r, i, col);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, PQgetvalue(r, i, col), len);
    dst[len] = '\0';
}

static void row_to_cell(PGresult *r, int i, agg_cell *c)
{
    memset(c, 0, sizeof *c);
    copy_field(c->area, sizeof c->area, r, i, 0);
    copy_field(c->period, sizeof c->period, r, i, 1);
    copy_field(c->mesure, sizeof c->mesure, r, i, 2);
    for (int d = 0; d < AGG_NDIMS; d++)
        copy_field(c->dim[d], sizeof c->dim[d], r, i, 3 + d);
    c->num = strtol(PQgetvalue(r, i, 10), NULL, 10);
    c->den = PQgetisnull(r, i, 11) ? 0 : strtol(PQgetvalue(r, i, 11), NULL, 10);
    c->has_value = !PQgetisnull(r, i, 12);
    c->value = c->has_value ? strtod(PQgetvalue(r, i, 12), NULL) : 0.0;
    c->obs_status = 'P';
    c->conf_status = 'F';
}

/* Load the year's whole table (every level) into a new array *out of *n cells (free() it).
 * Runs inside the caller's transaction. */
static obs_status load_year(PGconn *c, int year, agg_cell **out, size_t *n, obs_err *e)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%04d-01-01", year);
    snprintf(to, sizeof to, "%04d-01-01", year + 1);
    const char *p[] = {from, to};
    PGresult *r = NULL;
    *out = NULL;
    *n = 0;
    obs_status rc = obs_db_exec(c, SQL_YEAR_COUNT, 2, p, &r, e);
    if (rc)
        return rc;
    size_t count = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    agg_cell *cells = malloc((count ? count : 1) * sizeof *cells);
    if (cells == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    if ((rc = obs_db_exec(c, SQL_YEAR_CURSOR, 2, p, NULL, e)))
        goto fail;
    for (;;) {
        if ((rc = obs_db_exec(c, SQL_YEAR_FETCH, 0, NULL, &r, e)))
            goto fail;
        size_t rows = (size_t)PQntuples(r);
        if (*n + rows > count) { /* cannot happen: same snapshot as the count */
            PQclear(r);
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "table de l'année modifiée");
            goto fail;
        }
        for (size_t i = 0; i < rows; i++)
            row_to_cell(r, (int)i, &cells[(*n)++]);
        PQclear(r);
        if (rows == 0)
            break;
    }
    if ((rc = obs_db_exec(c, SQL_YEAR_CLOSE, 0, NULL, NULL, e)))
        goto fail;
    *out = cells;
    return OBS_OK;
fail:
    free(cells);
    *n = 0;
    return rc;
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

/* Recompute the protection of entry ce (its mutex held) from the snapshot's table. */
static obs_status protect_year(PGconn *c, cache_ent *ce, long long gen, obs_err *e)
{
    agg_cell *cells = NULL;
    size_t n = 0;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    obs_status rc = load_year(c, ce->year, &cells, &n, e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == OBS_OK && n)
        rc = agg_sdc_apply(cells, n, obs_config_get()->sdc_k, e);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    uint64_t *keys = NULL;
    if (rc == OBS_OK && (keys = malloc((n ? n : 1) * sizeof *keys)) == NULL)
        rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        uint64_t k;
        if (agg_cellkey(&cells[i], &k))
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "cellule non codable");
        int st = cells[i].conf_status == 'C' ? 1 : cells[i].conf_status == 'D' ? 2 : 0;
        keys[i] = k << 2 | (uint64_t)st;
    }
    free(cells);
    if (rc) {
        free(keys);
        return rc;
    }
    qsort(keys, n, sizeof *keys, cmp_u64);
    free(ce->keys);
    ce->keys = keys;
    ce->n = n;
    ce->gen = gen;
    obs_log(OBS_LOG_INFO, "agg.protect", "year=%d cells=%zu gen=%lld load_ms=%ld sdc_ms=%ld",
            ce->year, n, gen, ms_between(&t0, &t1), ms_between(&t1, &t2));
    return OBS_OK;
}

static char lookup(const cache_ent *ce, const agg_cell *cell)
{
    uint64_t k;
    if (agg_cellkey(cell, &k))
        return 'C';
    uint64_t probe = k << 2;
    const uint64_t *hit = bsearch(&probe, ce->keys, ce->n, sizeof probe, cmp_u64);
    if (hit == NULL) { /* cannot happen: same snapshot; fail closed */
        obs_log(OBS_LOG_ERROR, "agg.protect", "missing=1 year=%d", ce->year);
        return 'C';
    }
    static const char st[4] = {'F', 'C', 'D', 'C'};
    return st[*hit & 3];
}

/* Set conf_status of every cell of year that needs protection (needs[i]). */
static obs_status protect_cells(PGconn *c, int year, agg_cell *cells, const unsigned char *needs,
                                size_t n, obs_err *e)
{
    char ys[16];
    snprintf(ys, sizeof ys, "%d", year);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_GEN, 1, (const char *[]){ys}, &r, e);
    if (rc)
        return rc;
    long long gen = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    cache_ent *ce = cache_get(year);
    if (ce == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    pthread_mutex_lock(&ce->mu);
    if (ce->gen != gen)
        rc = protect_year(c, ce, gen, e);
    for (size_t i = 0; rc == OBS_OK && i < n; i++)
        if (needs[i] && strncmp(cells[i].period, ys, 4) == 0)
            cells[i].conf_status = lookup(ce, &cells[i]);
    pthread_mutex_unlock(&ce->mu);
    return rc;
}

static void period_bounds(const agg_query *q, char *from, char *to, size_t cap)
{
    from[0] = to[0] = '\0';
    if (q && q->has_from)
        agg_month_date(agg_period_first(&q->from), from, cap);
    if (q && q->has_to)
        agg_month_date(agg_period_last(&q->to) + 1, to, cap);
}

static obs_status select_tx(PGconn *c, const agg_query *q, agg_view view, const char *post,
                            size_t max, agg_cell **out, size_t *n, obs_err *e)
{
    const char *p[16] = {0};
    for (int k = 0; k < AGG_F_COUNT; k++)
        p[k] = q ? q->list[k] : NULL;
    char from[24], to[24], lock[16], limit[32];
    period_bounds(q, from, to, sizeof from);
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    snprintf(limit, sizeof limit, "%zu", max ? max + 1 : (size_t)1 << 40);
    p[10] = from[0] ? from : NULL;
    p[11] = to[0] ? to : NULL;
    p[12] = lock;
    p[13] = view == AGG_VIEW_ANALYST ? "analyst" : view == AGG_VIEW_POST ? "post" : "public";
    p[14] = post ? post : "";
    p[15] = limit;
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_SELECT, 16, p, &r, e);
    if (rc)
        return rc;
    size_t rows = (size_t)PQntuples(r);
    if (max && rows > max) {
        PQclear(r);
        return obs_fail(e, OBS_ERR_TOO_LARGE, "E_TOO_MANY_CELLS",
                        "plus de %zu cellules : précisez les filtres (mesure, area, period, "
                        "from, to...)", max);
    }
    agg_cell *cells = malloc((rows ? rows : 1) * sizeof *cells);
    unsigned char *needs = malloc(rows ? rows : 1);
    if (cells == NULL || needs == NULL) {
        PQclear(r);
        free(cells);
        free(needs);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    int years[64], nyears = 0;
    for (size_t i = 0; i < rows; i++) {
        row_to_cell(r, (int)i, &cells[i]);
        cells[i].obs_status = PQgetvalue(r, (int)i, 13)[0];
        int own = view == AGG_VIEW_POST && strcmp(cells[i].area, post) == 0;
        needs[i] = !own;
        int y = (int)strtol(cells[i].period, NULL, 10), seen = 0;
        for (int j = 0; j < nyears; j++)
            seen |= years[j] == y;
        if (needs[i] && !seen && nyears < (int)OBS_ARRAY_LEN(years))
            years[nyears++] = y;
    }
    PQclear(r);
    for (int j = 0; rc == OBS_OK && j < nyears; j++)
        rc = protect_cells(c, years[j], cells, needs, rows, e);
    free(needs);
    if (rc == OBS_OK && nyears == (int)OBS_ARRAY_LEN(years))
        rc = obs_fail(e, OBS_ERR_TOO_LARGE, "E_TOO_MANY_CELLS",
                      "trop d'années demandées à la fois : précisez from et to");
    if (rc) {
        free(cells);
        return rc;
    }
    *out = cells;
    *n = rows;
    return OBS_OK;
}

obs_status agg_select_cells(PGconn *c, const agg_query *q, agg_view view, const char *post,
                            size_t max, agg_cell **out, size_t *n, obs_err *e)
{
    *out = NULL;
    *n = 0;
    if (view == AGG_VIEW_POST && post == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "vue poste sans poste");
    obs_status rc = obs_db_run(c, SQL_BEGIN, e);
    if (rc)
        return rc;
    rc = select_tx(c, q, view, post, max, out, n, e);
    PGresult *r = PQexec(c, rc ? "ROLLBACK" : "COMMIT");
    PQclear(r);
    return rc;
}

obs_status agg_published_cells(PGconn *c, const agg_query *q, int include_posts, agg_cell **out,
                               size_t *n, obs_err *e)
{
    return agg_select_cells(c, q, include_posts ? AGG_VIEW_ANALYST : AGG_VIEW_PUBLIC, NULL, 0,
                            out, n, e);
}
