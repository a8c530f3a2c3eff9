/* fuzz.h: helpers shared by the libFuzzer harnesses of tests/fuzz/ (docs/reliability.md,
 * "Fuzzing"): a NUL-terminated copy of the input, its split into a first line and the rest,
 * and query parameters "a=b&c=d" served to the parsers' get(ctx, name) callbacks.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of data[0..len) (malloc'd; abort when memory runs out). */
static inline char *fuzz_cstr(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

/* Cut s at its first '\n': returns the rest (after the newline), or "" when there is none. */
static inline char *fuzz_first_line(char *s)
{
    char *nl = strchr(s, '\n');
    if (nl == NULL)
        return s + strlen(s);
    *nl = '\0';
    return nl + 1;
}

#define FUZZ_MAX_PARAMS 16

typedef struct fuzz_params {
    const char *name[FUZZ_MAX_PARAMS], *value[FUZZ_MAX_PARAMS];
    int n;
} fuzz_params;

/* Split s in place at '&' and '=' into at most FUZZ_MAX_PARAMS parameters (a name without
 * '=' gets the value ""). */
static inline void fuzz_params_parse(char *s, fuzz_params *p)
{
    p->n = 0;
    while (s && *s && p->n < FUZZ_MAX_PARAMS) {
        char *amp = strchr(s, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(s, '=');
        if (eq)
            *eq = '\0';
        p->name[p->n] = s;
        p->value[p->n] = eq ? eq + 1 : "";
        p->n++;
        s = amp ? amp + 1 : NULL;
    }
}

/* The get(ctx, name) callback of exp_params_parse and agg_query_parse: the first value. */
static inline const char *fuzz_param_get(void *ctx, const char *name)
{
    const fuzz_params *p = ctx;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return p->value[i];
    return NULL;
}

#endif
