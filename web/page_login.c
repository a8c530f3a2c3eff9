/* page_login.c: GET and POST /connexion (the login form: an account's token, or its name
 * and the password an administrator set, exchanged for a session cookie) and POST
 * /deconnexion. The login form is protected by a double-submit cookie (no session exists
 * yet); failures answer one generic French message whatever went wrong, and take the time of
 * a password check even when no account matched (no account enumeration). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "log.h"
#include "ratelimit.h"
#include "web.h"
#include "web_form.h"
#include "web_routes.h"

static const char SQL_BY_TOKEN[] =
    "SELECT id, name, role, encode(token_hash, 'hex') FROM account"
    " WHERE token_hash = decode($1, 'hex') AND disabled_at IS NULL";

static const char SQL_BY_NAME[] =
    "SELECT id, name, role, password_hash FROM account"
    " WHERE name = $1 AND disabled_at IS NULL AND password_hash IS NOT NULL";

static const char GENERIC_FAILURE[] =
    "Connexion refusée : l'identifiant, le mot de passe ou le jeton d'accès est incorrect, ou le "
    "compte est désactivé.";

/* The login form, with a fresh double-submit token set as a cookie. message (text) may be
 * NULL. */
static void login_form(obs_request *rq, obs_response *rs, int status, const char *message)
{
    uint8_t raw[32];
    char tok[65];
    if (obs_random(raw, sizeof raw)) {
        exp_page_error(rq, rs, 503, "Service momentanément indisponible.");
        return;
    }
    obs_hex(raw, sizeof raw, tok);
    obs_buf b;
    obs_buf_init(&b, 65536);
    exp_html h;
    exp_html_init(&h, &b);
    if (message) {
        exp_html_raw(&h, "<div class=\"alerte\" role=\"alert\"><p>");
        exp_html_text(&h, message);
        exp_html_raw(&h, "</p></div>");
    }
    exp_html_raw(&h,
                 "<p class=\"chapeau\">L'espace des postes sert à déposer les grilles mensuelles "
                 "et à suivre ses envois. Les rapports publics se consultent sans connexion.</p>"
                 "<form class=\"bloc\" method=\"post\" action=\"/connexion\">"
                 "<input type=\"hidden\" name=\"csrf\"");
    exp_html_attr(&h, "value", tok);
    exp_html_raw(&h,
                 "/><label for=\"identifiant\">Identifiant (nom du compte)</label>"
                 "<input id=\"identifiant\" name=\"identifiant\" type=\"text\" "
                 "autocomplete=\"username\"/>"
                 "<label for=\"secret\">Mot de passe, ou jeton d'accès (identifiant alors "
                 "vide)</label>"
                 "<input id=\"secret\" name=\"secret\" type=\"password\" "
                 "autocomplete=\"current-password\" required=\"required\"/>"
                 "<button type=\"submit\">Se connecter</button></form>");
    exp_page_send(rq, rs, status, "Connexion", &b, h.rc);
    obs_buf_free(&b);
    if (rs->status == status)
        web_cookie_set(rq, rs, WEB_LOGIN_CSRF_COOKIE, tok, "/connexion", 3600);
    obs_wipe(tok, sizeof tok);
}

static void login_get(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        exp_page_fail(rq, rs, &e);
        return;
    }
    if (rq->who.session) {
        obs_buf b;
        obs_buf_init(&b, 65536);
        exp_html h;
        exp_html_init(&h, &b);
        exp_html_raw(&h, "<p class=\"info\">Vous êtes connecté en tant que <strong>");
        exp_html_text(&h, rq->who.name);
        exp_html_raw(&h, "</strong>.</p>");
        if (rq->who.role == OBS_ROLE_POST)
            exp_html_raw(&h, "<p><a href=\"/poste\">Aller à l'espace du poste</a></p>");
        exp_page_send(rq, rs, 200, "Connexion", &b, h.rc);
        obs_buf_free(&b);
        return;
    }
    const char *why = obs_http_query(rq, WEB_LOGIN_EXPIRED_PARAM);
    login_form(rq, rs, 200,
               why && strcmp(why, WEB_LOGIN_EXPIRED_VALUE) == 0
                   ? "Votre session a expiré ou vous n'êtes pas connecté : connectez-vous, puis "
                     "envoyez à nouveau le formulaire."
                   : NULL);
}

