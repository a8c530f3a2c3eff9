/* test_html.c: the escaping writer, French formats, templates and SVG charts
 * (exporters/html/html.c, svg.c). The form parsers and passwords: test_web_form.c. */
#include "testutil.h"

#include <libxml/parser.h>
#include <string.h>

#include "html.h"
#include "svg.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_text_and_attr), cmocka_unit_test(test_french_formats),
        cmocka_unit_test(test_template),             cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
