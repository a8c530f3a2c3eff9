/* db_read.h: public reads on a streaming hot standby (ISCGOBS_READ_DATABASE_URL), with the
 * primary as fallback when the standby is unset, unreachable, failing or too far behind
 * (docs/operations.md, "A replica for readers"; docs/scale-out.md, step 3).
 *
 * Only anonymous reads that tolerate the published lag go there (public JSON, public reports,
 * SDMX); posts, analysts and administrators read the primary (their own writes). Nothing is
 * ever written through a standby connection: what a public read would write (an SDMX
 * publication run) is written on the primary, the standby only serves completed ones. */
#ifndef OBS_DB_READ_H
#define OBS_DB_READ_H

#include <libpq-fe.h>

#include "status.h"

/* The stable code of a read the standby cannot serve yet (no completed SDMX run for its
 * state): the caller reads the primary instead (obs_db_read_retry). */
#define OBS_E_REPLICA_BEHIND "E_DB_REPLICA_BEHIND"

/* The calling thread's connection for a public read: its standby connection when the
 * standby is configured, reachable and at most ISCGOBS_READ_MAX_LAG seconds behind the
 * primary (checked at most once a second per process), else obs_db_conn. NULL with
 * E_DB_UNAVAILABLE in e only when the primary is needed and unreachable. Owned by the
 * thread: do not close it. */
PGconn *obs_db_read_conn(obs_err *e);

/* 1 when c is the calling thread's standby connection. */
int obs_db_is_replica(const PGconn *c);

/* After a read on c failed with e: when c is the standby connection and the failure is one
 * the primary may not have (connection lost: the standby is then skipped for a few seconds;
 * a query cancelled by a recovery conflict; OBS_E_REPLICA_BEHIND), clears e and returns the
 * primary connection to read again (NULL with e set when the primary is unreachable).
 * Otherwise returns NULL and leaves e as it is (the failure is the answer). */
PGconn *obs_db_read_retry(const PGconn *c, obs_err *e);

#endif
