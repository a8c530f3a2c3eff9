/* test_retention.c: the retention purge end to end (docs/privacy.md, "Retention"), real
 * server and PostgreSQL. Two demonstration years are loaded (Y-3 whole, Y-2's first half);
 * `iscgobs retention purge --before Y-2-01` runs in small batches while Y-2's second half is
 * being uploaded. Afterwards: no contact row of Y-3 is left, not even in a `pg_dump`; the
 * purge is in retention_purge and the audit log; Y-3's stored indicators (updated_at
 * included), its SDMX answers (plain and asOf), its JSON answers (analyst and public) and
 * its HTML report are byte for byte what they were, also after a register change and
 * `iscgobs aggregate`; Y-2's NB_NOUVELLES refreshed by the uploads (before, during and after
 * the purge) equal a full recompute from contact_before; an upload or correction of Y-3 is
 * refused (409
 * E_PERIOD_PURGED) with nothing stored; the refusals of the command; the daily task of
 * serve (ISCGOBS_RETENTION_MONTHS) purging by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "ops_it.h"

static it_server S;
static char tok_admin[80], tok_analyst[80];
static int Y3, Y2, cur_month; /* the purged year, the kept year, this month (1-12) */
static char later[700];       /* Y-2's grids of July to December, uploaded during the purge */

static int second_half(int m)
{
    return m >= 7;
}

/* Remove the grids of the demo folder dir whose post is closed in the register (the second
 * demo year is uploaded against the first year's register). */
static void drop_closed_posts(const char *dir)
{
    PGconn *c = it_db(&S);
    PGresult *r = PQexec(c, "SELECT code FROM post WHERE closed IS NOT NULL");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    char grids[760];
    snprintf(grids, sizeof grids, "%s/grids", dir);
    DIR *d = opendir(grids);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        for (int i = 0; i < PQntuples(r); i++) {
            size_t n = strlen(PQgetvalue(r, i, 0));
            if (strncmp(de->d_name, PQgetvalue(r, i, 0), n) == 0 && de->d_name[n] == '_') {
                char path[1100];
                snprintf(path, sizeof path, "%s/%s", grids, de->d_name);
                assert_int_equal(remove(path), 0);
            }
        }
    closedir(d);
    PQclear(r);
    PQfinish(c);
}

static void demo_year(const char *dir, int year)
{
    char ys[16];
    snprintf(ys, sizeof ys, "%d", year);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"demo", "--out", dir, "--posts", "6",
                                                               "--year", ys, NULL}), 0);
}

static int upload(const char *dir)
{
    return it_cli(&S, NULL, 0, (const char *const[]){"upload", dir, "--url", S.base, "--token",
                                                     tok_admin, "--jobs", "2", NULL});
}

static int setup(void **state)
{
    (void)state;
    it_setup(&S, "it_retention");
    it_user_add(&S, "admin", NULL, tok_admin);
    it_user_add(&S, "analyst", NULL, tok_analyst);
    it_start(&S, NULL);
    it_today(&Y3, &cur_month);
    Y3 -= 3;
    Y2 = Y3 + 1;
    char d3[700], d2[700], csv[760];
    snprintf(d3, sizeof d3, "%s/demo3", S.dir);
    snprintf(d2, sizeof d2, "%s/demo2", S.dir);
    snprintf(later, sizeof later, "%s/later", S.dir);
    demo_year(d3, Y3);
    demo_year(d2, Y2);
    snprintf(csv, sizeof csv, "%s/posts.csv", d3);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"post", "import", csv, NULL}), 0);
    drop_closed_posts(d2);
    assert_true(ops_move_grids(d2, later, second_half) > 0);
    assert_int_equal(upload(d3), 0);
    assert_int_equal(upload(d2), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    it_stop_checked(&S);
    return 0;
}

/* What must not change for a year: its stored indicators (every column), SDMX answers, JSON
 * answers and HTML report. */
typedef struct year_view {
    char cells[80];
    char *sdmx, *sdmx_asof, *json_analyst, *json_public, *html;
} year_view;

/* The message ID and Extracted name the publication run served: the latest one is newer
 * after Y-2's uploads (and dated by them: a run covers every year), so the plain answer is
 * compared with both blanked (the asOf answer, the same run served again, is compared whole). */
static char *without_id(char *body)
{
    ops_mask(body, "<message:ID>", "</message:ID>");
    ops_mask(body, "<message:Extracted>", "</message:Extracted>");
    return body;
}

