/* protect.c: the protections of (year, generation), shared and reference-counted, and the
 * published rounds built on exported snapshots (see protect.h; docs/indicators.md,
 * "Publication lag"). */
#include "protect.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "publish.h"
#include "task_lock.h"
#include "warm.h"

/* A year's whole table, post cells included: counted first (the array is allocated once, at
 * its size: a national year is ~1.3 million cells), then read through a cursor in batches
 * (in the caller's REPEATABLE READ snapshot, so the count holds). */
#define YEAR_WHERE " FROM indicator_now WHERE pstart >= $1::date AND pstart < $2::date"
static const char SQL_YEAR_COUNT[] = "SELECT count(*)" YEAR_WHERE;
static const char SQL_YEAR_CURSOR[] =
    "DECLARE agg_year NO SCROLL CURSOR FOR SELECT " AGG_CELLCOLS YEAR_WHERE;
static const char SQL_YEAR_FETCH[] = "FETCH 50000 FROM agg_year";
static const char SQL_YEAR_CLOSE[] = "CLOSE agg_year";

static const char SQL_ROUND_BEGIN[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
static const char SQL_EXPORT[] = "SELECT pg_export_snapshot()";
static const char SQL_GENS[] =
    "SELECT year, gen, to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM agg_generation ORDER BY year";

/* ---- protections of (year, generation) ------------------------------------------------- */

typedef struct year_ent {
    int year;
    pthread_mutex_t mu; /* held while computing this year's protection */
    agg_prot *latest;   /* the newest generation computed (under prot_mu) */
    struct year_ent *next;
} year_ent;

static pthread_mutex_t prot_mu = PTHREAD_MUTEX_INITIALIZER; /* the list, refs, latest */
static year_ent *years_head;

static year_ent *year_get(int year)
{
    pthread_mutex_lock(&prot_mu);
    year_ent *y = years_head;
    while (y && y->year != year)
        y = y->next;
    if (y == NULL && (y = calloc(1, sizeof *y)) != NULL) {
        y->year = year;
        pthread_mutex_init(&y->mu, NULL);
        y->next = years_head;
        years_head = y;
    }
    pthread_mutex_unlock(&prot_mu);
    return y;
}

static void unref_locked(agg_prot *p)
{
    if (p && --p->refs == 0) {
        free(p->keys);
        free(p);
    }
}

void agg_prot_release(agg_prot *p)
{
    pthread_mutex_lock(&prot_mu);
    unref_locked(p);
    pthread_mutex_unlock(&prot_mu);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a >> 2, y = *(const uint64_t *)b >> 2;
    return x < y ? -1 : x > y;
}

char agg_prot_status(const agg_prot *p, const agg_cell *cell)
{
    uint64_t k;
    if (agg_cellkey(cell, &k))
        return 'C';
    uint64_t probe = k << 2;
    const uint64_t *hit = bsearch(&probe, p->keys, p->n, sizeof probe, cmp_u64);
    if (hit == NULL) { /* cannot happen: same snapshot; fail closed */
        obs_log(OBS_LOG_ERROR, "agg.protect", "missing=1 year=%d", p->year);
        return 'C';
    }
    static const char st[4] = {'F', 'C', 'D', 'C'};
    return st[*hit & 3];
}

/* Load the year's whole table (every level) into a new array *out of *n cells (free() it).
 * Runs inside the caller's transaction. */
static obs_status load_year(PGconn *c, int year, agg_cell **out, size_t *n, obs_err *e)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%04d-01-01", year);
    snprintf(to, sizeof to, "%04d-01-01", year + 1);
    const char *p[] = {from, to};
    PGresult *r = NULL;
    *out = NULL;
    *n = 0;
    obs_status rc = obs_db_exec(c, SQL_YEAR_COUNT, 2, p, &r, e);
    if (rc)
        return rc;
    size_t count = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    agg_cell *cells = malloc((count ? count : 1) * sizeof *cells);
    if (cells == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    if ((rc = obs_db_exec(c, SQL_YEAR_CURSOR, 2, p, NULL, e)))
        goto fail;
    for (;;) {
        if (agg_warm_stopping() && agg_warm_is_self()) { /* serve stops: no need to finish */
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_STOPPING", "arrêt du service en cours");
            goto fail;
        }
        if ((rc = obs_db_exec(c, SQL_YEAR_FETCH, 0, NULL, &r, e)))
            goto fail;
        size_t rows = (size_t)PQntuples(r);
        if (*n + rows > count) { /* cannot happen: same snapshot as the count */
            PQclear(r);
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "table de l'année modifiée");
            goto fail;
        }
        for (size_t i = 0; i < rows; i++)
            agg_cell_from_row(r, (int)i, &cells[(*n)++]);
        PQclear(r);
        if (rows == 0)
            break;
    }
    if ((rc = obs_db_exec(c, SQL_YEAR_CLOSE, 0, NULL, NULL, e)))
        goto fail;
    *out = cells;
    return OBS_OK;
fail:
    free(cells);
    *n = 0;
    return rc;
}

