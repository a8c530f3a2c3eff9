/* csv.c: reads a CSV grid (grid-format.md section 2.1, docs/grid-format.md) into a
 * col_table: encoding, separator detection, RFC 4180 quoting, header matching.
 *
 * One pass over the decoded text. Fields are spans of the text (no copy) until they are
 * stored in the table's arena; only quoted fields holding "" go through a scratch buffer to
 * be unescaped. Line numbers are physical lines (LF, CRLF or a lone CR end a line, also
 * inside quoted fields), so that a message points where the post's editor shows the row.
 * What is checked here is the shape of the file; the cells' values are checked by
 * validate.c.
 */
#include "grid.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistr.h>

#include "text.h"

#define CSV_MAX_FIELDS 512 /* fields kept per record; more are counted, not kept */

typedef struct csv_field {
    const char *p;         /* first byte of the content (after an opening quote) */
    size_t len;            /* bytes of content, quotes excluded */
    unsigned char quoted;  /* the field was between quotes */
    unsigned char escaped; /* the content holds "" pairs to unescape */
} csv_field;

typedef struct csv_scan {
    const char *s;               /* decoded UTF-8 text */
    size_t n;                    /* its length */
    size_t pos;                  /* next byte to read */
    int line;                    /* physical line of s[pos] */
    int rec_line;                /* physical line where the last record read starts */
    char sep;                    /* ';', ',' or '\t' */
    col_report *rep;             /* NULL while probing separators: nothing is reported */
    csv_field f[CSV_MAX_FIELDS]; /* the fields of the last record */
    size_t nf;                   /* fields in the last record, including those not kept */
    const int *map;              /* header: field index -> col_field or -1; NULL before */
    size_t nmap;                 /* entries of map (header fields kept) */
    size_t nheader;              /* fields of the header record, including those not kept */
    obs_status rc;               /* first memory failure while reporting */
} csv_scan;

enum csv_enc { ENC_AUTO, ENC_UTF8, ENC_CP1252, ENC_UNKNOWN };

/* Add an issue through the scanner, remembering a memory failure. */
#define SCAN_REPORT(c, line, col, code, ...)                                                       \
    do {                                                                                           \
        if ((c)->rep) {                                                                            \
            obs_status rc_ = col_report_add((c)->rep, (line), (col), (code), __VA_ARGS__);         \
            if (rc_ && (c)->rc == OBS_OK)                                                          \
                (c)->rc = rc_;                                                                     \
        }                                                                                          \
    } while (0)

/* The column name of field index i of the current record, "" when unknown. */
static const char *field_column(const csv_scan *c, size_t i)
{
    if (c->map == NULL || i >= c->nmap || c->map[i] < 0)
        return "";
    return col_field_name((col_field)c->map[i]);
}

static void push_field(csv_scan *c, csv_field fld)
{
    if (c->nf < CSV_MAX_FIELDS)
        c->f[c->nf] = fld;
    c->nf++;
}

/* Read one record (RFC 4180) from c->pos into c->f. Returns 1 when a record was read, 0 at
 * the end of the text, -1 when a quote opened and never closed (reported at the line where
 * it opened; the rest of the text is consumed). Quotes in the middle of an unquoted field
 * and text after a closing quote are reported (E_CSV_QUOTE) and the record goes on. */
