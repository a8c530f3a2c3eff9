/* page_post.c: the post's page (GET /poste, for a logged-in post account): its months
 * (received, on time, late, missing, versions: col_post_months, the data of GET
 * /api/v1/grids/{post}), the upload form (POST /poste/depot, multipart/form-data, through the
 * collector's own pipeline col_grid_upload) whose validation report is shown as a table, and
 * the post's own figures (unprotected: they are its own) beside the national ones. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "grid.h"
#include "report_cells.h"
#include "route_grids.h"
#include "web.h"
#include "web_form.h"
#include "web_routes.h"

static const char SQL_POST[] =
    "SELECT p.name, d.name, p.dep FROM post p JOIN ref_departement d ON d.code = p.dep"
    " WHERE p.code = $1";

static const char *status_label(const char *s)
{
    return strcmp(s, "on_time") == 0   ? "reçue à temps"
           : strcmp(s, "late") == 0    ? "reçue en retard"
           : strcmp(s, "missing") == 0 ? "manquante"
                                       : "attendue";
}

/* "2026-03-04T09:12:00Z" -> "04/03/2026 09:12 UTC" */
static void when(const char *iso, char *out, size_t cap)
{
    if (iso == NULL || strlen(iso) < 16) {
        snprintf(out, cap, "–");
        return;
    }
    snprintf(out, cap, "%.2s/%.2s/%.4s %.5s UTC", iso + 8, iso + 5, iso, iso + 11);
}

/* "2026-03" -> "mars 2026" */
static void period_label(const char *p, char *out, size_t cap)
{
    const char *m = strlen(p) == 7 ? exp_month_name((int)strtol(p + 5, NULL, 10)) : NULL;
    if (m)
        snprintf(out, cap, "%s %.4s", m, p);
    else
        snprintf(out, cap, "%s", p);
}

static void months_table(exp_html *h, json_t *months)
{
    exp_html_raw(h, "<section id=\"envois\"><h2>Mes envois</h2><table id=\"tableau-envois\">"
                    "<caption>Grilles mensuelles du poste, de la plus récente à la plus "
                    "ancienne</caption><thead><tr><th scope=\"col\">Mois</th><th "
                    "scope=\"col\">Situation</th><th scope=\"col\" class=\"n\">Version</th><th "
                    "scope=\"col\" class=\"n\">Lignes</th><th scope=\"col\" "
                    "class=\"n\">Personnes</th><th scope=\"col\">Premier envoi</th><th "
                    "scope=\"col\">Dernière version</th></tr></thead><tbody>");
    for (size_t i = json_array_size(months); i-- > 0;) {
        json_t *m = json_array_get(months, i);
        const char *period = json_string_value(json_object_get(m, "period"));
        const char *status = json_string_value(json_object_get(m, "status"));
        char label[48], first[48], last[48];
        period_label(period ? period : "", label, sizeof label);
        exp_html_raw(h, "<tr");
        exp_html_attr(h, "data-period", period);
        exp_html_attr(h, "data-status", status);
        exp_html_elem(h, "><th scope=\"row\">", label, "</th>");
        exp_html_raw(h, "<td class=\"statut-");
        exp_html_text(h, status);
        exp_html_raw(h, "\">");
        exp_html_text(h, status_label(status ? status : ""));
        exp_html_raw(h, "</td>");
        if (json_object_get(m, "version")) {
            exp_html_raw(h, "<td class=\"n\">");
            exp_html_num(h, "%lld", (long long)json_integer_value(json_object_get(m, "version")));
            exp_html_raw(h, "</td><td class=\"n\">");
            exp_html_num(h, "%lld", (long long)json_integer_value(json_object_get(m, "rows")));
            exp_html_raw(h, "</td><td class=\"n\">");
            exp_html_num(h, "%lld", (long long)json_integer_value(json_object_get(m, "persons")));
            when(json_string_value(json_object_get(m, "first_received_at")), first, sizeof first);
            when(json_string_value(json_object_get(m, "received_at")), last, sizeof last);
            exp_html_elem(h, "</td><td>", first, "</td>");
            exp_html_elem(h, "<td>", last, "</td>");
        } else {
            exp_html_raw(h, "<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>"
                            "<td>–</td><td>–</td>");
        }
        exp_html_raw(h, "</tr>");
    }
    exp_html_raw(h, "</tbody></table></section>");
}