/* Find the account of the credentials. Returns OBS_OK with *id = 0 when they do not match;
 * fills name and role otherwise. */
static obs_status check_credentials(PGconn *c, const char *ident, const char *secret,
                                    long long *id, char name[128], char role[16], obs_err *e)
{
    *id = 0;
    PGresult *r = NULL;
    obs_status rc;
    if (ident == NULL || ident[0] == '\0') {
        /* A token: found by its hash, the hash compared again in constant time. */
        uint8_t hash[32];
        char hex[65];
        obs_sha256(secret, strlen(secret), hash);
        obs_hex(hash, sizeof hash, hex);
        rc = obs_db_exec_prepared(c, SQL_BY_TOKEN, 1, (const char *[]){hex}, &r, e);
        if (rc)
            return rc;
        if (PQntuples(r) == 1 && PQgetlength(r, 0, 3) == 64 &&
            obs_ct_equal(PQgetvalue(r, 0, 3), hex, 64))
            *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    } else {
        rc = obs_db_exec_prepared(c, SQL_BY_NAME, 1, (const char *[]){ident}, &r, e);
        if (rc == OBS_OK)
            rc = web_password_gate_enter(e); /* scrypt's memory, bounded */
        if (rc) {
            PQclear(r);
            return rc;
        }
        if (PQntuples(r) == 1) {
            if (web_password_verify(secret, PQgetvalue(r, 0, 3)))
                *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        } else {
            web_password_dummy(secret); /* the same time whether the account exists or not */
        }
        web_password_gate_leave();
    }
    if (*id) {
        snprintf(name, 128, "%s", PQgetvalue(r, 0, 1));
        snprintf(role, 16, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return OBS_OK;
}

/* The page of a login that could not be checked: 429 (too many failures) or 503 (database,
 * or too many password checks at once), both with Retry-After. */
static void login_refused(obs_request *rq, obs_response *rs, const obs_err *e)
{
    exp_page_fail(rq, rs, e);
    if (e->status == OBS_ERR_RATE) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", obs_rl_retry_after());
        obs_http_add_header(rs, "Retry-After", ra);
    } /* (a 503 page carries its Retry-After: exp_page_error) */
}

static void login_post(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    web_form form;
    if (web_form_parse(obs_http_header(rq, "Content-Type"), rq->body.data, rq->body.len, &form,
                       &e)) {
        web_form_free(&form);
        login_form(rq, rs, 400, "Formulaire de connexion illisible : recommencez.");
        return;
    }
    const char *csrf = web_form_get(&form, "csrf");
    const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND,
                                                     WEB_LOGIN_CSRF_COOKIE);
    if (csrf == NULL || cookie == NULL || strlen(csrf) != 64 || strlen(cookie) != 64 ||
        !obs_ct_equal(csrf, cookie, 64)) {
        web_form_free(&form);
        login_form(rq, rs, 403, "Formulaire expiré ou jeton de sécurité (CSRF) invalide : "
                                "recommencez la connexion.");
        return;
    }
    const char *ident = web_form_get(&form, "identifiant");
    const char *secret = web_form_get(&form, "secret");
    /* Failed logins are limited per address and per account (common/ratelimit.c). */
    char addr[64];
    obs_rl_client_addr(rq->conn, addr);
    if (obs_rl_check(OBS_RL_ADDR, addr, NULL, &e) ||
        obs_rl_check(OBS_RL_ACCOUNT, ident, NULL, &e)) {
        web_form_free(&form);
        login_refused(rq, rs, &e);
        return;
    }
    PGconn *c = obs_db_conn(&e);
    long long id = 0;
    char name[128] = "", role[16] = "";
    if (c == NULL ||
        (secret && secret[0] && check_credentials(c, ident, secret, &id, name, role, &e))) {
        web_form_free(&form);
        login_refused(rq, rs, &e);
        return;
    }
    if (id == 0) {
        obs_rl_fail(OBS_RL_ADDR, addr);
        obs_rl_fail(OBS_RL_ACCOUNT, ident);
    } else {
        obs_rl_success(OBS_RL_ACCOUNT, ident);
    }
    web_form_free(&form); /* wipes the secret */
    obs_wipe(rq->body.data, rq->body.len);
    if (id == 0) {
        web_audit(c, 0, NULL, "web.login", NULL, "rejected", NULL);
        obs_log(OBS_LOG_INFO, "web.login", "outcome=rejected");
        login_form(rq, rs, 401, GENERIC_FAILURE);
        return;
    }
    char sid[65];
    if (web_session_close_presented(c, rq, &e) || web_session_open(c, id, sid, &e)) {
        exp_page_fail(rq, rs, &e);
        return;
    }
    web_audit(c, id, name, "web.login", name, "ok", NULL);
    obs_log(OBS_LOG_INFO, "web.login", "outcome=ok account=%lld", id);
    /* A post goes to its page, analysts and administrators to the monthly summary. */
    exp_page_ctx ctx;
    exp_page_ctx_live(&ctx, rq);
    char next[48];
    snprintf(next, sizeof next, "/rapports/mensuel/%s", ctx.nav_month);
    obs_http_text(rs, 303, "text/plain; charset=utf-8", "Connexion réussie.\n");
    obs_http_add_header(rs, "Location", strcmp(role, "post") == 0 ? "/poste" : next);
    obs_http_add_header(rs, "Cache-Control", "no-store");
    web_cookie_set(rq, rs, OBS_SESSION_COOKIE, sid, "/", WEB_SESSION_SECONDS);
    web_cookie_set(rq, rs, WEB_LOGIN_CSRF_COOKIE, "", "/connexion", 0);
    obs_wipe(sid, sizeof sid);
}

