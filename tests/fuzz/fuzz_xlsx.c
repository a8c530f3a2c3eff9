/* fuzz_xlsx.c: libFuzzer harness of the .xlsx reader (collector/zipfile.c, sheet.c,
 * sheet_xlsx.c) and the validation after it (fuzz_grid.h). Seeds: tests/fuzz/corpus/xlsx/
 * (real files and the hostile ones). */
#include "fuzz_grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    return fuzz_grid_parse(data, len, COL_MEDIA_XLSX);
}