/* The links to the template of the latest month (GET /api/v1/grids/{post}/{YYYY-MM}/
 * modele.xlsx|.ods, exporters/sheet/route_template.c): a grid ready to fill, with the code
 * lists as dropdowns. */
static void template_links(exp_html *h, const char *post, json_t *months)
{
    size_t n = json_array_size(months);
    const char *p = n ? json_string_value(json_object_get(json_array_get(months, n - 1),
                                                          "period"))
                      : NULL;
    if (p == NULL)
        return;
    char label[48], href[96];
    period_label(p, label, sizeof label);
    exp_html_raw(h, "<p id=\"modele\">Modèle de grille à remplir pour ");
    exp_html_text(h, label);
    exp_html_raw(h, " (listes de codes, dates du mois, instructions) : <a");
    snprintf(href, sizeof href, "/api/v1/grids/%s/%s/modele.xlsx", post, p);
    exp_html_attr(h, "href", href);
    exp_html_raw(h, ">Excel (.xlsx)</a> ou <a");
    snprintf(href, sizeof href, "/api/v1/grids/%s/%s/modele.ods", post, p);
    exp_html_attr(h, "href", href);
    exp_html_raw(h, ">LibreOffice (.ods)</a>. Déposez-le rempli tel quel.</p>");
}

static void upload_form(exp_html *h, const obs_principal *who, json_t *months)
{
    exp_html_raw(h, "<section id=\"depot\"><h2>Déposer une grille</h2><form class=\"bloc\" "
                    "method=\"post\" action=\"/poste/depot\" enctype=\"multipart/form-data\">"
                    "<input type=\"hidden\" name=\"csrf\"");
    exp_html_attr(h, "value", who->csrf);
    exp_html_raw(h, "/><label for=\"mois\">Mois de la grille</label><select id=\"mois\" "
                    "name=\"mois\" required=\"required\">");
    for (size_t i = json_array_size(months); i-- > 0;) {
        const char *p = json_string_value(json_object_get(json_array_get(months, i), "period"));
        char label[48];
        period_label(p ? p : "", label, sizeof label);
        exp_html_raw(h, "<option");
        exp_html_attr(h, "value", p);
        exp_html_elem(h, ">", label, "</option>");
    }
    exp_html_raw(h, "</select><label for=\"grille\">Fichier de la grille (CSV, XML, .xlsx ou .ods)</label>"
                    "<input id=\"grille\" name=\"grille\" type=\"file\" "
                    "accept=\".csv,.xml,.xlsx,.ods,text/csv,application/xml\" required=\"required\"/>"
                    "<button type=\"submit\" name=\"action\" value=\"deposer\" "
                    "id=\"bouton-deposer\">Déposer la grille</button> "
                    "<button type=\"submit\" name=\"action\" value=\"verifier\" "
                    "id=\"bouton-verifier\">Vérifier sans enregistrer</button></form>");
    template_links(h, who->post, months);
    exp_html_raw(h, "</section>");
}

static const char *const FIGURES[] = {"NB_PERSONNES", "NB_CONTACTS", "NB_NOUVELLES",
                                      "PART_INCONNUS_SS", "PART_MINEURS", "PART_ORIENTEES"};

