/* test_template.c: the grid template (issue 15 point 1, docs/grid-format.md "The template")
 * through the real server on a real PostgreSQL: the .xlsx downloaded by the post, checked
 * and filled by python3-openpyxl as a social worker fills it (tests/data/sheets/
 * fill_template.py), uploaded as is: the same contacts as the CSV grid it was typed from;
 * the .ods downloaded (mimetype first and stored, the validations in content.xml, the frozen
 * header in settings.xml) and uploaded as is (a month without activity); who may download
 * it; `iscgobs template` writes the same bytes as the route.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sheets_it.h"

static char tok_other[80], tok_analyst[80];

static int setup(void **state)
{
    (void)state;
    sheets_setup("it_template");
    it_post_add(&S, "ISCG-075-01", "75", "2020-01");
    it_user_add(&S, "post", "ISCG-075-01", tok_other);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* GET the template of POST/PERIOD in ext with token into file path (when not NULL);
 * returns the status. */
static long download(const char *post, const char *period, const char *ext, const char *token,
                     const char *path)
{
    char url[160];
    snprintf(url, sizeof url, "/api/v1/grids/%s/%s/modele.%s", post, period, ext);
    it_resp r;
    it_http(&S, "GET", url, token, NULL, NULL, 0, &r);
    long status = r.status;
    if (status == 200) {
        assert_string_equal(r.content_type, strcmp(ext, "xlsx") ? MEDIA_ODS : MEDIA_XLSX);
        if (path) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(r.body, 1, r.len, f), r.len);
            assert_int_equal(fclose(f), 0);
        }
    } else {
        assert_non_null(strstr(r.body ? r.body : "", "\"E_"));
    }
    it_resp_free(&r);
    return status;
}

static void test_xlsx_round_trip(void **state)
{
    (void)state;
    char tpl[800], filled[800];
    snprintf(tpl, sizeof tpl, "%s/modele.xlsx", work);
    snprintf(filled, sizeof filled, "%s/rempli.xlsx", work);
    assert_int_equal(download(POST, PERIOD, "xlsx", tok_post, tpl), 200);
    sh(PY "fill_template.py '%s' " GRIDS "valid_semicolon_utf8_bom_crlf.csv '%s'", tpl, filled);
    const char *sheets[] = {filled};
    same_as_csv("valid_semicolon_utf8_bom_crlf.csv", sheets, 1);
}

static void test_ods(void **state)
{
    (void)state;
    char tpl[800];
    snprintf(tpl, sizeof tpl, "%s/modele.ods", work);
    assert_int_equal(download(POST, PERIOD, "ods", tok_post, tpl), 200);
    /* What ODF and LibreOffice expect (tests/data/sheets/check_ods_template.py). */
    sh(PY "check_ods_template.py '%s'", tpl);
    /* Uploaded untouched: a month without activity, accepted, no contact. */
    it_resp r;
    put_file(tpl, "2026-04", 0, &r);
    if (r.status != 201)
        fail_msg("empty .ods template: HTTP %ld %s", r.status, r.body);
    assert_non_null(strstr(r.body, "\"rows\": 0") ? strstr(r.body, "\"rows\": 0")
                                                  : strstr(r.body, "\"rows\":0"));
    it_resp_free(&r);
}

static void test_rights(void **state)
{
    (void)state;
    assert_int_equal(download(POST, PERIOD, "xlsx", tok_admin, NULL), 200);
    assert_int_equal(download(POST, PERIOD, "ods", tok_admin, NULL), 200);
    assert_int_equal(download(POST, PERIOD, "xlsx", NULL, NULL), 401);
    assert_int_equal(download(POST, PERIOD, "xlsx", tok_other, NULL), 403);
    assert_int_equal(download(POST, PERIOD, "ods", tok_analyst, NULL), 403);
    assert_int_equal(download("ISCG-001-99", PERIOD, "xlsx", tok_admin, NULL), 404);
    assert_int_equal(download(POST, "2026-13", "xlsx", tok_post, NULL), 400);
    assert_int_equal(download(POST, "mars", "ods", tok_post, NULL), 400);
}

/* The command writes the route's bytes (both formats are reproducible). */
static void test_cli_same_bytes(void **state)
{
    (void)state;
    static const char *const ext[] = {"xlsx", "ods"};
    for (int i = 0; i < 2; i++) {
        char http[800], cli[800];
        snprintf(http, sizeof http, "%s/route.%s", work, ext[i]);
        snprintf(cli, sizeof cli, "%s/cli.%s", work, ext[i]);
        assert_int_equal(download(POST, PERIOD, ext[i], tok_post, http), 200);
        assert_int_equal(it_cli(&S, NULL, 0,
                                (const char *const[]){"template", "--post", POST, "--period",
                                                      PERIOD, "--out", cli, NULL}),
                         0);
        sh("cmp '%s' '%s'", http, cli);
    }
    /* A usage error and a malformed post. */
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"template", "--post", POST, NULL}),
                     2);
    char bad[800];
    snprintf(bad, sizeof bad, "%s/bad.xlsx", work);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"template", "--post", "ISCG-93", "--period",
                                                  PERIOD, "--out", bad, NULL}),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlsx_round_trip),
        cmocka_unit_test(test_ods),
        cmocka_unit_test(test_rights),
        cmocka_unit_test(test_cli_same_bytes),
    };
    return cmocka_run_group_tests_name("integration_template", tests, setup, teardown);
}
