/* template_xlsx.c: the grid template as an .xlsx, written by libxlsxwriter (template.h).
 *
 * libxlsxwriter 1.1 writes to a file only: the workbook goes to a private temporary file
 * (mkstemp under $TMPDIR or /tmp, mode 0600, removed before returning) and is read back into
 * the caller's buffer. The document's creation time is the first day of the month, which
 * libxlsxwriter also uses for the zip entries' times: the same post and month give the same
 * bytes. Dropdown lists read their codes on the "Instructions" sheet (a range per list);
 * the date column refuses a date outside the month.
 */
#include "template.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* A private temporary file name (the file exists, empty, when this returns 0). */
static int temp_path(char *buf, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    if ((size_t)snprintf(buf, cap, "%s/iscgobs-modele-XXXXXX", dir) >= cap)
        return -1;
    int fd = mkstemp(buf);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Read the whole file into out. */
static obs_status slurp(const char *path, obs_buf *out, obs_err *e)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return obs_fail(e, OBS_ERR_IO, "E_TEMPLATE", "le modèle n'a pas pu être relu");
    obs_status rc = OBS_OK;
    char chunk[16384];
    size_t k;
    while (rc == OBS_OK && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = obs_buf_append(out, chunk, k);
    int bad = ferror(f);
    fclose(f);
    if (rc)
        return obs_fail(e, rc, rc == OBS_ERR_NOMEM ? "E_NOMEM" : "E_TEMPLATE",
                        "le modèle dépasse la taille prévue");
    if (bad)
        return obs_fail(e, OBS_ERR_IO, "E_TEMPLATE", "le modèle n'a pas pu être relu");
    return OBS_OK;
}

/* "=Instructions!$A$17:$A$20" for the codes of list l (0-based rows). */
static void list_range(char *buf, size_t cap, const exp_tpl_list *l)
{
    snprintf(buf, cap, "=%s!$A$%d:$A$%d", EXP_TPL_SHEET_HELP, l->first_row + 1, l->last_row + 1);
}

/* The validation of one column of the grid sheet (rows 2 .. EXP_TPL_ROWS + 1). */
static lxw_error validate_column(lxw_worksheet *ws, const exp_tpl *t, int col,
                                 const exp_tpl_column *c)
{
    lxw_data_validation v;
    memset(&v, 0, sizeof v);
    char range[48], title[40], err[300];
    v.input_title = (char *)c->name;
    v.input_message = (char *)c->help;
    v.show_input = LXW_VALIDATION_ON;
    v.show_error = LXW_VALIDATION_ON;
    v.ignore_blank = LXW_VALIDATION_ON;
    v.error_title = title;
    v.error_message = err;
    int notice = exp_tpl_refusal(t, c, title, sizeof title, err, sizeof err);
    const exp_tpl_list *l = exp_tpl_list_of(t, c);
    if (c->kind == EXP_TPL_DATE) {
        v.validate = LXW_VALIDATION_TYPE_DATE;
        v.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
        v.minimum_datetime = (lxw_datetime){t->year, t->month, 1, 0, 0, 0};
        v.maximum_datetime = (lxw_datetime){t->year, t->month, t->last_day, 0, 0, 0};
    } else if (notice >= 0) {
        if (l == NULL)
            return LXW_ERROR_PARAMETER_VALIDATION;
        list_range(range, sizeof range, l);
        v.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
        v.value_formula = range;
        if (notice)
            v.error_type = LXW_VALIDATION_ERROR_TYPE_INFORMATION;
    } else {
        v.validate = LXW_VALIDATION_TYPE_ANY;
        v.show_error = LXW_VALIDATION_OFF;
    }
    return worksheet_data_validation_range(ws, 1, (lxw_col_t)col, EXP_TPL_ROWS, (lxw_col_t)col,
                                           &v);
}

/* The first sheet: the header, frozen, the column formats and validations. */
static lxw_error grid_sheet(lxw_workbook *wb, lxw_worksheet *ws, const exp_tpl *t)
{
    lxw_format *head = workbook_add_format(wb);
    lxw_format *date = workbook_add_format(wb);
    lxw_format *text = workbook_add_format(wb);
    if (head == NULL || date == NULL || text == NULL)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    format_set_bold(head);
    format_set_bg_color(head, 0xDDEBF7);
    format_set_num_format(date, "dd/mm/yyyy");
    format_set_num_format(text, "@");
    const exp_tpl_column *cols = exp_tpl_columns();
    lxw_error rc = LXW_NO_ERROR;
    for (int i = 0; i < EXP_TPL_NCOLS && rc == LXW_NO_ERROR; i++) {
        const exp_tpl_column *c = &cols[i];
        lxw_format *f = c->kind == EXP_TPL_DATE ? date : text;
        rc = worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, c->width, f);
        if (rc == LXW_NO_ERROR)
            rc = worksheet_write_string(ws, 0, (lxw_col_t)i, c->name, head);
        if (rc == LXW_NO_ERROR)
            rc = validate_column(ws, t, i, c);
    }
    worksheet_freeze_panes(ws, 1, 0);
    char header[160];
    snprintf(header, sizeof header, "&L%s&R%s", t->post, t->month_fr);
    if (rc == LXW_NO_ERROR)
        rc = worksheet_set_header(ws, header);
    return rc;
}

