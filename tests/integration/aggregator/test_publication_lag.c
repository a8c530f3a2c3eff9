/* test_publication_lag.c: protected readers never wait for a protection (docs/indicators.md,
 * "Publication lag"; spec indicators.md section 3), with the default configuration
 * (ISCGOBS_PROTECT_WAIT_MS=0), a real server and PostgreSQL.
 *
 * The year is protected once (round 1). The test then takes the background protection's
 * turn (the advisory lock servers of one database share, as another server protecting would)
 * and a post uploads a correction: the next round cannot be built. Meanwhile a public reader (JSON and the national HTML
 * report) is answered with round 1's figures and round 1's date, while the post reads its
 * own new figures at once. Once the lock is released, the public answer moves to the new
 * figures and date within the 15 seconds of the contract. SDMX answers likewise: the run of
 * round 1 with its Extracted date, then the run recorded in the background after the new
 * round. */
#include "web_client.h"

#include "date.h"
#include "ops_it.h"
#include "task_lock.h"
#include "warm.h"

static it_server S;

static char tok_admin[80], tok_post[80];
static int year;

#define POST "ISCG-075-01"
#define HEADER                                                                                \
    "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;"              \
    "connu_ss;problematiques;orientations;mode;commentaire\n"

/* A grid of n contacts of n persons for month 3 of year. */
static void put_grid(int n, const char *tag)
{
    char body[8192];
    size_t len = (size_t)snprintf(body, sizeof body, HEADER);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%04d-03-%02d;%s-%d;1980;F;75011;VICTIME;POL_ACCUEIL;NON;VIOL_CONJ;;"
                                "BUREAU;\n", year, i % 28 + 1, tag, i);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/grids/" POST "/%04d-03", year);
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", body, len, &r);
    if (r.status != 201 && r.status != 200)
        fail_msg("upload: %ld %s", r.status, r.body);
    it_resp_free(&r);
}

/* NB_CONTACTS of area for March (-1 when withheld or absent), and the answer's as_of. */
static double contacts(const char *area, const char *token, char as_of[32])
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/indicators?mesure=NB_CONTACTS&area=%s&period=%04d-03",
             area, year);
    it_resp r;
    it_http(&S, "GET", path, token, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    it_resp_free(&r);
    assert_non_null(j);
    const char *t = json_string_value(json_object_get(j, "as_of"));
    snprintf(as_of, 32, "%s", t ? t : "");
    json_t *cells = json_object_get(j, "cells"), *cell;
    size_t i;
    double v = -1;
    json_array_foreach(cells, i, cell) {
        json_t *val = json_object_get(cell, "value");
        if (json_is_number(val))
            v = json_number_value(val);
    }
    json_decref(j);
    return v;
}

