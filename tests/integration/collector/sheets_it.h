/* sheets_it.h: what the spreadsheet upload tests (test_sheets.c, long_sheets.c) share: the
 * server with one post and its token, uploads of a file, the stored contacts of the month as
 * one comparable text (pseudonyms included, lines excluded: a CSV's quoted line breaks push
 * its line numbers, a sheet's rows do not), and shell commands. Included once per program. */
#ifndef SHEETS_IT_H
#define SHEETS_IT_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define SHEETS_FN static __attribute__((unused))
#define POST "ISCG-093-01"
#define PERIOD "2026-03"
#define GRIDS "tests/data/grids/"
#define PY "/usr/bin/python3 tests/data/sheets/" /* the test-only spreadsheet writers */
#define MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define MEDIA_ODS "application/vnd.oasis.opendocument.spreadsheet"

static it_server S;
static char tok_post[80], tok_admin[80];
static char work[700]; /* this program's scratch folder */

SHEETS_FN void sheets_setup(const char *db)
{
    it_setup(&S, db);
    it_post_add(&S, POST, "93", "2020-01");
    it_user_add(&S, "post", POST, tok_post);
    it_user_add(&S, "admin", NULL, tok_admin);
    it_start(&S, NULL);
    snprintf(work, sizeof work, "%s/sheets", S.dir);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", work);
    if (system(cmd) != 0)
        abort();
}

/* Run a shell command; fails the test when it does not exit 0. */
SHEETS_FN void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
SHEETS_FN void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("command failed (%d): %s", rc, cmd);
}

/* The media type of a file, from its extension. */
SHEETS_FN const char *media_of(const char *path)
{
    size_t n = strlen(path);
    if (n > 5 && strcmp(path + n - 5, ".xlsx") == 0)
        return MEDIA_XLSX;
    if (n > 4 && strcmp(path + n - 4, ".ods") == 0)
        return MEDIA_ODS;
    if (n > 4 && strcmp(path + n - 4, ".xml") == 0)
        return "application/xml";
    return "text/csv";
}

/* PUT the file to POST/period (or its /validate); r gets the answer (caller frees). */
SHEETS_FN void put_file(const char *path, const char *period, int validate, it_resp *r)
{
    size_t len;
    char *body = it_read_file(path, &len);
    char url[160];
    snprintf(url, sizeof url, "/api/v1/grids/%s/%s%s", POST, period, validate ? "/validate" : "");
    it_http(&S, validate ? "POST" : "PUT", url, tok_admin, media_of(path), body, len, r); /* the month is closed */
    free(body);
}

/* The month's stored contacts as one text, in grid order (caller frees). */
SHEETS_FN char *stored_rows(const char *period)
{
    PGconn *c = it_db(&S);
    char pdate[16];
    snprintf(pdate, sizeof pdate, "%s-01", period);
    const char *p[] = {POST, pdate};
    PGresult *r = PQexecParams(c,
                               "SELECT coalesce(string_agg(concat_ws(',', date_contact, "
                               "encode(person, 'hex'), key_id, sexe, age, dep_res, statut, origine, "
                               "connu_ss, mode, problems, orientations), E'\\n' ORDER BY line), '')"
                               " FROM contact WHERE post = $1 AND period = $2::date",
                               2, NULL, p, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    char *s = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return s;
}

/* The code of the answer's first error ("" when none), into code[64]. */
SHEETS_FN void first_error(const it_resp *r, char code[64], char msg[512])
{
    code[0] = msg[0] = '\0';
    json_error_t e;
    json_t *j = json_loads(r->body ? r->body : "", 0, &e);
    json_t *errs = j ? json_object_get(j, "errors") : NULL;
    json_t *it = errs ? json_array_get(errs, 0) : NULL;
    if (it == NULL && j)
        it = json_object_get(j, "error");
    if (it) {
        snprintf(code, 64, "%s", json_string_value(json_object_get(it, "code")) ?: "");
        snprintf(msg, 512, "%s", json_string_value(json_object_get(it, "message")) ?: "");
    }
    json_decref(j);
}

/* Upload the CSV grid, then each of its conversions, to PERIOD: every one accepted, and the
 * stored contacts identical to the CSV's. */
SHEETS_FN void same_as_csv(const char *csv, const char *const *sheets, size_t n)
{
    it_resp r;
    char path[800];
    snprintf(path, sizeof path, GRIDS "%s", csv);
    put_file(path, PERIOD, 0, &r);
    if (r.status != 201 && r.status != 200)
        fail_msg("%s: HTTP %ld %s", csv, r.status, r.body);
    it_resp_free(&r);
    char *want = stored_rows(PERIOD);
    assert_true(strlen(want) > 0);
    for (size_t i = 0; i < n; i++) {
        put_file(sheets[i], PERIOD, 0, &r);
        if (r.status != 200 && r.status != 201)
            fail_msg("%s: HTTP %ld %s", sheets[i], r.status, r.body);
        it_resp_free(&r);
        char *got = stored_rows(PERIOD);
        if (strcmp(want, got) != 0)
            fail_msg("%s: stored rows differ from %s's:\n%s\n---\n%s", sheets[i], csv, want, got);
        free(got);
        printf("  %s = %s (same contacts, same pseudonyms)\n", sheets[i] + strlen(work) + 1, csv);
    }
    free(want);
}

#endif
