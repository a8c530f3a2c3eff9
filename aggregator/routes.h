/* routes.h: the aggregator's HTTP routes (routes.c): GET /api/v1/indicators and
 * GET /api/v1/completeness, with the outlier rule of the completeness report: is a post's
 * monthly contact count far from its own history (median and MAD of previous months)? */
#ifndef AGG_ROUTES_H
#define AGG_ROUTES_H

#include <stddef.h>

#include "http.h"

/* Most cells one /api/v1/indicators answer may hold (more: 413, filter further). */
#define AGG_MAX_CELLS 200000

extern const obs_route agg_routes[];
extern const size_t agg_routes_count;

/* Handlers (in the route table; exposed for the route table only). */
void agg_indicators_get(obs_request *rq, obs_response *rs);
void agg_completeness_get(obs_request *rq, obs_response *rs);

/* ---- the outlier rule (docs/indicators.md) ---- */

#define AGG_OUTLIER_MIN_HISTORY 6  /* fewer months of history: not assessed */
#define AGG_OUTLIER_MAX_HISTORY 12 /* the previous 12 months at most */
#define AGG_OUTLIER_Z 3.5          /* how many robust standard deviations */

typedef struct agg_outlier {
    int assessed;   /* 1 when the history was long enough */
    int flagged;    /* 1 when x is outside [low, high] */
    double median;  /* of the history */
    double mad;     /* median of |h - median| */
    double scale;   /* max(1.4826 * MAD, sqrt(median), 1): a robust standard deviation with a
                       Poisson floor, so that a very regular post is not flagged for noise */
    double low, high; /* median -/+ AGG_OUTLIER_Z * scale */
} agg_outlier;

/* Assess x against hist[0..n) (any order; n may exceed AGG_OUTLIER_MAX_HISTORY: the caller
 * passes the months it wants). Fills out; returns out->flagged. hist is not modified. */
int agg_outlier_test(const double *hist, size_t n, double x, agg_outlier *out);

/* The median of v[0..n) (v is sorted in place); 0 for n = 0. */
double agg_median(double *v, size_t n);

#endif
