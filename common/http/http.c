/* http.c: the libmicrohttpd daemon: limits, route table, request life cycle, auth, replies.
 *
 * One handler shape (libmicrohttpd's largepost example): the first call allocates the
 * request and checks route and declared size; upload calls append to a capped buffer; the
 * final call authenticates, runs the handler and queues exactly one response; the
 * completion callback frees (and wipes) everything.
 */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "http_guard.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"

#define MAX_ROUTES 128
/* A body declared over the route's limit is still read (and dropped) up to this many bytes
 * before the 413, so that clients that write their whole body before reading (Python's
 * urllib) get the status and not a broken pipe; beyond, or with "Expect: 100-continue"
 * (curl), the 413 goes first (docs/reliability.md, "Hostile HTTP"). */
#define DISCARD_MAX ((size_t)32 << 20)

static const obs_route *routes[MAX_ROUTES];
static size_t nroutes;
static struct MHD_Daemon *daemon_;
static size_t upload_limit;

typedef struct req_state {
    obs_request rq;
    const obs_route *route;
    int too_large;      /* the body went over the route's limit: answer 413 */
    int nomem;          /* the body could not be kept (no memory): answer 503 */
    int answered;       /* a response was queued early */
    size_t discarded;   /* bytes of a too large body read and dropped */
    struct timespec start;
    int status;         /* for the access log */
} req_state;

/* A request whose state could not be allocated is answered this 503, built once at start so
 * that answering it allocates nothing of ours; its con_cls is the sentinel nomem_state
 * (tests/integration/reliability/test_faults.c injects that failure). */
static const char NOMEM_BODY[] =
    "{\"error\":{\"code\":\"E_NOMEM\",\"message\":\"mémoire insuffisante, réessayez\"}}";
static struct MHD_Response *nomem_response;
static req_state nomem_state;

void obs_http_add_routes(const obs_route *r, size_t n)
{
    for (size_t i = 0; i < n && nroutes < MAX_ROUTES; i++)
        routes[nroutes++] = &r[i];
}

size_t obs_http_route_count(void)
{
    return nroutes;
}

const obs_route *obs_http_route_at(size_t i)
{
    return i < nroutes ? routes[i] : NULL;
}

/* The next '/'-separated segment of *p: its start is returned, its length in *n, and *p
 * moves past it. NULL when no segment is left. */
static const char *next_segment(const char **p, size_t *n)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    if (*s == '\0')
        return NULL;
    const char *end = strchr(s, '/');
    *n = end ? (size_t)(end - s) : strlen(s);
    *p = s + *n;
    return s;
}

/* Split a path into decoded segments (the daemon already percent-decoded the path): 0, -1
 * for more than OBS_HTTP_MAX_SEG segments, -2 without memory. */
static int split_path(obs_request *rq, const char *path)
{
    size_t len = strlen(path), n;
    rq->trailing_slash = len > 1 && path[len - 1] == '/';
    const char *seg;
    while ((seg = next_segment(&path, &n)) != NULL) {
        if (rq->nseg == OBS_HTTP_MAX_SEG)
            return -1;
        rq->seg[rq->nseg] = strndup(seg, n);
        if (rq->seg[rq->nseg] == NULL)
            return -2;
        rq->nseg++;
    }
    return 0;
}

/* 1 when the route's pattern matches the request's segments. */
static int pattern_match(const char *pattern, const obs_request *rq)
{
    int i = 0;
    size_t n;
    const char *p;
    while ((p = next_segment(&pattern, &n)) != NULL) {
        if (n == 2 && strncmp(p, "**", 2) == 0)
            return 1;
        if (i >= rq->nseg)
            return 0;
        if (!(n == 1 && *p == '*') && (strlen(rq->seg[i]) != n || strncmp(p, rq->seg[i], n) != 0))
            return 0;
        i++;
    }
    return i == rq->nseg;
}

/* The route of the request, or NULL; then *method_mismatch is the number of routes of that
 * path (for other methods), whose methods go to allow[] (the 405's Allow header). */
static const obs_route *find_route(const obs_request *rq, int *method_mismatch,
                                   const char *allow[MAX_ROUTES])
{
    const char *m = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    *method_mismatch = 0;
    for (size_t i = 0; i < nroutes; i++) {
        if (!pattern_match(routes[i]->pattern, rq))
            continue;
        if (strcmp(routes[i]->method, m) == 0)
            return routes[i];
        allow[(*method_mismatch)++] = routes[i]->method;
    }
    return NULL;
}

