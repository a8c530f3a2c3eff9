/* test_csv.c: the CSV grid parser (collector/csv.c) and the raw cell table (table.c). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "ref.h"

#define GRIDS "tests/data/grids/"

/* Parse a fixture; returns the parser's status. */
static obs_status parse_file(const char *name, const char *charset, col_table *t, col_report *r)
{
    char path[256];
    size_t len;
    snprintf(path, sizeof path, GRIDS "%s", name);
    char *d = test_slurp(path, &len);
    col_table_init(t);
    col_report_init(r);
    obs_status rc = col_csv_parse(d, len, charset, t, r);
    free(d);
    return rc;
}

static obs_status parse_str(const char *s, const char *charset, col_table *t, col_report *r)
{
    col_table_init(t);
    col_report_init(r);
    return col_csv_parse(s, strlen(s), charset, t, r);
}

static void done(col_table *t, col_report *r)
{
    col_table_free(t);
    col_report_free(r);
}

static const char *cell(const col_table *t, size_t row, col_field f)
{
    return col_table_cell(t, row, f);
}

/* The single issue of the report has this code, line and column. */
static void only_issue(const col_report *r, const char *code, int line, const char *column)
{
    assert_int_equal(r->n, 1);
    assert_string_equal(r->items[0].code, code);
    assert_int_equal(r->items[0].line, line);
    assert_string_equal(r->items[0].column, column);
    assert_non_null(r->items[0].message);
}

/* The first issue with this code, or NULL. */
static const col_issue *find_code(const col_report *r, const char *code)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].code, code) == 0)
            return &r->items[i];
    return NULL;
}

/* Issues that are not E_COLUMN_MISSING (short test headers leave columns out). */
static size_t others(const col_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += strcmp(r->items[i].code, "E_COLUMN_MISSING") != 0;
    return n;
}

static void test_field_names(void **state)
{
    (void)state;
    assert_string_equal(col_field_name(COL_DATE_CONTACT), "date_contact");
    assert_string_equal(col_field_name(COL_PROBLEMATIQUES), "problematiques");
    assert_string_equal(col_field_name(COL_COMMENTAIRE), "commentaire");
    assert_string_equal(col_field_name(COL_NFIELDS), "");
    int required = 0;
    for (int f = 0; f < COL_NFIELDS; f++)
        required += col_field_required((col_field)f);
    assert_int_equal(required, 8);
    assert_false(col_field_required(COL_ORIENTATIONS));
    assert_true(col_field_required(COL_CONNU_SS));
}

static void test_table(void **state)
{
    (void)state;
    col_table t;
    col_table_init(&t);
    assert_null(col_table_cell(&t, 0, COL_SEXE));
    assert_int_equal(col_table_set(&t, COL_SEXE, "F", 1), OBS_ERR_INTERNAL); /* no row yet */
    for (long i = 0; i < 1000; i++) {
        assert_int_equal(col_table_add_row(&t, (int)i + 2), i);
        assert_int_equal(col_table_set(&t, COL_REF_PERSONNE, "abcdef", 3), OBS_OK);
    }
    assert_int_equal(col_table_set(&t, COL_SEXE, "", 0), OBS_OK);
    assert_string_equal(col_table_cell(&t, 999, COL_SEXE), ""); /* present but empty */
    assert_null(col_table_cell(&t, 998, COL_SEXE));
    assert_string_equal(col_table_cell(&t, 500, COL_REF_PERSONNE), "abc");
    assert_int_equal(t.rows[500].line, 502);
    col_table_free(&t);
    assert_int_equal(t.n, 0);
    assert_null(t.arena.data);
    /* the row ceiling */
    col_table_init(&t);
    for (long i = 0; i < COL_MAX_ROWS; i++)
        assert_int_equal(col_table_add_row(&t, 1), i);
    assert_int_equal(col_table_add_row(&t, 1), -1);
    col_table_free(&t);
}

static void test_utf8_bom_crlf(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_semicolon_utf8_bom_crlf.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 3);
    for (int f = 0; f < COL_NFIELDS; f++)
        assert_true(t.present[f]);
    assert_int_equal(t.rows[0].line, 2);
    assert_int_equal(t.rows[2].line, 4);
    assert_string_equal(cell(&t, 0, COL_DATE_CONTACT), "2026-03-02"); /* no BOM, no CR */
    assert_string_equal(cell(&t, 0, COL_PROBLEMATIQUES), "VIOL_CONJ|LOGEMENT");
    assert_string_equal(cell(&t, 1, COL_MODE), "ACCOMPAGNEMENT");
    assert_null(cell(&t, 2, COL_CODE_POSTAL)); /* empty cell = absent */
    assert_null(cell(&t, 0, COL_COMMENTAIRE)); /* never copied */
    assert_string_equal(t.post, "");
    done(&t, &r);
}

