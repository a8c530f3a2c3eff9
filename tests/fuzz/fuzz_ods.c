/* fuzz_ods.c: libFuzzer harness of the .ods reader (collector/zipfile.c, sheet.c,
 * sheet_ods.c) and the validation after it (fuzz_grid.h). Seeds: tests/fuzz/corpus/ods/
 * (real files and the hostile ones). */
#include "fuzz_grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    return fuzz_grid_parse(data, len, COL_MEDIA_ODS);
}
