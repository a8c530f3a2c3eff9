/* sdmx_rest.c: the /sdmx REST routes: parsing of paths and parameters, content negotiation
 * (Vary: Accept), ETag / Last-Modified and 304, a small cache of complete answers keyed by
 * query and publication run, streaming of large answers, SDMX-ML Error messages; see
 * sdmx_rest.h and docs/sdmx.md. */
#include "sdmx_rest.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "db_read.h"
#include "log.h"
#include "sdmx_schema.h"
#include "sdmx_stream.h"
#include "sdmx_structure.h"
#include "sdmx_vintage.h"

#define CT_GENERIC "application/vnd.sdmx.genericdata+xml;version=2.1"
#define CT_SS "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
#define CT_CSV "application/vnd.sdmx.data+csv;version=1.0.0"
#define CT_STRUCTURE "application/vnd.sdmx.structure+xml;version=2.1"
#define CT_XML "application/xml"

/* Complete answers up to this size are kept (by query and run) and answered from memory. */
#define CACHE_SLOTS 64
#define CACHE_MAX_BODY (256 * 1024)

const char *exp_format_ctype(exp_format f)
{
    return f == EXP_FMT_SS ? CT_SS : f == EXP_FMT_CSV ? CT_CSV : CT_GENERIC;
}

/* ---- content negotiation ----------------------------------------------------------------- */

/* Media types a client may name, and what they give. */
typedef struct media {
    const char *type;
    const char *version; /* accepted version parameter, NULL: any */
    int what;            /* data: exp_format; structure: 1; schema: 2; -1: nothing */
} media;

static const media DATA_TYPES[] = {
    {"application/vnd.sdmx.genericdata+xml", "2.1", EXP_FMT_GENERIC},
    {"application/vnd.sdmx.structurespecificdata+xml", "2.1", EXP_FMT_SS},
    {"application/vnd.sdmx.data+csv", "1.0.0", EXP_FMT_CSV},
    {"text/csv", NULL, EXP_FMT_CSV},
    {"application/xml", NULL, EXP_FMT_GENERIC},
    {"text/xml", NULL, EXP_FMT_GENERIC},
    {"application/*", NULL, EXP_FMT_GENERIC},
    {"text/*", NULL, EXP_FMT_GENERIC},
    {"*/*", NULL, EXP_FMT_GENERIC},
};
static const media STRUCT_TYPES[] = {
    {"application/vnd.sdmx.structure+xml", "2.1", 1},
    {"application/xml", NULL, 1},
    {"text/xml", NULL, 1},
    {"application/*", NULL, 1},
    {"text/*", NULL, 1},
    {"*/*", NULL, 1},
};
static const media SCHEMA_TYPES[] = {
    {"application/vnd.sdmx.schema+xml", "2.1", 2},
    {"application/xml", NULL, 2},
    {"text/xml", NULL, 2},
    {"application/*", NULL, 2},
    {"text/*", NULL, 2},
    {"*/*", NULL, 2},
};

/* Copy s[0..n) trimmed and lower-cased into out. */
static void trim_lower(const char *s, size_t n, char *out, size_t cap)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++)
        out[k] = (char)tolower((unsigned char)s[k]);
    out[k] = '\0';
}

