/* sdmx_data.c: the data message writer: publication rules for a cell, series grouping with
 * first/last N, and the SDMX-ML GenericData and StructureSpecificData bodies (SDMX-CSV rows
 * are in sdmx_csv.c); see sdmx_data.h. */
#include "sdmx_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A series longer than this is refused (a century of months is 1 200). */
#define MAX_SERIES_OBS 65536

struct exp_data_writer {
    exp_data_opts o;
    exp_sink *sink;
    exp_xw xw;
    int group;        /* the dimension that varies inside a series (EXP_DIM_TIME for flat) */
    exp_obs *cur;     /* the current series */
    size_t ncur, cap;
    size_t nseries, nobs;
    int io_err;
};

obs_status exp_obs_from_cell(const agg_cell *c, exp_obs *o, obs_err *e)
{
    memset(o, 0, sizeof *o);
    int first, last;
    if (exp_period_months(c->period, &first, &last))
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_CELL", "période inconnue");
    int dec = exp_decimals_of(c->mesure);
    if (dec < 0 || exp_cl_find(EXP_CL_MESURE, c->mesure, strlen(c->mesure)) < 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_CELL", "mesure inconnue");
    if (exp_cl_find(EXP_CL_AREA, c->area, strlen(c->area)) < 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_CELL", "zone non publiable");
    size_t plen = strlen(c->period);
    snprintf(o->key[EXP_D_FREQ], sizeof o->key[0], "%s",
             plen == 4 ? "A" : c->period[5] == 'Q' ? "Q" : "M");
    snprintf(o->key[EXP_D_REF_AREA], sizeof o->key[0], "%s", c->area);
    snprintf(o->key[EXP_D_MESURE], sizeof o->key[0], "%s", c->mesure);
    for (int d = 0; d < AGG_NDIMS; d++) {
        int dd = EXP_D_SEXE + d;
        if (exp_cl_find(exp_dim_cl((exp_dim)dd), c->dim[d], strlen(c->dim[d])) < 0)
            return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_CELL", "code inconnu");
        snprintf(o->key[dd], sizeof o->key[0], "%s", c->dim[d]);
    }
    snprintf(o->period, sizeof o->period, "%s", c->period);
    int withheld = c->conf_status == 'C' || c->conf_status == 'D';
    o->conf_status = withheld ? c->conf_status : 'F';
    o->obs_status = withheld ? 'Q' : (c->obs_status == 'A' ? 'A' : 'P');
    o->has_value = !withheld && c->has_value && isfinite(c->value);
    if (o->has_value) {
        double scale = dec ? 10.0 : 1.0;
        double v = round(c->value * scale) / scale; /* half away from zero */
        snprintf(o->value, sizeof o->value, "%.*f", dec, v);
    }
    return OBS_OK;
}

/* Compare the series keys of a and b (every dimension but group, then TIME_PERIOD when it
 * is part of the key); 0 when they belong to the same series. */
static int cmp_series(const exp_obs *a, const exp_obs *b, int group)
{
    for (int d = 0; d < EXP_NDIMS; d++) {
        if (d == group)
            continue;
        int c = strcmp(a->key[d], b->key[d]);
        if (c)
            return c;
    }
    return group == EXP_DIM_TIME ? 0 : strcmp(a->period, b->period);
}

static int cmp_within(const exp_obs *a, const exp_obs *b, int group)
{
    return group == EXP_DIM_TIME ? strcmp(a->period, b->period)
                                 : strcmp(a->key[group], b->key[group]);
}

static _Thread_local int sort_group;

static int cmp_sort(const void *x, const void *y)
{
    const exp_obs *a = x, *b = y;
    int c = cmp_series(a, b, sort_group);
    return c ? c : cmp_within(a, b, sort_group);
}

void exp_obs_sort(exp_obs *o, size_t n, int dim_at_obs)
{
    sort_group = dim_at_obs == EXP_DIM_ALL ? EXP_DIM_TIME : dim_at_obs;
    qsort(o, n, sizeof *o, cmp_sort);
}

int exp_obs_matches(const exp_data_query *q, const exp_obs *o)
{
    for (int d = 0; d < EXP_NDIMS; d++) {
        if (!q->restricted[d])
            continue;
        int i = exp_cl_find(exp_dim_cl((exp_dim)d), o->key[d], strlen(o->key[d]));
        if (!exp_query_allows(q, d, i))
            return 0;
    }
    int first, last;
    if (exp_period_months(o->period, &first, &last))
        return 0;
    if (q->start_month >= 0 && (q->period_within ? first : last) < q->start_month)
        return 0;
    if (q->end_month >= 0 && (q->period_within ? last : first) > q->end_month)
        return 0;
    return 1;
}

void exp_query_for_format(exp_data_query *q, exp_format f)
{
    if (f == EXP_FMT_CSV)
        q->dim_at_obs = EXP_DIM_TIME;
}

void exp_data_opts_from_query(exp_data_opts *o, const exp_data_query *q)
{
    o->dim_at_obs = q->dim_at_obs;
    o->detail = q->detail;
    o->first_n = q->first_n;
    o->last_n = q->last_n;
}

void exp_ss_namespace(int dim_at_obs, char *out, size_t cap)
{
    snprintf(out, cap, "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=%s:%s(%s):"
             "ObsLevelDim:%s", EXP_AGENCY, EXP_DSD, EXP_VERSION, exp_dim_id(dim_at_obs));
}

/* ---- message start and end -------------------------------------------------------------- */

static void header_structure(exp_data_writer *w)
{
    exp_xw *xw = &w->xw;
    exp_xw_start(xw, "message:Structure");
    exp_xw_attr(xw, "structureID", EXP_DSD);
    if (w->o.format == EXP_FMT_SS) {
        char ns[200];
        exp_ss_namespace(w->o.dim_at_obs, ns, sizeof ns);
        exp_xw_attr(xw, "namespace", ns);
    }
    exp_xw_attr(xw, "dimensionAtObservation", exp_dim_id(w->o.dim_at_obs));
    exp_xw_start(xw, "common:Structure");
    exp_xw_start(xw, "Ref");
    exp_xw_attr(xw, "agencyID", EXP_AGENCY);
    exp_xw_attr(xw, "id", EXP_DSD);
    exp_xw_attr(xw, "version", EXP_VERSION);
    exp_xw_end(xw);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static int xml_start(exp_data_writer *w)
{
    exp_xw *xw = &w->xw;
    if (exp_xw_open(xw, w->sink, 0))
        return -1;
    int ss = w->o.format == EXP_FMT_SS;
    exp_xw_start(xw, ss ? "message:StructureSpecificData" : "message:GenericData");
    /* sdmx.org namespaces first, the urn: one last (rsdmx reads them in order). */
    exp_xw_attr(xw, "xmlns:message", EXP_NS_MESSAGE);
    exp_xw_attr(xw, "xmlns:common", EXP_NS_COMMON);
    if (ss) {
        char ns[200];
        exp_ss_namespace(w->o.dim_at_obs, ns, sizeof ns);
        exp_xw_attr(xw, "xmlns:ss", EXP_NS_SS);
        exp_xw_attr(xw, "xmlns:xsi", EXP_NS_XSI);
        exp_xw_attr(xw, "xmlns:ns1", ns);
    } else {
        exp_xw_attr(xw, "xmlns:generic", EXP_NS_GENERIC);
    }
    exp_xw_header(xw, w->o.id, w->o.prepared);
    header_structure(w);
    if (w->o.extracted[0]) /* after Structure (and DataSetID) in SDMX 2.1's BaseHeaderType */
        exp_xw_elem(xw, "message:Extracted", w->o.extracted);
    exp_xw_end(xw); /* Header */
    exp_xw_start(xw, "message:DataSet");
    if (ss) {
        exp_xw_attr(xw, "ss:dataScope", "DataStructure");
        exp_xw_attr(xw, "xsi:type", "ns1:DataSetType");
        exp_xw_attr(xw, "ss:structureRef", EXP_DSD);
    } else {
        exp_xw_attr(xw, "structureRef", EXP_DSD);
    }
    return xw->err ? -1 : 0;
}

exp_data_writer *exp_data_open(const exp_data_opts *o, exp_sink *s)
{
    exp_data_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->o = *o;
    w->sink = s;
    w->group = o->dim_at_obs == EXP_DIM_ALL || o->format == EXP_FMT_CSV ? EXP_DIM_TIME
                                                                         : o->dim_at_obs;
    int rc = o->format == EXP_FMT_CSV ? exp_csv_header(s) : xml_start(w);
    if (rc)
        w->io_err = 1;
    return w;
}

/* ---- SDMX-ML bodies ---------------------------------------------------------------------- */

static void series_attr_values(const exp_obs *o, const char *v[3])
{
    static const char *const dec[] = {"0", "1"};
    int d = exp_decimals_of(o->key[EXP_D_MESURE]);
    const char *u = exp_unit_of(o->key[EXP_D_MESURE]);
    v[0] = u ? u : "";
    v[1] = "0";
    v[2] = dec[d == 1];
}

static void obs_attr_values(const exp_obs *o, char st[2], char cf[2])
{
    st[0] = o->obs_status;
    st[1] = '\0';
    cf[0] = o->conf_status;
    cf[1] = '\0';
}

static void gvalue(exp_xw *xw, const char *id, const char *v)
{
    exp_xw_start(xw, "generic:Value");
    exp_xw_attr(xw, "id", id);
    exp_xw_attr(xw, "value", v);
    exp_xw_end(xw);
}

/* Generic Attributes of an observation: its own, plus the series ones when they cannot sit
 * on the series (flat data, or a dimension other than TIME_PERIOD at observation level). */
static void generic_obs_attrs(exp_data_writer *w, const exp_obs *o, int with_series)
{
    const char *sv[3];
    char st[2], cf[2];
    series_attr_values(o, sv);
    obs_attr_values(o, st, cf);
    exp_xw_start(&w->xw, "generic:Attributes");
    for (int a = 0; with_series && a < 3; a++)
        gvalue(&w->xw, exp_attr_id((exp_attr)a), sv[a]);
    gvalue(&w->xw, "OBS_STATUS", st);
    gvalue(&w->xw, "CONF_STATUS", cf);
    exp_xw_end(&w->xw);
}

static void generic_series(exp_data_writer *w, const exp_obs *obs, size_t n)
{
    exp_xw *xw = &w->xw;
    const exp_obs *k = &obs[0];
    int g = w->o.dim_at_obs, full = w->o.detail == EXP_DETAIL_FULL;
    if (g == EXP_DIM_ALL) {
        for (size_t i = 0; i < n; i++) {
            exp_xw_start(xw, "generic:Obs");
            exp_xw_start(xw, "generic:ObsKey");
            for (int d = 0; d < EXP_NDIMS; d++)
                gvalue(xw, exp_dim_id(d), obs[i].key[d]);
            gvalue(xw, "TIME_PERIOD", obs[i].period);
            exp_xw_end(xw);
            if (obs[i].has_value) {
                exp_xw_start(xw, "generic:ObsValue");
                exp_xw_attr(xw, "value", obs[i].value);
                exp_xw_end(xw);
            }
            if (full)
                generic_obs_attrs(w, &obs[i], 1);
            exp_xw_end(xw);
        }
        return;
    }
    exp_xw_start(xw, "generic:Series");
    exp_xw_start(xw, "generic:SeriesKey");
    for (int d = 0; d < EXP_NDIMS; d++)
        if (d != g)
            gvalue(xw, exp_dim_id(d), k->key[d]);
    if (g != EXP_DIM_TIME)
        gvalue(xw, "TIME_PERIOD", k->period);
    exp_xw_end(xw);
    if (g == EXP_DIM_TIME && (full || w->o.detail == EXP_DETAIL_NODATA)) {
        const char *sv[3];
        series_attr_values(k, sv);
        exp_xw_start(xw, "generic:Attributes");
        for (int a = 0; a < 3; a++)
            gvalue(xw, exp_attr_id((exp_attr)a), sv[a]);
        exp_xw_end(xw);
    }
    if (full || w->o.detail == EXP_DETAIL_DATAONLY) {
        for (size_t i = 0; i < n; i++) {
            exp_xw_start(xw, "generic:Obs");
            exp_xw_start(xw, "generic:ObsDimension");
            if (g != EXP_DIM_TIME)
                exp_xw_attr(xw, "id", exp_dim_id(g));
            exp_xw_attr(xw, "value", g == EXP_DIM_TIME ? obs[i].period : obs[i].key[g]);
            exp_xw_end(xw);
            if (obs[i].has_value) {
                exp_xw_start(xw, "generic:ObsValue");
                exp_xw_attr(xw, "value", obs[i].value);
                exp_xw_end(xw);
            }
            if (full)
                generic_obs_attrs(w, &obs[i], g != EXP_DIM_TIME);
            exp_xw_end(xw);
        }
    }
    exp_xw_end(xw);
}

static void ss_obs(exp_data_writer *w, const exp_obs *o, int key_dims, int with_series)
{
    exp_xw *xw = &w->xw;
    int g = w->o.dim_at_obs, full = w->o.detail == EXP_DETAIL_FULL;
    exp_xw_start(xw, "Obs");
    if (key_dims) {
        for (int d = 0; d < EXP_NDIMS; d++)
            exp_xw_attr(xw, exp_dim_id(d), o->key[d]);
        exp_xw_attr(xw, "TIME_PERIOD", o->period);
    } else {
        exp_xw_attr(xw, exp_dim_id(g), g == EXP_DIM_TIME ? o->period : o->key[g]);
    }
    if (o->has_value)
        exp_xw_attr(xw, "OBS_VALUE", o->value);
    if (full) {
        const char *sv[3];
        char st[2], cf[2];
        series_attr_values(o, sv);
        obs_attr_values(o, st, cf);
        for (int a = 0; with_series && a < 3; a++)
            exp_xw_attr(xw, exp_attr_id((exp_attr)a), sv[a]);
        exp_xw_attr(xw, "OBS_STATUS", st);
        exp_xw_attr(xw, "CONF_STATUS", cf);
    }
    exp_xw_end(xw);
}

static void ss_series(exp_data_writer *w, const exp_obs *obs, size_t n)
{
    exp_xw *xw = &w->xw;
    int g = w->o.dim_at_obs, full = w->o.detail == EXP_DETAIL_FULL;
    if (g == EXP_DIM_ALL) {
        for (size_t i = 0; i < n; i++)
            ss_obs(w, &obs[i], 1, 1);
        return;
    }
    exp_xw_start(xw, "Series");
    for (int d = 0; d < EXP_NDIMS; d++)
        if (d != g)
            exp_xw_attr(xw, exp_dim_id(d), obs[0].key[d]);
    if (g != EXP_DIM_TIME)
        exp_xw_attr(xw, "TIME_PERIOD", obs[0].period);
    if (g == EXP_DIM_TIME && (full || w->o.detail == EXP_DETAIL_NODATA)) {
        const char *sv[3];
        series_attr_values(&obs[0], sv);
        for (int a = 0; a < 3; a++)
            exp_xw_attr(xw, exp_attr_id((exp_attr)a), sv[a]);
    }
    if (full || w->o.detail == EXP_DETAIL_DATAONLY)
        for (size_t i = 0; i < n; i++)
            ss_obs(w, &obs[i], 0, g != EXP_DIM_TIME);
    exp_xw_end(xw);
}

/* Emit the buffered series, cut to its first / last N observations. */
static void emit(exp_data_writer *w)
{
    if (w->ncur == 0 || w->io_err)
        return;
    size_t n = w->ncur, f = (size_t)w->o.first_n, l = (size_t)w->o.last_n;
    size_t from = 0, to = n;
    int split = 0; /* both first and last N: their union, in two runs */
    if (f && l)
        split = f + l < n;
    else if (f && f < n)
        to = f;
    else if (l && l < n)
        from = n - l;
    const exp_obs *o = w->cur;
    if (w->o.format == EXP_FMT_CSV) {
        if (split) {
            if (exp_csv_series(w->sink, w->o.detail, o, f) ||
                (w->o.detail <= EXP_DETAIL_DATAONLY &&
                 exp_csv_series(w->sink, w->o.detail, o + w->ncur - l, l)))
                w->io_err = 1;
        } else if (exp_csv_series(w->sink, w->o.detail, o + from, to - from)) {
            w->io_err = 1;
        }
    } else if (split) {
        /* Two runs of one series: rebuild a contiguous copy (at most f + l observations). */
        exp_obs *tmp = malloc((f + l) * sizeof *tmp);
        if (tmp == NULL) {
            w->io_err = 1;
            return;
        }
        memcpy(tmp, o, f * sizeof *tmp);
        memcpy(tmp + f, o + w->ncur - l, l * sizeof *tmp);
        (w->o.format == EXP_FMT_SS ? ss_series : generic_series)(w, tmp, f + l);
        free(tmp);
    } else {
        (w->o.format == EXP_FMT_SS ? ss_series : generic_series)(w, o + from, to - from);
    }
    if (w->xw.err)
        w->io_err = 1;
    w->nseries++;
    w->nobs += split ? f + l : to - from;
    w->ncur = 0;
}

obs_status exp_data_put(exp_data_writer *w, const exp_obs *o, obs_err *e)
{
    if (w->io_err)
        return obs_fail(e, OBS_ERR_IO, "E_SDMX_WRITE", "écriture du message SDMX impossible");
    if (w->ncur) {
        const exp_obs *prev = &w->cur[w->ncur - 1];
        int c = cmp_series(prev, o, w->group);
        if (c > 0 || (c == 0 && cmp_within(prev, o, w->group) >= 0))
            return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_ORDER", "observations dans le désordre");
        if (c != 0)
            emit(w);
    }
    if (w->ncur == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 64;
        exp_obs *p = ncap <= MAX_SERIES_OBS ? realloc(w->cur, ncap * sizeof *p) : NULL;
        if (p == NULL)
            return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        w->cur = p;
        w->cap = ncap;
    }
    w->cur[w->ncur++] = *o;
    if (w->io_err)
        return obs_fail(e, OBS_ERR_IO, "E_SDMX_WRITE", "écriture du message SDMX impossible");
    return OBS_OK;
}

obs_status exp_data_close(exp_data_writer *w, obs_err *e)
{
    emit(w);
    int bad = w->io_err;
    if (w->o.format != EXP_FMT_CSV)
        bad |= exp_xw_close(&w->xw) != 0;
    free(w->cur);
    free(w);
    if (bad)
        return obs_fail(e, OBS_ERR_IO, "E_SDMX_WRITE", "écriture du message SDMX impossible");
    return OBS_OK;
}

void exp_data_abort(exp_data_writer *w)
{
    if (w == NULL)
        return;
    if (w->o.format != EXP_FMT_CSV && w->xw.w) {
        xmlFreeTextWriter(w->xw.w);
        w->xw.w = NULL;
    }
    free(w->cur);
    free(w);
}

size_t exp_data_nseries(const exp_data_writer *w)
{
    return w->nseries;
}

size_t exp_data_nobs(const exp_data_writer *w)
{
    return w->nobs;
}
