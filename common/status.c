/* status.c: filling error contexts and mapping failure classes to HTTP statuses. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

obs_status obs_fail(obs_err *e, obs_status st, const char *code, const char *fmt, ...)
{
    if (e == NULL)
        return st;
    e->status = st;
    snprintf(e->code, sizeof e->code, "%s", code ? code : "E_INTERNAL");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return st;
}

void obs_err_clear(obs_err *e)
{
    if (e == NULL)
        return;
    e->status = OBS_OK;
    e->code[0] = '\0';
    e->msg[0] = '\0';
}

int obs_status_http(obs_status st)
{
    switch (st) {
    case OBS_OK: return 200;
    case OBS_ERR_INPUT: return 400;
    case OBS_ERR_TOO_LARGE: return 413;
    case OBS_ERR_NOT_FOUND: return 404;
    case OBS_ERR_AUTH: return 401;
    case OBS_ERR_FORBIDDEN: return 403;
    case OBS_ERR_LOCKED: return 423;
    case OBS_ERR_CONFLICT: return 409;
    case OBS_ERR_RATE: return 429;
    case OBS_ERR_NOMEM:
    case OBS_ERR_DB: return 503;
    case OBS_ERR_IO:
    case OBS_ERR_INTERNAL: break;
    }
    return 500;
}

void obs_fatal_at(const char *file, int line, const char *msg)
{
    fprintf(stderr, "FATAL %s:%d: %s\n", file, line, msg);
    abort();
}
