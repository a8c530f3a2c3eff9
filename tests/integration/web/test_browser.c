/* test_browser.c: the web pages in a real headless Chromium, driven by chromedriver's W3C
 * WebDriver HTTP API from C (libcurl + jansson): the national report of a demo year shows the
 * published protected headline figures; screenshots of both reports are not blank; a post
 * logs in with the form, uploads a grid through the file input and sees the acceptance, then
 * an invalid grid and sees its report; the same form stripped of its CSRF field is refused
 * (403) and stores nothing.
 *
 * Chromium and chromedriver are Debian's `chromium` and `chromium-driver`, installed by
 * scripts/test.sh (DEPS_EXTRA). Without them the test is skipped, unless IT_BROWSER=required
 * (set by scripts/test.sh, so that `make test` cannot pass without the browser check).
 * IT_SCREENSHOTS=DIR also copies the screenshots there (docs/screenshots). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "web_client.h"

static it_server S;
static char tok_admin[80], tok_post[80], demo_dir[800], post[16], session[128];
static int year, driver_port;
static pid_t driver_pid;
static char month[16], upload_month[16];

#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

/* ---- WebDriver over HTTP ---- */

/* method path (relative to the session when rel) with a JSON body (stolen; NULL: none);
 * returns the answer's "value" (owned by the caller) or NULL on an error answer. */
static json_t *wd(const char *method, const char *path, json_t *body, int rel)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s%s%s", driver_port, rel ? "/session/" : "",
             rel ? session : "", path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    web_resp r = {0};
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, web_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    if (text)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(text);
    json_t *j = rc == CURLE_OK && r.body ? json_loads(r.body, 0, NULL) : NULL;
    json_t *v = j ? json_incref(json_object_get(j, "value")) : NULL;
    if (status != 200) {
        if (status != 0) /* 0: not listening yet (start-up polling) */
            fprintf(stderr, "webdriver %s %s: %ld %.300s\n", method, path, status,
                    r.body ? r.body : "");
        json_decref(v);
        v = NULL;
    }
    json_decref(j);
    web_free(&r);
    return v;
}

static void go(const char *path)
{
    char url[300];
    snprintf(url, sizeof url, "%s%s", S.base, path);
    json_t *v = wd("POST", "/url", json_pack("{s:s}", "url", url), 1);
    assert_non_null(v);
    json_decref(v);
}

/* The element id of the first match of a CSS selector, into id (NULL when none). */
static int find(const char *css, char id[128])
{
    json_t *v = wd("POST", "/element", json_pack("{s:s,s:s}", "using", "css selector", "value", css),
                   1);
    const char *k = NULL;
    void *it = v ? json_object_iter(v) : NULL;
    if (it)
        k = json_string_value(json_object_iter_value(it));
    if (k)
        snprintf(id, 128, "%s", k);
    json_decref(v);
    return k != NULL;
}

/* An element's attribute or text (owned string, "" when absent). */
static char *elem_get(const char *id, const char *what)
{
    char path[300];
    snprintf(path, sizeof path, "/element/%s/%s", id, what);
    json_t *v = wd("GET", path, NULL, 1);
    char *s = strdup(json_is_string(v) ? json_string_value(v) : "");
    json_decref(v);
    return s;
}

static void click(const char *css)
{
    char id[128], path[200];
    assert_true(find(css, id));
    snprintf(path, sizeof path, "/element/%s/click", id);
    json_t *v = wd("POST", path, json_object(), 1);
    json_decref(v);
}

/* Click a form's submit button and wait until the browser has loaded the answer page: a
 * mark left on the old page's window disappears with it. Without the wait, a find() right
 * after the click can return an element of the old page (a stale reference a moment later). */
static void submit(const char *css)
{
    json_t *v = wd("POST", "/execute/sync",
                   json_pack("{s:s,s:[]}", "script", "window.__avant_envoi = 1;", "args"), 1);
    json_decref(v);
    click(css);
    int loaded = 0;
    for (int i = 0; i < 400 && !loaded; i++) {
        v = wd("POST", "/execute/sync",
               json_pack("{s:s,s:[]}", "script",
                         "return window.__avant_envoi === undefined &&"
                         " document.readyState === 'complete';",
                         "args"),
               1);
        loaded = json_is_true(v);
        json_decref(v);
        if (!loaded)
            usleep(25 * 1000);
    }
    assert_true(loaded);
}

