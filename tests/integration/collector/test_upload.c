/* test_upload.c: the upload API end to end, against the real server and PostgreSQL:
 * formats, receipts, idempotence, atomic corrections, every invalid fixture, limits,
 * authorization, locking, dry run, health and metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "keyring.h"
#include "pseudonym.h"
#include "ref.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_p93[80], tok_p75[80];
static char cur_period[24], future_period[24];

#define POST93 "ISCG-093-01"
#define POST75 "ISCG-075-01"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_upload");
    it_post_add(&S, POST93, "93", "2020-01");
    it_post_add(&S, POST75, "75", "2020-01");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    it_user_add(&S, "post", POST93, tok_p93);
    it_user_add(&S, "post", POST75, tok_p75);
    it_start(&S, NULL);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(cur_period, sizeof cur_period, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    int fm = tm.tm_mon + 2, fy = tm.tm_year + 1900; /* two months ahead: never begun */
    if (fm > 11) {
        fm -= 12;
        fy++;
    }
    snprintf(future_period, sizeof future_period, "%04d-%02d", fy, fm + 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S); /* SIGTERM: a clean stop, no sanitizer report */
    return 0;
}

/* A CSV grid of n rows for period (YYYY-MM), refs "<tag>-<i>". Caller frees. */
static char *make_csv(const char *period, int n, const char *tag)
{
    size_t cap = 256 + (size_t)n * 160;
    char *s = malloc(cap);
    size_t len = (size_t)snprintf(s, cap, HEADER);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s-%02d;%s-%d;1980;F;93200;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;"
                                "AIDE_VICTIMES;BUREAU;\n",
                                period, 1 + i % 28, tag, i);
    return s;
}

static json_t *body_json(const it_resp *r)
{
    json_error_t err;
    json_t *j = json_loads(r->body, 0, &err);
    assert_non_null(j);
    return j;
}

static void put(const char *post, const char *period, const char *token, const char *ctype,
                const void *body, size_t len, it_resp *r)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", post, period);
    it_http(&S, "PUT", path, token, ctype, body, len, r);
}

static long count_rows(const char *post, const char *period)
{
    PGconn *c = it_db(&S);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM contact WHERE post = '%s' AND period = '%s-01'", post, period);
    long n = it_sql_long(c, sql);
    PQfinish(c);
    return n;
}

static long grid_version(const char *post, const char *period)
{
    PGconn *c = it_db(&S);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(max(version), 0) FROM grid WHERE post = '%s' AND period = '%s-01'",
             post, period);
    long n = it_sql_long(c, sql);
    PQfinish(c);
    return n;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int k;
    EVP_Digest(p, n, md, &k, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *ctype_for(const char *file)
{
    /* as tests/data/grids/README.md says */
    if (strstr(file, ".xml"))
        return "application/xml";
    return strstr(file, "charset-utf8") ? "text/csv; charset=utf-8" : "text/csv";
}

/* Every valid fixture is accepted with a correct receipt; the same bytes again give the
 * same receipt and change nothing. */
static void test_valid_fixtures(void **state)
{
    (void)state;
    DIR *d = opendir("tests/data/grids");
    assert_non_null(d);
    struct dirent *de;
    int seen = 0, xml = 0;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "valid_", 6) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "tests/data/grids/%s", de->d_name);
        size_t len;
        char *body = it_read_file(path, &len);
        long before = grid_version(POST93, "2026-03");
        it_resp r1, r2;
        put(POST93, "2026-03", tok_admin, ctype_for(path), body, len, &r1);
        if (r1.status != 200 && r1.status != 201)
            fprintf(stderr, "%s: %ld %s\n", path, r1.status, r1.body);
        assert_true(r1.status == (before == 0 ? 201 : 200) || r1.status == 200);
        json_t *j = body_json(&r1);
        char sum[65];
        sha256_hex(body, len, sum);
        assert_string_equal(json_string_value(json_object_get(j, "sha256")), sum);
        assert_string_equal(json_string_value(json_object_get(j, "post")), POST93);
        assert_string_equal(json_string_value(json_object_get(j, "period")), "2026-03");
        long rows = (long)json_integer_value(json_object_get(j, "rows"));
        assert_int_equal(rows, count_rows(POST93, "2026-03"));
        assert_true(json_integer_value(json_object_get(j, "persons")) <= rows);
        assert_true(json_is_boolean(json_object_get(j, "on_time")));
        long version = (long)json_integer_value(json_object_get(j, "version"));
        assert_int_equal(version, grid_version(POST93, "2026-03"));
        json_decref(j);

        put(POST93, "2026-03", tok_admin, ctype_for(path), body, len, &r2);
        assert_int_equal(r2.status, 200);
        assert_string_equal(r2.body, r1.body); /* same receipt, byte for byte */
        assert_int_equal(grid_version(POST93, "2026-03"), version);
        it_resp_free(&r1);
        it_resp_free(&r2);
        free(body);
        seen++;
        xml += strstr(path, ".xml") != NULL;
    }
    closedir(d);
    assert_true(seen >= 4);
    assert_true(xml >= 1);
}

