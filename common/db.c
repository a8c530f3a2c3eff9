/* db.c: libpq connections per thread, statement helper, transactions, migrations. */
#include "db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "embed.h"
#include "log.h"
#include "ref.h"

/* Each thread's connection lives under a key whose destructor closes it when the thread
 * exits (the HTTP worker threads end with the daemon). */
static void forget_prepared(PGconn *c);
static pthread_key_t conn_key;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conn_close(void *c)
{
    forget_prepared(c);
    PQfinish(c);
}

static void conn_key_create(void)
{
    pthread_key_create(&conn_key, conn_close);
}

/* The settings of every session (new, reset or reconnected). */
static void session_setup(PGconn *c)
{
    PQsetNoticeProcessor(c, NULL, NULL);
    PQclear(PQexec(c, "SET TIME ZONE 'UTC'; SET client_min_messages = warning"));
}

PGconn *obs_db_open(const char *url, obs_err *e)
{
    /* A bounded connection attempt (ISCGOBS_DB_CONNECT_TIMEOUT; docs/reliability.md,
     * "Database loss"): listed before dbname, so that a connect_timeout in url wins. */
    char timeout[16];
    int t = obs_config_get()->db_connect_timeout;
    snprintf(timeout, sizeof timeout, "%d", t > 0 ? t : 5);
    const char *const kw[] = {"connect_timeout", "dbname", NULL};
    const char *const val[] = {timeout, url, NULL};
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        const char *why = c ? PQerrorMessage(c) : "out of memory";
        obs_log(OBS_LOG_WARN, "db.connect", "ok=0 reason=\"%.*s\"", (int)strcspn(why, "\n"), why);
        PQfinish(c);
        obs_fail(e, OBS_ERR_DB, "E_DB_UNAVAILABLE", "la base de données est indisponible");
        return NULL;
    }
    session_setup(c);
    return c;
}

PGconn *obs_db_conn(obs_err *e)
{
    pthread_once(&conn_once, conn_key_create);
    PGconn *c = pthread_getspecific(conn_key);
    if (c && PQstatus(c) == CONNECTION_OK)
        return c;
    if (c) {
        forget_prepared(c);
        PQreset(c);
        if (PQstatus(c) == CONNECTION_OK)
            return c;
        PQfinish(c);
    }
    c = obs_db_open(obs_config_get()->database_url, e);
    pthread_setspecific(conn_key, c);
    return c;
}

void obs_db_close(PGconn *c)
{
    forget_prepared(c);
    PQfinish(c);
}

void obs_db_disconnect(void)
{
    pthread_once(&conn_once, conn_key_create);
    forget_prepared(pthread_getspecific(conn_key));
    PQfinish(pthread_getspecific(conn_key));
    pthread_setspecific(conn_key, NULL);
}

static obs_status result_status(PGconn *c, PGresult *r, obs_err *e)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN)
        return OBS_OK;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *prim = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (state == NULL)
        state = "";
    if (PQstatus(c) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0 || state[0] == '\0') {
        obs_log(OBS_LOG_WARN, "db.error", "sqlstate=%s class=unavailable", state);
        return obs_fail(e, OBS_ERR_DB, "E_DB_UNAVAILABLE", "la base de données est indisponible");
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return obs_fail(e, OBS_ERR_DB, "E_DB_RETRY", "conflit transitoire, réessayer");
    /* The primary message may quote a value (constraint details go to DETAIL, which we never
     * read); it only names objects for the errors our statements can raise. */
    obs_log(OBS_LOG_ERROR, "db.error", "sqlstate=%s message=\"%.200s\"", state, prim ? prim : "");
    if (strncmp(state, "23", 2) == 0)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_DB_CONSTRAINT",
                        "les données ne respectent pas une contrainte de la base");
    return obs_fail(e, OBS_ERR_DB, "E_DB", "erreur de la base de données (%s)", state);
}

/* A connection the server closed (restart, failover, administrator) is only noticed when a
 * statement fails. When that statement was outside a transaction, reconnecting and running
 * it again is safe: returns 1 when the connection was re-established for a retry. */
