/* log.h: structured log lines on stderr, one event per line.
 *
 * A line is `2026-04-10T08:00:00Z level event key=value ...`. Callers pass only values they
 * own (codes, counts, post codes, periods, HTTP statuses): never a personal value, never a
 * token or key, never free text from an upload.
 */
#ifndef OBS_LOG_H
#define OBS_LOG_H

typedef enum obs_log_level { OBS_LOG_DEBUG, OBS_LOG_INFO, OBS_LOG_WARN, OBS_LOG_ERROR } obs_log_level;

/* Log one event; fmt is the key=value part. Thread-safe (one write per line). */
void obs_log(obs_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Messages below this level are dropped (default INFO; ISCGOBS_LOG_LEVEL=debug|info|warn|error). */
void obs_log_set_level(obs_log_level level);

/* on: each line is one JSON object {"ts","level","event", then each key=value as a string
 * member, other words in "msg"} (ISCGOBS_LOG_FORMAT=json, for journald or a collector). */
void obs_log_set_json(int on);

#endif
