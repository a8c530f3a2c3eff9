/* text.c: Unicode folding (libunistring), UTF-8 checks and Windows-1252 decoding. */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* The fold of ASCII text, without libunistring (the same result: NFKD and the uppercase
 * mapping leave ASCII alone but for a-z, and no ASCII character is a combining mark). Most
 * references are ASCII: this is the hot path of every upload. */
static obs_status fold_ascii(const char *s, size_t len, obs_buf *out)
{
    int space = 0;
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum) {
            space = out->len > start;
            continue;
        }
        obs_status rc = space ? obs_buf_putc(out, ' ') : OBS_OK;
        space = 0;
        if (rc == OBS_OK)
            rc = obs_buf_putc(out, c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
        if (rc)
            return rc;
    }
    return obs_buf_append(out, "", 0);
}

obs_status obs_text_fold(const char *s, size_t len, obs_buf *out)
{
    size_t ascii = 0;
    while (ascii < len && (unsigned char)s[ascii] < 0x80)
        ascii++;
    if (ascii == len)
        return fold_ascii(s, len, out);
    if (u8_check((const uint8_t *)s, len) != NULL)
        return OBS_ERR_INPUT;
    size_t n = 0;
    uint8_t *up = u8_toupper((const uint8_t *)s, len, NULL, UNINORM_NFKD, NULL, &n);
    if (up == NULL)
        return OBS_ERR_NOMEM;
    obs_status rc = OBS_OK;
    int pending_space = 0;
    size_t start = out->len;
    const uint8_t *p = up, *end = up + n;
    while (p < end) {
        ucs4_t c;
        int k = u8_mbtouc(&c, p, (size_t)(end - p));
        p += k;
        if (uc_is_general_category(c, UC_CATEGORY_M))
            continue;
        if (!uc_is_alnum(c)) {
            pending_space = out->len > start;
            continue;
        }
        if (pending_space) {
            rc = obs_buf_putc(out, ' ');
            pending_space = 0;
        }
        uint8_t tmp[6];
        int w = u8_uctomb(tmp, c, sizeof tmp);
        if (rc == OBS_OK && w > 0)
            rc = obs_buf_append(out, tmp, (size_t)w);
        obs_wipe(tmp, sizeof tmp);
        if (rc)
            break;
    }
    obs_wipe(up, n);
    free(up);
    if (out->data == NULL && rc == OBS_OK)
        rc = obs_buf_append(out, "", 0);
    return rc;
}

int obs_utf8_valid(const char *s, size_t len)
{
    return u8_check((const uint8_t *)s, len) == NULL;
}

size_t obs_utf8_chars(const char *s, size_t len)
{
    return u8_mbsnlen((const uint8_t *)s, len);
}

/* Unicode code points of bytes 0x80..0x9F in Windows-1252; 0 = undefined. */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

obs_status obs_cp1252_to_utf8(const char *s, size_t len, obs_buf *out)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        ucs4_t c = b;
        if (b >= 0x80 && b < 0xA0) {
            c = cp1252_high[b - 0x80];
            if (c == 0)
                return OBS_ERR_INPUT;
        }
        uint8_t tmp[6];
        int w = u8_uctomb(tmp, c, sizeof tmp);
        obs_status rc = obs_buf_append(out, tmp, (size_t)w);
        if (rc)
            return rc;
    }
    if (out->data == NULL)
        return obs_buf_append(out, "", 0);
    return OBS_OK;
}
