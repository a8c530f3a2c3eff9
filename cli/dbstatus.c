/* dbstatus.c: `iscgobs db migrate [--to N]` and `iscgobs db status`: the schema's version,
 * the migrations this program knows and those still to apply (docs/operations.md,
 * "Upgrades"). `db status` exits 0 when the schema is current, 1 when migrations are pending,
 * 3 when the database was migrated by a newer program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "db.h"
#include "embed.h"

static const char SQL_APPLIED[] =
    "SELECT version, name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM schema_migration ORDER BY version";
static const char SQL_HAS_TABLE[] = "SELECT to_regclass('schema_migration') IS NOT NULL";

/* The number at the head of a migration's file name (-1 when there is none). */
static int file_version(const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);
    return end == name || *end != '_' ? -1 : (int)v;
}

/* Is migration number v among the applied ones (r from SQL_APPLIED)? */
static int applied(PGresult *r, int v)
{
    for (int i = 0; r && i < PQntuples(r); i++)
        if (strtol(PQgetvalue(r, i, 0), NULL, 10) == v)
            return 1;
    return 0;
}

/* Print the status; returns the exit code (0 current, 1 pending, 3 newer) or -1 on failure. */
static int print_status(PGconn *c, obs_err *e)
{
    PGresult *r = NULL;
    if (obs_db_exec(c, SQL_HAS_TABLE, 0, NULL, &r, e))
        return -1;
    int has = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    r = NULL;
    if (has && obs_db_exec(c, SQL_APPLIED, 0, NULL, &r, e))
        return -1;
    long have = 0;
    for (int i = 0; r && i < PQntuples(r); i++)
        have = strtol(PQgetvalue(r, i, 0), NULL, 10);
    int known = obs_migrations_count ? file_version(obs_migrations[obs_migrations_count - 1].name) : 0;
    printf("schema_version %ld\nprogram_version %d\n", have, known);
    for (int i = 0; r && i < PQntuples(r); i++)
        printf("applied %s %s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
    int pending = 0;
    for (size_t i = 0; i < obs_migrations_count; i++) {
        int v = file_version(obs_migrations[i].name);
        if (!applied(r, v)) {
            printf("pending %d %s\n", v, obs_migrations[i].name);
            pending++;
        }
    }
    PQclear(r);
    if (have > known) {
        printf("state newer\n");
        fprintf(stderr, "la base a été migrée par un programme plus récent (version %ld > %d)\n",
                have, known);
        return 3;
    }
    printf("state %s\n", pending ? "pending" : "current");
    return pending ? 1 : 0;
}

int cli_cmd_db(int argc, char **argv)
{
    int is_migrate = argc >= 2 && strcmp(argv[1], "migrate") == 0;
    int is_status = argc >= 2 && strcmp(argv[1], "status") == 0;
    if ((!is_migrate && !is_status) || obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs db migrate [--to N] | iscgobs db status\n"
               "migrate : crée ou met à jour le schéma et recharge les données de référence\n"
               "          (--to N : s'arrête après la migration N).\n"
               "status  : version du schéma, migrations appliquées et en attente\n"
               "          (code de sortie 0 à jour, 1 en attente, 3 base plus récente).\n");
        return argc >= 2 && obs_arg_flag(argc, argv, 1, "--help") ? 0 : 2;
    }
    obs_err e;
    obs_err_clear(&e);
    int to = -1;
    const char *to_s = obs_arg_value(argc, argv, 1, "--to");
    if (is_migrate && to_s) {
        char *end;
        long v = strtol(to_s, &end, 10);
        if (*to_s == '\0' || *end != '\0' || v < 0 || v > 9999) {
            fprintf(stderr, "iscgobs db migrate : --to attend un numéro de migration\n");
            return 2;
        }
        to = (int)v;
    }
    PGconn *c = cli_connect(&e);
    if (c == NULL) {
        return obs_arg_fail(&e);
    }
    if (is_status) {
        int st = print_status(c, &e);
        obs_db_close(c);
        return st < 0 ? obs_arg_fail(&e) : st;
    }
    if (obs_db_migrate_to(c, to, &e)) {
        obs_db_close(c);
        return obs_arg_fail(&e);
    }
    obs_db_close(c);
    fprintf(stderr, "schéma à jour, données de référence chargées\n");
    return 0;
}