/* The best entry of table for accept (highest q, then first listed), or -1. */
static int negotiate(const char *accept, const media *table, size_t ntable)
{
    if (accept == NULL || *accept == '\0')
        return table[ntable - 1].what; /* no Accept: like * / * */
    int best = -1;
    double bestq = 0.0;
    const char *p = accept;
    while (*p) {
        size_t len = strcspn(p, ",");
        char range[256];
        trim_lower(p, len, range, sizeof range);
        p += len + (p[len] == ',');
        char *params = strchr(range, ';');
        if (params)
            *params++ = '\0';
        char type[128];
        trim_lower(range, strlen(range), type, sizeof type);
        double q = 1.0;
        char version[128] = "";
        while (params && *params) {
            size_t pl = strcspn(params, ";");
            char param[128];
            trim_lower(params, pl, param, sizeof param);
            params += pl + (params[pl] == ';');
            if (strncmp(param, "q=", 2) == 0)
                q = strtod(param + 2, NULL);
            else if (strncmp(param, "version=", 8) == 0)
                snprintf(version, sizeof version, "%s", param + 8);
        }
        if (q <= 0.0 || q > 1.0)
            continue;
        for (size_t i = 0; i < ntable; i++) {
            if (strcmp(type, table[i].type) != 0)
                continue;
            if (version[0] && table[i].version && strcmp(version, table[i].version) != 0 &&
                !(strcmp(table[i].version, "1.0.0") == 0 && strcmp(version, "1.0") == 0))
                break; /* another version of a type we serve: not acceptable */
            if (q > bestq) {
                bestq = q;
                best = table[i].what;
            }
            break;
        }
    }
    return best;
}

int exp_negotiate_data(const char *accept, const char *format_param, exp_format *fmt)
{
    if (format_param) {
        static const struct { const char *name; exp_format f; } F[] = {
            {"genericdata", EXP_FMT_GENERIC}, {"structurespecificdata", EXP_FMT_SS},
            {"csv", EXP_FMT_CSV}, {"sdmx-csv", EXP_FMT_CSV}, {"csvfile", EXP_FMT_CSV}};
        for (size_t i = 0; i < OBS_ARRAY_LEN(F); i++)
            if (strcmp(format_param, F[i].name) == 0) {
                *fmt = F[i].f;
                return 0;
            }
        return -1;
    }
    int w = negotiate(accept, DATA_TYPES, OBS_ARRAY_LEN(DATA_TYPES));
    if (w < 0)
        return -1;
    *fmt = (exp_format)w;
    return 0;
}

int exp_negotiate_structure(const char *accept, int schema)
{
    return schema ? (negotiate(accept, SCHEMA_TYPES, OBS_ARRAY_LEN(SCHEMA_TYPES)) < 0 ? -1 : 0)
                  : (negotiate(accept, STRUCT_TYPES, OBS_ARRAY_LEN(STRUCT_TYPES)) < 0 ? -1 : 0);
}

/* ---- replies ------------------------------------------------------------------------------ */

/* SDMX has no standard code for a representation the service does not offer (HTTP 406):
 * a service-specific code, from the range the standard leaves to services (1000 and up). */
#define SDMX_NOT_ACCEPTABLE 1000

static void common_headers(obs_response *rs)
{
    obs_http_add_header(rs, "Vary", "Accept");
    obs_http_add_header(rs, "Access-Control-Allow-Origin", "*");
}

/* An SDMX-ML Error message. It replaces whatever the handler prepared, headers included
 * (common_headers may already have run: each header is sent once). */
static void sdmx_error(obs_response *rs, int status, int code, const char *msg_fr)
{
    /* SDMX 2.1 / REST API v1.5 error codes (docs/sdmx.md, "Errors"); 1000: ours. */
    static const struct { int code; const char *en; } T[] = {
        {100, "No Results Found"},
        {140, "Syntax error"},
        {500, "Internal Server Error"},
        {501, "Not implemented"},
        {503, "Service unavailable"},
        {510, "Response size exceeds service limit"},
        {SDMX_NOT_ACCEPTABLE, "Not Acceptable"}};
    const char *en = "Error";
    for (size_t i = 0; i < OBS_ARRAY_LEN(T); i++)
        if (T[i].code == code)
            en = T[i].en;
    obs_buf_reset(&rs->body);
    rs->nheaders = 0;
    rs->status = status;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", CT_XML);
    if (exp_error_message(&rs->body, code, en, msg_fr) != OBS_OK) {
        obs_http_text(rs, 503, "text/plain", "service unavailable");
        return;
    }
    common_headers(rs);
    if (status == 503)
        obs_http_add_header(rs, "Retry-After", "5");
}

