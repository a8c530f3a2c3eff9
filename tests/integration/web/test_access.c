/* test_access.c: the role table of ../shared/spec/service.md, section 3, as a table over the
 * daemon's own route table (issue 11, point 3; docs/reliability.md, "Hostile HTTP"). Every
 * route `iscgobs routes` lists must have a rule below (a new route without one fails the
 * test), and each is tried with no credential, a wrong token, another post's token, the post's
 * own token, an analyst's and an administrator's. */
#include "hostile_client.h"
#include "web_client.h"

static it_server S;
static int year;
static char month[16], upload_month[16];
#define POST "ISCG-075-01"
#define OTHER "ISCG-093-01"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

enum { WHO_NONE, WHO_BAD, WHO_OTHER, WHO_POST, WHO_ANALYST, WHO_ADMIN, WHO_N };
static const char *who_name[WHO_N] = {"anonyme", "jeton faux", "autre poste", "poste",
                                      "analyste", "admin"};
static char tok[WHO_N][80];

/* A: allowed (an answer other than 401, 403 or a redirection to the login); D: refused (401,
 * 403, or 303 to /connexion for the pages); '.': not decided by the role (the form routes
 * need their CSRF token first: test_web_login.c). Paths: P = the post, M = the month,
 * Y = the year. */
static const struct rule {
    const char *method, *pattern, *path;
    const char expect[WHO_N + 1]; /* none, bad token, other post, post, analyst, admin */
} rules[] = {
    {"GET", "/healthz", "/healthz", "AAAAAA"},
    {"GET", "/readyz", "/readyz", "AAAAAA"},
    {"GET", "/metrics", "/metrics", "AAAAAA"}, /* loopback only: tested in test_upload.c */
    {"PUT", "/api/v1/grids/*/*", "/api/v1/grids/P/M", "DDDADA"},
    {"POST", "/api/v1/grids/*/*/validate", "/api/v1/grids/P/M/validate", "DDDADA"},
    {"GET", "/api/v1/grids/*", "/api/v1/grids/P", "DDDAAA"},
    {"GET", "/api/v1/grids/*/*/modele.xlsx", "/api/v1/grids/P/M/modele.xlsx", "DDDADA"},
    {"GET", "/api/v1/grids/*/*/modele.ods", "/api/v1/grids/P/M/modele.ods", "DDDADA"},
    {"GET", "/api/v1/indicators", "/api/v1/indicators?period=M", "ADAAAA"},
    {"GET", "/api/v1/completeness", "/api/v1/completeness?period=M", "DDDDAA"},
    {"GET", "/api/v1/audit", "/api/v1/audit", "DDDDDA"},
    {"GET", "/publication-key.pem", "/publication-key.pem", "AAAAAA"},
    {"GET", "/api/v1/privacy/report", "/api/v1/privacy/report?period=Y", "DDDDDA"},
    {"GET", "/sdmx/ping", "/sdmx/ping", "A.AAAA"},
    {"GET", "/sdmx/data/**", "/sdmx/data/ISCG_INDICATEURS", "A.AAAA"},
    {"GET", "/sdmx/dataflow/**", "/sdmx/dataflow/all/all/latest", "A.AAAA"},
    {"GET", "/sdmx/datastructure/**", "/sdmx/datastructure/all/all/latest", "A.AAAA"},
    {"GET", "/sdmx/codelist/**", "/sdmx/codelist/all/all/latest", "A.AAAA"},
    {"GET", "/sdmx/conceptscheme/**", "/sdmx/conceptscheme/all/all/latest", "A.AAAA"},
    {"GET", "/sdmx/schema/**", "/sdmx/schema/dataflow/ISCG/ISCG_INDICATEURS", "A.AAAA"},
    {"GET", "/sdmx/**", "/sdmx/availableconstraint/ISCG_INDICATEURS", "A.AAAA"},
    {"GET", "/", "/", "A.AAAA"},
    {"GET", "/rapports/national/*", "/rapports/national/Y", "A.AAAA"},
    {"GET", "/rapports/mensuel/*", "/rapports/mensuel/M", "A.AAAA"},
    {"GET", "/connexion", "/connexion", "A.AAAA"},
    {"POST", "/connexion", "/connexion", "......"},
    {"POST", "/deconnexion", "/deconnexion", "......"},
    {"GET", "/poste", "/poste", "DDAADD"},
    {"POST", "/poste/depot", "/poste/depot", "......"},
};

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_access");
    web_periods(&year, month, upload_month);
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    it_post_add(&S, POST, "75", opened);
    it_post_add(&S, OTHER, "93", opened);
    snprintf(tok[WHO_BAD], sizeof tok[WHO_BAD], "%064d", 7);
    it_user_add(&S, "post", OTHER, tok[WHO_OTHER]);
    it_user_add(&S, "post", POST, tok[WHO_POST]);
    it_user_add(&S, "analyst", NULL, tok[WHO_ANALYST]);
    it_user_add(&S, "admin", NULL, tok[WHO_ADMIN]);
    /* Many wrong tokens from one address: the limiter is not what this test looks at. */
    const char *env[] = {"ISCGOBS_AUTH_MAX_FAILS=100000", NULL};
    it_start(&S, env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* path with P, M, Y replaced. */
static void fill(const char *tpl, char *out, size_t cap)
{
    size_t k = 0;
    for (const char *c = tpl; *c && k + 20 < cap; c++) {
        const char *v = *c == 'P' ? POST : *c == 'M' ? upload_month : NULL;
        char y[8];
        if (*c == 'Y') {
            snprintf(y, sizeof y, "%04d", year % 10000);
            v = y;
        }
        if (c > tpl && c[-1] != '/' && c[-1] != '=')
            v = NULL; /* only whole segments are placeholders */
        if (v && (c[1] == '/' || c[1] == '\0' || c[1] == '?'))
            k += (size_t)snprintf(out + k, cap - k, "%s", v);
        else
            out[k++] = *c;
        out[k] = '\0';
    }
}

static void test_every_route_has_a_rule(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *const[]){"routes", NULL}), 0);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char method[16], pattern[200];
        if (sscanf(line, "%15s %199s", method, pattern) != 2)
            continue;
        int found = 0;
        for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
            found |= strcmp(rules[i].method, method) == 0 && strcmp(rules[i].pattern, pattern) == 0;
        if (!found)
            fail_msg("route %s %s has no access rule in test_access.c", method, pattern);
        n++;
    }
    assert_int_equal(n, (int)(sizeof rules / sizeof rules[0]));
}

