/* validate.c: checks every cell of a parsed grid (col_table) against the contract
 * (grid-format.md sections 3 to 6) and builds the typed, minimised rows (col_grid); also the
 * whole-pipeline helper col_parse_grid (Content-Type -> parser -> validation).
 *
 * Every problem is reported, with the physical line, the column, a stable code and a French
 * sentence naming the column and the expected values. Values are trimmed of surrounding
 * ASCII white space here (the parsers store cells as written). Raw dates of birth and
 * postcodes are reduced at once to an age band and a département; commentaire is never read.
 */
#include "grid.h"
#include "sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"
#include "ref.h"
#include "text.h"

#define LIST_TEXT 160   /* the expected values of a list, or a pointer to the list */
#define LIST_INLINE 130 /* lists longer than this are named, not spelled out */

typedef struct date {
    int y, m, d; /* m == 0 and d == 0 for a year alone */
} date;

enum { DATE_OK, DATE_FORMAT, DATE_INVALID };

/* One person seen in the grid: its index in g->people, and what the sexe consistency
 * warning needs. */
typedef struct person {
    uint32_t off; /* folded reference in g->keys; 0 = free slot */
    uint32_t len;
    uint32_t hash;
    uint32_t who; /* index in g->people */
    int line; /* first line where the person appears with `sexe` */
    int8_t sexe;
    uint8_t warned;
} person;

typedef struct vctx {
    const col_table *t;
    col_report *rep;
    obs_status rc; /* first memory failure */
    int year, month;
    char expected[REF_NLISTS][LIST_TEXT];
    int band[7];     /* REF_AGE indexes: <15, 15-17, 18-24, 25-39, 40-59, 60+, _U */
    person *persons; /* open addressing, power-of-two size */
    size_t npersons_cap;
    col_grid *g;     /* its keys hold the folded references, its people the persons */
} vctx;

#define V_REPORT(v, line, col, code, ...)                                                          \
    do {                                                                                           \
        obs_status rc_ = col_report_add((v)->rep, (line), (col), (code), __VA_ARGS__);             \
        if (rc_ && (v)->rc == OBS_OK)                                                              \
            (v)->rc = rc_;                                                                         \
    } while (0)

static const char *const month_fr[12] = {"janvier",   "février", "mars",     "avril",
                                         "mai",       "juin",    "juillet",  "août",
                                         "septembre", "octobre", "novembre", "décembre"};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The trimmed cell (row i, column f) in *s / *len; 0 when absent or blank. */
static int cell(const vctx *v, size_t i, col_field f, const char **s, size_t *len)
{
    const char *p = col_table_cell(v->t, i, f);
    if (p == NULL)
        return 0;
    size_t n = strlen(p);
    while (n && is_space(*p)) {
        p++;
        n--;
    }
    while (n && is_space(p[n - 1]))
        n--;
    *s = p;
    *len = n;
    return n > 0;
}

static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parse YYYY-MM-DD, DD/MM/YYYY (day and month may have one digit) and, when allow_year,
 * YYYY. DATE_FORMAT when the shape is wrong, DATE_INVALID when the day does not exist. */
static int parse_date(const char *s, size_t n, int allow_year, date *out)
{
    memset(out, 0, sizeof *out);
    if (n == 10 && s[4] == '-' && s[7] == '-') {
        out->y = digits(s, 4);
        out->m = digits(s + 5, 2);
        out->d = digits(s + 8, 2);
    } else if (n >= 8 && n <= 10 && memchr(s, '/', n)) {
        const char *a = memchr(s, '/', n);
        const char *b = memchr(a + 1, '/', n - (size_t)(a + 1 - s));
        if (b == NULL || a - s < 1 || a - s > 2 || b - a - 1 < 1 || b - a - 1 > 2 ||
            s + n - b - 1 != 4)
            return DATE_FORMAT;
        out->d = digits(s, (size_t)(a - s));
        out->m = digits(a + 1, (size_t)(b - a - 1));
        out->y = digits(b + 1, 4);
    } else if (allow_year && n == 4) {
        out->y = digits(s, 4);
        if (out->y < 0)
            return DATE_FORMAT;
        return out->y >= 1 ? DATE_OK : DATE_INVALID;
    } else {
        return DATE_FORMAT;
    }
    if (out->y < 0 || out->m < 0 || out->d < 0)
        return DATE_FORMAT;
    if (out->y < 1 || out->m < 1 || out->m > 12 || out->d < 1 ||
        out->d > obs_days_in_month(out->y, out->m))
        return DATE_INVALID;
    return DATE_OK;
}

