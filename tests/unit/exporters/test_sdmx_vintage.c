/* test_sdmx_vintage.c: the statements exp_source_init builds to read a run (no database: the
 * text only). For every layout (dimension at observation), both period rules and the longest
 * key filters, every statement is complete (nothing cut by a buffer) and reads the run by the
 * historical filter. Reading runs against PostgreSQL is tested in
 * tests/integration/exporters/test_sdmx.c. */
#include "testutil.h"

#include <string.h>

#include "sdmx_model.h"
#include "sdmx_vintage.h"

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* Every code of every key dimension: the longest filters a key can ask for. */
static void restrict_all(exp_data_query *q)
{
    for (int d = 0; d < EXP_NDIMS; d++) {
        q->restricted[d] = 1;
        for (size_t i = 0; i < exp_cl_count(exp_dim_cl((exp_dim)d)); i++)
            q->mask[d][i / 64] |= (uint64_t)1 << (i % 64);
    }
}

static void test_statements_complete(void **state)
{
    (void)state;
    int dims[EXP_NDIMS + 2], nd = 0;
    dims[nd++] = EXP_DIM_TIME;
    dims[nd++] = EXP_DIM_ALL;
    for (int d = 0; d < EXP_NDIMS; d++)
        dims[nd++] = d;
    exp_run run = {.id = 42};
    for (int i = 0; i < nd; i++) {
        for (int within = 0; within < 2; within++) {
            for (int all = 0; all < 2; all++) {
                exp_data_query q;
                exp_data_query_init(&q);
                q.dim_at_obs = dims[i];
                q.period_within = within;
                q.start_month = 2026 * 12;
                if (all)
                    restrict_all(&q);
                exp_source src;
                obs_err e;
                assert_int_equal(exp_source_init(&src, &q, &run, 7, &e), OBS_OK);
                const char *sql[] = {src.sql_first, src.sql_next, src.sql_count};
                for (size_t k = 0; k < OBS_ARRAY_LEN(sql); k++) {
                    /* The last filter of the WHERE clause is there, and the run is read by
                     * the historical filter (also the run in force: see sdmx_vintage.c). */
                    assert_non_null(strstr(sql[k], "from_run > $13::bigint)"));
                    assert_non_null(strstr(sql[k], "from_run <= $14::bigint AND (to_run IS NULL"
                                                   " OR to_run > $14::bigint)"));
                    assert_null(strstr(sql[k], "to_run IS NULL AND"));
                }
                assert_true(ends_with(src.sql_first, " LIMIT $15::int"));
                assert_true(ends_with(src.sql_next, " LIMIT $26::int"));
                assert_non_null(strstr(src.sql_next, "> ($15::"));
                assert_true(ends_with(src.sql_count, " AND $15::int IS NOT NULL"));
                assert_string_equal(src.run, "42");
                assert_string_equal(src.upd, "7");
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_complete),
    };
    return cmocka_run_group_tests_name("sdmx_vintage", tests, sdmx_model_setup, NULL);
}
