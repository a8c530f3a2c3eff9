/* test_publish.c: signed publications (issue 12, point 3; docs/privacy.md, "Signed
 * publications"), against a real server and the real CLI on a small demonstration year:
 *  - every file `iscgobs export csv|html` writes has FILE.sig, the folder a SHA256SUMS listing
 *    them, itself signed; the stock `openssl pkeyutl -verify -rawin` and `sha256sum -c` accept
 *    them with the public key printed by `iscgobs publication-key`, and so does
 *    `iscgobs verify` (with the configured key or --key PEM);
 *  - one changed byte fails `openssl`, `iscgobs verify FILE` and `iscgobs verify SHA256SUMS`;
 *    the byte put back, all pass again; a foreign key fails;
 *  - GET /publication-key.pem (anonymous) serves the same PEM as `iscgobs publication-key`,
 *    which is the public half of the key file (`openssl pkey -pubout`);
 *  - the signing key file is mode 0600; readable by others, `export` refuses and writes
 *    nothing. */
#include "web_client.h"

#include <sys/stat.h>

static it_server S;
static char tok_admin[80];
static char year[16], out[800], keypem[800], csv[1000];

/* Run a shell command line (fmt, printf-style); its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* `openssl pkeyutl -verify` of path with the public key file pem: its exit status. */
static int openssl_verify(const char *pem, const char *path)
{
    return sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s.sig' "
              ">/dev/null 2>&1", pem, path, path);
}

static int verify(const char *path, const char *key)
{
    const char *args[] = {"verify", path, key ? "--key" : NULL, key, NULL};
    return it_cli(&S, NULL, 0, args);
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_publish");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_start(&S, NULL);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900 - 1);
    char demo[700], reg[800];
    snprintf(demo, sizeof demo, "%s/demo", S.dir);
    snprintf(reg, sizeof reg, "%s/posts.csv", demo);
    snprintf(out, sizeof out, "%s/export", S.dir);
    snprintf(keypem, sizeof keypem, "%s/publication-key.pem", S.dir);
    snprintf(csv, sizeof csv, "%s/ISCG_INDICATEURS_%s.csv", out, year);
    if (it_cli(&S, NULL, 0, (const char *[]){"demo", "--out", demo, "--posts", "2", "--year",
                                             year, "--seed", "7", NULL}) ||
        it_cli(&S, NULL, 0, (const char *[]){"post", "import", reg, NULL}) ||
        it_cli(&S, NULL, 0, (const char *[]){"upload", demo, "--url", S.base, "--token",
                                             tok_admin, "--jobs", "2", NULL}))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

static void test_signed_export(void **state)
{
    (void)state;
    char month[32];
    snprintf(month, sizeof month, "%s-03", year);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "csv", "--period", year,
                                                          "--out", out, NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "html", "--period", month,
                                                          "--out", out, NULL}), 0);
    /* The public key, as a reader gets it. */
    char pem[1024];
    assert_int_equal(it_cli(&S, pem, sizeof pem, (const char *[]){"publication-key", NULL}), 0);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    FILE *f = fopen(keypem, "w");
    assert_non_null(f);
    fputs(pem, f);
    fclose(f);

    /* Each file and the manifest: openssl, sha256sum -c and iscgobs verify accept them. */
    char html[1000], sums[1000];
    snprintf(html, sizeof html, "%s/synthese-mensuelle-%s.html", out, month);
    snprintf(sums, sizeof sums, "%s/SHA256SUMS", out);
    const char *files[] = {csv, html, sums};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(openssl_verify(keypem, files[i]), 0);
        assert_int_equal(verify(files[i], NULL), 0);
        assert_int_equal(verify(files[i], keypem), 0);
    }
    char *manifest = it_read_file(sums, NULL);
    assert_non_null(strstr(manifest, "  ISCG_INDICATEURS_"));
    assert_non_null(strstr(manifest, "  synthese-mensuelle-"));
    assert_null(strstr(manifest, ".sig"));
    int lines = 0;
    for (char *p = manifest; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2); /* the two files written, nothing else */
    free(manifest);
    assert_int_equal(sh("cd '%s' && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1", out), 0);

    /* A foreign Ed25519 key verifies nothing. */
    char foreign[900], foreign_pub[900];
    snprintf(foreign, sizeof foreign, "%s/foreign.key", S.dir);
    snprintf(foreign_pub, sizeof foreign_pub, "%s/foreign.pem", S.dir);
    assert_int_equal(sh("openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && "
                        "openssl pkey -in '%s' -pubout -out '%s'", foreign, foreign, foreign_pub), 0);
    assert_int_not_equal(openssl_verify(foreign_pub, csv), 0);
    assert_int_equal(verify(csv, foreign_pub), 1);
}

