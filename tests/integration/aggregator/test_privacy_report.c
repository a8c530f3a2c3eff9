/* test_privacy_report.c: the re-identification risk report (issue 12, point 4;
 * aggregator/privacy_report.c) on a hand-built set of contacts uploaded through the real
 * server, with k = 3. Quasi-identifiers: post, month, sexe, age band, département, statut.
 * Born in 1980 (Y40T59) and VICTIME unless said; R-3 is AUTEUR, R-11 born in 2000 (Y18T24).
 * Last year Y:
 *
 *   class  post       month  sexe  dép.  age/statut     persons        rows  size
 *   A1     075-01     Y-03   F     75                   R-1 (x2) R-2   3     2
 *   A5     075-01     Y-03   F     75    AUTEUR         R-3            1     1
 *   A2     075-01     Y-03   M     75                   R-4            1     1
 *   A3     075-01     Y-03   F     93                   R-5 R-6        2     2
 *   B1     093-01     Y-03   F     93                   R-7 .. R-10    4     4
 *   B3     093-01     Y-03   F     93    Y18T24         R-11           1     1
 *   B2     093-01     Y-03   M     -                    R-12 (x3)      3     1
 *   A4     075-01     Y-04   F     75                   R-1            1     1
 *
 * Year Y: 16 rows, 12 persons (pseudonyms are per post), 8 classes; sizes 1: 5 classes and 7
 * rows, 2: 2 and 5, 4: 1 and 4; below k = 3: 7 classes, 12 rows (12/16 = 0.75); unique: 7
 * rows (0.4375); highest risk 1; average risk (7 + 5/2 + 4/4)/16 = 21/32. Month Y-03: 15
 * rows, 12 persons, 7 classes (sizes 1: 4 and 6, 2: 2 and 5, 4: 1 and 4), below k 6 classes
 * and 11 rows. Month Y-04: 1 row, 1 class of size 1. A report that ignored the age band or
 * the statut would find 7 classes for the year (both: 6). The published tables: withheld cells equal the public JSON API's
 * cells of conf_status C and D. The route: administrators only. */
#include "web_client.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_post[80];
static int year;

#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"
#define POST_A "ISCG-075-01"
#define POST_B "ISCG-093-01"

/* Upload rows "ref;sexe[;postcode[;birth year[;statut]]]" (n of them) as post's grid of
 * month mm (of year); born in 1980 and VICTIME by default. */
static void upload(const char *post, int mm, const char *const *rows, size_t n)
{
    char body[4096];
    size_t len = (size_t)snprintf(body, sizeof body, HEADER);
    for (size_t i = 0; i < n; i++) {
        char f[5][16] = {"", "", "", "1980", "VICTIME"}, copy[80];
        snprintf(copy, sizeof copy, "%s", rows[i]);
        char *rest = copy;
        for (int k = 0; k < 5 && rest; k++) {
            char *end = strchr(rest, ';');
            if (end)
                *end = '\0';
            if (*rest)
                snprintf(f[k], sizeof f[k], "%.15s", rest);
            rest = end ? end + 1 : NULL;
        }
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%04d-%02d-%02d;%s;%s;%s;%s;%s;POL_ACCUEIL;NON;VIOL_CONJ;;"
                                "BUREAU;\n", year, mm, (int)(i % 20) + 1, f[0], f[3], f[1], f[2],
                                f[4]);
    }
    char path[128];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%04d-%02d", post, year, mm);
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", body, len, &r);
    if (r.status != 201)
        fail_msg("upload %s: %ld %s", path, r.status, r.body);
    it_resp_free(&r);
}

