/* test_sdmx.c: the SDMX REST API and `iscgobs export` against the real server and a real
 * PostgreSQL, on a small demonstration year loaded through the real upload path:
 *  - round trip: the SDMX-CSV of the year, parsed back, equals the published (protected)
 *    cells of agg_published_cells, cell for cell;
 *  - every GenericData and Structure answer validates against SDMXMessage.xsd, and
 *    StructureSpecificData against the DSD-specific XSD the service serves;
 *  - negotiation (Vary, 406), errors as SDMX-ML Error messages (400, 404, 501), ETag and 304,
 *    the URLs rsdmx sends, first/last N, detail, streaming of a large answer;
 *  - the default request gives series; SDMX-CSV ignores dimensionAtObservation; the
 *    answer-size limit (ISCGOBS_SDMX_MAX_OBS, a second server) gives 413 / 510;
 *  - export files equal the API's answers;
 *  - vintages: after a correction, asOf before it returns the figures as published then,
 *    updatedAfter returns only what changed; a run recorded between two pages does not change
 *    an answer; a run is one state of the indicators and its published_at is its commit
 *    time (fault injection: the Makefile links this test with -Wl,--wrap=agg_published_cells
 *    and -Wl,--wrap=obs_db_exec);
 *  - bench/httpload counts 2xx answers only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "harness.h"
#include "web_client.h"
#include "publish.h"
#include "ref.h"
#include "sdmx_data.h"
#include "sdmx_vintage.h"
#include "../unit/sdmx_valid.h"

static it_server S;
static char tok_admin[80];
static char demo_dir[700];
static char year[16];

#define FLOW "/sdmx/data/ISCG_INDICATEURS"
#define CSV "application/vnd.sdmx.data+csv;version=1.0.0"
#define SS "application/vnd.sdmx.structurespecificdata+xml;version=2.1"

/* GET path from the test's server (web_get of web_client.h). */
static void get(const char *path, const char *h1, const char *h2, web_resp *r)
{
    web_get(&S, path, h1, h2, r);
}

/* ---- setup: a small demo year through the real upload path ---- */

static int setup(void **state)
{
    (void)state;
    obs_err e;
    if (ref_init(&e) || exp_dsd_init(&e))
        return -1;
    it_setup(&S, "it_sdmx");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_start(&S, NULL);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900 - 1);
    snprintf(demo_dir, sizeof demo_dir, "%s/demo", S.dir);
    const char *posts = getenv("IT_SDMX_POSTS") ? getenv("IT_SDMX_POSTS") : "12";
    if (it_cli(&S, NULL, 0, (const char *[]){"demo", "--out", demo_dir, "--posts", posts,
                                             "--year", year, "--seed", "7", NULL}))
        return -1;
    char reg[800];
    snprintf(reg, sizeof reg, "%s/posts.csv", demo_dir);
    if (it_cli(&S, NULL, 0, (const char *[]){"post", "import", reg, NULL}) ||
        it_cli(&S, NULL, 0, (const char *[]){"upload", demo_dir, "--url", S.base, "--token",
                                             tok_admin, "--jobs", "4", NULL}))
        return -1;
    /* This process reads the published cells itself, with the server's configuration. */
    setenv("ISCGOBS_DATABASE_URL", S.db_url, 1);
    obs_config cfg;
    return obs_config_load(&cfg, &e) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* ---- round trip ---- */

typedef struct row {
    char key[200]; /* FREQ.REF_AREA....MODE|TIME_PERIOD */
    char value[32];
    char obs[2], conf[2], unit[16], dec[2];
} row;

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row *)a)->key, ((const row *)b)->key);
}

/* Parse an SDMX-CSV body (no quoted fields in our data) into rows. */
static row *parse_csv(char *body, size_t *n)
{
    size_t cap = 1024, k = 0;
    row *rows = malloc(cap * sizeof *rows);
    char *line = body;
    int header = 1;
    while (*line) {
        char *end = strstr(line, "\r\n");
        assert_non_null(end); /* RFC 4180 line ends */
        *end = '\0';
        if (header) {
            assert_string_equal(line, "DATAFLOW,FREQ,REF_AREA,MESURE,SEXE,AGE,STATUT,ORIGINE,"
                                      "PROBLEMATIQUE,PARTENAIRE,MODE,TIME_PERIOD,OBS_VALUE,"
                                      "UNIT_MEASURE,UNIT_MULT,DECIMALS,OBS_STATUS,CONF_STATUS");
            header = 0;
        } else {
            char *f[18];
            int nf = 0;
            for (char *p = line; nf < 18;) {
                f[nf++] = p;
                char *c = strchr(p, ',');
                if (c == NULL)
                    break;
                *c = '\0';
                p = c + 1;
            }
            assert_int_equal(nf, 18);
            assert_string_equal(f[0], "FR_ISCG:ISCG_INDICATEURS(1.0)");
            if (k == cap)
                rows = realloc(rows, (cap *= 2) * sizeof *rows);
            row *r = &rows[k++];
            snprintf(r->key, sizeof r->key, "%s.%s.%s.%s.%s.%s.%s.%s.%s.%s|%s", f[1], f[2], f[3],
                     f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]);
            snprintf(r->value, sizeof r->value, "%s", f[12]);
            snprintf(r->unit, sizeof r->unit, "%s", f[13]);
            assert_string_equal(f[14], "0");
            snprintf(r->dec, sizeof r->dec, "%s", f[15]);
            snprintf(r->obs, sizeof r->obs, "%s", f[16]);
            snprintf(r->conf, sizeof r->conf, "%s", f[17]);
        }
        line = end + 2;
    }
    qsort(rows, k, sizeof *rows, cmp_row);
    *n = k;
    return rows;
}

