/* routes.c: the aggregator's HTTP routes. GET /api/v1/indicators: stored indicator cells as
 * JSON, filtered, protected as the caller's role requires. GET /api/v1/completeness
 * ?period=YYYY-MM (analyst, admin): which active posts sent their grid, on time or late,
 * which are missing (the reminder list), and which months look abnormal against the post's
 * own history, computed live from the register and the grids. See docs/indicators.md. */
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_read.h"
#include "filter.h"
#include "publish.h"

/* ---- the outlier rule ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double agg_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

int agg_outlier_test(const double *hist, size_t n, double x, agg_outlier *out)
{
    memset(out, 0, sizeof *out);
    if (n < AGG_OUTLIER_MIN_HISTORY)
        return 0;
    double buf[64];
    if (n > sizeof buf / sizeof buf[0])
        n = sizeof buf / sizeof buf[0];
    memcpy(buf, hist, n * sizeof *buf);
    out->assessed = 1;
    out->median = agg_median(buf, n);
    for (size_t i = 0; i < n; i++)
        buf[i] = fabs(hist[i] - out->median);
    out->mad = agg_median(buf, n);
    double s = 1.4826 * out->mad, floor_ = sqrt(out->median);
    out->scale = s > floor_ ? s : floor_;
    if (out->scale < 1.0)
        out->scale = 1.0;
    out->low = out->median - AGG_OUTLIER_Z * out->scale;
    out->high = out->median + AGG_OUTLIER_Z * out->scale;
    out->flagged = x < out->low || x > out->high;
    return out->flagged;
}

/* ---- GET /api/v1/indicators ------------------------------------------------------------ */

static const char *const DIMKEYS[AGG_NDIMS] = {"sexe",          "age",        "statut", "origine",
                                               "problematique", "partenaire", "mode"};

static const char *query_get(void *ctx, const char *name)
{
    return obs_http_query(ctx, name);
}

/* One cell as a JSON object: value only when observed and not withheld; percentages rounded
 * to one decimal from the unrounded value. */
static json_t *cell_json(const agg_cell *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "mesure", json_string(c->mesure));
    json_object_set_new(o, "area", json_string(c->area));
    json_object_set_new(o, "period", json_string(c->period));
    for (int d = 0; d < AGG_NDIMS; d++)
        json_object_set_new(o, DIMKEYS[d], json_string(c->dim[d]));
    const char *unit = agg_unit(c->mesure);
    if (c->has_value && c->conf_status == 'F') {
        if (strcmp(unit, "PCT") == 0)
            json_object_set_new(o, "value", json_real(round(c->value * 10.0) / 10.0));
        else
            json_object_set_new(o, "value", json_integer((json_int_t)llround(c->value)));
    }
    char obs[2] = {c->obs_status, 0}, conf[2] = {c->conf_status, 0};
    json_object_set_new(o, "unit", json_string(unit));
    json_object_set_new(o, "obs_status", json_string(obs));
    json_object_set_new(o, "conf_status", json_string(conf));
    return o;
}

/* {"cells":[...],"as_of":"..."}, written cell by cell (a large answer never exists as one
 * JSON tree); as_of is when the protected figures shown last changed (null without any: a
 * post's own cells only, or none). */
static obs_status write_cells(obs_buf *b, const agg_cell *cells, size_t n, const char *as_of)
{
    obs_status rc = obs_buf_puts(b, "{\"cells\":[");
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        json_t *o = cell_json(&cells[i]);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))
                    : NULL;
        json_decref(o);
        if (s == NULL)
            return OBS_ERR_NOMEM;
        if (i)
            rc = obs_buf_putc(b, ',');
        if (rc == OBS_OK)
            rc = obs_buf_puts(b, s);
        free(s);
    }
    if (rc == OBS_OK)
        rc = as_of[0] ? obs_buf_printf(b, "],\"as_of\":\"%s\"}", as_of)
                      : obs_buf_puts(b, "],\"as_of\":null}");
    return rc;
}

