/* route_template.c: GET /api/v1/grids/{post}/{YYYY-MM}/modele.xlsx and .../modele.ods, the
 * grid template of a post's month (template.h). Who: the post's own account (bearer token or
 * web session: the post's page links here) and administrators; analysts and other posts get
 * 403. A post not in the register is a 404; a malformed month a 400. The file is served as an
 * attachment named <post>_<YYYY-MM>.<ext>, the name the upload reader recognises.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "template.h"

static const char SQL_POST_KNOWN[] = "SELECT 1 FROM post WHERE code = $1";

static void template_get(obs_request *rq, obs_response *rs)
{
    const char *post = rq->seg[3], *period = rq->seg[4], *file = rq->seg[5];
    exp_tpl_format f = EXP_TPL_XLSX;
    exp_tpl_format_of(file, &f); /* the route's own pattern: modele.xlsx or modele.ods */
    if (!obs_http_require_login(rq, rs))
        return;
    if (rq->who.role != OBS_ROLE_ADMIN &&
        (rq->who.role != OBS_ROLE_POST || strcmp(rq->who.post, post) != 0)) {
        obs_http_error(rs, 403, "E_FORBIDDEN",
                       "seul le poste lui-même ou un administrateur peut obtenir son modèle");
        return;
    }
    obs_err e;
    obs_err_clear(&e);
    exp_tpl t;
    if (exp_tpl_build(&t, post, period, &e)) {
        obs_http_error(rs, 400, e.code, e.msg);
        return;
    }
    PGconn *c = obs_db_conn(&e);
    PGresult *r = NULL;
    if (c == NULL || obs_db_exec_prepared(c, SQL_POST_KNOWN, 1, (const char *[]){post}, &r, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    int known = PQntuples(r) == 1;
    PQclear(r);
    if (!known) {
        obs_http_error(rs, 404, "E_POST_UNKNOWN", "ce poste n'est pas au registre des postes");
        return;
    }
    obs_buf_reset(&rs->body);
    obs_status rc = f == EXP_TPL_XLSX ? exp_tpl_write_xlsx(&t, &rs->body, &e)
                                      : exp_tpl_write_ods(&t, &rs->body, &e);
    if (rc) {
        obs_buf_reset(&rs->body);
        obs_http_fail(rs, &e);
        return;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"", t.grid_sheet,
             f == EXP_TPL_XLSX ? "xlsx" : "ods");
    rs->status = 200;
    snprintf(rs->content_type, sizeof rs->content_type, "%s",
             f == EXP_TPL_XLSX ? EXP_MEDIA_XLSX : EXP_MEDIA_ODS);
    if (obs_http_add_header(rs, "Content-Disposition", disposition) == OBS_OK)
        obs_http_add_header(rs, "Cache-Control", "private, no-store");
}

const obs_route exp_template_routes[] = {
    {"GET", "/api/v1/grids/*/*/modele.xlsx", template_get, 0},
    {"GET", "/api/v1/grids/*/*/modele.ods", template_get, 0},
};
const size_t exp_template_routes_count = OBS_ARRAY_LEN(exp_template_routes);
