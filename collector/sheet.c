/* sheet.c: what the .xlsx and .ods readers share: the builder that turns a sheet's rows of
 * cells into the raw table (header row -> columns, then one table row per non-empty sheet
 * row, the sheet's row number as the line), cell names ("D12"), serial dates of both date
 * systems, the choice of the grid's sheet, the XML safety check and the naming of cells in
 * the validation report.
 */
#include "sheet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#define SHEET_ROW_MAX ((size_t)4 << 20) /* bytes of one row's cells */

void col_sheet_init(col_sheet *s, col_table *t, col_report *rep)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->rep = rep;
    for (int i = 0; i <= COL_SHEET_MAX_COLS; i++)
        s->map[i] = -1;
    obs_buf_init(&s->cells, SHEET_ROW_MAX);
}

void col_sheet_free(col_sheet *s)
{
    if (s)
        obs_buf_wipe(&s->cells);
}

const char *col_sheet_cell_name(char *buf, size_t cap, int col, int line)
{
    char letters[8];
    int k = 0;
    for (int c = col; c > 0 && k < 7; c = (c - 1) / 26)
        letters[k++] = (char)('A' + (c - 1) % 26);
    size_t o = 0;
    while (k > 0 && o + 1 < cap)
        buf[o++] = letters[--k];
    snprintf(buf + o, cap - o, "%d", line);
    return buf;
}

void col_sheet_row(col_sheet *s, int line)
{
    s->line = line;
    obs_buf_reset(&s->cells);
}

obs_status col_sheet_cell(col_sheet *s, int col, const char *text, size_t len)
{
    size_t b = 0, e = len;
    while (b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\n' || text[b] == '\r'))
        b++;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\n' ||
                     text[e - 1] == '\r'))
        e--;
    if (b == e)
        return OBS_OK; /* an empty (or blank) cell: trailing formatting */
    if (col < 1 || col > COL_SHEET_MAX_COLS) {
        char name[16];
        s->stopped = 1;
        obs_status rc = col_report_add(s->rep, s->line, "", "E_SHEET_TOO_WIDE",
                                       "Cellule %s : la feuille a des valeurs au-delà de la "
                                       "colonne %d ; une grille n'a que 12 colonnes, supprimez "
                                       "les colonnes en trop.",
                                       col_sheet_cell_name(name, sizeof name, col, s->line),
                                       COL_SHEET_MAX_COLS);
        return rc ? rc : OBS_ERR_INPUT;
    }
    size_t n = len; /* the raw text: validation trims like it does for CSV */
    obs_status rc = obs_buf_append(&s->cells, &col, sizeof col);
    if (rc == OBS_OK)
        rc = obs_buf_append(&s->cells, &n, sizeof n);
    if (rc == OBS_OK)
        rc = obs_buf_append(&s->cells, text, n);
    return rc;
}

/* Read the header row from the collected cells. */
static obs_status read_header(col_sheet *s)
{
    obs_status rc = OBS_OK;
    col_table *t = s->t;
    s->header_line = s->line;
    for (size_t o = 0; o < s->cells.len && rc == OBS_OK;) {
        int col;
        size_t n;
        memcpy(&col, s->cells.data + o, sizeof col);
        memcpy(&n, s->cells.data + o + sizeof col, sizeof n);
        const char *text = s->cells.data + o + sizeof col + sizeof n;
        o += sizeof col + sizeof n + n;
        int f = col_field_lookup(text, n, &rc);
        if (rc)
            break;
        char name[16], q[COL_QUOTE_SIZE];
        col_sheet_cell_name(name, sizeof name, col, s->line);
        if (f < 0) {
            rc = col_report_add(s->rep, s->line, "", "W_COLUMN_UNKNOWN",
                                "Cellule %s : la colonne « %s » ne fait pas partie de la grille : "
                                "elle est ignorée et ses valeurs ne sont pas enregistrées.",
                                name, col_report_quote(q, sizeof q, text, n));
        } else if (t->present[f]) {
            rc = col_report_add(s->rep, s->line, col_field_name((col_field)f),
                                "E_COLUMN_DUPLICATE",
                                "Cellule %s : la colonne « %s » figure deux fois dans l'en-tête : "
                                "gardez-en une seule.",
                                name, col_field_name((col_field)f));
        } else {
            t->present[f] = 1;
            t->sheetcol[f] = (uint16_t)col;
            s->map[col] = f;
        }
    }
    return rc;
}

