/* template.c: the content model of the grid template (template.h): the columns in the order
 * of grid-format.md, the French instructions, where each code list sits on the
 * "Instructions" sheet, and the dispatch to the .xlsx and .ods writers.
 */
#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"

static const exp_tpl_column COLUMNS[EXP_TPL_NCOLS] = {
    {"date_contact", 1, EXP_TPL_DATE, REF_NLISTS,
     "Date du contact, dans le mois de la grille (JJ/MM/AAAA).", 14},
    {"ref_personne", 1, EXP_TPL_TEXT, REF_NLISTS,
     "Votre référence de la personne (numéro de dossier ou nom et prénom). Elle ne quitte pas "
     "votre poste : l'observatoire n'en garde qu'un pseudonyme.", 22},
    {"date_naissance", 0, EXP_TPL_BIRTH, REF_NLISTS,
     "Facultatif : date de naissance (JJ/MM/AAAA) ou année seule (AAAA). Seule la tranche "
     "d'âge est conservée.", 16},
    {"sexe", 1, EXP_TPL_CODE, REF_SEXE,
     "F = femme, M = homme, X = non renseigné.", 8},
    {"code_postal", 0, EXP_TPL_POSTCODE, REF_NLISTS,
     "Facultatif : code postal de résidence, 5 chiffres. Seul le département est conservé.", 12},
    {"statut", 1, EXP_TPL_CODE, REF_STATUT,
     "VICTIME, AUTEUR (ou mis en cause), VICT_AUT (victime et auteur), AUTRE (ni l'un ni "
     "l'autre).", 14},
    {"origine", 1, EXP_TPL_CODE, REF_ORIGINE,
     "Qui a orienté la personne vers le poste : choisissez un code ; les libellés sont sur la "
     "feuille « Instructions ».", 18},
    {"connu_ss", 1, EXP_TPL_CODE, REF_CONNU_SS,
     "OUI = déjà connue des services sociaux, NON = inconnue, NSP = ne sait pas.", 10},
    {"problematiques", 1, EXP_TPL_CODES, REF_PROBLEMATIQUE,
     "Au moins un code ; plusieurs codes se séparent par | (VIOL_CONJ|LOGEMENT). Libellés sur "
     "la feuille « Instructions ».", 28},
    {"orientations", 0, EXP_TPL_CODES, REF_PARTENAIRE,
     "Facultatif : partenaires vers qui la personne est orientée, codes séparés par | "
     "(SSD|CCAS). Libellés sur la feuille « Instructions ».", 24},
    {"mode", 1, EXP_TPL_CODE, REF_MODE,
     "BUREAU, TELEPHONE, DOMICILE, EXTERIEUR ou ACCOMPAGNEMENT.", 16},
    {"commentaire", 0, EXP_TPL_TEXT, REF_NLISTS,
     "Facultatif : votre note. Elle n'est jamais enregistrée par l'observatoire.", 30},
};

static const char *const MONTHS_FR[12] = {"janvier", "février", "mars",      "avril",
                                          "mai",     "juin",    "juillet",   "août",
                                          "septembre", "octobre", "novembre", "décembre"};

/* The fixed instruction lines after the ones naming the post and the month. */
static const char *const HELP[] = {
    NULL,
    "Comment remplir la grille",
    "1. Une ligne par contact (entretien, appel, visite, accompagnement) du mois, sur la "
    "première feuille ; ne modifiez pas la ligne d'en-tête.",
    "2. Une personne rencontrée trois fois dans le mois : trois lignes avec la même "
    "ref_personne.",
    "3. Les colonnes à liste (sexe, statut, origine, connu_ss, mode) : choisissez un code dans "
    "la liste déroulante. Les libellés des codes sont ci-dessous.",
    "4. problematiques (au moins un) et orientations (facultatif) : un code de la liste, ou "
    "plusieurs codes séparés par | (exemple : VIOL_CONJ|LOGEMENT).",
    "5. date_contact doit tomber dans le mois de la grille ; date_naissance et code_postal sont "
    "facultatifs ; le commentaire n'est jamais enregistré.",
    "6. Un mois sans activité : déposez la grille avec l'en-tête seul.",
    "7. Déposez le classeur tel quel (.xlsx ou .ods) sur la page de votre poste : le rapport "
    "de validation nomme la cellule de chaque erreur (D12).",
    NULL,
    "Listes de codes (code, libellé)",
};

const exp_tpl_column *exp_tpl_columns(void) { return COLUMNS; }

/* "YYYY-MM", month 01..12, year 2000..2999. */
static int parse_period(const char *s, int *y, int *m)
{
    if (s == NULL || strlen(s) != 7 || s[4] != '-')
        return 0;
    for (int i = 0; i < 7; i++)
        if (i != 4 && !isdigit((unsigned char)s[i]))
            return 0;
    *y = (int)strtol(s, NULL, 10);
    *m = (int)strtol(s + 5, NULL, 10);
    return *y >= 2000 && *y <= 2999 && *m >= 1 && *m <= 12;
}

