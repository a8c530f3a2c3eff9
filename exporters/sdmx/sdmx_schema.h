/* sdmx_schema.h: the DSD-specific XML schema (XSD) that structure-specific data of DSD_ISCG
 * validates against, one per dimension at observation level. */
#ifndef EXP_SDMX_SCHEMA_H
#define EXP_SDMX_SCHEMA_H

#include "sdmx_data.h"
#include "sdmx_out.h"

/* Write the schema whose target namespace is exp_ss_namespace(dim_at_obs) into s. It imports
 * the SDMX common and structure-specific namespaces by their official file names
 * (SDMXCommon.xsd, SDMXDataStructureSpecific.xsd), to be resolved beside the official
 * schemas. OBS_ERR_IO when the sink refused bytes. */
obs_status exp_schema_write(int dim_at_obs, exp_sink *s, obs_err *e);

#endif
