/* template.h: the grid template a post downloads to fill in its month (issue 15, point 1).
 *
 * One content model (template.c) and two writers: .xlsx with libxlsxwriter
 * (template_xlsx.c) and .ods with libzip and libxml2's xmlTextWriter (template_ods.c). Both
 * write the same thing: a first sheet named "<post>_<YYYY-MM>" (the name the upload reader
 * looks for) whose row 1 is the grid's header, frozen, with a dropdown list for every coded
 * column and date cells limited to the month; a second sheet "Instructions" with the post,
 * the month, how to fill the grid and every code list with its French labels (the dropdowns
 * read their lists there). The files are reproducible: the same post and month give the same
 * bytes (every timestamp is the first day of the month), so the route and the command agree.
 */
#ifndef EXP_TEMPLATE_H
#define EXP_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "ref.h"
#include "status.h"

/* Rows of the grid sheet that carry the validations (header + EXP_TPL_ROWS contacts). */
#define EXP_TPL_ROWS 2000
#define EXP_TPL_NCOLS 12
#define EXP_TPL_MAX_BYTES ((size_t)8 << 20) /* a template is ~30 KiB */

typedef enum exp_tpl_kind {
    EXP_TPL_TEXT,     /* free text (ref_personne, commentaire): stored as text */
    EXP_TPL_DATE,     /* date_contact: a date inside the month */
    EXP_TPL_BIRTH,    /* date_naissance: text, a date or a year */
    EXP_TPL_POSTCODE, /* code_postal: text, 5 digits */
    EXP_TPL_CODE,     /* one code of a list: dropdown, refused otherwise */
    EXP_TPL_CODES     /* codes joined by '|': dropdown for one, a notice for other values */
} exp_tpl_kind;

typedef struct exp_tpl_column {
    const char *name;  /* header, grid-format.md section 3 */
    int required;
    exp_tpl_kind kind;
    ref_list list;     /* for EXP_TPL_CODE(S) */
    const char *help;  /* the input message shown when a cell is selected (< 255 bytes) */
    double width;      /* column width, in characters */
} exp_tpl_column;

/* Where a code list sits on the "Instructions" sheet (0-based rows, codes in column A,
 * labels in column B). */
typedef struct exp_tpl_list {
    ref_list list;
    int title_row;
    int first_row, last_row;
} exp_tpl_list;

#define EXP_TPL_MAX_LINES 40
#define EXP_TPL_MAX_LISTS 8

/* Everything both writers write, built from the post and the month. */
typedef struct exp_tpl {
    char post[16];
    int year, month, last_day;
    char period[8];           /* "2026-03" */
    char grid_sheet[32];      /* "ISCG-093-01_2026-03" */
    char month_fr[24];        /* "mars 2026" */
    char title[96];           /* "Grille ISCG ISCG-093-01, mars 2026" */
    const char *lines[EXP_TPL_MAX_LINES]; /* the instructions, one per row (NULL = blank) */
    char line_text[4][160];   /* the lines naming the post and month (lines[] points here) */
    int nlines;
    exp_tpl_list lists[EXP_TPL_MAX_LISTS];
    int nlists;
} exp_tpl;

#define EXP_TPL_SHEET_HELP "Instructions"

/* The grid's columns, in order (EXP_TPL_NCOLS of them). */
const exp_tpl_column *exp_tpl_columns(void);

/* Fill t for post (ISCG-DDD-NN) and period ("YYYY-MM"). OBS_ERR_INPUT (E_POST, E_PERIOD)
 * when either is malformed. ref_init must have run. */
obs_status exp_tpl_build(exp_tpl *t, const char *post, const char *period, obs_err *e);

/* The list entry of t for column c, or NULL when c has no code list. */
const exp_tpl_list *exp_tpl_list_of(const exp_tpl *t, const exp_tpl_column *c);

/* The message a spreadsheet shows when a value of column c is refused, into title and msg;
 * returns 1 when it is only a notice (several codes joined by '|' are no item of the list),
 * 0 for a refusal, -1 when c has no validation beyond its help. */
int exp_tpl_refusal(const exp_tpl *t, const exp_tpl_column *c, char *title, size_t tcap,
                    char *msg, size_t mcap);

/* The formats. */
typedef enum exp_tpl_format { EXP_TPL_XLSX, EXP_TPL_ODS } exp_tpl_format;
#define EXP_MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define EXP_MEDIA_ODS "application/vnd.oasis.opendocument.spreadsheet"

/* The format named by a file name's extension (.xlsx, .ods); returns 0 and sets *f, or -1. */
int exp_tpl_format_of(const char *name, exp_tpl_format *f);

/* Write the template of post and period in format f into out (reset first; the caller owns
 * and frees it). OBS_ERR_INPUT for a bad post or period, OBS_ERR_NOMEM, OBS_ERR_IO when the
 * writer library fails (temporary file, zip). */
obs_status exp_template_write(exp_tpl_format f, const char *post, const char *period,
                              obs_buf *out, obs_err *e);

/* The writers (template_xlsx.c, template_ods.c), same contract, from a built model. */
obs_status exp_tpl_write_xlsx(const exp_tpl *t, obs_buf *out, obs_err *e);
obs_status exp_tpl_write_ods(const exp_tpl *t, obs_buf *out, obs_err *e);

/* The routes GET /api/v1/grids/{post}/{YYYY-MM}/modele.xlsx and .../modele.ods
 * (route_template.c): the post's own account (token or session) and administrators. */
#include "http.h"
extern const obs_route exp_template_routes[];
extern const size_t exp_template_routes_count;

#endif
