/* sdmx_key.c: parsing and checking of SDMX REST data queries (flowRef, key, providerRef,
 * query parameters); see sdmx_key.h. */
#include "sdmx_key.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#define SYNTAX(e, ...) obs_fail(e, OBS_ERR_INPUT, "E_SDMX_SYNTAX", __VA_ARGS__)
#define NOTFOUND(e, ...) obs_fail(e, OBS_ERR_NOT_FOUND, "E_SDMX_NO_RESULTS", __VA_ARGS__)

void exp_data_query_init(exp_data_query *q)
{
    memset(q, 0, sizeof *q);
    q->start_month = q->end_month = -1;
    q->detail = EXP_DETAIL_FULL;
    q->dim_at_obs = EXP_DIM_TIME;
}

/* 1 when s is a non-empty SDMX id: [A-Za-z0-9_@$-]+ (with '.' when dot is set, for
 * versions). */
static int is_id(const char *s, size_t n, int dot)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '@' || c == '$' || c == '-' || (dot && c == '.');
        if (!ok)
            return 0;
    }
    return 1;
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

obs_status exp_flowref_check(const char *flowref, obs_err *e)
{
    if (flowref == NULL || *flowref == '\0' || strlen(flowref) > 200)
        return SYNTAX(e, "référence de flux (flowRef) vide ou trop longue");
    const char *part[3];
    size_t len[3];
    int n = 0;
    const char *p = flowref;
    while (n < 3) {
        const char *c = strchr(p, ',');
        part[n] = p;
        len[n] = c ? (size_t)(c - p) : strlen(p);
        n++;
        if (c == NULL)
            break;
        p = c + 1;
    }
    if (part[n - 1][len[n - 1]] == ',')
        return SYNTAX(e, "flowRef : au plus trois parties (agence,flux,version)");
    for (int i = 0; i < n; i++)
        if (!is_id(part[i], len[i], n == 3 && i == 2))
            return SYNTAX(e, "flowRef mal formé (attendu : %s, %s,%s ou %s,%s,%s)", EXP_FLOW,
                          EXP_AGENCY, EXP_FLOW, EXP_AGENCY, EXP_FLOW, EXP_VERSION);
    const char *agency = n >= 2 ? part[0] : NULL;
    size_t alen = n >= 2 ? len[0] : 0;
    const char *id = n == 1 ? part[0] : part[1];
    size_t idlen = n == 1 ? len[0] : len[1];
    if (agency && !eq(agency, alen, EXP_AGENCY) && !eq(agency, alen, "all"))
        return NOTFOUND(e, "agence inconnue dans flowRef (seule %s existe)", EXP_AGENCY);
    if (!eq(id, idlen, EXP_FLOW))
        return NOTFOUND(e, "flux inconnu (seul %s existe)", EXP_FLOW);
    if (n == 3 && !eq(part[2], len[2], EXP_VERSION) && !eq(part[2], len[2], "latest") &&
        !eq(part[2], len[2], "all"))
        return NOTFOUND(e, "version de flux inconnue (seule %s existe)", EXP_VERSION);
    return OBS_OK;
}

obs_status exp_provider_check(const char *provider, obs_err *e)
{
    if (provider == NULL || strcmp(provider, "all") == 0)
        return OBS_OK;
    if (strlen(provider) > 200)
        return SYNTAX(e, "providerRef trop long");
    const char *c = strchr(provider, ',');
    const char *id = c ? c + 1 : provider;
    if (c && !(is_id(provider, (size_t)(c - provider), 0) && is_id(id, strlen(id), 0)))
        return SYNTAX(e, "providerRef mal formé");
    if (!is_id(id, strlen(id), 0))
        return SYNTAX(e, "providerRef mal formé");
    if (strcmp(id, EXP_AGENCY) != 0 && strcmp(id, "all") != 0)
        return NOTFOUND(e, "fournisseur de données inconnu (seul %s existe)", EXP_AGENCY);
    return OBS_OK;
}

