/* testutil.h: what every cmocka unit test includes. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

/* Read a whole file (NUL-terminated; the caller frees it); fails the test when it cannot. */
static inline char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    d[n] = '\0';
    *len = (size_t)n;
    return d;
}

/* Path of a fixture under tests/data, whatever the working directory under the repo root. */
#define TEST_DATA(name) ("tests/data/" name)

#endif
