/* privacy_report.c: the re-identification risk report (see privacy_report.h).
 *
 * Microdata: an equivalence class is the set of contact rows of one period range sharing
 * (post, month, sexe, age band, département of residence, statut), the quasi-identifiers the
 * contact table keeps (the other columns: origin, social services, mode, problems,
 * orientations, are what an attacker would learn, not what he knows). Its size is the number
 * of distinct persons in it, not of rows: a person who came three times in a month is one
 * person, and three rows would make her look 3-anonymous. ARX's prosecutor model: a record's
 * risk is 1 / the size of its class; highest and average over the records.
 * Published tables: the cells of the period as the public (FR, régions, départements) and the
 * analysts (also posts) receive them, counted by conf_status: free, primary, secondary.
 */
#include "privacy_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "filter.h"
#include "period.h"
#include "publish.h"
#include "ref.h"

/* Exact histogram: for each class size (distinct persons), how many classes, how many rows. */
static const char SQL_HISTOGRAM[] =
    "SELECT size, count(*), sum(records) FROM ("
    "  SELECT count(*) AS records, count(DISTINCT person) AS size FROM contact"
    "  WHERE period >= $1::date AND period < $2::date"
    "  GROUP BY post, period, sexe, age, dep_res, statut) cls"
    " GROUP BY size ORDER BY size";
static const char SQL_PERSONS[] =
    "SELECT count(DISTINCT person) FROM contact WHERE period >= $1::date AND period < $2::date";
static const char SQL_LATEST_YEAR[] =
    "SELECT COALESCE(to_char(max(period), 'YYYY'), to_char(now(), 'YYYY')) FROM contact";

/* The buckets of the distribution: sizes [lo, next lo). */
static const struct {
    long lo;
    const char *label;
} buckets[] = {{1, "1"}, {2, "2"}, {3, "3-4"}, {5, "5-9"}, {10, "10-19"}, {20, "20-49"}, {50, "50+"}};

static double share(long num, long den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

/* The "microdata" object of months [from, to) ("YYYY-MM-01"). */
static obs_status microdata(PGconn *c, const char *from, const char *to, int k, json_t *out,
                            obs_err *e)
{
    PGresult *r = NULL, *p = NULL;
    const char *params[] = {from, to};
    obs_status rc = obs_db_exec(c, SQL_HISTOGRAM, 2, params, &r, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_PERSONS, 2, params, &p, e);
    if (rc) {
        PQclear(r);
        return rc;
    }
    long records = 0, classes = 0, below_classes = 0, below_records = 0, unique = 0, smallest = 0;
    long bclasses[OBS_ARRAY_LEN(buckets)] = {0}, brecords[OBS_ARRAY_LEN(buckets)] = {0};
    double risk_sum = 0.0;
    json_t *hist = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        long size = strtol(PQgetvalue(r, i, 0), NULL, 10);
        long ncl = strtol(PQgetvalue(r, i, 1), NULL, 10);
        long nrec = strtol(PQgetvalue(r, i, 2), NULL, 10);
        json_array_append_new(hist, json_pack("{s:I,s:I,s:I}", "size", (json_int_t)size,
                                              "classes", (json_int_t)ncl, "records",
                                              (json_int_t)nrec));
        records += nrec;
        classes += ncl;
        risk_sum += (double)nrec / (double)size;
        if (smallest == 0)
            smallest = size;
        if (size < k) {
            below_classes += ncl;
            below_records += nrec;
        }
        if (size == 1)
            unique = nrec;
        size_t b = OBS_ARRAY_LEN(buckets) - 1;
        while (b > 0 && size < buckets[b].lo)
            b--;
        bclasses[b] += ncl;
        brecords[b] += nrec;
    }
    PQclear(r);
    json_t *dist = json_array();
    for (size_t b = 0; b < OBS_ARRAY_LEN(buckets); b++)
        json_array_append_new(dist, json_pack("{s:s,s:I,s:I,s:f}", "sizes", buckets[b].label,
                                              "classes", (json_int_t)bclasses[b], "records",
                                              (json_int_t)brecords[b], "share",
                                              share(brecords[b], records)));
    long persons = strtol(PQgetvalue(p, 0, 0), NULL, 10);
    PQclear(p);
    json_object_set_new(out, "records", json_integer(records));
    json_object_set_new(out, "persons", json_integer(persons));
    json_object_set_new(out, "classes", json_integer(classes));
    json_object_set_new(out, "histogram", hist);
    json_object_set_new(out, "distribution", dist);
    json_object_set_new(out, "classes_below_k", json_integer(below_classes));
    json_object_set_new(out, "records_below_k", json_integer(below_records));
    json_object_set_new(out, "share_below_k", json_real(share(below_records, records)));
    json_object_set_new(out, "records_unique", json_integer(unique));
    json_object_set_new(out, "share_unique", json_real(share(unique, records)));
    json_object_set_new(out, "highest_risk", json_real(smallest ? 1.0 / (double)smallest : 0.0));
    json_object_set_new(out, "average_risk", json_real(records ? risk_sum / (double)records : 0.0));
    return OBS_OK;
}

