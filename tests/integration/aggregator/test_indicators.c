/* test_indicators.c: the indicator store and GET /api/v1/indicators end to end, against the
 * real server and PostgreSQL: small grids uploaded over HTTP, every measure worked out by
 * hand (first-contact attributes, dedup across months, multi-response shares, NSP left out
 * of PART_INCONNUS_SS, one decimal from unrounded counts, no observation when a denominator
 * is zero), areas as sums of posts, who sees what, read-your-writes, obs_status, filters,
 * completeness and timeliness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static it_server S;
static char tok_admin[80], tok_analyst[80], tok_p1[80], tok_p3[80];

#define P1 "ISCG-093-01" /* D93, R11 */
#define P2 "ISCG-093-02" /* D93, R11: one empty grid */
#define P3 "ISCG-075-01" /* D75, R11 */
#define P4 "ISCG-013-01" /* D13, R93: active, never reports */
#define P5 "ISCG-013-02" /* D13: 2023 only, for the outlier rule (test_completeness) */
#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

/* P1, January 2024. Alice's first contact is line 3 (an earlier date than line 2): AUTEUR,
 * BPF, OUI. Chloe's two contacts share a date: line 5 (the earlier line) gives F, unknown
 * age, VICTIME, POL_INTER, NON. Bob is 13 (Y_LT15), connu_ss NSP. */
static const char GRID_P1_JAN[] = HEADER
    "2024-01-05;Alice;1990-01-01;F;93200;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ|LOGEMENT;AIDE_VICTIMES;BUREAU;\n"
    "2024-01-03;alice;1990-01-01;F;93200;AUTEUR;BPF;OUI;VIOL_SEX;;TELEPHONE;\n"
    "2024-01-10;Bob;2010-06-01;M;;VICTIME;SPONTANE;NSP;FUGUE;PROT_ENFANCE|SANTE;DOMICILE;\n"
    "2024-01-10;Chloe;;F;;VICTIME;POL_INTER;NON;VIOL_CONJ;;BUREAU;\n"
    "2024-01-10;Chloe;1980;X;;AUTRE;AUTRE;OUI;CONFLIT_FAM;CCAS;BUREAU;\n";

/* P1, February 2024: Alice again (not new), Dan (16, new, no orientation). */
static const char GRID_P1_FEB[] = HEADER
    "2024-02-02;ALICE;1990-01-01;F;93200;VICTIME;POL_ACCUEIL;NON;ACCES_DROITS;;EXTERIEUR;\n"
    "2024-02-07;Dan;2007-03-01;M;;VICTIME;JUSTICE;NON;MINEUR_AUTEUR;;ACCOMPAGNEMENT;\n";

/* P3, January 2024: another "Alice", another post: another person. */
static const char GRID_P3_JAN[] = HEADER
    "2024-01-15;Alice;1990-01-01;F;75001;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;BUREAU;\n";

static const char GRID_EMPTY[] = HEADER;

static long put_grid(const char *post, const char *period, const char *received_at,
                     const char *body)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%s%s%s", post, period,
             received_at ? "?received_at=" : "", received_at ? received_at : "");
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", body, strlen(body), &r);
    long st = r.status;
    if (st != 200 && st != 201)
        fprintf(stderr, "PUT %s: %ld %s\n", path, st, r.body);
    it_resp_free(&r);
    return st;
}

/* GET path as token; returns the parsed body and the status in *status. */
static json_t *get_json(const char *path, const char *token, long *status)
{
    it_resp r;
    it_http(&S, "GET", path, token, NULL, NULL, 0, &r);
    *status = r.status;
    json_error_t err;
    json_t *j = json_loads(r.body, 0, &err);
    if (j == NULL)
        fprintf(stderr, "GET %s: %ld not JSON: %.200s\n", path, r.status, r.body);
    it_resp_free(&r);
    assert_non_null(j);
    return j;
}

static const char *const DIMS[] = {"sexe",          "age",        "statut", "origine",
                                   "problematique", "partenaire", "mode"};

/* The cell of j["cells"] with these identifiers (dim NULL: every breakdown _T), or NULL. */
static json_t *find(json_t *j, const char *mesure, const char *area, const char *period,
                    const char *dim, const char *code)
{
    json_t *cells = json_object_get(j, "cells");
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "mesure")), mesure) ||
            strcmp(json_string_value(json_object_get(c, "area")), area) ||
            strcmp(json_string_value(json_object_get(c, "period")), period))
            continue;
        int ok = 1;
        for (int d = 0; d < 7 && ok; d++) {
            const char *want = dim && strcmp(dim, DIMS[d]) == 0 ? code : "_T";
            ok = strcmp(json_string_value(json_object_get(c, DIMS[d])), want) == 0;
        }
        if (ok)
            return c;
    }
    return NULL;
}

