/* sdmx_dsd.h: the SDMX model of the observatory's indicators (../shared/spec/sdmx.md section 1):
 * identifiers, dimensions, attributes, concepts and code lists, derived once from the reference
 * data (ref_ API) so that the structure message, the DSD-specific XSD, the key parser and the
 * data writers all read the same tables.
 *
 * Domain code lists (measures, breakdowns, areas) come from reference-data/; the few lists that
 * only SDMX needs (CL_FREQ, CL_UNIT_MEASURE, CL_UNIT_MULT, CL_DECIMALS, CL_OBS_STATUS,
 * CL_CONF_STATUS), the "_T" (all) code and the concept names are SDMX vocabulary and live here.
 */
#ifndef EXP_SDMX_DSD_H
#define EXP_SDMX_DSD_H

#include <stddef.h>

#include "status.h"

#define EXP_AGENCY "FR_ISCG"
#define EXP_FLOW "ISCG_INDICATEURS"
#define EXP_DSD "DSD_ISCG"
#define EXP_CS "CS_ISCG"
#define EXP_VERSION "1.0"
#define EXP_NS_MESSAGE "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
#define EXP_NS_COMMON "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
#define EXP_NS_STRUCTURE "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
#define EXP_NS_GENERIC "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
#define EXP_NS_SS "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
#define EXP_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* The key dimensions, in DSD order (TIME_PERIOD comes after them). */
typedef enum exp_dim {
    EXP_D_FREQ,
    EXP_D_REF_AREA,
    EXP_D_MESURE,
    EXP_D_SEXE,
    EXP_D_AGE,
    EXP_D_STATUT,
    EXP_D_ORIGINE,
    EXP_D_PROBLEMATIQUE,
    EXP_D_PARTENAIRE,
    EXP_D_MODE,
    EXP_NDIMS
} exp_dim;

/* Pseudo dimension indexes for "dimension at observation". */
#define EXP_DIM_TIME EXP_NDIMS /* TIME_PERIOD: time series (the default) */
#define EXP_DIM_ALL (-1)        /* AllDimensions: flat observations */

/* The code lists of the DSD, in the order the structure message lists them. */
typedef enum exp_cl {
    EXP_CL_FREQ,
    EXP_CL_AREA,
    EXP_CL_MESURE,
    EXP_CL_SEXE,
    EXP_CL_AGE,
    EXP_CL_STATUT,
    EXP_CL_ORIGINE,
    EXP_CL_PROBLEMATIQUE,
    EXP_CL_PARTENAIRE,
    EXP_CL_MODE,
    EXP_CL_UNIT_MEASURE,
    EXP_CL_UNIT_MULT,
    EXP_CL_DECIMALS,
    EXP_CL_OBS_STATUS,
    EXP_CL_CONF_STATUS,
    EXP_NCL
} exp_cl;

/* The attributes, in DSD order. Series attributes first, then observation attributes. */
typedef enum exp_attr {
    EXP_A_UNIT_MEASURE,
    EXP_A_UNIT_MULT,
    EXP_A_DECIMALS,
    EXP_A_OBS_STATUS,
    EXP_A_CONF_STATUS,
    EXP_NATTRS
} exp_attr;

/* One code of a code list. parent is the code it belongs to (areas: D93 -> R11 -> FR), or
 * NULL. The strings live as long as the process. */
typedef struct exp_code {
    const char *id;
    const char *name_fr;
    const char *name_en;
    const char *parent;
} exp_code;

/* A concept of CS_ISCG (dimension, attribute, measure, time). */
typedef struct exp_concept {
    const char *id;
    const char *name_fr;
    const char *name_en;
} exp_concept;

/* Build the tables from the reference data; ref_init must have succeeded. Idempotent and
 * thread-safe (pthread_once). OBS_ERR_INTERNAL when the reference data does not fit. */
obs_status exp_dsd_init(obs_err *e);

/* Identifiers: "FREQ", ..., "MODE"; TIME_PERIOD for EXP_DIM_TIME. */
const char *exp_dim_id(int d);
/* The dimension whose id is id (EXP_DIM_TIME for TIME_PERIOD), or -2 when unknown. */
int exp_dim_find(const char *id);
/* The code list of a key dimension. */
exp_cl exp_dim_cl(exp_dim d);

const char *exp_attr_id(exp_attr a);
exp_cl exp_attr_cl(exp_attr a);
/* 1 for series attributes (UNIT_MEASURE, UNIT_MULT, DECIMALS), 0 for observation ones. */
int exp_attr_is_series(exp_attr a);

/* Code lists: id ("CL_SEXE"), names, codes. */
const char *exp_cl_id(exp_cl c);
const char *exp_cl_name(exp_cl c, int english);
size_t exp_cl_count(exp_cl c);
const exp_code *exp_cl_at(exp_cl c, size_t i);
/* The index of code in list c, or -1. len: the code's length (codes are not NUL-terminated
 * inside keys). */
int exp_cl_find(exp_cl c, const char *code, size_t len);

/* Concepts of CS_ISCG: every dimension, TIME_PERIOD, OBS_VALUE, then every attribute. */
size_t exp_concept_count(void);
const exp_concept *exp_concept_at(size_t i);

/* Publication rules of a measure: its unit (UNIT_MEASURE code) and its number of decimals
 * (1 for percentages, 0 for counts). NULL / -1 for an unknown measure. */
const char *exp_unit_of(const char *mesure);
int exp_decimals_of(const char *mesure);

#endif
