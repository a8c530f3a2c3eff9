/* test_crypto.c: HMAC (RFC 4231 vector), pseudonyms, key files, tokens, hex, configuration. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "keyring.h"
#include "pseudonym.h"
#include "ref.h"

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    /* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" */
    obs_hmac *h = obs_hmac_new((const uint8_t *)"Jefe", 4);
    assert_non_null(h);
    uint8_t out[32];
    char hex[65];
    for (int i = 0; i < 3; i++) { /* the context is reused: same answer every time */
        assert_int_equal(obs_hmac_compute(h, "what do ya want for nothing?", 28, out), OBS_OK);
        obs_hex(out, 32, hex);
        assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    obs_hmac_free(h);
}

static void test_pseudonyms(void **state)
{
    (void)state;
    uint8_t key[32];
    memset(key, 7, sizeof key);
    obs_hmac *h = obs_hmac_new(key, sizeof key);
    obs_buf scratch;
    obs_buf_init(&scratch, 4096);
    uint8_t a[16], b[16], c[16], d[16], x[16];
    assert_int_equal(col_pseudonym(h, "ISCG-093-01", "Dupont  Marie", &scratch, a), OBS_OK);
    assert_int_equal(col_pseudonym(h, "ISCG-093-01", "DUPONT marie", &scratch, b), OBS_OK);
    assert_int_equal(col_pseudonym(h, "ISCG-093-01", "dupont-marie", &scratch, c), OBS_OK);
    assert_int_equal(col_pseudonym(h, "ISCG-094-01", "Dupont Marie", &scratch, d), OBS_OK);
    assert_int_equal(col_pseudonym(h, "ISCG-093-01", "Dupont Mario", &scratch, x), OBS_OK);
    assert_memory_equal(a, b, 16);
    assert_memory_equal(a, c, 16);
    assert_memory_not_equal(a, d, 16); /* references are local to a post */
    assert_memory_not_equal(a, x, 16);
    /* The definition: HMAC-SHA256(key, "1|" + post + "|" + normalised) truncated to 128 bits. */
    uint8_t full[32];
    const char *msg = "1|ISCG-093-01|DUPONT MARIE";
    assert_int_equal(obs_hmac_compute(h, msg, strlen(msg), full), OBS_OK);
    assert_memory_equal(a, full, 16);
    /* the scratch buffer that held the folded reference no longer holds it */
    assert_null(memmem(scratch.data, scratch.cap, "DUPONT", 6));
    assert_null(memmem(scratch.data, scratch.cap, "ISCG-093-01", 11));
    obs_buf_wipe(&scratch);
    obs_hmac_free(h);
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/iscgobs-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/k", dir);
    obs_err e;
    obs_key k, k2;
    assert_int_equal(obs_key_load(path, &k, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_MISSING");
    assert_int_equal(obs_key_generate(path, &e), OBS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    assert_int_equal(obs_key_generate(path, &e), OBS_ERR_CONFLICT); /* never overwritten */
    assert_int_equal(obs_key_load(path, &k, &e), OBS_OK);
    assert_int_equal(obs_key_load(path, &k2, &e), OBS_OK);
    assert_memory_equal(k.fingerprint, k2.fingerprint, 32);
    assert_memory_not_equal(k.fingerprint, k.secret, 32);
    chmod(path, 0640);
    assert_int_equal(obs_key_load(path, &k, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_PERMISSIONS");
    chmod(path, 0604);
    assert_int_equal(obs_key_load(path, &k, &e), OBS_ERR_INPUT);
    chmod(path, 0600);
    FILE *f = fopen(path, "ab");
    fputc('x', f);
    fclose(f);
    assert_int_equal(obs_key_load(path, &k, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_FORMAT");
    unlink(path);
    rmdir(dir);
}

static void test_tokens_and_hex(void **state)
{
    (void)state;
    char t1[65], t2[65];
    assert_int_equal(obs_token_new(t1), OBS_OK);
    assert_int_equal(obs_token_new(t2), OBS_OK);
    assert_int_equal(strlen(t1), 64);
    assert_string_not_equal(t1, t2);
    uint8_t raw[32];
    assert_int_equal(obs_unhex(t1, raw, 32), OBS_OK);
    char back[65];
    obs_hex(raw, 32, back);
    assert_string_equal(back, t1);
    assert_int_equal(obs_unhex("zz", raw, 1), OBS_ERR_INPUT);
    assert_true(obs_ct_equal("abc", "abc", 3));
    assert_false(obs_ct_equal("abc", "abd", 3));
}

static void test_config(void **state)
{
    (void)state;
    obs_config c;
    obs_err e;
    unsetenv("ISCGOBS_DATABASE_URL");
    setenv("ISCGOBS_VAR", "/srv/obs", 1);
    setenv("ISCGOBS_LISTEN", "0.0.0.0:9090", 1);
    setenv("ISCGOBS_SDC_K", "5", 1);
    assert_int_equal(obs_config_load(&c, &e), OBS_OK);
    assert_string_equal(c.database_url, "host=/srv/obs/pg/run dbname=iscgobs user=iscgobs");
    assert_string_equal(c.key_file, "/srv/obs/pseudonym.key");
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9090);
    assert_int_equal(c.sdc_k, 5);
    assert_int_equal(c.lock_months, 3);
    assert_int_equal(c.max_upload, 10485760);
    assert_int_equal(c.sdmx_max_obs, 5000000);
    setenv("ISCGOBS_SDMX_MAX_OBS", "10", 1);
    assert_int_equal(obs_config_load(&c, &e), OBS_OK);
    assert_int_equal(c.sdmx_max_obs, 10);
    setenv("ISCGOBS_SDMX_MAX_OBS", "0", 1);
    assert_int_equal(obs_config_load(&c, &e), OBS_ERR_INPUT);
    assert_non_null(strstr(e.msg, "ISCGOBS_SDMX_MAX_OBS"));
    unsetenv("ISCGOBS_SDMX_MAX_OBS");
    setenv("ISCGOBS_LISTEN", "nowhere", 1);
    assert_int_equal(obs_config_load(&c, &e), OBS_ERR_INPUT);
    setenv("ISCGOBS_LISTEN", "127.0.0.1:8080", 1);
    setenv("ISCGOBS_SDC_K", "onze", 1);
    assert_int_equal(obs_config_load(&c, &e), OBS_ERR_INPUT);
    assert_non_null(strstr(e.msg, "ISCGOBS_SDC_K"));
    unsetenv("ISCGOBS_SDC_K");
    unsetenv("ISCGOBS_VAR");
    unsetenv("ISCGOBS_LISTEN");
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231), cmocka_unit_test(test_pseudonyms),
        cmocka_unit_test(test_key_files),    cmocka_unit_test(test_tokens_and_hex),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
