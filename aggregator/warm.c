/* warm.c: the background thread that keeps the published round fresh (protect.h).
 *
 * Protecting a national year (load the year's cells, post cells included, then statistical
 * disclosure control) takes seconds, and every accepted upload makes the round stale. Readers
 * do not wait for it: they are served the latest round. This thread builds the next one
 * when the upload hook notes a change (or, at the latest, when its poll finds that a
 * generation moved: another server's uploads, `iscgobs aggregate`), at most once per
 * ISCGOBS_PROTECT_PAUSE_MS after the end of the previous build, at once when a reader waits
 * for it (ISCGOBS_PROTECT_WAIT_MS); during a burst of uploads, only while protected readers
 * come (AGG_WARM_READ_MS), else once the uploads are quiet (AGG_WARM_QUIET_MS). The published lag is then at most the pause plus two
 * builds (docs/indicators.md, "Publication lag"). Servers of one database take turns
 * (protect.c, a lock of the task class of task_lock.h held inside the round's transaction):
 * two protections at once would only share the CPU. After each round it builds, the thread
 * runs the hook set by agg_warm_on_round (serve: the SDMX publication of the round). It also
 * folds the uploads' pending area changes (fold.c), at most once per AGG_WARM_FOLD_MS while
 * uploads come, and before each round.
 */
#include "warm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "aggregate.h"
#include "protect.h"

#define POLL_MS 1000 /* the poll for changes made elsewhere */
/* Builds wait for uploads to be quiet this long (a burst nobody reads is not slowed down by
 * protections nobody would see), unless a protected reader came within AGG_WARM_READ_MS:
 * then the rounds follow the uploads, to keep that reader within the published lag. */
#define AGG_WARM_QUIET_MS 1500
#define AGG_WARM_READ_MS 15000
/* The uploads' pending area changes are folded at most this often (fold.c): each fold
 * writes an area row once for every upload of the interval. */
#define AGG_WARM_FOLD_MS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thread;
static int running, stopping, cv_ready, noted;
static int unfolded;                    /* uploads since the last fold, under mu */
static double last_fold_ms;             /* under mu */
static double last_upload_ms;           /* under mu */
static _Atomic long long last_read_ms;  /* obs_now_ms() of the latest protected read */
static void (*round_hook)(void);        /* agg_warm_on_round */
static _Atomic int hook_wanted;

static void deadline(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static long ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)((t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000);
}

int agg_warm_stopping(void)
{
    pthread_mutex_lock(&mu);
    int st = stopping;
    pthread_mutex_unlock(&mu);
    return st;
}

static _Thread_local int on_thread; /* set by the background thread itself */

int agg_warm_is_self(void)
{
    return on_thread;
}

int agg_warm_running(void)
{
    pthread_mutex_lock(&mu);
    int r = running;
    pthread_mutex_unlock(&mu);
    return r;
}

void agg_warm_note(int year)
{
    pthread_mutex_lock(&mu); /* a round covers every year: year > 0 only says an upload */
    if (running) {
        noted = 1;
        if (year > 0) {
            last_upload_ms = obs_now_ms();
            unfolded = 1;
        }
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

void agg_warm_read(void)
{
    long long now = (long long)obs_now_ms(), before = last_read_ms;
    last_read_ms = now;
    if (now - before > 1000) /* the first read for a while: the thread may be waiting */
        agg_warm_note(0);
}

void agg_warm_on_round(void (*fn)(void))
{
    round_hook = fn;
}

void agg_warm_want_hook(void)
{
    hook_wanted = 1;
    agg_warm_note(0);
}

/* Fold the pending area changes (of every server's uploads). */
static obs_status fold(obs_err *e)
{
    long rows = 0;
    PGconn *c = obs_db_conn(e);
    return c ? agg_fold(c, &rows, e) : OBS_ERR_DB;
}

/* One step, when this server's turn: a new round if a generation moved (the pending
 * changes folded first: the round's reads are then of stored rows), then the hook. */
static void step(void)
{
    obs_err e;
    obs_err_clear(&e);
    int built = 0, needed = 0;
    obs_status rc = agg_round_needed(&needed, &e);
    double t0 = obs_now_ms();
    if (rc == OBS_OK && needed && fold(&e) != OBS_OK)
        obs_err_clear(&e); /* logged; the round reads indicator_now anyway */
    if (rc == OBS_OK && needed && (rc = agg_round_step(1, &built, &e)) == OBS_OK) {
        if (built)
            obs_log(OBS_LOG_INFO, "agg.warm", "round=1 ms=%.0f", obs_now_ms() - t0);
        else
            agg_warm_note(0); /* another server builds: try again after the pause */
    }
    if (rc)
        obs_log(OBS_LOG_WARN, "agg.warm", "code=%s", e.code);
    int wanted = hook_wanted;
    hook_wanted = 0;
    if (rc == OBS_OK && round_hook && (built || wanted))
        round_hook();
}

static void *warm_main(void *arg)
{
    (void)arg;
    on_thread = 1;
    struct timespec due, until;
    deadline(&due, 0);
    pthread_mutex_lock(&mu);
    noted = 1; /* the first round, before the first reader */
    while (!stopping) {
        double now = obs_now_ms();
        if (unfolded && now - last_fold_ms >= AGG_WARM_FOLD_MS) {
            unfolded = 0;
            pthread_mutex_unlock(&mu);
            obs_err e;
            obs_err_clear(&e);
            fold(&e); /* failures are logged; the next step folds again */
            pthread_mutex_lock(&mu);
            last_fold_ms = obs_now_ms();
            continue;
        }
        int quiet = now - last_upload_ms >= AGG_WARM_QUIET_MS;
        int read = now - (double)last_read_ms <= AGG_WARM_READ_MS;
        if (agg_round_wanted() || (noted && ms_until(&due) <= 0 && (quiet || read))) {
            noted = 0;
            pthread_mutex_unlock(&mu);
            step();
            pthread_mutex_lock(&mu);
            deadline(&due, obs_config_get()->protect_pause_ms);
            continue;
        }
        if (noted && ms_until(&due) > 0)
            until = due; /* the pause (a waiting reader signals and ends it) */
        else if (noted) /* uploads not quiet, nobody reading: until they are, or a reader */
            deadline(&until, (long)(last_upload_ms + AGG_WARM_QUIET_MS - now) + 1);
        else
            deadline(&until, POLL_MS);
        struct timespec fold_at;
        deadline(&fold_at, (long)(last_fold_ms + AGG_WARM_FOLD_MS - now) + 1);
        if (unfolded && ms_until(&fold_at) < ms_until(&until))
            until = fold_at; /* the next fold first */
        if (pthread_cond_timedwait(&cv, &mu, &until) == ETIMEDOUT && !noted)
            noted = 1; /* the poll: the step looks whether anything moved */
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
    int err = pthread_create(&thread, NULL, warm_main, NULL);
    running = err == 0;
    pthread_mutex_unlock(&mu);
    if (err)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_THREAD", "fil de protection impossible");
    return OBS_OK;
}

void agg_warm_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    stopping = 1;
    if (cv_ready)
        pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (was)
        pthread_join(thread, NULL);
    if (cv_ready)
        pthread_cond_destroy(&cv);
    cv_ready = 0;
}
