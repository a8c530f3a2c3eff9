/* ratelimit.c: a small fixed-window limiter of failed authentications (ratelimit.h).
 *
 * Keys (a client address or an account name) are kept only as the first 8 bytes of their
 * SHA-256 (never the name itself) in a fixed table of RL_SLOTS slots under one mutex: the
 * memory is bounded whatever an attacker sends. A key probes RL_PROBE slots from its hash;
 * when all are taken by live windows, the oldest of them is reused (an attacker spraying
 * addresses can evict entries, but then every one of his addresses is itself limited). */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"

#define RL_SLOTS 4096
#define RL_PROBE 16

typedef struct rl_slot {
    uint64_t h;       /* hash of kind + key; 0: free */
    time_t start;     /* beginning of the window (monotonic seconds) */
    int fails;        /* failures in the window */
} rl_slot;

static rl_slot slots[RL_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int max_fails[2] = {30, 10};
static int window = 60;
static _Thread_local int last_retry;

void obs_rl_configure(int max_addr, int max_account, int window_seconds)
{
    pthread_mutex_lock(&lock);
    max_fails[OBS_RL_ADDR] = max_addr > 0 ? max_addr : 1;
    max_fails[OBS_RL_ACCOUNT] = max_account > 0 ? max_account : 1;
    window = window_seconds > 0 ? window_seconds : 1;
    pthread_mutex_unlock(&lock);
}

static time_t now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec;
}

static uint64_t key_hash(obs_rl_kind k, const char *key)
{
    char msg[320];
    uint8_t d[32];
    int n = snprintf(msg, sizeof msg, "%d|%s", (int)k, key);
    obs_sha256(msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, d);
    obs_wipe(msg, sizeof msg);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = (h << 8) | d[i];
    return h ? h : 1;
}

/* The slot of h (lock held): its own, else a free or expired one, else the oldest probed.
 * create = 0: NULL when h has no live slot. */
static rl_slot *find(uint64_t h, time_t now, int create)
{
    rl_slot *spare = NULL;
    for (int i = 0; i < RL_PROBE; i++) {
        rl_slot *s = &slots[(h + (uint64_t)i) % RL_SLOTS];
        int live = s->h != 0 && now - s->start < window;
        if (live && s->h == h)
            return s;
        if (!live) {
            if (spare == NULL || spare->h != 0)
                spare = s;
        } else if (spare == NULL || (spare->h != 0 && s->start < spare->start)) {
            spare = s;
        }
    }
    if (!create)
        return NULL;
    spare->h = h;
    spare->start = now;
    spare->fails = 0;
    return spare;
}

obs_status obs_rl_check(obs_rl_kind k, const char *key, int *retry_after, obs_err *e)
{
    if (key == NULL || key[0] == '\0')
        return OBS_OK;
    uint64_t h = key_hash(k, key);
    time_t now = now_s();
    int wait = 0;
    pthread_mutex_lock(&lock);
    rl_slot *s = find(h, now, 0);
    if (s && s->fails >= max_fails[k])
        wait = (int)(window - (now - s->start));
    pthread_mutex_unlock(&lock);
    if (wait <= 0)
        return OBS_OK;
    last_retry = wait;
    if (retry_after)
        *retry_after = wait;
    obs_log(OBS_LOG_WARN, "auth.ratelimit", "kind=%s retry_after=%d",
            k == OBS_RL_ADDR ? "address" : "account", wait);
    return obs_fail(e, OBS_ERR_RATE, "E_RATE_LIMITED",
                    "trop de tentatives d'authentification échouées : réessayez dans %d secondes",
                    wait);
}

void obs_rl_fail(obs_rl_kind k, const char *key)
{
    if (key == NULL || key[0] == '\0')
        return;
    uint64_t h = key_hash(k, key);
    pthread_mutex_lock(&lock);
    rl_slot *s = find(h, now_s(), 1);
    if (s->fails < 1000000)
        s->fails++;
    pthread_mutex_unlock(&lock);
}

void obs_rl_success(obs_rl_kind k, const char *key)
{
    if (key == NULL || key[0] == '\0')
        return;
    uint64_t h = key_hash(k, key);
    pthread_mutex_lock(&lock);
    rl_slot *s = find(h, now_s(), 0);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&lock);
}

void obs_rl_client_addr(struct MHD_Connection *conn, char out[64])
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (ci == NULL || ci->client_addr == NULL)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, 64);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, 64);
}

int obs_rl_retry_after(void)
{
    return last_retry > 0 ? last_retry : window;
}
