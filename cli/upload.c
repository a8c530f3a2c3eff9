/* upload.c: `iscgobs upload DIR|FILE... --url U --token T [--jobs N]`, the bulk
 * uploader: PUT every grid file to /api/v1/grids/{post}/{YYYY-MM} with N worker threads
 * (one libcurl easy handle each), a progress bar on a terminal, a summary at the end.
 *
 * Reception times: when a manifest.csv written by `iscgobs demo` sits next to the files (in
 * the file's folder or the one above it) and lists a file, its received_at is passed as a
 * query parameter, which the server honours for administrators only.
 * The token is never printed; neither are the validation messages of rejected grids, which
 * may quote personal values of the file (only line, column and code are shown).
 * Finding the files and reading the manifests: upload_files.c.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "upload.h"
#include "grid.h"

#define UP_MAX_JOBS 64
#define UP_MAX_FILE (256u << 20)   /* refuse to read more than this into memory */
#define UP_MAX_REPLY (4u << 20)    /* keep at most this much of a response body */
#define UP_TRIES 5                 /* attempts for a 503 answer */
#define UP_MAX_ISSUES 5            /* validation issues printed per rejected file */

typedef struct up_ctx {
    up_file *files;
    size_t nfiles;
    const char *url;   /* base URL without trailing '/' */
    size_t url_len;
    char *auth;        /* "Authorization: Bearer ..." (wiped and freed at the end) */
    pthread_mutex_t mu;
    size_t next;       /* next file to take */
    int stop;          /* stop taking files (token refused, server unreachable) */
    size_t done, accepted, rejected, transport;
    long long rows;
    int tty;
    struct timespec started, drawn;
} up_ctx;

static void usage(FILE *f)
{
    fputs("Usage : iscgobs upload DIR|FICHIER... --url URL [--token JETON] [--jobs N]\n"
          "Dépose chaque grille <poste>_<AAAA-MM>.csv|.xml|.xlsx|.ods (PUT URL/api/v1/grids/<poste>/<AAAA-MM>).\n"
          "Un DIR désigne toutes les grilles de DIR et de DIR/grids. Si un manifest.csv (écrit par\n"
          "iscgobs demo) accompagne les fichiers, la date de réception simulée est transmise.\n"
          "  --url URL      adresse du service, par exemple http://127.0.0.1:8080\n"
          "  --token JETON  jeton d'accès (sinon la variable d'environnement ISCGOBS_TOKEN)\n"
          "  --jobs N       envois en parallèle, 1 à 64 (défaut : 4)\n"
          "Code de sortie : 0 tout accepté, 1 au moins un rejet ou une erreur de transport,\n"
          "2 erreur d'utilisation.\n",
          f);
}

/* ---- progress and messages ---- */

/* n with a space every three digits ("98 765"). */
static void thousands(long long n, char *out, size_t cap)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", n < 0 ? -n : n);
    size_t o = 0;
    if (n < 0 && o + 1 < cap)
        out[o++] = '-';
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ' ';
        out[o++] = tmp[i];
    }
    out[o] = '\0';
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Redraw the bar in place (caller holds the mutex); at most every 100 ms unless forced. */
static void draw_bar(up_ctx *c, int force)
{
    if (!c->tty)
        return;
    if (!force && seconds_since(&c->drawn) < 0.1)
        return;
    clock_gettime(CLOCK_MONOTONIC, &c->drawn);
    char bar[31], rows[32];
    size_t fill = c->nfiles ? c->done * 30 / c->nfiles : 30;
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    thousands(c->rows, rows, sizeof rows);
    fprintf(stderr, "\r[%s] %zu/%zu grilles, %s lignes, %zu rejetée%s\033[K", bar, c->done,
            c->nfiles, rows, c->rejected + c->transport, c->rejected + c->transport > 1 ? "s" : "");
    fflush(stderr);
}

/* Erase the bar before printing a message line (caller holds the mutex). */
static void clear_bar(const up_ctx *c)
{
    if (c->tty)
        fputs("\r\033[K", stderr);
}

/* Print why a file was refused, from the JSON body: {"error":{code,message}} and/or a
 * validation report {"errors":[{line,column,code,message}]}. The report's messages are not
 * printed: they may quote the file's personal values; line, column and code locate the
 * problem. Caller holds the mutex. */
