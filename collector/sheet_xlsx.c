/* sheet_xlsx.c: the .xlsx (Office Open XML SpreadsheetML) reader: the workbook's sheet list
 * and date system, the relationships to the sheet's part, the shared strings, the styles
 * that make a number a date, then the sheet itself, streamed (libxml2's xmlTextReader) into
 * the sheet builder of sheet.c. Macro-enabled workbooks are refused.
 */
#include "sheet.h"

#include <stdlib.h>
#include <string.h>

#define XLSX_MAX_STRINGS 4000000 /* shared strings (the part's size caps them anyway) */
#define XLSX_MAX_XF 65536        /* cell formats */

typedef struct xlsx {
    col_zip *zip;
    col_report *rep;
    obs_buf part;      /* the XML part being read */
    int date1904;
    char sheet_target[256]; /* the grid sheet's part, "xl/worksheets/sheet1.xml" */
    obs_buf strings;   /* shared strings, NUL-separated */
    size_t *str_off;   /* offset of each shared string */
    size_t nstr, capstr;
    unsigned char *xf_date; /* per cell format (s="n"): 1 when it shows a date */
    size_t nxf;
    unsigned char fmt_date[1024]; /* numFmtId (< 1024) -> date? */
} xlsx;

/* Read a part into x->part and check it. */
static obs_status load_part(xlsx *x, const char *name)
{
    obs_status rc = col_zip_read(x->zip, name, &x->part, x->rep);
    if (rc == OBS_OK)
        rc = col_sheet_xml_safe(&x->part, name, x->rep);
    return rc;
}

static int is_elem(xmlTextReaderPtr r, const char *local)
{
    const char *n = (const char *)xmlTextReaderConstLocalName(r);
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && n && strcmp(n, local) == 0;
}

static int is_end(xmlTextReaderPtr r, const char *local)
{
    const char *n = (const char *)xmlTextReaderConstLocalName(r);
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && n && strcmp(n, local) == 0;
}

