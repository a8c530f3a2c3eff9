/* test_faults.c: fault injection along the upload path (PUT of a CSV and of an XML grid) and
 * the SDMX export path (GET /sdmx/data, XML and CSV), through the real HTTP daemon started in
 * this process on a real PostgreSQL (docs/reliability.md, "Fault injection").
 *
 * The Makefile links this test with -Wl,--wrap= for the allocation functions, the libpq
 * calls and the libxml2 calls the project makes (IT_WRAP_test_faults): only the calls of the
 * project's own code are redirected (libc, libpq, libxml2 and libcurl inside keep theirs),
 * and only calls from the daemon's threads are counted (this thread is the test's client).
 * For each family of calls, the k-th call is made to fail, k = 1, 2, ... until a request
 * completes without reaching k (bounded by count and by time). After each request: the
 * answer is a 2xx, or a 5xx with the JSON error (never a crash; under ASan no leak at
 * exit); the database holds every grid whole (rows = stored contacts) and a grid's version
 * moved only when the upload was acknowledged; the daemon still answers the next request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "config.h"
#include "crypto.h"
#include "keys.h"
#include "db.h"
#include "harness.h"
#include "http.h"
#include "ref.h"
#include "reports.h"
#include "route_grids.h"
#include "serve_routes.h"
#include "route_health.h"
#include "routes.h"
#include "sdmx_dsd.h"
#include "sdmx_rest.h"
#include "store.h"
#include "web.h"

/* ---- the injector ---- */

typedef enum fault_family { F_NONE, F_ALLOC, F_PQ, F_XML, F_COUNT } fault_family;
static const char *const family_name[F_COUNT] = {"none", "alloc", "libpq", "libxml2"};

static pthread_t client_thread;
static atomic_int armed = F_NONE;  /* the family whose calls are counted */
static atomic_long calls;          /* calls of that family since armed */
static long fail_at;               /* the call that fails (1-based) */
static atomic_int hit;             /* that call was reached */

/* 1 when this call of family f must fail. */
static int fault(fault_family f)
{
    if (atomic_load(&armed) != (int)f || pthread_equal(pthread_self(), client_thread))
        return 0;
    if (atomic_fetch_add(&calls, 1) + 1 != fail_at)
        return 0;
    atomic_store(&hit, 1);
    return 1;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n) { return fault(F_ALLOC) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fault(F_ALLOC) ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fault(F_ALLOC) ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fault(F_ALLOC) ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fault(F_ALLOC) ? NULL : __real_strndup(s, n); }

/* libpq: a command that cannot be sent returns NULL (what libpq does without memory or
 * connection); a result becomes an error result (what the server says when a statement
 * fails); a COPY block or its end cannot be sent (-1). */
PGresult *__real_PQexec(PGconn *c, const char *q);
PGresult *__real_PQexecParams(PGconn *c, const char *q, int n, const Oid *t,
                              const char *const *v, const int *l, const int *f, int rf);
PGresult *__real_PQexecPrepared(PGconn *c, const char *name, int n, const char *const *v,
                                const int *l, const int *f, int rf);
PGresult *__real_PQprepare(PGconn *c, const char *name, const char *q, int n, const Oid *t);
PGresult *__real_PQgetResult(PGconn *c);
int __real_PQputCopyData(PGconn *c, const char *b, int n);
int __real_PQputCopyEnd(PGconn *c, const char *err);
int __real_PQsendQueryParams(PGconn *c, const char *q, int n, const Oid *t,
                             const char *const *v, const int *l, const int *f, int rf);
int __real_PQsendQueryPrepared(PGconn *c, const char *name, int n, const char *const *v,
                               const int *l, const int *f, int rf);
