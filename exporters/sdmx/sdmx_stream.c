/* sdmx_stream.c: a data answer produced page by page, pulled by libmicrohttpd or pushed
 * into a sink; see sdmx_stream.h. */
#include "sdmx_stream.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_read.h"
#include "log.h"

struct exp_stream {
    exp_source src;
    exp_data_opts opts;
    exp_obs page[EXP_PAGE_OBS];
    size_t npage, ipage;
    size_t nfirst;         /* observations of the first page */
    int more;              /* the last page was full: there may be another */
    exp_obs last;          /* keyset cursor: the last observation read */
    exp_data_writer *w;    /* pull mode: writing into pending */
    obs_buf pending;
    size_t pos;            /* bytes of pending already handed out */
    exp_sink sink;
    int finished, failed;
    int standby;           /* the first page came from the standby (db_read.h) */
};

obs_status exp_stream_open(PGconn *c, const exp_source *src, const exp_data_opts *opts,
                           exp_stream **out, int *empty, obs_err *e)
{
    *out = NULL;
    exp_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    s->src = *src;
    s->opts = *opts;
    obs_buf_init(&s->pending, 0);
    s->sink = exp_sink_buf(&s->pending);
    obs_status rc = exp_source_page(c, &s->src, NULL, EXP_PAGE_OBS, s->page, &s->npage, e);
    if (rc) {
        free(s);
        return rc;
    }
    s->more = s->npage == EXP_PAGE_OBS;
    s->standby = obs_db_is_replica(c);
    s->nfirst = s->npage;
    if (s->npage)
        s->last = s->page[s->npage - 1];
    *empty = s->npage == 0;
    *out = s;
    return OBS_OK;
}

int exp_stream_complete(const exp_stream *s)
{
    return !s->more;
}

size_t exp_stream_first_count(const exp_stream *s)
{
    return s->nfirst;
}

/* Make sure page[ipage] exists: read the next page when the current one is used up.
 * Returns 1 when an observation is available, 0 at the end, -1 on failure. */
static int next_obs(exp_stream *s, PGconn *c, obs_err *e)
{
    if (s->ipage < s->npage)
        return 1;
    if (!s->more)
        return 0;
    if (exp_source_page(c, &s->src, &s->last, EXP_PAGE_OBS, s->page, &s->npage, e))
        return -1;
    s->ipage = 0;
    s->more = s->npage == EXP_PAGE_OBS;
    if (s->npage)
        s->last = s->page[s->npage - 1];
    return s->npage ? 1 : 0;
}

obs_status exp_stream_write_all(exp_stream *s, PGconn *c, exp_sink *sink, obs_err *e)
{
    exp_data_writer *w = exp_data_open(&s->opts, sink);
    if (w == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    obs_status rc = OBS_OK;
    int k;
    while (rc == OBS_OK && (k = next_obs(s, c, e)) == 1)
        rc = exp_data_put(w, &s->page[s->ipage++], e);
    if (rc == OBS_OK && k < 0)
        rc = e ? e->status : OBS_ERR_DB;
    if (rc) {
        exp_data_abort(w);
        return rc;
    }
    return exp_data_close(w, e);
}

ssize_t exp_stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    exp_stream *s = cls;
    obs_err e;
    obs_err_clear(&e);
    if (s->failed)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (s->w == NULL && !s->finished && (s->w = exp_data_open(&s->opts, &s->sink)) == NULL)
        s->failed = 1;
    PGconn *c = NULL;
    while (!s->failed && !s->finished && s->pending.len - s->pos < max) {
        /* The pages of a run are the same wherever they are read (runs never change): on
         * the standby when the first came from there, else or when it fails, the primary. */
        if (s->ipage == s->npage && s->more && c == NULL &&
            (c = s->standby ? obs_db_read_conn(&e) : obs_db_conn(&e)) == NULL) {
            s->failed = 1;
            break;
        }
        int k = next_obs(s, c, &e);
        PGconn *primary;
        if (k < 0 && (primary = obs_db_read_retry(c, &e)) != NULL)
            k = next_obs(s, c = primary, &e);
        if (k < 0 || (k == 1 && exp_data_put(s->w, &s->page[s->ipage++], &e))) {
            s->failed = 1;
        } else if (k == 0) {
            s->finished = 1;
            if (exp_data_close(s->w, &e))
                s->failed = 1;
            s->w = NULL;
        }
    }
    if (s->failed) {
        obs_log(OBS_LOG_ERROR, "sdmx.stream", "code=%s", e.code[0] ? e.code : "E_SDMX_WRITE");
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t avail = s->pending.len - s->pos;
    if (avail == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = avail < max ? avail : max;
    memcpy(buf, s->pending.data + s->pos, n);
    s->pos += n;
    if (s->pos == s->pending.len) {
        obs_buf_reset(&s->pending);
        s->pos = 0;
    }
    return (ssize_t)n;
}

void exp_stream_free(void *p)
{
    exp_stream *s = p;
    if (s == NULL)
        return;
    exp_data_abort(s->w);
    obs_buf_free(&s->pending);
    free(s);
}
