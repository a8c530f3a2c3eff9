/* db_read.c: the standby connection of public reads, its freshness, the fallback to the
 * primary (see db_read.h).
 *
 * Freshness: a standby that lost its primary still answers, with old figures. So at most
 * once a second the process samples the primary's WAL position (pg_current_wal_lsn) into a
 * small ring and reads the standby's replayed position: the standby is as old as the newest
 * sample it has replayed (0 s when it has replayed the one just taken). The standby's own
 * measure (now() - pg_last_xact_replay_timestamp()) bounds it too: after a long idle spell the
 * samples are sparse, but the last replayed commit is recent. The standby is read while the
 * smaller of the two is at most ISCGOBS_READ_MAX_LAG; when the primary cannot be reached the
 * standby is the best there is and is read anyway. */
#include "db_read.h"

#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"

/* Seconds the standby is skipped after it could not be reached. */
#define READ_DOWN_SECONDS 3
/* Primary WAL samples kept (one per check, at most one check a second). */
#define READ_SAMPLES 32

static const char SQL_PRIMARY_LSN[] = "SELECT pg_current_wal_lsn()::text";
static const char SQL_STANDBY_POS[] =
    "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '0/0'),"
    " coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), -1)::bigint";

static pthread_key_t read_key;
static pthread_once_t read_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint64_t lsn;
    time_t at;
} ring[READ_SAMPLES];
static int nring, ring_next;
static time_t checked_at;
static _Atomic long long down_until; /* read without mu: a check may hold it for seconds */
static int fresh = 1; /* the last verdict */

static void read_close(void *c)
{
    obs_db_close(c);
}

static void read_key_create(void)
{
    pthread_key_create(&read_key, read_close);
}

static uint64_t parse_lsn(const char *s)
{
    unsigned hi = 0, lo = 0;
    if (sscanf(s, "%X/%X", &hi, &lo) != 2)
        return 0;
    return (uint64_t)hi << 32 | lo;
}

/* The standby's lag in seconds as described above (mu held); -1 when it cannot be told. */
static long standby_lag(PGconn *r, time_t now)
{
    PGconn *p = obs_db_conn(NULL);
    PGresult *res = NULL;
    if (p && obs_db_exec(p, SQL_PRIMARY_LSN, 0, NULL, &res, NULL) == OBS_OK) {
        ring[ring_next].lsn = parse_lsn(PQgetvalue(res, 0, 0));
        ring[ring_next].at = now;
        ring_next = (ring_next + 1) % READ_SAMPLES;
        nring += nring < READ_SAMPLES;
        PQclear(res);
    } else {
        return -1; /* no primary to compare with */
    }
    if (obs_db_exec(r, SQL_STANDBY_POS, 0, NULL, &res, NULL) != OBS_OK)
        return LONG_MAX; /* the standby fails: not read */
    int recovering = PQgetvalue(res, 0, 0)[0] == 't';
    uint64_t replayed = parse_lsn(PQgetvalue(res, 0, 1));
    long replay_age = strtol(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (!recovering)
        return 0; /* promoted, or a primary: nothing to wait for */
    time_t newest = 0, oldest = now;
    for (int i = 0; i < nring; i++) {
        if (ring[i].at < oldest)
            oldest = ring[i].at;
        if (ring[i].lsn <= replayed && ring[i].at > newest)
            newest = ring[i].at;
    }
    long by_samples = (long)(now - (newest ? newest : oldest));
    return replay_age >= 0 && replay_age < by_samples ? replay_age : by_samples;
}

/* 1 when the standby r may be read now (at most one check a second per process; a thread
 * finding another checking keeps the last verdict). */
static int standby_fresh(PGconn *r)
{
    time_t now = time(NULL);
    if (pthread_mutex_trylock(&mu) != 0)
        return fresh;
    if (now != checked_at) {
        checked_at = now;
        long lag = standby_lag(r, now);
        int verdict = lag < 0 || lag <= obs_config_get()->read_max_lag;
        if (verdict != fresh)
            obs_log(verdict ? OBS_LOG_INFO : OBS_LOG_WARN, "db.read", "standby=%s lag_s=%ld",
                    verdict ? "fresh" : "late", lag);
        fresh = verdict;
    }
    int ok = fresh;
    pthread_mutex_unlock(&mu);
    return ok;
}

static int standby_down(void)
{
    return (long long)time(NULL) < down_until;
}

static void standby_mark_down(void)
{
    down_until = (long long)time(NULL) + READ_DOWN_SECONDS;
    obs_log(OBS_LOG_WARN, "db.read", "standby=down retry_s=%d", READ_DOWN_SECONDS);
}

PGconn *obs_db_read_conn(obs_err *e)
{
    const obs_config *cfg = obs_config_get();
    if (cfg->read_database_url[0] == '\0' || standby_down())
        return obs_db_conn(e);
    pthread_once(&read_once, read_key_create);
    PGconn *r = pthread_getspecific(read_key);
    /* An idle connection has nothing to read: input there is the standby's goodbye (stopped,
     * restarted, promoted), noticed here before a statement fails on it. */
    struct pollfd pfd = {.fd = r ? PQsocket(r) : -1, .events = POLLIN};
    if (r && PQstatus(r) == CONNECTION_OK && poll(&pfd, 1, 0) > 0 && !PQconsumeInput(r))
        obs_log(OBS_LOG_INFO, "db.read", "standby=closed");
    if (r && PQstatus(r) != CONNECTION_OK) {
        obs_db_close(r);
        r = NULL;
        pthread_setspecific(read_key, NULL);
    }
    if (r == NULL) {
        r = obs_db_open(cfg->read_database_url, NULL);
        if (r == NULL) {
            standby_mark_down();
            return obs_db_conn(e);
        }
        pthread_setspecific(read_key, r);
    }
    return standby_fresh(r) ? r : obs_db_conn(e);
}

int obs_db_is_replica(const PGconn *c)
{
    pthread_once(&read_once, read_key_create);
    return c != NULL && c == pthread_getspecific(read_key);
}

PGconn *obs_db_read_retry(const PGconn *c, obs_err *e)
{
    if (!obs_db_is_replica(c) || e == NULL)
        return NULL;
    int lost = strcmp(e->code, "E_DB_UNAVAILABLE") == 0;
    if (!lost && strcmp(e->code, "E_DB_RETRY") != 0 && strcmp(e->code, OBS_E_REPLICA_BEHIND) != 0)
        return NULL;
    if (lost)
        standby_mark_down();
    obs_log(OBS_LOG_INFO, "db.read", "fallback=primary code=%s", e->code);
    obs_err_clear(e);
    return obs_db_conn(e);
}
