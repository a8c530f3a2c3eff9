/* task_lock.c: background tasks run by one process at a time across the servers of one
 * database (see task_lock.h). The lock lives on its own connection, opened per attempt (the
 * thread's connection keeps running the task's own transactions), as a transaction-scoped
 * lock in a transaction left open while the task runs: under PgBouncer's transaction pooling
 * the open transaction keeps the client on its server session, and the lock can never stay
 * behind on a pooled session (a session-level lock would, with an empty server_reset_query).
 * The transaction takes no snapshot between statements (READ COMMITTED): it holds back
 * neither vacuum nor anyone else. */
#include "task_lock.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"

static const char SQL_TRYLOCK[] = "SELECT pg_try_advisory_xact_lock($1::int, hashtext($2))";

obs_status obs_task_trylock(const char *name, obs_task_lock *lk, int *held, obs_err *e)
{
    char cls[16];
    *held = 0;
    lk->conn = NULL;
    snprintf(cls, sizeof cls, "%d", OBS_TASK_LOCK_CLASS);
    PGconn *c = obs_db_open(obs_config_get()->database_url, e);
    if (c == NULL)
        return OBS_ERR_DB;
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, "BEGIN", e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_TRYLOCK, 2, (const char *[]){cls, name}, &r, e);
    if (rc == OBS_OK) {
        *held = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
    }
    if (*held)
        lk->conn = c;
    else
        obs_db_close(c);
    obs_log(OBS_LOG_INFO, "task.lock", "task=%s held=%d", name, *held);
    return rc;
}

void obs_task_unlock(obs_task_lock *lk)
{
    if (lk->conn)
        PQclear(PQexec(lk->conn, "ROLLBACK")); /* the lock ends with its transaction */
    obs_db_close(lk->conn);
    lk->conn = NULL;
}
