/* sdmx_structure.h: SDMX-ML 2.1 Structure messages for agency FR_ISCG (code lists, concept
 * scheme CS_ISCG, data structure DSD_ISCG 1.0, dataflow ISCG_INDICATEURS 1.0), generated
 * from the model of sdmx_dsd.h, and the selection of what a structure query asks for. */
#ifndef EXP_SDMX_STRUCTURE_H
#define EXP_SDMX_STRUCTURE_H

#include <stdint.h>

#include "sdmx_dsd.h"
#include "sdmx_out.h"

/* What a Structure message holds. */
typedef struct exp_structsel {
    int dataflow;
    int dsd;
    int conceptscheme;
    uint32_t codelists; /* bit c: code list exp_cl c */
} exp_structsel;

/* The structure resources of the REST API. */
typedef enum exp_sres {
    EXP_SR_DATAFLOW,
    EXP_SR_DATASTRUCTURE,
    EXP_SR_CODELIST,
    EXP_SR_CONCEPTSCHEME
} exp_sres;

/* Everything: the dataflow, the DSD and every code list and concept. */
exp_structsel exp_structsel_all(void);

/* Select what /{resource}/{agency}/{id}/{version}?references=refs asks for. agency, id and
 * version may be "all" (version also "latest"); refs is none, parents, parentsandsiblings,
 * children, descendants, all, or a resource name (datastructure, codelist, ...); NULL means
 * none. OBS_ERR_NOT_FOUND when nothing matches, OBS_ERR_INPUT for an unknown references
 * value. */
obs_status exp_structsel_query(exp_sres res, const char *agency, const char *id,
                               const char *version, const char *refs, exp_structsel *sel,
                               obs_err *e);

/* Write a Structure message holding sel into s. id and prepared go to the header. Returns
 * OBS_OK, or OBS_ERR_IO when the sink refused bytes (or libxml2 ran out of memory). */
obs_status exp_structure_write(const exp_structsel *sel, const char *id, const char *prepared,
                               exp_sink *s, obs_err *e);

#endif
