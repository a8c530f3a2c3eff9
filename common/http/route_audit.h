/* route_audit.h: the route of the audit log's reader, GET /api/v1/audit (administrators;
 * route_audit.c; the chain itself: common/audit.h). */
#ifndef ISCGOBS_ROUTE_AUDIT_H
#define ISCGOBS_ROUTE_AUDIT_H

#include <stddef.h>

#include "http.h"

extern const obs_route obs_audit_routes[];
extern const size_t obs_audit_routes_count;

#endif
