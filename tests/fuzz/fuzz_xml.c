/* fuzz_xml.c: libFuzzer harness of the XML grid reader (libxml2, the grid XSD) and the
 * validation after it (fuzz_grid.h). Seeds: tests/fuzz/corpus/xml/ (the XML grids of
 * tests/data/grids/). */
#include "fuzz_grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    return fuzz_grid_parse(data, len, "application/xml");
}