PGresult *__wrap_PQexec(PGconn *c, const char *q)
{
    return fault(F_PQ) ? NULL : __real_PQexec(c, q);
}
PGresult *__wrap_PQexecParams(PGconn *c, const char *q, int n, const Oid *t,
                              const char *const *v, const int *l, const int *f, int rf)
{
    return fault(F_PQ) ? NULL : __real_PQexecParams(c, q, n, t, v, l, f, rf);
}
PGresult *__wrap_PQexecPrepared(PGconn *c, const char *name, int n, const char *const *v,
                                const int *l, const int *f, int rf)
{
    return fault(F_PQ) ? NULL : __real_PQexecPrepared(c, name, n, v, l, f, rf);
}
PGresult *__wrap_PQprepare(PGconn *c, const char *name, const char *q, int n, const Oid *t)
{
    return fault(F_PQ) ? NULL : __real_PQprepare(c, name, q, n, t);
}
PGresult *__wrap_PQgetResult(PGconn *c)
{
    PGresult *r = __real_PQgetResult(c);
    if (r == NULL || !fault(F_PQ))
        return r;
    PQclear(r);
    return PQmakeEmptyPGresult(c, PGRES_FATAL_ERROR);
}
int __wrap_PQputCopyData(PGconn *c, const char *b, int n)
{
    return fault(F_PQ) ? -1 : __real_PQputCopyData(c, b, n);
}
int __wrap_PQputCopyEnd(PGconn *c, const char *err)
{
    return fault(F_PQ) ? -1 : __real_PQputCopyEnd(c, err);
}
int __wrap_PQsendQueryParams(PGconn *c, const char *q, int n, const Oid *t,
                             const char *const *v, const int *l, const int *f, int rf)
{
    return fault(F_PQ) ? 0 : __real_PQsendQueryParams(c, q, n, t, v, l, f, rf);
}
int __wrap_PQsendQueryPrepared(PGconn *c, const char *name, int n, const char *const *v,
                               const int *l, const int *f, int rf)
{
    return fault(F_PQ) ? 0 : __real_PQsendQueryPrepared(c, name, n, v, l, f, rf);
}

/* libxml2: a parser or writer that cannot be created (NULL), a parse or a write that fails
 * (-1), as libxml2 answers when its own allocations fail. */
xmlParserCtxtPtr __real_xmlCreateMemoryParserCtxt(const char *b, int n);
xmlParserCtxtPtr __wrap_xmlCreateMemoryParserCtxt(const char *b, int n)
{
    return fault(F_XML) ? NULL : __real_xmlCreateMemoryParserCtxt(b, n);
}
int __real_xmlParseDocument(xmlParserCtxtPtr ctxt);
int __wrap_xmlParseDocument(xmlParserCtxtPtr ctxt)
{
    return fault(F_XML) ? -1 : __real_xmlParseDocument(ctxt);
}
xmlSchemaValidCtxtPtr __real_xmlSchemaNewValidCtxt(xmlSchemaPtr s);
xmlSchemaValidCtxtPtr __wrap_xmlSchemaNewValidCtxt(xmlSchemaPtr s)
{
    return fault(F_XML) ? NULL : __real_xmlSchemaNewValidCtxt(s);
}
int __real_xmlSchemaValidateDoc(xmlSchemaValidCtxtPtr v, xmlDocPtr d);
int __wrap_xmlSchemaValidateDoc(xmlSchemaValidCtxtPtr v, xmlDocPtr d)
{
    return fault(F_XML) ? -1 : __real_xmlSchemaValidateDoc(v, d);
}
xmlOutputBufferPtr __real_xmlOutputBufferCreateIO(xmlOutputWriteCallback w,
                                                  xmlOutputCloseCallback c, void *ctx,
                                                  xmlCharEncodingHandlerPtr enc);
xmlOutputBufferPtr __wrap_xmlOutputBufferCreateIO(xmlOutputWriteCallback w,
                                                  xmlOutputCloseCallback c, void *ctx,
                                                  xmlCharEncodingHandlerPtr enc)
{
    return fault(F_XML) ? NULL : __real_xmlOutputBufferCreateIO(w, c, ctx, enc);
}
xmlTextWriterPtr __real_xmlNewTextWriter(xmlOutputBufferPtr out);
xmlTextWriterPtr __wrap_xmlNewTextWriter(xmlOutputBufferPtr out)
{
    return fault(F_XML) ? NULL : __real_xmlNewTextWriter(out);
}
int __real_xmlTextWriterStartElement(xmlTextWriterPtr w, const xmlChar *name);
int __wrap_xmlTextWriterStartElement(xmlTextWriterPtr w, const xmlChar *name)
{
    return fault(F_XML) ? -1 : __real_xmlTextWriterStartElement(w, name);
}
int __real_xmlTextWriterWriteAttribute(xmlTextWriterPtr w, const xmlChar *n, const xmlChar *v);
int __wrap_xmlTextWriterWriteAttribute(xmlTextWriterPtr w, const xmlChar *n, const xmlChar *v)
{
    return fault(F_XML) ? -1 : __real_xmlTextWriterWriteAttribute(w, n, v);
}
int __real_xmlTextWriterEndElement(xmlTextWriterPtr w);
int __wrap_xmlTextWriterEndElement(xmlTextWriterPtr w)
{
    return fault(F_XML) ? -1 : __real_xmlTextWriterEndElement(w);
}
int __real_xmlTextWriterFlush(xmlTextWriterPtr w);
int __wrap_xmlTextWriterFlush(xmlTextWriterPtr w)
{
    return fault(F_XML) ? -1 : __real_xmlTextWriterFlush(w);
}

