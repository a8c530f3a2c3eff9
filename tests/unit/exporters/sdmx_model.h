/* sdmx_model.h: the group setup of the SDMX unit tests: the reference data, then the SDMX
 * model built from it (exp_dsd_init). */
#ifndef SDMX_MODEL_H
#define SDMX_MODEL_H

#include "ref.h"
#include "sdmx_dsd.h"

/* cmocka group setup: 0, or -1 when the reference data or the model cannot be built. */
static inline int sdmx_model_setup(void **state)
{
    (void)state;
    obs_err e;
    return ref_init(&e) || exp_dsd_init(&e) ? -1 : 0;
}

#endif