/* Expect a published value (NAN: the cell is there without value), conf_status F. */
static void expect(json_t *j, const char *mesure, const char *area, const char *period,
                   const char *dim, const char *code, double want)
{
    json_t *c = find(j, mesure, area, period, dim, code);
    if (c == NULL)
        fprintf(stderr, "missing cell %s %s %s %s=%s\n", mesure, area, period, dim ? dim : "",
                code ? code : "");
    assert_non_null(c);
    json_t *v = json_object_get(c, "value");
    if (isnan(want)) {
        assert_null(v);
    } else {
        if (v == NULL || fabs(json_number_value(v) - want) > 1e-9)
            fprintf(stderr, "%s %s %s %s=%s: got %g, want %g\n", mesure, area, period,
                    dim ? dim : "", code ? code : "", v ? json_number_value(v) : -1.0, want);
        assert_non_null(v);
        assert_true(fabs(json_number_value(v) - want) < 1e-9);
        /* Counts are JSON integers, percentages reals with at most one decimal. */
        if (strncmp(mesure, "NB_", 3) == 0)
            assert_true(json_is_integer(v));
    }
    assert_string_equal(json_string_value(json_object_get(c, "conf_status")), "F");
}

/* num and den of a stored cell (den -1 when NULL); aborts when the row is absent. */
static void stored(const char *mesure, const char *area, const char *period, const char *dim,
                   const char *code, long *num, long *den)
{
    PGconn *c = it_db(&S);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT num, coalesce(den, -1) FROM indicator_now WHERE mesure = '%s' AND area = '%s'"
             " AND period = '%s' AND %s = '%s' AND (sexe = '_T')::int + (age = '_T')::int +"
             " (statut = '_T')::int + (origine = '_T')::int + (problematique = '_T')::int +"
             " (partenaire = '_T')::int + (mode = '_T')::int = %d",
             mesure, area, period, dim ? dim : "sexe", dim ? code : "_T", dim ? 6 : 7);
    PGresult *r = PQexec(c, sql);
    if (PQntuples(r) != 1)
        fprintf(stderr, "stored: %d rows for %s\n", PQntuples(r), sql);
    assert_int_equal(PQntuples(r), 1);
    *num = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    *den = strtol(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    PQfinish(c);
}