static void sdmx_fail(obs_response *rs, const obs_err *e)
{
    switch (e->status) {
    case OBS_ERR_INPUT:
        sdmx_error(rs, 400, 140, e->msg);
        break;
    case OBS_ERR_NOT_FOUND:
        sdmx_error(rs, 404, 100, e->msg);
        break;
    case OBS_ERR_TOO_LARGE: /* 510: the limit is the service's, not the client's (130) */
        sdmx_error(rs, 413, 510, e->msg);
        break;
    case OBS_ERR_DB:
    case OBS_ERR_NOMEM:
        sdmx_error(rs, 503, 503, "service momentanément indisponible, réessayez");
        break;
    default:
        obs_log(OBS_LOG_ERROR, "sdmx.fail", "code=%s", e->code);
        sdmx_error(rs, 500, 500, "erreur interne");
        break;
    }
}

static void http_date(time_t t, char *out, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* 1 when If-None-Match lists etag (or is *). */
static int etag_matches(const char *inm, const char *etag)
{
    if (inm == NULL)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag))
        if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
    return 0;
}

/* Answer 304 when the client's copy is current. Returns 1 when it did. */
static int not_modified(obs_request *rq, obs_response *rs, const char *etag, time_t modified)
{
    const char *inm = obs_http_header(rq, "If-None-Match");
    int fresh = etag_matches(inm, etag);
    if (inm == NULL && modified > 0) {
        const char *ims = obs_http_header(rq, "If-Modified-Since");
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (ims && strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm))
            fresh = timegm(&tm) >= modified;
    }
    if (!fresh)
        return 0;
    rs->status = 304;
    rs->content_type[0] = '\0';
    obs_buf_reset(&rs->body);
    return 1;
}

static void validators(obs_response *rs, const char *etag, time_t modified)
{
    obs_http_add_header(rs, "ETag", etag);
    if (modified > 0) {
        char d[40];
        http_date(modified, d, sizeof d);
        obs_http_add_header(rs, "Last-Modified", d);
    }
    obs_http_add_header(rs, "Cache-Control", "public, max-age=0, must-revalidate");
}

/* "\"<first 32 hex of sha256(text)>\"" */
static void make_etag(const char *text, size_t len, char *out, size_t cap, uint64_t *h64)
{
    uint8_t h[32];
    char hex[65];
    obs_sha256(text, len, h);
    obs_hex(h, sizeof h, hex);
    snprintf(out, cap, "\"%.32s\"", hex);
    if (h64) {
        *h64 = 0;
        for (int i = 0; i < 8; i++)
            *h64 = *h64 << 8 | h[i];
    }
}

/* ---- the answer cache --------------------------------------------------------------------- */

typedef struct slot {
    char etag[40]; /* query, format and run */
    char *body;
    size_t len;
    unsigned long long used;
} slot;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static slot cache[CACHE_SLOTS];
static unsigned long long cache_clock;

void exp_sdmx_cache_reset(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        free(cache[i].body);
        memset(&cache[i], 0, sizeof cache[i]);
    }
    pthread_mutex_unlock(&cache_mu);
}

/* Copy a cached answer into b. Returns 1 on a hit. */
static int cache_get(const char *etag, obs_buf *b)
{
    int hit = 0;
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS && !hit; i++) {
        if (cache[i].body && strcmp(cache[i].etag, etag) == 0) {
            hit = obs_buf_append(b, cache[i].body, cache[i].len) == OBS_OK;
            cache[i].used = ++cache_clock;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const char *etag, const char *body, size_t len)
{
    if (len > CACHE_MAX_BODY)
        return;
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return;
    memcpy(copy, body, len);
    pthread_mutex_lock(&cache_mu);
    int victim = 0;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].body && strcmp(cache[i].etag, etag) == 0) {
            victim = -1; /* another thread stored it meanwhile */
            break;
        }
        if (cache[i].used < cache[victim].used)
            victim = i;
    }
    if (victim >= 0) {
        free(cache[victim].body);
        snprintf(cache[victim].etag, sizeof cache[victim].etag, "%s", etag);
        cache[victim].body = copy;
        cache[victim].len = len;
        cache[victim].used = ++cache_clock;
        copy = NULL;
    }
    pthread_mutex_unlock(&cache_mu);
    free(copy);
}

