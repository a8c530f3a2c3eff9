/* fuzz_sdmx_key.c: libFuzzer harness of the SDMX REST query parsers (exporters/sdmx/sdmx_key.c):
 * the input's first line names the part ("flow", "provider", "key" or "param"), the rest is
 * the flowRef, providerRef, key or query string ("a=b&c=d") given to exp_flowref_check,
 * exp_provider_check, exp_key_parse or exp_params_parse; a parsed query is then rendered
 * (exp_query_canonical, exp_query_array) as the REST handler does. Seeds:
 * tests/fuzz/corpus/sdmx_key/ (the lines of tests/data/sdmx/keys.tsv).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ref.h"
#include "sdmx_dsd.h"
#include "sdmx_key.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    obs_err e;
    if (ref_init(&e) != OBS_OK || exp_dsd_init(&e) != OBS_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s = fuzz_cstr(data, len);
    char *rest = fuzz_first_line(s);
    obs_err e;
    obs_err_clear(&e);
    exp_data_query q;
    exp_data_query_init(&q);
    obs_status rc = OBS_ERR_INPUT;
    if (strcmp(s, "flow") == 0) {
        (void)exp_flowref_check(rest, &e);
    } else if (strcmp(s, "provider") == 0) {
        (void)exp_provider_check(rest, &e);
    } else if (strcmp(s, "key") == 0) {
        rc = exp_key_parse(rest, &q, &e);
    } else if (strcmp(s, "param") == 0) {
        fuzz_params p;
        fuzz_params_parse(rest, &p);
        rc = exp_params_parse(fuzz_param_get, &p, &q, &e);
    }
    if (rc == OBS_OK) {
        char out[EXP_KEY_MAX * 2];
        (void)exp_query_canonical(&q, out, sizeof out);
        for (int d = 0; d < EXP_NDIMS; d++)
            (void)exp_query_array(&q, d, out, sizeof out);
    }
    free(s);
    return 0;
}
