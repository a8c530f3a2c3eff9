/* report_monthly.c: the monthly summary for the ministry (GET /rapports/mensuel/{YYYY-MM},
 * `iscgobs export html --period YYYY-MM`): the month's national figures against the previous
 * months, the problem mix, and for analysts and administrators only the per-post parts: late
 * and missing grids, and months whose contact count is far from the post's own history (the
 * aggregator's outlier rule). Figures are protected published cells; the per-post parts read
 * the post-level register measures of the analyst view (NB_POSTES_ACTIFS, NB_GRILLES,
 * TAUX_PROMPTITUDE, NB_CONTACTS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "filter.h"
#include "routes.h"
#include "ref.h"
#include "report_cells.h"
#include "reports.h"
#include "page.h"

#define TREND 12  /* months in the trend chart */
#define COLS 6    /* months in the comparison table */

static const char *const ROWS[] = {"NB_PERSONNES",    "NB_CONTACTS",      "NB_NOUVELLES",
                                   "PART_INCONNUS_SS", "PART_MINEURS",     "PART_ORIENTEES",
                                   "NB_POSTES_ACTIFS", "NB_GRILLES",       "TAUX_COMPLETUDE",
                                   "TAUX_PROMPTITUDE"};

static const char SQL_POSTS[] = "SELECT code, name, dep FROM post ORDER BY code";

/* "YYYY-MM" of month index mi (year * 12 + month - 1). */
static void month_code(int mi, char out[8])
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d", (mi / 12) % 10000, mi % 12 + 1);
    memcpy(out, tmp, 7);
    out[7] = '\0';
}

/* "mars 2026" */
static void month_label(int mi, char *out, size_t cap)
{
    snprintf(out, cap, "%s %d", exp_month_name(mi % 12 + 1), mi / 12);
}

/* The value of a post-level cell when it is published; 0 when it is withheld or absent.
 * Values read here end up printed or inside a printed median: a withheld one must never be
 * read (the register measures NB_POSTES_ACTIFS, NB_GRILLES, TAUX_PROMPTITUDE are never
 * withheld; NB_CONTACTS of a small post-month is). */
static int post_value(const exp_cells *cs, const char *mesure, const char *post,
                      const char *period, double *v)
{
    const agg_cell *c = exp_cells_find(cs, mesure, post, period, AGG_NDIMS, NULL);
    if (!exp_cell_published(c))
        return 0;
    *v = c->value;
    return 1;
}

/* Is the reporting deadline of month mi (the 10th of the next month) past? */
static int deadline_past(int mi)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int cur = (tm.tm_year + 1900) * 12 + tm.tm_mon;
    return cur > mi + 1 || (cur == mi + 1 && tm.tm_mday > 10);
}

