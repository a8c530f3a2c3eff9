/* fuzz_csv.c: libFuzzer harness of the CSV grid parser and its validation (fuzz_grid.h).
 * Seeds: tests/fuzz/corpus/csv/ (the CSV grids of tests/data/grids/). */
#include "fuzz_grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    /* The first byte picks the declared charset: none (detected) or utf-8. */
    return fuzz_grid_parse(data, len,
                           len && data[0] == 0xff ? "text/csv; charset=utf-8" : "text/csv");
}
