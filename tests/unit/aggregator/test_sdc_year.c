/* test_sdc_year.c: statistical disclosure control (aggregator/sdc.c) on a synthetic national
 * year drawn with a fixed seed (every additive relation holds exactly): the protection is
 * deterministic, passes the independent audit, and stays within time and memory at the size
 * of the stored table.
 */
#include "sdc_table.h"

#include <time.h>

#include "ref.h"

/* Pseudo-random numbers with a fixed seed (xorshift64): the same table every run. */
static unsigned long long rng_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* A year of a synthetic observatory: posts (4 or 5 per département, "ISCG-093-01"), the first
 * ndeps départements of the reference list, their régions and FR; 12 months, 4 quarters, the
 * year. Values are drawn per post and month (at most scale persons) and added up, so every
 * relation holds exactly; quarters and years of persons are sums too (harmless: the time
 * relations are not used for persons). The measures and breakdowns of the stored table:
 * NB_PERSONNES and PART_PERSONNES by every dimension, NB_CONTACTS and PART_CONTACTS by MODE,
 * NB_NOUVELLES, PART_NSP_SS, PART_INCONNUS_SS, PART_ORIENTEES, PART_MINEURS. */
typedef struct item {
    const char *mesure; /* NULL: a number no count publishes (hidden) */
    int dim;            /* -1: all _T */
    int list;           /* ref_list of the codes */
    size_t code;
    int hidden;         /* HID_NSP, HID_NON, HID_ORIENTEES, or 0 */
} item;

enum { HID_NSP = 1, HID_NON, HID_ORIENTEES };

static size_t make_items(item *it, size_t cap)
{
    static const struct {
        int dim, list;
    } parts[] = {{AGG_SEXE, REF_SEXE},         {AGG_AGE, REF_AGE},
                 {AGG_STATUT, REF_STATUT},     {AGG_ORIGINE, REF_ORIGINE},
                 {AGG_PROBLEMATIQUE, REF_PROBLEMATIQUE}, {AGG_PARTENAIRE, REF_PARTENAIRE}};
    size_t n = 0;
    it[n++] = (item){"NB_PERSONNES", -1, 0, 0, 0};
    for (size_t p = 0; p < OBS_ARRAY_LEN(parts); p++)
        for (size_t c = 0; c < ref_count((ref_list)parts[p].list); c++)
            it[n++] = (item){"NB_PERSONNES", parts[p].dim, parts[p].list, c, 0};
    it[n++] = (item){"NB_CONTACTS", -1, 0, 0, 0};
    for (size_t c = 0; c < ref_count(REF_MODE); c++)
        it[n++] = (item){"NB_CONTACTS", AGG_MODE, REF_MODE, c, 0};
    it[n++] = (item){"NB_NOUVELLES", -1, 0, 0, 0};
    for (int h = HID_NSP; h <= HID_ORIENTEES; h++)
        it[n++] = (item){NULL, -1, 0, 0, h};
    assert_true(n <= cap);
    return n;
}

/* The index of an item: a count's (mesure, dim, code), or a hidden number. */
static size_t item_at(const item *it, size_t nit, const char *mesure, int dim, const char *code,
                      int hidden)
{
    for (size_t x = 0; x < nit; x++)
        if (hidden ? it[x].hidden == hidden
                   : it[x].mesure && strcmp(it[x].mesure, mesure) == 0 && it[x].dim == dim &&
                         (dim < 0 || strcmp(ref_at((ref_list)it[x].list, it[x].code)->code,
                                            code) == 0))
            return x;
    fail_msg("no item %s", mesure ? mesure : "(hidden)");
    return 0;
}

/* Fill one post-month: partitions split the persons, the multi-response cells are drawn
 * independently (PARTENAIRE: the first two codes share the oriented persons out, the others
 * are subsets of the first's, so the oriented persons are their union), contacts add up over
 * modes. */