/* ---- data queries ------------------------------------------------------------------------- */

static const char *query_get(void *ctx, const char *name)
{
    return obs_http_query(ctx, name);
}

/* /sdmx/data/{flowRef}[/{key}[/{providerRef}]] into q. */
static obs_status parse_data_request(obs_request *rq, exp_data_query *q, obs_err *e)
{
    exp_data_query_init(q);
    if (rq->nseg < 3)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_SYNTAX",
                        "requête de données sans flux : /sdmx/data/%s/{clé}", EXP_FLOW);
    if (rq->nseg > 5)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_SYNTAX",
                        "trop de segments : /sdmx/data/{flux}/{clé}/{fournisseur}");
    obs_status rc = exp_flowref_check(rq->seg[2], e);
    if (rc == OBS_OK)
        rc = exp_key_parse(rq->nseg > 3 ? rq->seg[3] : NULL, q, e);
    if (rc == OBS_OK)
        rc = exp_provider_check(rq->nseg > 4 ? rq->seg[4] : NULL, e);
    if (rc == OBS_OK)
        rc = exp_params_parse(query_get, rq, q, e);
    return rc;
}

/* The run an answer reads, and the connection *cp it is read on: the standby for anonymous
 * requests (db_read.h), the primary for those with credentials or when the standby cannot
 * serve it. */
static obs_status answer_run(obs_request *rq, const exp_data_query *q, PGconn **cp,
                             exp_run *run, obs_err *e)
{
    int anonymous = obs_http_header(rq, "Authorization") == NULL &&
                    MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, OBS_SESSION_COOKIE) ==
                        NULL;
    PGconn *c = anonymous ? obs_db_read_conn(e) : obs_db_conn(e);
    for (int attempt = 0;; attempt++) {
        if (c == NULL)
            return OBS_ERR_DB;
        obs_status rc = q->has_as_of ? exp_vintage_as_of(c, q->as_of, run, e)
                                     : exp_vintage_current_fast(c, run, e);
        PGconn *primary = NULL;
        if (rc == OBS_OK || attempt || (primary = obs_db_read_retry(c, e)) == NULL) {
            *cp = c;
            return rc;
        }
        c = primary;
    }
}

