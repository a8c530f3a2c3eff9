/* text.h: Unicode text helpers (libunistring): folding for matching, UTF-8 checks, cp1252.
 *
 * Folding is what makes `Dupont  Marie`, `DUPONT marie` and `dupont-marie` one reference,
 * and `Problématiques` the column `problematiques`.
 */
#ifndef OBS_TEXT_H
#define OBS_TEXT_H

#include <stddef.h>

#include "buf.h"

/* Fold UTF-8 text s[0..len): compatibility decomposition (NFKD), full uppercase mapping,
 * combining marks dropped, every run of characters that are neither letters nor digits
 * turned into one space, leading and trailing spaces removed. The result is appended to
 * out (NUL-terminated). Temporary copies are wiped before they are freed, since the text
 * may be a personal reference. OBS_ERR_INPUT when s is not valid UTF-8. */
obs_status obs_text_fold(const char *s, size_t len, obs_buf *out);

/* 1 when s[0..len) is valid UTF-8, else 0. */
int obs_utf8_valid(const char *s, size_t len);

/* Number of Unicode characters in valid UTF-8 s[0..len). */
size_t obs_utf8_chars(const char *s, size_t len);

/* Convert Windows-1252 bytes to UTF-8, appended to out. Bytes undefined in cp1252
 * (0x81 0x8D 0x8F 0x90 0x9D) give OBS_ERR_INPUT. */
obs_status obs_cp1252_to_utf8(const char *s, size_t len, obs_buf *out);

#endif
