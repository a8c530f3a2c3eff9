/* test_disclosure_audit.c: the disclosure audit (aggregator/disclosure_audit.c). It passes on every table
 * agg_sdc_apply protects (a property test over random tables with a fixed seed), and it finds
 * the hole in deliberately under-protected tables.
 */
#include "sdc_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"
#include "ref.h"

/* sdc_table.h's cells, with the conf_status a test gives them (the audit reads it). */
static agg_cell *add_c(table *t, const char *mesure, const char *area, const char *period,
                       const char *bd, double v, char conf_status)
{
    agg_cell *c = add(t, mesure, area, period, bd, v);
    c->conf_status = conf_status;
    return c;
}

static agg_cell *add_pct_c(table *t, const char *mesure, const char *area, const char *period,
                           const char *bd, long num, long den, char conf_status)
{
    agg_cell *c = add_pct(t, mesure, area, period, bd, num, den);
    c->conf_status = conf_status;
    return c;
}

/* Audit t; return the number of findings whose problem contains want (all when NULL). */
static size_t audit_count(const table *t, int k, const char *want, size_t *total)
{
    agg_audit_report rep;
    obs_err e;
    assert_int_equal(agg_audit(t->v, t->n, k, &rep, &e), OBS_OK);
    size_t hits = 0;
    for (size_t i = 0; i < rep.n; i++) {
        assert_true(rep.items[i].relation[0] && rep.items[i].cell[0] && rep.items[i].problem[0]);
        if (want == NULL || strstr(rep.items[i].problem, want))
            hits++;
    }
    if (total)
        *total = rep.n;
    agg_audit_free(&rep);
    return hits;
}

