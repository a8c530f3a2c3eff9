/* sdmx_key.h: the parts of an SDMX REST data query (RESTful API v1.5.0): flowRef, key,
 * providerRef and the query parameters (startPeriod, endPeriod, detail, firstNObservations,
 * lastNObservations, dimensionAtObservation, updatedAfter, asOf), parsed and checked against
 * the model once, into an exp_data_query.
 *
 * Failures say which HTTP status they mean: OBS_ERR_INPUT is a syntax error (400, SDMX code
 * 140), OBS_ERR_NOT_FOUND a well-formed query naming something that does not exist (404,
 * code 100: an unknown dataflow, version, provider or code). Nothing here allocates.
 */
#ifndef EXP_SDMX_KEY_H
#define EXP_SDMX_KEY_H

#include <stdint.h>
#include <time.h>

#include "sdmx_dsd.h"

/* Longest key accepted (every code of every list joined by '+' is about 3 000 bytes). */
#define EXP_KEY_MAX 4096

typedef enum exp_detail {
    EXP_DETAIL_FULL,
    EXP_DETAIL_DATAONLY,
    EXP_DETAIL_SERIESKEYSONLY,
    EXP_DETAIL_NODATA
} exp_detail;

typedef struct exp_data_query {
    /* Per key dimension: 0 = wildcard, else bit i of mask = code i of the dimension's list. */
    int restricted[EXP_NDIMS];
    uint64_t mask[EXP_NDIMS][3];
    int start_month, end_month; /* month indexes (year * 12 + month - 1); -1: open */
    int period_within;          /* 0: periods overlapping [start, end] (REST); 1: periods
                                 * lying inside it (export of one period) */
    exp_detail detail;
    int dim_at_obs;             /* EXP_DIM_TIME (default), EXP_DIM_ALL or a key dimension */
    int first_n, last_n;        /* observations per series; 0: all */
    int has_updated_after;
    time_t updated_after;
    int has_as_of;
    time_t as_of;
} exp_data_query;

/* Everything: no restriction, full detail, time series. */
void exp_data_query_init(exp_data_query *q);

/* flowRef: ISCG_INDICATEURS, FR_ISCG,ISCG_INDICATEURS or FR_ISCG,ISCG_INDICATEURS,1.0 (agency
 * and version may be "all"/"latest"). */
obs_status exp_flowref_check(const char *flowref, obs_err *e);

/* providerRef: absent, "all", or the agency's own id (FR_ISCG[,FR_ISCG]). */
obs_status exp_provider_check(const char *provider, obs_err *e);

/* The key: NULL, "", "all" or ten dot-separated positions (empty = any, '+' = or). */
obs_status exp_key_parse(const char *key, exp_data_query *q, obs_err *e);

/* The query parameters; get(ctx, name) returns the raw value or NULL. */
typedef const char *(*exp_param_get)(void *ctx, const char *name);
obs_status exp_params_parse(exp_param_get get, void *ctx, exp_data_query *q, obs_err *e);

/* 1 when code (index i of its list) passes dimension d of q. */
int exp_query_allows(const exp_data_query *q, int d, int i);

/* The filter of dimension d as a PostgreSQL array literal ("{FR,D93}") into out, or "" for a
 * wildcard. Codes are model codes: no quoting is ever needed. Returns -1 when out is too
 * small. */
int exp_query_array(const exp_data_query *q, int d, char *out, size_t cap);

/* An observation period code ("2026-03", "2026-Q1", "2026") as its first and last month
 * indexes. Returns -1 when malformed. */
int exp_period_months(const char *p, int *first, int *last);

/* A query period (startPeriod / endPeriod): YYYY, YYYY-Sn, YYYY-Qn, YYYY-MM, YYYY-MM-DD,
 * as first and last month indexes; -1 when malformed. */
int exp_query_period(const char *p, int *first, int *last);

/* An xs:dateTime or xs:date (UTC when no offset; '+' may arrive as ' ' from a URL) as
 * seconds since the epoch; -1 when malformed. */
int exp_parse_datetime(const char *s, time_t *out);

/* A canonical text of q (for cache keys and ETags), into out; -1 when too small. */
int exp_query_canonical(const exp_data_query *q, char *out, size_t cap);

#endif
