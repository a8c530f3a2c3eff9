/* sheet.h: spreadsheet uploads (.xlsx, .ods) on their way into the raw cell table.
 *
 *   bytes --(zipfile.c)----------------> checked zip entries (limits, names, encryption)
 *         --(sheet_xlsx.c | sheet_ods.c)-> cells (row, column, text), row by row
 *         --(sheet.c)-------------------> col_table, the same as the CSV and XML readers fill
 * Each cell of the table remembers its sheet column, so that every problem the validation
 * finds later names its cell ("D12") as well as its line (the sheet's row number).
 */
#ifndef COL_SHEET_H
#define COL_SHEET_H

#include <stddef.h>
#include <libxml/xmlreader.h>

#include "buf.h"
#include "grid.h"

/* ---- the zip container (zipfile.c) ---- */

#define COL_ZIP_MAX_ENTRIES 256                    /* an .xlsx has ~10, an .ods ~8 */
#define COL_ZIP_MAX_ENTRY ((size_t)64 << 20)       /* uncompressed bytes of one entry */
#define COL_ZIP_MAX_TOTAL ((size_t)128 << 20)      /* uncompressed bytes of all entries */
#define COL_ZIP_MAX_RATIO 200                      /* uncompressed / compressed, per entry */
#define COL_ZIP_RATIO_FLOOR ((size_t)1 << 20)      /* entries below 1 MiB escape the ratio */

typedef struct col_zip col_zip;

/* Open the zip held in data[0..len) (not copied: data must outlive the zip) and check every
 * entry against the limits above, names ("..", absolute, backslashes) and encryption.
 * Returns OBS_OK with *out set, OBS_ERR_INPUT with the reason in rep (E_SHEET_NOT_ZIP,
 * E_SHEET_ENCRYPTED, E_ZIP_ENTRIES, E_ZIP_NAME, E_ZIP_TOO_LARGE, E_ZIP_RATIO), OBS_ERR_NOMEM. */
obs_status col_zip_open(const char *data, size_t len, col_zip **out, col_report *rep);
/* 1 when the archive has an entry of that exact name. */
int col_zip_has(const col_zip *z, const char *name);
/* 1 when some entry's name starts with prefix. */
int col_zip_has_prefix(const col_zip *z, const char *prefix);
/* Read the entry `name` into out (reset first), never more than its checked size.
 * OBS_ERR_INPUT (reported: E_SHEET_STRUCTURE when missing, E_ZIP_TOO_LARGE / E_ZIP_RATIO
 * when it inflates past its declaration, E_SHEET_NOT_ZIP when corrupt), OBS_ERR_NOMEM. */
obs_status col_zip_read(col_zip *z, const char *name, obs_buf *out, col_report *rep);
/* Close; accepts NULL. */
void col_zip_close(col_zip *z);

/* ---- from cells to the raw table (sheet.c) ---- */

#define COL_SHEET_MAX_COLS 200  /* a value right of this column refuses the sheet */
#define COL_SHEET_MAX_ROW 1048576

/* The builder the two readers feed: row by row, cells left to right. */
typedef struct col_sheet {
    col_table *t;
    col_report *rep;
    int header_line;               /* sheet row of the header, 0 until it is read */
    int map[COL_SHEET_MAX_COLS + 1]; /* sheet column (1-based) -> col_field, -1 = ignored */
    int line;                      /* current row number */
    obs_buf cells;                 /* the current row's cells: [int col][size_t len][text] */
    int stopped;                   /* a problem that ends the reading was reported */
} col_sheet;

void col_sheet_init(col_sheet *s, col_table *t, col_report *rep);
/* Start row `line` (1-based; rows never go back). */
void col_sheet_row(col_sheet *s, int line);
/* A cell of the current row: column col (1-based), text[0..len) (empty cells may be
 * skipped). OBS_ERR_INPUT (reported E_SHEET_TOO_WIDE) for a value right of
 * COL_SHEET_MAX_COLS, OBS_ERR_NOMEM / OBS_ERR_TOO_LARGE. */
obs_status col_sheet_cell(col_sheet *s, int col, const char *text, size_t len);
/* End the current row, which stands for `repeat` identical rows (ODS). The first row with
 * a value is the header; later rows become table rows. OBS_ERR_INPUT / OBS_ERR_TOO_LARGE
 * (reported) past COL_MAX_ROWS rows. */
obs_status col_sheet_end_row(col_sheet *s, int repeat);
/* After the last row: report an empty sheet or missing columns. Returns OBS_ERR_INPUT
 * (reported) when there is no header, else OBS_OK. */
obs_status col_sheet_finish(col_sheet *s);
void col_sheet_free(col_sheet *s);

/* Write the cell name of (col, line) into buf ("D12"; cap >= 16). Returns buf. */
const char *col_sheet_cell_name(char *buf, size_t cap, int col, int line);
/* Format a serial day number of either date system as YYYY-MM-DD into out[11]. Returns 0
 * when the number is no date between 1900 and 9999. */
int col_sheet_serial_date(double serial, int date1904, char out[11]);
/* Prefix every issue of rep that is about a cell of t with "Cellule D12 : " and set its
 * cell name; a no-op for tables not read from a sheet. OBS_ERR_NOMEM. */
obs_status col_sheet_name_cells(const col_table *t, col_report *rep);
/* 1 when the folded sheet name designates the grid: "grille", "YYYY-MM" or "POST_YYYY-MM". */
int col_sheet_name_is_grid(const char *name, const char *post, int year, int month);
/* Refuse an XML part that declares a DOCTYPE or is not UTF-8 (E_SHEET_DOCTYPE, E_SHEET_XML:
 * OBS_ERR_INPUT, reported with the part's name). */
obs_status col_sheet_xml_safe(const obs_buf *xml, const char *part, col_report *rep);

/* A cell's number: a date (YYYY-MM-DD) when the cell is date-formatted, otherwise the
 * number as a spreadsheet shows it in General format ("69003", "1.5"); a code_postal typed
 * as a number gets back the leading zero the spreadsheet dropped ("1000" -> "01000"). */
obs_status col_sheet_number(col_sheet *s, int col, double v, int isdate, int date1904);

/* Open a streaming reader on an XML part, already checked by col_sheet_xml_safe: no
 * network, no DTD, no entity substitution, libxml2's own messages silenced. NULL when memory
 * ran out. */
xmlTextReaderPtr col_sheet_xml_open(const obs_buf *xml, const char *part);
/* The next node: 1, 0 at the end, -1 when the XML is malformed or holds a DOCTYPE or an
 * entity reference (reported: E_SHEET_XML / E_SHEET_DOCTYPE with the XML line; *rc set to
 * OBS_ERR_INPUT or OBS_ERR_NOMEM). */
int col_sheet_xml_next(xmlTextReaderPtr r, const char *part, col_report *rep, obs_status *rc);
/* The value of the attribute of local name `local` (any namespace) of the current element,
 * or NULL; owned by the caller (xmlFree). */
char *col_sheet_xml_attr(xmlTextReaderPtr r, const char *local);

/* ---- the readers ---- */

/* Read an .xlsx (Office Open XML) grid: the sheet named for the grid (see
 * col_sheet_name_is_grid) or the first one. Same return values as col_csv_parse. */
obs_status col_xlsx_parse(const char *data, size_t len, const char *post, int year, int month,
                          col_table *t, col_report *rep);
/* Read an .ods (OpenDocument) grid, same rules. */
obs_status col_ods_parse(const char *data, size_t len, const char *post, int year, int month,
                         col_table *t, col_report *rep);

#endif
