/* web_routes.h: the handlers of the web pages, in the route table exp_web_routes
 * (web_routes.c). Exposed for the route table only. */
#ifndef EXP_WEB_ROUTES_H
#define EXP_WEB_ROUTES_H

#include "http.h"

void exp_login_get(obs_request *rq, obs_response *rs);   /* GET /connexion */
void exp_login_post(obs_request *rq, obs_response *rs);  /* POST /connexion */
void exp_logout_post(obs_request *rq, obs_response *rs); /* POST /deconnexion */
void exp_post_get(obs_request *rq, obs_response *rs);    /* GET /poste */
void exp_post_upload(obs_request *rq, obs_response *rs); /* POST /poste/depot */

#endif
