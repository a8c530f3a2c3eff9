/* test_agg_consistency.c: the incremental refresh run by every upload leaves exactly the rows
 * a full recompute (`iscgobs aggregate`) computes: a random sequence (fixed seed) of uploads
 * and corrections sent over HTTP by concurrent clients, posts of the same département at the
 * same time, a register change in the middle; then the figures (indicator_now: the stored rows
 * plus the pending area changes) are compared, row for row, before and after the recompute.
 * The last corrections are sent while the folds of the pending area changes wait: the
 * figures are the same before and after the fold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ops_it.h"

static it_server S;
static char tok_admin[80];

#define HEADER "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;" \
               "connu_ss;problematiques;orientations;mode;commentaire\n"

typedef struct post_def {
    const char *code, *dep, *opened;
} post_def;

/* Three posts in D93, one in D75 (all R11), one in D13, one in D2A; one opens in 2024-03. */
static const post_def POSTS[] = {
    {"ISCG-093-01", "93", "2020-01"}, {"ISCG-093-02", "93", "2020-01"},
    {"ISCG-093-03", "93", "2024-03"}, {"ISCG-075-01", "75", "2020-01"},
    {"ISCG-013-01", "13", "2020-01"}, {"ISCG-02A-01", "2A", "2020-01"},
};
#define NPOSTS (sizeof POSTS / sizeof *POSTS)

/* xorshift64*: the same sequence on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rnd((unsigned)n)];
}
#define PICK(a) pick(a, sizeof a / sizeof *a)

static const char *const SEXE[] = {"F", "F", "M", "X"};
static const char *const STATUT[] = {"VICTIME", "VICTIME", "AUTEUR", "VICT_AUT", "AUTRE"};
static const char *const ORIGINE[] = {"POL_INTER", "POL_ACCUEIL", "BPF", "SPONTANE", "MAIRIE"};
static const char *const CONNU[] = {"OUI", "NON", "NON", "NSP"};
static const char *const PROB[] = {"VIOL_CONJ", "VIOL_SEX", "FUGUE", "LOGEMENT", "PRECARITE",
                                   "ENFANCE_DANGER"};
static const char *const PART[] = {"SSD", "CCAS", "AIDE_VICTIMES", "JUSTICE", "SANTE"};
static const char *const MODE[] = {"BUREAU", "TELEPHONE", "DOMICILE", "EXTERIEUR",
                                   "ACCOMPAGNEMENT"};

typedef struct op {
    const char *post;
    char period[24];
    char received_at[48]; /* "" = now */
    char *body;
} op;

/* A random grid: 0 to 24 contacts by people of a pool of 14 per post (repeats across months
 * and within one), birth dates full, year only or missing. */
static char *random_grid(int year, int month)
{
    int n = rnd(9) == 0 ? 0 : (int)rnd(25);
    size_t cap = 256 + (size_t)n * 200, len;
    char *s = malloc(cap);
    len = (size_t)snprintf(s, cap, HEADER);
    for (int i = 0; i < n; i++) {
        unsigned who = rnd(14);
        char birth[16] = "";
        unsigned b = rnd(3);
        if (b == 1)
            snprintf(birth, sizeof birth, "%u", 1950 + who * 5);
        else if (b == 2)
            snprintf(birth, sizeof birth, "%u-%02u-15", 1950 + who * 5, 1 + who % 12);
        char probs[64], parts[64] = "";
        snprintf(probs, sizeof probs, "%s", PICK(PROB));
        if (rnd(2))
            snprintf(probs + strlen(probs), sizeof probs - strlen(probs), "|%s", PICK(PROB));
        unsigned np = rnd(3);
        for (unsigned k = 0; k < np; k++)
            snprintf(parts + strlen(parts), sizeof parts - strlen(parts), "%s%s", k ? "|" : "",
                     PICK(PART));
        len += (size_t)snprintf(s + len, cap - len, "%04d-%02d-%02u;Personne %u;%s;%s;;%s;%s;%s;%s;%s;%s;\n",
                                year, month, 1 + rnd(28), who, birth, PICK(SEXE), PICK(STATUT),
                                PICK(ORIGINE), PICK(CONNU), probs, parts, PICK(MODE));
    }
    return s;
}

#define NOPS 90
static op ops[NOPS];
static size_t next_op, end_op;
static int closed_now;
static pthread_mutex_t op_mu = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static void *client(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&op_mu);
        size_t i = next_op++;
        pthread_mutex_unlock(&op_mu);
        if (i >= end_op)
            return NULL;
        /* Once ISCG-013-01 closed after 2024-06, its later months are refused (422). */
        if (closed_now && strcmp(ops[i].post, "ISCG-013-01") == 0 &&
            strcmp(ops[i].period, "2024-06") > 0)
            continue;
        char path[160];
        snprintf(path, sizeof path, "/api/v1/grids/%s/%s%s%s", ops[i].post, ops[i].period,
                 ops[i].received_at[0] ? "?received_at=" : "", ops[i].received_at);
        it_resp r;
        it_http(&S, "PUT", path, tok_admin, "text/csv", ops[i].body, strlen(ops[i].body), &r);
        if (r.status != 200 && r.status != 201) {
            fprintf(stderr, "PUT %s: %ld %s\n", path, r.status, r.body);
            pthread_mutex_lock(&op_mu);
            failures++;
            pthread_mutex_unlock(&op_mu);
        }
        it_resp_free(&r);
    }
}

static void run_clients(int nthreads)
{
    pthread_t t[8];
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, client, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
}

static const char SQL_SNAPSHOT[] =
    "CREATE TABLE %s AS SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
    " partenaire, mode, lvl, freq, pstart, num, den, value, nposts, obs_status FROM indicator_now";

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
    assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
}

