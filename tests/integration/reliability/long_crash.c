/* long_crash.c (`make test-long`): crash safety of uploads. A demo year subset is uploaded by
 * 16 concurrent clients while `iscgobs serve` is killed with SIGKILL at five different moments
 * (restarted each time, the clients retrying what was not acknowledged), then while PostgreSQL
 * itself is killed (`pg_ctl stop -m immediate`) and restarted under the running server. Then:
 * every grid that got a 2xx is stored whole (version, receipt sha256, rows), no grid is partly
 * stored, the audit log has one entry per stored version and its chain verifies, and the
 * indicators equal a full recompute (`iscgobs aggregate`), row by row.
 *
 * The test runs its own PostgreSQL cluster with the default durability (fsync and synchronous
 * commit on: the promise under test is PostgreSQL's), in IT_TMP/crash-pg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

enum { NCLIENTS = 16, MAXGRIDS = 400, ROUNDS = 5 };

typedef struct grid {
    char post[16], period[8], received_at[24];
    char *body;
    size_t len;
    int xml;
    long status;        /* last HTTP status (-1: transport failure) */
    int acked;          /* got a 2xx */
    int version;        /* from the receipt */
    long rows;
    char sha256[65];    /* from the receipt */
} grid;

static it_server S;
static char tok_admin[80], pgdir[700];
static grid G[MAXGRIDS];
static size_t ngrids, next_grid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long by_status[6]; /* transport, 2xx, 3xx, 4xx, 5xx, other */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void sh(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, arg);
    assert_int_equal(system(cmd), 0);
}

/* The demo's manifest: one grid per line "file;post;period;received_at". */
static void load_demo(const char *dir)
{
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (ngrids < MAXGRIDS && fgets(line, sizeof line, f)) {
        char file[256];
        grid *g = &G[ngrids];
        if (sscanf(line, "%255[^;];%15[^;];%7[^;];%23[^;\n]", file, g->post, g->period,
                   g->received_at) != 4)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        g->body = it_read_file(path, &g->len);
        g->xml = strstr(file, ".xml") != NULL;
        ngrids++;
    }
    fclose(f);
}

/* One pass of a client over the grids not yet acknowledged (each tried once per round). */
static void *client(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        size_t i = next_grid;
        while (i < ngrids && G[i].acked)
            i++;
        next_grid = i + 1;
        pthread_mutex_unlock(&mu);
        if (i >= ngrids)
            return NULL;
        grid *g = &G[i];
        char path[160];
        snprintf(path, sizeof path, "/api/v1/grids/%s/%s?received_at=%s", g->post, g->period,
                 g->received_at);
        it_resp r;
        it_http(&S, "PUT", path, tok_admin, g->xml ? "application/xml" : "text/csv", g->body,
                g->len, &r);
        pthread_mutex_lock(&mu);
        g->status = r.status;
        by_status[r.status < 100 ? 0 : r.status < 600 ? r.status / 100 - 1 : 5]++;
        if (r.status == 200 || r.status == 201) {
            json_t *j = json_loads(r.body, 0, NULL);
            const char *sha = json_string_value(json_object_get(j, "sha256"));
            if (sha) {
                g->acked = 1;
                g->version = (int)json_integer_value(json_object_get(j, "version"));
                g->rows = (long)json_integer_value(json_object_get(j, "rows"));
                snprintf(g->sha256, sizeof g->sha256, "%s", sha);
            }
            json_decref(j);
        }
        pthread_mutex_unlock(&mu);
        it_resp_free(&r);
    }
}

typedef enum { KILL_SERVER, KILL_PG, NO_KILL } round_kind;

/* A round: the server started, 16 clients over what is left; after delay_ms the server (or
 * PostgreSQL) is killed; the clients end their pass. Returns the grids acknowledged. */
static size_t round_(round_kind kind, long delay_ms)
{
    size_t before = 0, after = 0;
    for (size_t i = 0; i < ngrids; i++)
        before += (size_t)G[i].acked;
    it_start(&S, NULL);
    next_grid = 0;
    pthread_t t[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        pthread_create(&t[i], NULL, client, NULL);
    if (kind != NO_KILL)
        sleep_ms(delay_ms);
    if (kind == KILL_SERVER) {
        kill(S.pid, SIGKILL);
        waitpid(S.pid, NULL, 0);
        S.pid = 0;
    } else if (kind == KILL_PG) {
        sh("scripts/pg.sh crash '%s'", pgdir);
        sleep_ms(1500);
        sh("scripts/pg.sh start '%s'", pgdir);
    }
    for (int i = 0; i < NCLIENTS; i++)
        pthread_join(t[i], NULL);
    if (kind != KILL_SERVER)
        it_stop_checked(&S);
    for (size_t i = 0; i < ngrids; i++)
        after += (size_t)G[i].acked;
    /* stored but unanswered: committed when the kill came, acknowledged at the next round */
    PGconn *c = it_db(&S);
    long stored = it_sql_long(c, "SELECT count(*) FROM grid");
    PQfinish(c);
    fprintf(stderr, "round %s after %ld ms: %zu grids acknowledged (total %zu of %zu), %ld stored\n",
            kind == KILL_SERVER ? "SIGKILL serve" : kind == KILL_PG ? "pg immediate stop" : "final",
            delay_ms, after - before, after, ngrids, stored);
    return after - before;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    snprintf(pgdir, sizeof pgdir, "%s/crash-pg", getenv("IT_TMP"));
    sh("scripts/pg.sh start '%s' >/dev/null", pgdir); /* durable: no --fast */
    char url[800];
    snprintf(url, sizeof url, "host=%s/run dbname=postgres user=iscgobs", pgdir);
    setenv("IT_PG_URL", url, 1);
    it_setup(&S, "long_crash");
    it_user_add(&S, "admin", NULL, tok_admin);
    char dir[700], csv[760];
    snprintf(dir, sizeof dir, "%s/demo", S.dir);
    snprintf(csv, sizeof csv, "%s/posts.csv", dir);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"demo", "--out", dir, "--posts", "16", NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    load_demo(dir);
    assert_true(ngrids >= 100);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sh("scripts/pg.sh stop '%s'", pgdir);
    return 0;
}

static long q(PGconn *c, const char *fmt, const char *a, const char *b)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, a, b);
    return it_sql_long(c, sql);
}

