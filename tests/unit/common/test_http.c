/* test_http.c: the daemon's response headers (common/http/http.c): a response holds 8 extra
 * headers; a ninth is our bug, answered 500 (logged) instead of aborting the process or
 * sending a response without it. Runs the real daemon on a loopback port, no database. */
#include "testutil.h"

#include <curl/curl.h>
#include <string.h>

#include "config.h"
#include "http.h"

static obs_status ninth_rc;

/* Adds n headers X-Essai-1..n, then answers 200 "ok". */
static void add_headers(obs_response *rs, int n)
{
    obs_http_text(rs, 200, "text/plain; charset=utf-8", "ok\n");
    for (int i = 1; i <= n; i++) {
        char name[32];
        snprintf(name, sizeof name, "X-Essai-%d", i);
        obs_status rc = obs_http_add_header(rs, name, "1");
        if (i == 9)
            ninth_rc = rc;
    }
}

static void eight(obs_request *rq, obs_response *rs)
{
    (void)rq;
    add_headers(rs, 8);
}

static void nine(obs_request *rq, obs_response *rs)
{
    (void)rq;
    add_headers(rs, 9);
}

static const obs_route ROUTES[] = {
    {"GET", "/huit", eight, 0},
    {"GET", "/neuf", nine, 0},
};

typedef struct answer {
    long status;
    int essai_headers; /* X-Essai-* headers received */
    char body[512];
    size_t len;
} answer;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    size_t k = size * n, room = sizeof a->body - 1 - a->len;
    memcpy(a->body + a->len, p, k < room ? k : room);
    a->len += k < room ? k : room;
    a->body[a->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    answer *a = arg;
    if (size * n > 8 && strncasecmp(p, "X-Essai-", 8) == 0)
        a->essai_headers++;
    return size * n;
}

static void get(const char *path, answer *a)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", obs_http_port(), path);
    memset(a, 0, sizeof *a);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_easy_cleanup(h);
}

static int setup(void **state)
{
    (void)state;
    obs_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "127.0.0.1");
    cfg.listen_port = 0;
    cfg.threads = 2;
    cfg.max_upload = 1024;
    cfg.conn_limit = 16; /* the daemon takes these as they are: 0 would accept nothing */
    cfg.per_ip_limit = 16;
    cfg.conn_timeout = 10;
    obs_err e;
    obs_err_clear(&e);
    obs_http_add_routes(ROUTES, OBS_ARRAY_LEN(ROUTES));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return obs_http_start(&cfg, &e) == OBS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    obs_http_stop(5);
    curl_global_cleanup();
    return 0;
}

static void test_eight_headers_fit(void **state)
{
    (void)state;
    answer a;
    get("/huit", &a);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.essai_headers, 8);
    assert_string_equal(a.body, "ok\n");
}

/* The ninth header: the process goes on, the client gets a 500 JSON error and none of the
 * handler's headers, and the call reported the failure. */
static void test_ninth_header_is_a_500(void **state)
{
    (void)state;
    answer a;
    ninth_rc = OBS_OK;
    get("/neuf", &a);
    assert_int_equal(a.status, 500);
    assert_int_equal(a.essai_headers, 0);
    assert_non_null(strstr(a.body, "E_INTERNAL"));
    assert_int_equal(ninth_rc, OBS_ERR_INTERNAL);
    get("/huit", &a); /* the daemon still serves */
    assert_int_equal(a.status, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_headers_fit),
        cmocka_unit_test(test_ninth_header_is_a_500),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