/* Rows of a not in b, printed (a few) and counted. */
static long differ(PGconn *c, const char *a, const char *b)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", a, b);
    PGresult *r = PQexec(c, sql);
    long n = PQntuples(r);
    for (int i = 0; i < n && i < 10; i++) {
        fprintf(stderr, "only in %s:", a);
        for (int f = 0; f < PQnfields(r); f++)
            fprintf(stderr, " %s", PQgetisnull(r, i, f) ? "NULL" : PQgetvalue(r, i, f));
        fprintf(stderr, "\n");
    }
    PQclear(r);
    return n;
}

/* The table now (incremental) against a full recompute. */
static void compare_with_full(const char *const *aggregate_args)
{
    PGconn *c = it_db(&S);
    char sql[512];
    exec_ok(c, "DROP TABLE IF EXISTS snap_inc, snap_full");
    snprintf(sql, sizeof sql, SQL_SNAPSHOT, "snap_inc");
    exec_ok(c, sql);
    long rows = it_sql_long(c, "SELECT count(*) FROM snap_inc");
    assert_true(rows > 1000);
    char out[256];
    assert_int_equal(it_cli(&S, out, sizeof out, aggregate_args), 0);
    snprintf(sql, sizeof sql, SQL_SNAPSHOT, "snap_full");
    exec_ok(c, sql);
    long d1 = differ(c, "snap_inc", "snap_full"), d2 = differ(c, "snap_full", "snap_inc");
    assert_int_equal(d1, 0);
    assert_int_equal(d2, 0);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM snap_full"), rows);
    PQfinish(c);
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_agg_consistency");
    for (size_t i = 0; i < NPOSTS; i++)
        it_post_add(&S, POSTS[i].code, POSTS[i].dep, POSTS[i].opened);
    it_user_add(&S, "admin", NULL, tok_admin);
    it_start(&S, NULL);
    /* 2023-11 .. 2024-12, only months the post was open. */
    for (size_t i = 0; i < NOPS; i++) {
        const post_def *p;
        int year, month;
        for (;;) {
            p = &POSTS[rnd(NPOSTS)];
            int m = (int)rnd(14); /* 0 = 2023-11 */
            year = m < 2 ? 2023 : 2024;
            month = m < 2 ? 11 + m : m - 1;
            char ym[24];
            snprintf(ym, sizeof ym, "%04d-%02d", year, month);
            if (strcmp(ym, p->opened) >= 0)
                break;
        }
        ops[i].post = p->code;
        snprintf(ops[i].period, sizeof ops[i].period, "%04d-%02d", year, month);
        if (rnd(2))
            snprintf(ops[i].received_at, sizeof ops[i].received_at, "%04d-%02d-0%uT10:00:00Z",
                     month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1 + rnd(9));
        ops[i].body = random_grid(year, month);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NOPS; i++)
        free(ops[i].body);
    it_stop_checked(&S);
    return 0;
}

/* Half the sequence by four clients at once, compare; a post closes (register change),
 * compare; the other half, compare; every post-month corrected at random, compare. */
static void test_incremental_equals_full(void **state)
{
    (void)state;
    next_op = 0;
    end_op = NOPS / 2;
    run_clients(4);
    assert_int_equal(failures, 0);
    compare_with_full((const char *const[]){"aggregate", NULL});
    const char *args[] = {"post", "add", "ISCG-013-01", "--name", "Poste de test", "--dep", "13",
                          "--force", "GN", "--opened", "2020-01", "--closed", "2024-06", NULL};
    assert_int_equal(it_cli(&S, NULL, 0, args), 0);
    closed_now = 1;
    compare_with_full((const char *const[]){"aggregate", "--from", "2023", "--to", "2024", NULL});
    end_op = NOPS;
    run_clients(4);
    assert_int_equal(failures, 0);
    compare_with_full((const char *const[]){"aggregate", "--from", "2024-03", NULL});
    for (size_t i = 0; i < NOPS; i++) {
        int y, m;
        sscanf(ops[i].period, "%d-%d", &y, &m);
        free(ops[i].body);
        ops[i].body = random_grid(y, m);
    }
    /* the corrections while the folds wait (the test holds the fold lock of fold.c): their
     * area changes stay pending; the figures are the same before and after the fold */
    PGconn *held = it_db(&S);
    it_sql_long(held, "SELECT pg_advisory_lock(72433, 0)");
    next_op = 0;
    run_clients(4);
    assert_int_equal(failures, 0);
    PGconn *c = it_db(&S);
    long pending = it_sql_long(c, "SELECT count(*) FROM agg_pending");
    assert_true(pending > 0);
    exec_ok(c, "DROP TABLE IF EXISTS snap_pending, snap_folded");
    char sql[512];
    snprintf(sql, sizeof sql, SQL_SNAPSHOT, "snap_pending");
    exec_ok(c, sql);
    PQfinish(held); /* the server's background thread folds (bounded by count and time) */
    for (int i = 0; i < 200 && it_sql_long(c, "SELECT count(*) FROM agg_pending") > 0; i++)
        usleep(50 * 1000);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM agg_pending"), 0);
    assert_true(ops_log_count(&S, "agg.fold cells=") > 0);
    snprintf(sql, sizeof sql, SQL_SNAPSHOT, "snap_folded");
    exec_ok(c, sql);
    print_message("%ld pending area changes folded\n", pending);
    assert_int_equal(differ(c, "snap_pending", "snap_folded"), 0);
    assert_int_equal(differ(c, "snap_folded", "snap_pending"), 0);
    PQfinish(c);
    compare_with_full((const char *const[]){"aggregate", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_equals_full),
    };
    int failed = cmocka_run_group_tests_name("integration_agg_consistency", tests, setup, teardown);
    return failed || it_stop_failures;
}
