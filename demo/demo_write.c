/* demo_write.c: renders the synthetic contacts of one post-month as the bytes of a grid file,
 * in the post's habit: CSV ';' UTF-8, CSV ';' Windows-1252 with CRLF, CSV ',' UTF-8 (with or
 * without BOM), or XML following reference-data/grille-1.xsd (element order as the schema).
 * Every file written here must be valid under grid-format.md; tests/unit/demo/test_demo.c checks
 * that with the collector's own parsers.
 */
#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "ref.h"

/* Column names as header style 0 (lowercase) and 1 (capitalised, accented). */
enum { NCOLS = 12 };
static const char *const col_names[2][NCOLS] = {
    {"date_contact", "ref_personne", "date_naissance", "sexe", "code_postal", "statut",
     "origine", "connu_ss", "problematiques", "orientations", "mode", "commentaire"},
    {"Date_Contact", "Ref_Personne", "Date_Naissance", "Sexe", "Code_Postal", "Statut",
     "Origine", "Connu_SS", "Problématiques", "Orientations", "Mode", "Commentaire"},
};
enum { C_DATE, C_REF, C_BIRTH, C_SEXE, C_CP, C_STATUT, C_ORIGINE, C_CONNU, C_PROBS, C_ORIENT,
       C_MODE, C_COMMENT };
