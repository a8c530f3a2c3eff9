/* web_form.c: bounded parsers of urlencoded and multipart/form-data bodies (see web_form.h). */
#include "web_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decode s[0..n) ('+' is a space) into out (cap bytes, NUL-terminated). Returns the
 * decoded length, or -1 when it does not fit or an escape is malformed. */
static long url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (k + 1 >= cap)
            return -1;
        out[k++] = c;
    }
    out[k] = '\0';
    return (long)k;
}

static obs_status too_many(obs_err *e)
{
    return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire trop grand ou mal formé");
}

/* Append a text field (value copied). */
static obs_status add_text(web_form *form, const char *name, const char *v, size_t len,
                           obs_err *e)
{
    if (form->n == WEB_FORM_MAX_FIELDS || len > WEB_FORM_MAX_TEXT)
        return too_many(e);
    web_field *f = &form->f[form->n];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->value = malloc(len + 1);
    if (f->value == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    memcpy(f->value, v, len);
    f->value[len] = '\0';
    f->data = f->value;
    f->len = len;
    form->n++;
    return OBS_OK;
}

static obs_status parse_urlencoded(const char *body, size_t len, web_form *form, obs_err *e)
{
    char name[64];
    char *val = malloc(WEB_FORM_MAX_TEXT + 1);
    if (val == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    obs_status rc = OBS_OK;
    size_t i = 0;
    while (rc == OBS_OK && i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        const char *eq = memchr(body + i, '=', end - i);
        size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
        long vl = 0;
        if (url_decode(body + i, nlen, name, sizeof name) < 0 ||
            (eq && (vl = url_decode(eq + 1, (size_t)(body + end - eq - 1), val,
                                    WEB_FORM_MAX_TEXT + 1)) < 0))
            rc = too_many(e);
        else if (nlen)
            rc = add_text(form, name, eq ? val : "", (size_t)vl, e);
        i = end + 1;
    }
    obs_wipe(val, WEB_FORM_MAX_TEXT + 1);
    free(val);
    return rc;
}

/* The value of parameter param ("boundary", "name", "filename") in a header value such as
 * `form-data; name="x"; filename="a.csv"`, into out. Returns 1 when found. */
static int header_param(const char *h, size_t hlen, const char *param, char *out, size_t cap)
{
    size_t pl = strlen(param);
    for (size_t i = 0; i + pl < hlen; i++) {
        if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ') && strncasecmp(h + i, param, pl) == 0 &&
            h[i + pl] == '=') {
            const char *v = h + i + pl + 1, *end = h + hlen;
            size_t k = 0;
            if (v < end && *v == '"') {
                v++;
                while (v < end && *v != '"' && k + 1 < cap)
                    out[k++] = *v++;
            } else {
                while (v < end && *v != ';' && *v != ' ' && k + 1 < cap)
                    out[k++] = *v++;
            }
            out[k] = '\0';
            return 1;
        }
    }
    return 0;
}

static const char *find_bytes(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl == 0 || hl < nl)
        return NULL;
    return memmem(h, hl, n, nl);
}

static obs_status parse_multipart(const char *body, size_t len, const char *ctype,
                                  web_form *form, obs_err *e)
{
    char boundary[80], delim[84];
    if (!header_param(ctype, strlen(ctype), "boundary", boundary, sizeof boundary) ||
        boundary[0] == '\0' || strlen(boundary) > 70)
        return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé (délimiteur)");
    size_t dl = (size_t)snprintf(delim, sizeof delim, "--%s", boundary);
    const char *end = body + len;
    const char *p = find_bytes(body, len, delim, dl);
    if (p == NULL)
        return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé");
    for (;;) {
        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return OBS_OK; /* closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé");
        p += 2;
        const char *hend = find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (hend == NULL)
            return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé (en-têtes)");
        char name[64] = "", filename[256] = "", pctype[128] = "";
        int has_file = 0;
        for (const char *line = p; line < hend;) {
            const char *eol = find_bytes(line, (size_t)(hend + 2 - line), "\r\n", 2);
            size_t ll = (size_t)(eol - line);
            if (ll > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
                header_param(line + 20, ll - 20, "name", name, sizeof name);
                has_file = header_param(line + 20, ll - 20, "filename", filename, sizeof filename);
            } else if (ll > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
                size_t k = 13;
                while (k < ll && line[k] == ' ')
                    k++;
                snprintf(pctype, sizeof pctype, "%.*s", (int)(ll - k), line + k);
            }
            line = eol + 2;
        }
        const char *data = hend + 4;
        /* The part ends at CRLF + delimiter. */
        char next[88];
        size_t nl = (size_t)snprintf(next, sizeof next, "\r\n%s", delim);
        const char *q = find_bytes(data, (size_t)(end - data), next, nl);
        if (q == NULL)
            return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé (fin de partie)");
        if (name[0] == '\0')
            return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "formulaire mal formé (nom de champ)");
        if (has_file) {
            if (form->n == WEB_FORM_MAX_FIELDS)
                return too_many(e);
            web_field *f = &form->f[form->n++];
            memset(f, 0, sizeof *f);
            snprintf(f->name, sizeof f->name, "%s", name);
            snprintf(f->filename, sizeof f->filename, "%s", filename);
            snprintf(f->ctype, sizeof f->ctype, "%s", pctype);
            f->data = data;
            f->len = (size_t)(q - data);
        } else {
            obs_status rc = add_text(form, name, data, (size_t)(q - data), e);
            if (rc)
                return rc;
        }
        p = q + 2;
    }
}

obs_status web_form_parse(const char *ctype, const char *body, size_t len, web_form *form,
                          obs_err *e)
{
    memset(form, 0, sizeof *form);
    if (body == NULL)
        body = "";
    if (ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
        return parse_urlencoded(body, len, form, e);
    if (ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0)
        return parse_multipart(body, len, ctype, form, e);
    return obs_fail(e, OBS_ERR_INPUT, "E_FORM", "type de formulaire non accepté");
}

const web_field *web_form_field(const web_form *form, const char *name)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->f[i].name, name) == 0)
            return &form->f[i];
    return NULL;
}

const char *web_form_get(const web_form *form, const char *name)
{
    const web_field *f = web_form_field(form, name);
    return f ? f->value : NULL;
}

void web_form_free(web_form *form)
{
    if (form == NULL)
        return;
    for (size_t i = 0; i < form->n; i++) {
        if (form->f[i].value) {
            obs_wipe(form->f[i].value, form->f[i].len);
            free(form->f[i].value);
        }
        form->f[i].value = NULL;
    }
    form->n = 0;
}