/* The per-post parts (analysts, administrators). */
static obs_status per_post(PGconn *c, exp_html *h, int mi, obs_err *e)
{
    char periods[160], month[8];
    size_t k = 0;
    for (int i = mi - AGG_OUTLIER_MAX_HISTORY; i <= mi; i++) {
        char p[8];
        month_code(i, p);
        k += (size_t)snprintf(periods + k, sizeof periods - k, "%s%s", k ? "," : "", p);
    }
    month_code(mi, month);
    exp_cells cs = {0};
    PGresult *r = NULL;
    obs_status rc = exp_cells_load(c, AGG_VIEW_ANALYST, NULL,
                                   "NB_POSTES_ACTIFS,NB_GRILLES,TAUX_PROMPTITUDE,NB_CONTACTS", NULL,
                                   periods, 1, &cs, e);
    if (rc == OBS_OK)
        rc = obs_db_exec_prepared(c, SQL_POSTS, 0, NULL, &r, e);
    if (rc) {
        exp_cells_free(&cs);
        return rc;
    }
    int due = deadline_past(mi);
    exp_html_raw(h, "<section id=\"suivi-postes\"><h2>Suivi des postes (réservé aux analystes)"
                    "</h2><p class=\"info\">Cette partie nomme des postes : elle n'est visible "
                    "que des comptes analyste et administrateur.</p>"
                    "<table id=\"postes-retard\"><caption>Grilles en retard ou manquantes"
                    "</caption><thead><tr><th scope=\"col\">Poste</th><th scope=\"col\">Nom</th>"
                    "<th scope=\"col\">Situation</th></tr></thead><tbody>");
    int listed = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *post = PQgetvalue(r, i, 0);
        double active, grids = 0, prompt = 0;
        if (!post_value(&cs, "NB_POSTES_ACTIFS", post, month, &active) || active < 1)
            continue;
        post_value(&cs, "NB_GRILLES", post, month, &grids);
        post_value(&cs, "TAUX_PROMPTITUDE", post, month, &prompt);
        const char *status = grids < 1 ? (due ? "manquante" : "attendue (délai non échu)")
                             : prompt < 100.0 ? "reçue en retard"
                                              : NULL;
        if (status == NULL)
            continue;
        listed++;
        exp_html_elem(h, "<tr><td>", post, "</td>");
        exp_html_elem(h, "<td>", PQgetvalue(r, i, 1), "</td>");
        exp_html_raw(h, grids < 1 ? (due ? "<td class=\"statut-missing\">" : "<td>")
                                  : "<td class=\"statut-late\">");
        exp_html_text(h, status);
        exp_html_raw(h, "</td></tr>");
    }
    if (listed == 0)
        exp_html_raw(h, "<tr><td colspan=\"3\">Aucune grille en retard ni manquante.</td></tr>");
    exp_html_raw(h, "</tbody></table><table id=\"postes-atypiques\"><caption>Mois atypiques : "
                    "nombre de contacts éloigné de l'historique du poste (médiane des mois "
                    "diffusés parmi les 12 précédents, plus ou moins 3,5 écarts robustes ; un "
                    "mois couvert par le secret statistique n'est ni évalué ni compté dans "
                    "l'historique)</caption><thead><tr><th scope=\"col\">Poste</th><th "
                    "scope=\"col\">Nom</th><th scope=\"col\" class=\"n\">Contacts du mois</th>"
                    "<th scope=\"col\" class=\"n\">Médiane historique</th></tr></thead><tbody>");
    int flagged = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *post = PQgetvalue(r, i, 0);
        double x, g, hist[AGG_OUTLIER_MAX_HISTORY];
        size_t n = 0;
        /* Only published counts, the month's and its history's: the median printed below is
         * then computed from published values only (with an odd count it *is* one of them). */
        if (!post_value(&cs, "NB_GRILLES", post, month, &g) || g < 1 ||
            !post_value(&cs, "NB_CONTACTS", post, month, &x))
            continue;
        for (int j = mi - AGG_OUTLIER_MAX_HISTORY; j < mi; j++) {
            char p[8];
            month_code(j, p);
            if (post_value(&cs, "NB_GRILLES", post, p, &g) && g >= 1 &&
                post_value(&cs, "NB_CONTACTS", post, p, &hist[n]))
                n++;
        }
        agg_outlier o;
        if (!agg_outlier_test(hist, n, x, &o))
            continue;
        flagged++;
        char med[32];
        exp_fmt_count(o.median, med, sizeof med);
        exp_html_elem(h, "<tr><td>", post, "</td>");
        exp_html_elem(h, "<td>", PQgetvalue(r, i, 1), "</td><td class=\"n\">");
        const agg_cell *cx = exp_cells_find(&cs, "NB_CONTACTS", post, month, AGG_NDIMS, NULL);
        exp_cell_html(h, cx, "NB_CONTACTS", post, month);
        exp_html_elem(h, "</td><td class=\"n\">", med, "</td></tr>");
    }
    if (flagged == 0)
        exp_html_raw(h, "<tr><td colspan=\"4\">Aucun mois atypique.</td></tr>");
    exp_html_raw(h, "</tbody></table></section>");
    PQclear(r);
    exp_cells_free(&cs);
    return OBS_OK;
}

