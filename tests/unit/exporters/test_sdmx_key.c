/* test_sdmx_key.c: the SDMX REST query parser, table-driven from tests/data/sdmx/keys.tsv
 * (kind, input, expected HTTP status: flowRef, key, providerRef, query parameters, with
 * injection attempts and very long keys), plus the semantics of keys and periods, the
 * canonical form, and content negotiation. */
#include "testutil.h"

#include <string.h>

#include "sdmx_data.h"
#include "sdmx_export.h"
#include "sdmx_key.h"
#include "sdmx_model.h"
#include "sdmx_rest.h"

static int http_of(obs_status st)
{
    return st == OBS_OK ? 200 : obs_status_http(st);
}

/* Query parameters from "a=b&c=d". */
typedef struct params {
    char names[8][64];
    char values[8][128];
    int n;
} params;

static const char *param_get(void *ctx, const char *name)
{
    params *p = ctx;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    return NULL;
}

static void parse_params(const char *s, params *p)
{
    memset(p, 0, sizeof *p);
    while (*s && p->n < 8) {
        size_t n = strcspn(s, "&");
        const char *eq = memchr(s, '=', n);
        assert_non_null(eq);
        snprintf(p->names[p->n], sizeof p->names[0], "%.*s", (int)(eq - s), s);
        snprintf(p->values[p->n], sizeof p->values[0], "%.*s", (int)(n - (size_t)(eq - s) - 1),
                 eq + 1);
        p->n++;
        s += n + (s[n] == '&');
    }
}

static void test_table(void **state)
{
    (void)state;
    size_t len;
    char *text = test_slurp(TEST_DATA("sdmx/keys.tsv"), &len);
    int cases = 0, failures = 0;
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *line = p;
        p = nl ? nl + 1 : p + strlen(p);
        if (*line == '#' || *line == '\0')
            continue;
        char *t1 = strchr(line, '\t');
        assert_non_null(t1);
        char *t2 = strchr(t1 + 1, '\t');
        assert_non_null(t2);
        *t1 = *t2 = '\0';
        const char *kind = line, *input = t1 + 1;
        int want = (int)strtol(t2 + 1, NULL, 10);
        obs_err e;
        obs_err_clear(&e);
        exp_data_query q;
        exp_data_query_init(&q);
        obs_status st;
        char big[8192];
        if (strcmp(kind, "flow") == 0) {
            st = exp_flowref_check(input, &e);
        } else if (strcmp(kind, "provider") == 0) {
            st = exp_provider_check(input, &e);
        } else if (strcmp(kind, "key") == 0) {
            if (strncmp(input, "LONG:", 5) == 0) { /* a key of N characters */
                size_t n = (size_t)strtol(input + 5, NULL, 10);
                memset(big, 'A', n);
                memcpy(big, "M.FR.", 5);
                memcpy(big + n - 24, "._T._T._T._T._T._T._T", 21);
                big[n] = '\0';
                input = big;
            } else if (strncmp(input, "LONGOR:", 7) == 0) { /* N times "M+" in FREQ */
                size_t n = (size_t)strtol(input + 7, NULL, 10), k = 0;
                for (size_t i = 0; i < n; i++)
                    k += (size_t)snprintf(big + k, sizeof big - k, "%sM", i ? "+" : "");
                snprintf(big + k, sizeof big - k, ".FR.NB_PERSONNES._T._T._T._T._T._T._T");
                input = big;
            }
            st = exp_key_parse(input, &q, &e);
        } else {
            params pp;
            parse_params(input, &pp);
            st = exp_params_parse(param_get, &pp, &q, &e);
        }
        cases++;
        if (http_of(st) != want) {
            failures++;
            fprintf(stderr, "keys.tsv: %s «%.80s»: got %d, want %d (%s)\n", kind, input,
                    http_of(st), want, e.msg);
        }
        if (st != OBS_OK)
            assert_true(e.msg[0] != '\0'); /* every refusal says why, in French */
    }
    free(text);
    assert_true(cases > 60);
    assert_int_equal(failures, 0);
}

