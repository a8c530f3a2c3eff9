/* buf.h: a growable byte buffer with a hard ceiling set at creation.
 *
 * Every input that arrives (request bodies, files, COPY batches) and every output that is
 * built goes through one. Appending past the ceiling fails with OBS_ERR_TOO_LARGE and
 * leaves the buffer as it was; the data is always NUL-terminated for convenience.
 * The buffer owns its memory; obs_buf_free releases it (and accepts a zeroed buffer).
 */
#ifndef OBS_BUF_H
#define OBS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "status.h"

typedef struct obs_buf {
    char *data; /* len bytes + a NUL; NULL until the first append */
    size_t len; /* bytes in use, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* ceiling for len; 0 means SIZE_MAX / 2 */
} obs_buf;

/* Prepare an empty buffer that will refuse to grow past max bytes. */
void obs_buf_init(obs_buf *b, size_t max);

/* Append n bytes. OBS_ERR_TOO_LARGE past the ceiling, OBS_ERR_NOMEM on allocation failure;
 * on failure the content is unchanged. */
obs_status obs_buf_append(obs_buf *b, const void *p, size_t n);
obs_status obs_buf_puts(obs_buf *b, const char *s);
/* Make room for n more bytes now, so that appends up to them allocate nothing later:
 * OBS_ERR_TOO_LARGE past max, OBS_ERR_NOMEM without memory. */
obs_status obs_buf_reserve(obs_buf *b, size_t n);
obs_status obs_buf_putc(obs_buf *b, char c);
obs_status obs_buf_printf(obs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
obs_status obs_buf_vprintf(obs_buf *b, const char *fmt, va_list ap);

/* Forget the content, keep the memory. */
void obs_buf_reset(obs_buf *b);

/* Hand the data (NUL-terminated, possibly NULL when empty) to the caller, who frees it;
 * the buffer is left empty. */
char *obs_buf_steal(obs_buf *b);

/* Release the memory. */
void obs_buf_free(obs_buf *b);

/* Overwrite the whole allocation with zeros, then release it: for buffers that held a
 * raw upload or any personal value. */
void obs_buf_wipe(obs_buf *b);

/* Zero memory in a way the compiler may not remove. */
void obs_wipe(void *p, size_t n);

#endif
