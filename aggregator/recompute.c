/* recompute.c: the full recompute of stored indicators (`iscgobs aggregate`): delete the cells
 * of the years concerned, rebuild agg_window, insert every post-level cell with the three
 * queries of aggregator/sql, then every area cell as the sum of its posts' cells, in one
 * transaction holding the aggregation lock exclusively (uploads wait meanwhile).
 * The incremental refresh (refresh.c) must leave exactly the same rows: a test compares them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "args.h"
#include "buf.h"
#include "config.h"
#include "date.h"
#include "db.h"
#include "log.h"
#include "filter.h"
#include "ref.h"
#include "task_lock.h"

#define KEYCOLS "area, period, mesure, sexe, age, statut, origine, problematique, partenaire, mode"
#define ALLCOLS KEYCOLS ", lvl, freq, pstart, num, den, value, nposts, obs_status"

static const char SQL_LOCK_EXCL[] = "SELECT pg_advisory_xact_lock(72431, 0)";
/* The recompute sorts and hashes a year of contacts at once: let it use memory. */
static const char SQL_WORK_MEM[] = "SET LOCAL work_mem = '128MB'";
/* The planner cannot estimate the sizes of the queries' intermediate steps (CTEs over
 * grouped rows) and picks sorts where hashing is several times faster (a year of 450 posts:
 * -30 % CPU). Only for the recompute's transaction. */
static const char SQL_NO_SORT[] = "SET LOCAL enable_sort = off";

/* The years holding a grid, when no range is given. */
static const char SQL_YEARS[] =
    "SELECT coalesce(min(extract(year FROM period)), 0)::int,"
    "       coalesce(max(extract(year FROM period)), -1)::int FROM grid";

/* The first year whose microdata are whole: the years before keep their stored indicators
 * (frozen by a retention purge, collector/retention.h); 0 when nothing was purged. */
static const char SQL_FIRST_OPEN[] =
    "SELECT coalesce(extract(year FROM max(before) + interval '11 months')::int, 0)"
    " FROM retention_purge";

/* The pending area changes (fold.c) go with the rows they change: the area rows are summed
 * again from the post rows. */
static const char SQL_DELETE_ALL[] = "DELETE FROM indicator";
static const char SQL_DELETE_PENDING_ALL[] = "DELETE FROM agg_pending";
static const char SQL_DELETE_PENDING[] =
    "DELETE FROM agg_pending WHERE pstart >= $1::date AND pstart < $2::date";
static const char SQL_DELETE_WINDOW_ALL[] = "DELETE FROM agg_window";
static const char SQL_DELETE[] =
    "DELETE FROM indicator WHERE pstart >= $1::date AND pstart < $2::date";
static const char SQL_DELETE_WINDOW[] =
    "DELETE FROM agg_window WHERE period >= $1::date AND period < $2::date";

/* Every month of a year up to the latest month of that year with a grid. */
static const char SQL_WINDOW[] =
    "INSERT INTO agg_window (period)"
    " SELECT generate_series(date_trunc('year', last), last, interval '1 month')::date"
    " FROM (SELECT max(period) AS last FROM grid"
    "       WHERE period >= $1::date AND period < $2::date"
    "       GROUP BY date_trunc('year', period)) y";

/* Area rows, level by level: départements as sums of their posts' rows, régions as sums of
 * their départements', FR as the sum of the régions' (sums of sums: the same numbers as
 * summing the posts each time, from ever fewer rows). nposts adds up the same way. The
 * observation status is the same for every row of a period, written just before. */
#define AREA_SUM_COLS(lvl)                                                                    \
    " i.period, i.mesure, i.sexe, i.age, i.statut, i.origine, i.problematique, i.partenaire,"  \
    " i.mode, " lvl ", i.freq, i.pstart, sum(i.num)::bigint, sum(i.den)::bigint,"            \
    " agg_value(i.mesure, sum(i.num)::bigint, sum(i.den)::bigint), sum(i.nposts)::int,"       \
    " max(i.obs_status)"
#define AREA_GROUP                                                                            \
    " GROUP BY 1, i.period, i.mesure, i.sexe, i.age, i.statut, i.origine, i.problematique,"   \
    " i.partenaire, i.mode, i.freq, i.pstart"
