/* page.h: the layout every HTML page shares (templates/layout.html): navigation, the
 * security headers of HTML answers, error pages in French (page.c). Used by the reports of
 * this folder and by the browser front (web/). Design: docs/html.md.
 */
#ifndef EXP_PAGE_H
#define EXP_PAGE_H

#include <stddef.h>

#include "buf.h"
#include "html.h"
#include "http.h"
#include "status.h"

/* Largest HTML page we build (a national report is ~200 KiB). */
#define EXP_PAGE_MAX (8u << 20)

/* Where a page is going: the live service (navigation, login state) or static files. */
typedef struct exp_page_ctx {
    const obs_principal *who; /* NULL for a static export */
    int static_export;        /* 1: links between the exported files, no login */
    int nav_year;             /* the national report the navigation links to */
    char nav_month[8];        /* the monthly summary it links to ("YYYY-MM") */
} exp_page_ctx;

/* Fill ctx for a live request (default report year and month from the clock). */
void exp_page_ctx_live(exp_page_ctx *ctx, const obs_request *rq);

/* Write the whole page (layout.html: doctype, inline stylesheet, navigation, h1 = title,
 * body_html from the writer, footer) into out. Returns the writer's status. */
obs_status exp_page_render(obs_buf *out, const exp_page_ctx *ctx, const char *title,
                           const char *body_html);

/* Answer an HTML page: status, Content-Type, security headers (CSP without any external
 * source, no framing, no referrer, no-store for logged-in pages). body_html was built with
 * the writer whose status is body_rc: on failure a 503 page is answered instead. */
void exp_page_send(obs_request *rq, obs_response *rs, int status, const char *title,
                   const obs_buf *body, obs_status body_rc);

/* An error page with a French message (text). 503 pages carry Retry-After. */
void exp_page_error(obs_request *rq, obs_response *rs, int status, const char *message);

/* The error page of a failure context (status from obs_status_http). */
void exp_page_fail(obs_request *rq, obs_response *rs, const obs_err *e);

/* The months' names: "janvier" ... for 1..12 (NULL otherwise), and "janv." short forms. */
const char *exp_month_name(int month);
const char *exp_month_short(int month);

#endif
