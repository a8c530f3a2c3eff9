/* test_sdmx_vintage.c: the statements exp_source_init builds to read a run (no database: the
 * text only). For every layout (dimension at observation), both period rules and the longest
 * key filters, every statement is complete (nothing cut by a buffer) and reads the run by the
 * historical filter; which publication states are older than others (exp_state_older).
 * Reading runs against PostgreSQL is tested in
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

/* A run is never recorded after a newer one: which states are older. */
static void test_state_older(void **state)
{
    (void)state;
    const char *k = "|2026-12|k=5|lock=2";
    char a[128], b[128];
#define S2(x, y) (snprintf(a, sizeof a, "%s%s", x, k), snprintf(b, sizeof b, "%s%s", y, k))
    S2("2025:3,2026:7", "2025:3,2026:8");
    assert_true(exp_state_older(a, b));  /* a later generation of 2026 */
    assert_false(exp_state_older(b, a));
    S2("2025:3,2026:7", "2025:3,2026:7");
    assert_false(exp_state_older(a, b)); /* the same state */
    S2("2026:7", "2025:1,2026:7");
    assert_true(exp_state_older(a, b));  /* a year a has not seen yet */
    S2("2025:10,2026:7", "2025:9,2026:70");
    assert_true(exp_state_older(a, b));  /* numbers, not text: 7 < 70 */
    S2("", "");
    assert_false(exp_state_older(a, b)); /* nothing published yet on either side */
#undef S2
    assert_true(exp_state_older("2026:7|2026-11|k=5", "2026:7|2026-12|k=5")); /* earlier month */
    assert_false(exp_state_older("2026:7|2026-12|k=5", "2026:7|2026-11|k=5"));
    assert_false(exp_state_older("garbage", "2026:7|2026-12|k=5")); /* unparsable: not older */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements_complete),
        cmocka_unit_test(test_state_older),
    };
    return cmocka_run_group_tests_name("sdmx_vintage", tests, sdmx_model_setup, NULL);
}
