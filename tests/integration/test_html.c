/* test_html.c: the web pages end to end over plain HTTP, against the real server and a demo
 * year: every page is well-formed XHTML-compatible HTML without external resource; every
 * figure of the public reports equals the published protected value of /api/v1/indicators;
 * withheld cells show "secret statistique" and their true value (read from the unprotected
 * indicator table) is nowhere at their place; login, sessions and CSRF; the post's page and
 * its upload form; escaping of a post name and a validation message; `export html`.
 * The same pages in a real browser: test_browser.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "web_client.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_post[80], tok_evil[80];
static char demo_dir[800], post[16];
static int year;
static char month[16], upload_month[16];

#define EVIL_POST "ISCG-093-99"
#define EVIL_NAME "Poste <script>alert('x')</script> & co"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int setup(void **state)
{
    (void)state;
    /* k = 30 (configurable, ISCGOBS_SDC_K) so that a 40-post demo has withheld national
     * cells: the month's rare problems. Inherited by the server and every CLI run. */
    setenv("ISCGOBS_SDC_K", "30", 1);
    it_setup(&S, "it_html");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    snprintf(month, sizeof month, "%04d-06", year % 10000);
    /* The current month: begun, not locked, and an upload now is on time. */
    snprintf(upload_month, sizeof upload_month, "%04d-%02d", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100);
    demo_load(&S, tok_admin, 40, year, demo_dir, sizeof demo_dir);
    demo_open_post(demo_dir, post);
    assert_true(post[0] != '\0');
    it_user_add(&S, "post", post, tok_post);
    const char *args[] = {"post", "add", EVIL_POST, "--name", EVIL_NAME, "--dep", "93",
                          "--force", "PN", "--opened", "2020-01", NULL};
    assert_int_equal(it_cli(&S, NULL, 0, args), 0);
    it_user_add(&S, "post", EVIL_POST, tok_evil);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* ---- login helpers ---- */

/* Log in with a token (ident NULL) or a name and password, the browser presenting the
 * session cookie old ("iscgobs_session=...", NULL: none) with the form; returns the new
 * session cookie in cookie (cap bytes) and the session's CSRF token into csrf[65]. */
