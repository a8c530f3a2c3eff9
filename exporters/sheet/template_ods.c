/* template_ods.c: the grid template as an .ods (OpenDocument spreadsheet, ODF 1.2), written
 * with libxml2's xmlTextWriter (content.xml, styles.xml, settings.xml, meta.xml, the
 * manifest) and zipped in memory with libzip (template.h). The same content as the .xlsx:
 * the grid sheet first (header row, frozen by settings.xml; every contact row carries its
 * column's validation: a list read on the "Instructions" sheet, the date limited to the
 * month), then the instructions and the code lists. `mimetype` is the first entry, stored
 * uncompressed, as ODF requires; every entry's time is the first day of the month, so the
 * same post and month give the same bytes.
 */
#include "template.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>
#include <zip.h>

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_STYLE "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
#define NS_FO "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
#define NS_CONFIG "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
#define NS_META "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define NS_OF "urn:oasis:names:tc:opendocument:xmlns:of:1.2"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

/* The writer calls return < 0 on failure; w_ok keeps the first failure. */
typedef struct ods_w {
    xmlTextWriterPtr w;
    int failed;
} ods_w;

static void w_start(ods_w *x, const char *name)
{
    if (!x->failed && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
        x->failed = 1;
}
static void w_end(ods_w *x)
{
    if (!x->failed && xmlTextWriterEndElement(x->w) < 0)
        x->failed = 1;
}
static void w_attr(ods_w *x, const char *name, const char *value)
{
    if (!x->failed && xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
        x->failed = 1;
}
static void w_text(ods_w *x, const char *text)
{
    if (!x->failed && xmlTextWriterWriteString(x->w, BAD_CAST text) < 0)
        x->failed = 1;
}

/* <text:p>text</text:p> inside the current element. */
static void w_para(ods_w *x, const char *text)
{
    w_start(x, "text:p");
    w_text(x, text);
    w_end(x);
}

/* A string cell, with a style name when not NULL. */
static void w_cell(ods_w *x, const char *text, const char *style)
{
    w_start(x, "table:table-cell");
    if (style)
        w_attr(x, "table:style-name", style);
    w_attr(x, "office:value-type", "string");
    w_para(x, text);
    w_end(x);
}

/* The days from 1899-12-30 (the spreadsheets' day 0) to y-m-d. */
static long serial_day(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (long)(timegm(&tm) / 86400) + 25569;
}

/* The validation of column c, named "v<i>", or nothing for free-text columns. */
static void w_validation(ods_w *x, const exp_tpl *t, int i, const exp_tpl_column *c)
{
    char name[16], cond[160], title[40], err[300];
    const exp_tpl_list *l = exp_tpl_list_of(t, c);
    int notice = exp_tpl_refusal(t, c, title, sizeof title, err, sizeof err);
    if (c->kind == EXP_TPL_DATE)
        snprintf(cond, sizeof cond, "of:cell-content-is-date() and cell-content-is-between(%ld,%ld)",
                 serial_day(t->year, t->month, 1), serial_day(t->year, t->month, t->last_day));
    else if (notice >= 0 && l)
        snprintf(cond, sizeof cond, "of:cell-content-is-in-list([$%s.$A$%d:.$A$%d])",
                 EXP_TPL_SHEET_HELP, l->first_row + 1, l->last_row + 1);
    else
        return;
    snprintf(name, sizeof name, "v%d", i);
    w_start(x, "table:content-validation");
    w_attr(x, "table:name", name);
    w_attr(x, "table:condition", cond);
    w_attr(x, "table:allow-empty-cell", "true");
    if (l)
        w_attr(x, "table:display-list", "unsorted");
    w_start(x, "table:help-message");
    w_attr(x, "table:title", c->name);
    w_attr(x, "table:display", "true");
    w_para(x, c->help);
    w_end(x);
    w_start(x, "table:error-message");
    w_attr(x, "table:message-type", notice == 1 ? "information" : "stop");
    w_attr(x, "table:title", title);
    w_attr(x, "table:display", "true");
    w_para(x, err);
    w_end(x);
    w_end(x);
}

/* The automatic styles: one per grid column (its width), the bold header cell. */
static void w_styles(ods_w *x, const exp_tpl_column *cols)
{
    w_start(x, "office:automatic-styles");
    for (int i = 0; i < EXP_TPL_NCOLS; i++) {
        char name[16], width[24];
        snprintf(name, sizeof name, "co%d", i);
        snprintf(width, sizeof width, "%.2fcm", cols[i].width * 0.22);
        w_start(x, "style:style");
        w_attr(x, "style:name", name);
        w_attr(x, "style:family", "table-column");
        w_start(x, "style:table-column-properties");
        w_attr(x, "style:column-width", width);
        w_end(x);
        w_end(x);
    }
    w_start(x, "style:style");
    w_attr(x, "style:name", "head");
    w_attr(x, "style:family", "table-cell");
    w_start(x, "style:text-properties");
    w_attr(x, "fo:font-weight", "bold");
    w_end(x);
    w_end(x);
    w_end(x);
}

static void w_grid_table(ods_w *x, const exp_tpl *t, const exp_tpl_column *cols)
{
    w_start(x, "table:table");
    w_attr(x, "table:name", t->grid_sheet);
    for (int i = 0; i < EXP_TPL_NCOLS; i++) {
        char style[16];
        snprintf(style, sizeof style, "co%d", i);
        w_start(x, "table:table-column");
        w_attr(x, "table:style-name", style);
        w_end(x);
    }
    w_start(x, "table:table-row");
    for (int i = 0; i < EXP_TPL_NCOLS; i++)
        w_cell(x, cols[i].name, "head");
    w_end(x);
    char rows[16];
    snprintf(rows, sizeof rows, "%d", EXP_TPL_ROWS);
    w_start(x, "table:table-row");
    w_attr(x, "table:number-rows-repeated", rows);
    for (int i = 0; i < EXP_TPL_NCOLS; i++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", i);
        w_start(x, "table:table-cell");
        if (exp_tpl_list_of(t, &cols[i]) || cols[i].kind == EXP_TPL_DATE)
            w_attr(x, "table:content-validation-name", name);
        w_end(x);
    }
    w_end(x);
    w_end(x);
}

/* The instructions, then each list at the rows the model placed it. */
static void w_help_table(ods_w *x, const exp_tpl *t, const exp_tpl_column *cols)
{
    w_start(x, "table:table");
    w_attr(x, "table:name", EXP_TPL_SHEET_HELP);
    int last = t->nlines;
    for (int k = 0; k < t->nlists; k++)
        if (t->lists[k].last_row + 1 > last)
            last = t->lists[k].last_row + 1;
    for (int row = 0; row < last; row++) {
        w_start(x, "table:table-row");
        const exp_tpl_list *in = NULL;
        for (int k = 0; k < t->nlists; k++)
            if (row >= t->lists[k].title_row && row <= t->lists[k].last_row)
                in = &t->lists[k];
        if (in && row == in->title_row) {
            char title[96];
            const char *used = "";
            for (int c = 0; c < EXP_TPL_NCOLS; c++)
                if (exp_tpl_list_of(t, &cols[c]) == in)
                    used = cols[c].name;
            snprintf(title, sizeof title, "%s (colonne %s)", ref_list_id(in->list), used);
            w_cell(x, title, "head");
        } else if (in) {
            const ref_code *code = ref_at(in->list, (size_t)(row - in->first_row));
            w_cell(x, code->code, NULL);
            w_cell(x, code->label_fr, NULL);
        } else if (row < t->nlines && t->lines[row]) {
            w_cell(x, t->lines[row], row == 0 ? "head" : NULL);
        } else {
            w_start(x, "table:table-cell");
            w_end(x);
        }
        w_end(x);
    }
    w_end(x);
}

static void w_content(ods_w *x, const exp_tpl *t)
{
    const exp_tpl_column *cols = exp_tpl_columns();
    w_start(x, "office:document-content");
    w_attr(x, "xmlns:office", NS_OFFICE);
    w_attr(x, "xmlns:table", NS_TABLE);
    w_attr(x, "xmlns:text", NS_TEXT);
    w_attr(x, "xmlns:style", NS_STYLE);
    w_attr(x, "xmlns:fo", NS_FO);
    w_attr(x, "xmlns:of", NS_OF); /* the namespace of the validations' formulas */
    w_attr(x, "office:version", "1.2");
    w_styles(x, cols);
    w_start(x, "office:body");
    w_start(x, "office:spreadsheet");
    w_start(x, "table:content-validations");
    for (int i = 0; i < EXP_TPL_NCOLS; i++)
        w_validation(x, t, i, &cols[i]);
    w_end(x);
    w_grid_table(x, t, cols);
    w_help_table(x, t, cols);
    w_end(x);
    w_end(x);
    w_end(x);
}

/* settings.xml: the grid sheet's first row frozen (a split at row 1, the lower pane active). */
static void w_item(ods_w *x, const char *name, const char *type, const char *value)
{
    w_start(x, "config:config-item");
    w_attr(x, "config:name", name);
    w_attr(x, "config:type", type);
    w_text(x, value);
    w_end(x);
}

static void w_settings(ods_w *x, const exp_tpl *t)
{
    w_start(x, "office:document-settings");
    w_attr(x, "xmlns:office", NS_OFFICE);
    w_attr(x, "xmlns:config", NS_CONFIG);
    w_attr(x, "office:version", "1.2");
    w_start(x, "office:settings");
    w_start(x, "config:config-item-set");
    w_attr(x, "config:name", "ooo:view-settings");
    w_start(x, "config:config-item-map-indexed");
    w_attr(x, "config:name", "Views");
    w_start(x, "config:config-item-map-entry");
    w_item(x, "ViewId", "string", "view1");
    w_item(x, "ActiveTable", "string", t->grid_sheet);
    w_start(x, "config:config-item-map-named");
    w_attr(x, "config:name", "Tables");
    w_start(x, "config:config-item-map-entry");
    w_attr(x, "config:name", t->grid_sheet);
    w_item(x, "VerticalSplitMode", "short", "2");
    w_item(x, "VerticalSplitPosition", "int", "1");
    w_item(x, "ActiveSplitRange", "short", "2");
    w_item(x, "PositionTop", "int", "0");
    w_item(x, "PositionBottom", "int", "1");
    w_end(x);
    w_end(x);
    w_end(x);
    w_end(x);
    w_end(x);
    w_end(x);
    w_end(x);
}

static void w_meta(ods_w *x, const exp_tpl *t)
{
    char date[24];
    snprintf(date, sizeof date, "%04d-%02d-01T00:00:00", t->year, t->month);
    w_start(x, "office:document-meta");
    w_attr(x, "xmlns:office", NS_OFFICE);
    w_attr(x, "xmlns:meta", NS_META);
    w_attr(x, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    w_attr(x, "office:version", "1.2");
    w_start(x, "office:meta");
    w_start(x, "dc:title");
    w_text(x, t->title);
    w_end(x);
    w_start(x, "meta:creation-date");
    w_text(x, date);
    w_end(x);
    w_start(x, "meta:generator");
    w_text(x, "iscgobs");
    w_end(x);
    w_end(x);
    w_end(x);
}

static void w_manifest(ods_w *x, const exp_tpl *t)
{
    (void)t;
    static const char *const files[][2] = {
        {"/", EXP_MEDIA_ODS},       {"content.xml", "text/xml"}, {"styles.xml", "text/xml"},
        {"settings.xml", "text/xml"}, {"meta.xml", "text/xml"},
    };
    w_start(x, "manifest:manifest");
    w_attr(x, "xmlns:manifest", NS_MANIFEST);
    w_attr(x, "manifest:version", "1.2");
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        w_start(x, "manifest:file-entry");
        w_attr(x, "manifest:full-path", files[i][0]);
        if (i == 0)
            w_attr(x, "manifest:version", "1.2");
        w_attr(x, "manifest:media-type", files[i][1]);
        w_end(x);
    }
    w_end(x);
}

static void w_styles_doc(ods_w *x, const exp_tpl *t)
{
    (void)t;
    w_start(x, "office:document-styles");
    w_attr(x, "xmlns:office", NS_OFFICE);
    w_attr(x, "xmlns:style", NS_STYLE);
    w_attr(x, "office:version", "1.2");
    w_start(x, "office:styles");
    w_end(x);
    w_end(x);
}

typedef void (*part_fn)(ods_w *x, const exp_tpl *t);

/* One XML part, written into *doc (the caller frees it with xmlBufferFree). */
static int xml_part(part_fn fn, const exp_tpl *t, xmlBufferPtr *doc)
{
    *doc = xmlBufferCreate();
    if (*doc == NULL)
        return -1;
    ods_w x = {xmlNewTextWriterMemory(*doc, 0), 0};
    if (x.w == NULL)
        return -1;
    if (xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL) < 0)
        x.failed = 1;
    fn(&x, t);
    if (!x.failed && xmlTextWriterEndDocument(x.w) < 0)
        x.failed = 1;
    xmlFreeTextWriter(x.w); /* flushes into *doc */
    return x.failed ? -1 : 0;
}

/* Add one entry to the archive: data copied by libzip (freed with the source). */
static int ods_entry(zip_t *z, const char *name, const void *data, size_t len, int store,
                   time_t mtime)
{
    zip_source_t *s = zip_source_buffer(z, data, len, 0);
    if (s == NULL)
        return -1;
    zip_int64_t i = zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8);
    if (i < 0) {
        zip_source_free(s);
        return -1;
    }
    if (zip_set_file_compression(z, (zip_uint64_t)i, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0))
        return -1;
    return zip_file_set_mtime(z, (zip_uint64_t)i, mtime, 0);
}

