/* sdc_table.h: the hand-made indicator tables of the disclosure-control tests (test_sdc.c,
 * test_sdc_year.c, test_audit.c): cells added by key, their conf_status read back, protection
 * and the independent audit run on them. Each test file uses some of them (hence `unused`). */
#ifndef SDC_TABLE_H
#define SDC_TABLE_H

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cells.h"

static const char *const dims[AGG_NDIMS] = {
    "SEXE", "AGE", "STATUT", "ORIGINE", "PROBLEMATIQUE", "PARTENAIRE", "MODE",
};

typedef struct table {
    agg_cell *v;
    size_t n, cap;
} table;

/* Fill c's identifiers; bd is "" (all _T) or "DIM=CODE". */
static __attribute__((unused)) void set_key(agg_cell *c, const char *mesure, const char *area, const char *period,
                    const char *bd)
{
    memset(c, 0, sizeof *c);
    snprintf(c->mesure, sizeof c->mesure, "%s", mesure);
    snprintf(c->area, sizeof c->area, "%s", area);
    snprintf(c->period, sizeof c->period, "%s", period);
    for (int d = 0; d < AGG_NDIMS; d++)
        snprintf(c->dim[d], sizeof c->dim[d], "_T");
    const char *eq = strchr(bd, '=');
    if (eq == NULL)
        return;
    for (int d = 0; d < AGG_NDIMS; d++)
        if (strlen(dims[d]) == (size_t)(eq - bd) && strncmp(dims[d], bd, (size_t)(eq - bd)) == 0)
            snprintf(c->dim[d], sizeof c->dim[d], "%s", eq + 1);
}

static __attribute__((unused)) agg_cell *add(table *t, const char *mesure, const char *area, const char *period,
                     const char *bd, double v)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        assert_non_null(t->v);
    }
    agg_cell *c = &t->v[t->n++];
    set_key(c, mesure, area, period, bd);
    c->has_value = 1;
    c->value = v;
    c->obs_status = 'A';
    c->conf_status = 'F';
    return c;
}

static __attribute__((unused)) agg_cell *add_pct(table *t, const char *mesure, const char *area, const char *period,
                         const char *bd, long num, long den)
{
    agg_cell *c = add(t, mesure, area, period, bd, den ? 100.0 * (double)num / (double)den : 0);
    c->has_value = den != 0;
    c->num = num;
    c->den = den;
    return c;
}

/* The conf_status of the cell with that key (fails the test when absent). */
static __attribute__((unused)) char conf(const table *t, const char *mesure, const char *area, const char *period,
                 const char *bd)
{
    agg_cell k;
    set_key(&k, mesure, area, period, bd);
    for (size_t i = 0; i < t->n; i++) {
        const agg_cell *c = &t->v[i];
        if (strcmp(c->mesure, k.mesure) == 0 && strcmp(c->area, k.area) == 0 &&
            strcmp(c->period, k.period) == 0 && memcmp(c->dim, k.dim, sizeof k.dim) == 0)
            return c->conf_status;
    }
    fail_msg("no cell %s %s %s %s", mesure, area, period, bd);
    return 0;
}

static __attribute__((unused)) void protect(table *t, int k)
{
    obs_err e;
    assert_int_equal(agg_sdc_apply(t->v, t->n, k, &e), OBS_OK);
}

/* The audit must find nothing in what agg_sdc_apply produced. */
static __attribute__((unused)) void assert_safe(const table *t, int k)
{
    agg_audit_report rep;
    obs_err e;
    assert_int_equal(agg_audit(t->v, t->n, k, &rep, &e), OBS_OK);
    for (size_t i = 0; i < rep.n; i++)
        fprintf(stderr, "finding: %s | %s | %s\n", rep.items[i].relation, rep.items[i].cell,
                rep.items[i].problem);
    assert_int_equal(rep.n, 0);
    agg_audit_free(&rep);
}

#endif
