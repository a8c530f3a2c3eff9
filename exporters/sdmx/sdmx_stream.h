/* sdmx_stream.h: one data answer produced page by page: observations are read from a run
 * (sdmx_vintage.h) a page at a time and handed to the message writer (sdmx_data.h), which
 * writes into a small pending buffer that the HTTP layer drains (pull), or straight into a
 * sink such as a file (push). Memory stays at one page, one series and one output chunk,
 * whatever the size of the answer. */
#ifndef EXP_SDMX_STREAM_H
#define EXP_SDMX_STREAM_H

#include <libpq-fe.h>
#include <sys/types.h>

#include "sdmx_data.h"
#include "sdmx_vintage.h"

/* Observations per page read from the database. */
#define EXP_PAGE_OBS 1000

typedef struct exp_stream exp_stream;

/* Read the first page of src on c; *out owns the copy of src and opts. *empty is 1 when the
 * answer has no observation. OBS_ERR_NOMEM, OBS_ERR_DB. */
obs_status exp_stream_open(PGconn *c, const exp_source *src, const exp_data_opts *opts,
                           exp_stream **out, int *empty, obs_err *e);

/* 1 when the first page holds the whole answer. */
int exp_stream_complete(const exp_stream *s);

/* Observations read by exp_stream_open: the size of the answer when exp_stream_complete. */
size_t exp_stream_first_count(const exp_stream *s);

/* Push mode: write the whole message into sink (reading further pages on c). */
obs_status exp_stream_write_all(exp_stream *s, PGconn *c, exp_sink *sink, obs_err *e);

/* Pull mode, shaped as libmicrohttpd's content reader: up to max bytes into buf; returns
 * the number of bytes, MHD_CONTENT_READER_END_OF_STREAM at the end, or
 * MHD_CONTENT_READER_END_WITH_ERROR (the connection is then closed: headers are gone). Pages
 * are read on the calling thread's connection (obs_db_conn). */
ssize_t exp_stream_reader(void *cls, uint64_t pos, char *buf, size_t max);

/* Free; accepts NULL (also the reader's free callback). */
void exp_stream_free(void *s);

#endif
