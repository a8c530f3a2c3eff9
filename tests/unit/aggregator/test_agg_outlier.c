/* test_agg_outlier.c: the robust outlier rule of the completeness report (outlier.c). */
#include "testutil.h"

#include <math.h>

#include "routes.h"

static void test_median(void **state)
{
    (void)state;
    double a[] = {5, 1, 3};
    assert_true(agg_median(a, 3) == 3.0);
    double b[] = {4, 1, 3, 2};
    assert_true(agg_median(b, 4) == 2.5);
    assert_true(agg_median(b, 0) == 0.0);
}

static void test_rule(void **state)
{
    (void)state;
    agg_outlier o;
    /* Too short a history: never assessed, never flagged. */
    double short_h[] = {80, 82, 85, 90, 79};
    assert_int_equal(agg_outlier_test(short_h, 5, 1000, &o), 0);
    assert_int_equal(o.assessed, 0);

    /* median 85, MAD 5: scale max(7.413, sqrt(85)=9.22) = 9.22; bounds 85 -/+ 32.27. */
    double h[] = {80, 85, 90, 75, 95, 85, 80, 90, 85, 85, 100, 70};
    assert_int_equal(agg_outlier_test(h, 12, 85, &o), 0);
    assert_int_equal(o.assessed, 1);
    assert_true(o.median == 85.0);
    assert_true(o.mad == 5.0);
    assert_true(fabs(o.scale - sqrt(85.0)) < 1e-9);
    assert_int_equal(agg_outlier_test(h, 12, 117, &o), 0);
    assert_int_equal(agg_outlier_test(h, 12, 118, &o), 1);
    assert_int_equal(agg_outlier_test(h, 12, 53, &o), 0);
    assert_int_equal(agg_outlier_test(h, 12, 52, &o), 1);
    assert_int_equal(agg_outlier_test(h, 12, 0, &o), 1);

    /* A spread history widens the bounds (MAD wins over the Poisson floor). */
    double wide[] = {20, 150, 60, 110, 40, 130, 80, 90};
    agg_outlier_test(wide, 8, 200, &o);
    assert_true(o.scale > sqrt(o.median));
    assert_int_equal(o.flagged, 0);

    /* A constant history (MAD 0): the floor keeps small noise from being flagged. */
    double flat[] = {2, 2, 2, 2, 2, 2};
    assert_int_equal(agg_outlier_test(flat, 6, 5, &o), 0);
    assert_true(o.scale >= 1.0);
    assert_int_equal(agg_outlier_test(flat, 6, 8, &o), 1);
    double zero[] = {0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(agg_outlier_test(zero, 7, 3, &o), 0);
    assert_int_equal(agg_outlier_test(zero, 7, 4, &o), 1);
    /* The history is not modified. */
    assert_true(h[0] == 80 && h[11] == 70);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
