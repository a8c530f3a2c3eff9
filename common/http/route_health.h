/* route_health.h: /healthz, /readyz and /metrics. */
#ifndef OBS_ROUTE_HEALTH_H
#define OBS_ROUTE_HEALTH_H

#include "http.h"

extern const obs_route obs_health_routes[];
extern const size_t obs_health_routes_count;

#endif