void agg_indicators_get(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    char unknown[48];
    if (obs_http_query_unknown(rq, agg_query_is_param, unknown, sizeof unknown)) {
        obs_fail(&e, OBS_ERR_INPUT, "E_FILTER",
                 "paramètre inconnu « %s » : les filtres sont mesure, area, period, sexe, age, "
                 "statut, origine, problematique, partenaire, mode, unit, obs_status, "
                 "conf_status, from et to", unknown);
        obs_http_fail(rs, &e);
        return;
    }
    agg_query q;
    if (agg_query_parse(query_get, rq, &q, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    agg_view view = AGG_VIEW_PUBLIC;
    const char *post = NULL;
    if (rq->who.role == OBS_ROLE_ANALYST || rq->who.role == OBS_ROLE_ADMIN) {
        view = AGG_VIEW_ANALYST;
    } else if (rq->who.role == OBS_ROLE_POST) {
        view = AGG_VIEW_POST;
        post = rq->who.post;
    }
    /* Post-level cells: a post sees its own, analysts and admins all, the public none. */
    if ((view == AGG_VIEW_PUBLIC && agg_query_names_post(&q, NULL)) ||
        (view == AGG_VIEW_POST && agg_query_names_other_post(&q, post))) {
        agg_query_free(&q);
        obs_http_error(rs, 403, "E_FORBIDDEN",
                       view == AGG_VIEW_PUBLIC
                           ? "les chiffres d'un poste ne sont pas publics : authentifiez-vous"
                           : "ce compte ne peut voir que les chiffres de son propre poste");
        return;
    }
    /* The public view may be read on the standby (db_read.h); the others on the primary. */
    PGconn *c = view == AGG_VIEW_PUBLIC ? obs_db_read_conn(&e) : obs_db_conn(&e);
    agg_selection sel = {0};
    obs_status rc = c ? agg_select(c, &q, view, post, AGG_MAX_CELLS, &sel, &e) : OBS_ERR_DB;
    if (rc && (c = obs_db_read_retry(c, &e)) != NULL)
        rc = agg_select(c, &q, view, post, AGG_MAX_CELLS, &sel, &e);
    agg_cell *cells = rc ? NULL : sel.cells;
    size_t n = rc ? 0 : sel.n;
    size_t kept = 0; /* the filters known only after protection */
    for (size_t i = 0; rc == OBS_OK && i < n; i++)
        if (agg_query_keeps(&q, &cells[i]))
            cells[kept++] = cells[i];
    n = kept;
    agg_query_free(&q);
    if (rc) {
        obs_http_fail(rs, &e);
        return;
    }
    obs_buf b;
    obs_buf_init(&b, 0);
    rc = write_cells(&b, cells, n, sel.as_of);
    free(cells);
    if (rc) {
        obs_buf_free(&b);
        obs_fail(&e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        obs_http_fail(rs, &e);
        return;
    }
    obs_http_text(rs, 200, "application/json; charset=utf-8", b.data);
    obs_buf_free(&b);
}

/* ---- GET /api/v1/completeness ---------------------------------------------------------- */

/* Every post active during the month (register), what it sent, and the contact counts of
 * its grids over the 12 previous months (its history, for the outlier rule). */
static const char SQL_COMPLETENESS[] =
    "SELECT p.code, p.name, p.dep, g.post IS NOT NULL, coalesce(g.on_time, false),"
    "   to_char(g.first_received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "   g.rows,"
    "   (SELECT string_agg(h.rows::text, ',' ORDER BY h.period) FROM grid h"
    "     WHERE h.post = p.code AND h.period >= ($1::date - interval '12 months')::date"
    "       AND h.period < $1::date)"
    " FROM post p LEFT JOIN grid g ON g.post = p.code AND g.period = $1::date"
    " WHERE $1::date >= p.opened AND (p.closed IS NULL OR $1::date <= p.closed)"
    " ORDER BY p.code";

/* Is the deadline (the 10th of the next month, 23:59 Paris) past? Has the month begun? */
static const char SQL_DUE[] =
    "SELECT now() >= (($1::date + interval '1 month 10 days')::timestamp"
    "                 AT TIME ZONE 'Europe/Paris'),"
    "       $1::date <= date_trunc('month', now() AT TIME ZONE 'Europe/Paris')::date";

static json_t *post_json(PGresult *r, int i)
{
    return json_pack("{s:s,s:s,s:s}", "post", PQgetvalue(r, i, 0), "name", PQgetvalue(r, i, 1),
                     "dep", PQgetvalue(r, i, 2));
}

/* The outlier entry of row i, or NULL when the month is unremarkable or not assessable. */
static json_t *outlier_json(PGresult *r, int i)
{
    if (PQgetisnull(r, i, 6) || PQgetisnull(r, i, 7))
        return NULL;
    double hist[AGG_OUTLIER_MAX_HISTORY + 1];
    size_t n = 0;
    const char *s = PQgetvalue(r, i, 7);
    while (*s && n < OBS_ARRAY_LEN(hist)) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            break;
        hist[n++] = v;
        s = *end == ',' ? end + 1 : end;
    }
    double x = strtod(PQgetvalue(r, i, 6), NULL);
    agg_outlier o;
    if (!agg_outlier_test(hist, n, x, &o))
        return NULL;
    json_t *j = post_json(r, i);
    json_object_set_new(j, "contacts", json_integer((json_int_t)x));
    json_object_set_new(j, "median", json_real(o.median));
    json_object_set_new(j, "mad", json_real(o.mad));
    json_object_set_new(j, "low", json_real(round(o.low * 10.0) / 10.0));
    json_object_set_new(j, "high", json_real(round(o.high * 10.0) / 10.0));
    json_object_set_new(j, "history_months", json_integer((json_int_t)n));
    return j;
}

static json_t *rate(long num, long den)
{
    return den > 0 ? json_real(round(1000.0 * (double)num / (double)den) / 10.0) : json_null();
}

void agg_completeness_get(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    if (rq->who.role == OBS_ROLE_NONE) {
        obs_http_error(rs, 401, "E_AUTH_REQUIRED", "authentification requise (jeton d'accès)");
        obs_http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"iscgobs\"");
        return;
    }
    if (rq->who.role != OBS_ROLE_ANALYST && rq->who.role != OBS_ROLE_ADMIN) {
        obs_http_error(rs, 403, "E_FORBIDDEN", "réservé aux analystes et aux administrateurs");
        return;
    }
    const char *period = obs_http_query(rq, "period");
    agg_period p;
    if (period == NULL || agg_period_parse(period, &p) || p.freq != 'M') {
        obs_http_error(rs, 400, "E_PERIOD_FORMAT", "period : mois attendu (AAAA-MM, ex. 2026-03)");
        return;
    }
    char date[24];
    agg_month_date(agg_period_first(&p), date, sizeof date);
    PGconn *c = obs_db_conn(&e);
    PGresult *r = NULL, *d = NULL;
    if (c == NULL || obs_db_exec(c, SQL_DUE, 1, (const char *[]){date}, &d, &e) ||
        obs_db_exec(c, SQL_COMPLETENESS, 1, (const char *[]){date}, &r, &e)) {
        PQclear(d);
        obs_http_fail(rs, &e);
        return;
    }
    int due = PQgetvalue(d, 0, 0)[0] == 't', begun = PQgetvalue(d, 0, 1)[0] == 't';
    PQclear(d);
    json_t *missing = json_array(), *late = json_array(), *outliers = json_array();
    long active = PQntuples(r), received = 0, on_time = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetvalue(r, i, 3)[0] != 't') {
            json_array_append_new(missing, post_json(r, i));
            continue;
        }
        received++;
        if (PQgetvalue(r, i, 4)[0] == 't') {
            on_time++;
        } else {
            json_t *j = post_json(r, i);
            json_object_set_new(j, "first_received_at", json_string(PQgetvalue(r, i, 5)));
            json_array_append_new(late, j);
        }
        json_t *o = outlier_json(r, i);
        if (o)
            json_array_append_new(outliers, o);
    }
    PQclear(r);
    json_t *j = json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "period",
                          period, "begun", begun, "due", due, "active", (json_int_t)active,
                          "received", (json_int_t)received, "on_time", (json_int_t)on_time,
                          "late", (json_int_t)(received - on_time), "missing",
                          (json_int_t)(active - received), "taux_completude",
                          rate(received, active), "taux_promptitude", rate(on_time, active),
                          "missing_posts", missing, "late_posts", late, "outliers", outliers);
    /* Rates and bounds with one decimal (jansson alone would print 17 digits). */
    obs_http_json_digits(rs, 200, j, 12);
}

const obs_route agg_routes[] = {
    {"GET", "/api/v1/indicators", agg_indicators_get, 0},
    {"GET", "/api/v1/completeness", agg_completeness_get, 0},
};
const size_t agg_routes_count = OBS_ARRAY_LEN(agg_routes);