obs_status exp_tpl_build(exp_tpl *t, const char *post, const char *period, obs_err *e)
{
    memset(t, 0, sizeof *t);
    if (post == NULL || !ref_post_code_valid(post) || strlen(post) >= sizeof t->post)
        return obs_fail(e, OBS_ERR_INPUT, "E_POST",
                        "le code de poste doit avoir la forme ISCG-DDD-NN (ISCG-093-01)");
    if (!parse_period(period, &t->year, &t->month))
        return obs_fail(e, OBS_ERR_INPUT, "E_PERIOD", "le mois doit avoir la forme AAAA-MM");
    snprintf(t->post, sizeof t->post, "%s", post);
    snprintf(t->period, sizeof t->period, "%04d-%02d", t->year, t->month);
    t->last_day = obs_days_in_month(t->year, t->month);
    snprintf(t->grid_sheet, sizeof t->grid_sheet, "%s_%s", t->post, t->period);
    snprintf(t->month_fr, sizeof t->month_fr, "%s %d", MONTHS_FR[t->month - 1], t->year);
    snprintf(t->title, sizeof t->title, "Grille ISCG %s, %s", t->post, t->month_fr);

    snprintf(t->line_text[0], sizeof t->line_text[0], "%s", t->title);
    snprintf(t->line_text[1], sizeof t->line_text[1], "Poste : %s", t->post);
    snprintf(t->line_text[2], sizeof t->line_text[2], "Mois : %s (%s), contacts du 01/%02d/%d "
             "au %02d/%02d/%d", t->month_fr, t->period, t->month, t->year, t->last_day,
             t->month, t->year);
    snprintf(t->line_text[3], sizeof t->line_text[3], "Feuille à remplir : « %s »",
             t->grid_sheet);
    int n = 0;
    for (int i = 0; i < 4; i++)
        t->lines[n++] = t->line_text[i];
    for (size_t i = 0; i < sizeof HELP / sizeof *HELP && n < EXP_TPL_MAX_LINES; i++)
        t->lines[n++] = HELP[i];
    t->nlines = n;

    /* The code lists, one after the other below the instructions (title, codes, blank). */
    int row = n + 1;
    for (int c = 0; c < EXP_TPL_NCOLS; c++) {
        if (COLUMNS[c].kind != EXP_TPL_CODE && COLUMNS[c].kind != EXP_TPL_CODES)
            continue;
        if (t->nlists == EXP_TPL_MAX_LISTS)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "trop de listes de codes");
        exp_tpl_list *l = &t->lists[t->nlists++];
        l->list = COLUMNS[c].list;
        l->title_row = row;
        l->first_row = row + 1;
        l->last_row = row + (int)ref_count(l->list);
        row = l->last_row + 2;
    }
    return OBS_OK;
}

const exp_tpl_list *exp_tpl_list_of(const exp_tpl *t, const exp_tpl_column *c)
{
    if (c->kind != EXP_TPL_CODE && c->kind != EXP_TPL_CODES)
        return NULL;
    for (int i = 0; i < t->nlists; i++)
        if (t->lists[i].list == c->list)
            return &t->lists[i];
    return NULL;
}

int exp_tpl_refusal(const exp_tpl *t, const exp_tpl_column *c, char *title, size_t tcap,
                    char *msg, size_t mcap)
{
    snprintf(title, tcap, "%s", c->kind == EXP_TPL_CODES ? "Plusieurs codes ?" : "Valeur refusée");
    switch (c->kind) {
    case EXP_TPL_DATE:
        snprintf(msg, mcap, "La date du contact doit tomber en %s (du 01/%02d/%d au %02d/%02d/%d).",
                 t->month_fr, t->month, t->year, t->last_day, t->month, t->year);
        return 0;
    case EXP_TPL_CODE:
        snprintf(msg, mcap, "Choisissez un code de la liste de la colonne « %s » (la feuille "
                 "« %s » donne leurs libellés).", c->name, EXP_TPL_SHEET_HELP);
        return 0;
    case EXP_TPL_CODES:
        snprintf(msg, mcap, "Une valeur hors liste n'est acceptée que si ce sont des codes de la "
                 "liste séparés par | (la feuille « %s » les donne).", EXP_TPL_SHEET_HELP);
        return 1;
    default:
        return -1;
    }
}

int exp_tpl_format_of(const char *name, exp_tpl_format *f)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 5 && strcasecmp(name + n - 5, ".xlsx") == 0) {
        *f = EXP_TPL_XLSX;
        return 0;
    }
    if (n > 4 && strcasecmp(name + n - 4, ".ods") == 0) {
        *f = EXP_TPL_ODS;
        return 0;
    }
    return -1;
}

obs_status exp_template_write(exp_tpl_format f, const char *post, const char *period,
                              obs_buf *out, obs_err *e)
{
    exp_tpl t;
    obs_status rc = exp_tpl_build(&t, post, period, e);
    if (rc)
        return rc;
    obs_buf_reset(out);
    return f == EXP_TPL_XLSX ? exp_tpl_write_xlsx(&t, out, e) : exp_tpl_write_ods(&t, out, e);
}