const obs_route *obs_http_route_match(obs_request *rq, const char *path, int *method_mismatch)
{
    *method_mismatch = 0;
    const char *allow[MAX_ROUTES];
    if (split_path(rq, path) != 0)
        return NULL;
    return find_route(rq, method_mismatch, allow);
}

const char *obs_http_header(obs_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *obs_http_query(obs_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct unknown_scan {
    int (*known)(const char *name);
    char *buf;
    size_t len;
    int found;
} unknown_scan;

static enum MHD_Result scan_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    unknown_scan *u = cls;
    if (key == NULL || u->known(key))
        return MHD_YES;
    snprintf(u->buf, u->len, "%s", key);
    u->found = 1;
    return MHD_NO;
}

const char *obs_http_query_unknown(obs_request *rq, int (*known)(const char *name), char *buf,
                                   size_t len)
{
    unknown_scan u = {known, buf, len, 0};
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, scan_param, &u);
    return u.found ? buf : NULL;
}

obs_status obs_http_add_header(obs_response *rs, const char *name, const char *value)
{
    if (rs->nheaders >= (int)OBS_ARRAY_LEN(rs->headers)) {
        obs_log(OBS_LOG_ERROR, "http.header", "outcome=dropped name=%s reason=too_many", name);
        rs->header_overflow = 1; /* queue() answers 500 */
        return OBS_ERR_INTERNAL;
    }
    snprintf(rs->headers[rs->nheaders][0], sizeof rs->headers[0][0], "%s", name);
    snprintf(rs->headers[rs->nheaders][1], sizeof rs->headers[0][1], "%s", value);
    rs->nheaders++;
    return OBS_OK;
}

void obs_http_text(obs_response *rs, int status, const char *ctype, const char *text)
{
    rs->status = status;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", ctype);
    obs_buf_reset(&rs->body);
    if (obs_buf_puts(&rs->body, text) != OBS_OK) {
        rs->status = 503;
        obs_buf_reset(&rs->body);
    }
}

void obs_http_json(obs_response *rs, int status, json_t *j)
{
    obs_http_json_digits(rs, status, j, 0);
}

void obs_http_json_digits(obs_response *rs, int status, json_t *j, int digits)
{
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | (digits ? JSON_REAL_PRECISION(digits) : 0);
    char *s = j ? json_dumps(j, flags) : NULL;
    json_decref(j);
    if (s == NULL) {
        obs_http_text(rs, 503, "application/json",
                      "{\"error\":{\"code\":\"E_NOMEM\",\"message\":\"mémoire insuffisante\"}}");
        return;
    }
    obs_http_text(rs, status, "application/json; charset=utf-8", s);
    free(s);
}

void obs_http_error(obs_response *rs, int status, const char *code, const char *message)
{
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    obs_http_json(rs, status, j);
}

void obs_http_fail(obs_response *rs, const obs_err *e)
{
    int status = obs_status_http(e->status);
    obs_http_error(rs, status, e->code[0] ? e->code : "E_INTERNAL",
                   e->msg[0] ? e->msg : "erreur interne");
    if (status == 503)
        obs_http_add_header(rs, "Retry-After", "5");
    if (status == 429) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", obs_rl_retry_after());
        obs_http_add_header(rs, "Retry-After", ra);
    }
}

static const char SQL_ACCOUNT_BY_TOKEN[] =
    "SELECT id, role, coalesce(post, ''), name, encode(token_hash, 'hex') FROM account"
    " WHERE token_hash = decode($1, 'hex') AND disabled_at IS NULL";

/* The account of an unexpired web session (migrations/004_web_sessions.sql). */
static const char SQL_ACCOUNT_BY_SESSION[] =
    "SELECT a.id, a.role, coalesce(a.post, ''), a.name, encode(s.id_hash, 'hex')"
    " FROM web_session s JOIN account a ON a.id = s.account_id"
    " WHERE s.id_hash = decode($1, 'hex') AND s.expires_at > now() AND a.disabled_at IS NULL";

void obs_http_csrf_of(const char *session_id, char out[65])
{
    char msg[96];
    uint8_t h[32];
    int n = snprintf(msg, sizeof msg, "iscgobs-csrf|%s", session_id);
    obs_sha256(msg, n > 0 && (size_t)n < sizeof msg ? (size_t)n : 0, h);
    obs_hex(h, sizeof h, out);
    obs_wipe(msg, sizeof msg);
}

/* Look the SHA-256 (hex) of a credential up with sql; on a match fill p from the row
 * (id, role, post, name, stored hash, compared again in constant time) and return 1. */