/* Append the collected cells as one table row. */
static obs_status add_row(col_sheet *s)
{
    if (col_table_add_row(s->t, s->line) < 0) {
        if (s->t->n < COL_MAX_ROWS)
            return OBS_ERR_NOMEM;
        s->stopped = 1;
        obs_status rc = col_report_add(s->rep, s->line, "", "E_TOO_MANY_ROWS",
                                       "La feuille compte plus de %d lignes de contacts : "
                                       "découpez-la ou vérifiez qu'elle ne contient pas d'autres "
                                       "données.",
                                       COL_MAX_ROWS);
        return rc ? rc : OBS_ERR_TOO_LARGE;
    }
    obs_status rc = OBS_OK;
    for (size_t o = 0; o < s->cells.len && rc == OBS_OK;) {
        int col;
        size_t n;
        memcpy(&col, s->cells.data + o, sizeof col);
        memcpy(&n, s->cells.data + o + sizeof col, sizeof n);
        const char *text = s->cells.data + o + sizeof col + sizeof n;
        o += sizeof col + sizeof n + n;
        if (s->map[col] >= 0)
            rc = col_table_set(s->t, (col_field)s->map[col], text, n);
    }
    return rc;
}

obs_status col_sheet_end_row(col_sheet *s, int repeat)
{
    if (s->cells.len == 0 || s->stopped)
        return OBS_OK; /* an empty row: ignored, never counted */
    obs_status rc = OBS_OK;
    if (s->header_line == 0) {
        rc = read_header(s);
        repeat = 0;
    }
    for (int i = 0; i < repeat && rc == OBS_OK; i++) {
        rc = add_row(s);
        s->line++;
    }
    obs_buf_reset(&s->cells);
    return rc;
}

obs_status col_sheet_finish(col_sheet *s)
{
    obs_status rc;
    if (s->header_line == 0) {
        rc = col_report_add(s->rep, 0, "", "E_EMPTY",
                            "La feuille de la grille est vide : la première ligne doit être "
                            "l'en-tête (date_contact, ref_personne, sexe, statut, origine, "
                            "connu_ss, problematiques, mode…), les contacts en dessous.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    for (int f = 0; f < COL_NFIELDS; f++) {
        if (col_field_required((col_field)f) && !s->t->present[f]) {
            rc = col_report_add(s->rep, s->header_line, col_field_name((col_field)f),
                                "E_COLUMN_MISSING",
                                "Ligne %d : la colonne obligatoire « %s » manque dans l'en-tête "
                                "de la grille.",
                                s->header_line, col_field_name((col_field)f));
            if (rc)
                return rc;
        }
    }
    return OBS_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

int col_sheet_serial_date(double serial, int date1904, char out[11])
{
    if (!isfinite(serial) || serial < 1 || serial > 2958465)
        return 0;
    long day = (long)floor(serial);
    /* 1900 system: day 1 = 1900-01-01, with Lotus's phantom 1900-02-29 (day 60); from day 61
     * on, serial 25569 is 1970-01-01. 1904 system: day 0 = 1904-01-01. */
    long unix_day;
    if (date1904) {
        unix_day = day + days_from_civil(1904, 1, 1);
    } else {
        if (day == 60)
            return 0;
        unix_day = day < 60 ? day - 1 + days_from_civil(1900, 1, 1) : day - 25569;
    }
    long z = unix_day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    snprintf(out, 11, "%04d-%02d-%02d", (int)(y % 10000), (int)(m % 100), (int)(d % 100));
    return 1;
}

obs_status col_sheet_name_cells(const col_table *t, col_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        col_issue *it = &rep->items[i];
        if (it->line <= 0 || it->cell[0] || it->column[0] == '\0' ||
            (it->message && strncmp(it->message, "Cellule ", 8) == 0))
            continue;
        int col = 0;
        for (int f = 0; f < COL_NFIELDS; f++) {
            if (strcmp(it->column, col_field_name((col_field)f)) == 0)
                col = t->sheetcol[f];
        }
        if (col == 0)
            continue;
        col_sheet_cell_name(it->cell, sizeof it->cell, col, it->line);
        size_t ml = it->message ? strlen(it->message) : 0;
        size_t cl = strlen(it->cell);
        char *m = malloc(ml + cl + 48);
        if (m == NULL)
            return OBS_ERR_NOMEM;
        snprintf(m, ml + cl + 48, "Cellule %s (ligne %d) : %s", it->cell, it->line,
                 it->message ? it->message : "");
        if (it->message)
            obs_wipe(it->message, ml);
        free(it->message);
        it->message = m;
    }
    return OBS_OK;
}

int col_sheet_name_is_grid(const char *name, const char *post, int year, int month)
{
    obs_buf f;
    obs_buf_init(&f, 4096);
    if (obs_text_fold(name, strlen(name), &f) || f.data == NULL) {
        obs_buf_free(&f);
        return 0;
    }
    char period[16], full[48];
    snprintf(period, sizeof period, "%04d-%02d", year, month);
    snprintf(full, sizeof full, "%s_%s", post ? post : "", period);
    int yes = strcmp(f.data, "GRILLE") == 0 || strcasecmp(name, period) == 0 ||
              strcasecmp(name, full) == 0;
    obs_buf_free(&f);
    return yes;
}

obs_status col_sheet_xml_safe(const obs_buf *xml, const char *part, col_report *rep)
{
    const unsigned char *p = (const unsigned char *)(xml->data ? xml->data : "");
    size_t n = xml->len;
    obs_status rc;
    if (n >= 2 && (p[0] == 0 || p[1] == 0 || (p[0] == 0xFF && p[1] == 0xFE) ||
                   (p[0] == 0xFE && p[1] == 0xFF))) {
        rc = col_report_add(rep, 0, "", "E_SHEET_XML",
                            "La partie « %s » du classeur n'est pas en UTF-8 : enregistrez le "
                            "classeur à nouveau depuis le tableur.",
                            part);
        return rc ? rc : OBS_ERR_INPUT;
    }
    for (size_t i = 0; i + 9 <= n; i++) {
        if (p[i] == '<' && p[i + 1] == '!' && strncasecmp((const char *)p + i + 2, "DOCTYPE", 7) == 0) {
            rc = col_report_add(rep, 0, "", "E_SHEET_DOCTYPE",
                                "La partie « %s » du classeur contient une déclaration <!DOCTYPE> "
                                "(entités) : un tableur n'en écrit jamais, le fichier est refusé.",
                                part);
            return rc ? rc : OBS_ERR_INPUT;
        }
    }
    return OBS_OK;
}

obs_status col_sheet_number(col_sheet *s, int col, double v, int isdate, int date1904)
{
    char buf[48];
    int f = col >= 1 && col <= COL_SHEET_MAX_COLS ? s->map[col] : -1;
    if (isdate && col_sheet_serial_date(v, date1904, buf))
        return col_sheet_cell(s, col, buf, strlen(buf));
    if (!isfinite(v))
        snprintf(buf, sizeof buf, "%s", "#NOMBRE");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, sizeof buf, f == COL_CODE_POSTAL && v >= 0 && v < 1e5 ? "%05.0f" : "%.0f", v);
    else
        snprintf(buf, sizeof buf, "%.15g", v);
    return col_sheet_cell(s, col, buf, strlen(buf));
}