static const int order_std[NCOLS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const int order_alt[NCOLS] = {C_REF, C_DATE, C_SEXE, C_BIRTH, C_CP, C_CONNU, C_STATUT,
                                     C_ORIGINE, C_PROBS, C_ORIENT, C_MODE, C_COMMENT};

const char *demo_ext(demo_format f)
{
    return f == DEMO_XML ? "xml" : "csv";
}

/* ---- Windows-1252 ---- */

/* The cp1252 byte for code point c, or 0 when cp1252 has none. */
static unsigned char cp1252_byte(unsigned long c)
{
    static const struct {
        unsigned short cp;
        unsigned char b;
    } high[] = {
        {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
        {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
        {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
        {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
        {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
        {0x017E, 0x9E}, {0x0178, 0x9F},
    };
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF))
        return (unsigned char)c;
    for (size_t i = 0; i < OBS_ARRAY_LEN(high); i++)
        if (high[i].cp == c)
            return high[i].b;
    return 0;
}

obs_status demo_utf8_to_cp1252(const char *s, size_t len, obs_buf *out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned long c;
        size_t k;
        if (*p < 0x80) {
            c = *p;
            k = 1;
        } else if ((*p & 0xE0) == 0xC0 && end - p >= 2) {
            c = ((unsigned long)(*p & 0x1F) << 6) | (p[1] & 0x3F);
            k = 2;
        } else if ((*p & 0xF0) == 0xE0 && end - p >= 3) {
            c = ((unsigned long)(*p & 0x0F) << 12) | ((unsigned long)(p[1] & 0x3F) << 6) |
                (p[2] & 0x3F);
            k = 3;
        } else if ((*p & 0xF8) == 0xF0 && end - p >= 4) {
            c = 0x110000; /* outside the BMP: nothing in cp1252 */
            k = 4;
        } else {
            c = 0x110000; /* invalid byte: replaced */
            k = 1;
        }
        unsigned char b = cp1252_byte(c);
        if (b == 0 && c != 0)
            b = '?';
        obs_status rc = obs_buf_putc(out, (char)b);
        if (rc)
            return rc;
        p += k;
    }
    return obs_buf_append(out, "", 0);
}

/* ---- CSV ---- */

obs_status demo_csv_field(obs_buf *out, const char *s, char sep)
{
    if (s == NULL || *s == '\0')
        return OBS_OK;
    if (strchr(s, sep) == NULL && strpbrk(s, "\"\r\n") == NULL)
        return obs_buf_puts(out, s);
    obs_status rc = obs_buf_putc(out, '"');
    for (const char *p = s; rc == OBS_OK && *p; p++)
        rc = *p == '"' ? obs_buf_puts(out, "\"\"") : obs_buf_putc(out, *p);
    return rc ? rc : obs_buf_putc(out, '"');
}

/* Codes of a bitmask over list l, joined by '|', into out (cap bytes). */
static void join_codes(ref_list l, uint32_t mask, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ref_count(l) && i < 32; i++) {
        if (!(mask & (1u << i)))
            continue;
        int w = snprintf(out + len, cap - len, "%s%s", len ? "|" : "", ref_at(l, i)->code);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
}

static void fmt_date(char *out, size_t cap, int y, int m, int d, int fr)
{
    if (fr)
        snprintf(out, cap, "%02d/%02d/%04d", d, m, y);
    else
        snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

static void fmt_birth(char *out, size_t cap, const demo_contact *c, int fr)
{
    if (c->by == 0)
        out[0] = '\0';
    else if (c->bm == 0)
        snprintf(out, cap, "%04d", c->by);
    else
        fmt_date(out, cap, c->by, c->bm, c->bd, fr);
}

/* The text of column col for contact c (UTF-8, in tmp). */
static const char *cell(const demo_post *p, int year, int month, const demo_contact *c,
                        int col, char *tmp, size_t cap)
{
    switch (col) {
    case C_DATE: fmt_date(tmp, cap, year, month, c->day, p->date_fr); return tmp;
    case C_REF: return c->ref;
    case C_BIRTH: fmt_birth(tmp, cap, c, p->date_fr); return tmp;
    case C_SEXE: return ref_at(REF_SEXE, (size_t)c->sexe)->code;
    case C_CP: return c->cp;
    case C_STATUT: return ref_at(REF_STATUT, (size_t)c->statut)->code;
    case C_ORIGINE: return ref_at(REF_ORIGINE, (size_t)c->origine)->code;
    case C_CONNU: return ref_at(REF_CONNU_SS, (size_t)c->connu_ss)->code;
    case C_PROBS: join_codes(REF_PROBLEMATIQUE, c->problems, tmp, cap); return tmp;
    case C_ORIENT: join_codes(REF_PARTENAIRE, c->orientations, tmp, cap); return tmp;
    case C_MODE: return ref_at(REF_MODE, (size_t)c->mode)->code;
    default: return c->comment ? c->comment : "";
    }
}

static obs_status render_csv(const demo_post *p, int year, int month,
                             const demo_contact *c, size_t n, obs_buf *out)
{
    char sep = p->format == DEMO_CSV_COMMA ? ',' : ';';
    const char *eol = p->format == DEMO_CSV_CP1252 ? "\r\n" : "\n";
    const int *order = p->alt_order ? order_alt : order_std;
    int ncols = p->no_comment ? NCOLS - 1 : NCOLS; /* commentaire is last in both orders */
    /* Small deterministic quirks the format allows: no final newline, a trailing blank line. */
    unsigned quirk = (unsigned)((p->stream * 31u + (uint64_t)month) % 13u);
    obs_buf u;
    obs_buf_init(&u, 0);
    obs_status rc = OBS_OK;
    char tmp[256];

    for (int k = 0; rc == OBS_OK && k < ncols; k++) {
        if (k)
            rc = obs_buf_putc(&u, sep);
        if (rc == OBS_OK)
            rc = obs_buf_puts(&u, col_names[p->header_style][order[k]]);
    }
    if (rc == OBS_OK)
        rc = obs_buf_puts(&u, eol);
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        for (int k = 0; rc == OBS_OK && k < ncols; k++) {
            if (k)
                rc = obs_buf_putc(&u, sep);
            if (rc == OBS_OK)
                rc = demo_csv_field(&u, cell(p, year, month, &c[i], order[k], tmp, sizeof tmp),
                                        sep);
        }
        if (rc == OBS_OK && !(i + 1 == n && quirk == 5))
            rc = obs_buf_puts(&u, eol);
    }
    if (rc == OBS_OK && quirk == 7)
        rc = obs_buf_puts(&u, eol);

    if (rc == OBS_OK && p->format == DEMO_CSV_COMMA && p->bom)
        rc = obs_buf_puts(out, "\xEF\xBB\xBF");
    if (rc == OBS_OK)
        rc = p->format == DEMO_CSV_CP1252 ? demo_utf8_to_cp1252(u.data, u.len, out)
                                              : obs_buf_append(out, u.data, u.len);
    obs_buf_free(&u);
    return rc;
}

/* ---- XML ---- */

static obs_status xml_text(obs_buf *out, const char *s)
{
    obs_status rc = OBS_OK;
    for (; rc == OBS_OK && *s; s++) {
        switch (*s) {
        case '&': rc = obs_buf_puts(out, "&amp;"); break;
        case '<': rc = obs_buf_puts(out, "&lt;"); break;
        case '>': rc = obs_buf_puts(out, "&gt;"); break;
        case '"': rc = obs_buf_puts(out, "&quot;"); break;
        case '\'': rc = obs_buf_puts(out, "&apos;"); break;
        default: rc = obs_buf_putc(out, *s); break;
        }
    }
    return rc;
}

/* <name>text</name> on its own indented line; nothing when text is empty and optional. */
static obs_status xml_elem(obs_buf *out, const char *name, const char *text)
{
    obs_status rc = obs_buf_printf(out, "    <%s>", name);
    if (rc == OBS_OK)
        rc = xml_text(out, text);
    if (rc == OBS_OK)
        rc = obs_buf_printf(out, "</%s>\n", name);
    return rc;
}

/* One <singular> element per code of the mask, in list order. */
static obs_status xml_codes(obs_buf *out, const char *name, ref_list l, uint32_t mask)
{
    obs_status rc = OBS_OK;
    for (size_t i = 0; rc == OBS_OK && i < ref_count(l) && i < 32; i++)
        if (mask & (1u << i))
            rc = xml_elem(out, name, ref_at(l, i)->code);
    return rc;
}

static obs_status render_xml(const demo_post *p, int year, int month,
                             const demo_contact *c, size_t n, obs_buf *out)
{
    obs_status rc = obs_buf_printf(out,
                                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                   "<grille xmlns=\"urn:fr:iscg:grille:1\" poste=\"%s\" "
                                   "periode=\"%04d-%02d\">\n",
                                   p->code, year, month);
    char tmp[64];
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        const demo_contact *x = &c[i];
        rc = obs_buf_puts(out, "  <contact>\n");
        fmt_date(tmp, sizeof tmp, year, month, x->day, 0);
        if (rc == OBS_OK)
            rc = xml_elem(out, "date_contact", tmp);
        if (rc == OBS_OK)
            rc = xml_elem(out, "ref_personne", x->ref);
        fmt_birth(tmp, sizeof tmp, x, 0);
        if (rc == OBS_OK && tmp[0])
            rc = xml_elem(out, "date_naissance", tmp);
        if (rc == OBS_OK)
            rc = xml_elem(out, "sexe", ref_at(REF_SEXE, (size_t)x->sexe)->code);
        if (rc == OBS_OK && x->cp[0])
            rc = xml_elem(out, "code_postal", x->cp);
        if (rc == OBS_OK)
            rc = xml_elem(out, "statut", ref_at(REF_STATUT, (size_t)x->statut)->code);
        if (rc == OBS_OK)
            rc = xml_elem(out, "origine", ref_at(REF_ORIGINE, (size_t)x->origine)->code);
        if (rc == OBS_OK)
            rc = xml_elem(out, "connu_ss", ref_at(REF_CONNU_SS, (size_t)x->connu_ss)->code);
        if (rc == OBS_OK)
            rc = xml_codes(out, "problematique", REF_PROBLEMATIQUE, x->problems);
        if (rc == OBS_OK)
            rc = xml_codes(out, "orientation", REF_PARTENAIRE, x->orientations);
        if (rc == OBS_OK)
            rc = xml_elem(out, "mode", ref_at(REF_MODE, (size_t)x->mode)->code);
        if (rc == OBS_OK && x->comment)
            rc = xml_elem(out, "commentaire", x->comment);
        if (rc == OBS_OK)
            rc = obs_buf_puts(out, "  </contact>\n");
    }
    if (rc == OBS_OK)
        rc = obs_buf_puts(out, "</grille>\n");
    return rc;
}

obs_status demo_render(const demo_post *p, int year, int month,
                           const demo_contact *c, size_t n, obs_buf *out)
{
    if (p->format == DEMO_XML)
        return render_xml(p, year, month, c, n, out);
    return render_csv(p, year, month, c, n, out);
}