static void test_csv_round_trip(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, FLOW "/all?startPeriod=%s&endPeriod=%s", year, year);
    web_resp r;
    get(path, "Accept: " CSV, NULL, &r);
    assert_int_equal(r.status, 200);
    size_t n;
    row *rows = parse_csv(r.body, &n);

    agg_query q;
    agg_query_init(&q);
    q.has_from = q.has_to = 1;
    q.from = q.to = (agg_period){'A', (int)strtol(year, NULL, 10), 0};
    agg_cell *cells = NULL;
    size_t nc = 0;
    obs_err e;
    PGconn *c = it_db(&S);
    assert_int_equal(agg_published_cells(c, &q, 0, &cells, &nc, &e), OBS_OK);
    PQfinish(c);
    assert_true(nc > 1000);
    assert_int_equal(n, nc); /* every published cell, nothing else (no post cells) */
    size_t withheld = 0, pct = 0;
    for (size_t i = 0; i < nc; i++) {
        const agg_cell *x = &cells[i];
        row probe;
        size_t plen = strlen(x->period);
        snprintf(probe.key, sizeof probe.key, "%s.%s.%s.%s.%s.%s.%s.%s.%s.%s|%s",
                 plen == 4 ? "A" : x->period[5] == 'Q' ? "Q" : "M", x->area, x->mesure,
                 x->dim[0], x->dim[1], x->dim[2], x->dim[3], x->dim[4], x->dim[5], x->dim[6],
                 x->period);
        row *got = bsearch(&probe, rows, n, sizeof *rows, cmp_row);
        if (got == NULL)
            fail_msg("cell %s missing from the SDMX-CSV", probe.key);
        int is_pct = strncmp(x->mesure, "PART_", 5) == 0 || strncmp(x->mesure, "TAUX_", 5) == 0;
        assert_string_equal(got->dec, is_pct ? "1" : "0");
        assert_string_equal(got->unit, agg_unit(x->mesure));
        if (x->conf_status == 'C' || x->conf_status == 'D') {
            withheld++;
            assert_string_equal(got->value, ""); /* never the value of a withheld cell */
            assert_string_equal(got->obs, "Q");
            assert_int_equal(got->conf[0], x->conf_status);
            continue;
        }
        assert_string_equal(got->conf, "F");
        assert_int_equal(got->obs[0], x->obs_status);
        if (!x->has_value) {
            assert_string_equal(got->value, "");
            continue;
        }
        /* The published value: the cell's, rounded to its decimals. */
        char *end;
        double v = strtod(got->value, &end);
        assert_int_equal(*end, '\0');
        const char *dot = strchr(got->value, '.');
        if (is_pct) {
            pct++;
            assert_non_null(dot);
            assert_int_equal(strlen(dot + 1), 1);
            assert_true(fabs(v - x->value) <= 0.05 + 1e-9);
        } else {
            assert_null(dot);
            assert_true(v == x->value);
        }
    }
    assert_true(withheld > 0);
    assert_true(pct > 0);
    free(cells);
    free(rows);
    web_free(&r);
}

/* ---- validation and the rsdmx URLs ---- */

