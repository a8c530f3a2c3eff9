/* test_two_servers.c: two `iscgobs serve` processes on one PostgreSQL database, on two
 * loopback ports, with nothing in front (docs/operations.md, "Several servers"). Uploads go to
 * both at once; both then answer the same indicators (public, protected, and the analysts'),
 * the same SDMX run and answer; an upload through one is seen by the other (every cache of a
 * process is keyed by what is in the database); a web session opened on one works on the
 * other, its CSRF token included, and a logout on one ends it on both; the protection ahead of
 * readers (aggregator/warm.c) runs in one process at a time under the advisory lock of
 * common/task_lock.c, which the test takes itself to see both servers wait for it. */
#include "web_client.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>

#include "config.h"
#include "ops_it.h"
#include "task_lock.h"
#include "warm.h"

static it_server A, B;
static char tok_admin[80], tok_analyst[80], tok_post[80];
static char post[16];
static int year;
static char month[16], upload_month[16], demo[700], half_b[760];

#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int even_month(int m)
{
    return m % 2 == 0;
}

/* Move the demo grids of even months to half_b (server B uploads them, A the others). */
static void split_months(void)
{
    assert_true(ops_move_grids(demo, half_b, even_month) > 0);
}

typedef struct upload_job {
    const it_server *s;
    const char *dir;
    int status;
} upload_job;

static void *upload_main(void *arg)
{
    upload_job *j = arg;
    j->status = it_cli(j->s, NULL, 0,
                       (const char *const[]){"upload", j->dir, "--url", j->s->base, "--token",
                                             tok_admin, "--jobs", "2", NULL});
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    it_setup(&A, "it_two_servers");
    it_user_add(&A, "admin", NULL, tok_admin);
    it_user_add(&A, "analyst", NULL, tok_analyst);
    web_periods(&year, month, upload_month);
    char posts[760], ys[16];
    snprintf(demo, sizeof demo, "%s/demo", A.dir);
    snprintf(half_b, sizeof half_b, "%s/half_b", A.dir);
    snprintf(posts, sizeof posts, "%s/posts.csv", demo);
    snprintf(ys, sizeof ys, "%d", year);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts",
                                                               "3", "--year", ys, NULL}), 0);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"post", "import", posts, NULL}), 0);
    demo_open_post(demo, post);
    assert_true(post[0] != '\0');
    it_user_add(&A, "post", post, tok_post);
    split_months();
    B = A; /* same database, same key; its own port and log */
    snprintf(B.log_path, sizeof B.log_path, "%s/server_b.log", A.dir);
    it_start(&A, NULL);
    it_start(&B, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&A);
    it_stop_checked(&B);
    return 0;
}

/* Uploads to both at once, then the same answers from both. */
static void test_same_answers(void **state)
{
    (void)state;
    upload_job ja = {&A, demo, -1}, jb = {&B, half_b, -1};
    char grids_a[800];
    snprintf(grids_a, sizeof grids_a, "%s/grids", demo);
    ja.dir = grids_a;
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, upload_main, &ja), 0);
    assert_int_equal(pthread_create(&tb, NULL, upload_main, &jb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ja.status, 0);
    assert_int_equal(jb.status, 0);
    PGconn *c = it_db(&A);
    long grids = it_sql_long(c, "SELECT count(*) FROM grid");
    assert_true(grids >= 24);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*)"
                                    " FROM contact c WHERE c.post = g.post AND c.period = g.period)"),
                     0);
    PQfinish(c);

    char paths[4][200];
    snprintf(paths[0], sizeof paths[0], "/api/v1/indicators?area=FR&period=%d", year);
    snprintf(paths[1], sizeof paths[1], "/api/v1/indicators?mesure=NB_PERSONNES&period=%d", year);
    snprintf(paths[2], sizeof paths[2],
             "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d&format=csv", year, year);
    snprintf(paths[3], sizeof paths[3], "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d",
             year, year);
    const char *who[3] = {NULL, tok_analyst, tok_post};
    int protected_cells = 0;
    for (int i = 0; i < 4; i++) {
        for (int w = 0; w < 3; w++) {
            if (i >= 2 && w) /* SDMX is public only */
                continue;
            char *a = ops_get(&A, paths[i], who[w]), *b = ops_get(&B, paths[i], who[w]);
            if (strcmp(a, b) != 0)
                fail_msg("%s (%s) differs between the two servers", paths[i],
                         w == 0 ? "public" : w == 1 ? "analyst" : "post");
            if (w == 0 && i < 2)
                protected_cells += strstr(a, "\"conf_status\":\"C\"") != NULL;
            free(a);
            free(b);
        }
    }
    assert_true(protected_cells > 0); /* the public answers do carry protection */
    c = it_db(&A);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM sdmx_publication WHERE published_at IS NULL"),
                     0);
    PQfinish(c);

    /* One more grid through A only: B's analysts see it at once, its SDMX answer within the
     * 15 s of spec/indicators.md section 3 (polled, bounded by count and time). */
    char grid[400], path[80], sdmx[200], mine[200];
    snprintf(sdmx, sizeof sdmx,
             "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%.4s&format=csv", year,
             upload_month);
    char *old = ops_get(&B, sdmx, NULL);
    int n = snprintf(grid, sizeof grid,
                     HEADER "%s-02;T-1;1970;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n"
                            "%s-03;T-2;1971;M;75011;AUTRE;POL_ACCUEIL;OUI;SANTE_MENTALE;CCAS;BUREAU;\n",
                     upload_month, upload_month);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, upload_month);
    it_resp r;
    it_http(&A, "PUT", path, tok_admin, "text/csv", grid, (size_t)n, &r);
    assert_int_equal(r.status, 201);
    it_resp_free(&r);
    snprintf(mine, sizeof mine, "/api/v1/indicators?area=%s&period=%s", post, upload_month);
    char *mine_a = ops_get(&A, mine, tok_analyst), *mine_b = ops_get(&B, mine, tok_analyst);
    assert_string_equal(mine_a, mine_b);
    assert_non_null(strstr(mine_b, "NB_CONTACTS")); /* the new month is there */
    free(mine_a);
    free(mine_b);
    int same = 0;
    for (int i = 0; i < 150 && !same; i++) {
        char *a = ops_get(&A, sdmx, NULL), *b = ops_get(&B, sdmx, NULL);
        same = strcmp(a, b) == 0 && strcmp(b, old) != 0;
        free(a);
        free(b);
        if (!same)
            usleep(100 * 1000);
    }
    free(old);
    assert_true(same);
}

