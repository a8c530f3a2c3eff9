/* demo.h: the synthetic demonstration year (`iscgobs demo`, docs/demo.md): the command, and
 * the internals its files share (demo.c: options, register, files; demo_people.c: people
 * and their contacts; demo_write.c: CSV and XML rendering). The server never runs it.
 *
 * Everything is derived from one seed through a private PRNG (xoshiro256** seeded by
 * splitmix64), one independent stream per post, so the output is byte-for-byte
 * reproducible and does not depend on the order in which posts are generated.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* `iscgobs demo --out DIR [--year Y] [--posts N] [--seed S]` (demo.c). Exit status. */
int demo_cmd(int argc, char **argv);

/* ---- pseudo-random numbers ---- */

typedef struct demo_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} demo_rng;

/* Seed a generator for (seed, stream): distinct streams give independent sequences. */
void demo_rng_seed(demo_rng *r, uint64_t seed, uint64_t stream);
uint64_t demo_rng_next(demo_rng *r);
/* Uniform integer in [0, n); n > 0. */
uint32_t demo_rng_below(demo_rng *r, uint32_t n);
/* Uniform double in [0, 1). */
double demo_rng_unit(demo_rng *r);
/* Standard normal deviate. */
double demo_rng_gauss(demo_rng *r);
/* Index drawn with probability weights[i] / sum(weights); n > 0, sum > 0. */
size_t demo_rng_pick(demo_rng *r, const unsigned *weights, size_t n);

/* ---- the post register ---- */

typedef enum demo_format {
    DEMO_CSV_SEMI,   /* CSV, ';', UTF-8, LF */
    DEMO_CSV_CP1252, /* CSV, ';', Windows-1252, CRLF */
    DEMO_CSV_COMMA,  /* CSV, ',', UTF-8 (BOM on some posts) */
    DEMO_XML         /* XML, urn:fr:iscg:grille:1 */
} demo_format;

typedef struct demo_post {
    char code[16];      /* ISCG-DDD-NN */
    char dep[4];        /* INSEE code of the département */
    char name[192];     /* "ISCG commissariat de ..." (UTF-8) */
    char commune[96];   /* host commune (generic, UTF-8) */
    int gn;             /* 1 gendarmerie, 0 police */
    int employer;       /* index in REF_EMPLOYEUR */
    int opened;         /* month number (year * 12 + month - 1) */
    int closed;         /* month number of the last active month, -1 = still open */
    demo_format format;
    int bom;            /* CSV UTF-8: starts with a byte-order mark */
    int date_fr;        /* dates written DD/MM/YYYY instead of YYYY-MM-DD (CSV only) */
    int header_style;   /* 0 lowercase names, 1 capitalised and accented names */
    int alt_order;      /* CSV columns in another (valid) order */
    int no_comment;     /* CSV without the optional commentaire column */
    int ref_files;      /* percentage of persons referenced by a file number */
    char file_prefix[8];/* prefix of file numbers: "D-", "DOS ", "N°" or "" */
    double scale;       /* activity relative to the average post */
    int august_off;     /* activity drops in August */
    int irregular;      /* often reports late or not at all */
    uint64_t stream;    /* PRNG stream of this post's grids */
} demo_post;

/* ---- one contact, as generated (codes are indexes in the reference lists) ---- */

typedef struct demo_contact {
    int day;              /* day of the month */
    char ref[112];        /* ref_personne as the post typed it (UTF-8) */
    int by, bm, bd;       /* birth year, month, day; bm == 0: year only; by == 0: missing */
    int sexe;             /* index in REF_SEXE */
    char cp[6];           /* postcode, "" when missing */
    int statut, origine, connu_ss, mode;
    uint32_t problems;    /* bitmask over REF_PROBLEMATIQUE, never 0 */
    uint32_t orientations;/* bitmask over REF_PARTENAIRE */
    const char *comment;  /* static neutral text or NULL */
} demo_contact;

/* ---- the persons met by one post during the year (demo_people.c) ---- */

typedef struct demo_people demo_people;

/* A new, empty population for post p; NULL when memory ran out. */
demo_people *demo_people_new(const demo_post *p, int year);
/* Free a population (accepts NULL). */
void demo_people_free(demo_people *pp);

/* Generate n contacts of `month` (1-12) for the post into out[0..n), sorted by day, drawing
 * from rng and reusing or growing the population. OBS_ERR_NOMEM when memory ran out. */
obs_status demo_people_month(demo_people *pp, demo_rng *rng, int month,
                                 demo_contact *out, size_t n);

/* Postcode (5 digits + NUL) in département dep, drawn from rng. */
void demo_postcode(demo_rng *rng, const char *dep, char out[6]);

/* ---- rendering (demo_write.c) ---- */

/* Append the grid file of post p for year-month holding c[0..n) to out, in the post's
 * format. OBS_ERR_NOMEM / OBS_ERR_TOO_LARGE from the buffer. */
obs_status demo_render(const demo_post *p, int year, int month,
                           const demo_contact *c, size_t n, obs_buf *out);

/* Append s (UTF-8) converted to Windows-1252; characters cp1252 lacks become '?'. */
obs_status demo_utf8_to_cp1252(const char *s, size_t len, obs_buf *out);

/* Append field s to out, quoted RFC 4180 style when it holds sep, a quote or a line break. */
obs_status demo_csv_field(obs_buf *out, const char *s, char sep);

/* File extension of a format: "csv" or "xml". */
const char *demo_ext(demo_format f);

#endif
