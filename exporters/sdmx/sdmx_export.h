/* sdmx_export.h: the publication files of one period (`iscgobs export sdmx|csv`). */
#ifndef EXP_SDMX_EXPORT_H
#define EXP_SDMX_EXPORT_H

#include <libpq-fe.h>

#include "status.h"

/* Take a publication run (trigger "export") and write the files of period (YYYY, YYYY-Qn,
 * YYYY-MM) into dir (created if missing): csv = 1 for SDMX-CSV, 0 for the SDMX-ML files.
 * OBS_ERR_INPUT for a bad period, OBS_ERR_NOT_FOUND when nothing is published for it,
 * OBS_ERR_IO, OBS_ERR_DB. */
obs_status exp_export(PGconn *c, int csv, const char *period, const char *dir, obs_err *e);

/* `iscgobs export sdmx|csv --period P [--out DIR]`: the exit status. */
int exp_cmd_export(int argc, char **argv);

#endif
