/* ref.h: the reference data (code lists, départements, régions, grid XSD), one source of truth.
 *
 * The files of reference-data/ are embedded in the binary at build time (refdata.S) and
 * parsed once by ref_init(). Validation, pseudonymisation, indicators, SDMX structures and
 * HTML labels all read them from here. The order of codes inside a list is part of the
 * storage format (multi-valued codes are stored as bitmasks over that order): new codes are
 * appended, never inserted or reordered (see docs/reference-data.md).
 */
#ifndef REF_H
#define REF_H

#include <stddef.h>

#include "status.h"

typedef enum ref_list {
    REF_SEXE,
    REF_AGE,
    REF_STATUT,
    REF_ORIGINE,
    REF_CONNU_SS,
    REF_PROBLEMATIQUE,
    REF_PARTENAIRE,
    REF_MODE,
    REF_FORCE,
    REF_EMPLOYEUR,
    REF_MESURE,
    REF_NLISTS
} ref_list;

typedef struct ref_code {
    const char *code;     /* e.g. "VIOL_CONJ" */
    const char *label_fr; /* what users read */
    const char *label_en;
} ref_code;

typedef struct ref_dep {
    const char *code;   /* INSEE code: "01", "2A", "974" */
    const char *region; /* INSEE région code: "84" */
    const char *name;
} ref_dep;

typedef struct ref_region {
    const char *code; /* "84" */
    const char *name;
} ref_region;

/* Parse the embedded files. Idempotent; call once at start-up before threads exist.
 * Fails only when the embedded data is malformed (a build defect). */
obs_status ref_init(obs_err *e);

/* "CL_SEXE", ... */
const char *ref_list_id(ref_list l);
size_t ref_count(ref_list l);
const ref_code *ref_at(ref_list l, size_t i);

/* Index of code in list l (exact, case-sensitive), or -1. */
int ref_find(ref_list l, const char *code);

/* Index of code matched case-insensitively with surrounding spaces ignored, or -1:
 * how codes typed by users are matched (grid-format.md section 3). len is the length of s. */
int ref_match(ref_list l, const char *s, size_t len);

size_t ref_dep_count(void);
const ref_dep *ref_dep_at(size_t i);
const ref_dep *ref_dep_find(const char *code);
size_t ref_region_count(void);
const ref_region *ref_region_at(size_t i);
const ref_region *ref_region_find(const char *code);

/* The département a French postcode belongs to (grid-format.md section 5), or NULL when it
 * maps to none of the list. cp must be 5 ASCII digits. */
const ref_dep *ref_dep_of_postcode(const char *cp);

/* 1 when s has the form of a post code, ISCG-DDD-NN (grid-format.md section 4: DDD the
 * département padded to 3 characters, digits or A/B for Corsica; NN a sequence), else 0. */
int ref_post_code_valid(const char *s);

/* The XSD of the XML grid (reference-data/grille-1.xsd), NUL-terminated. */
const char *ref_grid_xsd(size_t *len);

/* The raw embedded CSV files, for `db migrate` to load into the database. */
const char *ref_codelists_csv(void);

#endif
