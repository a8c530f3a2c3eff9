/* long_ops_replica.c: public reads on a real streaming hot standby (docs/operations.md, "A
 * replica for readers"). A primary cluster and its standby (`pg_basebackup -R`, both started
 * by scripts/pg.sh as its unprivileged user); server A reads public figures on the standby
 * (ISCGOBS_READ_DATABASE_URL), server B only the primary (the reference). A demo year loaded
 * through A is read on the standby within the published lag bound (15 s, spec/indicators.md
 * section 3); with the primary stopped A's public answers still come (from the standby) while
 * its analysts' do not; with the standby's replay paused, posts and analysts still read their
 * own writes (the primary) and public answers move to the primary once the standby is too far
 * behind; with the standby stopped, public reads fall back to the primary without an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ops_it.h"

#define PRIMARY "replica_primary"
#define STANDBY "replica_standby"
#define BOUND_S 15 /* spec/indicators.md section 3 */

static it_server A, B;
static char tok_admin[80], tok_analyst[80], tok_post[80], post[16] = "ISCG-075-97";
static char standby_url[700], paths[3][200], month[16];
static int year;

#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The status of GET path on s (anonymous when token is NULL); the body into *body when not
 * NULL (free() it). */
static long get(const it_server *s, const char *path, const char *token, char **body)
{
    it_resp r;
    it_http(s, "GET", path, token, NULL, NULL, 0, &r);
    if (body)
        *body = r.body;
    else
        free(r.body);
    return r.status;
}

/* 1 when every public path answers the same on A (standby) as on B (primary). */
static int public_same(void)
{
    int same = 1;
    for (int i = 0; i < 2 && same; i++) {
        char *a = NULL, *b = NULL;
        same = get(&A, paths[i], NULL, &a) == 200 && get(&B, paths[i], NULL, &b) == 200 &&
               strcmp(a, b) == 0;
        free(a);
        free(b);
    }
    return same;
}

/* Wait (bounded by BOUND_S and a count) until A's public answers equal B's; the seconds it
 * took, or -1. */
static double wait_public_same(void)
{
    double t0 = now_s();
    for (int i = 0; i < 10 * BOUND_S; i++) {
        if (public_same())
            return now_s() - t0;
        if (now_s() - t0 > BOUND_S)
            break;
        usleep(100 * 1000);
    }
    return -1;
}

static void standby_sql(const char *sql)
{
    PGconn *c = PQconnectdb(standby_url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    ops_sql(c, sql);
    PQfinish(c);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    char admin_url[700], demo[700], csv[760], ys[16], env[800];
    ops_cluster_start(PRIMARY, "postgres", admin_url, sizeof admin_url);
    setenv("IT_PG_URL", admin_url, 1);
    it_setup(&A, "it_replica");
    it_user_add(&A, "admin", NULL, tok_admin);
    it_user_add(&A, "analyst", NULL, tok_analyst);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    snprintf(month, sizeof month, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(demo, sizeof demo, "%s/demo", A.dir);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts",
                                                               "8", "--year", ys, NULL}), 0);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    char opened[16];
    snprintf(opened, sizeof opened, "%d-01", year);
    it_post_add(&A, post, "75", opened);
    it_user_add(&A, "post", post, tok_post);
    ops_standby_start(PRIMARY, STANDBY, "it_replica", standby_url, sizeof standby_url);
    B = A;
    snprintf(B.log_path, sizeof B.log_path, "%s/server_b.log", A.dir);
    snprintf(env, sizeof env, "ISCGOBS_READ_DATABASE_URL=%s", standby_url);
    it_start(&A, (const char *const[]){env, NULL});
    it_start(&B, NULL);
    snprintf(paths[0], sizeof paths[0], "/api/v1/indicators?area=FR&period=%d", year);
    snprintf(paths[1], sizeof paths[1],
             "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%.4s&format=csv", year,
             month);
    snprintf(paths[2], sizeof paths[2], "/rapports/national/%d", year);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&A);
    it_stop_checked(&B);
    ops_cluster_stop(STANDBY);
    ops_cluster_stop(PRIMARY);
    return 0;
}

/* A year loaded on the primary is read on the standby within the bound; the standby alone
 * answers the public while the primary is down. */
