/* test_hostile.c: hostile HTTP against the real server (issue 11, point 3; docs/reliability.md,
 * "Hostile HTTP"): hundreds of idle connections and a client sending its headers a byte a
 * second do not stop others from being served (per-address and total connection limits,
 * idle timeout); oversized headers, URLs and bodies are refused, the early 413 read by curl
 * and by Python's urllib; methods a route does not take get 405 with Allow; NUL bytes and
 * invalid UTF-8 in paths and parameters get 400; path traversal and SQL-looking text in
 * every route and parameter get a 4xx (never a 500, never a file, the tables intact). */
#include "hostile_client.h"
#include "web_client.h"

static it_server S;
static char tok_admin[80], tok_post[80];
static int year;
static char month[16], upload_month[16];
#define POST "ISCG-075-01"
#define MAX_UPLOAD 65536
#define PER_IP 8
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_hostile");
    web_periods(&year, month, upload_month);
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    it_post_add(&S, POST, "75", opened);
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "post", POST, tok_post);
    const char *env[] = {"ISCGOBS_MAX_UPLOAD=65536", "ISCGOBS_PER_IP_LIMIT=8",
                         "ISCGOBS_CONN_TIMEOUT=3", NULL};
    it_start(&S, env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

static long get(const char *src, const char *path, const char *tok, hc_resp *r)
{
    hc_request(&S, src, "GET", path, tok, NULL, NULL, NULL, 0, r);
    return r->status;
}

static void assert_served(const char *why)
{
    hc_resp r;
    long st = get(NULL, "/healthz", NULL, &r);
    hc_free(&r);
    if (st != 200)
        fail_msg("%s: /healthz answered %ld", why, st);
}

static void test_idle_and_slow_clients(void **state)
{
    (void)state;
    /* 25 addresses x 10 idle connections: 8 of each address are kept (PER_IP), the others
     * closed by the server at once; 200 idle connections held. */
    enum { NADDR = 25, EACH = 10 };
    int fd[NADDR * EACH], held = 0, cut = 0;
    for (int a = 0; a < NADDR; a++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.1.%d", a + 1);
        for (int i = 0; i < EACH; i++)
            fd[a * EACH + i] = hc_connect(&S, src);
    }
    usleep(500 * 1000); /* the daemon has accepted or refused each */
    for (int i = 0; i < NADDR * EACH; i++) {
        if (fd[i] >= 0 && hc_closed_within(fd[i], 0)) {
            close(fd[i]);
            fd[i] = -1;
        }
        if (fd[i] < 0)
            cut++;
        else
            held++;
    }
    printf("idle connections: %d held, %d refused (per-address limit %d)\n", held, cut, PER_IP);
    assert_true(held >= NADDR * PER_IP / 2); /* (a few may be closed by the timeout already) */
    assert_true(held <= NADDR * PER_IP);
    assert_true(cut >= NADDR * (EACH - PER_IP));
    assert_served("with the idle connections");
    /* A slow client: the start of a request, one byte a second; others are served. */
    int slow = hc_connect(&S, "127.0.2.1");
    assert_true(slow >= 0);
    const char *slow_req = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    int served = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(write(slow, slow_req + i, 1), 1);
        hc_resp r;
        served += get(NULL, "/api/v1/grids/" POST, tok_post, &r) == 200;
        hc_free(&r);
        sleep(1);
    }
    printf("slow client (1 byte/s): other clients served %d/4\n", served);
    assert_int_equal(served, 4);
    /* The idle timeout (3 s) closes the silent connections and the slow one (bounded: 15 s). */
    int closed = 0;
    for (int i = 0; i < NADDR * EACH; i++)
        if (fd[i] >= 0) {
            int c = hc_closed_within(fd[i], 15000);
            close(fd[i]);
            if (!c)
                fail_msg("an idle connection was not closed by the timeout");
            closed++;
        }
    assert_true(closed >= 0);
    int slow_closed = hc_closed_within(slow, 15000); /* silent since the loop: timed out */
    close(slow);
    assert_true(slow_closed);
    for (int i = 0; i < NADDR * EACH; i++)
        fd[i] = -1;
    assert_served("after the idle connections");
}

