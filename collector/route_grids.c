/* route_grids.c: PUT /api/v1/grids/{post}/{YYYY-MM}, POST .../validate, GET /api/v1/grids/{post}.
 *
 * The order of checks is the order of cost: credentials, rights, media type, the post and
 * the period (locked, not begun), then parsing and validation, pseudonymisation, storage.
 * Nothing is stored unless the answer is 200 or 201.
 */
#include "route_grids.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "grid.h"
#include "log.h"
#include "metrics.h"
#include "keys.h"
#include "ref.h"
#include "store.h"

static const char SQL_PERIOD_STATE[] =
    "SELECT $2::date > date_trunc('month', now() AT TIME ZONE 'Europe/Paris')::date,"
    "       now() >= (($2::date + make_interval(months => 1 + $3::int))::timestamp"
    "                 AT TIME ZONE 'Europe/Paris')"
    "       AND NOT EXISTS (SELECT 1 FROM period_reopen r"
    "                       WHERE r.post = p.code AND r.period = $2::date),"
    "       $2::date < p.opened OR (p.closed IS NOT NULL AND $2::date > p.closed),"
    "       " COL_SQL_FROZEN("$2::date")
    " FROM post p WHERE p.code = $1";

static const char SQL_AUDIT_REJECT[] =
    "INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    " VALUES ($1, $2, 'grid.upload', $3, 'rejected', $4::jsonb)";

/* "YYYY-MM" with a month 01..12 and a year 2000..2999. */
static int parse_period(const char *s, int *year, int *month)
{
    if (strlen(s) != 7 || s[4] != '-')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !isdigit((unsigned char)s[i]))
            return 0;
    *year = (int)strtol(s, NULL, 10);
    *month = (int)strtol(s + 5, NULL, 10);
    return *year >= 2000 && *year <= 2999 && *month >= 1 && *month <= 12;
}

/* "2025-04-08T09:12:00Z": the only form accepted for a back-dated reception. */
static int valid_timestamp(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return end != NULL && *end == '\0' && tm.tm_year >= 100;
}

static json_t *issues_json(const col_report *rep, int warnings)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rep->n; i++) {
        const col_issue *it = &rep->items[i];
        if ((it->code[0] == 'W') != warnings)
            continue;
        json_t *o = json_pack("{s:i,s:s,s:s,s:s}", "line", it->line, "column", it->column,
                              "code", it->code, "message", it->message ? it->message : "");
        if (o && it->cell[0])
            json_object_set_new(o, "cell", json_string(it->cell));
        json_array_append_new(a, o);
    }
    return a;
}

/* 422 with the whole report. */
static void answer_report(obs_response *rs, const col_report *rep)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "La grille est refusée : %zu erreur(s) à corriger. Rien n'a été enregistré.",
             rep->nerrors);
    json_t *j = json_pack("{s:{s:s,s:s},s:i,s:i,s:o,s:o}", "error", "code", "E_VALIDATION",
                          "message", msg, "nerrors", (int)rep->nerrors, "nwarnings",
                          (int)rep->nwarnings, "errors", issues_json(rep, 0), "warnings",
                          issues_json(rep, 1));
    obs_http_json(rs, 422, j);
}

static void audit_rejection(PGconn *c, const obs_request *rq, const char *post,
                            const char *period, const char *code)
{
    char account[24], target[32], detail[96];
    snprintf(account, sizeof account, "%lld", rq->who.account_id);
    snprintf(target, sizeof target, "%s/%s", post, period);
    snprintf(detail, sizeof detail, "{\"code\": \"%s\"}", code);
    const char *p[] = {rq->who.account_id ? account : NULL, rq->who.name, target, detail};
    obs_db_exec_prepared(c, SQL_AUDIT_REJECT, 4, p, NULL, NULL); /* best effort: the answer stands */
}

/* Common prologue: authenticate and check the caller may write this post. Returns 0 and
 * fills rs when the request must stop here. */
static int authorise_write(obs_request *rq, obs_response *rs, const char *post)
{
    if (!obs_http_require_login(rq, rs))
        return 0;
    if (rq->who.role == OBS_ROLE_ANALYST ||
        (rq->who.role == OBS_ROLE_POST && strcmp(rq->who.post, post) != 0)) {
        obs_http_error(rs, 403, "E_FORBIDDEN",
                       "ce compte ne peut pas déposer de grille pour ce poste");
        return 0;
    }
    return 1;
}