static void view_of(int year, const char *as_of, year_view *v)
{
    PGconn *c = it_db(&S);
    char where[80], path[300];
    snprintf(where, sizeof where, "pstart >= '%d-01-01' AND pstart < '%d-01-01'", year, year + 1);
    ops_table_digest(c, "indicator_now", where, v->cells, sizeof v->cells);
    PQfinish(c);
    snprintf(path, sizeof path, "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d", year, year);
    v->sdmx = without_id(ops_get(&S, path, NULL));
    snprintf(path, sizeof path, "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d&asOf=%s",
             year, year, as_of);
    v->sdmx_asof = ops_get(&S, path, NULL);
    snprintf(path, sizeof path, "/api/v1/indicators?from=%d&to=%d&mesure=NB_PERSONNES", year, year);
    v->json_analyst = ops_get(&S, path, tok_analyst);
    snprintf(path, sizeof path, "/api/v1/indicators?from=%d&to=%d&area=FR", year, year);
    v->json_public = ops_get(&S, path, NULL);
    snprintf(path, sizeof path, "/rapports/national/%d", year);
    v->html = ops_get(&S, path, NULL);
}

/* a and b equal, or the test fails naming what differs and where. */
static void same(const char *what, const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && a[i] == b[i])
        i++;
    if (a[i] || b[i])
        fail_msg("%s differs at byte %zu: \"%.80s\" vs \"%.80s\"", what, i, a + i, b + i);
}

static void view_equal(const year_view *a, const year_view *b)
{
    same("stored indicators", a->cells, b->cells);
    same("SDMX", a->sdmx, b->sdmx);
    same("SDMX asOf", a->sdmx_asof, b->sdmx_asof);
    same("JSON (analyst)", a->json_analyst, b->json_analyst);
    same("JSON (public)", a->json_public, b->json_public);
    same("HTML report", a->html, b->html);
}

static void view_free(year_view *v)
{
    free(v->sdmx);
    free(v->sdmx_asof);
    free(v->json_analyst);
    free(v->json_public);
    free(v->html);
}

/* The contact rows of year in a plain pg_dump of the database (and, in *kept, those of the
 * other years, so that a dump without the table cannot pass). */
static long dumped_contacts(int year, long *kept)
{
    char path[700], cmd[1600], prefix[16];
    snprintf(path, sizeof path, "%s/dump.sql", S.dir);
    snprintf(cmd, sizeof cmd, "pg_dump --dbname='%s' --file='%s'", S.db_url, path);
    assert_int_equal(system(cmd), 0);
    snprintf(prefix, sizeof prefix, "\t%d-", year);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    long n = 0, in = 0;
    *kept = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "COPY public.contact ", 20) == 0) {
            in = 1;
            continue;
        }
        if (in && strncmp(line, "\\.", 2) == 0)
            in = 0;
        else if (in && strstr(line, prefix))
            n++;
        else if (in)
            (*kept)++;
    }
    fclose(f);
    remove(path);
    return n;
}

static int purge(const char *before, const char *batch)
{
    return it_cli(&S, NULL, 0, (const char *const[]){"retention", "purge", "--before", before,
                                                     "--batch", batch, NULL});
}

static long put_status(const char *post, int year, int month, char *body, size_t cap)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/grids/%s/%04d-%02d", post, year, month);
    static const char grid[] =
        "date_contact;ref_personne;date_naissance;sexe;code_postal;statut;origine;"
        "connu_ss;problematiques;orientations;mode;commentaire\n"
        "%04d-%02d-03;Purge Personne;;F;;VICTIME;BPF;NON;VIOL_CONJ;;BUREAU;\n";
    char csv[400];
    snprintf(csv, sizeof csv, grid, year, month);
    it_resp r;
    it_http(&S, "PUT", path, tok_admin, "text/csv", csv, strlen(csv), &r);
    snprintf(body, cap, "%s", r.body ? r.body : "");
    long st = r.status;
    it_resp_free(&r);
    return st;
}