obs_status exp_report_monthly(PGconn *c, int year, int month, const exp_page_ctx *ctx,
                              obs_buf *body, char *title, size_t cap, obs_err *e)
{
    const obs_principal *who = ctx->who;
    int mi = year * 12 + month - 1;
    char periods[160], cur[8], label[48];
    size_t k = 0;
    for (int i = mi - TREND + 1; i <= mi; i++) {
        char p[8];
        month_code(i, p);
        k += (size_t)snprintf(periods + k, sizeof periods - k, "%s%s", k ? "," : "", p);
    }
    month_code(mi, cur);
    month_label(mi, label, sizeof label);
    snprintf(title, cap, "Synthèse mensuelle : %s", label);

    exp_cells cs = {0};
    obs_status rc = exp_cells_load(c, AGG_VIEW_PUBLIC, NULL, NULL, "FR", periods, 0, &cs, e);
    const agg_cell *total = rc ? NULL
                               : exp_cells_find(&cs, "NB_POSTES_ACTIFS", "FR", cur, AGG_NDIMS, NULL);
    if (rc == OBS_OK && total == NULL)
        rc = obs_fail(e, OBS_ERR_NOT_FOUND, "E_NO_DATA", "aucun chiffre publié pour %s", cur);
    char first[11], vintage[64] = "";
    snprintf(first, sizeof first, "%s-01", cur);
    if (rc == OBS_OK)
        rc = exp_report_vintage(c, first, first, vintage, sizeof vintage, e);
    if (rc) {
        exp_cells_free(&cs);
        return rc;
    }
    int provisional = total->obs_status == 'P';
    exp_html h;
    exp_html_init(&h, body);
    exp_html_raw(&h, "<p class=\"chapeau\">Chiffres nationaux du mois de ");
    exp_html_text(&h, label);
    exp_html_raw(&h, provisional ? " (provisoires)" : " (définitifs)");
    char as_of[64];
    exp_cells_as_of(&cs, as_of, sizeof as_of);
    exp_html_raw(&h, ", comparés aux mois précédents.");
    exp_html_text(&h, as_of);
    exp_html_raw(&h, " Valeurs masquées : « " EXP_SECRET
                     " » (voir la <a href=\"#methodologie\">méthodologie</a>).</p>"
                     "<section id=\"comparaison\"><h2>Le mois et les précédents</h2><table "
                     "id=\"tableau-mois\"><caption>Indicateurs nationaux, ");
    exp_html_num(&h, "%d", COLS);
    exp_html_raw(&h, " derniers mois</caption><thead><tr><th scope=\"col\">Indicateur</th>");
    for (int i = mi - COLS + 1; i <= mi; i++) {
        char l[48];
        month_label(i, l, sizeof l);
        exp_html_elem(&h, "<th scope=\"col\" class=\"n\">", l, "</th>");
    }
    exp_html_raw(&h, "</tr></thead><tbody>");
    for (size_t r = 0; r < OBS_ARRAY_LEN(ROWS); r++) {
        exp_html_elem(&h, "<tr><th scope=\"row\">", exp_mesure_label(ROWS[r]), "</th>");
        for (int i = mi - COLS + 1; i <= mi; i++) {
            char p[8];
            month_code(i, p);
            exp_html_raw(&h, i == mi ? "<td class=\"n\"><strong>" : "<td class=\"n\">");
            exp_cell_html(&h, exp_cells_find(&cs, ROWS[r], "FR", p, AGG_NDIMS, NULL), ROWS[r],
                          "FR", p);
            exp_html_raw(&h, i == mi ? "</strong></td>" : "</td>");
        }
        exp_html_raw(&h, "</tr>");
    }
    exp_html_raw(&h, "</tbody></table>");

    char months[TREND][16], shorts[TREND][24], longs[TREND][48];
    const char *mp[TREND], *ms[TREND], *ml[TREND];
    for (int i = 0; i < TREND; i++) {
        int m = mi - TREND + 1 + i;
        month_code(m, months[i]);
        snprintf(shorts[i], sizeof shorts[i], "%s", exp_month_short(m % 12 + 1));
        month_label(m, longs[i], sizeof longs[i]);
        mp[i] = months[i];
        ms[i] = shorts[i];
        ml[i] = longs[i];
    }
    exp_html_raw(&h, "</section><section id=\"tendance\"><h2>Personnes accompagnées sur douze "
                     "mois</h2>");
    exp_section_trend(&h, &cs, "NB_PERSONNES", "FR", mp, ms, ml, TREND, "g-personnes",
                      "Personnes accompagnées, douze derniers mois",
                      "Courbe du nombre de personnes accompagnées chaque mois en France ; "
                      "chaque valeur figure dans le tableau voisin.");
    exp_html_raw(&h, "</section>");

    static const char *const fr[] = {"FR"};
    static const char *const fr_label[] = {"France"};
    exp_section_breakdown(&h, &cs, AGG_PROBLEMATIQUE, cur, fr, fr_label, 1, "problematiques",
                          "Problématiques rencontrées dans le mois",
                          "Part des personnes concernées par chaque problématique (plusieurs "
                          "possibles par personne).");
    if (who && (who->role == OBS_ROLE_ANALYST || who->role == OBS_ROLE_ADMIN)) {
        rc = per_post(c, &h, mi, e);
        if (rc) {
            exp_cells_free(&cs);
            return rc;
        }
    } else if (ctx->static_export) { /* a file: no login page to link to */
        exp_html_raw(&h, "<p class=\"info\">Le suivi poste par poste (retards, grilles "
                         "manquantes, mois atypiques) est réservé aux analystes du ministère, "
                         "sur le service de l'observatoire.</p>");
    } else {
        exp_html_raw(&h, "<p class=\"info\">Le suivi poste par poste (retards, grilles "
                         "manquantes, mois atypiques) est réservé aux analystes du ministère : "
                         "<a href=\"/connexion\">connexion</a>.</p>");
    }
    exp_report_method(&h, vintage, provisional);
    exp_cells_free(&cs);
    return h.rc;
}
