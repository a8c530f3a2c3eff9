/* report.c: the validation report of one grid (col_report, see grid.h), and the helper
 * that quotes a post's own value inside a French message.
 *
 * Issues are appended in the order found; the first COL_MAX_ISSUES are kept with their
 * message, all are counted (errors and warnings apart) so that the reply can say "and 3,412
 * more". Messages may quote personal values of the uploading post (the report only goes
 * back to it), so they are wiped before they are freed.
 */
#include "grid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepare an empty report; nothing is allocated until the first issue. */
void col_report_init(col_report *r)
{
    memset(r, 0, sizeof *r);
}

/* Copy at most cap-1 bytes of s into dst, never cutting a UTF-8 sequence in two. */
static void copy_utf8_trunc(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] is a continuation byte: the character starting before it goes */
    }
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Add one issue (see grid.h). The code decides the class: 'W' first = warning, anything
 * else = error (so a typo in a code never hides an error). */
obs_status col_report_add(col_report *r, int line, const char *column, const char *code,
                          const char *fmt, ...)
{
    int warning = code != NULL && code[0] == 'W';
    if (warning)
        r->nwarnings++;
    else
        r->nerrors++;
    if (r->n >= COL_MAX_ISSUES)
        return OBS_OK;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if (cap > COL_MAX_ISSUES)
            cap = COL_MAX_ISSUES;
        col_issue *p = realloc(r->items, cap * sizeof *p);
        if (p == NULL)
            return OBS_ERR_NOMEM;
        r->items = p;
        r->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    va_list cp;
    va_copy(cp, ap);
    int len = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)len + 1, fmt, ap);
    va_end(ap);
    if (msg == NULL)
        return OBS_ERR_NOMEM;
    col_issue *it = &r->items[r->n++];
    it->line = line;
    it->cell[0] = '\0';
    copy_utf8_trunc(it->column, sizeof it->column, column ? column : "");
    copy_utf8_trunc(it->code, sizeof it->code, code ? code : "E_UNKNOWN");
    it->message = msg;
    return OBS_OK;
}

/* Wipe and free every message, free the array, leave the report empty. Accepts NULL. */
void col_report_free(col_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].message) {
            obs_wipe(r->items[i].message, strlen(r->items[i].message));
            free(r->items[i].message);
        }
    }
    free(r->items);
    col_report_init(r);
}

/* Length of the UTF-8 sequence that starts with byte c (1 for a stray byte). */
static size_t utf8_seq_len(unsigned char c)
{
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

/* Quote a post's value for a message (see grid.h): at most COL_QUOTE_CHARS characters,
 * control characters (line breaks of a quoted cell...) shown as spaces, "…" when cut. */
const char *col_report_quote(char *buf, size_t cap, const char *s, size_t len)
{
    size_t o = 0, chars = 0, i = 0;
    if (cap == 0)
        return "";
    while (i < len && chars < COL_QUOTE_CHARS) {
        unsigned char c = (unsigned char)s[i];
        size_t k = utf8_seq_len(c);
        if (i + k > len)
            k = len - i;
        if (o + k + 1 > cap)
            break;
        if (c < 0x20 || c == 0x7F) {
            buf[o++] = ' ';
        } else {
            memcpy(buf + o, s + i, k);
            o += k;
        }
        i += k;
        chars++;
    }
    if (i < len && o + 4 <= cap) {
        memcpy(buf + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