/* The data answer for q in format fmt, complete in rs->body or streamed. */
static void answer_data(obs_request *rq, obs_response *rs, const exp_data_query *q,
                        exp_format fmt)
{
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = NULL;
    exp_run run;
    obs_status rc = answer_run(rq, q, &c, &run, &e);
    if (rc) {
        sdmx_fail(rs, &e);
        return;
    }
    if (run.id == 0) {
        sdmx_error(rs, 404, 100, "aucune donnée publiée à cette date");
        return;
    }
    char canon[1024], key[1100], etag[40];
    uint64_t h64;
    if (exp_query_canonical(q, canon, sizeof canon)) {
        sdmx_error(rs, 500, 500, "erreur interne");
        return;
    }
    int kl = snprintf(key, sizeof key, "%s|%d|%lld", canon, (int)fmt, run.id);
    make_etag(key, (size_t)kl, etag, sizeof etag, &h64);
    common_headers(rs);
    if (not_modified(rq, rs, etag, run.published_at)) {
        validators(rs, etag, run.published_at);
        return;
    }
    rs->status = 200;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", exp_format_ctype(fmt));
    if (cache_get(etag, &rs->body)) {
        validators(rs, etag, run.published_at);
        return;
    }
    long long upd = -1;
    if (q->has_updated_after && (rc = exp_vintage_run_at(c, q->updated_after, &upd, &e))) {
        sdmx_fail(rs, &e);
        return;
    }
    exp_source src;
    exp_stream *st = NULL;
    int empty = 0;
    exp_data_opts opts = {.format = fmt};
    exp_data_opts_from_query(&opts, q);
    exp_message_id("ISCG_DATA", h64, opts.id, sizeof opts.id);
    exp_datetime(time(NULL), opts.prepared, sizeof opts.prepared);
    snprintf(opts.extracted, sizeof opts.extracted, "%s", run.extracted);
    rc = exp_source_init(&src, q, &run, upd, &e);
    if (rc == OBS_OK)
        rc = exp_stream_open(c, &src, &opts, &st, &empty, &e);
    PGconn *primary; /* the standby failed here: the run is on the primary too */
    if (rc && (primary = obs_db_read_retry(c, &e)) != NULL)
        rc = exp_stream_open(c = primary, &src, &opts, &st, &empty, &e);
    if (rc == OBS_OK && empty) {
        exp_stream_free(st);
        sdmx_error(rs, 404, 100, "aucune observation ne correspond à la requête");
        return;
    }
    /* The size of the answer: the first page when it is all of it, else a count. */
    int complete = rc == OBS_OK && exp_stream_complete(st);
    long long n = 0, max = obs_config_get()->sdmx_max_obs;
    if (complete)
        n = (long long)exp_stream_first_count(st);
    else if (rc == OBS_OK)
        rc = exp_source_count(c, &src, &n, &e);
    if (rc == OBS_OK && n > max)
        rc = obs_fail(&e, OBS_ERR_TOO_LARGE, "E_SDMX_TOO_LARGE",
                      "la réponse compterait %lld observations (au plus %lld) : précisez la "
                      "clé ou la période", n, max);
    if (rc == OBS_OK && complete) {
        exp_sink sink = exp_sink_buf(&rs->body);
        rc = exp_stream_write_all(st, c, &sink, &e);
        exp_stream_free(st);
        if (rc == OBS_OK) {
            cache_put(etag, rs->body.data, rs->body.len);
            validators(rs, etag, run.published_at);
            return;
        }
    } else if (rc == OBS_OK) {
        rs->reader = exp_stream_reader;
        rs->reader_cls = st;
        rs->reader_free = exp_stream_free;
        validators(rs, etag, run.published_at);
        return;
    } else {
        exp_stream_free(st);
    }
    sdmx_fail(rs, &e);
}

void exp_sdmx_data_get(obs_request *rq, obs_response *rs)
{
    exp_format fmt;
    if (exp_negotiate_data(obs_http_header(rq, "Accept"), obs_http_query(rq, "format"), &fmt)) {
        sdmx_error(rs, 406, SDMX_NOT_ACCEPTABLE,
                   "format non disponible : " CT_GENERIC ", " CT_SS " ou " CT_CSV);
        return;
    }
    obs_err e;
    obs_err_clear(&e);
    exp_data_query q;
    if (parse_data_request(rq, &q, &e)) {
        sdmx_fail(rs, &e);
        return;
    }
    exp_query_for_format(&q, fmt);
    answer_data(rq, rs, &q, fmt);
}

/* ---- structure and schema queries --------------------------------------------------------- */

/* A complete answer from memory bytes, with its ETag from the content. */
static void answer_bytes(obs_request *rq, obs_response *rs, const char *ctype, obs_buf *b)
{
    char etag[40];
    make_etag(b->data ? b->data : "", b->len, etag, sizeof etag, NULL);
    common_headers(rs);
    if (not_modified(rq, rs, etag, 0)) {
        validators(rs, etag, 0);
        obs_buf_free(b);
        return;
    }
    obs_buf_free(&rs->body);
    rs->body = *b;
    rs->status = 200;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", ctype);
    validators(rs, etag, 0);
}

