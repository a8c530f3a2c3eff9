/* sdmx_vintage.c: publication runs (lazy snapshots of the protected figures, kept as
 * versioned rows) and keyset-paginated reading of one run; see sdmx_vintage.h and
 * migrations/003_sdmx_vintages.sql. */
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
#include "publish.h"

/* ---- the state of the indicator store ------------------------------------------------- */

/* The state, and when the Paris month ends (the lock rule's next effect), in epoch seconds. */
static const char SQL_STATE[] =
    "SELECT coalesce((SELECT string_agg(year || ':' || gen, ',' ORDER BY year)"
    " FROM agg_generation), '') || '|' || to_char(now() AT TIME ZONE 'Europe/Paris', 'YYYY-MM'),"
    " extract(epoch FROM (date_trunc('month', now() AT TIME ZONE 'Europe/Paris')"
    " + interval '1 month') AT TIME ZONE 'Europe/Paris')::bigint";

static const char SQL_LAST_RUN[] =
    "SELECT id, extract(epoch FROM published_at)::bigint, state FROM sdmx_publication"
    " ORDER BY id DESC LIMIT 1";

static const char SQL_RUN_AT[] =
    "SELECT id, extract(epoch FROM published_at)::bigint FROM sdmx_publication"
    " WHERE published_at <= to_timestamp($1::double precision) ORDER BY id DESC LIMIT 1";

static const char SQL_YEARS[] = "SELECT year FROM agg_generation ORDER BY year";

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

static obs_status read_state(PGconn *c, char *out, size_t cap, time_t *month_end, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_STATE, 0, NULL, &r, e);
    if (rc)
        return rc;
    const obs_config *cfg = obs_config_get();
    snprintf(out, cap, "%s|k=%d|lock=%d", PQgetvalue(r, 0, 0), cfg->sdc_k, cfg->lock_months);
    if (month_end)
        *month_end = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    return OBS_OK;
}