static int scan_record(csv_scan *c)
{
    const char *s = c->s;
    const size_t n = c->n;
    const char sep = c->sep;
    size_t i = c->pos;
    c->nf = 0;
    if (i >= n)
        return 0;
    c->rec_line = c->line;
    for (;;) {
        csv_field fld = {s + i, 0, 0, 0};
        if (i < n && s[i] == '"') {
            int open_line = c->line;
            size_t start = ++i;
            for (;;) {
                if (i >= n) {
                    SCAN_REPORT(c, open_line, field_column(c, c->nf), "E_CSV_QUOTE",
                                "Le guillemet (\") ouvert ligne %d n'est jamais refermé : un "
                                "guillemet manque ou le fichier est tronqué.",
                                open_line);
                    c->pos = n;
                    return -1;
                }
                char ch = s[i];
                if (ch == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        fld.escaped = 1;
                        i += 2;
                        continue;
                    }
                    break;
                }
                if (ch == '\n' || (ch == '\r' && !(i + 1 < n && s[i + 1] == '\n')))
                    c->line++;
                i++;
            }
            fld.p = s + start;
            fld.len = i - start;
            fld.quoted = 1;
            i++; /* the closing quote */
            if (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r') {
                SCAN_REPORT(c, c->line, field_column(c, c->nf), "E_CSV_QUOTE",
                            "Du texte suit le guillemet fermant d'une cellule : entourez toute "
                            "la cellule de guillemets et doublez ceux qu'elle contient (\"\").");
                while (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r')
                    i++;
            }
        } else {
            size_t start = i;
            int reported = 0;
            while (i < n) {
                char ch = s[i];
                if (ch == sep || ch == '\n' || ch == '\r')
                    break;
                if (ch == '"' && !reported) {
                    SCAN_REPORT(c, c->line, field_column(c, c->nf), "E_CSV_QUOTE",
                                "Une cellule contient un guillemet (\") au milieu du texte : "
                                "entourez toute la cellule de guillemets et doublez ceux "
                                "qu'elle contient (\"\").");
                    reported = 1;
                }
                i++;
            }
            fld.p = s + start;
            fld.len = i - start;
        }
        push_field(c, fld);
        if (i >= n) {
            c->pos = n;
            return 1;
        }
        if (s[i] == sep) {
            i++;
            continue;
        }
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            i++;
        i++;
        c->line++;
        c->pos = i;
        return 1;
    }
}

/* 1 when every field of the record is unquoted and made of spaces and tabs only: a blank
 * line, or a line of bare separators left by a spreadsheet. */
static int record_blank(const csv_scan *c)
{
    size_t nf = c->nf < CSV_MAX_FIELDS ? c->nf : CSV_MAX_FIELDS;
    if (c->nf > CSV_MAX_FIELDS)
        return 0;
    for (size_t i = 0; i < nf; i++) {
        if (c->f[i].quoted)
            return 0;
        for (size_t k = 0; k < c->f[i].len; k++)
            if (c->f[i].p[k] != ' ' && c->f[i].p[k] != '\t')
                return 0;
    }
    return 1;
}

/* Append a field's content to b, turning each "" into ". */
static obs_status append_unescaped(obs_buf *b, const csv_field *f)
{
    if (!f->escaped)
        return obs_buf_append(b, f->p, f->len);
    size_t i = 0;
    while (i < f->len) {
        const char *q = memchr(f->p + i, '"', f->len - i);
        size_t stop = q ? (size_t)(q - f->p) + 1 : f->len; /* keep one quote of the pair */
        obs_status rc = obs_buf_append(b, f->p + i, stop - i);
        if (rc)
            return rc;
        i = q ? stop + 1 : f->len;
    }
    return OBS_OK;
}

/* The column a header name designates: folded (case, accents, spaces, '_' and '-') and
 * compared with the folded column names. Returns the col_field, -1 for an unknown name,
 * -2 for an empty one. tmp is scratch space. */
static int header_column(const csv_field *f, obs_buf *tmp, obs_status *rc)
{
    obs_buf_reset(tmp);
    *rc = append_unescaped(tmp, f);
    if (*rc)
        return -1;
    return col_field_lookup(tmp->data ? tmp->data : "", tmp->len, rc);
}

/* Physical line of byte offset off of s (1-based). */
static int line_at(const char *s, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n')) /* s[off] exists */
            line++;
    return line;
}

/* What the Content-Type's charset parameter asks for. */
static enum csv_enc parse_charset(const char *cs)
{
    if (cs == NULL)
        return ENC_AUTO;
    while (*cs == ' ' || *cs == '\t' || *cs == '"' || *cs == '\'')
        cs++;
    size_t n = strlen(cs);
    while (n && (cs[n - 1] == ' ' || cs[n - 1] == '\t' || cs[n - 1] == '"' || cs[n - 1] == '\''))
        n--;
    static const char *const utf8[] = {"utf-8", "utf8"};
    static const char *const cp1252[] = {"windows-1252", "cp1252",    "x-cp1252",
                                         "iso-8859-1",   "iso8859-1", "iso_8859-1",
                                         "latin1",       "latin-1",   "l1"};
    static const char *const ascii[] = {"us-ascii", "ascii"};
    if (n == 0)
        return ENC_AUTO;
    for (size_t i = 0; i < OBS_ARRAY_LEN(utf8); i++)
        if (strlen(utf8[i]) == n && strncasecmp(cs, utf8[i], n) == 0)
            return ENC_UTF8;
    for (size_t i = 0; i < OBS_ARRAY_LEN(cp1252); i++)
        if (strlen(cp1252[i]) == n && strncasecmp(cs, cp1252[i], n) == 0)
            return ENC_CP1252;
    for (size_t i = 0; i < OBS_ARRAY_LEN(ascii); i++)
        if (strlen(ascii[i]) == n && strncasecmp(cs, ascii[i], n) == 0)
            return ENC_AUTO;
    return ENC_UNKNOWN;
}

