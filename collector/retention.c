/* retention.c: the purge of old microdata (see retention.h): the horizon recorded with its
 * contact_before in one short transaction, the rows deleted in batches, the daily task. */
#include "retention.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "task_lock.h"

/* Refusals, then the horizon: the new one or the one in force when it is later. */
static const char SQL_CHECK[] =
    "SELECT $1::date > date_trunc('month', now() AT TIME ZONE 'Europe/Paris')::date,"
    "       now() < ((date_trunc('year', $1::date - interval '1 month') + interval '1 year'"
    "                 + make_interval(months => $2::int))::timestamp AT TIME ZONE 'Europe/Paris'),"
    "       coalesce((SELECT max(before) FROM retention_purge) >= $1::date, false)";
static const char SQL_RECORD[] =
    "INSERT INTO retention_purge (before, actor) VALUES ($1::date, $2)";
static const char SQL_HORIZON[] =
    "SELECT to_char(max(before), 'YYYY-MM-DD') FROM retention_purge";
/* The persons of a post seen before the horizon and again at or after it. */
static const char SQL_BEFORE_ADD[] =
    "INSERT INTO contact_before (post, person, key_id)"
    " SELECT b.post, b.person, min(b.key_id)"
    " FROM (SELECT DISTINCT post, person, key_id FROM contact WHERE period < $1::date) b"
    " JOIN (SELECT DISTINCT post, person FROM contact WHERE period >= $1::date) a"
    "   USING (post, person)"
    " GROUP BY 1, 2 ON CONFLICT (post, person) DO NOTHING";
/* Those of an earlier horizon not seen again after the new one are forgotten. */
static const char SQL_BEFORE_FORGET[] =
    "DELETE FROM contact_before cb WHERE NOT EXISTS (SELECT 1 FROM contact a"
    " WHERE a.post = cb.post AND a.person = cb.person AND a.period >= $1::date)";
static const char SQL_BEFORE_COUNT[] = "SELECT count(*) FROM contact_before";
static const char SQL_BATCH[] =
    "DELETE FROM contact WHERE ctid = ANY(ARRAY("
    "  SELECT ctid FROM contact WHERE period < $1::date LIMIT $2::int))";
static const char SQL_LEFT[] = "SELECT count(*) FROM contact WHERE period < $1::date";
/* Each batch's rows are counted in the horizon's record in the batch's transaction (a
 * stopped purge keeps the count of what it deleted). */
static const char SQL_COUNT[] =
    "UPDATE retention_purge SET rows = rows + $2::bigint WHERE before = $1::date";
/* The horizon's record, and any earlier one left unfinished (a purge stopped, then a later
 * horizon): the later purge deleted the rest of its rows, counted in the later record. */
static const char SQL_FINISH[] =
    "UPDATE retention_purge SET finished_at = now()"
    " WHERE before = $1::date OR (finished_at IS NULL AND before < $1::date)";
static const char *const SQL_VACUUM[] = {"VACUUM (ANALYZE) contact", "VACUUM (ANALYZE) contact_before"};

static atomic_int stopping; /* the daily task is asked to stop (between batches) */

typedef struct start_job {
    const char *before; /* YYYY-MM-01 asked */
    const char *actor;
    char horizon[11];   /* in force afterwards */
    col_purge *out;
} start_job;

static long long first_ll(PGresult *r)
{
    return strtoll(PQgetvalue(r, 0, 0), NULL, 10);
}

static obs_status start_tx(PGconn *c, void *arg, obs_err *e)
{
    start_job *j = arg;
    char lock[16];
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, OBS_GUARD_SQL_EXCLUSIVE, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_CHECK, 2, (const char *[]){j->before, lock}, &r, e);
    if (rc)
        return rc;
    int future = PQgetvalue(r, 0, 0)[0] == 't', open = PQgetvalue(r, 0, 1)[0] == 't';
    j->out->again = PQgetvalue(r, 0, 2)[0] == 't';
    PQclear(r);
    if (future)
        return obs_fail(e, OBS_ERR_INPUT, "E_RETENTION_FUTURE",
                        "on ne supprime que des mois passés : %.7s n'est pas encore commencé",
                        j->before);
    if (open && !j->out->again)
        return obs_fail(e, OBS_ERR_INPUT, "E_RETENTION_OPEN",
                        "l'année précédant %.7s n'est pas entièrement close (ISCGOBS_LOCK_MONTHS) : "
                        "ses mois peuvent encore être corrigés",
                        j->before);
    if (!j->out->again) {
        const char *p[] = {j->before};
        rc = obs_db_exec(c, SQL_RECORD, 2, (const char *[]){j->before, j->actor}, NULL, e);
        if (rc == OBS_OK)
            rc = obs_db_exec(c, SQL_BEFORE_ADD, 1, p, NULL, e);
        if (rc == OBS_OK)
            rc = obs_db_exec(c, SQL_BEFORE_FORGET, 1, p, NULL, e);
        char detail[64];
        snprintf(detail, sizeof detail, "{\"before\": \"%.7s\"}", j->before);
        char target[24];
        snprintf(target, sizeof target, "before/%.7s", j->before);
        if (rc == OBS_OK)
            rc = obs_audit_append(c, j->actor, "retention.purge", target, "started", detail, e);
    }
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_HORIZON, 0, NULL, &r, e);
    if (rc)
        return rc;
    snprintf(j->horizon, sizeof j->horizon, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if ((rc = obs_db_exec(c, SQL_BEFORE_COUNT, 0, NULL, &r, e)) == OBS_OK) {
        j->out->kept = first_ll(r);
        PQclear(r);
    }
    return rc;
}

