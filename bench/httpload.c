/* httpload.c: a small closed-loop HTTP/1.1 load generator for bench/sdmx.sh (no wrk on the
 * build machines): C keep-alive connections on loopback, each sending GET url (with an
 * optional Accept header) again as soon as the previous answer is complete, for a fixed
 * duration. Prints one line: requests/s, p50 and p99 latency in ms, errors. Only 2xx answers
 * count as requests (and in the latencies): a fast 404 or 503 is not throughput. Errors are
 * the other answers plus the connections the server closed.
 *
 *   httpload HOST:PORT PATH CONNECTIONS SECONDS [ACCEPT]
 *
 * Answers are framed by Content-Length or chunked transfer coding. Single thread, epoll. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    char *buf;       /* bytes of the answer received so far */
    size_t len, cap;
    double sent;     /* when the request went out */
    size_t out;      /* bytes of the request already written */
} conn;

static char req[1024];
static size_t reqlen;
static struct sockaddr_in addr;
static double *lat; /* latencies of the 2xx answers */
static size_t nlat, caplat;
static long errors;  /* non-2xx answers and closed connections */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_conn(conn *c, int ep)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->len = c->out = 0;
    c->sent = now();
    return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Length of a complete answer at the start of c->buf, 0 when incomplete. */
static size_t complete(const conn *c, int *status)
{
    char *h = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (h == NULL)
        return 0;
    size_t head = (size_t)(h - c->buf) + 4;
    *status = (int)strtol(c->buf + 9, NULL, 10);
    char *cl = memmem(c->buf, head, "Content-Length:", 15);
    if (cl == NULL)
        cl = memmem(c->buf, head, "content-length:", 15);
    if (cl) {
        size_t n = (size_t)strtoull(cl + 15, NULL, 10);
        return c->len >= head + n ? head + n : 0;
    }
    /* chunked */
    size_t p = head;
    for (;;) {
        char *eol = memmem(c->buf + p, c->len - p, "\r\n", 2);
        if (eol == NULL)
            return 0;
        size_t n = (size_t)strtoull(c->buf + p, NULL, 16);
        p = (size_t)(eol - c->buf) + 2 + n + 2;
        if (p > c->len)
            return 0;
        if (n == 0)
            return p;
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: httpload HOST:PORT PATH CONNECTIONS SECONDS [ACCEPT]\n");
        return 2;
    }
    char host[64];
    snprintf(host, sizeof host, "%s", argv[1]);
    char *colon = strchr(host, ':');
    if (colon == NULL)
        return 2;
    *colon = '\0';
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)strtol(colon + 1, NULL, 10));
    inet_pton(AF_INET, host, &addr.sin_addr);
    int nconn = (int)strtol(argv[3], NULL, 10);
    double secs = strtod(argv[4], NULL);
    reqlen = (size_t)snprintf(req, sizeof req,
                              "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s%sConnection: keep-alive\r\n\r\n",
                              argv[2], argv[1], argc > 5 ? "Accept: " : "",
                              argc > 5 ? argv[5] : "", argc > 5 ? "\r\n" : "");
    int ep = epoll_create1(0);
    conn *cs = calloc((size_t)nconn, sizeof *cs);
    for (int i = 0; i < nconn; i++)
        if (open_conn(&cs[i], ep) != 0)
            return 1;
    double start = now(), end = start + secs;
    struct epoll_event evs[256];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if ((evs[i].events & EPOLLOUT) && c->out < reqlen) {
                ssize_t w = write(c->fd, req + c->out, reqlen - c->out);
                if (w > 0)
                    c->out += (size_t)w;
                if (c->out == reqlen) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            for (;;) {
                if (c->cap - c->len < 65536) {
                    c->cap = c->cap ? c->cap * 2 : 131072;
                    c->buf = realloc(c->buf, c->cap);
                }
                ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
                if (r <= 0) {
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                        errors++; /* closed: reconnect */
                        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                        close(c->fd);
                        open_conn(c, ep);
                    }
                    break;
                }
                c->len += (size_t)r;
                int status = 0;
                size_t done = complete(c, &status);
                if (done == 0)
                    continue;
                double t = now();
                if (status < 200 || status > 299) {
                    errors++;
                } else {
                    if (nlat == caplat) {
                        caplat = caplat ? caplat * 2 : 1 << 16;
                        lat = realloc(lat, caplat * sizeof *lat);
                    }
                    lat[nlat++] = t - c->sent;
                }
                memmove(c->buf, c->buf + done, c->len - done);
                c->len -= done;
                c->out = 0;
                c->sent = t;
                struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                break;
            }
        }
    }
    double elapsed = now() - start;
    qsort(lat, nlat, sizeof *lat, cmp);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0;
    printf("%.0f %.3f %.3f %ld\n", (double)nlat / elapsed, p50 * 1e3, p99 * 1e3, errors);
    return 0;
}