/* NB_PERSONNES D93 2026-03 by SEXE with the given statuses. */
static void sexe_partition(table *t, const double v[4], const char conf[4])
{
    add_c(t, "NB_PERSONNES", "D93", "2026-03", "", v[0], conf[0]);
    add_c(t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", v[1], conf[1]);
    add_c(t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", v[2], conf[2]);
    add_c(t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", v[3], conf[3]);
}

static void test_single_withheld(void **state)
{
    (void)state;
    table t = {0};
    sexe_partition(&t, (double[]){35, 5, 30, 0}, "FCFF");
    size_t total;
    assert_int_equal(audit_count(&t, 11, "recoverable by subtraction", &total), 1);
    assert_int_equal(total, 1);
    free(t.v);

    table u = {0}; /* a withheld total alone is as recoverable as a part */
    sexe_partition(&u, (double[]){35, 15, 20, 0}, "DFFF");
    assert_int_equal(audit_count(&u, 11, "recoverable by subtraction", NULL), 1);
    free(u.v);

    table w = {0}; /* the same cell protected with a complement: safe */
    sexe_partition(&w, (double[]){35, 5, 30, 0}, "FCDF");
    assert_int_equal(audit_count(&w, 11, NULL, NULL), 0);
    free(w.v);
}

static void test_pair_below_k(void **state)
{
    (void)state;
    table t = {0};
    sexe_partition(&t, (double[]){37, 3, 4, 30}, "FCCF");
    assert_int_equal(audit_count(&t, 11, "withheld parts sum to 7", NULL), 1);
    free(t.v);

    table u = {0}; /* the total withheld too: the pair's sum is not published, safe */
    add_c(&u, "NB_PERSONNES", "R11", "2026-03", "", 100, 'F');
    add_c(&u, "NB_PERSONNES", "D75", "2026-03", "", 63, 'F');
    add_c(&u, "NB_PERSONNES", "D93", "2026-03", "", 37, 'D');
    add_c(&u, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 3, 'C');
    add_c(&u, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 4, 'C');
    add_c(&u, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 30, 'F');
    size_t total;
    audit_count(&u, 11, NULL, &total);
    /* ... but D93 is then alone withheld among R11's départements. */
    assert_int_equal(audit_count(&u, 11, "recoverable by subtraction", NULL), 1);
    assert_int_equal(total, 1);
    free(u.v);
}

static void test_primary_published(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_CONTACTS", "D93", "2026-03", "", 4, 'F');
    add_pct_c(&t, "PART_INCONNUS_SS", "D93", "2026-03", "", 35, 40, 'F');
    add_pct_c(&t, "PART_MINEURS", "D93", "2026-03", "", 3, 9, 'F');
    add_c(&t, "NB_CONTACTS", "D75", "2026-03", "", 0, 'F');
    add_pct_c(&t, "PART_INCONNUS_SS", "D75", "2026-03", "", 20, 40, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "primary-sensitive count 4", &total), 1);
    assert_int_equal(audit_count(&t, 11, "denominator minus numerator", NULL), 1);
    assert_int_equal(audit_count(&t, 11, "denominator below k", NULL), 1);
    assert_int_equal(total, 3);
    assert_int_equal(audit_count(&t, 3, NULL, NULL), 0); /* k matters */
    free(t.v);
}

static void test_percentage_published(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 125, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=F", 5, 'C');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=M", 100, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "SEXE=X", 20, 'D');
    add_pct_c(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=F", 5, 125, 'C');
    add_pct_c(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=M", 100, 125, 'F');
    add_pct_c(&t, "PART_PERSONNES", "D93", "2026-03", "SEXE=X", 20, 125, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "while its count", &total), 1);
    assert_int_equal(total, 1);
    t.v[t.n - 1].conf_status = 'D';
    assert_int_equal(audit_count(&t, 11, NULL, NULL), 0);
    t.v[0].conf_status = 'D'; /* the denominator withheld: M's share must go too */
    assert_int_equal(audit_count(&t, 11, "while its count NB_PERSONNES D93 2026-03 is", NULL),
                     1);
    free(t.v);
}

/* The tables the SDC review reproduced, as the former protection published them (statuses
 * written by hand): the audit must see each leak; agg_sdc_apply on the same values must
 * give a table it passes. */
static size_t protect_and_audit(table *t, int k)
{
    obs_err e;
    assert_int_equal(agg_sdc_apply(t->v, t->n, k, &e), OBS_OK);
    return audit_count(t, k, NULL, NULL);
}

/* Leak (a): Y_LT15 (5) withheld, Y15T17 (20) and PART_MINEURS (25 / 100) published. */
static void test_leak_mineurs(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 100, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y_LT15", 5, 'C');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y15T17", 20, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y18T24", 12, 'D');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y25T39", 30, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=Y40T59", 33, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "AGE=_U", 0, 'F');
    add_pct_c(&t, "PART_MINEURS", "D93", "2026-03", "", 25, 100, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "while its count NB_PERSONNES D93 2026-03 AGE=Y_LT15 "
                                         "is withheld (numerator)", &total), 1);
    assert_int_equal(total, 1);
    assert_int_equal(protect_and_audit(&t, 11), 0);
    assert_int_equal(t.v[t.n - 1].conf_status, 'D');
    free(t.v);
}

/* Leak (b): D75's persons (40) withheld to protect D93's (5), PART_ORIENTEES D75 = 13 / 40
 * published (32.5 %: only 40 fits below R11's 45). */
static void test_leak_orientees_denominator(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "", 45, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "", 40, 'D');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 5, 'C');
    add_pct_c(&t, "PART_ORIENTEES", "R11", "2026-03", "", 15, 45, 'F');
    add_pct_c(&t, "PART_ORIENTEES", "D75", "2026-03", "", 13, 40, 'F');
    add_pct_c(&t, "PART_ORIENTEES", "D93", "2026-03", "", 2, 5, 'C');
    assert_int_equal(audit_count(&t, 11, "while its count NB_PERSONNES D75 2026-03 is withheld "
                                         "(denominator)", NULL), 1);
    /* ... and the numerators add up over R11 too: D93's 2 = 15 - 13. */
    assert_int_equal(audit_count(&t, 11, "recoverable by subtraction", NULL), 1);
    assert_int_equal(protect_and_audit(&t, 11), 0);
    assert_int_equal(t.v[4].conf_status, 'D');
    free(t.v);
}

/* The shares whose numerator is no published count: PART_INCONNUS_SS's denominator is the
 * persons minus PART_NSP_SS's numerator; NSP counts add up over the geography. */
