/* test_sheet.c: the spreadsheet readers (collector/zipfile.c, sheet.c, sheet_xlsx.c,
 * sheet_ods.c) on workbooks built here with libzip, part by part: shared and inline
 * strings, numbers, dates of both date systems, empty rows and trailing formatting, the
 * grid's sheet among several, cell names in the report, and every hostile container. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "grid.h"
#include "ref.h"
#include "sheet.h"

#define POST "ISCG-093-01"
#define XLSX COL_MEDIA_XLSX
#define ODS COL_MEDIA_ODS

typedef struct part {
    const char *name;
    const char *data; /* NULL: `size` zero bytes */
    size_t size;
    int store;        /* 1: stored without compression */
} part;

/* Build a zip of the parts; returns its bytes (the caller frees) and their count. */
static char *make_zip(const part *parts, size_t n, size_t *len)
{
    char path[] = "/tmp/test_sheet_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    int err;
    zip_t *z = zip_open(path, ZIP_TRUNCATE | ZIP_CREATE, &err);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        const char *d = parts[i].data;
        size_t k = d ? strlen(d) : parts[i].size;
        char *copy = calloc(1, k + 1);
        assert_non_null(copy);
        if (d)
            memcpy(copy, d, k);
        zip_source_t *src = zip_source_buffer(z, copy, k, 1);
        assert_non_null(src);
        zip_int64_t idx = zip_file_add(z, parts[i].name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
        assert_true(idx >= 0);
        if (parts[i].store)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    assert_int_equal(zip_close(z), 0);
    char *bytes = test_slurp(path, len);
    unlink(path);
    return bytes;
}

#define CT_XML "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"
#define RELS "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" \
    "<Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Target=\"/xl/worksheets/sheet2.xml\"/></Relationships>"
#define WB(pr, sheets) "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" " \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">" pr "<sheets>" sheets "</sheets></workbook>"
#define STYLES "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" \
    "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts>" \
    "<cellXfs count=\"3\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>"
#define SST "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" \
    "<si><t>date_contact</t></si><si><t>ref_personne</t></si><si><t>sexe</t></si><si><t>statut</t></si>" \
    "<si><t>origine</t></si><si><t>connu_ss</t></si><si><t>problematiques</t></si><si><t>mode</t></si>" \
    "<si><r><t>Du</t></r><r><t>rand</t></r><rPh><t>x</t></rPh></si><si><t>code_postal</t></si></sst>"
#define SHEET(rows) "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>" rows "</sheetData></worksheet>"
#define HEADER_ROW "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c>" \
    "<c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c><c r=\"F1\" t=\"s\"><v>5</v></c><c r=\"G1\" t=\"s\"><v>6</v></c>" \
    "<c r=\"H1\" t=\"s\"><v>7</v></c><c r=\"I1\" t=\"s\"><v>9</v></c></row>"
/* A contact at row r: date cell (style s, value v), sexe value sx. */
#define ROW(r, s, v, sx) "<row r=\"" r "\"><c r=\"A" r "\" s=\"" s "\"><v>" v "</v></c><c r=\"B" r "\" t=\"s\"><v>8</v></c>" \
    "<c r=\"C" r "\" t=\"inlineStr\"><is><t>" sx "</t></is></c><c r=\"D" r "\" t=\"inlineStr\"><is><t>VICTIME</t></is></c>" \
    "<c r=\"E" r "\" t=\"str\"><v>BPF</v></c><c r=\"F" r "\" t=\"inlineStr\"><is><t>Oui</t></is></c>" \
    "<c r=\"G" r "\" t=\"inlineStr\"><is><t>VIOL_CONJ</t></is></c><c r=\"H" r "\" t=\"inlineStr\"><is><t>BUREAU</t></is></c>" \
    "<c r=\"I" r "\"><v>1000</v></c><c r=\"Z" r "\" s=\"1\"/></row>"

typedef struct run {
    col_table t;
    col_grid g;
    col_report r;
    obs_status rc;
} run;

static void run_bytes(run *x, const char *d, size_t len, const char *ct)
{
    col_table_init(&x->t);
    col_report_init(&x->r);
    x->rc = col_parse_grid(d, len, ct, POST, 2026, 3, &x->t, &x->g, &x->r);
}

static void run_parts(run *x, const part *p, size_t n, const char *ct)
{
    size_t len;
    char *d = make_zip(p, n, &len);
    run_bytes(x, d, len, ct);
    free(d);
}

static void run_free(run *x)
{
    col_grid_free(&x->g);
    col_table_free(&x->t);
    col_report_free(&x->r);
}

/* 1 when the report holds an issue of that code (and, when cell is not NULL, that cell). */
static int has_issue(const run *x, const char *code, const char *cell)
{
    for (size_t i = 0; i < x->r.n; i++) {
        if (strcmp(x->r.items[i].code, code) == 0 && (cell == NULL || strcmp(x->r.items[i].cell, cell) == 0))
            return 1;
    }
    return 0;
}

/* Print the report (to read a failure). */
static void dump(const run *x)
{
    for (size_t i = 0; i < x->r.n; i++)
        fprintf(stderr, "  %d %s %s %s: %s\n", x->r.items[i].line, x->r.items[i].column,
                x->r.items[i].cell, x->r.items[i].code, x->r.items[i].message);
}

static void xlsx_parts(part *p, const char *wb, const char *sheet1, const char *sheet2)
{
    p[0] = (part){"[Content_Types].xml", CT_XML, 0, 0};
    p[1] = (part){"xl/workbook.xml", wb, 0, 0};
    p[2] = (part){"xl/_rels/workbook.xml.rels", RELS, 0, 0};
    p[3] = (part){"xl/styles.xml", STYLES, 0, 0};
    p[4] = (part){"xl/sharedStrings.xml", SST, 0, 0};
    p[5] = (part){"xl/worksheets/sheet1.xml", sheet1, 0, 0};
    p[6] = (part){"xl/worksheets/sheet2.xml", sheet2, 0, 0};
}

static const char *const GOOD = SHEET(HEADER_ROW "<row r=\"2\"/><row r=\"3\"><c r=\"A3\" s=\"1\"/></row>"
                                      ROW("4", "1", "46096", "f") ROW("7", "2", "46097.5", "M")
                                      "<row r=\"9000\" s=\"1\"><c r=\"XFD9000\" s=\"1\"/></row>");

static void test_xlsx_values(void **state)
{
    (void)state;
    part p[7];
    xlsx_parts(p, WB("", "<sheet name=\"Consignes\" r:id=\"rId2\"/><sheet name=\"Grille\" r:id=\"rId1\"/>"),
               GOOD, SHEET("<row r=\"1\"><c t=\"inlineStr\"><is><t>rien</t></is></c></row>"));
    run x;
    run_parts(&x, p, 7, XLSX);
    assert_int_equal(x.rc, OBS_OK);
    dump(&x);
    assert_int_equal(x.r.nerrors, 0);
    assert_int_equal(x.t.n, 2);
    assert_int_equal(x.t.rows[0].line, 4);
    assert_int_equal(x.t.rows[1].line, 7);
    assert_string_equal(col_table_cell(&x.t, 0, COL_DATE_CONTACT), "2026-03-15");
    assert_string_equal(col_table_cell(&x.t, 1, COL_DATE_CONTACT), "2026-03-16");
    assert_string_equal(col_table_cell(&x.t, 0, COL_REF_PERSONNE), "Durand");
    assert_string_equal(col_table_cell(&x.t, 0, COL_CODE_POSTAL), "01000");
    assert_string_equal(col_table_cell(&x.t, 0, COL_ORIGINE), "BPF");
    assert_int_equal(x.g.n, 2);
    assert_int_equal(x.g.persons, 1);
    run_free(&x);
}

static void test_xlsx_1904_and_cells(void **state)
{
    (void)state;
    part p[7];
    /* 1904 system: 44634 is 2026-03-15; sexe "Z" in C4 is an error named by its cell. */
    xlsx_parts(p, WB("<workbookPr date1904=\"1\"/>", "<sheet name=\"Feuille1\" r:id=\"rId1\"/>"),
               SHEET(HEADER_ROW ROW("4", "1", "44634", "Z")), SHEET(""));
    run x;
    run_parts(&x, p, 7, XLSX);
    assert_int_equal(x.rc, OBS_OK);
    assert_string_equal(col_table_cell(&x.t, 0, COL_DATE_CONTACT), "2026-03-15");
    assert_true(x.r.nerrors >= 1);
    assert_true(has_issue(&x, "E_CODE_UNKNOWN", "C4"));
    for (size_t i = 0; i < x.r.n; i++)
        if (strcmp(x.r.items[i].cell, "C4") == 0)
            assert_non_null(strstr(x.r.items[i].message, "Cellule C4 (ligne 4)"));
    run_free(&x);
}

static void test_serial_dates(void **state)
{
    (void)state;
    char d[11];
    assert_true(col_sheet_serial_date(45000, 0, d));
    assert_string_equal(d, "2023-03-15");
    assert_true(col_sheet_serial_date(45000 - 1462, 1, d));
    assert_string_equal(d, "2023-03-15");
    assert_true(col_sheet_serial_date(59, 0, d));
    assert_string_equal(d, "1900-02-28");
    assert_true(col_sheet_serial_date(61, 0, d));
    assert_string_equal(d, "1900-03-01");
    assert_false(col_sheet_serial_date(60, 0, d));
    assert_false(col_sheet_serial_date(-3, 0, d));
    char name[16];
    assert_string_equal(col_sheet_cell_name(name, sizeof name, 1, 1), "A1");
    assert_string_equal(col_sheet_cell_name(name, sizeof name, 28, 12), "AB12");
    assert_string_equal(col_sheet_cell_name(name, sizeof name, 16384, 3), "XFD3");
}

/* One hostile workbook: refused with code, nothing in the table. */
static void expect_refused(const part *p, size_t n, const char *ct, const char *code)
{
    run x;
    run_parts(&x, p, n, ct);
    assert_int_equal(x.rc, OBS_OK);
    if (!has_issue(&x, code, NULL))
        fail_msg("expected %s, first issue %s", code, x.r.n ? x.r.items[0].code : "(none)");
    assert_int_equal(x.g.n, 0);
    assert_true(x.r.items[0].message[0] != '\0');
    run_free(&x);
}

static void test_xlsx_hostile(void **state)
{
    (void)state;
    part p[8];
    xlsx_parts(p, WB("", "<sheet name=\"G\" r:id=\"rId1\"/>"), GOOD, SHEET(""));
    p[7] = (part){"xl/vbaProject.bin", "macro", 0, 0};
    expect_refused(p, 8, XLSX, "E_SHEET_MACRO");
    p[7] = (part){"../../etc/evil.xml", "x", 0, 0};
    expect_refused(p, 8, XLSX, "E_ZIP_NAME");
    p[7] = (part){"/abs.xml", "x", 0, 0};
    expect_refused(p, 8, XLSX, "E_ZIP_NAME");
    p[7] = (part){"xl/bomb.bin", NULL, (size_t)8 << 20, 0}; /* 8 MiB of zeros: ratio ~1000 */
    expect_refused(p, 8, XLSX, "E_ZIP_RATIO");
    p[0] = (part){"[Content_Types].xml", "<Types><Default ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/></Types>", 0, 0};
    expect_refused(p, 7, XLSX, "E_SHEET_MACRO");
    xlsx_parts(p, WB("", "<sheet name=\"G\" r:id=\"rId1\"/>"),
               "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"http://127.0.0.1:1/x\">]><worksheet>&e;</worksheet>",
               SHEET(""));
    expect_refused(p, 7, XLSX, "E_SHEET_DOCTYPE");
    xlsx_parts(p, WB("", "<sheet name=\"G\" r:id=\"rId1\"/>"),
               SHEET(HEADER_ROW "<row r=\"2\"><c r=\"NTP2\" t=\"inlineStr\"><is><t>x</t></is></c></row>"), SHEET(""));
    expect_refused(p, 7, XLSX, "E_SHEET_TOO_WIDE"); /* a value in column 10,000 */
    xlsx_parts(p, WB("", "<sheet name=\"G\" r:id=\"rId1\"/>"), SHEET(HEADER_ROW "<row><c>"), SHEET(""));
    expect_refused(p, 7, XLSX, "E_SHEET_XML");
    xlsx_parts(p, WB("", "<sheet name=\"G\" r:id=\"rId1\"/>"),
               SHEET(HEADER_ROW "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>99</v></c></row>"), SHEET(""));
    expect_refused(p, 7, XLSX, "E_SHEET_CELL");

    static part many[COL_ZIP_MAX_ENTRIES + 1];
    static char names[COL_ZIP_MAX_ENTRIES + 1][24];
    for (int i = 0; i <= COL_ZIP_MAX_ENTRIES; i++) {
        snprintf(names[i], sizeof names[i], "f%d.xml", i);
        many[i] = (part){names[i], "x", 0, 0};
    }
    expect_refused(many, COL_ZIP_MAX_ENTRIES + 1, XLSX, "E_ZIP_ENTRIES");

    run x;
    run_bytes(&x, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 encrypted", 18, XLSX);
    assert_true(has_issue(&x, "E_SHEET_ENCRYPTED", NULL));
    run_free(&x);
    run_bytes(&x, "date_contact;ref\n", 17, XLSX);
    assert_true(has_issue(&x, "E_SHEET_NOT_ZIP", NULL));
    run_free(&x);
}

#define ODS_CONTENT(tables) "<?xml version=\"1.0\"?><office:document-content " \
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" " \
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" " \
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:spreadsheet>" \
    tables "</office:spreadsheet></office:body></office:document-content>"
#define T(s) "<table:table-cell office:value-type=\"string\"><text:p>" s "</text:p></table:table-cell>"
#define ODS_HEADER "<table:table-row>" T("date_contact") T("ref_personne") T("Sexe") T("statut") T("origine") \
    T("connu ss") T("problématiques") T("mode") T("code_postal") "</table:table-row>"
#define ODS_ROW "<table:table-row table:number-rows-repeated=\"2\"><table:table-cell office:value-type=\"date\" " \
    "office:date-value=\"2026-03-15T10:00:00\"><text:p>15/03/26</text:p></table:table-cell>" \
    T("Du<text:s text:c=\"2\"/>rand") T("f") T("victime") T("BPF") T("OUI") T("VIOL_CONJ") T("BUREAU") \
    "<table:table-cell office:value-type=\"float\" office:value=\"69003\"><text:p>69 003</text:p></table:table-cell>" \
    "<table:table-cell table:number-columns-repeated=\"16000\"/></table:table-row>"

static void ods_parts(part *p, const char *content)
{
    p[0] = (part){"mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0, 1};
    p[1] = (part){"META-INF/manifest.xml", "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"/>", 0, 0};
    p[2] = (part){"content.xml", content, 0, 0};
}

static void test_ods_values(void **state)
{
    (void)state;
    part p[4];
    ods_parts(p, ODS_CONTENT("<table:table table:name=\"Consignes\">" ODS_HEADER "</table:table>"
                             "<table:table table:name=\"grille\">"
                             "<table:table-row table:number-rows-repeated=\"2\"><table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>"
                             ODS_HEADER ODS_ROW "<table:table-row table:number-rows-repeated=\"1048000\"><table:table-cell/></table:table-row>"
                             "</table:table>"));
    run x;
    run_parts(&x, p, 3, ODS);
    assert_int_equal(x.rc, OBS_OK);
    dump(&x);
    assert_int_equal(x.r.nerrors, 0);
    assert_int_equal(x.t.n, 2);
    assert_int_equal(x.t.rows[0].line, 4);
    assert_int_equal(x.t.rows[1].line, 5);
    assert_string_equal(col_table_cell(&x.t, 0, COL_DATE_CONTACT), "2026-03-15");
    assert_string_equal(col_table_cell(&x.t, 1, COL_REF_PERSONNE), "Du  rand");
    assert_string_equal(col_table_cell(&x.t, 0, COL_CODE_POSTAL), "69003");
    assert_int_equal(x.g.persons, 1);
    run_free(&x);

    ods_parts(p, ODS_CONTENT("<table:table table:name=\"x\">" ODS_HEADER
                             "<table:table-row><table:table-cell table:number-columns-repeated=\"9999\"/>" T("x")
                             "</table:table-row></table:table>"));
    expect_refused(p, 3, ODS, "E_SHEET_TOO_WIDE");
    p[3] = (part){"Basic/Standard/Module1.xml", "<x/>", 0, 0};
    expect_refused(p, 4, ODS, "E_SHEET_MACRO");
    ods_parts(p, ODS_CONTENT(""));
    p[1] = (part){"META-INF/manifest.xml", "<manifest><file-entry><encryption-data/></file-entry></manifest>", 0, 0};
    expect_refused(p, 3, ODS, "E_SHEET_ENCRYPTED");
    ods_parts(p, "<?xml version=\"1.0\"?><!DOCTYPE lol [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><x>&b;</x>");
    expect_refused(p, 3, ODS, "E_SHEET_DOCTYPE");
    ods_parts(p, ODS_CONTENT(""));
    expect_refused(p, 3, ODS, "E_EMPTY");
    p[0] = (part){"mimetype", "application/vnd.oasis.opendocument.text", 0, 1};
    expect_refused(p, 3, ODS, "E_SHEET_NOT_ZIP");
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlsx_values),
        cmocka_unit_test(test_xlsx_1904_and_cells),
        cmocka_unit_test(test_serial_dates),
        cmocka_unit_test(test_xlsx_hostile),
        cmocka_unit_test(test_ods_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
