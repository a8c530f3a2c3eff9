/* publish.c: cells as each audience may see them, every view cut from one protection per year
 * (post cells included, protect.h): protected readers read the published round's snapshot,
 * a post's own cells are read as they are now (see publish.h and docs/indicators.md,
 * "Publication" and "Publication lag"). */
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "db_read.h"
#include "log.h"
#include "protect.h"
#include "ref.h"

/* The cells a view may see, with the current observation status, in key order, from the
 * source view: indicator_areas_now for the public (area rows only: the post rows are not
 * scanned, migration 015), indicator_now for analysts and a post's own cells. */
#define SQL_SELECT_FROM(source)                                                               \
    "SELECT " AGG_CELLCOLS ", agg_obs_status(pstart, freq, $13::int), lvl"                    \
    " FROM " source                                                                           \
    " WHERE ($1::text[] IS NULL OR mesure = ANY($1::text[]))"                                 \
    "   AND ($2::text[] IS NULL OR area = ANY($2::text[]))"                                   \
    "   AND ($3::text[] IS NULL OR period = ANY($3::text[]))"                                 \
    "   AND ($4::text[] IS NULL OR sexe = ANY($4::text[]))"                                   \
    "   AND ($5::text[] IS NULL OR age = ANY($5::text[]))"                                    \
    "   AND ($6::text[] IS NULL OR statut = ANY($6::text[]))"                                 \
    "   AND ($7::text[] IS NULL OR origine = ANY($7::text[]))"                                \
    "   AND ($8::text[] IS NULL OR problematique = ANY($8::text[]))"                          \
    "   AND ($9::text[] IS NULL OR partenaire = ANY($9::text[]))"                             \
    "   AND ($10::text[] IS NULL OR mode = ANY($10::text[]))"                                 \
    "   AND ($11::date IS NULL OR pstart >= $11::date)"                                       \
    "   AND ($12::date IS NULL OR agg_period_end(pstart, freq) <= $12::date)"                 \
    "   AND CASE $14::text WHEN 'analyst' THEN true"                                          \
    "                      WHEN 'own' THEN area = $15::text"                                  \
    "                      ELSE lvl <> 'P' END"                                               \
    " ORDER BY area, period, mesure, sexe, age, statut, origine, problematique, partenaire,"  \
    "   mode"                                                                                 \
    " LIMIT $16::bigint"
static const char SQL_SELECT[] = SQL_SELECT_FROM("indicator_now");
static const char SQL_SELECT_PUBLIC[] = SQL_SELECT_FROM("indicator_areas_now");

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

/* ---- reading cells --------------------------------------------------------------------- */

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

void agg_cell_from_row(PGresult *r, int i, agg_cell *c)
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

static obs_status too_many(size_t max, obs_err *e)
{
    return obs_fail(e, OBS_ERR_TOO_LARGE, "E_TOO_MANY_CELLS",
                    "plus de %zu cellules : précisez les filtres (mesure, area, period, from, "
                    "to...)", max);
}

static void period_bounds(const agg_query *q, char *from, char *to, size_t cap)
{
    from[0] = to[0] = '\0';
    if (q && q->has_from)
        agg_month_date(agg_period_first(&q->from), from, cap);
    if (q && q->has_to)
        agg_month_date(agg_period_last(&q->to) + 1, to, cap);
}

/* The cells of q that the audience who ("public", "analyst", "own": one post's cells only)
 * may see, in key order, into a new array (free() it). */
