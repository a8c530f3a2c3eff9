/* web_session.c: web sessions (migrations/004_web_sessions.sql), cookies, the CSRF check of
 * forms and the audit entries of the web pages (see web.h and docs/html.md, "Sessions"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "db.h"
#include "web.h"

static const char SQL_SESSION_PURGE[] = "DELETE FROM web_session WHERE expires_at <= now()";

static const char SQL_SESSION_ADD[] =
    "INSERT INTO web_session (id_hash, account_id, expires_at)"
    " VALUES (decode($1, 'hex'), $2::bigint, now() + make_interval(secs => $3::int))";

static const char SQL_SESSION_DEL[] = "DELETE FROM web_session WHERE id_hash = decode($1, 'hex')";

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    " VALUES ($1::bigint, $2, $3, $4, $5, $6::jsonb)";

obs_status web_session_open(PGconn *c, long long account_id, char sid[65], obs_err *e)
{
    uint8_t raw[32], hash[32];
    char hex[65], account[24], secs[16];
    if (obs_random(raw, sizeof raw))
        return obs_fail(e, OBS_ERR_INTERNAL, "E_RANDOM", "générateur aléatoire indisponible");
    obs_hex(raw, sizeof raw, sid);
    obs_wipe(raw, sizeof raw);
    obs_sha256(sid, 64, hash);
    obs_hex(hash, sizeof hash, hex);
    snprintf(account, sizeof account, "%lld", account_id);
    snprintf(secs, sizeof secs, "%d", WEB_SESSION_SECONDS);
    obs_status rc = obs_db_exec_prepared(c, SQL_SESSION_PURGE, 0, NULL, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec_prepared(c, SQL_SESSION_ADD, 3, (const char *[]){hex, account, secs},
                                  NULL, e);
    if (rc)
        obs_wipe(sid, 65);
    return rc;
}

obs_status web_session_close(PGconn *c, const char *session_hash, obs_err *e)
{
    return obs_db_exec_prepared(c, SQL_SESSION_DEL, 1, (const char *[]){session_hash}, NULL, e);
}

obs_status web_session_close_presented(PGconn *c, obs_request *rq, obs_err *e)
{
    const char *sid = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, OBS_SESSION_COOKIE);
    if (sid == NULL || strlen(sid) != 64 || strspn(sid, "0123456789abcdef") != 64)
        return OBS_OK;
    uint8_t hash[32];
    char hex[65];
    obs_sha256(sid, 64, hash);
    obs_hex(hash, sizeof hash, hex);
    return web_session_close(c, hex, e);
}

int web_request_tls(obs_request *rq)
{
    const char *tls = getenv("ISCGOBS_TLS");
    if (tls && strcmp(tls, "1") == 0)
        return 1;
    const char *proto = obs_http_header(rq, "X-Forwarded-Proto");
    return proto && strcasecmp(proto, "https") == 0;
}

void web_cookie_set(obs_request *rq, obs_response *rs, const char *name, const char *value,
                    const char *path, long max_age)
{
    char v[256];
    snprintf(v, sizeof v, "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name,
             value, path, max_age, web_request_tls(rq) ? "; Secure" : "");
    obs_http_add_header(rs, "Set-Cookie", v);
    obs_wipe(v, sizeof v);
}

void web_audit(PGconn *c, long long account_id, const char *actor, const char *action,
               const char *target, const char *outcome, const char *detail)
{
    char account[24];
    snprintf(account, sizeof account, "%lld", account_id);
    const char *p[] = {account_id ? account : NULL, actor ? actor : "web", action, target,
                       outcome, detail};
    obs_db_exec_prepared(c, SQL_AUDIT, 6, p, NULL, NULL); /* best effort */
}

int web_csrf_require(obs_request *rq, obs_response *rs, const char *token)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        exp_page_fail(rq, rs, &e);
        return 0;
    }
    if (rq->who.role != OBS_ROLE_NONE && !rq->who.session)
        return 1; /* a bearer token: not a browser session, no CSRF to fear */
    if (obs_http_csrf_confirm(rq, token))
        return 1;
    if (!rq->pending.session) {
        web_redirect_login(rs, 1); /* no session came with the form: log in again */
        return 0;
    }
    exp_page_error(rq, rs, 403, "Formulaire refusé : le jeton de sécurité (CSRF) est absent ou "
                                "invalide. Rechargez la page et recommencez.");
    return 0;
}

void web_redirect_login(obs_response *rs, int expired)
{
    obs_http_text(rs, 303, "text/plain; charset=utf-8", "Connexion requise.\n");
    obs_http_add_header(rs, "Location",
                        expired ? "/connexion?" WEB_LOGIN_EXPIRED_PARAM "=" WEB_LOGIN_EXPIRED_VALUE
                                : "/connexion");
    obs_http_add_header(rs, "Cache-Control", "no-store");
}
