/* sdmx_data.h: SDMX 2.1 data messages written forward, series by series: SDMX-ML GenericData
 * and StructureSpecificData (series with any dimension at observation level, or flat
 * AllDimensions), and SDMX-CSV 1.0 (sdmx_csv.c).
 *
 * The writer takes published observations (exp_obs) in series order and emits each series
 * when the next one starts, so it only ever holds one series: memory does not grow with the
 * size of the answer. Observations come from protected indicator cells (exp_obs_from_cell,
 * the one place where the publication rules are applied) or from the vintage store.
 */
#ifndef EXP_SDMX_DATA_H
#define EXP_SDMX_DATA_H

#include <stddef.h>

#include "cells.h"
#include "sdmx_dsd.h"
#include "sdmx_key.h"
#include "sdmx_out.h"

typedef enum exp_format { EXP_FMT_GENERIC, EXP_FMT_SS, EXP_FMT_CSV } exp_format;

/* One published observation: the key, the period and what may be shown. */
typedef struct exp_obs {
    char key[EXP_NDIMS][20]; /* codes in DSD order: FREQ, REF_AREA, MESURE, SEXE, ... MODE */
    char period[8];          /* TIME_PERIOD: 2026-03, 2026-Q1, 2026 */
    int has_value;           /* 0: no OBS_VALUE (withheld, or no denominator) */
    char value[32];          /* OBS_VALUE as published: rounded to the measure's DECIMALS */
    char obs_status;         /* A final, P provisional, Q withheld */
    char conf_status;        /* F free, C primary, D secondary confidentiality */
} exp_obs;

/* Apply the publication rules to a protected cell: FREQ from the period, a withheld cell
 * (conf_status C or D) loses its value and gets OBS_STATUS Q, values are rounded to one
 * decimal for percentages and none for counts. OBS_ERR_INPUT for a cell the model does not
 * know (post areas are refused: they are never published). */
obs_status exp_obs_from_cell(const agg_cell *c, exp_obs *o, obs_err *e);

/* Sort observations into the order the writer needs for dimension at observation dim
 * (EXP_DIM_TIME, EXP_DIM_ALL or a key dimension): by series key, then by that dimension. */
void exp_obs_sort(exp_obs *o, size_t n, int dim_at_obs);

/* 1 when the observation passes the key and period filters of q. */
int exp_obs_matches(const exp_data_query *q, const exp_obs *o);

typedef struct exp_data_opts {
    exp_format format;
    int dim_at_obs;      /* EXP_DIM_TIME, EXP_DIM_ALL or a key dimension */
    exp_detail detail;
    int first_n, last_n; /* per series; 0: all */
    char id[64];         /* message ID ([A-Za-z0-9_@$-]+) */
    char prepared[32];   /* xs:dateTime */
    char extracted[32];  /* xs:dateTime when the figures are as of ("": none) */
} exp_data_opts;

/* SDMX-CSV 1.0 is flat (every row carries every dimension): it has no dimension at
 * observation level, and its rows always come in time-series order. For f == EXP_FMT_CSV,
 * set q's dimensionAtObservation to TIME_PERIOD, so that the reading order
 * (exp_source_init), the writer and the canonical key (ETag, answer cache) agree whatever
 * the client asked. Other formats are left as asked. */
void exp_query_for_format(exp_data_query *q, exp_format f);

/* Options from a parsed query (format, id and prepared are the caller's). */
void exp_data_opts_from_query(exp_data_opts *o, const exp_data_query *q);

typedef struct exp_data_writer exp_data_writer;

/* Start a message into sink s (which must outlive the writer). NULL when out of memory. */
exp_data_writer *exp_data_open(const exp_data_opts *o, exp_sink *s);

/* Add one observation; observations must come in exp_obs_sort order. OBS_ERR_IO when the
 * sink refused bytes, OBS_ERR_INPUT when the order is broken. */
obs_status exp_data_put(exp_data_writer *w, const exp_obs *o, obs_err *e);

/* Finish the message (last series, closing elements) and free the writer. */
obs_status exp_data_close(exp_data_writer *w, obs_err *e);

/* Free without finishing (the output is then truncated); accepts NULL. */
void exp_data_abort(exp_data_writer *w);

/* Series and observations written so far. */
size_t exp_data_nseries(const exp_data_writer *w);
size_t exp_data_nobs(const exp_data_writer *w);

/* The urn namespace of structure-specific data for a dimension at observation. */
void exp_ss_namespace(int dim_at_obs, char *out, size_t cap);

/* ---- SDMX-CSV 1.0 (sdmx_csv.c), used by the writer ------------------------------------- */

/* The header row. -1 when the sink refuses bytes. */
int exp_csv_header(exp_sink *s);
/* The rows of one series (obs[0..n), already cut to first/last N), per detail. */
int exp_csv_series(exp_sink *s, exp_detail detail, const exp_obs *obs, size_t n);
/* Write one field with RFC 4180 quoting when needed. */
int exp_csv_field(exp_sink *s, const char *v, int last);

#endif
