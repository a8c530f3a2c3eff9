/* web_routes.h: the handlers of the web pages, in the route table web_routes
 * (web_routes.c). Exposed for the route table only. */
#ifndef WEB_ROUTES_H
#define WEB_ROUTES_H

#include "http.h"

void web_login_get(obs_request *rq, obs_response *rs);   /* GET /connexion */
void web_login_post(obs_request *rq, obs_response *rs);  /* POST /connexion */
void web_logout_post(obs_request *rq, obs_response *rs); /* POST /deconnexion */
void web_post_get(obs_request *rq, obs_response *rs);    /* GET /poste */
void web_post_upload(obs_request *rq, obs_response *rs); /* POST /poste/depot */

#endif
