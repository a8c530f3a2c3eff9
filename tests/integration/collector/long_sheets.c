/* long_sheets.c: spreadsheet files written by LibreOffice itself (issue 15): CSV test grids
 * converted by `soffice --headless --convert-to xlsx|ods` (a private profile and HOME in the
 * scratch folder), uploaded to the real server, store exactly the CSV's contacts (same
 * pseudonyms, same rows). Long (LibreOffice starts in ~15 s per conversion run): make
 * test-long. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sheets_it.h"

static const char *const grids[] = {"valid_comma_utf8", "valid_tab", "valid_quoted_multiline",
                                    "valid_optional_columns_absent"};
#define NGRIDS (sizeof grids / sizeof *grids)

static int setup(void **state)
{
    (void)state;
    sheets_setup("it_long_sheets");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* Convert every grid to ext in one LibreOffice run. The import filter: separators comma,
 * semicolon and tab, '"' quotes, UTF-8, from line 1, standard column types (LibreOffice
 * turns dates into date cells and postcodes into numbers, as a user's import would). */
static void convert(const char *ext)
{
    char files[2048] = "";
    size_t o = 0;
    for (size_t i = 0; i < NGRIDS; i++)
        o += (size_t)snprintf(files + o, sizeof files - o, " %s/%s.csv", work, grids[i]);
    sh("cd '%s' && HOME='%s/home' timeout 240 soffice -env:UserInstallation=file://%s/profile "
       "--headless --norestore --infilter='CSV:44/59/9,34,76,1' --convert-to %s --outdir '%s'%s "
       ">'%s/soffice-%s.log' 2>&1",
       work, work, work, ext, work, files, work, ext);
}

static void test_libreoffice(void **state)
{
    (void)state;
    for (size_t i = 0; i < NGRIDS; i++)
        sh("cp " GRIDS "%s.csv '%s/'", grids[i], work);
    sh("mkdir -p '%s/home'", work);
    convert("xlsx");
    convert("ods");
    for (size_t i = 0; i < NGRIDS; i++) {
        char x[800], o[800], csv[200];
        snprintf(x, sizeof x, "%s/%s.xlsx", work, grids[i]);
        snprintf(o, sizeof o, "%s/%s.ods", work, grids[i]);
        snprintf(csv, sizeof csv, "%s.csv", grids[i]);
        const char *const sheets[] = {x, o};
        same_as_csv(csv, sheets, 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libreoffice),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    return failed || it_stop_failures;
}