typedef struct reader_state {
    volatile int stop;
    long bad, reads;
    const char *period;
} reader_state;

static void *reader(void *arg)
{
    reader_state *rs = arg;
    PGconn *c = it_db(&S);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM contact WHERE post = '%s' AND period = '%s-01'", POST75,
             rs->period);
    while (!rs->stop) {
        long n = it_sql_long(c, sql);
        if (n != 10 && n != 20)
            rs->bad++;
        rs->reads++;
    }
    PQfinish(c);
    return NULL;
}

/* A correction replaces the old rows as a whole: a concurrent reader sees 10 or 20 rows,
 * never a mix, and the history keeps every version. */
static void test_correction_is_atomic(void **state)
{
    (void)state;
    char *a = make_csv(cur_period, 10, "A"), *b = make_csv(cur_period, 20, "B");
    it_resp r;
    put(POST75, cur_period, tok_p75, "text/csv", a, strlen(a), &r);
    assert_int_equal(r.status, 201);
    it_resp_free(&r);
    reader_state rs = {.period = cur_period};
    pthread_t t;
    pthread_create(&t, NULL, reader, &rs);
    for (int i = 0; i < 30; i++) {
        const char *body = i % 2 ? a : b;
        put(POST75, cur_period, tok_p75, "text/csv", body, strlen(body), &r);
        assert_int_equal(r.status, 200);
        it_resp_free(&r);
    }
    rs.stop = 1;
    pthread_join(t, NULL);
    assert_int_equal(rs.bad, 0);
    assert_true(rs.reads > 10);
    assert_int_equal(count_rows(POST75, cur_period), 10); /* the last upload was A */
    assert_int_equal(grid_version(POST75, cur_period), 31);
    PGconn *c = it_db(&S);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM upload WHERE post = '%s' AND period = '%s-01'",
             POST75, cur_period);
    assert_int_equal(it_sql_long(c, sql), 31);
    PQfinish(c);
    free(a);
    free(b);
}

/* A rejected grid must name the expected code (and line, and column when given). */
static void expect_issue(const it_resp *r, const char *code, int line, const char *column)
{
    json_t *j = body_json(r);
    json_t *errs = json_object_get(j, "errors");
    int found = 0;
    for (size_t i = 0; i < json_array_size(errs); i++) {
        json_t *it = json_array_get(errs, i);
        if (strcmp(json_string_value(json_object_get(it, "code")), code) != 0)
            continue;
        if (line >= 0 && json_integer_value(json_object_get(it, "line")) != line)
            continue;
        if (column && *column &&
            strcmp(json_string_value(json_object_get(it, "column")), column) != 0)
            continue;
        assert_true(strlen(json_string_value(json_object_get(it, "message"))) > 10);
        found = 1;
    }
    if (!found)
        fprintf(stderr, "expected %s line %d column %s in %s\n", code, line, column, r->body);
    assert_true(found);
    json_decref(j);
}