static long count_rows(const char *where)
{
    PGconn *c = it_db(&S);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM indicator_now WHERE %s", where);
    long n = it_sql_long(c, sql);
    PQfinish(c);
    return n;
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_indicators");
    it_post_add(&S, P1, "93", "2020-01");
    it_post_add(&S, P2, "93", "2020-01");
    it_post_add(&S, P3, "75", "2020-01");
    it_post_add(&S, P4, "13", "2020-01");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    it_user_add(&S, "post", P1, tok_p1);
    it_user_add(&S, "post", P3, tok_p3);
    it_start(&S, NULL);
    /* P1's January on time (by the 10th of February), every other grid late. */
    assert_int_equal(put_grid(P1, "2024-01", "2024-02-05T10:00:00Z", GRID_P1_JAN), 201);
    assert_int_equal(put_grid(P1, "2024-02", NULL, GRID_P1_FEB), 201);
    assert_int_equal(put_grid(P2, "2024-01", NULL, GRID_EMPTY), 201);
    assert_int_equal(put_grid(P3, "2024-01", NULL, GRID_P3_JAN), 201);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* P1's own figures, unprotected, every measure and breakdown worked out by hand. */
static void test_post_month(void **state)
{
    (void)state;
    long st;
    json_t *j = get_json("/api/v1/indicators?area=" P1 "&period=2024-01", tok_p1, &st);
    assert_int_equal(st, 200);
    const char *A = P1, *M = "2024-01";
    expect(j, "NB_CONTACTS", A, M, NULL, NULL, 5);
    expect(j, "NB_CONTACTS", A, M, "mode", "BUREAU", 3);
    expect(j, "NB_CONTACTS", A, M, "mode", "TELEPHONE", 1);
    expect(j, "NB_CONTACTS", A, M, "mode", "DOMICILE", 1);
    expect(j, "NB_CONTACTS", A, M, "mode", "EXTERIEUR", 0);
    expect(j, "NB_CONTACTS", A, M, "mode", "ACCOMPAGNEMENT", 0);
    expect(j, "PART_CONTACTS", A, M, "mode", "BUREAU", 60.0);
    expect(j, "PART_CONTACTS", A, M, "mode", "TELEPHONE", 20.0);
    expect(j, "PART_CONTACTS", A, M, "mode", "EXTERIEUR", 0.0);
    assert_null(find(j, "PART_CONTACTS", A, M, NULL, NULL)); /* shares only by breakdown */
    expect(j, "NB_PERSONNES", A, M, NULL, NULL, 3);
    expect(j, "NB_PERSONNES", A, M, "sexe", "F", 2); /* Chloe's first contact says F */
    expect(j, "NB_PERSONNES", A, M, "sexe", "M", 1);
    expect(j, "NB_PERSONNES", A, M, "sexe", "X", 0);
    expect(j, "NB_PERSONNES", A, M, "age", "Y25T39", 1);
    expect(j, "NB_PERSONNES", A, M, "age", "Y_LT15", 1);
    expect(j, "NB_PERSONNES", A, M, "age", "_U", 1);
    expect(j, "NB_PERSONNES", A, M, "age", "Y40T59", 0);
    expect(j, "NB_PERSONNES", A, M, "statut", "VICTIME", 2);
    expect(j, "NB_PERSONNES", A, M, "statut", "AUTEUR", 1); /* Alice's first contact */
    expect(j, "NB_PERSONNES", A, M, "statut", "AUTRE", 0);
    expect(j, "NB_PERSONNES", A, M, "origine", "BPF", 1);
    expect(j, "NB_PERSONNES", A, M, "origine", "SPONTANE", 1);
    expect(j, "NB_PERSONNES", A, M, "origine", "POL_INTER", 1);
    expect(j, "NB_PERSONNES", A, M, "origine", "POL_ACCUEIL", 0);
    expect(j, "NB_PERSONNES", A, M, "problematique", "VIOL_CONJ", 2);
    expect(j, "NB_PERSONNES", A, M, "problematique", "LOGEMENT", 1);
    expect(j, "NB_PERSONNES", A, M, "problematique", "VIOL_SEX", 1);
    expect(j, "NB_PERSONNES", A, M, "problematique", "FUGUE", 1);
    expect(j, "NB_PERSONNES", A, M, "problematique", "CONFLIT_FAM", 1);
    expect(j, "NB_PERSONNES", A, M, "problematique", "ACCES_DROITS", 0);
    expect(j, "NB_PERSONNES", A, M, "partenaire", "AIDE_VICTIMES", 1);
    expect(j, "NB_PERSONNES", A, M, "partenaire", "PROT_ENFANCE", 1);
    expect(j, "NB_PERSONNES", A, M, "partenaire", "SANTE", 1);
    expect(j, "NB_PERSONNES", A, M, "partenaire", "CCAS", 1);
    expect(j, "NB_PERSONNES", A, M, "partenaire", "JUSTICE", 0);
    expect(j, "PART_PERSONNES", A, M, "sexe", "F", 66.7);
    expect(j, "PART_PERSONNES", A, M, "sexe", "M", 33.3);
    expect(j, "PART_PERSONNES", A, M, "problematique", "VIOL_CONJ", 66.7);
    expect(j, "PART_PERSONNES", A, M, "problematique", "FUGUE", 33.3);
    expect(j, "PART_PERSONNES", A, M, "partenaire", "CCAS", 33.3);
    expect(j, "PART_INCONNUS_SS", A, M, NULL, NULL, 50.0); /* 1 NON / (1 OUI + 1 NON) */
    expect(j, "PART_NSP_SS", A, M, NULL, NULL, 33.3);
    expect(j, "PART_ORIENTEES", A, M, NULL, NULL, 100.0);
    expect(j, "PART_MINEURS", A, M, NULL, NULL, 50.0); /* Bob / (Alice, Bob) */
    expect(j, "NB_NOUVELLES", A, M, NULL, NULL, 3);
    expect(j, "NB_POSTES_ACTIFS", A, M, NULL, NULL, 1);
    expect(j, "NB_GRILLES", A, M, NULL, NULL, 1);
    expect(j, "TAUX_COMPLETUDE", A, M, NULL, NULL, 100.0);
    expect(j, "TAUX_PROMPTITUDE", A, M, NULL, NULL, 100.0);
    /* Every cell: the documented keys, the unit, final status (2024 is locked). */
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(j, "cells"), i, c)
    {
        assert_int_equal(json_object_size(c) - (json_object_get(c, "value") != NULL), 13);
        assert_string_equal(json_string_value(json_object_get(c, "obs_status")), "A");
        assert_string_equal(json_string_value(json_object_get(c, "area")), P1);
        assert_non_null(json_string_value(json_object_get(c, "unit")));
    }
    json_decref(j);

    j = get_json("/api/v1/indicators?area=" P1 "&period=2024-02", tok_p1, &st);
    M = "2024-02";
    expect(j, "NB_CONTACTS", A, M, NULL, NULL, 2);
    expect(j, "NB_PERSONNES", A, M, NULL, NULL, 2);
    expect(j, "NB_PERSONNES", A, M, "statut", "VICTIME", 2); /* Alice's February contact */
    expect(j, "NB_NOUVELLES", A, M, NULL, NULL, 1);           /* Dan only */
    expect(j, "PART_ORIENTEES", A, M, NULL, NULL, 0.0);       /* 0 is an observation */
    expect(j, "PART_INCONNUS_SS", A, M, NULL, NULL, 100.0);
    expect(j, "PART_MINEURS", A, M, NULL, NULL, 50.0);
    expect(j, "TAUX_PROMPTITUDE", A, M, NULL, NULL, 0.0); /* late */
    json_decref(j);
}

