/* test_privacy.c: after loading a demonstration year through the real upload path (the
 * `iscgobs upload` command against the real server), neither a pg_dump of the database nor
 * the server's log contains any uploaded ref_personne, date_naissance, code_postal or
 * commentaire value.
 *
 * How values are searched: every value is looked for verbatim. In the dump, the cells of
 * columns whose SQL type cannot hold text (integers, dates, timestamps, booleans, numbers)
 * are blanked first: they hold the service's own numbers (line numbers, bitmasks, contact
 * dates), which would otherwise match five-digit postcodes by coincidence. Year-only birth
 * values (`1951`) are not searched: a bare year is indistinguishable from the periods the
 * service must store and log. The server listens on a 4-digit port for the same reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grid.h"
#include "harness.h"
#include "ref.h"

static it_server S;
static char tok_admin[80];
static char demo_dir[700];

static int setup(void **state)
{
    (void)state;
    obs_err e;
    if (ref_init(&e))
        return -1;
    it_setup(&S, "it_privacy");
    it_user_add(&S, "admin", NULL, tok_admin);
    setenv("IT_PORT_RANGE", "4digit", 1);
    /* Indicators play no part here: load as a bulk load of history (ISCGOBS_REFRESH=off). */
    it_start(&S, (const char *const[]){"ISCGOBS_THREADS=8", "ISCGOBS_REFRESH=off", NULL});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S); /* SIGTERM: a clean stop, no sanitizer report */
    return 0;
}

/* ---- a set of distinct values ---- */

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

static void set_add(strset *s, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = strdup(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_finish(strset *s)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k && strcmp(s->v[k - 1], s->v[i]) == 0) {
            free(s->v[i]);
            continue;
        }
        s->v[k++] = s->v[i];
    }
    s->n = k;
}

static int set_has(const strset *s, const char *v)
{
    return bsearch(&v, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void set_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Words = maximal runs of letters, digits and non-ASCII bytes. */
static int word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

static void add_words(strset *words, const char *text)
{
    char w[512];
    const char *p = text;
    while (*p) {
        while (*p && !word_byte((unsigned char)*p))
            p++;
        size_t n = 0;
        while (word_byte((unsigned char)p[n]))
            n++;
        if (n && n < sizeof w) {
            memcpy(w, p, n);
            w[n] = '\0';
            set_add(words, w);
        }
        p += n;
    }
}

/* The longest word of v, into w. */
static void longest_word(const char *v, char *w, size_t cap)
{
    w[0] = '\0';
    size_t best = 0;
    for (const char *p = v; *p;) {
        while (*p && !word_byte((unsigned char)*p))
            p++;
        size_t n = 0;
        while (word_byte((unsigned char)p[n]))
            n++;
        if (n > best && n < cap) {
            best = n;
            memcpy(w, p, n);
            w[n] = '\0';
        }
        p += n;
    }
}

/* ---- the uploaded personal values, read back with the project's own parsers ---- */

static void collect_values(const char *dir, strset *vals, size_t *files)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char post[16], period[8], ext[8];
        if (sscanf(de->d_name, "%11[^_]_%7[0-9-].%3s", post, period, ext) != 3)
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *body = it_read_file(path, &len);
        col_table t;
        col_grid g;
        col_report rep;
        col_table_init(&t);
        col_report_init(&rep);
        memset(&g, 0, sizeof g);
        int y = (int)strtol(period, NULL, 10), m = (int)strtol(period + 5, NULL, 10);
        assert_int_equal(col_parse_grid(body, len, strcmp(ext, "xml") ? "text/csv" : "application/xml",
                                        post, y, m, &t, &g, &rep), OBS_OK);
        assert_int_equal(rep.nerrors, 0);
        for (size_t r = 0; r < t.n; r++) {
            const col_field fields[] = {COL_REF_PERSONNE, COL_DATE_NAISSANCE, COL_CODE_POSTAL,
                                        COL_COMMENTAIRE};
            for (size_t f = 0; f < 4; f++) {
                const char *v = col_table_cell(&t, r, fields[f]);
                if (v == NULL || *v == '\0')
                    continue;
                if (fields[f] == COL_DATE_NAISSANCE && strlen(v) == 4)
                    continue; /* a bare year: see the file comment */
                set_add(vals, v);
                if (fields[f] == COL_DATE_NAISSANCE && strlen(v) == 10 && v[2] == '/') {
                    char iso[11]; /* DD/MM/YYYY is also searched as YYYY-MM-DD */
                    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", v + 6, v + 3, v);
                    set_add(vals, iso);
                }
            }
        }
        col_grid_free(&g);
        col_table_free(&t);
        col_report_free(&rep);
        free(body);
        (*files)++;
    }
    closedir(d);
}

/* ---- the dump, with cells of non-text columns blanked ---- */

