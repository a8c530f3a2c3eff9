/* web_routes.c: the route table of the browser front: the login page, logout, the post's page
 * and its upload form (docs/html.md). The public reports have their own table
 * (exporters/html/report_routes.c). */
#include "web.h"
#include "web_routes.h"

const obs_route web_routes[] = {
    {"GET", "/connexion", web_login_get, 0},
    {"POST", "/connexion", web_login_post, 8192},
    {"POST", "/deconnexion", web_logout_post, 8192},
    {"GET", "/poste", web_post_get, 0},
    {"POST", "/poste/depot", web_post_upload, OBS_HTTP_UPLOAD_LIMIT},
};
const size_t web_routes_count = OBS_ARRAY_LEN(web_routes);