obs_status exp_tpl_write_ods(const exp_tpl *t, obs_buf *out, obs_err *e)
{
    static const struct {
        const char *name;
        part_fn fn;
    } parts[] = {{"content.xml", w_content},   {"styles.xml", w_styles_doc},
                 {"settings.xml", w_settings}, {"meta.xml", w_meta},
                 {"META-INF/manifest.xml", w_manifest}};
    enum { NPARTS = sizeof parts / sizeof *parts };
    xmlBufferPtr doc[NPARTS] = {0};
    obs_status rc = OBS_OK;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze) : NULL;
    struct tm tm = {.tm_year = t->year - 1900, .tm_mon = t->month - 1, .tm_mday = 1};
    time_t mtime = timegm(&tm);
    int bad = z == NULL;
    if (!bad)
        zip_source_keep(src); /* read back after zip_close */
    if (!bad)
        bad = ods_entry(z, "mimetype", EXP_MEDIA_ODS, strlen(EXP_MEDIA_ODS), 1, mtime) != 0;
    for (int i = 0; i < NPARTS && !bad; i++)
        bad = xml_part(parts[i].fn, t, &doc[i]) != 0 ||
              ods_entry(z, parts[i].name, xmlBufferContent(doc[i]),
                      (size_t)xmlBufferLength(doc[i]), 0, mtime) != 0;
    if (!bad)
        bad = zip_close(z) != 0;
    else if (z)
        zip_discard(z);
    if (!bad && zip_source_open(src) == 0) {
        char chunk[16384];
        zip_int64_t k;
        while (rc == OBS_OK && (k = zip_source_read(src, chunk, sizeof chunk)) > 0)
            rc = obs_buf_append(out, chunk, (size_t)k);
        bad = k < 0;
        zip_source_close(src);
    } else {
        bad = 1;
    }
    if (src)
        zip_source_free(src); /* ours: the reference kept above, or never taken by libzip */
    for (int i = 0; i < NPARTS; i++)
        if (doc[i])
            xmlBufferFree(doc[i]);
    zip_error_fini(&ze);
    if (rc)
        return obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante pour le modèle");
    if (bad)
        return obs_fail(e, OBS_ERR_IO, "E_TEMPLATE", "le modèle .ods n'a pas pu être écrit");
    return OBS_OK;
}