static void type(const char *css, const char *text)
{
    char id[128], path[200];
    assert_true(find(css, id));
    snprintf(path, sizeof path, "/element/%s/value", id);
    json_t *v = wd("POST", path, json_pack("{s:s}", "text", text), 1);
    assert_non_null(v);
    json_decref(v);
}

/* Base64 decode (screenshots). */
static unsigned char *b64(const char *s, size_t *n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(s);
    unsigned char *out = malloc(len);
    unsigned acc = 0;
    int bits = 0;
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(A, s[i]);
        if (s[i] == '=' || p == NULL)
            continue;
        acc = (acc << 6) | (unsigned)(p - A);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*n)++] = (unsigned char)(acc >> bits);
        }
    }
    return out;
}

/* Take a screenshot into IT_TMP (and IT_SCREENSHOTS when set); check it is a PNG and not
 * blank: a blank page of this size compresses to a few KiB, a report to far more. */
static void screenshot(const char *name)
{
    json_t *v = wd("GET", "/screenshot", NULL, 1);
    assert_true(json_is_string(v));
    size_t n;
    unsigned char *png = b64(json_string_value(v), &n);
    json_decref(v);
    assert_true(n > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    fprintf(stderr, "screenshot %s: %zu bytes\n", name, n);
    assert_true(n > 40 * 1024);  /* not blank */
    assert_true(n < 500 * 1024); /* small enough to commit */
    const char *dirs[] = {S.dir, getenv("IT_SCREENSHOTS")};
    for (size_t i = 0; i < 2; i++) {
        if (dirs[i] == NULL || dirs[i][0] == '\0')
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.png", dirs[i], name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(png, 1, n, f), n);
        fclose(f);
    }
    free(png);
}

/* ---- set-up ---- */

static int have(const char *path)
{
    return access(path, X_OK) == 0;
}

static const char *browser_binary(void)
{
    return have("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
}

static int start_driver(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    driver_port = ntohs(a.sin_port);
    close(fd);
    driver_pid = fork();
    if (driver_pid == 0) {
        char port[32], log[700];
        snprintf(port, sizeof port, "--port=%d", driver_port);
        snprintf(log, sizeof log, "--log-path=%s/chromedriver.log", S.dir);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/usr/bin/chromedriver", "chromedriver", port, log, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        json_t *v = wd("GET", "/status", NULL, 0);
        int ready = json_is_true(json_object_get(v, "ready"));
        json_decref(v);
        if (ready)
            return 0;
        usleep(100 * 1000);
    }
    return -1;
}

static int start_session(void)
{
    char profile[700];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium-profile", S.dir);
    json_t *args = json_pack("[s,s,s,s,s,s,s,s,s,s]", "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-quic", "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--window-size=1280,2400", profile);
    json_t *caps = json_pack("{s:{s:{s:s,s:{s:s,s:o}}}}", "capabilities", "alwaysMatch",
                             "browserName", "chrome", "goog:chromeOptions", "binary",
                             browser_binary(), "args", args);
    json_t *v = wd("POST", "/session", caps, 0);
    const char *id = json_string_value(json_object_get(v, "sessionId"));
    if (id)
        snprintf(session, sizeof session, "%s", id);
    json_decref(v);
    return id ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    if (!have("/usr/bin/chromedriver") || !(have("/usr/lib/chromium/chromium") || have("/usr/bin/chromium"))) {
        const char *req = getenv("IT_BROWSER");
        fprintf(stderr, "chromium / chromedriver absent%s\n",
                req && strcmp(req, "required") == 0 ? ": required" : ": browser test skipped");
        return req && strcmp(req, "required") == 0 ? -1 : 0;
    }
    it_setup(&S, "it_browser");
    it_user_add(&S, "admin", NULL, tok_admin);
    web_periods(&year, month, upload_month);
    demo_load(&S, tok_admin, 40, year, demo_dir, sizeof demo_dir);
    demo_open_post(demo_dir, post);
    it_user_add(&S, "post", post, tok_post);
    if (start_driver() || start_session()) {
        fprintf(stderr, "chromedriver did not start a session (see %s/chromedriver.log)\n", S.dir);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (session[0])
        json_decref(wd("DELETE", "", NULL, 1));
    if (driver_pid > 0) {
        kill(driver_pid, SIGTERM);
        waitpid(driver_pid, NULL, 0);
    }
    if (S.pid)
        it_stop_checked(&S);
    return 0;
}

#define NEED_BROWSER()                                                                        \
    do {                                                                                      \
        if (!session[0])                                                                      \
            skip();                                                                           \
    } while (0)

/* The headline figures the browser shows are the published protected values. */
static void test_national_report(void **state)
{
    (void)state;
    NEED_BROWSER();
    char path[64];
    snprintf(path, sizeof path, "/rapports/national/%d", year);
    go(path);
    char q[300];
    snprintf(q, sizeof q,
             "/api/v1/indicators?area=FR&period=%d&sexe=_T&age=_T&statut=_T&origine=_T"
             "&problematique=_T&partenaire=_T&mode=_T"
             "&mesure=NB_PERSONNES,NB_CONTACTS,PART_INCONNUS_SS,PART_MINEURS,PART_ORIENTEES",
             year);
    it_resp r;
    it_http(&S, "GET", q, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    it_resp_free(&r);
    json_t *cells = json_object_get(j, "cells");
    assert_int_equal(json_array_size(cells), 5);
    static const struct {
        const char *mesure, *id;
    } figures[] = {{"NB_PERSONNES", "chiffre-personnes"}, {"NB_CONTACTS", "chiffre-contacts"},
                   {"PART_INCONNUS_SS", "chiffre-inconnus"}, {"PART_MINEURS", "chiffre-mineurs"},
                   {"PART_ORIENTEES", "chiffre-orientees"}};
    for (size_t f = 0; f < 5; f++) {
        json_t *cell = NULL;
        for (size_t i = 0; i < json_array_size(cells); i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(cells, i), "mesure")),
                       figures[f].mesure) == 0)
                cell = json_array_get(cells, i);
        assert_non_null(cell);
        char css[80], id[128], want[40];
        snprintf(css, sizeof css, "#%s [data-key]", figures[f].id);
        assert_true(find(css, id));
        char *value = elem_get(id, "attribute/data-value");
        char *text = elem_get(id, "text");
        api_value(cell, want, sizeof want);
        fprintf(stderr, "%s: browser shows \"%s\" (%s), API %s\n", figures[f].mesure, text, value,
                want);
        if (want[0]) {
            assert_string_equal(value, want);
            /* The visible text is the same number in French: digits and the decimal comma. */
            char digits[40] = "", shown[40] = "";
            size_t a = 0, b = 0;
            for (const char *p = want; *p && a < 39; p++)
                if (*p != '.')
                    digits[a++] = *p;
            for (const char *p = text; *p && b < 39; p++)
                if ((*p >= '0' && *p <= '9'))
                    shown[b++] = *p;
            digits[a] = shown[b] = '\0';
            assert_string_equal(shown, digits);
        } else {
            assert_string_equal(text, "secret statistique");
        }
        free(value);
        free(text);
    }
    json_decref(j);
    screenshot("etat-des-lieux-national");
    snprintf(path, sizeof path, "/rapports/mensuel/%s", month);
    go(path);
    char id[128];
    assert_true(find("#tableau-mois", id));
    screenshot("synthese-mensuelle");
}

/* A post logs in with the form, uploads through the file input, sees the acceptance; then an
 * invalid grid and its report. */
static void test_post_upload_in_browser(void **state)
{
    (void)state;
    NEED_BROWSER();
    go("/connexion");
    type("#secret", tok_post);
    submit("form.bloc button[type=submit]");
    char id[128];
    assert_true(find("#depot form", id)); /* redirected to /poste */
    char good[900], bad[900], option[64];
    snprintf(good, sizeof good, "%s/good.csv", S.dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", S.dir);
    FILE *f = fopen(good, "w");
    fprintf(f, HEADER "%s-01;Martin Paul;1951;M;;AUTRE;MAIN_COURANTE;OUI;SANTE_MENTALE;CCAS;"
                      "DOMICILE;\n",
            upload_month);
    fclose(f);
    f = fopen(bad, "w");
    fprintf(f, HEADER "%s-01;Martin Paul;1951;Q;;AUTRE;MAIN_COURANTE;OUI;SANTE_MENTALE;CCAS;"
                      "DOMICILE;\n",
            upload_month);
    fclose(f);
    snprintf(option, sizeof option, "#mois option[value='%s']", upload_month);
    click(option);
    type("#grille", good);
    submit("#bouton-deposer");
    assert_true(find("#resultat", id));
    char *cls = elem_get(id, "attribute/class"), *text = elem_get(id, "text");
    fprintf(stderr, "after a valid upload: %s\n", text);
    assert_string_equal(cls, "succes");
    assert_non_null(strstr(text, "acceptée"));
    free(cls);
    free(text);

    click(option);
    type("#grille", bad);
    submit("#bouton-deposer");
    assert_true(find("#resultat", id));
    cls = elem_get(id, "attribute/class");
    assert_string_equal(cls, "alerte");
    free(cls);
    assert_true(find("#erreurs td:nth-child(2)", id));
    text = elem_get(id, "text");
    assert_string_equal(text, "sexe");
    free(text);
    assert_true(find("#erreurs td:nth-child(3)", id));
    text = elem_get(id, "text");
    fprintf(stderr, "report: %s\n", text);
    assert_true(strlen(text) > 10);
    free(text);
}

/* The post's months as GET /api/v1/grids/{post} tells them (versions, reception times):
 * unchanged means nothing was stored. Owned string. */
static char *grids_state(void)
{
    char path[80];
    snprintf(path, sizeof path, "/api/v1/grids/%s", post);
    it_resp r;
    it_http(&S, "GET", path, tok_post, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    char *state = strdup(r.body);
    it_resp_free(&r);
    return state;
}

/* Run a script in the page; returns its value (owned by the caller). */
static json_t *script(const char *js)
{
    json_t *v = wd("POST", "/execute/sync", json_pack("{s:s,s:[]}", "script", js, "args"), 1);
    assert_non_null(v);
    return v;
}

/* The upload form without its CSRF field (removed from the page by a script, as a forged
 * form would lack it), sent by the real browser with the post's session cookie: the answer is
 * the 403 refusal page and nothing is stored. Runs after test_post_upload_in_browser (the
 * browser holds the post's session). */
static void test_csrf_refused_in_browser(void **state)
{
    (void)state;
    NEED_BROWSER();
    char *before = grids_state();
    go("/poste");
    char id[128], file[900], option[64];
    assert_true(find("#depot form", id)); /* still logged in */
    snprintf(file, sizeof file, "%s/forged.csv", S.dir);
    FILE *f = fopen(file, "w"); /* a new grid: a new version if it were accepted */
    fprintf(f, HEADER "%s-02;Durand Lea;1990;F;;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
            upload_month);
    fclose(f);
    snprintf(option, sizeof option, "#mois option[value='%s']", upload_month);
    click(option);
    type("#grille", file);
    json_t *v = script("document.querySelectorAll('#depot form input[name=csrf]')"
                       ".forEach(function (e) { e.remove(); });"
                       "return document.querySelectorAll('#depot form input[name=csrf]').length;");
    assert_int_equal(json_integer_value(v), 0);
    json_decref(v);
    submit("#bouton-deposer");
    v = script("var n = performance.getEntriesByType('navigation')[0];"
               "return [n ? n.responseStatus : 0, document.querySelector('h1').textContent,"
               "        document.querySelector('main').textContent,"
               "        document.querySelector('#resultat') === null];");
    long status = (long)json_integer_value(json_array_get(v, 0));
    const char *h1 = json_string_value(json_array_get(v, 1));
    const char *text = json_string_value(json_array_get(v, 2));
    fprintf(stderr, "form without its CSRF field: %ld, \"%s\"\n", status, h1 ? h1 : "");
    assert_int_equal(status, 403);
    assert_string_equal(h1, "Accès refusé");
    assert_non_null(strstr(text, "CSRF"));
    assert_true(json_is_true(json_array_get(v, 3))); /* no outcome of an upload */
    json_decref(v);
    char *after = grids_state();
    assert_string_equal(after, before);
    free(before);
    free(after);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_report),
        cmocka_unit_test(test_post_upload_in_browser),
        cmocka_unit_test(test_csrf_refused_in_browser),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    xmlCleanupParser();
    return failed || it_stop_failures;
}
