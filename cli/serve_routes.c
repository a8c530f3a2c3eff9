/* serve_routes.c: the route table of `iscgobs serve` (see serve_routes.h). A new stage's
 * routes are added here, and tests/integration/web/test_access.c then asks for their access
 * rules. */
#include "serve_routes.h"

#include "http.h"
#include "privacy_report.h"
#include "route_audit.h"
#include "route_grids.h"
#include "route_health.h"
#include "routes.h"
#include "reports.h"
#include "sdmx_rest.h"
#include "signed_export.h"
#include "template.h"
#include "web.h"

void cli_add_routes(void)
{
    obs_http_add_routes(obs_health_routes, obs_health_routes_count);
    obs_http_add_routes(col_grid_routes, col_grid_routes_count);
    obs_http_add_routes(agg_routes, agg_routes_count);
    obs_http_add_routes(exp_sdmx_routes, exp_sdmx_routes_count);
    obs_http_add_routes(exp_report_routes, exp_report_routes_count);
    obs_http_add_routes(web_routes, web_routes_count);
    obs_http_add_routes(obs_audit_routes, obs_audit_routes_count);
    obs_http_add_routes(exp_publish_routes, exp_publish_routes_count);
    obs_http_add_routes(agg_privacy_routes, agg_privacy_routes_count);
    obs_http_add_routes(exp_template_routes, exp_template_routes_count);
}