/* libxml2's messages would reach stderr; our report says what matters. */
static void xml_quiet(void *arg, xmlErrorPtr err)
{
    (void)arg;
    (void)err;
}

xmlTextReaderPtr col_sheet_xml_open(const obs_buf *xml, const char *part)
{
    /* Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE (libxml2's size limits
     * stay). */
    xmlTextReaderPtr r = xmlReaderForMemory(xml->data ? xml->data : "", (int)xml->len, part,
                                            NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
    if (r)
        xmlTextReaderSetStructuredErrorHandler(r, xml_quiet, NULL);
    return r;
}

int col_sheet_xml_next(xmlTextReaderPtr r, const char *part, col_report *rep, obs_status *rc)
{
    int k = xmlTextReaderRead(r);
    int type = k == 1 ? xmlTextReaderNodeType(r) : 0;
    if (k == 1 && type != XML_READER_TYPE_DOCUMENT_TYPE && type != XML_READER_TYPE_ENTITY_REFERENCE)
        return 1;
    if (k == 0)
        return 0;
    int line = xmlTextReaderGetParserLineNumber(r);
    if (k == 1)
        *rc = col_report_add(rep, 0, "", "E_SHEET_DOCTYPE",
                             "La partie « %s » du classeur contient une déclaration <!DOCTYPE> ou "
                             "une entité (ligne %d du XML) : un tableur n'en écrit jamais, le "
                             "fichier est refusé.",
                             part, line);
    else
        *rc = col_report_add(rep, 0, "", "E_SHEET_XML",
                             "La partie « %s » du classeur est mal formée (ligne %d du XML) : "
                             "enregistrez le classeur à nouveau depuis le tableur.",
                             part, line);
    if (*rc == OBS_OK)
        *rc = OBS_ERR_INPUT;
    return -1;
}

char *col_sheet_xml_attr(xmlTextReaderPtr r, const char *local)
{
    char *v = NULL;
    if (xmlTextReaderMoveToFirstAttribute(r) != 1)
        return NULL;
    do {
        const char *n = (const char *)xmlTextReaderConstLocalName(r);
        if (n && strcmp(n, local) == 0) {
            v = (char *)xmlTextReaderValue(r);
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    xmlTextReaderMoveToElement(r);
    return v;
}
