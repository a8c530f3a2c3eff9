/* filter.c: parsing and validation of the indicator filters (see filter.h). */
#include "filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cells.h"
#include "publish.h"
#include "ref.h"

static const char *const fkey_names[AGG_F_COUNT] = {
    "mesure", "area",          "period",     "sexe", "age", "statut",
    "origine", "problematique", "partenaire", "mode"};

/* The code list of a breakdown key, or -1 for mesure/area/period. */
static int fkey_list(agg_fkey k)
{
    switch (k) {
    case AGG_F_SEXE: return REF_SEXE;
    case AGG_F_AGE: return REF_AGE;
    case AGG_F_STATUT: return REF_STATUT;
    case AGG_F_ORIGINE: return REF_ORIGINE;
    case AGG_F_PROBLEMATIQUE: return REF_PROBLEMATIQUE;
    case AGG_F_PARTENAIRE: return REF_PARTENAIRE;
    case AGG_F_MODE: return REF_MODE;
    default: return -1;
    }
}

const char *agg_fkey_name(agg_fkey k)
{
    return k < AGG_F_COUNT ? fkey_names[k] : "?";
}

int agg_area_is_post(const char *s)
{
    return ref_post_code_valid(s);
}

static int valid_area(const char *s)
{
    if (strcmp(s, "FR") == 0)
        return 1;
    if (s[0] == 'R')
        return ref_region_find(s + 1) != NULL;
    if (s[0] == 'D')
        return ref_dep_find(s + 1) != NULL;
    return agg_area_is_post(s);
}

static int valid_value(agg_fkey k, const char *v)
{
    agg_period p;
    switch (k) {
    case AGG_F_MESURE: return ref_find(REF_MESURE, v) >= 0;
    case AGG_F_AREA: return valid_area(v);
    case AGG_F_PERIOD: return agg_period_parse(v, &p) == 0;
    default: return strcmp(v, "_T") == 0 || ref_find((ref_list)fkey_list(k), v) >= 0;
    }
}

void agg_query_init(agg_query *q)
{
    memset(q, 0, sizeof *q);
}

void agg_query_free(agg_query *q)
{
    if (q == NULL)
        return;
    for (int k = 0; k < AGG_F_COUNT; k++)
        free(q->list[k]);
    memset(q, 0, sizeof *q);
}