/* "F, M ou X" for short lists, a pointer to the list for long ones. */
static void expected_text(char *buf, size_t cap, ref_list l)
{
    size_t n = ref_count(l), o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *glue = i == 0 ? "" : i + 1 == n ? " ou " : ", ";
        int w = snprintf(buf + o, cap - o, "%s%s", glue, ref_at(l, i)->code);
        if (w < 0 || (size_t)w >= cap - o || o + (size_t)w > LIST_INLINE) {
            snprintf(buf, cap, "un code de la liste %s, voir la liste des codes", ref_list_id(l));
            return;
        }
        o += (size_t)w;
    }
}

/* Check a single-code column; returns the code's index or -1. */
static int check_code(vctx *v, size_t i, col_field f, ref_list l)
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    const char *col = col_field_name(f);
    if (!cell(v, i, f, &s, &n)) {
        if (v->t->present[f]) /* a missing column is reported once, by the parser */
            V_REPORT(v, line, col, "E_REQUIRED",
                     "La colonne « %s » est obligatoire : elle doit valoir %s.", col,
                     v->expected[l]);
        return -1;
    }
    int k = ref_match(l, s, n);
    if (k < 0) {
        char q[COL_QUOTE_SIZE];
        V_REPORT(v, line, col, "E_CODE_UNKNOWN",
                 "La colonne « %s » doit valoir %s (valeur lue : « %s »).", col, v->expected[l],
                 col_report_quote(q, sizeof q, s, n));
    }
    return k;
}

/* Check a multi-code column (codes joined by '|'); returns the bitmask of known codes.
 * A repeated code counts once; empty parts ("A||B", a trailing '|') are ignored. */
static uint32_t check_codes(vctx *v, size_t i, col_field f, ref_list l, int required)
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    const char *col = col_field_name(f);
    uint32_t mask = 0;
    int parts = 0;
    if (cell(v, i, f, &s, &n)) {
        size_t a = 0;
        while (a <= n) {
            const char *bar = memchr(s + a, '|', n - a);
            size_t b = bar ? (size_t)(bar - s) : n;
            const char *p = s + a;
            size_t len = b - a;
            while (len && is_space(*p)) {
                p++;
                len--;
            }
            while (len && is_space(p[len - 1]))
                len--;
            if (len) {
                parts++;
                int k = ref_match(l, p, len);
                if (k >= 0) {
                    mask |= 1u << k;
                } else {
                    char q[COL_QUOTE_SIZE];
                    int glued = memchr(p, ',', len) || memchr(p, ';', len) || memchr(p, '/', len) ||
                                memchr(p, ' ', len);
                    V_REPORT(v, line, col, "E_CODE_UNKNOWN",
                             "Le code « %s » de la colonne « %s » est inconnu : chaque code doit "
                             "être %s%s.",
                             col_report_quote(q, sizeof q, p, len), col, v->expected[l],
                             glued ? ", et plusieurs codes se séparent par « | »" : "");
                }
            }
            a = b + 1;
        }
    }
    if (parts == 0 && required && v->t->present[f])
        V_REPORT(v, line, col, "E_REQUIRED",
                 "La colonne « %s » est obligatoire : indiquez au moins un code (%s) ; "
                 "plusieurs codes se séparent par « | ».",
                 col, v->expected[l]);
    return mask;
}