static void print_rejection(const up_file *f, long http, const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *err = root ? json_object_get(root, "error") : NULL;
    json_t *errors = root ? json_object_get(root, "errors") : NULL;
    fprintf(stderr, "%s : rejeté (HTTP %ld)", f->base, http);
    if (json_is_object(err)) {
        const char *code = json_string_value(json_object_get(err, "code"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        fprintf(stderr, " %s%s%s", code ? code : "?", msg ? " : " : "", msg ? msg : "");
    } else if (!json_is_array(errors)) {
        fputs(" (réponse sans détail JSON)", stderr);
    }
    fputc('\n', stderr);
    size_t n = json_is_array(errors) ? json_array_size(errors) : 0;
    for (size_t i = 0; i < n && i < UP_MAX_ISSUES; i++) {
        json_t *it = json_array_get(errors, i);
        const char *code = json_string_value(json_object_get(it, "code"));
        const char *col = json_string_value(json_object_get(it, "column"));
        json_int_t line = json_integer_value(json_object_get(it, "line"));
        fprintf(stderr, "    ligne %lld%s%s : %s\n", (long long)line, col && *col ? ", colonne " : "",
                col && *col ? col : "", code ? code : "?");
    }
    if (n > UP_MAX_ISSUES)
        fprintf(stderr, "    ... et %zu autre%s\n", n - UP_MAX_ISSUES, n - UP_MAX_ISSUES > 1 ? "s" : "");
    json_decref(root);
}

/* Header callback: sets *ud to 1 when the server says the upload was byte-identical to the
 * stored version (`X-Upload-Outcome: unchanged`; the receipt itself is the same either way). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    size_t n = size * nmemb;
    static const char name[] = "X-Upload-Outcome:";
    if (n > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        while (*v == ' ')
            v++;
        *(int *)ud = strncmp(v, "unchanged", 9) == 0;
    }
    return n;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    obs_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n <= UP_MAX_REPLY)
        (void)obs_buf_append(b, p, n); /* beyond the cap the rest is dropped, not an error */
    return n;
}

/* Read a whole file into b (capped). 0 on success, else errno-like value. */
static int read_file(const char *path, obs_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno ? errno : EIO;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (obs_buf_append(b, chunk, n) != OBS_OK)
            rc = EFBIG;
    if (rc == 0 && ferror(f))
        rc = EIO;
    fclose(f);
    return rc;
}

/* Append header h to list l; on failure set *fail and return l unchanged. */
static struct curl_slist *add_header(struct curl_slist *l, const char *h, int *fail)
{
    if (*fail)
        return l;
    struct curl_slist *t = curl_slist_append(l, h);
    if (t == NULL)
        *fail = 1;
    return t ? t : l;
}

/* Upload one file with handle h, retrying 503 answers; records the outcome and prints
 * rejections. */
static void upload_one(up_ctx *c, CURL *h, up_file *f)
{
    obs_buf body, reply, url;
    obs_buf_init(&body, UP_MAX_FILE);
    obs_buf_init(&reply, 0);
    obs_buf_init(&url, 0);
    long http = 0;
    int identical = 0;
    CURLcode cc = CURLE_OK;
    int err = read_file(f->path, &body);
    if (err) {
        pthread_mutex_lock(&c->mu);
        clear_bar(c);
        fprintf(stderr, "%s : lecture impossible : %s\n", f->base, strerror(err));
        f->outcome = UP_TRANSPORT;
        pthread_mutex_unlock(&c->mu);
        goto out;
    }
    char *q = f->received_at ? curl_easy_escape(h, f->received_at, 0) : NULL;
    obs_status rc = obs_buf_printf(&url, "%.*s/api/v1/grids/%s/%s%s%s", (int)c->url_len, c->url,
                                   f->post, f->period, q ? "?received_at=" : "", q ? q : "");
    curl_free(q);
    int fail = rc != OBS_OK;
    struct curl_slist *hdr = add_header(NULL, c->auth, &fail);
    static const char *const types[] = {"Content-Type: text/csv", "Content-Type: application/xml",
                                        "Content-Type: " COL_MEDIA_XLSX, "Content-Type: " COL_MEDIA_ODS};
    hdr = add_header(hdr, types[f->xml >= 0 && f->xml < 4 ? f->xml : 0], &fail);
    hdr = add_header(hdr, "Accept: application/json", &fail);
    hdr = add_header(hdr, "Expect:", &fail); /* no 100-continue round trip */
    if (fail) {
        curl_slist_free_all(hdr);
        pthread_mutex_lock(&c->mu);
        clear_bar(c);
        fprintf(stderr, "%s : mémoire insuffisante\n", f->base);
        f->outcome = UP_TRANSPORT;
        pthread_mutex_unlock(&c->mu);
        goto out;
    }
    for (int attempt = 1; attempt <= UP_TRIES; attempt++) {
        obs_buf_reset(&reply);
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url.data);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data ? body.data : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &identical);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "iscgobs-upload/1");
        cc = curl_easy_perform(h);
        if (cc != CURLE_OK)
            break;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
        if (http != 503 || attempt == UP_TRIES)
            break;
        curl_off_t wait = -1;
        curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &wait);
        if (wait <= 0)
            wait = (curl_off_t)1 << (attempt - 1); /* no Retry-After: 1, 2, 4, 8 s */
        if (wait > 60)
            wait = 60;
        sleep((unsigned)wait);
    }
    curl_slist_free_all(hdr);

    pthread_mutex_lock(&c->mu);
    if (cc != CURLE_OK) {
        clear_bar(c);
        fprintf(stderr, "%s : erreur de transport : %s\n", f->base, curl_easy_strerror(cc));
        f->outcome = UP_TRANSPORT;
        if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
            cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
            if (!c->stop)
                fprintf(stderr, "upload : service injoignable, arrêt des envois\n");
            c->stop = 1;
        }
    } else if (http == 200 || http == 201) {
        json_error_t jerr;
        json_t *root = json_loadb(reply.data ? reply.data : "", reply.len, 0, &jerr);
        json_t *rows = root ? json_object_get(root, "rows") : NULL;
        f->rows = json_is_integer(rows) ? (long)json_integer_value(rows) : 0;
        f->outcome = http == 201 ? UP_NEW : identical ? UP_IDENTICAL : UP_CORRECTED;
        json_decref(root);
    } else {
        clear_bar(c);
        print_rejection(f, http, reply.data, reply.len);
        f->outcome = UP_REJECTED;
        if (http == 401) {
            if (!c->stop)
                fprintf(stderr, "upload : jeton refusé, arrêt des envois\n");
            c->stop = 1;
        }
    }
    pthread_mutex_unlock(&c->mu);
