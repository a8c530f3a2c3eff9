/* test_html.c: the web pages end to end over plain HTTP, against the real server and a demo
 * year: every page is well-formed XHTML-compatible HTML without external resource; every
 * figure of the public reports equals the published protected value of /api/v1/indicators;
 * withheld cells show "secret statistique" and their true value (read from the unprotected
 * indicator table) is nowhere at their place; the analysts' outliers; `export html`.
 * Login, sessions, CSRF, the post's form and escaping: test_web_login.c; the same pages in a
 * real browser: test_browser.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <math.h>

#include "html.h"
#include "web_client.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_post[80], tok_evil[80];
static char demo_dir[800], post[16];
static int year;
static char month[16], upload_month[16];
/* Posts added to the demo, each alone in a département of its own (three régions):
 * OUTLIER_A: its history before `month` has more withheld months (fewer than k contacts) than
 *   published ones, so the median of all of them is a withheld month's value;
 * OUTLIER_B: six published months and two withheld ones, and a low month in `month`;
 * TINY: two persons in the year, so the national report's table by territory has withheld
 *   cells whatever the demo draws. */
static char post_a[16], post_b[16], post_tiny[16];

#define EVIL_POST "ISCG-093-99"
#define EVIL_NAME "Poste <script>alert('x')</script> & co"
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

static void add_small_posts(void);

static int setup(void **state)
{
    (void)state;
    /* k = 30 (configurable, ISCGOBS_SDC_K) so that a 40-post demo has withheld national
     * cells: the month's rare problems. Inherited by the server and every CLI run. */
    setenv("ISCGOBS_SDC_K", "30", 1);
    it_setup(&S, "it_html");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    web_periods(&year, month, upload_month);
    demo_load(&S, tok_admin, 40, year, demo_dir, sizeof demo_dir);
    demo_open_post(demo_dir, post);
    assert_true(post[0] != '\0');
    it_user_add(&S, "post", post, tok_post);
    const char *args[] = {"post", "add", EVIL_POST, "--name", EVIL_NAME, "--dep", "93",
                          "--force", "PN", "--opened", "2020-01", NULL};
    assert_int_equal(it_cli(&S, NULL, 0, args), 0);
    it_user_add(&S, "post", EVIL_POST, tok_evil);
    add_small_posts();
    return 0;
}

/* Upload (as the administrator) a grid of n contacts of n distinct persons to post for
 * period "YYYY-MM". */
static void upload_rows(const char *code, const char *period, int n)
{
    size_t cap = (size_t)n * 120 + 400, k;
    char *csv = malloc(cap), path[80];
    assert_non_null(csv);
    k = (size_t)snprintf(csv, cap, "%s", HEADER);
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(csv + k, cap - k,
                              "%s-%02d;T-%s-%d;1980;F;;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n",
                              period, 1 + i % 28, period, i);
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s", code, period);
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", csv, k, &r);
    if (r.status != 201)
        fprintf(stderr, "upload %s: %ld %s\n", path, r.status, r.body);
    assert_int_equal(r.status, 201);
    it_resp_free(&r);
    free(csv);
}

/* "YYYY-MM" of the month `back` months before `month`. */
static void before_month(int back, char out[16])
{
    int mi = year * 12 + 5 - back;
    snprintf(out, 16, "%04d-%02d", (mi / 12) % 10000, mi % 12 + 1);
}

/* The three small posts (see post_a above), in départements without any post, each in its own
 * région (one that has demo posts, the most for OUTLIER_B, so that its counts are never the
 * smallest part chosen to protect a neighbour). The demo has no grid before `year`: in those
 * months OUTLIER_A and OUTLIER_B take turns, so that neither is the only other part of a
 * national total beside a withheld one (which would withhold it too). Withheld months (fewer
 * than k = 30 contacts) of OUTLIER_B sum to at least k within their quarter for the same reason. */