static void test_leak_hidden_numerators(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "", 150, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "", 100, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 50, 'F');
    add_pct_c(&t, "PART_NSP_SS", "R11", "2026-03", "", 23, 150, 'F');
    add_pct_c(&t, "PART_NSP_SS", "D75", "2026-03", "", 20, 100, 'F');
    add_pct_c(&t, "PART_NSP_SS", "D93", "2026-03", "", 3, 50, 'C');
    add_pct_c(&t, "PART_INCONNUS_SS", "D93", "2026-03", "", 20, 47, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "recoverable by subtraction", &total), 1);
    assert_int_equal(audit_count(&t, 11, "while its count PART_NSP_SS D93 2026-03 is withheld "
                                         "(denominator)", NULL), 1);
    assert_int_equal(total, 2);
    /* A wrong denominator is a table the audit cannot vouch for. */
    t.v[t.n - 1].den = 50;
    assert_int_equal(audit_count(&t, 11, "inconsistent: denominator 50, its counts give 47",
                                 NULL), 1);
    t.v[t.n - 1].den = 47;
    assert_int_equal(protect_and_audit(&t, 11), 0);
    free(t.v);
}

/* The audit does not take relations.c's word for the geography of those shares: a share of
 * persons missing where the persons' total has its parts is reported. */
static void test_hidden_geography_mirrors_persons(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "", 150, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "", 100, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 50, 'F');
    add_pct_c(&t, "PART_NSP_SS", "R11", "2026-03", "", 23, 150, 'F');
    add_pct_c(&t, "PART_NSP_SS", "D75", "2026-03", "", 23, 100, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "not the total of its 2 parts", &total), 1);
    assert_int_equal(audit_count(&t, 11, "not additive", NULL), 1); /* R11 = D75 alone */
    assert_int_equal(total, 2);
    add_pct_c(&t, "PART_NSP_SS", "D93", "2026-03", "", 0, 50, 'F');
    assert_int_equal(audit_count(&t, 11, NULL, NULL), 0);
    free(t.v);
}

/* PART_ORIENTEES: D75's 20 oriented persons are its 20 SSD ones (the other partners are
 * published zeros), and D75 SSD is withheld to protect D93's 5. */
static void test_leak_orientees_union(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "", 70, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "", 40, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 30, 'F');
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "PARTENAIRE=SSD", 25, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=SSD", 20, 'D');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=SSD", 5, 'C');
    add_c(&t, "NB_PERSONNES", "R11", "2026-03", "PARTENAIRE=CCAS", 12, 'F');
    add_c(&t, "NB_PERSONNES", "D75", "2026-03", "PARTENAIRE=CCAS", 0, 'F');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "PARTENAIRE=CCAS", 12, 'F');
    add_pct_c(&t, "PART_ORIENTEES", "R11", "2026-03", "", 37, 70, 'F');
    add_pct_c(&t, "PART_ORIENTEES", "D75", "2026-03", "", 20, 40, 'F');
    add_pct_c(&t, "PART_ORIENTEES", "D93", "2026-03", "", 17, 30, 'F');
    size_t total;
    assert_int_equal(audit_count(&t, 11, "numerator equals the withheld NB_PERSONNES D75 "
                                         "2026-03 PARTENAIRE=SSD", &total), 1);
    assert_int_equal(total, 1);
    t.v[10].num = 41; /* more oriented persons than its partners hold: inconsistent */
    assert_int_equal(audit_count(&t, 11, "outside [20, 20]", NULL), 1);
    t.v[10].num = 20;
    assert_int_equal(protect_and_audit(&t, 11), 0);
    assert_int_equal(t.v[10].conf_status, 'D');
    free(t.v);
}

/* The combined-views leak: the analysts' table (with posts) and the public one were protected
 * separately; an analyst sees both. Analyst view: P1 Y_LT15 (5, C), P1 Y15T17 and D93 Y15T17
 * (12, D); the public view publishes D93 Y15T17 = 12 (it chose D93 Y_GE60 instead). Merged,
 * P1 Y15T17 = 12 - P2's 0, then P1 Y_LT15 = 40 - 12 - 23 = 5. */