static void assert_still_serving(void)
{
    it_resp r;
    it_http(&S, "GET", "/healthz", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
}

/* Every invalid fixture of tests/data/grids/README.md: 422 with its code and line; nothing
 * of it stored; the service keeps serving. */
static void test_invalid_fixtures(void **state)
{
    (void)state;
    size_t len;
    char *table = it_read_file("tests/data/grids/README.md", &len);
    int cases = 0;
    for (char *line = table, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char file[128], code[64], lineno[16], column[64];
        if (sscanf(line, "| %127[^ |] | %63[^ |] | %15[^ |] | %63[^|]|", file, code, lineno,
                   column) < 3 ||
            strncmp(file, "invalid_", 8) != 0)
            continue;
        char *end = column + strlen(column);
        while (end > column && end[-1] == ' ')
            *--end = '\0';
        if (strcmp(column, "-") == 0)
            column[0] = '\0';
        char path[256];
        snprintf(path, sizeof path, "tests/data/grids/%s", file);
        size_t blen;
        char *body = it_read_file(path, &blen);
        long rows_before = count_rows(POST93, "2026-03");
        long version_before = grid_version(POST93, "2026-03");
        it_resp r;
        put(POST93, "2026-03", tok_admin, ctype_for(file), body, blen, &r);
        if (r.status != 422)
            fprintf(stderr, "%s: status %ld %s\n", file, r.status, r.body);
        assert_int_equal(r.status, 422);
        expect_issue(&r, code, strcmp(lineno, "-") == 0 ? -1 : (int)strtol(lineno, NULL, 10),
                     column);
        it_resp_free(&r);
        assert_int_equal(count_rows(POST93, "2026-03"), rows_before);
        assert_int_equal(grid_version(POST93, "2026-03"), version_before);
        free(body);
        cases++;
    }
    free(table);
    assert_true(cases >= 25);
    assert_still_serving();
}

/* Size and row limits, media type, binary junk. */
static void test_limits(void **state)
{
    (void)state;
    size_t big = 10 * 1024 * 1024 + 1;
    char *body = malloc(big);
    memset(body, 'a', big);
    memcpy(body, HEADER, strlen(HEADER));
    it_resp r;
    put(POST93, "2026-03", tok_admin, "text/csv", body, big, &r);
    assert_int_equal(r.status, 413);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "E_TOO_LARGE");
    json_decref(j);
    it_resp_free(&r);
    free(body);

    /* 50,001 rows, well under 10 MiB. */
    size_t cap = 64 + 50001 * 80, len = 0;
    body = malloc(cap);
    len += (size_t)snprintf(body, cap, "date_contact;ref_personne;sexe;statut;origine;connu_ss;"
                                       "problematiques;mode\n");
    for (int i = 0; i < 50001; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "2026-03-02;R%d;F;VICTIME;BPF;OUI;VIOL_CONJ;BUREAU\n", i);
    long before = count_rows(POST93, "2026-03");
    put(POST93, "2026-03", tok_admin, "text/csv", body, len, &r);
    assert_int_equal(r.status, 422);
    expect_issue(&r, "E_TOO_MANY_ROWS", -1, NULL);
    it_resp_free(&r);
    free(body);
    assert_int_equal(count_rows(POST93, "2026-03"), before);

    put(POST93, "2026-03", tok_admin, "application/pdf", "x", 1, &r);
    assert_int_equal(r.status, 415);
    it_resp_free(&r);
    assert_still_serving();
}

static const char *error_code(const it_resp *r, char *buf, size_t n)
{
    json_t *j = body_json(r);
    snprintf(buf, n, "%s",
             json_string_value(json_object_get(json_object_get(j, "error"), "code")));
    json_decref(j);
    return buf;
}

/* 401 without token, 403 for another post or an analyst, 423 on a locked month for a post
 * but accepted for an admin, a month not begun refused. */