/* When structure messages were first asked for: written once (pthread_once), then only read
 * by the worker threads. */
static time_t structures_started;
static pthread_once_t structures_once = PTHREAD_ONCE_INIT;

static void structures_start(void)
{
    structures_started = time(NULL);
}

void exp_sdmx_structure_get(obs_request *rq, obs_response *rs)
{
    if (exp_negotiate_structure(obs_http_header(rq, "Accept"), 0)) {
        sdmx_error(rs, 406, SDMX_NOT_ACCEPTABLE, "format non disponible : " CT_STRUCTURE);
        return;
    }
    static const char *const names[] = {"dataflow", "datastructure", "codelist",
                                        "conceptscheme"};
    int res = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(rq->seg[1], names[i]) == 0)
            res = i;
    if (res < 0 || rq->nseg > 5) {
        sdmx_error(rs, 501, 501, "requête de structure non prise en charge (pas d'éléments)");
        return;
    }
    const char *detail = obs_http_query(rq, "detail");
    if (detail && strcmp(detail, "full") != 0 && strcmp(detail, "allstubs") != 0 &&
        strcmp(detail, "referencestubs") != 0 && strcmp(detail, "allcompletestubs") != 0 &&
        strcmp(detail, "referencecompletestubs") != 0 && strcmp(detail, "referencepartial") != 0) {
        sdmx_error(rs, 400, 140, "detail inconnu");
        return;
    }
    obs_err e;
    obs_err_clear(&e);
    exp_structsel sel;
    if (exp_structsel_query((exp_sres)res, rq->nseg > 2 ? rq->seg[2] : NULL,
                            rq->nseg > 3 ? rq->seg[3] : NULL, rq->nseg > 4 ? rq->seg[4] : NULL,
                            obs_http_query(rq, "references"), &sel, &e)) {
        sdmx_fail(rs, &e);
        return;
    }
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    char id[64];
    exp_message_id("ISCG_STRUCTURE", ((uint64_t)sel.codelists << 3) | (uint64_t)sel.dataflow << 2 |
                                         (uint64_t)sel.dsd << 1 | (uint64_t)sel.conceptscheme,
                   id, sizeof id);
    /* Prepared: the first structure request of the process, so that the bytes (and the
     * ETag) are stable. */
    pthread_once(&structures_once, structures_start);
    char prepared[32];
    exp_datetime(structures_started, prepared, sizeof prepared);
    if (exp_structure_write(&sel, id, prepared, &s, &e)) {
        obs_buf_free(&b);
        sdmx_error(rs, 503, 503, "service momentanément indisponible");
        return;
    }
    answer_bytes(rq, rs, CT_STRUCTURE, &b);
}

void exp_sdmx_schema_get(obs_request *rq, obs_response *rs)
{
    if (exp_negotiate_structure(obs_http_header(rq, "Accept"), 1)) {
        sdmx_error(rs, 406, SDMX_NOT_ACCEPTABLE, "format non disponible : " CT_XML);
        return;
    }
    /* /sdmx/schema/{context}/{agency}/{id}[/{version}] */
    if (rq->nseg < 5 || rq->nseg > 6) {
        sdmx_error(rs, 400, 140, "attendu : /sdmx/schema/datastructure/" EXP_AGENCY "/" EXP_DSD
                                 "/" EXP_VERSION);
        return;
    }
    const char *ctx = rq->seg[2], *agency = rq->seg[3], *id = rq->seg[4];
    const char *version = rq->nseg > 5 ? rq->seg[5] : "latest";
    int known_ctx = strcmp(ctx, "datastructure") == 0 || strcmp(ctx, "dataflow") == 0 ||
                    strcmp(ctx, "provisionagreement") == 0;
    if (!known_ctx) {
        sdmx_error(rs, 400, 140, "contexte de schéma inconnu (datastructure ou dataflow)");
        return;
    }
    const char *want = strcmp(ctx, "datastructure") == 0 ? EXP_DSD : EXP_FLOW;
    if ((strcmp(agency, EXP_AGENCY) != 0 && strcmp(agency, "all") != 0) ||
        strcmp(id, want) != 0 ||
        (strcmp(version, EXP_VERSION) != 0 && strcmp(version, "latest") != 0)) {
        sdmx_error(rs, 404, 100, "structure inconnue");
        return;
    }
    int dim = EXP_DIM_TIME;
    const char *dao = obs_http_query(rq, "dimensionAtObservation");
    if (dao && strcmp(dao, "AllDimensions") == 0)
        dim = EXP_DIM_ALL;
    else if (dao && (dim = exp_dim_find(dao)) < 0) {
        sdmx_error(rs, 400, 140, "dimensionAtObservation inconnue");
        return;
    }
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    obs_err e;
    if (exp_schema_write(dim, &s, &e)) {
        obs_buf_free(&b);
        sdmx_error(rs, 503, 503, "service momentanément indisponible");
        return;
    }
    answer_bytes(rq, rs, CT_XML, &b);
}