/* Offset of the first byte that Windows-1252 leaves undefined, or len. */
static size_t cp1252_first_undefined(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D)
            return i;
    }
    return len;
}

/* Check the bytes and bring them to UTF-8: *text is data itself (after a BOM) or dec.
 * Reports E_ENCODING / E_NOT_CSV and returns OBS_ERR_INPUT when the body is unreadable. */
static obs_status decode_body(const char *data, size_t len, const char *charset, obs_buf *dec,
                              const char **text, size_t *tlen, col_report *rep)
{
    enum csv_enc enc = parse_charset(charset);
    obs_status rc;
    if (enc == ENC_UNKNOWN) {
        char q[COL_QUOTE_SIZE];
        rc = col_report_add(rep, 0, "", "E_ENCODING",
                            "Le jeu de caractères « %s » n'est pas accepté : envoyez le fichier "
                            "en UTF-8 ou en Windows-1252.",
                            col_report_quote(q, sizeof q, charset, strlen(charset)));
        return rc ? rc : OBS_ERR_INPUT;
    }
    if (len >= 2 && (((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) ||
                     ((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF))) {
        rc = col_report_add(rep, 0, "", "E_ENCODING",
                            "Le fichier est en UTF-16 (« texte Unicode ») : enregistrez-le au "
                            "format « CSV UTF-8 » ou « CSV (séparateur : point-virgule) ».");
        return rc ? rc : OBS_ERR_INPUT;
    }
    if (memchr(data, '\0', len) != NULL) {
        rc = col_report_add(rep, 0, "", "E_NOT_CSV",
                            "Le fichier n'est pas un fichier texte CSV (il contient des octets "
                            "nuls) : exportez la grille depuis le tableur au format CSV.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3; /* a UTF-8 BOM decides the encoding, whatever the charset says */
        len -= 3;
        enc = ENC_UTF8;
    }
    const uint8_t *bad = u8_check((const uint8_t *)data, len);
    if (enc == ENC_UTF8 && bad != NULL) {
        int line = line_at(data, (size_t)((const char *)bad - data));
        rc = col_report_add(rep, line, "", "E_ENCODING",
                            "Le fichier est déclaré en UTF-8 mais la ligne %d contient des "
                            "caractères qui ne sont pas de l'UTF-8 : enregistrez-le au format "
                            "« CSV UTF-8 », ou envoyez-le sans préciser l'encodage.",
                            line);
        return rc ? rc : OBS_ERR_INPUT;
    }
    if (enc == ENC_UTF8 || (enc == ENC_AUTO && bad == NULL)) {
        *text = data;
        *tlen = len;
        return OBS_OK;
    }
    size_t u = cp1252_first_undefined(data, len);
    if (u < len) {
        int line = line_at(data, u);
        rc = col_report_add(rep, line, "", "E_ENCODING",
                            "La ligne %d contient un octet (0x%02X) qui n'est ni de l'UTF-8 ni "
                            "du Windows-1252 : enregistrez le fichier au format « CSV UTF-8 ».",
                            line, (unsigned char)data[u]);
        return rc ? rc : OBS_ERR_INPUT;
    }
    rc = obs_cp1252_to_utf8(data, len, dec);
    if (rc)
        return rc == OBS_ERR_INPUT ? OBS_ERR_INTERNAL : rc; /* undefined bytes excluded above */
    *text = dec->data;
    *tlen = dec->len;
    return OBS_OK;
}

/* Skip the lines made only of spaces, tabs and separators; return 0 when nothing else
 * remains (an empty grid file). */
static int skip_blank_lines(csv_scan *c)
{
    size_t i = c->pos;
    while (i < c->n) {
        size_t bol = i;
        int blank = 1;
        while (i < c->n && c->s[i] != '\n' && c->s[i] != '\r') {
            char ch = c->s[i];
            if (ch != ' ' && ch != '\t' && ch != ';' && ch != ',')
                blank = 0;
            i++;
        }
        if (!blank) {
            c->pos = bol;
            return 1;
        }
        if (i < c->n && c->s[i] == '\r' && i + 1 < c->n && c->s[i + 1] == '\n')
            i++;
        if (i < c->n) {
            i++;
            c->line++;
        }
    }
    c->pos = i;
    return 0;
}

/* Choose the separator: the one of ';', ',' and TAB that splits the header record into
 * the most known column names; on a tie the first in that order (';' is what French
 * spreadsheets write). Sets c->sep and returns the number of known names it gives (0: the
 * record is not a grid header). Reports nothing; c->pos and c->line are left unchanged. */
static int detect_separator(csv_scan *c, obs_buf *tmp, obs_status *rc)
{
    static const char seps[3] = {';', ',', '\t'};
    size_t pos = c->pos;
    int line = c->line, best = 0;
    char chosen = seps[0];
    col_report *rep = c->rep;
    c->rep = NULL;
    for (size_t k = 0; k < 3 && *rc == OBS_OK; k++) {
        c->pos = pos;
        c->line = line;
        c->sep = seps[k];
        if (scan_record(c) != 1)
            continue;
        int known = 0;
        for (size_t i = 0; i < c->nf && i < CSV_MAX_FIELDS && *rc == OBS_OK; i++)
            known += header_column(&c->f[i], tmp, rc) >= 0;
        if (known > best) {
            best = known;
            chosen = seps[k];
        }
    }
    c->rep = rep;
    c->pos = pos;
    c->line = line;
    c->sep = chosen;
    return best;
}

/* Read the header record: fill map and t->present, report unknown, duplicated and missing
 * columns. Returns OBS_ERR_INPUT (reported) when the record is not a grid header. */
static obs_status read_header(csv_scan *c, col_table *t, int *map, obs_buf *tmp)
{
    obs_status rc = OBS_OK;
    size_t start = c->pos;
    int known = detect_separator(c, tmp, &rc);
    if (rc)
        return rc;
    for (size_t i = start; i < c->n && c->s[i] != '\n' && c->s[i] != '\r'; i++) {
        unsigned char b = (unsigned char)c->s[i];
        if ((b < 0x20 && b != '\t') || b == 0x7F) {
            rc = col_report_add(c->rep, 0, "", "E_NOT_CSV",
                                "Le fichier n'est pas un fichier texte CSV (caractères de "
                                "contrôle dans la première ligne) : exportez la grille depuis "
                                "le tableur au format CSV.");
            return rc ? rc : OBS_ERR_INPUT;
        }
    }
    int hline = c->line;
    int r = scan_record(c);
    if (c->rc)
        return c->rc;
    if (r < 0)
        return OBS_ERR_INPUT;
    if (known == 0) {
        rc = col_report_add(c->rep, hline, "", "E_HEADER",
                            "La première ligne doit être l'en-tête de la grille, avec les noms "
                            "des colonnes (date_contact, ref_personne, sexe, statut, origine, "
                            "connu_ss, problematiques, mode…) : aucun nom de colonne reconnu.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    size_t nf = c->nf < CSV_MAX_FIELDS ? c->nf : CSV_MAX_FIELDS;
    for (size_t i = 0; i < nf; i++) {
        int f = header_column(&c->f[i], tmp, &rc);
        if (rc)
            return rc;
        map[i] = -1;
        if (f == -2)
            continue; /* an unnamed column (trailing separator): ignored silently */
        char q[COL_QUOTE_SIZE];
        if (f < 0) {
            obs_buf_reset(tmp);
            rc = append_unescaped(tmp, &c->f[i]);
            if (rc == OBS_OK)
                rc = col_report_add(c->rep, hline, tmp->data, "W_COLUMN_UNKNOWN",
                                    "La colonne « %s » ne fait pas partie de la grille : elle "
                                    "est ignorée et ses valeurs ne sont pas enregistrées.",
                                    col_report_quote(q, sizeof q, tmp->data, tmp->len));
        } else if (t->present[f]) {
            rc = col_report_add(c->rep, hline, col_field_name((col_field)f), "E_COLUMN_DUPLICATE",
                                "La colonne « %s » figure deux fois dans l'en-tête : gardez-en "
                                "une seule.",
                                col_field_name((col_field)f));
        } else {
            t->present[f] = 1;
            map[i] = f;
        }
        if (rc)
            return rc;
    }
    for (int f = 0; f < COL_NFIELDS; f++) {
        if (col_field_required((col_field)f) && !t->present[f]) {
            rc = col_report_add(c->rep, hline, col_field_name((col_field)f), "E_COLUMN_MISSING",
                                "La colonne obligatoire « %s » manque dans l'en-tête de la "
                                "grille.",
                                col_field_name((col_field)f));
            if (rc)
                return rc;
        }
    }
    c->map = map;
    c->nmap = nf;
    c->nheader = c->nf;
    return OBS_OK;
}

/* Store the cells of the current record into a new row of t. */
static obs_status store_record(csv_scan *c, col_table *t, obs_buf *tmp)
{
    size_t nf = c->nf < c->nmap ? c->nf : c->nmap;
    for (size_t i = 0; i < nf; i++) {
        int f = c->map[i];
        const csv_field *fld = &c->f[i];
        if (f < 0 || f == COL_COMMENTAIRE)
            continue; /* unknown columns and comments are never copied */
        if (!fld->quoted && fld->len == 0)
            continue; /* an empty cell is absent */
        obs_status rc;
        if (fld->escaped) {
            obs_buf_reset(tmp);
            rc = append_unescaped(tmp, fld);
            if (rc == OBS_OK)
                rc = col_table_set(t, (col_field)f, tmp->data, tmp->len);
        } else {
            rc = col_table_set(t, (col_field)f, fld->p, fld->len);
        }
        if (rc)
            return rc;
    }
    return OBS_OK;
}

static const char *sep_name(char sep)
{
    return sep == '\t' ? "tabulation" : sep == ';' ? ";" : ",";
}

/* Parse a CSV grid into t (see grid.h and docs/grid-format.md for every rule). */
obs_status col_csv_parse(const char *data, size_t len, const char *charset, col_table *t,
                         col_report *rep)
{
    obs_buf dec, tmp;
    obs_buf_init(&dec, 4 * len + 16);
    obs_buf_init(&tmp, 0);
    csv_scan *c = calloc(1, sizeof *c);
    int *map = calloc(CSV_MAX_FIELDS, sizeof *map);
    obs_status rc = OBS_ERR_NOMEM;
    if (c == NULL || map == NULL)
        goto out;
    rc = decode_body(data ? data : "", len, charset, &dec, &c->s, &c->n, rep);
    if (rc)
        goto out;
    c->line = 1;
    c->rep = rep;
    if (!skip_blank_lines(c)) {
        rc = col_report_add(rep, 0, "", "E_EMPTY",
                            "Le fichier est vide : il doit contenir au moins la ligne d'en-tête "
                            "(date_contact;ref_personne;…), même sans aucun contact ce mois-ci.");
        rc = rc ? rc : OBS_ERR_INPUT;
        goto out;
    }
    rc = read_header(c, t, map, &tmp);
    if (rc)
        goto out;
    for (;;) {
        int r = scan_record(c);
        if (c->rc) {
            rc = c->rc;
            goto out;
        }
        if (r == 0)
            break;
        if (r < 0) {
            rc = OBS_ERR_INPUT;
            goto out;
        }
        if (record_blank(c))
            continue;
        if (t->n >= COL_MAX_ROWS) {
            rc = col_report_add(rep, c->rec_line, "", "E_TOO_MANY_ROWS",
                                "La grille dépasse %d lignes de contacts : un poste en a au "
                                "plus quelques centaines par mois ; vérifiez le fichier.",
                                COL_MAX_ROWS);
            rc = rc ? rc : OBS_ERR_TOO_LARGE;
            goto out;
        }
        if (col_table_add_row(t, c->rec_line) < 0) {
            rc = OBS_ERR_NOMEM;
            goto out;
        }
        if (c->nf > c->nheader) {
            rc = col_report_add(rep, c->rec_line, "", "E_CSV_FIELDS",
                                "Cette ligne a %zu cellules alors que l'en-tête a %zu colonnes : "
                                "une cellule contient-elle le séparateur « %s » sans être entre "
                                "guillemets ?",
                                c->nf, c->nheader, sep_name(c->sep));
            if (rc)
                goto out;
        }
        rc = store_record(c, t, &tmp);
        if (rc)
            goto out;
    }
    rc = OBS_OK;
out:
    obs_buf_wipe(&dec);
    obs_buf_wipe(&tmp);
    if (c)
        obs_wipe(c, sizeof *c);
    free(c);
    free(map);
    return rc;
}
