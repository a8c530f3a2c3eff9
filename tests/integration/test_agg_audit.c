/* test_agg_audit.c: the disclosure audit on a whole demonstration year as published: a demo
 * year generated, its register imported and its grids uploaded through the real server, then
 * the published cells (agg_published_cells, what the exporters use) attacked by agg_audit:
 * no finding, for the public table and for the analysts' table with posts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cells.h"
#include "config.h"
#include "db.h"
#include "harness.h"
#include "publish.h"
#include "ref.h"

static it_server S;
static char tok_admin[80];
static int year;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_agg_audit");
    it_user_add(&S, "admin", NULL, tok_admin);
    /* The year is loaded with the incremental refresh off and then recomputed once by
     * `iscgobs aggregate` (incremental == full is test_agg_consistency's business): a whole
     * national year then loads in well under a minute instead of ten. */
    it_start(&S, (const char *const[]){"ISCGOBS_REFRESH=off", NULL});
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    /* Sanitizer builds are several times slower: a smaller (still national) year. */
    const char *bin = getenv("IT_BIN");
    int small = bin && (strstr(bin, "/address/") || strstr(bin, "/undefined/"));
    char dir[700], posts[16], ys[16], csv[760];
    snprintf(dir, sizeof dir, "%s/demo", S.dir);
    snprintf(posts, sizeof posts, "%s",
             getenv("IT_AUDIT_POSTS") ? getenv("IT_AUDIT_POSTS") : small ? "15" : "450");
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(csv, sizeof csv, "%s/posts.csv", dir);
    double t0 = now_s();
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"demo", "--out", dir, "--posts", posts, "--year",
                                                  ys, NULL}),
                     0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    double t1 = now_s();
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"upload", dir, "--url", S.base, "--token",
                                                  tok_admin, "--jobs", "4", NULL}),
                     0);
    double t2 = now_s();
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    double t3 = now_s();
    fprintf(stderr, "load: %s posts: demo+register %.1f s, upload %.1f s, aggregate %.1f s\n",
            posts, t1 - t0, t2 - t1, t3 - t2);
    /* This process reads the published cells with the library, as the exporters will. */
    obs_err e;
    setenv("ISCGOBS_DATABASE_URL", S.db_url, 1);
    setenv("ISCGOBS_KEY_FILE", S.key_path, 1);
    assert_int_equal(obs_config_load((obs_config *)obs_config_get(), &e), OBS_OK);
    assert_int_equal(ref_init(&e), OBS_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agg_publish_reset();
    it_stop_checked(&S);
    return 0;
}

static void audit(int include_posts)
{
    obs_err e;
    PGconn *c = obs_db_open(S.db_url, &e);
    assert_non_null(c);
    agg_query q;
    agg_query_init(&q);
    q.has_from = q.has_to = 1;
    q.from = q.to = (agg_period){'A', year, 0};
    agg_cell *cells = NULL;
    size_t n = 0;
    double t0 = now_s();
    assert_int_equal(agg_published_cells(c, &q, include_posts, &cells, &n, &e), OBS_OK);
    double t1 = now_s();
    assert_true(n > 10000);
    size_t withheld = 0, posts = 0;
    for (size_t i = 0; i < n; i++) {
        withheld += cells[i].conf_status != 'F';
        posts += strncmp(cells[i].area, "ISCG-", 5) == 0;
    }
    assert_true(withheld > 0 && withheld < n);
    assert_true(include_posts ? posts > 0 : posts == 0);
    agg_audit_report rep;
    assert_int_equal(agg_audit(cells, n, obs_config_get()->sdc_k, &rep, &e), OBS_OK);
    double t2 = now_s();
    fprintf(stderr, "timing: published cells (protection included) %.1f s, audit %.1f s\n",
            t1 - t0, t2 - t1);
    for (size_t i = 0; i < rep.n && i < 10; i++)
        fprintf(stderr, "finding: %s | %s | %s\n", rep.items[i].relation, rep.items[i].cell,
                rep.items[i].problem);
    fprintf(stderr, "audit: %zu cells, %zu withheld, %zu relations, %zu findings\n", n, withheld,
            rep.relations_checked, rep.n);
    assert_int_equal(rep.n, 0);
    assert_true(rep.relations_checked > 0);
    agg_audit_free(&rep);
    /* The second read comes from the cache: the same statuses. */
    agg_cell *again = NULL;
    size_t n2 = 0;
    assert_int_equal(agg_published_cells(c, &q, include_posts, &again, &n2, &e), OBS_OK);
    assert_int_equal(n2, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(again[i].conf_status, cells[i].conf_status);
    free(again);
    free(cells);
    PQfinish(c);
}

static void test_public_year(void **state)
{
    (void)state;
    audit(0);
}

static void test_analyst_year(void **state)
{
    (void)state;
    audit(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_year),
        cmocka_unit_test(test_analyst_year),
    };
    int failed = cmocka_run_group_tests_name("integration_agg_audit", tests, setup, teardown);
    return failed || it_stop_failures;
}
