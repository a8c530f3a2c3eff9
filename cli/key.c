/* key.c: `iscgobs key rotate` and `iscgobs key list`: the lifecycle of the pseudonymisation
 * keys (docs/privacy.md, "Key rotation"). The list shows ids, fingerprints (a hash that names
 * a key, never its bytes) and dates; key material never leaves the key file. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "config.h"
#include "db.h"
#include "rekey.h"

static const char SQL_LIST[] =
    "SELECT k.id, left(encode(k.fingerprint, 'hex'), 16),"
    "       to_char(k.first_used AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       coalesce(to_char(k.retired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
    "       CASE WHEN k.retired_at IS NULL THEN 'courante' ELSE 'retirée' END,"
    "       (SELECT count(*) FROM contact c WHERE c.key_id = k.id)"
    " FROM pseudonym_key k ORDER BY k.id";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs key rotate    nouvelle clé courante ; les pseudonymes stockés sont\n"
            "                             re-chiffrés (une personne reste une personne)\n"
            "       iscgobs key list      les clés : id, empreinte, création, retrait, état,\n"
            "                             lignes de contact sous cette clé\n"
            "La rotation ajoute la nouvelle clé au fichier ISCGOBS_KEY_FILE (qui garde la chaîne\n"
            "des clés : sauvegardez-le de nouveau après chaque rotation) ; les dépôts attendent\n"
            "pendant la transaction. Interrompue, elle se termine en relançant la commande.\n");
}

static int list(PGconn *c, obs_err *e)
{
    PGresult *r = NULL;
    if (obs_db_exec(c, SQL_LIST, 0, NULL, &r, e))
        return obs_arg_fail(e);
    printf("id\tempreinte\tcréée\tretirée\tétat\tcontacts\n");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    PQclear(r);
    return 0;
}

static int rotate(PGconn *c, obs_err *e)
{
    col_rotation rot;
    if (col_key_rotate(c, obs_config_get()->key_file, "cli", &rot, e))
        return obs_arg_fail(e);
    fprintf(stderr,
            "rotation %s : clé %d retirée, clé %d courante ; %lld pseudonymes re-chiffrés "
            "(%lld lignes) en %.1f s\n"
            "sauvegardez de nouveau le fichier de clé %s (il contient toutes les clés)\n",
            rot.resumed ? "terminée (reprise)" : "faite", rot.from_id, rot.to_id, rot.persons,
            rot.rows, rot.ms / 1000.0, obs_config_get()->key_file);
    return 0;
}

int cli_cmd_key(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    int is_list = argc == 2 && strcmp(argv[1], "list") == 0;
    int is_rotate = argc == 2 && strcmp(argv[1], "rotate") == 0;
    if (!is_list && !is_rotate) {
        usage(stderr);
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = cli_connect(&e);
    if (c == NULL)
        return obs_arg_fail(&e);
    int st = obs_db_ready(c, &e) ? obs_arg_fail(&e) : is_list ? list(c, &e) : rotate(c, &e);
    obs_db_close(c);
    return st;
}
