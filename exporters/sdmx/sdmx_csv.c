/* sdmx_csv.c: SDMX-CSV 1.0 rows (../shared/spec/sdmx.md section 3.8): a header row naming
 * DATAFLOW, the dimensions, TIME_PERIOD, OBS_VALUE and the attributes; then one row per
 * observation with the dataflow as FR_ISCG:ISCG_INDICATEURS(1.0) and every attribute
 * repeated; RFC 4180 quoting and CRLF line ends. The column set never changes with detail:
 * what a detail level leaves out stays empty. */
#include <string.h>

#include "sdmx_data.h"

#define DATAFLOW_CELL EXP_AGENCY ":" EXP_FLOW "(" EXP_VERSION ")"

static int put(exp_sink *s, const char *p, size_t n)
{
    return n ? s->write(s->ctx, p, n) : 0;
}

int exp_csv_field(exp_sink *s, const char *v, int last)
{
    size_t n = strlen(v);
    int rc;
    if (strpbrk(v, ",\"\r\n") == NULL) {
        rc = put(s, v, n);
    } else {
        rc = put(s, "\"", 1);
        for (const char *p = v; rc == 0 && *p; p++)
            rc = *p == '"' ? put(s, "\"\"", 2) : put(s, p, 1);
        if (rc == 0)
            rc = put(s, "\"", 1);
    }
    if (rc == 0)
        rc = last ? put(s, "\r\n", 2) : put(s, ",", 1);
    return rc;
}

int exp_csv_header(exp_sink *s)
{
    int rc = exp_csv_field(s, "DATAFLOW", 0);
    for (int d = 0; rc == 0 && d < EXP_NDIMS; d++)
        rc = exp_csv_field(s, exp_dim_id(d), 0);
    if (rc == 0)
        rc = exp_csv_field(s, "TIME_PERIOD", 0);
    if (rc == 0)
        rc = exp_csv_field(s, "OBS_VALUE", 0);
    for (int a = 0; rc == 0 && a < EXP_NATTRS; a++)
        rc = exp_csv_field(s, exp_attr_id((exp_attr)a), a == EXP_NATTRS - 1);
    return rc;
}

/* One row: show_obs adds TIME_PERIOD and OBS_VALUE, series / obs_attrs the attributes. */
static int row(exp_sink *s, const exp_obs *o, int show_obs, int series_attrs, int obs_attrs)
{
    int rc = exp_csv_field(s, DATAFLOW_CELL, 0);
    for (int d = 0; rc == 0 && d < EXP_NDIMS; d++)
        rc = exp_csv_field(s, o->key[d], 0);
    if (rc == 0)
        rc = exp_csv_field(s, show_obs ? o->period : "", 0);
    if (rc == 0)
        rc = exp_csv_field(s, show_obs && o->has_value ? o->value : "", 0);
    const char *unit = exp_unit_of(o->key[EXP_D_MESURE]);
    int dec = exp_decimals_of(o->key[EXP_D_MESURE]);
    char st[2] = {o->obs_status, '\0'}, cf[2] = {o->conf_status, '\0'};
    if (rc == 0)
        rc = exp_csv_field(s, series_attrs && unit ? unit : "", 0);
    if (rc == 0)
        rc = exp_csv_field(s, series_attrs ? "0" : "", 0);
    if (rc == 0)
        rc = exp_csv_field(s, series_attrs ? (dec == 1 ? "1" : "0") : "", 0);
    if (rc == 0)
        rc = exp_csv_field(s, obs_attrs ? st : "", 0);
    if (rc == 0)
        rc = exp_csv_field(s, obs_attrs ? cf : "", 1);
    return rc;
}

int exp_csv_series(exp_sink *s, exp_detail detail, const exp_obs *obs, size_t n)
{
    if (n == 0)
        return 0;
    switch (detail) {
    case EXP_DETAIL_SERIESKEYSONLY:
        return row(s, &obs[0], 0, 0, 0);
    case EXP_DETAIL_NODATA:
        return row(s, &obs[0], 0, 1, 0);
    case EXP_DETAIL_DATAONLY:
    case EXP_DETAIL_FULL:
        break;
    }
    int full = detail == EXP_DETAIL_FULL;
    for (size_t i = 0; i < n; i++)
        if (row(s, &obs[i], 1, full, full))
            return -1;
    return 0;
}
