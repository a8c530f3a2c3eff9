/* web_client.h: what the web and SDMX tests share (test_html.c, test_web_login.c,
 * test_browser.c, test_sdmx.c): an HTTP client that keeps cookies and every response header,
 * checks of pages (strict XML, unique ids, labels bound to controls, charts beside the table
 * of their data, nothing external), the demo year they load, logging in and the post's upload
 * form, and reading cells out of a page. Header-only (static functions): the Makefile builds
 * each integration test from one file plus harness.c. */
#ifndef IT_WEB_CLIENT_H
#define IT_WEB_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Helpers: not every test uses each one. */
#define WEB_FN static __attribute__((unused))

typedef struct web_resp {
    long status;
    char *body;
    size_t len;
    char location[256];
    char cookies[4][400]; /* Set-Cookie values */
    int ncookies;
    char csp[400];
    char headers[8192]; /* every response header as received, NUL-terminated (truncated) */
    size_t hlen;
} web_resp;

WEB_FN size_t web_collect(char *p, size_t size, size_t n, void *arg)
{
    web_resp *r = arg;
    return it_append(&r->body, &r->len, p, size * n);
}

/* The periods the page tests use: *year = last year (the demo year), month = its June,
 * upload_month = the current month (begun, not locked: an upload now is on time). */
WEB_FN void web_periods(int *year, char month[16], char upload_month[16])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    *year = tm.tm_year + 1900 - 1;
    snprintf(month, 16, "%04d-06", *year % 10000);
    snprintf(upload_month, 16, "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
}

WEB_FN void web_hval(const char *p, size_t k, size_t skip, char *out, size_t cap)
{
    size_t n = k - skip;
    while (n && (p[skip + n - 1] == '\r' || p[skip + n - 1] == '\n'))
        n--;
    snprintf(out, cap, "%.*s", (int)n, p + skip);
}

WEB_FN size_t web_header(char *p, size_t size, size_t n, void *arg)
{
    web_resp *r = arg;
    size_t k = size * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    if (k > 10 && strncasecmp(p, "Location: ", 10) == 0)
        web_hval(p, k, 10, r->location, sizeof r->location);
    if (k > 12 && strncasecmp(p, "Set-Cookie: ", 12) == 0 && r->ncookies < 4)
        web_hval(p, k, 12, r->cookies[r->ncookies++], sizeof r->cookies[0]);
    if (k > 25 && strncasecmp(p, "Content-Security-Policy: ", 25) == 0)
        web_hval(p, k, 25, r->csp, sizeof r->csp);
    return k;
}

/* One request with the request headers hdr (freed here); the curl outcome. */
WEB_FN CURLcode web_request(const it_server *s, const char *method, const char *path,
                            struct curl_slist *hdr, const void *body, size_t len, web_resp *r)
{
    memset(r, 0, sizeof *r);
    CURLcode rc = it_request(s, method, path, hdr, body, len, web_collect, web_header, r,
                             &r->status, NULL, 0);
    if (r->body == NULL)
        r->body = calloc(1, 1);
    return rc;
}

/* One request; cookie ("a=b; c=d"), ctype, extra header may be NULL. */
WEB_FN void web(const it_server *s, const char *method, const char *path, const char *cookie,
                const char *ctype, const void *body, size_t len, const char *extra, web_resp *r)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");
    hdr = it_header(hdr, "Cookie: %s", cookie);
    hdr = it_header(hdr, "Content-Type: %s", ctype);
    if (extra)
        hdr = curl_slist_append(hdr, extra);
    web_request(s, method, path, hdr, body, len, r);
}

/* GET with up to two request headers ("Name: value", NULL to skip) and no Accept header
 * unless one of them is; the transfer must succeed (the answer may be any status). */
WEB_FN void web_get(const it_server *s, const char *path, const char *h1, const char *h2,
                    web_resp *r)
{
    struct curl_slist *hd = curl_slist_append(NULL, "Accept:");
    if (h1)
        hd = curl_slist_append(hd, h1);
    if (h2)
        hd = curl_slist_append(hd, h2);
    assert_int_equal(web_request(s, "GET", path, hd, NULL, 0, r), CURLE_OK);
}

/* The value of response header name (case-insensitive, the last one sent) into out, ""
 * when absent. */
WEB_FN const char *web_header_value(const web_resp *r, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = r->headers; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
    return out;
}