static _Thread_local int reconnected; /* at most one reconnection per statement */

static int reconnect_for_retry(PGconn *c, PGTransactionStatusType before)
{
    if (reconnected || before != PQTRANS_IDLE || PQstatus(c) != CONNECTION_BAD)
        return 0;
    forget_prepared(c);
    PQreset(c);
    if (PQstatus(c) != CONNECTION_OK)
        return 0;
    session_setup(c);
    obs_log(OBS_LOG_INFO, "db.reconnect", "ok=1");
    return 1;
}

obs_status obs_db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                       PGresult **res, obs_err *e)
{
    PGTransactionStatusType before = PQtransactionStatus(c);
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && reconnect_for_retry(c, before)) {
        PQclear(r);
        r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    }
    obs_status rc = result_status(c, r, e);
    if (rc == OBS_OK && res)
        *res = r;
    else
        PQclear(r);
    return rc;
}

/* Statements prepared on the calling thread's connections: (connection, text address). */
#define DB_PREPARED_MAX 64
static _Thread_local struct {
    PGconn *conn;
    const char *sql;
    unsigned id; /* the statement is named "obs<id>" on its connection */
} prepared[DB_PREPARED_MAX];
static _Thread_local int nprepared;
static _Thread_local unsigned next_id;

/* The name under which sql is prepared on c ("obs<id>"), preparing it on first use; name is
 * left empty when the table is full (the statement then runs unprepared), and always with
 * ISCGOBS_DB_PREPARE=off: unnamed statements only, for PgBouncer < 1.21 in transaction
 * pooling mode, where a named statement may be missing on the next server connection
 * (docs/operations.md, "PgBouncer"). */
static obs_status prepared_name(PGconn *c, const char *sql, int nparams,
                                PGTransactionStatusType before, char name[24], obs_err *e)
{
    name[0] = '\0';
    const char *mode = getenv("ISCGOBS_DB_PREPARE");
    if (mode && strcmp(mode, "off") == 0)
        return OBS_OK;
    int slot = -1;
    for (int i = 0; i < nprepared; i++)
        if (prepared[i].sql == sql && prepared[i].conn == c)
            slot = i;
    if (slot < 0) {
        if (nprepared == DB_PREPARED_MAX)
            return OBS_OK;
        unsigned id = next_id++;
        snprintf(name, 24, "obs%u", id);
        PGresult *r = PQprepare(c, name, sql, nparams, NULL);
        if (PQresultStatus(r) == PGRES_FATAL_ERROR && reconnect_for_retry(c, before)) {
            PQclear(r);
            r = PQprepare(c, name, sql, nparams, NULL);
        }
        obs_status rc = result_status(c, r, e);
        PQclear(r);
        if (rc)
            return rc;
        slot = nprepared++;
        prepared[slot].conn = c;
        prepared[slot].sql = sql;
        prepared[slot].id = id;
    }
    snprintf(name, 24, "obs%u", prepared[slot].id);
    return OBS_OK;
}

obs_status obs_db_exec_prepared(PGconn *c, const char *sql, int nparams,
                                const char *const *params, PGresult **res, obs_err *e)
{
    PGTransactionStatusType before = PQtransactionStatus(c);
    char name[24];
    obs_status rc = prepared_name(c, sql, nparams, before, name, e);
    if (rc)
        return rc;
    if (name[0] == '\0') /* a full table: plain execution still works */
        return obs_db_exec(c, sql, nparams, params, res, e);
    PGresult *r = PQexecPrepared(c, name, nparams, params, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && reconnect_for_retry(c, before)) {
        PQclear(r); /* the statement died with the old session: prepare it again */
        reconnected = 1;
        obs_status again = obs_db_exec_prepared(c, sql, nparams, params, res, e);
        reconnected = 0;
        return again;
    }
    rc = result_status(c, r, e);
    if (rc == OBS_OK && res)
        *res = r;
    else
        PQclear(r);
    return rc;
}

static void forget_prepared(PGconn *c);