/* Quarter and year: persons deduplicated across months, attributes from the earliest
 * month's first contact, problems and orientations over the whole period. */
static void test_post_quarter_year(void **state)
{
    (void)state;
    long st;
    json_t *j = get_json("/api/v1/indicators?area=" P1 "&period=2024-Q1,2024", tok_p1, &st);
    assert_int_equal(st, 200);
    const char *periods[] = {"2024-Q1", "2024"};
    for (int p = 0; p < 2; p++) {
        const char *A = P1, *M = periods[p];
        expect(j, "NB_CONTACTS", A, M, NULL, NULL, 7);
        expect(j, "NB_CONTACTS", A, M, "mode", "BUREAU", 3);
        expect(j, "PART_CONTACTS", A, M, "mode", "BUREAU", 42.9); /* 3 / 7 */
        expect(j, "NB_PERSONNES", A, M, NULL, NULL, 4);            /* not 5: Alice once */
        expect(j, "NB_PERSONNES", A, M, "sexe", "F", 2);
        expect(j, "NB_PERSONNES", A, M, "sexe", "M", 2);
        expect(j, "NB_PERSONNES", A, M, "statut", "AUTEUR", 1); /* January's first contact */
        expect(j, "NB_PERSONNES", A, M, "statut", "VICTIME", 3);
        expect(j, "NB_PERSONNES", A, M, "origine", "BPF", 1);
        expect(j, "NB_PERSONNES", A, M, "origine", "POL_ACCUEIL", 0);
        expect(j, "NB_PERSONNES", A, M, "origine", "JUSTICE", 1);
        expect(j, "NB_PERSONNES", A, M, "age", "Y15T17", 1);
        expect(j, "NB_PERSONNES", A, M, "problematique", "VIOL_CONJ", 2);
        expect(j, "NB_PERSONNES", A, M, "problematique", "ACCES_DROITS", 1);
        expect(j, "NB_PERSONNES", A, M, "problematique", "MINEUR_AUTEUR", 1);
        expect(j, "PART_PERSONNES", A, M, "problematique", "VIOL_CONJ", 50.0);
        expect(j, "PART_PERSONNES", A, M, "problematique", "LOGEMENT", 25.0);
        expect(j, "PART_INCONNUS_SS", A, M, NULL, NULL, 66.7); /* Chloe, Dan / 3 known */
        expect(j, "PART_NSP_SS", A, M, NULL, NULL, 25.0);
        expect(j, "PART_ORIENTEES", A, M, NULL, NULL, 75.0);
        expect(j, "PART_MINEURS", A, M, NULL, NULL, 66.7); /* Bob, Dan / 3 of known age */
        expect(j, "NB_NOUVELLES", A, M, NULL, NULL, 4);
        expect(j, "NB_POSTES_ACTIFS", A, M, NULL, NULL, 2); /* January and February */
        expect(j, "NB_GRILLES", A, M, NULL, NULL, 2);
        expect(j, "TAUX_COMPLETUDE", A, M, NULL, NULL, 100.0);
        expect(j, "TAUX_PROMPTITUDE", A, M, NULL, NULL, 50.0);
    }
    json_decref(j);
}

