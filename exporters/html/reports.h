/* reports.h: the public HTML reports, built as page bodies (the layout is added by
 * exp_page_render): the national state of play of a year (report_national.c), the monthly
 * summary for the ministry (report_monthly.c), and the methodology note both carry
 * (report_method.c). Every figure comes protected from the aggregator's publication.
 */
#ifndef EXP_REPORTS_H
#define EXP_REPORTS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "buf.h"
#include "html.h"
#include "http.h"
#include "page.h"
#include "status.h"

/* The national state of play of year into body, its title into title (cap bytes).
 * OBS_ERR_NOT_FOUND when the year has no published figure; OBS_ERR_DB, OBS_ERR_NOMEM. */
obs_status exp_report_national(PGconn *c, int year, obs_buf *body, char *title, size_t cap,
                               obs_err *e);

/* The monthly summary of year-month for the page's destination ctx (page.h): ctx->who
 * (NULL: public) decides whether the per-post parts (late and missing posts, outlier flags)
 * are included, for analysts and administrators only; a static export (ctx->static_export)
 * links to no page of the service. Same failures as exp_report_national. */
obs_status exp_report_monthly(PGconn *c, int year, int month, const exp_page_ctx *ctx,
                              obs_buf *body, char *title, size_t cap, obs_err *e);

/* The methodology note (definitions, disclosure rules with the configured k, vintage):
 * vintage is the latest reception of a grid the figures include ("" when unknown),
 * provisional 1 when some month of the figures can still change. */
void exp_report_method(exp_html *h, const char *vintage, int provisional);

/* The latest reception time (UTC, "JJ/MM/AAAA à HH:MM UTC") of a grid of the months
 * [first, last] ("YYYY-MM-01"), into out; "" when none. */
obs_status exp_report_vintage(PGconn *c, const char *first, const char *last, char *out,
                              size_t cap, obs_err *e);

/* The report routes (report_routes.c): GET /, /rapports/national/AAAA, /rapports/mensuel/AAAA-MM. */
extern const obs_route exp_report_routes[];
extern const size_t exp_report_routes_count;

/* `iscgobs export html --period P --out DIR`: the public pages as static files. */
int exp_cmd_export_html(int argc, char **argv);

#endif