static void login_over(const char *old, const char *ident, const char *secret, char *cookie,
                       size_t cap, char csrf[65])
{
    web_resp r;
    web(&S, "GET", "/connexion", NULL, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    char form_csrf[65], ck[80], body[600], jar[200];
    web_csrf(r.body, form_csrf);
    assert_true(web_cookie(&r, "iscgobs_login_csrf", ck, sizeof ck, NULL, 0));
    assert_string_equal(ck, form_csrf);
    web_free(&r);
    snprintf(jar, sizeof jar, "iscgobs_login_csrf=%s%s%s", ck, old ? "; " : "", old ? old : "");
    snprintf(body, sizeof body, "csrf=%s&identifiant=%s&secret=%s", form_csrf,
             ident ? ident : "", secret);
    web(&S, "POST", "/connexion", jar, "application/x-www-form-urlencoded", body, strlen(body),
        NULL, &r);
    assert_int_equal(r.status, 303);
    char sid[80], full[400];
    assert_true(web_cookie(&r, "iscgobs_session", sid, sizeof sid, full, sizeof full));
    assert_int_equal(strlen(sid), 64);
    assert_non_null(strstr(full, "HttpOnly"));
    assert_non_null(strstr(full, "SameSite=Strict"));
    assert_non_null(strstr(full, "Path=/"));
    assert_null(strstr(full, "Secure")); /* plain HTTP without a proxy */
    web_free(&r);
    snprintf(cookie, cap, "iscgobs_session=%s", sid);
    web(&S, "GET", "/connexion", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    web_csrf(r.body, csrf); /* the logout form of the navigation */
    assert_int_equal(strlen(csrf), 64);
    web_free(&r);
}

/* Log in without any previous session. */
static void login(const char *ident, const char *secret, char *cookie, size_t cap, char csrf[65])
{
    login_over(NULL, ident, secret, cookie, cap, csrf);
}

/* Submit the upload form as a browser would (csrf: the hidden field's value). */
static void upload_form(const char *cookie, const char *csrf, const char *period,
                        const char *content, web_resp *r)
{
    size_t cap = strlen(content) + 2000;
    char *mp = malloc(cap);
    const char *bd = "----itboundary7";
    int n = snprintf(mp, cap,
                     "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"mois\"\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"grille\"; "
                     "filename=\"grille.csv\"\r\nContent-Type: text/csv\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\ndeposer\r\n"
                     "--%s--\r\n",
                     bd, csrf, bd, period, bd, content, bd, bd);
    char ctype[100];
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", bd);
    web(&S, "POST", "/poste/depot", cookie, ctype, mp, (size_t)n, NULL, r);
    free(mp);
}

/* ---- pages are valid and self-contained ---- */

static void test_pages_valid(void **state)
{
    (void)state;
    char cookie[120], csrf[65], an_cookie[120], an_csrf[65], path[64];
    login(NULL, tok_post, cookie, sizeof cookie, csrf);
    login(NULL, tok_analyst, an_cookie, sizeof an_cookie, an_csrf);
    struct {
        const char *path;
        const char *cookie;
    } pages[] = {{NULL, NULL}, {NULL, NULL}, {NULL, an_cookie}, {"/connexion", NULL},
                 {"/poste", cookie}, {"/rapports/national/1999", NULL}};
    char p0[64], p1[64];
    snprintf(p0, sizeof p0, "/rapports/national/%d", year);
    snprintf(p1, sizeof p1, "/rapports/mensuel/%s", month);
    pages[0].path = p0;
    pages[1].path = p1;
    pages[2].path = p1;
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        web_resp r;
        snprintf(path, sizeof path, "%s", pages[i].path ? pages[i].path : "/connexion");
        web(&S, "GET", path, pages[i].cookie, NULL, NULL, 0, NULL, &r);
        if (i < 5)
            assert_int_equal(r.status, 200);
        else
            assert_int_equal(r.status, 404);
        assert_int_equal(page_check(path, r.body, r.len), 0);
        assert_non_null(strstr(r.csp, "default-src 'none'"));
        assert_non_null(strstr(r.body, "lang=\"fr\""));
        if (i < 3)
            assert_non_null(strstr(r.body, "seuil k = 30"));
        web_free(&r);
    }
    /* The analysts' monthly page has the per-post parts; the public one does not. */
    web_resp pub, an;
    web(&S, "GET", p1, NULL, NULL, NULL, 0, NULL, &pub);
    web(&S, "GET", p1, an_cookie, NULL, NULL, 0, NULL, &an);
    assert_null(strstr(pub.body, "postes-retard"));
    assert_null(strstr(pub.body, "ISCG-"));
    assert_non_null(strstr(an.body, "postes-retard"));
    assert_non_null(strstr(an.body, "postes-atypiques"));
    web_free(&pub);
    web_free(&an);
}

/* The checker itself finds what it is there to find. */
static void test_page_checker(void **state)
{
    (void)state;
    static const char good[] =
        "<!DOCTYPE html><html><body><form><label for=\"a\">A</label><input id=\"a\"/>"
        "<label for=\"b\">B</label><select id=\"b\"><option>x</option></select></form>"
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><title id=\"t\">t</title></svg></body></html>";
    static const char dup_id[] =
        "<!DOCTYPE html><html><body><section id=\"mois\"><label for=\"mois\">M</label>"
        "<select id=\"mois\"><option>x</option></select></section></body></html>";
    static const char bad_labels[] =
        "<!DOCTYPE html><html><body><form><label for=\"absent\">A</label>"
        "<label for=\"s\">B</label><input type=\"hidden\" id=\"h\"/><label for=\"h\">C"
        "</label></form><p id=\"s\">pas un champ</p></body></html>";
    assert_int_equal(page_check("good", good, strlen(good)), 0);
    /* The id twice, and the label then names the first element with it: the section. */
    assert_int_equal(page_check("dup_id", dup_id, strlen(dup_id)), 2);
    assert_int_equal(page_check("bad_labels", bad_labels, strlen(bad_labels)), 3);
}

/* ---- the figures are the published ones ---- */

typedef struct api_map {
    json_t *cells; /* key -> API cell */
    size_t checked, secret, na;
    PGconn *db;
    int bad;
} api_map;

static void load_api(api_map *m, const char *query)
{
    it_resp r;
    it_http(&S, "GET", query, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_error_t err;
    json_t *j = json_loads(r.body, 0, &err);
    assert_non_null(j);
    json_t *cells = json_object_get(j, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        char key[256];
        api_key(json_array_get(cells, i), key, sizeof key);
        json_object_set(m->cells, key, json_array_get(cells, i));
    }
    json_decref(j);
    it_resp_free(&r);
}

/* The true (unprotected) value of a cell, formatted as a page would print it. */
static int true_value(PGconn *db, const char *key, char *out, size_t cap)
{
    char k[256], *f[10];
    snprintf(k, sizeof k, "%s", key);
    int n = 0;
    for (char *p = k; n < 10 && p; n++) {
        f[n] = p;
        p = strchr(p, '.');
        if (p)
            *p++ = '\0';
    }
    if (n != 10)
        return 0;
    const char *params[10] = {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]};
    PGresult *r = PQexecParams(db,
                               "SELECT value, left(mesure, 5) IN ('PART_', 'TAUX_') FROM indicator"
                               " WHERE mesure = $1 AND area = $2 AND period = $3 AND sexe = $4"
                               " AND age = $5 AND statut = $6 AND origine = $7"
                               " AND problematique = $8 AND partenaire = $9 AND mode = $10",
                               10, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
    if (ok) {
        double v = strtod(PQgetvalue(r, 0, 0), NULL);
        if (PQgetvalue(r, 0, 1)[0] == 't') {
            snprintf(out, cap, "%.1f", v); /* "3.2" -> printed "3,2 %" */
            char *dot = strchr(out, '.');
            if (dot)
                *dot = ',';
        } else {
            snprintf(out, cap, "%.0f", v);
        }
    }
    PQclear(r);
    return ok;
}

static void check_cell(void *ctx, const char *key, const char *value, const char *cls,
                       const char *text)
{
    api_map *m = ctx;
    json_t *c = json_object_get(m->cells, key);
    m->checked++;
    if (c == NULL) { /* absent from the publication: must say so */
        if (strcmp(cls, "na") != 0 || value != NULL) {
            fprintf(stderr, "cell %s: not published but shown as %s\n", key, text);
            m->bad++;
        }
        m->na++;
        return;
    }
    char want[40];
    api_value(c, want, sizeof want);
    const char *conf = json_string_value(json_object_get(c, "conf_status"));
    if (strcmp(conf, "F") != 0) {
        /* Withheld: the text says so, no data-value, and the true value is not there. */
        char truth[40];
        m->secret++;
        if (strcmp(cls, "secret") != 0 || strcmp(text, "secret statistique") != 0 ||
            value != NULL) {
            fprintf(stderr, "cell %s: withheld but shown as %s (%s)\n", key, text, cls);
            m->bad++;
        }
        if (true_value(m->db, key, truth, sizeof truth) && strstr(text, truth)) {
            fprintf(stderr, "cell %s: true value %s visible\n", key, truth);
            m->bad++;
        }
        return;
    }
    if (want[0] == '\0') {
        if (strcmp(cls, "na") != 0) {
            fprintf(stderr, "cell %s: no observation shown as %s\n", key, text);
            m->bad++;
        }
        m->na++;
        return;
    }
    if (value == NULL || strcmp(value, want) != 0 || strcmp(cls, "v") != 0) {
        fprintf(stderr, "cell %s: page %s, API %s\n", key, value ? value : "(none)", want);
        m->bad++;
    }
}

/* Every figure of both public reports (and of the static exports) is the published value;
 * every withheld cell is "secret statistique" with no value anywhere in the page source. */
static void test_figures_are_published_values(void **state)
{
    (void)state;
    api_map m = {.cells = json_object(), .db = it_db(&S)};
    char q[1024], periods[400];
    size_t k = (size_t)snprintf(periods, sizeof periods, "%d", year);
    for (int i = 1; i <= 12; i++)
        k += (size_t)snprintf(periods + k, sizeof periods - k, ",%d-%02d", year, i);
    snprintf(q, sizeof q, "/api/v1/indicators?area=FR&period=%s", periods);
    load_api(&m, q);
    snprintf(q, sizeof q,
             "/api/v1/indicators?period=%d&sexe=_T&age=_T&statut=_T&origine=_T&problematique=_T"
             "&partenaire=_T&mode=_T&mesure=NB_PERSONNES,NB_CONTACTS,PART_INCONNUS_SS,"
             "TAUX_COMPLETUDE",
             year);
    load_api(&m, q);
    snprintf(q, sizeof q, "/api/v1/indicators?area=FR&period=%d-%02d", year - 1, 12);
    load_api(&m, q); /* the monthly trend of June reaches back into the previous year */

    char dir[700], file[900];
    snprintf(dir, sizeof dir, "%s/export", S.dir);
    char yp[8];
    snprintf(yp, sizeof yp, "%d", year);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"export", "html", "--period", yp, "--out", dir,
                                                  NULL}),
                     0);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"export", "html", "--period", month, "--out",
                                                  dir, NULL}),
                     0);
    const char *paths[4];
    char p0[64], p1[64], f0[900], f1[900];
    snprintf(p0, sizeof p0, "/rapports/national/%d", year);
    snprintf(p1, sizeof p1, "/rapports/mensuel/%s", month);
    snprintf(f0, sizeof f0, "%s/etat-des-lieux-national-%d.html", dir, year);
    snprintf(f1, sizeof f1, "%s/synthese-mensuelle-%s.html", dir, month);
    paths[0] = p0;
    paths[1] = p1;
    paths[2] = f0;
    paths[3] = f1;
    size_t secrets[4] = {0}, cells[4] = {0};
    for (int i = 0; i < 4; i++) {
        size_t len;
        char *page;
        web_resp r = {0};
        if (i < 2) {
            web(&S, "GET", paths[i], NULL, NULL, NULL, 0, NULL, &r);
            assert_int_equal(r.status, 200);
            page = r.body;
            len = r.len;
            assert_int_equal(page_check(paths[i], page, len), 0);
        } else {
            page = it_read_file(paths[i], &len);
            assert_int_equal(page_check(paths[i], page, len), 0);
        }
        size_t before = m.secret;
        cells[i] = page_cells(page, len, check_cell, &m);
        secrets[i] = m.secret - before;
        assert_true(cells[i] > 50);
        /* The source holds no data-value next to a withheld mark. */
        for (const char *p = page; (p = strstr(p, "class=\"secret\"")) != NULL; p++) {
            const char *end = strchr(p, '>');
            assert_non_null(end);
            char tag[400];
            snprintf(tag, sizeof tag, "%.*s", (int)(end - p), p);
            assert_null(strstr(tag, "data-value"));
        }
        if (i < 2)
            web_free(&r);
        else
            free(page);
    }
    fprintf(stderr, "checked %zu cells: %zu withheld, %zu without observation\n", m.checked,
            m.secret, m.na);
    assert_int_equal(m.bad, 0);
    assert_true(secrets[1] > 0); /* the month's rare problems are withheld at k = 30 */
    /* The static files carry exactly the live pages' cells and protection. */
    assert_int_equal(cells[2], cells[0]);
    assert_int_equal(cells[3], cells[1]);
    assert_int_equal(secrets[2], secrets[0]);
    assert_int_equal(secrets[3], secrets[1]);
    (void)file;
    json_decref(m.cells);
    PQfinish(m.db);
}

