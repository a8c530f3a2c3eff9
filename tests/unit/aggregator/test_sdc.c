/* test_sdc.c: statistical disclosure control (aggregator/sdc.c) on hand-made tables: primary
 * rules, secondary suppression over partitions, geography and time, the fixed point,
 * percentages following counts, k, bad input (a synthetic national year: test_sdc_year.c).
 */
#include "sdc_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cells.h"
#include "ref.h"

static void test_primary_counts(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "D75", "2026-03", "", 0);
    add(&t, "NB_PERSONNES", "D92", "2026-03", "", 1);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 10);
    add(&t, "NB_PERSONNES", "D94", "2026-03", "", 11);
    add(&t, "NB_CONTACTS", "D75", "2026-03", "", 3);
    add(&t, "NB_NOUVELLES", "D75", "2026-03", "", 12);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D92", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D94", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D75", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_NOUVELLES", "D75", "2026-03", ""), 'F');
    free(t.v);
}

static void test_primary_percentages(void **state)
{
    (void)state;
    table t = {0};
    add_pct(&t, "PART_INCONNUS_SS", "D01", "2026-03", "", 5, 8);   /* den < k */
    add_pct(&t, "PART_INCONNUS_SS", "D02", "2026-03", "", 5, 40);  /* num in [1,k) */
    add_pct(&t, "PART_INCONNUS_SS", "D03", "2026-03", "", 35, 40); /* den - num in [1,k) */
    add_pct(&t, "PART_INCONNUS_SS", "D04", "2026-03", "", 20, 40);
    add_pct(&t, "PART_INCONNUS_SS", "D05", "2026-03", "", 0, 40);
    add_pct(&t, "PART_INCONNUS_SS", "D06", "2026-03", "", 40, 40);
    add_pct(&t, "PART_INCONNUS_SS", "D07", "2026-03", "", 0, 0); /* no observation */
    add_pct(&t, "PART_MINEURS", "D08", "2026-03", "", 11, 22);
    add_pct(&t, "PART_MINEURS", "D09", "2026-03", "", 11, 21);
    protect(&t, 11);
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D01", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D02", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D03", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D04", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D05", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D06", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D07", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_MINEURS", "D08", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_MINEURS", "D09", "2026-03", ""), 'C');
    free(t.v);
}

