/* report_method.c: the methodology note of the reports (definitions, disclosure control with
 * the configured k, data vintage), in French, and the vintage query (see reports.h). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "report_cells.h"
#include "reports.h"

static const char SQL_VINTAGE[] =
    "SELECT to_char(max(received_at) AT TIME ZONE 'UTC', 'DD/MM/YYYY \"à\" HH24:MI \"UTC\"')"
    " FROM grid WHERE period BETWEEN $1::date AND $2::date";

obs_status exp_report_vintage(PGconn *c, const char *first, const char *last, char *out,
                              size_t cap, obs_err *e)
{
    PGresult *r = NULL;
    out[0] = '\0';
    obs_status rc = obs_db_exec_prepared(c, SQL_VINTAGE, 2, (const char *[]){first, last}, &r, e);
    if (rc)
        return rc;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return OBS_OK;
}

/* A definition list entry: term and description are literal French text of ours. */
static void def(exp_html *h, const char *term, const char *desc)
{
    exp_html_elem(h, "<dt>", term, "</dt>");
    exp_html_elem(h, "<dd>", desc, "</dd>");
}

void exp_report_method(exp_html *h, const char *vintage, int provisional)
{
    int k = obs_config_get()->sdc_k;
    exp_html_raw(h, "<section id=\"methodologie\" class=\"methodo\"><h2>Méthodologie</h2>"
                    "<h3>Source</h3><p>Chaque mois, chaque poste d'intervenant social en "
                    "commissariat et gendarmerie transmet une grille statistique des personnes "
                    "rencontrées. Les références des personnes sont remplacées par des "
                    "pseudonymes dès la réception ; seules sont conservées les informations "
                    "utiles aux indicateurs (tranche d'âge, département de résidence, codes). "
                    "Une personne est comptée une fois par poste et par période, quel que soit "
                    "le nombre de ses contacts ; la même personne vue dans deux postes compte "
                    "deux fois.</p><h3>Définitions</h3><dl>");
    def(h, "Contact", "une ligne de grille : une rencontre entre l'intervenant et une personne.");
    def(h, "Personne", "un pseudonyme dans un poste ; ses caractéristiques sur la période sont "
                       "celles de son premier contact de la période.");
    def(h, "Part des personnes inconnues des services sociaux",
        "personnes dont la connaissance par les services sociaux est « non », rapportées aux "
        "personnes pour lesquelles elle est renseignée (« oui » ou « non »).");
    def(h, "Problématiques et orientations",
        "une personne compte dans chaque problématique (ou type de partenaire) qui la "
        "concerne sur la période : les parts ne s'additionnent pas à 100 %.");
    def(h, "Part des mineurs", "personnes de moins de 18 ans rapportées aux personnes d'âge connu.");
    def(h, "Postes actifs", "postes ouverts au registre pendant le mois ; sur un trimestre ou "
                            "une année, somme des postes actifs de chaque mois.");
    def(h, "Taux de complétude", "grilles reçues rapportées aux mois-postes actifs.");
    def(h, "Taux de promptitude",
        "grilles reçues à temps (au plus tard le 10 du mois suivant, 23 h 59, heure de Paris) "
        "rapportées aux mois-postes actifs ; une correction garde la date du premier envoi.");
    exp_html_raw(h, "</dl><h3>Secret statistique</h3><p>Les personnes comptées ici sont des "
                    "victimes, des auteurs de violences, des enfants en danger. Avant toute "
                    "diffusion, les règles suivantes sont appliquées, avec un seuil k = ");
    exp_html_num(h, "%d", k);
    exp_html_raw(h, " :</p><ul><li>un effectif de personnes ou de contacts compris entre 1 et ");
    exp_html_num(h, "%d", k - 1);
    exp_html_raw(h, " n'est pas diffusé (secret primaire) ;</li><li>une part n'est pas diffusée "
                    "lorsque son dénominateur est inférieur à k, ou lorsque son numérateur, ou "
                    "la différence entre dénominateur et numérateur, est compris entre 1 et ");
    exp_html_num(h, "%d", k - 1);
    exp_html_raw(h, " ;</li><li>pour qu'une valeur masquée ne puisse pas être retrouvée par "
                    "soustraction (catégories d'une même variable, départements d'une région, "
                    "régions de la France, mois d'un trimestre ou d'une année), d'autres valeurs "
                    "sont masquées à leur tour (secret secondaire) ;</li><li>une part calculée "
                    "à partir d'un effectif masqué est masquée ;</li><li>les parts de personnes "
                    "inconnues des services sociaux, de réponses « ne sait pas » et de personnes "
                    "orientées s'additionnent aussi d'un territoire à l'autre : elles sont "
                    "protégées comme des effectifs, entre départements d'une région et régions "
                    "de la France.</li></ul><p>Une valeur masquée "
                    "est signalée par « ");
    exp_html_text(h, EXP_SECRET);
    exp_html_raw(h, " » : elle n'est ni nulle ni inconnue, elle n'est pas diffusée. Un tiret "
                    "(–) signale l'absence d'observation (aucune personne dans le "
                    "dénominateur). Les taux de complétude et de promptitude et le nombre de "
                    "postes décrivent les postes, non les personnes : ils ne sont pas "
                    "masqués.</p><h3>Millésime</h3><p>");
    if (vintage && vintage[0]) {
        exp_html_raw(h, "Grilles reçues jusqu'au ");
        exp_html_text(h, vintage);
        exp_html_raw(h, ". ");
    }
    if (provisional) {
        exp_html_raw(h, "Ces chiffres sont provisoires : les postes peuvent encore corriger les "
                        "mois les plus récents (un mois est clos ");
        exp_html_num(h, "%d", obs_config_get()->lock_months);
        exp_html_raw(h, " mois pleins après sa fin).");
    } else {
        exp_html_raw(h, "Ces chiffres sont définitifs : tous les mois de la période sont clos.");
    }
    exp_html_raw(h, " Les pourcentages sont calculés sur les effectifs non arrondis et publiés "
                    "avec une décimale.</p></section>");
}
