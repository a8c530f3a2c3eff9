/* long_burst.c: the month-end burst (issue 11 point 9, docs/reliability.md "Month-end
 * burst"): every post of the national demonstration (450 by default, IT_BURST_POSTS) uploads
 * its grid of one month at once over 32 connections to the real `iscgobs serve` in its
 * default configuration (the indicators refreshed in every upload). Proves: no error, every
 * grid stored whole, the stored indicators equal to a full recompute afterwards (the
 * concurrent refreshes lost or doubled nothing), the server's peak RSS under 100 MiB; prints
 * the latency p50/p99 and the throughput (figures, not assertions: the machine is shared).
 * `make bench` measures the same burst against the refresh-off baseline (bench/RESULTS.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "hostile_client.h"

#define CONNECTIONS 32
#define MAX_FILES 1000
#define BURST_SECONDS 600 /* bound on the burst (then the test fails, and says so) */
#define RSS_BOUND_KIB (100 * 1024)

static it_server S;
static char tok_admin[80];
static int year;
static char month[16];           /* YYYY-MM of the burst */
static char demo[700];

static char *files[MAX_FILES];   /* the month's grid files */
static int nfiles;
static atomic_int next_file;
static double latency_ms[MAX_FILES];
static long status_of[MAX_FILES];
static time_t burst_start;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int setup(void **state)
{
    (void)state;
    const char *np = getenv("IT_BURST_POSTS");
    char posts[16], ys[16], csv[760];
    snprintf(posts, sizeof posts, "%s", np && *np ? np : "450");
    it_setup(&S, "it_burst");
    it_user_add(&S, "admin", NULL, tok_admin);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(month, sizeof month, "%04d-06", year % 10000);
    snprintf(demo, sizeof demo, "%s/demo", S.dir);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts",
                                                               posts, "--year", ys, NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    char gdir[720];
    snprintf(gdir, sizeof gdir, "%s/grids", demo);
    DIR *d = opendir(gdir);
    assert_non_null(d);
    struct dirent *de;
    char tail[24];
    snprintf(tail, sizeof tail, "_%s.", month);
    while ((de = readdir(d)) != NULL && nfiles < MAX_FILES) {
        if (strstr(de->d_name, tail) == NULL)
            continue;
        size_t cap = strlen(gdir) + strlen(de->d_name) + 2;
        files[nfiles] = malloc(cap);
        assert_non_null(files[nfiles]);
        snprintf(files[nfiles], cap, "%s/%s", gdir, de->d_name);
        nfiles++;
    }
    closedir(d);
    it_start(&S, NULL); /* the default configuration: ISCGOBS_REFRESH not set */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    for (int i = 0; i < nfiles; i++)
        free(files[i]);
    return 0;
}

/* One connection of the burst: takes the next file until none is left (or time is up). */
static void *burst_client(void *arg)
{
    (void)arg;
    for (int i; (i = atomic_fetch_add(&next_file, 1)) < nfiles;) {
        if (time(NULL) - burst_start > BURST_SECONDS) {
            status_of[i] = -2;
            continue;
        }
        const char *base = strrchr(files[i], '/') + 1; /* <post>_<YYYY-MM>.<ext> */
        const char *us = strrchr(base, '_');
        const char *dot = strrchr(base, '.');
        char path[160];
        snprintf(path, sizeof path, "/api/v1/grids/%.*s/%.7s", (int)(us - base), base, us + 1);
        size_t len;
        char *body = it_read_file(files[i], &len);
        it_resp r;
        double t0 = now_ms();
        it_http(&S, "PUT", path, tok_admin, strcmp(dot, ".xml") ? "text/csv" : "application/xml",
                body, len, &r);
        latency_ms[i] = now_ms() - t0;
        status_of[i] = r.status;
        if (r.status / 100 != 2)
            fprintf(stderr, "burst: %s answered %ld: %.200s\n", base, r.status,
                    r.body ? r.body : "");
        it_resp_free(&r);
        free(body);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The stored indicators (every cell, without their update time), as one digest. */
static void indicators_digest(PGconn *c, char out[64])
{
    PGresult *r = PQexec(c, "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), "
                            "'')) FROM (SELECT area, period, mesure, sexe, age, statut, origine, "
                            "problematique, partenaire, mode, lvl, freq, pstart, num, den, value, "
                            "nposts, obs_status FROM indicator_now) t");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    snprintf(out, 64, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static void test_month_end_burst(void **state)
{
    (void)state;
    assert_true(nfiles >= 100);
    long rss_start = hc_proc_kib(S.pid, "VmHWM");
    pthread_t th[CONNECTIONS];
    burst_start = time(NULL);
    double t0 = now_ms();
    for (int i = 0; i < CONNECTIONS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, burst_client, NULL), 0);
    for (int i = 0; i < CONNECTIONS; i++)
        pthread_join(th[i], NULL);
    double took_s = (now_ms() - t0) / 1e3;
    long rss_peak = hc_proc_kib(S.pid, "VmHWM");

    int ok = 0;
    for (int i = 0; i < nfiles; i++)
        ok += status_of[i] / 100 == 2;
    double sorted[MAX_FILES];
    memcpy(sorted, latency_ms, sizeof(double) * (size_t)nfiles);
    qsort(sorted, (size_t)nfiles, sizeof(double), cmp_double);
    print_message("burst: %d grids of %s over %d connections in %.1f s (%.1f grids/s): %d "
                  "accepted, %d errors; latency p50 %.0f ms, p99 %.0f ms; server peak RSS "
                  "%ld KiB (%ld KiB at start)\n",
                  nfiles, month, CONNECTIONS, took_s, nfiles / took_s, ok, nfiles - ok,
                  sorted[nfiles / 2], sorted[(nfiles * 99) / 100], rss_peak, rss_start);
    assert_int_equal(ok, nfiles);

    PGconn *c = it_db(&S);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM grid WHERE period = '%s-01'", month);
    assert_int_equal(it_sql_long(c, sql), nfiles);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*) "
                                    "FROM contact c WHERE c.post = g.post AND c.period = "
                                    "g.period)"),
                     0);
    /* The refreshes of 32 concurrent uploads equal one full recompute, row by row. */
    char before[64], after[64];
    indicators_digest(c, before);
    long cells = it_sql_long(c, "SELECT count(*) FROM indicator_now");
    assert_true(cells > 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"aggregate", NULL}),
                     0);
    indicators_digest(c, after);
    print_message("burst: %ld indicator cells equal to a full recompute: %s\n", cells,
                  strcmp(before, after) ? "no" : "yes");
    assert_string_equal(before, after);
    PQfinish(c);
    assert_true(rss_peak > 0 && rss_peak < RSS_BOUND_KIB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_end_burst),
    };
    return cmocka_run_group_tests_name("long_burst", tests, setup, teardown);
}
