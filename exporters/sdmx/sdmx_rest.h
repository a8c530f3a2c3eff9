/* sdmx_rest.h: the public SDMX 2.1 REST API under /sdmx (../shared/spec/sdmx.md section 2,
 * docs/sdmx.md): data, structure and schema queries, content negotiation, conditional
 * requests, SDMX-ML Error messages, and GET /sdmx/ping (a static 1 KiB answer, the baseline
 * of bench/sdmx.sh). No authentication: everything served is protected and public. A data
 * answer selecting more than ISCGOBS_SDMX_MAX_OBS observations is refused with 413. */
#ifndef EXP_SDMX_REST_H
#define EXP_SDMX_REST_H

#include <stddef.h>

#include "http.h"
#include "sdmx_data.h"

extern const obs_route exp_sdmx_routes[];
extern const size_t exp_sdmx_routes_count;

/* The data format an Accept header (and an optional format= parameter) asks for: 0 and *fmt
 * set, or -1 when nothing acceptable is offered (406). NULL accept means any. */
int exp_negotiate_data(const char *accept, const char *format_param, exp_format *fmt);

/* 0 when an Accept header allows an SDMX-ML structure message (or an XML schema when schema
 * is set), -1 otherwise. */
int exp_negotiate_structure(const char *accept, int schema);

/* The Content-Type of a data format. */
const char *exp_format_ctype(exp_format f);

/* Handlers (exposed for the route table). */
void exp_sdmx_data_get(obs_request *rq, obs_response *rs);
void exp_sdmx_structure_get(obs_request *rq, obs_response *rs);
void exp_sdmx_schema_get(obs_request *rq, obs_response *rs);
void exp_sdmx_other_get(obs_request *rq, obs_response *rs);
void exp_sdmx_ping_get(obs_request *rq, obs_response *rs);

/* Forget cached answers (tests). */
void exp_sdmx_cache_reset(void);

#endif