/* How many times response header name (case-insensitive) was sent. */
WEB_FN int web_header_count(const web_resp *r, const char *name)
{
    int k = 0;
    size_t n = strlen(name);
    for (const char *p = r->headers; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        k += strncasecmp(p, name, n) == 0 && p[n] == ':';
    return k;
}

WEB_FN void web_free(web_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* The value of cookie name among the response's Set-Cookie headers, into out ("" if none);
 * the whole header into full when not NULL. */
WEB_FN int web_cookie(const web_resp *r, const char *name, char *out, size_t cap, char *full,
                      size_t fcap)
{
    size_t nl = strlen(name);
    for (int i = 0; i < r->ncookies; i++)
        if (strncmp(r->cookies[i], name, nl) == 0 && r->cookies[i][nl] == '=') {
            snprintf(out, cap, "%.*s", (int)strcspn(r->cookies[i] + nl + 1, ";"),
                     r->cookies[i] + nl + 1);
            if (full)
                snprintf(full, fcap, "%s", r->cookies[i]);
            return 1;
        }
    out[0] = '\0';
    return 0;
}

/* The value attribute of the hidden input named csrf (first one) into out[65]. */
WEB_FN void web_csrf(const char *html, char out[65])
{
    const char *p = strstr(html, "name=\"csrf\" value=\"");
    out[0] = '\0';
    if (p)
        snprintf(out, 65, "%.64s", p + 19);
}

/* ---- strict parsing ---- */

/* Log in with a token (ident NULL) or a name and password, the browser presenting the
 * session cookie old ("iscgobs_session=...", NULL: none) with the form; returns the new
 * session cookie in cookie (cap bytes) and the session's CSRF token into csrf[65]. */
WEB_FN void web_login_over(it_server *s, const char *old, const char *ident, const char *secret,
                           char *cookie, size_t cap, char csrf[65])
{
    web_resp r;
    web(s, "GET", "/connexion", NULL, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    char form_csrf[65], ck[80], body[600], jar[200];
    web_csrf(r.body, form_csrf);
    assert_true(web_cookie(&r, "iscgobs_login_csrf", ck, sizeof ck, NULL, 0));
    assert_string_equal(ck, form_csrf);
    web_free(&r);
    snprintf(jar, sizeof jar, "iscgobs_login_csrf=%s%s%s", ck, old ? "; " : "", old ? old : "");
    snprintf(body, sizeof body, "csrf=%s&identifiant=%s&secret=%s", form_csrf,
             ident ? ident : "", secret);
    web(s, "POST", "/connexion", jar, "application/x-www-form-urlencoded", body, strlen(body),
        NULL, &r);
    assert_int_equal(r.status, 303);
    char sid[80], full[400];
    assert_true(web_cookie(&r, "iscgobs_session", sid, sizeof sid, full, sizeof full));
    assert_int_equal(strlen(sid), 64);
    assert_non_null(strstr(full, "HttpOnly"));
    assert_non_null(strstr(full, "SameSite=Strict"));
    assert_non_null(strstr(full, "Path=/"));
    assert_null(strstr(full, "Secure")); /* plain HTTP without a proxy */
    web_free(&r);
    snprintf(cookie, cap, "iscgobs_session=%s", sid);
    web(s, "GET", "/connexion", cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    web_csrf(r.body, csrf); /* the logout form of the navigation */
    assert_int_equal(strlen(csrf), 64);
    web_free(&r);
}

/* Log in without any previous session. */
WEB_FN void web_login(it_server *s, const char *ident, const char *secret, char *cookie, size_t cap,
                      char csrf[65])
{
    web_login_over(s, NULL, ident, secret, cookie, cap, csrf);
}

/* Submit the upload form as a browser would (csrf: the hidden field's value). */
WEB_FN void web_upload_form(it_server *s, const char *cookie, const char *csrf,
                            const char *period, const char *content, web_resp *r)
{
    size_t cap = strlen(content) + 2000;
    char *mp = malloc(cap);
    const char *bd = "----itboundary7";
    int n = snprintf(mp, cap,
                     "--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"mois\"\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"grille\"; "
                     "filename=\"grille.csv\"\r\nContent-Type: text/csv\r\n\r\n%s\r\n"
                     "--%s\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\ndeposer\r\n"
                     "--%s--\r\n",
                     bd, csrf, bd, period, bd, content, bd, bd);
    char ctype[100];
    snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", bd);
    web(s, "POST", "/poste/depot", cookie, ctype, mp, (size_t)n, NULL, r);
    free(mp);
}


static int xml_errors;
WEB_FN void xml_count(void *ctx, const xmlError *err)
{
    (void)ctx;
    if (err->level >= XML_ERR_ERROR) {
        xml_errors++;
        fprintf(stderr, "xml: line %d: %s", err->line, err->message);
    }
}

/* Parse page as XML (the pages are XHTML-compatible HTML5): the document, or NULL with the
 * errors printed. */
WEB_FN xmlDocPtr page_parse(const char *page, size_t len)
{
    xml_errors = 0;
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)xml_count);
    xmlDocPtr d = xmlReadMemory(page, (int)len, "page.html", "UTF-8", XML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (xml_errors) {
        xmlFreeDoc(d);
        return NULL;
    }
    return d;
}

/* The ids of a page (walk_ids fills them, in document order). */
typedef struct page_ids {
    xmlNodePtr *node; /* the element carrying ids[i] */
    char **id;        /* xmlGetProp copies (xmlFree) */
    size_t n, cap;
} page_ids;

WEB_FN void walk_ids(xmlNodePtr n, page_ids *ids)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
        if (id) {
            if (ids->n == ids->cap) {
                ids->cap = ids->cap ? 2 * ids->cap : 64;
                ids->node = realloc(ids->node, ids->cap * sizeof *ids->node);
                ids->id = realloc(ids->id, ids->cap * sizeof *ids->id);
            }
            ids->node[ids->n] = n;
            ids->id[ids->n++] = (char *)id;
        }
        walk_ids(n->children, ids);
    }
}

/* Every label's for= names a form control of the page. */
WEB_FN int check_labels(const char *what, xmlNodePtr n, const page_ids *ids)
{
    static const char *const controls[] = {"input",  "select", "textarea", "button",
                                           "meter", "output", "progress"};
    int bad = 0;
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *f = strcmp((const char *)n->name, "label") == 0
                         ? xmlGetProp(n, (const xmlChar *)"for")
                         : NULL;
        if (f) {
            xmlNodePtr target = NULL;
            for (size_t i = 0; i < ids->n && target == NULL; i++)
                if (strcmp(ids->id[i], (const char *)f) == 0)
                    target = ids->node[i];
            int control = 0;
            for (size_t i = 0; target && i < sizeof controls / sizeof *controls; i++)
                control |= strcmp((const char *)target->name, controls[i]) == 0;
            xmlChar *type = target ? xmlGetProp(target, (const xmlChar *)"type") : NULL;
            if (type && strcmp((const char *)type, "hidden") == 0)
                control = 0;
            xmlFree(type);
            if (!control) {
                fprintf(stderr, "%s: <label for=\"%s\"> names %s\n", what, (const char *)f,
                        target ? (const char *)target->name : "no element");
                bad++;
            }
            xmlFree(f);
        }
        bad += check_labels(what, n->children, ids);
    }
    return bad;
}