/* A pipeline that could not be completed (a statement not sent, a result missing): a sync
 * point is sent so that the server ends it and its results are read and dropped; when the
 * pipeline still cannot be left, the session is reset (the server rolls its transaction
 * back). Either way the connection is usable again by the next statement, which would
 * otherwise fail forever (found by tests/integration/reliability/test_faults.c). */
static void pipeline_abandon(PGconn *c)
{
    int nulls = 0;
    if (PQpipelineSync(c)) {
        for (int i = 0; i < 1000 && nulls < 2; i++) {
            PGresult *r = PQgetResult(c);
            int sync = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            nulls = r ? 0 : nulls + 1;
            PQclear(r);
            if (sync)
                break;
        }
    }
    if (PQexitPipelineMode(c))
        return;
    obs_db_reset(c, "pipeline");
}

void obs_db_reset(PGconn *c, const char *why)
{
    forget_prepared(c);
    PQreset(c);
    if (PQstatus(c) == CONNECTION_OK)
        session_setup(c);
    obs_log(OBS_LOG_WARN, "db.reset", "why=%s ok=%d", why, PQstatus(c) == CONNECTION_OK);
}

/* Send the statements in pipeline mode and read their results up to the sync point. The
 * first failure is returned (statements after it are not run: PGRES_PIPELINE_ABORTED). */
static obs_status pipeline_once(PGconn *c, const obs_db_stmt *st, int n, PGresult **res,
                                obs_err *e)
{
    PGTransactionStatusType before = PQtransactionStatus(c);
    char names[OBS_DB_PIPELINE_MAX][24];
    for (int i = 0; res && i < n; i++)
        res[i] = NULL;
    if (n < 1 || n > OBS_DB_PIPELINE_MAX)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "pipeline de %d requêtes", n);
    for (int i = 0; i < n; i++) {
        names[i][0] = '\0';
        obs_status rc = st[i].nparams < 0 ? OBS_OK /* BEGIN and the like: not prepared */
                        : prepared_name(c, st[i].sql, st[i].nparams, before, names[i], e);
        if (rc)
            return rc;
    }
    int sent = PQenterPipelineMode(c);
    for (int i = 0; sent && i < n; i++) {
        int np = st[i].nparams < 0 ? 0 : st[i].nparams;
        sent = names[i][0] ? PQsendQueryPrepared(c, names[i], np, st[i].params, NULL, NULL, 0)
                           : PQsendQueryParams(c, st[i].sql, np, NULL, st[i].params, NULL, NULL, 0);
    }
    if (sent)
        sent = PQpipelineSync(c);
    obs_status rc = OBS_OK;
    /* Each statement's result is followed by a NULL; the sync point ends the pipeline. A
     * statement that could not be sent ends it too (the connection is broken). */
    for (int i = 0; sent && i <= n; i++) {
        PGresult *r = PQgetResult(c);
        if (r == NULL) { /* a broken connection: no sync point will come */
            rc = rc ? rc : result_status(c, NULL, e);
            break;
        }
        ExecStatusType t = PQresultStatus(r);
        if (i == n || t == PGRES_PIPELINE_SYNC) {
            if (t != PGRES_PIPELINE_SYNC && rc == OBS_OK) /* the session ended meanwhile */
                rc = result_status(c, r, e);
            PQclear(r);
            break;
        }
        if (t != PGRES_PIPELINE_ABORTED && rc == OBS_OK)
            rc = result_status(c, r, e);
        if (rc == OBS_OK && res)
            res[i] = r;
        else
            PQclear(r);
        while ((r = PQgetResult(c)) != NULL) /* the NULL after each statement's result */
            PQclear(r);
    }
    if (!sent && rc == OBS_OK)
        rc = result_status(c, NULL, e);
    if (PQpipelineStatus(c) != PQ_PIPELINE_OFF && !PQexitPipelineMode(c)) {
        pipeline_abandon(c);
        if (rc == OBS_OK)
            rc = result_status(c, NULL, e);
    }
    for (int i = 0; rc && res && i < n; i++) {
        PQclear(res[i]);
        res[i] = NULL;
    }
    return rc;
}