static void test_oversized(void **state)
{
    (void)state;
    hc_resp r;
    /* A 200 KiB URL, a 200 KiB header. */
    size_t n = 200 * 1024;
    char *big = malloc(n + 64);
    assert_non_null(big);
    memcpy(big, "/api/v1/indicators?mesure=", 26);
    memset(big + 26, 'A', n); /* (the header: over the 128 KiB a connection may hold) */
    big[26 + n] = '\0';
    get(NULL, big, NULL, &r);
    printf("200 KiB URL: %ld\n", r.status);
    assert_true(r.status == 414 || r.status == 431 || r.status == 400 || r.status == 413);
    hc_free(&r);
    /* The same bytes as one header line, sent raw. */
    char *req = malloc(n + 128);
    assert_non_null(req);
    int h = snprintf(req, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + h, 'A', n);
    static const char tail[] = "\r\nConnection: close\r\n\r\n";
    memcpy(req + h + n, tail, sizeof tail - 1);
    int st = hc_raw(&S, req, (size_t)h + n + sizeof tail - 1);
    printf("200 KiB header: %d\n", st);
    assert_true(st == 431 || st == 413 || st == 400);
    free(req);
    free(big);
    assert_served("after oversized requests");
}

/* A body over the limit, with Content-Length: curl and Python's urllib read the 413. */
static void test_early_413(void **state)
{
    (void)state;
    size_t n = 8u << 20; /* 8 MiB against 64 KiB */
    char *body = malloc(n);
    assert_non_null(body);
    memset(body, 'x', n);
    char path[80];
    snprintf(path, sizeof path, "/api/v1/grids/" POST "/%s", upload_month);
    hc_resp r;
    hc_request(&S, NULL, "PUT", path, tok_post, NULL, "text/csv", body, n, &r);
    char code[64];
    printf("curl, 8 MiB body: curl %d, status %ld\n", (int)r.curl, r.status);
    assert_int_equal(r.status, 413);
    assert_string_equal(hc_code(&r, code), "E_TOO_LARGE");
    hc_free(&r);
    free(body);
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "python3 -c '\n"
             "import urllib.request, urllib.error, sys\n"
             "rq = urllib.request.Request(\"%s%s\", data=b\"x\" * (8 << 20), method=\"PUT\",\n"
             "    headers={\"Authorization\": \"Bearer %s\", \"Content-Type\": \"text/csv\"})\n"
             "try:\n"
             "    urllib.request.urlopen(rq, timeout=60); print(\"no-error\")\n"
             "except urllib.error.HTTPError as e:\n"
             "    print(e.code, e.read().decode()[:60].replace(chr(10), \" \"))\n"
             "except Exception as e:\n"
             "    print(\"broken\", type(e).__name__)\n'",
             S.base, path, tok_post);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[256] = "";
    if (fgets(out, sizeof out, p) == NULL)
        out[0] = '\0';
    pclose(p);
    printf("python urllib, 8 MiB body: %s", out);
    assert_int_equal(strncmp(out, "413 ", 4), 0);
    assert_served("after early 413");
}

static void test_methods(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"DELETE", "/api/v1/grids/" POST "/2026-01", "PUT"},
        {"POST", "/api/v1/indicators", "GET, HEAD"},
        {"PUT", "/healthz", "GET, HEAD"},
        {"PATCH", "/connexion", "GET, POST, HEAD"},
        {"GET", "/deconnexion", "POST"},
        {"DELETE", "/sdmx/data/ISCG_INDICATEURS", "GET, HEAD"},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        hc_resp r;
        hc_request(&S, NULL, cases[i].method, cases[i].path, tok_admin, NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 405);
        assert_string_equal(r.allow, cases[i].allow);
        hc_free(&r);
    }
}