/* A session opened on A works on B: the page, its CSRF token, the upload form; a logout on B
 * ends it on A. */
static void test_session_across(void **state)
{
    (void)state;
    char cookie[120], csrf[65], csrf_b[65], grid[600];
    web_login(&A, NULL, tok_post, cookie, sizeof cookie, csrf);
    web_resp r;
    web(&B, "GET", "/poste", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    web_csrf(r.body, csrf_b);
    assert_string_equal(csrf_b, csrf);
    web_free(&r);
    snprintf(grid, sizeof grid,
             HEADER "%s-04;W-1;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
             upload_month);
    web_upload_form(&B, cookie, csrf, upload_month, grid, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "acceptée"));
    web_free(&r);
    /* a wrong token is refused on either server */
    web_upload_form(&A, cookie, "0000000000000000000000000000000000000000000000000000000000000000",
                    upload_month, grid, &r);
    assert_int_equal(r.status, 403);
    web_free(&r);
    char form[100];
    snprintf(form, sizeof form, "csrf=%s", csrf);
    web(&B, "POST", "/deconnexion", cookie, "application/x-www-form-urlencoded", form,
        strlen(form), NULL, &r);
    assert_int_equal(r.status, 200);
    web_free(&r);
    web(&A, "GET", "/poste", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 303);
    web_free(&r);
}

/* The lock itself: one holder among sessions, released by unlock. */
static void test_task_lock(void **state)
{
    (void)state;
    setenv("ISCGOBS_DATABASE_URL", A.db_url, 1);
    obs_config cfg;
    obs_err e;
    obs_err_clear(&e);
    assert_int_equal(obs_config_load(&cfg, &e), OBS_OK);
    obs_task_lock one, two;
    int held = 0;
    assert_int_equal(obs_task_trylock("it.task", &one, &held, &e), OBS_OK);
    assert_int_equal(held, 1);
    assert_int_equal(obs_task_trylock("it.task", &two, &held, &e), OBS_OK);
    assert_int_equal(held, 0); /* another session holds it */
    assert_int_equal(obs_task_trylock("it.other", &two, &held, &e), OBS_OK);
    assert_int_equal(held, 1); /* one lock per task */
    obs_task_unlock(&two);
    obs_task_unlock(&one);
    assert_int_equal(obs_task_trylock("it.task", &one, &held, &e), OBS_OK);
    assert_int_equal(held, 1);
    obs_task_unlock(&one);
}

/* While the test holds the protection task's lock, neither server runs it (both retry);
 * once released, each runs it. */
static void test_warm_once(void **state)
{
    (void)state;
    PGconn *c = it_db(&A);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%d, hashtext('%s'))::int",
             OBS_TASK_LOCK_CLASS, AGG_WARM_TASK);
    int got = 0; /* a protection of the previous uploads may still be running */
    for (int i = 0; i < 300 && !got; i++)
        if (!(got = it_sql_long(c, sql) == 1))
            usleep(100 * 1000);
    assert_true(got);
    int warm_a = ops_log_count(&A, "agg.warm round="), warm_b = ops_log_count(&B, "agg.warm round=");
    int busy_a = ops_log_count(&A, "task=agg.warm held=0"), busy_b = ops_log_count(&B, "task=agg.warm held=0");
    char grid[400], path[80];
    const it_server *srv[2] = {&A, &B};
    for (int i = 0; i < 2; i++) {
        int n = snprintf(grid, sizeof grid,
                         HEADER "%s-0%d;L-%d;1960;M;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                         upload_month, 5 + i, i);
        snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, upload_month);
        it_resp r;
        it_http(srv[i], "PUT", path, tok_admin, "text/csv", grid, (size_t)n, &r);
        assert_int_equal(r.status, 200); /* a correction of the month */
        it_resp_free(&r);
    }
    /* both find the lock taken (at least twice each: they retry), bounded by count and time */
    int waited = 0;
    for (int i = 0; i < 200 && !waited; i++) {
        waited = ops_log_count(&A, "task=agg.warm held=0") >= busy_a + 2 &&
                 ops_log_count(&B, "task=agg.warm held=0") >= busy_b + 2;
        if (!waited)
            usleep(100 * 1000);
    }
    assert_true(waited);
    assert_int_equal(ops_log_count(&A, "agg.warm round="), warm_a);
    assert_int_equal(ops_log_count(&B, "agg.warm round="), warm_b);
    PQfinish(c); /* the session ends: the lock is released */
    int ran = 0;
    for (int i = 0; i < 300 && !ran; i++) {
        ran = ops_log_count(&A, "agg.warm round=") > warm_a && ops_log_count(&B, "agg.warm round=") > warm_b;
        if (!ran)
            usleep(100 * 1000);
    }
    assert_true(ran);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers),
        cmocka_unit_test(test_session_across),
        cmocka_unit_test(test_task_lock),
        cmocka_unit_test(test_warm_once),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