/* Flip the byte at the middle of path (again to put it back). */
static void flip_middle(const char *path)
{
    size_t len;
    char *b = it_read_file(path, &len);
    assert_true(len > 10);
    b[len / 2] ^= 0x01;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
}

static void test_one_byte_fails(void **state)
{
    (void)state;
    char sums[1000];
    snprintf(sums, sizeof sums, "%s/SHA256SUMS", out);
    flip_middle(csv);
    assert_int_not_equal(openssl_verify(keypem, csv), 0);
    assert_int_equal(verify(csv, NULL), 1);
    assert_int_equal(verify(csv, keypem), 1);
    assert_int_equal(verify(sums, NULL), 1); /* the manifest is intact, the file's sum not */
    assert_int_equal(openssl_verify(keypem, sums), 0);
    flip_middle(csv);
    assert_int_equal(openssl_verify(keypem, csv), 0);
    assert_int_equal(verify(csv, NULL), 0);
    assert_int_equal(verify(sums, NULL), 0);
    /* A changed manifest fails its own signature. */
    flip_middle(sums);
    assert_int_not_equal(openssl_verify(keypem, sums), 0);
    assert_int_equal(verify(sums, NULL), 1);
    flip_middle(sums);
    assert_int_equal(verify(sums, NULL), 0);
}

static void test_public_key_route(void **state)
{
    (void)state;
    char pem[1024];
    assert_int_equal(it_cli(&S, pem, sizeof pem, (const char *[]){"publication-key", NULL}), 0);
    it_resp r;
    it_http(&S, "GET", "/publication-key.pem", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/x-pem-file");
    assert_string_equal(r.body, pem);
    it_resp_free(&r);
    /* The key file is standard PKCS#8: openssl derives the same public key from it. */
    char derived[1024], path[900];
    snprintf(path, sizeof path, "%s/derived.pem", S.dir);
    assert_int_equal(sh("openssl pkey -in '%s/signing.key' -pubout -out '%s'", S.dir, path), 0);
    char *d = it_read_file(path, NULL);
    snprintf(derived, sizeof derived, "%s", d);
    free(d);
    assert_string_equal(derived, pem);
}

static void test_key_file_mode(void **state)
{
    (void)state;
    char key[900], out2[900];
    snprintf(key, sizeof key, "%s/signing.key", S.dir);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Never overwritten. */
    assert_int_not_equal(it_cli(&S, NULL, 0, (const char *[]){"keygen", "--signing", NULL}), 0);
    /* Readable by others: refused before anything is written. */
    chmod(key, 0644);
    snprintf(out2, sizeof out2, "%s/export2", S.dir);
    assert_int_not_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "csv", "--period", year,
                                                              "--out", out2, NULL}), 0);
    assert_int_not_equal(access(out2, F_OK), 0);
    assert_int_not_equal(it_cli(&S, NULL, 0, (const char *[]){"publication-key", NULL}), 0);
    chmod(key, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_export),
        cmocka_unit_test(test_one_byte_fails),
        cmocka_unit_test(test_public_key_route),
        cmocka_unit_test(test_key_file_mode),
    };
    int failed = cmocka_run_group_tests_name("integration_publish", tests, setup, teardown);
    return failed || it_stop_failures;
}