/* Protect the year's table of c's snapshot into a new agg_prot (refs 0). */
static obs_status compute(PGconn *c, int year, long long gen, const char *changed_at,
                          agg_prot **out, obs_err *e)
{
    agg_cell *cells = NULL;
    size_t n = 0;
    double t0 = obs_now_ms();
    obs_status rc = load_year(c, year, &cells, &n, e);
    double t1 = obs_now_ms();
    if (rc == OBS_OK && n)
        rc = agg_sdc_apply(cells, n, obs_config_get()->sdc_k, e);
    double t2 = obs_now_ms();
    agg_prot *p = rc ? NULL : calloc(1, sizeof *p);
    if (rc == OBS_OK && (p == NULL || (p->keys = malloc((n ? n : 1) * sizeof *p->keys)) == NULL))
        rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        uint64_t k;
        if (agg_cellkey(&cells[i], &k))
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "cellule non codable");
        int st = cells[i].conf_status == 'C' ? 1 : cells[i].conf_status == 'D' ? 2 : 0;
        p->keys[i] = k << 2 | (uint64_t)st;
    }
    free(cells);
    if (rc) {
        if (p)
            free(p->keys);
        free(p);
        return rc;
    }
    qsort(p->keys, n, sizeof *p->keys, cmp_u64);
    p->year = year;
    p->gen = gen;
    p->n = n;
    snprintf(p->changed_at, sizeof p->changed_at, "%s", changed_at ? changed_at : "");
    obs_log(OBS_LOG_INFO, "agg.protect",
            "year=%d cells=%zu gen=%lld load_ms=%.0f sdc_ms=%.0f by=%s", year, n, gen, t1 - t0,
            t2 - t1, agg_warm_is_self() ? "background" : "caller");
    *out = p;
    return OBS_OK;
}

obs_status agg_prot_get(PGconn *c, int year, long long gen, const char *changed_at,
                        agg_prot **out, obs_err *e)
{
    *out = NULL;
    year_ent *y = year_get(year);
    if (y == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    pthread_mutex_lock(&y->mu);
    pthread_mutex_lock(&prot_mu);
    agg_prot *p = y->latest && y->latest->gen == gen ? y->latest : NULL;
    if (p)
        p->refs++;
    pthread_mutex_unlock(&prot_mu);
    obs_status rc = OBS_OK;
    if (p == NULL && (rc = compute(c, year, gen, changed_at, &p, e)) == OBS_OK) {
        pthread_mutex_lock(&prot_mu);
        p->refs = 1;
        if (y->latest == NULL || y->latest->gen < gen) { /* an older snapshot's stays aside */
            unref_locked(y->latest);
            y->latest = p;
            p->refs++;
        }
        pthread_mutex_unlock(&prot_mu);
    }
    pthread_mutex_unlock(&y->mu);
    *out = p;
    return rc;
}

/* ---- rounds ---------------------------------------------------------------------------- */

/* A round's open transaction holds back VACUUM's horizon: it is renewed after this long
 * even when nothing changed (cheap then: every protection is reused). */
#define ROUND_MAX_AGE_MS 60000

static pthread_mutex_t round_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t round_cv = PTHREAD_COND_INITIALIZER; /* a new round was published */
static pthread_mutex_t build_mu = PTHREAD_MUTEX_INITIALIZER; /* one build at a time */
static agg_round *latest;  /* under round_mu */
static long long round_no; /* rounds published, under round_mu */
static int waiting;        /* readers waiting for a newer round, under round_mu */

static void round_free(agg_round *r)
{
    for (int i = 0; i < r->nyears; i++)
        agg_prot_release(r->prot[i]);
    obs_db_close(r->conn); /* ends the exporting transaction */
    pthread_mutex_destroy(&r->conn_mu);
    free(r);
}

void agg_round_release(agg_round *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&round_mu);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&round_mu);
    if (last)
        round_free(r);
}