static void draw_leaf(const item *it, size_t nit, double *v, unsigned scale)
{
    double persons = rnd(scale + 1), contacts = 0, orientees = 0;
    size_t j = 0;
    while (j < nit) {
        if (it[j].dim < 0) {
            if (it[j].hidden == HID_NSP)
                v[j] = rnd((unsigned)persons + 1);
            else if (it[j].hidden == HID_NON)
                v[j] = rnd((unsigned)(persons - v[j - 1]) + 1);
            else if (it[j].hidden == HID_ORIENTEES)
                v[j] = orientees;
            else if (strcmp(it[j].mesure, "NB_PERSONNES") == 0)
                v[j] = persons;
            else if (strcmp(it[j].mesure, "NB_NOUVELLES") == 0)
                v[j] = rnd((unsigned)persons + 1);
            j++;
            continue;
        }
        size_t end = j;
        while (end < nit && it[end].dim == it[j].dim && it[end].mesure == it[j].mesure)
            end++;
        if (it[j].dim == AGG_PROBLEMATIQUE) {
            for (size_t x = j; x < end; x++)
                v[x] = rnd((unsigned)persons / 2 + 1);
        } else if (it[j].dim == AGG_PARTENAIRE) {
            orientees = rnd((unsigned)persons + 1);
            v[j] = rnd((unsigned)orientees + 1);
            v[j + 1] = orientees - v[j];
            for (size_t x = j + 2; x < end; x++)
                v[x] = rnd(4) ? 0 : rnd((unsigned)v[j] + 1);
        } else if (it[j].dim == AGG_MODE) {
            for (size_t x = j; x < end; x++)
                contacts += v[x] = rnd(scale / 2 + 1);
        } else {
            double left = persons;
            for (size_t x = j; x < end; x++) {
                v[x] = x + 1 == end ? left : rnd((unsigned)left + 1);
                left -= v[x];
            }
        }
        j = end;
    }
    for (size_t x = 0; x < nit; x++)
        if (it[x].mesure && it[x].dim < 0 && strcmp(it[x].mesure, "NB_CONTACTS") == 0)
            v[x] = contacts;
}

enum { NPER = 17 };

static void period_code(int p, char *out, size_t cap)
{
    if (p < 12)
        snprintf(out, cap, "2026-%02d", p + 1);
    else if (p < 16)
        snprintf(out, cap, "2026-Q%d", p - 11);
    else
        snprintf(out, cap, "2026");
}

static void gen_year(table *t, size_t ndeps, unsigned scale)
{
    item it[96];
    size_t nit = make_items(it, OBS_ARRAY_LEN(it));
    size_t nreg = ref_region_count(), nposts = 0;
    if (ndeps > ref_dep_count())
        ndeps = ref_dep_count();
    for (size_t d = 0; d < ndeps; d++)
        nposts += d % 2 ? 4 : 5;
    /* Areas: posts, then départements, then régions, then FR. */
    size_t narea = nposts + ndeps + nreg + 1;
    double *val = calloc(narea * NPER * nit, sizeof *val);
    char (*code)[24] = calloc(narea, sizeof *code);
    size_t *parent = calloc(narea, sizeof *parent);
    int *used = calloc(narea, sizeof *used);
    assert_true(val && code && parent && used);
    size_t post = 0, fr = narea - 1;
    snprintf(code[fr], sizeof code[fr], "FR");
    used[fr] = 1;
    for (size_t r = 0; r < nreg; r++) {
        snprintf(code[nposts + ndeps + r], sizeof code[0], "R%s", ref_region_at(r)->code);
        parent[nposts + ndeps + r] = fr;
    }
    for (size_t d = 0; d < ndeps; d++) {
        const ref_dep *dep = ref_dep_at(d);
        size_t da = nposts + d;
        snprintf(code[da], sizeof code[da], "D%s", dep->code);
        used[da] = 1;
        for (size_t r = 0; r < nreg; r++)
            if (strcmp(ref_region_at(r)->code, dep->region) == 0) {
                parent[da] = nposts + ndeps + r;
                used[parent[da]] = 1;
            }
        for (int k = 0; k < (d % 2 ? 4 : 5); k++, post++) {
            snprintf(code[post], sizeof code[post], "ISCG-%s%s-%02d",
                     strlen(dep->code) == 2 ? "0" : "", dep->code, k + 1);
            parent[post] = da;
            used[post] = 1;
            for (int m = 0; m < 12; m++)
                draw_leaf(it, nit, &val[(post * NPER + (size_t)m) * nit], scale);
        }
    }
    /* Up the time axis for posts, then up the geography for every period. */
    for (size_t a = 0; a < nposts; a++)
        for (int m = 0; m < 12; m++)
            for (size_t x = 0; x < nit; x++) {
                double v = val[(a * NPER + (size_t)m) * nit + x];
                val[(a * NPER + 12 + (size_t)m / 3) * nit + x] += v;
                val[(a * NPER + 16) * nit + x] += v;
            }
    for (size_t a = 0; a + 1 < narea; a++)
        for (size_t x = 0; x < (size_t)NPER * nit; x++)
            val[parent[a] * NPER * nit + x] += val[a * NPER * nit + x];

    size_t persons = item_at(it, nit, "NB_PERSONNES", -1, NULL, 0);
    size_t contacts = item_at(it, nit, "NB_CONTACTS", -1, NULL, 0);
    size_t lt15 = item_at(it, nit, "NB_PERSONNES", AGG_AGE, "Y_LT15", 0);
    size_t y15 = item_at(it, nit, "NB_PERSONNES", AGG_AGE, "Y15T17", 0);
    size_t agu = item_at(it, nit, "NB_PERSONNES", AGG_AGE, "_U", 0);
    size_t nsp = item_at(it, nit, NULL, 0, NULL, HID_NSP);
    size_t non = item_at(it, nit, NULL, 0, NULL, HID_NON);
    size_t ori = item_at(it, nit, NULL, 0, NULL, HID_ORIENTEES);
    for (size_t a = 0; a < narea; a++) {
        if (!used[a])
            continue;
        for (int p = 0; p < NPER; p++) {
            char per[24], bd[64];
            period_code(p, per, sizeof per);
            const double *v = &val[(a * NPER + (size_t)p) * nit];
            for (size_t x = 0; x < nit; x++) {
                if (it[x].hidden)
                    continue;
                bd[0] = '\0';
                if (it[x].dim >= 0)
                    snprintf(bd, sizeof bd, "%s=%s", dims[it[x].dim],
                             ref_at((ref_list)it[x].list, it[x].code)->code);
                add(t, it[x].mesure, code[a], per, bd, v[x]);
                if (it[x].dim >= 0)
                    add_pct(t, it[x].dim == AGG_MODE ? "PART_CONTACTS" : "PART_PERSONNES",
                            code[a], per, bd, (long)v[x],
                            (long)v[it[x].dim == AGG_MODE ? contacts : persons]);
            }
            long np = (long)v[persons];
            add_pct(t, "PART_NSP_SS", code[a], per, "", (long)v[nsp], np);
            add_pct(t, "PART_INCONNUS_SS", code[a], per, "", (long)v[non], np - (long)v[nsp]);
            add_pct(t, "PART_ORIENTEES", code[a], per, "", (long)v[ori], np);
            add_pct(t, "PART_MINEURS", code[a], per, "", (long)(v[lt15] + v[y15]),
                    np - (long)v[agu]);
        }
    }
    free(val);
    free(code);
    free(parent);
    free(used);
}