static void test_authorization(void **state)
{
    (void)state;
    char *ok = make_csv("2026-03", 3, "Z");
    char *cur = make_csv(cur_period, 3, "C");
    char code[64];
    it_resp r;
    put(POST93, cur_period, NULL, "text/csv", cur, strlen(cur), &r);
    assert_int_equal(r.status, 401);
    it_resp_free(&r);
    put(POST93, cur_period, "not-a-token", "text/csv", cur, strlen(cur), &r);
    assert_int_equal(r.status, 401);
    it_resp_free(&r);
    put(POST93, cur_period, tok_p75, "text/csv", cur, strlen(cur), &r);
    assert_int_equal(r.status, 403);
    it_resp_free(&r);
    put(POST93, cur_period, tok_analyst, "text/csv", cur, strlen(cur), &r);
    assert_int_equal(r.status, 403);
    it_resp_free(&r);
    put(POST93, "2026-03", tok_p93, "text/csv", ok, strlen(ok), &r);
    assert_int_equal(r.status, 423);
    assert_string_equal(error_code(&r, code, sizeof code), "E_PERIOD_LOCKED");
    it_resp_free(&r);
    put(POST93, "2026-03", tok_admin, "text/csv", ok, strlen(ok), &r);
    assert_true(r.status == 200 || r.status == 201);
    it_resp_free(&r);
    /* An administrator reopens the month for this post: its correction is accepted; closed
     * again, the month refuses it. Both changes are in the audit log. */
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "reopen", POST93, "2026-03", NULL}), 0);
    char *fix = make_csv("2026-03", 2, "R");
    put(POST93, "2026-03", tok_p93, "text/csv", fix, strlen(fix), &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "close", POST93, "2026-03", NULL}), 0);
    put(POST93, "2026-03", tok_p93, "text/csv", ok, strlen(ok), &r);
    assert_int_equal(r.status, 423);
    it_resp_free(&r);
    free(fix);
    PGconn *ac = it_db(&S);
    assert_int_equal(it_sql_long(ac, "SELECT count(*) FROM audit_log WHERE action IN"
                                     " ('period.reopen', 'period.close')"),
                     2);
    PQfinish(ac);
    put(POST93, cur_period, tok_p93, "text/csv", cur, strlen(cur), &r);
    assert_true(r.status == 201 || r.status == 200);
    it_resp_free(&r);
    char *fut = make_csv(future_period, 1, "F");
    put(POST93, future_period, tok_admin, "text/csv", fut, strlen(fut), &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(error_code(&r, code, sizeof code), "E_PERIOD_FUTURE");
    it_resp_free(&r);
    assert_int_equal(count_rows(POST93, future_period), 0);
    put("ISCG-001-09", cur_period, tok_admin, "text/csv", cur, strlen(cur), &r);
    assert_int_equal(r.status, 404);
    it_resp_free(&r);

    /* Reading a post's months: own post or analyst, not another post. */
    it_http(&S, "GET", "/api/v1/grids/" POST93, tok_p75, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 403);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/grids/" POST93, tok_p93, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *months = json_object_get(j, "months");
    assert_true(json_array_size(months) > 12);
    int found = 0;
    for (size_t i = 0; i < json_array_size(months); i++) {
        json_t *m = json_array_get(months, i);
        if (strcmp(json_string_value(json_object_get(m, "period")), "2026-03") == 0) {
            found = 1;
            assert_true(json_integer_value(json_object_get(m, "version")) >= 1);
        }
    }
    assert_true(found);
    json_decref(j);
    it_resp_free(&r);
    it_http(&S, "GET", "/api/v1/grids/" POST93, tok_analyst, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    free(ok);
    free(cur);
    free(fut);

    /* Every accepted upload is in the audit log, without personal values. */
    PGconn *c = it_db(&S);
    assert_true(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'grid.upload'"
                               " AND outcome IN ('created', 'replaced')") > 3);
    PQfinish(c);
}

