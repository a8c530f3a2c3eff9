/* sdmx_out.h: where SDMX messages are written (sinks: a memory buffer, a file, the HTTP
 * stream) and the small layer over libxml2's xmlTextWriter that every SDMX-ML writer uses:
 * error latching, the message header, the Error message.
 *
 * Messages are written forward only: a writer never holds more than what xmlOutputBuffer
 * keeps before it calls the sink (a few KiB), so memory does not grow with the message.
 */
#ifndef EXP_SDMX_OUT_H
#define EXP_SDMX_OUT_H

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "status.h"

/* A byte sink: write(ctx, p, n) consumes n bytes, returns 0 or -1 (the writer then stops). */
typedef struct exp_sink {
    int (*write)(void *ctx, const char *p, size_t n);
    void *ctx;
} exp_sink;

/* Sinks over a capped buffer (the caller owns it) and an open FILE. */
exp_sink exp_sink_buf(obs_buf *b);
exp_sink exp_sink_file(FILE *f);

/* An xmlTextWriter over a sink, with a latched error: after the first failure every call is
 * a no-op and err stays set, so writers check once at the end. */
typedef struct exp_xw {
    xmlTextWriterPtr w;
    int err;
} exp_xw;

/* Open a writer on sink s (which must outlive it) and write the XML declaration. Returns -1
 * when libxml2 cannot allocate (xw->err is then set). */
int exp_xw_open(exp_xw *xw, exp_sink *s, int indent);
/* Close every open element, flush, free. Returns 0 when everything was written. */
int exp_xw_close(exp_xw *xw);
/* Push what is buffered to the sink (streaming: call between series). */
void exp_xw_flush(exp_xw *xw);

void exp_xw_start(exp_xw *xw, const char *name);
/* Start an element with a namespace declaration (prefix:name, xmlns:prefix=uri). */
void exp_xw_start_ns(exp_xw *xw, const char *prefix, const char *name, const char *uri);
void exp_xw_attr(exp_xw *xw, const char *name, const char *value);
void exp_xw_end(exp_xw *xw);
/* <name xml:lang="lang">text</name> */
void exp_xw_text_lang(exp_xw *xw, const char *name, const char *lang, const char *text);
/* <name>text</name> */
void exp_xw_elem(exp_xw *xw, const char *name, const char *text);

/* The message header shared by every SDMX-ML message: ID, Test, Prepared, Sender (then the
 * caller adds Structure elements and closes it with exp_xw_end). id must match
 * [A-Za-z0-9_@$-]+ and prepared be an xs:dateTime (exp_datetime). */
void exp_xw_header(exp_xw *xw, const char *id, const char *prepared);

/* t as an xs:dateTime in UTC: "2026-04-10T08:00:00Z" (out: at least 21 bytes). */
void exp_datetime(time_t t, char *out, size_t cap);

/* A message ID from a prefix and a 64-bit value: "ISCG_DATA_00f3a2...". */
void exp_message_id(const char *prefix, unsigned long long v, char *out, size_t cap);

/* An SDMX-ML Error message (SDMX error code: 100 no results, 140 syntax error, 500 internal,
 * 501 not implemented, 503 unavailable, 510 response size exceeds service limit, 1000 not
 * acceptable: ours, SDMX has none) with an English and a French text. Appended to b;
 * OBS_ERR_NOMEM / OBS_ERR_TOO_LARGE from b. */
obs_status exp_error_message(obs_buf *b, int code, const char *text_en, const char *text_fr);

#endif