/* The stored state against the receipts, and the audit log against the stored versions. */
static void check_stored(void)
{
    PGconn *c = it_db(&S);
    size_t acked = 0;
    for (size_t i = 0; i < ngrids; i++) {
        grid *g = &G[i];
        if (!g->acked)
            continue;
        acked++;
        char where[256];
        snprintf(where, sizeof where, "post = '%.15s' AND period = to_date('%.7s', 'YYYY-MM')",
                 g->post, g->period);
        long v = q(c, "SELECT coalesce(max(version), 0) FROM grid WHERE %s AND sha256 ="
                      " decode('%s', 'hex')", where, g->sha256);
        if (v != g->version)
            fprintf(stderr, "%s/%s: acknowledged version %d, stored %ld\n", g->post, g->period,
                    g->version, v);
        assert_int_equal(v, g->version);
        assert_int_equal(q(c, "SELECT count(*) FROM contact WHERE %s%s", where, ""), g->rows);
    }
    /* nothing partly stored, acknowledged or not: each grid's rows are all there */
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*)"
                                    " FROM contact k WHERE k.post = g.post AND k.period = g.period)"),
                     0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM contact k WHERE NOT EXISTS (SELECT FROM"
                                    " grid g WHERE g.post = k.post AND g.period = k.period)"), 0);
    /* one audit entry and one history row per stored version */
    assert_int_equal(
        it_sql_long(c, "SELECT count(*) FROM grid g WHERE version <> (SELECT count(*) FROM audit_log"
                       " a WHERE a.action = 'grid.upload' AND a.outcome IN ('created', 'replaced')"
                       " AND a.target = g.post || '/' || to_char(g.period, 'YYYY-MM'))"
                       " OR version <> (SELECT count(*) FROM upload u WHERE u.post = g.post"
                       " AND u.period = g.period)"),
        0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'grid.upload'"
                                    " AND outcome IN ('created', 'replaced')"),
                     it_sql_long(c, "SELECT coalesce(sum(version), 0) FROM grid"));
    fprintf(stderr, "stored: %ld grids (%zu acknowledged), %ld contacts\n",
            it_sql_long(c, "SELECT count(*) FROM grid"), acked,
            it_sql_long(c, "SELECT count(*) FROM contact"));
    PQfinish(c);
    char out[512];
    int st = it_cli(&S, out, sizeof out, (const char *const[]){"audit", "verify", NULL});
    fprintf(stderr, "%s", out);
    assert_int_equal(st, 0);
}

static const char SQL_SNAP[] =
    "CREATE TABLE %s AS SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
    " partenaire, mode, lvl, freq, pstart, num, den, value, nposts, obs_status FROM indicator_now";

/* The indicators as the uploads refreshed them against `iscgobs aggregate`, row by row. */
static void check_indicators(void)
{
    PGconn *c = it_db(&S);
    char sql[600];
    PQclear(PQexec(c, "DROP TABLE IF EXISTS crash_inc, crash_full"));
    snprintf(sql, sizeof sql, SQL_SNAP, "crash_inc");
    PQclear(PQexec(c, sql));
    long rows = it_sql_long(c, "SELECT count(*) FROM crash_inc");
    assert_true(rows > 1000);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    snprintf(sql, sizeof sql, SQL_SNAP, "crash_full");
    PQclear(PQexec(c, sql));
    long diff = it_sql_long(c, "SELECT (SELECT count(*) FROM (SELECT * FROM crash_inc EXCEPT ALL"
                               " SELECT * FROM crash_full) a) + (SELECT count(*) FROM (SELECT *"
                               " FROM crash_full EXCEPT ALL SELECT * FROM crash_inc) b)");
    fprintf(stderr, "indicators: %ld rows, %ld differ from the full recompute\n", rows, diff);
    assert_int_equal(diff, 0);
    PQfinish(c);
}

static void test_kills(void **state)
{
    (void)state;
    static const long delays[ROUNDS] = {400, 1100, 1900, 2800, 4000};
    for (int i = 0; i < ROUNDS; i++)
        round_(KILL_SERVER, delays[i]);
    round_(KILL_PG, 2500);
    round_(NO_KILL, 0);
    round_(NO_KILL, 0); /* what the database restart refused (503), retried once more */
    size_t acked = 0;
    for (size_t i = 0; i < ngrids; i++)
        acked += (size_t)G[i].acked;
    fprintf(stderr, "answers: transport failures %ld, 2xx %ld, 4xx %ld, 5xx %ld\n", by_status[0],
            by_status[1], by_status[3], by_status[4]);
    assert_int_equal(acked, ngrids);
    it_start(&S, NULL);
    check_stored();
    it_stop_checked(&S);
    check_indicators();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kills)};
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
