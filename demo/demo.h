/* demo.h: internals shared by the synthetic-year generator (demo.c, demo_people.c,
 * demo_write.c). Not part of the collector's public interface: only `col_cmd_demo` is.
 *
 * Everything is derived from one seed through a private PRNG (xoshiro256** seeded by
 * splitmix64), one independent stream per post, so the output is byte-for-byte
 * reproducible and does not depend on the order in which posts are generated.
 */
#ifndef COL_DEMO_H
#define COL_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* ---- pseudo-random numbers ---- */

typedef struct col_demo_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} col_demo_rng;

/* Seed a generator for (seed, stream): distinct streams give independent sequences. */
void col_demo_rng_seed(col_demo_rng *r, uint64_t seed, uint64_t stream);
uint64_t col_demo_rng_next(col_demo_rng *r);
/* Uniform integer in [0, n); n > 0. */
uint32_t col_demo_rng_below(col_demo_rng *r, uint32_t n);
/* Uniform double in [0, 1). */
double col_demo_rng_unit(col_demo_rng *r);
/* Standard normal deviate. */
double col_demo_rng_gauss(col_demo_rng *r);
/* Index drawn with probability weights[i] / sum(weights); n > 0, sum > 0. */
size_t col_demo_rng_pick(col_demo_rng *r, const unsigned *weights, size_t n);

/* ---- the post register ---- */

typedef enum col_demo_format {
    COL_DEMO_CSV_SEMI,   /* CSV, ';', UTF-8, LF */
    COL_DEMO_CSV_CP1252, /* CSV, ';', Windows-1252, CRLF */
    COL_DEMO_CSV_COMMA,  /* CSV, ',', UTF-8 (BOM on some posts) */
    COL_DEMO_XML         /* XML, urn:fr:iscg:grille:1 */
} col_demo_format;

typedef struct col_demo_post {
    char code[16];      /* ISCG-DDD-NN */
    char dep[4];        /* INSEE code of the département */
    char name[192];     /* "ISCG commissariat de ..." (UTF-8) */
    char commune[96];   /* host commune (generic, UTF-8) */
    int gn;             /* 1 gendarmerie, 0 police */
    int employer;       /* index in REF_EMPLOYEUR */
    int opened;         /* month number (year * 12 + month - 1) */
    int closed;         /* month number of the last active month, -1 = still open */
    col_demo_format format;
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
} col_demo_post;

/* ---- one contact, as generated (codes are indexes in the reference lists) ---- */

typedef struct col_demo_contact {
    int day;              /* day of the month */
    char ref[112];        /* ref_personne as the post typed it (UTF-8) */
    int by, bm, bd;       /* birth year, month, day; bm == 0: year only; by == 0: missing */
    int sexe;             /* index in REF_SEXE */
    char cp[6];           /* postcode, "" when missing */
    int statut, origine, connu_ss, mode;
    uint32_t problems;    /* bitmask over REF_PROBLEMATIQUE, never 0 */
    uint32_t orientations;/* bitmask over REF_PARTENAIRE */
    const char *comment;  /* static neutral text or NULL */
} col_demo_contact;

/* ---- the persons met by one post during the year (demo_people.c) ---- */

typedef struct col_demo_people col_demo_people;

/* A new, empty population for post p; NULL when memory ran out. */
col_demo_people *col_demo_people_new(const col_demo_post *p, int year);
/* Free a population (accepts NULL). */
void col_demo_people_free(col_demo_people *pp);

/* Generate n contacts of `month` (1-12) for the post into out[0..n), sorted by day, drawing
 * from rng and reusing or growing the population. OBS_ERR_NOMEM when memory ran out. */
obs_status col_demo_people_month(col_demo_people *pp, col_demo_rng *rng, int month,
                                 col_demo_contact *out, size_t n);

/* Postcode (5 digits + NUL) in département dep, drawn from rng. */
void col_demo_postcode(col_demo_rng *rng, const char *dep, char out[6]);

/* ---- rendering (demo_write.c) ---- */

/* Append the grid file of post p for year-month holding c[0..n) to out, in the post's
 * format. OBS_ERR_NOMEM / OBS_ERR_TOO_LARGE from the buffer. */
obs_status col_demo_render(const col_demo_post *p, int year, int month,
                           const col_demo_contact *c, size_t n, obs_buf *out);

/* Append s (UTF-8) converted to Windows-1252; characters cp1252 lacks become '?'. */
obs_status col_demo_utf8_to_cp1252(const char *s, size_t len, obs_buf *out);

/* Append field s to out, quoted RFC 4180 style when it holds sep, a quote or a line break. */
obs_status col_demo_csv_field(obs_buf *out, const char *s, char sep);

/* File extension of a format: "csv" or "xml". */
const char *col_demo_ext(col_demo_format f);

#endif