static obs_status figures(PGconn *c, exp_html *h, const char *post, const char *year, obs_err *e)
{
    char areas[32];
    snprintf(areas, sizeof areas, "%s,FR", post);
    exp_cells cs = {0};
    obs_status rc = exp_cells_load(c, AGG_VIEW_POST, post, NULL, areas, year, 0, &cs, e);
    if (rc)
        return rc;
    const char *const cols[] = {post, "FR"};
    const char *const labels[] = {"mon poste", "France"};
    exp_html_raw(h, "<section id=\"chiffres\"><h2>Mes chiffres de ");
    exp_html_text(h, year);
    exp_html_raw(h, "</h2><p>Les chiffres du poste sont les siens, complets ; les chiffres "
                    "nationaux sont ceux publiés, avec le secret statistique.</p><table "
                    "id=\"tableau-chiffres\"><caption>Le poste et la France</caption><thead><tr>"
                    "<th scope=\"col\">Indicateur</th><th scope=\"col\" class=\"n\">Mon poste</th>"
                    "<th scope=\"col\" class=\"n\">France</th></tr></thead><tbody>");
    for (size_t k = 0; k < OBS_ARRAY_LEN(FIGURES); k++) {
        exp_html_elem(h, "<tr><th scope=\"row\">", exp_mesure_label(FIGURES[k]), "</th>");
        for (size_t a = 0; a < 2; a++) {
            exp_html_raw(h, "<td class=\"n\">");
            exp_cell_html(h, exp_cells_find(&cs, FIGURES[k], cols[a], year, AGG_NDIMS, NULL),
                          FIGURES[k], cols[a], year);
            exp_html_raw(h, "</td>");
        }
        exp_html_raw(h, "</tr>");
    }
    exp_html_raw(h, "</tbody></table></section>");
    exp_section_breakdown(h, &cs, AGG_PROBLEMATIQUE, year, cols, labels, 2, "problematiques",
                          "Problématiques : le poste et la France",
                          "Part des personnes concernées par chaque problématique.");
    exp_cells_free(&cs);
    return h->rc;
}

/* The whole page; result_html (may be NULL) goes on top (the outcome of an upload). */
static void post_page(obs_request *rq, obs_response *rs, int status, const char *result_html)
{
    obs_err e;
    obs_err_clear(&e);
    const char *post = rq->who.post;
    PGconn *c = obs_db_conn(&e);
    PGresult *r = NULL;
    json_t *months = NULL;
    if (c == NULL || obs_db_exec_prepared(c, SQL_POST, 1, (const char *[]){post}, &r, &e) ||
        col_post_months(c, post, &months, &e)) {
        PQclear(r);
        exp_page_fail(rq, rs, &e);
        return;
    }
    char year[8];
    const char *asked = obs_http_query(rq, "annee");
    if (asked && strlen(asked) == 4 && strspn(asked, "0123456789") == 4) {
        snprintf(year, sizeof year, "%s", asked);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(year, sizeof year, "%04d", (tm.tm_year + 1900) % 10000);
        for (size_t i = json_array_size(months); i-- > 0;) {
            json_t *m = json_array_get(months, i);
            if (json_object_get(m, "version")) {
                snprintf(year, sizeof year, "%.4s",
                         json_string_value(json_object_get(m, "period")));
                break;
            }
        }
    }
    obs_buf b;
    obs_buf_init(&b, EXP_PAGE_MAX);
    exp_html h;
    exp_html_init(&h, &b);
    exp_html_raw(&h, "<p class=\"chapeau\">Poste <strong id=\"nom-poste\">");
    exp_html_text(&h, PQntuples(r) ? PQgetvalue(r, 0, 0) : post);
    exp_html_raw(&h, "</strong> (");
    exp_html_text(&h, post);
    exp_html_raw(&h, ", ");
    exp_html_text(&h, PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    exp_html_raw(&h, ").</p>");
    PQclear(r);
    if (result_html)
        exp_html_raw(&h, result_html);
    upload_form(&h, &rq->who, months);
    months_table(&h, months);
    json_decref(months);
    if (figures(c, &h, post, year, &e)) {
        obs_buf_free(&b);
        exp_page_fail(rq, rs, &e);
        return;
    }
    exp_page_send(rq, rs, status, "Espace du poste", &b, h.rc);
    obs_buf_free(&b);
}

/* Require a logged-in post account; otherwise answer (login redirection or 403). */
static int require_post(obs_request *rq, obs_response *rs)
{
    if (rq->who.role == OBS_ROLE_NONE) {
        web_redirect_login(rs, 0);
        return 0;
    }
    if (rq->who.role != OBS_ROLE_POST) {
        exp_page_error(rq, rs, 403, "Cette page est celle d'un poste : connectez-vous avec le "
                                    "compte du poste.");
        return 0;
    }
    return 1;
}

void web_post_get(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_http_authenticate(rq, &e)) {
        exp_page_fail(rq, rs, &e);
        return;
    }
    if (require_post(rq, rs))
        post_page(rq, rs, 200, NULL);
}

