/* relations.h: what disclosure control (sdc.c) and the disclosure audit (disclosure_audit.c)
 * share: the class of a measure, the primary rule, and the additive relations of a table
 * ("total = sum of parts"), enumerated once by agg_relset_build.
 *
 * Internal to the aggregator. Every ordering here derives from the cells' keys (measure, area,
 * period, breakdown codes), never from their position in the input array, so that both users
 * are deterministic whatever order the cells come in. See docs/disclosure-control.md.
 */
#ifndef AGG_RELATIONS_H
#define AGG_RELATIONS_H

#include <stddef.h>

#include "cells.h"
#include "ref.h"

/* "No cell": an absent total or an absent source of a percentage. */
#define AGG_NONE ((size_t)-1)

/* What a measure is, for disclosure control. */
typedef enum agg_mclass {
    AGG_MC_COUNT, /* NB_CONTACTS, NB_PERSONNES, NB_NOUVELLES: people, protected */
    AGG_MC_PCT,   /* PART_*: protected through num and den */
    AGG_MC_POST   /* TAUX_*, NB_POSTES_ACTIFS, NB_GRILLES: describe posts, never withheld */
} agg_mclass;

/* The kind of a relation. Values below AGG_NDIMS are partitions over that dimension. */
enum {
    AGG_REL_GEO = AGG_NDIMS, /* posts -> département -> région -> FR */
    AGG_REL_MONTHS,          /* months -> quarter, months -> year */
    AGG_REL_QUARTERS         /* quarters -> year */
};

/* One relation: cells[total] = sum of cells[members[first .. first + nparts - 1]] (for the
 * percentages of agg_mesure_hidden: numerators and denominators each add up). Parts absent
 * from the table count as 0; relations whose total is absent are not enumerated. */
typedef struct agg_rel {
    size_t total;  /* cell index of the total */
    size_t first;  /* offset of the parts in agg_relset.members */
    size_t nparts; /* at least 1 */
    int kind;      /* a dimension (partition), AGG_REL_GEO, AGG_REL_MONTHS, AGG_REL_QUARTERS */
} agg_rel;

/* What a source cell of a percentage is to it (see agg_relset.src). */
typedef enum agg_src_role {
    AGG_SRC_TERM, /* the numerator or the denominator is a sum or difference of such cells */
    AGG_SRC_UNION /* the numerator counts the union of these cells' persons (PART_ORIENTEES and
                     PARTENAIRE): it equals the one cell of them that is not a published zero */
} agg_src_role;

/* Everything derived from one table. Owned by the caller, released by agg_relset_free. */
typedef struct agg_relset {
    size_t n;                /* number of cells */
    size_t *order;           /* cell indexes sorted by key */
    size_t *rank;            /* rank[i]: position of cell i in order */
    unsigned char *mclass;   /* agg_mclass per cell */
    agg_rel *rels;           /* relations, sorted by (total's key, kind) */
    size_t nrels;
    size_t *members;         /* parts of all relations, each relation's sorted by key */
    size_t *cell_rel_off;    /* n + 1 offsets into cell_rels */
    size_t *cell_rels;       /* relations a cell belongs to (as part or total), ascending */
    size_t *src_off;         /* n + 1 offsets into src and src_role */
    size_t *src;             /* per percentage: the cells it is computed from, in key order */
    unsigned char *src_role; /* agg_src_role of each src entry */
    size_t *dep_off;         /* n + 1 offsets into dep */
    size_t *dep;             /* per cell: the percentages it is a source of, in key order */
} agg_relset;

/* A breakdown dimension's SDMX name ("SEXE") and code list; d is an agg_dim. */
const char *agg_dim_name(int d);
ref_list agg_dim_list(int d);

/* The class of a measure code, or -1 when the code is not a measure of indicators.md. */
int agg_mesure_class(const char *mesure);

/* 1 for the percentages whose numerator or denominator is not a published count
 * (PART_INCONNUS_SS, PART_NSP_SS, PART_ORIENTEES): their numerators and denominators add up
 * over the geography like counts, so they get geographic relations of their own. */
int agg_mesure_hidden(const char *mesure);

/* What a relation adds up for cell c of class cls, into m: a count's value (absent = 0), or a
 * percentage's numerator and the rest of its denominator (den - num). Returns how many (1 or
 * 2). A relation discloses when any of them is recoverable. */
int agg_rel_magnitudes(const agg_cell *c, int cls, double m[2]);

/* 1 when cell c must be withheld by the primary rule at threshold k (count in [1, k);
 * percentage with den < k, num in [1, k) or den - num in [1, k)), else 0. Cells without a
 * value and cells of post-describing measures are never primary-sensitive. */
int agg_primary_sensitive(const agg_cell *c, int k);

/* 1 when the cell is withheld ('C' or 'D'). */
int agg_withheld(const agg_cell *c);

/* Index cells and enumerate the relations and percentage sources of the table (the rules are
 * in docs/disclosure-control.md, sections 3 and 5). Reads only the identifiers of the cells, not their values
 * or statuses. Calls ref_init (idempotent) for the département -> région map.
 * Returns OBS_ERR_INPUT for a malformed table (unterminated field, unknown measure, bad
 * area or period code, two cells with the same key), OBS_ERR_NOMEM on memory exhaustion;
 * rs is then empty (agg_relset_free on it is harmless). */
obs_status agg_relset_build(const agg_cell *cells, size_t n, agg_relset *rs, obs_err *e);

/* Release what agg_relset_build allocated; accepts a zeroed or already freed set. */
void agg_relset_free(agg_relset *rs);

/* Human-readable identifier of a cell, e.g. "NB_PERSONNES D93 2026-03 SEXE=F" (NUL-terminated,
 * truncated to cap). */
void agg_cell_describe(const agg_cell *c, char *out, size_t cap);

/* Human-readable description of relation r, e.g.
 * "NB_PERSONNES D93 2026-03: _T = sum over SEXE (3 parts)". */
void agg_rel_describe(const agg_cell *cells, const agg_relset *rs, size_t r, char *out,
                      size_t cap);

#endif
