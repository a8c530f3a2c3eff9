/* route_audit.c: GET /api/v1/audit, the audit log for administrators (403 for every other
 * role): newest first, paginated by position (`before=SEQ`, `limit` up to 500), filtered by
 * `action` and by time (`from`, `to`: ISO 8601, `to` excluded). Each entry comes with its
 * chain columns (seq, prev_hash, hash) so that an administrator can check a page against an
 * exported anchor. See docs/operations.md, "Audit log". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "route_audit.h"
#include "db.h"

static const char SQL_PAGE[] =
    "SELECT seq, id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " account_id, actor, action, target, outcome, detail::text, encode(prev_hash, 'hex'),"
    " encode(hash, 'hex')"
    " FROM audit_log"
    " WHERE seq IS NOT NULL AND ($1::bigint IS NULL OR seq < $1::bigint)"
    " AND ($2::text IS NULL OR action = $2)"
    "   AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)"
    "   AND ($4::timestamptz IS NULL OR at < $4::timestamptz)"
    " ORDER BY seq DESC LIMIT $5::int";

enum { AUDIT_PAGE_DEFAULT = 100, AUDIT_PAGE_MAX = 500 };

static int known_param(const char *name)
{
    static const char *const k[] = {"before", "limit", "action", "from", "to"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(k); i++)
        if (strcmp(name, k[i]) == 0)
            return 1;
    return 0;
}

/* A positive integer of at most 18 digits, or -1. */
static long long parse_count(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return -1;
    long long v = strtoll(s, NULL, 10);
    return v > 0 ? v : -1;
}

/* 1 when s looks like an ISO 8601 date or date-time (checked again by PostgreSQL). */
static int iso_time_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 10 && n <= 35 && strspn(s, "0123456789-T:.Z+") == n && s[4] == '-';
}

static json_t *entry_json(PGresult *r, int i)
{
    static const char *const names[] = {"seq",    "id",     "at",      "account_id",
                                        "actor",  "action", "target",  "outcome",
                                        "detail", "prev_hash", "hash"};
    json_t *o = json_object();
    for (int k = 0; k < (int)OBS_ARRAY_LEN(names); k++) {
        json_t *v;
        const char *s = PQgetvalue(r, i, k);
        if (PQgetisnull(r, i, k))
            v = json_null();
        else if (k == 0 || k == 1 || k == 3)
            v = json_integer(strtoll(s, NULL, 10));
        else if (k == 8)
            v = json_loads(s, JSON_DECODE_ANY, NULL);
        else
            v = json_string(s);
        json_object_set_new(o, names[k], v ? v : json_null());
    }
    return o;
}

static void audit_get(obs_request *rq, obs_response *rs)
{
    if (!obs_http_require_login(rq, rs))
        return;
    if (rq->who.role != OBS_ROLE_ADMIN) {
        obs_http_error(rs, 403, "E_FORBIDDEN", "journal d'audit réservé aux administrateurs");
        return;
    }
    char unknown[64];
    if (obs_http_query_unknown(rq, known_param, unknown, sizeof unknown)) {
        obs_http_error(rs, 400, "E_PARAM_UNKNOWN", "paramètre inconnu");
        return;
    }
    const char *before = obs_http_query(rq, "before"), *limit = obs_http_query(rq, "limit");
    const char *action = obs_http_query(rq, "action");
    const char *from = obs_http_query(rq, "from"), *to = obs_http_query(rq, "to");
    long long lim = limit ? parse_count(limit) : AUDIT_PAGE_DEFAULT;
    if ((before && parse_count(before) < 0) || lim < 0 || lim > AUDIT_PAGE_MAX) {
        obs_http_error(rs, 400, "E_PARAM_FORMAT",
                       "before : position (entier positif) ; limit : de 1 à 500");
        return;
    }
    if ((from && !iso_time_ok(from)) || (to && !iso_time_ok(to))) {
        obs_http_error(rs, 400, "E_PARAM_FORMAT",
                       "from, to : date ISO 8601 attendue (ex. 2026-03-01T00:00:00Z)");
        return;
    }
    if (action && (strlen(action) > 64 || action[0] == '\0')) {
        obs_http_error(rs, 400, "E_PARAM_FORMAT", "action : 1 à 64 caractères");
        return;
    }
    char lim_s[24];
    snprintf(lim_s, sizeof lim_s, "%lld", lim);
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    PGresult *r = NULL;
    /* the uploads' entries committed so far chained first (migration 016): the page has them */
    if (c == NULL || obs_audit_chain(c, NULL, &e) ||
        obs_db_exec(c, SQL_PAGE, 5, (const char *[]){before, action, from, to, lim_s},
                                 &r, &e)) {
        /* class 22 (data exception): a date PostgreSQL does not take */
        if (e.status == OBS_ERR_DB && strcmp(e.code, "E_DB") == 0 && strstr(e.msg, "(22"))
            obs_http_error(rs, 400, "E_PARAM_FORMAT", "from, to : date invalide");
        else
            obs_http_fail(rs, &e);
        return;
    }
    json_t *entries = json_array();
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        json_array_append_new(entries, entry_json(r, i));
    json_t *next = n == lim ? json_integer(strtoll(PQgetvalue(r, n - 1, 0), NULL, 10)) : json_null();
    PQclear(r);
    obs_http_json(rs, 200, json_pack("{s:o,s:o}", "entries", entries, "next_before", next));
}

const obs_route obs_audit_routes[] = {
    {"GET", "/api/v1/audit", audit_get, 0},
};
const size_t obs_audit_routes_count = OBS_ARRAY_LEN(obs_audit_routes);
