/* test_ref.c: reference data and Unicode helpers. */
#include "testutil.h"

#include <string.h>

#include "ref.h"
#include "text.h"

static void test_lists_loaded(void **state)
{
    (void)state;
    assert_int_equal(ref_count(REF_SEXE), 3);
    assert_int_equal(ref_count(REF_AGE), 7);
    assert_int_equal(ref_count(REF_STATUT), 4);
    assert_int_equal(ref_count(REF_ORIGINE), 12);
    assert_int_equal(ref_count(REF_PROBLEMATIQUE), 18);
    assert_int_equal(ref_count(REF_PARTENAIRE), 17);
    assert_int_equal(ref_count(REF_MODE), 5);
    assert_int_equal(ref_dep_count(), 101);
    assert_int_equal(ref_region_count(), 18);
    assert_string_equal(ref_at(REF_PROBLEMATIQUE, 0)->code, "VIOL_CONJ");
    assert_string_equal(ref_at(REF_PROBLEMATIQUE, 0)->label_fr, "Violences conjugales");
    assert_string_equal(ref_dep_find("2A")->region, "94");
    assert_string_equal(ref_region_find("84")->name, "Auvergne-Rhône-Alpes");
    for (size_t i = 0; i < ref_dep_count(); i++) /* the sorted index finds every one */
        assert_ptr_equal(ref_dep_find(ref_dep_at(i)->code), ref_dep_at(i));
    assert_null(ref_dep_find("20"));
    assert_null(ref_dep_find("975"));
    assert_null(ref_dep_find(""));
}

static void test_match(void **state)
{
    (void)state;
    assert_int_equal(ref_match(REF_MODE, " bureau ", 8), 0);
    assert_int_equal(ref_match(REF_CONNU_SS, "nsp", 3), 2);
    assert_int_equal(ref_match(REF_MODE, "BUREAUX", 7), -1);
    assert_int_equal(ref_find(REF_SEXE, "x"), -1);
}

static void test_postcodes(void **state)
{
    (void)state;
    assert_string_equal(ref_dep_of_postcode("93500")->code, "93");
    assert_string_equal(ref_dep_of_postcode("20000")->code, "2A");
    assert_string_equal(ref_dep_of_postcode("20199")->code, "2A");
    assert_string_equal(ref_dep_of_postcode("20200")->code, "2B");
    assert_string_equal(ref_dep_of_postcode("97411")->code, "974");
    assert_string_equal(ref_dep_of_postcode("01000")->code, "01");
    assert_null(ref_dep_of_postcode("97500")); /* Saint-Pierre-et-Miquelon: not in the list */
    assert_null(ref_dep_of_postcode("00100"));
    assert_null(ref_dep_of_postcode("9350"));
    assert_null(ref_dep_of_postcode("9350A"));
}

static void fold_is(const char *in, const char *want)
{
    obs_buf b;
    obs_buf_init(&b, 1024);
    assert_int_equal(obs_text_fold(in, strlen(in), &b), OBS_OK);
    assert_string_equal(b.data, want);
    obs_buf_wipe(&b);
}

static void test_fold(void **state)
{
    (void)state;
    fold_is("Dupont  Marie", "DUPONT MARIE");
    fold_is("DUPONT marie", "DUPONT MARIE");
    fold_is("dupont-marie", "DUPONT MARIE");
    fold_is("  Éloïse  d'Orléans-Çà ", "ELOISE D ORLEANS CA");
    fold_is("Straße", "STRASSE");
    fold_is("Problématiques", "PROBLEMATIQUES");
    fold_is("date_contact", "DATE CONTACT");
    fold_is("---", "");
    obs_buf b;
    obs_buf_init(&b, 64);
    assert_int_equal(obs_text_fold("\xff", 1, &b), OBS_ERR_INPUT);
    obs_buf_free(&b);
}

static void test_cp1252(void **state)
{
    (void)state;
    obs_buf b;
    obs_buf_init(&b, 64);
    assert_int_equal(obs_cp1252_to_utf8("Probl\xe9matiques \x80", 16, &b), OBS_OK);
    assert_string_equal(b.data, "Problématiques €");
    obs_buf_reset(&b);
    assert_int_equal(obs_cp1252_to_utf8("\x81", 1, &b), OBS_ERR_INPUT);
    obs_buf_free(&b);
}

static void test_buf_ceiling(void **state)
{
    (void)state;
    obs_buf b;
    obs_buf_init(&b, 4);
    assert_int_equal(obs_buf_puts(&b, "abcd"), OBS_OK);
    assert_int_equal(obs_buf_putc(&b, 'e'), OBS_ERR_TOO_LARGE);
    assert_string_equal(b.data, "abcd");
    assert_int_equal(obs_buf_printf(&b, "%d", 1), OBS_ERR_TOO_LARGE);
    obs_buf_wipe(&b);
    assert_null(b.data);
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_loaded), cmocka_unit_test(test_match),
        cmocka_unit_test(test_postcodes),    cmocka_unit_test(test_fold),
        cmocka_unit_test(test_cp1252),       cmocka_unit_test(test_buf_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
