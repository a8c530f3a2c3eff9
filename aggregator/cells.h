/* cells.h: an indicator cell as the aggregator stores it and publishes it; the unit on which
 * statistical disclosure control (sdc.c) and the disclosure audit (disclosure_audit.c) work.
 *
 * Identifiers follow ../shared/spec/indicators.md and sdmx.md: a cell is one measure, one
 * area, one period, and one code per breakdown dimension ("_T" = all).
 */
#ifndef AGG_CELLS_H
#define AGG_CELLS_H

#include <stddef.h>

#include "status.h"

/* The breakdown dimensions, in SDMX order. */
typedef enum agg_dim {
    AGG_SEXE,
    AGG_AGE,
    AGG_STATUT,
    AGG_ORIGINE,
    AGG_PROBLEMATIQUE,
    AGG_PARTENAIRE,
    AGG_MODE,
    AGG_NDIMS
} agg_dim;

typedef struct agg_cell {
    char mesure[20];         /* CL_MESURE code: NB_PERSONNES, PART_INCONNUS_SS, ... */
    char area[12];           /* "FR", "R84", "D93", or a post code "ISCG-093-01" */
    char period[8];          /* "2026-03", "2026-Q1", "2026" */
    char dim[AGG_NDIMS][16]; /* code per breakdown dimension, "_T" when not broken down */
    int has_value;           /* 0: no observation (denominator zero) */
    double value;            /* counts: exact integers; percentages: unrounded */
    long num, den;           /* percentages: the counts the value is computed from */
    char obs_status;         /* 'A' final, 'P' provisional */
    char conf_status;        /* 'F' free, 'C' primary, 'D' secondary confidentiality */
} agg_cell;

/* Protect a table of cells in place: primary then secondary suppression as indicators.md
 * section 4 says, with threshold k, every percentage following the cells it is computed
 * from; deterministic (same cells in any order, same result).
 * Never changes values, only conf_status. Cells of measures that describe posts (TAUX_*,
 * NB_POSTES_ACTIFS, NB_GRILLES) stay 'F'. The conf_status the cells come with is ignored
 * (recomputed from scratch). Protect the whole table at once, then filter: the relations
 * (partitions, geography, time) only work across cells that are in the same call; see
 * docs/disclosure-control.md.
 * Fails with OBS_ERR_INPUT on a malformed table (k < 1, unknown measure, area or period code,
 * unterminated field, two cells with the same key) and OBS_ERR_NOMEM; on failure every cell
 * but the post-describing ones is marked 'D' (fail closed). */
obs_status agg_sdc_apply(agg_cell *cells, size_t n, int k, obs_err *e);

/* One broken promise found by the audit. */
typedef struct agg_audit_finding {
    char relation[160]; /* human-readable description of the relation */
    char cell[160];     /* the cell concerned */
    char problem[160];  /* "recoverable by subtraction", "withheld sum in [1,k)", ... */
} agg_audit_finding;

typedef struct agg_audit_report {
    agg_audit_finding *items; /* owned; agg_audit_free releases */
    size_t n;
    size_t relations_checked;
} agg_audit_report;

/* Attack a published table: for every relation (partitions, geography, time), no withheld
 * cell is computable exactly from published cells, and withheld cells of a relation sum to 0
 * or to at least k; every primary-sensitive cell is withheld; no percentage is published
 * while a cell it is computed from is withheld; totals equal the sum of their parts and
 * percentages agree with their counts. Findings go to rep (empty = the table is safe); rep is
 * always initialised, release it with agg_audit_free.
 * OBS_ERR_NOMEM on memory exhaustion, OBS_ERR_INPUT on a malformed table (as agg_sdc_apply);
 * rep is then empty. */
obs_status agg_audit(const agg_cell *cells, size_t n, int k, agg_audit_report *rep, obs_err *e);
/* Release the findings; accepts NULL and an already released report. */
void agg_audit_free(agg_audit_report *rep);

#endif