/* HTML rules the XML parser does not know: ids are unique in the page (SVG ones included),
 * and a label's for= names an existing form control. Returns the number of problems. */
WEB_FN int page_check_ids(const char *what, xmlDocPtr d)
{
    page_ids ids = {0};
    int bad = 0;
    walk_ids(xmlDocGetRootElement(d), &ids);
    for (size_t i = 0; i < ids.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(ids.id[i], ids.id[j]) == 0) {
                fprintf(stderr, "%s: id \"%s\" used twice (<%s>, <%s>)\n", what, ids.id[i],
                        (const char *)ids.node[j]->name, (const char *)ids.node[i]->name);
                bad++;
                break;
            }
    bad += check_labels(what, xmlDocGetRootElement(d), &ids);
    for (size_t i = 0; i < ids.n; i++)
        xmlFree(ids.id[i]);
    free(ids.id);
    free(ids.node);
    return bad;
}

/* A set of data-key values (xmlGetProp copies). */
typedef struct key_set {
    char **k;
    size_t n, cap;
} key_set;

WEB_FN void key_set_add(key_set *s, xmlChar *k)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->k = realloc(s->k, s->cap * sizeof *s->k);
    }
    s->k[s->n++] = (char *)k;
}

WEB_FN int key_set_has(const key_set *s, const char *k)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->k[i], k) == 0)
            return 1;
    return 0;
}

