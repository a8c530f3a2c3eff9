/* grid.h: one monthly grid on its way in, and the validation report that goes back.
 *
 * The journey inside the collector is:
 *   bytes --(csv.c | grid_xml.c)--> col_table   raw UTF-8 cells, one row per contact
 *         --(validate.c)----------> col_grid    typed rows, minimised (age band, département)
 *         --(pseudonym.c)---------> col_grid    + keyed pseudonyms; raw references wiped
 *         --(store.c)-------------> PostgreSQL  COPY inside one transaction
 * Every stage adds its problems to one col_report; any error rejects the whole grid.
 * Raw personal values live only in a col_table's arena, which col_table_free wipes.
 */
#ifndef COL_GRID_H
#define COL_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* The columns of grid-format.md section 3, in that order. */
typedef enum col_field {
    COL_DATE_CONTACT,
    COL_REF_PERSONNE,
    COL_DATE_NAISSANCE,
    COL_SEXE,
    COL_CODE_POSTAL,
    COL_STATUT,
    COL_ORIGINE,
    COL_CONNU_SS,
    COL_PROBLEMATIQUES,
    COL_ORIENTATIONS,
    COL_MODE,
    COL_COMMENTAIRE,
    COL_NFIELDS
} col_field;

/* The column's name as written in a CSV header ("date_contact", ...). */
const char *col_field_name(col_field f);
/* 1 when the column must be present in the header. */
int col_field_required(col_field f);
/* The column a header name s[0..len) designates: folded (case, accents, spaces, '_' and
 * '-') and compared with the folded column names. Returns the col_field, -1 for an unknown
 * name, -2 for an empty one; *rc gets OBS_ERR_NOMEM when memory ran out. */
int col_field_lookup(const char *s, size_t len, obs_status *rc);

#define COL_MAX_ROWS 50000     /* grid-format.md section 6 */
#define COL_MAX_ISSUES 1000    /* issues kept in a report; the rest are only counted */

/* ---- the validation report ---- */

typedef struct col_issue {
    int line;          /* physical line in the file (1 = CSV header) or XML line; 0 = whole file */
    char column[24];   /* column name, "" when the problem is not about one column */
    char code[32];     /* stable code: E_... (error) or W_... (warning) */
    char cell[16];     /* spreadsheets: the cell ("D12"), "" otherwise (collector/sheet.c) */
    char *message;     /* French sentence; may quote the post's own value (owned) */
} col_issue;

typedef struct col_report {
    col_issue *items; /* the first COL_MAX_ISSUES issues, in the order found */
    size_t n, cap;
    size_t nerrors;   /* all errors, including those not kept */
    size_t nwarnings; /* all warnings, including those not kept */
} col_report;

void col_report_init(col_report *r);
/* Add one issue; the code's first letter (E or W) decides error or warning. Returns
 * OBS_ERR_NOMEM only when memory ran out (the issue is still counted). */
