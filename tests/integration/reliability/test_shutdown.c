/* test_shutdown.c: SIGTERM during uploads (issue 11, point 8; docs/reliability.md, "Graceful
 * shutdown"). Uploads whose body is half sent when the signal arrives are finished, stored and
 * answered; connections opened after it are refused; the process exits 0 within a bound. The
 * uploads are raw sockets, so that "in flight" is certain: the second half of each body is
 * sent only after the signal. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "hostile_client.h"
#include "web_client.h"

static it_server S;
static int year;
static char month[16], upload_month[16];
#define NUP 4
static char tok[NUP][80], post[NUP][24];
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_shutdown");
    web_periods(&year, month, upload_month);
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year % 10000);
    for (int i = 0; i < NUP; i++) {
        snprintf(post[i], sizeof post[i], "ISCG-075-%02d", i + 1);
        it_post_add(&S, post[i], "75", opened);
        it_user_add(&S, "post", post[i], tok[i]);
    }
    it_start(&S, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (S.pid > 0) /* the test stops the server itself; not when it failed before */
        it_stop_checked(&S);
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The status of the answer on fd (read until the server closes, at most 30 s), -1 if none. */
static int read_status(int fd)
{
    char buf[8192];
    size_t len = 0;
    struct pollfd p = {fd, POLLIN, 0};
    for (int i = 0; i < 300 && len < sizeof buf - 1; i++) {
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    buf[len] = '\0';
    int st = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &st) != 1)
        return -1;
    return st;
}

static void test_sigterm_during_uploads(void **state)
{
    (void)state;
    int fd[NUP];
    char body[NUP][2048];
    size_t blen[NUP];
    for (int i = 0; i < NUP; i++) {
        int n = 0;
        n += snprintf(body[i] + n, sizeof body[i] - (size_t)n, HEADER);
        for (int row = 0; row < 12; row++)
            n += snprintf(body[i] + n, sizeof body[i] - (size_t)n,
                          "%s-%02d;R-%d;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                          upload_month, row % 2 + 1, row);
        blen[i] = (size_t)n;
        char head[512];
        int h = snprintf(head, sizeof head,
                         "PUT /api/v1/grids/%s/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Authorization: Bearer %s\r\nContent-Type: text/csv\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                         post[i], upload_month, tok[i], blen[i]);
        fd[i] = hc_connect(&S, NULL);
        assert_true(fd[i] >= 0);
        assert_int_equal(send_all(fd[i], head, (size_t)h), 0);
        assert_int_equal(send_all(fd[i], body[i], blen[i] / 2), 0);
    }
    usleep(300 * 1000); /* the server has read the headers and half of each body */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(S.pid, SIGTERM), 0);
    /* New connections are refused once the daemon has quiesced (bounded: 10 s). */
    int refused = 0;
    for (int i = 0; i < 100 && !refused; i++) {
        int c = hc_connect(&S, NULL);
        if (c < 0)
            refused = errno == ECONNREFUSED;
        else
            close(c);
        if (!refused)
            usleep(100 * 1000);
    }
    assert_true(refused);
    /* The uploads in flight finish and are answered. */
    int created = 0;
    for (int i = 0; i < NUP; i++) {
        assert_int_equal(send_all(fd[i], body[i] + blen[i] / 2, blen[i] - blen[i] / 2), 0);
        int st = read_status(fd[i]);
        close(fd[i]);
        assert_int_equal(st, 201);
        created++;
    }
    /* The process exits 0 (bounded: 30 s). */
    int status = -1, gone = 0;
    for (int i = 0; i < 300 && !gone; i++) {
        gone = waitpid(S.pid, &status, WNOHANG) == S.pid;
        if (!gone)
            usleep(100 * 1000);
    }
    assert_true(gone);
    S.pid = 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    PGconn *c = it_db(&S);
    long stored = it_sql_long(c, "SELECT count(*) FROM grid");
    long rows = it_sql_long(c, "SELECT count(*) FROM contact");
    PQfinish(c);
    printf("SIGTERM with %d uploads half sent: %d answered 201, %ld grids and %ld rows stored, "
           "new connections refused, exit 0 after %.1f s\n",
           NUP, created, stored, rows,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_int_equal(stored, NUP);
    assert_int_equal(rows, NUP * 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigterm_during_uploads),
    };
    int failed = cmocka_run_group_tests_name("integration_shutdown", tests, setup, teardown);
    return failed || it_stop_failures;
}
