/* retention.c: `iscgobs retention purge --before YYYY-MM [--batch N]`: deletes the
 * microdata (contact rows) of the months before, keeps the indicators and publications
 * (collector/retention.h; docs/privacy.md, "Retention"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "db.h"
#include "period.h"
#include "retention.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs retention purge --before AAAA-MM [--batch N]\n"
            "Supprime les lignes de contact (microdonnées) des mois antérieurs à AAAA-MM, par\n"
            "lots de N lignes (5000 par défaut) sans bloquer les dépôts. Les indicateurs et les\n"
            "publications SDMX de ces mois restent tels quels ; les années touchées sont figées\n"
            "(plus de dépôt ni de correction). L'année précédant AAAA-MM doit être close.\n"
            "Relancée après une interruption, la commande termine la suppression.\n");
}

int cli_cmd_retention(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    const char *before = obs_arg_value(argc, argv, 2, "--before");
    const char *batch_s = obs_arg_value(argc, argv, 2, "--batch");
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