static obs_status lookup_principal(const char *sql, const char *hex, obs_principal *p, int *found,
                                   obs_err *e)
{
    *found = 0;
    PGconn *c = obs_db_conn(e);
    if (c == NULL)
        return OBS_ERR_DB;
    PGresult *r = NULL;
    obs_status rc = obs_db_exec_prepared(c, sql, 1, (const char *[]){hex}, &r, e);
    if (rc)
        return rc;
    /* The index finds the row; the stored hash is then compared in constant time. */
    if (PQntuples(r) == 1 && PQgetlength(r, 0, 4) == 64 &&
        obs_ct_equal(PQgetvalue(r, 0, 4), hex, 64)) {
        *found = 1;
        p->account_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        const char *role = PQgetvalue(r, 0, 1);
        p->role = strcmp(role, "admin") == 0     ? OBS_ROLE_ADMIN
                  : strcmp(role, "analyst") == 0 ? OBS_ROLE_ANALYST
                                                 : OBS_ROLE_POST;
        snprintf(p->post, sizeof p->post, "%s", PQgetvalue(r, 0, 2));
        snprintf(p->name, sizeof p->name, "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return OBS_OK;
}

/* 1 when s is exactly 64 lowercase hex digits (the form of tokens and session ids). */
static int hex64(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 64 && s[n] == '\0';
}

/* The session cookie path: the account goes to rq->who for GET/HEAD, to rq->pending for
 * unsafe methods (see obs_http_csrf_confirm). */
static obs_status authenticate_session(obs_request *rq, const char *sid, obs_err *e)
{
    if (!hex64(sid))
        return OBS_OK; /* not one of ours: anonymous */
    uint8_t hash[32];
    obs_principal p;
    memset(&p, 0, sizeof p);
    obs_sha256(sid, 64, hash);
    obs_hex(hash, sizeof hash, p.session_hash);
    int found;
    obs_status rc = lookup_principal(SQL_ACCOUNT_BY_SESSION, p.session_hash, &p, &found, e);
    if (rc || !found)
        return rc;
    p.session = 1;
    obs_http_csrf_of(sid, p.csrf);
    int safe = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (safe)
        rq->who = p;
    else
        rq->pending = p;
    return OBS_OK;
}

obs_status obs_http_authenticate(obs_request *rq, obs_err *e)
{
    if (rq->authenticated)
        return OBS_OK;
    memset(&rq->who, 0, sizeof rq->who);
    memset(&rq->pending, 0, sizeof rq->pending);
    const char *auth = obs_http_header(rq, "Authorization");
    if (auth == NULL) {
        const char *sid = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND,
                                                      OBS_SESSION_COOKIE);
        obs_status rc = sid ? authenticate_session(rq, sid, e) : OBS_OK;
        rq->authenticated = rc == OBS_OK;
        return rc;
    }
    if (strncasecmp(auth, "Bearer ", 7) != 0)
        return obs_fail(e, OBS_ERR_AUTH, "E_AUTH", "en-tête Authorization invalide (attendu : Bearer <jeton>)");
    /* Failed tokens are limited per client address (common/http/ratelimit.c). */
    char addr[64];
    obs_rl_client_addr(rq->conn, addr);
    if (obs_rl_check(OBS_RL_ADDR, addr, NULL, e))
        return OBS_ERR_RATE;
    const char *tok = auth + 7;
    while (*tok == ' ')
        tok++;
    uint8_t hash[32];
    char hex[65];
    obs_sha256(tok, strlen(tok), hash);
    obs_hex(hash, sizeof hash, hex);
    int found;
    obs_status rc = lookup_principal(SQL_ACCOUNT_BY_TOKEN, hex, &rq->who, &found, e);
    if (rc)
        return rc;
    if (!found) {
        obs_rl_fail(OBS_RL_ADDR, addr);
        return obs_fail(e, OBS_ERR_AUTH, "E_AUTH", "jeton d'accès inconnu ou désactivé");
    }
    rq->authenticated = 1;
    return OBS_OK;
}

int obs_http_csrf_confirm(obs_request *rq, const char *token)
{
    if (!rq->pending.session || token == NULL || strlen(token) != 64 ||
        !obs_ct_equal(token, rq->pending.csrf, 64))
        return 0;
    rq->who = rq->pending;
    memset(&rq->pending, 0, sizeof rq->pending);
    return 1;
}

int obs_http_require_login(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        obs_http_fail(rs, &e);
        return 0;
    }
    if (rq->who.role == OBS_ROLE_NONE) {
        obs_http_error(rs, 401, "E_AUTH_REQUIRED", "authentification requise (jeton d'accès)");
        obs_http_add_header(rs, "WWW-Authenticate", "Bearer realm=\"iscgobs\"");
        return 0;
    }
    return 1;
}