static void test_cp1252(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_semicolon_cp1252_crlf.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 2);
    assert_true(t.present[COL_REF_PERSONNE]); /* "Réf_personne" */
    assert_true(t.present[COL_PROBLEMATIQUES]);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Hélène Dupré");
    assert_string_equal(cell(&t, 1, COL_REF_PERSONNE), "Zoé Lefèvre");
    assert_string_equal(cell(&t, 1, COL_DATE_CONTACT), "5/3/2026");
    done(&t, &r);
    /* the same bytes declared latin1 are read the same way */
    assert_int_equal(parse_file("valid_semicolon_cp1252_crlf.csv", "\"ISO-8859-1\"", &t, &r),
                     OBS_OK);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Hélène Dupré");
    done(&t, &r);
    /* declared UTF-8: refused with the line of the first bad byte */
    assert_int_equal(parse_file("valid_semicolon_cp1252_crlf.csv", "utf-8", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_ENCODING", 1, "");
    done(&t, &r);
}

static void test_charset_wins(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    /* valid UTF-8 declared windows-1252 is read as windows-1252 */
    const char *csv = "date_contact;ref_personne\n2026-03-01;Hélène\n";
    assert_int_equal(parse_str(csv, "windows-1252", &t, &r), OBS_OK);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "HÃ©lÃ¨ne");
    done(&t, &r);
    /* ... except after a UTF-8 BOM, which decides */
    assert_int_equal(parse_str("\xEF\xBB\xBF"
                               "date_contact;ref_personne\n2026-03-01;Hélène\n",
                               "cp1252", &t, &r),
                     OBS_OK);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Hélène");
    assert_true(t.present[COL_DATE_CONTACT]);
    done(&t, &r);
    assert_int_equal(parse_str(csv, "koi8-r", &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_ENCODING", 0, "");
    assert_non_null(strstr(r.items[0].message, "koi8-r"));
    done(&t, &r);
    assert_int_equal(parse_str(csv, "US-ASCII", &t, &r), OBS_OK); /* detection */
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Hélène");
    done(&t, &r);
}

static void test_separators(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_comma_utf8.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Durand, Léa");
    assert_string_equal(cell(&t, 0, COL_SEXE), " f "); /* stored as written */
    assert_null(cell(&t, 1, COL_DATE_NAISSANCE));
    done(&t, &r);
    assert_int_equal(parse_file("valid_tab.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 2);
    assert_false(t.present[COL_DATE_NAISSANCE]);
    assert_false(t.present[COL_COMMENTAIRE]);
    assert_string_equal(cell(&t, 0, COL_MODE), "DOMICILE");
    assert_string_equal(cell(&t, 1, COL_REF_PERSONNE), "dossier 13");
    assert_string_equal(cell(&t, 1, COL_PROBLEMATIQUES), "SANTE_MENTALE"); /* no final LF */
    done(&t, &r);
    /* the separator that gives the most known names wins: here ',' (1) over ';' (0) */
    assert_int_equal(parse_str("date_contact,ref_personne;x\n2026-03-01,a;b\n", NULL, &t, &r),
                     OBS_OK);
    assert_string_equal(cell(&t, 0, COL_DATE_CONTACT), "2026-03-01");
    assert_null(cell(&t, 0, COL_REF_PERSONNE)); /* "ref_personne;x" is an unknown column */
    done(&t, &r);
    /* a tie goes to ';': the ',' inside the row is then data */
    assert_int_equal(parse_str("date_contact\n2026-03-01,x\n", NULL, &t, &r), OBS_OK);
    assert_string_equal(cell(&t, 0, COL_DATE_CONTACT), "2026-03-01,x");
    done(&t, &r);
    assert_int_equal(parse_str("date_contact\n2026-03-01;x\n", NULL, &t, &r), OBS_OK);
    assert_int_equal(others(&r), 1);
    assert_non_null(find_code(&r, "E_CSV_FIELDS"));
    assert_int_equal(find_code(&r, "E_CSV_FIELDS")->line, 2);
    done(&t, &r);
}

static void test_quoted_multiline(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_quoted_multiline.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.rows[0].line, 2);
    assert_int_equal(t.rows[1].line, 6);
    assert_int_equal(t.rows[2].line, 8);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Jean \"Jojo\" Dupont");
    assert_string_equal(cell(&t, 1, COL_REF_PERSONNE), "dossier;42");
    assert_string_equal(cell(&t, 2, COL_REF_PERSONNE), "multi\nligne");
    assert_string_equal(cell(&t, 2, COL_CODE_POSTAL), "20200");
    assert_string_equal(cell(&t, 2, COL_PROBLEMATIQUES), "PRECARITE| precarite |");
    done(&t, &r);
    /* CRLF and lone CR inside and outside quotes count as one line each */
    const char *csv = "date_contact;ref_personne;commentaire\r\n"
                      "2026-03-01;\"a\r\nb\";\"x\ry\"\r"
                      "2026-03-02;\"\";\"\"\"\"\r\n";
    assert_int_equal(parse_str(csv, NULL, &t, &r), OBS_OK);
    assert_int_equal(others(&r), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.rows[1].line, 5); /* a\r\nb and x\ry each span two lines */
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "a\r\nb");
    assert_string_equal(cell(&t, 1, COL_REF_PERSONNE), ""); /* quoted empty: present */
    done(&t, &r);
}

static void test_header_matching(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    const char *csv =
        " DATE_CONTACT ;\"Réf-Personne\";PROBLÉMATIQUES;;Notes\n2026-03-01;a;VIOL_CONJ;;n\n";
    assert_int_equal(parse_str(csv, NULL, &t, &r), OBS_OK);
    assert_true(t.present[COL_DATE_CONTACT]);
    assert_true(t.present[COL_REF_PERSONNE]);
    assert_true(t.present[COL_PROBLEMATIQUES]);
    /* the empty name is ignored silently; Notes is unknown; 5 required columns missing */
    assert_int_equal(r.nwarnings, 1);
    assert_int_equal(r.nerrors, 5);
    assert_string_equal(r.items[0].code, "W_COLUMN_UNKNOWN");
    assert_string_equal(r.items[0].column, "Notes");
    assert_int_equal(r.items[0].line, 1);
    for (size_t i = 1; i < r.n; i++) {
        assert_string_equal(r.items[i].code, "E_COLUMN_MISSING");
        assert_int_equal(r.items[i].line, 1);
    }
    assert_string_equal(r.items[1].column, "sexe");
    assert_string_equal(r.items[5].column, "mode");
    done(&t, &r);
    /* the header is the first non-blank line */
    assert_int_equal(parse_str("\n  \n;;\ndate_contact\n\n2026-03-01\n", NULL, &t, &r), OBS_OK);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.rows[0].line, 6);
    assert_int_equal(r.items[0].line, 4); /* missing columns are reported on the header */
    done(&t, &r);
}