/* Areas add up their posts' persons and num/den; a zero denominator is no observation. */
static void test_areas(void **state)
{
    (void)state;
    long num, den;
    stored("NB_PERSONNES", "D93", "2024-01", NULL, NULL, &num, &den);
    assert_int_equal(num, 3);
    stored("NB_PERSONNES", "R11", "2024-01", NULL, NULL, &num, &den);
    assert_int_equal(num, 4); /* the two Alices are two persons */
    stored("NB_PERSONNES", "FR", "2024-01", "sexe", "F", &num, &den);
    assert_int_equal(num, 3);
    stored("NB_CONTACTS", "FR", "2024-01", NULL, NULL, &num, &den);
    assert_int_equal(num, 6);
    stored("PART_INCONNUS_SS", "R11", "2024-01", NULL, NULL, &num, &den);
    assert_true(num == 2 && den == 3);
    stored("NB_PERSONNES", "FR", "2024-Q1", NULL, NULL, &num, &den);
    assert_int_equal(num, 5);
    stored("NB_NOUVELLES", "FR", "2024", NULL, NULL, &num, &den);
    assert_int_equal(num, 5);
    stored("NB_POSTES_ACTIFS", "FR", "2024-01", NULL, NULL, &num, &den);
    assert_int_equal(num, 4);
    stored("NB_GRILLES", "FR", "2024-01", NULL, NULL, &num, &den);
    assert_int_equal(num, 3);
    stored("TAUX_COMPLETUDE", "FR", "2024-Q1", NULL, NULL, &num, &den);
    assert_true(num == 4 && den == 8);
    stored("TAUX_PROMPTITUDE", "FR", "2024-01", NULL, NULL, &num, &den);
    assert_true(num == 1 && den == 4);
    stored("TAUX_COMPLETUDE", "D13", "2024-01", NULL, NULL, &num, &den);
    assert_true(num == 0 && den == 1);
    /* D13 sent nothing: no person or contact cell at all. */
    assert_int_equal(count_rows("area = 'D13' AND mesure = 'NB_PERSONNES'"), 0);
    /* No row is counted from no post; percentages without denominator have no value. */
    assert_int_equal(count_rows("nposts = 0"), 0);
    assert_int_equal(count_rows("den = 0 AND value IS NOT NULL"), 0);

    /* The empty grid: zero persons, shares without observation (no value, never 0). */
    long st;
    json_t *j = get_json("/api/v1/indicators?area=" P2 "&period=2024-01", tok_analyst, &st);
    assert_int_equal(st, 200);
    expect(j, "NB_PERSONNES", P2, "2024-01", NULL, NULL, 0);
    expect(j, "NB_CONTACTS", P2, "2024-01", NULL, NULL, 0);
    expect(j, "PART_INCONNUS_SS", P2, "2024-01", NULL, NULL, NAN);
    expect(j, "PART_PERSONNES", P2, "2024-01", "sexe", "F", NAN);
    expect(j, "TAUX_COMPLETUDE", P2, "2024-01", NULL, NULL, 100.0);
    json_decref(j);

    /* Post measures are never withheld: the public reads them. */
    j = get_json("/api/v1/indicators?area=FR,D13&period=2024-01&mesure=NB_POSTES_ACTIFS,"
                 "NB_GRILLES,TAUX_COMPLETUDE,TAUX_PROMPTITUDE",
                 NULL, &st);
    assert_int_equal(st, 200);
    expect(j, "NB_POSTES_ACTIFS", "FR", "2024-01", NULL, NULL, 4);
    expect(j, "NB_GRILLES", "FR", "2024-01", NULL, NULL, 3);
    expect(j, "TAUX_COMPLETUDE", "FR", "2024-01", NULL, NULL, 75.0);
    expect(j, "TAUX_PROMPTITUDE", "FR", "2024-01", NULL, NULL, 25.0);
    expect(j, "TAUX_COMPLETUDE", "D13", "2024-01", NULL, NULL, 0.0);
    json_decref(j);
}

/* Who sees what: anonymous never a post cell; a post its own (unprotected) and nobody
 * else's; withheld cells come with conf_status and without value. */
static void test_visibility(void **state)
{
    (void)state;
    long st;
    json_t *j = get_json("/api/v1/indicators?from=2024&to=2024", NULL, &st);
    assert_int_equal(st, 200);
    json_t *c;
    size_t i, withheld = 0;
    json_array_foreach(json_object_get(j, "cells"), i, c)
    {
        const char *area = json_string_value(json_object_get(c, "area"));
        assert_true(strncmp(area, "ISCG-", 5) != 0);
        const char *conf = json_string_value(json_object_get(c, "conf_status"));
        if (strcmp(conf, "F") != 0) {
            withheld++;
            assert_true(strcmp(conf, "C") == 0 || strcmp(conf, "D") == 0);
            assert_null(json_object_get(c, "value"));
        }
    }
    assert_true(withheld > 0);
    /* 4 persons in FR: under k = 11, withheld. */
    c = find(j, "NB_PERSONNES", "FR", "2024-01", NULL, NULL);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "conf_status")), "C");
    assert_null(json_object_get(c, "value"));
    json_decref(j);

    j = get_json("/api/v1/indicators?area=" P1, NULL, &st);
    assert_int_equal(st, 403);
    assert_non_null(json_object_get(json_object_get(j, "error"), "message"));
    json_decref(j);
    j = get_json("/api/v1/indicators?area=FR," P3, tok_p1, &st);
    assert_int_equal(st, 403);
    json_decref(j);

    /* P1 without filter: its own cells (F, values) and the public ones, no other post. */
    j = get_json("/api/v1/indicators?from=2024-01&to=2024-01", tok_p1, &st);
    assert_int_equal(st, 200);
    size_t own = 0;
    json_array_foreach(json_object_get(j, "cells"), i, c)
    {
        const char *area = json_string_value(json_object_get(c, "area"));
        if (strncmp(area, "ISCG-", 5) == 0) {
            assert_string_equal(area, P1);
            assert_string_equal(json_string_value(json_object_get(c, "conf_status")), "F");
            own++;
        }
    }
    assert_true(own > 100);
    expect(j, "NB_PERSONNES", P1, "2024-01", NULL, NULL, 3);
    c = find(j, "NB_PERSONNES", "D93", "2024-01", NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(c, "conf_status")), "C");
    json_decref(j);

    /* Analysts see every post, protected. */
    j = get_json("/api/v1/indicators?mesure=NB_PERSONNES&period=2024-01", tok_analyst, &st);
    assert_int_equal(st, 200);
    c = find(j, "NB_PERSONNES", P3, "2024-01", NULL, NULL);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "conf_status")), "C");
    assert_null(json_object_get(c, "value"));
    assert_non_null(find(j, "NB_PERSONNES", P1, "2024-01", NULL, NULL));
    json_decref(j);
}

