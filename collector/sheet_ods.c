/* sheet_ods.c: the .ods (OpenDocument spreadsheet) reader: the package's mimetype, its
 * manifest (encryption), macros (Basic/, Scripts/), then content.xml streamed with libxml2's
 * xmlTextReader: the table named for the grid or the first one, rows and cells with their
 * repetitions (table:number-rows-repeated, table:number-columns-repeated), typed values
 * (office:value, office:date-value, which are ISO dates whatever the file's null date) and
 * the text of <text:p> paragraphs, into the sheet builder of sheet.c.
 */
#include "sheet.h"

#include <stdlib.h>
#include <string.h>

#define ODS_MIME "application/vnd.oasis.opendocument.spreadsheet"
#define ODS_PART "content.xml"

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

/* An attribute as a count (repetitions, spaces): 1 when absent or out of [1, max]. */
static long attr_count(xmlTextReaderPtr r, const char *local, long max)
{
    char *v = col_sheet_xml_attr(r, local);
    long n = v ? strtol(v, NULL, 10) : 1;
    xmlFree(v);
    return n >= 1 && n <= max ? n : (n > max ? max : 1);
}

static obs_status refuse(col_report *rep, const char *code, const char *msg)
{
    obs_status rc = col_report_add(rep, 0, "", code, "%s", msg);
    return rc ? rc : OBS_ERR_INPUT;
}

/* The package: an OpenDocument spreadsheet, not encrypted, without macros. */
static obs_status check_package(col_zip *z, obs_buf *part, col_report *rep)
{
    obs_status rc = col_zip_read(z, "mimetype", part, rep);
    if (rc)
        return rc;
    if (part->len < strlen(ODS_MIME) || strncmp(part->data, ODS_MIME, strlen(ODS_MIME)) != 0 ||
        (part->len > strlen(ODS_MIME) && part->data[strlen(ODS_MIME)] == '-'))
        return refuse(rep, "E_SHEET_NOT_ZIP",
                      "Le fichier n'est pas un classeur OpenDocument (.ods) : enregistrez la "
                      "grille depuis le tableur au format .ods.");
    if (col_zip_has(z, "META-INF/manifest.xml")) {
        rc = col_zip_read(z, "META-INF/manifest.xml", part, rep);
        if (rc)
            return rc;
        if (part->data && strstr(part->data, "encryption-data"))
            return refuse(rep, "E_SHEET_ENCRYPTED",
                          "Le classeur est protégé par un mot de passe : enregistrez-le sans mot "
                          "de passe, puis déposez-le à nouveau.");
    }
    if (col_zip_has_prefix(z, "Basic/") || col_zip_has_prefix(z, "Scripts/"))
        return refuse(rep, "E_SHEET_MACRO",
                      "Le classeur contient des macros : pour la sécurité de tous, enregistrez "
                      "la grille sans macros, puis déposez-la à nouveau.");
    return OBS_OK;
}

/* First pass: the index of the table named for the grid, or 0 (the first). */
static obs_status pick_table(const obs_buf *xml, const char *post, int year, int month,
                             col_report *rep, int *pick)
{
    obs_status rc = OBS_OK;
    xmlTextReaderPtr r = col_sheet_xml_open(xml, ODS_PART);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    int k, i = 0;
    *pick = 0;
    k = col_sheet_xml_next(r, ODS_PART, rep, &rc);
    while (k == 1) {
        if (is_elem(r, "table")) {
            char *name = col_sheet_xml_attr(r, "name");
            int grid = name && col_sheet_name_is_grid(name, post, year, month);
            xmlFree(name);
            if (grid) {
                *pick = i;
                break;
            }
            i++;
            k = xmlTextReaderNext(r); /* skip the table's content */
            if (k == 1)
                continue;
            if (k < 0)
                k = col_sheet_xml_next(r, ODS_PART, rep, &rc); /* reports the error */
            break;
        }
        k = col_sheet_xml_next(r, ODS_PART, rep, &rc);
    }
    xmlFreeTextReader(r);
    return k < 0 ? rc : OBS_OK;
}

/* The text of a cell: paragraphs joined by line breaks, text:s, text:tab, text:line-break;
 * annotations (comments) skipped. Reads up to the cell's end element. */
static int cell_text(xmlTextReaderPtr r, const char *end, col_report *rep, obs_status *rc,
                     obs_buf *out)
{
    int k, paras = 0;
    while ((k = col_sheet_xml_next(r, ODS_PART, rep, rc)) == 1) {
        int t = xmlTextReaderNodeType(r);
        if (is_end(r, end))
            return 1;
        if (is_elem(r, "annotation")) {
            if (xmlTextReaderNext(r) != 1)
                return col_sheet_xml_next(r, ODS_PART, rep, rc) < 0 ? -1 : 0;
            if (is_end(r, end))
                return 1;
            t = xmlTextReaderNodeType(r);
        }
        if (is_elem(r, "p") && paras++ > 0)
            *rc = obs_buf_putc(out, '\n');
        else if (is_elem(r, "s"))
            for (long n = attr_count(r, "c", 1000); n > 0 && *rc == OBS_OK; n--)
                *rc = obs_buf_putc(out, ' ');
        else if (is_elem(r, "tab"))
            *rc = obs_buf_putc(out, '\t');
        else if (is_elem(r, "line-break"))
            *rc = obs_buf_putc(out, '\n');
        else if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)
            *rc = obs_buf_puts(out, (const char *)xmlTextReaderConstValue(r));
        if (*rc)
            return -1;
    }
    return k;
}

