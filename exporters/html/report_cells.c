/* report_cells.c: cells for the HTML reports, and the one way their values are written
 * (see report_cells.h and docs/html.md, "Disclosure control in the pages"). */
#include "report_cells.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "ref.h"

obs_status exp_cells_load(PGconn *c, agg_view view, const char *post, const char *mesures,
                          const char *areas, const char *periods, int dims_total,
                          exp_cells *cs, obs_err *e)
{
    agg_query q;
    agg_query_init(&q);
    obs_status rc = OBS_OK;
    if (mesures)
        rc = agg_query_set(&q, AGG_F_MESURE, mesures, e);
    if (rc == OBS_OK && areas)
        rc = agg_query_set(&q, AGG_F_AREA, areas, e);
    if (rc == OBS_OK && periods)
        rc = agg_query_set(&q, AGG_F_PERIOD, periods, e);
    for (int k = AGG_F_SEXE; rc == OBS_OK && dims_total && k <= AGG_F_MODE; k++)
        rc = agg_query_set(&q, (agg_fkey)k, "_T", e);
    agg_selection sel = {0};
    if (rc == OBS_OK)
        rc = agg_select(c, &q, view, post, 0, &sel, e);
    agg_query_free(&q);
    if (rc)
        return rc;
    agg_cell *v = sel.cells;
    size_t n = sel.n;
    if (strcmp(sel.as_of, cs->as_of) > 0)
        snprintf(cs->as_of, sizeof cs->as_of, "%s", sel.as_of);
    if (cs->v == NULL) {
        cs->v = v;
        cs->n = n;
        return OBS_OK;
    }
    agg_cell *all = n ? realloc(cs->v, (cs->n + n) * sizeof *all) : cs->v;
    if (all == NULL) {
        free(v);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    if (n)
        memcpy(all + cs->n, v, n * sizeof *v);
    free(v);
    cs->v = all;
    cs->n += n;
    return OBS_OK;
}

void exp_cells_as_of(const exp_cells *cs, char *out, size_t cap)
{
    const char *t = cs->as_of; /* YYYY-MM-DDTHH:MM:SSZ */
    if (strlen(t) < 19)
        snprintf(out, cap, "%s", "");
    else
        snprintf(out, cap, " Données au %.2s/%.2s/%.4s à %.8s UTC.", t + 8, t + 5, t, t + 11);
}

void exp_cells_free(exp_cells *cs)
{
    if (cs == NULL)
        return;
    free(cs->v);
    cs->v = NULL;
    cs->n = 0;
}

const agg_cell *exp_cells_find(const exp_cells *cs, const char *mesure, const char *area,
                               const char *period, int dim, const char *code)
{
    for (size_t i = 0; i < cs->n; i++) {
        const agg_cell *c = &cs->v[i];
        if (strcmp(c->mesure, mesure) || strcmp(c->area, area) || strcmp(c->period, period))
            continue;
        int ok = 1;
        for (int d = 0; ok && d < AGG_NDIMS; d++)
            ok = strcmp(c->dim[d], d == dim ? code : "_T") == 0;
        if (ok)
            return c;
    }
    return NULL;
}

int exp_cell_published(const agg_cell *c)
{
    return c && c->has_value && c->conf_status == 'F';
}

static int is_pct(const char *mesure)
{
    return strncmp(mesure, "PART_", 5) == 0 || strncmp(mesure, "TAUX_", 5) == 0;
}

void exp_cell_text(const agg_cell *c, char *out, size_t cap)
{
    if (c && c->conf_status != 'F' && c->conf_status != 0)
        snprintf(out, cap, "%s", EXP_SECRET);
    else if (!exp_cell_published(c))
        snprintf(out, cap, "–");
    else if (is_pct(c->mesure))
        exp_fmt_pct(c->value, out, cap);
    else
        exp_fmt_count(c->value, out, cap);
}

void exp_cell_key(const agg_cell *c, const char *mesure, const char *area, const char *period,
                  char *out, size_t cap)
{
    if (c)
        snprintf(out, cap, "%s.%s.%s.%s.%s.%s.%s.%s.%s.%s", c->mesure, c->area, c->period,
                 c->dim[0], c->dim[1], c->dim[2], c->dim[3], c->dim[4], c->dim[5], c->dim[6]);
    else
        snprintf(out, cap, "%s.%s.%s", mesure, area, period);
}

void exp_cell_html(exp_html *h, const agg_cell *c, const char *mesure, const char *area,
                   const char *period)
{
    char key[200], text[48];
    exp_cell_key(c, mesure, area, period, key, sizeof key);
    exp_cell_text(c, text, sizeof text);
    if (exp_cell_published(c)) {
        char v[40];
        if (is_pct(c->mesure))
            snprintf(v, sizeof v, "%.1f", round(c->value * 10.0) / 10.0);
        else
            snprintf(v, sizeof v, "%.0f", c->value);
        exp_html_raw(h, "<span class=\"v\"");
        exp_html_attr(h, "data-key", key);
        exp_html_attr(h, "data-value", v);
    } else if (c && c->conf_status != 'F') {
        char conf[2] = {c->conf_status, 0};
        exp_html_raw(h, "<span class=\"secret\"");
        exp_html_attr(h, "data-key", key);
        exp_html_attr(h, "data-conf", conf);
    } else {
        exp_html_raw(h, "<span class=\"na\" title=\"pas d'observation\"");
        exp_html_attr(h, "data-key", key);
    }
    exp_html_raw(h, ">");
    exp_html_text(h, text);
    exp_html_raw(h, "</span>");
}

void exp_cell_datum(const agg_cell *c, const char *mesure, const char *area, const char *period,
                    const char *label, exp_datum *d)
{
    memset(d, 0, sizeof *d);
    d->label = label;
    exp_cell_key(c, mesure, area, period, d->key, sizeof d->key);
    d->shown = exp_cell_published(c);
    d->secret = c && c->conf_status != 'F' && c->conf_status != 0;
    d->value = d->shown ? c->value : 0.0; /* a withheld value never leaves the cell */
    exp_cell_text(c, d->text, sizeof d->text);
}

int exp_dim_list(int dim)
{
    static const int lists[AGG_NDIMS] = {REF_SEXE,          REF_AGE,        REF_STATUT, REF_ORIGINE,
                                         REF_PROBLEMATIQUE, REF_PARTENAIRE, REF_MODE};
    return dim >= 0 && dim < AGG_NDIMS ? lists[dim] : -1;
}

const char *exp_mesure_label(const char *mesure)
{
    int i = ref_find(REF_MESURE, mesure);
    return i >= 0 ? ref_at(REF_MESURE, (size_t)i)->label_fr : mesure;
}

typedef struct cat {
    size_t ref;        /* index in the code list */
    const agg_cell *c; /* PART_PERSONNES of the first area */
} cat;

static int cat_cmp(const void *a, const void *b)
{
    const cat *x = a, *y = b;
    int px = exp_cell_published(x->c), py = exp_cell_published(y->c);
    if (px != py)
        return py - px;
    if (px && x->c->value != y->c->value)
        return x->c->value < y->c->value ? 1 : -1;
    return x->ref < y->ref ? -1 : x->ref > y->ref;
}

void exp_section_breakdown(exp_html *h, const exp_cells *cs, int dim, const char *period,
                           const char *const *areas, const char *const *area_labels,
                           size_t nareas, const char *id, const char *title, const char *intro)
{
    ref_list l = (ref_list)exp_dim_list(dim);
    size_t n = ref_count(l);
    cat *cats = calloc(n ? n : 1, sizeof *cats);
    exp_datum *d = calloc(n ? n : 1, sizeof *d);
    if (cats == NULL || d == NULL) {
        free(cats);
        free(d);
        if (h->rc == OBS_OK)
            h->rc = OBS_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        cats[i].ref = i;
        cats[i].c = exp_cells_find(cs, "PART_PERSONNES", areas[0], period, dim,
                                   ref_at(l, i)->code);
    }
    qsort(cats, n, sizeof *cats, cat_cmp);
    for (size_t i = 0; i < n; i++)
        exp_cell_datum(cats[i].c, "PART_PERSONNES", areas[0], period,
                       ref_at(l, cats[i].ref)->label_fr, &d[i]);

    exp_html_raw(h, "<section");
    exp_html_attr(h, "id", id);
    exp_html_raw(h, "><h2>");
    exp_html_text(h, title);
    exp_html_raw(h, "</h2><p>");
    exp_html_text(h, intro);
    exp_html_raw(h, "</p><div class=\"graphique\"><figure><figcaption>");
    exp_html_text(h, title);
    exp_html_raw(h, " (");
    exp_html_text(h, area_labels[0]);
    exp_html_raw(h, ", part des personnes)</figcaption>");
    char svgid[64], desc[300];
    snprintf(svgid, sizeof svgid, "g-%s", id);
    snprintf(desc, sizeof desc,
             "Diagramme en barres : part des personnes concernées par catégorie, en %%. Les "
             "valeurs sont reprises dans le tableau voisin ; « %s » signale une valeur non "
             "diffusée.",
             EXP_SECRET);
    exp_svg_bars(h, svgid, title, desc, d, n, 0);
    exp_html_raw(h, "</figure><div class=\"donnees\"><table><caption>");
    exp_html_text(h, title);
    exp_html_raw(h, "</caption><thead><tr><th scope=\"col\">Catégorie</th>");
    for (size_t a = 0; a < nareas; a++) {
        exp_html_raw(h, "<th scope=\"col\" class=\"n\">Personnes (");
        exp_html_text(h, area_labels[a]);
        exp_html_raw(h, ")</th><th scope=\"col\" class=\"n\">Part (");
        exp_html_text(h, area_labels[a]);
        exp_html_raw(h, ")</th>");
    }
    exp_html_raw(h, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const char *code = ref_at(l, cats[i].ref)->code;
        exp_html_elem(h, "<tr><th scope=\"row\">", ref_at(l, cats[i].ref)->label_fr, "</th>");
        for (size_t a = 0; a < nareas; a++) {
            exp_html_raw(h, "<td class=\"n\">");
            exp_cell_html(h, exp_cells_find(cs, "NB_PERSONNES", areas[a], period, dim, code),
                          "NB_PERSONNES", areas[a], period);
            exp_html_raw(h, "</td><td class=\"n\">");
            exp_cell_html(h, exp_cells_find(cs, "PART_PERSONNES", areas[a], period, dim, code),
                          "PART_PERSONNES", areas[a], period);
            exp_html_raw(h, "</td>");
        }
        exp_html_raw(h, "</tr>");
    }
    exp_html_raw(h, "</tbody></table></div></div></section>");
    free(cats);
    free(d);
}

void exp_section_trend(exp_html *h, const exp_cells *cs, const char *mesure, const char *area,
                       const char *const *periods, const char *const *short_labels,
                       const char *const *long_labels, size_t n, const char *id,
                       const char *title, const char *desc)
{
    exp_datum d[EXP_TREND_MAX];
    if (n > EXP_TREND_MAX)
        n = EXP_TREND_MAX;
    for (size_t i = 0; i < n; i++)
        exp_cell_datum(exp_cells_find(cs, mesure, area, periods[i], AGG_NDIMS, NULL), mesure, area,
                       periods[i], short_labels[i], &d[i]);
    exp_html_raw(h, "<div class=\"graphique\"><figure><figcaption>");
    exp_html_text(h, title);
    exp_html_raw(h, "</figcaption>");
    exp_svg_line(h, id, title, desc, d, n, is_pct(mesure));
    exp_html_raw(h, "</figure><div class=\"donnees\"><table><caption>");
    exp_html_text(h, title);
    exp_html_raw(h, "</caption><thead><tr><th scope=\"col\">Mois</th><th scope=\"col\" "
                    "class=\"n\">Valeur</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        exp_html_elem(h, "<tr><th scope=\"row\">", long_labels[i], "</th><td class=\"n\">");
        exp_cell_html(h, exp_cells_find(cs, mesure, area, periods[i], AGG_NDIMS, NULL), mesure,
                      area, periods[i]);
        exp_html_raw(h, "</td></tr>");
    }
    exp_html_raw(h, "</tbody></table></div></div>");
}