out:
    obs_buf_wipe(&body);
    obs_buf_free(&reply);
    obs_buf_free(&url);
}

static void *worker(void *arg)
{
    up_ctx *c = arg;
    CURL *h = curl_easy_init();
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t i = c->next;
        int stop = c->stop || i >= c->nfiles || h == NULL;
        if (!stop)
            c->next++;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        up_file *f = &c->files[i];
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        upload_one(c, h, f);
        f->ms = seconds_since(&t0) * 1e3;
        pthread_mutex_lock(&c->mu);
        c->done++;
        if (f->outcome == UP_NEW || f->outcome == UP_CORRECTED || f->outcome == UP_IDENTICAL) {
            c->accepted++;
            c->rows += f->rows;
        } else if (f->outcome == UP_REJECTED) {
            c->rejected++;
        } else {
            c->transport++;
        }
        draw_bar(c, c->done == c->nfiles);
        pthread_mutex_unlock(&c->mu);
    }
    if (h == NULL) {
        pthread_mutex_lock(&c->mu);
        if (!c->stop)
            fprintf(stderr, "upload : libcurl indisponible\n");
        c->stop = 1;
        pthread_mutex_unlock(&c->mu);
    }
    curl_easy_cleanup(h);
    return NULL;
}

/* ---- the command ---- */

typedef struct up_opts {
    const char *url, *token;
    long jobs;
    char **paths;
    int npaths;
} up_opts;

/* 0 ok, 1 --help shown, 2 usage error (message printed). o->paths is allocated. */
static int parse_opts(int argc, char **argv, up_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
    o->paths = calloc((size_t)argc + 1, sizeof *o->paths);
    if (o->paths == NULL) {
        fprintf(stderr, "upload : mémoire insuffisante\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            o->paths[o->npaths++] = argv[i];
            continue;
        }
        static const char *const names[] = {"--url", "--token", "--jobs"};
        size_t k;
        const char *v = NULL;
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t nl = strlen(names[k]);
            if (strncmp(a, names[k], nl) == 0 && (a[nl] == '\0' || a[nl] == '=')) {
                v = a[nl] == '=' ? a + nl + 1 : i + 1 < argc ? argv[++i] : NULL;
                break;
            }
        }
        if (k == sizeof names / sizeof names[0]) {
            fprintf(stderr, "upload : option inconnue « %s » (voir iscgobs upload --help)\n", a);
            return 2;
        }
        if (v == NULL) {
            fprintf(stderr, "upload : l'option %s attend une valeur\n", names[k]);
            return 2;
        }
        if (k == 0) {
            o->url = v;
        } else if (k == 1) {
            o->token = v;
        } else {
            char *end;
            errno = 0;
            o->jobs = strtol(v, &end, 10);
            if (errno || *end || end == v || o->jobs < 1 || o->jobs > UP_MAX_JOBS) {
                fprintf(stderr, "upload : --jobs attend un entier de 1 à %d\n", UP_MAX_JOBS);
                return 2;
            }
        }
    }
    if (o->token == NULL || o->token[0] == '\0')
        o->token = getenv("ISCGOBS_TOKEN");
    if (o->npaths == 0) {
        fprintf(stderr, "upload : indiquez au moins un dossier ou un fichier (voir --help)\n");
        return 2;
    }
    if (o->url == NULL || (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)) {
        fprintf(stderr, "upload : --url http://... ou https://... est obligatoire\n");
        return 2;
    }
    if (o->token == NULL || o->token[0] == '\0') {
        fprintf(stderr, "upload : jeton manquant (--token ou variable ISCGOBS_TOKEN)\n");
        return 2;
    }
    if (strpbrk(o->token, "\r\n") != NULL) {
        fprintf(stderr, "upload : jeton invalide\n");
        return 2;
    }
    return 0;
}

