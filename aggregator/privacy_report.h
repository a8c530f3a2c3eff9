/* privacy_report.h: the re-identification risk report (issue 12, point 4; docs/privacy.md,
 * "Re-identification risk"): the stored microdata measured the way ARX does, over the
 * quasi-identifiers the contact table keeps (post, month, sex, age band, département of
 * residence, status), and the published tables' withheld cells by rule.
 * `iscgobs privacy report` (cli/privacy.c) and GET /api/v1/privacy/report (administrators).
 */
#ifndef AGG_PRIVACY_REPORT_H
#define AGG_PRIVACY_REPORT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "http.h"
#include "status.h"

/* The report of period (YYYY, YYYY-Qn or YYYY-MM; NULL: the latest year with contacts, or
 * the current year when there is none) with threshold k, as a new JSON object *out (caller
 * decrefs): "period", "from", "to", "k", "quasi_identifiers", "microdata" {records, persons,
 * classes, histogram [{size, classes, records}], distribution [{sizes, classes, records,
 * share}], classes_below_k, records_below_k, share_below_k, records_unique, share_unique,
 * highest_risk, average_risk}, "published" {public, analyst: {cells, free, no_observation,
 * primary, secondary, withheld, share_withheld}}. A class's size is its number of distinct
 * persons (pseudonyms); records are contact rows. OBS_ERR_INPUT (E_PERIOD_FORMAT) for a bad
 * period; OBS_ERR_DB, OBS_ERR_NOMEM, OBS_ERR_INTERNAL (protection failure). */
obs_status agg_privacy_report(PGconn *c, const char *period, int k, json_t **out, obs_err *e);

extern const obs_route agg_privacy_routes[];
extern const size_t agg_privacy_routes_count;

#endif