static void test_leak_combined_views(void **state)
{
    (void)state;
    static const char *const ages[] = {"", "AGE=Y_LT15", "AGE=Y15T17", "AGE=Y18T24",
                                       "AGE=Y25T39", "AGE=Y_GE60"};
    static const double p1[] = {40, 5, 12, 23, 0, 0}, p2[] = {43, 0, 0, 12, 20, 11};
    static const char p1c[] = "FCDFFF", p2c[] = "FFFFFF", d93c[] = "FCFFFD";
    table t = {0};
    for (int i = 0; i < 6; i++) {
        add_c(&t, "NB_PERSONNES", "ISCG-093-01", "2026-03", ages[i], p1[i], p1c[i]);
        add_c(&t, "NB_PERSONNES", "ISCG-093-02", "2026-03", ages[i], p2[i], p2c[i]);
        /* what the analyst knows: published in the analysts' view (Y_GE60) or in the public
         * one (Y15T17) */
        add_c(&t, "NB_PERSONNES", "D93", "2026-03", ages[i], p1[i] + p2[i], d93c[i]);
    }
    assert_true(audit_count(&t, 11, "recoverable by subtraction", NULL) >= 1);
    size_t hits = 0;
    agg_audit_report rep;
    obs_err e;
    assert_int_equal(agg_audit(t.v, t.n, 11, &rep, &e), OBS_OK);
    for (size_t i = 0; i < rep.n; i++)
        hits += strcmp(rep.items[i].cell, "NB_PERSONNES ISCG-093-01 2026-03 AGE=Y15T17") == 0;
    agg_audit_free(&rep);
    assert_int_equal(hits, 1);
    /* One protection with the posts, every view cut from it: what an analyst merges is that
     * one pattern. */
    assert_int_equal(protect_and_audit(&t, 11), 0);
    free(t.v);
}

static void test_post_measure_withheld(void **state)
{
    (void)state;
    table t = {0};
    add_c(&t, "NB_GRILLES", "D93", "2026-03", "", 3, 'C');
    assert_int_equal(audit_count(&t, 11, "describes posts", NULL), 1);
    free(t.v);
}

static void test_bad_input(void **state)
{
    (void)state;
    agg_audit_report rep;
    obs_err e;
    assert_int_equal(agg_audit(NULL, 0, 11, &rep, &e), OBS_OK);
    assert_int_equal(rep.n, 0);
    assert_int_equal(rep.relations_checked, 0);
    agg_audit_free(&rep);
    agg_audit_free(NULL);
    table t = {0};
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 5, 'C');
    add_c(&t, "NB_PERSONNES", "D93", "2026-03", "", 5, 'C');
    assert_int_equal(agg_audit(t.v, t.n, 11, &rep, &e), OBS_ERR_INPUT);
    assert_null(rep.items);
    assert_int_equal(agg_audit(t.v, 1, 0, &rep, &e), OBS_ERR_INPUT);
    free(t.v);
}

/* xorshift64 with a fixed seed: the same random tables every run. */
static unsigned long long rng = 0x2545F4914F6CDD1DULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A small observatory: two régions, five départements, two posts each, FR; three months, the
 * quarter and the year. Leaf values per post and month, added up the geography and time. */
enum { NAREA = 18, NPER = 5, NITEM = 25 };

static const char *const areas[NAREA] = {
    "ISCG-075-01", "ISCG-075-02", "ISCG-092-01", "ISCG-092-02", "ISCG-093-01", "ISCG-093-02",
    "ISCG-001-01", "ISCG-001-02", "ISCG-069-01", "ISCG-069-02", "D75", "D92", "D93", "D01",
    "D69", "R11", "R84", "FR",
};
static const int parent_of[NAREA] = {10, 10, 11, 11, 12, 12, 13, 13, 14, 14,
                                     15, 15, 15, 16, 16, 17, 17, -1};
static const char *const periods[NPER] = {"2026-01", "2026-02", "2026-03", "2026-Q1", "2026"};

/* Items: 0 persons, 1-3 SEXE, 4-10 AGE, 11-13 PROBLEMATIQUE, 14 contacts, 15-17 MODE (3 of
 * 5 codes: the others are absent, that is zero), 18 new persons, 19-21 PARTENAIRE (3 of 17
 * codes; multi-response); then numbers no count cell publishes: 22 NSP, 23 NON, 24 persons
 * with an orientation. */
enum { IT_NSP = 22, IT_NON = 23, IT_ORIENTEES = 24 };