static void add_small_posts(void)
{
    PGconn *db = it_db(&S);
    PGresult *r = PQexec(db, "SELECT code FROM ("
                             "  SELECT DISTINCT ON (d.region) d.code, (SELECT count(*) FROM post p"
                             "    JOIN ref_departement e ON e.code = p.dep"
                             "    WHERE e.region = d.region) AS posts"
                             "  FROM ref_departement d"
                             "  WHERE NOT EXISTS (SELECT 1 FROM post p WHERE p.dep = d.code)"
                             "  ORDER BY d.region, d.code) t"
                             " WHERE posts > 0 ORDER BY posts DESC, code");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_true(PQntuples(r) >= 3);
    char *codes[3] = {post_b, post_a, post_tiny}, opened[16];
    before_month(12, opened);
    for (int i = 0; i < 3; i++) {
        const char *dep = PQgetvalue(r, i, 0);
        snprintf(codes[i], 16, "ISCG-%s%s-01", strlen(dep) == 2 ? "0" : "", dep);
        it_post_add(&S, codes[i], dep, opened);
    }
    PQclear(r);
    PQfinish(db);
    /* {months before `month`, contacts}: A's history is 10 11 12 13 14 (withheld) 60 60, whose
     * median, 13, is a withheld month's count; B's is 20 25 (withheld) and six published
     * months around 210, then 400 in `month`. */
    static const int a[][2] = {{12, 10}, {11, 11}, {10, 12}, {9, 13}, {5, 14}, {4, 60}, {3, 60},
                               {0, 40}};
    static const int b[][2] = {{8, 20},   {7, 25},   {6, 200}, {5, 204}, {4, 208},
                               {3, 212}, {2, 216}, {1, 220}, {0, 400}};
    char p[16];
    for (size_t i = 0; i < sizeof a / sizeof *a; i++) {
        before_month(a[i][0], p);
        upload_rows(post_a, p, a[i][1]);
    }
    for (size_t i = 0; i < sizeof b / sizeof *b; i++) {
        before_month(b[i][0], p);
        upload_rows(post_b, p, b[i][1]);
    }
    before_month(3, p);
    upload_rows(post_tiny, p, 2);
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* ---- pages are valid and self-contained ---- */

static void test_pages_valid(void **state)
{
    (void)state;
    char cookie[120], csrf[65], an_cookie[120], an_csrf[65], path[64];
    web_login(&S, NULL, tok_post, cookie, sizeof cookie, csrf);
    web_login(&S, NULL, tok_analyst, an_cookie, sizeof an_cookie, an_csrf);
    struct {
        const char *path;
        const char *cookie;
    } pages[] = {{NULL, NULL}, {NULL, NULL}, {NULL, an_cookie}, {"/connexion", NULL},
                 {"/poste", cookie}, {"/rapports/national/1999", NULL}};
    char p0[64], p1[64];
    snprintf(p0, sizeof p0, "/rapports/national/%d", year);
    snprintf(p1, sizeof p1, "/rapports/mensuel/%s", month);
    pages[0].path = p0;
    pages[1].path = p1;
    pages[2].path = p1;
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        web_resp r;
        snprintf(path, sizeof path, "%s", pages[i].path ? pages[i].path : "/connexion");
        web(&S, "GET", path, pages[i].cookie, NULL, NULL, 0, NULL, &r);
        if (i < 5)
            assert_int_equal(r.status, 200);
        else
            assert_int_equal(r.status, 404);
        assert_int_equal(page_check(path, r.body, r.len), 0);
        assert_non_null(strstr(r.csp, "default-src 'none'"));
        assert_non_null(strstr(r.body, "lang=\"fr\""));
        if (i < 3)
            assert_non_null(strstr(r.body, "seuil k = 30"));
        web_free(&r);
    }
    /* The analysts' monthly page has the per-post parts; the public one does not. */
    web_resp pub, an;
    web(&S, "GET", p1, NULL, NULL, NULL, 0, NULL, &pub);
    web(&S, "GET", p1, an_cookie, NULL, NULL, 0, NULL, &an);
    assert_null(strstr(pub.body, "postes-retard"));
    assert_null(strstr(pub.body, "ISCG-"));
    assert_non_null(strstr(an.body, "postes-retard"));
    assert_non_null(strstr(an.body, "postes-atypiques"));
    web_free(&pub);
    web_free(&an);
}

