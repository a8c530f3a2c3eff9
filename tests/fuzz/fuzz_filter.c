/* fuzz_filter.c: libFuzzer harness of the indicators filter parser (aggregator/filter.c):
 * the input is a query string ("mesure=NB_PERSONNES&area=FR,D93&from=2026-01") given to
 * agg_query_parse as GET /api/v1/indicators does; a parsed query is then asked which posts
 * it names. Seeds: tests/fuzz/corpus/filter/.
 */
#include <stdint.h>
#include <stdlib.h>

#include "filter.h"
#include "fuzz.h"
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
    char *s = fuzz_cstr(data, len);
    fuzz_params p;
    fuzz_params_parse(s, &p);
    obs_err e;
    obs_err_clear(&e);
    agg_query q;
    if (agg_query_parse(fuzz_param_get, &p, &q, &e) == OBS_OK) {
        (void)agg_query_names_post(&q, NULL);
        (void)agg_query_names_other_post(&q, "ISCG-093-01");
    }
    agg_query_free(&q);
    free(s);
    return 0;
}