const agg_prot *agg_round_prot(const agg_round *r, int year)
{
    for (int i = 0; i < r->nyears; i++)
        if (r->prot[i]->year == year)
            return r->prot[i];
    return NULL;
}

void agg_round_as_of(const agg_round *r, char out[24])
{
    out[0] = '\0';
    for (int i = 0; i < r->nyears; i++)
        if (strcmp(r->prot[i]->changed_at, out) > 0)
            snprintf(out, 24, "%s", r->prot[i]->changed_at);
}

PGconn *agg_round_conn(agg_round *r)
{
    pthread_mutex_lock(&r->conn_mu);
    return r->conn;
}

void agg_round_conn_done(agg_round *r)
{
    pthread_mutex_unlock(&r->conn_mu);
}

/* The snapshot ids PostgreSQL makes are hex digits and dashes: checked before they are put
 * in a statement (SET TRANSACTION SNAPSHOT takes no parameter). */
static int snapshot_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && strspn(s, "0123456789ABCDEFabcdef-") == n;
}

/* The servers of one database take turns to build (the background thread's builds only):
 * a session advisory lock in the task class (task_lock.h), taken and released inside the
 * round's own transaction, so that it needs no connection of its own (a PgBouncer pool in
 * transaction mode: a round pins one server connection, two while the next is built). */
static const char SQL_TURN[] = "SELECT pg_try_advisory_lock($1::int, hashtext($2))";
static const char SQL_TURN_END[] = "SELECT pg_advisory_unlock($1::int, hashtext($2))";

static obs_status take_turn(PGconn *c, const char *sql, int *held, obs_err *e)
{
    char cls[16];
    snprintf(cls, sizeof cls, "%d", OBS_TASK_LOCK_CLASS);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, sql, 2, (const char *[]){cls, AGG_WARM_TASK}, &r, e);
    if (rc == OBS_OK) {
        *held = PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
    }
    return rc;
}

/* A new round from a new connection's exported snapshot (refs 1); with turn, only when no
 * other server is building one (*out NULL otherwise, OBS_OK). */