/* The checker itself finds what it is there to find. */
static void test_page_checker(void **state)
{
    (void)state;
    static const char good[] =
        "<!DOCTYPE html><html><body><form><label for=\"a\">A</label><input id=\"a\"/>"
        "<label for=\"b\">B</label><select id=\"b\"><option>x</option></select></form>"
        "<div class=\"graphique\"><figure><svg xmlns=\"http://www.w3.org/2000/svg\"><title "
        "id=\"t\">t</title><text data-key=\"K.1\">k</text><rect data-key=\"K.2\"/></svg>"
        "</figure><div class=\"donnees\"><table><tr><td><span data-key=\"K.1\">1</span></td>"
        "<td><span data-key=\"K.2\">2</span></td></tr></table></div></div></body></html>";
    /* A chart whose table lacks one of its data, one outside any .graphique, one without
     * any key. */
    static const char bad_charts[] =
        "<!DOCTYPE html><html><body><div class=\"graphique\"><figure><svg "
        "xmlns=\"http://www.w3.org/2000/svg\"><text data-key=\"K.1\">k</text><text "
        "data-key=\"K.2\">k</text></svg></figure><table><tr><td><span data-key=\"K.1\">1"
        "</span></td></tr></table></div><svg xmlns=\"http://www.w3.org/2000/svg\"><text "
        "data-key=\"K.1\">k</text></svg><div class=\"graphique\"><svg "
        "xmlns=\"http://www.w3.org/2000/svg\"><text>k</text></svg></div></body></html>";
    static const char dup_id[] =
        "<!DOCTYPE html><html><body><section id=\"mois\"><label for=\"mois\">M</label>"
        "<select id=\"mois\"><option>x</option></select></section></body></html>";
    static const char bad_labels[] =
        "<!DOCTYPE html><html><body><form><label for=\"absent\">A</label>"
        "<label for=\"s\">B</label><input type=\"hidden\" id=\"h\"/><label for=\"h\">C"
        "</label></form><p id=\"s\">pas un champ</p></body></html>";
    assert_int_equal(page_check("good", good, strlen(good)), 0);
    /* The id twice, and the label then names the first element with it: the section. */
    assert_int_equal(page_check("dup_id", dup_id, strlen(dup_id)), 2);
    assert_int_equal(page_check("bad_labels", bad_labels, strlen(bad_labels)), 3);
    assert_int_equal(page_check("bad_charts", bad_charts, strlen(bad_charts)), 3);
}

/* ---- the figures are the published ones ---- */

typedef struct api_map {
    json_t *cells; /* key -> API cell */
    size_t checked, secret, na;
    PGconn *db;
    int bad;
} api_map;