static void test_fixture_errors(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("invalid_empty.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_EMPTY", 0, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_blank_lines.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_EMPTY", 0, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_binary.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_NOT_CSV", 0, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_utf16.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_ENCODING", 0, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_encoding_charset-utf8.csv", "utf-8", &t, &r),
                     OBS_ERR_INPUT);
    only_issue(&r, "E_ENCODING", 3, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_encoding_undefined_byte.csv", NULL, &t, &r),
                     OBS_ERR_INPUT);
    only_issue(&r, "E_ENCODING", 3, "");
    assert_non_null(strstr(r.items[0].message, "0x81"));
    done(&t, &r);
    assert_int_equal(parse_file("invalid_not_a_grid.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_HEADER", 1, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_unbalanced_quote.csv", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_CSV_QUOTE", 3, "commentaire");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_quote_inside_field.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.items[0].code, "E_CSV_QUOTE");
    assert_int_equal(r.items[0].line, 2);
    assert_string_equal(r.items[0].column, "ref_personne");
    assert_int_equal(r.items[1].line, 3);
    assert_string_equal(cell(&t, 0, COL_REF_PERSONNE), "Jean \"Jojo\" Dupont"); /* kept as is */
    done(&t, &r);
    assert_int_equal(parse_file("invalid_too_many_fields.csv", NULL, &t, &r), OBS_OK);
    only_issue(&r, "E_CSV_FIELDS", 3, "");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_missing_column.csv", NULL, &t, &r), OBS_OK);
    only_issue(&r, "E_COLUMN_MISSING", 1, "mode");
    assert_false(t.present[COL_MODE]);
    done(&t, &r);
    assert_int_equal(parse_file("invalid_duplicate_column.csv", NULL, &t, &r), OBS_OK);
    only_issue(&r, "E_COLUMN_DUPLICATE", 1, "sexe");
    assert_string_equal(cell(&t, 0, COL_SEXE), "F");
    done(&t, &r);
    assert_int_equal(parse_file("invalid_too_many_rows.csv", NULL, &t, &r), OBS_ERR_TOO_LARGE);
    only_issue(&r, "E_TOO_MANY_ROWS", COL_MAX_ROWS + 2, "");
    assert_int_equal(t.n, COL_MAX_ROWS);
    done(&t, &r);
    /* a truncated row: the missing trailing cells are absent */
    assert_int_equal(parse_file("invalid_truncated.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(cell(&t, 1, COL_STATUT), "VICT");
    assert_null(cell(&t, 1, COL_ORIGINE));
    assert_null(cell(&t, 1, COL_MODE));
    done(&t, &r);
}

static void test_binary_without_nul(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_str("\x1f\x8b\x08\x08\x01\x02\x03\x04"
                               "date_contact\n",
                               NULL, &t, &r),
                     OBS_ERR_INPUT);
    only_issue(&r, "E_NOT_CSV", 0, "");
    done(&t, &r);
}

