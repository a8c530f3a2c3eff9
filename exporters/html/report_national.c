/* report_national.c: the national state of play of a year (GET /rapports/national/{YYYY},
 * `iscgobs export html --period YYYY`): key figures, the monthly trend of the share of people
 * unknown to the social services, the problem mix, partners, origins and status, a table by
 * région and département, reporting completeness and the methodology note. Every figure is a
 * protected published cell (agg_select_cells, public view); nothing is computed here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "report_cells.h"
#include "reports.h"
#include "page.h"

/* One key figure: <li><span ...>value</span><span class="libelle">label</span></li>. */
static void key_figure(exp_html *h, const exp_cells *cs, const char *id, const char *mesure,
                       const char *period, const char *label)
{
    exp_html_raw(h, "<li");
    exp_html_attr(h, "id", id);
    exp_html_raw(h, ">");
    exp_cell_html(h, exp_cells_find(cs, mesure, "FR", period, AGG_NDIMS, NULL), mesure, "FR",
                  period);
    exp_html_elem(h, "<span class=\"libelle\">", label, "</span></li>");
}

static const char *const AREA_MESURES[] = {"NB_PERSONNES", "NB_CONTACTS", "PART_INCONNUS_SS",
                                           "TAUX_COMPLETUDE"};

static void area_row(exp_html *h, const exp_cells *cs, const char *area, const char *label,
                     const char *period, int region)
{
    exp_html_raw(h, region ? "<tr class=\"region\"><th scope=\"row\">" : "<tr><th scope=\"row\">");
    exp_html_text(h, label);
    exp_html_raw(h, "</th>");
    for (size_t k = 0; k < OBS_ARRAY_LEN(AREA_MESURES); k++) {
        exp_html_raw(h, "<td class=\"n\">");
        exp_cell_html(h, exp_cells_find(cs, AREA_MESURES[k], area, period, AGG_NDIMS, NULL),
                      AREA_MESURES[k], area, period);
        exp_html_raw(h, "</td>");
    }
    exp_html_raw(h, "</tr>");
}

/* The table by région, each followed by its départements (those with figures). */
static void area_table(exp_html *h, const exp_cells *cs, const char *period)
{
    exp_html_raw(h, "<section id=\"territoires\"><h2>Par région et département</h2><p>Le "
                    "territoire est celui du poste (et non la résidence des personnes). Les "
                    "personnes s'additionnent d'un poste à l'autre.</p><table><caption>Personnes, "
                    "contacts, part des personnes inconnues des services sociaux et complétude "
                    "par territoire</caption><thead><tr><th scope=\"col\">Territoire</th>"
                    "<th scope=\"col\" class=\"n\">Personnes</th><th scope=\"col\" "
                    "class=\"n\">Contacts</th><th scope=\"col\" class=\"n\">Inconnues des "
                    "services sociaux</th><th scope=\"col\" class=\"n\">Complétude</th></tr>"
                    "</thead><tbody>");
    for (size_t r = 0; r < ref_region_count(); r++) {
        const ref_region *reg = ref_region_at(r);
        char area[12];
        snprintf(area, sizeof area, "R%s", reg->code);
        if (exp_cells_find(cs, "TAUX_COMPLETUDE", area, period, AGG_NDIMS, NULL) == NULL &&
            exp_cells_find(cs, "NB_CONTACTS", area, period, AGG_NDIMS, NULL) == NULL)
            continue;
        area_row(h, cs, area, reg->name, period, 1);
        for (size_t d = 0; d < ref_dep_count(); d++) {
            const ref_dep *dep = ref_dep_at(d);
            if (strcmp(dep->region, reg->code) != 0)
                continue;
            char darea[12], label[160];
            snprintf(darea, sizeof darea, "D%s", dep->code);
            if (exp_cells_find(cs, "TAUX_COMPLETUDE", darea, period, AGG_NDIMS, NULL) == NULL &&
                exp_cells_find(cs, "NB_CONTACTS", darea, period, AGG_NDIMS, NULL) == NULL)
                continue;
            snprintf(label, sizeof label, "%s (%s)", dep->name, dep->code);
            area_row(h, cs, darea, label, period, 0);
        }
    }
    exp_html_raw(h, "</tbody></table></section>");
}

static const char *const COMPLETENESS[] = {"NB_POSTES_ACTIFS", "NB_GRILLES", "TAUX_COMPLETUDE",
                                           "TAUX_PROMPTITUDE"};

