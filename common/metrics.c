/* metrics.c: atomic counters and a latency histogram rendered as Prometheus text. */
#include "metrics.h"

#include <stdatomic.h>

static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB (sizeof bounds / sizeof bounds[0])

static atomic_ullong counters[OBS_M_NCOUNTERS];
static atomic_ullong by_class[6];  /* 1xx..5xx, index = status / 100 */
static atomic_ullong buckets[NB];  /* cumulative counts are computed when rendering */
static atomic_ullong req_count;
static atomic_ullong req_micros;

void obs_metrics_add(obs_counter c, unsigned long long n)
{
    atomic_fetch_add(&counters[c], n);
}

void obs_metrics_request(int status, double seconds)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add(&by_class[cls], 1);
    for (size_t i = 0; i < NB; i++) {
        if (seconds <= bounds[i]) {
            atomic_fetch_add(&buckets[i], 1);
            break;
        }
    }
    atomic_fetch_add(&req_count, 1);
    atomic_fetch_add(&req_micros, (unsigned long long)(seconds * 1e6));
}

obs_status obs_metrics_render(obs_buf *out)
{
    obs_status rc = obs_buf_puts(out, "# HELP iscgobs_http_requests_total HTTP requests by status class.\n"
                                      "# TYPE iscgobs_http_requests_total counter\n");
    for (int c = 1; rc == OBS_OK && c <= 5; c++)
        rc = obs_buf_printf(out, "iscgobs_http_requests_total{code=\"%dxx\"} %llu\n", c,
                            atomic_load(&by_class[c]));
    if (rc == OBS_OK)
        rc = obs_buf_puts(out, "# HELP iscgobs_http_request_duration_seconds Request latency.\n"
                               "# TYPE iscgobs_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t i = 0; rc == OBS_OK && i < NB; i++) {
        cum += atomic_load(&buckets[i]);
        rc = obs_buf_printf(out, "iscgobs_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                            bounds[i], cum);
    }
    unsigned long long n = atomic_load(&req_count);
    if (rc == OBS_OK)
        rc = obs_buf_printf(out,
                            "iscgobs_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                            "iscgobs_http_request_duration_seconds_sum %.6f\n"
                            "iscgobs_http_request_duration_seconds_count %llu\n",
                            n, (double)atomic_load(&req_micros) / 1e6, n);
    static const char *const names[OBS_M_NCOUNTERS][2] = {
        {"iscgobs_uploads_accepted_total", "Grids accepted (stored)."},
        {"iscgobs_uploads_rejected_total", "Grids rejected (validation, rights, limits)."},
        {"iscgobs_rows_ingested_total", "Contact rows stored."},
    };
    for (int i = 0; rc == OBS_OK && i < OBS_M_NCOUNTERS; i++)
        rc = obs_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", names[i][0],
                            names[i][1], names[i][0], names[i][0], atomic_load(&counters[i]));
    return rc;
}