/* The format named by the Content-Type, or NULL (415). */
static const char *media_format(const char *ctype)
{
    if (ctype == NULL)
        return NULL;
    size_t n = strcspn(ctype, "; ");
    if (n == 8 && strncasecmp(ctype, "text/csv", 8) == 0)
        return "csv";
    if ((n == 15 && strncasecmp(ctype, "application/xml", 15) == 0) ||
        (n == 8 && strncasecmp(ctype, "text/xml", 8) == 0))
        return "xml";
    if (n == strlen(COL_MEDIA_XLSX) && strncasecmp(ctype, COL_MEDIA_XLSX, n) == 0)
        return "xlsx";
    if (n == strlen(COL_MEDIA_ODS) && strncasecmp(ctype, COL_MEDIA_ODS, n) == 0)
        return "ods";
    return NULL;
}

static json_t *receipt_json(const char *post, const char *period, const col_receipt *r,
                            const col_report *rep)
{
    /* No field depends on whether this call changed anything: the same bytes again give
     * the same receipt (only the HTTP status, 201 or 200, tells a first version). */
    return json_pack("{s:s,s:s,s:i,s:I,s:I,s:s,s:b,s:s,s:o}", "post", post, "period", period,
                     "version", r->version, "rows",
                     (json_int_t)r->rows, "persons", (json_int_t)r->persons, "sha256", r->sha256,
                     "on_time", r->on_time, "received_at", r->received_at, "warnings",
                     issues_json(rep, 1));
}

/* Room kept in the response before the commit for the short receipt below. */
#define RECEIPT_ROOM 512

/* The answer of a committed upload. When memory runs out building the full receipt, a short
 * one (no warnings, "warnings_omitted") goes into the room reserved before the commit: a
 * stored grid is never answered 5xx for want of memory (tests/integration/reliability/test_faults.c). */
static void answer_receipt(obs_response *rs, int status, const char *post, const char *period,
                           const col_receipt *r, const col_report *rep)
{
    json_t *j = receipt_json(post, period, r, rep);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (s) {
        obs_http_text(rs, status, "application/json; charset=utf-8", s);
        free(s);
        if (rs->status == status)
            return;
    }
    char mini[RECEIPT_ROOM];
    snprintf(mini, sizeof mini,
             "{\"post\":\"%s\",\"period\":\"%s\",\"version\":%d,\"rows\":%zu,\"persons\":%zu,"
             "\"sha256\":\"%s\",\"on_time\":%s,\"received_at\":\"%s\",\"warnings_omitted\":true}",
             post, period, r->version, r->rows, r->persons, r->sha256,
             r->on_time ? "true" : "false", r->received_at);
    obs_http_text(rs, status, "application/json; charset=utf-8", mini);
}

/* col_store, and when a key rotation committed meanwhile (E_KEY_STALE), the keys read again
 * and the grid pseudonymised again with them (g still holds the folded references), a
 * bounded number of times; then 503 E_KEY_ROTATING (Retry-After: clients retry). */
static obs_status store_with_current_key(PGconn *c, col_grid *g, col_upload_meta *m,
                                         col_receipt *rec, obs_err *e)
{
    obs_status rc = col_store(c, g, m, rec, e);
    for (int retry = 0; retry < 3 && rc == OBS_ERR_CONFLICT && strcmp(e->code, "E_KEY_STALE") == 0;
         retry++) {
        obs_err_clear(e);
        if ((rc = col_keys_reload(c, m->key_id, e)) == OBS_OK &&
            (rc = col_keys_pseudonymise(g, &m->key_id, e)) == OBS_OK)
            rc = col_store(c, g, m, rec, e);
    }
    if (rc == OBS_ERR_CONFLICT && strcmp(e->code, "E_KEY_STALE") == 0) /* rotations in a row */
        return obs_fail(e, OBS_ERR_DB, "E_KEY_ROTATING",
                        "une rotation de clé est en cours : réessayez dans quelques secondes");
    return rc;
}