/* The issues of one kind (errors or warnings) of a JSON report as a table. */
static void issues_table(exp_html *h, json_t *items, const char *id, const char *caption)
{
    if (json_array_size(items) == 0)
        return;
    exp_html_raw(h, "<table");
    exp_html_attr(h, "id", id);
    exp_html_elem(h, "><caption>", caption, "</caption>");
    exp_html_raw(h, "<thead><tr><th scope=\"col\" class=\"n\">Ligne</th><th "
                    "scope=\"col\">Colonne</th><th scope=\"col\">Problème</th></tr></thead><tbody>");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        json_int_t line = json_integer_value(json_object_get(it, "line"));
        const char *col = json_string_value(json_object_get(it, "column"));
        exp_html_raw(h, "<tr");
        exp_html_attr(h, "data-code", json_string_value(json_object_get(it, "code")));
        exp_html_raw(h, "><td class=\"n\">");
        if (line > 0)
            exp_html_num(h, "%lld", (long long)line);
        else
            exp_html_raw(h, "fichier");
        exp_html_elem(h, "</td><td>", col && col[0] ? col : "–", "</td>");
        exp_html_elem(h, "<td>", json_string_value(json_object_get(it, "message")), "</td></tr>");
    }
    exp_html_raw(h, "</tbody></table>");
}

/* " 12 lignes" / " 1 ligne": n and a noun that takes an s in the plural. */
static void count_of(exp_html *h, json_t *n, const char *noun)
{
    long long v = (long long)json_integer_value(n);
    exp_html_num(h, "%lld", v);
    exp_html_raw(h, " ");
    exp_html_raw(h, noun);
    if (v > 1)
        exp_html_raw(h, "s");
}

