/* test_agg_filter.c: period codes and their arithmetic, the indicator filters, cell keys. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "publish.h"
#include "ref.h"

static void test_period_parse(void **state)
{
    (void)state;
    agg_period p;
    char out[16];
    static const char *const ok[] = {"2026", "2026-Q1", "2026-Q4", "2026-01", "2026-12", "2000"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        assert_int_equal(agg_period_parse(ok[i], &p), 0);
        agg_period_format(&p, out, sizeof out);
        assert_string_equal(out, ok[i]);
    }
    static const char *const bad[] = {"", "26", "2026-13", "2026-00", "2026-Q5", "2026-Q0",
                                      "2026-1",  "1999", "2026-03-01", "2026/03", "abcd",
                                      "2026-T1", "2026-q1", "20260", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(agg_period_parse(bad[i], &p), -1);
    assert_int_equal(agg_period_parse(NULL, &p), -1);
}

static void test_period_range(void **state)
{
    (void)state;
    agg_period from, to, p;
    agg_period_parse("2026-01", &from);
    agg_period_parse("2026-06", &to);
    /* Months in range, quarters fully inside, not the year. */
    static const struct {
        const char *code;
        int in;
    } cases[] = {{"2026-01", 1}, {"2026-06", 1}, {"2026-07", 0}, {"2025-12", 0},
                 {"2026-Q1", 1}, {"2026-Q2", 1}, {"2026-Q3", 0}, {"2026", 0}, {"2025", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        agg_period_parse(cases[i].code, &p);
        assert_int_equal(agg_period_within(&p, &from, &to), cases[i].in);
    }
    agg_period_parse("2026", &from);
    agg_period_parse("2026", &to);
    agg_period_parse("2026-Q3", &p);
    assert_true(agg_period_within(&p, &from, &to));
    agg_period_parse("2026", &p);
    assert_true(agg_period_within(&p, &from, &to));
    /* A quarter bound includes its months. */
    agg_period_parse("2026-Q1", &from);
    agg_period_parse("2026-Q1", &to);
    agg_period_parse("2026-03", &p);
    assert_true(agg_period_within(&p, &from, &to));
    agg_period_parse("2026-04", &p);
    assert_false(agg_period_within(&p, &from, &to));

    char d[16];
    agg_period_parse("2026-Q4", &p);
    agg_month_date(agg_period_first(&p), d, sizeof d);
    assert_string_equal(d, "2026-10-01");
    agg_month_date(agg_period_last(&p) + 1, d, sizeof d);
    assert_string_equal(d, "2027-01-01");
    agg_month_quarter(2026, 3, d, sizeof d);
    assert_string_equal(d, "2026-Q1");
    agg_month_quarter(2026, 10, d, sizeof d);
    assert_string_equal(d, "2026-Q4");
}

typedef struct kv {
    const char *k[12], *v[12];
} kv;

static const char *get(void *ctx, const char *name)
{
    kv *p = ctx;
    for (int i = 0; i < 12 && p->k[i]; i++)
        if (strcmp(p->k[i], name) == 0)
            return p->v[i];
    return NULL;
}

