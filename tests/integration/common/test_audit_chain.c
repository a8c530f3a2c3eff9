/* test_audit_chain.c: the tamper-evident audit chain (migrations/005_audit_chain.sql,
 * common/audit.c): entries written by real actions (accounts, posts, uploads created,
 * replaced and rejected, a month reopened and closed, a publication written) are chained and
 * `iscgobs audit verify` finds the chain sound; one row edited with psql as the superuser
 * (append-only trigger disabled, as a hostile DBA would) makes verify fail naming that entry;
 * the whole chain rewritten from there passes verify alone and fails against the anchor kept
 * before; GET /api/v1/audit answers administrators only; uploads' entries, written unchained
 * (migration 016), are chained by serve just after their commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_post[80];
static char anchor[128]; /* "SEQ:HASH" printed by the first verify */

#define POST "ISCG-093-01"

static void put_grid(const char *file, long want)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/grids/%s", file);
    size_t len;
    char *body = it_read_file(path, &len);
    it_resp r;
    it_http(&S, "PUT", "/api/v1/grids/" POST "/2026-03", tok_admin, "text/csv", body, len, &r);
    if (r.status != want)
        fprintf(stderr, "PUT %s: %ld %s\n", file, r.status, r.body ? r.body : "");
    assert_int_equal(r.status, want);
    it_resp_free(&r);
    free(body);
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_audit_chain");
    it_post_add(&S, POST, "93", "2020-01");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    it_user_add(&S, "post", POST, tok_post);
    it_start(&S, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* Run `iscgobs audit verify [--anchor A]`; its output into out. */
static int verify(const char *anchor_arg, char *out, size_t n)
{
    const char *const plain[] = {"audit", "verify", NULL};
    const char *const with[] = {"audit", "verify", "--anchor", anchor_arg, NULL};
    int st = it_cli(&S, out, n, anchor_arg ? with : plain);
    fprintf(stderr, "verify%s%s -> %d: %s", anchor_arg ? " --anchor " : "",
            anchor_arg ? anchor_arg : "", st, out);
    return st;
}

/* SQL as the cluster's superuser through psql (the hostile DBA). */
static void psql(const char *sql)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "psql -X -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null", S.db_url,
             sql);
    assert_int_equal(system(cmd), 0);
}

static void actions_are_chained_and_verified(void **state)
{
    (void)state;
    put_grid("valid_tab.csv", 201);                  /* created */
    put_grid("valid_comma_utf8.csv", 200);           /* replaced (corrected) */
    put_grid("valid_comma_utf8.csv", 200);           /* unchanged: no state change */
    put_grid("invalid_date_format.csv", 422);        /* rejected */
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "reopen", POST, "2026-02", NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "close", POST, "2026-02", NULL}), 0);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/export", S.dir);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"export", "csv", "--period", "2026", "--out",
                                                  dir, NULL}),
                     0);
    PGconn *c = it_db(&S);
    static const char *const want[] = {
        "action = 'account.add'", "action = 'post.add'",
        "action = 'grid.upload' AND outcome = 'created'",
        "action = 'grid.upload' AND outcome = 'replaced'",
        "action = 'grid.upload' AND outcome <> 'created' AND outcome <> 'replaced'",
        "action = 'period.reopen'", "action = 'period.close'", "action = 'publication.write'"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE %s", want[i]);
        long n = it_sql_long(c, sql);
        if (n < 1)
            fprintf(stderr, "no audit entry where %s\n", want[i]);
        assert_true(n >= 1);
    }
    /* two grid versions: two acknowledged changes, the unchanged upload wrote none */
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'grid.upload'"
                                    " AND outcome IN ('created', 'replaced')"), 2);
    char out[1024];
    assert_int_equal(verify(NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "chaîne intacte"));
    /* positions 1..n without gap, each linked to the one before (verify chained the uploads'
     * entries the server had not chained yet) */
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log a JOIN audit_log b"
                                    " ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash"), 0);
    assert_int_equal(it_sql_long(c, "SELECT max(seq) - count(*) FROM audit_log"), 0);
    PQfinish(c);
    const char *head = strstr(out, "tête ");
    assert_non_null(head);
    snprintf(anchor, sizeof anchor, "%.*s", (int)strcspn(head + strlen("tête "), "\n"),
             head + strlen("tête "));
    assert_int_equal(verify(anchor, out, sizeof out), 0);
}

/* SQL as the superuser that must fail (psql's status, 0 when it ran). */
static int psql_fails(const char *sql)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "psql -X -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null 2>&1", S.db_url, sql);
    return system(cmd) != 0;
}

/* Migration 016: an upload's entry is written unchained and serve chains it just after the
 * commit, without verify; an entry deferred while no server runs is chained by verify; the
 * one UPDATE allowed sets the chain columns of an unchained entry and nothing else. */