/* The outcome of the pipeline (its JSON answer) as HTML; returns the page's status. */
static int render_outcome(exp_html *h, const obs_response *res, const char *period, int dry_run)
{
    json_error_t err;
    json_t *j = res->body.data ? json_loads(res->body.data, 0, &err) : NULL;
    char label[48];
    period_label(period, label, sizeof label);
    int status = res->status == 201 ? 200 : res->status;
    if (j && (res->status == 200 || res->status == 201)) {
        exp_html_raw(h, "<div class=\"succes\" id=\"resultat\" role=\"status\"><p>");
        if (dry_run) {
            exp_html_raw(h, "La grille de ");
            exp_html_text(h, label);
            exp_html_raw(h, " est valide (");
            count_of(h, json_object_get(j, "rows"), "ligne");
            exp_html_raw(h, "). Rien n'a été enregistré.");
        } else {
            exp_html_raw(h, "Grille de ");
            exp_html_text(h, label);
            exp_html_raw(h, " acceptée : version ");
            exp_html_num(h, "%lld", (long long)json_integer_value(json_object_get(j, "version")));
            exp_html_raw(h, ", ");
            count_of(h, json_object_get(j, "rows"), "ligne");
            exp_html_raw(h, ", ");
            count_of(h, json_object_get(j, "persons"), "personne");
            exp_html_raw(h, json_is_true(json_object_get(j, "on_time"))
                                ? ", reçue à temps."
                                : ", reçue après le 10 du mois suivant.");
        }
        exp_html_raw(h, "</p>");
        issues_table(h, json_object_get(j, "warnings"), "avertissements",
                     "Avertissements (la grille est acceptée)");
        exp_html_raw(h, "</div>");
    } else {
        json_t *error = j ? json_object_get(j, "error") : NULL;
        const char *msg = error ? json_string_value(json_object_get(error, "message")) : NULL;
        exp_html_raw(h, "<div class=\"alerte\" id=\"resultat\" role=\"alert\"><p>");
        exp_html_text(h, msg ? msg : "Le dépôt a échoué : réessayez dans un instant.");
        exp_html_raw(h, "</p>");
        if (j) {
            issues_table(h, json_object_get(j, "errors"), "erreurs", "Erreurs à corriger");
            issues_table(h, json_object_get(j, "warnings"), "avertissements", "Avertissements");
        }
        exp_html_raw(h, "</div>");
        if (status < 400)
            status = 503;
    }
    json_decref(j);
    return status;
}

/* The media type of the uploaded file, from its name (browsers disagree on CSV types). */
static const char *file_type(const web_field *f)
{
    size_t n = strlen(f->filename);
    if (n > 4 && strcasecmp(f->filename + n - 4, ".xml") == 0)
        return "application/xml";
    if (n > 5 && strcasecmp(f->filename + n - 5, ".xlsx") == 0)
        return COL_MEDIA_XLSX;
    if (n > 4 && strcasecmp(f->filename + n - 4, ".ods") == 0)
        return COL_MEDIA_ODS;
    return "text/csv";
}

void web_post_upload(obs_request *rq, obs_response *rs)
{
    obs_err e;
    obs_err_clear(&e);
    web_form form;
    if (web_form_parse(obs_http_header(rq, "Content-Type"), rq->body.data, rq->body.len, &form,
                       &e)) {
        web_form_free(&form);
        obs_wipe(rq->body.data, rq->body.len);
        exp_page_fail(rq, rs, &e);
        return;
    }
    if (!web_csrf_require(rq, rs, web_form_get(&form, "csrf")) || !require_post(rq, rs)) {
        web_form_free(&form);
        obs_wipe(rq->body.data, rq->body.len);
        return;
    }
    const char *period = web_form_get(&form, "mois");
    const char *action = web_form_get(&form, "action");
    const web_field *file = web_form_field(&form, "grille");
    int dry_run = action && strcmp(action, "verifier") == 0;
    obs_buf res_html;
    obs_buf_init(&res_html, EXP_PAGE_MAX);
    exp_html h;
    exp_html_init(&h, &res_html);
    int status;
    if (period == NULL || file == NULL || file->value != NULL || file->filename[0] == '\0') {
        exp_html_raw(&h, "<div class=\"alerte\" id=\"resultat\" role=\"alert\"><p>Choisissez le "
                         "mois et le fichier de la grille.</p></div>");
        status = 400;
    } else {
        obs_response res;
        memset(&res, 0, sizeof res);
        obs_buf_init(&res.body, 0);
        res.status = 500;
        col_grid_upload(rq, &res, rq->who.post, period, file_type(file), file->data, file->len,
                        dry_run);
        status = render_outcome(&h, &res, period, dry_run);
        obs_buf_free(&res.body);
    }
    web_form_free(&form);
    obs_wipe(rq->body.data, rq->body.len);
    if (h.rc) {
        obs_buf_free(&res_html);
        exp_page_error(rq, rs, 503, "Service momentanément indisponible.");
        return;
    }
    post_page(rq, rs, status, res_html.data);
    obs_buf_free(&res_html);
}