static int setup(void **state)
{
    (void)state;
    setenv("ISCGOBS_SDC_K", "3", 1); /* for the server and every CLI run */
    it_setup(&S, "it_privacy_report");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    year = tm.tm_year + 1900 - 1;
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    it_post_add(&S, POST_A, "75", opened);
    it_post_add(&S, POST_B, "93", opened);
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    it_user_add(&S, "post", POST_A, tok_post);
    it_start(&S, NULL);
    upload(POST_A, 3, (const char *[]){"R-1;F;75011", "R-1;F;75011", "R-2;F;75011",
                                       "R-3;F;75011;;AUTEUR", "R-4;M;75011", "R-5;F;93200",
                                       "R-6;F;93200"}, 7);
    upload(POST_B, 3, (const char *[]){"R-7;F;93200", "R-8;F;93200", "R-9;F;93200",
                                       "R-10;F;93200", "R-11;F;93200;2000", "R-12;M", "R-12;M",
                                       "R-12;M"}, 8);
    upload(POST_A, 4, (const char *[]){"R-1;F;75011"}, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

static long jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", k);
    return (long)json_integer_value(v);
}

/* `privacy report --json [--period P]` parsed (caller decrefs). */
static json_t *cli_report(const char *period)
{
    static char out[1 << 16];
    const char *args[] = {"privacy", "report", "--json", period ? "--period" : NULL, period,
                          NULL};
    assert_int_equal(it_cli(&S, out, sizeof out, args), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    return j;
}

/* The histogram's (size, classes, records) triples against want[][3]. */
static void check_histogram(json_t *m, const long want[][3], size_t n)
{
    json_t *h = json_object_get(m, "histogram");
    assert_int_equal(json_array_size(h), n);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(h, i);
        assert_int_equal(jnum(row, "size"), want[i][0]);
        assert_int_equal(jnum(row, "classes"), want[i][1]);
        assert_int_equal(jnum(row, "records"), want[i][2]);
    }
}

static void test_year_classes(void **state)
{
    (void)state;
    json_t *j = cli_report(NULL); /* default: the latest year with contacts */
    char y[8];
    snprintf(y, sizeof y, "%04d", year % 10000);
    assert_string_equal(json_string_value(json_object_get(j, "period")), y);
    assert_int_equal(jnum(j, "k"), 3);
    json_t *m = json_object_get(j, "microdata");
    assert_int_equal(jnum(m, "records"), 16);
    assert_int_equal(jnum(m, "persons"), 12);
    assert_int_equal(jnum(m, "classes"), 8);
    check_histogram(m, (const long[][3]){{1, 5, 7}, {2, 2, 5}, {4, 1, 4}}, 3);
    assert_int_equal(jnum(m, "classes_below_k"), 7);
    assert_int_equal(jnum(m, "records_below_k"), 12);
    assert_float_equal(json_real_value(json_object_get(m, "share_below_k")), 0.75, 1e-6);
    assert_int_equal(jnum(m, "records_unique"), 7);
    assert_float_equal(json_real_value(json_object_get(m, "share_unique")), 0.4375, 1e-6);
    assert_float_equal(json_real_value(json_object_get(m, "highest_risk")), 1.0, 1e-6);
    assert_float_equal(json_real_value(json_object_get(m, "average_risk")), 21.0 / 32.0, 1e-5);
    /* The distribution's buckets: 1 | 2 | 3-4 | 5-9 | 10-19 | 20-49 | 50+. */
    const long want[7][2] = {{5, 7}, {2, 5}, {1, 4}, {0, 0}, {0, 0}, {0, 0}, {0, 0}};
    json_t *d = json_object_get(m, "distribution");
    assert_int_equal(json_array_size(d), 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(jnum(json_array_get(d, i), "classes"), want[i][0]);
        assert_int_equal(jnum(json_array_get(d, i), "records"), want[i][1]);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 2), "sizes")), "3-4");

    /* The published tables: the public JSON API's withheld cells, by rule. */
    json_t *pub = json_object_get(json_object_get(j, "published"), "public");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/indicators?from=%s&to=%s", y, y);
    it_resp r;
    it_http(&S, "GET", path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *api = json_loads(r.body, 0, NULL);
    it_resp_free(&r);
    json_t *cells = json_object_get(api, "cells"), *cell;
    size_t i;
    long c = 0, d2 = 0;
    json_array_foreach(cells, i, cell) {
        const char *cs = json_string_value(json_object_get(cell, "conf_status"));
        c += strcmp(cs, "C") == 0;
        d2 += strcmp(cs, "D") == 0;
    }
    assert_int_equal(jnum(pub, "cells"), (long)json_array_size(cells));
    assert_int_equal(jnum(pub, "primary"), c);
    assert_int_equal(jnum(pub, "secondary"), d2);
    assert_true(c > 0); /* e.g. the one man of D75 in March */
    assert_int_equal(jnum(pub, "withheld"), c + d2);
    assert_int_equal(jnum(pub, "free") + jnum(pub, "no_observation") + c + d2, jnum(pub, "cells"));
    json_t *ana = json_object_get(json_object_get(j, "published"), "analyst");
    assert_true(jnum(ana, "cells") > jnum(pub, "cells")); /* the posts' cells too */
    json_decref(api);
    json_decref(j);
}

