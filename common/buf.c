/* buf.c: capped growable buffer (see buf.h). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obs_buf_init(obs_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

static obs_status buf_reserve(obs_buf *b, size_t extra)
{
    if (b->max == 0)
        b->max = SIZE_MAX / 2;
    if (extra > b->max - b->len)
        return OBS_ERR_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return OBS_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return OBS_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return OBS_OK;
}

obs_status obs_buf_append(obs_buf *b, const void *p, size_t n)
{
    obs_status rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return OBS_OK;
}

obs_status obs_buf_reserve(obs_buf *b, size_t n)
{
    return buf_reserve(b, n);
}

obs_status obs_buf_puts(obs_buf *b, const char *s)
{
    return obs_buf_append(b, s, strlen(s));
}

obs_status obs_buf_putc(obs_buf *b, char c)
{
    return obs_buf_append(b, &c, 1);
}

obs_status obs_buf_vprintf(obs_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return OBS_ERR_INTERNAL;
    obs_status rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return OBS_OK;
}

obs_status obs_buf_printf(obs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    obs_status rc = obs_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void obs_buf_reset(obs_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *obs_buf_steal(obs_buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void obs_buf_free(obs_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void obs_wipe(void *p, size_t n)
{
    if (p == NULL || n == 0)
        return;
    explicit_bzero(p, n); /* glibc: never optimised away */
}

void obs_buf_wipe(obs_buf *b)
{
    if (b == NULL)
        return;
    obs_wipe(b->data, b->cap);
    obs_buf_free(b);
}
