/* http.h: the libmicrohttpd daemon, the route table, authentication and roles, responses.
 *
 * Each stage registers its routes (obs_http_add_routes) before obs_http_start. A handler
 * receives a parsed request whose body (bounded by the route's max_body) has been read in
 * full, and fills one response; it never talks to libmicrohttpd itself.
 */
#ifndef OBS_HTTP_H
#define OBS_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "status.h"

typedef enum obs_role { OBS_ROLE_NONE = 0, OBS_ROLE_POST, OBS_ROLE_ANALYST, OBS_ROLE_ADMIN } obs_role;

/* Who is calling: filled by obs_http_authenticate. */
typedef struct obs_principal {
    long long account_id; /* 0 for anonymous */
    obs_role role;
    char post[16];        /* the post of a `post` account */
    char name[128];       /* account name, for the audit log */
    int session;          /* 1 when the credential was the web pages' session cookie */
    char session_hash[65];/* that session: SHA-256 of its id, hex ("" otherwise) */
    char csrf[65];        /* that session's anti-CSRF token, hex ("" otherwise) */
} obs_principal;

/* The web pages' session cookie (docs/html.md, "Sessions"). */
#define OBS_SESSION_COOKIE "iscgobs_session"

#define OBS_HTTP_MAX_SEG 12

typedef struct obs_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;                 /* decoded path, without the query */
    char *seg[OBS_HTTP_MAX_SEG];      /* path segments, decoded (owned by the request) */
    int nseg;
    int trailing_slash;               /* the path ended with '/' */
    obs_buf body;                     /* the whole body (wiped after the response) */
    obs_principal who;
    /* A session cookie presented with an unsafe method (POST...) authenticates nobody until
     * the handler checked the form's CSRF token (obs_http_csrf_confirm): until then the
     * account waits here and `who` is anonymous. */
    obs_principal pending;
    int authenticated;                /* obs_http_authenticate already ran (its result is kept) */
    const struct obs_route *route;
} obs_request;

typedef struct obs_response {
    int status;
    char content_type[128];
    obs_buf body;
    char headers[8][2][256];          /* extra headers: name, value */
    int nheaders;
    int header_overflow;              /* a header did not fit: the answer becomes a 500 */
    /* Streaming instead of body: libmicrohttpd pulls blocks from reader(cls, ...). */
    MHD_ContentReaderCallback reader;
    void *reader_cls;
    MHD_ContentReaderFreeCallback reader_free;
} obs_response;

typedef void (*obs_handler)(obs_request *rq, obs_response *rs);

typedef struct obs_route {
    const char *method;  /* "GET", "PUT", "POST" (HEAD is served by GET routes) */
    /* Path pattern: segments separated by '/', where a segment "*" matches any one segment
     * and a final "**" matches all the rest (e.g. "/api/v1/grids/" followed by "*"). */
    const char *pattern;
    obs_handler handler;
    size_t max_body;     /* 0: no body accepted; OBS_HTTP_UPLOAD_LIMIT: ISCGOBS_MAX_UPLOAD */
} obs_route;

#define OBS_HTTP_UPLOAD_LIMIT ((size_t)-1)

/* Add routes (the array must outlive the daemon). First match wins. */
void obs_http_add_routes(const obs_route *routes, size_t n);

/* The registered routes, in order (the access test walks them: tests/integration/
 * test_access.c): their number, and the i-th (NULL past the end). */
size_t obs_http_route_count(void);
const obs_route *obs_http_route_at(size_t i);
/* The route of rq->method for the decoded path: fills rq's segments (owned by rq: the caller
 * frees rq->seg[0..nseg) even on failure) and returns the first matching route, or NULL with
 * *method_mismatch = 1 when another method's route matches the path (405), 0 otherwise (404,
 * also for more than OBS_HTTP_MAX_SEG segments or no memory). */
const obs_route *obs_http_route_match(obs_request *rq, const char *path, int *method_mismatch);

/* Start the daemon on the configured address with a worker thread pool. */
obs_status obs_http_start(const obs_config *cfg, obs_err *e);

/* Stop accepting, let in-flight requests finish (up to grace_seconds), stop. */
void obs_http_stop(int grace_seconds);

/* The port actually bound (useful with port 0 in tests). */
int obs_http_port(void);

/* Request helpers. */
const char *obs_http_header(obs_request *rq, const char *name);
const char *obs_http_query(obs_request *rq, const char *name);

/* The name of the first query parameter for which known(name) is 0, copied into buf (at
 * most len - 1 bytes), or NULL when every parameter is known. */
const char *obs_http_query_unknown(obs_request *rq, int (*known)(const char *name), char *buf,
                                   size_t len);

/* Fill rq->who from `Authorization: Bearer <token>`, or else from the session cookie of the
 * web pages (OBS_SESSION_COOKIE, an unexpired row of web_session). OBS_ERR_AUTH when a bearer
 * token is present but wrong; an unknown or expired session cookie is simply anonymous (the
 * pages then offer the login form); an anonymous request is OBS_OK with role OBS_ROLE_NONE.
 * OBS_ERR_DB when the database is down. The result is kept: later calls for the same request
 * return it without querying again. With a session cookie and a method other than GET/HEAD,
 * the account goes to rq->pending and rq->who stays anonymous until obs_http_csrf_confirm. */
obs_status obs_http_authenticate(obs_request *rq, obs_err *e);

/* Promote rq->pending to rq->who when token (from the submitted form; may be NULL) equals the
 * session's CSRF token (constant-time comparison). Returns 1 when the request now carries an
 * authenticated web session, 0 otherwise (rq->who unchanged). */
int obs_http_csrf_confirm(obs_request *rq, const char *token);

/* The CSRF token of a session id (hex of SHA-256("iscgobs-csrf|" + id)) into out[65]. */
void obs_http_csrf_of(const char *session_id, char out[65]);

/* Authenticate and refuse anonymous callers: returns 1 when the request may go on, 0 when rs
 * already holds the answer (401 with WWW-Authenticate, or the failure, e.g. 503). */
int obs_http_require_login(obs_request *rq, obs_response *rs);

/* Response helpers. obs_http_json takes ownership of j. */
void obs_http_json(obs_response *rs, int status, json_t *j);
/* The same with reals printed with at most digits significant digits (0: jansson's 17). */
void obs_http_json_digits(obs_response *rs, int status, json_t *j, int digits);
void obs_http_error(obs_response *rs, int status, const char *code, const char *message);
/* The error response for a failure context (status from obs_status_http, 503 + Retry-After
 * when the database is unavailable). */
void obs_http_fail(obs_response *rs, const obs_err *e);
void obs_http_text(obs_response *rs, int status, const char *ctype, const char *text);
/* Add a response header. A response holds 8 extra headers: one more is our bug, logged
 * (http.header) and answered 500 instead of the handler's response (never a response that
 * silently lacks a cookie or a security header); returns OBS_ERR_INTERNAL then. */
obs_status obs_http_add_header(obs_response *rs, const char *name, const char *value);

#endif
