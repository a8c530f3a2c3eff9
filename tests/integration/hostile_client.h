/* hostile_client.h: what the attack tests share (test_hostile.c, test_bruteforce.c,
 * test_access.c, test_dbloss.c, test_shutdown.c): a libcurl request from a chosen loopback
 * source address (127.0.0.2, ...: the per-address limits see distinct clients) keeping the
 * headers the tests check (Retry-After, Allow), raw sockets for slow and idle clients, and
 * the server's memory from /proc. Header-only (static functions), like web_client.h. */
#ifndef IT_HOSTILE_CLIENT_H
#define IT_HOSTILE_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define HC_FN static __attribute__((unused))

typedef struct hc_resp {
    long status;            /* -1 when the transfer failed */
    CURLcode curl;
    char *body;
    size_t len;
    char retry_after[16];
    char allow[128];
    char ctype[128];
    char location[256];
} hc_resp;

HC_FN size_t hc_body(char *p, size_t size, size_t n, void *arg)
{
    hc_resp *r = arg;
    return it_append(&r->body, &r->len, p, size * n);
}

HC_FN void hc_hval(const char *p, size_t k, size_t skip, char *out, size_t cap)
{
    size_t n = k - skip;
    while (n && (p[skip + n - 1] == '\r' || p[skip + n - 1] == '\n'))
        n--;
    snprintf(out, cap, "%.*s", (int)n, p + skip);
}

HC_FN size_t hc_header(char *p, size_t size, size_t n, void *arg)
{
    hc_resp *r = arg;
    size_t k = size * n;
    if (k > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
        hc_hval(p, k, 13, r->retry_after, sizeof r->retry_after);
    if (k > 7 && strncasecmp(p, "Allow: ", 7) == 0)
        hc_hval(p, k, 7, r->allow, sizeof r->allow);
    if (k > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
        hc_hval(p, k, 14, r->ctype, sizeof r->ctype);
    if (k > 10 && strncasecmp(p, "Location: ", 10) == 0)
        hc_hval(p, k, 10, r->location, sizeof r->location);
    return k;
}

/* One request from source address src (NULL: the default 127.0.0.1). bearer, cookie and
 * ctype may be NULL; path is sent as is (not re-encoded). */
HC_FN void hc_request(const it_server *s, const char *src, const char *method, const char *path,
                      const char *bearer, const char *cookie, const char *ctype,
                      const void *body, size_t len, hc_resp *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    CURL *h = curl_easy_init();
    char url[8192];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");
    hdr = it_header(hdr, "Authorization: Bearer %s", bearer);
    hdr = it_header(hdr, "Cookie: %s", cookie);
    hdr = it_header(hdr, "Content-Type: %s", ctype);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, hc_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hc_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    if (src)
        curl_easy_setopt(h, CURLOPT_INTERFACE, src);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    r->curl = curl_easy_perform(h);
    if (r->curl == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (r->body == NULL)
        r->body = calloc(1, 1);
}

HC_FN void hc_free(hc_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* The error code of a JSON error body ("" when none) into code[64]. */
HC_FN const char *hc_code(const hc_resp *r, char code[64])
{
    code[0] = '\0';
    const char *p = strstr(r->body, "\"code\":\"");
    if (p)
        snprintf(code, 64, "%.*s", (int)strcspn(p + 8, "\""), p + 8);
    return code;
}

/* A TCP connection to the server from source address src (NULL: any); -1 on failure. */
HC_FN int hc_connect(const it_server *s, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons((uint16_t)s->port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when the server closed fd (read returns 0 or an error) within ms milliseconds. */
HC_FN int hc_closed_within(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    for (int waited = 0; waited <= ms; waited += 100) {
        if (poll(&p, 1, ms ? 100 : 0) > 0) {
            char b[4096];
            ssize_t n = read(fd, b, sizeof b);
            if (n <= 0)
                return 1;
        }
    }
    return 0;
}

/* Send the n bytes of req on a new connection (Connection: close is the caller's) and return
 * the status of the answer (read for at most 20 s), -1 when the server closed without one. */
HC_FN int hc_raw(const it_server *s, const char *req, size_t n)
{
    int fd = hc_connect(s, NULL);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < n;) {
        ssize_t k = write(fd, req + off, n - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    char buf[4096];
    size_t len = 0;
    struct pollfd p = {fd, POLLIN, 0};
    for (int i = 0; i < 200 && len < sizeof buf - 1; i++) {
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    buf[len] = '\0';
    int st = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &st) != 1)
        return -1;
    return st;
}

/* A field of /proc/PID/status in KiB (VmRSS, VmHWM), -1 when unreadable. */
HC_FN long hc_proc_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

#endif
