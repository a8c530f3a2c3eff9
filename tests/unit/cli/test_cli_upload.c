/* test_cli_upload.c: `iscgobs upload` (cli/upload.c, cli/upload_files.c) against a tiny HTTP stub
 * running in a thread of the test: what is sent (method, path, received_at, headers, body)
 * and how answers map to the exit status (accepted, rejected, 503 retried, usage errors). */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upload.h"

/* ---- the stub server: one request per connection ---- */

#define MAX_SEEN 32

typedef struct seen_req {
    char line[256];    /* "PUT /api/v1/grids/...?received_at=... HTTP/1.1" */
    char auth[128];
    char ctype[64];
    size_t body_len;
} seen_req;

static int listen_fd = -1;
static int port;
static seen_req seen[MAX_SEEN];
static int nseen;
static int fail_503_once = 0; /* answer 503 + Retry-After: 1 to the first request */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Copy the value of header name from the request head into out ("" when absent). */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), v);
            return;
        }
    }
}

static void serve_one(int fd)
{
    static char buf[1 << 20];
    size_t len = 0;
    char *end = NULL;
    ssize_t k;
    while (len < sizeof buf - 1 && (k = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
        len += (size_t)k;
        buf[len] = '\0';
        if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
            char cl[32];
            header(buf, "Content-Length", cl, sizeof cl);
            size_t want = (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10);
            if (len >= want)
                break;
        }
    }
    if (end == NULL)
        return;
    pthread_mutex_lock(&mu);
    seen_req *s = &seen[nseen < MAX_SEEN ? nseen : MAX_SEEN - 1];
    snprintf(s->line, sizeof s->line, "%.*s", (int)strcspn(buf, "\r\n"), buf);
    header(buf, "Authorization", s->auth, sizeof s->auth);
    header(buf, "Content-Type", s->ctype, sizeof s->ctype);
    s->body_len = len - (size_t)(end + 4 - buf);
    int first = nseen++ == 0, busy = first && fail_503_once;
    pthread_mutex_unlock(&mu);

    const char *status = "201 Created", *extra = "";
    char body[512];
    snprintf(body, sizeof body, "{\"rows\":%d}", 3);
    if (busy) {
        status = "503 Service Unavailable";
        extra = "Retry-After: 1\r\n";
        snprintf(body, sizeof body, "{\"error\":{\"code\":\"E_DB_UNAVAILABLE\",\"message\":\"x\"}}");
    } else if (strstr(s->line, "ISCG-002-01")) {
        status = "422 Unprocessable Entity";
        snprintf(body, sizeof body,
                 "{\"error\":{\"code\":\"E_VALIDATION\",\"message\":\"refus\"},"
                 "\"errors\":[{\"line\":2,\"column\":\"sexe\",\"code\":\"E_CODE_UNKNOWN\","
                 "\"message\":\"valeur Q\"}]}");
    } else if (strstr(s->line, "/2025-02")) {
        status = "200 OK";
        extra = "X-Upload-Outcome: unchanged\r\n";
        snprintf(body, sizeof body, "{\"rows\":%d}", 5);
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, extra, strlen(body));
    if (write(fd, head, (size_t)hl) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

static void *server(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        serve_one(fd);
        close(fd);
    }
}

static int setup(void **state)
{
    (void)state;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(listen_fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(listen_fd, (struct sockaddr *)&a, &al), 0);
    port = ntohs(a.sin_port);
    assert_int_equal(listen(listen_fd, 16), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, server, NULL), 0);
    pthread_detach(t);
    return 0;
}

/* ---- fixtures ---- */

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* dir/manifest.csv + dir/grids/ with two grids; returns the temp dir (caller frees). */
static char *make_demo_dir(void)
{
    char tmpl[] = "/tmp/test_upload.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    char grids[512];
    snprintf(grids, sizeof grids, "%s/grids", d);
    assert_int_equal(mkdir(grids, 0700), 0);
    put_file(grids, "ISCG-001-01_2025-01.csv", "date_contact;ref_personne\n");
    put_file(grids, "ISCG-001-01_2025-02.xml", "<grille/>\n");
    put_file(grids, "notes.txt", "ignored\n");
    put_file(d, "manifest.csv", "file;post;period;received_at\n"
                                "grids/ISCG-001-01_2025-01.csv;ISCG-001-01;2025-01;2025-02-08T09:12:00Z\n");
    return strdup(d);
}

