/* sdmx_source.h: the page source every data answer reads from: one publication run's
 * observations (sdmx_vintage.h) in series order, a bounded number of rows per page (keyset
 * pagination on the indexes of sdmx_vintage). A run's rows never change, so the pages of one
 * answer are consistent without holding a transaction open. */
#ifndef EXP_SDMX_SOURCE_H
#define EXP_SDMX_SOURCE_H

#include <libpq-fe.h>
#include <time.h>

#include "sdmx_data.h"
#include "sdmx_key.h"

/* The key columns of sdmx_vintage, in the order of EXP_NDIMS (the period apart). */
#define EXP_VINTAGE_KEYCOLS                                                                   \
    "freq, area, mesure, sexe, age, statut, origine, problematique, partenaire, mode"

typedef struct exp_run {
    long long id;        /* 0: nothing was ever published (asOf before the first run) */
    time_t published_at; /* when the run was recorded */
    char extracted[24];  /* when its figures are as of: "YYYY-MM-DDTHH:MM:SSZ" ("" unknown) */
} exp_run;

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

#endif
