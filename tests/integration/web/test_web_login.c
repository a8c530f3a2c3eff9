/* test_web_login.c: the web pages' accounts end to end over plain HTTP, against the real
 * server: login by token or password, sessions (replaced at login, ended at logout and by
 * `user passwd`), the CSRF double-submit and per-session tokens, the post's page and its
 * upload form, and escaping of a post's name and of a validation message in every page that
 * shows them. The pages' figures: test_html.c; in a real browser: test_browser.c. */
#include "web_client.h"

#include "html.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_post[80], tok_evil[80];
static char post[16] = "ISCG-075-01";
static int year;
static char month[16], upload_month[16];

#define EVIL_POST "ISCG-093-99"
#define EVIL_NAME "Poste <script>alert('x')</script> & co"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_web_login");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    web_periods(&year, month, upload_month);
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    it_post_add(&S, post, "75", opened);
    it_user_add(&S, "post", post, tok_post);
    const char *args[] = {"post", "add", EVIL_POST, "--name", EVIL_NAME, "--dep", "93",
                          "--force", "PN", "--opened", opened, NULL};
    assert_int_equal(it_cli(&S, NULL, 0, args), 0);
    it_user_add(&S, "post", EVIL_POST, tok_evil);
    it_start(&S, NULL);
    /* One grid in `month`, so that the analysts' monthly page exists (the evil post, without
     * a grid, is listed there as missing). */
    char grid[400], path[80];
    int n = snprintf(grid, sizeof grid,
                     HEADER "%s-03;R-1;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                     month);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, month);
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", grid, (size_t)n, &r);
    assert_int_equal(r.status, 201);
    it_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
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
    web_login(&S, "analyst", "motdepasse-du-poste-42", cookie, sizeof cookie, scsrf);
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
    web_login(&S, "analyst", "un-autre-mot-de-passe-7", cookie, sizeof cookie, scsrf);

    /* Logging in again from a browser that has a live session replaces that session. */
    char old_cookie[120], old_csrf[65];
    web_login(&S, NULL, tok_post, old_cookie, sizeof old_cookie, old_csrf);
    char pcookie[120], pcsrf[65];
    web_login_over(&S, old_cookie, NULL, tok_post, pcookie, sizeof pcookie, pcsrf);
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
    web_login(&S, NULL, tok_post, other_cookie, sizeof other_cookie, other_csrf);
    const char *foreign[] = {other_csrf, scsrf};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(strlen(foreign[i]), 64);
        assert_string_not_equal(foreign[i], pcsrf);
        char g[600];
        snprintf(g, sizeof g,
                 HEADER "%s-01;C-1;1980;F;93200;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                 upload_month);
        web_upload_form(&S, pcookie, foreign[i], upload_month, g, &r);
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
     * which says why (web.h, web_csrf_require). */
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
    web_login(&S, NULL, tok_post, cookie, sizeof cookie, csrf);
    snprintf(grid, sizeof grid,
             HEADER "%s-01;Dupont Marie;12/05/1988;F;93500;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;"
                    "AIDE_VICTIMES;BUREAU;\n"
                    "%s-01;B-2;1951;M;;AUTRE;MAIN_COURANTE;OUI;SANTE_MENTALE;CCAS;DOMICILE;\n",
             upload_month, upload_month);
    web_resp r;
    web_upload_form(&S, cookie, csrf, upload_month, grid, &r);
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
    web_upload_form(&S, cookie, csrf, upload_month, grid, &r);
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
    web_login(&S, NULL, tok_evil, cookie, sizeof cookie, csrf);
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
    web_upload_form(&S, cookie, csrf, upload_month, grid, &r);
    assert_int_equal(r.status, 422);
    assert_int_equal(page_check("evil report", r.body, r.len), 0);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    web_free(&r);
    /* The analysts' page lists the post (no grid: missing) with its name escaped. */
    char an_cookie[120], an_csrf[65], path[64];
    web_login(&S, NULL, tok_analyst, an_cookie, sizeof an_cookie, an_csrf);
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
        cmocka_unit_test(test_login_sessions_csrf),
        cmocka_unit_test(test_post_page_upload),
        cmocka_unit_test(test_escaping),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    xmlCleanupParser();
    return failed || it_stop_failures;
}