static int non_text_type(const char *t)
{
    static const char *const types[] = {"integer", "bigint", "smallint", "date", "boolean",
                                        "double precision", "numeric", "real",
                                        "timestamp with time zone", "timestamp without time zone"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

/* 1 when column `col` of table `table` (public schema) has a non-text type. */
static int column_is_non_text(PGconn *c, const char *table, const char *col)
{
    const char *p[] = {table, col};
    PGresult *r = PQexecParams(c,
                               "SELECT data_type FROM information_schema.columns"
                               " WHERE table_schema = 'public' AND table_name = $1"
                               " AND column_name = $2",
                               2, NULL, p, NULL, NULL, 0);
    int yes = PQntuples(r) == 1 && non_text_type(PQgetvalue(r, 0, 0));
    PQclear(r);
    return yes;
}

static char *filtered_dump(PGconn *c, const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    char *line = NULL;
    size_t lcap = 0;
    int blank[64] = {0}, ncols = 0, in_copy = 0;
    while (getline(&line, &lcap, f) > 0) {
        if (in_copy && strcmp(line, "\\.\n") == 0) {
            in_copy = 0;
        } else if (in_copy) {
            int col = 0;
            for (char *p = line; *p; p++) { /* blank the cells of non-text columns */
                if (*p == '\t')
                    col++;
                else if (col < ncols && blank[col] && *p != '\n')
                    *p = ' ';
            }
        } else if (strncmp(line, "COPY public.", 12) == 0) {
            char table[128], cols[2048];
            if (sscanf(line, "COPY public.%127s (%2047[^)])", table, cols) == 2) {
                ncols = 0;
                for (char *save = NULL, *name = strtok_r(cols, ", ", &save); name && ncols < 64;
                     name = strtok_r(NULL, ", ", &save))
                    blank[ncols++] = column_is_non_text(c, table, name);
                in_copy = 1;
            }
        }
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            out = realloc(out, cap);
        }
        memcpy(out + len, line, n);
        len += n;
    }
    out[len] = '\0';
    free(line);
    fclose(f);
    return out;
}

/* Count the values found verbatim in text (candidates by word, confirmed by substring). */
static size_t leaks(const strset *vals, const char *text, const char *what)
{
    strset words = {0};
    add_words(&words, text);
    set_finish(&words);
    size_t found = 0;
    for (size_t i = 0; i < vals->n; i++) {
        char w[512];
        longest_word(vals->v[i], w, sizeof w);
        if (w[0] == '\0' || !set_has(&words, w))
            continue;
        if (strstr(text, vals->v[i]) != NULL) {
            if (found < 5) /* the test's own output may show them: they are synthetic */
                fprintf(stderr, "LEAK in %s: \"%s\"\n", what, vals->v[i]);
            found++;
        }
    }
    set_free(&words);
    return found;
}

static void test_demo_year_leaves_no_personal_value(void **state)
{
    (void)state;
    const char *posts = getenv("IT_DEMO_POSTS") ? getenv("IT_DEMO_POSTS") : "450";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char year[16];
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900 - 1);
    snprintf(demo_dir, sizeof demo_dir, "%s/demo", S.dir);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *[]){"demo", "--out", demo_dir, "--posts", posts,
                                             "--year", year, "--seed", "11", NULL}),
                     0);
    char reg[800];
    snprintf(reg, sizeof reg, "%s/posts.csv", demo_dir);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *[]){"post", "import", reg, NULL}), 0);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *[]){"upload", demo_dir, "--url", S.base, "--token",
                                             tok_admin, "--jobs", "4", NULL}),
                     0);

    strset vals = {0};
    size_t files = 0;
    char grids[800];
    snprintf(grids, sizeof grids, "%s/grids", demo_dir);
    collect_values(grids, &vals, &files);
    set_finish(&vals);
    assert_true(files > 100);
    assert_true(vals.n > 1000);

    PGconn *c = it_db(&S);
    long rows = it_sql_long(c, "SELECT count(*) FROM contact");
    assert_true(rows > 5000);
    char dump_path[800], cmd[2048];
    snprintf(dump_path, sizeof dump_path, "%s/dump.sql", S.dir);
    snprintf(cmd, sizeof cmd, "pg_dump --no-owner -d '%s' -f '%s'", S.db_url, dump_path);
    assert_int_equal(system(cmd), 0);
    char *dump = filtered_dump(c, dump_path);
    PQfinish(c);
    assert_non_null(strstr(dump, "COPY public.contact"));
    assert_int_equal(leaks(&vals, dump, "pg_dump"), 0);
    free(dump);

    char *log = it_read_file(S.log_path, NULL);
    assert_non_null(strstr(log, "http.request")); /* the log is really there */
    assert_int_equal(leaks(&vals, log, "server log"), 0);
    free(log);

    /* The check itself can fail: a value planted in a text column is found. */
    c = it_db(&S);
    const char *planted = vals.v[vals.n / 2];
    const char *p[] = {planted};
    PQclear(PQexecParams(c, "INSERT INTO audit_log (actor, action, outcome) VALUES ($1, 'x', 'x')",
                         1, NULL, p, NULL, NULL, 0));
    assert_int_equal(system(cmd), 0);
    dump = filtered_dump(c, dump_path);
    PQfinish(c);
    assert_true(leaks(&vals, dump, "pg_dump (planted)") >= 1);
    free(dump);
    set_free(&vals);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_year_leaves_no_personal_value),
    };
    int failed = cmocka_run_group_tests_name("integration_privacy", tests, setup, teardown);
    return failed || it_stop_failures;
}