/* Purge Y-3 while Y-2's second half is uploaded; everything published for Y-3 stays. */
static void test_purge_year(void **state)
{
    (void)state;
    PGconn *c = it_db(&S);
    char y2_cells[80], y2_where[80], before[16], t[32], sql[300];
    snprintf(before, sizeof before, "%d-01", Y2);
    snprintf(y2_where, sizeof y2_where, "pstart >= '%d-01-01' AND mesure = 'NB_NOUVELLES'", Y2);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE period < '%d-01-01'", Y2);
    long rows3 = it_sql_long(c, sql);
    assert_true(rows3 > 1000);
    /* asOf = a time after the publication run the first SDMX read records */
    char path[200];
    snprintf(path, sizeof path, "/sdmx/data/ISCG_INDICATEURS/all?startPeriod=%d&endPeriod=%d", Y3, Y3);
    free(ops_get(&S, path, NULL));
    PGresult *r = PQexec(c, "SELECT to_char((now() + interval '1 second') AT TIME ZONE 'UTC',"
                            " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    snprintf(t, sizeof t, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    usleep(1500000);
    year_view v0, v1, v2;
    view_of(Y3, t, &v0);
    long grids0 = it_sql_long(c, "SELECT count(*) FROM grid");

    pid_t up = fork();
    if (up == 0)
        _exit(upload(later));
    for (int i = 0; i < 600 && it_sql_long(c, "SELECT count(*) FROM grid") < grids0 + 3; i++)
        usleep(20000);
    long at_start = it_sql_long(c, "SELECT count(*) FROM grid");
    assert_int_equal(purge(before, "200"), 0);
    long at_end = it_sql_long(c, "SELECT count(*) FROM grid");
    int st = 0;
    waitpid(up, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    long total = it_sql_long(c, "SELECT count(*) FROM grid");
    print_message("grids: %ld before the uploads, %ld when the purge began, %ld when it ended, "
                  "%ld in all\n", grids0, at_start, at_end, total);
    /* the uploads ran through the purge: begun before it, some stored after it */
    assert_true(at_start > grids0 && at_end < total);
    /* Y-2's NB_NOUVELLES as the uploads refreshed them (a person last seen before the
     * horizon and uploaded again after the purge began is new: forgotten by design) */
    ops_table_digest(c, "(SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
                        " partenaire, mode, num, den, value, nposts, obs_status, pstart FROM indicator_now)",
                     y2_where, y2_cells, sizeof y2_cells);

    /* no microdata of Y-3 left, in the table or in a dump; every grid of Y-2 whole */
    assert_int_equal(it_sql_long(c, sql), 0);
    long kept = 0;
    assert_int_equal(dumped_contacts(Y3, &kept), 0);
    assert_true(kept > 1000);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM grid g WHERE rows <> (SELECT count(*)"
                                    " FROM contact c WHERE c.post = g.post AND c.period = g.period)"
                                    " AND g.period >= date_trunc('year', now()) - interval '2 years'"), 0);
    snprintf(sql, sizeof sql, "SELECT rows FROM retention_purge WHERE before = '%d-01-01'"
                              " AND finished_at IS NOT NULL", Y2);
    assert_int_equal(it_sql_long(c, sql), rows3);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM audit_log WHERE action = 'retention.purge'"
                                    " AND outcome IN ('started', 'ok')"), 2);
    assert_true(it_sql_long(c, "SELECT count(*) FROM contact_before") > 0);

    /* a register change (a post opened in Y-3) leaves the frozen year's post counts alone */
    char opened[16];
    snprintf(opened, sizeof opened, "%d-01", Y3);
    it_post_add(&S, "ISCG-093-09", "93", opened);
    view_of(Y3, t, &v1);
    view_equal(&v0, &v1);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    /* the incremental refresh of one post-month of the frozen year is refused too */
    char one_post[32], one_month[16];
    snprintf(sql, sizeof sql, "SELECT post FROM grid WHERE period = '%d-06-01' LIMIT 1", Y3);
    PGresult *pr = PQexec(c, sql);
    assert_int_equal(PQntuples(pr), 1);
    snprintf(one_post, sizeof one_post, "%s", PQgetvalue(pr, 0, 0));
    PQclear(pr);
    snprintf(one_month, sizeof one_month, "%d-06", Y3);
    assert_int_equal(it_cli(&S, NULL, 0,
                            (const char *const[]){"aggregate", "--post", one_post, "--month",
                                                  one_month, NULL}),
                     1);
    view_of(Y3, t, &v2);
    view_equal(&v0, &v2);
    char y2_after[80];
    ops_table_digest(c, "(SELECT area, period, mesure, sexe, age, statut, origine, problematique,"
                        " partenaire, mode, num, den, value, nposts, obs_status, pstart FROM indicator_now)",
                     y2_where, y2_after, sizeof y2_after);
    assert_string_equal(y2_cells, y2_after);
    print_message("purged %ld rows of %d; %ld kept in the dump; %s NB_NOUVELLES cells of %d\n", rows3,
                  Y3, kept, y2_cells, Y2);
    view_free(&v0);
    view_free(&v1);
    view_free(&v2);
    PQfinish(c);
}

/* Uploads and corrections of a purged month are refused and leave nothing; the command's
 * own refusals; a second run of the same purge is harmless. */
