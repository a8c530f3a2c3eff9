/* test_xml.c: the XML grid parser (collector/grid_xml.c): schema, entities, cells, lines. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grid.h"
#include "ref.h"

#define GRIDS "tests/data/grids/"

static obs_status parse_file(const char *name, col_table *t, col_report *r)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, GRIDS "%s", name);
    char *d = test_slurp(path, &len);
    col_table_init(t);
    col_report_init(r);
    obs_status rc = col_xml_parse(d, len, t, r);
    free(d);
    return rc;
}

static obs_status parse_str(const char *s, col_table *t, col_report *r)
{
    col_table_init(t);
    col_report_init(r);
    return col_xml_parse(s, strlen(s), t, r);
}

static void done(col_table *t, col_report *r)
{
    col_table_free(t);
    col_report_free(r);
}

static void only_issue(const col_report *r, const char *code, int line, const char *column)
{
    assert_int_equal(r->n, 1);
    assert_string_equal(r->items[0].code, code);
    assert_int_equal(r->items[0].line, line);
    assert_string_equal(r->items[0].column, column);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define GRILLE "<grille xmlns=\"urn:fr:iscg:grille:1\" poste=\"ISCG-093-01\" periode=\"2026-03\">\n"
#define CONTACT(ref)                                                                               \
    "<contact><date_contact>2026-03-10</date_contact><ref_personne>" ref "</ref_personne>"         \
    "<sexe>F</sexe><statut>VICTIME</statut><origine>BPF</origine><connu_ss>OUI</connu_ss>"         \
    "<problematique>VIOL_CONJ</problematique><mode>BUREAU</mode></contact>\n"

static void test_valid(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_grid.xml", &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_string_equal(t.post, "ISCG-093-01");
    assert_string_equal(t.period, "2026-03");
    assert_int_equal(t.n, 2);
    for (int f = 0; f < COL_NFIELDS; f++)
        assert_true(t.present[f]);
    assert_int_equal(t.rows[0].line, 3); /* the <contact> element */
    assert_int_equal(t.rows[1].line, 19);
    assert_string_equal(col_table_cell(&t, 0, COL_DATE_CONTACT), "2026-03-02");
    assert_string_equal(col_table_cell(&t, 0, COL_PROBLEMATIQUES), "VIOL_CONJ|LOGEMENT");
    assert_string_equal(col_table_cell(&t, 0, COL_ORIENTATIONS), "AIDE_VICTIMES|HEBERGEMENT");
    assert_null(col_table_cell(&t, 0, COL_COMMENTAIRE)); /* never copied */
    assert_string_equal(col_table_cell(&t, 1, COL_REF_PERSONNE), "Martin & Paul");
    assert_string_equal(col_table_cell(&t, 1, COL_DATE_NAISSANCE), "1951");
    assert_null(col_table_cell(&t, 1, COL_CODE_POSTAL));
    assert_null(col_table_cell(&t, 1, COL_ORIENTATIONS));
    assert_string_equal(col_table_cell(&t, 1, COL_PROBLEMATIQUES),
                        "VULNERABILITE|SANTE_MENTALE|vulnerabilite");
    done(&t, &r);
    assert_int_equal(parse_file("valid_empty.xml", &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 0);
    assert_string_equal(t.post, "ISCG-093-01");
    done(&t, &r);
}

