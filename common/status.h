/* status.h: the one status type of the project and the error context that carries it.
 *
 * Every function that can fail returns an obs_status (OBS_OK == 0) and, when given an
 * obs_err, fills it with a stable ASCII code (for programs) and a French message (for
 * people). The idiom is curl's: rc = f(...); if (rc) goto out;
 */
#ifndef OBS_STATUS_H
#define OBS_STATUS_H

#include <stddef.h>

typedef enum obs_status {
    OBS_OK = 0,
    OBS_ERR_NOMEM,     /* out of memory: 503 in a request path, never a crash */
    OBS_ERR_INPUT,     /* the peer sent something we refuse: 400 / 422 */
    OBS_ERR_TOO_LARGE, /* over a configured limit: 413 */
    OBS_ERR_NOT_FOUND, /* 404 */
    OBS_ERR_AUTH,      /* no or bad credentials: 401 */
    OBS_ERR_FORBIDDEN, /* authenticated, not allowed: 403 */
    OBS_ERR_LOCKED,    /* period locked for this account: 423 */
    OBS_ERR_CONFLICT,  /* state conflict (already exists...): 409 */
    OBS_ERR_DB,        /* database unavailable or failing: 503 */
    OBS_ERR_IO,        /* file system or network trouble outside us */
    OBS_ERR_INTERNAL,  /* our bug or an impossible state */
    OBS_ERR_RATE       /* too many failed attempts (common/ratelimit.c): 429 */
} obs_status;

/* An error context: filled once, at the place that knows what went wrong. */
typedef struct obs_err {
    obs_status status; /* what class of failure */
    char code[40];     /* stable identifier, e.g. "E_DB_UNAVAILABLE" */
    char msg[512];     /* French sentence for the user; never a personal value */
} obs_err;

/* Fill e (which may be NULL) and return st, so callers can write
 * `return obs_fail(e, OBS_ERR_INPUT, "E_X", "message %d", n);` */
obs_status obs_fail(obs_err *e, obs_status st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset an error context to OBS_OK with empty code and message. */
void obs_err_clear(obs_err *e);

/* The HTTP status that a failure class maps to (500 for OBS_ERR_INTERNAL). */
int obs_status_http(obs_status st);

/* Abort with file and line: for states that cannot happen at run time. */
#define obs_fatal(msg) obs_fatal_at(__FILE__, __LINE__, (msg))
void obs_fatal_at(const char *file, int line, const char *msg) __attribute__((noreturn));

#define OBS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