static void test_role_table(void **state)
{
    (void)state;
    char grid[400];
    int glen = snprintf(grid, sizeof grid,
                        HEADER "%s-01;R-1;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                        upload_month);
    int tried = 0, allowed = 0, refused = 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        char path[256];
        fill(rules[i].path, path, sizeof path);
        for (int w = 0; w < WHO_N; w++) {
            if (rules[i].expect[w] == '.')
                continue;
            int body = strcmp(rules[i].method, "GET") != 0;
            hc_resp r;
            hc_request(&S, NULL, rules[i].method, path, w == WHO_NONE ? NULL : tok[w], NULL,
                       body ? "text/csv" : NULL, body ? grid : NULL, body ? (size_t)glen : 0,
                       &r);
            int denied = r.status == 401 || r.status == 403 ||
                         (r.status == 303 && strncmp(r.location, "/connexion", 10) == 0);
            if (r.status < 0 || (r.status >= 500 && r.status != 501))
                fail_msg("%s %s (%s): %ld", rules[i].method, path, who_name[w], r.status);
            if ((rules[i].expect[w] == 'D') != denied)
                fail_msg("%s %s (%s): %ld, expected %s", rules[i].method, path, who_name[w],
                         r.status, rules[i].expect[w] == 'D' ? "a refusal" : "access");
            tried++;
            allowed += !denied;
            refused += denied;
            hc_free(&r);
        }
    }
    printf("access table: %zu routes, %d requests: %d allowed, %d refused as the role table "
           "says\n", sizeof rules / sizeof rules[0], tried, allowed, refused);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_has_a_rule),
        cmocka_unit_test(test_role_table),
    };
    int failed = cmocka_run_group_tests_name("integration_access", tests, setup, teardown);
    return failed || it_stop_failures;
}