/* A grid of n contacts by n persons for month (YYYY-MM) of year 2023. Caller frees. */
static char *big_grid(const char *month, int n, const char *tag)
{
    size_t cap = 256 + (size_t)n * 160, len;
    char *s = malloc(cap);
    len = (size_t)snprintf(s, cap, HEADER);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s-%02d;%s-%d;1980;F;75001;VICTIME;POL_ACCUEIL;%s;VIOL_CONJ;"
                                "AIDE_VICTIMES;BUREAU;\n",
                                month, 1 + i % 28, tag, i, i % 2 ? "OUI" : "NON");
    return s;
}

static double public_value(const char *query, const char *mesure, const char *period)
{
    long st;
    char path[256];
    snprintf(path, sizeof path, "/api/v1/indicators?%s", query);
    json_t *j = get_json(path, NULL, &st);
    assert_int_equal(st, 200);
    json_t *c = find(j, mesure, "FR", period, NULL, NULL);
    assert_non_null(c);
    json_t *v = json_object_get(c, "value");
    double d = v ? json_number_value(v) : NAN;
    json_decref(j);
    return d;
}

/* Right after an upload's 2xx the public figures reflect it (protected); after a
 * correction the old figures are gone. */
static void test_read_your_writes(void **state)
{
    (void)state;
    const char *q = "mesure=NB_CONTACTS,NB_PERSONNES&area=FR&period=2023-06,2023";
    char *g = big_grid("2023-06", 30, "ryw");
    assert_int_equal(put_grid(P3, "2023-06", NULL, g), 201);
    free(g);
    assert_true(public_value(q, "NB_CONTACTS", "2023-06") == 30.0);
    assert_true(public_value(q, "NB_PERSONNES", "2023") == 30.0);
    g = big_grid("2023-06", 40, "ryw");
    assert_int_equal(put_grid(P3, "2023-06", NULL, g), 200);
    free(g);
    assert_true(public_value(q, "NB_CONTACTS", "2023-06") == 40.0);
    assert_true(public_value(q, "NB_PERSONNES", "2023") == 40.0);
    g = big_grid("2023-06", 5, "ryw"); /* now under k: withheld at once */
    assert_int_equal(put_grid(P3, "2023-06", NULL, g), 200);
    free(g);
    assert_true(isnan(public_value(q, "NB_CONTACTS", "2023-06")));
    /* An identical re-upload changes nothing. */
    long gen = 0;
    PGconn *c = it_db(&S);
    gen = it_sql_long(c, "SELECT gen FROM agg_generation WHERE year = 2023");
    g = big_grid("2023-06", 5, "ryw");
    assert_int_equal(put_grid(P3, "2023-06", NULL, g), 200);
    free(g);
    assert_int_equal(it_sql_long(c, "SELECT gen FROM agg_generation WHERE year = 2023"), gen);
    PQfinish(c);
}