obs_status obs_db_pipeline(PGconn *c, const obs_db_stmt *st, int n, PGresult **res, obs_err *e)
{
    PGTransactionStatusType before = PQtransactionStatus(c);
    obs_status rc = pipeline_once(c, st, n, res, e);
    if (rc && PQstatus(c) == CONNECTION_BAD && reconnect_for_retry(c, before))
        rc = pipeline_once(c, st, n, res, e); /* the session had died while idle */
    return rc;
}

/* Forget the statements prepared on a connection that is being closed or reset. */
static void forget_prepared(PGconn *c)
{
    int k = 0;
    for (int i = 0; i < nprepared; i++)
        if (prepared[i].conn != c)
            prepared[k++] = prepared[i];
    nprepared = k;
}

obs_status obs_db_run(PGconn *c, const char *sql, obs_err *e)
{
    return obs_db_exec(c, sql, 0, NULL, NULL, e);
}

static obs_status tx_run(PGconn *c, obs_tx_fn fn, void *arg, int begin, obs_err *e)
{
    obs_status rc = OBS_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (begin && (rc = obs_db_run(c, "BEGIN", e)))
            return rc;
        rc = fn(c, arg, e);
        if (rc == OBS_OK && PQtransactionStatus(c) != PQTRANS_INTRANS)
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "transaction non ouverte");
        if (rc == OBS_OK)
            rc = obs_db_run(c, "COMMIT", e);
        if (rc == OBS_OK)
            return OBS_OK;
        if (PQtransactionStatus(c) != PQTRANS_IDLE)
            PQclear(PQexec(c, "ROLLBACK"));
        if (!(e && strcmp(e->code, "E_DB_RETRY") == 0))
            return rc;
    }
    return rc;
}

obs_status obs_db_tx(PGconn *c, obs_tx_fn fn, void *arg, obs_err *e)
{
    return tx_run(c, fn, arg, 1, e);
}

obs_status obs_db_tx_begun_by_fn(PGconn *c, obs_tx_fn fn, void *arg, obs_err *e)
{
    return tx_run(c, fn, arg, 0, e);
}

const char *obs_blob_find(const obs_blob *table, const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table->text;
    return NULL;
}

static int migration_version(const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);
    return end == name || *end != '_' ? -1 : (int)v;
}

static const char SQL_MIGRATION_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_migration ("
    " version int PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_MIGRATION_LOCK[] = "SELECT pg_advisory_xact_lock(7243001)";
static const char SQL_MIGRATION_APPLIED[] = "SELECT 1 FROM schema_migration WHERE version = $1";
static const char SQL_MIGRATION_RECORD[] =
    "INSERT INTO schema_migration (version, name) VALUES ($1, $2)";

/* Create the bookkeeping table, under the migration lock so that concurrent runs wait. */
static obs_status migration_table(PGconn *c, void *arg, obs_err *e)
{
    (void)arg;
    obs_status rc = obs_db_run(c, SQL_MIGRATION_LOCK, e);
    return rc ? rc : obs_db_run(c, SQL_MIGRATION_TABLE, e);
}

static obs_status migrate_one(PGconn *c, void *arg, obs_err *e)
{
    const obs_blob *m = arg;
    char v[16];
    snprintf(v, sizeof v, "%d", migration_version(m->name));
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, SQL_MIGRATION_LOCK, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_MIGRATION_APPLIED, 1, (const char *[]){v}, &r, e);
    if (rc)
        return rc;
    int done = PQntuples(r) > 0;
    PQclear(r);
    if (done)
        return OBS_OK;
    /* A migration file is several statements: the simple-query protocol runs them all. */
    r = PQexec(c, m->text);
    rc = result_status(c, r, e);
    PQclear(r);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_MIGRATION_RECORD, 2, (const char *[]){v, m->name}, NULL, e);
    if (rc == OBS_OK)
        obs_log(OBS_LOG_INFO, "db.migrate", "applied=%s", m->name);
    return rc;
}