static void load_api(api_map *m, const char *query)
{
    it_resp r;
    it_http(&S, "GET", query, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_error_t err;
    json_t *j = json_loads(r.body, 0, &err);
    assert_non_null(j);
    json_t *cells = json_object_get(j, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        char key[256];
        api_key(json_array_get(cells, i), key, sizeof key);
        json_object_set(m->cells, key, json_array_get(cells, i));
    }
    json_decref(j);
    it_resp_free(&r);
}

/* The forms in which a page could print a value: "2345", "2 345" (narrow no-break space)
 * and "2345" again for a count; "3,2" and "3.2" for a percentage. */
typedef struct truth {
    char form[3][48];
} truth;

/* The true (unprotected) value of a cell, read from the indicator table, in every form a page
 * could print it. 0 when the table has no value for the key. */
static int true_value(PGconn *db, const char *key, truth *t)
{
    char k[256], *f[10];
    snprintf(k, sizeof k, "%s", key);
    int n = 0;
    for (char *p = k; n < 10 && p; n++) {
        f[n] = p;
        p = strchr(p, '.');
        if (p)
            *p++ = '\0';
    }
    if (n != 10)
        return 0;
    const char *params[10] = {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]};
    PGresult *r = PQexecParams(db,
                               "SELECT value, left(mesure, 5) IN ('PART_', 'TAUX_') FROM indicator_now"
                               " WHERE mesure = $1 AND area = $2 AND period = $3 AND sexe = $4"
                               " AND age = $5 AND statut = $6 AND origine = $7"
                               " AND problematique = $8 AND partenaire = $9 AND mode = $10",
                               10, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
    if (ok) {
        double v = strtod(PQgetvalue(r, 0, 0), NULL);
        if (PQgetvalue(r, 0, 1)[0] == 't') {
            snprintf(t->form[0], sizeof t->form[0], "%.1f", v); /* "3.2" */
            snprintf(t->form[1], sizeof t->form[1], "%.1f", v);
            char *dot = strchr(t->form[1], '.');
            if (dot)
                *dot = ','; /* "3,2" of "3,2 %" */
            snprintf(t->form[2], sizeof t->form[2], "%s", t->form[1]);
        } else {
            snprintf(t->form[0], sizeof t->form[0], "%.0f", v);
            exp_fmt_count(v, t->form[1], sizeof t->form[1]);
            snprintf(t->form[2], sizeof t->form[2], "%s", t->form[0]);
        }
    }
    PQclear(r);
    return ok;
}

static void check_cell(void *ctx, const char *key, const char *value, const char *cls,
                       const char *text)
{
    api_map *m = ctx;
    json_t *c = json_object_get(m->cells, key);
    m->checked++;
    if (c == NULL) { /* absent from the publication: must say so */
        if (strcmp(cls, "na") != 0 || value != NULL) {
            fprintf(stderr, "cell %s: not published but shown as %s\n", key, text);
            m->bad++;
        }
        m->na++;
        return;
    }
    char want[40];
    api_value(c, want, sizeof want);
    const char *conf = json_string_value(json_object_get(c, "conf_status"));
    if (strcmp(conf, "F") != 0) {
        /* Withheld: the text says so and there is no data-value (that the true value is
         * nowhere the cell is shown is scan_leaks' check). */
        m->secret++;
        if (strcmp(cls, "secret") != 0 || strcmp(text, "secret statistique") != 0 ||
            value != NULL) {
            fprintf(stderr, "cell %s: withheld but shown as %s (%s)\n", key, text, cls);
            m->bad++;
        }
        return;
    }
    if (want[0] == '\0') {
        if (strcmp(cls, "na") != 0) {
            fprintf(stderr, "cell %s: no observation shown as %s\n", key, text);
            m->bad++;
        }
        m->na++;
        return;
    }
    if (value == NULL || strcmp(value, want) != 0 || strcmp(cls, "v") != 0) {
        fprintf(stderr, "cell %s: page %s, API %s\n", key, value ? value : "(none)", want);
        m->bad++;
    }
}

/* ---- no withheld value where a withheld cell is shown ---- */

/* 1 when num stands in text as a number of its own, not inside a longer one ("2" is not in
 * "2025", "1 234" (narrow no-break space) nor "3,25"). */
static int has_number(const char *text, const char *num)
{
    static const char NNBSP[] = "\xE2\x80\xAF";
    size_t n = strlen(num);
    for (const char *p = text; (p = strstr(p, num)) != NULL; p++) {
        const char *q = p + n;
        size_t back = (size_t)(p - text);
        int glued = (back >= 1 && isdigit((unsigned char)p[-1])) ||
                    (back >= 2 && (p[-1] == ',' || p[-1] == '.') &&
                     isdigit((unsigned char)p[-2])) ||
                    (back >= 4 && strncmp(p - 3, NNBSP, 3) == 0 &&
                     isdigit((unsigned char)p[-4])) ||
                    isdigit((unsigned char)q[0]) ||
                    ((q[0] == ',' || q[0] == '.') && isdigit((unsigned char)q[1])) ||
                    (strncmp(q, NNBSP, 3) == 0 && isdigit((unsigned char)q[3]));
        if (!glued)
            return 1;
    }
    return 0;
}

/* Report when text (where: which part of the page) holds a form of the truth. */
static int leak_in(const char *what, const char *key, const char *where, const char *text,
                   const truth *t)
{
    for (int i = 0; text && i < 3; i++)
        if (t->form[i][0] && has_number(text, t->form[i])) {
            fprintf(stderr, "%s: withheld %s: true value %s in %s: \"%.120s\"\n", what, key,
                    t->form[i], where, text);
            return 1;
        }
    return 0;
}

/* The <svg> an element is drawn in, or NULL. */
static xmlNodePtr svg_of(xmlNodePtr n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
        if (strcmp((const char *)n->name, "svg") == 0)
            return n;
    return NULL;
}

/* Every place of the page source where a withheld cell is shown (every element carrying its
 * data-key: the table's value, the chart's label, bar, point or note, see report_cells.h):
 * the element's text (<title> children included) and attributes, the table cell or list item
 * around a value, and the <title> and <desc> of the chart it is drawn in. None may hold the
 * cell's true value (read from the unprotected indicator table); a chart may draw no bar or
 * point for it, and no element may carry a data-value for it. Returns the number of leaks;
 * *marks counts the withheld elements seen. */
static int scan_leaks(const char *what, const char *page, size_t len, api_map *m, size_t *marks)
{
    xmlDocPtr d = page_parse(page, len);
    assert_non_null(d);
    xmlXPathContextPtr x = xmlXPathNewContext(d);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)"//*[@data-key]", x);
    int leaks = 0;
    *marks = 0;
    for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
        xmlNodePtr n = o->nodesetval->nodeTab[i];
        xmlChar *key = xmlGetProp(n, (const xmlChar *)"data-key");
        json_t *c = json_object_get(m->cells, (const char *)key);
        const char *conf = c ? json_string_value(json_object_get(c, "conf_status")) : NULL;
        truth t;
        if (conf == NULL || strcmp(conf, "F") == 0 ||
            !true_value(m->db, (const char *)key, &t)) {
            xmlFree(key);
            continue;
        }
        (*marks)++;
        const char *k = (const char *)key;
        xmlChar *text = xmlNodeGetContent(n);
        leaks += leak_in(what, k, "the element", (const char *)text, &t);
        xmlFree(text);
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            if (strcmp((const char *)a->name, "data-value") == 0) {
                fprintf(stderr, "%s: withheld %s has a data-value\n", what, k);
                leaks++;
            }
            if (strcmp((const char *)a->name, "data-key") == 0)
                continue;
            xmlChar *v = xmlNodeListGetString(d, a->children, 1);
            leaks += leak_in(what, k, (const char *)a->name, (const char *)v, &t);
            xmlFree(v);
        }
        if (strcmp((const char *)n->name, "rect") == 0 ||
            strcmp((const char *)n->name, "circle") == 0) {
            fprintf(stderr, "%s: withheld %s drawn as a <%s>\n", what, k, (const char *)n->name);
            leaks++;
        }
        if (strcmp((const char *)n->name, "span") == 0 && n->parent) {
            xmlChar *around = xmlNodeGetContent(n->parent);
            leaks += leak_in(what, k, "the table cell or item", (const char *)around, &t);
            xmlFree(around);
        }
        xmlNodePtr svg = svg_of(n);
        for (xmlNodePtr ch = svg ? svg->children : NULL; ch; ch = ch->next) {
            if (ch->type != XML_ELEMENT_NODE || (strcmp((const char *)ch->name, "title") != 0 &&
                                                 strcmp((const char *)ch->name, "desc") != 0))
                continue;
            xmlChar *v = xmlNodeGetContent(ch);
            leaks += leak_in(what, k, (const char *)ch->name, (const char *)v, &t);
            xmlFree(v);
        }
        xmlFree(key);
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    xmlFreeDoc(d);
    return leaks;
}

