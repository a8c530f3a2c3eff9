/* fuzz_xml.c: libFuzzer harness of the XML grid reader (XSD validation, cells) and the
 * validation after it (col_parse_grid with "application/xml", as PUT /api/v1/grids does)
 * for post ISCG-093-01, period 2026-03. Any input must end in a report, never a crash, a leak or undefined behaviour. Seeds:
 * tests/fuzz/corpus/xml/ (the XML grids of tests/data/grids/).
 */
#include <stdint.h>
#include <stdlib.h>

#include "grid.h"
#include "ref.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    col_table t;
    col_grid g;
    col_report rep;
    col_table_init(&t);
    col_report_init(&rep);
    (void)col_parse_grid((const char *)data, len, "application/xml", "ISCG-093-01", 2026, 3, &t, &g, &rep);
    col_grid_free(&g); /* zeroed by col_parse_grid whatever happens */
    col_report_free(&rep);
    col_table_free(&t);
    return 0;
}
