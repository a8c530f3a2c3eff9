/* table.c: the raw cell table that the CSV and XML parsers fill (col_table, see grid.h),
 * and the names of the grid's columns.
 *
 * A table is one array of rows, each holding one 32-bit offset per column into a single
 * arena (one obs_buf) where every cell text is appended NUL-terminated. Offset 0 is the
 * arena's leading NUL and means "absent". One allocation per growth step, never one per
 * cell: a 50,000-row grid costs a handful of reallocs. The arena holds raw personal values,
 * so col_table_free wipes it before releasing it.
 */
#include "grid.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ceiling of the arena. Offsets are 32-bit; a 10 MiB body decoded from Windows-1252 grows
 * at most threefold, so 256 MiB is never reached by an accepted upload. */
#define COL_ARENA_MAX ((size_t)256 * 1024 * 1024)

static const struct {
    const char *name;
    int required;
} fields[COL_NFIELDS] = {
    [COL_DATE_CONTACT] = {"date_contact", 1},
    [COL_REF_PERSONNE] = {"ref_personne", 1},
    [COL_DATE_NAISSANCE] = {"date_naissance", 0},
    [COL_SEXE] = {"sexe", 1},
    [COL_CODE_POSTAL] = {"code_postal", 0},
    [COL_STATUT] = {"statut", 1},
    [COL_ORIGINE] = {"origine", 1},
    [COL_CONNU_SS] = {"connu_ss", 1},
    [COL_PROBLEMATIQUES] = {"problematiques", 1},
    [COL_ORIENTATIONS] = {"orientations", 0},
    [COL_MODE] = {"mode", 1},
    [COL_COMMENTAIRE] = {"commentaire", 0},
};

/* The column's lower-case name, or "" for a value outside the enum. */
const char *col_field_name(col_field f)
{
    return (unsigned)f < COL_NFIELDS ? fields[f].name : "";
}

/* 1 when the column must appear in a CSV header (and its cells be filled), else 0. */
int col_field_required(col_field f)
{
    return (unsigned)f < COL_NFIELDS ? fields[f].required : 0;
}

/* The column a header name designates (see grid.h). */
int col_field_lookup(const char *s, size_t len, obs_status *rc)
{
    obs_buf folded;
    obs_buf_init(&folded, 0);
    *rc = obs_text_fold(s, len, &folded);
    int found = -1;
    if (*rc == OBS_OK && (folded.data == NULL || folded.data[0] == '\0'))
        found = -2;
    for (int k = 0; k < COL_NFIELDS && *rc == OBS_OK && found == -1; k++) {
        const char *name = col_field_name((col_field)k);
        size_t j = 0;
        for (; name[j] && folded.data[j]; j++) {
            char want = name[j] == '_' ? ' ' : (char)(name[j] - 'a' + 'A');
            if (folded.data[j] != want)
                break;
        }
        if (name[j] == '\0' && folded.data[j] == '\0')
            found = k;
    }
    obs_buf_free(&folded);
    return found;
}

/* Prepare an empty table; it allocates nothing until the first row. */
void col_table_init(col_table *t)
{
    memset(t, 0, sizeof *t);
    obs_buf_init(&t->arena, COL_ARENA_MAX);
}

/* The text of a cell, or NULL when the row or the cell does not exist. The pointer stays
 * valid until the next col_table_set / col_table_add_row (the arena may move). */
const char *col_table_cell(const col_table *t, size_t row, col_field f)
{
    if (row >= t->n || (unsigned)f >= COL_NFIELDS)
        return NULL;
    uint32_t off = t->rows[row].cell[f];
    if (off == 0 || t->arena.data == NULL)
        return NULL;
    return t->arena.data + off;
}

/* Append an empty row. Returns its index, or -1 when the table already holds COL_MAX_ROWS
 * rows or memory ran out (the caller tells them apart with t->n >= COL_MAX_ROWS). */
long col_table_add_row(col_table *t, int line)
{
    if (t->n >= COL_MAX_ROWS)
        return -1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        if (cap > COL_MAX_ROWS)
            cap = COL_MAX_ROWS;
        col_rawrow *p = realloc(t->rows, cap * sizeof *p);
        if (p == NULL)
            return -1;
        t->rows = p;
        t->cap = cap;
    }
    col_rawrow *r = &t->rows[t->n];
    memset(r, 0, sizeof *r);
    r->line = line;
    return (long)t->n++;
}

/* Copy s[0..len) and a NUL into the arena as cell f of the last row; a cell set twice
 * keeps the last value. OBS_ERR_INTERNAL without a row, OBS_ERR_TOO_LARGE past the
 * arena's ceiling, OBS_ERR_NOMEM when memory ran out; on failure the cell is unchanged. */
obs_status col_table_set(col_table *t, col_field f, const char *s, size_t len)
{
    if (t->n == 0 || (unsigned)f >= COL_NFIELDS)
        return OBS_ERR_INTERNAL;
    obs_status rc;
    if (t->arena.len == 0) {
        rc = obs_buf_append(&t->arena, "", 1); /* offset 0 = absent */
        if (rc)
            return rc;
    }
    size_t off = t->arena.len;
    if (len >= UINT32_MAX || off > UINT32_MAX - 1 - len)
        return OBS_ERR_TOO_LARGE;
    rc = obs_buf_append(&t->arena, s, len);
    if (rc == OBS_OK)
        rc = obs_buf_append(&t->arena, "", 1);
    if (rc) {
        t->arena.len = off; /* drop a half-written cell */
        t->arena.data[off] = '\0';
        return rc;
    }
    t->rows[t->n - 1].cell[f] = (uint32_t)off;
    return OBS_OK;
}

/* Wipe the arena, free the rows and leave the table empty and reusable. Accepts a table
 * that was only initialised. */
void col_table_free(col_table *t)
{
    if (t == NULL)
        return;
    obs_buf_wipe(&t->arena);
    if (t->rows)
        obs_wipe(t->rows, t->cap * sizeof *t->rows);
    free(t->rows);
    col_table_init(t);
}