/* page with ins inserted at byte offset at (owned). */
static char *insert_at(const char *page, size_t at, const char *ins)
{
    size_t n = strlen(page), k = strlen(ins);
    char *out = malloc(n + k + 1);
    assert_non_null(out);
    memcpy(out, page, at);
    memcpy(out + at, ins, k);
    memcpy(out + at + k, page + at, n - at + 1);
    return out;
}

/* scan_leaks can fail: a withheld cell drawn in a chart of page gets its true value written
 * into the chart's <desc>, beside its value in the table, and as a bar; each mutant must be
 * caught. */
static void leak_mutants(const char *page, api_map *m)
{
    const char *svg = NULL, *at = NULL;
    char attr[300] = "", key[256] = "";
    truth t;
    /* The first withheld key drawn in a chart. */
    for (const char *p = page; at == NULL && (p = strstr(p, "<svg")) != NULL; p++) {
        const char *end = strstr(p, "</svg>");
        for (const char *q = p; q && q < end && (q = strstr(q, "data-key=\"")) < end; q++) {
            snprintf(key, sizeof key, "%.*s", (int)strcspn(q + 10, "\""), q + 10);
            json_t *c = json_object_get(m->cells, key);
            const char *conf = c ? json_string_value(json_object_get(c, "conf_status")) : "F";
            if (strcmp(conf, "F") != 0 && true_value(m->db, key, &t)) {
                svg = p;
                at = q;
                break;
            }
        }
    }
    assert_non_null(at);
    fprintf(stderr, "mutants of withheld %s (true value %s)\n", key, t.form[1]);
    char ins[400];
    size_t marks;
    /* 1. in the chart's description */
    snprintf(ins, sizeof ins, " (%s)", t.form[1]);
    char *mut = insert_at(page, (size_t)(strstr(svg, "</desc>") - page), ins);
    assert_true(scan_leaks("mutant desc", mut, strlen(mut), m, &marks) > 0);
    free(mut);
    /* 2. beside the value in the table */
    snprintf(attr, sizeof attr, "class=\"secret\" data-key=\"%s\"", key);
    const char *span = strstr(page, attr);
    assert_non_null(span);
    mut = insert_at(page, (size_t)(strstr(span, "</span>") + 7 - page), ins);
    assert_true(scan_leaks("mutant table", mut, strlen(mut), m, &marks) > 0);
    free(mut);
    /* 3. drawn as a bar */
    snprintf(ins, sizeof ins, "<rect data-key=\"%s\" x=\"0\" y=\"0\" width=\"1\" height=\"1\"/>",
             key);
    mut = insert_at(page, (size_t)(strstr(svg, "</svg>") - page), ins);
    assert_true(scan_leaks("mutant bar", mut, strlen(mut), m, &marks) > 0);
    free(mut);
}