/* date_contact: returns 1 and fills *d when the date is valid and inside the month. */
static int check_contact_date(vctx *v, size_t i, date *d)
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    char q[COL_QUOTE_SIZE];
    if (!cell(v, i, COL_DATE_CONTACT, &s, &n)) {
        if (v->t->present[COL_DATE_CONTACT])
            V_REPORT(v, line, "date_contact", "E_REQUIRED",
                     "La colonne « date_contact » est obligatoire : indiquez la date du contact "
                     "(AAAA-MM-JJ ou JJ/MM/AAAA).");
        return 0;
    }
    int r = parse_date(s, n, 0, d);
    if (r == DATE_FORMAT) {
        V_REPORT(v, line, "date_contact", "E_DATE_FORMAT",
                 "La colonne « date_contact » doit contenir une date au format AAAA-MM-JJ ou "
                 "JJ/MM/AAAA (valeur lue : « %s »).",
                 col_report_quote(q, sizeof q, s, n));
        return 0;
    }
    if (r == DATE_INVALID) {
        V_REPORT(v, line, "date_contact", "E_DATE_INVALID",
                 "La date « %s » de la colonne « date_contact » n'existe pas dans le "
                 "calendrier.",
                 col_report_quote(q, sizeof q, s, n));
        return 0;
    }
    if (d->y != v->year || d->m != v->month) {
        V_REPORT(v, line, "date_contact", "E_DATE_OUT_OF_PERIOD",
                 "La date de contact « %s » n'est pas dans le mois de la grille (%s %d) : une "
                 "grille ne contient que les contacts de son mois.",
                 col_report_quote(q, sizeof q, s, n), month_fr[v->month - 1], v->year);
        return 0;
    }
    return 1;
}

/* date_naissance: the REF_AGE index at the contact date (contact NULL: unknown). */
static int8_t check_birth(vctx *v, size_t i, const date *contact)
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    char q[COL_QUOTE_SIZE];
    date b;
    if (!cell(v, i, COL_DATE_NAISSANCE, &s, &n))
        return (int8_t)v->band[6];
    int r = parse_date(s, n, 1, &b);
    if (r == DATE_FORMAT) {
        V_REPORT(v, line, "date_naissance", "E_DATE_FORMAT",
                 "La colonne « date_naissance » doit contenir une date au format AAAA-MM-JJ ou "
                 "JJ/MM/AAAA, ou une année AAAA (valeur lue : « %s »).",
                 col_report_quote(q, sizeof q, s, n));
        return (int8_t)v->band[6];
    }
    if (r == DATE_INVALID) {
        V_REPORT(v, line, "date_naissance", "E_DATE_INVALID",
                 "La date « %s » de la colonne « date_naissance » n'existe pas dans le "
                 "calendrier.",
                 col_report_quote(q, sizeof q, s, n));
        return (int8_t)v->band[6];
    }
    if (contact == NULL)
        return (int8_t)v->band[6];
    int age;
    if (b.m == 0) { /* a year alone: grid-format.md section 4 */
        if (b.y > contact->y)
            age = -1;
        else
            age = contact->y - b.y - (contact->m < 7 ? 1 : 0);
        if (age < 0 && b.y == contact->y)
            age = 0; /* born this year, contact before July */
    } else {
        age = contact->y - b.y -
              ((contact->m < b.m || (contact->m == b.m && contact->d < b.d)) ? 1 : 0);
        if (b.y > contact->y ||
            (b.y == contact->y && (b.m > contact->m || (b.m == contact->m && b.d > contact->d))))
            age = -1;
    }
    if (age < 0) {
        V_REPORT(v, line, "date_naissance", "E_BIRTH_AFTER_CONTACT",
                 "La date de naissance « %s » est postérieure à la date du contact.",
                 col_report_quote(q, sizeof q, s, n));
        return (int8_t)v->band[6];
    }
    if (age > 110)
        V_REPORT(v, line, "date_naissance", "W_AGE_OVER_110",
                 "La date de naissance « %s » donne un âge de %d ans : vérifiez-la (la personne "
                 "est comptée dans « 60 ans et plus »).",
                 col_report_quote(q, sizeof q, s, n), age);
    int k = age < 15 ? 0 : age < 18 ? 1 : age < 25 ? 2 : age < 40 ? 3 : age < 60 ? 4 : 5;
    return (int8_t)v->band[k];
}