static void test_partition_sexe(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 35);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 5);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 30);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 0);
    /* Multi-response: not a partition, only the primary rule. */
    add(&t, "NB_PERSONNES", "D93", "2026-03", "PROBLEMATIQUE=VIOL_CONJ", 4);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "PROBLEMATIQUE=FUGUE", 31);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M"), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X"), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "PROBLEMATIQUE=VIOL_CONJ"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "PROBLEMATIQUE=FUGUE"), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_pair_below_k(void **state)
{
    (void)state;
    table t = {0}; /* two primary cells adding up to 7 < k: a third part goes too */
    add(&t, "NB_CONTACTS", "D93", "2026-03", "", 77);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=BUREAU", 3);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=TELEPHONE", 4);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=DOMICILE", 40);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=EXTERIEUR", 30);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=ACCOMPAGNEMENT", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=BUREAU"), 'C');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=TELEPHONE"), 'C');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=EXTERIEUR"), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=DOMICILE"), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=ACCOMPAGNEMENT"), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_departements_of_region(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "R11", "2026-03", "", 100);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "", 40);
    add(&t, "NB_PERSONNES", "D92", "2026-03", "", 25);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 5);
    add(&t, "NB_PERSONNES", "D94", "2026-03", "", 30);
    add(&t, "NB_PERSONNES", "D95", "2026-03", "", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D92", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D94", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D95", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "R11", "2026-03", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_posts_of_departement(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_CONTACTS", "D93", "2026-03", "", 35);
    add(&t, "NB_CONTACTS", "ISCG-093-01", "2026-03", "", 5);
    add(&t, "NB_CONTACTS", "ISCG-093-02", "2026-03", "", 30);
    add(&t, "NB_CONTACTS", "D2A", "2026-03", "", 20);
    add(&t, "NB_CONTACTS", "ISCG-02A-01", "2026-03", "", 4);
    add(&t, "NB_CONTACTS", "ISCG-02A-02", "2026-03", "", 16);
    add(&t, "NB_CONTACTS", "D974", "2026-03", "", 15);
    add(&t, "NB_CONTACTS", "ISCG-974-01", "2026-03", "", 3);
    add(&t, "NB_CONTACTS", "ISCG-974-02", "2026-03", "", 12);
    /* A département with one post: the only complement left is the total. */
    add(&t, "NB_CONTACTS", "D01", "2026-03", "", 7);
    add(&t, "NB_CONTACTS", "ISCG-001-01", "2026-03", "", 7);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_CONTACTS", "ISCG-093-01", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_CONTACTS", "ISCG-093-02", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "ISCG-02A-02", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "ISCG-974-02", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D974", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D01", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_CONTACTS", "ISCG-001-01", "2026-03", ""), 'C');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_months_of_quarter(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_CONTACTS", "D93", "2026-01", "", 4);
    add(&t, "NB_CONTACTS", "D93", "2026-02", "", 20);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "", 30);
    add(&t, "NB_CONTACTS", "D93", "2026-Q1", "", 54);
    /* Persons are deduplicated over periods: no time relation. */
    add(&t, "NB_PERSONNES", "D93", "2026-01", "", 4);
    add(&t, "NB_PERSONNES", "D93", "2026-02", "", 20);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 30);
    add(&t, "NB_PERSONNES", "D93", "2026-Q1", "", 40);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-01", ""), 'C');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-02", ""), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-Q1", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-01", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-02", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_months_and_quarters_of_year(void **state)
{
    (void)state;
    table t = {0}; /* one year = 12 months = 4 quarters; a small March */
    double q[4] = {0, 0, 0, 0};
    char p[24];
    for (int m = 1; m <= 12; m++) {
        double v = m == 3 ? 2 : 20 + m;
        snprintf(p, sizeof p, "2026-%02d", m);
        add(&t, "NB_CONTACTS", "FR", p, "", v);
        q[(m - 1) / 3] += v;
    }
    double y = 0;
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "2026-Q%d", i + 1);
        add(&t, "NB_CONTACTS", "FR", p, "", q[i]);
        y += q[i];
    }
    add(&t, "NB_CONTACTS", "FR", "2026", "", y);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_CONTACTS", "FR", "2026-03", ""), 'C');
    /* Q1 = Jan + Feb + Mar: the smallest published month of Q1 goes (January, 21). */
    assert_int_equal(conf(&t, "NB_CONTACTS", "FR", "2026-01", ""), 'D');
    assert_int_equal(conf(&t, "NB_CONTACTS", "FR", "2026-02", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "FR", "2026-Q1", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "FR", "2026", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

/* D93 F=5 (C) -> D93 M (D) -> in the région, R11 M = D75 M + D93 M: D75 M (D) -> in D75's
 * partition, D75 F (D). Four cells, three relations. */
static void test_cascade(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 40);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 5);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 35);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 0);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "", 50);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=F", 30);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=M", 20);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=X", 0);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "", 90);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "SEXE=F", 35);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "SEXE=M", 55);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "SEXE=X", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M"), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=M"), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=F"), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "R11", "2026-03", "SEXE=F"), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "R11", "2026-03", "SEXE=M"), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

static void test_post_measures_never(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_GRILLES", "D93", "2026-03", "", 3);
    add(&t, "NB_POSTES_ACTIFS", "D93", "2026-03", "", 2);
    add_pct(&t, "TAUX_COMPLETUDE", "D93", "2026-03", "", 1, 2);
    add_pct(&t, "TAUX_PROMPTITUDE", "D93", "2026-03", "", 1, 2)->conf_status = 'D'; /* stale */
    add(&t, "NB_CONTACTS", "D93", "2026-03", "", 50)->conf_status = 'C';            /* stale */
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_GRILLES", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_POSTES_ACTIFS", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "TAUX_COMPLETUDE", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "TAUX_PROMPTITUDE", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", ""), 'F');
    free(t.v);
}

