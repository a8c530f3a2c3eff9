/* report_routes.c: the routes of the public reports (/, /rapports/national/AAAA,
 * /rapports/mensuel/AAAA-MM) and `iscgobs export html`, which writes the same public pages as
 * static files with the same protection (docs/html.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "config.h"
#include "audit.h"
#include "db.h"
#include "db_read.h"
#include "filter.h"
#include "ref.h"
#include "page.h"
#include "reports.h"
#include "signed_export.h"

/* "YYYY" with a year 2000..2999, into *year. */
static int parse_year(const char *s, int *year)
{
    if (strlen(s) != 4 || strspn(s, "0123456789") != 4)
        return 0;
    *year = (int)strtol(s, NULL, 10);
    return *year >= 2000 && *year <= 2999;
}

/* "YYYY-MM" */
static int parse_month(const char *s, int *year, int *month)
{
    char y[5];
    if (strlen(s) != 7 || s[4] != '-' || strspn(s + 5, "0123456789") != 2)
        return 0;
    memcpy(y, s, 4);
    y[4] = '\0';
    *month = (int)strtol(s + 5, NULL, 10);
    return parse_year(y, year) && *month >= 1 && *month <= 12;
}

/* Shared by both reports: authenticate (for the navigation and the analysts' parts), build
 * the body with fn, answer. */
typedef obs_status (*report_fn)(PGconn *c, const int *args, const exp_page_ctx *ctx,
                                obs_buf *body, char *title, size_t cap, obs_err *e);

static obs_status national(PGconn *c, const int *a, const exp_page_ctx *ctx, obs_buf *body,
                           char *title, size_t cap, obs_err *e)
{
    (void)ctx;
    return exp_report_national(c, a[0], body, title, cap, e);
}

static obs_status monthly(PGconn *c, const int *a, const exp_page_ctx *ctx, obs_buf *body,
                          char *title, size_t cap, obs_err *e)
{
    return exp_report_monthly(c, a[0], a[1], ctx, body, title, cap, e);
}

static void report(obs_request *rq, obs_response *rs, report_fn fn, const int *args)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        exp_page_fail(rq, rs, &e);
        return;
    }
    exp_page_ctx ctx;
    exp_page_ctx_live(&ctx, rq);
    /* Anonymous readers may be served by the standby (db_read.h), accounts by the primary. */
    PGconn *c = rq->who.role == OBS_ROLE_NONE ? obs_db_read_conn(&e) : obs_db_conn(&e);
    obs_buf body;
    obs_buf_init(&body, EXP_PAGE_MAX);
    char title[160];
    obs_status rc = c ? fn(c, args, &ctx, &body, title, sizeof title, &e) : OBS_ERR_DB;
    if (rc && (c = obs_db_read_retry(c, &e)) != NULL) {
        obs_buf_reset(&body);
        rc = fn(c, args, &ctx, &body, title, sizeof title, &e);
    }
    if (rc) {
        obs_buf_free(&body);
        exp_page_fail(rq, rs, &e);
        return;
    }
    exp_page_send(rq, rs, 200, title, &body, OBS_OK);
    obs_buf_free(&body);
}

static void national_get(obs_request *rq, obs_response *rs)
{
    int year;
    if (!parse_year(rq->seg[2], &year)) {
        exp_page_error(rq, rs, 404, "Année invalide : l'adresse attendue est "
                                    "/rapports/national/AAAA, par exemple /rapports/national/2025.");
        return;
    }
    report(rq, rs, national, (int[]){year});
}

static void monthly_get(obs_request *rq, obs_response *rs)
{
    int year, month;
    if (!parse_month(rq->seg[2], &year, &month)) {
        exp_page_error(rq, rs, 404, "Mois invalide : l'adresse attendue est "
                                    "/rapports/mensuel/AAAA-MM, par exemple /rapports/mensuel/2025-03.");
        return;
    }
    report(rq, rs, monthly, (int[]){year, month});
}

/* GET /: the national report of the last complete year. */
static void home_get(obs_request *rq, obs_response *rs)
{
    exp_page_ctx ctx;
    exp_page_ctx_live(&ctx, rq);
    char loc[64];
    snprintf(loc, sizeof loc, "/rapports/national/%d", ctx.nav_year);
    obs_http_text(rs, 303, "text/plain; charset=utf-8", "Voir le rapport national.\n");
    obs_http_add_header(rs, "Location", loc);
}