static const char SQL_REF_REGION[] =
    "INSERT INTO ref_region (code, name) VALUES ($1, $2)"
    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name";
static const char SQL_REF_DEP[] =
    "INSERT INTO ref_departement (code, region, name) VALUES ($1, $2, $3)"
    " ON CONFLICT (code) DO UPDATE SET region = EXCLUDED.region, name = EXCLUDED.name";
static const char SQL_REF_CODE_CLEAR[] = "DELETE FROM ref_code";
static const char SQL_REF_CODE[] =
    "INSERT INTO ref_code (list, code, ord, label_fr, label_en) VALUES ($1, $2, $3, $4, $5)";

/* Refresh the reference tables from the embedded reference data (one source of truth). */
static obs_status load_reference(PGconn *c, void *arg, obs_err *e)
{
    (void)arg;
    obs_status rc = OBS_OK;
    for (size_t i = 0; rc == OBS_OK && i < ref_region_count(); i++) {
        const ref_region *g = ref_region_at(i);
        rc = obs_db_exec(c, SQL_REF_REGION, 2, (const char *[]){g->code, g->name}, NULL, e);
    }
    for (size_t i = 0; rc == OBS_OK && i < ref_dep_count(); i++) {
        const ref_dep *d = ref_dep_at(i);
        rc = obs_db_exec(c, SQL_REF_DEP, 3, (const char *[]){d->code, d->region, d->name}, NULL, e);
    }
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_REF_CODE_CLEAR, e);
    for (int l = 0; rc == OBS_OK && l < REF_NLISTS; l++) {
        for (size_t i = 0; rc == OBS_OK && i < ref_count((ref_list)l); i++) {
            const ref_code *k = ref_at((ref_list)l, i);
            char ord[24];
            snprintf(ord, sizeof ord, "%zu", i);
            const char *p[] = {ref_list_id((ref_list)l), k->code, ord, k->label_fr, k->label_en};
            rc = obs_db_exec(c, SQL_REF_CODE, 5, p, NULL, e);
        }
    }
    return rc;
}

obs_status obs_db_migrate(PGconn *c, obs_err *e)
{
    return obs_db_migrate_to(c, -1, e);
}

obs_status obs_db_migrate_to(PGconn *c, int to, obs_err *e)
{
    obs_status rc = ref_init(e);
    if (rc == OBS_OK)
        rc = obs_db_tx(c, migration_table, NULL, e);
    for (size_t i = 0; rc == OBS_OK && i < obs_migrations_count; i++) {
        if (migration_version(obs_migrations[i].name) < 0)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_MIGRATION", "nom de migration invalide : %s",
                            obs_migrations[i].name);
        if (to >= 0 && migration_version(obs_migrations[i].name) > to)
            break; /* `db migrate --to N`: the upgrade test's older schemas */
        rc = obs_db_tx(c, migrate_one, (void *)&obs_migrations[i], e);
    }
    if (rc == OBS_OK)
        rc = obs_db_tx(c, load_reference, NULL, e);
    return rc;
}

obs_status obs_db_ready(PGconn *c, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, "SELECT 1", e);
    if (rc)
        return rc;
    rc = obs_db_exec(c, "SELECT coalesce(max(version), 0) FROM schema_migration", 0, NULL, &r, e);
    if (rc)
        return obs_fail(e, OBS_ERR_DB, "E_NOT_MIGRATED", "le schéma n'est pas installé");
    long have = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    long want = obs_migrations_count
                    ? migration_version(obs_migrations[obs_migrations_count - 1].name)
                    : 0;
    if (have < want)
        return obs_fail(e, OBS_ERR_DB, "E_NOT_MIGRATED", "le schéma n'est pas à jour (%ld < %ld)",
                        have, want);
    if (have > want) /* a newer program migrated this database: never run an older one on it */
        return obs_fail(e, OBS_ERR_DB, "E_SCHEMA_NEWER",
                        "le schéma de la base (version %ld) est plus récent que ce programme "
                        "(version %ld) : installez la version du programme qui l'a migré",
                        have, want);
    return OBS_OK;
}