static void test_months(void **state)
{
    (void)state;
    char p[16];
    snprintf(p, sizeof p, "%04d-03", year % 10000);
    json_t *j = cli_report(p);
    json_t *m = json_object_get(j, "microdata");
    assert_int_equal(jnum(m, "records"), 15);
    assert_int_equal(jnum(m, "persons"), 12);
    assert_int_equal(jnum(m, "classes"), 7);
    check_histogram(m, (const long[][3]){{1, 4, 6}, {2, 2, 5}, {4, 1, 4}}, 3);
    assert_int_equal(jnum(m, "classes_below_k"), 6);
    assert_int_equal(jnum(m, "records_below_k"), 11);
    json_decref(j);
    snprintf(p, sizeof p, "%04d-04", year % 10000);
    j = cli_report(p);
    m = json_object_get(j, "microdata");
    assert_int_equal(jnum(m, "records"), 1);
    assert_int_equal(jnum(m, "classes"), 1);
    check_histogram(m, (const long[][3]){{1, 1, 1}}, 1);
    json_decref(j);
    /* The French text. */
    char out[8192];
    snprintf(p, sizeof p, "%04d", year % 10000);
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *[]){"privacy", "report", "--period",
                                                                  p, NULL}), 0);
    assert_non_null(strstr(out, "16 contacts, 12 personnes, 8 classes d'équivalence"));
    assert_non_null(strstr(out, "moins de k = 3 personnes : 12 (75,0 %), en 7 classes"));
    assert_non_null(strstr(out, "(personne unique) : 7 (43,8 %)"));
    assert_non_null(strstr(out, "secret primaire"));
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"privacy", "report", "--period",
                                                          "2025-13", NULL}), 1);
}

static void test_route_admin_only(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "/api/v1/privacy/report?period=%04d", year % 10000);
    it_resp r;
    it_http(&S, "GET", path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 401);
    it_resp_free(&r);
    const char *refused[] = {tok_analyst, tok_post};
    for (int i = 0; i < 2; i++) {
        it_http(&S, "GET", path, refused[i], NULL, NULL, 0, &r);
        assert_int_equal(r.status, 403);
        assert_null(strstr(r.body, "microdata"));
        it_resp_free(&r);
    }
    it_http(&S, "GET", path, tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    it_resp_free(&r);
    json_t *cli = cli_report(NULL);
    assert_true(json_equal(json_object_get(j, "microdata"), json_object_get(cli, "microdata")));
    assert_true(json_equal(json_object_get(j, "published"), json_object_get(cli, "published")));
    json_decref(cli);
    json_decref(j);
    it_http(&S, "GET", "/api/v1/privacy/report?period=20x5", tok_admin, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    it_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_year_classes),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_route_admin_only),
    };
    int failed = cmocka_run_group_tests_name("integration_privacy_report", tests, setup, teardown);
    return failed || it_stop_failures;
}
