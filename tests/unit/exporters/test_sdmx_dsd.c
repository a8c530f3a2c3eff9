/* test_sdmx_dsd.c: the SDMX model has one source of truth. Every domain code list of the DSD
 * is the reference-data list of the same id, code for code and name for name, in the same
 * order, plus "_T" (Total) for the breakdown dimensions; CL_AREA_ISCG is FR, the régions and
 * the départements of the reference data; and every unit the aggregator gives a measure
 * (agg_unit) is a code of CL_UNIT_MEASURE, which lists no other. */
#include "testutil.h"

#include <string.h>

#include "publish.h"
#include "ref.h"
#include "sdmx_dsd.h"
#include "sdmx_model.h"

/* The reference list whose id is the id of code list c, or -1 (SDMX-only lists). */
static int ref_of(exp_cl c)
{
    for (int l = 0; l < REF_NLISTS; l++)
        if (strcmp(ref_list_id((ref_list)l), exp_cl_id(c)) == 0)
            return l;
    return -1;
}

static void test_domain_lists_are_reference_lists(void **state)
{
    (void)state;
    /* The key dimensions whose list is a breakdown: reference codes plus _T. */
    static const exp_dim breakdowns[] = {EXP_D_SEXE,          EXP_D_AGE,        EXP_D_STATUT,
                                         EXP_D_ORIGINE,       EXP_D_PROBLEMATIQUE,
                                         EXP_D_PARTENAIRE,    EXP_D_MODE};
    int checked = 0;
    for (int d = 0; d < EXP_NDIMS; d++) {
        exp_cl c = exp_dim_cl((exp_dim)d);
        int l = ref_of(c);
        if (d == EXP_D_FREQ || d == EXP_D_REF_AREA) {
            assert_int_equal(l, -1); /* SDMX vocabulary and the geography: below */
            continue;
        }
        if (l < 0)
            fail_msg("%s (dimension %s) is not a reference-data list", exp_cl_id(c),
                     exp_dim_id(d));
        int total = 0;
        for (size_t b = 0; b < OBS_ARRAY_LEN(breakdowns); b++)
            total |= breakdowns[b] == (exp_dim)d;
        size_t n = ref_count((ref_list)l);
        assert_int_equal(exp_cl_count(c), n + (size_t)total);
        for (size_t i = 0; i < n; i++) {
            const ref_code *r = ref_at((ref_list)l, i);
            const exp_code *x = exp_cl_at(c, i);
            assert_string_equal(x->id, r->code);
            assert_string_equal(x->name_fr, r->label_fr);
            assert_string_equal(x->name_en, r->label_en);
            assert_null(x->parent);
        }
        if (total) {
            assert_string_equal(exp_cl_at(c, n)->id, "_T");
            assert_int_equal(ref_find((ref_list)l, "_T"), -1); /* not twice */
        }
        checked++;
    }
    assert_int_equal(checked, 1 + (int)OBS_ARRAY_LEN(breakdowns)); /* MESURE + breakdowns */
}

static void test_area_list_is_the_geography(void **state)
{
    (void)state;
    size_t nr = ref_region_count(), nd = ref_dep_count();
    assert_int_equal(exp_cl_count(EXP_CL_AREA), 1 + nr + nd);
    assert_string_equal(exp_cl_at(EXP_CL_AREA, 0)->id, "FR");
    char id[16], parent[16];
    for (size_t i = 0; i < nr; i++) {
        snprintf(id, sizeof id, "R%s", ref_region_at(i)->code);
        int k = exp_cl_find(EXP_CL_AREA, id, strlen(id));
        assert_true(k > 0);
        assert_string_equal(exp_cl_at(EXP_CL_AREA, (size_t)k)->parent, "FR");
    }
    for (size_t i = 0; i < nd; i++) {
        const ref_dep *d = ref_dep_at(i);
        snprintf(id, sizeof id, "D%s", d->code);
        snprintf(parent, sizeof parent, "R%s", d->region);
        int k = exp_cl_find(EXP_CL_AREA, id, strlen(id));
        assert_true(k > 0);
        assert_string_equal(exp_cl_at(EXP_CL_AREA, (size_t)k)->parent, parent);
        assert_string_equal(exp_cl_at(EXP_CL_AREA, (size_t)k)->name_fr, d->name);
    }
}

static void test_units_of_the_aggregator(void **state)
{
    (void)state;
    int used[16] = {0};
    assert_true(exp_cl_count(EXP_CL_UNIT_MEASURE) <= OBS_ARRAY_LEN(used));
    for (size_t i = 0; i < ref_count(REF_MESURE); i++) {
        const char *m = ref_at(REF_MESURE, i)->code;
        const char *u = agg_unit(m);
        int k = exp_cl_find(EXP_CL_UNIT_MEASURE, u, strlen(u));
        if (k < 0)
            fail_msg("measure %s: unit \"%s\" is not in CL_UNIT_MEASURE", m, u);
        used[k] = 1;
        assert_string_equal(exp_unit_of(m), u); /* the writers use the aggregator's unit */
    }
    for (size_t k = 0; k < exp_cl_count(EXP_CL_UNIT_MEASURE); k++)
        if (!used[k])
            fail_msg("CL_UNIT_MEASURE code %s is the unit of no measure",
                     exp_cl_at(EXP_CL_UNIT_MEASURE, k)->id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_lists_are_reference_lists),
        cmocka_unit_test(test_area_list_is_the_geography),
        cmocka_unit_test(test_units_of_the_aggregator),
    };
    return cmocka_run_group_tests_name("sdmx_dsd", tests, sdmx_model_setup, NULL);
}
