/* sdmx_source.c: reading one publication run's observations (sdmx_source.h): keyset
 * pagination in series order over the versioned rows of sdmx_vintage
 * (migrations/003_sdmx_vintages.sql). */
#include "sdmx_source.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

static const char *const COLS[EXP_NDIMS + 1] = {
    "freq",    "area",          "mesure",     "sexe", "age",    "statut",
    "origine", "problematique", "partenaire", "mode", "period",
};

obs_status exp_source_init(exp_source *src, const exp_data_query *q, const exp_run *run,
                           long long updated_after_run, obs_err *e)
{
    memset(src, 0, sizeof *src);
    for (int d = 0; d < EXP_NDIMS; d++)
        if (exp_query_array(q, d, src->arrays[d], sizeof src->arrays[d]))
            return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "filtre trop long");
    src->has_start = q->start_month >= 0;
    src->has_end = q->end_month >= 0;
    snprintf(src->start, sizeof src->start, "%d", q->start_month);
    snprintf(src->end, sizeof src->end, "%d", q->end_month);
    snprintf(src->run, sizeof src->run, "%lld", run->id);
    src->has_upd = updated_after_run >= 0;
    snprintf(src->upd, sizeof src->upd, "%lld", updated_after_run);
    /* Sort columns: the series key (every key dimension but the observation one, then the
     * period when it is part of the key), then the observation dimension. */
    int g = q->dim_at_obs == EXP_DIM_ALL ? EXP_DIM_TIME : q->dim_at_obs, k = 0;
    for (int d = 0; d < EXP_NDIMS; d++)
        if (d != g)
            src->order[k++] = d;
    if (g != EXP_DIM_TIME)
        src->order[k++] = EXP_DIM_TIME;
    src->order[k++] = g;
    char order[256] = "", cursor[512] = "";
    size_t on = 0, cn = 0;
    for (int i = 0; i <= EXP_NDIMS; i++) {
        int a = snprintf(order + on, sizeof order - on, "%s%s", i ? ", " : "",
                         COLS[src->order[i]]);
        int b = snprintf(cursor + cn, sizeof cursor - cn, "%s$%d::%s", i ? ", " : "", 15 + i,
                         src->order[i] == EXP_D_FREQ ? "bpchar" : "text");
        if (a < 0 || (size_t)a >= sizeof order - on || b < 0 || (size_t)b >= sizeof cursor - cn)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
        on += (size_t)a;
        cn += (size_t)b;
    }
    /* The run's rows, always by the historical filter: a streamed answer reads its run page
     * by page, and a run recorded meanwhile ends rows of the run in force (to_run set) and
     * adds rows after it; "to_run IS NULL" would then lose the first and never see the
     * second. */
    char where[1024];
    int wn = snprintf(where, sizeof where,
                      " FROM sdmx_vintage"
                      " WHERE from_run <= $14::bigint"
                      " AND (to_run IS NULL OR to_run > $14::bigint)"
                      " AND ($1::text[] IS NULL OR freq = ANY($1::bpchar[]))"
                      " AND ($2::text[] IS NULL OR area = ANY($2::text[]))"
                      " AND ($3::text[] IS NULL OR mesure = ANY($3::text[]))"
                      " AND ($4::text[] IS NULL OR sexe = ANY($4::text[]))"
                      " AND ($5::text[] IS NULL OR age = ANY($5::text[]))"
                      " AND ($6::text[] IS NULL OR statut = ANY($6::text[]))"
                      " AND ($7::text[] IS NULL OR origine = ANY($7::text[]))"
                      " AND ($8::text[] IS NULL OR problematique = ANY($8::text[]))"
                      " AND ($9::text[] IS NULL OR partenaire = ANY($9::text[]))"
                      " AND ($10::text[] IS NULL OR mode = ANY($10::text[]))"
                      " AND ($11::int IS NULL OR %s >= $11::int)"
                      " AND ($12::int IS NULL OR %s <= $12::int)"
                      " AND ($13::bigint IS NULL OR from_run > $13::bigint)",
                      q->period_within ? "pfirst" : "plast",
                      q->period_within ? "plast" : "pfirst");
    if (wn < 0 || (size_t)wn >= sizeof where)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
    const char *sel = "SELECT " EXP_VINTAGE_KEYCOLS ", period, value, obs_status, conf_status";
    int n1 = snprintf(src->sql_first, sizeof src->sql_first, "%s%s ORDER BY %s LIMIT $15::int",
                      sel, where, order);
    int n2 = snprintf(src->sql_next, sizeof src->sql_next,
                      "%s%s AND (%s) > (%s) ORDER BY %s LIMIT $26::int", sel, where, order,
                      cursor, order);
    int n3 = snprintf(src->sql_count, sizeof src->sql_count,
                      "SELECT count(*)%s AND $15::int IS NOT NULL", where);
    if (n1 < 0 || (size_t)n1 >= sizeof src->sql_first || n2 < 0 ||
        (size_t)n2 >= sizeof src->sql_next || n3 < 0 || (size_t)n3 >= sizeof src->sql_count)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
    return OBS_OK;
}

/* Parameters $1..$14 (and $15 for a first page or a count). */
static int base_params(const exp_source *src, const char **p, const char *limit)
{
    for (int d = 0; d < EXP_NDIMS; d++)
        p[d] = src->arrays[d][0] ? src->arrays[d] : NULL;
    p[10] = src->has_start ? src->start : NULL;
    p[11] = src->has_end ? src->end : NULL;
    p[12] = src->has_upd ? src->upd : NULL;
    p[13] = src->run;
    p[14] = limit;
    return 15;
}

static void row_obs(PGresult *r, int i, exp_obs *o)
{
    memset(o, 0, sizeof *o);
    for (int d = 0; d < EXP_NDIMS; d++)
        snprintf(o->key[d], sizeof o->key[d], "%s", PQgetvalue(r, i, d));
    snprintf(o->period, sizeof o->period, "%s", PQgetvalue(r, i, 10));
    o->has_value = !PQgetisnull(r, i, 11);
    if (o->has_value)
        snprintf(o->value, sizeof o->value, "%s", PQgetvalue(r, i, 11));
    o->obs_status = PQgetvalue(r, i, 12)[0];
    o->conf_status = PQgetvalue(r, i, 13)[0];
}

obs_status exp_source_page(PGconn *c, const exp_source *src, const exp_obs *after,
                           size_t limit, exp_obs *out, size_t *n, obs_err *e)
{
    const char *p[26];
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit);
    int np = base_params(src, p, lim);
    if (after) {
        for (int i = 0; i <= EXP_NDIMS; i++)
            p[14 + i] = src->order[i] == EXP_DIM_TIME ? after->period : after->key[src->order[i]];
        p[25] = lim;
        np = 26;
    }
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, after ? src->sql_next : src->sql_first, np, p, &r, e);
    if (rc)
        return rc;
    size_t rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows && i < limit; i++)
        row_obs(r, (int)i, &out[i]);
    *n = rows < limit ? rows : limit;
    PQclear(r);
    return OBS_OK;
}

obs_status exp_source_count(PGconn *c, const exp_source *src, long long *n, obs_err *e)
{
    const char *p[15];
    int np = base_params(src, p, "0");
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, src->sql_count, np, p, &r, e);
    if (rc)
        return rc;
    *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return OBS_OK;
}
