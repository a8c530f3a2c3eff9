/* sdmx_it.h: what the SDMX integration tests (test_sdmx.c, test_sdmx_runs.c) share: the
 * server, a small demonstration year loaded through the real upload path, GET helpers, and
 * the SDMX-CSV parser of the round trips. Included once per test program. */
#ifndef SDMX_IT_H
#define SDMX_IT_H

#define SDMX_IT_FN static __attribute__((unused))

static it_server S;
static char tok_admin[80];
static char demo_dir[700];
static char year[16];

#define FLOW "/sdmx/data/ISCG_INDICATEURS"
#define CSV "application/vnd.sdmx.data+csv;version=1.0.0"
#define SS "application/vnd.sdmx.structurespecificdata+xml;version=2.1"

/* GET path from the test's server (web_get of web_client.h). */
SDMX_IT_FN void get(const char *path, const char *h1, const char *h2, web_resp *r)
{
    web_get(&S, path, h1, h2, r);
}

/* ---- setup: a small demo year through the real upload path ---- */

SDMX_IT_FN int setup(void **state)
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

SDMX_IT_FN int teardown(void **state)
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

SDMX_IT_FN int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row *)a)->key, ((const row *)b)->key);
}

/* Parse an SDMX-CSV body (no quoted fields in our data) into rows. */
SDMX_IT_FN row *parse_csv(char *body, size_t *n)
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


/* GET path from server s: status and SDMX error code as expected, the message valid, Vary and
 * Access-Control-Allow-Origin sent once. */
SDMX_IT_FN void expect_error_from(const it_server *s, const char *path, const char *h, long status,
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

SDMX_IT_FN void expect_error(const char *path, const char *h, long status, const char *code)
{
    expect_error_from(&S, path, h, status, code);
}

#endif
