/* metrics.h: process-wide counters for /metrics (Prometheus text format). */
#ifndef OBS_METRICS_H
#define OBS_METRICS_H

#include "buf.h"

typedef enum obs_counter {
    OBS_M_UPLOADS_ACCEPTED,
    OBS_M_UPLOADS_REJECTED,
    OBS_M_ROWS_INGESTED,
    OBS_M_NCOUNTERS
} obs_counter;

void obs_metrics_add(obs_counter c, unsigned long long n);
/* Record one HTTP request: its status and its duration in seconds. */
void obs_metrics_request(int status, double seconds);
/* Append the Prometheus exposition of every metric to out. */
obs_status obs_metrics_render(obs_buf *out);

#endif