typedef struct batch_job {
    const char *horizon, *limit;
    long long deleted;
} batch_job;

/* One batch, under the lifecycle guard in shared mode like an upload: a key rotation (which
 * rewrites these rows) waits for the batch, or the batch for it, never a deadlock. */
static obs_status batch_tx(PGconn *c, void *arg, obs_err *e)
{
    batch_job *j = arg;
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, OBS_GUARD_SQL_SHARED, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_BATCH, 2, (const char *[]){j->horizon, j->limit}, &r, e);
    if (rc == OBS_OK) {
        j->deleted = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        char n[24];
        snprintf(n, sizeof n, "%lld", j->deleted);
        rc = obs_db_exec(c, SQL_COUNT, 2, (const char *[]){j->horizon, n}, NULL, e);
    }
    return rc;
}

/* Delete the rows before the horizon, batch by batch, each batch its own transaction. The
 * loop is bounded by the rows counted first (a batch always deletes some while any is left). */
static obs_status delete_batches(PGconn *c, const char *horizon, int batch, long long *rows,
                                 obs_err *e)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", batch);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_LEFT, 1, (const char *[]){horizon}, &r, e);
    if (rc)
        return rc;
    long long left = first_ll(r), rounds = left / batch + 2;
    PQclear(r);
    *rows = 0;
    for (long long i = 0; i < rounds && left > 0 && !stopping; i++) {
        batch_job j = {horizon, lim, 0};
        if ((rc = obs_db_tx(c, batch_tx, &j, e)))
            return rc;
        long long n = j.deleted;
        *rows += n;
        left -= n;
        if (n == 0)
            break;
    }
    return OBS_OK;
}

obs_status col_retention_purge(PGconn *c, int year, int month, const char *actor, int batch,
                               col_purge *out, obs_err *e)
{
    memset(out, 0, sizeof *out);
    char before[11];
    snprintf(before, sizeof before, "%04d-%02d-01", year, month);
    start_job j = {.before = before, .actor = actor, .out = out};
    obs_status rc = obs_db_tx(c, start_tx, &j, e);
    if (rc == OBS_OK)
        rc = delete_batches(c, j.horizon, batch > 0 ? batch : 5000, &out->rows, e);
    snprintf(out->before, sizeof out->before, "%.7s", j.horizon);
    if (rc == OBS_OK && !stopping)
        rc = obs_db_exec(c, SQL_FINISH, 1, (const char *[]){j.horizon}, NULL, e);
    if (rc == OBS_OK && !stopping) {
        char detail[96], target[24];
        snprintf(detail, sizeof detail, "{\"before\": \"%.7s\", \"rows\": %lld}", j.horizon,
                 out->rows);
        snprintf(target, sizeof target, "before/%.7s", j.horizon);
        rc = obs_audit_append(c, actor, "retention.purge", target, "ok", detail, e);
    }
    for (size_t i = 0; rc == OBS_OK && !stopping && i < 2; i++)
        rc = obs_db_run(c, SQL_VACUUM[i], e);
    if (rc == OBS_OK)
        obs_log(OBS_LOG_INFO, "retention.purge", "before=%s rows=%lld kept=%lld", out->before,
                out->rows, out->kept);
    return rc;
}

/* The daily task. */
static pthread_t task;
static int task_running;
static int task_months;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static const char SQL_TARGET[] =
    "SELECT extract(year FROM m)::int, extract(month FROM m)::int FROM"
    " (SELECT date_trunc('month', now() AT TIME ZONE 'Europe/Paris')"
    "         - make_interval(months => $1::int) AS m) t";

static void run_once(void)
{
    obs_err e;
    obs_err_clear(&e);
    obs_task_lock lk = {0};
    int held = 0;
    if (obs_task_trylock("col.retention", &lk, &held, &e) || !held)
        return;
    PGconn *c = obs_db_conn(&e);
    PGresult *r = NULL;
    char months[16];
    snprintf(months, sizeof months, "%d", task_months);
    if (c && obs_db_exec(c, SQL_TARGET, 1, (const char *[]){months}, &r, &e) == OBS_OK) {
        int y = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
        int m = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
        PQclear(r);
        col_purge out;
        if (col_retention_purge(c, y, m, "serve", 5000, &out, &e))
            obs_log(OBS_LOG_WARN, "retention.task", "code=%s", e.code);
    }
    obs_task_unlock(&lk);
}

static void *task_main(void *arg)
{
    (void)arg;
    int wait_s = 5;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_s;
        while (!stopping && pthread_cond_timedwait(&cv, &mu, &until) == 0)
            ;
        if (stopping)
            break;
        pthread_mutex_unlock(&mu);
        run_once();
        pthread_mutex_lock(&mu);
        wait_s = 24 * 3600;
    }
    pthread_mutex_unlock(&mu);
    obs_db_disconnect();
    return NULL;
}

obs_status col_retention_start(int months, obs_err *e)
{
    if (months <= 0)
        return OBS_OK;
    task_months = months;
    stopping = 0;
    if (pthread_create(&task, NULL, task_main, NULL) != 0)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_THREAD", "tâche de conservation impossible");
    task_running = 1;
    return OBS_OK;
}

void col_retention_stop(void)
{
    if (!task_running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(task, NULL);
    task_running = 0;
}
