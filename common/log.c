/* log.c: one structured line per event on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static obs_log_level min_level = OBS_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

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
