/* test_demo.c: `iscgobs demo` (demo/demo.c and the files beside it): register format, files for active months,
 * determinism, every grid valid under the collector's own parsers and validation, and the
 * statistical shape of a larger year. */
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "grid.h"
#include "ref.h"
#include "text.h"

/* ---- helpers ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmp(void)
{
    char tmpl[] = "/tmp/test_demo.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static int run_demo(const char *out, const char *posts, const char *year, const char *seed)
{
    char *argv[] = {"demo", "--out", (char *)out, "--posts", (char *)posts, "--year", (char *)year,
                    "--seed", (char *)seed, NULL};
    return demo_cmd(9, argv);
}

/* Whole file, NUL-terminated (caller frees); NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    obs_buf b;
    obs_buf_init(&b, 0);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(obs_buf_append(&b, chunk, n), OBS_OK);
    fclose(f);
    if (b.data == NULL)
        assert_int_equal(obs_buf_append(&b, "", 0), OBS_OK);
    *len = b.len;
    return obs_buf_steal(&b);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir (NULL-terminated, caller frees with free_names). */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t cap = 64;
    char **v = malloc(cap * sizeof *v);
    assert_non_null(v);
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (*n + 1 >= cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    v[*n] = NULL;
    qsort(v, *n, sizeof *v, by_name);
    return v;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* What the statistics test accumulates over every row of every grid. */
typedef struct stats {
    size_t files, xml, cp1252, comma, empty, rows;
    size_t connu[3];        /* OUI, NON, NSP */
    size_t problems[32];    /* rows per problem code */
    size_t minors;
    size_t repeats;         /* rows whose person was already met at the same post */
    obs_buf refs;           /* folded refs of the current post, '\n'-separated */
    char post[16];
} stats;

/* 1 when the folded ref (with its '\n') is already in st->refs, else adds it. */
static int seen_before(stats *st, const char *folded)
{
    size_t fl = strlen(folded);
    for (const char *p = st->refs.data; p && *p;) {
        const char *nl = strchr(p, '\n');
        if ((size_t)(nl - p) == fl && memcmp(p, folded, fl) == 0)
            return 1;
        p = nl + 1;
    }
    assert_int_equal(obs_buf_append(&st->refs, folded, fl), OBS_OK);
    assert_int_equal(obs_buf_putc(&st->refs, '\n'), OBS_OK);
    return 0;
}

/* Parse and validate one grid file with the collector's parsers; no error allowed. */
static void check_grid(const char *dir, const char *name, stats *st)
{
    char path[1400], post[16];
    int year, month;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(sscanf(name, "%11[^_]_%4d-%2d", post, &year, &month), 3);
    int xml = strstr(name, ".xml") != NULL;
    size_t len;
    char *data = slurp(path, &len);
    assert_non_null(data);

    col_table t;
    col_report rep;
    col_grid g;
    col_table_init(&t);
    col_report_init(&rep);
    obs_status rc = xml ? col_xml_parse(data, len, &t, &rep) : col_csv_parse(data, len, NULL, &t, &rep);
    if (rc == OBS_OK)
        rc = col_validate(&t, post, year, month, &g, &rep);
    if (rc != OBS_OK || rep.nerrors) {
        fprintf(stderr, "%s: status %d, %zu errors\n", name, (int)rc, rep.nerrors);
        for (size_t i = 0; i < rep.n && i < 5; i++)
            fprintf(stderr, "  line %d %s %s: %s\n", rep.items[i].line, rep.items[i].column,
                    rep.items[i].code, rep.items[i].message);
    }
    assert_int_equal(rc, OBS_OK);
    assert_int_equal(rep.nerrors, 0);

    st->files++;
    st->xml += xml;
    if (!xml && !obs_utf8_valid(data, len)) {
        int high = 0;
        for (size_t i = 0; i < len; i++)
            high |= (unsigned char)data[i] >= 0x80;
        st->cp1252 += high;
    }
    if (!xml) {
        size_t hl = strcspn(data, "\r\n");
        if (memchr(data, ',', hl) && !memchr(data, ';', hl))
            st->comma++;
    }
    st->empty += g.n == 0;
    if (strcmp(st->post, post) != 0) {
        snprintf(st->post, sizeof st->post, "%s", post);
        obs_buf_reset(&st->refs);
    }
    int non = ref_find(REF_CONNU_SS, "NON"), oui = ref_find(REF_CONNU_SS, "OUI");
    int lt15 = ref_find(REF_AGE, "Y_LT15"), t17 = ref_find(REF_AGE, "Y15T17");
    obs_buf f;
    obs_buf_init(&f, 0);
    for (size_t i = 0; i < g.n; i++) {
        const col_row *r = &g.rows[i];
        st->rows++;
        st->connu[r->connu_ss == oui ? 0 : r->connu_ss == non ? 1 : 2]++;
        for (int k = 0; k < 32; k++)
            st->problems[k] += (r->problems >> k) & 1u;
        st->minors += r->age == lt15 || r->age == t17;
        obs_buf_reset(&f);
        assert_int_equal(obs_text_fold(r->ref, strlen(r->ref), &f), OBS_OK);
        st->repeats += (size_t)seen_before(st, f.data);
    }
    obs_buf_wipe(&f);
    col_grid_free(&g);
    col_report_free(&rep);
    col_table_free(&t);
    free(data);
}

/* Check every grid of dir/grids and the manifest's agreement with them. */
static void check_all(const char *dir, stats *st)
{
    char grids[1024];
    snprintf(grids, sizeof grids, "%s/grids", dir);
    size_t n;
    char **names = list_dir(grids, &n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        check_grid(grids, names[i], st);

    /* The manifest lists exactly the files, each once, with an ISO UTC time. */
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    size_t len;
    char *m = slurp(path, &len);
    assert_non_null(m);
    assert_memory_equal(m, "file;post;period;received_at\n", 29);
    size_t lines = 0;
    for (char *line = strchr(m, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char file[128], post[16], period[8], when[32];
        assert_int_equal(sscanf(line, "grids/%127[^;];%15[^;];%7[^;];%31[^\n]", file, post, period,
                                when), 4);
        assert_non_null(bsearch(&(const char *){file}, names, n, sizeof *names, by_name));
        assert_int_equal(strncmp(file, post, 11), 0);
        assert_int_equal(strlen(when), 20);
        assert_int_equal(when[10], 'T');
        assert_int_equal(when[19], 'Z');
        lines++;
    }
    assert_int_equal(lines, n);
    free(m);
    free_names(names, n);
}

/* ---- tests ---- */

static void test_options(void **state)
{
    (void)state;
    char *help[] = {"demo", "--help", NULL};
    assert_int_equal(demo_cmd(2, help), 0);
    char *no_out[] = {"demo", "--posts", "3", NULL};
    assert_int_equal(demo_cmd(3, no_out), 2);
    char *bad_posts[] = {"demo", "--out", "/tmp/x", "--posts", "0", NULL};
    assert_int_equal(demo_cmd(5, bad_posts), 2);
    char *bad_year[] = {"demo", "--out", "/tmp/x", "--year", "19x9", NULL};
    assert_int_equal(demo_cmd(5, bad_year), 2);
    char *unknown[] = {"demo", "--out", "/tmp/x", "--colour", NULL};
    assert_int_equal(demo_cmd(4, unknown), 2);
    char *missing[] = {"demo", "--out", NULL};
    assert_int_equal(demo_cmd(2, missing), 2);
}

/* Month number (year * 12 + month - 1) of "YYYY-MM", -1 for "". */
static int month_num(const char *s)
{
    int y, m;
    if (*s == '\0')
        return -1;
    assert_int_equal(strlen(s), 7);
    assert_int_equal(sscanf(s, "%4d-%2d", &y, &m), 2);
    assert_true(m >= 1 && m <= 12);
    return y * 12 + m - 1;
}

/* posts.csv: header, one row per post, valid codes; then a file for (nearly) every active
 * month and none outside the active months. */
static void check_register(const char *dir, int nposts, int year)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/posts.csv", dir);
    size_t len;
    char *text = slurp(path, &len);
    assert_non_null(text);
    assert_true(obs_utf8_valid(text, len));
    const char *header = "code;name;dep;force;commune;employer;opened;closed\n";
    assert_memory_equal(text, header, strlen(header));
    int rows = 0, active = 0, present = 0;
    for (char *line = text + strlen(header), *next; *line; line = next) {
        next = strchr(line, '\n');
        assert_non_null(next);
        *next++ = '\0';
        char *f[8];
        int nf = 0;
        for (char *p = line; nf < 8; p++) {
            f[nf++] = p;
            p = strchr(p, ';');
            if (p == NULL)
                break;
            *p = '\0';
        }
        assert_int_equal(nf, 8);
        assert_int_equal(strlen(f[0]), 11);
        assert_memory_equal(f[0], "ISCG-", 5);
        char dep[4];
        snprintf(dep, sizeof dep, "%s", f[2]);
        assert_non_null(ref_dep_find(dep));
        char padded[8];
        snprintf(padded, sizeof padded, "%s%s", strlen(dep) < 3 ? "0" : "", dep);
        assert_memory_equal(f[0] + 5, padded, 3);
        assert_true(strncmp(f[1], "ISCG ", 5) == 0);
        assert_true(strcmp(f[3], "PN") == 0 || strcmp(f[3], "GN") == 0);
        assert_true(f[4][0] != '\0');
        assert_true(ref_find(REF_EMPLOYEUR, f[5]) >= 0);
        int opened = month_num(f[6]), closed = month_num(f[7]);
        assert_true(opened >= 0);
        for (int m = 1; m <= 12; m++) {
            int mn = year * 12 + m - 1, on = mn >= opened && (closed < 0 || mn <= closed);
            char csv[1100], xml[1100];
            snprintf(csv, sizeof csv, "%s/grids/%s_%04d-%02d.csv", dir, f[0], year, m);
            snprintf(xml, sizeof xml, "%s/grids/%s_%04d-%02d.xml", dir, f[0], year, m);
            int has = access(csv, F_OK) == 0 || access(xml, F_OK) == 0;
            assert_true(on || !has);
            active += on;
            present += has;
        }
        rows++;
    }
    assert_int_equal(rows, nposts);
    assert_true(present > 0);
    assert_true(present * 100 >= active * 85); /* a few missing grids, not many */
    free(text);
}

/* 1 when the two files are byte-for-byte equal. */
static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* 1 when dir1 and dir2 hold the same register, manifest and grids, byte for byte. */
static int same_tree(const char *d1, const char *d2)
{
    char a[1024], b[1024];
    static const char *const top[] = {"posts.csv", "manifest.csv"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", d1, top[i]);
        snprintf(b, sizeof b, "%s/%s", d2, top[i]);
        if (!same_file(a, b))
            return 0;
    }
    snprintf(a, sizeof a, "%s/grids", d1);
    snprintf(b, sizeof b, "%s/grids", d2);
    size_t n1, n2;
    char **v1 = list_dir(a, &n1), **v2 = list_dir(b, &n2);
    int same = n1 == n2;
    for (size_t i = 0; same && i < n1; i++) {
        snprintf(a, sizeof a, "%s/grids/%s", d1, v1[i]);
        snprintf(b, sizeof b, "%s/grids/%s", d2, v2[i]);
        same = strcmp(v1[i], v2[i]) == 0 && same_file(a, b);
    }
    free_names(v1, n1);
    free_names(v2, n2);
    return same;
}

static void test_small_year(void **state)
{
    (void)state;
    char *d1 = make_tmp(), *d2 = make_tmp(), *d3 = make_tmp();
    assert_int_equal(run_demo(d1, "12", "2025", "7"), 0);
    check_register(d1, 12, 2025);
    stats st;
    memset(&st, 0, sizeof st);
    obs_buf_init(&st.refs, 0);
    check_all(d1, &st);
    assert_true(st.rows > 12 * 10 * 40);
    obs_buf_wipe(&st.refs);

    /* Same seed: the same bytes; another seed: another year. */
    assert_int_equal(run_demo(d2, "12", "2025", "7"), 0);
    assert_true(same_tree(d1, d2));
    assert_int_equal(run_demo(d3, "12", "2025", "8"), 0);
    assert_false(same_tree(d1, d3));

    rm_tree(d1);
    rm_tree(d2);
    rm_tree(d3);
    free(d1);
    free(d2);
    free(d3);
}

static void test_shape(void **state)
{
    (void)state;
    char *d = make_tmp();
    assert_int_equal(run_demo(d, "60", "2025", "3"), 0);
    check_register(d, 60, 2025);
    stats st;
    memset(&st, 0, sizeof st);
    obs_buf_init(&st.refs, 0);
    check_all(d, &st);
    obs_buf_wipe(&st.refs);

    double mean = (double)st.rows / (double)st.files;
    assert_true(mean > 60.0 && mean < 110.0);
    double non = (double)st.connu[1] / (double)(st.connu[0] + st.connu[1]);
    assert_true(non > 0.40 && non < 0.60);
    double nsp = (double)st.connu[2] / (double)st.rows;
    assert_true(nsp > 0.04 && nsp < 0.12);
    int viol = ref_find(REF_PROBLEMATIQUE, "VIOL_CONJ");
    for (int k = 0; k < 32; k++)
        if (k != viol)
            assert_true(st.problems[viol] > st.problems[k]);
    double repeats = (double)st.repeats / (double)st.rows;
    assert_true(repeats > 0.15 && repeats < 0.35);
    double minors = (double)st.minors / (double)st.rows;
    assert_true(minors > 0.08 && minors < 0.25);
    assert_true(st.xml >= 1);
    assert_true(st.cp1252 >= 1);
    assert_true(st.comma >= 1);
    assert_true(st.empty >= 1);
    rm_tree(d);
    free(d);
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_small_year),
        cmocka_unit_test(test_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
