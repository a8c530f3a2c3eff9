/* demo.c: `iscgobs demo`, a realistic synthetic national year: the post register, one grid
 * per active post-month (CSV and XML, in the posts' various habits) and the manifest of
 * simulated reception times. See docs/demo.md for what the year contains.
 *
 * The register is drawn from stream 0 of the seed; each post's grids from its own stream,
 * so the same seed always writes the same bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "date.h"
#include "demo.h"
#include "ref.h"

#define DEMO_MAX_POSTS 1000
#define DEMO_MAX_CONTACTS 600 /* per post-month */

/* Rough population (tens of thousands) and the article used before the name ("de l'Ain",
 * "du Nord", "de la Somme", "des Yvelines", "de Paris"). A few urban départements with
 * many ISCG posts are weighted up. */
static const struct {
    const char *code;
    unsigned w;
    const char *art;
} dep_info[] = {
    {"01", 66, "de l'"},  {"02", 53, "de l'"},  {"03", 33, "de l'"},  {"04", 16, "des "},
    {"05", 14, "des "},   {"06", 115, "des "},  {"07", 33, "de l'"},  {"08", 27, "des "},
    {"09", 15, "de l'"},  {"10", 31, "de l'"},  {"11", 38, "de l'"},  {"12", 28, "de l'"},
    {"13", 215, "des "},  {"14", 70, "du "},    {"15", 14, "du "},    {"16", 35, "de la "},
    {"17", 66, "de la "}, {"18", 30, "du "},    {"19", 24, "de la "}, {"21", 54, "de la "},
    {"22", 60, "des "},   {"23", 12, "de la "}, {"24", 41, "de la "}, {"25", 54, "du "},
    {"26", 52, "de la "}, {"27", 60, "de l'"},  {"28", 43, "de l'"},  {"29", 92, "du "},
    {"2A", 16, "de la "}, {"2B", 18, "de la "}, {"30", 75, "du "},    {"31", 150, "de la "},
    {"32", 19, "du "},    {"33", 170, "de la "}, {"34", 120, "de l'"}, {"35", 110, "de l'"},
    {"36", 22, "de l'"},  {"37", 61, "de l'"},  {"38", 128, "de l'"}, {"39", 26, "du "},
    {"40", 42, "des "},   {"41", 33, "du "},    {"42", 77, "de la "}, {"43", 23, "de la "},
    {"44", 145, "de la "}, {"45", 68, "du "},   {"46", 17, "du "},    {"47", 33, "du "},
    {"48", 8, "de la "},  {"49", 82, "du "},    {"50", 49, "de la "}, {"51", 57, "de la "},
    {"52", 17, "de la "}, {"53", 31, "de la "}, {"54", 73, "de la "}, {"55", 18, "de la "},
    {"56", 76, "du "},    {"57", 105, "de la "}, {"58", 20, "de la "}, {"59", 270, "du "},
    {"60", 83, "de l'"},  {"61", 28, "de l'"},  {"62", 146, "du "},   {"63", 66, "du "},
    {"64", 69, "des "},   {"65", 23, "des "},   {"66", 48, "des "},   {"67", 114, "du "},
    {"68", 77, "du "},    {"69", 195, "du "},   {"70", 23, "de la "}, {"71", 55, "de la "},
    {"72", 57, "de la "}, {"73", 44, "de la "}, {"74", 83, "de la "}, {"75", 260, "de "},
    {"76", 125, "de la "}, {"77", 143, "de la "}, {"78", 145, "des "}, {"79", 37, "des "},
    {"80", 57, "de la "}, {"81", 39, "du "},    {"82", 26, "du "},    {"83", 109, "du "},
    {"84", 56, "du "},    {"85", 69, "de la "}, {"86", 44, "de la "}, {"87", 37, "de la "},
    {"88", 36, "des "},   {"89", 33, "de l'"},  {"90", 14, "du "},    {"91", 131, "de l'"},
    {"92", 175, "des "},  {"93", 230, "de la "}, {"94", 160, "du "},  {"95", 126, "du "},
    {"971", 38, "de la "}, {"972", 35, "de la "}, {"973", 29, "de la "}, {"974", 87, "de "},
    {"976", 30, "de "},
};

