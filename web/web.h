/* web.h: the browser front, which is no export: sessions, cookies, CSRF and the audit
 * entries of the web pages (web_session.c); passwords (web_password.c); the login page and its
 * limits (page_login.c); the post's page and upload form (page_post.c); the route table
 * (web_routes.c). The pages' layout comes from exporters/html/page.h. Design: docs/html.md.
 */
#ifndef WEB_H
#define WEB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "buf.h"
#include "http.h"
#include "page.h"
#include "status.h"

/* ---- sessions, cookies, audit (web_session.c) ---- */

/* Session lifetime (absolute, from login). */
#define WEB_SESSION_SECONDS (8 * 3600)

/* The double-submit cookie of the login form (no session exists yet). */
#define WEB_LOGIN_CSRF_COOKIE "iscgobs_login_csrf"

/* 303 to the login page: "/connexion", or with expired 1 "/connexion?session=expiree", where
 * the form says the session has ended and the form must be sent again. */
void web_redirect_login(obs_response *rs, int expired);

/* The query value that web_redirect_login(rs, 1) adds ("session=expiree"). */
#define WEB_LOGIN_EXPIRED_PARAM "session"
#define WEB_LOGIN_EXPIRED_VALUE "expiree"

/* Open a session for account_id: a new random 256-bit id, hex in sid[65] (for the cookie
 * only), its SHA-256 stored with an expiry; expired sessions are purged on the way.
 * OBS_ERR_DB, OBS_ERR_INTERNAL (random generator). */
obs_status web_session_open(PGconn *c, long long account_id, char sid[65], obs_err *e);

/* Delete the session whose id hashes to session_hash (hex). */
obs_status web_session_close(PGconn *c, const char *session_hash, obs_err *e);

/* Delete the session whose id the request's cookie presents (OBS_SESSION_COOKIE), live or
 * not; nothing when there is none or it is not one of ours. A login replaces the session the
 * browser had: the old id stops working at once. */
obs_status web_session_close_presented(PGconn *c, obs_request *rq, obs_err *e);

/* 1 when the client reached us over TLS: ISCGOBS_TLS=1, or X-Forwarded-Proto: https from
 * the reverse proxy (docs/html.md). Cookies are then marked Secure. */
int web_request_tls(obs_request *rq);

/* Add a Set-Cookie header: name=value; Path=path; HttpOnly; SameSite=Strict; Max-Age
 * (0 deletes); Secure over TLS. name, value and path are ours (no data). */
void web_cookie_set(obs_request *rq, obs_response *rs, const char *name, const char *value,
                    const char *path, long max_age);

/* One audit_log entry (best effort: the answer stands when it fails). account_id 0 and
 * actor NULL for an unknown caller; detail is a JSON object or NULL. Never a token. */
void web_audit(PGconn *c, long long account_id, const char *actor, const char *action,
               const char *target, const char *outcome, const char *detail);

/* Check the CSRF token of a submitted form on an unsafe request and promote the session
 * (obs_http_csrf_confirm). Returns 1 when the request may go on; 0 when rs holds the answer:
 * a 403 page for a missing or wrong token (the session cookie alone never suffices), or,
 * when no session at all came with the form (none, expired, or logged out), a 303 to the
 * login page saying so (web_redirect_login with expired 1). */
int web_csrf_require(obs_request *rq, obs_response *rs, const char *token);

/* ---- passwords (web_password.c) ---- */

/* Hash a password with scrypt (OpenSSL EVP_KDF "SCRYPT", N = 2^15, r = 8, p = 1, 16-byte
 * random salt, 32-byte key) as a PHC string "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" (base64
 * without padding) into out (cap >= 128). OBS_ERR_INPUT for an empty or too long password
 * (over 1024 bytes), OBS_ERR_INTERNAL when OpenSSL fails. */
obs_status web_password_hash(const char *password, char *out, size_t cap, obs_err *e);

/* 1 when password matches the PHC string phc (constant-time comparison), 0 otherwise
 * (including a malformed string or parameters out of the accepted range). */
int web_password_verify(const char *password, const char *phc);

/* Spend the time of one verification without any account (no account enumeration by
 * timing). */
void web_password_dummy(const char *password);

/* Bound the password checks running at once (ISCGOBS_SCRYPT_MAX; each takes 32 MiB): OBS_OK
 * when this one may run (then call web_password_gate_leave after it), OBS_ERR_NOMEM with
 * E_BUSY (503 + Retry-After) when the bound is reached. */
obs_status web_password_gate_enter(obs_err *e);
void web_password_gate_leave(void);

/* `iscgobs user passwd --name N` (the password is read from standard input) and the
 * `--password-stdin` option of `user add`: set the password of the one enabled account
 * called name. Returns the process exit status. */
int web_cmd_user_passwd(int argc, char **argv);

/* Read one line (a password) from standard input into out (cap bytes), without the line
 * break. OBS_ERR_INPUT when empty or longer than cap - 1. */
obs_status web_password_read_stdin(char *out, size_t cap, obs_err *e);

/* Set the password of the one enabled account named name (OBS_ERR_NOT_FOUND: none;
 * OBS_ERR_CONFLICT: several, give them distinct names); audit-logged. */
obs_status web_password_set(PGconn *c, const char *name, const char *password, obs_err *e);

/* ---- routes (web_routes.c) ---- */

/* The login, logout and post's page routes. */
extern const obs_route web_routes[];
extern const size_t web_routes_count;

#endif
