/* long_ops_backup.c: the backup and restore drill (docs/operations.md, "Backup and
 * restore"). A small demo year is loaded through the server; `iscgobs backup` runs while the
 * second half of the year is being uploaded, and again once uploads are quiet; both backups
 * are restored into a fresh PostgreSQL cluster with `iscgobs restore`. The backup taken
 * during uploads must be one consistent state (every grid with exactly its rows, every
 * version with its history, indicators equal to a full recompute); the quiet one must equal
 * the source byte for byte: every table of the schema (grids, contacts, indicators, SDMX
 * publication runs and vintages, the audit log, accounts ...), one SDMX answer and one HTML
 * report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ops_it.h"

static it_server S;
static char tok_admin[80];
static int year;
static char later_dir[700];
static long first_half;

static int second_half(int m)
{
    return m >= 7;
}

/* Move the grids of July to December out of the demo folder into later_dir. */
static void split_year(const char *demo)
{
    assert_true(ops_move_grids(demo, later_dir, second_half) > 0);
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_backup");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_start(&S, NULL);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    char demo[700], ys[16], csv[760];
    snprintf(demo, sizeof demo, "%s/demo", S.dir);
    snprintf(later_dir, sizeof later_dir, "%s/later", S.dir);
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"demo", "--out", demo, "--posts", "24",
                                                               "--year", ys, NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    split_year(demo);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"upload", demo, "--url", S.base, "--token",
                                                               tok_admin, "--jobs", "2", NULL}), 0);
    PGconn *c = it_db(&S);
    first_half = it_sql_long(c, "SELECT count(*) FROM grid");
    PQfinish(c);
    assert_true(first_half > 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    ops_cluster_stop("restore_pg");
    return 0;
}

/* `iscgobs backup --out dir` against the source; `iscgobs restore dir` into db_url. */
static void backup_to(const char *dir)
{
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"backup", "--out", dir, NULL}), 0);
}

