/* route_grids.h: the collector's HTTP routes (grid upload, dry run, a post's months). */
#ifndef COL_ROUTE_GRIDS_H
#define COL_ROUTE_GRIDS_H

#include <stddef.h>

#include "crypto.h"
#include "http.h"

/* The routes to register with obs_http_add_routes. */
extern const obs_route col_grid_routes[];
extern const size_t col_grid_routes_count;

/* Give the routes the pseudonymisation key (copied) and its database id. Call before
 * serving; col_grids_teardown wipes the copy. */
void col_grids_setup(const obs_key *key, int key_id);
void col_grids_teardown(void);

#endif