static void test_quote_errors(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    /* the unclosed quote is reported where it opened, lines inside it counted */
    const char *csv = "date_contact;ref_personne\n2026-03-01;a\n2026-03-02;\"b\nc\nd\n";
    assert_int_equal(parse_str(csv, NULL, &t, &r), OBS_ERR_INPUT);
    assert_int_equal(others(&r), 1);
    const col_issue *q = find_code(&r, "E_CSV_QUOTE");
    assert_non_null(q);
    assert_int_equal(q->line, 3);
    assert_string_equal(q->column, "ref_personne");
    done(&t, &r);
    /* a quote in the header */
    assert_int_equal(parse_str("date_contact;\"ref_personne\n", NULL, &t, &r), OBS_ERR_INPUT);
    only_issue(&r, "E_CSV_QUOTE", 1, "");
    done(&t, &r);
}

/* Header-only grid: valid, no rows. */
static void test_header_only(void **state)
{
    (void)state;
    col_table t;
    col_report r;
    assert_int_equal(parse_file("valid_header_only.csv", NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, 0);
    assert_true(t.present[COL_COMMENTAIRE]);
    done(&t, &r);
}

/* A large grid goes through in one pass (no quadratic behaviour: 50,000 rows quickly). */
static void test_large(void **state)
{
    (void)state;
    obs_buf b;
    obs_buf_init(&b, 0);
    assert_int_equal(obs_buf_puts(&b, "date_contact;ref_personne;sexe;statut;origine;connu_ss;"
                                      "problematiques;mode;commentaire\r\n"),
                     OBS_OK);
    for (int i = 0; i < COL_MAX_ROWS; i++)
        assert_int_equal(obs_buf_printf(&b,
                                        "2026-03-%02d;D-%d;F;VICTIME;BPF;OUI;VIOL_CONJ|"
                                        "LOGEMENT;BUREAU;\"note; %d\"\r\n",
                                        1 + i % 31, i, i),
                         OBS_OK);
    col_table t;
    col_report r;
    col_table_init(&t);
    col_report_init(&r);
    assert_int_equal(col_csv_parse(b.data, b.len, NULL, &t, &r), OBS_OK);
    assert_int_equal(r.n, 0);
    assert_int_equal(t.n, COL_MAX_ROWS);
    assert_string_equal(cell(&t, COL_MAX_ROWS - 1, COL_REF_PERSONNE), "D-49999");
    assert_int_equal(t.rows[COL_MAX_ROWS - 1].line, COL_MAX_ROWS + 1);
    done(&t, &r);
    obs_buf_free(&b);
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_utf8_bom_crlf),
        cmocka_unit_test(test_cp1252),
        cmocka_unit_test(test_charset_wins),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_quoted_multiline),
        cmocka_unit_test(test_header_matching),
        cmocka_unit_test(test_fixture_errors),
        cmocka_unit_test(test_binary_without_nul),
        cmocka_unit_test(test_quote_errors),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