/* ---- login, sessions, CSRF ---- */

static long sql(const char *q)
{
    PGconn *c = it_db(&S);
    long v = it_sql_long(c, q);
    PQfinish(c);
    return v;
}

static void test_login_sessions_csrf(void **state)
{
    (void)state;
    web_resp r;
    /* The login form refuses a post without its double-submit token. */
    const char *body = "identifiant=&secret=0000";
    web(&S, "POST", "/connexion", NULL, "application/x-www-form-urlencoded", body, strlen(body),
        NULL, &r);
    assert_int_equal(r.status, 403);
    assert_int_equal(page_check("login 403", r.body, r.len), 0);
    web_free(&r);

    /* A wrong token, a wrong password and an unknown account: one generic answer. */
    web(&S, "GET", "/connexion", NULL, NULL, NULL, 0, NULL, &r);
    char csrf[65], ck[80], jar[200], form[400];
    web_csrf(r.body, csrf);
    web_cookie(&r, "iscgobs_login_csrf", ck, sizeof ck, NULL, 0);
    web_free(&r);
    snprintf(jar, sizeof jar, "iscgobs_login_csrf=%s", ck);
    assert_int_equal(cli_stdin(&S, "motdepasse-du-poste-42\n",
                               (const char *const[]){"user", "passwd", "--name", "analyst", NULL}),
                     0);
    const char *tries[][2] = {{"", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
                              {"analyst", "mauvais"},
                              {"personne", "motdepasse-du-poste-42"}};
    char first[4096] = "";
    for (size_t i = 0; i < 3; i++) {
        snprintf(form, sizeof form, "csrf=%s&identifiant=%s&secret=%s", csrf, tries[i][0],
                 tries[i][1]);
        web(&S, "POST", "/connexion", jar, "application/x-www-form-urlencoded", form,
            strlen(form), NULL, &r);
        assert_int_equal(r.status, 401);
        assert_int_equal(r.ncookies, 1); /* a new login token only, no session */
        const char *msg = strstr(r.body, "Connexion refusée");
        assert_non_null(msg);
        char this_msg[4096];
        snprintf(this_msg, sizeof this_msg, "%.*s", (int)strcspn(msg, "<"), msg);
        if (i == 0)
            snprintf(first, sizeof first, "%s", this_msg);
        assert_string_equal(this_msg, first);
        web_free(&r);
    }
    /* The password set by `user passwd` logs in. */
    char cookie[120], scsrf[65];
    login("analyst", "motdepasse-du-poste-42", cookie, sizeof cookie, scsrf);
    web(&S, "GET", "/connexion", cookie, NULL, NULL, 0, NULL, &r);
    assert_non_null(strstr(r.body, "Vous êtes connecté"));
    web_free(&r);
    /* A new password ends the account's sessions (and the old password stops working). */
    assert_int_equal(cli_stdin(&S, "un-autre-mot-de-passe-7\n",
                               (const char *const[]){"user", "passwd", "--name", "analyst", NULL}),
                     0);
    web(&S, "GET", "/connexion", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "Vous êtes connecté"));
    assert_non_null(strstr(r.body, "name=\"secret\"")); /* the login form again */
    web_free(&r);
    assert_int_equal(sql("SELECT count(*) FROM web_session s JOIN account a ON a.id = s.account_id"
                         " WHERE a.name = 'analyst'"),
                     0);
    assert_true(sql("SELECT (detail->>'sessions_closed')::int FROM audit_log"
                    " WHERE action = 'account.password' ORDER BY id DESC LIMIT 1") >= 1);
    login("analyst", "un-autre-mot-de-passe-7", cookie, sizeof cookie, scsrf);

    /* Logging in again from a browser that has a live session replaces that session. */
    char old_cookie[120], old_csrf[65];
    login(NULL, tok_post, old_cookie, sizeof old_cookie, old_csrf);
    char pcookie[120], pcsrf[65];
    login_over(old_cookie, NULL, tok_post, pcookie, sizeof pcookie, pcsrf);
    assert_string_not_equal(pcookie, old_cookie);
    web(&S, "GET", "/poste", old_cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 303); /* the old session is gone */
    web_free(&r);

    /* The post's account by token; its session reaches /poste. */
    web(&S, "GET", "/poste", pcookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, post));
    web_free(&r);

    /* A form post with the cookie but without (or with a wrong) CSRF token is refused and
     * stores nothing. */
    long before = sql("SELECT count(*) FROM upload");
    char mp[2000];
    const char *bd = "----itboundary";
    int n = snprintf(mp, sizeof mp,
                     "--%s\r\nContent-Disposition: form-data; name=\"mois\"\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"grille\"; "
                     "filename=\"g.csv\"\r\nContent-Type: text/csv\r\n\r\n" HEADER
                     "%s-01;A-1;1980;F;93200;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\r\n"
                     "--%s--\r\n",
                     bd, upload_month, bd, upload_month, bd);
    char ctype[100];
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", bd);
    web(&S, "POST", "/poste/depot", pcookie, ctype, mp, (size_t)n, NULL, &r);
    assert_int_equal(r.status, 403);
    web_free(&r);
    /* A well-formed token of another session, of the same account or of another one, is
     * refused on upload and logout just the same: the token is bound to its session. */
    char other_cookie[120], other_csrf[65];
    login(NULL, tok_post, other_cookie, sizeof other_cookie, other_csrf);
    const char *foreign[] = {other_csrf, scsrf};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(strlen(foreign[i]), 64);
        assert_string_not_equal(foreign[i], pcsrf);
        char g[600];
        snprintf(g, sizeof g,
                 HEADER "%s-01;C-1;1980;F;93200;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                 upload_month);
        upload_form(pcookie, foreign[i], upload_month, g, &r);
        assert_int_equal(r.status, 403);
        assert_int_equal(page_check("upload 403", r.body, r.len), 0);
        assert_non_null(strstr(r.body, "CSRF"));
        web_free(&r);
        snprintf(g, sizeof g, "csrf=%s", foreign[i]);
        web(&S, "POST", "/deconnexion", pcookie, "application/x-www-form-urlencoded", g,
            strlen(g), NULL, &r);
        assert_int_equal(r.status, 403);
        web_free(&r);
    }
    web(&S, "GET", "/poste", pcookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200); /* the refused logouts did not end the session */
    web_free(&r);
    /* ... and a bearer-less API call with only the cookie cannot write either. */
    char path[80];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, upload_month);
    web(&S, "PUT", path, pcookie, "text/csv", HEADER, strlen(HEADER), NULL, &r);
    assert_int_equal(r.status, 401);
    web_free(&r);
    assert_int_equal(sql("SELECT count(*) FROM upload"), before);

    /* Logout needs the token too, then the session is gone. */
    web(&S, "POST", "/deconnexion", pcookie, "application/x-www-form-urlencoded", "csrf=x", 6,
        NULL, &r);
    assert_int_equal(r.status, 403);
    web_free(&r);
    snprintf(form, sizeof form, "csrf=%s", pcsrf);
    web(&S, "POST", "/deconnexion", pcookie, "application/x-www-form-urlencoded", form,
        strlen(form), NULL, &r);
    assert_int_equal(r.status, 200);
    web_free(&r);
    web(&S, "GET", "/poste", pcookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 303);
    assert_string_equal(r.location, "/connexion");
    web_free(&r);

    /* A form sent without any live session (logged out, unknown, or none): to the login page,
     * which says why (web.h, exp_csrf_require). */
    const char *stale[] = {pcookie, "iscgobs_session=" "0123456789abcdef0123456789abcdef"
                                    "0123456789abcdef0123456789abcdef", NULL};
    for (size_t i = 0; i < 3; i++) {
        web(&S, "POST", "/poste/depot", stale[i], ctype, mp, (size_t)n, NULL, &r);
        assert_int_equal(r.status, 303);
        assert_string_equal(r.location, "/connexion?session=expiree");
        web_free(&r);
        web(&S, "POST", "/deconnexion", stale[i], "application/x-www-form-urlencoded", form,
            strlen(form), NULL, &r);
        assert_int_equal(r.status, 303);
        assert_string_equal(r.location, "/connexion?session=expiree");
        web_free(&r);
    }
    web(&S, "GET", "/connexion?session=expiree", NULL, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_check("login after expiry", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "Votre session a expiré"));
    web_free(&r);
    assert_int_equal(sql("SELECT count(*) FROM upload"), before);

    /* Behind a TLS proxy the cookie is Secure. */
    web(&S, "GET", "/connexion", NULL, NULL, NULL, 0, "X-Forwarded-Proto: https", &r);
    char full[400];
    assert_true(web_cookie(&r, "iscgobs_login_csrf", ck, sizeof ck, full, sizeof full));
    assert_non_null(strstr(full, "; Secure"));
    web_free(&r);

    /* Audit: logins (accepted and refused) and logouts, never a token. */
    assert_true(sql("SELECT count(*) FROM audit_log WHERE action = 'web.login' AND outcome = 'ok'") >= 2);
    assert_true(sql("SELECT count(*) FROM audit_log WHERE action = 'web.login'"
                    " AND outcome = 'rejected'") >= 3);
    assert_true(sql("SELECT count(*) FROM audit_log WHERE action = 'web.logout'") >= 1);
    char q[400];
    snprintf(q, sizeof q, "SELECT count(*) FROM audit_log WHERE concat(actor, target, detail)"
                          " LIKE '%%%.20s%%'", tok_post);
    assert_int_equal(sql(q), 0);
    assert_int_equal(sql("SELECT count(*) FROM web_session WHERE length(id_hash) <> 32"), 0);
}

