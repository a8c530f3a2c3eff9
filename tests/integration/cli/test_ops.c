/* test_ops.c: the operator's quick checks (docs/operations.md): `db status`, upgrades from
 * every earlier schema version of migrations/ to a populated database, `serve` refusing a
 * schema newer than it knows, JSON log lines (ISCGOBS_LOG_FORMAT=json) and /metrics accepted
 * by Prometheus' own `promtool check metrics`, the systemd unit checked by systemd-analyze. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "embed.h"
#include "status.h"
#include "harness.h"
#include "keyring.h"

static int file_version(const char *name)
{
    return (int)strtol(name, NULL, 10);
}

static void sql_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* Run `iscgobs args` with the server's configuration, stderr and stdout both into out. */
static int cli_all(const it_server *s, char *out, size_t cap, const char *args)
{
    setenv("ISCGOBS_DATABASE_URL", s->db_url, 1);
    setenv("ISCGOBS_KEY_FILE", s->key_path, 1);
    setenv("ISCGOBS_LISTEN", "127.0.0.1:0", 1);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", getenv("IT_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Rows written with the columns of 001_init.sql only, so that any later schema keeps them. */
static const char SQL_POPULATE[] =
    "INSERT INTO post (code, name, dep, force, opened) VALUES"
    " ('ISCG-093-01', 'Poste test', '93', 'PN', '2024-01-01');"
    "INSERT INTO account (name, role, post, token_hash) VALUES"
    " ('Poste test', 'post', 'ISCG-093-01', sha256('jeton'));"
    "INSERT INTO grid VALUES ('ISCG-093-01', '2025-03-01', 1, sha256('g'), 30, 20, now(), now(), true);"
    "INSERT INTO upload (post, period, version, sha256, rows, persons, warnings, format, received_at, on_time)"
    " VALUES ('ISCG-093-01', '2025-03-01', 1, sha256('g'), 30, 20, 0, 'csv', now(), true);"
    "INSERT INTO contact SELECT 'ISCG-093-01', '2025-03-01', i, '2025-03-01'::date + i % 28,"
    " sha256(int4send(i % 20))::bytea, 1, CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END, 'Y15T17',"
    " '93', 'VICTIME', 'POL_INTER', CASE WHEN i % 3 = 0 THEN 'OUI' ELSE 'NON' END, 'BUREAU', 1, 0"
    " FROM generate_series(1, 30) i;"
    "INSERT INTO audit_log (actor, action, target, outcome) VALUES"
    " ('cli', 'grid.upload', 'ISCG-093-01/2025-03', 'accepted')";

/* The key of the contact rows: the server's own (serve refuses a key file that is not the
 * database's current key, collector/keys.h). */
static const char *key_row(const it_server *s)
{
    static char sql[160];
    obs_key k;
    obs_err e;
    assert_int_equal(obs_key_load(s->key_path, &k, &e), OBS_OK);
    char hex[65];
    obs_hex(k.fingerprint, 32, hex);
    obs_key_wipe(&k);
    snprintf(sql, sizeof sql, "INSERT INTO pseudonym_key (fingerprint) VALUES ('\\x%s')", hex);
    return sql;
}

/* Every earlier version N in migrations/: a database at N with data, then `db migrate`. */
static void test_upgrade_from_every_version(void **state)
{
    (void)state;
    int latest = file_version(obs_migrations[obs_migrations_count - 1].name);
    int tried = 0;
    for (size_t i = 0; i + 1 < obs_migrations_count; i++) {
        int n = file_version(obs_migrations[i].name);
        it_server s;
        it_setup(&s, "it_ops_upgrade");
        PGconn *c = it_db(&s);
        sql_ok(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        char to[16], out[8192];
        snprintf(to, sizeof to, "%d", n);
        assert_int_equal(it_cli(&s, NULL, 0, (const char *[]){"db", "migrate", "--to", to, NULL}), 0);
        assert_int_equal(it_sql_long(c, "SELECT max(version) FROM schema_migration"), n);
        sql_ok(c, key_row(&s));
        sql_ok(c, SQL_POPULATE);
        /* pending: exit 1, and the next migration is listed */
        assert_int_equal(it_cli(&s, out, sizeof out, (const char *[]){"db", "status", NULL}), 1);
        char want[256];
        snprintf(want, sizeof want, "pending %d %s", file_version(obs_migrations[i + 1].name),
                 obs_migrations[i + 1].name);
        assert_non_null(strstr(out, want));
        assert_non_null(strstr(out, "state pending"));

        assert_int_equal(it_cli(&s, NULL, 0, (const char *[]){"db", "migrate", NULL}), 0);
        assert_int_equal(it_cli(&s, out, sizeof out, (const char *[]){"db", "status", NULL}), 0);
        assert_non_null(strstr(out, "state current"));
        assert_int_equal(it_sql_long(c, "SELECT max(version) FROM schema_migration"), latest);
        assert_int_equal(it_sql_long(c, "SELECT count(*) FROM contact"), 30);
        assert_int_equal(it_sql_long(c, "SELECT count(DISTINCT person) FROM contact"), 20);
        assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid WHERE version = 1"), 1);
        assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'grid.upload'"), 1);
        assert_int_equal(it_sql_long(c, "SELECT count(*) FROM account WHERE token_hash = sha256('jeton')"), 1);
        /* the migrated data is usable: a full recompute reads it, the server is ready */
        assert_int_equal(it_cli(&s, NULL, 0, (const char *[]){"aggregate", "--from", "2025-01", "--to", "2025-12", NULL}), 0);
        assert_int_equal(it_sql_long(c, "SELECT num FROM indicator_now WHERE mesure = 'NB_CONTACTS'"
                                         " AND area = 'FR' AND period = '2025-03' AND sexe = '_T'"
                                         " AND age = '_T' AND statut = '_T' AND origine = '_T'"
                                         " AND problematique = '_T' AND partenaire = '_T' AND mode = '_T'"), 30);
        PQfinish(c);
        it_start(&s, NULL);
        it_resp r;
        it_http(&s, "GET", "/readyz", NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 200);
        it_resp_free(&r);
        it_stop_checked(&s);
        tried++;
    }
    print_message("upgrades tested from %d earlier versions to %d\n", tried, latest);
    assert_int_equal(tried, (int)obs_migrations_count - 1);
}

/* A database migrated by a newer program: `serve` refuses with E_SCHEMA_NEWER, `db status`
 * says so (exit 3), `db migrate` changes nothing there. */
static void test_newer_schema_refused(void **state)
{
    (void)state;
    it_server s;
    it_setup(&s, "it_ops_newer");
    char out[8192];
    assert_int_equal(it_cli(&s, out, sizeof out, (const char *[]){"db", "status", NULL}), 0);
    assert_non_null(strstr(out, "state current"));
    assert_null(strstr(out, "pending"));
    PGconn *c = it_db(&s);
    sql_ok(c, "INSERT INTO schema_migration (version, name) VALUES (999, '999_future.sql')");
    int st = cli_all(&s, out, sizeof out, "serve");
    assert_int_not_equal(st, 0);
    assert_non_null(strstr(out, "E_SCHEMA_NEWER"));
    assert_non_null(strstr(out, "plus récent"));
    assert_int_equal(it_cli(&s, out, sizeof out, (const char *[]){"db", "status", NULL}), 3);
    assert_non_null(strstr(out, "state newer"));
    PQfinish(c);
}

/* ISCGOBS_LOG_FORMAT=json: every line the server writes is one JSON object with its event. */
static void test_json_logs(void **state)
{
    (void)state;
    it_server s;
    it_setup(&s, "it_ops_json");
    it_start(&s, (const char *const[]){"ISCGOBS_LOG_FORMAT=json", NULL});
    it_resp r;
    it_http(&s, "GET", "/api/v1/indicators?mesure=NB_CONTACTS&area=FR&period=2025", NULL, NULL, NULL, 0, &r);
    it_resp_free(&r);
    it_http(&s, "GET", "/nowhere\"quoted", NULL, NULL, NULL, 0, &r);
    it_resp_free(&r);
    assert_int_equal(it_stop(&s), 0);
    size_t len;
    char *log = it_read_file(s.log_path, &len);
    int lines = 0, start = 0;
    char *save = NULL;
    for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        if (j == NULL)
            fail_msg("not JSON: %s (%s)", line, err.text);
        assert_true(json_is_string(json_object_get(j, "ts")));
        assert_true(json_is_string(json_object_get(j, "level")));
        const char *ev = json_string_value(json_object_get(j, "event"));
        assert_non_null(ev);
        if (strcmp(ev, "serve.start") == 0) {
            start++;
            assert_non_null(json_string_value(json_object_get(j, "listen")));
        }
        json_decref(j);
        lines++;
    }
    print_message("%d JSON log lines\n", lines);
    assert_int_equal(start, 1);
    assert_true(lines >= 3);
    free(log);
}

/* /metrics after some traffic passes `promtool check metrics` (Debian's prometheus). */
static void test_promtool_metrics(void **state)
{
    (void)state;
    it_server s;
    it_setup(&s, "it_ops_metrics");
    it_start(&s, NULL);
    it_resp r;
    const char *paths[] = {"/healthz", "/readyz", "/api/v1/indicators?mesure=NB_CONTACTS&area=FR&period=2025",
                           "/nowhere", "/sdmx/dataflow"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(paths); i++) {
        it_http(&s, "GET", paths[i], NULL, NULL, NULL, 0, &r);
        it_resp_free(&r);
    }
    it_http(&s, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    char file[700], cmd[1600];
    snprintf(file, sizeof file, "%s/metrics.txt", s.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fwrite(r.body, 1, r.len, f);
    fclose(f);
    it_resp_free(&r);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' > '%s.out' 2>&1", file, file);
    int st = system(cmd);
    snprintf(cmd, sizeof cmd, "%s.out", file);
    size_t len;
    char *out = it_read_file(cmd, &len);
    if (st != 0)
        fail_msg("promtool check metrics: %s", out);
    free(out);
    it_stop_checked(&s);
}

/* packaging/iscgobs.service: systemd accepts every line (systemd-analyze verify prints
 * nothing) and the sandboxing options the operators rely on are there. */
static void test_systemd_unit(void **state)
{
    (void)state;
    size_t len;
    char *unit = it_read_file("packaging/iscgobs.service", &len);
    const char *need[] = {"User=iscgobs\n", "ProtectSystem=strict\n", "PrivateTmp=yes\n",
                          "NoNewPrivileges=yes\n", "Environment=ISCGOBS_LOG_FORMAT=json\n",
                          "ExecStart=/usr/local/bin/iscgobs serve\n", "CapabilityBoundingSet=\n"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(need); i++)
        if (strstr(unit, need[i]) == NULL)
            fail_msg("packaging/iscgobs.service lacks %s", need[i]);
    /* verify a copy whose ExecStart is the binary under test (the unit's path is not installed) */
    char dir[700], path[760], cmd[2400];
    snprintf(dir, sizeof dir, "%s/systemd", getenv("IT_TMP"));
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/iscgobs.service", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char *exec = strstr(unit, "/usr/local/bin/iscgobs serve");
    fprintf(f, "%.*s%s%s", (int)(exec - unit), unit, getenv("IT_BIN"), exec + strlen("/usr/local/bin/iscgobs"));
    fclose(f);
    free(unit);
    snprintf(cmd, sizeof cmd, "systemd-analyze verify '%s' > '%s.out' 2>&1", path, path);
    int st = system(cmd);
    snprintf(cmd, sizeof cmd, "%s.out", path);
    char *out = it_read_file(cmd, &len);
    if (st != 0 || len != 0)
        fail_msg("systemd-analyze verify: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_json_logs),
        cmocka_unit_test(test_promtool_metrics),
        cmocka_unit_test(test_systemd_unit),
        cmocka_unit_test(test_upgrade_from_every_version),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed || it_stop_failures;
}