obs_status exp_key_parse(const char *key, exp_data_query *q, obs_err *e)
{
    for (int d = 0; d < EXP_NDIMS; d++) {
        q->restricted[d] = 0;
        memset(q->mask[d], 0, sizeof q->mask[d]);
    }
    if (key == NULL || *key == '\0' || strcmp(key, "all") == 0)
        return OBS_OK;
    size_t klen = strlen(key);
    if (klen > EXP_KEY_MAX)
        return SYNTAX(e, "clé trop longue (%zu caractères, au plus %d)", klen, EXP_KEY_MAX);
    int dots = 0;
    for (size_t i = 0; i < klen; i++) {
        char c = key[i];
        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '+' || c == '-' || c == '@' || c == '$'))
            return SYNTAX(e, "caractère interdit dans la clé (position %zu)", i + 1);
    }
    if (dots != EXP_NDIMS - 1)
        return SYNTAX(e, "la clé doit avoir %d positions séparées par des points (%d trouvées) : "
                         "FREQ.REF_AREA.MESURE.SEXE.AGE.STATUT.ORIGINE.PROBLEMATIQUE."
                         "PARTENAIRE.MODE", EXP_NDIMS, dots + 1);
    const char *p = key;
    for (int d = 0; d < EXP_NDIMS; d++) {
        const char *end = strchr(p, '.');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            q->restricted[d] = 1;
            const char *v = p;
            while (v <= p + n) {
                const char *plus = memchr(v, '+', (size_t)(p + n - v));
                size_t vn = plus ? (size_t)(plus - v) : (size_t)(p + n - v);
                if (vn == 0)
                    return SYNTAX(e, "valeur vide dans la position %s de la clé", exp_dim_id(d));
                int i = exp_cl_find(exp_dim_cl((exp_dim)d), v, vn);
                if (i < 0)
                    return NOTFOUND(e, "code inconnu « %.*s » pour la dimension %s",
                                    (int)(vn > 40 ? 40 : vn), v, exp_dim_id(d));
                q->mask[d][i / 64] |= (uint64_t)1 << (i % 64);
                v += vn + 1;
            }
        }
        p += n + 1;
    }
    return OBS_OK;
}

int exp_query_allows(const exp_data_query *q, int d, int i)
{
    if (!q->restricted[d])
        return 1;
    return i >= 0 && i < 192 && (q->mask[d][i / 64] >> (i % 64) & 1);
}

int exp_query_array(const exp_data_query *q, int d, char *out, size_t cap)
{
    out[0] = '\0';
    if (!q->restricted[d])
        return 0;
    size_t n = 0;
    out[n++] = '{';
    exp_cl cl = exp_dim_cl((exp_dim)d);
    int first = 1;
    for (size_t i = 0; i < exp_cl_count(cl); i++) {
        if (!exp_query_allows(q, d, (int)i))
            continue;
        const char *code = exp_cl_at(cl, i)->id;
        size_t len = strlen(code);
        if (n + len + 3 > cap)
            return -1;
        if (!first)
            out[n++] = ',';
        memcpy(out + n, code, len);
        n += len;
        first = 0;
    }
    out[n++] = '}';
    out[n] = '\0';
    return 0;
}

/* Parse exactly n decimal digits at s. */
static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int exp_period_months(const char *p, int *first, int *last)
{
    int y, m;
    size_t n = strlen(p);
    if (n < 4 || digits(p, 4, &y) || y < 1900 || y > 2999)
        return -1;
    if (n == 4) {
        *first = y * 12;
        *last = y * 12 + 11;
        return 0;
    }
    if (n == 7 && p[4] == '-' && p[5] == 'Q' && p[6] >= '1' && p[6] <= '4') {
        *first = y * 12 + (p[6] - '1') * 3;
        *last = *first + 2;
        return 0;
    }
    if (n == 7 && p[4] == '-' && digits(p + 5, 2, &m) == 0 && m >= 1 && m <= 12) {
        *first = *last = y * 12 + m - 1;
        return 0;
    }
    return -1;
}

int exp_query_period(const char *p, int *first, int *last)
{
    size_t n = strlen(p);
    int y, m, d;
    if (n == 7 && p[4] == '-' && p[5] == 'S' && (p[6] == '1' || p[6] == '2') &&
        digits(p, 4, &y) == 0 && y >= 1900 && y <= 2999) {
        *first = y * 12 + (p[6] - '1') * 6;
        *last = *first + 5;
        return 0;
    }
    if (n == 10 && p[4] == '-' && p[7] == '-' && digits(p, 4, &y) == 0 &&
        digits(p + 5, 2, &m) == 0 && digits(p + 8, 2, &d) == 0 && y >= 1900 && y <= 2999 &&
        m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        *first = *last = y * 12 + m - 1;
        return 0;
    }
    return exp_period_months(p, first, last);
}

int exp_parse_datetime(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = strlen(s);
    if (n < 10 || n > 40 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) ||
        digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || y < 1970 || y > 2999 || mo < 1 ||
        mo > 12 || d < 1 || d > 31)
        return -1;
    const char *p = s + 10;
    if (*p == 'T') {
        if (strlen(p) < 9 || p[3] != ':' || p[6] != ':' || digits(p + 1, 2, &h) ||
            digits(p + 4, 2, &mi) || digits(p + 7, 2, &se) || h > 23 || mi > 59 || se > 60)
            return -1;
        p += 9;
        if (*p == '.') { /* fractional seconds: ignored */
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') {
        int oh, om;
        if (strlen(p) != 6 || p[3] != ':' || digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) ||
            oh > 14 || om > 59)
            return -1;
        offset = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (*p != '\0')
        return -1;
    long long t = (long long)obs_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se -
                  offset;
    *out = (time_t)t;
    return 0;
}