obs_status col_report_add(col_report *r, int line, const char *column, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Free messages (wiped: they may quote personal values) and the array. */
void col_report_free(col_report *r);

#define COL_QUOTE_CHARS 60  /* a value quoted in a message is cut after this many characters */
#define COL_QUOTE_SIZE 256  /* a buffer big enough for col_report_quote */
/* Write into buf (cap bytes, COL_QUOTE_SIZE is enough) a copy of the UTF-8 value s[0..len)
 * fit for a message: at most COL_QUOTE_CHARS characters then "…", control characters as
 * spaces. Returns buf. */
const char *col_report_quote(char *buf, size_t cap, const char *s, size_t len);

/* ---- raw cells ---- */

typedef struct col_rawrow {
    int line;                     /* physical line where the row starts */
    uint32_t cell[COL_NFIELDS];   /* offset of the cell's text in the arena; 0 = absent */
} col_rawrow;

typedef struct col_table {
    col_rawrow *rows;
    size_t n, cap;
    int present[COL_NFIELDS];     /* 1 when the column is in the header / the XML */
    obs_buf arena;                /* all cell texts, NUL-separated; byte 0 is a NUL */
    char post[16];                /* XML only: the grille/@poste attribute ("" for CSV) */
    char period[8];               /* XML only: the grille/@periode attribute */
    uint16_t sheetcol[COL_NFIELDS]; /* spreadsheets: the field's sheet column (1 = A), 0 = none */
} col_table;

void col_table_init(col_table *t);
/* The cell's text (NUL-terminated UTF-8) or NULL when absent. Multi-valued XML cells are
 * joined with '|' like CSV ones. */
const char *col_table_cell(const col_table *t, size_t row, col_field f);
/* Append an empty row starting at physical line `line`; returns its index or -1 (no memory
 * or more than COL_MAX_ROWS rows). */
long col_table_add_row(col_table *t, int line);
/* Set a cell of the last row to s[0..len) (copied into the arena). */
obs_status col_table_set(col_table *t, col_field f, const char *s, size_t len);
/* Wipe the arena (raw personal values) and free everything. */
void col_table_free(col_table *t);

/* ---- parsers: bytes -> col_table ---- */

/* Parse a CSV grid (grid-format.md section 2.1). charset is the Content-Type's charset
 * parameter or NULL. Problems go to rep; returns OBS_OK when parsing could go on to
 * validation (rep may still hold errors), OBS_ERR_INPUT when the body cannot be read as a
 * grid at all (empty, binary, encoding, no header, unclosed quote: rep says why),
 * OBS_ERR_TOO_LARGE past COL_MAX_ROWS rows, OBS_ERR_NOMEM on memory exhaustion. */
obs_status col_csv_parse(const char *data, size_t len, const char *charset, col_table *t,
                         col_report *rep);

/* Parse an XML grid: XSD validation (grille-1.xsd, no network, no entities), then cells.
 * Same return values as col_csv_parse; OBS_ERR_INTERNAL when the embedded XSD does not
 * compile (a build defect). */
obs_status col_xml_parse(const char *data, size_t len, col_table *t, col_report *rep);

/* The media types of spreadsheet uploads (read by collector/sheet_xlsx.c, sheet_ods.c). */
#define COL_MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define COL_MEDIA_ODS "application/vnd.oasis.opendocument.spreadsheet"

/* ---- typed rows ---- */

typedef struct col_row {
    int line;              /* physical line, for messages */
    uint8_t day;           /* day of month of date_contact */
    const char *ref;       /* raw ref_personne, inside the table's arena (wiped with it) */
    uint32_t who;          /* index of the row's person in col_grid.people */
    uint8_t person[16];    /* HMAC pseudonym, filled by col_pseudonymise */
    int8_t sexe;           /* index in REF_SEXE */
    int8_t age;            /* index in REF_AGE (derived at the contact date) */
    char dep_res[4];       /* département of residence, "" when unknown */
    int8_t statut, origine, connu_ss, mode;   /* indexes in their lists */
    uint32_t problems;     /* bitmask over REF_PROBLEMATIQUE order, never 0 */
    uint32_t orientations; /* bitmask over REF_PARTENAIRE order, 0 = none */
} col_row;

/* A distinct person of the grid: the folded reference (grid-format.md section 5), at
 * col_grid.keys.data + off, len bytes. */
typedef struct col_person {
    uint32_t off, len;
} col_person;

typedef struct col_grid {
    char post[16];    /* ISCG-DDD-NN */
    int year, month;  /* the grid's month */
    col_row *rows;
    size_t n;
    col_person *people; /* the distinct persons, in order of first appearance */
    size_t persons;     /* how many */
    obs_buf keys;       /* their folded references (personal: wiped by col_grid_free) */
} col_grid;

/* Check every cell of t for post and year-month, filling g with typed, minimised rows and
 * its distinct persons (each reference folded once, for the sexe check and the pseudonyms).
 * Every problem goes to rep (errors and warnings). OBS_OK unless memory ran out: the
 * caller looks at rep->nerrors. g->rows point into t (ref), so t must outlive g. */
obs_status col_validate(const col_table *t, const char *post, int year, int month, col_grid *g,
                        col_report *rep);

void col_grid_free(col_grid *g);

/* The whole pipeline before pseudonymisation: pick the parser from the Content-Type
 * ("text/csv[; charset=...]", "application/xml", "text/xml"; parameters and case ignored),
 * parse data[0..len) into t, then validate into g for post and year-month. t and rep must
 * be initialised (col_table_init, col_report_init); g is overwritten. The caller frees all
 * three (t last: g points into it). Every problem of the body is in rep and the grid is
 * accepted only when rep->nerrors == 0 (a body that could not even be parsed leaves g empty
 * with its reason in rep: E_EMPTY, E_ENCODING, E_TOO_MANY_ROWS, E_CONTENT_TYPE...). Returns
 * OBS_OK in all those cases; OBS_ERR_NOMEM or OBS_ERR_INTERNAL only for trouble on our side. */
obs_status col_parse_grid(const char *data, size_t len, const char *content_type,
                          const char *post, int year, int month, col_table *t, col_grid *g,
                          col_report *rep);

#endif