/* Every link of an exported file stays inside it ("#...") or names a file exported beside it:
 * a static page has no service to link to. */
static int export_links(const char *dir, const char *file, const char *page)
{
    static const char *const attrs[] = {"href=\"", "src=\"", "action=\""};
    int bad = 0;
    for (size_t i = 0; i < 3; i++)
        for (const char *p = page; (p = strstr(p, attrs[i])) != NULL; p++) {
            const char *v = p + strlen(attrs[i]);
            size_t n = strcspn(v, "\"");
            char target[1200];
            snprintf(target, sizeof target, "%s/%.*s", dir, (int)n, v);
            if (v[0] == '#' || (memchr(v, '/', n) == NULL && memchr(v, ':', n) == NULL &&
                                access(target, R_OK) == 0))
                continue;
            fprintf(stderr, "%s: link %.*s leads nowhere in the export\n", file, (int)n, v);
            bad++;
        }
    return bad;
}

/* Every figure of both public reports (and of the static exports) is the published value;
 * every page has withheld cells, shown "secret statistique" and nowhere with their value. */
static void test_figures_are_published_values(void **state)
{
    (void)state;
    api_map m = {.cells = json_object(), .db = it_db(&S)};
    char q[1024], periods[400];
    for (int y = year - 1; y <= year; y++) { /* June's twelve months start in the year before */
        size_t k = (size_t)snprintf(periods, sizeof periods, "%d", y);
        for (int i = 1; i <= 12; i++)
            k += (size_t)snprintf(periods + k, sizeof periods - k, ",%d-%02d", y, i);
        snprintf(q, sizeof q, "/api/v1/indicators?area=FR&period=%s", periods);
        load_api(&m, q);
    }
    snprintf(q, sizeof q,
             "/api/v1/indicators?period=%d&sexe=_T&age=_T&statut=_T&origine=_T&problematique=_T"
             "&partenaire=_T&mode=_T&mesure=NB_PERSONNES,NB_CONTACTS,PART_INCONNUS_SS,"
             "TAUX_COMPLETUDE",
             year);
    load_api(&m, q);

    /* `export html --period YYYY`: the national report and every month of the year. */
    char dir[700], file[900], yp[8];
    snprintf(dir, sizeof dir, "%s/export", S.dir);
    snprintf(yp, sizeof yp, "%d", year);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"export", "html", "--period", yp, "--out", dir,
                                                  NULL}),
                     0);
    for (int i = 0; i <= 12; i++) {
        if (i == 0)
            snprintf(file, sizeof file, "%s/etat-des-lieux-national-%d.html", dir, year);
        else
            snprintf(file, sizeof file, "%s/synthese-mensuelle-%d-%02d.html", dir, year, i);
        size_t len;
        assert_int_equal(access(file, R_OK), 0);
        char *page = it_read_file(file, &len);
        assert_int_equal(page_check(file, page, len), 0);
        assert_int_equal(export_links(dir, file, page), 0);
        assert_null(strstr(page, "/connexion"));
        free(page);
    }
    const char *paths[4];
    char p0[64], p1[64], f0[900], f1[900];
    snprintf(p0, sizeof p0, "/rapports/national/%d", year);
    snprintf(p1, sizeof p1, "/rapports/mensuel/%s", month);
    snprintf(f0, sizeof f0, "%s/etat-des-lieux-national-%d.html", dir, year);
    snprintf(f1, sizeof f1, "%s/synthese-mensuelle-%s.html", dir, month);
    paths[0] = p0;
    paths[1] = p1;
    paths[2] = f0;
    paths[3] = f1;
    size_t secrets[4] = {0}, cells[4] = {0};
    char *monthly_page = NULL;
    for (int i = 0; i < 4; i++) {
        size_t len, marks;
        char *page;
        web_resp r = {0};
        if (i < 2) {
            web(&S, "GET", paths[i], NULL, NULL, NULL, 0, NULL, &r);
            assert_int_equal(r.status, 200);
            page = r.body;
            len = r.len;
        } else {
            page = it_read_file(paths[i], &len);
        }
        assert_int_equal(page_check(paths[i], page, len), 0);
        size_t before = m.secret;
        cells[i] = page_cells(page, len, check_cell, &m);
        secrets[i] = m.secret - before;
        assert_true(cells[i] > 50);
        /* Every public page checked has withheld cells (the national one through the small
         * posts of setup), and none of their values where they are shown. */
        fprintf(stderr, "%s: %zu cells, %zu withheld\n", paths[i], cells[i], secrets[i]);
        assert_true(secrets[i] > 0);
        assert_int_equal(scan_leaks(paths[i], page, len, &m, &marks), 0);
        assert_true(marks >= secrets[i]);
        if (i == 1)
            monthly_page = strdup(page);
        if (i < 2)
            web_free(&r);
        else
            free(page);
    }
    fprintf(stderr, "checked %zu cells: %zu withheld, %zu without observation\n", m.checked,
            m.secret, m.na);
    assert_int_equal(m.bad, 0);
    /* The static files carry exactly the live pages' cells and protection. */
    assert_int_equal(cells[2], cells[0]);
    assert_int_equal(cells[3], cells[1]);
    assert_int_equal(secrets[2], secrets[0]);
    assert_int_equal(secrets[3], secrets[1]);
    /* The check above can fail. */
    leak_mutants(monthly_page, &m);
    free(monthly_page);
    json_decref(m.cells);
    PQfinish(m.db);
}