static const char *item_bd(int x, char *buf, size_t cap)
{
    static const char *const sexe[] = {"F", "M", "X"};
    static const char *const age[] = {"Y_LT15", "Y15T17", "Y18T24", "Y25T39",
                                      "Y40T59", "Y_GE60", "_U"};
    static const char *const prob[] = {"VIOL_CONJ", "FUGUE", "LOGEMENT"};
    static const char *const mode[] = {"BUREAU", "TELEPHONE", "DOMICILE"};
    static const char *const part[] = {"SSD", "CCAS", "PROT_ENFANCE"};
    buf[0] = '\0';
    if (x >= 1 && x <= 3)
        snprintf(buf, cap, "SEXE=%s", sexe[x - 1]);
    else if (x >= 4 && x <= 10)
        snprintf(buf, cap, "AGE=%s", age[x - 4]);
    else if (x >= 11 && x <= 13)
        snprintf(buf, cap, "PROBLEMATIQUE=%s", prob[x - 11]);
    else if (x >= 15 && x <= 17)
        snprintf(buf, cap, "MODE=%s", mode[x - 15]);
    else if (x >= 19 && x <= 21)
        snprintf(buf, cap, "PARTENAIRE=%s", part[x - 19]);
    return x == 14 || (x >= 15 && x <= 17) ? "NB_CONTACTS" : x == 18 ? "NB_NOUVELLES"
                                                                     : "NB_PERSONNES";
}

/* Split total at random into parts [from, to] of v. */
static void split(double *v, int from, int to, double total)
{
    for (int x = from; x <= to; x++) {
        v[x] = x == to ? total : rnd((unsigned)total + 1);
        total -= v[x];
    }
}

/* One post-month. Orientations: SSD and CCAS share out the oriented persons, PROT_ENFANCE
 * is a subset of SSD's (so the oriented persons are the union of the three, and often one
 * partner has them all). */
static void random_leaf(double *v, unsigned scale)
{
    v[0] = rnd(scale + 1);
    split(v, 1, 3, v[0]);
    split(v, 4, 10, v[0]);
    for (int x = 11; x <= 13; x++)
        v[x] = rnd((unsigned)v[0] + 1);
    for (int x = 15; x <= 17; x++)
        v[14] += v[x] = rnd(scale + 1);
    v[18] = rnd((unsigned)v[0] + 1);
    v[IT_NSP] = rnd((unsigned)v[0] + 1);
    v[IT_NON] = rnd((unsigned)(v[0] - v[IT_NSP]) + 1);
    v[IT_ORIENTEES] = rnd((unsigned)v[0] + 1);
    v[19] = rnd(2) ? v[IT_ORIENTEES] : rnd((unsigned)v[IT_ORIENTEES] + 1);
    v[20] = v[IT_ORIENTEES] - v[19];
    v[21] = rnd(3) ? 0 : rnd((unsigned)v[19] + 1);
}

static void random_table(table *t, unsigned scale)
{
    static double val[NAREA][NPER][NITEM];
    memset(val, 0, sizeof val);
    for (int a = 0; a < 10; a++)
        for (int m = 0; m < 3; m++)
            random_leaf(val[a][m], scale);
    for (int a = 0; a < NAREA; a++) {
        for (int m = 0; a < 10 && m < 3; m++)
            for (int x = 0; x < NITEM; x++) {
                val[a][3][x] += val[a][m][x];
                val[a][4][x] += val[a][m][x];
            }
        for (int p = 0; parent_of[a] >= 0 && p < NPER; p++)
            for (int x = 0; x < NITEM; x++)
                val[parent_of[a]][p][x] += val[a][p][x];
    }
    char bd[64];
    for (int a = 0; a < NAREA; a++)
        for (int p = 0; p < NPER; p++) {
            const double *v = val[a][p];
            for (int x = 0; x < IT_NSP; x++) {
                const char *mes = item_bd(x, bd, sizeof bd);
                add_c(t, mes, areas[a], periods[p], bd, v[x], 'F');
                if ((x >= 1 && x <= 13) || x >= 19)
                    add_pct_c(t, "PART_PERSONNES", areas[a], periods[p], bd, (long)v[x],
                            (long)v[0], 'F');
                if (x >= 15 && x <= 17)
                    add_pct_c(t, "PART_CONTACTS", areas[a], periods[p], bd, (long)v[x],
                            (long)v[14], 'F');
            }
            long persons = (long)v[0], nsp = (long)v[IT_NSP];
            add_pct_c(t, "PART_NSP_SS", areas[a], periods[p], "", nsp, persons, 'F');
            add_pct_c(t, "PART_INCONNUS_SS", areas[a], periods[p], "", (long)v[IT_NON],
                    persons - nsp, 'F');
            add_pct_c(t, "PART_ORIENTEES", areas[a], periods[p], "", (long)v[IT_ORIENTEES],
                    persons, 'F');
            add_pct_c(t, "PART_MINEURS", areas[a], periods[p], "", (long)(v[4] + v[5]),
                    persons - (long)v[10], 'F');
            add_c(t, "NB_GRILLES", areas[a], periods[p], "", rnd(3), 'F');
        }
}

