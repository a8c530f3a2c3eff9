/* test_validate.c: cell validation (collector/validate.c), the report (report.c), the
 * pipeline col_parse_grid, and the fixture table tests/data/grids/README.md. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "ref.h"

#define GRIDS "tests/data/grids/"
#define POST "ISCG-093-01"

/* The Content-Type the fixture README prescribes for a file. */
static const char *content_type_of(const char *name)
{
    if (strstr(name, ".xml"))
        return "application/xml";
    if (strstr(name, "charset-utf8"))
        return "text/csv; charset=utf-8";
    return "text/csv";
}

typedef struct run {
    col_table t;
    col_grid g;
    col_report r;
    obs_status rc;
} run;

static void run_buf(run *x, const char *d, size_t len, const char *ct, int year, int month)
{
    col_table_init(&x->t);
    col_report_init(&x->r);
    x->rc = col_parse_grid(d, len, ct, POST, year, month, &x->t, &x->g, &x->r);
}

static void run_file(run *x, const char *name)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, GRIDS "%s", name);
    char *d = test_slurp(path, &len);
    run_buf(x, d, len, content_type_of(name), 2026, 3);
    free(d);
}

/* A CSV grid with the full header and the given rows, for 2026-03 unless told. */
static void run_csv(run *x, const char *rows, int year, int month)
{
    char buf[8192];
    snprintf(buf, sizeof buf,
             "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;"
             "connu_ss;problematiques;orientations;mode;commentaire\n%s",
             rows);
    run_buf(x, buf, strlen(buf), "text/csv", year, month);
}

static void run_free(run *x)
{
    col_grid_free(&x->g);
    col_table_free(&x->t);
    col_report_free(&x->r);
}

static const col_issue *find_code(const col_report *r, const char *code)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].code, code) == 0)
            return &r->items[i];
    return NULL;
}

static int code_index(ref_list l, const char *code)
{
    int k = ref_find(l, code);
    assert_true(k >= 0);
    return k;
}

/* ---- the fixture table ---- */

typedef struct expect {
    char file[96], code[32], column[32];
    int line;
} expect;

static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Read the `| file | code | line | column |` table of the README. */
static size_t read_expectations(expect *e, size_t cap)
{
    size_t len, n = 0;
    char *readme = test_slurp(GRIDS "README.md", &len);
    int in_table = 0;
    for (char *l = readme, *nl; l && *l; l = nl ? nl + 1 : NULL) {
        nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(l, "| file | code | line | column |", 31) == 0) {
            in_table = 1;
            continue;
        }
        if (!in_table || strncmp(l, "|---", 4) == 0)
            continue;
        if (l[0] != '|')
            break;
        char *cols[4];
        char *p = l + 1;
        for (int k = 0; k < 4; k++) {
            char *bar = strchr(p, '|');
            assert_non_null(bar);
            *bar = '\0';
            cols[k] = trim(p);
            p = bar + 1;
        }
        assert_true(n < cap);
        snprintf(e[n].file, sizeof e[n].file, "%s", cols[0]);
        snprintf(e[n].code, sizeof e[n].code, "%s", cols[1]);
        e[n].line = strcmp(cols[2], "-") == 0 ? -1 : (int)strtol(cols[2], NULL, 10);
        snprintf(e[n].column, sizeof e[n].column, "%s", strcmp(cols[3], "-") == 0 ? "" : cols[3]);
        n++;
    }
    free(readme);
    return n;
}

/* Every fixture gives exactly the issues the README lists, and every fixture is listed. */
static void test_fixture_table(void **state)
{
    (void)state;
    static expect e[256];
    size_t n = read_expectations(e, 256);
    assert_true(n > 60);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && strcmp(e[j].file, e[i].file) == 0)
            j++;
        run x;
        run_file(&x, e[i].file);
        int valid = strcmp(e[i].code, "-") == 0;
        if (valid) {
            assert_int_equal(x.r.n, 0);
        } else {
            assert_int_equal(x.r.n, j - i);
            for (size_t k = 0; k < x.r.n; k++) {
                int found = 0;
                for (size_t m = i; m < j && !found; m++)
                    found = strcmp(x.r.items[k].code, e[m].code) == 0 &&
                            x.r.items[k].line == e[m].line &&
                            strcmp(x.r.items[k].column, e[m].column) == 0;
                if (!found)
                    fail_msg("%s: unexpected %s line %d column '%s'", e[i].file, x.r.items[k].code,
                             x.r.items[k].line, x.r.items[k].column);
            }
        }
        int rejected = x.r.nerrors > 0;
        assert_int_equal(rejected, strncmp(e[i].file, "invalid_", 8) == 0);
        assert_int_equal(x.rc, OBS_OK); /* the body's problems are in the report only */
        if (x.r.nerrors == 0)
            assert_int_equal(x.g.n, x.t.n);
        run_free(&x);
        i = j;
    }
    /* the directory holds no fixture the README forgets */
    DIR *d = opendir(GRIDS);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
            continue;
        int listed = 0;
        for (size_t k = 0; k < n && !listed; k++)
            listed = strcmp(e[k].file, de->d_name) == 0;
        if (!listed)
            fail_msg("%s is not in README.md", de->d_name);
    }
    closedir(d);
}