WEB_FN void key_set_free(key_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        xmlFree(s->k[i]);
    free(s->k);
    memset(s, 0, sizeof *s);
}

/* The data-key values of n, its siblings and their descendants into s: all of them
 * (in_table 0), or only those inside a <table> (in_table 1; inside: n is already in one). */
WEB_FN void collect_keys(xmlNodePtr n, int in_table, int inside, key_set *s)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        int here = inside || strcmp((const char *)n->name, "table") == 0;
        xmlChar *k = xmlGetProp(n, (const xmlChar *)"data-key");
        if (k && (!in_table || here))
            key_set_add(s, k);
        else
            xmlFree(k);
        collect_keys(n->children, in_table, here, s);
    }
}

/* Every chart sits in a <div class="graphique"> whose table holds every datum it draws: each
 * data-key found in the <svg> is also in a table of that div (the chart's text alternative is
 * complete). A chart without any data-key is a problem too (nothing could be checked). */
WEB_FN int check_charts(const char *what, xmlNodePtr n)
{
    int bad = 0;
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "svg") != 0) {
            bad += check_charts(what, n->children);
            continue;
        }
        xmlChar *id = NULL;
        for (xmlNodePtr t = n->children; t && id == NULL; t = t->next)
            if (t->type == XML_ELEMENT_NODE && strcmp((const char *)t->name, "title") == 0)
                id = xmlGetProp(t, (const xmlChar *)"id");
        const char *chart = id ? (const char *)id : "(svg)";
        xmlNodePtr box = n->parent;
        for (; box && box->type == XML_ELEMENT_NODE; box = box->parent) {
            xmlChar *cls = xmlGetProp(box, (const xmlChar *)"class");
            int found = cls && strcmp((const char *)cls, "graphique") == 0;
            xmlFree(cls);
            if (found)
                break;
        }
        key_set drawn = {0}, table = {0};
        collect_keys(n->children, 0, 0, &drawn);
        if (box && box->type == XML_ELEMENT_NODE)
            collect_keys(box->children, 1, 0, &table);
        if (drawn.n == 0) {
            fprintf(stderr, "%s: chart %s has no data-key\n", what, chart);
            bad++;
        }
        size_t missing = 0;
        for (size_t i = 0; i < drawn.n; i++)
            if (!key_set_has(&table, drawn.k[i]) && missing++ == 0)
                fprintf(stderr, "%s: chart %s draws %s, absent from the table beside it\n",
                        what, chart, drawn.k[i]);
        bad += missing > 0;
        key_set_free(&drawn);
        key_set_free(&table);
        xmlFree(id);
    }
    return bad;
}

/* A page is well-formed, has unique ids and labels bound to controls, charts beside the
 * table of all their data, no script and no external resource (no absolute or
 * protocol-relative src/href, no url() in styles). Returns the number of problems. */
WEB_FN int page_check(const char *what, const char *page, size_t len)
{
    int bad = 0;
    xmlDocPtr d = page_parse(page, len);
    if (d == NULL) {
        fprintf(stderr, "%s: not well-formed\n", what);
        bad++;
    } else {
        bad += page_check_ids(what, d);
        bad += check_charts(what, xmlDocGetRootElement(d));
    }
    xmlFreeDoc(d);
    static const char *const forbidden[] = {"src=\"http", "href=\"http", "src=\"//", "href=\"//",
                                            "url(", "<script", "<link", "@import", "<iframe"};
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
        if (strstr(page, forbidden[i])) {
            fprintf(stderr, "%s: contains %s\n", what, forbidden[i]);
            bad++;
        }
    if (strncmp(page, "<!DOCTYPE html>", 15) != 0) {
        fprintf(stderr, "%s: no doctype\n", what);
        bad++;
    }
    return bad;
}

/* Every value of the page (a <span> with a data-key attribute; charts also carry the keys of
 * what they draw, see check_charts): callback(key, data-value or NULL, class, text). */
typedef void (*cell_cb)(void *ctx, const char *key, const char *value, const char *cls,
                        const char *text);