static void test_percentages_follow_counts(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 125);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 5);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 100);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 20);
    add_pct(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=F", 5, 125);
    add_pct(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=M", 100, 125);
    add_pct(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=X", 20, 125);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "", 93);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=BUREAU", 3);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=TELEPHONE", 50);
    add(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=DOMICILE", 40);
    add_pct(&t, "PART_CONTACTS", "D93", "2026-03", "MODE=DOMICILE", 40, 93);
    add_pct(&t, "PART_CONTACTS", "D93", "2026-03", "MODE=TELEPHONE", 50, 93);
    /* R11 = D75 + D92 + D93, all published: nothing goes by geography here (the second
     * table withholds D75's total). */
    add(&t, "NB_PERSONNES", "R11", "2026-03", "", 165);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "", 40);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=M", 20);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "SEXE=F", 20);
    add_pct(&t, "PART_PERSONNES", "D75", "2026-03", "SEXE=M", 20, 40);
    add_pct(&t, "PART_INCONNUS_SS", "D75", "2026-03", "", 20, 40);
    add(&t, "NB_PERSONNES", "D92", "2026-03", "", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X"), 'D');
    assert_int_equal(conf(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=F"), 'C');
    assert_int_equal(conf(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=X"), 'D');
    assert_int_equal(conf(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=M"), 'F');
    assert_int_equal(conf(&t, "NB_CONTACTS", "D93", "2026-03", "MODE=DOMICILE"), 'D');
    assert_int_equal(conf(&t, "PART_CONTACTS", "D93", "2026-03", "MODE=DOMICILE"), 'D');
    assert_int_equal(conf(&t, "PART_CONTACTS", "D93", "2026-03", "MODE=TELEPHONE"), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", ""), 'F');
    free(t.v);

    table u = {0}; /* the total count withheld: every share of that area follows */
    add(&u, "NB_PERSONNES", "R11", "2026-03", "", 45);
    add(&u, "NB_PERSONNES", "D93", "2026-03", "", 5);
    add(&u, "NB_PERSONNES", "D75", "2026-03", "", 40);
    add(&u, "NB_PERSONNES", "D75", "2026-03", "SEXE=M", 20);
    add(&u, "NB_PERSONNES", "D75", "2026-03", "SEXE=F", 20);
    add_pct(&u, "PART_PERSONNES", "D75", "2026-03", "SEXE=M", 20, 40);
    add_pct(&u, "PART_INCONNUS_SS", "D75", "2026-03", "", 20, 40);
    protect(&u, 11);
    assert_int_equal(conf(&u, "NB_PERSONNES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&u, "NB_PERSONNES", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&u, "NB_PERSONNES", "D75", "2026-03", "SEXE=F"), 'D');
    assert_int_equal(conf(&u, "NB_PERSONNES", "D75", "2026-03", "SEXE=M"), 'F');
    assert_int_equal(conf(&u, "PART_PERSONNES", "D75", "2026-03", "SEXE=M"), 'D');
    /* Its denominator is D75's persons minus the NSP: it follows the total too. */
    assert_int_equal(conf(&u, "PART_INCONNUS_SS", "D75", "2026-03", ""), 'D');
    assert_safe(&u, 11);
    free(u.v);
}

/* The AGE partition of D93 2026-03 (total 100): Y_LT15 5 is primary, and the smallest
 * published part goes with it. */
static void d93_ages(table *t, double lt15, double u)
{
    add(t, "NB_PERSONNES", "D93", "2026-03", "", 100);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y_LT15", lt15);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y15T17", 20);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y18T24", 12);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y25T39", 30);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y40T59", 38 - lt15 - u);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y_GE60", 0);
    add(t, "NB_PERSONNES", "D93", "2026-03", "AGE=_U", u);
    add_pct(t, "PART_MINEURS", "D93", "2026-03", "", (long)lt15 + 20, 100 - (long)u);
}

/* Leak (a) of the SDC review: PART_MINEURS = (Y_LT15 + Y15T17) / (_T - _U). With Y_LT15 = 5
 * withheld and Y15T17 = 20 published, 25.0 % of 100 gave Y_LT15 = 5 exactly. The share now
 * follows all four counts, the denominator's as well. */
static void test_mineurs_follow_ages(void **state)
{
    (void)state;
    table t = {0};
    d93_ages(&t, 5, 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y_LT15"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y18T24"), 'D');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y15T17"), 'F');
    assert_int_equal(conf(&t, "PART_MINEURS", "D93", "2026-03", ""), 'D');
    assert_safe(&t, 11);
    free(t.v);

    table u = {0}; /* the unknown ages withheld: the denominator 100 - 4 is no longer known */
    d93_ages(&u, 15, 4);
    protect(&u, 11);
    assert_int_equal(conf(&u, "NB_PERSONNES", "D93", "2026-03", "AGE=_U"), 'C');
    assert_int_equal(conf(&u, "NB_PERSONNES", "D93", "2026-03", "AGE=Y_LT15"), 'F');
    assert_int_equal(conf(&u, "PART_MINEURS", "D93", "2026-03", ""), 'D');
    assert_safe(&u, 11);
    free(u.v);
}

/* One area's persons and the three shares of persons whose numerator is no published count. */
static void person_shares(table *t, const char *area, double persons, long nsp, long non,
                          long orientees)
{
    add(t, "NB_PERSONNES", area, "2026-03", "", persons);
    add_pct(t, "PART_NSP_SS", area, "2026-03", "", nsp, (long)persons);
    add_pct(t, "PART_INCONNUS_SS", area, "2026-03", "", non, (long)persons - nsp);
    add_pct(t, "PART_ORIENTEES", area, "2026-03", "", orientees, (long)persons);
}

/* Leak (b) of the SDC review: D75's persons (40) are withheld to protect D93 (5) in
 * R11 = D75 + D93; PART_ORIENTEES D75 = 32.5 % was published, and only a denominator of 40
 * gives 32.5 % below R11's 45: D75 = 40, then D93 = 5. Every share of persons of D75 now
 * follows its total; PART_INCONNUS_SS also follows PART_NSP_SS (its denominator is the
 * persons minus the NSP). */
static void test_shares_follow_persons(void **state)
{
    (void)state;
    table t = {0};
    person_shares(&t, "R11", 45, 13, 16, 15);
    person_shares(&t, "D75", 40, 12, 15, 13);
    person_shares(&t, "D93", 5, 1, 1, 2);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_NSP_SS", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "R11", "2026-03", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);

    table u = {0}; /* the NSP share withheld alone: the INCONNUS share follows it */
    person_shares(&u, "D75", 40, 5, 20, 13);
    protect(&u, 11);
    assert_int_equal(conf(&u, "NB_PERSONNES", "D75", "2026-03", ""), 'F');
    assert_int_equal(conf(&u, "PART_NSP_SS", "D75", "2026-03", ""), 'C');
    assert_int_equal(conf(&u, "PART_INCONNUS_SS", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&u, "PART_ORIENTEES", "D75", "2026-03", ""), 'F');
    assert_safe(&u, 11);
    free(u.v);
}

/* The NSP counts add up over the geography although no count cell publishes them: D93's
 * share is withheld (3 NSP), R11's and D75's would give D93's NSP = 23 - 20 by subtraction.
 * A second département's share goes too, and the INCONNUS shares follow. */
static void test_hidden_numerators_geography(void **state)
{
    (void)state;
    table t = {0};
    person_shares(&t, "R11", 150, 23, 50, 60);
    person_shares(&t, "D75", 100, 20, 30, 40);
    person_shares(&t, "D93", 50, 3, 20, 20);
    protect(&t, 11);
    assert_int_equal(conf(&t, "PART_NSP_SS", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "PART_NSP_SS", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_NSP_SS", "R11", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D93", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_INCONNUS_SS", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D93", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

/* PART_ORIENTEES counts the persons oriented to at least one partner: when one PARTENAIRE
 * cell holds them all (the others are published zeros), the share's numerator is that cell,
 * and it must follow it. */
static void test_orientees_union(void **state)
{
    (void)state;
    table t = {0};
    person_shares(&t, "R11", 70, 20, 20, 37);
    person_shares(&t, "D75", 40, 15, 12, 20);
    person_shares(&t, "D93", 30, 5, 8, 17);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "PARTENAIRE=SSD", 25);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=SSD", 20);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=SSD", 5);
    size_t r11 = t.n, d75 = t.n + 1; /* indexes: the table may move as it grows */
    add(&t, "NB_PERSONNES", "R11", "2026-03", "PARTENAIRE=CCAS", 12);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=CCAS", 0);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=CCAS", 12);
    add(&t, "NB_PERSONNES", "R11", "2026-03", "PARTENAIRE=JUSTICE", 0);
    add(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=JUSTICE", 0);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=JUSTICE", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=SSD"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=SSD"), 'D');
    /* D75's 20 oriented persons are its 20 SSD ones; then D93's share is alone withheld in
     * R11 = D75 + D93 and goes too. */
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D75", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D93", "2026-03", ""), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "R11", "2026-03", ""), 'F');
    assert_safe(&t, 11);

    /* D75 also orients persons to the CCAS: its union is no longer one cell. */
    t.v[d75].value = 12;
    t.v[r11].value = 24;
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=SSD"), 'D');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D75", "2026-03", ""), 'F');
    assert_int_equal(conf(&t, "PART_ORIENTEES", "D93", "2026-03", ""), 'F');
    assert_safe(&t, 11);
    free(t.v);
}

/* The public view must be cut from the protection with posts, not protected on its own: an
 * analyst sees both (the combined-views leak of the SDC review). */
static void combined_views_table(table *t)
{
    static const char *const ages[] = {"AGE=Y_LT15", "AGE=Y15T17", "AGE=Y18T24", "AGE=Y25T39",
                                       "AGE=Y_GE60"};
    static const double p1[] = {5, 12, 23, 0, 0}, p2[] = {0, 0, 12, 20, 11};
    const char *areas[] = {"ISCG-093-01", "ISCG-093-02", "D93"};
    for (int a = 0; a < 3; a++) {
        double tot = 0;
        for (int i = 0; i < 5; i++)
            tot += a == 0 ? p1[i] : a == 1 ? p2[i] : p1[i] + p2[i];
        add(t, "NB_PERSONNES", areas[a], "2026-03", "", tot);
        for (int i = 0; i < 5; i++)
            add(t, "NB_PERSONNES", areas[a], "2026-03", ages[i],
                a == 0 ? p1[i] : a == 1 ? p2[i] : p1[i] + p2[i]);
    }
}

/* What an analyst sees: a cell is known when either view publishes it. */
static void merge_views(table *analyst, const table *public_view)
{
    for (size_t i = 0, j = 0; i < analyst->n; i++)
        if (analyst->v[i].area[0] != 'I') {
            if (public_view->v[j].conf_status == 'F')
                analyst->v[i].conf_status = 'F';
            j++;
        }
}

static size_t findings(const table *t, int k)
{
    agg_audit_report rep;
    obs_err e;
    assert_int_equal(agg_audit(t->v, t->n, k, &rep, &e), OBS_OK);
    size_t n = rep.n;
    agg_audit_free(&rep);
    return n;
}

static void test_views_from_one_pattern(void **state)
{
    (void)state;
    table all = {0}, pub = {0};
    combined_views_table(&all);
    for (size_t i = 0; i < all.n; i++)
        if (all.v[i].area[0] != 'I')
            add(&pub, all.v[i].mesure, all.v[i].area, all.v[i].period, "", 0)[0] = all.v[i];
    /* The former way: each view protected on its own. */
    protect(&all, 11);
    protect(&pub, 11);
    assert_safe(&all, 11);
    assert_safe(&pub, 11);
    assert_int_equal(conf(&all, "NB_PERSONNES", "D93", "2026-03", "AGE=Y15T17"), 'D');
    assert_int_equal(conf(&pub, "NB_PERSONNES", "D93", "2026-03", "AGE=Y15T17"), 'F');
    merge_views(&all, &pub);
    assert_true(findings(&all, 11) > 0); /* P1's Y15T17, then its Y_LT15 */
    /* Now: one protection with the posts, the public view cut from it. */
    protect(&all, 11);
    for (size_t i = 0, j = 0; i < all.n; i++)
        if (all.v[i].area[0] != 'I')
            pub.v[j++].conf_status = all.v[i].conf_status;
    merge_views(&all, &pub);
    assert_safe(&all, 11);
    free(all.v);
    free(pub.v);
}

static void test_k_configurable(void **state)
{
    (void)state;
    table t = {0};
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 37);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 7);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 30);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 0);
    protect(&t, 11);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F"), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M"), 'D');
    protect(&t, 5);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F"), 'F');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M"), 'F');
    assert_safe(&t, 5);
    protect(&t, 40);
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", ""), 'C');
    assert_int_equal(conf(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M"), 'C');
    assert_safe(&t, 40);
    free(t.v);
}

static void test_bad_input(void **state)
{
    (void)state;
    obs_err e;
    table t = {0};
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 5);
    assert_int_equal(agg_sdc_apply(t.v, t.n, 0, &e), OBS_ERR_INPUT);
    assert_int_equal(agg_sdc_apply(NULL, 0, 11, &e), OBS_OK);
    add(&t, "NB_PERSONNES", "D93", "2026-03", "", 6);
    assert_int_equal(agg_sdc_apply(t.v, t.n, 11, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SDC_DUPLICATE");
    assert_int_equal(t.v[0].conf_status, 'D'); /* fail closed */
    assert_int_equal(t.v[1].conf_status, 'D');
    set_key(&t.v[1], "NB_PERSONNES", "D99", "2026-03", "");
    assert_int_equal(agg_sdc_apply(t.v, t.n, 11, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SDC_AREA");
    set_key(&t.v[1], "NB_INCONNU", "D93", "2026-03", "");
    assert_int_equal(agg_sdc_apply(t.v, t.n, 11, &e), OBS_ERR_INPUT);
    set_key(&t.v[1], "NB_PERSONNES", "D93", "2026-13", "");
    assert_int_equal(agg_sdc_apply(t.v, t.n, 11, &e), OBS_ERR_INPUT);
    free(t.v);
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_counts),
        cmocka_unit_test(test_primary_percentages),
        cmocka_unit_test(test_partition_sexe),
        cmocka_unit_test(test_pair_below_k),
        cmocka_unit_test(test_departements_of_region),
        cmocka_unit_test(test_posts_of_departement),
        cmocka_unit_test(test_months_of_quarter),
        cmocka_unit_test(test_months_and_quarters_of_year),
        cmocka_unit_test(test_cascade),
        cmocka_unit_test(test_post_measures_never),
        cmocka_unit_test(test_percentages_follow_counts),
        cmocka_unit_test(test_mineurs_follow_ages),
        cmocka_unit_test(test_shares_follow_persons),
        cmocka_unit_test(test_hidden_numerators_geography),
        cmocka_unit_test(test_orientees_union),
        cmocka_unit_test(test_views_from_one_pattern),
        cmocka_unit_test(test_k_configurable),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