/* Generic commune names: a stem and an optional complement. */
static const char *const stems[] = {
    "Saint-Martin", "Villeneuve", "Beaumont", "Montigny", "Saint-Denis", "Châteauneuf",
    "Fontaine", "Neuville", "Sainte-Marie", "Villers", "Saint-Pierre", "Bourg", "Champigny",
    "Saint-Étienne", "Aubigny", "Épinay", "Issy", "Mont-Saint-Jean", "Roche", "Valence",
    "Belleville", "Clairvaux", "Montreuil", "Saint-Laurent", "Orval", "Rochefort",
};
static const char *const complements[] = {
    "", "", "", "", "-sur-Mer", "-le-Château", "-les-Bains", "-la-Forêt", "-sur-Loire",
    "-en-Vallée", "-le-Grand", "-la-Rivière", "-du-Lac", "-sur-Seine", "-les-Vignes",
};

typedef struct demo_opts {
    const char *out;
    int year, posts;
    uint64_t seed;
} demo_opts;

static void usage(FILE *f)
{
    fputs("Usage : iscgobs demo --out DIR [--year ANNEE] [--posts N] [--seed S]\n"
          "Écrit une année nationale synthétique : DIR/posts.csv (registre des postes),\n"
          "DIR/grids/<poste>_<AAAA-MM>.csv|.xml (une grille par poste actif et par mois)\n"
          "et DIR/manifest.csv (date de réception simulée de chaque grille).\n"
          "  --year ANNEE  année simulée (défaut : l'année civile précédente)\n"
          "  --posts N     nombre de postes, 1 à 1000 (défaut : 450)\n"
          "  --seed S      graine ; la même graine donne les mêmes fichiers (défaut : 1)\n",
          f);
}

/* Parse a decimal integer in [lo, hi] (digits only); 0 on success. */
static int parse_num(const char *s, long lo, long hi, long long *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error (message printed). */
static int parse_opts(int argc, char **argv, demo_opts *o, int this_year)
{
    o->out = NULL;
    o->year = this_year - 1;
    o->posts = 450;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        static const char *const names[] = {"--out", "--year", "--posts", "--seed"};
        size_t k;
        for (k = 0; k < OBS_ARRAY_LEN(names); k++) {
            size_t nl = strlen(names[k]);
            if (strncmp(a, names[k], nl) == 0 && (a[nl] == '\0' || a[nl] == '=')) {
                if (a[nl] == '=')
                    v = a + nl + 1;
                else if (i + 1 < argc)
                    v = argv[++i];
                break;
            }
        }
        if (k == OBS_ARRAY_LEN(names)) {
            fprintf(stderr, "demo : argument inconnu « %s » (voir iscgobs demo --help)\n", a);
            return 2;
        }
        if (v == NULL) {
            fprintf(stderr, "demo : l'option %s attend une valeur\n", names[k]);
            return 2;
        }
        long long n = 0;
        if (k == 0) {
            o->out = v;
        } else if (k == 1) {
            if (parse_num(v, 2000, this_year, &n)) {
                fprintf(stderr, "demo : année invalide « %s » (attendu : 2000 à %d)\n", v,
                        this_year);
                return 2;
            }
            o->year = (int)n;
        } else if (k == 2) {
            if (parse_num(v, 1, DEMO_MAX_POSTS, &n)) {
                fprintf(stderr, "demo : nombre de postes invalide « %s » (attendu : 1 à %d)\n",
                        v, DEMO_MAX_POSTS);
                return 2;
            }
            o->posts = (int)n;
        } else {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || *end || *v < '0' || *v > '9') {
                fprintf(stderr, "demo : graine invalide « %s » (attendu : un entier positif)\n", v);
                return 2;
            }
            o->seed = (uint64_t)s;
        }
    }
    if (o->out == NULL || o->out[0] == '\0') {
        fprintf(stderr, "demo : --out DIR est obligatoire (voir iscgobs demo --help)\n");
        return 2;
    }
    return 0;
}