/* Other resources of the SDMX REST API: standard but not served here (501), or unknown. */
void exp_sdmx_other_get(obs_request *rq, obs_response *rs)
{
    static const char *const standard[] = {
        "categoryscheme",    "categorisation",       "hierarchicalcodelist",
        "organisationscheme", "agencyscheme",        "dataproviderscheme",
        "dataconsumerscheme", "organisationunitscheme", "contentconstraint",
        "attachmentconstraint", "actualconstraint",  "allowedconstraint",
        "structureset",      "process",              "provisionagreement",
        "metadatastructure", "metadataflow",         "reportingtaxonomy",
        "metadata",          "availableconstraint",  "structure",
        "conceptschemes",    "schema"};
    const char *r = rq->nseg > 1 ? rq->seg[1] : "";
    for (size_t i = 0; i < OBS_ARRAY_LEN(standard); i++)
        if (strcmp(r, standard[i]) == 0) {
            sdmx_error(rs, 501, 501, "ressource SDMX non proposée par ce service");
            return;
        }
    sdmx_error(rs, 404, 100, "ressource inconnue : voir /sdmx/dataflow, /sdmx/data/" EXP_FLOW);
}

static char ping_body[1025];

/* 1 024 bytes: a line of text repeated, ending with a newline. */
static void ping_fill(void)
{
    static const char line[] = "ISCG observatory SDMX service: static answer. ";
    for (size_t i = 0; i < sizeof ping_body - 1; i++)
        ping_body[i] = line[i % (sizeof line - 1)];
    ping_body[sizeof ping_body - 2] = '\n';
    ping_body[sizeof ping_body - 1] = '\0';
}

/* 1 KiB of constant text: the baseline of bench/sdmx.sh (same daemon, no database). */
void exp_sdmx_ping_get(obs_request *rq, obs_response *rs)
{
    (void)rq;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ping_fill);
    obs_http_text(rs, 200, "text/plain; charset=utf-8", ping_body);
}

const obs_route exp_sdmx_routes[] = {
    {"GET", "/sdmx/ping", exp_sdmx_ping_get, 0},
    {"GET", "/sdmx/data/**", exp_sdmx_data_get, 0},
    {"GET", "/sdmx/dataflow/**", exp_sdmx_structure_get, 0},
    {"GET", "/sdmx/datastructure/**", exp_sdmx_structure_get, 0},
    {"GET", "/sdmx/codelist/**", exp_sdmx_structure_get, 0},
    {"GET", "/sdmx/conceptscheme/**", exp_sdmx_structure_get, 0},
    {"GET", "/sdmx/schema/**", exp_sdmx_schema_get, 0},
    {"GET", "/sdmx/**", exp_sdmx_other_get, 0},
};
const size_t exp_sdmx_routes_count = OBS_ARRAY_LEN(exp_sdmx_routes);
