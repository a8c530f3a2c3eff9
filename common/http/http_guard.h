/* http_guard.h: input checks of the daemon before routing (http_guard.c). */
#ifndef OBS_HTTP_GUARD_H
#define OBS_HTTP_GUARD_H

#include <microhttpd.h>
#include <stddef.h>

/* libmicrohttpd's MHD_OPTION_UNESCAPE_CALLBACK: percent-decode s in place (as libmicrohttpd
 * does) and mark a decoded NUL as the invalid byte 0xFF. Returns the decoded length. */
size_t obs_http_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* 1 when path and every query name and value are valid UTF-8 (no NUL, see above); 0 means
 * the request is answered 400. */
int obs_http_input_ok(struct MHD_Connection *conn, const char *path);

/* The value of an Allow header for the n methods (duplicates dropped, HEAD added after GET)
 * into out (cap bytes, NUL-terminated); returns its length. */
size_t obs_http_allow(const char *const *methods, size_t n, char *out, size_t cap);

#endif