/* ---- calendar ---- */

/* ---- the register ---- */

static const char *dep_article(const char *code, unsigned *w)
{
    for (size_t i = 0; i < OBS_ARRAY_LEN(dep_info); i++)
        if (strcmp(dep_info[i].code, code) == 0) {
            *w = dep_info[i].w;
            return dep_info[i].art;
        }
    *w = 30;
    return "de ";
}

/* "de " or "d'" before a commune name starting with a vowel. */
static const char *de(const char *name)
{
    return strchr("AEIOUY", name[0]) || strncmp(name, "É", strlen("É")) == 0 ? "d'" : "de ";
}

/* Number of posts of each département: at least one each when there are enough posts, the
 * rest in proportion to the weights (largest remainders); otherwise a weighted draw. */
static void share_posts(demo_rng *r, int nposts, const unsigned *w, size_t ndep, int *count)
{
    unsigned long total = 0;
    for (size_t i = 0; i < ndep; i++) {
        count[i] = 0;
        total += w[i];
    }
    if ((size_t)nposts < ndep) {
        unsigned tmp[128];
        for (size_t i = 0; i < ndep; i++)
            tmp[i] = w[i];
        for (int k = 0; k < nposts; k++) {
            size_t i = demo_rng_pick(r, tmp, ndep);
            count[i] = 1;
            tmp[i] = 0;
        }
        return;
    }
    int rest = nposts - (int)ndep, given = 0;
    double frac[128];
    for (size_t i = 0; i < ndep; i++) {
        double q = (double)rest * w[i] / (double)total;
        count[i] = 1 + (int)q;
        given += (int)q;
        frac[i] = q - (int)q;
    }
    while (given < rest) { /* largest remainder first, lowest index on ties */
        size_t best = 0;
        for (size_t i = 1; i < ndep; i++)
            if (frac[i] > frac[best])
                best = i;
        count[best]++;
        frac[best] = -1.0;
        given++;
    }
}

/* Attributes of post p (code, dep set) drawn from its own stream. */
static void draw_post(demo_post *p, int seq, const ref_dep *d, int year, uint64_t seed,
                      int idx, int *groupement_done, const demo_post *same_dep, int nsame)
{
    demo_rng r;
    demo_rng_seed(&r, seed, 1 + (uint64_t)idx);
    unsigned w;
    const char *art = dep_article(d->code, &w);
    double ppn = strcmp(d->code, "75") == 0 ? 1.0 : w >= 150 ? 0.72 : w >= 90 ? 0.60
                                                  : w >= 50 ? 0.46 : 0.34;
    p->gn = demo_rng_unit(&r) >= ppn;

    /* Host commune, distinct from the other posts of the département. */
    for (int tries = 0; tries < 12; tries++) {
        snprintf(p->commune, sizeof p->commune, "%s%s",
                 stems[demo_rng_below(&r, OBS_ARRAY_LEN(stems))],
                 complements[demo_rng_below(&r, OBS_ARRAY_LEN(complements))]);
        int clash = 0;
        for (int k = 0; k < nsame; k++)
            clash |= strcmp(same_dep[k].commune, p->commune) == 0;
        if (!clash)
            break;
    }
    if (strcmp(d->code, "75") == 0) {
        snprintf(p->commune, sizeof p->commune, "Paris");
        snprintf(p->name, sizeof p->name, "ISCG commissariat du %d%s arrondissement de Paris",
                 (seq - 1) % 20 + 1, seq == 1 ? "er" : "e");
    } else if (!p->gn) {
        snprintf(p->name, sizeof p->name, "ISCG commissariat %s%s", de(p->commune), p->commune);
    } else if (!*groupement_done && demo_rng_unit(&r) < 0.5) {
        *groupement_done = 1;
        snprintf(p->name, sizeof p->name, "ISCG groupement de gendarmerie %s%s", art, d->name);
    } else {
        snprintf(p->name, sizeof p->name, "ISCG brigade de gendarmerie %s%s", de(p->commune),
                 p->commune);
    }

    static const unsigned emp_pn[] = {50, 20, 10, 20}, emp_gn[] = {25, 40, 20, 15};
    static const char *const emp[] = {"COMMUNE", "DEPARTEMENT", "INTERCO", "ASSOCIATION"};
    p->employer = ref_find(REF_EMPLOYEUR, emp[demo_rng_pick(&r, p->gn ? emp_gn : emp_pn, 4)]);
    p->opened = (year - 1 - (int)demo_rng_below(&r, 12)) * 12 + (int)demo_rng_below(&r, 12);
    p->closed = -1;

    double f = demo_rng_unit(&r);
    p->format = f < 0.70 ? DEMO_CSV_SEMI : f < 0.80 ? DEMO_CSV_CP1252
              : f < 0.90 ? DEMO_CSV_COMMA : DEMO_XML;
    int csv = p->format != DEMO_XML;
    p->bom = p->format == DEMO_CSV_COMMA && demo_rng_unit(&r) < 0.5;
    p->date_fr = csv && demo_rng_unit(&r) < 0.4;
    p->header_style = p->format == DEMO_CSV_CP1252 || (csv && demo_rng_unit(&r) < 0.2);
    p->alt_order = csv && demo_rng_unit(&r) < 0.1;
    p->no_comment = csv && demo_rng_unit(&r) < 0.15;
    static const unsigned files_w[] = {45, 20, 15, 20};
    static const int files_pct[] = {0, 10, 30, 90};
    p->ref_files = files_pct[demo_rng_pick(&r, files_w, 4)];
    static const char *const prefixes[] = {"D-", "DOS ", "N°", ""};
    snprintf(p->file_prefix, sizeof p->file_prefix, "%s", prefixes[demo_rng_below(&r, 4)]);
    double s = exp(0.35 * demo_rng_gauss(&r));
    p->scale = s < 0.45 ? 0.45 : s > 1.9 ? 1.9 : s;
    p->august_off = demo_rng_unit(&r) < 0.4;
    p->irregular = demo_rng_unit(&r) < 0.08;
    p->stream = 1000000 + (uint64_t)idx;
}

