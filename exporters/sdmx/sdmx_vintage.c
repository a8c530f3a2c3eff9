/* sdmx_vintage.c: publication runs (the protected figures of a published round, kept as
 * versioned rows): the state check readers make, and the recording of a round's run, in the
 * background or, when no run can be served, on the caller's path; see sdmx_vintage.h and
 * migrations/003_sdmx_vintages.sql. Reading a run: sdmx_source.c. */
#include "sdmx_vintage.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "db_read.h"
#include "filter.h"
#include "log.h"
#include "protect.h"
#include "publish.h"
#include "warm.h"

/* ---- the state of the indicator store ------------------------------------------------- */

/* The state, and when the Paris month ends (the lock rule's next effect), in epoch seconds. */
static const char SQL_STATE[] =
    "SELECT coalesce((SELECT string_agg(year || ':' || gen, ',' ORDER BY year)"
    " FROM agg_generation), '') || '|' || to_char(now() AT TIME ZONE 'Europe/Paris', 'YYYY-MM'),"
    " extract(epoch FROM (date_trunc('month', now() AT TIME ZONE 'Europe/Paris')"
    " + interval '1 month') AT TIME ZONE 'Europe/Paris')::bigint";

#define RUN_COLS                                                                              \
    "id, extract(epoch FROM published_at)::bigint, coalesce(to_char(extracted_at AT TIME ZONE"  \
    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), state"
static const char SQL_LAST_RUN[] =
    "SELECT " RUN_COLS " FROM sdmx_publication ORDER BY id DESC LIMIT 1";

static const char SQL_RUN_AT[] =
    "SELECT " RUN_COLS " FROM sdmx_publication"
    " WHERE published_at <= to_timestamp($1::double precision) ORDER BY id DESC LIMIT 1";

/* Seconds a state check is trusted without notification (a safety net). */
#define TRUST_SECONDS 60
/* Seconds after a local upload during which every answer checks the state. */
#define TOUCH_SECONDS 5
/* Seconds a state check on the standby is trusted: the notifications come from the primary,
 * ahead of the standby's replay (db_read.h). */
#define STANDBY_TRUST_SECONDS 2

/* The last state checked and its run, one for the primary and one for the standby: a run
 * known on the primary may not have reached the standby yet. */
typedef struct state_cache {
    char state[512];
    exp_run run;
    long long epoch; /* listener epoch at the last check */
    time_t until;    /* the last check is trusted until then */
} state_cache;
static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;
static state_cache caches[2] = {{.epoch = -1}, {.epoch = -1}}; /* [1]: the standby */

/* The listener: epoch counts notifications (and reconnections); ok when it listens. */
static _Atomic long long listen_epoch;
static _Atomic int listen_ok;
static _Atomic long long touched_at;
static pthread_once_t listen_once = PTHREAD_ONCE_INIT;

void exp_vintage_reset(void)
{
    pthread_mutex_lock(&state_mu);
    for (int i = 0; i < 2; i++) {
        memset(&caches[i], 0, sizeof caches[i]);
        caches[i].epoch = -1;
    }
    pthread_mutex_unlock(&state_mu);
}

void exp_vintage_touch(void)
{
    touched_at = (long long)time(NULL);
}

/* LISTEN sdmx_state on a private connection, forever; reconnects after a loss. */
static void *listen_main(void *arg)
{
    (void)arg;
    for (;;) {
        PGconn *l = obs_db_open(obs_config_get()->database_url, NULL);
        PGresult *r = l ? PQexec(l, "LISTEN sdmx_state") : NULL;
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (ok) {
            listen_ok = 1;
            listen_epoch++; /* anything before this moment may have been missed */
            while (PQstatus(l) == CONNECTION_OK) {
                struct pollfd pfd = {.fd = PQsocket(l), .events = POLLIN};
                if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
                    break;
                if (!PQconsumeInput(l))
                    break;
                PGnotify *n;
                while ((n = PQnotifies(l)) != NULL) {
                    listen_epoch++;
                    PQfreemem(n);
                }
            }
            obs_log(OBS_LOG_WARN, "sdmx.listen", "lost=1");
        }
        listen_ok = 0;
        listen_epoch++;
        obs_db_close(l);
        sleep(1);
    }
    return NULL;
}

static void listen_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, listen_main, NULL) == 0)
        pthread_detach(t);
}

/* The state read on c: the thread's own connection (prepared: obs_db_exec_prepared's cache
 * is the thread's), or a round's, shared between threads (not prepared). */