static void count_status(const table *t, size_t *nc, size_t *nd)
{
    *nc = *nd = 0;
    for (size_t i = 0; i < t->n; i++) {
        *nc += t->v[i].conf_status == 'C';
        *nd += t->v[i].conf_status == 'D';
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    table t = {0};
    gen_year(&t, 12, 25);
    size_t n = t.n;
    size_t *perm = malloc(n * sizeof *perm);
    agg_cell *shuffled = malloc(n * sizeof *shuffled);
    assert_true(perm && shuffled);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd((unsigned)i + 1), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    for (size_t i = 0; i < n; i++)
        shuffled[i] = t.v[perm[i]];
    protect(&t, 11);
    obs_err e;
    assert_int_equal(agg_sdc_apply(shuffled, n, 11, &e), OBS_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(shuffled[i].conf_status, t.v[perm[i]].conf_status);
    size_t nc, nd;
    count_status(&t, &nc, &nd);
    assert_true(nc > 0 && nd > 0); /* the test means something */
    assert_safe(&t, 11);
    free(perm);
    free(shuffled);
    free(t.v);
}

/* The peak resident memory since the last reset_peak (Linux: VmHWM), in MiB; -1 if unknown. */
static long peak_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* A demo-year-sized table (all départements, ~450 posts, the stored measures and breakdowns:
 * about the 1.3 million cells of a national year with posts): completes, passes the audit;
 * time and memory printed (docs/disclosure-control.md quotes them). */
static void test_size(void **state)
{
    (void)state;
    table t = {0};
    gen_year(&t, 200, 40);
    assert_true(t.n > 1000000);
    agg_cell *exact = malloc(t.n * sizeof *exact); /* without the growth slack */
    assert_non_null(exact);
    memcpy(exact, t.v, t.n * sizeof *exact);
    free(t.v);
    t.v = exact;
    reset_peak();
    long base = peak_mib();
    clock_t t0 = clock();
    protect(&t, 11);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    long sdc_peak = peak_mib();
    size_t nc, nd;
    count_status(&t, &nc, &nd);
    reset_peak();
    long abase = peak_mib();
    t0 = clock();
    assert_safe(&t, 11);
    double asecs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    fprintf(stderr, "sdc: %zu cells (%ld MiB), %zu C, %zu D, %.2f s, peak +%ld MiB; audit %.2f s, "
            "peak +%ld MiB\n", t.n, (long)(t.n * sizeof *t.v >> 20), nc, nd, secs,
            sdc_peak - base, asecs, peak_mib() - abase);
    assert_true(nc > 0 && nd > 0);
    free(t.v);
}

int main(void)
{
    obs_err e;
    if (ref_init(&e) != OBS_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