/* ---- the daemon, in this process ---- */

static it_server S;
static char tok_post[80], tok_analyst[80];
static PGconn *db;

#define POST "ISCG-093-01"
#define PERIOD "2026-03"

static obs_status after_store(PGconn *c, const char *post, const char *period, obs_err *e)
{
    return agg_refresh_post_month(c, post, period, e);
}

static int setup(void **state)
{
    (void)state;
    client_thread = pthread_self();
    it_setup(&S, "it_faults");
    it_post_add(&S, POST, "93", "2020-01");
    it_user_add(&S, "post", POST, tok_post);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    setenv("ISCGOBS_DATABASE_URL", S.db_url, 1);
    setenv("ISCGOBS_KEY_FILE", S.key_path, 1);
    setenv("ISCGOBS_LISTEN", "127.0.0.1:0", 1);
    setenv("ISCGOBS_THREADS", "2", 1);
    setenv("ISCGOBS_LOCK_MONTHS", "120", 1);
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    if (obs_config_load(&cfg, &e) || ref_init(&e) || exp_dsd_init(&e)) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    xmlInitParser();
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || obs_db_ready(c, &e) || col_keys_setup(c, cfg.key_file, &e)) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    col_store_set_hook(after_store);
    cli_add_routes();
    if (obs_http_start(&cfg, &e)) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    S.port = obs_http_port();
    snprintf(S.base, sizeof S.base, "http://127.0.0.1:%d", S.port);
    db = it_db(&S);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    obs_http_stop(5);
    col_keys_teardown();
    obs_db_disconnect();
    PQfinish(db);
    return 0;
}

/* ---- the loops ---- */

#define MAX_POINTS 1000000 /* bound on k per loop */
#define MAX_SECONDS 90    /* bound on a loop's time (then it stops, and says so) */

typedef struct fault_path {
    const char *name;
    int upload;           /* 1: PUT of the grid; 0: GET path */
    const char *ctype;
    const char *path;
} fault_path;

/* The grid body of try n: the fixture with a comment naming n (each try is a new version). */
static char *grid_body(const fault_path *p, int n, size_t *len)
{
    size_t flen;
    char *f = it_read_file(strstr(p->ctype, "xml") ? "tests/data/grids/valid_grid.xml"
                                                   : "tests/data/grids/valid_comma_utf8.csv",
                           &flen);
    const char *mark = strstr(p->ctype, "xml") ? "mise à l'abri ce soir" : "BUREAU,\n";
    char *at = strstr(f, mark);
    assert_non_null(at);
    char *out = malloc(flen + 64);
    assert_non_null(out);
    *len = (size_t)snprintf(out, flen + 64, "%.*s%s essai %d%s", (int)(at - f), f,
                            strstr(p->ctype, "xml") ? "note" : "BUREAU,", n,
                            at + strlen(mark) - (strstr(p->ctype, "xml") ? 0 : 1));
    free(f);
    return out;
}

static long grid_version(void)
{
    return it_sql_long(db, "SELECT coalesce(max(version), 0) FROM grid WHERE post = '" POST
                           "' AND period = '" PERIOD "-01'");
}

/* The invariants of the database after any request: every grid whole. */
static void check_whole(void)
{
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*) "
                                     "FROM contact c WHERE c.post = g.post AND c.period = g.period)"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM grid g WHERE version <> (SELECT "
                                     "count(*) FROM upload u WHERE u.post = g.post AND u.period = "
                                     "g.period AND u.version IS NOT NULL)"),
                     0);
}

/* One request of path p (try n), family f armed to fail at call k. Returns 1 when call k
 * was reached. */
