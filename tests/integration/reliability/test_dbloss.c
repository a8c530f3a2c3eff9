/* test_dbloss.c: PostgreSQL stopped while the server runs (issue 11, point 2;
 * docs/reliability.md, "Database loss"). The test runs its own cluster (scripts/pg.sh, in
 * IT_TMP) so that stopping it touches no other test. While it is down: uploads and reads
 * answer 503 + Retry-After with the JSON error, the pages a French HTML page, /readyz 503,
 * /healthz 200, every answer within the client's bound; once it is back the server reconnects
 * by itself (no restart) and the next upload is stored. */
#include "hostile_client.h"
#include "web_client.h"

static it_server S;
static char tok_post[80], pgdir[700], month[16], upload_month[16];
static int year;
#define POST "ISCG-075-01"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int pg(const char *cmd)
{
    char line[1600];
    snprintf(line, sizeof line, "scripts/pg.sh %s '%s' %s >/dev/null", cmd, pgdir,
             strcmp(cmd, "start") == 0 ? "--fast" : "");
    return system(line);
}

static int setup(void **state)
{
    (void)state;
    snprintf(pgdir, sizeof pgdir, "%s/pg_dbloss", getenv("IT_TMP"));
    if (pg("start") != 0)
        return -1;
    char url[800];
    snprintf(url, sizeof url, "host=%s/run dbname=postgres user=iscgobs", pgdir);
    setenv("IT_PG_URL", url, 1); /* this program's cluster, for it_setup */
    it_setup(&S, "it_dbloss");
    web_periods(&year, month, upload_month);
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    it_post_add(&S, POST, "75", opened);
    it_user_add(&S, "post", POST, tok_post);
    it_start(&S, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    pg("stop");
    return 0;
}

static void upload(const char *ref, hc_resp *r)
{
    char grid[400], path[80];
    int n = snprintf(grid, sizeof grid,
                     HEADER "%s-01;%s;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                     upload_month, ref);
    snprintf(path, sizeof path, "/api/v1/grids/" POST "/%s", upload_month);
    hc_request(&S, NULL, "PUT", path, tok_post, NULL, "text/csv", grid, (size_t)n, r);
}

static void test_database_loss(void **state)
{
    (void)state;
    hc_resp r;
    char code[64];
    upload("R-1", &r);
    assert_int_equal(r.status, 201);
    hc_free(&r);

    assert_int_equal(pg("stop"), 0);
    /* Several rounds, so that every worker thread's connection meets the loss. */
    int n503 = 0, nhtml = 0;
    for (int round = 0; round < 6; round++) {
        upload("R-2", &r);
        assert_int_equal(r.status, 503);
        assert_true(strtol(r.retry_after, NULL, 10) > 0);
        assert_string_equal(hc_code(&r, code), "E_DB_UNAVAILABLE");
        assert_non_null(strstr(r.body, "indisponible"));
        n503++;
        hc_free(&r);
        hc_request(&S, NULL, "GET", "/api/v1/grids/" POST, tok_post, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 503);
        assert_true(strtol(r.retry_after, NULL, 10) > 0);
        assert_non_null(strstr(r.ctype, "application/json"));
        n503++;
        hc_free(&r);
        char page[64];
        snprintf(page, sizeof page, "/rapports/mensuel/%s", month);
        hc_request(&S, NULL, "GET", page, NULL, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 503);
        assert_true(strtol(r.retry_after, NULL, 10) > 0);
        assert_non_null(strstr(r.ctype, "text/html"));
        assert_non_null(strstr(r.body, "lang=\"fr\""));
        assert_non_null(strstr(r.body, "indisponible"));
        nhtml++;
        hc_free(&r);
        hc_request(&S, NULL, "GET", "/readyz", NULL, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 503);
        hc_free(&r);
        hc_request(&S, NULL, "GET", "/healthz", NULL, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 200);
        hc_free(&r);
    }
    printf("database down: %d API answers 503 (JSON), %d pages 503 (HTML), /healthz 200\n",
           n503, nhtml);

    assert_int_equal(pg("start"), 0);
    long ready = 0;
    for (int i = 0; i < 300 && ready != 200; i++) { /* at most 30 s */
        hc_request(&S, NULL, "GET", "/readyz", NULL, NULL, NULL, NULL, 0, &r);
        ready = r.status;
        hc_free(&r);
        if (ready != 200)
            usleep(100 * 1000);
    }
    assert_int_equal(ready, 200);
    /* Every worker reconnects: a round of uploads (the same bytes again after the first). */
    for (int i = 0; i < 6; i++) {
        upload("R-2", &r);
        assert_int_equal(r.status, 200); /* a correction, then the same bytes */
        hc_free(&r);
    }
    PGconn *c = it_db(&S);
    assert_int_equal(it_sql_long(c, "SELECT version FROM grid"), 2);
    PQfinish(c);
    assert_int_equal(kill(S.pid, 0), 0); /* the same process: no restart */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_database_loss),
    };
    int failed = cmocka_run_group_tests_name("integration_dbloss", tests, setup, teardown);
    return failed || it_stop_failures;
}
