/* test_web_form.c: the form parsers (urlencoded and multipart) and the password hashes of the
 * browser front (web/web_form.c, web/web_password.c). */
#include "testutil.h"

#include <string.h>

#include "web.h"
#include "web_form.h"

static void test_form_urlencoded(void **state)
{
    (void)state;
    web_form f;
    obs_err e;
    const char *body = "csrf=ab%2Fcd&identifiant=Marie+Dupont&secret=p%C3%A9&vide=&x";
    assert_int_equal(web_form_parse("application/x-www-form-urlencoded", body, strlen(body), &f, &e),
                     OBS_OK);
    assert_string_equal(web_form_get(&f, "csrf"), "ab/cd");
    assert_string_equal(web_form_get(&f, "identifiant"), "Marie Dupont");
    assert_string_equal(web_form_get(&f, "secret"), "p\xC3\xA9");
    assert_string_equal(web_form_get(&f, "vide"), "");
    assert_null(web_form_get(&f, "absent"));
    web_form_free(&f);
    /* Malformed escapes, too many fields, another type. */
    assert_int_equal(web_form_parse("application/x-www-form-urlencoded", "a=%G1", 5, &f, &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
    assert_int_equal(web_form_parse("application/x-www-form-urlencoded", "a=%4", 4, &f, &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
    char many[400] = "";
    for (int i = 0; i < 20; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "f%d=1&", i);
    assert_int_equal(web_form_parse("application/x-www-form-urlencoded", many, strlen(many), &f, &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
    assert_int_equal(web_form_parse("text/plain", "a=b", 3, &f, &e), OBS_ERR_INPUT);
    web_form_free(&f);
}

static void test_form_multipart(void **state)
{
    (void)state;
    const char *body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=\"grille\"; "
                       "filename=\"mars.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                       "a;b\r\n1;2\r\n\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=\"mois\"\r\n\r\n2026-03\r\n"
                       "--XyZ--\r\n";
    web_form f;
    obs_err e;
    assert_int_equal(web_form_parse("multipart/form-data; boundary=XyZ", body, strlen(body), &f, &e),
                     OBS_OK);
    assert_string_equal(web_form_get(&f, "csrf"), "abc");
    assert_string_equal(web_form_get(&f, "mois"), "2026-03");
    const web_field *g = web_form_field(&f, "grille");
    assert_non_null(g);
    assert_null(g->value);
    assert_string_equal(g->filename, "mars.csv");
    assert_string_equal(g->ctype, "text/csv");
    assert_int_equal(g->len, 10);
    assert_memory_equal(g->data, "a;b\r\n1;2\r\n", 10);
    assert_null(web_form_get(&f, "grille")); /* a file is not a text value */
    web_form_free(&f);
    /* Quoted boundary; no closing delimiter; no boundary; truncated part. */
    assert_int_equal(web_form_parse("multipart/form-data; boundary=\"XyZ\"", body, strlen(body), &f,
                                    &e),
                     OBS_OK);
    web_form_free(&f);
    assert_int_equal(web_form_parse("multipart/form-data; boundary=XyZ", body, 60, &f, &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
    assert_int_equal(web_form_parse("multipart/form-data", body, strlen(body), &f, &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
    assert_int_equal(web_form_parse("multipart/form-data; boundary=Other", body, strlen(body), &f,
                                    &e),
                     OBS_ERR_INPUT);
    web_form_free(&f);
}

static void test_password(void **state)
{
    (void)state;
    char phc[160], phc2[160];
    obs_err e;
    assert_int_equal(web_password_hash("mot de passe é", phc, sizeof phc, &e), OBS_OK);
    assert_int_equal(strncmp(phc, "$scrypt$ln=15,r=8,p=1$", 22), 0);
    assert_true(web_password_verify("mot de passe é", phc));
    assert_false(web_password_verify("mot de passe e", phc));
    assert_int_equal(web_password_hash("mot de passe é", phc2, sizeof phc2, &e), OBS_OK);
    assert_string_not_equal(phc, phc2); /* a new salt each time */
    assert_false(web_password_verify("x", "$scrypt$ln=40,r=8,p=1$AAAA$AAAA"));
    assert_false(web_password_verify("x", "plain"));
    assert_false(web_password_verify("x", NULL));
    assert_int_equal(web_password_hash("", phc, sizeof phc, &e), OBS_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_urlencoded),
        cmocka_unit_test(test_form_multipart),
        cmocka_unit_test(test_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
