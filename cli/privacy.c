/* privacy.c: `iscgobs privacy report [--period P] [--json]`: the re-identification risk
 * report of aggregator/privacy_report.c as readable French text (or its JSON, the same as
 * GET /api/v1/privacy/report). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "db.h"
#include "privacy_report.h"
#include "privacy.h"
#include "ref.h"

static long num(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

/* A share as a French percentage with one decimal ("43,8 %"). */
static const char *pct(json_t *o, const char *k, char buf[32])
{
    snprintf(buf, 32, "%.1f %%", 100.0 * json_number_value(json_object_get(o, k)));
    char *dot = strchr(buf, '.');
    if (dot)
        *dot = ',';
    return buf;
}

static void print_published(json_t *v, const char *title)
{
    char b[32];
    printf("\n%s : %ld cellules\n"
           "  publiées : %ld ; sans observation : %ld\n"
           "  secret primaire (C, effectif de 1 à k-1 ou pourcentage sur petits effectifs) : %ld\n"
           "  secret secondaire (D, pour qu'aucune cellule ne se déduise par soustraction) : %ld\n"
           "  part des cellules retenues : %s\n",
           title, num(v, "cells"), num(v, "free"), num(v, "no_observation"), num(v, "primary"),
           num(v, "secondary"), pct(v, "share_withheld", b));
}

static void print_report(json_t *j)
{
    json_t *m = json_object_get(j, "microdata");
    long k = num(j, "k");
    char b1[32], b2[32];
    printf("Risque de ré-identification des microdonnées : période %s (%s à %s), seuil k = %ld\n"
           "Quasi-identifiants : poste, mois, sexe, tranche d'âge, département de résidence,\n"
           "statut (la taille d'une classe est son nombre de personnes distinctes).\n\n"
           "Microdonnées : %ld contacts, %ld personnes, %ld classes d'équivalence\n"
           "  taille de classe   classes   contacts   part des contacts\n",
           json_string_value(json_object_get(j, "period")),
           json_string_value(json_object_get(j, "from")),
           json_string_value(json_object_get(j, "to")), k, num(m, "records"), num(m, "persons"),
           num(m, "classes"));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(m, "distribution"), i, d)
        printf("  %-16s %9ld %10ld   %s\n", json_string_value(json_object_get(d, "sizes")),
               num(d, "classes"), num(d, "records"), pct(d, "share", b1));
    printf("  Contacts dans une classe de moins de k = %ld personnes : %ld (%s), en %ld classes\n"
           "  Contacts seuls de leur classe (personne unique) : %ld (%s)\n",
           k, num(m, "records_below_k"), pct(m, "share_below_k", b1), num(m, "classes_below_k"),
           num(m, "records_unique"), pct(m, "share_unique", b2));
    printf("  Risque de ré-identification (modèle du procureur) : maximal %s, moyen %s\n",
           pct(m, "highest_risk", b1), pct(m, "average_risk", b2));
    json_t *p = json_object_get(j, "published");
    print_published(json_object_get(p, "public"),
                    "Tableaux publiés (vue publique : France, régions, départements)");
    print_published(json_object_get(p, "analyst"), "Tableaux des analystes (avec les postes)");
}

int cli_cmd_privacy(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "report") != 0 || obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs privacy report [--period AAAA|AAAA-Qn|AAAA-MM] [--json]\n"
               "Mesure le risque de ré-identification des microdonnées stockées (classes\n"
               "d'équivalence sur poste, mois, sexe, tranche d'âge, département, statut) et\n"
               "les cellules retenues des tableaux publiés, par règle. Période par défaut :\n"
               "la dernière année ayant des contacts. --json : le document de\n"
               "GET /api/v1/privacy/report.\n");
        return argc >= 2 && obs_arg_flag(argc, argv, 1, "--help") ? 0 : 2;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    PGconn *c = NULL;
    json_t *j = NULL;
    obs_status rc = obs_config_load(&cfg, &e);
    if (rc == OBS_OK)
        rc = ref_init(&e);
    if (rc == OBS_OK && (c = obs_db_conn(&e)) == NULL)
        rc = OBS_ERR_DB;
    if (rc == OBS_OK)
        rc = agg_privacy_report(c, obs_arg_value(argc, argv, 2, "--period"), cfg.sdc_k, &j, &e);
    obs_db_disconnect();
    if (rc)
        return obs_arg_fail(&e);
    if (obs_arg_flag(argc, argv, 2, "--json")) {
        char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        if (text)
            puts(text);
        free(text);
    } else {
        print_report(j);
    }
    json_decref(j);
    return 0;
}
