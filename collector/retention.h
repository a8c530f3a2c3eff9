/* retention.h: the deletion of microdata past their retention (`iscgobs retention purge`,
 * ISCGOBS_RETENTION_MONTHS; docs/privacy.md, "Retention"). */
#ifndef COL_RETENTION_H
#define COL_RETENTION_H

#include <libpq-fe.h>

#include "status.h"

typedef struct col_purge {
    char before[8];      /* the horizon in force afterwards, YYYY-MM */
    long long rows;      /* contact rows deleted by this run */
    long long kept;      /* persons kept in contact_before (seen before and after) */
    int again;           /* 1 when the horizon was already recorded (a run finished again) */
} col_purge;

/* Delete the contact rows of the months before year-month. First, in one transaction under
 * the exclusive lifecycle guard (keys.h): record the horizon (retention_purge), which freezes
 * the years before it (COL_SQL_FROZEN) and fills contact_before; then delete the rows in
 * autocommitted batches of `batch` rows (uploads go on between them); finally record the
 * count, audit 'retention.purge' and VACUUM the tables. Refused: E_RETENTION_FUTURE (a month
 * not yet over), E_RETENTION_OPEN (the year before the horizon is not wholly locked:
 * ISCGOBS_LOCK_MONTHS). Running it again after an interruption finishes the deletion. */
obs_status col_retention_purge(PGconn *c, int year, int month, const char *actor, int batch,
                               col_purge *out, obs_err *e);

/* The daily task of serve (months = ISCGOBS_RETENTION_MONTHS > 0): five seconds after the
 * start, then every 24 hours, purge before the month `months` months before the current one,
 * in one server at a time (task_lock.h). */
obs_status col_retention_start(int months, obs_err *e);
void col_retention_stop(void);

#endif
