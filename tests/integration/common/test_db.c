/* test_db.c: common/db.c against a real PostgreSQL: statements pipelined in one round trip
 * (results, a failure in the middle, a session that died while idle) and transactions that
 * their function opens itself (the upload's BEGIN + lock + version statement). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "harness.h"

static it_server S;

/* Statements with static storage: obs_db prepares them once per connection. */
static const char SQL_ADD_ONE[] = "SELECT $1::int + 1";
static const char SQL_INSERT[] = "INSERT INTO db_probe (v) VALUES ($1::int)";
static const char SQL_DIVIDE[] = "SELECT 1 / $1::int";
static const char SQL_COUNT[] = "SELECT count(*) FROM db_probe";

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_db");
    PGconn *c = it_db(&S);
    PQclear(PQexec(c, "CREATE TABLE db_probe (v int)"));
    PQfinish(c);
    return 0;
}

static PGconn *open_db(void)
{
    obs_err e;
    PGconn *c = obs_db_open(S.db_url, &e);
    assert_non_null(c);
    PQclear(PQexec(c, "TRUNCATE db_probe"));
    return c;
}

static long probe_rows(PGconn *c)
{
    PGresult *r = NULL;
    obs_err e;
    assert_int_equal(obs_db_exec_prepared(c, SQL_COUNT, 0, NULL, &r, &e), OBS_OK);
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

/* Every statement's result comes back, in order, and the transaction stays open. */
static void test_pipeline_results(void **state)
{
    (void)state;
    PGconn *c = open_db();
    const obs_db_stmt st[] = {OBS_DB_BEGIN, {SQL_ADD_ONE, 1, (const char *[]){"41"}},
                              {SQL_INSERT, 1, (const char *[]){"7"}}};
    PGresult *res[3];
    obs_err e;
    assert_int_equal(obs_db_pipeline(c, st, 3, res, &e), OBS_OK);
    assert_int_equal(PQresultStatus(res[0]), PGRES_COMMAND_OK);
    assert_string_equal(PQgetvalue(res[1], 0, 0), "42");
    assert_string_equal(PQcmdTuples(res[2]), "1");
    for (int i = 0; i < 3; i++)
        PQclear(res[i]);
    assert_int_equal(PQtransactionStatus(c), PQTRANS_INTRANS);
    assert_int_equal(obs_db_run(c, "COMMIT", &e), OBS_OK);
    assert_int_equal(probe_rows(c), 1);
    obs_db_close(c);
}

/* A failing statement stops the pipeline: its error is returned, later statements do not
 * run, no result is handed out, and the connection serves again after ROLLBACK. */
static void test_pipeline_failure(void **state)
{
    (void)state;
    PGconn *c = open_db();
    const obs_db_stmt st[] = {OBS_DB_BEGIN,
                              {SQL_INSERT, 1, (const char *[]){"1"}},
                              {SQL_DIVIDE, 1, (const char *[]){"0"}},
                              {SQL_INSERT, 1, (const char *[]){"2"}}};
    PGresult *res[4];
    obs_err e;
    obs_err_clear(&e);
    assert_int_equal(obs_db_pipeline(c, st, 4, res, &e), OBS_ERR_DB);
    assert_string_equal(e.code, "E_DB");
    for (int i = 0; i < 4; i++)
        assert_null(res[i]);
    assert_int_equal(PQpipelineStatus(c), PQ_PIPELINE_OFF);
    assert_int_equal(PQtransactionStatus(c), PQTRANS_INERROR);
    assert_int_equal(obs_db_run(c, "ROLLBACK", &e), OBS_OK);
    assert_int_equal(probe_rows(c), 0); /* neither insert survived */
    obs_db_close(c);
}

/* A session the server closed while idle (restart, administrator) is re-opened and the
 * pipeline runs once more, as a single statement would. */
static void test_pipeline_reconnects(void **state)
{
    (void)state;
    PGconn *c = open_db();
    const obs_db_stmt st[] = {{SQL_ADD_ONE, 1, (const char *[]){"1"}},
                              {SQL_ADD_ONE, 1, (const char *[]){"2"}}};
    PGresult *res[2];
    obs_err e;
    assert_int_equal(obs_db_pipeline(c, st, 2, NULL, &e), OBS_OK); /* prepared: the next
                                                                       run sends at once */
    PGconn *admin = it_db(&S);
    char sql[80];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)::int", PQbackendPID(c));
    assert_int_equal(it_sql_long(admin, sql), 1);
    PQfinish(admin);
    assert_int_equal(obs_db_pipeline(c, st, 2, res, &e), OBS_OK);
    assert_string_equal(PQgetvalue(res[0], 0, 0), "2");
    assert_string_equal(PQgetvalue(res[1], 0, 0), "3");
    PQclear(res[0]);
    PQclear(res[1]);
    obs_db_close(c);
}

static obs_status opens_and_inserts(PGconn *c, void *arg, obs_err *e)
{
    const obs_db_stmt st[] = {OBS_DB_BEGIN, {SQL_INSERT, 1, (const char *[]){arg}}};
    return obs_db_pipeline(c, st, 2, NULL, e);
}

static obs_status forgets_begin(PGconn *c, void *arg, obs_err *e)
{
    return obs_db_exec_prepared(c, SQL_INSERT, 1, (const char *[]){arg}, NULL, e);
}

/* obs_db_tx_begun_by_fn commits what the function opened, and refuses a function that wrote
 * outside a transaction (a defect: its statement committed on its own). */
static void test_tx_begun_by_fn(void **state)
{
    (void)state;
    PGconn *c = open_db();
    obs_err e;
    assert_int_equal(obs_db_tx_begun_by_fn(c, opens_and_inserts, "5", &e), OBS_OK);
    assert_int_equal(PQtransactionStatus(c), PQTRANS_IDLE);
    assert_int_equal(probe_rows(c), 1);
    obs_err_clear(&e);
    assert_int_equal(obs_db_tx_begun_by_fn(c, forgets_begin, "6", &e), OBS_ERR_INTERNAL);
    assert_string_equal(e.code, "E_INTERNAL");
    obs_db_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_results),
        cmocka_unit_test(test_pipeline_failure),
        cmocka_unit_test(test_pipeline_reconnects),
        cmocka_unit_test(test_tx_begun_by_fn),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