/* code_postal: fills dep (the département code or ""). */
static void check_postcode(vctx *v, size_t i, char dep[4])
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    char q[COL_QUOTE_SIZE];
    dep[0] = '\0';
    if (!cell(v, i, COL_CODE_POSTAL, &s, &n))
        return;
    if (n != 5 || digits(s, 5) < 0) {
        int lost_zero = n == 4 && digits(s, 4) >= 0;
        V_REPORT(v, line, "code_postal", "E_POSTCODE_FORMAT",
                 "La colonne « code_postal » doit contenir 5 chiffres (valeur lue : « %s »)%s.",
                 col_report_quote(q, sizeof q, s, n),
                 lost_zero ? " : le tableur a peut-être retiré le zéro du début (écrivez par "
                             "exemple 01000 et non 1000)"
                           : "");
        return;
    }
    char cp[6];
    memcpy(cp, s, 5);
    cp[5] = '\0';
    const ref_dep *d = ref_dep_of_postcode(cp);
    if (d == NULL) {
        V_REPORT(v, line, "code_postal", "W_POSTCODE_UNKNOWN",
                 "Le code postal « %s » ne correspond à aucun département : le département de "
                 "résidence sera enregistré comme inconnu.",
                 cp);
        return;
    }
    snprintf(dep, 4, "%s", d->code);
}

/* Forget the keys appended after offset len (the memory is wiped with the buffer). */
static void keys_truncate(obs_buf *keys, size_t len)
{
    keys->len = len;
    if (keys->data)
        keys->data[len] = '\0';
}

/* ref_personne: the row's person (r->who, a new entry of g->people when the folded reference
 * is new), and the W_SEXE_INCONSISTENT check across the grid. */
static void check_ref(vctx *v, size_t i, col_row *r)
{
    const char *s;
    size_t n;
    int line = v->t->rows[i].line;
    int8_t sexe = r->sexe;
    obs_buf *keys = &v->g->keys;
    char q[COL_QUOTE_SIZE];
    r->ref = col_table_cell(v->t, i, COL_REF_PERSONNE);
    if (!cell(v, i, COL_REF_PERSONNE, &s, &n)) {
        if (v->t->present[COL_REF_PERSONNE])
            V_REPORT(v, line, "ref_personne", "E_REQUIRED",
                     "La colonne « ref_personne » est obligatoire : indiquez la référence de la "
                     "personne (numéro de dossier, ou nom et prénom).");
        return;
    }
    size_t chars = obs_utf8_chars(s, n);
    if (chars > 200) {
        V_REPORT(v, line, "ref_personne", "E_TOO_LONG",
                 "La colonne « ref_personne » ne doit pas dépasser 200 caractères (%zu lus, "
                 "commençant par « %s »).",
                 chars, col_report_quote(q, sizeof q, s, n));
        return;
    }
    size_t start = keys->len;
    obs_status rc = obs_text_fold(s, n, keys);
    if (rc) {
        if (v->rc == OBS_OK)
            v->rc = rc == OBS_ERR_INPUT ? OBS_ERR_INTERNAL : rc; /* parsers give UTF-8 */
        return;
    }
    uint32_t klen = (uint32_t)(keys->len - start);
    if (klen == 0) {
        V_REPORT(v, line, "ref_personne", "E_REQUIRED",
                 "La référence « %s » de la colonne « ref_personne » doit contenir au moins une "
                 "lettre ou un chiffre.",
                 col_report_quote(q, sizeof q, s, n));
        return;
    }
    if (sexe < 0 || v->persons == NULL) { /* an error already rejects the grid */
        keys_truncate(keys, start);
        return;
    }
    const char *key = keys->data + start;
    uint32_t h = 2166136261u;
    for (uint32_t k = 0; k < klen; k++)
        h = (h ^ (unsigned char)key[k]) * 16777619u;
    size_t mask = v->npersons_cap - 1;
    for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
        person *p = &v->persons[slot];
        if (p->off == 0) { /* a new person: the key stays in the buffer */
            uint32_t who = (uint32_t)v->g->persons++;
            v->g->people[who] = (col_person){(uint32_t)start, klen};
            *p = (person){(uint32_t)start, klen, h, who, line, sexe, 0};
            r->who = who;
            return;
        }
        if (p->hash == h && p->len == klen && memcmp(keys->data + p->off, key, klen) == 0) {
            r->who = p->who;
            if (p->sexe != sexe && !p->warned) {
                p->warned = 1;
                V_REPORT(v, line, "sexe", "W_SEXE_INCONSISTENT",
                         "La personne « %s » a le sexe « %s » ici mais « %s » ligne %d : "
                         "vérifiez la colonne « sexe ».",
                         col_report_quote(q, sizeof q, s, n), ref_at(REF_SEXE, (size_t)sexe)->code,
                         ref_at(REF_SEXE, (size_t)p->sexe)->code, p->line);
            }
            keys_truncate(keys, start);
            return;
        }
    }
}

