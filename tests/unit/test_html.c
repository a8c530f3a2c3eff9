/* test_html.c: the escaping writer, French formats, templates, SVG charts, the form parsers
 * and the password hashes of the web pages (exporters/html.c, svg.c, web_form.c,
 * web_password.c). */
#include "testutil.h"

#include <libxml/parser.h>
#include <string.h>

#include "html.h"
#include "svg.h"
#include "web.h"
#include "web_form.h"

/* Write with fn into a fresh buffer; the caller frees the result. */
#define WRITE(expr)                                                                           \
    ({                                                                                        \
        obs_buf b_;                                                                           \
        obs_buf_init(&b_, 0);                                                                 \
        exp_html h_;                                                                          \
        exp_html_init(&h_, &b_);                                                              \
        exp_html *h = &h_;                                                                    \
        expr;                                                                                 \
        assert_int_equal(h_.rc, OBS_OK);                                                      \
        char *s_ = obs_buf_steal(&b_);                                                        \
        s_ ? s_ : strdup("");                                                                 \
    })

static void test_escape_text_and_attr(void **state)
{
    (void)state;
    char *s = WRITE(exp_html_text(h, "<script>alert('x') & \"y\"</script>"));
    assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    free(s);
    s = WRITE(exp_html_raw(h, "<a"); exp_html_attr(h, "title", "\" onmouseover=\"x"));
    assert_string_equal(s, "<a title=\"&quot; onmouseover=&quot;x\"");
    free(s);
    /* Control characters are dropped (tab and line breaks kept), invalid UTF-8 replaced. */
    s = WRITE(exp_html_text(h, "a\x01" "b\tc\nd\x7f" "e \xC3\xA9 \xFF \xC3"));
    assert_string_equal(s, "ab\tc\nde \xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD");
    free(s);
    /* Overlong forms and surrogates are not UTF-8 either. */
    s = WRITE(exp_html_text(h, "\xC0\xBC" "\xED\xA0\x80"));
    assert_null(strchr(s, '<'));
    assert_non_null(strstr(s, "\xEF\xBF\xBD"));
    free(s);
    s = WRITE(exp_html_text(h, NULL); exp_html_attr(h, "x", NULL); exp_html_num(h, "%d", 42));
    assert_string_equal(s, "42");
    free(s);
}

static void test_french_formats(void **state)
{
    (void)state;
    char out[40];
    exp_fmt_count(1234567, out, sizeof out);
    assert_string_equal(out, "1\xE2\x80\xAF" "234\xE2\x80\xAF" "567");
    exp_fmt_count(999, out, sizeof out);
    assert_string_equal(out, "999");
    exp_fmt_pct(48.26, out, sizeof out);
    assert_string_equal(out, "48,3\xC2\xA0%");
    exp_fmt_pct(100, out, sizeof out);
    assert_string_equal(out, "100,0\xC2\xA0%");
}

static void test_template(void **state)
{
    (void)state;
    const exp_tpl_var vars[] = {{"title", "<b>Titre</b>", NULL},
                                {"css", NULL, "p{}"},
                                {"nav", NULL, "<nav></nav>"},
                                {"main", NULL, "<p>corps</p>"},
                                {"footer", "pied & fin", NULL}};
    char *s = WRITE(exp_html_template(h, "layout.html", vars, 5));
    assert_non_null(strstr(s, "<title>&lt;b&gt;Titre&lt;/b&gt; — Observatoire"));
    assert_non_null(strstr(s, "<p>corps</p>"));
    assert_non_null(strstr(s, "pied &amp; fin"));
    assert_null(strstr(s, "{{"));
    xmlDocPtr d = xmlReadMemory(s, (int)strlen(s), "t.html", "UTF-8", XML_PARSE_NONET);
    assert_non_null(d);
    xmlFreeDoc(d);
    free(s);
    /* A variable nobody gives is our bug, reported. */
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_html h;
    exp_html_init(&h, &b);
    exp_html_template(&h, "layout.html", vars, 2);
    assert_int_equal(h.rc, OBS_ERR_INTERNAL);
    exp_html_init(&h, &b);
    exp_html_template(&h, "nope.html", vars, 5);
    assert_int_equal(h.rc, OBS_ERR_INTERNAL);
    obs_buf_free(&b);
    assert_non_null(exp_template_text("style.css"));
    assert_null(strchr(exp_template_text("style.css"), '<')); /* safe inside <style> */
}