/* The published cells of period p in one view, counted by conf_status; one measure at a time
 * (a year of the analysts' view is over a million cells: a few hundred MB at once). */
static obs_status published(PGconn *c, const agg_period *p, int include_posts, json_t **out,
                            obs_err *e)
{
    long n = 0, free_ = 0, none = 0, primary = 0, secondary = 0;
    obs_status rc = OBS_OK;
    for (size_t m = 0; rc == OBS_OK && m < ref_count(REF_MESURE); m++) {
        agg_query q;
        agg_query_init(&q);
        q.has_from = q.has_to = 1;
        q.from = q.to = *p;
        agg_cell *cells = NULL;
        size_t k = 0;
        rc = agg_query_set(&q, AGG_F_MESURE, ref_at(REF_MESURE, m)->code, e);
        if (rc == OBS_OK)
            rc = agg_published_cells(c, &q, include_posts, &cells, &k, e);
        agg_query_free(&q);
        for (size_t i = 0; rc == OBS_OK && i < k; i++) {
            if (cells[i].conf_status == 'C')
                primary++;
            else if (cells[i].conf_status == 'D')
                secondary++;
            else if (!cells[i].has_value)
                none++;
            else
                free_++;
        }
        n += (long)k;
        free(cells);
    }
    if (rc)
        return rc;
    *out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "cells", (json_int_t)n, "free",
                     (json_int_t)free_, "no_observation", (json_int_t)none, "primary",
                     (json_int_t)primary, "secondary", (json_int_t)secondary, "withheld",
                     (json_int_t)(primary + secondary), "share_withheld",
                     share(primary + secondary, n));
    return *out ? OBS_OK : obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
}

obs_status agg_privacy_report(PGconn *c, const char *period, int k, json_t **out, obs_err *e)
{
    *out = NULL;
    char latest[16];
    if (period == NULL) {
        PGresult *r = NULL;
        obs_status rc = obs_db_exec(c, SQL_LATEST_YEAR, 0, NULL, &r, e);
        if (rc)
            return rc;
        snprintf(latest, sizeof latest, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        period = latest;
    }
    agg_period p;
    if (agg_period_parse(period, &p))
        return obs_fail(e, OBS_ERR_INPUT, "E_PERIOD_FORMAT",
                        "période invalide « %.20s » (AAAA, AAAA-Qn ou AAAA-MM)", period);
    char from[16], to[16], code[16], first[16], last[16];
    int fm = agg_period_first(&p), lm = agg_period_last(&p);
    agg_month_date(fm, from, sizeof from);
    agg_month_date(lm + 1, to, sizeof to);
    agg_period_format(&p, code, sizeof code);
    snprintf(first, sizeof first, "%.7s", from);
    agg_month_date(lm, last, sizeof last);
    last[7] = '\0';
    json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:[ssssss]}", "period", code, "from", first, "to",
                          last, "k", k, "quasi_identifiers", "post", "month", "sexe", "age",
                          "departement", "statut");
    json_t *micro = json_object(), *pub = NULL, *ana = NULL;
    if (j == NULL || micro == NULL) {
        json_decref(j);
        json_decref(micro);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    obs_status rc = microdata(c, from, to, k, micro, e);
    if (rc == OBS_OK)
        rc = published(c, &p, 0, &pub, e);
    if (rc == OBS_OK)
        rc = published(c, &p, 1, &ana, e);
    json_object_set_new(j, "microdata", micro);
    if (rc == OBS_OK)
        json_object_set_new(j, "published", json_pack("{s:o,s:o}", "public", pub, "analyst", ana));
    else {
        json_decref(pub);
        json_decref(ana);
        json_decref(j);
        return rc;
    }
    *out = j;
    return OBS_OK;
}

/* ---- GET /api/v1/privacy/report[?period=P] (administrators) ---- */

static void report_get(obs_request *rq, obs_response *rs)
{
    if (!obs_http_require_login(rq, rs))
        return;
    if (rq->who.role != OBS_ROLE_ADMIN) {
        obs_http_error(rs, 403, "E_FORBIDDEN",
                       "rapport de risque de ré-identification réservé aux administrateurs");
        return;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    json_t *j = NULL;
    if (c == NULL || agg_privacy_report(c, obs_http_query(rq, "period"), obs_config_get()->sdc_k,
                                        &j, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    obs_http_json_digits(rs, 200, j, 6);
}

const obs_route agg_privacy_routes[] = {
    {"GET", "/api/v1/privacy/report", report_get, 0},
};
const size_t agg_privacy_routes_count = OBS_ARRAY_LEN(agg_privacy_routes);
