/* sdmx_out.c: sinks, the xmlTextWriter layer with a latched error, the SDMX-ML header and the
 * Error message; see sdmx_out.h. */
#include "sdmx_out.h"

#include <stdio.h>
#include <string.h>

#include "sdmx_dsd.h"

static int buf_write(void *ctx, const char *p, size_t n)
{
    return obs_buf_append(ctx, p, n) == OBS_OK ? 0 : -1;
}

static int file_write(void *ctx, const char *p, size_t n)
{
    return fwrite(p, 1, n, ctx) == n ? 0 : -1;
}

exp_sink exp_sink_buf(obs_buf *b)
{
    return (exp_sink){buf_write, b};
}

exp_sink exp_sink_file(FILE *f)
{
    return (exp_sink){file_write, f};
}

/* xmlOutputBuffer callbacks: bytes written, or -1. */
static int io_write(void *ctx, const char *p, int n)
{
    exp_sink *s = ctx;
    return n <= 0 ? 0 : s->write(s->ctx, p, (size_t)n) == 0 ? n : -1;
}

static int io_close(void *ctx)
{
    (void)ctx;
    return 0;
}

int exp_xw_open(exp_xw *xw, exp_sink *s, int indent)
{
    xw->err = 0;
    xw->w = NULL;
    xmlOutputBufferPtr out = xmlOutputBufferCreateIO(io_write, io_close, s, NULL);
    if (out == NULL) {
        xw->err = 1;
        return -1;
    }
    xw->w = xmlNewTextWriter(out); /* owns out from now on, also on failure */
    if (xw->w == NULL) {
        xw->err = 1;
        return -1;
    }
    if (indent) {
        xmlTextWriterSetIndent(xw->w, 1);
        xmlTextWriterSetIndentString(xw->w, BAD_CAST "  ");
    }
    if (xmlTextWriterStartDocument(xw->w, NULL, "UTF-8", NULL) < 0)
        xw->err = 1;
    return xw->err ? -1 : 0;
}

int exp_xw_close(exp_xw *xw)
{
    if (xw->w == NULL)
        return -1;
    if (!xw->err && xmlTextWriterEndDocument(xw->w) < 0)
        xw->err = 1;
    if (!xw->err && xmlTextWriterFlush(xw->w) < 0)
        xw->err = 1;
    xmlFreeTextWriter(xw->w); /* also flushes and frees the output buffer */
    xw->w = NULL;
    return xw->err ? -1 : 0;
}

void exp_xw_flush(exp_xw *xw)
{
    if (!xw->err && xmlTextWriterFlush(xw->w) < 0)
        xw->err = 1;
}

void exp_xw_start(exp_xw *xw, const char *name)
{
    if (!xw->err && xmlTextWriterStartElement(xw->w, BAD_CAST name) < 0)
        xw->err = 1;
}

void exp_xw_start_ns(exp_xw *xw, const char *prefix, const char *name, const char *uri)
{
    if (!xw->err &&
        xmlTextWriterStartElementNS(xw->w, BAD_CAST prefix, BAD_CAST name, BAD_CAST uri) < 0)
        xw->err = 1;
}

void exp_xw_attr(exp_xw *xw, const char *name, const char *value)
{
    if (!xw->err && xmlTextWriterWriteAttribute(xw->w, BAD_CAST name, BAD_CAST value) < 0)
        xw->err = 1;
}

void exp_xw_end(exp_xw *xw)
{
    if (!xw->err && xmlTextWriterEndElement(xw->w) < 0)
        xw->err = 1;
}

void exp_xw_text_lang(exp_xw *xw, const char *name, const char *lang, const char *text)
{
    exp_xw_start(xw, name);
    exp_xw_attr(xw, "xml:lang", lang);
    if (!xw->err && xmlTextWriterWriteString(xw->w, BAD_CAST text) < 0)
        xw->err = 1;
    exp_xw_end(xw);
}

void exp_xw_elem(exp_xw *xw, const char *name, const char *text)
{
    if (!xw->err && xmlTextWriterWriteElement(xw->w, BAD_CAST name, BAD_CAST text) < 0)
        xw->err = 1;
}

void exp_xw_header(exp_xw *xw, const char *id, const char *prepared)
{
    exp_xw_start(xw, "message:Header");
    exp_xw_elem(xw, "message:ID", id);
    exp_xw_elem(xw, "message:Test", "false");
    exp_xw_elem(xw, "message:Prepared", prepared);
    exp_xw_start(xw, "message:Sender");
    exp_xw_attr(xw, "id", EXP_AGENCY);
    exp_xw_text_lang(xw, "common:Name", "fr", "Observatoire national des ISCG");
    exp_xw_text_lang(xw, "common:Name", "en", "French national ISCG observatory");
    exp_xw_end(xw);
}

void exp_datetime(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void exp_message_id(const char *prefix, unsigned long long v, char *out, size_t cap)
{
    snprintf(out, cap, "%s_%016llx", prefix, v);
}

obs_status exp_error_message(obs_buf *b, int code, const char *text_en, const char *text_fr)
{
    exp_sink s = exp_sink_buf(b);
    exp_xw xw;
    char num[16];
    snprintf(num, sizeof num, "%d", code);
    exp_xw_open(&xw, &s, 1);
    exp_xw_start(&xw, "message:Error");
    exp_xw_attr(&xw, "xmlns:message", EXP_NS_MESSAGE);
    exp_xw_attr(&xw, "xmlns:common", EXP_NS_COMMON);
    exp_xw_start(&xw, "message:ErrorMessage");
    exp_xw_attr(&xw, "code", num);
    exp_xw_text_lang(&xw, "common:Text", "en", text_en);
    exp_xw_text_lang(&xw, "common:Text", "fr", text_fr);
    if (exp_xw_close(&xw))
        return obs_fail(NULL, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    return OBS_OK;
}