static int one_try(const fault_path *p, fault_family f, long k, int n, long *status)
{
    size_t len = 0;
    char *body = p->upload ? grid_body(p, n, &len) : NULL;
    long before = p->upload ? grid_version() : 0;
    char path[160];
    snprintf(path, sizeof path, "%s", p->path);
    fail_at = k;
    atomic_store(&calls, 0);
    atomic_store(&hit, 0);
    atomic_store(&armed, (int)f);
    it_resp r;
    it_http(&S, p->upload ? "PUT" : "GET", path, p->upload ? tok_post : tok_analyst, p->ctype,
            body, len, &r);
    atomic_store(&armed, F_NONE);
    int reached = atomic_load(&hit);
    *status = r.status;
    /* A 2xx, or a 5xx with the JSON error; a stream cut after its 200 may end the transfer
     * early (status -1 from a broken transfer is accepted only once the fault was hit). */
    if (!(r.status >= 200 && r.status < 300)) {
        if (!(r.status == -1 && reached && !p->upload)) {
            /* The JSON error, or for /sdmx once routed an SDMX error message. */
            int shaped = r.body && (strstr(r.body, "\"E_") ||
                                    (!p->upload && strstr(r.body, "ErrorMessage")));
            if (r.status < 500 || r.status > 599 || !shaped)
                fprintf(stderr, "%s %s k=%ld: status %ld body %.300s\n", p->name,
                        family_name[f], k, r.status, r.body ? r.body : "");
            assert_in_range(r.status, 500, 599);
            assert_true(shaped);
        }
    }
    if (!reached)
        assert_int_equal(r.status / 100, 2);
    if (p->upload) {
        long after = grid_version();
        assert_int_equal(after, before + (r.status / 100 == 2 ? 1 : 0));
        check_whole();
    }
    it_resp_free(&r);
    free(body);
    /* The daemon still serves. */
    it_http(&S, "GET", "/healthz", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    return reached;
}

static int tries;

/* The next call to fail after k: every call up to 64, then one in eight more (a path
 * that makes thousands of calls, such as the SDMX writer, is sampled along its length). */
static long next_point(long k)
{
    return k < 64 ? k + 1 : k + k / 8;
}

static void run_path(const fault_path *p)
{
    for (int f = F_ALLOC; f < F_COUNT; f++) {
        time_t t0 = time(NULL);
        long k, points = 0, failed_5xx = 0;
        int reached = 1;
        for (k = 1; k <= MAX_POINTS && reached && time(NULL) - t0 < MAX_SECONDS;
             k = next_point(k)) {
            long status;
            reached = one_try(p, (fault_family)f, k, ++tries, &status);
            points += reached;
            failed_5xx += reached && status / 100 != 2;
        }
        printf("faults: %s %s: %ld fault points exercised up to call %ld (%ld answered 5xx "
               "or cut), %s\n",
               p->name, family_name[f], points, reached ? k : k - 1, failed_5xx,
               reached ? "stopped by the bound" : "then a run completed without reaching k");
    }
    /* After all of it, the path works. */
    long status;
    assert_int_equal(one_try(p, F_NONE, 1, ++tries, &status), 0);
}

static void test_upload_csv(void **state)
{
    (void)state;
    static const fault_path p = {"PUT csv", 1, "text/csv", "/api/v1/grids/" POST "/" PERIOD};
    run_path(&p);
}

static void test_upload_xml(void **state)
{
    (void)state;
    static const fault_path p = {"PUT xml", 1, "application/xml",
                                 "/api/v1/grids/" POST "/" PERIOD};
    run_path(&p);
}

static void test_sdmx_xml(void **state)
{
    (void)state;
    static const fault_path p = {"GET sdmx xml", 0, NULL, "/sdmx/data/ISCG_INDICATEURS/all"};
    run_path(&p);
}

static void test_sdmx_csv(void **state)
{
    (void)state;
    static const fault_path p = {"GET sdmx csv", 0, NULL,
                                 "/sdmx/data/ISCG_INDICATEURS/all?format=csvfile"};
    run_path(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_csv),
        cmocka_unit_test(test_upload_xml),
        cmocka_unit_test(test_sdmx_xml),
        cmocka_unit_test(test_sdmx_csv),
    };
    return cmocka_run_group_tests_name("integration_faults", tests, setup, teardown);
}
