/* sdmx_vintage.h: publication runs and the published observations of each run (tables of
 * migrations/003_sdmx_vintages.sql), and the page source every data answer reads from.
 *
 * A publication run is taken lazily: exp_vintage_current compares the state of the indicator
 * store (the aggregator's generation per year, the Paris month that drives the lock rule,
 * k) with the last run's, and when it differs, reads the protected cells through
 * agg_published_cells, applies the publication rules (exp_obs_from_cell) and records what
 * changed as a new run, under an advisory lock. A run is kept only when some observation
 * changed; otherwise the last run's state is brought up to date. The cells of a run are one
 * state of the store: the state is read again after them, and they are read again when it
 * moved. So every answer served is the publication of a recorded run and asOf=T reproduces it
 * exactly later (published_at is set just before the run's COMMIT).
 *
 * Readers then page through one run's observations in series order (keyset pagination on the
 * indexes, a bounded number of rows per page): a run's rows never change, so pages of one
 * answer are consistent without holding a transaction open.
 */
#ifndef EXP_SDMX_VINTAGE_H
#define EXP_SDMX_VINTAGE_H

#include <libpq-fe.h>
#include <time.h>

#include "sdmx_data.h"
#include "sdmx_key.h"

typedef struct exp_run {
    long long id;        /* 0: nothing was ever published (asOf before the first run) */
    time_t published_at; /* when the run was recorded */
} exp_run;

/* The run in force, taking a new one when the figures changed. trigger: "query", "export"
 * or "publish". One statement when nothing changed (the state is cached per process). When
 * the indicators changed during each of three snapshots, the last run stays in force.
 * Failures: OBS_ERR_DB (E_SDMX_BUSY: no run yet and the indicators never held still),
 * OBS_ERR_NOMEM, OBS_ERR_INTERNAL (a cell the model refuses). */
obs_status exp_vintage_current(PGconn *c, const char *trigger, exp_run *run, obs_err *e);

/* The run in force, for the REST API: like exp_vintage_current, but answered from memory
 * without any statement while nothing can have changed (docs/sdmx.md, "State check"): no
 * notification on channel sdmx_state since the last check (a listener thread, started on the
 * first call, LISTENs on its own connection), no local upload in the last few seconds
 * (exp_vintage_touch), the Paris month unchanged, and the last check less than a minute old.
 * Otherwise the statement runs as in exp_vintage_current. */
obs_status exp_vintage_current_fast(PGconn *c, exp_run *run, obs_err *e);

/* Note that this process is changing the indicators (the upload hook calls it inside the
 * upload's transaction): answers check the state again for the next few seconds, closing the
 * gap between the upload's commit and the arrival of its notification. */
void exp_vintage_touch(void);

/* The run in force at time t: the last one published at or before t (id 0 when none). */
obs_status exp_vintage_as_of(PGconn *c, time_t t, exp_run *run, obs_err *e);

/* Forget the cached state (tests; after the database was replaced). */
void exp_vintage_reset(void);

/* What to read: a query over one run. Built once per answer (SQL text and parameters). */
typedef struct exp_source {
    char sql_first[2048];  /* first page */
    char sql_next[2560];   /* next pages: after a keyset cursor */
    char sql_count[1536];  /* how many observations */
    char arrays[EXP_NDIMS][2048];
    char start[16], end[16], run[24], upd[24];
    int has_start, has_end, has_upd;
    int order[EXP_NDIMS + 1]; /* sort columns: key dimension index, EXP_DIM_TIME for period */
} exp_source;

/* Prepare src for query q over run (updated_after_run > 0 keeps only observations first
 * published by a later run). OBS_ERR_INTERNAL when the filters do not fit the buffers. */
obs_status exp_source_init(exp_source *src, const exp_data_query *q, const exp_run *run,
                           long long updated_after_run, obs_err *e);

/* Up to limit observations in series order into out[0..*n): the first page when after is
 * NULL, else those after observation after. */
obs_status exp_source_page(PGconn *c, const exp_source *src, const exp_obs *after,
                           size_t limit, exp_obs *out, size_t *n, obs_err *e);

/* How many observations src selects. */
obs_status exp_source_count(PGconn *c, const exp_source *src, long long *n, obs_err *e);

/* The id of the last run published at or before t (0: none), for updatedAfter. */
obs_status exp_vintage_run_at(PGconn *c, time_t t, long long *id, obs_err *e);

#endif
