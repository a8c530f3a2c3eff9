/* sdmx_dsd.c: the SDMX model (dimensions, attributes, concepts, code lists) built once from the
 * reference data; see sdmx_dsd.h. */
#include "sdmx_dsd.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "publish.h"
#include "ref.h"

#define MAX_CODES 160

typedef struct cl_def {
    const char *id;
    const char *name_fr;
    const char *name_en;
    int ref;                  /* ref_list of a domain list, -1 for an SDMX-only list */
    int with_total;           /* add "_T" (all) after the reference codes */
    const exp_code *fixed;    /* SDMX-only lists */
    size_t nfixed;
} cl_def;

static const exp_code FREQ_CODES[] = {
    {"M", "Mensuelle", "Monthly", NULL},
    {"Q", "Trimestrielle", "Quarterly", NULL},
    {"A", "Annuelle", "Annual", NULL},
};
static const exp_code UNIT_CODES[] = {
    {"PERSONNES", "Personnes", "Persons", NULL},
    {"CONTACTS", "Contacts", "Contacts", NULL},
    {"PCT", "Pourcentage", "Percentage", NULL},
    {"POSTES", "Postes", "Posts", NULL},
    {"GRILLES", "Grilles", "Grids", NULL},
};
static const exp_code MULT_CODES[] = {
    {"0", "Unités", "Units", NULL},
};
static const exp_code DECIMALS_CODES[] = {
    {"0", "Zéro", "Zero", NULL},
    {"1", "Un", "One", NULL},
};
static const exp_code OBS_STATUS_CODES[] = {
    {"A", "Valeur définitive", "Normal value", NULL},
    {"P", "Valeur provisoire", "Provisional value", NULL},
    {"Q", "Valeur non publiée (secret statistique)", "Missing value; suppressed", NULL},
};
static const exp_code CONF_STATUS_CODES[] = {
    {"F", "Libre", "Free", NULL},
    {"C", "Confidentiel (secret primaire)", "Confidential statistical information",
     NULL},
    {"D", "Confidentiel (secret secondaire)", "Secondary confidentiality set by the sender",
     NULL},
};

#define FIXED(a) a, OBS_ARRAY_LEN(a)
static const cl_def CL[EXP_NCL] = {
    [EXP_CL_FREQ] = {"CL_FREQ", "Fréquence", "Frequency", -1, 0, FIXED(FREQ_CODES)},
    [EXP_CL_AREA] = {"CL_AREA_ISCG", "Zone géographique", "Reference area", -1, 0, NULL, 0},
    [EXP_CL_MESURE] = {"CL_MESURE", "Mesure", "Measure", REF_MESURE, 0, NULL, 0},
    [EXP_CL_SEXE] = {"CL_SEXE", "Sexe", "Sex", REF_SEXE, 1, NULL, 0},
    [EXP_CL_AGE] = {"CL_AGE", "Tranche d'âge", "Age band", REF_AGE, 1, NULL, 0},
    [EXP_CL_STATUT] = {"CL_STATUT", "Statut de la personne", "Status of the person",
                       REF_STATUT, 1, NULL, 0},
    [EXP_CL_ORIGINE] = {"CL_ORIGINE", "Origine de la demande", "Origin of the referral",
                        REF_ORIGINE, 1, NULL, 0},
    [EXP_CL_PROBLEMATIQUE] = {"CL_PROBLEMATIQUE", "Problématique", "Problem", REF_PROBLEMATIQUE,
                              1, NULL, 0},
    [EXP_CL_PARTENAIRE] = {"CL_PARTENAIRE", "Partenaire d'orientation", "Partner referred to",
                           REF_PARTENAIRE, 1, NULL, 0},
    [EXP_CL_MODE] = {"CL_MODE", "Mode d'intervention", "Mode of contact", REF_MODE, 1, NULL, 0},
    [EXP_CL_UNIT_MEASURE] = {"CL_UNIT_MEASURE", "Unité de mesure", "Unit of measure", -1, 0,
                             FIXED(UNIT_CODES)},
    [EXP_CL_UNIT_MULT] = {"CL_UNIT_MULT", "Multiplicateur d'unité", "Unit multiplier", -1, 0,
                          FIXED(MULT_CODES)},
    [EXP_CL_DECIMALS] = {"CL_DECIMALS", "Nombre de décimales", "Decimals", -1, 0,
                         FIXED(DECIMALS_CODES)},
    [EXP_CL_OBS_STATUS] = {"CL_OBS_STATUS", "Statut de l'observation", "Observation status",
                           -1, 0, FIXED(OBS_STATUS_CODES)},
    [EXP_CL_CONF_STATUS] = {"CL_CONF_STATUS", "Statut de confidentialité",
                            "Confidentiality status", -1, 0, FIXED(CONF_STATUS_CODES)},
};

