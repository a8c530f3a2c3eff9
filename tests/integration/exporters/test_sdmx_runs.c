/* test_sdmx_runs.c: SDMX vintages against the real server and a real PostgreSQL, on the
 * small demonstration year of sdmx_it.h: after a correction, asOf before it returns the
 * figures as published then, updatedAfter returns only what changed; a run recorded between
 * two pages does not change an answer; a run is one state of the indicators and its
 * published_at is its commit time (fault injection: the Makefile links this test with
 * -Wl,--wrap=agg_round_cells and -Wl,--wrap=obs_db_exec). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "harness.h"
#include "web_client.h"
#include "publish.h"
#include "ref.h"
#include "sdmx_data.h"
#include "sdmx_vintage.h"
#include "sdmx_valid.h"

#include "sdmx_it.h"

/* ---- vintages ---- */

/* The first grid CSV of the demo (post, month), keeping 1/part of its data rows. */
static char *demo_grid(char *post, char *month, size_t *len, int part)
{
    char dir[800];
    snprintf(dir, sizeof dir, "%s/grids", demo_dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    char name[256] = "";
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".csv") == 0 &&
            (name[0] == '\0' || strcmp(de->d_name, name) < 0))
            snprintf(name, sizeof name, "%s", de->d_name);
    }
    closedir(d);
    assert_true(name[0] != '\0');
    assert_int_equal(sscanf(name, "%11[^_]_%7s", post, month), 2);
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *g = it_read_file(p, len);
    if (part == 1)
        return g;
    size_t lines = 0;
    for (size_t i = 0; i < *len; i++)
        lines += g[i] == '\n';
    assert_true(lines > 4);
    size_t keep = 1 + (lines - 1) / (size_t)part, seen = 0;
    for (size_t i = 0; i < *len; i++)
        if (g[i] == '\n' && ++seen == keep) {
            *len = i + 1;
            break;
        }
    return g;
}

/* Which part of the first demo grid is stored: 0 whole (the demo), 1 half, 2 a quarter. */
static int grid_variant;

/* A correction through the real server: the first demo grid, whole, then halved, then a
 * quarter of it, then whole again..., so that every call changes the published figures and
 * two calls never come back to the figures of a run before them. Returns the grid's month
 * (YYYY-MM) in month[16] when month is not NULL. */
static void correct_first_grid(char *month)
{
    static const int parts[] = {1, 2, 4};
    char post[16], m[16], path[300];
    size_t len;
    grid_variant = (grid_variant + 1) % 3;
    char *grid = demo_grid(post, m, &len, parts[grid_variant]);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, m);
    it_resp u;
    it_http(&S, "PUT", path, tok_admin, "text/csv", grid, len, &u);
    assert_int_equal(u.status, 200);
    it_resp_free(&u);
    free(grid);
    if (month)
        snprintf(month, 16, "%s", m);
}

static void test_vintages(void **state)
{
    (void)state;
    const char *series = FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T";
    web_resp before, after, asof, upd;
    get(series, "Accept: " CSV, NULL, &before);
    assert_int_equal(before.status, 200);
    sleep(2);
    time_t t1 = time(NULL);
    char ts[32];
    exp_datetime(t1, ts, sizeof ts);
    sleep(2);
    char month[16], path[300];
    correct_first_grid(month); /* halves it */

    get(series, "Accept: " CSV, NULL, &after);
    assert_int_equal(after.status, 200);
    assert_true(after.len != before.len || memcmp(after.body, before.body, before.len) != 0);
    snprintf(path, sizeof path, "%s?asOf=%s", series, ts);
    get(path, "Accept: " CSV, NULL, &asof);
    assert_int_equal(asof.status, 200);
    assert_int_equal(asof.len, before.len); /* as published then, the correction unseen */
    assert_memory_equal(asof.body, before.body, before.len);
    snprintf(path, sizeof path, "%s?updatedAfter=%s", series, ts);
    get(path, "Accept: " CSV, NULL, &upd);
    assert_int_equal(upd.status, 200);
    size_t n;
    row *rows = parse_csv(upd.body, &n);
    assert_true(n >= 1 && n < 12); /* only the corrected month changed in this series */
    char want[32];
    snprintf(want, sizeof want, "|%s", month);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= strstr(rows[i].key, want) != NULL;
    assert_true(found);
    free(rows);
    /* Before anything was published: nothing. */
    expect_error(FLOW "/all?asOf=2001-01-01T00:00:00Z", NULL, 404, "100");
    PGconn *c = it_db(&S);
    assert_true(it_sql_long(c, "SELECT count(*) FROM sdmx_publication") >= 2);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM sdmx_vintage WHERE value IS NOT NULL"
                                    " AND conf_status <> 'F'"),
                     0); /* the history holds nothing withheld */
    PQfinish(c);
    web_free(&before);
    web_free(&after);
    web_free(&asof);
    web_free(&upd);
}

