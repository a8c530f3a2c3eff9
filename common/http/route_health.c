/* route_health.c: liveness, readiness (database reachable, schema current), metrics. */
#include "route_health.h"

#include <netinet/in.h>
#include <string.h>

#include "db.h"
#include "metrics.h"

static void healthz(obs_request *rq, obs_response *rs)
{
    (void)rq;
    obs_http_text(rs, 200, "text/plain; charset=utf-8", "ok\n");
}

static void readyz(obs_request *rq, obs_response *rs)
{
    (void)rq;
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || obs_db_ready(c, &e) != OBS_OK) {
        obs_http_error(rs, 503, e.code[0] ? e.code : "E_DB_UNAVAILABLE", e.msg);
        obs_http_add_header(rs, "Retry-After", "5");
        return;
    }
    obs_http_text(rs, 200, "text/plain; charset=utf-8", "ready\n");
}

/* 1 when the peer is on the loopback interface (127.0.0.0/8 or ::1). */
static int from_loopback(obs_request *rq)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return 0;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ci->client_addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ci->client_addr;
        return memcmp(&a->sin6_addr, &in6addr_loopback, sizeof a->sin6_addr) == 0;
    }
    return 0;
}

static void metrics(obs_request *rq, obs_response *rs)
{
    if (!from_loopback(rq)) {
        obs_http_error(rs, 403, "E_FORBIDDEN", "métriques réservées à la machine locale");
        return;
    }
    rs->status = 200;
    snprintf(rs->content_type, sizeof rs->content_type, "text/plain; version=0.0.4; charset=utf-8");
    if (obs_metrics_render(&rs->body) != OBS_OK)
        obs_http_error(rs, 503, "E_NOMEM", "mémoire insuffisante");
}

const obs_route obs_health_routes[] = {
    {"GET", "/healthz", healthz, 0},
    {"GET", "/readyz", readyz, 0},
    {"GET", "/metrics", metrics, 0},
};
const size_t obs_health_routes_count = OBS_ARRAY_LEN(obs_health_routes);