/* The dry run reports like an upload and stores nothing. */
static void test_validate_dry_run(void **state)
{
    (void)state;
    char *g = make_csv(cur_period, 5, "V");
    long before = count_rows(POST93, cur_period), vbefore = grid_version(POST93, cur_period);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s/validate", POST93, cur_period);
    it_resp r;
    it_http(&S, "POST", path, tok_p93, "text/csv", g, strlen(g), &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_true(json_is_true(json_object_get(j, "valid")));
    assert_int_equal(json_integer_value(json_object_get(j, "rows")), 5);
    json_decref(j);
    it_resp_free(&r);
    const char *bad = HEADER "2026-13-01;x;;F;;VICTIME;BPF;OUI;VIOL_CONJ;;BUREAU;\n";
    it_http(&S, "POST", path, tok_p93, "text/csv", bad, strlen(bad), &r);
    assert_int_equal(r.status, 422);
    it_resp_free(&r);
    assert_int_equal(count_rows(POST93, cur_period), before);
    assert_int_equal(grid_version(POST93, cur_period), vbefore);
    free(g);
}

/* One person written three ways at one post is one pseudonym; at two posts, two. */
static void test_same_person(void **state)
{
    (void)state;
    const char *g = HEADER
        "2026-03-02;Dupont  Marie;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n"
        "2026-03-03;DUPONT marie;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n"
        "2026-03-04;dupont-marie;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n";
    it_resp r;
    put(POST93, "2026-03", tok_admin, "text/csv", g, strlen(g), &r);
    assert_true(r.status == 200 || r.status == 201);
    json_t *j = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "persons")), 1);
    json_decref(j);
    it_resp_free(&r);
    put(POST75, "2026-03", tok_admin, "text/csv", g, strlen(g), &r);
    assert_true(r.status == 200 || r.status == 201);
    it_resp_free(&r);
    PGconn *c = it_db(&S);
    assert_int_equal(it_sql_long(c, "SELECT count(DISTINCT person) FROM contact"
                                    " WHERE period = '2026-03-01' AND post = 'ISCG-093-01'"), 1);
    assert_int_equal(it_sql_long(c, "SELECT count(DISTINCT person) FROM contact"
                                    " WHERE period = '2026-03-01'"), 2);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM contact WHERE length(person) <> 16"), 0);
    /* The stored pseudonym is the formula of grid-format.md section 5 over the raw reference
     * (col_pseudonym folds it itself; the upload reuses the fold made by validation). */
    obs_key key;
    obs_err e;
    assert_int_equal(obs_key_load(S.key_path, &key, &e), OBS_OK);
    obs_hmac *h = obs_hmac_new(key.secret, OBS_KEY_LEN);
    assert_non_null(h);
    obs_buf scratch;
    obs_buf_init(&scratch, 0);
    uint8_t want[16];
    char hex[33], sql[200];
    assert_int_equal(col_pseudonym(h, POST93, "dupont-marie", &scratch, want), OBS_OK);
    obs_hex(want, sizeof want, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE post = '%s'"
                              " AND period = '2026-03-01' AND person = '\\x%s'", POST93, hex);
    assert_int_equal(it_sql_long(c, sql), 3);
    obs_buf_wipe(&scratch);
    obs_hmac_free(h);
    obs_key_wipe(&key);
    PQfinish(c);
}

/* Every stored column holds what the grid said, minimised (the rows go by binary COPY: the
 * dates, integers, NULL and bytea encodings are checked here, a leap day included). */
