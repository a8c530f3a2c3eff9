/* test_date.c: common/date.c, the calendar as day numbers. */
#include "testutil.h"

#include <time.h>

#include "date.h"

/* Known day numbers, including the epochs of Unix and of PostgreSQL and leap days. */
static void test_known_days(void **state)
{
    (void)state;
    assert_int_equal(obs_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(obs_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(obs_days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(obs_days_from_civil(2000, 3, 1) - obs_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(obs_days_from_civil(1900, 3, 1) - obs_days_from_civil(1900, 2, 28), 1);
    assert_int_equal(obs_days_from_civil(2024, 2, 29), 19782);
}

/* Every day from 1900 to 2100 agrees with timegm and comes back through the inverse. */
static void test_round_trip(void **state)
{
    (void)state;
    long first = obs_days_from_civil(1900, 1, 1), last = obs_days_from_civil(2100, 12, 31);
    for (long z = first; z <= last; z++) {
        int y, m, d;
        obs_civil_from_days(z, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= obs_days_in_month(y, m));
        assert_int_equal(obs_days_from_civil(y, m, d), z);
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
        assert_int_equal((long)(timegm(&tm) / 86400), z);
    }
}

static void test_days_in_month(void **state)
{
    (void)state;
    assert_int_equal(obs_days_in_month(2024, 2), 29);
    assert_int_equal(obs_days_in_month(2025, 2), 28);
    assert_int_equal(obs_days_in_month(1900, 2), 28);
    assert_int_equal(obs_days_in_month(2000, 2), 29);
    assert_int_equal(obs_days_in_month(2025, 4), 30);
    assert_int_equal(obs_days_in_month(2025, 12), 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_days_in_month),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