static void remove_demo_dir(char *d)
{
    static const char *const files[] = {"grids/ISCG-001-01_2025-01.csv", "grids/ISCG-001-01_2025-02.xml",
                                        "grids/notes.txt", "grids/ISCG-002-01_2025-03.csv",
                                        "manifest.csv", "grids", ""};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", d, files[i]);
        remove(path);
    }
    free(d);
}

static int run_upload(const char *target, const char *token)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    char *argv[] = {"upload", (char *)target, "--url", url, "--jobs", "2", "--token",
                    (char *)token, NULL};
    return cli_cmd_upload(token ? 8 : 6, argv);
}

static void reset_seen(void)
{
    pthread_mutex_lock(&mu);
    nseen = 0;
    memset(seen, 0, sizeof seen);
    pthread_mutex_unlock(&mu);
}

static const seen_req *find_seen(const char *needle)
{
    for (int i = 0; i < nseen; i++)
        if (strstr(seen[i].line, needle))
            return &seen[i];
    return NULL;
}

/* ---- tests ---- */

static void test_upload_dir(void **state)
{
    (void)state;
    char *d = make_demo_dir();
    reset_seen();
    assert_int_equal(run_upload(d, "tok-123"), 0);
    assert_int_equal(nseen, 2);
    const seen_req *csv = find_seen("/api/v1/grids/ISCG-001-01/2025-01");
    const seen_req *xml = find_seen("/api/v1/grids/ISCG-001-01/2025-02");
    assert_non_null(csv);
    assert_non_null(xml);
    assert_memory_equal(csv->line, "PUT ", 4);
    assert_non_null(strstr(csv->line, "?received_at=2025-02-08T09%3A12%3A00Z "));
    assert_null(strchr(xml->line, '?')); /* not in the manifest */
    assert_string_equal(csv->auth, "Bearer tok-123");
    assert_string_equal(csv->ctype, "text/csv");
    assert_string_equal(xml->ctype, "application/xml");
    assert_int_equal(csv->body_len, strlen("date_contact;ref_personne\n"));
    assert_int_equal(xml->body_len, strlen("<grille/>\n"));
    remove_demo_dir(d);
}

static void test_rejected_and_retry(void **state)
{
    (void)state;
    char *d = make_demo_dir();
    char grids[512];
    snprintf(grids, sizeof grids, "%s/grids", d);
    put_file(grids, "ISCG-002-01_2025-03.csv", "x\n");
    reset_seen();
    assert_int_equal(run_upload(d, "tok"), 1); /* one 422 */
    assert_int_equal(nseen, 3);

    /* A 503 is retried after Retry-After; the token may come from the environment. */
    char file[600];
    snprintf(file, sizeof file, "%s/ISCG-001-01_2025-01.csv", grids);
    reset_seen();
    fail_503_once = 1;
    setenv("ISCGOBS_TOKEN", "env-tok", 1);
    assert_int_equal(run_upload(file, NULL), 0);
    unsetenv("ISCGOBS_TOKEN");
    fail_503_once = 0;
    assert_int_equal(nseen, 2);
    assert_string_equal(seen[1].auth, "Bearer env-tok");
    assert_non_null(strstr(seen[1].line, "received_at=")); /* manifest of the parent's parent */
    remove_demo_dir(d);
}

static void test_usage(void **state)
{
    (void)state;
    char *help[] = {"upload", "--help", NULL};
    assert_int_equal(cli_cmd_upload(2, help), 0);
    char *no_url[] = {"upload", "/tmp", "--token", "t", NULL};
    assert_int_equal(cli_cmd_upload(4, no_url), 2);
    char *bad_jobs[] = {"upload", "/tmp", "--url", "http://x", "--token", "t", "--jobs", "0", NULL};
    assert_int_equal(cli_cmd_upload(8, bad_jobs), 2);
    char *bad_name[] = {"upload", "/etc/hostname", "--url", "http://x", "--token", "t", NULL};
    assert_int_equal(cli_cmd_upload(6, bad_name), 2);
    unsetenv("ISCGOBS_TOKEN");
    char *no_token[] = {"upload", "/tmp", "--url", "http://x", NULL};
    assert_int_equal(cli_cmd_upload(4, no_token), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_dir),
        cmocka_unit_test(test_rejected_and_retry),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