/* Lines of the server's log containing needle. */
static int log_count(const char *needle)
{
    size_t len;
    char *log = it_read_file(S.log_path, &len);
    int n = 0;
    for (const char *p = log; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(log);
    return n;
}

/* After an upload, the server protects the year in the background (a new round,
 * aggregator/warm.c): the next public reader finds the protection ready (no new
 * "agg.protect" in the log for its read) and the new figures. */
static void test_protection_ahead(void **state)
{
    (void)state;
    const char *q = "mesure=NB_CONTACTS&area=FR&period=2022-06";
    /* 2022: a year no other test uploads to */
    int rounds = log_count("agg.warm round="), protects0 = log_count("agg.protect year=2022");
    char *g = big_grid("2022-06", 25, "ahead");
    assert_int_equal(put_grid(P3, "2022-06", NULL, g), 201);
    free(g);
    for (int i = 0; i < 200 && (log_count("agg.warm round=") == rounds ||
                                log_count("agg.protect year=2022") == protects0); i++)
        usleep(50 * 1000);
    assert_true(log_count("agg.warm round=") > rounds);
    int protects = log_count("agg.protect year=2022");
    assert_int_equal(protects, protects0 + 1);
    assert_true(public_value(q, "NB_CONTACTS", "2022-06") == 25.0);
    assert_int_equal(log_count("agg.protect year=2022"), protects);
}

/* Filters are validated (400, French message); from/to keep the periods fully inside. */
static void test_filters(void **state)
{
    (void)state;
    long st;
    static const char *const bad[] = {
        "/api/v1/indicators?mesure=NB_INCONNU", "/api/v1/indicators?period=2024-13",
        "/api/v1/indicators?from=2024-Q5",      "/api/v1/indicators?sexe=Z",
        "/api/v1/indicators?area=D999",         "/api/v1/indicators?from=2024-06&to=2024-01",
        "/api/v1/indicators?mesur=NB_PERSONNES", "/api/v1/indicators?unit=EUROS",
        "/api/v1/indicators?conf_status=X",     "/api/v1/indicators?obs_status=A,Q"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = get_json(bad[i], NULL, &st);
        assert_int_equal(st, 400);
        json_t *err = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(err, "code")), "E_FILTER");
        assert_non_null(json_string_value(json_object_get(err, "message")));
        json_decref(j);
    }
    json_t *j = get_json("/api/v1/indicators?mesure=NB_GRILLES&area=FR&from=2024-01&to=2024-03",
                         NULL, &st);
    assert_int_equal(st, 200);
    assert_non_null(find(j, "NB_GRILLES", "FR", "2024-01", NULL, NULL));
    assert_non_null(find(j, "NB_GRILLES", "FR", "2024-02", NULL, NULL));
    assert_non_null(find(j, "NB_GRILLES", "FR", "2024-Q1", NULL, NULL));
    assert_null(find(j, "NB_GRILLES", "FR", "2024", NULL, NULL));
    assert_int_equal(json_array_size(json_object_get(j, "cells")), 3);
    json_decref(j);
    /* unit, obs_status and conf_status filter what protection produced: the parts add up to
     * the whole, and each part holds only what it names. */
    static const char *const base = "/api/v1/indicators?area=FR,D93&period=2024-01";
    char path[200];
    snprintf(path, sizeof path, "%s", base);
    j = get_json(path, NULL, &st);
    size_t all = json_array_size(json_object_get(j, "cells"));
    json_decref(j);
    size_t sum = 0;
    static const char *const parts[] = {"conf_status=F", "conf_status=C,D"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s&%s", base, parts[i]);
        j = get_json(path, NULL, &st);
        assert_int_equal(st, 200);
        json_t *cells = json_object_get(j, "cells"), *c;
        size_t k;
        json_array_foreach(cells, k, c)
        {
            const char *cs = json_string_value(json_object_get(c, "conf_status"));
            assert_true(i == 0 ? strcmp(cs, "F") == 0 : strchr("CD", cs[0]) != NULL);
            if (i == 1)
                assert_null(json_object_get(c, "value"));
        }
        sum += json_array_size(cells);
        json_decref(j);
    }
    assert_int_equal(sum, all);
    assert_true(all > 0);
    snprintf(path, sizeof path, "%s&unit=PCT,GRILLES&obs_status=A", base);
    j = get_json(path, NULL, &st);
    json_t *cells = json_object_get(j, "cells"), *c;
    size_t k;
    assert_true(json_array_size(cells) > 0);
    json_array_foreach(cells, k, c)
    {
        const char *u = json_string_value(json_object_get(c, "unit"));
        assert_true(strcmp(u, "PCT") == 0 || strcmp(u, "GRILLES") == 0);
        assert_string_equal(json_string_value(json_object_get(c, "obs_status")), "A");
    }
    json_decref(j);
    j = get_json("/api/v1/indicators?mesure=NB_GRILLES&area=FR&from=2024-02&to=2024", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(j, "cells")), 1); /* 2024-02 only */
    json_decref(j);
    j = get_json("/api/v1/indicators?mesure=NB_PERSONNES&area=" P1 "&sexe=F,M&period=2024-01",
                 tok_p1, &st);
    assert_int_equal(json_array_size(json_object_get(j, "cells")), 2);
    json_decref(j);
}