static void completeness(exp_html *h, const exp_cells *cs, int year, const char *yp)
{
    exp_html_raw(h, "<section id=\"completude\"><h2>Complétude des remontées</h2><ul "
                    "class=\"chiffres\">");
    key_figure(h, cs, "chiffre-grilles", "NB_GRILLES", yp, "grilles reçues dans l'année");
    key_figure(h, cs, "chiffre-completude", "TAUX_COMPLETUDE", yp,
               "taux de complétude (grilles reçues / mois-postes actifs)");
    key_figure(h, cs, "chiffre-promptitude", "TAUX_PROMPTITUDE", yp,
               "taux de promptitude (reçues au plus tard le 10 du mois suivant)");
    exp_html_raw(h, "</ul><table><caption>Remontées mois par mois</caption><thead><tr><th "
                    "scope=\"col\">Mois</th><th scope=\"col\" class=\"n\">Postes actifs</th><th "
                    "scope=\"col\" class=\"n\">Grilles reçues</th><th scope=\"col\" "
                    "class=\"n\">Complétude</th><th scope=\"col\" class=\"n\">Promptitude</th>"
                    "</tr></thead><tbody>");
    for (int m = 1; m <= 12; m++) {
        char p[32];
        snprintf(p, sizeof p, "%04d-%02d", year % 10000, m);
        if (exp_cells_find(cs, "NB_POSTES_ACTIFS", "FR", p, AGG_NDIMS, NULL) == NULL)
            continue;
        exp_html_elem(h, "<tr><th scope=\"row\">", exp_month_name(m), "</th>");
        for (size_t k = 0; k < OBS_ARRAY_LEN(COMPLETENESS); k++) {
            exp_html_raw(h, "<td class=\"n\">");
            exp_cell_html(h, exp_cells_find(cs, COMPLETENESS[k], "FR", p, AGG_NDIMS, NULL),
                          COMPLETENESS[k], "FR", p);
            exp_html_raw(h, "</td>");
        }
        exp_html_raw(h, "</tr>");
    }
    exp_html_raw(h, "</tbody></table></section>");
}

