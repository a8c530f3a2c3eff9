/* db.h: PostgreSQL access through libpq: one connection per thread, parameterised
 * statements only, a transaction helper that retries serialization failures, migrations.
 */
#ifndef OBS_DB_H
#define OBS_DB_H

#include <libpq-fe.h>

#include "status.h"

/* The calling thread's connection to ISCGOBS_DATABASE_URL, opened on first use and
 * reopened when it was lost. NULL with OBS_ERR_DB / E_DB_UNAVAILABLE in e when the
 * database cannot be reached. The connection belongs to the thread: do not close it. */
PGconn *obs_db_conn(obs_err *e);

/* Close the calling thread's connection (thread exit, tests). */
void obs_db_disconnect(void);

/* Open a private connection to url (the caller closes it with obs_db_close). */
PGconn *obs_db_open(const char *url, obs_err *e);

/* Close a connection from obs_db_open (forgets what was prepared on it); accepts NULL. */
void obs_db_close(PGconn *c);

/* Reset the session of c (a new session on the same URL; the server rolls back what was
 * open): for a connection left in a state no statement can leave, such as a COPY whose end
 * could not be sent. why names the cause in the log. Forgets what was prepared on c. */
void obs_db_reset(PGconn *c, const char *why);

/* Run a parameterised statement (text parameters; NULL entries are SQL NULLs). When res is
 * not NULL the result is handed to the caller (PQclear it), otherwise cleared here.
 * Failures: OBS_ERR_DB with E_DB_UNAVAILABLE (connection), E_DB_RETRY (serialization or
 * deadlock: retry the transaction), E_DB_CONSTRAINT (a constraint refused the data: the
 * caller decides), E_DB (anything else). The server's message is logged, never returned
 * (it could quote data). */
obs_status obs_db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                       PGresult **res, obs_err *e);

/* Like obs_db_exec, for hot-path statements: sql must be a string constant with static
 * storage (it is recognised by its address). It is prepared once per connection and
 * then executed without being parsed and planned again. */
obs_status obs_db_exec_prepared(PGconn *c, const char *sql, int nparams,
                                const char *const *params, PGresult **res, obs_err *e);

/* One statement of a pipeline: sql with static storage, prepared once per connection as by
 * obs_db_exec_prepared; nparams < 0 for a statement sent as is, without parameters (BEGIN). */
typedef struct obs_db_stmt {
    const char *sql;
    int nparams;
    const char *const *params;
} obs_db_stmt;
#define OBS_DB_PIPELINE_MAX 8
#define OBS_DB_BEGIN ((obs_db_stmt){"BEGIN", -1, NULL})

/* Run n statements (at most OBS_DB_PIPELINE_MAX) in one round trip (libpq pipeline mode):
 * each is still its own statement (its own snapshot under READ COMMITTED). The first failure
 * is returned as by obs_db_exec and the statements after it do not run. When res is not
 * NULL it receives the n results on success (PQclear each), NULLs on failure. */
obs_status obs_db_pipeline(PGconn *c, const obs_db_stmt *st, int n, PGresult **res, obs_err *e);

/* Shorthand for statements without parameters or result. */
obs_status obs_db_run(PGconn *c, const char *sql, obs_err *e);

/* Run fn(c, arg, e) inside BEGIN ... COMMIT. On E_DB_RETRY, roll back and run again (up to
 * 5 times); on any other failure roll back and return it. COMMIT failures count as failures. */
typedef obs_status (*obs_tx_fn)(PGconn *c, void *arg, obs_err *e);
obs_status obs_db_tx(PGconn *c, obs_tx_fn fn, void *arg, obs_err *e);

/* The same, but fn opens the transaction itself, with a pipeline whose first statement is
 * OBS_DB_BEGIN (one round trip less on hot paths). fn returning OBS_OK without an open
 * transaction is a defect (E_INTERNAL). */
obs_status obs_db_tx_begun_by_fn(PGconn *c, obs_tx_fn fn, void *arg, obs_err *e);

/* Apply the embedded migrations not yet applied, in order, each in its own transaction,
 * under an advisory lock (safe to run concurrently), then refresh the reference tables. */
obs_status obs_db_migrate(PGconn *c, obs_err *e);

/* Like obs_db_migrate, stopping after migration number `to` (to < 0: all of them): the
 * upgrade test builds databases at every earlier schema version. */
obs_status obs_db_migrate_to(PGconn *c, int to, obs_err *e);

/* OBS_OK when the schema is at the latest embedded version (readiness); E_NOT_MIGRATED when
 * it is older, E_SCHEMA_NEWER when a newer program migrated it (serve refuses to start). */
obs_status obs_db_ready(PGconn *c, obs_err *e);

#endif