/* ---- typed rows ---- */

static void test_typed_rows(void **state)
{
    (void)state;
    run x;
    run_file(&x, "valid_semicolon_utf8_bom_crlf.csv");
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.r.n, 0);
    assert_int_equal(x.g.n, 3);
    assert_string_equal(x.g.post, POST);
    assert_int_equal(x.g.year, 2026);
    assert_int_equal(x.g.month, 3);
    const col_row *r = &x.g.rows[0];
    assert_int_equal(r->line, 2);
    assert_int_equal(r->day, 2);
    assert_string_equal(r->ref, "D-2026-014");
    assert_int_equal(r->sexe, code_index(REF_SEXE, "F"));
    assert_int_equal(r->age, code_index(REF_AGE, "Y25T39")); /* born 12/05/1988 */
    assert_string_equal(r->dep_res, "93");
    assert_int_equal(r->statut, code_index(REF_STATUT, "VICTIME"));
    assert_int_equal(r->origine, code_index(REF_ORIGINE, "POL_ACCUEIL"));
    assert_int_equal(r->connu_ss, code_index(REF_CONNU_SS, "NON"));
    assert_int_equal(r->mode, code_index(REF_MODE, "BUREAU"));
    assert_int_equal(r->problems, (1u << code_index(REF_PROBLEMATIQUE, "VIOL_CONJ")) |
                                      (1u << code_index(REF_PROBLEMATIQUE, "LOGEMENT")));
    assert_int_equal(r->orientations, (1u << code_index(REF_PARTENAIRE, "AIDE_VICTIMES")) |
                                          (1u << code_index(REF_PARTENAIRE, "HEBERGEMENT")));
    r = &x.g.rows[2];
    assert_int_equal(r->day, 11);
    assert_int_equal(r->age, code_index(REF_AGE, "Y_GE60")); /* 1951, contact in March: 74 */
    assert_string_equal(r->dep_res, "");
    assert_int_equal(r->orientations, 1u << code_index(REF_PARTENAIRE, "CCAS"));
    run_free(&x);

    run_file(&x, "valid_quoted_multiline.csv");
    assert_int_equal(x.r.n, 0);
    assert_int_equal(x.g.rows[0].age, code_index(REF_AGE, "Y15T17")); /* 16 tomorrow */
    assert_int_equal(x.g.rows[0].orientations, (1u << code_index(REF_PARTENAIRE, "PROT_ENFANCE")) |
                                                   (1u << code_index(REF_PARTENAIRE, "JUSTICE")));
    assert_int_equal(x.g.rows[1].age, code_index(REF_AGE, "Y_LT15")); /* born this year */
    assert_int_equal(x.g.rows[1].orientations, 0);
    assert_int_equal(x.g.rows[2].problems, 1u << code_index(REF_PROBLEMATIQUE, "PRECARITE"));
    assert_string_equal(x.g.rows[2].dep_res, "2B");
    run_free(&x);

    run_file(&x, "valid_grid.xml");
    assert_int_equal(x.r.n, 0);
    assert_int_equal(x.g.rows[1].line, 19);
    assert_int_equal(x.g.rows[1].problems,
                     (1u << code_index(REF_PROBLEMATIQUE, "VULNERABILITE")) |
                         (1u << code_index(REF_PROBLEMATIQUE, "SANTE_MENTALE")));
    run_free(&x);
}

/* The age band of one birth value at one contact date (grid of that month). */
static int band_of(const char *birth, int contact_month, int contact_day, int *warned)
{
    char row[256];
    snprintf(row, sizeof row, "2026-%02d-%02d;D-1;%s;F;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n",
             contact_month, contact_day, birth);
    run x;
    run_csv(&x, row, 2026, contact_month);
    assert_int_equal(x.r.nerrors, 0);
    *warned = find_code(&x.r, "W_AGE_OVER_110") != NULL;
    int band = x.g.rows[0].age;
    run_free(&x);
    return band;
}