/* ---- the analysts' monthly page: outliers from published counts only ---- */

/* The published NB_CONTACTS of post in the month `back` months before `month`, when the post
 * sent a grid then (the page's history rule); 0 otherwise. */
static int published_contacts(json_t *cells, const char *code, int back, double *v)
{
    char p[16], kc[256], kg[256];
    before_month(back, p);
    snprintf(kc, sizeof kc, "NB_CONTACTS.%s.%s._T._T._T._T._T._T._T", code, p);
    snprintf(kg, sizeof kg, "NB_GRILLES.%s.%s._T._T._T._T._T._T._T", code, p);
    json_t *c = json_object_get(cells, kc), *g = json_object_get(cells, kg);
    json_t *cv = c ? json_object_get(c, "value") : NULL, *gv = g ? json_object_get(g, "value") : NULL;
    if (cv == NULL || gv == NULL || json_number_value(gv) < 1 ||
        strcmp(json_string_value(json_object_get(c, "conf_status")), "F") != 0)
        return 0;
    *v = json_number_value(cv);
    return 1;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Each month flagged as atypical on the analysts' page is a published count, assessed against
 * at least 6 published months, and the median printed is the median of those published
 * months: never a withheld month's value, never moved by one. OUTLIER_B (two withheld months
 * in its history) is flagged with the median of its six published months; OUTLIER_A (whose
 * median over all months would be a withheld month's count) is not assessable. */
static void test_analyst_outliers(void **state)
{
    (void)state;
    char cookie[120], csrf[65], path[64], q[1024], periods[200];
    web_login(&S, NULL, tok_analyst, cookie, sizeof cookie, csrf);
    snprintf(path, sizeof path, "/rapports/mensuel/%s", month);
    web_resp r;
    web(&S, "GET", path, cookie, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_check("analyst month", r.body, r.len), 0);
    size_t k = 0;
    for (int back = 12; back >= 0; back--) {
        char p[16];
        before_month(back, p);
        k += (size_t)snprintf(periods + k, sizeof periods - k, "%s%s", k ? "," : "", p);
    }
    xmlDocPtr d = page_parse(r.body, r.len);
    assert_non_null(d);
    xmlXPathContextPtr x = xmlXPathNewContext(d);
    xmlXPathObjectPtr rows = xmlXPathEvalExpression(
        (const xmlChar *)"//*[@id='postes-atypiques']/*[local-name()='tbody']"
                         "/*[local-name()='tr'][count(*[local-name()='td']) = 4]",
        x);
    int n = rows->nodesetval ? rows->nodesetval->nodeNr : 0, seen_a = 0, seen_b = 0;
    fprintf(stderr, "%d atypical months listed\n", n);
    for (int i = 0; i < n; i++) {
        xmlNodePtr td[4], c = rows->nodesetval->nodeTab[i]->children;
        int t = 0;
        for (; c && t < 4; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                td[t++] = c;
        xmlChar *code = xmlNodeGetContent(td[0]), *median = xmlNodeGetContent(td[3]);
        xmlChar *cls = td[2]->children ? xmlGetProp(td[2]->children, (const xmlChar *)"class")
                                       : NULL;
        seen_a |= strcmp((const char *)code, post_a) == 0;
        seen_b |= strcmp((const char *)code, post_b) == 0;
        /* The analyst view's cells of this post, as the API gives them to an analyst. */
        json_t *cells = json_object();
        snprintf(q, sizeof q,
                 "/api/v1/indicators?mesure=NB_CONTACTS,NB_GRILLES&area=%s&period=%s&sexe=_T"
                 "&age=_T&statut=_T&origine=_T&problematique=_T&partenaire=_T&mode=_T",
                 (const char *)code, periods);
        it_resp a;
        it_http(&S, "GET", q, tok_analyst, NULL, NULL, 0, &a);
        assert_int_equal(a.status, 200);
        json_t *j = json_loads(a.body, 0, NULL), *arr = json_object_get(j, "cells");
        for (size_t c2 = 0; c2 < json_array_size(arr); c2++) {
            char key[256];
            api_key(json_array_get(arr, c2), key, sizeof key);
            json_object_set(cells, key, json_array_get(arr, c2));
        }
        json_decref(j);
        it_resp_free(&a);
        double hist[12], v;
        size_t h = 0;
        for (int back = 12; back >= 1; back--)
            if (published_contacts(cells, (const char *)code, back, &v))
                hist[h++] = v;
        qsort(hist, h, sizeof *hist, cmp_dbl);
        double want = h == 0 ? -1 : h % 2 ? hist[h / 2] : (hist[h / 2 - 1] + hist[h / 2]) / 2;
        char digits[32] = "";
        size_t nd = 0;
        for (const char *p = (const char *)median; *p && nd < sizeof digits - 1; p++)
            if (isdigit((unsigned char)*p))
                digits[nd++] = *p;
        fprintf(stderr, "%s: median printed %s, %zu published months, their median %.1f\n",
                (const char *)code, (const char *)median, h, want);
        assert_true(cls && strcmp((const char *)cls, "v") == 0); /* the month is published */
        assert_true(published_contacts(cells, (const char *)code, 0, &v));
        assert_true(h >= 6);
        assert_int_equal(strtol(digits, NULL, 10), llround(want));
        json_decref(cells);
        xmlFree(code);
        xmlFree(median);
        xmlFree(cls);
    }
    assert_false(seen_a);
    assert_true(seen_b);
    xmlXPathFreeObject(rows);
    xmlXPathFreeContext(x);
    xmlFreeDoc(d);
    web_free(&r);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_checker),
        cmocka_unit_test(test_pages_valid),
        cmocka_unit_test(test_figures_are_published_values),
        cmocka_unit_test(test_analyst_outliers),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    xmlCleanupParser();
    return failed || it_stop_failures;
}