/* Property: whatever the counts and k, what agg_sdc_apply publishes passes the audit. */
static void test_protected_tables_pass(void **state)
{
    (void)state;
    static const unsigned scales[] = {3, 8, 15, 40, 150};
    static const int ks[] = {2, 5, 11, 20};
    size_t withheld = 0, secondary = 0, pct_d[4] = {0, 0, 0, 0};
    static const char *const hidden[4] = {"PART_NSP_SS", "PART_INCONNUS_SS", "PART_ORIENTEES",
                                          "PART_MINEURS"};
    for (int round = 0; round < 40; round++) {
        table t = {0};
        random_table(&t, scales[round % 5]);
        int k = ks[(round / 5) % 4];
        obs_err e;
        assert_int_equal(agg_sdc_apply(t.v, t.n, k, &e), OBS_OK);
        for (size_t i = 0; i < t.n; i++) {
            withheld += t.v[i].conf_status != 'F';
            secondary += t.v[i].conf_status == 'D';
            for (int h = 0; h < 4; h++)
                pct_d[h] += t.v[i].conf_status == 'D' && strcmp(t.v[i].mesure, hidden[h]) == 0;
        }
        agg_audit_report rep;
        assert_int_equal(agg_audit(t.v, t.n, k, &rep, &e), OBS_OK);
        for (size_t i = 0; i < rep.n; i++)
            fprintf(stderr, "round %d k=%d: %s | %s | %s\n", round, k, rep.items[i].relation,
                    rep.items[i].cell, rep.items[i].problem);
        assert_int_equal(rep.n, 0);
        /* Partitions: (SEXE, AGE of persons; MODE of contacts) x 18 areas x 5 periods = 270;
         * geography: 22 count cells x 5 periods x 8 parent areas = 880, and as many for each
         * of the 3 percentages whose numerator is no count, 120; time: 5 count cells
         * (contacts, by mode, new persons) x 18 areas x 3 (Q1 by months, year by months, year
         * by quarters) = 270. */
        assert_int_equal(rep.relations_checked, 270 + 880 + 120 + 270);
        agg_audit_free(&rep);

        /* Undo the secondary suppression: the audit must see the holes again. */
        size_t nd = 0;
        for (size_t i = 0; i < t.n; i++)
            if (t.v[i].conf_status == 'D') {
                t.v[i].conf_status = 'F';
                nd++;
            }
        if (nd > 0)
            assert_true(audit_count(&t, k, NULL, NULL) > 0);
        free(t.v);
    }
    assert_true(withheld > 1000 && secondary > 100); /* the property was exercised */
    for (int h = 0; h < 4; h++) {
        fprintf(stderr, "%s: %zu secondary\n", hidden[h], pct_d[h]);
        assert_true(pct_d[h] > 10);
    }
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_withheld),
        cmocka_unit_test(test_pair_below_k),
        cmocka_unit_test(test_primary_published),
        cmocka_unit_test(test_percentage_published),
        cmocka_unit_test(test_leak_mineurs),
        cmocka_unit_test(test_leak_orientees_denominator),
        cmocka_unit_test(test_leak_hidden_numerators),
        cmocka_unit_test(test_hidden_geography_mirrors_persons),
        cmocka_unit_test(test_leak_orientees_union),
        cmocka_unit_test(test_leak_combined_views),
        cmocka_unit_test(test_post_measure_withheld),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_protected_tables_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
