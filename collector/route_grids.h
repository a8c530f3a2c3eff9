/* route_grids.h: the collector's HTTP routes (grid upload, dry run, a post's months). */
#ifndef COL_ROUTE_GRIDS_H
#define COL_ROUTE_GRIDS_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "crypto.h"
#include "http.h"

/* The routes to register with obs_http_add_routes. */
extern const obs_route col_grid_routes[];
extern const size_t col_grid_routes_count;

/* The routes pseudonymise with the keys of col_keys_setup (keys.h), called before serving. */

/* The upload pipeline of PUT /api/v1/grids/{post}/{period} (dry_run 0) and of its /validate
 * dry run (1), for a body data[0..len) of media type ctype: checks rights (through
 * obs_http_require_login), the period, parses, validates, pseudonymises and stores, and fills
 * rs with the JSON answer the API documents (receipt, 422 report, 4xx, 503). The web form of
 * the post's page (exporters/page_post.c) calls it too. data is wiped once parsed. */
void col_grid_upload(obs_request *rq, obs_response *rs, const char *post, const char *period,
                     const char *ctype, const char *data, size_t len, int dry_run);

/* The months of a post as GET /api/v1/grids/{post} lists them: a new JSON array *months
 * (the caller owns it) of {period, status: on_time|late|missing|expected, and when received:
 * version, rows, persons, on_time, first_received_at, received_at}, oldest first.
 * OBS_ERR_NOT_FOUND (E_POST_UNKNOWN) for a post not in the register, OBS_ERR_DB, OBS_ERR_NOMEM. */
obs_status col_post_months(PGconn *c, const char *post, json_t **months, obs_err *e);

#endif