static obs_status run_select(PGconn *c, const agg_query *q, const char *who, const char *post,
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
    p[13] = who;
    p[14] = post ? post : "";
    p[15] = limit;
    PGresult *r = NULL;
    *out = NULL;
    *n = 0;
    int pub = strcmp(who, "public") == 0;
    obs_status rc = obs_db_exec(c, pub ? SQL_SELECT_PUBLIC : SQL_SELECT, 16, p, &r, e);
    if (rc)
        return rc;
    size_t rows = (size_t)PQntuples(r);
    if (max && rows > max) {
        PQclear(r);
        return too_many(max, e);
    }
    agg_cell *cells = malloc((rows ? rows : 1) * sizeof *cells);
    if (cells == NULL) {
        PQclear(r);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    for (size_t i = 0; i < rows; i++) {
        agg_cell_from_row(r, (int)i, &cells[i]);
        cells[i].obs_status = PQgetvalue(r, (int)i, 13)[0];
    }
    PQclear(r);
    *out = cells;
    *n = rows;
    return OBS_OK;
}

/* ---- protecting them ------------------------------------------------------------------- */

/* Where the protections come from: the round (its snapshot holds their generations), or
 * the reader's own snapshot (live: each year's protection at the generation it sees). */
typedef struct prot_src {
    agg_round *round; /* NULL: live */
    PGconn *c;
    agg_prot *held[AGG_ROUND_YEARS]; /* live: the references taken */
    int nheld;
} prot_src;

static const char SQL_GEN[] =
    "SELECT gen, to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM agg_generation WHERE year = $1::int";

/* The protection of year for s: the round's (NULL when the year had no generation then), or
 * live the one at the generation the reader's snapshot holds, computed when not known yet. */
static obs_status prot_of(prot_src *s, int year, const agg_prot **out, obs_err *e)
{
    *out = NULL;
    if (s->round) {
        *out = agg_round_prot(s->round, year);
        return OBS_OK;
    }
    for (int k = 0; k < s->nheld; k++)
        if (s->held[k]->year == year) {
            *out = s->held[k];
            return OBS_OK;
        }
    if (s->nheld == AGG_ROUND_YEARS)
        return obs_fail(e, OBS_ERR_TOO_LARGE, "E_TOO_MANY_CELLS",
                        "trop d'années demandées à la fois : précisez from et to");
    char ys[16];
    snprintf(ys, sizeof ys, "%d", year);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(s->c, SQL_GEN, 1, (const char *[]){ys}, &r, e);
    if (rc)
        return rc;
    long long gen = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    char changed[24] = "";
    if (PQntuples(r))
        snprintf(changed, sizeof changed, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    agg_prot *p = NULL;
    if ((rc = agg_prot_get(s->c, year, gen, changed, &p, e)) == OBS_OK) {
        s->held[s->nheld++] = p;
        *out = p;
    }
    return rc;
}

/* Set conf_status of every cell from its year's protection (key order is area first, so
 * years interleave: the last one found is kept). The answer is as of the latest change of
 * the years it shows. */
static obs_status protect_all(prot_src *s, agg_cell *cells, size_t n, char as_of[24], obs_err *e)
{
    const agg_prot *p = NULL;
    int year = -1;
    for (size_t i = 0; i < n; i++) {
        int y = (int)strtol(cells[i].period, NULL, 10);
        if (y != year) {
            obs_status rc = prot_of(s, y, &p, e);
            if (rc)
                return rc;
            year = y;
            if (p && strcmp(p->changed_at, as_of) > 0)
                snprintf(as_of, 24, "%s", p->changed_at);
        }
        cells[i].conf_status = p ? agg_prot_status(p, &cells[i]) : 'C'; /* fail closed */
    }
    return OBS_OK;
}

static const char SQL_BEGIN[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/* In one REPEATABLE READ snapshot: the protected cells the audience who sees. With
 * use_round, the latest round's snapshot and protection (taken once this transaction holds
 * its connection: agg_round_latest); *broken is set when its snapshot cannot be imported any
 * more (its connection was lost: the round is marked, OBS_ERR_DB returned). Else (or with no
 * round) the reader's own snapshot, protected live. */
static obs_status protected_select(PGconn *c, int use_round, const agg_query *q,
                                   const char *who, size_t max, agg_selection *out,
                                   int *broken, obs_err *e)
{
    *broken = 0;
    obs_status rc = obs_db_run(c, SQL_BEGIN, e);
    if (rc)
        return rc;
    agg_round *round = use_round ? agg_round_latest() : NULL;
    if (round) {
        char set[96];
        snprintf(set, sizeof set, "SET TRANSACTION SNAPSHOT '%s'", round->snapshot);
        if ((rc = obs_db_run(c, set, e)) != OBS_OK)
            round->broken = *broken = 1;
    }
    prot_src s = {.round = round, .c = c};
    if (rc == OBS_OK)
        rc = run_select(c, q, who, NULL, max, &out->cells, &out->n, e);
    if (rc == OBS_OK)
        rc = protect_all(&s, out->cells, out->n, out->as_of, e);
    for (int k = 0; k < s.nheld; k++)
        agg_prot_release(s.held[k]);
    agg_round_release(round);
    PGresult *r = PQexec(c, rc ? "ROLLBACK" : "COMMIT");
    PQclear(r);
    if (rc) {
        free(out->cells);
        out->cells = NULL;
        out->n = 0;
    }
    return rc;
}

/* Insert a post's own cells (one area: a contiguous run in key order, which sorts after
 * "FR" and the "D" codes and before the "R" codes whatever the collation) among the others. */
static obs_status merge_own(agg_selection *s, agg_cell *own, size_t nown, const char *post,
                            size_t max, obs_err *e)
{
    if (max && s->n + nown > max)
        return too_many(max, e);
    agg_cell *all = realloc(s->cells, (s->n + nown ? s->n + nown : 1) * sizeof *all);
    if (all == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    size_t at = 0;
    while (at < s->n && strcmp(all[at].area, post) < 0)
        at++;
    memmove(all + at + nown, all + at, (s->n - at) * sizeof *all);
    memcpy(all + at, own, nown * sizeof *all);
    s->cells = all;
    s->n += nown;
    return OBS_OK;
}

obs_status agg_select(PGconn *c, const agg_query *q, agg_view view, const char *post,
                      size_t max, agg_selection *out, obs_err *e)
{
    memset(out, 0, sizeof *out);
    if (view == AGG_VIEW_POST && post == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "vue poste sans poste");
    const char *who = view == AGG_VIEW_ANALYST ? "analyst" : "public";
    int use_round = !obs_db_is_replica(c), broken = 0;
    if (use_round && agg_round_ready(e) != OBS_OK) {
        obs_log(OBS_LOG_WARN, "agg.round", "code=%s", e->code); /* protect live instead */
        obs_err_clear(e);
    }
    obs_status rc = protected_select(c, use_round, q, who, max, out, &broken, e);
    if (rc && broken) { /* the round's connection is gone: live, this once */
        obs_err_clear(e);
        rc = protected_select(c, 0, q, who, max, out, &broken, e);
    }
    if (rc == OBS_OK && view == AGG_VIEW_POST) { /* its own cells as they are now */
        agg_cell *own = NULL;
        size_t nown = 0;
        rc = run_select(c, q, "own", post, max, &own, &nown, e);
        if (rc == OBS_OK)
            rc = merge_own(out, own, nown, post, max, e);
        free(own);
    }
    if (rc) {
        free(out->cells);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

obs_status agg_select_cells(PGconn *c, const agg_query *q, agg_view view, const char *post,
                            size_t max, agg_cell **out, size_t *n, obs_err *e)
{
    agg_selection s;
    obs_status rc = agg_select(c, q, view, post, max, &s, e);
    *out = s.cells;
    *n = s.n;
    return rc;
}

obs_status agg_published_cells(PGconn *c, const agg_query *q, int include_posts, agg_cell **out,
                               size_t *n, obs_err *e)
{
    agg_selection s;
    memset(&s, 0, sizeof s);
    int broken = 0;
    obs_status rc =
        protected_select(c, 0, q, include_posts ? "analyst" : "public", 0, &s, &broken, e);
    *out = s.cells;
    *n = s.n;
    return rc;
}

obs_status agg_round_cells(agg_round *r, const agg_query *q, int include_posts,
                           agg_cell **out, size_t *n, obs_err *e)
{
    prot_src s = {.round = r, .c = r->conn};
    char as_of[24] = "";
    obs_status rc = run_select(r->conn, q, include_posts ? "analyst" : "public", NULL, 0, out,
                               n, e);
    if (rc == OBS_OK && (rc = protect_all(&s, *out, *n, as_of, e)) != OBS_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void agg_publish_reset(void)
{
    agg_protect_reset();
}