static obs_status round_build(int turn, agg_round **out, obs_err *e)
{
    *out = NULL;
    agg_round *r = calloc(1, sizeof *r);
    if (r == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    r->refs = 1;
    r->built_ms = obs_now_ms();
    pthread_mutex_init(&r->conn_mu, NULL);
    PGresult *res = NULL;
    obs_status rc = (r->conn = obs_db_open(obs_config_get()->database_url, e)) ? OBS_OK
                                                                                : OBS_ERR_DB;
    if (rc == OBS_OK)
        rc = obs_db_run(r->conn, SQL_ROUND_BEGIN, e);
    int held = 1;
    if (rc == OBS_OK && turn && (rc = take_turn(r->conn, SQL_TURN, &held, e)) == OBS_OK &&
        !held) {
        obs_log(OBS_LOG_INFO, "task.lock", "task=%s held=0", AGG_WARM_TASK);
        round_free(r);
        return OBS_OK;
    }
    if (rc == OBS_OK && (rc = obs_db_exec(r->conn, SQL_EXPORT, 0, NULL, &res, e)) == OBS_OK) {
        snprintf(r->snapshot, sizeof r->snapshot, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        if (!snapshot_ok(r->snapshot))
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "instantané illisible");
    }
    if (rc == OBS_OK && (rc = obs_db_exec(r->conn, SQL_GENS, 0, NULL, &res, e)) == OBS_OK) {
        int rows = PQntuples(res);
        if (rows > AGG_ROUND_YEARS)
            rc = obs_fail(e, OBS_ERR_TOO_LARGE, "E_TOO_MANY_YEARS", "trop d'années d'indicateurs");
        for (int i = 0; rc == OBS_OK && i < rows; i++) {
            rc = agg_prot_get(r->conn, (int)strtol(PQgetvalue(res, i, 0), NULL, 10),
                              strtoll(PQgetvalue(res, i, 1), NULL, 10), PQgetvalue(res, i, 2),
                              &r->prot[r->nyears], e);
            if (rc == OBS_OK)
                r->nyears++;
        }
        PQclear(res);
    }
    int ended = 0;
    if (rc == OBS_OK && turn)
        rc = take_turn(r->conn, SQL_TURN_END, &ended, e);
    if (rc) {
        round_free(r);
        return rc;
    }
    *out = r;
    return OBS_OK;
}

/* 1 when every generation of c's state (read now) is the one of the round's protection. */
static int round_current(const agg_round *r, PGresult *gens)
{
    if (PQntuples(gens) != r->nyears)
        return 0;
    for (int i = 0; i < r->nyears; i++)
        if (r->prot[i]->year != (int)strtol(PQgetvalue(gens, i, 0), NULL, 10) ||
            r->prot[i]->gen != strtoll(PQgetvalue(gens, i, 1), NULL, 10))
            return 0;
    return 1;
}

/* Publish r as the latest round (the previous one goes when its last reader leaves). */
static void publish(agg_round *r)
{
    pthread_mutex_lock(&round_mu);
    agg_round *old = latest;
    latest = r;
    round_no++;
    int last = old && --old->refs == 0;
    pthread_cond_broadcast(&round_cv);
    pthread_mutex_unlock(&round_mu);
    if (last)
        round_free(old);
}

/* *stale: 1 when the latest round misses a generation, is broken or old, or is none. */
static obs_status round_stale(int *stale, obs_err *e)
{
    pthread_mutex_lock(&round_mu);
    agg_round *cur = latest;
    if (cur)
        cur->refs++;
    pthread_mutex_unlock(&round_mu);
    PGresult *gens = NULL;
    PGconn *c = obs_db_conn(e);
    obs_status rc = c ? obs_db_exec(c, SQL_GENS, 0, NULL, &gens, e) : OBS_ERR_DB;
    *stale = rc == OBS_OK && (cur == NULL || cur->broken || !round_current(cur, gens) ||
                              obs_now_ms() - cur->built_ms > ROUND_MAX_AGE_MS);
    PQclear(gens);
    agg_round_release(cur);
    return rc;
}

obs_status agg_round_needed(int *needed, obs_err *e)
{
    return round_stale(needed, e);
}

obs_status agg_round_step(int background, int *built, obs_err *e)
{
    *built = 0;
    pthread_mutex_lock(&build_mu);
    int stale = 0;
    obs_status rc = round_stale(&stale, e);
    agg_round *r = NULL;
    if (stale && (rc = round_build(background, &r, e)) == OBS_OK && r) {
        publish(r);
        *built = 1;
    }
    pthread_mutex_unlock(&build_mu);
    return rc;
}

int agg_round_wanted(void)
{
    pthread_mutex_lock(&round_mu);
    int w = waiting;
    pthread_mutex_unlock(&round_mu);
    return w;
}

/* With ISCGOBS_PROTECT_WAIT_MS: wait (round_mu held) until a round newer than the one
 * numbered seen is published or the time is up. */
static void wait_newer(long long seen, int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    waiting++;
    agg_warm_note(0); /* wake the background thread: a reader waits */
    while (round_no == seen)
        if (pthread_cond_timedwait(&round_cv, &round_mu, &until) != 0)
            break;
    waiting--;
}

obs_status agg_round_ready(obs_err *e)
{
    int wait_ms = obs_config_get()->protect_wait_ms;
    pthread_mutex_lock(&round_mu);
    int none = latest == NULL;
    long long seen = round_no;
    pthread_mutex_unlock(&round_mu);
    int built = 0, stale = 0;
    obs_status rc = OBS_OK;
    agg_warm_read();
    if (none || !agg_warm_running()) { /* none yet, or a command: built here, fresh */
        rc = agg_round_step(0, &built, e);
    } else if (wait_ms > 0 && (rc = round_stale(&stale, e)) == OBS_OK && stale) {
        pthread_mutex_lock(&round_mu);
        wait_newer(seen, wait_ms);
        pthread_mutex_unlock(&round_mu);
    }
    return rc;
}

agg_round *agg_round_latest(void)
{
    pthread_mutex_lock(&round_mu);
    agg_round *r = latest;
    if (r)
        r->refs++;
    pthread_mutex_unlock(&round_mu);
    return r;
}

void agg_protect_reset(void)
{
    pthread_mutex_lock(&round_mu);
    agg_round *r = latest;
    latest = NULL;
    int last = r && --r->refs == 0;
    pthread_mutex_unlock(&round_mu);
    if (last)
        round_free(r);
    pthread_mutex_lock(&prot_mu);
    while (years_head) {
        year_ent *y = years_head;
        years_head = y->next;
        unref_locked(y->latest);
        pthread_mutex_destroy(&y->mu);
        free(y);
    }
    pthread_mutex_unlock(&prot_mu);
}
