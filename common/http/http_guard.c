/* http_guard.c: what the daemon refuses before any route sees a request: NUL bytes and
 * invalid UTF-8 in the path or in a query parameter (docs/reliability.md, "Hostile HTTP").
 *
 * libmicrohttpd percent-decodes the path and each query name and value in place, and then
 * hands them over as C strings: an encoded NUL (%00) would silently cut "/a%00/../b" to "/a".
 * Our unescape callback decodes as libmicrohttpd does and turns a decoded NUL into the byte
 * 0xFF, which is never valid UTF-8: obs_http_input_ok then refuses the request (400). */
#include "http_guard.h"

#include <string.h>

#include "text.h"

size_t obs_http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    size_t n = MHD_http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = (char)0xFF;
    return n;
}

typedef struct scan {
    int bad;
} scan;

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    scan *sc = cls;
    if ((key && !obs_utf8_valid(key, strlen(key))) ||
        (value && !obs_utf8_valid(value, strlen(value)))) {
        sc->bad = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

int obs_http_input_ok(struct MHD_Connection *conn, const char *path)
{
    if (path == NULL || !obs_utf8_valid(path, strlen(path)))
        return 0;
    scan sc = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, scan_arg, &sc);
    return !sc.bad;
}

size_t obs_http_allow(const char *const *methods, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    int get = 0;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(methods[i], methods[j]) == 0;
        if (dup)
            continue;
        get |= strcmp(methods[i], "GET") == 0;
        size_t k = strlen(methods[i]);
        if (len + k + 3 > cap)
            break;
        if (len) {
            memcpy(out + len, ", ", 2);
            len += 2;
        }
        memcpy(out + len, methods[i], k);
        len += k;
        out[len] = '\0';
    }
    if (get && len + 7 < cap) { /* GET routes serve HEAD too */
        memcpy(out + len, ", HEAD", 7);
        len += 6;
    }
    return len;
}
