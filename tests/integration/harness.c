/* harness.c: integration test support (see harness.h). */
#include "harness.h"

#include "task_lock.h"
#include "warm.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "harness: %s\n", what);
    exit(2);
}

static const char *need_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "harness: %s is not set (run through `make test`)\n", name);
        exit(2);
    }
    return v;
}

/* A free loopback port; with IT_PORT_RANGE=4digit one between 2000 and 9999 (the privacy
 * test searches 5-digit postcodes in the log, where the port is printed). */
static int free_port(void)
{
    if (getenv("IT_PORT_RANGE") && strcmp(getenv("IT_PORT_RANGE"), "4digit") == 0) {
        srand((unsigned)getpid());
        for (int i = 0; i < 200; i++) {
            int port = 2000 + rand() % 8000;
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            if (fd >= 0)
                close(fd);
            if (ok)
                return port;
        }
        die("no free 4-digit port");
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("no free port");
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* Build the child's environment: ours plus the server's configuration plus extra. */
static void child_env(const it_server *s, const char *const *extra)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    setenv("ISCGOBS_DATABASE_URL", s->db_url, 1);
    setenv("ISCGOBS_LISTEN", listen, 1);
    setenv("ISCGOBS_KEY_FILE", s->key_path, 1);
    char signing[620]; /* the publications' signing key, beside the other one */
    snprintf(signing, sizeof signing, "%s/signing.key", s->dir);
    setenv("ISCGOBS_SIGNING_KEY_FILE", signing, 1);
    setenv("ISCGOBS_THREADS", "4", 1);
    /* Protected readers wait for the round of the uploads just made (the tests read right
     * after them); test_publication_lag reads with the default, 0. */
    setenv("ISCGOBS_PROTECT_WAIT_MS", "60000", 0);
    for (; extra && *extra; extra++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", *extra);
        char *eq = strchr(kv, '=');
        if (eq) {
            *eq = '\0';
            setenv(kv, eq + 1, 1);
        }
    }
}

int it_cli(const it_server *s, char *out, size_t outlen, const char *const *args)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        child_env(s, NULL);
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        const char *argv[32] = {need_env("IT_BIN")};
        int n = 1;
        for (; args[n - 1] && n < 31; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    char tmp[4096];
    ssize_t k;
    while ((k = read(pfd[0], tmp, sizeof tmp)) > 0) {
        if (out && got + (size_t)k < outlen) {
            memcpy(out + got, tmp, (size_t)k);
            got += (size_t)k;
        }
    }
    if (out && outlen)
        out[got] = '\0';
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void it_setup(it_server *s, const char *name)
{
    memset(s, 0, sizeof *s);
    PGconn *c = PQconnectdb(need_env("IT_PG_URL"));
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot reach the test cluster");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("CREATE DATABASE failed");
    PQclear(r);
    /* Same cluster, other database: replace dbname in the admin connection string. */
    PQconninfoOption *opts = PQconninfo(c);
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
            continue;
        if (strcmp(o->keyword, "host") && strcmp(o->keyword, "port") && strcmp(o->keyword, "user"))
            continue;
        n += (size_t)snprintf(s->db_url + n, sizeof s->db_url - n, "%s=%s ", o->keyword, o->val);
    }
    snprintf(s->db_url + n, sizeof s->db_url - n, "dbname=%s", name);
    PQconninfoFree(opts);
    PQfinish(c);

    snprintf(s->dir, sizeof s->dir, "%s/%s", need_env("IT_TMP"), name);
    mkdir(s->dir, 0700);
    snprintf(s->key_path, sizeof s->key_path, "%s/pseudonym.key", s->dir);
    snprintf(s->log_path, sizeof s->log_path, "%s/server.log", s->dir);
    unlink(s->key_path);
    if (it_cli(s, NULL, 0, (const char *[]){"keygen", NULL}) != 0)
        die("keygen failed");
    char signing[620];
    snprintf(signing, sizeof signing, "%s/signing.key", s->dir);
    unlink(signing);
    if (it_cli(s, NULL, 0, (const char *[]){"keygen", "--signing", NULL}) != 0)
        die("keygen --signing failed");
    if (it_cli(s, NULL, 0, (const char *[]){"db", "migrate", NULL}) != 0)
        die("db migrate failed");
}

size_t it_append(char **body, size_t *len, const char *p, size_t k)
{
    char *nb = realloc(*body, *len + k + 1);
    if (nb == NULL)
        return 0;
    memcpy(nb + *len, p, k);
    *body = nb;
    *len += k;
    nb[*len] = '\0';
    return k;
}

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    it_resp *r = arg;
    return it_append(&r->body, &r->len, p, size * n);
}

