/* test_sign.c: common/sign.c without a database: a new key file (mode 0600, never
 * overwritten, refused when others may read it), signing and checking data and files, one
 * changed byte, a public-only key that verifies but cannot sign, an empty file. */
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign.h"

static char dir[] = "/tmp/iscgobs-sign-XXXXXX";
static char key[200], pub[200], file[200];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_key_file(void **state)
{
    (void)state;
    obs_err e;
    struct stat st;
    assert_int_equal(obs_sign_keygen(key, &e), OBS_OK);
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(obs_sign_keygen(key, &e), OBS_ERR_CONFLICT);
    assert_string_equal(e.code, "E_SIGNING_KEY_EXISTS");
    chmod(key, 0640);
    obs_signer *s = NULL;
    assert_int_equal(obs_sign_load(key, &s, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_KEY_PERMISSIONS");
    assert_null(s);
    chmod(key, 0600);
    write_text(file, "pas une clé\n");
    chmod(file, 0600);
    assert_int_equal(obs_sign_load(file, &s, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SIGNING_KEY_FORMAT");
    assert_int_equal(obs_sign_load("/nonexistent/signing.key", &s, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SIGNING_KEY_MISSING");
}

static void test_sign_and_check(void **state)
{
    (void)state;
    obs_err e;
    obs_signer *s = NULL, *p = NULL;
    assert_int_equal(obs_sign_load(key, &s, &e), OBS_OK);
    char *pem = obs_sign_public_pem(s);
    assert_non_null(pem);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    write_text(pub, pem);
    free(pem);
    assert_int_equal(obs_sign_load_public(pub, &p, &e), OBS_OK);

    uint8_t sig[OBS_SIG_LEN];
    char msg[] = "NB_PERSONNES;FR;2025;1234\n";
    assert_int_equal(obs_sign_data(s, msg, strlen(msg), sig, &e), OBS_OK);
    assert_true(obs_sign_check(p, msg, strlen(msg), sig, sizeof sig));
    assert_false(obs_sign_check(p, msg, strlen(msg), sig, sizeof sig - 1));
    msg[5] ^= 1;
    assert_false(obs_sign_check(p, msg, strlen(msg), sig, sizeof sig));
    assert_int_equal(obs_sign_data(p, msg, strlen(msg), sig, &e), OBS_ERR_INTERNAL);

    /* Files: signed, checked, one byte changed, an empty file. */
    write_text(file, "structure\n");
    assert_int_equal(obs_sign_verify_file(p, file, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SIGNATURE_MISSING");
    assert_int_equal(obs_sign_file(s, file, &e), OBS_OK);
    assert_int_equal(obs_sign_verify_file(p, file, &e), OBS_OK);
    write_text(file, "structurf\n");
    assert_int_equal(obs_sign_verify_file(p, file, &e), OBS_ERR_INPUT);
    assert_string_equal(e.code, "E_SIGNATURE_BAD");
    write_text(file, "");
    assert_int_equal(obs_sign_file(s, file, &e), OBS_OK);
    assert_int_equal(obs_sign_verify_file(s, file, &e), OBS_OK);
    obs_signer_free(p);
    obs_signer_free(s);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(key, sizeof key, "%s/signing.key", dir);
    snprintf(pub, sizeof pub, "%s/key.pem", dir);
    snprintf(file, sizeof file, "%s/file.csv", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_sign_and_check),
    };
    int failed = cmocka_run_group_tests_name("sign", tests, NULL, NULL);
    char sig[220];
    snprintf(sig, sizeof sig, "%s.sig", file);
    unlink(sig);
    unlink(file);
    unlink(pub);
    unlink(key);
    rmdir(dir);
    return failed;
}