static void test_refusals(void **state)
{
    (void)state;
    PGconn *c = it_db(&S);
    long uploads = it_sql_long(c, "SELECT count(*) FROM upload");
    PGresult *r = PQexec(c, "SELECT g.post, extract(month FROM g.period)::int FROM grid g"
                            " ORDER BY g.period LIMIT 1");
    assert_int_equal(PQntuples(r), 1);
    char post[32], body[2048];
    snprintf(post, sizeof post, "%s", PQgetvalue(r, 0, 0));
    int month = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    assert_int_equal(put_status(post, Y3, month, body, sizeof body), 409); /* a correction */
    assert_non_null(strstr(body, "E_PERIOD_PURGED"));
    assert_non_null(strstr(body, "conservation"));
    assert_int_equal(put_status(post, Y3, month == 12 ? 11 : 12, body, sizeof body), 409);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM upload"), uploads);

    char m[16];
    snprintf(m, sizeof m, "%d-01", Y2);
    assert_int_equal(purge(m, "1000"), 0); /* again: nothing left to do */
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM retention_purge"), 1);
    /* the purge and the year it froze, as `retention list` shows them */
    char out[2048], want[64];
    assert_int_equal(it_cli(&S, out, sizeof out, (const char *const[]){"retention", "list", NULL}), 0);
    snprintf(want, sizeof want, "\n%d-01\tcli\t%d-", Y2, Y3 + 3);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "inachevée"));
    snprintf(want, sizeof want, "\nannées figées : %d\n", Y3);
    assert_non_null(strstr(out, want));
    snprintf(m, sizeof m, "%d-%02d", Y3 + 3, cur_month); /* this month: its year is open */
    assert_int_equal(purge(m, "1000"), 1);
    assert_int_equal(purge("2999-01", "1000"), 1);
    snprintf(m, sizeof m, "%d-13", Y2);
    assert_int_equal(purge(m, "1000"), 2);
    assert_int_equal(it_sql_long(c, "SELECT count(*) FROM retention_purge"), 1);
    PQfinish(c);
}

/* serve with ISCGOBS_RETENTION_MONTHS purges by itself a few seconds after it starts: the
 * horizon is the month that many months ago (here March of Y-2). */
static void test_daily_task(void **state)
{
    (void)state;
    PGconn *c = it_db(&S);
    char y2_cells[80], y2_where[80], env[64], sql[300];
    snprintf(y2_where, sizeof y2_where, "pstart >= '%d-01-01' AND pstart < '%d-01-01'", Y2, Y2 + 1);
    ops_table_digest(c, "indicator", y2_where, y2_cells, sizeof y2_cells);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM contact WHERE period < '%d-03-01'", Y2);
    long rows = it_sql_long(c, sql);
    assert_true(rows > 0);
    it_stop_checked(&S);
    snprintf(env, sizeof env, "ISCGOBS_RETENTION_MONTHS=%d", 21 + cur_month);
    it_start(&S, (const char *const[]){env, NULL});
    char done[200];
    snprintf(done, sizeof done, "SELECT count(*) FROM retention_purge WHERE before = '%d-03-01'"
                                " AND finished_at IS NOT NULL AND actor = 'serve'", Y2);
    for (int i = 0; i < 600 && it_sql_long(c, done) == 0; i++)
        usleep(100000);
    assert_int_equal(it_sql_long(c, done), 1);
    assert_int_equal(it_sql_long(c, sql), 0);
    snprintf(sql, sizeof sql, "SELECT rows FROM retention_purge WHERE before = '%d-03-01'", Y2);
    assert_int_equal(it_sql_long(c, sql), rows);
    /* Y-2 is frozen now: its later months are refused too, its indicators stay */
    char body[2048], post[32];
    PGresult *r = PQexec(c, "SELECT post FROM grid ORDER BY period DESC, post LIMIT 1");
    assert_int_equal(PQntuples(r), 1);
    snprintf(post, sizeof post, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    assert_int_equal(put_status(post, Y2, 9, body, sizeof body), 409);
    assert_int_equal(it_cli(&S, NULL, 0, (const char *const[]){"aggregate", NULL}), 0);
    char after[80];
    ops_table_digest(c, "indicator", y2_where, after, sizeof after);
    assert_string_equal(y2_cells, after);
    assert_true(ops_log_count(&S, "retention.purge") >= 1);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_year),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_daily_task),
    };
    int failed = cmocka_run_group_tests_name("integration_retention", tests, setup, teardown);
    return failed || it_stop_failures;
}