static obs_status read_state(PGconn *c, int own, char *out, size_t cap, time_t *month_end,
                             obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = own ? obs_db_exec_prepared(c, SQL_STATE, 0, NULL, &r, e)
                        : obs_db_exec(c, SQL_STATE, 0, NULL, &r, e);
    if (rc)
        return rc;
    const obs_config *cfg = obs_config_get();
    snprintf(out, cap, "%s|k=%d|lock=%d", PQgetvalue(r, 0, 0), cfg->sdc_k, cfg->lock_months);
    if (month_end)
        *month_end = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    return OBS_OK;
}

/* The run of r's first row (RUN_COLS), id 0 when r has none. */
static void run_of_row(PGresult *r, exp_run *run)
{
    memset(run, 0, sizeof *run);
    if (PQntuples(r) == 0)
        return;
    run->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    run->published_at = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(run->extracted, sizeof run->extracted, "%s", PQgetvalue(r, 0, 2));
}

/* The last run (id 0 when none) and its state. */
static obs_status last_run(PGconn *c, exp_run *run, char *state, size_t cap, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_LAST_RUN, 0, NULL, &r, e);
    if (rc)
        return rc;
    run_of_row(r, run);
    state[0] = '\0';
    if (PQntuples(r) == 1)
        snprintf(state, cap, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    return OBS_OK;
}

/* ---- taking a run ---------------------------------------------------------------------- */

#define KEYCOLS EXP_VINTAGE_KEYCOLS
#define KEYMATCH                                                                              \
    "c.freq = v.freq AND c.area = v.area AND c.mesure = v.mesure AND c.sexe = v.sexe"        \
    " AND c.age = v.age AND c.statut = v.statut AND c.origine = v.origine"                    \
    " AND c.problematique = v.problematique AND c.partenaire = v.partenaire"                  \
    " AND c.mode = v.mode AND c.period = v.period"

static const char SQL_CUR[] =
    "CREATE TEMP TABLE sdmx_cur (freq char(1), area text COLLATE \"C\", mesure text COLLATE \"C\","
    " sexe text COLLATE \"C\", age text COLLATE \"C\", statut text COLLATE \"C\","
    " origine text COLLATE \"C\", problematique text COLLATE \"C\","
    " partenaire text COLLATE \"C\", mode text COLLATE \"C\", period text COLLATE \"C\","
    " pfirst int, plast int, value text, obs_status char(1), conf_status char(1))"
    " ON COMMIT DROP";
static const char SQL_NEW_RUN[] =
    "INSERT INTO sdmx_publication (state, trigger, extracted_at)"
    " VALUES ($1, $2, nullif($3, '')::timestamptz) RETURNING id";
static const char SQL_CLOSE[] =
    "UPDATE sdmx_vintage v SET to_run = $1::bigint WHERE v.to_run IS NULL AND NOT EXISTS ("
    " SELECT 1 FROM sdmx_cur c WHERE " KEYMATCH " AND c.value IS NOT DISTINCT FROM v.value"
    " AND c.obs_status = v.obs_status AND c.conf_status = v.conf_status)";
static const char SQL_ADD[] =
    "INSERT INTO sdmx_vintage (" KEYCOLS ", period, pfirst, plast, value, obs_status,"
    " conf_status, from_run)"
    " SELECT " KEYCOLS ", period, pfirst, plast, value, obs_status, conf_status, $1::bigint"
    " FROM sdmx_cur c WHERE NOT EXISTS (SELECT 1 FROM sdmx_vintage v"
    " WHERE v.to_run IS NULL AND " KEYMATCH ")";
/* The last statement before COMMIT: published_at is when the run becomes visible (asOf). */
static const char SQL_RUN_DONE[] =
    "UPDATE sdmx_publication SET added = $2::int, closed = $3::int,"
    " published_at = clock_timestamp() WHERE id = $1::bigint";
static const char SQL_DROP_RUN[] = "DELETE FROM sdmx_publication WHERE id = $1::bigint";
/* A round whose observations did not change: the last run covers its state too (and keeps
 * its extracted_at: a run's answers never change). */
static const char SQL_RUN_STATE[] = "UPDATE sdmx_publication SET state = $2 WHERE id = $1::bigint";