/* Build the register of o->posts posts into *out (caller frees). */
static obs_status make_register(const demo_opts *o, demo_post **out)
{
    size_t ndep = ref_dep_count();
    if (ndep > 128)
        obs_fatal("demo: more départements than expected");
    unsigned w[128];
    int count[128];
    for (size_t i = 0; i < ndep; i++)
        dep_article(ref_dep_at(i)->code, &w[i]);
    demo_rng r;
    demo_rng_seed(&r, o->seed, 0);
    share_posts(&r, o->posts, w, ndep, count);

    demo_post *p = calloc((size_t)o->posts, sizeof *p);
    if (p == NULL)
        return OBS_ERR_NOMEM;
    int n = 0;
    for (size_t i = 0; i < ndep; i++) {
        const ref_dep *d = ref_dep_at(i);
        int first = n, groupement = 0;
        for (int k = 1; k <= count[i] && k <= 99; k++, n++) {
            snprintf(p[n].code, sizeof p[n].code, "ISCG-%s%.3s-%02u", strlen(d->code) < 3 ? "0" : "",
                     d->code, (unsigned)k % 100u);
            snprintf(p[n].dep, sizeof p[n].dep, "%s", d->code);
            draw_post(&p[n], k, d, o->year, o->seed, n, &groupement, &p[first], n - first);
        }
    }
    /* A few posts open during the year (February to November), one or two close (their last
     * month is between April and October). */
    int nopen = o->posts >= 5 ? (o->posts / 25 > 1 ? o->posts / 25 : 1) : 0;
    int nclose = o->posts >= 20 ? 2 : o->posts >= 5 ? 1 : 0;
    for (int k = 0; k < nopen + nclose; k++) {
        demo_post *q;
        do
            q = &p[demo_rng_below(&r, (uint32_t)n)];
        while (q->opened >= o->year * 12 || q->closed >= 0);
        if (k < nopen)
            q->opened = o->year * 12 + 1 + (int)demo_rng_below(&r, 10);
        else
            q->closed = o->year * 12 + 3 + (int)demo_rng_below(&r, 7);
    }
    *out = p;
    return OBS_OK;
}