/* A positive count of observations. */
static int parse_count(const char *s, int *out)
{
    if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 9)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < 1)
        return -1;
    *out = (int)v;
    return 0;
}

obs_status exp_params_parse(exp_param_get get, void *ctx, exp_data_query *q, obs_err *e)
{
    const char *v;
    int first, last;
    if ((v = get(ctx, "startPeriod")) != NULL) {
        if (exp_query_period(v, &first, &last))
            return SYNTAX(e, "startPeriod invalide (AAAA, AAAA-Sn, AAAA-Qn, AAAA-MM ou "
                             "AAAA-MM-JJ)");
        q->start_month = first;
    }
    if ((v = get(ctx, "endPeriod")) != NULL) {
        if (exp_query_period(v, &first, &last))
            return SYNTAX(e, "endPeriod invalide (AAAA, AAAA-Sn, AAAA-Qn, AAAA-MM ou "
                             "AAAA-MM-JJ)");
        q->end_month = last;
    }
    if (q->start_month >= 0 && q->end_month >= 0 && q->start_month > q->end_month)
        return SYNTAX(e, "startPeriod est après endPeriod");
    if ((v = get(ctx, "detail")) != NULL) {
        static const char *const names[] = {"full", "dataonly", "serieskeysonly", "nodata"};
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(v, names[i]) == 0)
                k = i;
        if (k < 0)
            return SYNTAX(e, "detail inconnu (full, dataonly, serieskeysonly ou nodata)");
        q->detail = (exp_detail)k;
    }
    if ((v = get(ctx, "firstNObservations")) != NULL && parse_count(v, &q->first_n))
        return SYNTAX(e, "firstNObservations doit être un entier positif");
    if ((v = get(ctx, "lastNObservations")) != NULL && parse_count(v, &q->last_n))
        return SYNTAX(e, "lastNObservations doit être un entier positif");
    if ((v = get(ctx, "dimensionAtObservation")) != NULL) {
        if (strcmp(v, "AllDimensions") == 0)
            q->dim_at_obs = EXP_DIM_ALL;
        else if ((q->dim_at_obs = exp_dim_find(v)) < 0)
            return SYNTAX(e, "dimensionAtObservation inconnue (TIME_PERIOD, AllDimensions ou "
                             "une dimension de %s)", EXP_DSD);
    }
    if ((v = get(ctx, "updatedAfter")) != NULL) {
        if (exp_parse_datetime(v, &q->updated_after))
            return SYNTAX(e, "updatedAfter doit être une date-heure ISO 8601 "
                             "(2026-04-10T08:00:00Z)");
        q->has_updated_after = 1;
    }
    if ((v = get(ctx, "asOf")) != NULL) {
        if (exp_parse_datetime(v, &q->as_of))
            return SYNTAX(e, "asOf doit être une date-heure ISO 8601 (2026-04-10T08:00:00Z)");
        q->has_as_of = 1;
    }
    /* Series-only views make no sense without series: fall back to time series. */
    if (q->dim_at_obs == EXP_DIM_ALL &&
        (q->detail == EXP_DETAIL_SERIESKEYSONLY || q->detail == EXP_DETAIL_NODATA))
        q->dim_at_obs = EXP_DIM_TIME;
    return OBS_OK;
}

int exp_query_canonical(const exp_data_query *q, char *out, size_t cap)
{
    size_t n = 0;
    int w;
    for (int d = 0; d < EXP_NDIMS; d++) {
        w = snprintf(out + n, cap - n, "%s%llx:%llx:%llx", d ? "." : "",
                     q->restricted[d] ? (unsigned long long)q->mask[d][0] : 0ULL,
                     (unsigned long long)q->mask[d][1], (unsigned long long)q->mask[d][2]);
        if (w < 0 || (size_t)w >= cap - n)
            return -1;
        n += (size_t)w;
        if (q->restricted[d] == 0 && n < cap - 1)
            out[n++] = '*';
    }
    w = snprintf(out + n, cap - n, "|%d|%d|%d|%d|%d|%d|%d:%lld|%d:%lld", q->start_month,
                 q->end_month, (int)q->detail, q->dim_at_obs, q->first_n, q->last_n,
                 q->has_updated_after, (long long)q->updated_after, q->has_as_of,
                 (long long)q->as_of);
    return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}
