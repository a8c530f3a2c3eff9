/* warm.c: the protection of a year computed ahead of its readers.
 *
 * Protecting a national year (publish.c: load the year's cells, post cells included, then
 * statistical disclosure control) takes seconds, and every accepted upload makes the cached
 * protection of its year stale. Without help, the first reader after an upload (a public
 * report, an SDMX query, an analyst) pays for it. So the upload hook notes the year here, and
 * a background thread, once uploads have been quiet for AGG_WARM_QUIET_MS (a bulk load is
 * not slowed down by protections it would discard at once), reads one public cell of each
 * noted year: the read path protects the year and caches it. A reader arriving meanwhile
 * waits on the same cache entry and shares the result; the answers are the same whoever
 * computed them (same snapshot rules, deterministic protection).
 */
#include "warm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "filter.h"
#include "log.h"
#include "publish.h"
#include "task_lock.h"

#define WARM_YEARS 8 /* distinct years noted between two warm-ups (more are dropped) */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thread;
static int running, stopping, cv_ready;
static int years[WARM_YEARS], nyears;
static struct timespec last_note; /* CLOCK_MONOTONIC */

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)((now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000);
}

void agg_warm_note(int year)
{
    pthread_mutex_lock(&mu);
    if (running) {
        int seen = 0;
        for (int i = 0; i < nyears; i++)
            seen |= years[i] == year;
        if (!seen && nyears < WARM_YEARS)
            years[nyears++] = year;
        clock_gettime(CLOCK_MONOTONIC, &last_note);
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

/* Read FR's persons of the year as the public does: the year's protection is computed and
 * cached on the way (publish.c). */
static void warm_year(int year)
{
    obs_err e;
    obs_err_clear(&e);
    char period[8];
    snprintf(period, sizeof period, "%d", year);
    agg_query q;
    agg_query_init(&q);
    agg_cell *cells = NULL;
    size_t n = 0;
    PGconn *c = obs_db_conn(&e);
    obs_status rc = c == NULL ? OBS_ERR_DB : agg_query_set(&q, AGG_F_AREA, "FR", &e);
    if (rc == OBS_OK)
        rc = agg_query_set(&q, AGG_F_MESURE, "NB_PERSONNES", &e);
    if (rc == OBS_OK)
        rc = agg_query_set(&q, AGG_F_PERIOD, period, &e);
    if (rc == OBS_OK)
        rc = agg_published_cells(c, &q, 0, &cells, &n, &e);
    agg_query_free(&q);
    free(cells);
    if (rc)
        obs_log(OBS_LOG_WARN, "agg.warm", "year=%d code=%s", year, e.code);
    else
        obs_log(OBS_LOG_INFO, "agg.warm", "year=%d", year);
}

static void *warm_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        if (nyears == 0) {
            pthread_cond_wait(&cv, &mu);
            continue;
        }
        long quiet = ms_since(&last_note);
        if (quiet < AGG_WARM_QUIET_MS) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            long wait_ms = AGG_WARM_QUIET_MS - quiet;
            until.tv_sec += wait_ms / 1000;
            until.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&cv, &mu, &until);
            continue;
        }
        int todo[WARM_YEARS], ntodo = nyears;
        for (int i = 0; i < nyears; i++)
            todo[i] = years[i];
        nyears = 0;
        pthread_mutex_unlock(&mu);
        /* One server at a time on one database (task_lock.h): the others note the years
         * again and retry after the next quiet period. */
        obs_task_lock lk;
        int held = 0;
        obs_task_trylock(AGG_WARM_TASK, &lk, &held, NULL);
        for (int i = 0; i < ntodo; i++)
            held ? warm_year(todo[i]) : agg_warm_note(todo[i]);
        obs_task_unlock(&lk);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    obs_db_disconnect();
    return NULL;
}

obs_status agg_warm_start(obs_err *e)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &a);
    pthread_condattr_destroy(&a);
    cv_ready = 1;
    pthread_mutex_lock(&mu);
    stopping = 0;
    nyears = 0;
    int err = pthread_create(&thread, NULL, warm_main, NULL);
    running = err == 0;
    pthread_mutex_unlock(&mu);
    if (err)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_THREAD", "fil de calcul anticipé impossible");
    return OBS_OK;
}

void agg_warm_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (was)
        pthread_join(thread, NULL);
    if (cv_ready)
        pthread_cond_destroy(&cv);
    cv_ready = 0;
}