static exp_obs obs(const char *freq, const char *area, const char *period)
{
    exp_obs o;
    memset(&o, 0, sizeof o);
    for (int d = 0; d < EXP_NDIMS; d++)
        snprintf(o.key[d], sizeof o.key[d], "_T");
    snprintf(o.key[EXP_D_FREQ], sizeof o.key[0], "%s", freq);
    snprintf(o.key[EXP_D_REF_AREA], sizeof o.key[0], "%s", area);
    snprintf(o.key[EXP_D_MESURE], sizeof o.key[0], "NB_PERSONNES");
    snprintf(o.period, sizeof o.period, "%s", period);
    return o;
}

static int pass(const char *key, const char *start, const char *end, exp_obs o)
{
    exp_data_query q;
    exp_data_query_init(&q);
    obs_err e;
    assert_int_equal(exp_key_parse(key, &q, &e), OBS_OK);
    params p;
    char s[128] = "";
    if (start && end)
        snprintf(s, sizeof s, "startPeriod=%s&endPeriod=%s", start, end);
    else if (start)
        snprintf(s, sizeof s, "startPeriod=%s", start);
    else if (end)
        snprintf(s, sizeof s, "endPeriod=%s", end);
    parse_params(s, &p);
    assert_int_equal(exp_params_parse(param_get, &p, &q, &e), OBS_OK);
    return exp_obs_matches(&q, &o);
}

static void test_semantics(void **state)
{
    (void)state;
    /* Wildcards, OR, all. */
    assert_true(pass("all", NULL, NULL, obs("M", "D93", "2026-01")));
    assert_true(pass("M.D93+D94........", NULL, NULL, obs("M", "D93", "2026-01")));
    assert_false(pass("M.D94+D95........", NULL, NULL, obs("M", "D93", "2026-01")));
    assert_false(pass("Q.D93........", NULL, NULL, obs("M", "D93", "2026-01")));
    /* Periods as time ranges: startPeriod=2026-Q1 includes 2026-01. */
    assert_true(pass("all", "2026-Q1", NULL, obs("M", "FR", "2026-01")));
    assert_true(pass("all", "2026-Q1", "2026-Q1", obs("M", "FR", "2026-03")));
    assert_false(pass("all", "2026-Q1", "2026-Q1", obs("M", "FR", "2026-04")));
    assert_true(pass("all", "2026-02", "2026-02", obs("Q", "FR", "2026-Q1"))); /* overlaps */
    assert_true(pass("all", "2026", "2026", obs("A", "FR", "2026")));
    assert_false(pass("all", "2027", NULL, obs("A", "FR", "2026")));
    assert_false(pass("all", NULL, "2025-12-31", obs("M", "FR", "2026-01")));
    assert_true(pass("all", "2026-S1", "2026-S1", obs("M", "FR", "2026-06")));
    assert_false(pass("all", "2026-S1", "2026-S1", obs("M", "FR", "2026-07")));
}

/* Refusals name the period forms the parser accepts: quarters are YYYY-Qn (AAAA-Qn), as in
 * SDMX, not the French "T" of trimestre. */
static void test_period_messages(void **state)
{
    (void)state;
    const char *names[] = {"startPeriod", "endPeriod"};
    for (size_t i = 0; i < OBS_ARRAY_LEN(names); i++) {
        params p;
        char s[64];
        snprintf(s, sizeof s, "%s=2026-T1", names[i]);
        parse_params(s, &p);
        exp_data_query q;
        exp_data_query_init(&q);
        obs_err e;
        assert_int_equal(exp_params_parse(param_get, &p, &q, &e), OBS_ERR_INPUT);
        assert_non_null(strstr(e.msg, "AAAA-Qn"));
        assert_null(strstr(e.msg, "-Tn"));
        snprintf(s, sizeof s, "%s=2026-Q1", names[i]);
        parse_params(s, &p);
        assert_int_equal(exp_params_parse(param_get, &p, &q, &e), OBS_OK);
    }
    /* iscgobs export: the period is checked before the database is touched. */
    obs_err e;
    assert_int_equal(exp_export(NULL, 1, "2026-T1", "/nonexistent", &e), OBS_ERR_INPUT);
    assert_non_null(strstr(e.msg, "AAAA-Qn"));
    assert_null(strstr(e.msg, "-Tn"));
}