static void test_nul_and_utf8(void **state)
{
    (void)state;
    static const char *paths[] = {
        "/api/v1/grids/" POST "%00/2026-01",
        "/api/v1/grids/" POST "%00",
        "/api/v1/indicators?mesure=%00",
        "/api/v1/indicators?area=FR%00D93",
        "/api/v1/indicators?mesure=%ff%fe",
        "/api/v1/completeness?period=2026-01%c3%28",
        "/rapports/national/2026%00",
        "/rapports/mensuel/%e9t%e9",
        "/sdmx/data/ISCG_INDICATEURS/%00",
        "/sdmx/data/ISCG_INDICATEURS?startPeriod=%c0%af",
        "/connexion?expire=%80",
        "/%ff",
    };
    for (size_t i = 0; i < NELEM(paths); i++) {
        hc_resp r;
        get(NULL, paths[i], tok_admin, &r);
        if (r.status != 400)
            fail_msg("%s: %ld", paths[i], r.status);
        hc_free(&r);
    }
}

/* Every route pattern with its "*" and "**" replaced by each probe: traversal and SQL. */
static void test_traversal_and_sql(void **state)
{
    (void)state;
    static const char *probes[] = {
        "..", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "....//....//etc/passwd", "..%5c..%5cwindows", "%252e%252e%252f",
        "'%20OR%20'1'%3D'1", "1%3BDROP%20TABLE%20contact%3B--", "%22%3B%20SELECT%20pg_sleep(30)--",
        "ISCG-075-01'--", "2026-01'%20UNION%20SELECT%20*%20FROM%20account--",
    };
    static const char *params[] = {"mesure", "area", "period", "sexe", "age", "statut", "origine",
                                   "problematique", "partenaire", "mode", "from", "to",
                                   "startPeriod", "endPeriod", "dimensionAtObservation",
                                   "detail", "expire", "received_at"};
    char out[8192];
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *const[]){"routes", NULL}), 0);
    int tried = 0, by_status[6] = {0};
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char method[16], pattern[200];
        if (sscanf(line, "%15s %199s", method, pattern) != 2)
            continue;
        for (size_t p = 0; p < NELEM(probes); p++) {
            char path[1200] = "";
            size_t k = 0;
            for (const char *c = pattern; *c && k < sizeof path - 200; c++) {
                if (*c == '*') {
                    k += (size_t)snprintf(path + k, sizeof path - k, "%s", probes[p]);
                    if (c[1] == '*')
                        c++;
                } else {
                    path[k++] = *c;
                    path[k] = '\0';
                }
            }
            size_t q = k;
            for (size_t a = 0; a < NELEM(params); a++)
                q += (size_t)snprintf(path + q, sizeof path - q, "%c%s=%s", a ? '&' : '?',
                                      params[a], probes[p]);
            for (int withq = 0; withq < 2; withq++) {
                path[k] = withq ? '?' : '\0'; /* the path alone, then with the parameters */
                hc_resp r;
                const char *body = strcmp(method, "GET") ? "a;b\n" : NULL;
                hc_request(&S, NULL, method, path, tok_admin, NULL, "text/csv", body,
                           body ? 4 : 0, &r);
                tried++;
                /* (501: the SDMX REST service's "not implemented" for unknown structures) */
                if (r.status < 200 || (r.status >= 500 && r.status != 501) ||
                    strstr(r.body, "root:") ||
                    (r.status < 300 && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0))
                    fail_msg("%s %s: %ld", method, path, r.status);
                by_status[r.status / 100]++;
                hc_free(&r);
            }
        }
    }
    printf("traversal and SQL probes: %d requests: %d x 2xx, %d x 3xx, %d x 4xx, %d x 501 "
           "(SDMX), no other 5xx\n", tried, by_status[2], by_status[3], by_status[4], by_status[5]);
    PGconn *c = it_db(&S);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM pg_tables WHERE tablename IN "
                                    "('contact', 'account', 'grid')"), 3);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM account"), 2);
    PQfinish(c);
    assert_served("after the probes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_nul_and_utf8),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_early_413),
        cmocka_unit_test(test_traversal_and_sql),
        cmocka_unit_test(test_idle_and_slow_clients),
    };
    int failed = cmocka_run_group_tests_name("integration_hostile", tests, setup, teardown);
    return failed || it_stop_failures;
}
