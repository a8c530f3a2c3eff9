/* ref.c: parses the embedded reference files once and answers look-ups (see ref.h). */
#include "ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const char ref_blob_codelists[];
extern const char ref_blob_departements[];
extern const char ref_blob_regions[];
extern const char ref_blob_grid_xsd[];

#define REF_MAX_CODES 64
#define REF_MAX_DEPS 128
#define REF_MAX_REGIONS 32

static const char *const list_ids[REF_NLISTS] = {
    "CL_SEXE",     "CL_AGE",          "CL_STATUT",       "CL_ORIGINE",
    "CL_CONNU_SS", "CL_PROBLEMATIQUE", "CL_PARTENAIRE",   "CL_MODE",
    "CL_FORCE",    "CL_EMPLOYEUR",    "CL_MESURE",
};

static struct {
    int ready;
    char *text[3]; /* private copies of the CSV blobs, split in place; live for the process */
    ref_code codes[REF_NLISTS][REF_MAX_CODES];
    size_t ncodes[REF_NLISTS];
    size_t code_len[REF_NLISTS][REF_MAX_CODES]; /* strlen of each code (ref_match) */
    ref_dep deps[REF_MAX_DEPS];
    size_t ndeps;
    const ref_dep *deps_by_code[REF_MAX_DEPS]; /* sorted by code (ref_dep_find) */
    ref_region regions[REF_MAX_REGIONS];
    size_t nregions;
} R;

/* Split the next line of *p into at most n fields separated by sep; returns the number of
 * fields, 0 at the end of the text. Lines end with LF (a CR before it is dropped). */
static size_t next_line(char **p, char sep, char **f, size_t n)
{
    char *s = *p;
    if (*s == '\0')
        return 0;
    char *end = strchr(s, '\n');
    if (end) {
        *end = '\0';
        *p = end + 1;
    } else {
        *p = s + strlen(s);
    }
    size_t len = strlen(s);
    if (len && s[len - 1] == '\r')
        s[len - 1] = '\0';
    size_t k = 0;
    f[k++] = s;
    for (char *c = s; *c && k < n; c++) {
        if (*c == sep) {
            *c = '\0';
            f[k++] = c + 1;
        }
    }
    return k;
}

static int list_index(const char *id)
{
    for (int i = 0; i < REF_NLISTS; i++)
        if (strcmp(list_ids[i], id) == 0)
            return i;
    return -1;
}

static int dep_cmp(const void *a, const void *b)
{
    return strcmp((*(const ref_dep *const *)a)->code, (*(const ref_dep *const *)b)->code);
}