static void test_text_forms(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    /* CDATA, character references, a comment inside a value, ISO-8859-1 declared */
    const char *xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" GRILLE CONTACT(
        "<![CDATA[Dupont <Marie>]]> &#233;t\xe9<!-- x -->!") "</grille>\n";
    assert_int_equal(parse_str(xml, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_string_equal(col_table_cell(&t, 0, COL_REF_PERSONNE), "Dupont <Marie> été!");
    done(&t, &r);
}

static void test_entities_refused(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("invalid_xml_xxe.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_ENTITY", 2, "");
    assert_int_equal(t.n, 0);
    done(&t, &r);
    clock_t c0 = clock();
    assert_int_equal(parse_file("invalid_xml_billion_laughs.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_ENTITY", 2, "");
    assert_true((double)(clock() - c0) / CLOCKS_PER_SEC < 1.0);
    done(&t, &r);
    /* any DOCTYPE, even without entities, and an external DTD that must not be fetched */
    assert_int_equal(parse_str(HEAD "<!DOCTYPE grille>\n" GRILLE "</grille>\n", &t, &r),
                     OBS_ERR_INPUT);
    only_issue(&r, "E_XML_ENTITY", 2, "");
    done(&t, &r);
    assert_int_equal(parse_str(HEAD
                               "\n<!DOCTYPE grille SYSTEM \"http://203.0.113.1/g.dtd\">\n" GRILLE
                               "</grille>\n",
                               &t, &r),
                     OBS_ERR_INPUT);
    only_issue(&r, "E_XML_ENTITY", 3, "");
    done(&t, &r);
    /* an entity reference without declaration is a syntax error, never a fetch */
    assert_int_equal(parse_str(HEAD GRILLE CONTACT("&xxe;") "</grille>\n", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SYNTAX", 3, "");
    done(&t, &r);
}

static void test_syntax(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("invalid_xml_syntax.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SYNTAX", 22, "");
    assert_non_null(strstr(r.items[0].message, "statut line 17"));
    done(&t, &r);
    assert_int_equal(parse_file("invalid_xml_truncated.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SYNTAX", 18, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_xml_not_xml.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SYNTAX", 1, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_xml_empty.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_EMPTY", 0, "");
    done(&t, &r);
    assert_int_equal(parse_str("  \n", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_EMPTY", 0, "");
    done(&t, &r);
}

static void test_schema(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("invalid_xml_schema.xml", &t, &r), OBS_ERR_INPUT);
    assert_int_equal(r.n, 3);
    assert_int_equal(t.n, 0); /* nothing is read from an invalid document */
    assert_string_equal(r.items[0].code, "E_XML_SCHEMA");
    assert_int_equal(r.items[0].line, 17);
    assert_string_equal(r.items[0].column, "date_naissance");
    assert_non_null(strstr(r.items[0].message, "« date_naissance »"));
    assert_null(strstr(r.items[0].message, "urn:fr:iscg")); /* namespace braces removed */
    assert_int_equal(r.items[1].line, 25);
    assert_string_equal(r.items[1].column, "date_contact");
    assert_non_null(strstr(r.items[1].message, "format"));
    assert_non_null(strstr(r.items[1].message, "10/03/2026"));
    assert_int_equal(r.items[2].line, 34);
    assert_non_null(strstr(r.items[2].message, "manquant"));
    done(&t, &r);
    assert_int_equal(parse_file("invalid_xml_wrong_namespace.xml", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SCHEMA", 2, "");
    done(&t, &r);
    /* a missing attribute */
    assert_int_equal(
        parse_str(HEAD "<grille xmlns=\"urn:fr:iscg:grille:1\" poste=\"ISCG-093-01\"/>", &t, &r),
        OBS_ERR_INPUT);
    only_issue(&r, "E_XML_SCHEMA", 2, "");
    assert_non_null(strstr(r.items[0].message, "attribut"));
    done(&t, &r);
}

static void test_identity_and_codes(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    /* the parser only reads poste and periode; validate compares them */
    assert_int_equal(parse_file("invalid_xml_post_mismatch.xml", &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_string_equal(t.post, "ISCG-094-01");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_xml_code_unknown.xml", &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.rows[1].line, 13);
    assert_string_equal(col_table_cell(&t, 1, COL_SEXE), "Z");
    assert_string_equal(col_table_cell(&t, 1, COL_PROBLEMATIQUES), "VIOL_CONJ|INCONNU");
    done(&t, &r);
}

static void test_too_many_contacts(void **state)
{
    (void)state;
    obs_buf b;
    obs_buf_init(&b, 0);
    assert_int_equal(obs_buf_puts(&b, HEAD GRILLE), OBS_OK);
    for (int i = 0; i <= COL_MAX_ROWS; i++)
        assert_int_equal(obs_buf_puts(&b, CONTACT("D-1")), OBS_OK);
    assert_int_equal(obs_buf_puts(&b, "</grille>\n"), OBS_OK);
    col_table t;
    col_report r;
    col_table_init(&t);
    col_report_init(&r);
    assert_int_equal(col_xml_parse(b.data, b.len, &t, &r), OBS_ERR_TOO_LARGE);
    only_issue(&r, "E_TOO_MANY_ROWS", COL_MAX_ROWS + 3, "");
    done(&t, &r);
    obs_buf_free(&b);
}

/* libxml2 must never write to stderr, whatever the input. */
static void test_silent(void **state)
{
    (void)state;
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    static const char *const files[] = {
        "invalid_xml_syntax.xml",         "invalid_xml_schema.xml",    "invalid_xml_xxe.xml",
        "invalid_xml_billion_laughs.xml", "invalid_xml_truncated.xml", "invalid_xml_not_xml.xml"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(files); i++) {
        col_table t;
        col_report r;
        parse_file(files[i], &t, &r);
        done(&t, &r);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    assert_int_equal(ftell(tmp), 0);
    fclose(tmp);
}

/* Several threads parse at once: one compiled schema, per-call error handlers. */
static void *parse_many(void *arg)
{
    const char *name = arg;
    char path[256];
    size_t len;
    snprintf(path, sizeof path, GRIDS "%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return (void *)1;
    char *d = malloc(8192);
    len = fread(d, 1, 8192, f);
    fclose(f);
    long bad = 0;
    for (int i = 0; i < 200; i++) {
        col_table t;
        col_report r;
        col_table_init(&t);
        col_report_init(&r);
        obs_status rc = col_xml_parse(d, len, &t, &r);
        if (strcmp(name, "valid_grid.xml") == 0)
            bad += rc != OBS_OK || r.n != 0 || t.n != 2;
        else
            bad += rc != OBS_ERR_INPUT || r.n != 3 || strcmp(r.items[2].code, "E_XML_SCHEMA") != 0;
        col_table_free(&t);
        col_report_free(&r);
    }
    free(d);
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t th[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&th[i], NULL, parse_many,
                                        i % 2 ? "valid_grid.xml" : "invalid_xml_schema.xml"),
                         0);
    for (int i = 0; i < 6; i++) {
        void *bad;
        assert_int_equal(pthread_join(th[i], &bad), 0);
        assert_null(bad);
    }
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads), /* first: the lazy init races here */
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_entities_refused),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_identity_and_codes),
        cmocka_unit_test(test_too_many_contacts),
        cmocka_unit_test(test_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
