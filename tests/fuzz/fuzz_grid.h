/* fuzz_grid.h: what the grid harnesses (fuzz_csv, fuzz_xml, fuzz_xlsx, fuzz_ods) share: the
 * reference data loaded once, and one input run through col_parse_grid as PUT
 * /api/v1/grids does (reader, then validation) for post ISCG-093-01, period 2026-03. Any
 * input must end in a report, never a crash, a leak or undefined behaviour. */
#ifndef ISCGOBS_FUZZ_GRID_H
#define ISCGOBS_FUZZ_GRID_H

#include <stdint.h>
#include <stdlib.h>

#include "grid.h"
#include "ref.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        abort();
    return 0;
}

/* One upload of data declared as ctype; everything freed. */
static inline int fuzz_grid_parse(const uint8_t *data, size_t len, const char *ctype)
{
    col_table t;
    col_grid g;
    col_report rep;
    col_table_init(&t);
    col_report_init(&rep);
    (void)col_parse_grid((const char *)data, len, ctype, "ISCG-093-01", 2026, 3, &t, &g, &rep);
    col_grid_free(&g); /* zeroed by col_parse_grid whatever happens */
    col_report_free(&rep);
    col_table_free(&t);
    return 0;
}

#endif
