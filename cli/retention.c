/* retention.c: `iscgobs retention purge --before YYYY-MM [--batch N]`: deletes the
 * microdata (contact rows) of the months before, keeps the indicators and publications
 * (collector/retention.h; docs/privacy.md, "Retention"); `iscgobs retention list`: the
 * purges done and the years they froze. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "db.h"
#include "period.h"
#include "retention.h"

/* One line per purge, then the frozen years (those with a month before the latest horizon,
 * as aggregator/recompute.c's SQL_FIRST_OPEN and collector/store.h's COL_SQL_FROZEN say). */
static const char SQL_LIST[] =
    "SELECT to_char(before, 'YYYY-MM'), actor,"
    "       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "                'inachevée'), rows"
    " FROM retention_purge ORDER BY before";
static const char SQL_FROZEN[] =
    "SELECT coalesce(string_agg(y::text, ' ' ORDER BY y), '')"
    " FROM generate_series((SELECT extract(year FROM min(period))::int FROM grid),"
    "                      (SELECT extract(year FROM max(before) - interval '1 month')::int"
    "                       FROM retention_purge)) y";

static int list(PGconn *c, obs_err *e)
{
    PGresult *r = NULL;
    if (obs_db_exec(c, SQL_LIST, 0, NULL, &r, e))
        return obs_arg_fail(e);
    printf("avant\tpar\tcommencée\tterminée\tlignes\n");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%s\t%s\t%s\t%s\t%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    if (obs_db_exec(c, SQL_FROZEN, 0, NULL, &r, e))
        return obs_arg_fail(e);
    const char *years = PQgetvalue(r, 0, 0);
    printf("années figées : %s\n", years[0] ? years : "aucune");
    PQclear(r);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs retention purge --before AAAA-MM [--batch N]\n"
            "       iscgobs retention list\n"
            "Supprime les lignes de contact (microdonnées) des mois antérieurs à AAAA-MM, par\n"
            "lots de N lignes (5000 par défaut) sans bloquer les dépôts. Les indicateurs et les\n"
            "publications SDMX de ces mois restent tels quels ; les années touchées sont figées\n"
            "(plus de dépôt ni de correction). L'année précédant AAAA-MM doit être close.\n"
            "Relancée après une interruption, la commande termine la suppression.\n"
            "list : les suppressions faites (horizon, auteur, dates UTC, lignes) et les années\n"
            "figées, dont les indicateurs ne sont plus recalculés.\n");
}

int cli_cmd_retention(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    const char *before = obs_arg_value(argc, argv, 2, "--before");
    const char *batch_s = obs_arg_value(argc, argv, 2, "--batch");
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        obs_err e;
        obs_err_clear(&e);
        PGconn *c = cli_connect(&e);
        if (c == NULL)
            return obs_arg_fail(&e);
        int st = obs_db_ready(c, &e) ? obs_arg_fail(&e) : list(c, &e);
        obs_db_close(c);
        return st;
    }
    agg_period p;
    long batch = batch_s ? strtol(batch_s, NULL, 10) : 5000;
    if (argc < 2 || strcmp(argv[1], "purge") != 0 || before == NULL || agg_period_parse(before, &p) || p.freq != 'M' || batch < 1 ||
        batch > 1000000) {
        usage(stderr);
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = cli_connect(&e);
    if (c == NULL)
        return obs_arg_fail(&e);
    col_purge out;
    int st = obs_db_ready(c, &e) || col_retention_purge(c, p.year, p.sub, "cli", (int)batch, &out, &e)
                 ? obs_arg_fail(&e)
                 : 0;
    if (st == 0)
        fprintf(stderr,
                "microdonnées antérieures à %s supprimées%s : %lld lignes de contact ; "
                "%lld personnes gardées comme déjà vues\n",
                out.before, out.again ? " (suppression reprise)" : "", out.rows, out.kept);
    obs_db_close(c);
    return st;
}