obs_status agg_query_set(agg_query *q, agg_fkey k, const char *csv, obs_err *e)
{
    obs_buf b;
    obs_buf_init(&b, 0);
    obs_status rc = obs_buf_putc(&b, '{');
    size_t nvalues = 0;
    int posts = 0;
    const char *p = csv;
    for (;;) {
        size_t n = strcspn(p, ",");
        char v[32];
        if (n == 0 || n >= sizeof v) {
            obs_buf_free(&b);
            return obs_fail(e, OBS_ERR_INPUT, "E_FILTER",
                            "filtre %s : valeur vide ou trop longue", fkey_names[k]);
        }
        memcpy(v, p, n);
        v[n] = '\0';
        if (!valid_value(k, v)) {
            obs_buf_free(&b);
            return obs_fail(e, OBS_ERR_INPUT, "E_FILTER", "filtre %s : valeur inconnue « %s »",
                            fkey_names[k], v);
        }
        if (++nvalues > AGG_FILTER_MAX_VALUES) {
            obs_buf_free(&b);
            return obs_fail(e, OBS_ERR_INPUT, "E_FILTER", "filtre %s : plus de %d valeurs",
                            fkey_names[k], AGG_FILTER_MAX_VALUES);
        }
        posts += k == AGG_F_AREA && agg_area_is_post(v);
        /* Validated codes hold only letters, digits, '-' and '_': no quoting needed. */
        if (rc == OBS_OK && nvalues > 1)
            rc = obs_buf_putc(&b, ',');
        if (rc == OBS_OK)
            rc = obs_buf_puts(&b, v);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (rc == OBS_OK)
        rc = obs_buf_putc(&b, '}');
    if (rc) {
        obs_buf_free(&b);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    free(q->list[k]);
    q->list[k] = obs_buf_steal(&b);
    if (k == AGG_F_AREA)
        q->posts = posts;
    return OBS_OK;
}

static obs_status parse_post_filters(agg_query_get get, void *ctx, agg_query *q, obs_err *e);

obs_status agg_query_parse(agg_query_get get, void *ctx, agg_query *q, obs_err *e)
{
    agg_query_init(q);
    obs_status rc = OBS_OK;
    for (int k = 0; k < AGG_F_COUNT && rc == OBS_OK; k++) {
        const char *v = get(ctx, fkey_names[k]);
        if (v)
            rc = agg_query_set(q, (agg_fkey)k, v, e);
    }
    const char *from = rc ? NULL : get(ctx, "from");
    const char *to = rc ? NULL : get(ctx, "to");
    if (from && agg_period_parse(from, &q->from) != 0)
        rc = obs_fail(e, OBS_ERR_INPUT, "E_FILTER",
                      "from : période invalide (attendu : AAAA, AAAA-Qn ou AAAA-MM, ex. 2026-Q1)");
    if (rc == OBS_OK && to && agg_period_parse(to, &q->to) != 0)
        rc = obs_fail(e, OBS_ERR_INPUT, "E_FILTER",
                      "to : période invalide (attendu : AAAA, AAAA-Qn ou AAAA-MM, ex. 2026-06)");
    if (rc == OBS_OK)
        rc = parse_post_filters(get, ctx, q, e);
    if (rc == OBS_OK) {
        q->has_from = from != NULL;
        q->has_to = to != NULL;
        if (q->has_from && q->has_to && agg_period_first(&q->from) > agg_period_last(&q->to))
            rc = obs_fail(e, OBS_ERR_INPUT, "E_FILTER", "from est postérieur à to");
    }
    if (rc)
        agg_query_free(q);
    return rc;
}

/* Walk the area list "{a,b}" and call match on each post code; 1 when any matched. */
static int scan_posts(const agg_query *q, const char *post, int other)
{
    const char *s = q->list[AGG_F_AREA];
    if (s == NULL || q->posts == 0)
        return 0;
    s++; /* '{' */
    while (*s && *s != '}') {
        size_t n = strcspn(s, ",}");
        if (n == 11) {
            char v[12];
            memcpy(v, s, n);
            v[n] = '\0';
            if (agg_area_is_post(v)) {
                int same = post && strcmp(v, post) == 0;
                if (other ? !same : (post == NULL || same))
                    return 1;
            }
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

int agg_query_names_post(const agg_query *q, const char *post)
{
    return scan_posts(q, post, 0);
}

int agg_query_names_other_post(const agg_query *q, const char *post)
{
    return scan_posts(q, post, 1);
}

/* ---- filters applied after protection ---------------------------------------------------- */

static const char *const units[] = AGG_UNITS;
static const char OBS_CODES[] = "AP", CONF_CODES[] = "FCD";

/* The bit of code v among the n codes (strings when names, else single letters of letters),
 * or 0 when unknown. */
static unsigned code_bit(const char *v, const char *const *names, const char *letters)
{
    if (names) {
        for (unsigned i = 0; i < OBS_ARRAY_LEN(units); i++)
            if (strcmp(v, names[i]) == 0)
                return 1u << i;
        return 0;
    }
    const char *hit = v[0] && v[1] == '\0' ? strchr(letters, v[0]) : NULL;
    return hit ? 1u << (hit - letters) : 0;
}

/* Parse "a,b" into *mask. */
static obs_status parse_mask(const char *name, const char *csv, const char *const *names,
                             const char *letters, unsigned *mask, obs_err *e)
{
    *mask = 0;
    for (const char *p = csv;;) {
        size_t n = strcspn(p, ",");
        char v[16];
        unsigned bit = 0;
        if (n > 0 && n < sizeof v) {
            memcpy(v, p, n);
            v[n] = '\0';
            bit = code_bit(v, names, letters);
        }
        if (bit == 0)
            return obs_fail(e, OBS_ERR_INPUT, "E_FILTER", "filtre %s : valeur inconnue", name);
        *mask |= bit;
        if (p[n] == '\0')
            return OBS_OK;
        p += n + 1;
    }
}

static obs_status parse_post_filters(agg_query_get get, void *ctx, agg_query *q, obs_err *e)
{
    const char *v;
    obs_status rc = OBS_OK;
    if ((v = get(ctx, "unit")))
        rc = parse_mask("unit", v, units, NULL, &q->unit_mask, e);
    if (rc == OBS_OK && (v = get(ctx, "obs_status")))
        rc = parse_mask("obs_status", v, NULL, OBS_CODES, &q->obs_mask, e);
    if (rc == OBS_OK && (v = get(ctx, "conf_status")))
        rc = parse_mask("conf_status", v, NULL, CONF_CODES, &q->conf_mask, e);
    return rc;
}

int agg_query_keeps(const agg_query *q, const agg_cell *c)
{
    char s[2] = {0, 0};
    if (q->unit_mask && !(q->unit_mask & code_bit(agg_unit(c->mesure), units, NULL)))
        return 0;
    s[0] = c->obs_status;
    if (q->obs_mask && !(q->obs_mask & code_bit(s, NULL, OBS_CODES)))
        return 0;
    s[0] = c->conf_status;
    if (q->conf_mask && !(q->conf_mask & code_bit(s, NULL, CONF_CODES)))
        return 0;
    return 1;
}

int agg_query_is_param(const char *name)
{
    static const char *const extra[] = {"from", "to", "unit", "obs_status", "conf_status"};
    for (int k = 0; k < AGG_F_COUNT; k++)
        if (strcmp(name, fkey_names[k]) == 0)
            return 1;
    for (size_t i = 0; i < OBS_ARRAY_LEN(extra); i++)
        if (strcmp(name, extra[i]) == 0)
            return 1;
    return 0;
}