static void test_svg(void **state)
{
    (void)state;
    exp_datum d[3] = {{.label = "Violences <conjugales>", .shown = 1, .value = 31.4},
                      {.label = "Radicalisation", .shown = 0, .secret = 1},
                      {.label = "Autre", .shown = 1, .value = 0}};
    snprintf(d[0].text, sizeof d[0].text, "31,4 %%");
    snprintf(d[1].text, sizeof d[1].text, "secret statistique");
    snprintf(d[2].text, sizeof d[2].text, "0,0 %%");
    snprintf(d[0].key, sizeof d[0].key, "K.publie");
    snprintf(d[1].key, sizeof d[1].key, "K.secret");
    char *s = WRITE(exp_svg_bars(h, "g-x", "Titre", "Description", d, 3, 0));
    xmlDocPtr doc = xmlReadMemory(s, (int)strlen(s), "s.svg", "UTF-8", XML_PARSE_NONET);
    assert_non_null(doc);
    xmlFreeDoc(doc);
    assert_non_null(strstr(s, "role=\"img\""));
    assert_non_null(strstr(s, "aria-labelledby=\"g-x-titre g-x-desc\""));
    assert_non_null(strstr(s, "<title id=\"g-x-titre\">Titre</title>"));
    assert_non_null(strstr(s, "Violences &lt;conjugales&gt;"));
    assert_non_null(strstr(s, "secret statistique"));
    /* Two bars only: the withheld datum has none. */
    size_t bars = 0;
    for (const char *p = s; (p = strstr(p, "<rect")) != NULL; p++)
        bars++;
    assert_int_equal(bars, 2);
    /* Each datum's elements carry its key (label and value or note; a bar when published). */
    assert_non_null(strstr(s, "<rect class=\"barre\" data-key=\"K.publie\""));
    assert_non_null(strstr(s, "<text class=\"secret-txt\" data-key=\"K.secret\""));
    assert_null(strstr(s, "<rect class=\"barre\" data-key=\"K.secret\""));
    size_t keyed = 0;
    for (const char *p = s; (p = strstr(p, "data-key=\"K.")) != NULL; p++)
        keyed++;
    assert_int_equal(keyed, 5); /* label + bar + value, label + note; none for the third */
    free(s);
    s = WRITE(exp_svg_line(h, "g-l", "Courbe", "Desc", d, 3, 1));
    doc = xmlReadMemory(s, (int)strlen(s), "l.svg", "UTF-8", XML_PARSE_NONET);
    assert_non_null(doc);
    xmlFreeDoc(doc);
    assert_non_null(strstr(s, "<polyline"));
    assert_non_null(strstr(s, ">s<title>"));
    free(s);
    assert_true(exp_svg_nice_max(0) == 1.0);
    assert_true(exp_svg_nice_max(37) == 50.0);
    assert_true(exp_svg_nice_max(2300) == 2500.0);
}

static void test_form_urlencoded(void **state)
{
    (void)state;
    exp_form f;
    obs_err e;
    const char *body = "csrf=ab%2Fcd&identifiant=Marie+Dupont&secret=p%C3%A9&vide=&x";
    assert_int_equal(exp_form_parse("application/x-www-form-urlencoded", body, strlen(body), &f, &e),
                     OBS_OK);
    assert_string_equal(exp_form_get(&f, "csrf"), "ab/cd");
    assert_string_equal(exp_form_get(&f, "identifiant"), "Marie Dupont");
    assert_string_equal(exp_form_get(&f, "secret"), "p\xC3\xA9");
    assert_string_equal(exp_form_get(&f, "vide"), "");
    assert_null(exp_form_get(&f, "absent"));
    exp_form_free(&f);
    /* Malformed escapes, too many fields, another type. */
    assert_int_equal(exp_form_parse("application/x-www-form-urlencoded", "a=%G1", 5, &f, &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
    assert_int_equal(exp_form_parse("application/x-www-form-urlencoded", "a=%4", 4, &f, &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
    char many[400] = "";
    for (int i = 0; i < 20; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "f%d=1&", i);
    assert_int_equal(exp_form_parse("application/x-www-form-urlencoded", many, strlen(many), &f, &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
    assert_int_equal(exp_form_parse("text/plain", "a=b", 3, &f, &e), OBS_ERR_INPUT);
    exp_form_free(&f);
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
    exp_form f;
    obs_err e;
    assert_int_equal(exp_form_parse("multipart/form-data; boundary=XyZ", body, strlen(body), &f, &e),
                     OBS_OK);
    assert_string_equal(exp_form_get(&f, "csrf"), "abc");
    assert_string_equal(exp_form_get(&f, "mois"), "2026-03");
    const exp_field *g = exp_form_field(&f, "grille");
    assert_non_null(g);
    assert_null(g->value);
    assert_string_equal(g->filename, "mars.csv");
    assert_string_equal(g->ctype, "text/csv");
    assert_int_equal(g->len, 10);
    assert_memory_equal(g->data, "a;b\r\n1;2\r\n", 10);
    assert_null(exp_form_get(&f, "grille")); /* a file is not a text value */
    exp_form_free(&f);
    /* Quoted boundary; no closing delimiter; no boundary; truncated part. */
    assert_int_equal(exp_form_parse("multipart/form-data; boundary=\"XyZ\"", body, strlen(body), &f,
                                    &e),
                     OBS_OK);
    exp_form_free(&f);
    assert_int_equal(exp_form_parse("multipart/form-data; boundary=XyZ", body, 60, &f, &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
    assert_int_equal(exp_form_parse("multipart/form-data", body, strlen(body), &f, &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
    assert_int_equal(exp_form_parse("multipart/form-data; boundary=Other", body, strlen(body), &f,
                                    &e),
                     OBS_ERR_INPUT);
    exp_form_free(&f);
}

static void test_password(void **state)
{
    (void)state;
    char phc[160], phc2[160];
    obs_err e;
    assert_int_equal(exp_password_hash("mot de passe é", phc, sizeof phc, &e), OBS_OK);
    assert_int_equal(strncmp(phc, "$scrypt$ln=15,r=8,p=1$", 22), 0);
    assert_true(exp_password_verify("mot de passe é", phc));
    assert_false(exp_password_verify("mot de passe e", phc));
    assert_int_equal(exp_password_hash("mot de passe é", phc2, sizeof phc2, &e), OBS_OK);
    assert_string_not_equal(phc, phc2); /* a new salt each time */
    assert_false(exp_password_verify("x", "$scrypt$ln=40,r=8,p=1$AAAA$AAAA"));
    assert_false(exp_password_verify("x", "plain"));
    assert_false(exp_password_verify("x", NULL));
    assert_int_equal(exp_password_hash("", phc, sizeof phc, &e), OBS_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_text_and_attr), cmocka_unit_test(test_french_formats),
        cmocka_unit_test(test_template),             cmocka_unit_test(test_svg),
        cmocka_unit_test(test_form_urlencoded),      cmocka_unit_test(test_form_multipart),
        cmocka_unit_test(test_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