/* ---- the post's page and its form ---- */

static void test_post_page_upload(void **state)
{
    (void)state;
    char cookie[120], csrf[65], grid[1200];
    login(NULL, tok_post, cookie, sizeof cookie, csrf);
    snprintf(grid, sizeof grid,
             HEADER "%s-01;Dupont Marie;12/05/1988;F;93500;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;"
                    "AIDE_VICTIMES;BUREAU;\n"
                    "%s-01;B-2;1951;M;;AUTRE;MAIN_COURANTE;OUI;SANTE_MENTALE;CCAS;DOMICILE;\n",
             upload_month, upload_month);
    web_resp r;
    upload_form(cookie, csrf, upload_month, grid, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_check("upload ok", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "class=\"succes\" id=\"resultat\""));
    assert_non_null(strstr(r.body, "acceptée"));
    char row[80];
    snprintf(row, sizeof row, "data-period=\"%s\" data-status=\"on_time\"", upload_month);
    assert_non_null(strstr(r.body, row));
    web_free(&r);
    /* The post's own figures are unprotected: its month has 2 people, shown as such. */
    char q[300];
    snprintf(q, sizeof q, "/poste?annee=%.4s", upload_month);
    web(&S, "GET", q, cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    char key[120];
    snprintf(key, sizeof key, "data-key=\"NB_CONTACTS.%s.%.4s.", post, upload_month);
    assert_non_null(strstr(r.body, key));
    web_free(&r);

    /* An invalid grid: 422 and its report as a table. */
    snprintf(grid, sizeof grid,
             HEADER "%s-01;X-1;1980;Z;93500;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n"
                    "2001-13-45;X-2;1980;F;93500;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
             upload_month);
    upload_form(cookie, csrf, upload_month, grid, &r);
    assert_int_equal(r.status, 422);
    assert_int_equal(page_check("upload 422", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "<table id=\"erreurs\">"));
    assert_non_null(strstr(r.body, "<td>sexe</td>"));
    assert_non_null(strstr(r.body, "<td>date_contact</td>"));
    web_free(&r);
}

/* ---- escaping ---- */

static void test_escaping(void **state)
{
    (void)state;
    char cookie[120], csrf[65], grid[1200];
    login(NULL, tok_evil, cookie, sizeof cookie, csrf);
    web_resp r;
    web(&S, "GET", "/poste", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_check("evil post page", r.body, r.len), 0); /* no <script anywhere */
    assert_non_null(strstr(r.body, "Poste &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    web_free(&r);
    /* A validation message quoting the uploaded value <script>...</script>. */
    snprintf(grid, sizeof grid,
             HEADER "%s-01;X-1;1980;<script>alert(1)</script>;93500;VICTIME;POL_ACCUEIL;NON;"
                    "VIOL_CONJ;;BUREAU;\n",
             upload_month);
    upload_form(cookie, csrf, upload_month, grid, &r);
    assert_int_equal(r.status, 422);
    assert_int_equal(page_check("evil report", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    web_free(&r);
    /* The analysts' page lists the post (no grid: missing) with its name escaped. */
    char an_cookie[120], an_csrf[65], path[64];
    login(NULL, tok_analyst, an_cookie, sizeof an_cookie, an_csrf);
    snprintf(path, sizeof path, "/rapports/mensuel/%s", month);
    web(&S, "GET", path, an_cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(page_check("analyst month", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(&#39;x&#39;)"));
    web_free(&r);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_checker),
        cmocka_unit_test(test_pages_valid),
        cmocka_unit_test(test_figures_are_published_values),
        cmocka_unit_test(test_login_sessions_csrf),
        cmocka_unit_test(test_post_page_upload),
        cmocka_unit_test(test_escaping),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    xmlCleanupParser();
    return failed || it_stop_failures;
}