const obs_route exp_report_routes[] = {
    {"GET", "/", home_get, 0},
    {"GET", "/rapports/national/*", national_get, 0},
    {"GET", "/rapports/mensuel/*", monthly_get, 0},
};
const size_t exp_report_routes_count = OBS_ARRAY_LEN(exp_report_routes);

/* ---- iscgobs export html ---- */

/* Render one public report (month 0: the national one of year) as a standalone file
 * out/NAME-PERIOD.html. OBS_ERR_NOT_FOUND when the period has no published figure. */
static obs_status export_one(PGconn *c, const char *out, int year, int month, obs_err *e)
{
    exp_page_ctx ctx = {.who = NULL, .static_export = 1};
    obs_buf body, page;
    obs_buf_init(&body, EXP_PAGE_MAX);
    obs_buf_init(&page, EXP_PAGE_MAX);
    char title[160], path[1200];
    obs_status rc = month ? exp_report_monthly(c, year, month, &ctx, &body, title, sizeof title, e)
                          : exp_report_national(c, year, &body, title, sizeof title, e);
    if (rc == OBS_OK && (rc = exp_page_render(&page, &ctx, title, body.data)) != OBS_OK)
        obs_fail(e, rc, "E_NOMEM", "page trop grande ou mémoire insuffisante");
    if (rc == OBS_OK) {
        if (month)
            snprintf(path, sizeof path, "%s/synthese-mensuelle-%04d-%02d.html", out, year % 10000,
                     month % 100);
        else
            snprintf(path, sizeof path, "%s/etat-des-lieux-national-%04d.html", out, year % 10000);
        FILE *f = fopen(path, "wb");
        int written = f && fwrite(page.data, 1, page.len, f) == page.len;
        if (f && fclose(f) != 0)
            written = 0;
        if (written) {
            fprintf(stderr, "page écrite : %s\n", path);
            exp_publish_note(path); /* signed once the export is complete */
        }
        else
            rc = obs_fail(e, OBS_ERR_IO, "E_IO", "impossible d'écrire %s", path);
    }
    obs_buf_free(&body);
    obs_buf_free(&page);
    return rc;
}

int exp_cmd_export_html(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: iscgobs export html --period AAAA|AAAA-MM [--out DOSSIER]\n"
                   "Écrit les pages publiques (secret statistique appliqué) en fichiers HTML\n"
                   "autonomes : AAAA -> l'état des lieux national de l'année et la synthèse\n"
                   "mensuelle de chacun de ses mois publiés ; AAAA-MM -> la synthèse de ce mois.\n");
            return 0;
        }
    const char *period = obs_arg_value(argc, argv, 1, "--period");
    const char *out = obs_arg_value(argc, argv, 1, "--out");
    int year = 0, month = 0;
    if (period == NULL || (!parse_year(period, &year) && !parse_month(period, &year, &month))) {
        fprintf(stderr, "iscgobs: export html --period AAAA ou AAAA-MM est obligatoire\n");
        return 2;
    }
    if (out == NULL)
        out = ".";
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    PGconn *c = NULL;
    obs_status rc = obs_config_load(&cfg, &e);
    if (rc == OBS_OK)
        rc = ref_init(&e);
    if (rc == OBS_OK && (c = obs_db_open(cfg.database_url, &e)) == NULL)
        rc = OBS_ERR_DB;
    if (rc == OBS_OK && mkdir(out, 0755) != 0 && errno != EEXIST)
        rc = obs_fail(&e, OBS_ERR_IO, "E_IO", "impossible de créer %s", out);
    if (rc == OBS_OK)
        rc = export_one(c, out, year, month, &e);
    /* A year: also each of its months that has published figures (the others, not begun or
     * without any grid, have no page, as GET /rapports/mensuel answers 404 for them). */
    for (int m = 1; rc == OBS_OK && month == 0 && m <= 12; m++) {
        obs_err em;
        obs_err_clear(&em);
        obs_status r = export_one(c, out, year, m, &em);
        if (r != OBS_OK && r != OBS_ERR_NOT_FOUND) {
            e = em;
            rc = r;
        }
    }
    if (rc == OBS_OK) /* the pages are written: the publication goes to the audit log */
        rc = obs_audit_append(c, "cli", "publication.write", period, "written",
                              "{\"format\": \"html\"}", &e);
    obs_db_close(c);
    return rc ? obs_arg_fail(&e) : 0;
}