static void test_messages_validate(void **state)
{
    (void)state;
    web_resp r;
    char path[512], v[256];
    /* The URLs rsdmx sends: trailing slash, all/latest, empty key positions. */
    snprintf(path, sizeof path, FLOW "/M.FR......../all/?startPeriod=%s-Q1&endPeriod=%s-06",
             year, year);
    get(path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(web_header_value(&r, "Content-Type", v, sizeof v),
                        "application/vnd.sdmx.genericdata+xml;version=2.1");
    assert_string_equal(web_header_value(&r, "Vary", v, sizeof v), "Accept");
    assert_int_equal(web_header_count(&r, "Vary"), 1);
    assert_int_equal(web_header_count(&r, "Access-Control-Allow-Origin"), 1);
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    assert_non_null(strstr(r.body, "structureID=\"DSD_ISCG\""));
    assert_non_null(strstr(r.body, "<generic:Value id=\"REF_AREA\" value=\"FR\"/>"));
    assert_null(strstr(r.body, "id=\"REF_AREA\" value=\"D"));
    char m01[32], m07[32];
    snprintf(m01, sizeof m01, "\"%s-01\"", year);
    snprintf(m07, sizeof m07, "\"%s-07\"", year);
    assert_non_null(strstr(r.body, m01)); /* startPeriod=Q1 includes January */
    assert_null(strstr(r.body, m07));
    web_free(&r);

    get("/sdmx/datastructure/all/DSD_ISCG/latest/?references=children", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(web_header_value(&r, "Content-Type", v, sizeof v),
                        "application/vnd.sdmx.structure+xml;version=2.1");
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    assert_non_null(strstr(r.body, "<structure:Codelist id=\"CL_AREA_ISCG\""));
    assert_non_null(strstr(r.body, "<structure:ConceptScheme id=\"CS_ISCG\""));
    web_free(&r);
    const char *structure_urls[] = {"/sdmx/dataflow", "/sdmx/dataflow/FR_ISCG/ISCG_INDICATEURS/1.0",
                                    "/sdmx/dataflow/all/all/latest?references=all",
                                    "/sdmx/codelist/FR_ISCG/CL_SEXE", "/sdmx/conceptscheme/"};
    for (size_t i = 0; i < sizeof structure_urls / sizeof *structure_urls; i++) {
        get(structure_urls[i], NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(sdmx_validate(r.body, r.len), 0);
        web_free(&r);
    }

    /* rsdmx pitfall 4: without dimensionAtObservation, structure-specific data is series. */
    get(FLOW "/M.FR.NB_PERSONNES._T._T._T._T._T._T._T", "Accept: " SS, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "dimensionAtObservation=\"TIME_PERIOD\""));
    assert_non_null(strstr(r.body, "<Series FREQ=\"M\""));
    assert_null(strstr(r.body, "<Obs FREQ="));
    web_free(&r);
    /* The same for generic data (the first answer above had a key with wildcards). */
    get(FLOW "/M.FR.NB_PERSONNES._T._T._T._T._T._T._T", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    assert_non_null(strstr(r.body, "dimensionAtObservation=\"TIME_PERIOD\""));
    assert_non_null(strstr(r.body, "<generic:Series>"));
    assert_null(strstr(r.body, "<generic:ObsKey>"));
    web_free(&r);

    /* Structure-specific data against the schema the service serves, for two layouts. */
    const char *dims[] = {"TIME_PERIOD", "REF_AREA", "AllDimensions"};
    for (size_t i = 0; i < 3; i++) {
        web_resp x;
        snprintf(path, sizeof path, "/sdmx/schema/datastructure/FR_ISCG/DSD_ISCG/1.0"
                                    "?dimensionAtObservation=%s", dims[i]);
        get(path, NULL, NULL, &x);
        assert_int_equal(x.status, 200);
        snprintf(path, sizeof path, FLOW "/M.FR+D93.NB_PERSONNES+PART_PERSONNES......."
                                    "?dimensionAtObservation=%s", dims[i]);
        get(path, "Accept: " SS, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(web_header_value(&r, "Content-Type", v, sizeof v), SS);
        char ns[256];
        exp_ss_namespace(i == 0 ? EXP_DIM_TIME : i == 1 ? EXP_D_REF_AREA : EXP_DIM_ALL, ns,
                         sizeof ns);
        assert_int_equal(sdmx_validate_ss(r.body, r.len, x.body, ns, S.dir), 0);
        web_free(&r);
        web_free(&x);
    }
}

/* ---- negotiation, errors, conditional requests, options ---- */

/* An SDMX-ML Error message from server s: status, SDMX code, valid, headers once. */
static void expect_error_from(const it_server *s, const char *path, const char *h, long status,
                              const char *code)
{
    web_resp r;
    web_get(s, path, h, NULL, &r);
    if (r.status != status)
        fail_msg("%s: status %ld, want %ld", path, r.status, status);
    char want[64];
    snprintf(want, sizeof want, "<message:ErrorMessage code=\"%s\">", code);
    assert_non_null(strstr(r.body, want));
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    if (web_header_count(&r, "Vary") != 1 || web_header_count(&r, "Access-Control-Allow-Origin") != 1)
        fail_msg("%s: Vary sent %d times, Access-Control-Allow-Origin %d times (want 1)", path,
                 web_header_count(&r, "Vary"), web_header_count(&r, "Access-Control-Allow-Origin"));
    web_free(&r);
}

static void expect_error(const char *path, const char *h, long status, const char *code)
{
    expect_error_from(&S, path, h, status, code);
}

static void test_errors_and_negotiation(void **state)
{
    (void)state;
    expect_error(FLOW "/M.FR", NULL, 400, "140");
    expect_error(FLOW "/M.FR.NB_PERSONNES._T._T._T._T._T._T._T?detail=everything", NULL, 400,
                 "140");
    expect_error(FLOW "/M.XX.NB_PERSONNES._T._T._T._T._T._T._T", NULL, 404, "100");
    expect_error("/sdmx/data/EXR/all", NULL, 404, "100");
    expect_error(FLOW "/all?startPeriod=1999&endPeriod=1999", NULL, 404, "100");
    expect_error("/sdmx/categoryscheme/all/all/latest", NULL, 501, "501");
    expect_error("/sdmx/dataflow/ECB", NULL, 404, "100");
    expect_error(FLOW "/all", "Accept: application/json", 406, "1000");
    expect_error("/sdmx/nothing", NULL, 404, "100");
    web_resp r;
    char v[256];
    get(FLOW "/A.FR.NB_PERSONNES._T._T._T._T._T._T._T", "Accept: */*", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(web_header_value(&r, "Content-Type", v, sizeof v),
                        "application/vnd.sdmx.genericdata+xml;version=2.1");
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    web_free(&r);
    get(FLOW "/A.FR.NB_PERSONNES._T._T._T._T._T._T._T", "Accept: application/xml", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<message:GenericData"));
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    web_free(&r);
    /* Post-level cells are never published: a post code is not even a code of CL_AREA_ISCG. */
    expect_error(FLOW "/A.ISCG-093-01.NB_PERSONNES._T._T._T._T._T._T._T", NULL, 404, "100");
}

static void test_etag_and_options(void **state)
{
    (void)state;
    web_resp r, r2;
    char etag[128], lm[128], inm[200], ims[200];
    const char *series = FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T";
    get(series, "Accept: " CSV, NULL, &r);
    assert_int_equal(r.status, 200);
    web_header_value(&r, "ETag", etag, sizeof etag);
    web_header_value(&r, "Last-Modified", lm, sizeof lm);
    assert_true(etag[0] == '"' && lm[0]);
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    get(series, "Accept: " CSV, inm, &r2);
    assert_int_equal(r2.status, 304);
    assert_int_equal(r2.len, 0);
    web_free(&r2);
    snprintf(ims, sizeof ims, "If-Modified-Since: %s", lm);
    get(series, "Accept: " CSV, ims, &r2);
    assert_int_equal(r2.status, 304);
    web_free(&r2);
    get(series, "Accept: application/xml", inm, &r2); /* another format: another entity */
    assert_int_equal(r2.status, 200);
    assert_int_equal(sdmx_validate(r2.body, r2.len), 0);
    web_free(&r2);
    /* 12 monthly observations; firstN / lastN per series. */
    size_t n;
    row *rows = parse_csv(r.body, &n);
    assert_int_equal(n, 12);
    free(rows);
    web_free(&r);
    char path[300];
    snprintf(path, sizeof path, "%s?lastNObservations=2", series);
    get(path, "Accept: " CSV, NULL, &r);
    rows = parse_csv(r.body, &n);
    assert_int_equal(n, 2);
    char dec[48];
    snprintf(dec, sizeof dec, "|%s-12", year);
    assert_non_null(strstr(rows[1].key, dec));
    free(rows);
    web_free(&r);
    snprintf(path, sizeof path, FLOW "/M.FR.NB_CONTACTS+NB_PERSONNES._T._T._T._T._T._T._T"
                                "?firstNObservations=1&detail=dataonly");
    get(path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    assert_null(strstr(r.body, "<generic:Attributes>"));
    int nobs = 0;
    for (const char *p = strstr(r.body, "<generic:Obs>"); p; p = strstr(p + 1, "<generic:Obs>"))
        nobs++;
    assert_int_equal(nobs, 2);
    web_free(&r);
    get(FLOW "/all?detail=serieskeysonly", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "<generic:Obs>"));
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    web_free(&r);
}

/* A large answer is streamed (several pages) and complete. */
static void test_streamed_answer(void **state)
{
    (void)state;
    web_resp x, c;
    get(FLOW "/all", NULL, NULL, &x);
    assert_int_equal(x.status, 200);
    get(FLOW "/all", "Accept: " CSV, NULL, &c);
    assert_int_equal(c.status, 200);
    xmlDocPtr d = xmlReadMemory(x.body, (int)x.len, "big.xml", NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    assert_non_null(d); /* well-formed to the last byte */
    xmlFreeDoc(d);
    assert_int_equal(sdmx_validate(x.body, x.len), 0); /* and valid, every page of it */
    /* The default layout is time series (rsdmx pitfall 4: nothing for flat data). */
    assert_non_null(strstr(x.body, "dimensionAtObservation=\"TIME_PERIOD\""));
    assert_non_null(strstr(x.body, "<generic:Series>"));
    assert_null(strstr(x.body, "<generic:ObsKey>"));
    size_t obs = 0, rows = 0;
    for (const char *p = strstr(x.body, "<generic:Obs>"); p; p = strstr(p + 1, "<generic:Obs>"))
        obs++;
    for (const char *p = strstr(c.body, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        rows++;
    assert_true(obs > 5000);
    assert_int_equal(obs, rows - 1);
    web_free(&x);
    web_free(&c);
}

/* SDMX-CSV is flat (every dimension on every row): whatever dimensionAtObservation asks,
 * the rows, their order and the ETag are those of the default layout. A small answer (one
 * page) and a streamed one. */
static void test_csv_any_layout(void **state)
{
    (void)state;
    const char *paths[] = {FLOW "/M..NB_CONTACTS+NB_PERSONNES._T._T._T._T._T._T._T",
                           FLOW "/all"};
    const char *dims[] = {"REF_AREA", "MESURE", "AllDimensions", "TIME_PERIOD"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(paths); i++) {
        web_resp base;
        char etag[128], etag2[128], path[300];
        get(paths[i], "Accept: " CSV, NULL, &base);
        assert_int_equal(base.status, 200);
        web_header_value(&base, "ETag", etag, sizeof etag);
        for (size_t d = 0; d < OBS_ARRAY_LEN(dims); d++) {
            web_resp r;
            snprintf(path, sizeof path, "%s?dimensionAtObservation=%s", paths[i], dims[d]);
            get(path, "Accept: " CSV, NULL, &r);
            if (r.status != 200)
                fail_msg("%s: status %ld", path, r.status);
            assert_int_equal(r.len, base.len);
            assert_memory_equal(r.body, base.body, base.len);
            assert_string_equal(web_header_value(&r, "ETag", etag2, sizeof etag2), etag);
            web_free(&r);
        }
        web_free(&base);
    }
}

/* A second server on the same database, with ISCGOBS_SDMX_MAX_OBS=10 (started and stopped
 * around test_too_large, so that it stops even when the test fails). */
static it_server small;

static int small_start(void **state)
{
    (void)state;
    small = S;
    it_start(&small, (const char *const[]){"ISCGOBS_SDMX_MAX_OBS=10", NULL});
    return 0;
}

static int small_stop(void **state)
{
    (void)state;
    it_stop_checked(&small);
    return 0;
}

/* ISCGOBS_SDMX_MAX_OBS: an answer selecting more observations is refused with 413 and SDMX
 * code 510 (response size exceeds service limit), whether it fits in one page or would be
 * streamed; a smaller answer is served. */
static void test_too_large(void **state)
{
    (void)state;
    web_resp r;
    web_get(&small, FLOW "/A.FR.NB_PERSONNES._T._T._T._T._T._T._T", NULL, NULL, &r);
    assert_int_equal(r.status, 200); /* one observation */
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    web_free(&r);
    /* 12 monthly observations: one page. */
    expect_error_from(&small, FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T", NULL, 413, "510");
    expect_error_from(&small, FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T", "Accept: " CSV, 413,
                      "510");
    /* The whole year: a streamed answer. */
    expect_error_from(&small, FLOW "/all", NULL, 413, "510");
    /* Only that server has the small limit. */
    get(FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(sdmx_validate(r.body, r.len), 0);
    web_free(&r);
}

/* ---- bench/httpload (the load generator of bench/sdmx.sh) ---- */

/* Run httpload (built next to this test: build/<flavour>/bench/httpload) on path for one
 * second with two connections: requests/s and errors as it prints them. */
static void httpload(const char *path, double *rps, long *errors)
{
    char self[600], cmd[3200];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(k > 0);
    self[k] = '\0';
    *strrchr(self, '/') = '\0'; /* build/<flavour>/it */
    *strrchr(self, '/') = '\0'; /* build/<flavour> */
    snprintf(cmd, sizeof cmd, "%s/bench/httpload %s '%s' 2 1", self, S.base + strlen("http://"),
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    double p50, p99;
    assert_int_equal(fscanf(p, "%lf %lf %lf %ld", rps, &p50, &p99, errors), 4);
    assert_int_equal(pclose(p), 0);
}

/* Requests per second count successful (2xx) answers only; the others are errors. */
static void test_httpload_counts(void **state)
{
    (void)state;
    double rps;
    long errors;
    httpload("/sdmx/ping", &rps, &errors);
    assert_true(rps > 0);
    assert_int_equal(errors, 0);
    httpload("/sdmx/nothing", &rps, &errors); /* 404 */
    if (rps != 0 || errors == 0)
        fail_msg("404 answers: %.0f requests/s, %ld errors (want 0 and > 0)", rps, errors);
}

/* ---- export files ---- */

static void test_export(void **state)
{
    (void)state;
    char out[800], p[1200];
    snprintf(out, sizeof out, "%s/export", S.dir);
    char help[2048];
    assert_int_equal(it_cli(&S, help, sizeof help, (const char *[]){"export", "--help", NULL}),
                     0);
    assert_non_null(strstr(help, "AAAA-Qn")); /* quarters as the parser reads them */
    assert_null(strstr(help, "-Tn"));
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "csv", "--period", year,
                                                          "--out", out, NULL}),
                     0);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "sdmx", "--period", year,
                                                          "--out", out, NULL}),
                     0);
    assert_int_not_equal(it_cli(&S, NULL, 0, (const char *[]){"export", "csv", "--period",
                                                              "2026-13", "--out", out, NULL}),
                         0);
    /* The CSV file is the API's answer for the same year, byte for byte. */
    snprintf(p, sizeof p, "%s/ISCG_INDICATEURS_%s.csv", out, year);
    size_t len;
    char *file = it_read_file(p, &len);
    char path[256];
    snprintf(path, sizeof path, FLOW "/all?startPeriod=%s&endPeriod=%s", year, year);
    web_resp r;
    get(path, "Accept: " CSV, NULL, &r);
    assert_int_equal(r.len, len);
    assert_memory_equal(r.body, file, len);
    web_free(&r);
    free(file);
    snprintf(p, sizeof p, "%s/structure.xml", out);
    file = it_read_file(p, &len);
    assert_int_equal(sdmx_validate(file, len), 0);
    free(file);
    snprintf(p, sizeof p, "%s/ISCG_INDICATEURS_%s_generic.xml", out, year);
    file = it_read_file(p, &len);
    assert_int_equal(sdmx_validate(file, len), 0);
    free(file);
    snprintf(p, sizeof p, "%s/DSD_ISCG.xsd", out);
    char *xsd = it_read_file(p, NULL);
    snprintf(p, sizeof p, "%s/ISCG_INDICATEURS_%s_structurespecific.xml", out, year);
    file = it_read_file(p, &len);
    char ns[256];
    exp_ss_namespace(EXP_DIM_TIME, ns, sizeof ns);
    assert_int_equal(sdmx_validate_ss(file, len, xsd, ns, S.dir), 0);
    free(file);
    free(xsd);
}

/* ---- vintages ---- */

/* The first grid CSV of the demo (post, month), keeping 1/part of its data rows. */
static char *demo_grid(char *post, char *month, size_t *len, int part)
{
    char dir[800];
    snprintf(dir, sizeof dir, "%s/grids", demo_dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    char name[256] = "";
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".csv") == 0 &&
            (name[0] == '\0' || strcmp(de->d_name, name) < 0))
            snprintf(name, sizeof name, "%s", de->d_name);
    }
    closedir(d);
    assert_true(name[0] != '\0');
    assert_int_equal(sscanf(name, "%11[^_]_%7s", post, month), 2);
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *g = it_read_file(p, len);
    if (part == 1)
        return g;
    size_t lines = 0;
    for (size_t i = 0; i < *len; i++)
        lines += g[i] == '\n';
    assert_true(lines > 4);
    size_t keep = 1 + (lines - 1) / (size_t)part, seen = 0;
    for (size_t i = 0; i < *len; i++)
        if (g[i] == '\n' && ++seen == keep) {
            *len = i + 1;
            break;
        }
    return g;
}

/* Which part of the first demo grid is stored: 0 whole (the demo), 1 half, 2 a quarter. */
static int grid_variant;

/* A correction through the real server: the first demo grid, whole, then halved, then a
 * quarter of it, then whole again..., so that every call changes the published figures and
 * two calls never come back to the figures of a run before them. Returns the grid's month
 * (YYYY-MM) in month[16] when month is not NULL. */
static void correct_first_grid(char *month)
{
    static const int parts[] = {1, 2, 4};
    char post[16], m[16], path[300];
    size_t len;
    grid_variant = (grid_variant + 1) % 3;
    char *grid = demo_grid(post, m, &len, parts[grid_variant]);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, m);
    it_resp u;
    it_http(&S, "PUT", path, tok_admin, "text/csv", grid, len, &u);
    assert_int_equal(u.status, 200);
    it_resp_free(&u);
    free(grid);
    if (month)
        snprintf(month, 16, "%s", m);
}

static void test_vintages(void **state)
{
    (void)state;
    const char *series = FLOW "/M.FR.NB_CONTACTS._T._T._T._T._T._T._T";
    web_resp before, after, asof, upd;
    get(series, "Accept: " CSV, NULL, &before);
    assert_int_equal(before.status, 200);
    sleep(2);
    time_t t1 = time(NULL);
    char ts[32];
    exp_datetime(t1, ts, sizeof ts);
    sleep(2);
    char month[16], path[300];
    correct_first_grid(month); /* halves it */

    get(series, "Accept: " CSV, NULL, &after);
    assert_int_equal(after.status, 200);
    assert_true(after.len != before.len || memcmp(after.body, before.body, before.len) != 0);
    snprintf(path, sizeof path, "%s?asOf=%s", series, ts);
    get(path, "Accept: " CSV, NULL, &asof);
    assert_int_equal(asof.status, 200);
    assert_int_equal(asof.len, before.len); /* as published then, the correction unseen */
    assert_memory_equal(asof.body, before.body, before.len);
    snprintf(path, sizeof path, "%s?updatedAfter=%s", series, ts);
    get(path, "Accept: " CSV, NULL, &upd);
    assert_int_equal(upd.status, 200);
    size_t n;
    row *rows = parse_csv(upd.body, &n);
    assert_true(n >= 1 && n < 12); /* only the corrected month changed in this series */
    char want[32];
    snprintf(want, sizeof want, "|%s", month);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= strstr(rows[i].key, want) != NULL;
    assert_true(found);
    free(rows);
    /* Before anything was published: nothing. */
    expect_error(FLOW "/all?asOf=2001-01-01T00:00:00Z", NULL, 404, "100");
    PGconn *c = it_db(&S);
    assert_true(it_sql_long(c, "SELECT count(*) FROM sdmx_publication") >= 2);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM sdmx_vintage WHERE value IS NOT NULL"
                                    " AND conf_status <> 'F'"),
                     0); /* the history holds nothing withheld */
    PQfinish(c);
    web_free(&before);
    web_free(&after);
    web_free(&asof);
    web_free(&upd);
}

/* ---- fault injection (the Makefile links this test with -Wl,--wrap=...) ---- */

obs_status __real_agg_published_cells(PGconn *c, const agg_query *q, int include_posts,
                                      agg_cell **out, size_t *n, obs_err *e);
obs_status __real_obs_db_exec(PGconn *c, const char *sql, int nparams,
                              const char *const *params, PGresult **res, obs_err *e);

/* Set: a correction through the server right after the next read of cells. */
static int correct_after_next_read;

obs_status __wrap_agg_published_cells(PGconn *c, const agg_query *q, int include_posts,
                                      agg_cell **out, size_t *n, obs_err *e)
{
    obs_status rc = __real_agg_published_cells(c, q, include_posts, out, n, e);
    if (correct_after_next_read) {
        correct_after_next_read = 0;
        correct_first_grid(NULL);
    }
    return rc;
}

/* Set: sleep 1.5 s before the next statement adding a run's rows (after the run's INSERT,
 * before its COMMIT); delayed_until is the time the sleep ended. */
static int delay_next_add;
static double delayed_until;

static double now_real(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

obs_status __wrap_obs_db_exec(PGconn *c, const char *sql, int nparams,
                              const char *const *params, PGresult **res, obs_err *e)
{
    if (delay_next_add && strstr(sql, "INSERT INTO sdmx_vintage")) {
        delay_next_add = 0;
        usleep(1500 * 1000);
        delayed_until = now_real();
    }
    return __real_obs_db_exec(c, sql, nparams, params, res, e);
}

/* ---- reading runs page by page, in this process (the server records runs the same way) ---- */

/* Every observation of run, read as the stream reads it: pages of page observations after a
 * keyset cursor. between (may be NULL) runs once, after the first page. *n observations, in
 * series order; the caller frees the array. */
static exp_obs *read_run(PGconn *c, const exp_run *run, size_t page, void (*between)(void),
                         size_t *n)
{
    exp_data_query q;
    exp_data_query_init(&q);
    exp_source src;
    obs_err e;
    assert_int_equal(exp_source_init(&src, &q, run, -1, &e), OBS_OK);
    size_t cap = page, k = 0, got = 0;
    exp_obs *all = malloc(cap * sizeof *all);
    assert_non_null(all);
    do {
        if (k + page > cap) {
            while (k + page > cap)
                cap *= 2;
            all = realloc(all, cap * sizeof *all);
            assert_non_null(all);
        }
        const exp_obs *after = k ? &all[k - 1] : NULL;
        assert_int_equal(exp_source_page(c, &src, after, page, all + k, &got, &e), OBS_OK);
        k += got;
        if (between && k == got) /* the first page was read */
            between();
    } while (got == page);
    *n = k;
    return all;
}

/* Between two pages of a streamed answer: a correction, and the run it causes. */
static long long between_run;
static void correct_and_publish(void)
{
    correct_first_grid(NULL);
    obs_err e;
    exp_run r;
    assert_int_equal(exp_vintage_current(obs_db_conn(&e), "query", &r, &e), OBS_OK);
    between_run = r.id;
}

/* A run recorded while an answer is being streamed does not change the answer: every page
 * reads the run the answer started with, even when the new run ends some of its rows. */
static void test_pages_across_runs(void **state)
{
    (void)state;
    obs_err e;
    PGconn *c = obs_db_conn(&e);
    assert_non_null(c);
    exp_run run;
    assert_int_equal(exp_vintage_current(c, "query", &run, &e), OBS_OK);
    size_t n_whole, n_paged;
    exp_obs *whole = read_run(c, &run, 1000, NULL, &n_whole);
    assert_true(n_whole > 5000);
    exp_obs *paged = read_run(c, &run, 500, correct_and_publish, &n_paged);
    assert_true(between_run > run.id);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT closed FROM sdmx_publication WHERE id = %lld", between_run);
    PGconn *t = it_db(&S);
    assert_true(it_sql_long(t, sql) > 0); /* the new run did end rows of the old one */
    PQfinish(t);
    assert_int_equal(n_paged, n_whole);
    assert_memory_equal(paged, whole, n_whole * sizeof *whole);
    free(whole);
    free(paged);
}

/* The published cells now, as observations in series order (the caller frees them). */
static exp_obs *published_now(PGconn *c, size_t *n)
{
    agg_cell *cells = NULL;
    obs_err e;
    assert_int_equal(agg_published_cells(c, NULL, 0, &cells, n, &e), OBS_OK);
    exp_obs *o = calloc(*n ? *n : 1, sizeof *o);
    assert_non_null(o);
    for (size_t i = 0; i < *n; i++)
        assert_int_equal(exp_obs_from_cell(&cells[i], &o[i], &e), OBS_OK);
    free(cells);
    exp_obs_sort(o, *n, EXP_DIM_TIME);
    return o;
}

/* One text value of a query on a new connection to the test database, into out. */
static void sql_text(const char *sql, char *out, size_t cap)
{
    PGconn *t = it_db(&S);
    PGresult *r = PQexec(t, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(t);
}

/* A publication run is one state of the indicators: a correction committed while the run's
 * cells are being read (after the first of its per-measure reads) must not give a run that
 * mixes both states under the older state's name. */
static void test_run_is_one_snapshot(void **state)
{
    (void)state;
    obs_err e;
    PGconn *c = obs_db_conn(&e);
    assert_non_null(c);
    PGconn *t = it_db(&S);
    long last = it_sql_long(t, "SELECT max(id) FROM sdmx_publication");
    PQfinish(t);
    correct_first_grid(NULL); /* the state moved: the next check takes a run */
    correct_after_next_read = 1;
    exp_run run;
    assert_int_equal(exp_vintage_current(c, "export", &run, &e), OBS_OK);
    assert_false(correct_after_next_read); /* the correction did land during the snapshot */
    assert_true(run.id > last);
    char sql[200], run_state[512], gens[512];
    snprintf(sql, sizeof sql, "SELECT state FROM sdmx_publication WHERE id = %lld", run.id);
    sql_text(sql, run_state, sizeof run_state);
    sql_text("SELECT coalesce(string_agg(year || ':' || gen, ',' ORDER BY year), '')"
             " FROM agg_generation", gens, sizeof gens);
    if (strncmp(run_state, gens, strlen(gens)) != 0 || run_state[strlen(gens)] != '|')
        fail_msg("run %lld has state %s, the generations are %s", run.id, run_state, gens);
    size_t n_run, n_now;
    exp_obs *got = read_run(c, &run, 1000, NULL, &n_run);
    exp_obs *want = published_now(c, &n_now);
    assert_int_equal(n_run, n_now);
    assert_memory_equal(got, want, n_now * sizeof *want);
    free(got);
    free(want);
}

/* published_at is the time the run became visible (just before its COMMIT), not the time
 * of its INSERT: asOf=T between the two would otherwise name a run nobody could read at T. */
static void test_published_at_is_commit_time(void **state)
{
    (void)state;
    obs_err e;
    correct_first_grid(NULL);
    delay_next_add = 1;
    exp_run run;
    assert_int_equal(exp_vintage_current(obs_db_conn(&e), "export", &run, &e), OBS_OK);
    assert_false(delay_next_add);
    char sql[200], v[64];
    snprintf(sql, sizeof sql,
             "SELECT extract(epoch FROM published_at)::text FROM sdmx_publication WHERE id = %lld",
             run.id);
    sql_text(sql, v, sizeof v);
    double published = strtod(v, NULL);
    if (published < delayed_until)
        fail_msg("published_at %.3f is before the last statement of its run (%.3f)", published,
                 delayed_until);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_round_trip),
        cmocka_unit_test(test_messages_validate),
        cmocka_unit_test(test_errors_and_negotiation),
        cmocka_unit_test(test_etag_and_options),
        cmocka_unit_test(test_streamed_answer),
        cmocka_unit_test(test_csv_any_layout),
        cmocka_unit_test_setup_teardown(test_too_large, small_start, small_stop),
        cmocka_unit_test(test_httpload_counts),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_vintages),
        cmocka_unit_test(test_pages_across_runs),
        cmocka_unit_test(test_run_is_one_snapshot),
        cmocka_unit_test(test_published_at_is_commit_time),
    };
    int failed = cmocka_run_group_tests_name("integration_sdmx", tests, setup, teardown);
    return failed || it_stop_failures;
}
