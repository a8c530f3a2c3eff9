/* period.c: `iscgobs period reopen|close|list`: the administrator reopens a locked month for
 * one post (its uploads are accepted again, grid-format.md section 6) and closes it again.
 *
 * A reopened month can be corrected, so the indicators of every period holding it are
 * provisional again (agg_obs_status, migrations/002_indicators.sql); both commands bump
 * the year's generation so that cached protections and SDMX states are rebuilt. Every change
 * goes to the audit log. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "config.h"
#include "db.h"
#include "ref.h"

/* The month must exist in the register's life of the post: a reopening of a month the post
 * never had would be meaningless. */
static const char SQL_REOPEN[] =
    "WITH p AS (SELECT code FROM post WHERE code = $1"
    "             AND to_date($2, 'YYYY-MM') >= opened"
    "             AND (closed IS NULL OR to_date($2, 'YYYY-MM') <= closed)),"
    " r AS (INSERT INTO period_reopen (post, period) SELECT code, to_date($2, 'YYYY-MM') FROM p"
    "       ON CONFLICT (post, period) DO UPDATE SET reopened_at = now() RETURNING post),"
    " g AS (INSERT INTO agg_generation AS g (year, gen)"
    "       SELECT extract(year FROM to_date($2, 'YYYY-MM'))::int, 1 FROM r"
    "       ON CONFLICT (year) DO UPDATE SET gen = g.gen + 1 RETURNING year),"
    " a AS (INSERT INTO audit_log (actor, action, target, outcome)"
    "       SELECT 'cli', 'period.reopen', $1 || '/' || $2, 'ok' FROM r)"
    " SELECT count(*) FROM r";

static const char SQL_CLOSE[] =
    "WITH r AS (DELETE FROM period_reopen WHERE post = $1 AND period = to_date($2, 'YYYY-MM')"
    "           RETURNING post),"
    " g AS (INSERT INTO agg_generation AS g (year, gen)"
    "       SELECT extract(year FROM to_date($2, 'YYYY-MM'))::int, 1 FROM r"
    "       ON CONFLICT (year) DO UPDATE SET gen = g.gen + 1 RETURNING year),"
    " a AS (INSERT INTO audit_log (actor, action, target, outcome)"
    "       SELECT 'cli', 'period.close', $1 || '/' || $2, 'ok' FROM r)"
    " SELECT count(*) FROM r";

static const char SQL_LIST[] =
    "SELECT post, to_char(period, 'YYYY-MM'),"
    "       to_char(reopened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM period_reopen ORDER BY period, post";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs period reopen POSTE AAAA-MM   rouvre un mois clos pour un poste\n"
            "       iscgobs period close POSTE AAAA-MM    le referme\n"
            "       iscgobs period list                   les mois rouverts\n"
            "Un mois rouvert accepte de nouveau les dépôts du poste ; les indicateurs des\n"
            "périodes qui le contiennent redeviennent provisoires (OBS_STATUS P).\n");
}

/* "ISCG-DDD-NN" and "YYYY-MM" (01..12): checked here for a clear message. */
static int valid_args(const char *post, const char *month)
{
    if (!ref_post_code_valid(post))
        return 0;
    if (strlen(month) != 7 || month[4] != '-')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !isdigit((unsigned char)month[i]))
            return 0;
    int m = (month[5] - '0') * 10 + (month[6] - '0');
    return m >= 1 && m <= 12;
}

static int list(PGconn *c, obs_err *e)
{
    PGresult *r = NULL;
    if (obs_db_exec(c, SQL_LIST, 0, NULL, &r, e))
        return obs_arg_fail(e);
    for (int i = 0; i < PQntuples(r); i++)
        printf("%s\t%s\t%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    PQclear(r);
    return 0;
}

int cli_cmd_period(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    int is_list = argc == 2 && strcmp(argv[1], "list") == 0;
    int reopen = argc == 4 && strcmp(argv[1], "reopen") == 0;
    int close_ = argc == 4 && strcmp(argv[1], "close") == 0;
    if (!is_list && !reopen && !close_) {
        usage(stderr);
        return 2;
    }
    if (!is_list && !valid_args(argv[2], argv[3])) {
        fprintf(stderr, "iscgobs: attendu : un code de poste ISCG-DDD-NN et un mois AAAA-MM\n");
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = cli_connect(&e);
    if (c == NULL)
        return obs_arg_fail(&e);
    int st;
    PGresult *r = NULL;
    if (is_list) {
        st = list(c, &e);
    } else if (obs_db_exec(c, reopen ? SQL_REOPEN : SQL_CLOSE, 2,
                           (const char *[]){argv[2], argv[3]}, &r, &e)) {
        st = obs_arg_fail(&e);
    } else if (strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
        fprintf(stderr,
                reopen ? "iscgobs: %s n'est pas au registre ou n'était pas ouvert en %s\n"
                       : "iscgobs: %s n'a pas de réouverture en %s\n",
                argv[2], argv[3]);
        st = 1;
    } else {
        fprintf(stderr, "mois %s %s pour %s\n", argv[3], reopen ? "rouvert" : "refermé", argv[2]);
        st = 0;
    }
    PQclear(r);
    obs_db_close(c);
    return st;
}
