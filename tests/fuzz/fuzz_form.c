/* fuzz_form.c: libFuzzer harness of the form parsers (web/web_form.c): the input's first line
 * is the request's Content-Type (application/x-www-form-urlencoded or multipart/form-data;
 * boundary=...), the rest the body given to web_form_parse; every field found is then read
 * back. Seeds: tests/fuzz/corpus/form/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "web_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const uint8_t *nl = memchr(data, '\n', len);
    size_t clen = nl ? (size_t)(nl - data) : len;
    char *ctype = fuzz_cstr(data, clen);
    size_t blen = nl ? len - clen - 1 : 0;
    /* The body is not NUL-terminated (the daemon's buffer is, but the parser must not rely
     * on it): an exact-size copy lets ASan see any read past its end. */
    char *body = malloc(blen ? blen : 1);
    if (body == NULL)
        abort();
    if (blen)
        memcpy(body, nl + 1, blen);
    web_form form;
    obs_err e;
    obs_err_clear(&e);
    if (web_form_parse(ctype, body, blen, &form, &e) == OBS_OK) {
        for (size_t i = 0; i < form.n; i++) {
            const web_field *f = web_form_field(&form, form.f[i].name);
            if (f == NULL || (f->len && f->data == NULL))
                abort();
            (void)web_form_get(&form, form.f[i].name);
        }
    }
    web_form_free(&form);
    free(body);
    free(ctype);
    return 0;
}