/* ---- files ---- */

/* mkdir -p path (mode 0755). 0 on success. */
static int make_dirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *q = tmp + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *q = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Write b to dir/name; prints the French error and returns -1 on failure. */
static int write_file(const char *dir, const char *name, const obs_buf *b)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "demo : chemin trop long : %s/%s\n", dir, name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "demo : impossible d'écrire %s : %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = b->len;
    int bad = len && fwrite(b->data, 1, len, f) != len;
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "demo : erreur d'écriture sur %s : %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void fmt_month(char *out, size_t cap, int mnum)
{
    if (mnum < 0)
        out[0] = '\0';
    else
        snprintf(out, cap, "%04d-%02d", mnum / 12, mnum % 12 + 1);
}

static obs_status register_csv(const demo_post *p, int n, obs_buf *b)
{
    obs_status rc = obs_buf_puts(b, "code;name;dep;force;commune;employer;opened;closed\n");
    for (int i = 0; rc == OBS_OK && i < n; i++) {
        char op[16], cl[16];
        fmt_month(op, sizeof op, p[i].opened);
        fmt_month(cl, sizeof cl, p[i].closed);
        rc = obs_buf_printf(b, "%s;", p[i].code);
        if (rc == OBS_OK)
            rc = demo_csv_field(b, p[i].name, ';');
        if (rc == OBS_OK)
            rc = obs_buf_printf(b, ";%s;%s;", p[i].dep, p[i].gn ? "GN" : "PN");
        if (rc == OBS_OK)
            rc = demo_csv_field(b, p[i].commune, ';');
        if (rc == OBS_OK)
            rc = obs_buf_printf(b, ";%s;%s;%s\n", ref_at(REF_EMPLOYEUR, (size_t)p[i].employer)->code,
                                op, cl);
    }
    return rc;
}

/* Seasonal activity by month (index 0 = January); August separately. */
static const double season[12] = {0.95, 0.90, 1.00, 1.00, 1.00, 1.05,
                                  1.15, 1.10, 1.00, 1.00, 0.95, 1.15};

/* Simulated reception of the grid of month mnum: mostly in the first days of the following
 * month, late ones (after the 10th) some weeks later; never after `now`. */
