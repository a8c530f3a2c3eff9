/* html.c: the escaping writer of every HTML page, French number formats, templates
 * (see html.h and docs/html.md). */
#include "html.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void exp_html_init(exp_html *h, obs_buf *out)
{
    h->out = out;
    h->rc = OBS_OK;
}

static void put(exp_html *h, const char *p, size_t n)
{
    if (h->rc == OBS_OK && n)
        h->rc = obs_buf_append(h->out, p, n);
}

void exp_html_raw(exp_html *h, const char *markup)
{
    if (markup)
        put(h, markup, strlen(markup));
}

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when it is not one: bad lead
 * byte, missing continuation, overlong form, surrogate, beyond U+10FFFF, or U+FFFE/U+FFFF
 * (not XML characters). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

/* Escape s[0..n) for text and attribute values alike. */
static void escape(exp_html *h, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes of p[i - run .. i) to copy as they are */
    size_t i = 0;
    while (i < n) {
        const char *rep = NULL;
        size_t skip = 1;
        unsigned c = p[i];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\t': case '\n': case '\r': break;
        default:
            if (c < 0x20 || c == 0x7F) {
                rep = ""; /* dropped */
            } else if (c >= 0x80) {
                skip = utf8_seq(p + i, n - i);
                if (skip == 0) {
                    rep = "\xEF\xBF\xBD"; /* U+FFFD */
                    skip = 1;
                }
            }
        }
        if (rep) {
            put(h, (const char *)p + i - run, run);
            put(h, rep, strlen(rep));
            run = 0;
        } else {
            run += skip;
        }
        i += skip;
    }
    put(h, (const char *)p + n - run, run);
}

void exp_html_textn(exp_html *h, const char *s, size_t n)
{
    if (s)
        escape(h, s, n);
}

void exp_html_text(exp_html *h, const char *s)
{
    if (s)
        escape(h, s, strlen(s));
}

void exp_html_attr(exp_html *h, const char *name, const char *value)
{
    if (value == NULL)
        return;
    put(h, " ", 1);
    exp_html_raw(h, name);
    put(h, "=\"", 2);
    escape(h, value, strlen(value));
    put(h, "\"", 1);
}

void exp_html_num(exp_html *h, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        escape(h, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void exp_html_elem(exp_html *h, const char *open_markup, const char *text,
                   const char *close_markup)
{
    exp_html_raw(h, open_markup);
    exp_html_text(h, text);
    exp_html_raw(h, close_markup);
}

void exp_fmt_count(double v, char *out, size_t cap)
{
    char digits[32];
    long long x = llround(v);
    int neg = x < 0;
    snprintf(digits, sizeof digits, "%lld", neg ? -x : x);
    size_t nd = strlen(digits), k = 0;
    if (cap == 0)
        return;
    if (neg && k + 1 < cap)
        out[k++] = '-';
    for (size_t i = 0; i < nd; i++) {
        if (i && (nd - i) % 3 == 0) {
            if (k + 3 >= cap)
                break;
            memcpy(out + k, "\xE2\x80\xAF", 3); /* U+202F narrow no-break space */
            k += 3;
        }
        if (k + 1 >= cap)
            break;
        out[k++] = digits[i];
    }
    out[k] = '\0';
}

void exp_fmt_pct(double v, char *out, size_t cap)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.1f", round(v * 10.0) / 10.0);
    char *dot = strchr(tmp, '.');
    if (dot)
        *dot = ',';
    snprintf(out, cap, "%s\xC2\xA0%%", tmp); /* U+00A0 before the sign, as French writes it */
}

const char *exp_template_text(const char *name)
{
    return obs_blob_find(exp_templates, name);
}

static const exp_tpl_var *find_var(const exp_tpl_var *vars, size_t n, const char *name,
                                   size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && strncmp(vars[i].name, name, len) == 0)
            return &vars[i];
    return NULL;
}

void exp_html_template(exp_html *h, const char *name, const exp_tpl_var *vars, size_t n)
{
    const char *t = exp_template_text(name);
    if (t == NULL) {
        if (h->rc == OBS_OK)
            h->rc = OBS_ERR_INTERNAL;
        return;
    }
    const char *p = t;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        put(h, p, (size_t)(open - p));
        int raw = open[2] == '{';
        const char *nm = open + (raw ? 3 : 2);
        const char *close = strstr(nm, raw ? "}}}" : "}}");
        const exp_tpl_var *v = close ? find_var(vars, n, nm, (size_t)(close - nm)) : NULL;
        if (v == NULL) {
            if (h->rc == OBS_OK)
                h->rc = OBS_ERR_INTERNAL; /* a template names a variable nobody gives */
            return;
        }
        if (raw)
            exp_html_raw(h, v->html);
        else
            exp_html_text(h, v->text);
        p = close + (raw ? 3 : 2);
    }
    exp_html_raw(h, p);
}