/* Append one observation as a COPY text line. */
static obs_status copy_line(obs_buf *b, const exp_obs *o)
{
    int first, last;
    if (exp_period_months(o->period, &first, &last))
        return OBS_ERR_INTERNAL;
    obs_status rc = OBS_OK;
    for (int d = 0; rc == OBS_OK && d < EXP_NDIMS; d++) {
        rc = obs_buf_puts(b, o->key[d]);
        if (rc == OBS_OK)
            rc = obs_buf_putc(b, '\t');
    }
    if (rc == OBS_OK)
        rc = obs_buf_printf(b, "%s\t%d\t%d\t%s\t%c\t%c\n", o->period, first, last,
                            o->has_value ? o->value : "\\N", o->obs_status, o->conf_status);
    return rc;
}

/* Copy every protected public cell of the round's years, measure by measure (memory: one
 * measure of one year), read in the round's snapshot, into the temporary table sdmx_cur of
 * connection w. */
static obs_status fill_current(agg_round *r, PGconn *w, long *ncells, obs_err *e)
{
    PGresult *res = PQexec(w, "COPY sdmx_cur FROM STDIN");
    int copying = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    if (!copying)
        return obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible (COPY)");
    obs_status rc = OBS_OK;
    obs_buf b;
    obs_buf_init(&b, 0);
    for (int y = 0; rc == OBS_OK && y < r->nyears; y++) {
        for (size_t m = 0; rc == OBS_OK && m < exp_cl_count(EXP_CL_MESURE); m++) {
            agg_query q;
            agg_query_init(&q);
            q.has_from = q.has_to = 1;
            q.from = q.to = (agg_period){'A', r->prot[y]->year, 0};
            agg_cell *cells = NULL;
            size_t n = 0;
            rc = agg_warm_stopping() && agg_warm_is_self()
                     ? obs_fail(e, OBS_ERR_INTERNAL, "E_STOPPING", "arrêt du service en cours")
                     : agg_query_set(&q, AGG_F_MESURE, exp_cl_at(EXP_CL_MESURE, m)->id, e);
            if (rc == OBS_OK)
                rc = agg_round_cells(r, &q, 0, &cells, &n, e);
            agg_query_free(&q);
            for (size_t i = 0; rc == OBS_OK && i < n; i++) {
                exp_obs o;
                rc = exp_obs_from_cell(&cells[i], &o, e);
                if (rc == OBS_OK)
                    rc = copy_line(&b, &o);
                if (rc == OBS_OK && b.len >= 256 * 1024) {
                    if (PQputCopyData(w, b.data, (int)b.len) != 1)
                        rc = obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible");
                    obs_buf_reset(&b);
                }
            }
            *ncells += (long)n;
            free(cells);
        }
    }
    if (rc == OBS_OK && b.len && PQputCopyData(w, b.data, (int)b.len) != 1)
        rc = obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible");
    obs_buf_free(&b);
    PQputCopyEnd(w, rc ? "aborted" : NULL);
    while ((res = PQgetResult(w)) != NULL) {
        if (rc == OBS_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible (COPY)");
        PQclear(res);
    }
    if (rc && e && e->status == OBS_OK)
        obs_fail(e, rc, "E_SDMX_PUBLISH", "publication SDMX impossible");
    return rc;
}

static long exec_count(PGconn *w, const char *sql, const char *run, obs_status *rc, obs_err *e)
{
    PGresult *r = NULL;
    if (*rc)
        return 0;
    *rc = obs_db_exec(w, sql, 1, (const char *[]){run}, &r, e);
    if (*rc)
        return 0;
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n;
}

/* 1 when state a ("year:gen,...|YYYY-MM|...") is older than state b: a year of b at a later
 * generation than in a (or unknown to a), or an earlier Paris month. Generations only grow,
 * so a round read before another server's run is never recorded after it. */
int exp_state_older(const char *a, const char *b)
{
    const char *ma = strchr(a, '|'), *mb = strchr(b, '|');
    if (ma == NULL || mb == NULL)
        return 0;
    for (const char *p = b; p < mb;) {
        int year = 0;
        long long gen = 0;
        if (sscanf(p, "%d:%lld", &year, &gen) != 2)
            return 0;
        char key[16];
        int kl = snprintf(key, sizeof key, "%d:", year);
        const char *q = a;
        long long mine = -1;
        while (q < ma) {
            if (strncmp(q, key, (size_t)kl) == 0) {
                mine = strtoll(q + kl, NULL, 10);
                break;
            }
            const char *comma = strchr(q, ',');
            q = comma && comma < ma ? comma + 1 : ma;
        }
        if (mine < gen)
            return 1;
        const char *comma = strchr(p, ',');
        p = comma && comma < mb ? comma + 1 : mb;
    }
    return strncmp(ma + 1, mb + 1, 7) < 0;
}

/* Inside the transaction of w (advisory lock held), with the round's connection rc held:
 * record the round's publication as a new run if it changed, else bring the last run's
 * state up to date. Nothing when the last run is of the round's state or of a newer one. */
static obs_status record_run(agg_round *r, PGconn *rconn, PGconn *w, const char *trigger,
                             obs_err *e)
{
    exp_run prev;
    char prev_state[512], state[512], as_of[24];
    obs_status rc = read_state(rconn, 0, state, sizeof state, NULL, e);
    if (rc == OBS_OK)
        rc = last_run(w, &prev, prev_state, sizeof prev_state, e);
    if (rc || (prev.id && (strcmp(prev_state, state) == 0 || exp_state_older(state, prev_state))))
        return rc; /* published meanwhile, by another thread or server */
    agg_round_as_of(r, as_of);
    rc = obs_db_run(w, SQL_CUR, e);
    long ncells = 0;
    if (rc == OBS_OK)
        rc = fill_current(r, w, &ncells, e);
    PGresult *res = NULL;
    if (rc == OBS_OK)
        rc = obs_db_exec(w, SQL_NEW_RUN, 3, (const char *[]){state, trigger, as_of}, &res, e);
    if (rc)
        return rc;
    char run[24];
    snprintf(run, sizeof run, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    long closed = exec_count(w, SQL_CLOSE, run, &rc, e);
    long added = exec_count(w, SQL_ADD, run, &rc, e);
    if (rc)
        return rc;
    if (added == 0 && closed == 0 && prev.id) {
        char pid[24];
        snprintf(pid, sizeof pid, "%lld", prev.id);
        rc = obs_db_exec(w, SQL_DROP_RUN, 1, (const char *[]){run}, NULL, e);
        if (rc == OBS_OK)
            rc = obs_db_exec(w, SQL_RUN_STATE, 2, (const char *[]){pid, state}, NULL, e);
        return rc;
    }
    char a[24], d[24];
    snprintf(a, sizeof a, "%ld", added);
    snprintf(d, sizeof d, "%ld", closed);
    rc = obs_db_exec(w, SQL_RUN_DONE, 3, (const char *[]){run, a, d}, NULL, e);
    obs_log(OBS_LOG_INFO, "sdmx.publish", "run=%s trigger=%s cells=%ld added=%ld closed=%ld", run,
            trigger, ncells, added, closed);
    return rc;
}

/* Record the publication of the latest round (protect.h) on a private connection, under an
 * advisory lock (one run at a time among every server of the database). The round is taken
 * once the lock is held, so a later publisher never takes an older round. */
static obs_status publish_round(const char *trigger, obs_err *e)
{
    PGconn *w = obs_db_open(obs_config_get()->database_url, e);
    if (w == NULL)
        return OBS_ERR_DB;
    obs_status rc = obs_db_run(w, "BEGIN", e);
    if (rc == OBS_OK)
        rc = obs_db_run(w, "SELECT pg_advisory_xact_lock(hashtext('sdmx_publication'))", e);
    agg_round *r = rc ? NULL : agg_round_latest();
    if (rc == OBS_OK && r == NULL)
        rc = obs_fail(e, OBS_ERR_DB, "E_SDMX_BUSY",
                      "les indicateurs sont en cours de protection : réessayez dans quelques "
                      "secondes");
    if (rc == OBS_OK) {
        rc = record_run(r, agg_round_conn(r), w, trigger, e);
        if (rc && PQtransactionStatus(r->conn) != PQTRANS_INTRANS)
            r->broken = 1; /* its transaction failed: the next step builds another round */
        agg_round_conn_done(r);
    }
    agg_round_release(r);
    if (rc == OBS_OK)
        rc = obs_db_run(w, "COMMIT", e);
    else
        PQclear(PQexec(w, "ROLLBACK"));
    obs_db_close(w);
    return rc;
}

void exp_vintage_publish_background(void)
{
    obs_err e;
    obs_err_clear(&e);
    if (publish_round("background", &e))
        obs_log(OBS_LOG_WARN, "sdmx.publish", "trigger=background code=%s", e.code);
}

/* The state check; epoch is the listener's epoch read before the statement (or -1). When the
 * last run is not of the state read: in a server (its background thread publishes rounds)
 * that does not let readers wait (ISCGOBS_PROTECT_WAIT_MS 0), the last run is served at once
 * and the thread asked to publish; else the latest round is published here (commands, the
 * first run ever). On the standby nothing is published: its last replicated run is served,
 * OBS_E_REPLICA_BEHIND when there is none (the caller reads the primary). */
static obs_status current(PGconn *c, const char *trigger, long long epoch, exp_run *run,
                          obs_err *e)
{
    char state[512], last_state[512];
    time_t month_end = 0;
    int standby = obs_db_is_replica(c);
    state_cache *sc = &caches[standby];
    obs_status rc = read_state(c, 1, state, sizeof state, &month_end, e);
    if (rc)
        return rc;
    time_t until = time(NULL) + (standby ? STANDBY_TRUST_SECONDS : TRUST_SECONDS);
    if (month_end > 0 && month_end < until)
        until = month_end;
    pthread_mutex_lock(&state_mu);
    int hit = sc->run.id && strcmp(sc->state, state) == 0;
    if (hit) {
        *run = sc->run;
        sc->epoch = epoch; /* the state read after epoch is still the cached one */
        sc->until = until;
    }
    pthread_mutex_unlock(&state_mu);
    if (hit)
        return OBS_OK;
    rc = last_run(c, run, last_state, sizeof last_state, e);
    if (rc == OBS_OK && !(run->id && strcmp(last_state, state) == 0)) {
        if (standby)
            return run->id ? OBS_OK
                           : obs_fail(e, OBS_ERR_DB, OBS_E_REPLICA_BEHIND,
                                      "publication SDMX pas encore répliquée");
        agg_warm_read(); /* a protected reader: rounds follow the uploads */
        if (run->id && agg_warm_running() && obs_config_get()->protect_wait_ms == 0) {
            agg_warm_want_hook();
            return OBS_OK; /* the run in force, until the background one is recorded */
        }
        rc = agg_round_ready(e);
        if (rc == OBS_OK)
            rc = publish_round(trigger, e);
        if (rc == OBS_OK)
            rc = last_run(c, run, last_state, sizeof last_state, e);
    }
    if (rc)
        return rc;
    /* Cache only a run that covers the state read before the cells (never newer). */
    if (strcmp(last_state, state) == 0) {
        pthread_mutex_lock(&state_mu);
        snprintf(sc->state, sizeof sc->state, "%s", state);
        sc->run = *run;
        sc->epoch = epoch;
        sc->until = until;
        pthread_mutex_unlock(&state_mu);
    }
    return OBS_OK;
}

obs_status exp_vintage_current(PGconn *c, const char *trigger, exp_run *run, obs_err *e)
{
    return current(c, trigger, -1, run, e);
}

obs_status exp_vintage_current_fast(PGconn *c, exp_run *run, obs_err *e)
{
    pthread_once(&listen_once, listen_start);
    long long epoch = listen_ok ? listen_epoch : -1;
    time_t now = time(NULL);
    int hit = 0;
    if (epoch >= 0 && now - (time_t)touched_at > TOUCH_SECONDS) {
        const state_cache *sc = &caches[obs_db_is_replica(c)];
        pthread_mutex_lock(&state_mu);
        hit = sc->run.id && sc->epoch == epoch && now < sc->until;
        if (hit)
            *run = sc->run;
        pthread_mutex_unlock(&state_mu);
    }
    if (hit)
        return OBS_OK;
    if (c == NULL)
        return obs_fail(e, OBS_ERR_DB, "E_DB_UNAVAILABLE", "la base de données est indisponible");
    return current(c, "query", epoch, run, e);
}

obs_status exp_vintage_run_at(PGconn *c, time_t t, long long *id, obs_err *e)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)t);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_RUN_AT, 1, (const char *[]){ts}, &r, e);
    if (rc)
        return rc;
    *id = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return OBS_OK;
}

obs_status exp_vintage_as_of(PGconn *c, time_t t, exp_run *run, obs_err *e)
{
    exp_run cur;
    obs_status rc = exp_vintage_current(c, "query", &cur, e); /* asOf now = the figures now */
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)t);
    PGresult *r = NULL;
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_RUN_AT, 1, (const char *[]){ts}, &r, e);
    if (rc)
        return rc;
    run_of_row(r, run);
    PQclear(r);
    return OBS_OK;
}
