/* web.h: what the web pages share: layout and navigation, security headers, error pages
 * (web_page.c); sessions, cookies, CSRF and the audit log (web_session.c); passwords
 * (web_password.c); the routes and `iscgobs export html` (web_routes.c).
 * Design: docs/html.md.
 */
#ifndef EXP_WEB_H
#define EXP_WEB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "buf.h"
#include "html.h"
#include "http.h"
#include "status.h"

/* Largest HTML page we build (a national report is ~200 KiB). */
#define EXP_PAGE_MAX (8u << 20)

/* Session lifetime (absolute, from login). */
#define EXP_SESSION_SECONDS (8 * 3600)

/* The double-submit cookie of the login form (no session exists yet). */
#define EXP_LOGIN_CSRF_COOKIE "iscgobs_login_csrf"

/* ---- pages (web_page.c) ---- */

/* Where a page is going: the live service (navigation, login state) or static files. */
typedef struct exp_page_ctx {
    const obs_principal *who; /* NULL for a static export */
    int static_export;        /* 1: links between the exported files, no login */
    int nav_year;             /* the national report the navigation links to */
    char nav_month[8];        /* the monthly summary it links to ("YYYY-MM") */
} exp_page_ctx;

/* Fill ctx for a live request (default report year and month from the clock). */
void exp_page_ctx_live(exp_page_ctx *ctx, const obs_request *rq);

/* Write the whole page (layout.html: doctype, inline stylesheet, navigation, h1 = title,
 * body_html from the writer, footer) into out. Returns the writer's status. */
obs_status exp_page_render(obs_buf *out, const exp_page_ctx *ctx, const char *title,
                           const char *body_html);

/* Answer an HTML page: status, Content-Type, security headers (CSP without any external
 * source, no framing, no referrer, no-store for logged-in pages). body_html was built with
 * the writer whose status is body_rc: on failure a 503 page is answered instead. */
void exp_page_send(obs_request *rq, obs_response *rs, int status, const char *title,
                   const obs_buf *body, obs_status body_rc);

/* An error page with a French message (text). 503 pages carry Retry-After. */
void exp_page_error(obs_request *rq, obs_response *rs, int status, const char *message);

/* The error page of a failure context (status from obs_status_http). */
void exp_page_fail(obs_request *rq, obs_response *rs, const obs_err *e);

/* 303 to the login page: "/connexion", or with expired 1 "/connexion?session=expiree", where
 * the form says the session has ended and the form must be sent again. */
void exp_redirect_login(obs_response *rs, int expired);

/* The query value that exp_redirect_login(rs, 1) adds ("session=expiree"). */
#define EXP_LOGIN_EXPIRED_PARAM "session"
#define EXP_LOGIN_EXPIRED_VALUE "expiree"

/* The months' names: "janvier" ... for 1..12 (NULL otherwise), and "janv." short forms. */
const char *exp_month_name(int month);
const char *exp_month_short(int month);

/* ---- sessions, cookies, audit (web_session.c) ---- */

/* Open a session for account_id: a new random 256-bit id, hex in sid[65] (for the cookie
 * only), its SHA-256 stored with an expiry; expired sessions are purged on the way.
 * OBS_ERR_DB, OBS_ERR_INTERNAL (random generator). */
obs_status exp_session_open(PGconn *c, long long account_id, char sid[65], obs_err *e);

/* Delete the session whose id hashes to session_hash (hex). */
obs_status exp_session_close(PGconn *c, const char *session_hash, obs_err *e);

/* Delete the session whose id the request's cookie presents (OBS_SESSION_COOKIE), live or
 * not; nothing when there is none or it is not one of ours. A login replaces the session the
 * browser had: the old id stops working at once. */
obs_status exp_session_close_presented(PGconn *c, obs_request *rq, obs_err *e);

/* 1 when the client reached us over TLS: ISCGOBS_TLS=1, or X-Forwarded-Proto: https from
 * the reverse proxy (docs/html.md). Cookies are then marked Secure. */
int exp_request_tls(obs_request *rq);

/* Add a Set-Cookie header: name=value; Path=path; HttpOnly; SameSite=Strict; Max-Age
 * (0 deletes); Secure over TLS. name, value and path are ours (no data). */
void exp_cookie_set(obs_request *rq, obs_response *rs, const char *name, const char *value,
                    const char *path, long max_age);

/* One audit_log entry (best effort: the answer stands when it fails). account_id 0 and
 * actor NULL for an unknown caller; detail is a JSON object or NULL. Never a token. */
void exp_audit(PGconn *c, long long account_id, const char *actor, const char *action,
               const char *target, const char *outcome, const char *detail);

/* Check the CSRF token of a submitted form on an unsafe request and promote the session
 * (obs_http_csrf_confirm). Returns 1 when the request may go on; 0 when rs holds the answer:
 * a 403 page for a missing or wrong token (the session cookie alone never suffices), or,
 * when no session at all came with the form (none, expired, or logged out), a 303 to the
 * login page saying so (exp_redirect_login with expired 1). */
int exp_csrf_require(obs_request *rq, obs_response *rs, const char *token);

/* ---- passwords (web_password.c) ---- */

/* Hash a password with scrypt (OpenSSL EVP_KDF "SCRYPT", N = 2^15, r = 8, p = 1, 16-byte
 * random salt, 32-byte key) as a PHC string "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" (base64
 * without padding) into out (cap >= 128). OBS_ERR_INPUT for an empty or too long password
 * (over 1024 bytes), OBS_ERR_INTERNAL when OpenSSL fails. */
obs_status exp_password_hash(const char *password, char *out, size_t cap, obs_err *e);

/* 1 when password matches the PHC string phc (constant-time comparison), 0 otherwise
 * (including a malformed string or parameters out of the accepted range). */
int exp_password_verify(const char *password, const char *phc);

/* Spend the time of one verification without any account (no account enumeration by
 * timing). */
void exp_password_dummy(const char *password);

/* `iscgobs user passwd --name N` (the password is read from standard input) and the
 * `--password-stdin` option of `user add`: set the password of the one enabled account
 * called name. Returns the process exit status. */
int exp_cmd_user_passwd(int argc, char **argv);

/* Read one line (a password) from standard input into out (cap bytes), without the line
 * break. OBS_ERR_INPUT when empty or longer than cap - 1. */
obs_status exp_password_read_stdin(char *out, size_t cap, obs_err *e);

/* Set the password of the one enabled account named name (OBS_ERR_NOT_FOUND: none;
 * OBS_ERR_CONFLICT: several, give them distinct names); audit-logged. */
obs_status exp_password_set(PGconn *c, const char *name, const char *password, obs_err *e);

/* ---- routes (web_routes.c) ---- */

extern const obs_route exp_web_routes[];
extern const size_t exp_web_routes_count;

/* `iscgobs export html --period P --out DIR`: the public pages as static files. */
int exp_cmd_export_html(int argc, char **argv);

#endif