/* The XML attributes poste and periode must be those of the URL. */
static void check_xml_identity(vctx *v, const char *post)
{
    char q[COL_QUOTE_SIZE], want[16];
    if (v->t->post[0] && strcmp(v->t->post, post ? post : "") != 0)
        V_REPORT(v, 0, "", "E_XML_POST_MISMATCH",
                 "Le fichier XML est la grille du poste « %s » (attribut poste) mais il est "
                 "envoyé pour le poste « %s ».",
                 col_report_quote(q, sizeof q, v->t->post, strlen(v->t->post)), post ? post : "");
    snprintf(want, sizeof want, "%04d-%02d", v->year, v->month);
    if (v->t->period[0] && strcmp(v->t->period, want) != 0)
        V_REPORT(v, 0, "", "E_XML_PERIOD_MISMATCH",
                 "Le fichier XML est la grille du mois « %s » (attribut periode) mais il est "
                 "envoyé pour le mois « %s ».",
                 col_report_quote(q, sizeof q, v->t->period, strlen(v->t->period)), want);
}

/* Validate every row of t (see grid.h). */
obs_status col_validate(const col_table *t, const char *post, int year, int month, col_grid *g,
                        col_report *rep)
{
    static const char *const bands[7] = {"Y_LT15", "Y15T17", "Y18T24", "Y25T39",
                                         "Y40T59", "Y_GE60", "_U"};
    memset(g, 0, sizeof *g);
    snprintf(g->post, sizeof g->post, "%s", post ? post : "");
    g->year = year;
    g->month = month;
    if (month < 1 || month > 12)
        return OBS_ERR_INTERNAL; /* the route checked the URL */
    vctx *v = calloc(1, sizeof *v);
    if (v == NULL)
        return OBS_ERR_NOMEM;
    v->t = t;
    v->rep = rep;
    v->year = year;
    v->month = month;
    v->g = g;
    obs_buf_init(&g->keys, 0);
    for (int l = 0; l < REF_NLISTS; l++)
        expected_text(v->expected[l], LIST_TEXT, (ref_list)l);
    for (int k = 0; k < 7; k++)
        v->band[k] = ref_find(REF_AGE, bands[k]);
    obs_status rc = OBS_ERR_NOMEM;
    if (t->n) {
        g->rows = calloc(t->n, sizeof *g->rows);
        g->people = calloc(t->n, sizeof *g->people);
        size_t cap = 16;
        while (cap < 2 * t->n)
            cap *= 2;
        v->persons = calloc(cap, sizeof *v->persons);
        v->npersons_cap = cap;
        if (g->rows == NULL || g->people == NULL || v->persons == NULL ||
            obs_buf_append(&g->keys, "", 1))
            goto out; /* key offset 0 marks a free slot */
    }
    check_xml_identity(v, post);
    for (size_t i = 0; i < t->n && v->rc == OBS_OK; i++) {
        col_row *r = &g->rows[i];
        date d;
        r->line = t->rows[i].line;
        int dated = check_contact_date(v, i, &d);
        r->day = dated ? (uint8_t)d.d : 0;
        r->sexe = (int8_t)check_code(v, i, COL_SEXE, REF_SEXE);
        check_ref(v, i, r);
        r->age = check_birth(v, i, dated ? &d : NULL);
        check_postcode(v, i, r->dep_res);
        r->statut = (int8_t)check_code(v, i, COL_STATUT, REF_STATUT);
        r->origine = (int8_t)check_code(v, i, COL_ORIGINE, REF_ORIGINE);
        r->connu_ss = (int8_t)check_code(v, i, COL_CONNU_SS, REF_CONNU_SS);
        r->problems = check_codes(v, i, COL_PROBLEMATIQUES, REF_PROBLEMATIQUE, 1);
        r->orientations = check_codes(v, i, COL_ORIENTATIONS, REF_PARTENAIRE, 0);
        r->mode = (int8_t)check_code(v, i, COL_MODE, REF_MODE);
    }
    g->n = t->n;
    rc = v->rc;
out:
    free(v->persons);
    free(v);
    if (rc)
        col_grid_free(g);
    return rc;
}

