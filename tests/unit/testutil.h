/* testutil.h: what every cmocka unit test includes. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Path of a fixture under tests/data, whatever the working directory under the repo root. */
#define TEST_DATA(name) ("tests/data/" name)

#endif
