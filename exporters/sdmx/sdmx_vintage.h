/* sdmx_vintage.h: publication runs and the published observations of each run (tables of
 * migrations/003_sdmx_vintages.sql); a run is read by the page source of sdmx_source.h.
 *
 * A run is the publication of one round (aggregator/protect.h: every year's protection
 * computed in one exported snapshot): its cells are read in the round's own snapshot with
 * the round's protection, the publication rules applied (exp_obs_from_cell), and what
 * changed since the last run recorded as a new run, under an advisory lock. A run is kept
 * only when some observation changed; otherwise the last run's state is brought up to date.
 * Its state names the round's generations (per year), the Paris month that drives the lock
 * rule and k; extracted_at is the latest change of the figures it covers (SDMX Extracted).
 * So every answer served is the publication of a recorded run and asOf=T reproduces it
 * exactly later (published_at is set just before the run's COMMIT).
 *
 * `serve` records runs in the background, after each round its thread builds
 * (exp_vintage_publish_background, the hook of agg_warm_on_round): a reader whose state
 * check finds the figures moved is served the run in force at once (docs/sdmx.md,
 * "Publication lag"). Only the first run ever, commands (`iscgobs export`) and readers
 * allowed to wait (ISCGOBS_PROTECT_WAIT_MS > 0) record one on their own path.
 */
#ifndef EXP_SDMX_VINTAGE_H
#define EXP_SDMX_VINTAGE_H

#include <libpq-fe.h>
#include <time.h>

#include "sdmx_source.h"

/* The run in force. trigger: "query", "export" or "publish". One statement when nothing
 * changed (the state is cached per process). When the figures changed: in a server that
 * publishes in the background, the last run at once; elsewhere (or before any run) the
 * latest round is published first (agg_round_ready: a command builds a fresh one).
 * Failures: OBS_ERR_DB (E_SDMX_BUSY: no round to publish), OBS_ERR_NOMEM, OBS_ERR_INTERNAL
 * (a cell the model refuses). */
obs_status exp_vintage_current(PGconn *c, const char *trigger, exp_run *run, obs_err *e);

/* The run in force, for the REST API: like exp_vintage_current, but answered from memory
 * without any statement while nothing can have changed (docs/sdmx.md, "State check"): no
 * notification on channel sdmx_state since the last check (a listener thread, started on the
 * first call, LISTENs on its own connection), no local upload in the last few seconds
 * (exp_vintage_touch), the Paris month unchanged, and the last check less than a minute old.
 * Otherwise the statement runs as in exp_vintage_current. */
obs_status exp_vintage_current_fast(PGconn *c, exp_run *run, obs_err *e);

/* Record the run of the latest round if its figures changed (serve's background thread,
 * after each round; failures are logged). */
void exp_vintage_publish_background(void);

/* Note that this process is changing the indicators (the upload hook calls it inside the
 * upload's transaction): answers check the state again for the next few seconds, closing the
 * gap between the upload's commit and the arrival of its notification. */
void exp_vintage_touch(void);

/* The run in force at time t: the last one published at or before t (id 0 when none). */
obs_status exp_vintage_as_of(PGconn *c, time_t t, exp_run *run, obs_err *e);

/* 1 when publication state a ("year:gen,...|YYYY-MM|k=..|lock=..") is older than state b: a
 * year of b at a later generation than in a (or missing from a), or an earlier Paris month.
 * A round read before another server's run is then not recorded after it. */
int exp_state_older(const char *a, const char *b);

/* Forget the cached state (tests; after the database was replaced). */
void exp_vintage_reset(void);

/* The id of the last run published at or before t (0: none), for updatedAfter. */
obs_status exp_vintage_run_at(PGconn *c, time_t t, long long *id, obs_err *e);

#endif
