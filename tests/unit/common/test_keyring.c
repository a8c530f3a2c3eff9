/* test_keyring.c: the key file as a chain of keys (common/keyring.h): generate, load, append
 * (the chain grows, older keys unchanged, the owner's mode kept, a leftover PATH.new
 * ignored), the refusals of load (permissions, size, missing) and of a full chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyring.h"

static char dir[] = "/tmp/iscgobs-ring-XXXXXX";
static char path[128];

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pseudonym.key", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char other[160];
    snprintf(other, sizeof other, "%s.new", path);
    unlink(other);
    unlink(path);
    rmdir(dir);
    return 0;
}

static off_t size_of(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static void test_append_grows_the_chain(void **state)
{
    (void)state;
    obs_err e;
    obs_keyring ring, again;
    obs_key cur;
    unlink(path);
    assert_int_equal(obs_key_generate(path, &e), OBS_OK);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_OK);
    assert_int_equal(ring.n, 1);
    uint8_t first[32];
    memcpy(first, ring.keys[0].secret, 32);
    /* a rotation interrupted before its rename left PATH.new: ignored, replaced */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(chmod(path, 0400), 0); /* as installed under systemd */
    assert_int_equal(obs_keyring_append(path, &ring, &e), OBS_OK);
    assert_int_equal(obs_keyring_append(path, &ring, &e), OBS_OK);
    assert_int_equal(ring.n, 3);
    assert_int_equal(access(tmp, F_OK), -1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0400);
    assert_int_equal(size_of(path), 3 * 32);
    assert_int_equal(obs_keyring_load(path, &again, &e), OBS_OK);
    assert_int_equal(again.n, 3);
    assert_memory_equal(again.keys[0].secret, first, 32);
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(again.keys[i].fingerprint, ring.keys[i].fingerprint, 32);
    assert_memory_not_equal(again.keys[1].secret, again.keys[2].secret, 32);
    assert_memory_not_equal(again.keys[0].fingerprint, again.keys[2].fingerprint, 32);
    /* obs_key_load gives the current key: the last one */
    assert_int_equal(obs_key_load(path, &cur, &e), OBS_OK);
    assert_memory_equal(cur.secret, again.keys[2].secret, 32);
    char s16[17];
    obs_key_short(cur.fingerprint, s16);
    assert_int_equal(strlen(s16), 16);
    obs_keyring_wipe(&ring);
    obs_keyring_wipe(&again);
    obs_key_wipe(&cur);
}

static void test_load_refusals(void **state)
{
    (void)state;
    obs_err e;
    obs_keyring ring;
    unlink(path);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_MISSING");
    assert_int_equal(obs_key_generate(path, &e), OBS_OK);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_PERMISSIONS");
    assert_int_equal(chmod(path, 0600), 0);
    FILE *f = fopen(path, "ab"); /* 32 + 5 bytes: not a whole number of keys */
    assert_non_null(f);
    fputs("12345", f);
    fclose(f);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_FORMAT");
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_FORMAT");
}

static void test_full_chain(void **state)
{
    (void)state;
    obs_err e;
    obs_keyring ring;
    unlink(path);
    assert_int_equal(obs_key_generate(path, &e), OBS_OK);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_OK);
    while (ring.n < OBS_KEYRING_MAX)
        assert_int_equal(obs_keyring_append(path, &ring, &e), OBS_OK);
    assert_int_equal(obs_keyring_append(path, &ring, &e), OBS_ERR_CONFLICT);
    assert_string_equal(e.code, "E_KEYRING_FULL");
    assert_int_equal(size_of(path), OBS_KEYRING_MAX * 32);
    assert_int_equal(obs_keyring_load(path, &ring, &e), OBS_OK);
    assert_int_equal(ring.n, OBS_KEYRING_MAX);
    obs_keyring_wipe(&ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_grows_the_chain),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_full_chain),
    };
    return cmocka_run_group_tests_name("keyring", tests, setup, teardown);
}
