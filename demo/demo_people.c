/* demo_people.c: the synthetic persons and contacts of the demonstration year.
 *
 * Each post keeps a population of invented persons (names from small French first-name and
 * surname lists, birth date, sex, postcode, a few stable traits); every month it meets new
 * persons and some already met (about a quarter of contacts are repeats), and each contact
 * gets codes drawn from distributions that mimic the ISCG activity reports: domestic
 * violence first, about half of persons unknown to social services, some 15% minors.
 * Also holds the PRNG (xoshiro256** seeded by splitmix64).
 */
#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "ref.h"

/* ---- PRNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void demo_rng_seed(demo_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) /* cannot happen with splitmix64 */
        r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t demo_rng_next(demo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t demo_rng_below(demo_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant for synthetic data. */
    return (uint32_t)(((demo_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double demo_rng_unit(demo_rng *r)
{
    return (double)(demo_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double demo_rng_gauss(demo_rng *r)
{
    /* Box-Muller; 1 - u keeps the logarithm finite. */
    double u = 1.0 - demo_rng_unit(r), v = demo_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

size_t demo_rng_pick(demo_rng *r, const unsigned *weights, size_t n)
{
    unsigned long total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    unsigned long x = (unsigned long)(demo_rng_unit(r) * (double)total);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* ---- weighted code tables, resolved against the reference lists ---- */

typedef struct wcode {
    const char *code;
    unsigned w;
} wcode;

/* Draw a code from a weighted table and return its index in list l. */
static int pick_code(demo_rng *r, ref_list l, const wcode *t, size_t n)
{
    unsigned w[32];
    for (size_t i = 0; i < n && i < OBS_ARRAY_LEN(w); i++)
        w[i] = t[i].w;
    size_t k = demo_rng_pick(r, w, n < OBS_ARRAY_LEN(w) ? n : OBS_ARRAY_LEN(w));
    int idx = ref_find(l, t[k].code);
    if (idx < 0)
        obs_fatal("demo: code absent from the reference lists");
    return idx;
}
#define PICK(r, l, t) pick_code((r), (l), (t), OBS_ARRAY_LEN(t))

/* Main problem of an adult (weights in tenths of a percent). */
static const wcode prob_adult[] = {
    {"VIOL_CONJ", 380},    {"VIOL_INTRAFAM", 60}, {"VIOL_SEX", 35},      {"AUTRES_VIOL", 70},
    {"CONFLIT_FAM", 100},  {"CONFLIT_VOIS", 45},  {"ENFANCE_DANGER", 20}, {"SANTE_MENTALE", 70},
    {"ADDICTION", 30},     {"PRECARITE", 60},     {"LOGEMENT", 40},      {"VULNERABILITE", 50},
    {"PROSTITUTION", 8},   {"ACCES_DROITS", 30},  {"RADICALISATION", 3}, {"AUTRE", 20},
};
/* Main problem of a minor. */
static const wcode prob_minor[] = {
    {"ENFANCE_DANGER", 250}, {"FUGUE", 150},      {"MINEUR_AUTEUR", 150}, {"VIOL_INTRAFAM", 150},
    {"VIOL_SEX", 80},        {"AUTRES_VIOL", 80}, {"CONFLIT_FAM", 80},    {"SANTE_MENTALE", 30},
    {"ADDICTION", 15},       {"RADICALISATION", 5}, {"AUTRE", 10},
};
/* Problems that come along with the main one. */
static const wcode prob_second[] = {
    {"PRECARITE", 100},   {"LOGEMENT", 80},    {"CONFLIT_FAM", 80}, {"ENFANCE_DANGER", 60},
    {"SANTE_MENTALE", 70}, {"ADDICTION", 50},  {"ACCES_DROITS", 80}, {"VIOL_INTRAFAM", 40},
    {"AUTRES_VIOL", 40},  {"VULNERABILITE", 30}, {"AUTRE", 20},
};
static const wcode orient_violence[] = {
    {"AIDE_VICTIMES", 200}, {"DROITS_FEMMES", 150}, {"ACCES_DROIT", 120}, {"HEBERGEMENT", 80},
    {"POLICE_GEND", 100},   {"SANTE", 80},          {"SSD", 100},         {"JUSTICE", 60},
    {"PROT_ENFANCE", 40},   {"CCAS", 30},           {"LOGEMENT", 20},     {"ASSOC_AUTRE", 20},
};
static const wcode orient_minor[] = {
    {"PROT_ENFANCE", 250}, {"EDUC_NAT", 120}, {"SSD", 150},         {"SANTE", 100},
    {"JUSTICE", 100},      {"ASSOC_AUTRE", 50}, {"AIDE_VICTIMES", 40}, {"ADDICTO", 10},
};
static const wcode orient_other[] = {
    {"SSD", 200},     {"CCAS", 150},      {"SANTE", 120},  {"PROT_SOCIALE", 100},
    {"LOGEMENT", 80}, {"HEBERGEMENT", 60}, {"ACCES_DROIT", 60}, {"EMPLOI", 60},
    {"ADDICTO", 50},  {"ASSOC_AUTRE", 40}, {"JUSTICE", 20},  {"AUTRE", 20},
};
static const wcode origine_first[] = {
    {"POL_INTER", 150}, {"POL_ACCUEIL", 250}, {"BPF", 60},     {"MAIN_COURANTE", 200},
    {"SPONTANE", 100},  {"SERV_SOCIAL", 80},  {"ASSOCIATION", 30}, {"SANTE", 30},
    {"JUSTICE", 30},    {"EDUC_NAT", 20},     {"MAIRIE", 30},  {"AUTRE", 20},
};
static const wcode mode_tab[] = {
    {"BUREAU", 500}, {"TELEPHONE", 300}, {"DOMICILE", 70}, {"EXTERIEUR", 50},
    {"ACCOMPAGNEMENT", 80},
};

/* ---- names (synthetic: common French names, combined at random) ---- */

static const char *const surnames[] = {
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Roche",
    "Noël", "Meyer", "Lucas", "Meunier", "Marchand", "Dufour", "Blanchard", "Barbier",
    "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez", "Renard",
    "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc", "Vidal", "Bourgeois",
    "Renaud", "Lemoine", "Picard", "Gaillard", "Lacroix", "Fabre", "Dupuis", "Da Silva",
    "Hubert", "Rivière", "Le Gall", "Ménard", "Fleury", "Deschamps", "Carpentier", "Benoît",
    "Maillard", "Aubry", "Prévost", "Poirier", "Charpentier", "Huet", "Carré", "Rémy",
    "Diallo", "Traoré", "N'Diaye", "Benali", "Haddad", "Mendy", "Le Roux", "Pereira",
};
static const char *const first_f[] = {
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Christine",
    "Valérie", "Véronique", "Stéphanie", "Céline", "Aurélie", "Julie", "Camille", "Léa",
    "Manon", "Emma", "Chloé", "Inès", "Sarah", "Laura", "Émilie", "Hélène", "Sophie",
    "Claire", "Lucie", "Océane", "Zoé", "Jade", "Louise", "Anaïs", "Mélanie", "Audrey",
    "Karima", "Fatima", "Aïcha", "Yasmine", "Nadia", "Amandine", "Élodie", "Justine",
    "Pauline", "Margaux", "Noémie", "Agnès", "Françoise", "Monique", "Brigitte", "Maëlys",
    "Clémence",
};
static const char *const first_m[] = {
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Stéphane",
    "Laurent", "Sébastien", "Julien", "David", "Frédéric", "Olivier", "Thomas", "Maxime",
    "Lucas", "Hugo", "Théo", "Nathan", "Louis", "Enzo", "Mathis", "Kévin", "Jérôme",
    "Cédric", "Grégory", "Mickaël", "Yannick", "Franck", "Karim", "Mohamed", "Mehdi",
    "Youssef", "Rayan", "Adam", "Noah", "Gabriel", "Raphaël", "Antoine", "Benoît",
    "François", "Gérard", "Bernard", "Daniel", "Patrick", "Éric", "Loïc", "Gaël", "Jérémy",
};

/* Neutral worker's notes; some hold a separator, a quote or a line break on purpose. */
static const char *const comments[] = {
    "mise à l'abri ce soir",
    "rappel prévu la semaine prochaine",
    "orientée vers le \"point-justice\"",
    "dossier transmis ; attente de réponse",
    "a demandé un rendez-vous\nrappel lundi",
    "aide de 50 € accordée par le CCAS",
    "accompagnement au dépôt de plainte",
    "pas de suite souhaitée pour l'instant",
    "suivi conjoint avec le service social de secteur",
    "situation stable, « point d'étape » dans un mois",
    "entretien écourté; à reprendre",
    "Œuvre partenaire contactée, réponse attendue",
};

/* ---- the population ---- */

typedef struct person {
    uint16_t surname, first; /* indexes in surnames[] and first_f[] / first_m[] */
    int8_t sexe;             /* index in REF_SEXE */
    int8_t minor;            /* under 18 during the year */
    int16_t by;              /* birth year, 0 = not given */
    int8_t bm, bd;           /* 0 = year only */
    char cp[6];
    int8_t connu_ss, statut, main_problem, origine;
    int file_no;             /* > 0: referenced by a file number */
    int file_year;
} person;

struct demo_people {
    const demo_post *post;
    int year;
    person *v;
    size_t n, cap;
    int next_file;          /* next file number of the post */
    unsigned char *used;    /* surname x first-name pairs already given (per sex list) */
};

#define NSUR OBS_ARRAY_LEN(surnames)
#define NFIRST 50
_Static_assert(OBS_ARRAY_LEN(first_f) == NFIRST && OBS_ARRAY_LEN(first_m) == NFIRST,
               "both first-name lists hold NFIRST names");

demo_people *demo_people_new(const demo_post *p, int year)
{
    demo_people *pp = calloc(1, sizeof *pp);
    if (pp == NULL)
        return NULL;
    pp->used = calloc(NSUR * NFIRST * 2, 1);
    if (pp->used == NULL) {
        free(pp);
        return NULL;
    }
    pp->post = p;
    pp->year = year;
    pp->next_file = 1;
    return pp;
}

void demo_people_free(demo_people *pp)
{
    if (pp == NULL)
        return;
    free(pp->v);
    free(pp->used);
    free(pp);
}

void demo_postcode(demo_rng *rng, const char *dep, char out[6])
{
    unsigned k;
    if (strcmp(dep, "2A") == 0) {          /* 20000-20190 */
        k = demo_rng_below(rng, 20);
        snprintf(out, 6, "20%03u", k * 10);
    } else if (strcmp(dep, "2B") == 0) {   /* 20200-20990 */
        k = demo_rng_below(rng, 80);
        snprintf(out, 6, "20%03u", 200 + k * 10);
    } else if (strlen(dep) == 3) {         /* 971xx ... 976xx */
        k = demo_rng_below(rng, 10);
        snprintf(out, 6, "%.3s%02u", dep, k * 10);
    } else {
        k = demo_rng_below(rng, 100);
        snprintf(out, 6, "%.2s%03u", dep, k * 10);
    }
}

/* A département drawn uniformly: where persons living away from the post come from. */
static const char *random_dep(demo_rng *rng)
{
    size_t n = ref_dep_count();
    return ref_dep_at(demo_rng_below(rng, (uint32_t)n))->code;
}

static int is_violence(const char *code)
{
    return strcmp(code, "VIOL_CONJ") == 0 || strcmp(code, "VIOL_SEX") == 0 ||
           strcmp(code, "VIOL_INTRAFAM") == 0 || strcmp(code, "AUTRES_VIOL") == 0;
}

/* Create a new person; returns its index or -1 when memory ran out. */
static long new_person(demo_people *pp, demo_rng *r)
{
    if (pp->n == pp->cap) {
        size_t cap = pp->cap ? pp->cap * 2 : 256;
        person *v = realloc(pp->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        pp->v = v;
        pp->cap = cap;
    }
    person *q = &pp->v[pp->n];
    memset(q, 0, sizeof *q);

    /* Age at the start of the year: about 15% minors, few over 75. */
    static const unsigned age_w[] = {60, 90, 120, 330, 270, 130};
    static const int age_lo[] = {3, 15, 18, 25, 40, 60}, age_hi[] = {14, 17, 24, 39, 59, 92};
    size_t band = demo_rng_pick(r, age_w, OBS_ARRAY_LEN(age_w));
    int age = age_lo[band] + (int)demo_rng_below(r, (uint32_t)(age_hi[band] - age_lo[band] + 1));
    q->minor = band < 2;
    q->main_problem = (int8_t)(q->minor ? PICK(r, REF_PROBLEMATIQUE, prob_minor)
                                        : PICK(r, REF_PROBLEMATIQUE, prob_adult));
    const char *main = ref_at(REF_PROBLEMATIQUE, (size_t)q->main_problem)->code;

    /* Position in the police matter, then sex, which depends on it. */
    static const wcode st_viol[] = {{"VICTIME", 780}, {"AUTEUR", 140}, {"VICT_AUT", 60}, {"AUTRE", 20}};
    static const wcode st_minaut[] = {{"AUTEUR", 800}, {"VICT_AUT", 100}, {"AUTRE", 100}};
    static const wcode st_other[] = {{"AUTRE", 600}, {"VICTIME", 250}, {"AUTEUR", 100}, {"VICT_AUT", 50}};
    if (strcmp(main, "MINEUR_AUTEUR") == 0)
        q->statut = (int8_t)PICK(r, REF_STATUT, st_minaut);
    else if (is_violence(main))
        q->statut = (int8_t)PICK(r, REF_STATUT, st_viol);
    else
        q->statut = (int8_t)PICK(r, REF_STATUT, st_other);
    const char *statut = ref_at(REF_STATUT, (size_t)q->statut)->code;
    double pf = 0.55;
    if (strcmp(main, "VIOL_CONJ") == 0 || strcmp(main, "VIOL_SEX") == 0)
        pf = strcmp(statut, "AUTEUR") == 0 ? 0.10 : 0.88;
    else if (strcmp(statut, "AUTEUR") == 0)
        pf = 0.20;
    double u = demo_rng_unit(r);
    q->sexe = (int8_t)ref_find(REF_SEXE, u < 0.02 ? "X" : demo_rng_unit(r) < pf ? "F" : "M");

    /* A name that no other person of this post has (retry a few times). */
    int male = strcmp(ref_at(REF_SEXE, (size_t)q->sexe)->code, "M") == 0;
    for (int tries = 0; tries < 20; tries++) {
        q->surname = (uint16_t)demo_rng_below(r, NSUR);
        q->first = (uint16_t)demo_rng_below(r, NFIRST);
        size_t slot = ((size_t)male * NSUR + q->surname) * NFIRST + q->first;
        if (!pp->used[slot]) {
            pp->used[slot] = 1;
            break;
        }
        if (tries == 19)
            q->file_no = -1; /* name taken: this post will use a file number */
    }
    if (q->file_no < 0 || (int)demo_rng_below(r, 100) < pp->post->ref_files) {
        q->file_no = pp->next_file++;
        q->file_year = pp->year;
    }

    /* Birth: full date (85%), year only (7%), not given (8%). */
    double b = demo_rng_unit(r);
    if (b < 0.92) {
        q->by = (int16_t)(pp->year - age - 1 + (int)demo_rng_below(r, 2));
        if (b < 0.85) {
            q->bm = (int8_t)(1 + demo_rng_below(r, 12));
            q->bd = (int8_t)(1 + demo_rng_below(r, 28));
        }
    }

    /* Residence: mostly in the post's département, some elsewhere, some unknown. */
    double c = demo_rng_unit(r);
    if (c < 0.87)
        demo_postcode(r, pp->post->dep, q->cp);
    else if (c < 0.93)
        demo_postcode(r, random_dep(r), q->cp);
    else
        q->cp[0] = '\0';

    /* Known to social services: OUI 46%, NON 46%, NSP 8%. */
    static const wcode connu[] = {{"OUI", 46}, {"NON", 46}, {"NSP", 8}};
    q->connu_ss = (int8_t)PICK(r, REF_CONNU_SS, connu);
    q->origine = (int8_t)PICK(r, REF_ORIGINE, origine_first);
    return (long)pp->n++;
}

/* Uppercase (up = 1) or lowercase a UTF-8 string in place: ASCII and Latin-1 letters. */
static void change_case(char *s, int up)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++) {
        if (*p < 0x80) {
            if (up && *p >= 'a' && *p <= 'z')
                *p = (unsigned char)(*p - 32);
            else if (!up && *p >= 'A' && *p <= 'Z')
                *p = (unsigned char)(*p + 32);
        } else if (*p == 0xC3 && p[1]) {
            unsigned char c = p[1];
            if (up && c >= 0xA0 && c <= 0xBE && c != 0xB7)
                p[1] = (unsigned char)(c - 0x20);
            else if (!up && c >= 0x80 && c <= 0x9E && c != 0x97)
                p[1] = (unsigned char)(c + 0x20);
            p++;
        }
    }
}

/* Write the reference of person q as the worker typed it this time. The variants all fold
 * to the same normalised reference (grid-format.md section 5). */
static void write_ref(const demo_people *pp, const person *q, demo_rng *r, char *out,
                      size_t cap)
{
    unsigned v = demo_rng_below(r, 100);
    if (q->file_no > 0) {
        const char *pre = pp->post->file_prefix;
        if (v < 85)
            snprintf(out, cap, "%s%d-%04d", pre, q->file_year, q->file_no);
        else if (v < 93)
            snprintf(out, cap, "%s%d %04d", pre, q->file_year, q->file_no);
        else {
            snprintf(out, cap, "%s%d-%04d", pre, q->file_year, q->file_no);
            change_case(out, 0);
        }
        return;
    }
    int male = strcmp(ref_at(REF_SEXE, (size_t)q->sexe)->code, "M") == 0;
    const char *sur = surnames[q->surname];
    const char *first = male ? first_m[q->first] : first_f[q->first];
    char a[48], b[48];
    snprintf(a, sizeof a, "%s", sur);
    snprintf(b, sizeof b, "%s", first);
    if (v < 75) {
        snprintf(out, cap, "%s %s", a, b);
    } else if (v < 85) {
        change_case(a, 1);
        change_case(b, 0);
        snprintf(out, cap, "%s %s", a, b);
    } else if (v < 92) {
        change_case(a, 0);
        change_case(b, 0);
        for (char *p = a; *p; p++)
            if (*p == ' ')
                *p = '-';
        snprintf(out, cap, "%s-%s", a, b);
    } else {
        change_case(a, 1);
        snprintf(out, cap, "%s  %s", a, b);
    }
}

/* Add up to `extra` codes drawn from table t to mask (repeats collapse). */
static uint32_t add_codes(demo_rng *r, ref_list l, const wcode *t, size_t n, int extra,
                          uint32_t mask)
{
    for (int i = 0; i < extra; i++)
        mask |= 1u << pick_code(r, l, t, n);
    return mask;
}

/* Fill one contact of person q. */
static void fill_contact(demo_people *pp, demo_rng *r, const person *q, int repeat,
                         int dim, demo_contact *c)
{
    memset(c, 0, sizeof *c);
    c->day = 1 + (int)demo_rng_below(r, (uint32_t)dim);
    write_ref(pp, q, r, c->ref, sizeof c->ref);
    c->by = q->by;
    c->bm = q->bm;
    c->bd = q->bd;
    c->sexe = q->sexe;
    memcpy(c->cp, q->cp, sizeof c->cp);
    c->statut = q->statut;
    c->connu_ss = q->connu_ss;
    static const wcode origine_again[] = {{"SPONTANE", 60}, {"POL_ACCUEIL", 20}, {"BPF", 10},
                                          {"SERV_SOCIAL", 10}};
    c->origine = repeat && demo_rng_unit(r) < 0.5 ? PICK(r, REF_ORIGINE, origine_again)
                                                      : q->origine;
    c->mode = PICK(r, REF_MODE, mode_tab);

    /* Problems: the person's main one plus 0-2 others (1: 55%, 2: 33%, 3: 12%). */
    static const unsigned nprob_w[] = {55, 33, 12};
    int extra = (int)demo_rng_pick(r, nprob_w, 3);
    c->problems = add_codes(r, REF_PROBLEMATIQUE, prob_second, OBS_ARRAY_LEN(prob_second), extra,
                            1u << q->main_problem);

    /* Orientations: 0-3 partners suited to the problem. */
    static const unsigned nor_w[] = {30, 40, 20, 10};
    int nor = (int)demo_rng_pick(r, nor_w, 4);
    const char *main = ref_at(REF_PROBLEMATIQUE, (size_t)q->main_problem)->code;
    if (q->minor)
        c->orientations = add_codes(r, REF_PARTENAIRE, orient_minor, OBS_ARRAY_LEN(orient_minor), nor, 0);
    else if (is_violence(main))
        c->orientations = add_codes(r, REF_PARTENAIRE, orient_violence,
                                    OBS_ARRAY_LEN(orient_violence), nor, 0);
    else
        c->orientations = add_codes(r, REF_PARTENAIRE, orient_other, OBS_ARRAY_LEN(orient_other), nor, 0);

    if (demo_rng_unit(r) < 0.08)
        c->comment = comments[demo_rng_below(r, OBS_ARRAY_LEN(comments))];
}

obs_status demo_people_month(demo_people *pp, demo_rng *rng, int month,
                                 demo_contact *out, size_t n)
{
    int dim = obs_days_in_month(pp->year, month);
    for (size_t i = 0; i < n; i++) {
        long idx;
        int repeat = pp->n > 0 && demo_rng_unit(rng) < 0.25;
        if (repeat) {
            /* Recently met persons come back more often. */
            size_t back = (size_t)(fabs(demo_rng_gauss(rng)) * 60.0);
            idx = (long)(pp->n - 1 - (back < pp->n ? back : pp->n - 1));
        } else {
            idx = new_person(pp, rng);
            if (idx < 0)
                return OBS_ERR_NOMEM;
        }
        fill_contact(pp, rng, &pp->v[idx], repeat, dim, &out[i]);
    }
    /* Rows in day order, ties in generation order: a stable insertion sort (qsort is not
     * stable, and a few hundred rows at most). */
    for (size_t i = 1; i < n; i++) {
        demo_contact tmp = out[i];
        size_t j = i;
        while (j > 0 && out[j - 1].day > tmp.day) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = tmp;
    }
    return OBS_OK;
}
