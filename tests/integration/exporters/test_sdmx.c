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
 *  - export files equal the API's answers (vintages: test_sdmx_runs.c);
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
#include "sdmx_valid.h"

#include "sdmx_it.h"

static void test_csv_round_trip(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, FLOW "/all?startPeriod=%s&endPeriod=%s", year, year);
    web_resp r;
    get(path, "Accept: " CSV, NULL, &r);
    if (r.status != 200)
        fail_msg("%ld %s", r.status, r.body);
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
    };
    int failed = cmocka_run_group_tests_name("integration_sdmx", tests, setup, teardown);
    return failed || it_stop_failures;
}