WEB_FN size_t page_cells(const char *page, size_t len, cell_cb cb, void *ctx)
{
    xmlDocPtr d = page_parse(page, len);
    if (d == NULL)
        return 0;
    xmlXPathContextPtr x = xmlXPathNewContext(d);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)"//*[local-name()='span'][@data-key]", x);
    size_t n = o && o->nodesetval ? (size_t)o->nodesetval->nodeNr : 0;
    for (size_t i = 0; i < n; i++) {
        xmlNodePtr node = o->nodesetval->nodeTab[i];
        xmlChar *k = xmlGetProp(node, (const xmlChar *)"data-key");
        xmlChar *v = xmlGetProp(node, (const xmlChar *)"data-value");
        xmlChar *c = xmlGetProp(node, (const xmlChar *)"class");
        xmlChar *t = xmlNodeGetContent(node);
        cb(ctx, (const char *)k, (const char *)v, (const char *)c, (const char *)t);
        xmlFree(k);
        xmlFree(v);
        xmlFree(c);
        xmlFree(t);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    xmlFreeDoc(d);
    return n;
}

/* The key of an API cell as the pages write it: MESURE.AREA.PERIOD.dims (SDMX order). */
WEB_FN void api_key(json_t *cell, char *out, size_t cap)
{
    static const char *const f[] = {"mesure", "area", "period", "sexe", "age", "statut",
                                    "origine", "problematique", "partenaire", "mode"};
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 10; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? "." : "",
                              json_string_value(json_object_get(cell, f[i])));
}

/* The API's value as the pages print data-value. */
WEB_FN void api_value(json_t *cell, char *out, size_t cap)
{
    json_t *v = json_object_get(cell, "value");
    const char *unit = json_string_value(json_object_get(cell, "unit"));
    if (v == NULL)
        out[0] = '\0';
    else if (unit && strcmp(unit, "PCT") == 0)
        snprintf(out, cap, "%.1f", json_number_value(v));
    else
        snprintf(out, cap, "%.0f", json_number_value(v));
}

/* Load a demonstration year of nposts posts quickly: uploads with the refresh off, one full
 * recompute, then the server restarted with the synchronous refresh. */
WEB_FN void demo_load(it_server *s, const char *admin_tok, int nposts, int year, char *demo_dir,
                      size_t cap)
{
    char posts[16], ys[16], csv[900];
    snprintf(demo_dir, cap, "%s/demo", s->dir);
    snprintf(posts, sizeof posts, "%d", nposts);
    snprintf(ys, sizeof ys, "%d", year);
    snprintf(csv, sizeof csv, "%s/posts.csv", demo_dir);
    if (it_cli(s, NULL, 0,
               (const char *const[]){"demo", "--out", demo_dir, "--posts", posts, "--year", ys,
                                     NULL}) != 0 ||
        it_cli(s, NULL, 0, (const char *const[]){"post", "import", csv, NULL}) != 0) {
        fprintf(stderr, "demo_load: demo or import failed\n");
        exit(2);
    }
    it_start(s, (const char *const[]){"ISCGOBS_REFRESH=off", NULL});
    int st = it_cli(s, NULL, 0,
                    (const char *const[]){"upload", demo_dir, "--url", s->base, "--token",
                                          admin_tok, "--jobs", "4", NULL});
    it_stop_checked(s);
    if (st != 0 || it_cli(s, NULL, 0, (const char *const[]){"aggregate", NULL}) != 0) {
        fprintf(stderr, "demo_load: upload or aggregate failed\n");
        exit(2);
    }
    it_start(s, NULL);
}

/* The first post of the demo register that is still open (closed empty), into out[16]. */
WEB_FN void demo_open_post(const char *demo_dir, char out[16])
{
    char path[900], line[1024];
    snprintf(path, sizeof path, "%s/posts.csv", demo_dir);
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        size_t n = strlen(line);
        if (strncmp(line, "ISCG-", 5) == 0 && n && line[n - 1] == ';') {
            snprintf(out, 16, "%.11s", line);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* Run `iscgobs args...` with the server's configuration and text on its standard input. */
WEB_FN int cli_stdin(const it_server *s, const char *input, const char *const *args)
{
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        setenv("ISCGOBS_DATABASE_URL", s->db_url, 1);
        setenv("ISCGOBS_KEY_FILE", s->key_path, 1);
        dup2(pfd[0], 0);
        close(pfd[0]);
        close(pfd[1]);
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1);
        const char *argv[16] = {getenv("IT_BIN")};
        int n = 1;
        for (; args[n - 1] && n < 15; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[0]);
    ssize_t w = write(pfd[1], input, strlen(input));
    (void)w;
    close(pfd[1]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif
