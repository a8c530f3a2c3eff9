/* page.c: the layout every page shares (templates/layout.html), its navigation, the
 * security headers of HTML answers and the error pages (see page.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "page.h"

static const char *const MONTHS[] = {"janvier", "février", "mars",      "avril",
                                     "mai",     "juin",    "juillet",   "août",
                                     "septembre", "octobre", "novembre", "décembre"};
static const char *const MONTHS_SHORT[] = {"janv.", "févr.", "mars", "avr.", "mai",  "juin",
                                           "juil.", "août",  "sept.", "oct.", "nov.", "déc."};

const char *exp_month_name(int m)
{
    return m >= 1 && m <= 12 ? MONTHS[m - 1] : NULL;
}

const char *exp_month_short(int m)
{
    return m >= 1 && m <= 12 ? MONTHS_SHORT[m - 1] : NULL;
}

void exp_page_ctx_live(exp_page_ctx *ctx, const obs_request *rq)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->who = &rq->who;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int y = tm.tm_year + 1900, m = tm.tm_mon + 1; /* the last month that has ended */
    if (--m == 0) {
        m = 12;
        y--;
    }
    ctx->nav_year = tm.tm_year + 1900 - 1;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d", y % 10000, m % 100);
    snprintf(ctx->nav_month, sizeof ctx->nav_month, "%.7s", tmp);
}

/* The navigation bar (empty for static exports: each file stands alone). */
static void nav(exp_html *h, const exp_page_ctx *ctx)
{
    if (ctx->static_export)
        return;
    exp_html_raw(h, "<nav aria-label=\"Navigation principale\"><ul><li><a href=\"/rapports/national/");
    exp_html_num(h, "%d", ctx->nav_year);
    exp_html_raw(h, "\">État des lieux national</a></li><li><a href=\"/rapports/mensuel/");
    exp_html_text(h, ctx->nav_month);
    exp_html_raw(h, "\">Synthèse mensuelle</a></li>");
    const obs_principal *who = ctx->who;
    if (who && who->role == OBS_ROLE_POST)
        exp_html_raw(h, "<li><a href=\"/poste\">Mon poste</a></li>");
    if (who && who->session) {
        exp_html_raw(h, "<li><form method=\"post\" action=\"/deconnexion\">"
                        "<input type=\"hidden\" name=\"csrf\"");
        exp_html_attr(h, "value", who->csrf);
        exp_html_raw(h, "/><button type=\"submit\">Se déconnecter (");
        exp_html_text(h, who->name);
        exp_html_raw(h, ")</button></form></li>");
    } else if (who == NULL || who->role == OBS_ROLE_NONE) {
        exp_html_raw(h, "<li><a href=\"/connexion\">Connexion</a></li>");
    }
    exp_html_raw(h, "</ul></nav>");
}

obs_status exp_page_render(obs_buf *out, const exp_page_ctx *ctx, const char *title,
                           const char *body_html)
{
    obs_buf navb;
    obs_buf_init(&navb, 16384);
    exp_html nh;
    exp_html_init(&nh, &navb);
    nav(&nh, ctx);
    char footer[256], when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%d/%m/%Y à %H:%M UTC", &tm);
    snprintf(footer, sizeof footer,
             "Page produite le %s par le service de l'observatoire. Les effectifs inférieurs "
             "à %d personnes sont couverts par le secret statistique.",
             when, obs_config_get()->sdc_k);
    const exp_tpl_var vars[] = {
        {"title", title, NULL},
        {"css", NULL, exp_template_text("style.css")},
        {"nav", NULL, navb.data ? navb.data : ""},
        {"main", NULL, body_html ? body_html : ""},
        {"footer", footer, NULL},
    };
    exp_html h;
    exp_html_init(&h, out);
    h.rc = nh.rc;
    exp_html_template(&h, "layout.html", vars, OBS_ARRAY_LEN(vars));
    obs_buf_free(&navb);
    return h.rc;
}

static void security_headers(obs_request *rq, obs_response *rs)
{
    /* No external source of any kind: styles are inline, charts are inline SVG. */
    obs_http_add_header(rs, "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    obs_http_add_header(rs, "X-Frame-Options", "DENY");
    obs_http_add_header(rs, "Referrer-Policy", "no-referrer");
    int personal = rq->who.role != OBS_ROLE_NONE || rq->pending.session;
    obs_http_add_header(rs, "Cache-Control", personal ? "no-store" : "no-cache");
}

void exp_page_send(obs_request *rq, obs_response *rs, int status, const char *title,
                   const obs_buf *body, obs_status body_rc)
{
    exp_page_ctx ctx;
    exp_page_ctx_live(&ctx, rq);
    obs_buf page;
    obs_buf_init(&page, EXP_PAGE_MAX);
    obs_status rc = body_rc ? body_rc
                            : exp_page_render(&page, &ctx, title,
                                              body && body->data ? body->data : "");
    if (rc) {
        obs_buf_free(&page);
        rs->status = 503;
        obs_http_text(rs, 503, "text/plain; charset=utf-8",
                      "Service momentanément indisponible : réessayez dans un instant.\n");
        obs_http_add_header(rs, "Retry-After", "5");
        return;
    }
    rs->status = status;
    snprintf(rs->content_type, sizeof rs->content_type, "text/html; charset=utf-8");
    obs_buf_free(&rs->body);
    rs->body = page; /* the response owns the page now */
    security_headers(rq, rs);
}

void exp_page_error(obs_request *rq, obs_response *rs, int status, const char *message)
{
    const char *title = status == 404   ? "Page introuvable"
                        : status == 403 ? "Accès refusé"
                        : status == 401 ? "Connexion requise"
                        : status == 503 ? "Service momentanément indisponible"
                        : status >= 500 ? "Erreur interne"
                                        : "Demande refusée";
    obs_buf b;
    obs_buf_init(&b, 65536);
    exp_html h;
    exp_html_init(&h, &b);
    exp_html_raw(&h, "<div class=\"alerte\" role=\"alert\"><p>");
    exp_html_text(&h, message);
    exp_html_raw(&h, "</p></div>");
    if (status == 401)
        exp_html_raw(&h, "<p><a href=\"/connexion\">Se connecter</a></p>");
    exp_page_send(rq, rs, status, title, &b, h.rc);
    obs_buf_free(&b);
    if (status == 503 && strncmp(rs->content_type, "text/html", 9) == 0)
        obs_http_add_header(rs, "Retry-After", "5"); /* (the fallback page has its own) */
}

void exp_page_fail(obs_request *rq, obs_response *rs, const obs_err *e)
{
    int status = obs_status_http(e->status);
    exp_page_error(rq, rs, status, e->msg[0] ? e->msg : "erreur interne");
}