static void test_stored_row(void **state)
{
    (void)state;
    const char *g = HEADER
        "2024-02-29;R-1;1990-05-17;F;93200;VICTIME;BPF;NON;VIOL_CONJ|ENFANCE_DANGER;SSD|JUSTICE;"
        "TELEPHONE;\n"
        "2024-02-01;R-2;;M;;AUTEUR;SPONTANE;OUI;PRECARITE;;BUREAU;\n";
    it_resp r;
    put(POST75, "2024-02", tok_admin, "text/csv", g, strlen(g), &r);
    assert_true(r.status == 200 || r.status == 201);
    it_resp_free(&r);
    obs_err e;
    assert_int_equal(ref_init(&e), OBS_OK);
    PGconn *c = it_db(&S);
    PGresult *res = PQexec(c, "SELECT post, period, line, date_contact, length(person), key_id,"
                              " sexe, age, coalesce(dep_res, 'NULL'), statut, origine, connu_ss,"
                              " mode, problems, orientations FROM contact"
                              " WHERE post = 'ISCG-075-01' AND period = '2024-02-01' ORDER BY line");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(res), 2);
    char want[2][400], got[400];
    snprintf(want[0], sizeof want[0], "ISCG-075-01|2024-02-01|2|2024-02-29|16|%ld|F|Y25T39|93|"
             "VICTIME|BPF|NON|TELEPHONE|%u|%u", it_sql_long(c, "SELECT min(id) FROM pseudonym_key"),
             (1u << ref_find(REF_PROBLEMATIQUE, "VIOL_CONJ")) |
                 (1u << ref_find(REF_PROBLEMATIQUE, "ENFANCE_DANGER")),
             (1u << ref_find(REF_PARTENAIRE, "SSD")) | (1u << ref_find(REF_PARTENAIRE, "JUSTICE")));
    snprintf(want[1], sizeof want[1], "ISCG-075-01|2024-02-01|3|2024-02-01|16|%ld|M|_U|NULL|"
             "AUTEUR|SPONTANE|OUI|BUREAU|%u|0", it_sql_long(c, "SELECT min(id) FROM pseudonym_key"),
             1u << ref_find(REF_PROBLEMATIQUE, "PRECARITE"));
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        for (int f = 0; f < PQnfields(res); f++)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%s", f ? "|" : "",
                                  PQgetvalue(res, i, f));
        assert_string_equal(got, want[i]);
    }
    PQclear(res);
    PQfinish(c);
}

/* The database goes away: uploads get 503 with Retry-After, readiness says so, nothing is
 * half-stored; when it comes back the service serves again without a restart. */