static void test_filter_parse(void **state)
{
    (void)state;
    obs_err e;
    agg_query q;
    kv a = {{"mesure", "area", "sexe", "problematique", "from", "to"},
            {"NB_PERSONNES,PART_PERSONNES", "FR,R84,D93,D2A,D974,ISCG-093-01", "F,_T",
             "VIOL_CONJ", "2026-01", "2026-Q2"}};
    assert_int_equal(agg_query_parse(get, &a, &q, &e), OBS_OK);
    assert_string_equal(q.list[AGG_F_MESURE], "{NB_PERSONNES,PART_PERSONNES}");
    assert_string_equal(q.list[AGG_F_AREA], "{FR,R84,D93,D2A,D974,ISCG-093-01}");
    assert_string_equal(q.list[AGG_F_SEXE], "{F,_T}");
    assert_null(q.list[AGG_F_PERIOD]);
    assert_true(q.has_from && q.has_to);
    assert_int_equal(q.posts, 1);
    assert_true(agg_query_names_post(&q, NULL));
    assert_true(agg_query_names_post(&q, "ISCG-093-01"));
    assert_false(agg_query_names_other_post(&q, "ISCG-093-01"));
    assert_true(agg_query_names_other_post(&q, "ISCG-075-01"));
    agg_query_free(&q);

    kv empty = {{NULL}, {NULL}};
    assert_int_equal(agg_query_parse(get, &empty, &q, &e), OBS_OK);
    for (int k = 0; k < AGG_F_COUNT; k++)
        assert_null(q.list[k]);
    assert_false(agg_query_names_post(&q, NULL));
    agg_query_free(&q);

    /* Each of these is refused with E_FILTER and a French message naming the parameter. */
    static const char *const bad[][2] = {
        {"mesure", "NB_FOO"},    {"mesure", ""},          {"mesure", "NB_PERSONNES,"},
        {"area", "D00"},         {"area", "R99"},         {"area", "ISCG-93-01"},
        {"area", "fr"},          {"period", "2026-13"},   {"sexe", "Z"},
        {"age", "Y15T18"},       {"mode", "bureau"},      {"from", "2026-Q9"},
        {"to", "hier"},          {"partenaire", "VIOL_CONJ"},
        {"area", "FR;DROP TABLE"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kv b = {{bad[i][0]}, {bad[i][1]}};
        obs_err_clear(&e);
        assert_int_equal(agg_query_parse(get, &b, &q, &e), OBS_ERR_INPUT);
        assert_string_equal(e.code, "E_FILTER");
        assert_non_null(strstr(e.msg, bad[i][0]));
        for (int k = 0; k < AGG_F_COUNT; k++)
            assert_null(q.list[k]);
    }
    kv rev = {{"from", "to"}, {"2026-07", "2026-Q1"}};
    assert_int_equal(agg_query_parse(get, &rev, &q, &e), OBS_ERR_INPUT);

    /* Too many values. */
    size_t cap = (AGG_FILTER_MAX_VALUES + 2) * 3;
    char *many = malloc(cap);
    size_t len = 0;
    for (int i = 0; i <= AGG_FILTER_MAX_VALUES; i++)
        len += (size_t)snprintf(many + len, cap - len, i ? ",FR" : "FR");
    kv m = {{"area"}, {many}};
    assert_int_equal(agg_query_parse(get, &m, &q, &e), OBS_ERR_INPUT);
    free(many);
}

static agg_cell mk(const char *mesure, const char *area, const char *period, int dim,
                   const char *code)
{
    agg_cell c;
    memset(&c, 0, sizeof c);
    snprintf(c.mesure, sizeof c.mesure, "%s", mesure);
    snprintf(c.area, sizeof c.area, "%s", area);
    snprintf(c.period, sizeof c.period, "%s", period);
    for (int d = 0; d < AGG_NDIMS; d++)
        snprintf(c.dim[d], sizeof c.dim[d], "%s", d == dim ? code : "_T");
    return c;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every key of a full cube maps to a distinct code; unknown codes are refused. */
static void test_cellkey(void **state)
{
    (void)state;
    static const char *const areas[] = {"FR", "R84", "R11", "D93", "D2A", "D2B", "D974", "D01",
                                        "ISCG-093-01", "ISCG-093-02", "ISCG-02A-01",
                                        "ISCG-974-03", "ISCG-001-01"};
    static const char *const periods[] = {"2026", "2026-Q1", "2026-Q4", "2026-01", "2026-12"};
    static const ref_list lists[AGG_NDIMS] = {REF_SEXE,          REF_AGE,        REF_STATUT,
                                              REF_ORIGINE,       REF_PROBLEMATIQUE,
                                              REF_PARTENAIRE,    REF_MODE};
    size_t cap = 200000, n = 0;
    uint64_t *keys = malloc(cap * sizeof *keys);
    for (size_t m = 0; m < ref_count(REF_MESURE); m++)
        for (size_t a = 0; a < sizeof areas / sizeof *areas; a++)
            for (size_t p = 0; p < sizeof periods / sizeof *periods; p++) {
                agg_cell c = mk(ref_at(REF_MESURE, m)->code, areas[a], periods[p], -1, "");
                assert_int_equal(agg_cellkey(&c, &keys[n++]), 0);
                for (int d = 0; d < AGG_NDIMS; d++)
                    for (size_t i = 0; i < ref_count(lists[d]); i++) {
                        c = mk(ref_at(REF_MESURE, m)->code, areas[a], periods[p], d,
                               ref_at(lists[d], i)->code);
                        assert_true(n < cap);
                        assert_int_equal(agg_cellkey(&c, &keys[n++]), 0);
                    }
            }
    qsort(keys, n, sizeof *keys, cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(keys[i] != keys[i - 1]);
    for (size_t i = 0; i < n; i++)
        assert_true(keys[i] < (1ULL << 62));
    free(keys);
    uint64_t k;
    agg_cell bad = mk("NB_FOO", "FR", "2026", -1, "");
    assert_int_equal(agg_cellkey(&bad, &k), -1);
    bad = mk("NB_PERSONNES", "DXX", "2026", -1, "");
    assert_int_equal(agg_cellkey(&bad, &k), -1);
    bad = mk("NB_PERSONNES", "FR", "2026", AGG_SEXE, "Q");
    assert_int_equal(agg_cellkey(&bad, &k), -1);
    assert_string_equal(agg_unit("PART_MINEURS"), "PCT");
    assert_string_equal(agg_unit("NB_NOUVELLES"), "PERSONNES");
    assert_string_equal(agg_unit("NB_GRILLES"), "GRILLES");
}

int main(void)
{
    obs_err e;
    if (ref_init(&e))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_parse),
        cmocka_unit_test(test_period_range),
        cmocka_unit_test(test_filter_parse),
        cmocka_unit_test(test_cellkey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