/* The national report's "Données au" sentence, e.g. "Données au 07/12/2026 à 08:40:12 UTC". */
static void report_date(char out[64])
{
    char path[64];
    snprintf(path, sizeof path, "/rapports/national/%04d", year);
    it_resp r;
    it_http(&S, "GET", path, NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    const char *d = strstr(r.body, "Données au ");
    assert_non_null(d);
    snprintf(out, 64, "%.40s", d);
    it_resp_free(&r);
}

/* The SDMX observation of NB_CONTACTS in FR for March (-1 when absent or withheld), and the
 * message's Extracted (when its figures are as of; "" without any observation). */
static double sdmx_contacts(char extracted[32])
{
    char path[200];
    snprintf(path, sizeof path,
             "/sdmx/data/ISCG_INDICATEURS/M.FR.NB_CONTACTS._T._T._T._T._T._T._T"
             "?startPeriod=%04d-03&endPeriod=%04d-03", year, year);
    web_resp r;
    web_get(&S, path, "Accept: application/vnd.sdmx.genericdata+xml;version=2.1", NULL, &r);
    extracted[0] = '\0';
    if (r.status == 404) { /* no observation (yet): the run in force is older */
        web_free(&r);
        return -1;
    }
    if (r.status != 200)
        fail_msg("SDMX: %ld %s", r.status, r.body);
    const char *x = strstr(r.body, "<message:Extracted>");
    assert_non_null(x);
    snprintf(extracted, 32, "%.20s", x + strlen("<message:Extracted>"));
    const char *o = strstr(r.body, "<generic:ObsValue value=\"");
    double v = o ? strtod(o + strlen("<generic:ObsValue value=\""), NULL) : -1;
    web_free(&r);
    return v;
}

static int setup(void **state)
{
    (void)state;
    setenv("ISCGOBS_SDC_K", "3", 1);
    it_setup(&S, "it_publication_lag");
    it_today(&year, NULL);
    year -= 1;
    char opened[16];
    snprintf(opened, sizeof opened, "%04d-01", year);
    it_post_add(&S, POST, "75", opened);
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "post", POST, tok_post);
    /* the default wait (0) and pause */
    it_start(&S, (const char *const[]){"ISCGOBS_PROTECT_WAIT_MS=0", NULL});
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

static void test_previous_round_then_new(void **state)
{
    (void)state;
    char t0[32], t1[32], tp[32], d0[64], d1[64];
    put_grid(20, "avant");
    /* round 1: the public figures reach 20 (the background round after the upload) */
    double v = -1;
    for (int i = 0; i < 150 && v != 20; i++) {
        v = contacts("FR", NULL, t0);
        if (v != 20)
            usleep(100 * 1000);
    }
    assert_true(v == 20);
    assert_int_equal(strlen(t0), 20); /* YYYY-MM-DDTHH:MM:SSZ */
    report_date(d0);
    /* SDMX: the run of round 1 (recorded after it in the background, or by this first read) */
    char x0[32], x1[32];
    v = -1;
    for (int i = 0; i < 150 && v != 20; i++) {
        v = sdmx_contacts(x0);
        if (v != 20)
            usleep(100 * 1000);
    }
    assert_true(v == 20);
    assert_string_equal(x0, t0); /* Extracted: the date of round 1's figures */
    sleep(1); /* the next change gets a later time (seconds) */

    /* the test takes the protection's turn, as another server protecting would: the round
     * after the correction cannot be built while it holds it */
    PGconn *c = it_hold_protection_turn(&S);
    int turns = ops_log_count(&S, "task=agg.warm held=0");
    put_grid(30, "apres");
    /* the background thread tried and found the turn taken (bounded by count and time) */
    for (int i = 0; i < 200 && ops_log_count(&S, "task=agg.warm held=0") == turns; i++)
        usleep(50 * 1000);
    assert_true(ops_log_count(&S, "task=agg.warm held=0") > turns);
    /* public readers: round 1 at once, with its date; the post: its own new figures */
    for (int i = 0; i < 3; i++) {
        assert_true(contacts("FR", NULL, t1) == 20);
        assert_string_equal(t1, t0);
    }
    report_date(d1);
    assert_string_equal(d1, d0);
    for (int i = 0; i < 3; i++) { /* SDMX: round 1's run, at once, with its date */
        assert_true(sdmx_contacts(x1) == 20);
        assert_string_equal(x1, x0);
    }
    assert_true(contacts(POST, tok_post, tp) == 30);
    PQfinish(c); /* the session ends: the turn is released */

    /* released: the new round within the contract's 15 s (bounded by count and time) */
    double t_start = obs_now_ms();
    v = -1;
    while (v != 30 && obs_now_ms() - t_start < 15000) {
        v = contacts("FR", NULL, t1);
        if (v != 30)
            usleep(50 * 1000);
    }
    print_message("public figures moved to 30 %.0f ms after the lock was released\n",
                  obs_now_ms() - t_start);
    assert_true(v == 30);
    assert_true(strcmp(t1, t0) > 0);
    report_date(d1);
    assert_string_not_equal(d1, d0);
    v = -1; /* SDMX: the new round's run, recorded in the background, within the same 15 s */
    while (v != 30 && obs_now_ms() - t_start < 15000) {
        v = sdmx_contacts(x1);
        if (v != 30)
            usleep(50 * 1000);
    }
    print_message("SDMX moved to 30 %.0f ms after the lock was released\n",
                  obs_now_ms() - t_start);
    assert_true(v == 30);
    assert_string_equal(x1, t1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_previous_round_then_new),
    };
    int failed = cmocka_run_group_tests_name("integration_publication_lag", tests, setup, teardown);
    return failed || it_stop_failures;
}