/* The workbook: date system and the rId of the grid's sheet (or the first). */
static obs_status read_workbook(xlsx *x, const char *post, int year, int month, char *rid,
                                size_t cap)
{
    const char *part = "xl/workbook.xml";
    obs_status rc = load_part(x, part);
    if (rc)
        return rc;
    xmlTextReaderPtr r = col_sheet_xml_open(&x->part, part);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    int k, chosen = 0;
    rid[0] = '\0';
    while ((k = col_sheet_xml_next(r, part, x->rep, &rc)) == 1) {
        if (is_elem(r, "workbookPr")) {
            char *v = col_sheet_xml_attr(r, "date1904");
            x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
            xmlFree(v);
        } else if (is_elem(r, "sheet") && !chosen) {
            char *name = col_sheet_xml_attr(r, "name");
            char *id = col_sheet_xml_attr(r, "id");
            int grid = name && col_sheet_name_is_grid(name, post, year, month);
            if (id && (rid[0] == '\0' || grid)) {
                snprintf(rid, cap, "%s", id);
                chosen = grid;
            }
            xmlFree(name);
            xmlFree(id);
        }
    }
    xmlFreeTextReader(r);
    if (k < 0)
        return rc;
    if (rid[0] == '\0') {
        rc = col_report_add(x->rep, 0, "", "E_SHEET_STRUCTURE",
                            "Le classeur ne contient aucune feuille : enregistrez la grille à "
                            "nouveau au format .xlsx.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    return OBS_OK;
}

/* The relationships: the part of the sheet rid. */
static obs_status read_rels(xlsx *x, const char *rid)
{
    const char *part = "xl/_rels/workbook.xml.rels";
    obs_status rc = load_part(x, part);
    if (rc)
        return rc;
    xmlTextReaderPtr r = col_sheet_xml_open(&x->part, part);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    int k;
    x->sheet_target[0] = '\0';
    while ((k = col_sheet_xml_next(r, part, x->rep, &rc)) == 1) {
        if (!is_elem(r, "Relationship"))
            continue;
        char *id = col_sheet_xml_attr(r, "Id");
        char *target = col_sheet_xml_attr(r, "Target");
        if (id && target && strcmp(id, rid) == 0) {
            if (target[0] == '/')
                snprintf(x->sheet_target, sizeof x->sheet_target, "%s", target + 1);
            else
                snprintf(x->sheet_target, sizeof x->sheet_target, "xl/%s", target);
        }
        xmlFree(id);
        xmlFree(target);
    }
    xmlFreeTextReader(r);
    if (k < 0)
        return rc;
    if (x->sheet_target[0] == '\0') {
        rc = col_report_add(x->rep, 0, "", "E_SHEET_STRUCTURE",
                            "Le classeur ne dit pas où est sa feuille : enregistrez la grille à "
                            "nouveau au format .xlsx.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    return OBS_OK;
}

/* Append the text of the current element's <t> children (skipping phonetic runs <rPh>)
 * into out, up to the end of the element `end`. */
static int read_rich_text(xmlTextReaderPtr r, const char *end, const char *part, col_report *rep,
                          obs_status *rc, obs_buf *out)
{
    if (xmlTextReaderIsEmptyElement(r))
        return 1;
    int k, in_t = 0;
    while ((k = col_sheet_xml_next(r, part, rep, rc)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (is_end(r, end))
            return 1;
        if (is_elem(r, "rPh")) {
            if (xmlTextReaderNext(r) != 1)
                return 0;
            if (is_end(r, end))
                return 1;
        }
        if (is_elem(r, "t") && !xmlTextReaderIsEmptyElement(r))
            in_t = 1;
        else if (is_end(r, "t"))
            in_t = 0;
        else if (in_t && (type == XML_READER_TYPE_TEXT ||
                          type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
                          type == XML_READER_TYPE_WHITESPACE)) {
            const char *v = (const char *)xmlTextReaderConstValue(r);
            *rc = obs_buf_puts(out, v ? v : "");
            if (*rc)
                return -1;
        }
    }
    return k;
}

/* The shared strings (optional part). */
static obs_status read_strings(xlsx *x)
{
    const char *part = "xl/sharedStrings.xml";
    if (!col_zip_has(x->zip, part))
        return OBS_OK;
    obs_status rc = load_part(x, part);
    if (rc)
        return rc;
    xmlTextReaderPtr r = col_sheet_xml_open(&x->part, part);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    int k;
    while (rc == OBS_OK && (k = col_sheet_xml_next(r, part, x->rep, &rc)) == 1) {
        if (!is_elem(r, "si"))
            continue;
        if (x->nstr == x->capstr) {
            size_t cap = x->capstr ? x->capstr * 2 : 256;
            size_t *p = cap <= XLSX_MAX_STRINGS ? realloc(x->str_off, cap * sizeof *p) : NULL;
            if (p == NULL) {
                rc = cap <= XLSX_MAX_STRINGS ? OBS_ERR_NOMEM : OBS_ERR_TOO_LARGE;
                break;
            }
            x->str_off = p;
            x->capstr = cap;
        }
        x->str_off[x->nstr++] = x->strings.len;
        if (read_rich_text(r, "si", part, x->rep, &rc, &x->strings) < 0)
            break;
        if (rc == OBS_OK)
            rc = obs_buf_append(&x->strings, "", 1);
    }
    xmlFreeTextReader(r);
    return rc;
}

/* 1 when a number format code shows a date: a y or d outside quotes, brackets, escapes. */
static int code_is_date(const char *c)
{
    for (const char *p = c; *p; p++) {
        if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            if (q == NULL)
                return 0;
            p = q;
        } else if (*p == '[') {
            const char *q = strchr(p + 1, ']');
            if (q == NULL)
                return 0;
            p = q;
        } else if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == 'y' || *p == 'Y' || *p == 'd' || *p == 'D') {
            return 1;
        }
    }
    return 0;
}

/* The styles (optional part): which cell formats are dates. */
static obs_status read_styles(xlsx *x)
{
    static const int builtin[] = {14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36,
                                  50, 51, 52, 53, 54, 57, 58};
    for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
        x->fmt_date[builtin[i]] = 1;
    const char *part = "xl/styles.xml";
    if (!col_zip_has(x->zip, part))
        return OBS_OK;
    obs_status rc = load_part(x, part);
    if (rc)
        return rc;
    xmlTextReaderPtr r = col_sheet_xml_open(&x->part, part);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    int k, in_xfs = 0;
    size_t cap = 0;
    while (rc == OBS_OK && (k = col_sheet_xml_next(r, part, x->rep, &rc)) == 1) {
        if (is_elem(r, "numFmt")) {
            char *id = col_sheet_xml_attr(r, "numFmtId");
            char *code = col_sheet_xml_attr(r, "formatCode");
            long n = id ? strtol(id, NULL, 10) : -1;
            if (n >= 0 && n < (long)sizeof x->fmt_date && code)
                x->fmt_date[n] = (unsigned char)code_is_date(code);
            xmlFree(id);
            xmlFree(code);
        } else if (is_elem(r, "cellXfs")) {
            in_xfs = !xmlTextReaderIsEmptyElement(r);
        } else if (is_end(r, "cellXfs")) {
            in_xfs = 0;
        } else if (in_xfs && is_elem(r, "xf") && x->nxf < XLSX_MAX_XF) {
            if (x->nxf == cap) {
                cap = cap ? cap * 2 : 64;
                unsigned char *p = realloc(x->xf_date, cap);
                if (p == NULL) {
                    rc = OBS_ERR_NOMEM;
                    break;
                }
                x->xf_date = p;
            }
            char *id = col_sheet_xml_attr(r, "numFmtId");
            long n = id ? strtol(id, NULL, 10) : 0;
            x->xf_date[x->nxf++] = n >= 0 && n < (long)sizeof x->fmt_date && x->fmt_date[n];
            xmlFree(id);
        }
    }
    xmlFreeTextReader(r);
    return rc;
}

/* "D12" -> column 4; 0 when the reference has no letters. */
static int ref_column(const char *ref)
{
    int col = 0;
    for (const char *p = ref; *p >= 'A' && *p <= 'Z' && col <= 20000; p++)
        col = col * 26 + (*p - 'A' + 1);
    return col;
}

/* One <c> element: its value into the builder. */
static obs_status read_cell(xlsx *x, xmlTextReaderPtr r, col_sheet *s, int *col, obs_buf *v)
{
    char *ref = col_sheet_xml_attr(r, "r");
    char *type = col_sheet_xml_attr(r, "t");
    char *style = col_sheet_xml_attr(r, "s");
    int c = ref ? ref_column(ref) : *col + 1;
    *col = c > 0 ? c : *col + 1;
    long xf = style ? strtol(style, NULL, 10) : 0;
    int isdate = xf >= 0 && (size_t)xf < x->nxf && x->xf_date[xf];
    const char *t = type ? type : "n";
    obs_status rc = OBS_OK;
    obs_buf_reset(v);
    int k = 1, in_v = 0;
    if (!xmlTextReaderIsEmptyElement(r)) {
        while ((k = col_sheet_xml_next(r, x->sheet_target, x->rep, &rc)) == 1) {
            int nt = xmlTextReaderNodeType(r);
            if (is_end(r, "c"))
                break;
            if (is_elem(r, "is")) {
                k = read_rich_text(r, "is", x->sheet_target, x->rep, &rc, v);
                if (k != 1)
                    break;
            } else if (is_elem(r, "v")) {
                in_v = 1;
            } else if (is_end(r, "v")) {
                in_v = 0;
            } else if (in_v && (nt == XML_READER_TYPE_TEXT ||
                                nt == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
                rc = obs_buf_puts(v, (const char *)xmlTextReaderConstValue(r));
                if (rc)
                    break;
            }
        }
    }
    if (k < 0 || rc)
        goto out;
    const char *text = v->data ? v->data : "";
    char name[16];
    if (strcmp(t, "s") == 0) {
        char *end;
        unsigned long i = strtoul(text, &end, 10);
        if (v->len == 0 || *end || i >= x->nstr) {
            rc = col_report_add(x->rep, s->line, "", "E_SHEET_CELL",
                                "Cellule %s : le texte de la cellule est introuvable dans le "
                                "classeur (fichier abîmé).",
                                col_sheet_cell_name(name, sizeof name, *col, s->line));
            rc = rc ? rc : OBS_ERR_INPUT;
            goto out;
        }
        const char *str = x->strings.data + x->str_off[i];
        rc = col_sheet_cell(s, *col, str, strlen(str));
    } else if (strcmp(t, "n") == 0 && v->len) {
        char *end;
        double d = strtod(text, &end);
        if (*end)
            rc = col_sheet_cell(s, *col, text, v->len);
        else
            rc = col_sheet_number(s, *col, d, isdate, x->date1904);
    } else if (strcmp(t, "d") == 0) {
        rc = col_sheet_cell(s, *col, text, strcspn(text, "T"));
    } else {
        rc = col_sheet_cell(s, *col, text, v->len); /* str, inlineStr, b, e */
    }
out:
    xmlFree(ref);
    xmlFree(type);
    xmlFree(style);
    return rc;
}

/* The sheet itself, streamed into the builder. */
static obs_status read_sheet(xlsx *x, col_sheet *s)
{
    const char *part = x->sheet_target;
    obs_status rc = load_part(x, part);
    if (rc)
        return rc;
    xmlTextReaderPtr r = col_sheet_xml_open(&x->part, part);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    obs_buf v;
    obs_buf_init(&v, COL_ZIP_MAX_ENTRY);
    int k, line = 0, col = 0, in_data = 0;
    while (rc == OBS_OK && (k = col_sheet_xml_next(r, part, x->rep, &rc)) == 1) {
        if (is_elem(r, "sheetData")) {
            in_data = 1;
        } else if (is_end(r, "sheetData")) {
            in_data = 0;
        } else if (in_data && is_elem(r, "row")) {
            char *rv = col_sheet_xml_attr(r, "r");
            long n = rv ? strtol(rv, NULL, 10) : 0;
            xmlFree(rv);
            line = n > line && n <= COL_SHEET_MAX_ROW ? (int)n : line + 1;
            col = 0;
            col_sheet_row(s, line);
            if (xmlTextReaderIsEmptyElement(r))
                rc = col_sheet_end_row(s, 1);
        } else if (in_data && is_end(r, "row")) {
            rc = col_sheet_end_row(s, 1);
        } else if (in_data && is_elem(r, "c")) {
            rc = read_cell(x, r, s, &col, &v);
        }
    }
    obs_buf_wipe(&v);
    xmlFreeTextReader(r);
    return rc;
}

obs_status col_xlsx_parse(const char *data, size_t len, const char *post, int year, int month,
                          col_table *t, col_report *rep)
{
    xlsx x;
    memset(&x, 0, sizeof x);
    x.rep = rep;
    obs_buf_init(&x.part, COL_ZIP_MAX_ENTRY);
    obs_buf_init(&x.strings, COL_ZIP_MAX_TOTAL);
    col_sheet s;
    col_sheet_init(&s, t, rep);
    char rid[128];
    obs_status rc = col_zip_open(data, len, &x.zip, rep);
    if (rc)
        goto out;
    if (col_zip_has(x.zip, "xl/vbaProject.bin") || col_zip_has_prefix(x.zip, "xl/macrosheets/")) {
        rc = col_report_add(rep, 0, "", "E_SHEET_MACRO",
                            "Le classeur contient des macros (.xlsm) : pour la sécurité de tous, "
                            "enregistrez la grille au format .xlsx sans macros, puis déposez-la à "
                            "nouveau.");
        rc = rc ? rc : OBS_ERR_INPUT;
        goto out;
    }
    rc = load_part(&x, "[Content_Types].xml");
    if (rc == OBS_OK && x.part.data && strstr(x.part.data, "macroEnabled")) {
        rc = col_report_add(rep, 0, "", "E_SHEET_MACRO",
                            "Le classeur est un classeur Excel prenant en charge les macros "
                            "(.xlsm) : enregistrez la grille au format .xlsx, puis déposez-la à "
                            "nouveau.");
        rc = rc ? rc : OBS_ERR_INPUT;
    }
    if (rc == OBS_OK)
        rc = read_workbook(&x, post, year, month, rid, sizeof rid);
    if (rc == OBS_OK)
        rc = read_rels(&x, rid);
    if (rc == OBS_OK)
        rc = read_strings(&x);
    if (rc == OBS_OK)
        rc = read_styles(&x);
    if (rc == OBS_OK)
        rc = read_sheet(&x, &s);
    if (rc == OBS_OK)
        rc = col_sheet_finish(&s);
out:
    col_sheet_free(&s);
    col_zip_close(x.zip);
    obs_buf_wipe(&x.part);
    obs_buf_wipe(&x.strings);
    free(x.str_off);
    free(x.xf_date);
    return rc;
}