void col_grid_upload(obs_request *rq, obs_response *rs, const char *post, const char *period,
                     const char *ctype, const char *data, size_t len, int dry_run)
{
    int year, month;
    if (!ref_post_code_valid(post)) {
        obs_http_error(rs, 400, "E_POST_FORMAT", "code de poste invalide (attendu : ISCG-DDD-NN)");
        return;
    }
    if (!parse_period(period, &year, &month)) {
        obs_http_error(rs, 400, "E_PERIOD_FORMAT", "mois invalide (attendu : AAAA-MM)");
        return;
    }
    if (!authorise_write(rq, rs, post))
        return;
    const char *format = media_format(ctype);
    if (format == NULL) {
        obs_http_error(rs, 415, "E_MEDIA_TYPE",
                       "type de contenu non accepté : envoyez text/csv, application/xml ou un "
                       "classeur .xlsx ou .ods");
        return;
    }
    const char *received_at = obs_http_query(rq, "received_at");
    if (received_at && rq->who.role != OBS_ROLE_ADMIN) {
        obs_http_error(rs, 403, "E_FORBIDDEN", "received_at est réservé aux administrateurs");
        return;
    }
    if (received_at && !valid_timestamp(received_at)) {
        obs_http_error(rs, 400, "E_RECEIVED_AT", "received_at doit être de la forme AAAA-MM-JJTHH:MM:SSZ");
        return;
    }

    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    if (c == NULL) {
        obs_http_fail(rs, &e);
        return;
    }
    char pdate[11], lock[12];
    snprintf(pdate, sizeof pdate, "%04d-%02d-01", year, month);
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    PGresult *r = NULL;
    if (obs_db_exec_prepared(c, SQL_PERIOD_STATE, 3, (const char *[]){post, pdate, lock}, &r, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    int known = PQntuples(r) == 1;
    int future = known && PQgetvalue(r, 0, 0)[0] == 't';
    int locked = known && PQgetvalue(r, 0, 1)[0] == 't';
    int inactive = known && PQgetvalue(r, 0, 2)[0] == 't';
    int purged = known && PQgetvalue(r, 0, 3)[0] == 't';
    PQclear(r);
    if (!known) {
        obs_http_error(rs, 404, "E_POST_UNKNOWN", "ce poste n'est pas au registre des postes");
        return;
    }
    if (future) {
        obs_http_error(rs, 422, "E_PERIOD_FUTURE", "ce mois n'a pas encore commencé");
        return;
    }
    if (inactive) {
        obs_http_error(rs, 422, "E_POST_INACTIVE", "le poste n'était pas ouvert ce mois-là");
        return;
    }
    if (purged) {
        obs_http_error(rs, 409, "E_PERIOD_PURGED", COL_PURGED_MSG);
        return;
    }
    if (locked && rq->who.role != OBS_ROLE_ADMIN) {
        obs_http_error(rs, 423, "E_PERIOD_LOCKED",
                       "ce mois est clos : demandez sa réouverture à un administrateur");
        return;
    }

    uint8_t sum[32];
    char sum_hex[65];
    obs_sha256(data ? data : "", len, sum);
    obs_hex(sum, sizeof sum, sum_hex);
    col_table t;
    col_grid g;
    col_report rep;
    col_table_init(&t);
    memset(&g, 0, sizeof g);
    col_report_init(&rep);
    int key_id = 0;
    obs_status rc = col_parse_grid(data ? data : "", len, ctype, post, year, month, &t, &g, &rep);
    obs_wipe((void *)data, len); /* the raw upload is no longer needed */
    if (rc) {
        obs_fail(&e, rc, "E_NOMEM", "mémoire insuffisante");
        obs_http_fail(rs, &e);
    } else if (rep.nerrors) {
        answer_report(rs, &rep);
        obs_metrics_add(OBS_M_UPLOADS_REJECTED, 1);
        if (!dry_run)
            audit_rejection(c, rq, post, period, "E_VALIDATION");
    } else if ((rc = col_keys_pseudonymise(&g, &key_id, &e))) {
        obs_http_fail(rs, &e);
    } else if (dry_run) {
        json_t *j = json_pack("{s:s,s:s,s:b,s:I,s:I,s:o}", "post", post, "period", period, "valid",
                              1, "rows", (json_int_t)g.n, "persons", (json_int_t)g.persons,
                              "warnings", issues_json(&rep, 1));
        obs_http_json(rs, 200, j);
    } else {
        col_upload_meta m = {.account_id = rq->who.account_id,
                             .actor = rq->who.name,
                             .format = format,
                             .received_at = received_at,
                             .key_id = key_id,
                             .nwarnings = rep.nwarnings,
                             .admin_override = locked};
        memcpy(m.sha256, sum_hex, sizeof m.sha256);
        col_receipt rec;
        if (obs_buf_reserve(&rs->body, RECEIPT_ROOM) != OBS_OK)
            rc = obs_fail(&e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        else
            rc = store_with_current_key(c, &g, &m, &rec, &e);
        if (rc) {
            obs_http_fail(rs, &e);
        } else {
            static const char *const outcome[] = {"created", "replaced", "unchanged"};
            answer_receipt(rs, rec.outcome == COL_CREATED ? 201 : 200, post, period, &rec, &rep);
            obs_http_add_header(rs, "X-Upload-Outcome", outcome[rec.outcome]);
            obs_metrics_add(OBS_M_UPLOADS_ACCEPTED, 1);
            if (rec.outcome != COL_UNCHANGED)
                obs_metrics_add(OBS_M_ROWS_INGESTED, g.n);
        }
    }
    col_grid_free(&g);
    col_table_free(&t);
    col_report_free(&rep);
}

static void grid_put(obs_request *rq, obs_response *rs)
{
    col_grid_upload(rq, rs, rq->seg[3], rq->seg[4], obs_http_header(rq, "Content-Type"),
                    rq->body.data, rq->body.len, 0);
}

static void grid_validate(obs_request *rq, obs_response *rs)
{
    col_grid_upload(rq, rs, rq->seg[3], rq->seg[4], obs_http_header(rq, "Content-Type"),
                    rq->body.data, rq->body.len, 1);
}

/* Every month from the post's opening to the current month (or its closing), with what was
 * received: the post's own reminder list. */
static const char SQL_POST_MONTHS[] =
    "WITH p AS (SELECT code, opened, least(coalesce(closed, 'infinity'::date),"
    "             date_trunc('month', now() AT TIME ZONE 'Europe/Paris')::date) AS last"
    "           FROM post WHERE code = $1),"
    " m AS (SELECT p.code, generate_series(p.opened, p.last, interval '1 month')::date AS period"
    "       FROM p)"
    " SELECT to_char(m.period, 'YYYY-MM'), g.version, g.rows, g.persons, g.on_time,"
    "   to_char(g.first_received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "   to_char(g.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "   now() >= ((m.period + interval '1 month 10 days')::timestamp AT TIME ZONE 'Europe/Paris')"
    " FROM m LEFT JOIN grid g ON g.post = m.code AND g.period = m.period"
    " ORDER BY m.period";

obs_status col_post_months(PGconn *c, const char *post, json_t **months, obs_err *e)
{
    *months = NULL;
    PGresult *r = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_POST_MONTHS, 1, (const char *[]){post}, &r, e);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return obs_fail(e, OBS_ERR_NOT_FOUND, "E_POST_UNKNOWN",
                        "ce poste n'est pas au registre des postes");
    }
    json_t *a = json_array();
    for (int i = 0; a && i < PQntuples(r); i++) {
        int received = !PQgetisnull(r, i, 1);
        int due = PQgetvalue(r, i, 7)[0] == 't';
        const char *status = received ? (PQgetvalue(r, i, 4)[0] == 't' ? "on_time" : "late")
                             : due    ? "missing"
                                      : "expected";
        json_t *m = json_pack("{s:s,s:s}", "period", PQgetvalue(r, i, 0), "status", status);
        if (received) {
            json_object_set_new(m, "version", json_integer(strtol(PQgetvalue(r, i, 1), NULL, 10)));
            json_object_set_new(m, "rows", json_integer(strtol(PQgetvalue(r, i, 2), NULL, 10)));
            json_object_set_new(m, "persons", json_integer(strtol(PQgetvalue(r, i, 3), NULL, 10)));
            json_object_set_new(m, "on_time", json_boolean(PQgetvalue(r, i, 4)[0] == 't'));
            json_object_set_new(m, "first_received_at", json_string(PQgetvalue(r, i, 5)));
            json_object_set_new(m, "received_at", json_string(PQgetvalue(r, i, 6)));
        }
        json_array_append_new(a, m);
    }
    PQclear(r);
    if (a == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    *months = a;
    return OBS_OK;
}

static void grid_list(obs_request *rq, obs_response *rs)
{
    const char *post = rq->seg[3];
    if (!obs_http_require_login(rq, rs))
        return;
    obs_err e;
    obs_err_clear(&e);
    if (rq->who.role == OBS_ROLE_POST && strcmp(rq->who.post, post) != 0) {
        obs_http_error(rs, 403, "E_FORBIDDEN", "ce compte ne peut voir que son propre poste");
        return;
    }
    PGconn *c = obs_db_conn(&e);
    json_t *months = NULL;
    if (c == NULL || col_post_months(c, post, &months, &e)) {
        obs_http_fail(rs, &e);
        return;
    }
    obs_http_json(rs, 200, json_pack("{s:s,s:o}", "post", post, "months", months));
}

const obs_route col_grid_routes[] = {
    {"PUT", "/api/v1/grids/*/*", grid_put, OBS_HTTP_UPLOAD_LIMIT},
    {"POST", "/api/v1/grids/*/*/validate", grid_validate, OBS_HTTP_UPLOAD_LIMIT},
    {"GET", "/api/v1/grids/*", grid_list, 0},
};
const size_t col_grid_routes_count = OBS_ARRAY_LEN(col_grid_routes);
