/* test_agg_audit.c: the disclosure audit on a whole demonstration year as published: a demo
 * year generated, its register imported and its grids uploaded through the real server, then
 * the published cells (agg_published_cells, what the exporters use) attacked by agg_audit:
 * no finding, for the public table and for the analysts' table with posts; and every view
 * (public, analyst, a post's) carries the statuses of one protection. */
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
#include "relations.h"

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
    /* The national demo year (450 posts, ~1.3 million cells with posts) in the plain build;
     * sanitizer builds are several times slower: 60 posts (one per département at most;
     * multi-post départements are in test_sdc's national-size table). IT_AUDIT_POSTS
     * overrides both. */
    const char *bin = getenv("IT_BIN");
    int small = bin && (strstr(bin, "/address/") || strstr(bin, "/undefined/"));
    char dir[700], posts[16], ys[16], csv[760];
    snprintf(dir, sizeof dir, "%s/demo", S.dir);
    snprintf(posts, sizeof posts, "%s",
             getenv("IT_AUDIT_POSTS") ? getenv("IT_AUDIT_POSTS") : small ? "60" : "450");
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

/* Read the year as view sees it (post: the post of AGG_VIEW_POST). */
static agg_cell *read_view(PGconn *c, agg_view view, const char *post, size_t *n)
{
    obs_err e;
    agg_query q;
    agg_query_init(&q);
    q.has_from = q.has_to = 1;
    q.from = q.to = (agg_period){'A', year, 0};
    agg_cell *cells = NULL;
    double t0 = now_s();
    assert_int_equal(agg_select_cells(c, &q, view, post, 0, &cells, n, &e), OBS_OK);
    fprintf(stderr, "timing: view %d read (protection included when not cached) %.1f s\n",
            (int)view, now_s() - t0);
    assert_true(*n > 10000);
    return cells;
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
    fprintf(stderr, "timing: published cells (protection included when not cached) %.1f s, "
            "audit %.1f s\n", t1 - t0, t2 - t1);
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

/* A measurement, not a check: the known limit of docs/disclosure-control.md section 8. A post
 * sees its own figures unprotected, so from any published area cell it learns the rest of
 * the area (the cell minus its own part). Count the published area cells (counts, and the
 * numerators and rests of the percentages with a geography) where that rest is in [1, k)
 * for the area's largest post: a small group of other posts' people. */
static void insider_stat(const agg_cell *cells, size_t n, int k)
{
    agg_relset rs;
    obs_err e;
    assert_int_equal(agg_relset_build(cells, n, &rs, &e), OBS_OK);
    double *top = malloc(2 * n * sizeof *top); /* the largest post's magnitudes under a cell */
    assert_non_null(top);
    for (size_t i = 0; i < 2 * n; i++)
        top[i] = -1;
    static const char levels[] = "DRF"; /* posts -> D, then D -> R, then R -> FR */
    for (int l = 0; l < 3; l++)
        for (size_t r = 0; r < rs.nrels; r++) {
            const agg_rel *rl = &rs.rels[r];
            if (rl->kind != AGG_REL_GEO || cells[rl->total].area[0] != levels[l])
                continue;
            for (size_t j = 0; j < rl->nparts; j++) {
                size_t p = rs.members[rl->first + j];
                double m[2] = {-1, -1};
                if (l == 0)
                    agg_rel_magnitudes(&cells[p], rs.mclass[p], m);
                else
                    m[0] = top[2 * p], m[1] = top[2 * p + 1];
                for (int c = 0; c < 2; c++)
                    if (m[c] > top[2 * rl->total + (size_t)c])
                        top[2 * rl->total + (size_t)c] = m[c];
            }
        }
    size_t exposed[3] = {0, 0, 0}, published[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const char *lv = strchr(levels, cells[i].area[0]);
        if (lv == NULL || agg_withheld(&cells[i]) || top[2 * i] < 0)
            continue;
        double m[2];
        int nm = agg_rel_magnitudes(&cells[i], rs.mclass[i], m), hit = 0;
        for (int c = 0; c < nm; c++)
            hit |= m[c] - top[2 * i + (size_t)c] >= 1 && m[c] - top[2 * i + (size_t)c] < k;
        published[lv - levels]++;
        exposed[lv - levels] += (size_t)hit;
    }
    fprintf(stderr, "insider (known limit): published cells whose rest after the largest post "
            "is in [1,k): D %zu of %zu, R %zu of %zu, FR %zu of %zu\n", exposed[0],
            published[0], exposed[1], published[1], exposed[2], published[2]);
    free(top);
    agg_relset_free(&rs);
}

typedef struct keyed {
    uint64_t key;
    char conf;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    uint64_t x = ((const keyed *)a)->key, y = ((const keyed *)b)->key;
    return x < y ? -1 : x > y;
}

/* Every view is cut from one protection: the public cells and a post's view of the other
 * cells carry exactly the analysts' conf_status, so that what one person sees in several
 * views is still that one protected table (the analysts' table passes the audit above). */
static void test_views_agree(void **state)
{
    (void)state;
    obs_err e;
    PGconn *c = obs_db_open(S.db_url, &e);
    assert_non_null(c);
    size_t na, np, nv;
    agg_cell *an = read_view(c, AGG_VIEW_ANALYST, NULL, &na);
    agg_cell *pub = read_view(c, AGG_VIEW_PUBLIC, NULL, &np);
    keyed *idx = malloc(na * sizeof *idx);
    assert_non_null(idx);
    char post[16] = "";
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(agg_cellkey(&an[i], &idx[i].key), 0);
        idx[i].conf = an[i].conf_status;
        if (!post[0] && strncmp(an[i].area, "ISCG-", 5) == 0)
            snprintf(post, sizeof post, "%s", an[i].area);
    }
    qsort(idx, na, sizeof *idx, cmp_keyed);
    insider_stat(an, na, obs_config_get()->sdc_k);
    agg_cell *own = read_view(c, AGG_VIEW_POST, post, &nv);
    size_t same = 0, owned = 0;
    for (int v = 0; v < 2; v++) {
        const agg_cell *cells = v ? own : pub;
        size_t n = v ? nv : np;
        for (size_t i = 0; i < n; i++) {
            keyed probe;
            assert_int_equal(agg_cellkey(&cells[i], &probe.key), 0);
            const keyed *hit = bsearch(&probe, idx, na, sizeof *idx, cmp_keyed);
            assert_non_null(hit);
            if (v && strcmp(cells[i].area, post) == 0) {
                assert_int_equal(cells[i].conf_status, 'F'); /* its own figures */
                owned++;
                continue;
            }
            assert_int_equal(cells[i].conf_status, hit->conf);
            same++;
        }
    }
    fprintf(stderr, "views: %zu public, %zu of %s's view, %zu cells compared, %zu own\n", np, nv,
            post, same, owned);
    assert_true(owned > 0 && same == np + nv - owned);
    free(idx);
    free(an);
    free(pub);
    free(own);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_year),
        cmocka_unit_test(test_analyst_year),
        cmocka_unit_test(test_views_agree),
    };
    int failed = cmocka_run_group_tests_name("integration_agg_audit", tests, setup, teardown);
    return failed || it_stop_failures;
}
