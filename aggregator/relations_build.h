/* relations_build.h: the working state of agg_relset_build (relations.c), shared with the key
 * index (relations_key.c) and the percentages' sources (relations_pct.c). Internal to those
 * three files. */
#ifndef AGG_RELATIONS_BUILD_H
#define AGG_RELATIONS_BUILD_H

#include <stdint.h>

#include "relations.h"

/* Fields of a key: measure, area, period, then one per breakdown dimension. */
#define NFIELDS (3 + AGG_NDIMS)

/* The builder's working state. Every distinct string of the table (measure, area, period and
 * breakdown codes alike) is interned once and numbered in lexicographic order, so that a key
 * becomes NFIELDS small integers: comparing two such tuples field by field gives the order of
 * the key strings, and hashing them is cheap. */

typedef struct agg_keyidx {
    const agg_cell *cells;
    size_t n;
    const char **str;   /* interned strings (pointing into cells), by id */
    size_t nstr, strcap;
    uint32_t *smap;     /* string table slots: id + 1, 0 = empty */
    size_t smask;
    uint32_t *tup;      /* n * NFIELDS string ids, the cells' keys */
    size_t *cmap;       /* key table slots: cell index, AGG_NONE = empty */
    size_t cmask;
} agg_keyidx;

#define AGG_NO_ID UINT32_MAX

/* The id of string s, or AGG_NO_ID when no cell uses it. */
uint32_t agg_str_find(const agg_keyidx *x, const char *s);

/* Find a key: the slot of x->cmap holding it, or the empty slot where it would go. */
size_t agg_key_probe(const agg_keyidx *x, const uint32_t *t);

/* The cell with key t, or AGG_NONE. */
size_t agg_key_find(const agg_keyidx *x, const uint32_t *t);

/* Check the identifiers, intern them, renumber the strings in lexicographic order, and sort
 * the cells by key: fills x->tup, rs->mclass, rs->order and rs->rank (all allocated by the
 * caller). OBS_ERR_INPUT for a malformed or duplicate cell, OBS_ERR_NOMEM. */
obs_status agg_keyidx_index(agg_keyidx *x, agg_relset *rs, obs_err *e);

/* Fill rs->src_off/src/src_role (the sources of every percentage) and the reverse index
 * rs->dep_off/dep (the percentages of every source, in key order). id_total: the id of "_T"
 * (AGG_NO_ID when absent). OBS_ERR_NOMEM; what was allocated is freed by agg_relset_free. */
obs_status agg_relset_link_percentages(const agg_keyidx *x, uint32_t id_total, agg_relset *rs);

#endif