static const char SQL_AREAS_D[] =
    "INSERT INTO indicator (" ALLCOLS ")"
    " SELECT 'D' || p.dep," AREA_SUM_COLS("'D'")
    " FROM indicator i JOIN post p ON p.code = i.area"
    " WHERE i.lvl = 'P' AND i.pstart >= $1::date AND i.pstart < $2::date" AREA_GROUP;
static const char SQL_AREAS_R[] =
    "INSERT INTO indicator (" ALLCOLS ")"
    " SELECT 'R' || r.region," AREA_SUM_COLS("'R'")
    " FROM indicator i JOIN ref_departement r ON 'D' || r.code = i.area"
    " WHERE i.lvl = 'D' AND i.pstart >= $1::date AND i.pstart < $2::date" AREA_GROUP;
static const char SQL_AREAS_N[] =
    "INSERT INTO indicator (" ALLCOLS ")"
    " SELECT 'FR'," AREA_SUM_COLS("'N'")
    " FROM indicator i"
    " WHERE i.lvl = 'R' AND i.pstart >= $1::date AND i.pstart < $2::date" AREA_GROUP;

static const char SQL_GEN_BUMP[] =
    "INSERT INTO agg_generation AS g (year, gen)"
    " SELECT generate_series($1::int, $2::int), 1"
    " ON CONFLICT (year) DO UPDATE SET gen = g.gen + 1";
static const char SQL_GEN_BUMP_ALL[] = "UPDATE agg_generation SET gen = gen + 1";

static const char *const POST_QUERIES[] = {"cells_people.sql", "cells_new.sql",
                                           "cells_register.sql"};

typedef struct recompute_job {
    int from_year, to_year; /* 0, 0: everything */
} recompute_job;

static obs_status insert_posts(PGconn *c, const char *file, const char *from, const char *to,
                               obs_err *e)
{
    const char *q = obs_blob_find(agg_sql, file);
    if (q == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "requête absente : %s", file);
    obs_buf b;
    obs_buf_init(&b, 0);
    if (obs_buf_puts(&b, "INSERT INTO indicator (" ALLCOLS ")\n") || obs_buf_puts(&b, q)) {
        obs_buf_free(&b);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    char lock[16];
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    const char *p[] = {NULL, from, to, NULL, lock};
    obs_status rc = obs_db_exec(c, b.data, 5, p, NULL, e);
    obs_buf_free(&b);
    return rc;
}

static obs_status recompute_tx(PGconn *c, void *arg, obs_err *e)
{
    recompute_job *j = arg;
    /* the lifecycle guard first (task_lock.h): no purge freezes a year between the
     * frozen-year check below and the rewrite of its cells */
    obs_status rc = obs_db_run(c, OBS_GUARD_SQL_SHARED, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_LOCK_EXCL, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_WORK_MEM, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_NO_SORT, e);
    int all = j->from_year == 0 && j->to_year == 0;
    int y0 = j->from_year, y1 = j->to_year, open = 0;
    PGresult *r = NULL;
    if (rc == OBS_OK)
        rc = agg_first_open_year(c, &open, e);
    if (rc == OBS_OK && all) {
        rc = obs_db_exec(c, SQL_YEARS, 0, NULL, &r, e);
        if (rc == OBS_OK) {
            y0 = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
            y1 = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
            PQclear(r);
        }
        all = open == 0; /* with frozen years: only the open years, as a range */
    }
    if (y0 < open)
        y0 = open;
    if (rc == OBS_OK && all) {
        rc = obs_db_run(c, SQL_DELETE_ALL, e);
        if (rc == OBS_OK)
            rc = obs_db_run(c, SQL_DELETE_PENDING_ALL, e);
        if (rc == OBS_OK)
            rc = obs_db_run(c, SQL_DELETE_WINDOW_ALL, e);
        if (rc == OBS_OK)
            rc = obs_db_run(c, SQL_GEN_BUMP_ALL, e);
    }
    if (rc || y1 < y0)
        return rc;
    char from[24], to[24], lock[16], ys0[16], ys1[16];
    snprintf(from, sizeof from, "%04d-01-01", y0);
    snprintf(to, sizeof to, "%04d-01-01", y1 + 1);
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    snprintf(ys0, sizeof ys0, "%d", y0);
    snprintf(ys1, sizeof ys1, "%d", y1);
    const char *range[] = {from, to, lock};
    if (!all && (rc = obs_db_exec(c, SQL_DELETE, 2, range, NULL, e)))
        return rc;
    if (!all && (rc = obs_db_exec(c, SQL_DELETE_PENDING, 2, range, NULL, e)))
        return rc;
    if (!all && (rc = obs_db_exec(c, SQL_DELETE_WINDOW, 2, range, NULL, e)))
        return rc;
    if ((rc = obs_db_exec(c, SQL_WINDOW, 2, range, NULL, e)))
        return rc;
    for (size_t i = 0; rc == OBS_OK && i < OBS_ARRAY_LEN(POST_QUERIES); i++)
        rc = insert_posts(c, POST_QUERIES[i], from, to, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_AREAS_D, 2, range, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_AREAS_R, 2, range, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_AREAS_N, 2, range, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_GEN_BUMP, 2, (const char *[]){ys0, ys1}, NULL, e);
    return rc;
}

obs_status agg_first_open_year(PGconn *c, int *year, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_FIRST_OPEN, 0, NULL, &r, e);
    if (rc == OBS_OK) {
        *year = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    return rc;
}

obs_status agg_recompute(PGconn *c, int from_year, int to_year, obs_err *e)
{
    recompute_job j = {from_year, to_year};
    return obs_db_tx(c, recompute_tx, &j, e);
}

/* For the benchmark: the refresh of one post-month alone, in its own transaction. */
typedef struct one_job {
    const char *post;
    char period[11];
} one_job;

/* A frozen year's cells stay as the purge left them: its microdata are gone (or partly). */
static obs_status one_tx(PGconn *c, void *arg, obs_err *e)
{
    one_job *j = arg;
    int open = 0;
    obs_status rc = obs_db_run(c, OBS_GUARD_SQL_SHARED, e);
    if (rc == OBS_OK)
        rc = agg_first_open_year(c, &open, e);
    if (rc == OBS_OK && (int)strtol(j->period, NULL, 10) < open)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_PERIOD_PURGED",
                        "les données détaillées de l'année %.4s ont été supprimées au terme de "
                        "leur durée de conservation : ses indicateurs sont figés et ne sont plus "
                        "recalculés",
                        j->period);
    return rc ? rc : agg_refresh_post_month(c, j->post, j->period, e);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs aggregate [--from P --to P] [--timing]\n"
            "       iscgobs aggregate --post CODE --month AAAA-MM [--timing]\n"
            "Recalcule les indicateurs stockés à partir des contacts : tout (par défaut), ou les\n"
            "années entières couvertes par --from/--to (P : AAAA, AAAA-Qn ou AAAA-MM) ; avec\n"
            "--post/--month, le seul rafraîchissement incrémental d'un mois d'un poste.\n"
            "--timing affiche la durée en millisecondes sur la sortie standard.\n");
}