/* ---- fault injection (the Makefile links this test with -Wl,--wrap=...) ---- */

obs_status __real_agg_round_cells(agg_round *r, const agg_query *q, int include_posts,
                                  agg_cell **out, size_t *n, obs_err *e);
obs_status __real_obs_db_exec(PGconn *c, const char *sql, int nparams,
                              const char *const *params, PGresult **res, obs_err *e);

/* Set: a correction through the server right after the next read of cells. */
static int correct_after_next_read;

obs_status __wrap_agg_round_cells(agg_round *r, const agg_query *q, int include_posts,
                                  agg_cell **out, size_t *n, obs_err *e)
{
    obs_status rc = __real_agg_round_cells(r, q, include_posts, out, n, e);
    if (correct_after_next_read) {
        correct_after_next_read = 0;
        correct_first_grid(NULL);
    }
    return rc;
}

/* Set: sleep 1.5 s before the next statement adding a run's rows (after the run's INSERT,
 * before its COMMIT); delayed_until is the time the sleep ended. */
static int delay_next_add;
static double delayed_until;

static double now_real(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

obs_status __wrap_obs_db_exec(PGconn *c, const char *sql, int nparams,
                              const char *const *params, PGresult **res, obs_err *e)
{
    if (delay_next_add && strstr(sql, "INSERT INTO sdmx_vintage")) {
        delay_next_add = 0;
        usleep(1500 * 1000);
        delayed_until = now_real();
    }
    return __real_obs_db_exec(c, sql, nparams, params, res, e);
}

/* ---- reading runs page by page, in this process (the server records runs the same way) ---- */

/* Every observation of run, read as the stream reads it: pages of page observations after a
 * keyset cursor. between (may be NULL) runs once, after the first page. *n observations, in
 * series order; the caller frees the array. */
static exp_obs *read_run(PGconn *c, const exp_run *run, size_t page, void (*between)(void),
                         size_t *n)
{
    exp_data_query q;
    exp_data_query_init(&q);
    exp_source src;
    obs_err e;
    assert_int_equal(exp_source_init(&src, &q, run, -1, &e), OBS_OK);
    size_t cap = page, k = 0, got = 0;
    exp_obs *all = malloc(cap * sizeof *all);
    assert_non_null(all);
    do {
        if (k + page > cap) {
            while (k + page > cap)
                cap *= 2;
            all = realloc(all, cap * sizeof *all);
            assert_non_null(all);
        }
        const exp_obs *after = k ? &all[k - 1] : NULL;
        assert_int_equal(exp_source_page(c, &src, after, page, all + k, &got, &e), OBS_OK);
        k += got;
        if (between && k == got) /* the first page was read */
            between();
    } while (got == page);
    *n = k;
    return all;
}

/* Between two pages of a streamed answer: a correction, and the run it causes. */
static long long between_run;
static void correct_and_publish(void)
{
    correct_first_grid(NULL);
    obs_err e;
    exp_run r;
    assert_int_equal(exp_vintage_current(obs_db_conn(&e), "query", &r, &e), OBS_OK);
    between_run = r.id;
}

/* A run recorded while an answer is being streamed does not change the answer: every page
 * reads the run the answer started with, even when the new run ends some of its rows. */
static void test_pages_across_runs(void **state)
{
    (void)state;
    obs_err e;
    PGconn *c = obs_db_conn(&e);
    assert_non_null(c);
    exp_run run;
    assert_int_equal(exp_vintage_current(c, "query", &run, &e), OBS_OK);
    size_t n_whole, n_paged;
    exp_obs *whole = read_run(c, &run, 1000, NULL, &n_whole);
    assert_true(n_whole > 5000);
    exp_obs *paged = read_run(c, &run, 500, correct_and_publish, &n_paged);
    assert_true(between_run > run.id);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT closed FROM sdmx_publication WHERE id = %lld", between_run);
    PGconn *t = it_db(&S);
    assert_true(it_sql_long(t, sql) > 0); /* the new run did end rows of the old one */
    PQfinish(t);
    assert_int_equal(n_paged, n_whole);
    assert_memory_equal(paged, whole, n_whole * sizeof *whole);
    free(whole);
    free(paged);
}

/* The published cells now, as observations in series order (the caller frees them). */
static exp_obs *published_now(PGconn *c, size_t *n)
{
    agg_cell *cells = NULL;
    obs_err e;
    assert_int_equal(agg_published_cells(c, NULL, 0, &cells, n, &e), OBS_OK);
    exp_obs *o = calloc(*n ? *n : 1, sizeof *o);
    assert_non_null(o);
    for (size_t i = 0; i < *n; i++)
        assert_int_equal(exp_obs_from_cell(&cells[i], &o[i], &e), OBS_OK);
    free(cells);
    exp_obs_sort(o, *n, EXP_DIM_TIME);
    return o;
}

/* One text value of a query on a new connection to the test database, into out. */
static void sql_text(const char *sql, char *out, size_t cap)
{
    PGconn *t = it_db(&S);
    PGresult *r = PQexec(t, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(t);
}

/* The state's generations ("year:gen,...") now, into out. */
static void gens_now(char *out, size_t cap)
{
    sql_text("SELECT coalesce(string_agg(year || ':' || gen, ',' ORDER BY year), '')"
             " FROM agg_generation", out, cap);
}

/* Fail unless run's state names the generations gens. */
static void assert_run_state(long long run, const char *gens)
{
    char sql[200], run_state[512];
    snprintf(sql, sizeof sql, "SELECT state FROM sdmx_publication WHERE id = %lld", run);
    sql_text(sql, run_state, sizeof run_state);
    if (strncmp(run_state, gens, strlen(gens)) != 0 || run_state[strlen(gens)] != '|')
        fail_msg("run %lld has state %s, the generations were %s", run, run_state, gens);
}

/* A publication run is one state of the indicators (the round's snapshot): a correction
 * committed while the run's cells are being read (after the first of its per-measure reads)
 * does not reach the run, which is named after the state it was read in and holds exactly
 * the cells published then; the next run takes the correction. */
static void test_run_is_one_snapshot(void **state)
{
    (void)state;
    obs_err e;
    PGconn *c = obs_db_conn(&e);
    assert_non_null(c);
    PGconn *t = it_db(&S);
    long last = it_sql_long(t, "SELECT max(id) FROM sdmx_publication");
    PQfinish(t);
    PGconn *turn = it_hold_protection_turn(&S); /* the server records no run meanwhile */
    correct_first_grid(NULL); /* the state moved: the next check takes a run */
    char gens[512];
    gens_now(gens, sizeof gens);
    size_t n_before, n_run, n_now;
    exp_obs *before = published_now(c, &n_before);
    correct_after_next_read = 1;
    exp_run run;
    assert_int_equal(exp_vintage_current(c, "export", &run, &e), OBS_OK);
    assert_false(correct_after_next_read); /* the correction did land during the run's reads */
    assert_true(run.id > last);
    assert_run_state(run.id, gens);
    exp_obs *got = read_run(c, &run, 1000, NULL, &n_run);
    assert_int_equal(n_run, n_before);
    assert_memory_equal(got, before, n_before * sizeof *before);
    free(got);
    /* the next check publishes the corrected state */
    gens_now(gens, sizeof gens);
    exp_run next;
    assert_int_equal(exp_vintage_current(c, "export", &next, &e), OBS_OK);
    assert_true(next.id > run.id);
    assert_run_state(next.id, gens);
    got = read_run(c, &next, 1000, NULL, &n_run);
    exp_obs *want = published_now(c, &n_now);
    assert_int_equal(n_run, n_now);
    assert_memory_equal(got, want, n_now * sizeof *want);
    assert_true(n_now != n_before || memcmp(want, before, n_now * sizeof *want) != 0);
    PQfinish(turn);
    free(got);
    free(want);
    free(before);
}

/* published_at is the time the run became visible (just before its COMMIT), not the time
 * of its INSERT: asOf=T between the two would otherwise name a run nobody could read at T. */
static void test_published_at_is_commit_time(void **state)
{
    (void)state;
    obs_err e;
    PGconn *turn = it_hold_protection_turn(&S); /* the server records no run meanwhile */
    correct_first_grid(NULL);
    delay_next_add = 1;
    exp_run run;
    assert_int_equal(exp_vintage_current(obs_db_conn(&e), "export", &run, &e), OBS_OK);
    PQfinish(turn);
    assert_false(delay_next_add);
    char sql[200], v[64];
    snprintf(sql, sizeof sql,
             "SELECT extract(epoch FROM published_at)::text FROM sdmx_publication WHERE id = %lld",
             run.id);
    sql_text(sql, v, sizeof v);
    double published = strtod(v, NULL);
    if (published < delayed_until)
        fail_msg("published_at %.3f is before the last statement of its run (%.3f)", published,
                 delayed_until);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vintages),
        cmocka_unit_test(test_pages_across_runs),
        cmocka_unit_test(test_run_is_one_snapshot),
        cmocka_unit_test(test_published_at_is_commit_time),
    };
    int failed = cmocka_run_group_tests_name("integration_sdmx_runs", tests, setup, teardown);
    return failed || it_stop_failures;
}
