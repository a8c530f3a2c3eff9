/* serve_routes.h: the route table of `iscgobs serve`, every stage's routes in the order they
 * are matched; shared by serve, `iscgobs routes`, the fault-injection test and the routing
 * fuzz harness, so that all four see the same table. */
#ifndef CLI_SERVE_ROUTES_H
#define CLI_SERVE_ROUTES_H

/* Register every stage's routes with the HTTP layer (obs_http_add_routes), once per
 * process, before obs_http_start. */
void cli_add_routes(void);

#endif