/* Wipe and free the typed rows (they point into the table and hold pseudonyms). */
void col_grid_free(col_grid *g)
{
    if (g == NULL)
        return;
    if (g->rows)
        obs_wipe(g->rows, g->n * sizeof *g->rows);
    free(g->rows);
    g->rows = NULL;
    g->n = 0;
    free(g->people);
    g->people = NULL;
    g->persons = 0;
    obs_buf_wipe(&g->keys);
}

/* Compare a media type (already trimmed, n bytes) with want, ignoring case. */
static int media_is(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

/* Parse, then validate (see grid.h). */
obs_status col_parse_grid(const char *data, size_t len, const char *content_type, const char *post,
                          int year, int month, col_table *t, col_grid *g, col_report *rep)
{
    const char *ct = content_type ? content_type : "";
    while (*ct == ' ' || *ct == '\t')
        ct++;
    const char *semi = strchr(ct, ';');
    size_t n = semi ? (size_t)(semi - ct) : strlen(ct);
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    char charset[64] = "";
    for (const char *p = semi; p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "charset=", 8) == 0) {
            q += 8;
            size_t k = strcspn(q, ";");
            if (k >= sizeof charset)
                k = sizeof charset - 1;
            memcpy(charset, q, k);
            charset[k] = '\0';
        }
    }
    memset(g, 0, sizeof *g);
    obs_status rc;
    if (media_is(ct, n, "text/csv") || media_is(ct, n, "application/csv")) {
        rc = col_csv_parse(data, len, semi && charset[0] ? charset : NULL, t, rep);
    } else if (media_is(ct, n, "application/xml") || media_is(ct, n, "text/xml")) {
        rc = col_xml_parse(data, len, t, rep);
    } else if (media_is(ct, n, COL_MEDIA_XLSX)) {
        rc = col_xlsx_parse(data, len, post, year, month, t, rep);
    } else if (media_is(ct, n, COL_MEDIA_ODS)) {
        rc = col_ods_parse(data, len, post, year, month, t, rep);
    } else {
        char q[COL_QUOTE_SIZE];
        return col_report_add(rep, 0, "", "E_CONTENT_TYPE",
                              "Le type de fichier « %s » n'est pas accepté : envoyez la grille "
                              "en CSV (text/csv), en XML (application/xml) ou en classeur .xlsx ou .ods.",
                              col_report_quote(q, sizeof q, ct, n));
    }
    if ((rc == OBS_ERR_INPUT || rc == OBS_ERR_TOO_LARGE) && rep->nerrors)
        return OBS_OK; /* the body's problem, told in rep; nothing to validate */
    if (rc)
        return rc;
    rc = col_validate(t, post, year, month, g, rep);
    if (rc == OBS_OK)
        rc = col_sheet_name_cells(t, rep); /* spreadsheets: "Cellule D12 (ligne 12) : ..." */
    return rc;
}
