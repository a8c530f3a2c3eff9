/* long_ops_pgbouncer.c: the service through a real PgBouncer (Debian's 1.18) in transaction
 * pooling mode, started by the test on a loopback port with fewer server connections than
 * the server has threads, so that consecutive transactions of one thread land on different
 * PostgreSQL sessions: 3, the least a server needs (its published round pins one, an SDMX
 * publication run uses two at once; docs/operations.md "PgBouncer"). With ISCGOBS_DB_PREPARE=off (unnamed statements only, see
 * docs/operations.md "PgBouncer") a small demo year is uploaded, then the indicators, the
 * completeness and the SDMX answers are read through it and equal those the same server
 * gives straight on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ops_it.h"

static it_server S;
static char tok_admin[80], pgb_dir[700];
static int year;

static int loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_true(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Write the configuration and start pgbouncer (as the cluster's unprivileged user when we
 * are root: pgbouncer refuses root); returns its port. */
static int pgbouncer_start(void)
{
    PQconninfoOption *o = PQconninfoParse(getenv("IT_PG_URL"), NULL);
    assert_non_null(o);
    const char *host = NULL;
    for (PQconninfoOption *p = o; p->keyword; p++)
        if (strcmp(p->keyword, "host") == 0)
            host = p->val;
    assert_non_null(host);
    snprintf(pgb_dir, sizeof pgb_dir, "%s/pgbouncer", getenv("IT_TMP"));
    mkdir(pgb_dir, 0755);
    int port = loopback_port();
    char path[800], cmd[2000];
    snprintf(path, sizeof path, "%s/userlist.txt", pgb_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("\"iscgobs\" \"\"\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/pgbouncer.ini", pgb_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "[databases]\n* = host=%s\n"
            "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\n"
            "auth_type = trust\nauth_file = %s/userlist.txt\npool_mode = transaction\n"
            "default_pool_size = 3\nmax_client_conn = 100\nserver_reset_query =\n"
            "logfile = %s/pgbouncer.log\npidfile = %s/pgbouncer.pid\n",
            host, port, pgb_dir, pgb_dir, pgb_dir);
    fclose(f);
    PQconninfoFree(o);
    if (getuid() == 0)
        snprintf(cmd, sizeof cmd, "chown -R iscgobs '%s' && runuser -u iscgobs -- pgbouncer -d -q '%s'",
                 pgb_dir, path);
    else
        snprintf(cmd, sizeof cmd, "pgbouncer -d -q '%s'", path);
    assert_int_equal(system(cmd), 0);
    return port;
}

static void pgbouncer_stop(void)
{
    char path[800];
    snprintf(path, sizeof path, "%s/pgbouncer.pid", pgb_dir);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f && fscanf(f, "%ld", &pid) == 1 && pid > 1)
        kill((pid_t)pid, SIGTERM);
    if (f)
        fclose(f);
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_pgbouncer");
    PGconn *c = it_db(&S);
    /* session settings do not survive transaction pooling: the time zone is the database's */
    ops_sql(c, "ALTER DATABASE it_pgbouncer SET timezone = 'UTC'");
    PQfinish(c);
    it_user_add(&S, "admin", NULL, tok_admin);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    char demo[700], ys[16], csv[760];
    snprintf(demo, sizeof demo, "%s/demo", S.dir);
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts", "8",
                                                               "--year", ys, NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pgbouncer_stop();
    return 0;
}

static void test_through_pgbouncer(void **state)
{
    (void)state;
    int port = pgbouncer_start();
    it_server direct = S;
    snprintf(S.db_url, sizeof S.db_url, "host=127.0.0.1 port=%d dbname=it_pgbouncer user=iscgobs", port);
    it_start(&S, (const char *const[]){"ISCGOBS_DB_PREPARE=off", NULL});
    char demo[700];
    snprintf(demo, sizeof demo, "%s/demo", S.dir);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"upload", demo, "--url", S.base, "--token",
                                                               tok_admin, "--jobs", "4", NULL}), 0);
    /* a second pass: every grid is "unchanged", answered from the stored receipt */
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"upload", demo, "--url", S.base, "--token",
                                                               tok_admin, "--jobs", "4", NULL}), 0);
    PGconn *c = it_db(&direct);
    long grids = it_sql_long(c, "SELECT count(*) FROM grid");
    long bad = it_sql_long(c, "SELECT count(*) FROM grid g WHERE rows <>"
                              " (SELECT count(*) FROM contact c WHERE c.post = g.post AND c.period = g.period)");
    PQfinish(c);
    assert_true(grids > 80);
    assert_int_equal(bad, 0);
    char paths[4][200];
    snprintf(paths[0], sizeof paths[0], "/api/v1/indicators?mesure=NB_CONTACTS&area=FR&period=%d", year);
    snprintf(paths[1], sizeof paths[1], "/api/v1/completeness?period=%d-06", year);
    snprintf(paths[2], sizeof paths[2], "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d", year, year);
    snprintf(paths[3], sizeof paths[3], "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d&format=csv",
             year, year);
    char *via[4];
    for (int i = 0; i < 4; i++)
        via[i] = ops_get(&S, paths[i], tok_admin);
    it_stop_checked(&S);
    it_start(&direct, NULL);
    for (int i = 0; i < 4; i++) {
        char *straight = ops_get(&direct, paths[i], tok_admin);
        if (strcmp(via[i], straight) != 0)
            fail_msg("%s differs through PgBouncer", paths[i]);
        free(straight);
        free(via[i]);
    }
    it_stop_checked(&direct);
    print_message("%ld grids uploaded through PgBouncer (transaction pooling, 2 server connections)\n", grids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_through_pgbouncer)};
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