static void test_database_unavailable(void **state)
{
    (void)state;
    PGconn *admin = PQconnectdb(getenv("IT_PG_URL"));
    assert_int_equal(PQstatus(admin), CONNECTION_OK);
    PQclear(PQexec(admin, "ALTER DATABASE it_upload WITH ALLOW_CONNECTIONS false"));
    PQclear(PQexec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = 'it_upload' AND pid <> pg_backend_pid()"));
    char *g = make_csv(cur_period, 4, "U");
    it_resp r;
    put(POST75, cur_period, tok_p75, "text/csv", g, strlen(g), &r);
    assert_int_equal(r.status, 503);
    assert_true(strlen(r.retry_after) > 0);
    char code[64];
    assert_string_equal(error_code(&r, code, sizeof code), "E_DB_UNAVAILABLE");
    it_resp_free(&r);
    it_http(&S, "GET", "/readyz", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 503);
    it_resp_free(&r);
    assert_still_serving();
    PQclear(PQexec(admin, "ALTER DATABASE it_upload WITH ALLOW_CONNECTIONS true"));
    PQfinish(admin);
    put(POST75, cur_period, tok_p75, "text/csv", g, strlen(g), &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    assert_int_equal(count_rows(POST75, cur_period), 4);
    free(g);
}

static void test_health_metrics(void **state)
{
    (void)state;
    it_resp r;
    it_http(&S, "GET", "/readyz", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    it_http(&S, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "iscgobs_uploads_accepted_total "));
    assert_non_null(strstr(r.body, "iscgobs_rows_ingested_total "));
    assert_non_null(strstr(r.body, "iscgobs_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_null(strstr(r.body, "iscgobs_uploads_accepted_total 0\n"));
    it_resp_free(&r);
    it_http(&S, "GET", "/nowhere", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 404);
    it_resp_free(&r);
}

/* The service refuses a key file readable by others, and a missing one. */
static void test_key_permissions(void **state)
{
    (void)state;
    it_server other = S;
    snprintf(other.key_path, sizeof other.key_path, "%s/loose.key", S.dir);
    char out[256];
    remove(other.key_path);
    assert_int_equal(it_cli(&other, out, sizeof out, (const char *[]){"serve", NULL}), 1);
    assert_int_equal(it_cli(&other, out, sizeof out,
                            (const char *[]){"keygen", "--file", other.key_path, NULL}), 0);
    struct stat st;
    assert_int_equal(stat(other.key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* keygen never overwrites */
    assert_int_equal(it_cli(&other, out, sizeof out,
                            (const char *[]){"keygen", "--file", other.key_path, NULL}), 1);
    chmod(other.key_path, 0644);
    assert_int_equal(it_cli(&other, out, sizeof out, (const char *[]){"serve", NULL}), 1);
}

/* Issue 12: a key rotation while the server runs keeps one person one person, the old key
 * file no longer matches any stored pseudonym, the new file (the whole chain) does, and
 * `key list` shows the keys without their material. */
static void test_key_rotation(void **state)
{
    (void)state;
    const char *g6 = HEADER "2026-06-02;Rotation Personne;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n";
    const char *g7 = HEADER "2026-07-02;rotation-personne;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n";
    it_resp r;
    put(POST93, "2026-06", tok_admin, "text/csv", g6, strlen(g6), &r);
    assert_true(r.status == 200 || r.status == 201);
    it_resp_free(&r);
    obs_keyring old;
    obs_err e;
    assert_int_equal(obs_keyring_load(S.key_path, &old, &e), OBS_OK);
    char out[4096];
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *[]){"key", "rotate", NULL}), 0);
    put(POST93, "2026-07", tok_admin, "text/csv", g7, strlen(g7), &r); /* the server reloads */
    assert_true(r.status == 200 || r.status == 201);
    it_resp_free(&r);
    PGconn *c = it_db(&S);
    assert_int_equal(it_sql_long(c, "SELECT count(DISTINCT person) FROM contact WHERE post = "
                                    "'ISCG-093-01' AND period IN ('2026-06-01', '2026-07-01')"), 1);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM contact WHERE key_id <>"
                                    " (SELECT id FROM pseudonym_key WHERE retired_at IS NULL)"), 0);
    obs_keyring now;
    assert_int_equal(obs_keyring_load(S.key_path, &now, &e), OBS_OK);
    assert_int_equal(now.n, old.n + 1);
    uint8_t p_old[16], p_new[16];
    char hex[33], sql[200];
    assert_int_equal(col_pseudonym_chain(&old, POST93, "rotation personne", p_old), OBS_OK);
    assert_int_equal(col_pseudonym_chain(&now, POST93, "rotation personne", p_new), OBS_OK);
    obs_hex(p_old, 16, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE person = '\\x%s'", hex);
    assert_int_equal(it_sql_long(c, sql), 0);
    obs_hex(p_new, 16, hex);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE person = '\\x%s'", hex);
    assert_int_equal(it_sql_long(c, sql), 2);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'key.rotate'"), 1);
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *[]){"key", "list", NULL}), 0);
    assert_non_null(strstr(out, "courante"));
    assert_non_null(strstr(out, "retirée"));
    for (size_t i = 0; i < now.n; i++) {
        char secret[65];
        obs_hex(now.keys[i].secret, 32, secret);
        assert_null(strstr(out, secret));
    }
    /* an old copy of the key file is refused by serve */
    it_server other = S;
    snprintf(other.key_path, sizeof other.key_path, "%s/old.key", S.dir);
    remove(other.key_path);
    FILE *f = fopen(other.key_path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < old.n; i++)
        assert_int_equal(fwrite(old.keys[i].secret, 1, 32, f), 32);
    fclose(f);
    chmod(other.key_path, 0600);
    assert_int_equal(it_cli(&other, out, sizeof out, (const char *[]){"serve", NULL}), 1);
    remove(other.key_path);
    obs_keyring_wipe(&old);
    obs_keyring_wipe(&now);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures),     cmocka_unit_test(test_correction_is_atomic),
        cmocka_unit_test(test_invalid_fixtures),   cmocka_unit_test(test_limits),
        cmocka_unit_test(test_authorization),      cmocka_unit_test(test_validate_dry_run),
        cmocka_unit_test(test_same_person),        cmocka_unit_test(test_health_metrics),
        cmocka_unit_test(test_stored_row),
        cmocka_unit_test(test_database_unavailable),
        cmocka_unit_test(test_key_permissions),
        cmocka_unit_test(test_key_rotation),
    };
    int failed = cmocka_run_group_tests_name("integration_upload", tests, setup, teardown);
    return failed || it_stop_failures;
}