static void logout_post(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    web_form form;
    if (web_form_parse(obs_http_header(rq, "Content-Type"), rq->body.data, rq->body.len, &form,
                       &e)) {
        web_form_free(&form);
        exp_page_fail(rq, rs, &e);
        return;
    }
    int ok = web_csrf_require(rq, rs, web_form_get(&form, "csrf"));
    web_form_free(&form);
    if (!ok)
        return;
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || (rq->who.session && web_session_close(c, rq->who.session_hash, &e))) {
        exp_page_fail(rq, rs, &e);
        return;
    }
    web_audit(c, rq->who.account_id, rq->who.name, "web.logout", rq->who.name, "ok", NULL);
    obs_log(OBS_LOG_INFO, "web.logout", "account=%lld", rq->who.account_id);
    memset(&rq->who, 0, sizeof rq->who); /* the page below is for an anonymous visitor */
    obs_buf b;
    obs_buf_init(&b, 4096);
    exp_html h;
    exp_html_init(&h, &b);
    exp_html_raw(&h, "<p class=\"succes\">Vous êtes déconnecté.</p>"
                     "<p><a href=\"/connexion\">Se reconnecter</a></p>");
    exp_page_send(rq, rs, 200, "Déconnexion", &b, h.rc);
    obs_buf_free(&b);
    web_cookie_set(rq, rs, OBS_SESSION_COOKIE, "", "/", 0);
}

void web_login_get(obs_request *rq, obs_response *rs)
{
    login_get(rq, rs);
}

void web_login_post(obs_request *rq, obs_response *rs)
{
    login_post(rq, rs);
}

void web_logout_post(obs_request *rq, obs_response *rs)
{
    logout_post(rq, rs);
}