static void restore_into(const char *dir, const char *admin_url, const char *db, it_server *t)
{
    PGconn *a = PQconnectdb(admin_url);
    assert_int_equal(PQstatus(a), CONNECTION_OK);
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    ops_sql(a, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    ops_sql(a, sql);
    PQfinish(a);
    *t = S; /* the same key file: the operator puts back the key kept apart */
    t->pid = 0;
    char *p = strstr(admin_url, "dbname=");
    assert_non_null(p);
    snprintf(t->db_url, sizeof t->db_url, "%.*sdbname=%s user=iscgobs", (int)(p - admin_url),
             admin_url, db);
    assert_int_equal(it_cli(t, NULL, 0, (const char *const[]){"restore", dir, NULL}), 0);
    /* a second restore into the now populated database is refused */
    assert_int_equal(it_cli(t, NULL, 0, (const char *const[]){"restore", dir, NULL}), 1);
}

/* A backup taken while the second half of the year is being uploaded is one consistent
 * state of the database. */
static void test_backup_during_uploads(void **state)
{
    (void)state;
    pid_t up = fork();
    if (up == 0) {
        int st = it_cli(&S, NULL, 0, (const char *const[]){"upload", later_dir, "--url", S.base, "--token",
                                                          tok_admin, "--jobs", "2", NULL});
        _exit(st);
    }
    /* wait until the uploads are under way (bounded by count and time) */
    PGconn *c = it_db(&S);
    for (int i = 0; i < 600 && it_sql_long(c, "SELECT count(*) FROM grid") < first_half + 5; i++)
        usleep(50000);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/backup-busy", S.dir);
    backup_to(dir);
    long during = it_sql_long(c, "SELECT count(*) FROM grid");
    int st = 0;
    waitpid(up, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    long total = it_sql_long(c, "SELECT count(*) FROM grid");
    PQfinish(c);

    char admin_url[600];
    ops_cluster_start("restore_pg", "postgres", admin_url, sizeof admin_url);
    it_server t;
    restore_into(dir, admin_url, "busy", &t);
    PGconn *r = it_db(&t);
    long restored = it_sql_long(r, "SELECT count(*) FROM grid");
    print_message("grids: %ld before, %ld restored from the busy backup, %ld after it, %ld in all\n",
                  first_half, restored, during, total);
    assert_true(restored >= first_half && restored <= total);
    /* every grid has exactly its rows, every version its upload row */
    assert_int_equal(it_sql_long(r, "SELECT count(*) FROM grid g WHERE rows <>"
                                    " (SELECT count(*) FROM contact c WHERE c.post = g.post AND c.period = g.period)"), 0);
    assert_int_equal(it_sql_long(r, "SELECT count(*) FROM grid g WHERE NOT EXISTS (SELECT 1 FROM upload u"
                                    " WHERE u.post = g.post AND u.period = g.period AND u.version = g.version)"), 0);
    assert_int_equal(it_sql_long(r, "SELECT count(*) FROM audit_log WHERE action = 'db.restore'"), 1);
    /* the indicators stored with the grids are those a full recompute gives */
    static const char IND[] = "(SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
                              " partenaire, mode, num, den, value, nposts, obs_status FROM indicator_now)";
    char before[80], after[80];
    ops_table_digest(r, IND, NULL, before, sizeof before);
    assert_int_equal(it_cli(&t, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    ops_table_digest(r, IND, NULL, after, sizeof after);
    assert_string_equal(before, after);
    PQfinish(r);
}

/* Once uploads are quiet, the restored database equals the source byte for byte. */
static void test_quiet_backup_restores_byte_for_byte(void **state)
{
    (void)state;
    char sdmx[200], csv[220], report[64];
    snprintf(sdmx, sizeof sdmx, "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d", year, year);
    snprintf(csv, sizeof csv, "%s&format=csv", sdmx);
    snprintf(report, sizeof report, "/rapports/national/%d", year);
    /* the publication runs the source's readers have made are part of what is backed up */
    char *src_sdmx = ops_get(&S, sdmx, NULL), *src_csv = ops_get(&S, csv, NULL), *src_html = ops_get(&S, report, NULL);
    char dir[700], admin_url[600];
    snprintf(dir, sizeof dir, "%s/backup-quiet", S.dir);
    backup_to(dir);
    /* the manifest names the key by fingerprint; the key itself is not in the backup */
    char mf[760];
    snprintf(mf, sizeof mf, "%s/manifest.txt", dir);
    size_t len;
    char *manifest = it_read_file(mf, &len);
    assert_non_null(strstr(manifest, "key-kept-apart "));
    assert_non_null(strstr(manifest, "file "));
    free(manifest);
    ops_cluster_start("restore_pg", "postgres", admin_url, sizeof admin_url);
    it_server t;
    restore_into(dir, admin_url, "quiet", &t);

    PGconn *a = it_db(&S), *b = it_db(&t);
    PGresult *tables = PQexec(a, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    assert_int_equal(PQresultStatus(tables), PGRES_TUPLES_OK);
    int compared = 0;
    for (int i = 0; i < PQntuples(tables); i++) {
        const char *name = PQgetvalue(tables, i, 0);
        const char *where = strcmp(name, "audit_log") == 0 ? "action <> 'db.restore'" : NULL;
        char da[80], db[80];
        ops_table_digest(a, name, where, da, sizeof da);
        ops_table_digest(b, name, where, db, sizeof db);
        if (strcmp(da, db) != 0)
            fail_msg("table %s differs: %s vs %s", name, da, db);
        compared++;
    }
    PQclear(tables);
    assert_true(it_sql_long(b, "SELECT count(*) FROM sdmx_publication") > 0);
    assert_true(it_sql_long(b, "SELECT count(*) FROM audit_log") > 2 * first_half);
    print_message("%d tables equal, %ld grids, %ld contacts, %ld indicators, %ld audit entries\n", compared,
                  it_sql_long(b, "SELECT count(*) FROM grid"), it_sql_long(b, "SELECT count(*) FROM contact"),
                  it_sql_long(b, "SELECT count(*) FROM indicator_now"), it_sql_long(b, "SELECT count(*) FROM audit_log"));
    PQfinish(a);
    PQfinish(b);

    it_start(&t, NULL);
    char *dst_sdmx = ops_get(&t, sdmx, NULL), *dst_csv = ops_get(&t, csv, NULL), *dst_html = ops_get(&t, report, NULL);
    it_stop_checked(&t);
    assert_true(strlen(src_csv) > 1000);
    assert_string_equal(src_sdmx, dst_sdmx);
    assert_string_equal(src_csv, dst_csv);
    assert_string_equal(src_html, dst_html);
    free(src_sdmx);
    free(src_csv);
    free(src_html);
    free(dst_sdmx);
    free(dst_csv);
    free(dst_html);
}

/* A corrupted dump is refused before anything is written. */
static void test_corrupt_backup_refused(void **state)
{
    (void)state;
    char dir[700], dump[760], admin_url[600];
    snprintf(dir, sizeof dir, "%s/backup-quiet", S.dir);
    snprintf(dump, sizeof dump, "%s/database.dump", dir);
    FILE *f = fopen(dump, "r+b");
    assert_non_null(f);
    fseek(f, 4000, SEEK_SET);
    fputc('X', f);
    fclose(f);
    ops_cluster_start("restore_pg", "postgres", admin_url, sizeof admin_url);
    PGconn *a = PQconnectdb(admin_url);
    ops_sql(a, "DROP DATABASE IF EXISTS corrupt WITH (FORCE)");
    ops_sql(a, "CREATE DATABASE corrupt");
    PQfinish(a);
    it_server t = S;
    char *p = strstr(admin_url, "dbname=");
    snprintf(t.db_url, sizeof t.db_url, "%.*sdbname=corrupt user=iscgobs", (int)(p - admin_url), admin_url);
    assert_int_equal(it_cli(&t, NULL, 0, (const char *const[]){"restore", dir, NULL}), 1);
    PGconn *c = it_db(&t);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_during_uploads),
        cmocka_unit_test(test_quiet_backup_restores_byte_for_byte),
        cmocka_unit_test(test_corrupt_backup_refused),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