/* One table:table-cell (or covered cell) at column *col: its value, repeated. */
static obs_status read_cell(xmlTextReaderPtr r, col_sheet *s, int *col, obs_buf *v,
                            col_report *rep)
{
    const char *end = (const char *)xmlTextReaderConstLocalName(r);
    char endname[32];
    snprintf(endname, sizeof endname, "%s", end ? end : "");
    long rep_cols = attr_count(r, "number-columns-repeated", 20000);
    char *type = col_sheet_xml_attr(r, "value-type");
    char *value = NULL;
    obs_status rc = OBS_OK;
    obs_buf_reset(v);
    if (type && (strcmp(type, "float") == 0 || strcmp(type, "percentage") == 0 ||
                 strcmp(type, "currency") == 0))
        value = col_sheet_xml_attr(r, "value");
    else if (type && strcmp(type, "date") == 0)
        value = col_sheet_xml_attr(r, "date-value");
    else if (type && strcmp(type, "boolean") == 0)
        value = col_sheet_xml_attr(r, "boolean-value");
    if (!xmlTextReaderIsEmptyElement(r) &&
        cell_text(r, endname, rep, &rc, v) < 0)
        goto out;
    for (long i = 0; i < rep_cols && rc == OBS_OK; i++) {
        int c = *col + 1 + (int)i;
        if (value && strcmp(type, "date") == 0) {
            rc = col_sheet_cell(s, c, value, strcspn(value, "T"));
        } else if (value && strcmp(type, "boolean") != 0) {
            char *e;
            double d = strtod(value, &e);
            rc = *e ? col_sheet_cell(s, c, value, strlen(value)) : col_sheet_number(s, c, d, 0, 0);
        } else {
            rc = col_sheet_cell(s, c, v->data ? v->data : "", v->len);
        }
        if (v->len == 0 && value == NULL)
            break; /* empty repeated cells: only the position counts */
    }
    *col += (int)rep_cols;
out:
    xmlFree(type);
    xmlFree(value);
    return rc;
}

/* Second pass: the rows of table number `pick`. */
static obs_status read_table(const obs_buf *xml, int pick, col_sheet *s, col_report *rep)
{
    obs_status rc = OBS_OK;
    xmlTextReaderPtr r = col_sheet_xml_open(xml, ODS_PART);
    if (r == NULL)
        return OBS_ERR_NOMEM;
    obs_buf v;
    obs_buf_init(&v, COL_ZIP_MAX_ENTRY);
    int k, table = -1, inside = 0, line = 0, col = 0;
    long rep_rows = 1;
    while (rc == OBS_OK && (k = col_sheet_xml_next(r, ODS_PART, rep, &rc)) == 1) {
        if (is_elem(r, "table")) {
            table++;
            inside = table == pick;
            if (table > pick)
                break;
        } else if (!inside) {
            continue;
        } else if (is_end(r, "table")) {
            break;
        } else if (is_elem(r, "table-row")) {
            rep_rows = attr_count(r, "number-rows-repeated", COL_SHEET_MAX_ROW);
            col = 0;
            col_sheet_row(s, line + 1);
            if (xmlTextReaderIsEmptyElement(r)) {
                line += (int)rep_rows;
                if (line > COL_SHEET_MAX_ROW)
                    break;
            }
        } else if (is_end(r, "table-row")) {
            rc = col_sheet_end_row(s, (int)(rep_rows < COL_MAX_ROWS + 1 ? rep_rows : COL_MAX_ROWS + 1));
            line += (int)rep_rows;
            if (line > COL_SHEET_MAX_ROW)
                break;
        } else if (is_elem(r, "table-cell") || is_elem(r, "covered-table-cell")) {
            rc = read_cell(r, s, &col, &v, rep);
        }
    }
    obs_buf_wipe(&v);
    xmlFreeTextReader(r);
    return rc;
}

obs_status col_ods_parse(const char *data, size_t len, const char *post, int year, int month,
                         col_table *t, col_report *rep)
{
    col_zip *z = NULL;
    obs_buf part;
    obs_buf_init(&part, COL_ZIP_MAX_ENTRY);
    col_sheet s;
    col_sheet_init(&s, t, rep);
    int pick = 0;
    obs_status rc = col_zip_open(data, len, &z, rep);
    if (rc == OBS_OK)
        rc = check_package(z, &part, rep);
    if (rc == OBS_OK)
        rc = col_zip_read(z, ODS_PART, &part, rep);
    if (rc == OBS_OK)
        rc = col_sheet_xml_safe(&part, ODS_PART, rep);
    if (rc == OBS_OK)
        rc = pick_table(&part, post, year, month, rep, &pick);
    if (rc == OBS_OK)
        rc = read_table(&part, pick, &s, rep);
    if (rc == OBS_OK)
        rc = col_sheet_finish(&s);
    col_sheet_free(&s);
    col_zip_close(z);
    obs_buf_wipe(&part);
    return rc;
}