obs_status exp_report_national(PGconn *c, int year, obs_buf *body, char *title, size_t cap,
                               obs_err *e)
{
    char yp[8], periods[256], last_month[8] = "";
    snprintf(yp, sizeof yp, "%04d", year % 10000);
    size_t k = (size_t)snprintf(periods, sizeof periods, "%s", yp);
    for (int m = 1; m <= 12; m++)
        k += (size_t)snprintf(periods + k, sizeof periods - k, ",%s-%02d", yp, m);
    snprintf(title, cap, "État des lieux national %s", yp);

    exp_cells cs = {0};
    obs_status rc = exp_cells_load(c, AGG_VIEW_PUBLIC, NULL, NULL, "FR", periods, 0, &cs, e);
    if (rc == OBS_OK)
        rc = exp_cells_load(c, AGG_VIEW_PUBLIC, NULL,
                            "NB_PERSONNES,NB_CONTACTS,PART_INCONNUS_SS,TAUX_COMPLETUDE", NULL, yp,
                            1, &cs, e);
    const agg_cell *total = rc ? NULL : exp_cells_find(&cs, "NB_CONTACTS", "FR", yp, AGG_NDIMS, NULL);
    if (rc == OBS_OK && total == NULL)
        rc = obs_fail(e, OBS_ERR_NOT_FOUND, "E_NO_DATA",
                      "aucun chiffre publié pour l'année %s", yp);
    char first[24], last[24], vintage[64] = "";
    snprintf(first, sizeof first, "%s-01-01", yp);
    snprintf(last, sizeof last, "%s-12-01", yp);
    if (rc == OBS_OK)
        rc = exp_report_vintage(c, first, last, vintage, sizeof vintage, e);
    if (rc) {
        exp_cells_free(&cs);
        return rc;
    }
    for (int m = 12; m >= 1 && last_month[0] == '\0'; m--) {
        char p[32];
        snprintf(p, sizeof p, "%s-%02d", yp, m);
        if (exp_cells_find(&cs, "NB_GRILLES", "FR", p, AGG_NDIMS, NULL))
            snprintf(last_month, sizeof last_month, "%.7s", p);
    }
    int provisional = total->obs_status == 'P';

    exp_html h;
    exp_html_init(&h, body);
    exp_html_raw(&h, "<p class=\"chapeau\">Activité des intervenants sociaux en commissariat et "
                     "gendarmerie en ");
    exp_html_text(&h, yp);
    exp_html_raw(&h, provisional ? " (chiffres provisoires)." : " (chiffres définitifs).");
    char as_of[64];
    exp_cells_as_of(&cs, as_of, sizeof as_of);
    exp_html_text(&h, as_of);
    exp_html_raw(&h, " Les valeurs couvertes par le secret statistique sont signalées « "
                     EXP_SECRET " » ; voir la <a href=\"#methodologie\">méthodologie</a>.</p>"
                     "<section id=\"chiffres-cles\"><h2>Chiffres clés</h2><ul class=\"chiffres\">");
    char label[96];
    if (last_month[0]) {
        snprintf(label, sizeof label, "postes actifs en %s %s",
                 exp_month_name((int)strtol(last_month + 5, NULL, 10)), yp);
        key_figure(&h, &cs, "chiffre-postes", "NB_POSTES_ACTIFS", last_month, label);
    }
    key_figure(&h, &cs, "chiffre-personnes", "NB_PERSONNES", yp, "personnes accompagnées");
    key_figure(&h, &cs, "chiffre-contacts", "NB_CONTACTS", yp, "contacts");
    key_figure(&h, &cs, "chiffre-inconnus", "PART_INCONNUS_SS", yp,
               "des personnes étaient inconnues des services sociaux");
    key_figure(&h, &cs, "chiffre-mineurs", "PART_MINEURS", yp, "des personnes sont mineures");
    key_figure(&h, &cs, "chiffre-orientees", "PART_ORIENTEES", yp,
               "des personnes ont été orientées vers un partenaire");
    exp_html_raw(&h, "</ul></section><section id=\"inconnus\"><h2>Personnes inconnues des "
                     "services sociaux</h2><p>Part des personnes que les services sociaux ne "
                     "connaissaient pas, parmi celles pour qui l'information est renseignée : "
                     "l'indicateur qui mesure ce que la présence d'un intervenant social apporte "
                     "au repérage.</p>");
    char months[12][32]; /* room for any int: -Wformat-truncation */
    const char *mp[12], *ms[12], *ml[12];
    for (int m = 1; m <= 12; m++) {
        snprintf(months[m - 1], sizeof months[0], "%s-%02d", yp, m);
        mp[m - 1] = months[m - 1];
        ms[m - 1] = exp_month_short(m);
        ml[m - 1] = exp_month_name(m);
    }
    exp_section_trend(&h, &cs, "PART_INCONNUS_SS", "FR", mp, ms, ml, 12, "g-inconnus",
                      "Part des personnes inconnues des services sociaux, par mois",
                      "Courbe mensuelle de la part des personnes inconnues des services "
                      "sociaux, en pourcentage ; les valeurs sont dans le tableau voisin.");
    exp_html_raw(&h, "</section>");

    static const char *const fr[] = {"FR"};
    static const char *const fr_label[] = {"France"};
    exp_section_breakdown(&h, &cs, AGG_PROBLEMATIQUE, yp, fr, fr_label, 1, "problematiques",
                          "Problématiques rencontrées",
                          "Part des personnes concernées par chaque problématique. Une personne "
                          "peut en cumuler plusieurs : les parts ne s'additionnent pas.");
    exp_section_breakdown(&h, &cs, AGG_PARTENAIRE, yp, fr, fr_label, 1, "partenaires",
                          "Orientations vers les partenaires",
                          "Part des personnes orientées vers chaque type de partenaire (plusieurs "
                          "orientations possibles).");
    exp_section_breakdown(&h, &cs, AGG_ORIGINE, yp, fr, fr_label, 1, "origines",
                          "Origine de la mise en relation",
                          "Qui a mis la personne en relation avec l'intervenant social (premier "
                          "contact de l'année).");
    exp_section_breakdown(&h, &cs, AGG_STATUT, yp, fr, fr_label, 1, "statuts",
                          "Statut des personnes",
                          "Victime, auteur ou mis en cause, les deux, ou ni l'un ni l'autre.");
    area_table(&h, &cs, yp);
    completeness(&h, &cs, year, yp);
    exp_report_method(&h, vintage, provisional);
    exp_cells_free(&cs);
    return h.rc;
}