static int cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The time each grid waited for its answer, as percentiles of the files sent: what a post
 * sees of the service under this load. */
static void latencies(const up_ctx *c)
{
    double *ms = malloc(sizeof(double) * (c->nfiles ? c->nfiles : 1));
    size_t n = 0;
    for (size_t i = 0; ms && i < c->nfiles; i++)
        if (c->files[i].ms > 0)
            ms[n++] = c->files[i].ms;
    if (n) {
        qsort(ms, n, sizeof *ms, cmp_ms);
        fprintf(stderr, "upload : attente par grille : p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
                ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], ms[n - 1]);
    }
    free(ms);
}

static void summary(const up_ctx *c)
{
    size_t n[UP_SKIPPED + 1] = {0};
    for (size_t i = 0; i < c->nfiles; i++)
        n[c->files[i].outcome]++;
    double secs = seconds_since(&c->started);
    char rows[32], rate[32];
    thousands(c->rows, rows, sizeof rows);
    thousands(secs > 0 ? (long long)((double)c->rows / secs) : 0, rate, sizeof rate);
    clear_bar(c);
    fprintf(stderr,
            "upload : %zu fichiers ; acceptés : %zu (nouveaux : %zu, corrigés : %zu, "
            "identiques : %zu) ; rejetés : %zu ; erreurs de transport : %zu",
            c->nfiles, c->accepted, n[UP_NEW], n[UP_CORRECTED], n[UP_IDENTICAL], n[UP_REJECTED],
            n[UP_TRANSPORT]);
    if (n[UP_PENDING])
        fprintf(stderr, " ; non envoyés : %zu", n[UP_PENDING]);
    fprintf(stderr, " ; %s lignes en %.1f s (%s lignes/s)\n", rows, secs, rate);
    latencies(c);
}

/* `iscgobs upload`: see upload.h and docs/demo.md. Returns 0 (all accepted), 1 (a rejection,
 * a transport error or a file not sent) or 2 (usage error). */
int cli_cmd_upload(int argc, char **argv)
{
    up_opts o;
    up_list l = {NULL, 0, 0};
    up_ctx c;
    memset(&c, 0, sizeof c);
    int status = 2, prc = parse_opts(argc, argv, &o);
    if (prc) {
        free(o.paths);
        return prc == 1 ? 0 : 2;
    }
    int grc = cli_upload_gather((const char *const *)o.paths, o.npaths, &l);
    if (grc == 0 && cli_upload_manifests(l.v, l.n) < 0)
        grc = -1;
    if (grc) {
        if (grc < 0)
            fprintf(stderr, "upload : mémoire insuffisante\n");
        status = grc < 0 ? 1 : 2;
        goto out;
    }
    c.files = l.v;
    c.nfiles = l.n;
    c.url = o.url;
    c.url_len = strlen(o.url);
    while (c.url_len > 0 && c.url[c.url_len - 1] == '/')
        c.url_len--;
    size_t alen = strlen("Authorization: Bearer ") + strlen(o.token) + 1;
    c.auth = malloc(alen);
    status = 1;
    if (c.auth == NULL) {
        fprintf(stderr, "upload : mémoire insuffisante\n");
        goto out;
    }
    snprintf(c.auth, alen, "Authorization: Bearer %s", o.token);
    c.tty = isatty(2);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "upload : initialisation de libcurl impossible\n");
        goto out;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing a connection must not kill us (CURLOPT_NOSIGNAL) */
    pthread_mutex_init(&c.mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &c.started);
    long njobs = o.jobs < (long)l.n ? o.jobs : (long)l.n;
    pthread_t th[UP_MAX_JOBS];
    long started = 0;
    for (; started < njobs; started++)
        if (pthread_create(&th[started], NULL, worker, &c) != 0)
            break;
    if (started == 0)
        worker(&c); /* no thread could start: do the work here */
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    summary(&c);
    pthread_mutex_destroy(&c.mu);
    curl_global_cleanup();
    status = c.accepted == c.nfiles ? 0 : 1;
out:
    if (c.auth) {
        obs_wipe(c.auth, strlen(c.auth));
        free(c.auth);
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].path);
        free(l.v[i].received_at);
    }
    free(l.v);
    free(o.paths);
    return status;
}