int agg_cmd_aggregate(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    const char *from = obs_arg_value(argc, argv, 1, "--from"), *to = obs_arg_value(argc, argv, 1, "--to");
    const char *post = obs_arg_value(argc, argv, 1, "--post");
    const char *month = obs_arg_value(argc, argv, 1, "--month");
    agg_period pf, pt, pm;
    if ((from && agg_period_parse(from, &pf)) || (to && agg_period_parse(to, &pt)) ||
        (month && (agg_period_parse(month, &pm) || pm.freq != 'M')) || (!post != !month) ||
        (post && (from || to))) {
        usage(stderr);
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    if (obs_config_load(&cfg, &e) || ref_init(&e))
        return obs_arg_fail(&e);
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || obs_db_ready(c, &e))
        return obs_arg_fail(&e);
    double t0 = obs_now_ms();
    obs_status rc;
    if (post) {
        one_job j = {.post = post};
        snprintf(j.period, sizeof j.period, "%04d-%02d-01", pm.year, pm.sub);
        rc = obs_db_tx(c, one_tx, &j, &e);
    } else {
        int y0 = from ? pf.year : 0, y1 = to ? pt.year : 0;
        if (from && !to)
            y1 = 2999;
        if (to && !from)
            y0 = 2000;
        rc = agg_recompute(c, y0, y1, &e);
    }
    double ms = obs_now_ms() - t0;
    obs_db_disconnect();
    if (rc)
        return obs_arg_fail(&e);
    obs_log(OBS_LOG_INFO, "agg.aggregate", "ms=%.1f", ms);
    if (obs_arg_flag(argc, argv, 1, "--timing"))
        printf("%.1f\n", ms);
    return 0;
}
