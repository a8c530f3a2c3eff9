/* log.c: one structured line per event on stderr (see log.h): text, or a JSON object per line
 * (ISCGOBS_LOG_FORMAT=json) for journald or a log collector. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static obs_log_level min_level = OBS_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};
static int json_format;

void obs_log_set_json(int on)
{
    json_format = on;
}

/* Append s[0..n) to out as the inside of a JSON string (escapes, control bytes as \u00XX). */
static size_t json_put(char *out, size_t at, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n && at + 7 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[at++] = '\\';
            out[at++] = (char)ch;
        } else if (ch < 0x20) {
            at += (size_t)snprintf(out + at, cap - at, "\\u%04x", ch);
        } else {
            out[at++] = (char)ch;
        }
    }
    return at;
}

/* The text line's key=value part as JSON members: `k=v` tokens become "k":"v", anything
 * else is gathered into "msg". Returns the new length of out. */
static size_t json_line(char *out, size_t cap, const char *stamp, obs_log_level level,
                        const char *event, const char *kv)
{
    size_t at = (size_t)snprintf(out, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"", stamp,
                                 names[level]);
    at = json_put(out, at, cap, event, strlen(event));
    out[at++] = '"'; /* json_put leaves room for it */
    char msg[1024];
    size_t m = 0;
    for (const char *p = kv; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p + strcspn(p, " ");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (end == p)
            break;
        if (eq && eq > p && at + 8 < cap) {
            out[at++] = ',';
            out[at++] = '"';
            at = json_put(out, at, cap, p, (size_t)(eq - p));
            memcpy(out + at, "\":\"", 3);
            at += 3;
            at = json_put(out, at, cap, eq + 1, (size_t)(end - eq - 1));
            out[at++] = '"';
        } else if (m + (size_t)(end - p) + 1 < sizeof msg) {
            if (m)
                msg[m++] = ' ';
            memcpy(msg + m, p, (size_t)(end - p));
            m += (size_t)(end - p);
        }
        p = end;
    }
    if (m && at + 12 < cap) {
        memcpy(out + at, ",\"msg\":\"", 8);
        at = json_put(out, at + 8, cap, msg, m);
        out[at++] = '"';
    }
    if (at + 2 >= cap)
        at = cap - 3; /* cut: still one line, closed below (a cut member stays a cut string) */
    out[at++] = '}';
    return at;
}

void obs_log_set_level(obs_log_level level)
{
    min_level = level;
}

void obs_log(obs_log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    if (json_format) {
        char kv[1536], stamp[32];
        va_list aq;
        va_start(aq, fmt);
        vsnprintf(kv, sizeof kv, fmt, aq);
        va_end(aq);
        snprintf(stamp, sizeof stamp, "%.*s", (int)(n - 1), line);
        n = json_line(line, sizeof line - 1, stamp, level, event, kv);
        line[n++] = '\n';
        ssize_t w = write(STDERR_FILENO, line, n);
        (void)w;
        return;
    }
    int k = snprintf(line + n, sizeof line - n, "%s %s ", names[level], event);
    if (k > 0 && (size_t)k < sizeof line - n)
        n += (size_t)k;
    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    n = k < 0 ? n : (n + (size_t)k < sizeof line - 1 ? n + (size_t)k : sizeof line - 2);
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n); /* one write: lines never interleave */
    (void)w;
}