static void test_year_on_standby(void **state)
{
    (void)state;
    char demo[700];
    snprintf(demo, sizeof demo, "%s/demo", A.dir);
    assert_int_equal(it_cli(&A, NULL, 0, (const char *const[]){"upload", demo, "--url", A.base,
                                                               "--token", tok_admin, "--jobs",
                                                               "4", NULL}), 0);
    double took = wait_public_same();
    assert_true(took >= 0);
    PGconn *s = PQconnectdb(standby_url);
    long grids = it_sql_long(s, "SELECT count(*) FROM grid");
    long cells = it_sql_long(s, "SELECT count(*) FROM indicator_now");
    PQfinish(s);
    assert_true(grids >= 80);
    char *ref[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(get(&A, paths[i], NULL, &ref[i]), 200);

    /* The primary stopped: A's public answers come from the standby, unchanged; an analyst's
     * read needs the primary. */
    ops_cluster_stop(PRIMARY);
    for (int i = 0; i < 3; i++) {
        char *body = NULL;
        long st = get(&A, paths[i], NULL, &body);
        if (st != 200)
            fail_msg("%s with the primary down: %ld", paths[i], st);
        if (i < 2) /* the report's page carries its time of rendering */
            assert_string_equal(body, ref[i]);
        free(body);
    }
    assert_int_equal(get(&A, paths[0], tok_analyst, NULL), 503);
    char admin_url[700];
    ops_cluster_start(PRIMARY, "postgres", admin_url, sizeof admin_url);
    int back = 0;
    for (int i = 0; i < 300 && !back; i++)
        if (!(back = get(&A, paths[0], tok_analyst, NULL) == 200))
            usleep(100 * 1000);
    assert_true(back);
    for (int i = 0; i < 3; i++)
        free(ref[i]);
    print_message("%ld grids, %ld indicators read on the standby %.1f s after the upload ended\n",
                  grids, cells, took);
}

/* Replay paused: posts and analysts read their writes at once (primary); public answers
 * move to the primary when the standby is too late, and back once it has caught up. */
static void test_read_your_writes(void **state)
{
    (void)state;
    int late = ops_log_count(&A, "standby=late"), fresh = ops_log_count(&A, "standby=fresh");
    standby_sql("SELECT pg_wal_replay_pause()");
    char grid[600], path[80], mine[160];
    int n = snprintf(grid, sizeof grid,
                     HEADER "%s-01;RY-1;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n"
                            "%s-02;RY-2;1990;M;75011;AUTRE;POL_ACCUEIL;OUI;SANTE_MENTALE;CCAS;BUREAU;\n",
                     month, month);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, month);
    it_resp r;
    it_http(&A, "PUT", path, tok_post, "text/csv", grid, (size_t)n, &r);
    assert_int_equal(r.status, 201);
    it_resp_free(&r);
    snprintf(mine, sizeof mine, "/api/v1/indicators?mesure=NB_CONTACTS&area=%s&period=%s", post,
             month);
    /* the post its own value, the analyst the (protected) cell */
    const char *who[2] = {tok_post, tok_analyst}, *want[2] = {"\"value\":2", "\"NB_CONTACTS\""};
    for (int w = 0; w < 2; w++) {
        char *body = NULL;
        assert_int_equal(get(&A, mine, who[w], &body), 200);
        if (strstr(body, want[w]) == NULL)
            fail_msg("%s does not see its write: %s", w ? "analyst" : "post", body);
        free(body);
    }
    PGconn *s = PQconnectdb(standby_url);
    char q[200];
    snprintf(q, sizeof q, "SELECT count(*) FROM grid WHERE post = '%s'", post);
    assert_int_equal(it_sql_long(s, q), 0); /* the standby does not have it */
    PQfinish(s);
    /* the public answers follow within the bound: only the primary has the grid */
    double took = wait_public_same();
    assert_true(took >= 0);
    assert_true(ops_log_count(&A, "standby=late") > late);
    standby_sql("SELECT pg_wal_replay_resume()");
    int ok = 0;
    for (int i = 0; i < 10 * BOUND_S && !ok; i++) {
        char *body = NULL;
        get(&A, paths[0], NULL, &body); /* public reads run the check */
        free(body);
        if (!(ok = ops_log_count(&A, "standby=fresh") > fresh))
            usleep(100 * 1000);
    }
    assert_true(ok);
    assert_true(public_same());
    print_message("replay paused: public answers on the primary after %.1f s\n", took);
}

/* The standby stopped: public reads fall back to the primary, no error to the reader. */
static void test_standby_down(void **state)
{
    (void)state;
    ops_cluster_stop(STANDBY);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3; i++) {
            long st = get(&A, paths[i], NULL, NULL);
            if (st != 200)
                fail_msg("%s with the standby down: %ld", paths[i], st);
        }
    }
    assert_true(public_same());
    assert_true(ops_log_count(&A, "standby=down") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_year_on_standby),
        cmocka_unit_test(test_read_your_writes),
        cmocka_unit_test(test_standby_down),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