static enum MHD_Result queue(struct MHD_Connection *conn, req_state *st, obs_response *rs)
{
    struct MHD_Response *resp;
    if (rs->header_overflow) { /* logged by obs_http_add_header */
        if (rs->reader_free)
            rs->reader_free(rs->reader_cls);
        rs->reader = NULL;
        rs->reader_free = NULL;
        rs->nheaders = 0;
        rs->header_overflow = 0;
        obs_http_error(rs, 500, "E_INTERNAL", "erreur interne");
    }
    if (rs->status >= 500 && !rs->reader && rs->body.len == 0 && nomem_response) {
        /* An error whose body could not be written (no memory): the prepared 503. */
        st->status = 503;
        st->answered = 1;
        return MHD_queue_response(conn, 503, nomem_response);
    }
    if (rs->reader) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, rs->reader,
                                                 rs->reader_cls, rs->reader_free);
        rs->reader_free = NULL; /* owned by the response now */
    } else {
        size_t len = rs->body.len;
        char *data = obs_buf_steal(&rs->body);
        resp = data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
                    : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            free(data);
    }
    if (resp == NULL)
        return MHD_NO;
    if (rs->content_type[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < rs->nheaders; i++)
        MHD_add_response_header(resp, rs->headers[i][0], rs->headers[i][1]);
    st->status = rs->status;
    st->answered = 1;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rs->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void response_init(obs_response *rs)
{
    memset(rs, 0, sizeof *rs);
    obs_buf_init(&rs->body, 0);
    rs->status = 500;
}

static void response_free(obs_response *rs)
{
    obs_buf_free(&rs->body);
    if (rs->reader_free)
        rs->reader_free(rs->reader_cls);
}

static enum MHD_Result answer_error(struct MHD_Connection *conn, req_state *st, int status,
                                    const char *code, const char *msg)
{
    obs_response rs;
    response_init(&rs);
    obs_http_error(&rs, status, code, msg);
    enum MHD_Result r = queue(conn, st, &rs);
    response_free(&rs);
    return r;
}

/* 405 with the Allow header of the path's methods (RFC 9110, 15.5.6). */
static enum MHD_Result answer_405(struct MHD_Connection *conn, req_state *st,
                                  const char *const *methods, size_t n)
{
    obs_response rs;
    response_init(&rs);
    char allow[128];
    obs_http_allow(methods, n, allow, sizeof allow);
    obs_http_error(&rs, 405, "E_METHOD", "méthode non permise ici");
    obs_http_add_header(&rs, "Allow", allow);
    enum MHD_Result r = queue(conn, st, &rs);
    response_free(&rs);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req_state *st = *con_cls;
    if (st == &nomem_state) {
        *upload_size = 0; /* answered 503 already: the body is dropped */
        return MHD_YES;
    }
    if (st == NULL) {
        st = calloc(1, sizeof *st);
        if (st == NULL) {
            *con_cls = &nomem_state;
            return nomem_response ? MHD_queue_response(conn, 503, nomem_response) : MHD_NO;
        }
        *con_cls = st;
        clock_gettime(CLOCK_MONOTONIC, &st->start);
        st->rq.conn = conn;
        st->rq.method = method;
        st->rq.path = url;
        obs_buf_init(&st->rq.body, 1);
        if (!obs_http_input_ok(conn, url))
            return answer_error(conn, st, 400, "E_BAD_REQUEST",
                                "adresse ou paramètre invalide (octet nul ou UTF-8 invalide)");
        int split = split_path(&st->rq, url);
        if (split == -2)
            return answer_error(conn, st, 503, "E_NOMEM", "mémoire insuffisante, réessayez");
        if (split != 0)
            return answer_error(conn, st, 404, "E_NOT_FOUND", "adresse inconnue");
        int mismatch;
        const char *allow[MAX_ROUTES];
        st->route = find_route(&st->rq, &mismatch, allow);
        st->rq.route = st->route;
        if (st->route == NULL && mismatch)
            return answer_405(conn, st, allow, (size_t)mismatch);
        if (st->route == NULL)
            return answer_error(conn, st, 404, "E_NOT_FOUND", "adresse inconnue");
        size_t limit = st->route->max_body == OBS_HTTP_UPLOAD_LIMIT ? upload_limit
                                                                    : st->route->max_body;
        obs_buf_init(&st->rq.body, limit ? limit : 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > limit) {
            st->too_large = 1;
            const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
            if (strtoull(cl, NULL, 10) <= DISCARD_MAX &&
                !(expect && strcasecmp(expect, "100-continue") == 0))
                return MHD_YES; /* read and dropped, then 413 */
            char msg[160];
            snprintf(msg, sizeof msg, "le fichier dépasse la taille maximale acceptée (%zu octets)",
                     limit);
            return answer_error(conn, st, 413, "E_TOO_LARGE", msg);
        }
        return MHD_YES;
    }
    if (st->answered) {
        *upload_size = 0; /* an early answer was queued: discard the rest of the body */
        return MHD_YES;
    }
    if (*upload_size) {
        obs_status rc = st->too_large ? OBS_OK
                                      : obs_buf_append(&st->rq.body, upload_data, *upload_size);
        if (rc != OBS_OK) {
            st->too_large = 1; /* from now on the body is read and dropped */
            st->nomem = rc == OBS_ERR_NOMEM;
            obs_buf_wipe(&st->rq.body);
        }
        if (st->too_large && (st->discarded += *upload_size) > DISCARD_MAX)
            return MHD_NO; /* an endless body: the connection is closed */
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->nomem)
        return answer_error(conn, st, 503, "E_NOMEM", "mémoire insuffisante, réessayez");
    if (st->too_large) {
        char msg[160];
        snprintf(msg, sizeof msg, "le fichier dépasse la taille maximale acceptée (%zu octets)",
                 st->rq.body.max);
        return answer_error(conn, st, 413, "E_TOO_LARGE", msg);
    }
    obs_response rs;
    response_init(&rs);
    st->route->handler(&st->rq, &rs);
    enum MHD_Result r = queue(conn, st, &rs);
    response_free(&rs);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_state *st = *con_cls;
    if (st == &nomem_state) {
        obs_log(OBS_LOG_WARN, "http.nomem", "status=503");
        *con_cls = NULL;
        return;
    }
    if (st == NULL)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double secs = (double)(end.tv_sec - st->start.tv_sec) +
                  (double)(end.tv_nsec - st->start.tv_nsec) / 1e9;
    obs_metrics_request(st->status, secs);
    obs_log(OBS_LOG_INFO, "http.request", "method=%s path=%s status=%d ms=%.1f", st->rq.method,
            st->rq.path, st->status, secs * 1e3);
    for (int i = 0; i < st->rq.nseg; i++)
        free(st->rq.seg[i]);
    obs_buf_wipe(&st->rq.body);
    free(st);
    *con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    obs_log(OBS_LOG_WARN, "http.daemon", "message=\"%s\"", msg);
}

obs_status obs_http_start(const obs_config *cfg, obs_err *e)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->listen_port);
    if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG", "adresse d'écoute invalide : %s",
                        cfg->listen_host);
    upload_limit = cfg->max_upload;
    obs_rl_configure(cfg->auth_max_fails, cfg->auth_max_fails_account, cfg->auth_window);
    if (nomem_response == NULL) {
        nomem_response = MHD_create_response_from_buffer(sizeof NOMEM_BODY - 1,
                                                         (void *)NOMEM_BODY,
                                                         MHD_RESPMEM_PERSISTENT);
        if (nomem_response == NULL ||
            MHD_add_response_header(nomem_response, "Content-Type",
                                    "application/json; charset=utf-8") != MHD_YES ||
            MHD_add_response_header(nomem_response, "Retry-After", "5") != MHD_YES)
            return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    daemon_ = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, NULL, /* ITC: MHD_quiesce_daemon needs it (obs_http_stop) */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        /* Hostile clients: docs/operations.md, "Limits". */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_limit,
        MHD_OPTION_UNESCAPE_CALLBACK, obs_http_unescape, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_END);
    if (daemon_ == NULL)
        return obs_fail(e, OBS_ERR_IO, "E_LISTEN", "impossible d'écouter sur %s:%d",
                        cfg->listen_host, cfg->listen_port);
    return OBS_OK;
}

int obs_http_port(void)
{
    const union MHD_DaemonInfo *i =
        daemon_ ? MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    return i ? i->port : -1;
}

void obs_http_stop(int grace_seconds)
{
    if (daemon_ == NULL)
        return;
    MHD_socket s = MHD_quiesce_daemon(daemon_); /* no new connections from now on */
    /* Closed at once: left open, the kernel would still accept connections into its backlog
     * that nobody answers (tests/integration/reliability/test_shutdown.c); closed, they are refused. */
    if (s != MHD_INVALID_SOCKET)
        close(s);
    s = MHD_INVALID_SOCKET;
    for (int i = 0; i < grace_seconds * 10; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        usleep(100 * 1000);
    }
    MHD_stop_daemon(daemon_);
    if (s != MHD_INVALID_SOCKET)
        close(s);
    daemon_ = NULL;
    if (nomem_response)
        MHD_destroy_response(nomem_response);
    nomem_response = NULL;
}