/* The second sheet: the instructions, then each code list (code, label). */
static lxw_error help_sheet(lxw_workbook *wb, lxw_worksheet *ws, const exp_tpl *t)
{
    lxw_format *bold = workbook_add_format(wb);
    if (bold == NULL)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    format_set_bold(bold);
    lxw_error rc = worksheet_set_column(ws, 0, 0, 18, NULL);
    if (rc == LXW_NO_ERROR)
        rc = worksheet_set_column(ws, 1, 1, 90, NULL);
    for (int i = 0; i < t->nlines && rc == LXW_NO_ERROR; i++)
        if (t->lines[i])
            rc = worksheet_write_string(ws, (lxw_row_t)i, 0, t->lines[i], i == 0 ? bold : NULL);
    const exp_tpl_column *cols = exp_tpl_columns();
    for (int k = 0; k < t->nlists && rc == LXW_NO_ERROR; k++) {
        const exp_tpl_list *l = &t->lists[k];
        char title[96];
        const char *used = "";
        for (int c = 0; c < EXP_TPL_NCOLS; c++)
            if ((cols[c].kind == EXP_TPL_CODE || cols[c].kind == EXP_TPL_CODES) &&
                cols[c].list == l->list)
                used = cols[c].name;
        snprintf(title, sizeof title, "%s (colonne %s)", ref_list_id(l->list), used);
        rc = worksheet_write_string(ws, (lxw_row_t)l->title_row, 0, title, bold);
        for (size_t j = 0; j < ref_count(l->list) && rc == LXW_NO_ERROR; j++) {
            const ref_code *code = ref_at(l->list, j);
            lxw_row_t row = (lxw_row_t)(l->first_row + (int)j);
            rc = worksheet_write_string(ws, row, 0, code->code, NULL);
            if (rc == LXW_NO_ERROR)
                rc = worksheet_write_string(ws, row, 1, code->label_fr, NULL);
        }
    }
    return rc;
}

obs_status exp_tpl_write_xlsx(const exp_tpl *t, obs_buf *out, obs_err *e)
{
    char path[512];
    if (temp_path(path, sizeof path))
        return obs_fail(e, OBS_ERR_IO, "E_TEMPLATE",
                        "fichier temporaire impossible pour écrire le modèle");
    obs_status rc = OBS_OK;
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = NULL, .use_zip64 = 0};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (wb == NULL) {
        unlink(path);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante pour le modèle");
    }
    lxw_worksheet *grid = workbook_add_worksheet(wb, t->grid_sheet);
    lxw_worksheet *help = workbook_add_worksheet(wb, EXP_TPL_SHEET_HELP);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = t->year - 1900;
    tm.tm_mon = t->month - 1;
    tm.tm_mday = 1;
    lxw_doc_properties props = {
        .title = (char *)t->title,
        .subject = "Grille mensuelle des contacts (format version 1)",
        .author = "Observatoire national ISCG",
        .company = "Observatoire national ISCG",
        .comments = "Modèle à remplir puis à déposer tel quel sur la page du poste.",
        .created = timegm(&tm),
    };
    lxw_error le = grid && help ? LXW_NO_ERROR : LXW_ERROR_MEMORY_MALLOC_FAILED;
    if (le == LXW_NO_ERROR)
        le = workbook_set_properties(wb, &props);
    if (le == LXW_NO_ERROR)
        le = grid_sheet(wb, grid, t);
    if (le == LXW_NO_ERROR)
        le = help_sheet(wb, help, t);
    if (le == LXW_NO_ERROR)
        worksheet_activate(grid);
    lxw_error close_rc = workbook_close(wb); /* frees wb whatever happened */
    if (le == LXW_NO_ERROR)
        le = close_rc;
    if (le != LXW_NO_ERROR)
        rc = obs_fail(e, le == LXW_ERROR_MEMORY_MALLOC_FAILED ? OBS_ERR_NOMEM : OBS_ERR_IO,
                      "E_TEMPLATE", "le modèle .xlsx n'a pas pu être écrit (%s)",
                      lxw_strerror(le));
    else
        rc = slurp(path, out, e);
    unlink(path);
    return rc;
}
