/* harness.h: what integration tests share: a throwaway database, the real server started as
 * a child process on a free loopback port, the real CLI, and an HTTP client (libcurl).
 *
 * Environment (set by scripts/test.sh): IT_BIN = the iscgobs binary under test,
 * IT_PG_URL = a libpq connection string to the cluster's `postgres` database,
 * IT_TMP = a scratch folder.
 */
#ifndef IT_HARNESS_H
#define IT_HARNESS_H

#include <curl/curl.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct it_server {
    pid_t pid;
    int port;
    char base[64];        /* http://127.0.0.1:PORT */
    char db_url[512];     /* connection string of this test's database */
    char dir[512];        /* scratch folder: key file, server log */
    char log_path[600];
    char key_path[600];
} it_server;

typedef struct it_resp {
    long status;
    char *body;           /* NUL-terminated, owned */
    size_t len;
    char content_type[128];
    char retry_after[16];
} it_resp;

/* Create (or recreate) database `name` in the test cluster, make a scratch folder, create
 * the key, run `db migrate`. Aborts the test program on failure. */
void it_setup(it_server *s, const char *name);

/* Start `iscgobs serve` (extra environment "K=V" strings, NULL-terminated, may be NULL) and
 * wait until /healthz answers. */
void it_start(it_server *s, const char *const *env);

/* SIGTERM the server and wait; returns its exit status (0 = clean stop). */
int it_stop(it_server *s);

/* it_stop, and when the exit status is not 0 (a sanitizer report at exit, a crash) say so
 * and count it in it_stop_failures: cmocka does not count a failed group teardown, so each
 * test program returns `failed || it_stop_failures`. */
void it_stop_checked(it_server *s);
extern int it_stop_failures;

/* Run the CLI with the server's configuration: `iscgobs args...`; stdout captured into out
 * (may be NULL). Returns the exit status. */
int it_cli(const it_server *s, char *out, size_t outlen, const char *const *args);

/* Shorthands: a post, an account (returns its token in tok[65]). */
void it_post_add(const it_server *s, const char *code, const char *dep, const char *opened);
void it_user_add(const it_server *s, const char *role, const char *post, char tok[80]);

/* hdr with the header line fmt (one %s) filled with value appended; hdr unchanged when value
 * is NULL. */
struct curl_slist *it_header(struct curl_slist *hdr, const char *fmt, const char *value)
    __attribute__((format(printf, 2, 0)));

/* One HTTP request to the server with the request headers hdr (freed here): the body and
 * the response headers go to on_body and on_header with arg; *status gets the HTTP status
 * (-1 when the transfer failed) and ctype (when not NULL) the response's Content-Type.
 * Returns libcurl's outcome. The clients below and web_client.h's are built on it. */
CURLcode it_request(const it_server *s, const char *method, const char *path,
                    struct curl_slist *hdr, const void *body, size_t len,
                    curl_write_callback on_body, curl_write_callback on_header, void *arg,
                    long *status, char *ctype, size_t ctype_cap);

/* An HTTP request to the server. token and ctype may be NULL. */
void it_http(const it_server *s, const char *method, const char *path, const char *token,
             const char *ctype, const void *body, size_t len, it_resp *r);
void it_resp_free(it_resp *r);

/* Append k bytes at p to the growing, NUL-terminated *body of *len bytes (what every
 * libcurl write callback of the tests does). Returns k, or 0 when memory ran out (libcurl
 * then stops the transfer). */
size_t it_append(char **body, size_t *len, const char *p, size_t k);

/* Read a whole file (NUL-terminated, owned); aborts when missing. */
char *it_read_file(const char *path, size_t *len);

/* Today's UTC year and month (1-12) into *year and *month (either may be NULL). */
void it_today(int *year, int *month);

/* A connection to the test's database (the caller PQfinish-es it) and one-value queries. */
PGconn *it_db(const it_server *s);
long it_sql_long(PGconn *c, const char *sql);
/* Take the servers' protection turn (task_lock.h, AGG_WARM_TASK) on a new connection, as
 * another server building a round would: no server builds rounds (nor records SDMX runs
 * after them) in the background until PQfinish of the connection returned. */
PGconn *it_hold_protection_turn(const it_server *s);

#endif
