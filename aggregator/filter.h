/* filter.h: the filters of GET /api/v1/indicators (service.md section 3), parsed and
 * validated once, then handed to the cell store as SQL array parameters.
 *
 * Every key of a cell is a filter taking comma-separated values (mesure=NB_PERSONNES,
 * PART_PERSONNES&area=FR,D93), plus from and to for a range of periods: a period is kept
 * when it lies entirely inside [first month of from, last month of to] (docs/indicators.md).
 */
#ifndef AGG_FILTER_H
#define AGG_FILTER_H

#include <stddef.h>

#include "period.h"
#include "status.h"

/* The filterable keys, in the order of the SQL parameters of the cell queries. */
typedef enum agg_fkey {
    AGG_F_MESURE,
    AGG_F_AREA,
    AGG_F_PERIOD,
    AGG_F_SEXE,
    AGG_F_AGE,
    AGG_F_STATUT,
    AGG_F_ORIGINE,
    AGG_F_PROBLEMATIQUE,
    AGG_F_PARTENAIRE,
    AGG_F_MODE,
    AGG_F_COUNT
} agg_fkey;

/* At most this many values per filter (more is a 400). */
#define AGG_FILTER_MAX_VALUES 512

typedef struct agg_query {
    /* Per key: NULL (no filter) or a PostgreSQL array literal of validated codes, "{FR,D93}".
     * Owned; agg_query_free releases. */
    char *list[AGG_F_COUNT];
    int has_from, has_to;
    agg_period from, to;  /* valid when has_from / has_to */
    int posts;            /* number of post codes named in the area filter */
    /* Filters on what is known only after protection (unit, obs_status, conf_status): bit i
     * set = the i-th code of AGG_UNITS / "AP" / "FCD" is kept; 0 = no filter. */
    unsigned unit_mask, obs_mask, conf_mask;
} agg_query;

/* The units of measure, in the order of unit_mask's bits. */
#define AGG_UNITS {"PERSONNES", "CONTACTS", "PCT", "POSTES", "GRILLES"}

/* The query parameter name of a key ("mesure", "area", ...). */
const char *agg_fkey_name(agg_fkey k);

/* Fill q from a request: get(ctx, name) returns the raw value of query parameter name or
 * NULL. Every value is checked against its code list (ref_init must have run); an empty
 * value is a filter that matches nothing but is refused as malformed. OBS_ERR_INPUT with
 * code E_FILTER and a French message naming the parameter; OBS_ERR_NOMEM. On failure q is
 * left empty (agg_query_free is harmless). */
typedef const char *(*agg_query_get)(void *ctx, const char *name);
obs_status agg_query_parse(agg_query_get get, void *ctx, agg_query *q, obs_err *e);

/* 1 when cell c (protected: conf_status set) passes the unit, obs_status and conf_status
 * filters of q. */
struct agg_cell;
int agg_query_keeps(const agg_query *q, const struct agg_cell *c);

/* 1 when name is a query parameter of GET /api/v1/indicators (a filter, from or to). */
int agg_query_is_param(const char *name);

/* An empty query (everything). */
void agg_query_init(agg_query *q);

/* Set one filter from a comma-separated list, validated as agg_query_parse does. */
obs_status agg_query_set(agg_query *q, agg_fkey k, const char *csv, obs_err *e);

/* 1 when area names a post ("ISCG-093-01"), 0 for FR, R.., D.. codes. */
int agg_area_is_post(const char *area);

/* 1 when the area filter of q names post code post (or any post when post is NULL). */
int agg_query_names_post(const agg_query *q, const char *post);

/* 1 when the area filter of q names a post other than post. */
int agg_query_names_other_post(const agg_query *q, const char *post);

/* Release what q owns; accepts an initialised or zeroed query. */
void agg_query_free(agg_query *q);

#endif
