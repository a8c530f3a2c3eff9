/* ratelimit.h: the limiter of failed authentications, shared by bearer tokens (http.c) and
 * the login form (web/page_login.c): per client address and per account name, a fixed window
 * of ISCGOBS_AUTH_WINDOW seconds in which ISCGOBS_AUTH_MAX_FAILS failures (per address) or
 * ISCGOBS_AUTH_MAX_FAILS_ACCOUNT failures (per account) are allowed; beyond, every attempt of
 * that key is refused with 429 + Retry-After until the window ends (docs/operations.md). */
#ifndef OBS_RATELIMIT_H
#define OBS_RATELIMIT_H

#include <microhttpd.h>

#include "status.h"

/* Kinds of keys: their own limits, and never mixed up with each other. */
typedef enum obs_rl_kind { OBS_RL_ADDR = 0, OBS_RL_ACCOUNT = 1 } obs_rl_kind;

/* Set the limits (from the configuration): max failures per window for addresses and for
 * accounts, the window in seconds. Called once before the daemon starts; defaults apply
 * otherwise (30, 10, 60). */
void obs_rl_configure(int max_addr, int max_account, int window_seconds);

/* OBS_OK when key (of kind k) may try to authenticate now; otherwise OBS_ERR_RATE with
 * E_RATE_LIMITED and a French message in e, and *retry_after (may be NULL) the seconds left
 * in the window. An empty key always passes. Thread-safe. */
obs_status obs_rl_check(obs_rl_kind k, const char *key, int *retry_after, obs_err *e);

/* Count one failed authentication of key. Thread-safe. */
void obs_rl_fail(obs_rl_kind k, const char *key);

/* Forget key's failures (a successful authentication). Thread-safe. */
void obs_rl_success(obs_rl_kind k, const char *key);

/* The client address of a connection as text ("127.0.0.1", "::1") into out[64]; "" when
 * unknown. */
void obs_rl_client_addr(struct MHD_Connection *conn, char out[64]);

/* The seconds of Retry-After to send with the last refusal of the calling thread (the
 * window when none). */
int obs_rl_retry_after(void);

#endif
