/* fuzz_xlsx.c: libFuzzer harness of the .xlsx reader (collector/zipfile.c, sheet.c,
 * sheet_xlsx.c) through the whole pipeline col_parse_grid (reader, then validation), as the
 * server runs it. Seeds: tests/fuzz/corpus/xlsx/ (real files and the hostile ones). */
#include <stddef.h>
#include <stdint.h>

#include "grid.h"
#include "ref.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    obs_err e;
    return ref_init(&e) == OBS_OK ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    col_table t;
    col_grid g;
    col_report rep;
    col_table_init(&t);
    col_report_init(&rep);
    col_parse_grid((const char *)data, size, COL_MEDIA_XLSX, "ISCG-093-01", 2026, 3, &t, &g,
                   &rep);
    col_grid_free(&g);
    col_table_free(&t);
    col_report_free(&rep);
    return 0;
}