static void received_at(demo_rng *r, int mnum, int late, long now_days, char *out, size_t cap)
{
    int y = (mnum + 1) / 12, m = (mnum + 1) % 12 + 1;
    long day = obs_days_from_civil(y, m, 1) +
               (late ? 11 + (long)demo_rng_below(r, 40) : (long)demo_rng_below(r, 9));
    int hh = 7 + (int)demo_rng_below(r, 11), mm = (int)demo_rng_below(r, 60);
    if (day >= now_days) { /* the month ended lately: received today at 00:00 UTC */
        day = now_days;
        hh = 0;
        mm = 0;
    }
    int d;
    obs_civil_from_days(day, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:00Z", y, m, d, hh, mm);
}

typedef struct demo_totals {
    long grids, rows;
} demo_totals;

/* All grids of post p: files under grids_dir, lines appended to the manifest. */
static int post_grids(const demo_post *p, const demo_opts *o, const char *grids_dir,
                      int last_month, long now_days, demo_contact *cbuf, obs_buf *file,
                      obs_buf *manifest, demo_totals *t)
{
    demo_rng r;
    demo_rng_seed(&r, o->seed, p->stream);
    demo_people *pp = demo_people_new(p, o->year);
    if (pp == NULL)
        return -1;
    int ret = 0;
    for (int m = 1; m <= 12 && ret == 0; m++) {
        int mnum = o->year * 12 + m - 1;
        if (mnum < p->opened || (p->closed >= 0 && mnum > p->closed) || m > last_month)
            continue;
        /* Draws in a fixed order, whatever the outcome. */
        double u_missing = demo_rng_unit(&r), u_empty = demo_rng_unit(&r);
        double u_late = demo_rng_unit(&r), g = demo_rng_gauss(&r);
        if (u_missing < (p->irregular ? 0.30 : 0.005))
            continue; /* never sent */
        double mean = 85.0 * p->scale * (m == 8 && p->august_off ? 0.55 : season[m - 1]);
        if (mnum == p->opened && p->opened >= o->year * 12)
            mean *= 0.5; /* first month of a new post */
        if (mnum == p->closed)
            mean *= 0.6;
        long n = lround(mean + g * 1.2 * sqrt(mean));
        if (u_empty < 0.012 || n < 0)
            n = 0; /* holidays, vacant post: header only */
        if (n > DEMO_MAX_CONTACTS)
            n = DEMO_MAX_CONTACTS;
        if (demo_people_month(pp, &r, m, cbuf, (size_t)n) != OBS_OK) {
            ret = -1;
            break;
        }
        char name[64], when[32];
        snprintf(name, sizeof name, "%s_%04d-%02d.%s", p->code, o->year, m, demo_ext(p->format));
        received_at(&r, mnum, u_late < (p->irregular ? 0.30 : 0.06), now_days, when, sizeof when);
        obs_buf_reset(file);
        if (demo_render(p, o->year, m, cbuf, (size_t)n, file) != OBS_OK ||
            obs_buf_printf(manifest, "grids/%s;%s;%04d-%02d;%s\n", name, p->code, o->year, m,
                           when) != OBS_OK) {
            ret = -1;
            break;
        }
        if (write_file(grids_dir, name, file))
            ret = -2;
        t->grids++;
        t->rows += n;
    }
    demo_people_free(pp);
    return ret;
}

/* `iscgobs demo`: see demo.h and docs/demo.md. Returns 0, 1 (cannot write, no memory)
 * or 2 (usage error). */
int demo_cmd(int argc, char **argv)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK) {
        fprintf(stderr, "demo : données de référence illisibles : %s\n", e.msg);
        return 1;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int this_year = tm.tm_year + 1900;
    demo_opts o;
    int prc = parse_opts(argc, argv, &o, this_year);
    if (prc)
        return prc == 1 ? 0 : 2;
    /* Only months that have ended; reception times never later than today. */
    int last_month = o.year < this_year ? 12 : tm.tm_mon;
    long now_days = obs_days_from_civil(this_year, tm.tm_mon + 1, tm.tm_mday);

    char grids_dir[4096];
    if (snprintf(grids_dir, sizeof grids_dir, "%s/grids", o.out) >= (int)sizeof grids_dir ||
        make_dirs(grids_dir) != 0) {
        fprintf(stderr, "demo : impossible de créer le dossier %s : %s\n", grids_dir,
                strerror(errno));
        return 1;
    }
    demo_post *posts = NULL;
    demo_contact *cbuf = calloc(DEMO_MAX_CONTACTS, sizeof *cbuf);
    obs_buf file, manifest;
    obs_buf_init(&file, 0);
    obs_buf_init(&manifest, 0);
    demo_totals t = {0, 0};
    int status = 1;
    if (cbuf == NULL || make_register(&o, &posts) != OBS_OK)
        goto nomem;
    if (register_csv(posts, o.posts, &file) != OBS_OK)
        goto nomem;
    if (write_file(o.out, "posts.csv", &file))
        goto out;
    if (obs_buf_puts(&manifest, "file;post;period;received_at\n") != OBS_OK)
        goto nomem;
    for (int i = 0; i < o.posts; i++) {
        int rc = post_grids(&posts[i], &o, grids_dir, last_month, now_days, cbuf, &file,
                            &manifest, &t);
        if (rc == -1)
            goto nomem;
        if (rc)
            goto out;
    }
    if (write_file(o.out, "manifest.csv", &manifest))
        goto out;
    fprintf(stderr, "demo : %d postes, %ld grilles, %ld lignes écrites dans %s (année %d, graine %llu)\n",
            o.posts, t.grids, t.rows, o.out, o.year, (unsigned long long)o.seed);
    status = 0;
    goto out;
nomem:
    fprintf(stderr, "demo : mémoire insuffisante\n");
out:
    obs_buf_free(&file);
    obs_buf_free(&manifest);
    free(cbuf);
    free(posts);
    return status;
}