static size_t header_cb(char *p, size_t size, size_t n, void *arg)
{
    it_resp *r = arg;
    size_t k = size * n;
    if (k > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
        snprintf(r->retry_after, sizeof r->retry_after, "%.*s", (int)strcspn(p + 12, "\r\n") - 1,
                 p + 13);
    return k;
}

struct curl_slist *it_header(struct curl_slist *hdr, const char *fmt, const char *value)
{
    if (value == NULL)
        return hdr;
    char line[2048];
    snprintf(line, sizeof line, fmt, value);
    return curl_slist_append(hdr, line); /* libcurl copies it */
}

CURLcode it_request(const it_server *s, const char *method, const char *path,
                    struct curl_slist *hdr, const void *body, size_t len,
                    curl_write_callback on_body, curl_write_callback on_header, void *arg,
                    long *status, char *ctype, size_t ctype_cap)
{
    CURL *h = curl_easy_init();
    char url[4096];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, arg);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, arg);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(h);
    *status = -1;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        char *t = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &t);
        if (t && ctype)
            snprintf(ctype, ctype_cap, "%s", t);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return rc;
}

void it_http(const it_server *s, const char *method, const char *path, const char *token,
             const char *ctype, const void *body, size_t len, it_resp *r)
{
    memset(r, 0, sizeof *r);
    struct curl_slist *hdr = it_header(NULL, "Authorization: Bearer %s", token);
    hdr = it_header(hdr, "Content-Type: %s", ctype);
    hdr = curl_slist_append(hdr, "Expect:");
    it_request(s, method, path, hdr, body, len, collect, header_cb, r, &r->status,
               r->content_type, sizeof r->content_type);
    if (r->body == NULL)
        r->body = calloc(1, 1);
}

void it_resp_free(it_resp *r)
{
    free(r->body);
    r->body = NULL;
}

void it_start(it_server *s, const char *const *env)
{
    s->port = free_port();
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    s->pid = fork();
    if (s->pid == 0) {
        child_env(s, env);
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 2);
        close(fd);
        execl(need_env("IT_BIN"), need_env("IT_BIN"), "serve", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) {
        it_resp r;
        it_http(s, "GET", "/healthz", NULL, NULL, NULL, 0, &r);
        long st = r.status;
        it_resp_free(&r);
        if (st == 200)
            return;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid)
            die("the server exited at start (see its log in IT_TMP)");
        usleep(50 * 1000);
    }
    die("the server did not answer /healthz");
}

int it_stop(it_server *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st = 0;
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void it_post_add(const it_server *s, const char *code, const char *dep, const char *opened)
{
    const char *args[] = {"post", "add", code, "--name", "Poste de test", "--dep", dep,
                          "--force", "PN", "--opened", opened, NULL};
    if (it_cli(s, NULL, 0, args) != 0)
        die("post add failed");
}

void it_user_add(const it_server *s, const char *role, const char *post, char tok[80])
{
    const char *args[] = {"user", "add", "--role", role, "--name", role, post ? "--post" : NULL,
                          post, NULL};
    if (it_cli(s, tok, 80, args) != 0)
        die("user add failed");
    tok[strcspn(tok, "\n")] = '\0';
    if (strlen(tok) != 64)
        die("user add printed no token");
}

char *it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "harness: cannot read %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
        die("read failed");
    p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

PGconn *it_db(const it_server *s)
{
    PGconn *c = PQconnectdb(s->db_url);
    if (PQstatus(c) != CONNECTION_OK)
        die("cannot connect to the test database");
    return c;
}

long it_sql_long(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        fprintf(stderr, "harness: query failed: %s: %s\n", sql, PQerrorMessage(c));
        exit(2);
    }
    long v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

PGconn *it_hold_protection_turn(const it_server *s)
{
    PGconn *c = it_db(s);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%d, hashtext('%s'))", OBS_TASK_LOCK_CLASS,
             AGG_WARM_TASK);
    it_sql_long(c, sql); /* void: 1 row */
    return c;
}

int it_stop_failures;

void it_stop_checked(it_server *s)
{
    int st = it_stop(s);
    if (st != 0) {
        fprintf(stderr, "harness: the server did not stop cleanly (exit status %d): see %s\n", st,
                s->log_path);
        it_stop_failures++;
    }
}

void it_today(int *year, int *month)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (year)
        *year = tm.tm_year + 1900;
    if (month)
        *month = tm.tm_mon + 1;
}