obs_status ref_init(obs_err *e)
{
    if (R.ready)
        return OBS_OK;
    const char *blobs[3] = {ref_blob_codelists, ref_blob_departements, ref_blob_regions};
    for (int i = 0; i < 3; i++) {
        R.text[i] = strdup(blobs[i]);
        if (R.text[i] == NULL)
            return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    char *p = R.text[0], *f[4];
    next_line(&p, ';', f, 4); /* header */
    size_t nf;
    while ((nf = next_line(&p, ';', f, 4)) != 0) {
        if (nf == 1 && f[0][0] == '\0')
            continue;
        int l = nf == 4 ? list_index(f[0]) : -1;
        if (l < 0 || R.ncodes[l] >= REF_MAX_CODES)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_REFDATA", "codelists.csv: ligne invalide");
        R.code_len[l][R.ncodes[l]] = strlen(f[1]);
        R.codes[l][R.ncodes[l]++] = (ref_code){f[1], f[2], f[3]};
    }
    p = R.text[1];
    next_line(&p, ',', f, 3);
    while ((nf = next_line(&p, ',', f, 3)) != 0) {
        if (nf == 1 && f[0][0] == '\0')
            continue;
        if (nf != 3 || R.ndeps >= REF_MAX_DEPS)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_REFDATA", "departements.csv: ligne invalide");
        R.deps[R.ndeps++] = (ref_dep){f[0], f[1], f[2]};
    }
    p = R.text[2];
    next_line(&p, ',', f, 2);
    while ((nf = next_line(&p, ',', f, 2)) != 0) {
        if (nf == 1 && f[0][0] == '\0')
            continue;
        if (nf != 2 || R.nregions >= REF_MAX_REGIONS)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_REFDATA", "regions.csv: ligne invalide");
        R.regions[R.nregions++] = (ref_region){f[0], f[1]};
    }
    for (size_t i = 0; i < R.ndeps; i++)
        R.deps_by_code[i] = &R.deps[i];
    qsort(R.deps_by_code, R.ndeps, sizeof *R.deps_by_code, dep_cmp);
    for (int l = 0; l < REF_NLISTS; l++)
        if (R.ncodes[l] == 0)
            return obs_fail(e, OBS_ERR_INTERNAL, "E_REFDATA", "liste %s vide", list_ids[l]);
    if (R.ncodes[REF_PROBLEMATIQUE] > 31 || R.ncodes[REF_PARTENAIRE] > 31)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_REFDATA", "trop de codes pour un masque de 31 bits");
    R.ready = 1;
    return OBS_OK;
}

const char *ref_list_id(ref_list l)
{
    return (unsigned)l < REF_NLISTS ? list_ids[l] : NULL;
}

size_t ref_count(ref_list l)
{
    return (unsigned)l < REF_NLISTS ? R.ncodes[l] : 0;
}

const ref_code *ref_at(ref_list l, size_t i)
{
    return (unsigned)l < REF_NLISTS && i < R.ncodes[l] ? &R.codes[l][i] : NULL;
}

int ref_find(ref_list l, const char *code)
{
    for (size_t i = 0; i < ref_count(l); i++)
        if (strcmp(R.codes[l][i].code, code) == 0)
            return (int)i;
    return -1;
}

int ref_match(ref_list l, const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    for (size_t i = 0; i < ref_count(l); i++)
        if (R.code_len[l][i] == len && strncasecmp(R.codes[l][i].code, s, len) == 0)
            return (int)i;
    return -1;
}

size_t ref_dep_count(void) { return R.ndeps; }
const ref_dep *ref_dep_at(size_t i) { return i < R.ndeps ? &R.deps[i] : NULL; }
size_t ref_region_count(void) { return R.nregions; }
const ref_region *ref_region_at(size_t i) { return i < R.nregions ? &R.regions[i] : NULL; }

const ref_dep *ref_dep_find(const char *code)
{
    ref_dep key = {.code = code};
    const ref_dep *k = &key;
    const ref_dep *const *hit = bsearch(&k, R.deps_by_code, R.ndeps, sizeof *R.deps_by_code, dep_cmp);
    return hit ? *hit : NULL;
}

const ref_region *ref_region_find(const char *code)
{
    for (size_t i = 0; i < R.nregions; i++)
        if (strcmp(R.regions[i].code, code) == 0)
            return &R.regions[i];
    return NULL;
}

const ref_dep *ref_dep_of_postcode(const char *cp)
{
    for (int i = 0; i < 5; i++)
        if (!isdigit((unsigned char)cp[i]))
            return NULL;
    if (cp[5] != '\0')
        return NULL;
    char dep[4] = {cp[0], cp[1], '\0', '\0'};
    if (cp[0] == '2' && cp[1] == '0') {
        int n = (cp[2] - '0') * 100 + (cp[3] - '0') * 10 + (cp[4] - '0');
        dep[1] = n < 200 ? 'A' : 'B';
    } else if (cp[0] == '9' && cp[1] == '7') {
        int third = cp[2] - '0';
        if (third < 1 || third > 6)
            return NULL;
        dep[2] = cp[2];
    }
    return ref_dep_find(dep);
}

const char *ref_grid_xsd(size_t *len)
{
    if (len)
        *len = strlen(ref_blob_grid_xsd);
    return ref_blob_grid_xsd;
}

const char *ref_codelists_csv(void) { return ref_blob_codelists; }

int ref_post_code_valid(const char *s)
{
    if (strlen(s) != 11 || strncmp(s, "ISCG-", 5) != 0 || s[8] != '-')
        return 0;
    for (int i = 5; i < 8; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != 'A' && s[i] != 'B')
            return 0;
    return isdigit((unsigned char)s[9]) && isdigit((unsigned char)s[10]);
}