/* Observation status follows ISCGOBS_LOCK_MONTHS at read time. */
static void test_obs_status(void **state)
{
    (void)state;
    assert_int_equal(it_stop(&S), 0);
    it_start(&S, (const char *const[]){"ISCGOBS_LOCK_MONTHS=120", NULL});
    long st;
    json_t *j = get_json("/api/v1/indicators?area=" P1 "&period=2024-01&mesure=NB_CONTACTS",
                         tok_p1, &st);
    json_t *c = find(j, "NB_CONTACTS", P1, "2024-01", NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(c, "obs_status")), "P");
    json_decref(j);
    assert_int_equal(it_stop(&S), 0);
    it_start(&S, NULL);

    /* With the default delay 2024 is locked, so final; reopening 2024-01 for one post makes
     * the month, its quarter and its year provisional everywhere (FR too), not 2024-02;
     * closing it again makes them final again. */
    static const char *const periods[] = {"2024-01", "2024-Q1", "2024", "2024-02"};
    for (int round = 0; round < 3; round++) {
        if (round == 1)
            assert_int_equal(it_cli(&S, NULL, 0,
                                    (const char *const[]){"period", "reopen", P1, "2024-01", NULL}),
                             0);
        if (round == 2)
            assert_int_equal(it_cli(&S, NULL, 0,
                                    (const char *const[]){"period", "close", P1, "2024-01", NULL}),
                             0);
        for (size_t i = 0; i < 4; i++) {
            char path[160];
            snprintf(path, sizeof path, "/api/v1/indicators?area=FR&period=%s&mesure=NB_CONTACTS",
                     periods[i]);
            j = get_json(path, NULL, &st);
            c = find(j, "NB_CONTACTS", "FR", periods[i], NULL, NULL);
            assert_non_null(c);
            const char *want = round == 1 && i < 3 ? "P" : "A";
            assert_string_equal(json_string_value(json_object_get(c, "obs_status")), want);
            json_decref(j);
        }
    }
    /* A month the post never had, or a second close, is refused. */
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "reopen", P1, "1999-01", NULL}),
                     1);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"period", "close", P1, "2024-01", NULL}),
                     1);
}

/* Completeness: who sent, on time or late, who is missing; analysts and admins only. */
static void test_completeness(void **state)
{
    (void)state;
    long st;
    json_t *j = get_json("/api/v1/completeness?period=2024-01", NULL, &st);
    assert_int_equal(st, 401);
    json_decref(j);
    j = get_json("/api/v1/completeness?period=2024-01", tok_p1, &st);
    assert_int_equal(st, 403);
    json_decref(j);
    j = get_json("/api/v1/completeness?period=2024", tok_analyst, &st);
    assert_int_equal(st, 400);
    json_decref(j);
    j = get_json("/api/v1/completeness?period=2024-01", tok_admin, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "active")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "received")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "on_time")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "late")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "missing")), 1);
    assert_true(json_is_true(json_object_get(j, "due")));
    assert_true(fabs(json_number_value(json_object_get(j, "taux_completude")) - 75.0) < 1e-9);
    json_t *miss = json_object_get(j, "missing_posts");
    assert_int_equal(json_array_size(miss), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(miss, 0), "post")), P4);
    assert_int_equal(json_array_size(json_object_get(j, "late_posts")), 2);
    assert_non_null(json_object_get(j, "outliers"));
    json_decref(j);

    /* Outliers: P5 (open 2023-01 to 2023-08 only) sends about 10 contacts a month, then 60 in
     * July: July is flagged against the six months before it, August (10) is not. */
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"post", "add", P5, "--name", "Poste 5", "--dep",
                                                  "13", "--force", "GN", "--opened", "2023-01",
                                                  "--closed", "2023-08", NULL}),
                     0);
    static const int contacts[8] = {9, 10, 11, 10, 12, 9, 60, 10};
    for (int m = 0; m < 8; m++) {
        char period[24], *grid = malloc(64 * 128 + sizeof HEADER);
        snprintf(period, sizeof period, "2023-%02d", m + 1);
        size_t len = (size_t)snprintf(grid, sizeof HEADER, "%s", HEADER);
        for (int i = 0; i < contacts[m]; i++)
            len += (size_t)snprintf(grid + len, 128,
                                    "%s-%02d;P-%d;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n",
                                    period, 1 + i % 28, i);
        assert_int_equal(put_grid(P5, period, NULL, grid), 201);
        free(grid);
    }
    for (int m = 7; m <= 8; m++) {
        char path[80];
        snprintf(path, sizeof path, "/api/v1/completeness?period=2023-%02d", m);
        j = get_json(path, tok_analyst, &st);
        assert_int_equal(st, 200);
        json_t *out = json_object_get(j, "outliers");
        if (m == 7) {
            assert_int_equal(json_array_size(out), 1);
            json_t *o = json_array_get(out, 0);
            assert_string_equal(json_string_value(json_object_get(o, "post")), P5);
            assert_int_equal(json_integer_value(json_object_get(o, "contacts")), 60);
            assert_int_equal(json_integer_value(json_object_get(o, "history_months")), 6);
            assert_true(fabs(json_number_value(json_object_get(o, "median")) - 10.0) < 1e-9);
            assert_true(json_number_value(json_object_get(o, "high")) < 60.0);
        } else {
            assert_int_equal(json_array_size(out), 0);
        }
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_month),     cmocka_unit_test(test_post_quarter_year),
        cmocka_unit_test(test_areas),          cmocka_unit_test(test_visibility),
        cmocka_unit_test(test_read_your_writes), cmocka_unit_test(test_protection_ahead),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_obs_status),     cmocka_unit_test(test_completeness),
    };
    int failed = cmocka_run_group_tests_name("integration_indicators", tests, setup, teardown);
    return failed || it_stop_failures;
}