static const char *const DIM_IDS[EXP_NDIMS + 1] = {
    "FREQ",    "REF_AREA",      "MESURE",     "SEXE", "AGE",        "STATUT",
    "ORIGINE", "PROBLEMATIQUE", "PARTENAIRE", "MODE", "TIME_PERIOD",
};
static const exp_cl DIM_CL[EXP_NDIMS] = {
    EXP_CL_FREQ,    EXP_CL_AREA,          EXP_CL_MESURE,     EXP_CL_SEXE, EXP_CL_AGE,
    EXP_CL_STATUT,  EXP_CL_ORIGINE,       EXP_CL_PROBLEMATIQUE, EXP_CL_PARTENAIRE,
    EXP_CL_MODE,
};
static const char *const ATTR_IDS[EXP_NATTRS] = {"UNIT_MEASURE", "UNIT_MULT", "DECIMALS",
                                                 "OBS_STATUS", "CONF_STATUS"};
static const exp_cl ATTR_CL[EXP_NATTRS] = {EXP_CL_UNIT_MEASURE, EXP_CL_UNIT_MULT,
                                           EXP_CL_DECIMALS, EXP_CL_OBS_STATUS,
                                           EXP_CL_CONF_STATUS};

static const exp_concept CONCEPTS[] = {
    {"FREQ", "Fréquence", "Frequency"},
    {"REF_AREA", "Zone géographique", "Reference area"},
    {"MESURE", "Mesure", "Measure"},
    {"SEXE", "Sexe", "Sex"},
    {"AGE", "Tranche d'âge", "Age band"},
    {"STATUT", "Statut de la personne", "Status of the person"},
    {"ORIGINE", "Origine de la demande", "Origin of the referral"},
    {"PROBLEMATIQUE", "Problématique", "Problem"},
    {"PARTENAIRE", "Partenaire d'orientation", "Partner referred to"},
    {"MODE", "Mode d'intervention", "Mode of contact"},
    {"TIME_PERIOD", "Période", "Time period"},
    {"OBS_VALUE", "Valeur de l'observation", "Observation value"},
    {"UNIT_MEASURE", "Unité de mesure", "Unit of measure"},
    {"UNIT_MULT", "Multiplicateur d'unité", "Unit multiplier"},
    {"DECIMALS", "Nombre de décimales", "Decimals"},
    {"OBS_STATUS", "Statut de l'observation", "Observation status"},
    {"CONF_STATUS", "Statut de confidentialité", "Confidentiality status"},
};

/* The built tables: codes of every list, with storage for the area codes ("R84", "D974"). */
static struct {
    exp_code codes[EXP_NCL][MAX_CODES];
    size_t n[EXP_NCL];
    char area_ids[MAX_CODES][8];
    char area_parents[MAX_CODES][8];
    obs_status rc;
} M;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int add(exp_cl c, const char *id, const char *fr, const char *en, const char *parent)
{
    if (M.n[c] == MAX_CODES)
        return -1;
    M.codes[c][M.n[c]++] = (exp_code){id, fr, en, parent};
    return 0;
}