static void test_datetime_and_canonical(void **state)
{
    (void)state;
    time_t t;
    assert_int_equal(exp_parse_datetime("2026-04-10T08:00:00Z", &t), 0);
    assert_int_equal((long long)t, 1775808000LL);
    time_t t2;
    assert_int_equal(exp_parse_datetime("2026-04-10T10:00:00+02:00", &t2), 0);
    assert_int_equal((long long)t2, (long long)t);
    assert_int_equal(exp_parse_datetime("2026-04-10", &t2), 0);
    assert_int_equal((long long)t2, 1775779200LL);
    char a[1024], b[1024];
    exp_data_query q1, q2;
    exp_data_query_init(&q1);
    exp_data_query_init(&q2);
    obs_err e;
    assert_int_equal(exp_key_parse("M.FR+D93........", &q1, &e), OBS_OK);
    assert_int_equal(exp_key_parse("M.D93+FR+D93........", &q2, &e), OBS_OK);
    assert_int_equal(exp_query_canonical(&q1, a, sizeof a), 0);
    assert_int_equal(exp_query_canonical(&q2, b, sizeof b), 0);
    assert_string_equal(a, b); /* the same question, the same cache entry and ETag */
    assert_int_equal(exp_key_parse("M.FR........", &q2, &e), OBS_OK);
    assert_int_equal(exp_query_canonical(&q2, b, sizeof b), 0);
    assert_string_not_equal(a, b);
    char arr[256];
    assert_int_equal(exp_query_array(&q1, EXP_D_REF_AREA, arr, sizeof arr), 0);
    assert_string_equal(arr, "{FR,D93}");
    assert_int_equal(exp_query_array(&q1, EXP_D_MESURE, arr, sizeof arr), 0);
    assert_string_equal(arr, "");
}

static void test_negotiation(void **state)
{
    (void)state;
    exp_format f;
    assert_int_equal(exp_negotiate_data(NULL, NULL, &f), 0);
    assert_int_equal(f, EXP_FMT_GENERIC);
    assert_int_equal(exp_negotiate_data("*/*", NULL, &f), 0);
    assert_int_equal(f, EXP_FMT_GENERIC);
    assert_int_equal(exp_negotiate_data("application/xml", NULL, &f), 0);
    assert_int_equal(f, EXP_FMT_GENERIC);
    assert_int_equal(
        exp_negotiate_data("application/vnd.sdmx.structurespecificdata+xml;version=2.1", NULL, &f),
        0);
    assert_int_equal(f, EXP_FMT_SS);
    assert_int_equal(exp_negotiate_data("application/vnd.sdmx.data+csv;version=1.0.0", NULL, &f),
                     0);
    assert_int_equal(f, EXP_FMT_CSV);
    assert_int_equal(exp_negotiate_data("application/vnd.sdmx.data+csv; version=1.0.0; "
                                        "charset=utf-8, application/xml;q=0.5",
                                        NULL, &f),
                     0);
    assert_int_equal(f, EXP_FMT_CSV);
    assert_int_equal(exp_negotiate_data("application/xml;q=0.2, text/csv;q=0.9", NULL, &f), 0);
    assert_int_equal(f, EXP_FMT_CSV);
    assert_int_equal(exp_negotiate_data("application/json", NULL, &f), -1);
    assert_int_equal(exp_negotiate_data("application/vnd.sdmx.data+json;version=1.0.0", NULL, &f),
                     -1);
    assert_int_equal(exp_negotiate_data("application/vnd.sdmx.genericdata+xml;version=3.0", NULL,
                                        &f),
                     -1);
    assert_int_equal(exp_negotiate_data("application/xml;q=0", NULL, &f), -1);
    assert_int_equal(exp_negotiate_data("application/json", "csv", &f), 0);
    assert_int_equal(f, EXP_FMT_CSV);
    assert_int_equal(exp_negotiate_data(NULL, "jsondata", &f), -1);
    assert_int_equal(exp_negotiate_structure(NULL, 0), 0);
    assert_int_equal(exp_negotiate_structure("application/vnd.sdmx.structure+xml;version=2.1", 0),
                     0);
    assert_int_equal(exp_negotiate_structure("text/csv", 0), -1);
    assert_int_equal(exp_negotiate_structure("application/json", 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_semantics),
        cmocka_unit_test(test_period_messages),
        cmocka_unit_test(test_datetime_and_canonical),
        cmocka_unit_test(test_negotiation),
    };
    return cmocka_run_group_tests_name("sdmx_key", tests, sdmx_model_setup, NULL);
}