static void uploads_chained_after_commit(void **state)
{
    (void)state;
    PGconn *c = it_db(&S);
    long before = it_sql_long(c, "SELECT count(*) FROM audit_log");
    /* four corrections of the month (the first test left valid_comma_utf8.csv): one entry each */
    for (int i = 0; i < 4; i++)
        put_grid(i % 2 ? "valid_comma_utf8.csv" : "valid_tab.csv", 200);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log") - before, 4);
    long unchained = -1;
    for (int i = 0; i < 100 && unchained != 0; i++) { /* at most 10 s; a few ms in practice */
        unchained = it_sql_long(c, "SELECT count(*) FROM audit_log WHERE seq IS NULL");
        if (unchained)
            usleep(100 * 1000);
    }
    assert_int_equal(unchained, 0);
    assert_int_equal(it_sql_long(c, "SELECT max(seq) - count(*) FROM audit_log"), 0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log a JOIN audit_log b"
                                    " ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash"), 0);

    /* a deferred entry with nobody to chain it (as after a crash): seq NULL until verify */
    psql("BEGIN; SET LOCAL iscgobs.audit_defer = 'on';"
         " INSERT INTO audit_log (actor, action, outcome) VALUES ('test', 'test.deferred', 'ok');"
         " COMMIT");
    long id = it_sql_long(c, "SELECT max(id) FROM audit_log WHERE action = 'test.deferred'");
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE id = %ld AND seq IS NULL", id);
    assert_int_equal(it_sql_long(c, sql), 1);
    /* the guard: no other column may change, and a chained entry never */
    assert_true(psql_fails("BEGIN; SET LOCAL iscgobs.audit_chaining = 'on';"
                           " UPDATE audit_log SET outcome = 'ko', seq = 0, prev_hash = '\\x00',"
                           " hash = '\\x00' WHERE action = 'test.deferred'; COMMIT"));
    assert_true(psql_fails("BEGIN; SET LOCAL iscgobs.audit_chaining = 'on';"
                           " UPDATE audit_log SET seq = seq WHERE seq = 1; COMMIT"));
    assert_true(psql_fails("DELETE FROM audit_log WHERE action = 'test.deferred'"));
    assert_true(psql_fails("TRUNCATE audit_log"));
    char out[1024];
    assert_int_equal(verify(NULL, out, sizeof out), 0);
    assert_non_null(strstr(out, "chaîne intacte"));
    snprintf(sql, sizeof sql, "SELECT (seq = (SELECT max(seq) FROM audit_log))::int FROM audit_log"
                              " WHERE id = %ld", id);
    assert_int_equal(it_sql_long(c, sql), 1); /* chained last, the guard's tries left nothing */
    PQfinish(c);
    /* the anchor of the first test still holds: chaining appends, it never rewrites */
    assert_int_equal(verify(anchor, out, sizeof out), 0);
}

static void edited_row_is_named(void **state)
{
    (void)state;
    psql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;"
         " UPDATE audit_log SET outcome = 'ok-edited' WHERE seq = 3;"
         " ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change");
    char out[1024];
    assert_int_equal(verify(NULL, out, sizeof out), 1);
    assert_non_null(strstr(out, "rompue à l'entrée 3 "));
    assert_non_null(strstr(out, "empreinte"));
    /* The DBA now recomputes every hash from position 3 on: the chain alone looks sound... */
    psql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;"
         " DO \\$\\$ DECLARE r record; p bytea; BEGIN"
         " SELECT hash INTO p FROM audit_log WHERE seq = 2;"
         " FOR r IN SELECT * FROM audit_log WHERE seq >= 3 ORDER BY seq LOOP"
         " UPDATE audit_log SET prev_hash = p, hash = audit_log_hash(r.seq, r.id, r.at,"
         " r.account_id, r.actor, r.action, r.target, r.outcome, r.detail, p)"
         " WHERE seq = r.seq RETURNING hash INTO p; END LOOP; END \\$\\$;"
         " ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change");
    assert_int_equal(verify(NULL, out, sizeof out), 0);
    /* ...but not against the head kept before */
    assert_int_equal(verify(anchor, out, sizeof out), 1);
    assert_non_null(strstr(out, "ancre"));
    /* A new entry after the rewrite chains onto the rewritten head. */
    it_user_add(&S, "analyst", NULL, tok_analyst);
    assert_int_equal(verify(NULL, out, sizeof out), 0);
}

static void route_admins_only(void **state)
{
    (void)state;
    it_resp r;
    it_http(&S, "GET", "/api/v1/audit", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 401);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit", "not-a-token", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 401);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit", tok_analyst, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit", tok_post, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit?limit=0", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit?from=2026-13-45T00:00:00Z", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/audit?what=1", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    it_resp_free(&r);

    /* newest first, one page of 1, then the page before it */
    it_http(&S, "GET", "/api/v1/audit?action=grid.upload&limit=1", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    json_t *e = json_object_get(j, "entries");
    assert_int_equal(json_array_size(e), 1);
    json_t *first = json_array_get(e, 0);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "grid.upload");
    assert_int_equal(strlen(json_string_value(json_object_get(first, "hash"))), 64);
    json_int_t next = json_integer_value(json_object_get(j, "next_before"));
    assert_true(next > 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/audit?action=grid.upload&before=%lld&limit=500",
             (long long)next);
    json_decref(j);
    it_resp_free(&r);
    it_http(&S, "GET", path, tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    e = json_object_get(j, "entries");
    assert_true(json_array_size(e) >= 2); /* created, replaced (and the rejected one) */
    size_t i;
    json_t *x;
    json_array_foreach(e, i, x) {
        assert_true(json_integer_value(json_object_get(x, "seq")) < next);
        assert_string_equal(json_string_value(json_object_get(x, "action")), "grid.upload");
    }
    assert_true(json_is_null(json_object_get(j, "next_before")));
    json_decref(j);
    it_resp_free(&r);
    /* a time window in the future holds nothing */
    it_http(&S, "GET", "/api/v1/audit?from=2999-01-01T00:00:00Z", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "entries")), 0);
    json_decref(j);
    it_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(actions_are_chained_and_verified),
        cmocka_unit_test(route_admins_only),
        cmocka_unit_test(uploads_chained_after_commit),
        cmocka_unit_test(edited_row_is_named),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