static void test_age_bands(void **state)
{
    (void)state;
    static const struct {
        const char *birth;
        int month, day;
        const char *band;
        int warned;
    } cases[] = {
        {"2011-03-10", 3, 10, "Y15T17", 0}, /* 15 on the day */
        {"2011-03-11", 3, 10, "Y_LT15", 0}, /* 15 tomorrow */
        {"10/03/2008", 3, 10, "Y18T24", 0},
        {"11/03/2008", 3, 10, "Y15T17", 0},
        {"2001-03-10", 3, 10, "Y25T39", 0},
        {"1986-03-10", 3, 10, "Y40T59", 0},
        {"1966-03-11", 3, 10, "Y40T59", 0},
        {"1966-03-10", 3, 10, "Y_GE60", 0},
        {"2024-02-29", 3, 1, "Y_LT15", 0},  /* leap day */
        {"1916-03-10", 3, 10, "Y_GE60", 0}, /* 110 */
        {"1915-03-10", 3, 10, "Y_GE60", 1}, /* 111 */
        {"2026-03-10", 3, 10, "Y_LT15", 0}, /* born on the day */
        /* a birth year alone: one less before July */
        {"2011", 6, 30, "Y_LT15", 0}, /* 2026 - 2011 - 1 = 14 */
        {"2011", 7, 1, "Y15T17", 0},  /* 15 */
        {"1966", 6, 30, "Y40T59", 0},
        {"1966", 7, 1, "Y_GE60", 0},
        {"1915", 6, 30, "Y_GE60", 0}, /* 110 */
        {"1915", 7, 1, "Y_GE60", 1},  /* 111 */
        {" ", 3, 10, "_U", 0},        /* blank: unknown */
    };
    for (size_t i = 0; i < OBS_ARRAY_LEN(cases); i++) {
        int warned;
        int band = band_of(cases[i].birth, cases[i].month, cases[i].day, &warned);
        if (band != code_index(REF_AGE, cases[i].band) || warned != cases[i].warned)
            fail_msg("birth %s at 2026-%02d-%02d: band %d (%s expected), warned %d", cases[i].birth,
                     cases[i].month, cases[i].day, band, cases[i].band, warned);
    }
}

static void test_messages(void **state)
{
    (void)state;
    run x;
    run_csv(&x, "2026-03-10;D-1;;Z;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n", 2026, 3);
    const col_issue *it = find_code(&x.r, "E_CODE_UNKNOWN");
    assert_non_null(it);
    assert_string_equal(it->message,
                        "La colonne « sexe » doit valoir F, M ou X (valeur lue : « Z »).");
    run_free(&x);
    /* long quoted values are cut at 60 characters */
    char row[1024], big[300];
    memset(big, 'x', 250);
    big[250] = '\0';
    snprintf(row, sizeof row, "%s;D-1;;F;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n", big);
    run_csv(&x, row, 2026, 3);
    it = find_code(&x.r, "E_DATE_FORMAT");
    assert_non_null(it);
    assert_non_null(
        strstr(it->message, "« xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… »"));
    run_free(&x);
    /* an out-of-period date names the month in French */
    run_csv(&x, "2026-04-01;D-1;;F;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n", 2026, 3);
    it = find_code(&x.r, "E_DATE_OUT_OF_PERIOD");
    assert_non_null(it);
    assert_non_null(strstr(it->message, "mars 2026"));
    assert_int_equal(x.g.rows[0].day, 0);
    run_free(&x);
    /* codes are matched case-insensitively, trimmed; empty parts of a list ignored */
    run_csv(&x,
            " 2026-03-10 ;D-1;;  m ;;victime;Bpf; oui ;viol_conj|| Logement |;ssd|SSD;bureau;\n",
            2026, 3);
    assert_int_equal(x.r.n, 0);
    assert_int_equal(x.g.rows[0].sexe, code_index(REF_SEXE, "M"));
    assert_int_equal(x.g.rows[0].problems, (1u << code_index(REF_PROBLEMATIQUE, "VIOL_CONJ")) |
                                               (1u << code_index(REF_PROBLEMATIQUE, "LOGEMENT")));
    assert_int_equal(x.g.rows[0].orientations, 1u << code_index(REF_PARTENAIRE, "SSD"));
    run_free(&x);
}

static void test_sexe_consistency(void **state)
{
    (void)state;
    run x;
    run_csv(&x,
            "2026-03-10;Éloïse Dupont;;F;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n"
            "2026-03-11;eloise  DUPONT;;M;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n"
            "2026-03-12;ELOISE-dupont;;X;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n"
            "2026-03-12;Paul;;M;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n"
            "2026-03-13;paul;;M;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n",
            2026, 3);
    assert_int_equal(x.r.nerrors, 0);
    assert_int_equal(x.r.nwarnings, 1); /* once per person */
    assert_string_equal(x.r.items[0].code, "W_SEXE_INCONSISTENT");
    assert_int_equal(x.r.items[0].line, 3);
    assert_string_equal(x.r.items[0].column, "sexe");
    assert_non_null(strstr(x.r.items[0].message, "ligne 2"));
    run_free(&x);
}