/* The last run (id 0 when none) and its state. */
static obs_status last_run(PGconn *c, exp_run *run, char *state, size_t cap, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_LAST_RUN, 0, NULL, &r, e);
    if (rc)
        return rc;
    memset(run, 0, sizeof *run);
    state[0] = '\0';
    if (PQntuples(r) == 1) {
        run->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        run->published_at = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        snprintf(state, cap, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return OBS_OK;
}

/* ---- taking a run ---------------------------------------------------------------------- */

#define KEYCOLS "freq, area, mesure, sexe, age, statut, origine, problematique, partenaire, mode"
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
    "INSERT INTO sdmx_publication (state, trigger) VALUES ($1, $2) RETURNING id";
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
static const char SQL_RUN_STATE[] =
    "UPDATE sdmx_publication SET state = $2 WHERE id = $1::bigint";

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

/* Copy every protected public cell of every year, measure by measure (memory: one measure
 * of one year), into the temporary table sdmx_cur of connection w. */
static obs_status fill_current(PGconn *c, PGconn *w, long *ncells, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_YEARS, 0, NULL, &r, e);
    if (rc)
        return rc;
    int nyears = PQntuples(r);
    int *years = calloc((size_t)(nyears ? nyears : 1), sizeof *years);
    for (int i = 0; years && i < nyears; i++)
        years[i] = (int)strtol(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    if (years == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    r = PQexec(w, "COPY sdmx_cur FROM STDIN");
    int copying = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!copying) {
        free(years);
        return obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible (COPY)");
    }
    obs_buf b;
    obs_buf_init(&b, 0);
    for (int y = 0; rc == OBS_OK && y < nyears; y++) {
        for (size_t m = 0; rc == OBS_OK && m < exp_cl_count(EXP_CL_MESURE); m++) {
            agg_query q;
            agg_query_init(&q);
            q.has_from = q.has_to = 1;
            q.from = q.to = (agg_period){'A', years[y], 0};
            agg_cell *cells = NULL;
            size_t n = 0;
            rc = agg_query_set(&q, AGG_F_MESURE, exp_cl_at(EXP_CL_MESURE, m)->id, e);
            if (rc == OBS_OK)
                rc = agg_published_cells(c, &q, 0, &cells, &n, e);
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
    free(years);
    PQputCopyEnd(w, rc ? "aborted" : NULL);
    while ((r = PQgetResult(w)) != NULL) {
        if (rc == OBS_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = obs_fail(e, OBS_ERR_DB, "E_DB", "publication SDMX impossible (COPY)");
        PQclear(r);
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

/* Reads of the cells tried before giving up on a consistent snapshot (see snapshot). */
#define SNAPSHOT_ATTEMPTS 3

/* Fill sdmx_cur (temporary table of w, inside its transaction) with the published cells of
 * one state of the indicator store. agg_published_cells reads each (year, measure) in its own
 * transaction on c, so a change committed during the fill would mix two states: the state is
 * read again after the last read of cells, and when it moved (a generation was bumped, the
 * Paris month turned) the cells are discarded and read again. Generations only grow and
 * every change of the indicators bumps one in the same transaction, so an unchanged state
 * means that every read saw the same indicators. On entry state (cap bytes) is the state read
 * before; on return it is the state the cells belong to (it may be newer). *consistent is 0
 * when the store moved during each of SNAPSHOT_ATTEMPTS fills (sdmx_cur is then empty). */
static obs_status snapshot(PGconn *c, PGconn *w, char *state, size_t cap, long *ncells,
                           int *consistent, obs_err *e)
{
    *consistent = 0;
    for (int attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
        char after[512];
        *ncells = 0;
        obs_status rc = fill_current(c, w, ncells, e);
        if (rc == OBS_OK)
            rc = read_state(c, after, sizeof after, NULL, e);
        if (rc)
            return rc;
        if (strcmp(after, state) == 0) {
            *consistent = 1;
            return OBS_OK;
        }
        obs_log(OBS_LOG_WARN, "sdmx.publish", "moved=1 attempt=%d", attempt);
        snprintf(state, cap, "%s", after);
        if ((rc = obs_db_run(w, "TRUNCATE sdmx_cur", e)))
            return rc;
    }
    return OBS_OK;
}

/* Inside the transaction of w (advisory lock held): record a run if the publication changed,
 * else bring the last run's state up to date. state_in is the state read before the lock; the
 * run records the state its cells were read in (snapshot). When the store never held still
 * long enough to read it, nothing is recorded and the last run stays in force (OBS_OK), or,
 * before any run, OBS_ERR_DB / E_SDMX_BUSY (503: retry). */
static obs_status record_run(PGconn *c, PGconn *w, const char *state_in, const char *trigger,
                             obs_err *e)
{
    exp_run prev;
    char prev_state[512], state[512];
    obs_status rc = last_run(w, &prev, prev_state, sizeof prev_state, e);
    if (rc || (prev.id && strcmp(prev_state, state_in) == 0))
        return rc; /* another thread or process published it meanwhile */
    snprintf(state, sizeof state, "%s", state_in);
    rc = obs_db_run(w, SQL_CUR, e);
    long ncells = 0;
    int consistent = 0;
    if (rc == OBS_OK)
        rc = snapshot(c, w, state, sizeof state, &ncells, &consistent, e);
    if (rc == OBS_OK && !consistent) {
        obs_log(OBS_LOG_WARN, "sdmx.publish", "busy=1 kept_run=%lld", prev.id);
        if (prev.id)
            return OBS_OK;
        return obs_fail(e, OBS_ERR_DB, "E_SDMX_BUSY",
                        "les indicateurs changent sans cesse : réessayez dans quelques secondes");
    }
    PGresult *r = NULL;
    if (rc == OBS_OK)
        rc = obs_db_exec(w, SQL_NEW_RUN, 2, (const char *[]){state, trigger}, &r, e);
    if (rc)
        return rc;
    char run[24];
    snprintf(run, sizeof run, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
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

/* Take a run on a private connection (the thread's connection c keeps serving the
 * aggregator's reads, which run their own transactions). */
static obs_status publish(PGconn *c, const char *state, const char *trigger, obs_err *e)
{
    PGconn *w = obs_db_open(obs_config_get()->database_url, e);
    if (w == NULL)
        return OBS_ERR_DB;
    obs_status rc = obs_db_run(w, "BEGIN", e);
    if (rc == OBS_OK)
        rc = obs_db_run(w, "SELECT pg_advisory_xact_lock(hashtext('sdmx_publication'))", e);
    if (rc == OBS_OK)
        rc = record_run(c, w, state, trigger, e);
    if (rc == OBS_OK)
        rc = obs_db_run(w, "COMMIT", e);
    else
        PQclear(PQexec(w, "ROLLBACK"));
    obs_db_close(w);
    return rc;
}

/* The state check; epoch is the listener's epoch read before the statement (or -1). On the
 * standby nothing is published: without a completed run of its state, OBS_E_REPLICA_BEHIND
 * (the caller reads the primary, which publishes). */
static obs_status current(PGconn *c, const char *trigger, long long epoch, exp_run *run,
                          obs_err *e)
{
    char state[512], last_state[512];
    time_t month_end = 0;
    int standby = obs_db_is_replica(c);
    state_cache *sc = &caches[standby];
    obs_status rc = read_state(c, state, sizeof state, &month_end, e);
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
            return obs_fail(e, OBS_ERR_DB, OBS_E_REPLICA_BEHIND,
                            "publication SDMX pas encore répliquée");
        rc = publish(c, state, trigger, e);
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
    memset(run, 0, sizeof *run);
    if (PQntuples(r)) {
        run->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        run->published_at = (time_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    PQclear(r);
    return OBS_OK;
}

/* ---- reading a run --------------------------------------------------------------------- */

static const char *const COLS[EXP_NDIMS + 1] = {
    "freq",    "area",          "mesure",     "sexe", "age",    "statut",
    "origine", "problematique", "partenaire", "mode", "period",
};

obs_status exp_source_init(exp_source *src, const exp_data_query *q, const exp_run *run,
                           long long updated_after_run, obs_err *e)
{
    memset(src, 0, sizeof *src);
    for (int d = 0; d < EXP_NDIMS; d++)
        if (exp_query_array(q, d, src->arrays[d], sizeof src->arrays[d]))
            return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "filtre trop long");
    src->has_start = q->start_month >= 0;
    src->has_end = q->end_month >= 0;
    snprintf(src->start, sizeof src->start, "%d", q->start_month);
    snprintf(src->end, sizeof src->end, "%d", q->end_month);
    snprintf(src->run, sizeof src->run, "%lld", run->id);
    src->has_upd = updated_after_run >= 0;
    snprintf(src->upd, sizeof src->upd, "%lld", updated_after_run);
    /* Sort columns: the series key (every key dimension but the observation one, then the
     * period when it is part of the key), then the observation dimension. */
    int g = q->dim_at_obs == EXP_DIM_ALL ? EXP_DIM_TIME : q->dim_at_obs, k = 0;
    for (int d = 0; d < EXP_NDIMS; d++)
        if (d != g)
            src->order[k++] = d;
    if (g != EXP_DIM_TIME)
        src->order[k++] = EXP_DIM_TIME;
    src->order[k++] = g;
    char order[256] = "", cursor[512] = "";
    size_t on = 0, cn = 0;
    for (int i = 0; i <= EXP_NDIMS; i++) {
        int a = snprintf(order + on, sizeof order - on, "%s%s", i ? ", " : "",
                         COLS[src->order[i]]);
        int b = snprintf(cursor + cn, sizeof cursor - cn, "%s$%d::%s", i ? ", " : "", 15 + i,
                         src->order[i] == EXP_D_FREQ ? "bpchar" : "text");
        if (a < 0 || (size_t)a >= sizeof order - on || b < 0 || (size_t)b >= sizeof cursor - cn)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
        on += (size_t)a;
        cn += (size_t)b;
    }
    /* The run's rows, always by the historical filter: a streamed answer reads its run page
     * by page, and a run recorded meanwhile ends rows of the run in force (to_run set) and
     * adds rows after it; "to_run IS NULL" would then lose the first and never see the
     * second. */
    char where[1024];
    int wn = snprintf(where, sizeof where,
                      " FROM sdmx_vintage"
                      " WHERE from_run <= $14::bigint"
                      " AND (to_run IS NULL OR to_run > $14::bigint)"
                      " AND ($1::text[] IS NULL OR freq = ANY($1::bpchar[]))"
                      " AND ($2::text[] IS NULL OR area = ANY($2::text[]))"
                      " AND ($3::text[] IS NULL OR mesure = ANY($3::text[]))"
                      " AND ($4::text[] IS NULL OR sexe = ANY($4::text[]))"
                      " AND ($5::text[] IS NULL OR age = ANY($5::text[]))"
                      " AND ($6::text[] IS NULL OR statut = ANY($6::text[]))"
                      " AND ($7::text[] IS NULL OR origine = ANY($7::text[]))"
                      " AND ($8::text[] IS NULL OR problematique = ANY($8::text[]))"
                      " AND ($9::text[] IS NULL OR partenaire = ANY($9::text[]))"
                      " AND ($10::text[] IS NULL OR mode = ANY($10::text[]))"
                      " AND ($11::int IS NULL OR %s >= $11::int)"
                      " AND ($12::int IS NULL OR %s <= $12::int)"
                      " AND ($13::bigint IS NULL OR from_run > $13::bigint)",
                      q->period_within ? "pfirst" : "plast",
                      q->period_within ? "plast" : "pfirst");
    if (wn < 0 || (size_t)wn >= sizeof where)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
    const char *sel = "SELECT " KEYCOLS ", period, value, obs_status, conf_status";
    int n1 = snprintf(src->sql_first, sizeof src->sql_first, "%s%s ORDER BY %s LIMIT $15::int",
                      sel, where, order);
    int n2 = snprintf(src->sql_next, sizeof src->sql_next,
                      "%s%s AND (%s) > (%s) ORDER BY %s LIMIT $26::int", sel, where, order,
                      cursor, order);
    int n3 = snprintf(src->sql_count, sizeof src->sql_count,
                      "SELECT count(*)%s AND $15::int IS NOT NULL", where);
    if (n1 < 0 || (size_t)n1 >= sizeof src->sql_first || n2 < 0 ||
        (size_t)n2 >= sizeof src->sql_next || n3 < 0 || (size_t)n3 >= sizeof src->sql_count)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_SDMX_QUERY", "requête trop longue");
    return OBS_OK;
}

/* Parameters $1..$14 (and $15 for a first page or a count). */
static int base_params(const exp_source *src, const char **p, const char *limit)
{
    for (int d = 0; d < EXP_NDIMS; d++)
        p[d] = src->arrays[d][0] ? src->arrays[d] : NULL;
    p[10] = src->has_start ? src->start : NULL;
    p[11] = src->has_end ? src->end : NULL;
    p[12] = src->has_upd ? src->upd : NULL;
    p[13] = src->run;
    p[14] = limit;
    return 15;
}

static void row_obs(PGresult *r, int i, exp_obs *o)
{
    memset(o, 0, sizeof *o);
    for (int d = 0; d < EXP_NDIMS; d++)
        snprintf(o->key[d], sizeof o->key[d], "%s", PQgetvalue(r, i, d));
    snprintf(o->period, sizeof o->period, "%s", PQgetvalue(r, i, 10));
    o->has_value = !PQgetisnull(r, i, 11);
    if (o->has_value)
        snprintf(o->value, sizeof o->value, "%s", PQgetvalue(r, i, 11));
    o->obs_status = PQgetvalue(r, i, 12)[0];
    o->conf_status = PQgetvalue(r, i, 13)[0];
}

obs_status exp_source_page(PGconn *c, const exp_source *src, const exp_obs *after,
                           size_t limit, exp_obs *out, size_t *n, obs_err *e)
{
    const char *p[26];
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit);
    int np = base_params(src, p, lim);
    if (after) {
        for (int i = 0; i <= EXP_NDIMS; i++)
            p[14 + i] = src->order[i] == EXP_DIM_TIME ? after->period : after->key[src->order[i]];
        p[25] = lim;
        np = 26;
    }
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, after ? src->sql_next : src->sql_first, np, p, &r, e);
    if (rc)
        return rc;
    size_t rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows && i < limit; i++)
        row_obs(r, (int)i, &out[i]);
    *n = rows < limit ? rows : limit;
    PQclear(r);
    return OBS_OK;
}

obs_status exp_source_count(PGconn *c, const exp_source *src, long long *n, obs_err *e)
{
    const char *p[15];
    int np = base_params(src, p, "0");
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, src->sql_count, np, p, &r, e);
    if (rc)
        return rc;
    *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return OBS_OK;
}
