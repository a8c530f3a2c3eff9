/* test_sheets.c: spreadsheet uploads end to end (issue 15), against the real server and
 * PostgreSQL: CSV test grids written as .xlsx by python3-openpyxl and as .ods, uploaded, store
 * exactly the CSV's contacts (same pseudonyms, same rows); errors name their cell; every
 * hostile workbook (zip bombs, too many entries, "..", macros, passwords, DOCTYPE and
 * external entities, a 10,000-column sheet) gets a 4xx with its code and a French message,
 * nothing stored, the server still up. LibreOffice's own files: long_sheets.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>

#include "sheets_it.h"


static int setup(void **state)
{
    (void)state;
    sheets_setup("it_sheets");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* openpyxl's .xlsx and a hand-made .ods of four CSV grids: the same contacts. */
static void test_same_contacts(void **state)
{
    (void)state;
    static const char *const grids[] = {"valid_comma_utf8", "valid_semicolon_cp1252_crlf",
                                        "valid_quoted_multiline", "valid_optional_columns_absent"};
    for (size_t i = 0; i < sizeof grids / sizeof *grids; i++) {
        char x[800], o[800], xg[800];
        snprintf(x, sizeof x, "%s/%s.xlsx", work, grids[i]);
        snprintf(o, sizeof o, "%s/%s.ods", work, grids[i]);
        snprintf(xg, sizeof xg, "%s/%s.second-sheet.xlsx", work, grids[i]);
        sh(PY "csv_to_xlsx.py " GRIDS "%s.csv '%s'", grids[i], x);
        sh(PY "csv_to_xlsx.py " GRIDS "%s.csv '%s' Consignes", grids[i], o);
        sh(PY "csv_to_xlsx.py " GRIDS "%s.csv '%s' Consignes", grids[i], xg);
        char csv[200];
        snprintf(csv, sizeof csv, "%s.csv", grids[i]);
        const char *const sheets[] = {x, o, xg};
        same_as_csv(csv, sheets, 3);
    }
}

/* A rejected sheet: every error names its cell, the CSV's lines become the sheet's rows. */
static void test_cells_named(void **state)
{
    (void)state;
    char x[800];
    snprintf(x, sizeof x, "%s/codes.xlsx", work);
    sh(PY "csv_to_xlsx.py " GRIDS "invalid_code_unknown.csv '%s'", x);
    it_resp r;
    put_file(x, PERIOD, 1, &r);
    assert_int_equal(r.status, 422);
    json_error_t e;
    json_t *j = json_loads(r.body, 0, &e);
    assert_non_null(j);
    json_t *errs = json_object_get(j, "errors");
    int d2 = 0, f3 = 0;
    for (size_t i = 0; i < json_array_size(errs); i++) {
        json_t *it = json_array_get(errs, i);
        const char *cell = json_string_value(json_object_get(it, "cell"));
        const char *msg = json_string_value(json_object_get(it, "message"));
        assert_non_null(cell);
        assert_non_null(strstr(msg, "Cellule "));
        d2 += strcmp(cell, "D2") == 0 && json_integer_value(json_object_get(it, "line")) == 2;
        f3 += strcmp(cell, "F3") == 0;
    }
    assert_int_equal(json_array_size(errs), 8);
    assert_int_equal(d2, 1);
    assert_int_equal(f3, 1);
    json_decref(j);
    it_resp_free(&r);
}

/* Every hostile workbook: 422, its code, a French message, nothing stored, server up. */
static void test_hostile(void **state)
{
    (void)state;
    char base[800], ods[800], dir[800];
    snprintf(base, sizeof base, "%s/base.xlsx", work);
    snprintf(ods, sizeof ods, "%s/base.ods", work);
    snprintf(dir, sizeof dir, "%s/hostile", work);
    sh(PY "csv_to_xlsx.py " GRIDS "valid_tab.csv '%s'", base);
    sh(PY "csv_to_xlsx.py " GRIDS "valid_tab.csv '%s'", ods);
    sh("mkdir -p '%s' && " PY "hostile.py '%s' '%s' '%s'", dir, base, ods, dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 100) {
        if (de->d_name[0] != 'E')
            continue;
        char path[1200], want[64], code[64], msg[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        snprintf(want, sizeof want, "%.*s", (int)strcspn(de->d_name, "."), de->d_name);
        for (int validate = 0; validate < 2; validate++) {
            it_resp r;
            put_file(path, "2026-02", validate, &r);
            first_error(&r, code, msg);
            if (r.status != 422 || strcmp(code, want) != 0)
                fail_msg("%s: HTTP %ld %s (expected 422 %s)", de->d_name, r.status, r.body, want);
            /* French: an accented letter or a French word in every message */
            assert_true(strstr(msg, "classeur") || strstr(msg, "feuille") || strstr(msg, "é"));
            it_resp_free(&r);
        }
        printf("  %-36s 422 %s\n", de->d_name, code);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 14);
    PGconn *c = it_db(&S);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM contact WHERE period = '2026-02-01'"), 0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid WHERE period = '2026-02-01'"), 0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM upload WHERE period = '2026-02-01'"), 0);
    PQfinish(c);
    it_resp r;
    it_http(&S, "GET", "/healthz", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_contacts),
        cmocka_unit_test(test_cells_named),
        cmocka_unit_test(test_hostile),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