static int build_areas(void)
{
    size_t k = 0;
    if (add(EXP_CL_AREA, "FR", "France", "France", NULL))
        return -1;
    for (size_t i = 0; i < ref_region_count() && k < MAX_CODES; i++, k++) {
        const ref_region *r = ref_region_at(i);
        snprintf(M.area_ids[k], sizeof M.area_ids[k], "R%s", r->code);
        if (add(EXP_CL_AREA, M.area_ids[k], r->name, r->name, "FR"))
            return -1;
    }
    for (size_t i = 0; i < ref_dep_count() && k < MAX_CODES; i++, k++) {
        const ref_dep *d = ref_dep_at(i);
        snprintf(M.area_ids[k], sizeof M.area_ids[k], "D%s", d->code);
        snprintf(M.area_parents[k], sizeof M.area_parents[k], "R%s", d->region);
        if (add(EXP_CL_AREA, M.area_ids[k], d->name, d->name, M.area_parents[k]))
            return -1;
    }
    return k == ref_region_count() + ref_dep_count() ? 0 : -1;
}

static void build(void)
{
    M.rc = OBS_ERR_INTERNAL;
    for (int c = 0; c < EXP_NCL; c++) {
        const cl_def *d = &CL[c];
        if (d->fixed) {
            for (size_t i = 0; i < d->nfixed; i++)
                if (add((exp_cl)c, d->fixed[i].id, d->fixed[i].name_fr, d->fixed[i].name_en,
                        NULL))
                    return;
            continue;
        }
        if (c == EXP_CL_AREA) {
            if (build_areas())
                return;
            continue;
        }
        for (size_t i = 0; i < ref_count((ref_list)d->ref); i++) {
            const ref_code *r = ref_at((ref_list)d->ref, i);
            if (add((exp_cl)c, r->code, r->label_fr, r->label_en, NULL))
                return;
        }
        if (d->with_total && add((exp_cl)c, "_T", "Total", "Total", NULL))
            return;
    }
    M.rc = OBS_OK;
}

obs_status exp_dsd_init(obs_err *e)
{
    pthread_once(&once, build);
    if (M.rc)
        return obs_fail(e, M.rc, "E_SDMX_MODEL", "référentiels incompatibles avec le modèle SDMX");
    return OBS_OK;
}

const char *exp_dim_id(int d)
{
    return d >= 0 && d <= EXP_NDIMS ? DIM_IDS[d] : "AllDimensions";
}

int exp_dim_find(const char *id)
{
    for (int d = 0; d <= EXP_NDIMS; d++)
        if (strcmp(DIM_IDS[d], id) == 0)
            return d;
    return -2;
}

exp_cl exp_dim_cl(exp_dim d)
{
    return DIM_CL[d];
}

const char *exp_attr_id(exp_attr a)
{
    return ATTR_IDS[a];
}

exp_cl exp_attr_cl(exp_attr a)
{
    return ATTR_CL[a];
}

int exp_attr_is_series(exp_attr a)
{
    return a <= EXP_A_DECIMALS;
}

const char *exp_cl_id(exp_cl c)
{
    return CL[c].id;
}

const char *exp_cl_name(exp_cl c, int english)
{
    return english ? CL[c].name_en : CL[c].name_fr;
}

size_t exp_cl_count(exp_cl c)
{
    return M.n[c];
}

const exp_code *exp_cl_at(exp_cl c, size_t i)
{
    return i < M.n[c] ? &M.codes[c][i] : NULL;
}

int exp_cl_find(exp_cl c, const char *code, size_t len)
{
    for (size_t i = 0; i < M.n[c]; i++)
        if (strlen(M.codes[c][i].id) == len && memcmp(M.codes[c][i].id, code, len) == 0)
            return (int)i;
    return -1;
}

size_t exp_concept_count(void)
{
    return OBS_ARRAY_LEN(CONCEPTS);
}

const exp_concept *exp_concept_at(size_t i)
{
    return i < OBS_ARRAY_LEN(CONCEPTS) ? &CONCEPTS[i] : NULL;
}

const char *exp_unit_of(const char *mesure)
{
    const char *u = agg_unit(mesure);
    return u[0] ? u : NULL;
}

int exp_decimals_of(const char *mesure)
{
    const char *u = exp_unit_of(mesure);
    if (u == NULL)
        return -1;
    return strcmp(u, "PCT") == 0 ? 1 : 0;
}
