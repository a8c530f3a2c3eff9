/* task_lock.h: a lock held by one process among all those on one database, for background
 * tasks that several `iscgobs serve` processes could otherwise run at once (the protection
 * ahead of readers, retention...). A PostgreSQL advisory lock taken in a transaction kept
 * open on a private connection while the task runs: it is released when the holder unlocks
 * or dies, also behind PgBouncer in transaction mode (docs/operations.md, "Several
 * servers"). */
#ifndef OBS_TASK_LOCK_H
#define OBS_TASK_LOCK_H

#include <libpq-fe.h>

#include "status.h"

/* The advisory lock class of background tasks: pg_try_advisory_xact_lock(OBS_TASK_LOCK_CLASS,
 * hashtext(name)); other advisory locks of the code use other classes or the one-key form. */
#define OBS_TASK_LOCK_CLASS 72450

/* The microdata's lifecycle guard, one advisory lock: shared by every transaction that
 * writes contact rows or rewrites what is derived from them (an upload, a retention purge's
 * batch, `iscgobs aggregate`), exclusive for what changes them all at once (a key rotation,
 * the start of a retention purge). Always the first lock a transaction takes. */
#define OBS_GUARD_SQL_SHARED "SELECT pg_advisory_xact_lock_shared(72460, 0)"
#define OBS_GUARD_SQL_EXCLUSIVE "SELECT pg_advisory_xact_lock(72460, 0)"

typedef struct obs_task_lock {
    PGconn *conn; /* the private connection holding the lock; NULL when not held */
} obs_task_lock;

/* Try to take the lock of task `name` (a constant such as "agg.warm") without waiting.
 * *held is 1 when this process now holds it (release it with obs_task_unlock), 0 when
 * another process or thread holds it (do not run the task now). Failure: OBS_ERR_DB with
 * E_DB_UNAVAILABLE when the database cannot be reached (*held is 0). */
obs_status obs_task_trylock(const char *name, obs_task_lock *lk, int *held, obs_err *e);

/* Release a lock taken by obs_task_trylock (closes its connection); accepts one not held. */
void obs_task_unlock(obs_task_lock *lk);

#endif