static void test_missing_column_no_cell_errors(void **state)
{
    (void)state;
    run x;
    run_file(&x, "invalid_missing_column.csv");
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.r.nerrors, 1); /* E_COLUMN_MISSING only, no E_REQUIRED per row */
    assert_int_equal(x.g.rows[0].mode, -1);
    run_free(&x);
}

static void test_xml_identity(void **state)
{
    (void)state;
    col_table t;
    col_grid g;
    col_report r;
    col_table_init(&t);
    col_report_init(&r);
    snprintf(t.post, sizeof t.post, "ISCG-093-01");
    snprintf(t.period, sizeof t.period, "2026-03");
    assert_int_equal(col_validate(&t, POST, 2026, 3, &g, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(g.n, 0); /* an empty grid is valid */
    col_grid_free(&g);
    assert_int_equal(col_validate(&t, "ISCG-02A-01", 2026, 4, &g, &r), OBS_OK);
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.items[0].code, "E_XML_POST_MISMATCH");
    assert_string_equal(r.items[1].code, "E_XML_PERIOD_MISMATCH");
    assert_non_null(strstr(r.items[1].message, "2026-04"));
    col_grid_free(&g);
    col_report_free(&r);
    col_table_free(&t);
}

static void test_content_types(void **state)
{
    (void)state;
    static const char csv[] = "date_contact;ref_personne;sexe;statut;origine;connu_ss;"
                              "problematiques;mode\n"
                              "2026-03-01;H\xe9l\xe8ne;F;VICTIME;BPF;OUI;VIOL_CONJ;BUREAU\n";
    run x;
    run_buf(&x, csv, sizeof csv - 1, "Text/CSV ; Charset=\"Windows-1252\"", 2026, 3);
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.r.n, 0);
    assert_string_equal(x.g.rows[0].ref, "Hélène");
    run_free(&x);
    run_buf(&x, csv, sizeof csv - 1, "text/csv;charset=utf-8", 2026, 3);
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.g.n, 0);
    assert_string_equal(x.r.items[0].code, "E_ENCODING");
    assert_int_equal(x.r.items[0].line, 2);
    run_free(&x);
    run_buf(&x, csv, sizeof csv - 1, "application/json", 2026, 3);
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.r.nerrors, 1);
    assert_string_equal(x.r.items[0].code, "E_CONTENT_TYPE");
    run_free(&x);
    size_t len;
    char *xml = test_slurp(GRIDS "valid_grid.xml", &len);
    run_buf(&x, xml, len, "text/xml; charset=utf-8", 2026, 3);
    assert_int_equal(x.rc, OBS_OK);
    assert_int_equal(x.g.n, 2);
    run_free(&x);
    free(xml);
}

static void test_report(void **state)
{
    (void)state;
    col_report r;
    col_report_init(&r);
    for (int i = 0; i < COL_MAX_ISSUES + 500; i++)
        assert_int_equal(col_report_add(&r, i, "sexe", i % 2 ? "W_X" : "E_X", "n° %d", i), OBS_OK);
    assert_int_equal(r.n, COL_MAX_ISSUES);
    assert_int_equal(r.nerrors, (COL_MAX_ISSUES + 500) / 2);
    assert_int_equal(r.nwarnings, (COL_MAX_ISSUES + 500) / 2);
    assert_string_equal(r.items[7].message, "n° 7");
    assert_string_equal(r.items[7].code, "W_X");
    col_report_free(&r);
    assert_int_equal(r.n, 0);
    assert_null(r.items);
    col_report_free(NULL);
    /* columns are cut on a character boundary */
    assert_int_equal(col_report_add(&r, 1, "ééééééééééééééééé", "W_COLUMN_UNKNOWN", "x"), OBS_OK);
    assert_string_equal(r.items[0].column, "ééééééééééé"); /* 22 bytes of 23 */
    col_report_free(&r);
    char q[COL_QUOTE_SIZE];
    assert_string_equal(col_report_quote(q, sizeof q, "a\nb\tc", 5), "a b c");
    assert_string_equal(col_report_quote(q, 6, "abcdefgh", 8), "abcde");
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_table),
        cmocka_unit_test(test_typed_rows),
        cmocka_unit_test(test_age_bands),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_sexe_consistency),
        cmocka_unit_test(test_missing_column_no_cell_errors),
        cmocka_unit_test(test_xml_identity),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
