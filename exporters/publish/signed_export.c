/* signed_export.c: signing the folders `iscgobs export` writes, checking them, and the route
 * of the public key (see signed_export.h). A reader needs nothing of ours to check a file:
 *   openssl pkeyutl -verify -pubin -inkey publication-key.pem -rawin -in F -sigfile F.sig
 */
#include "signed_export.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"

enum { NOTED_MAX = 128, NAME_MAX_LEN = 255 };

static char *noted[NOTED_MAX];
static size_t noted_n;
static int noted_overflow;

void exp_publish_note(const char *path)
{
    if (noted_n == NOTED_MAX || (noted[noted_n] = strdup(path)) == NULL) {
        noted_overflow = 1;
        return;
    }
    noted_n++;
}

static void noted_clear(void)
{
    for (size_t i = 0; i < noted_n; i++)
        free(noted[i]);
    noted_n = 0;
    noted_overflow = 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A name the manifest may list: a plain file name, neither hidden, a signature, a temporary
 * file nor the manifest itself. */
static int publication_name(const char *name)
{
    return name[0] != '.' && strlen(name) <= NAME_MAX_LEN && strchr(name, '/') == NULL &&
           !ends_with(name, ".sig") && !ends_with(name, ".tmp") && strcmp(name, EXP_MANIFEST) != 0;
}

/* SHA-256 (hex) of path when path.sig is a valid signature by s: 1; else 0. */
static int signed_sha256(const obs_signer *s, const char *path, char hex[65])
{
    obs_err e;
    obs_err_clear(&e);
    if (obs_sign_verify_file(s, path, &e) != OBS_OK)
        return 0;
    obs_file_map m;
    if (obs_file_map_open(path, &m, &e) != OBS_OK)
        return 0;
    uint8_t sum[32];
    obs_sha256(m.data, m.len, sum);
    obs_file_map_close(&m);
    obs_hex(sum, sizeof sum, hex);
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's publication files, sorted (malloc'd array of malloc'd names). */
static obs_status list_dir(const char *dir, char ***names, size_t *n, obs_err *e)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return obs_fail(e, OBS_ERR_IO, "E_EXPORT_DIR", "impossible de lire le dossier %s", dir);
    size_t cap = 0;
    obs_status rc = OBS_OK;
    struct dirent *de;
    while (rc == OBS_OK && (de = readdir(d)) != NULL) {
        if (!publication_name(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (nn == NULL) {
                rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
                break;
            }
            *names = nn;
        }
        if (((*names)[*n] = strdup(de->d_name)) == NULL)
            rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        else
            (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_names);
    return rc;
}

/* Rewrite dir/SHA256SUMS from the validly signed files of dir, then sign it. */
static obs_status write_manifest(const obs_signer *s, const char *dir, obs_err *e)
{
    char **names = NULL;
    size_t n = 0;
    char path[1200], tmp[1210];
    obs_status rc = list_dir(dir, &names, &n, e);
    snprintf(path, sizeof path, "%s/%s", dir, EXP_MANIFEST);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = rc ? NULL : fopen(tmp, "wb");
    if (rc == OBS_OK && f == NULL)
        rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "impossible d'écrire %s : %s", tmp,
                      strerror(errno));
    for (size_t i = 0; rc == OBS_OK && i < n; i++) {
        char fp[1200], hex[65];
        snprintf(fp, sizeof fp, "%s/%s", dir, names[i]);
        if (signed_sha256(s, fp, hex) && fprintf(f, "%s  %s\n", hex, names[i]) < 0)
            rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "écriture de %s impossible", tmp);
    }
    if (f && fclose(f) != 0 && rc == OBS_OK)
        rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "écriture de %s impossible", tmp);
    if (rc == OBS_OK && rename(tmp, path) != 0)
        rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "impossible de renommer %s", tmp);
    if (f && rc)
        remove(tmp);
    if (rc == OBS_OK)
        rc = obs_sign_file(s, path, e);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

obs_status exp_publish_seal(const obs_signer *s, const char *dir, obs_err *e)
{
    obs_status rc = OBS_OK;
    if (noted_overflow)
        rc = obs_fail(e, OBS_ERR_INTERNAL, "E_SIGN", "trop de fichiers écrits pour les signer");
    for (size_t i = 0; rc == OBS_OK && i < noted_n; i++)
        rc = obs_sign_file(s, noted[i], e);
    if (rc == OBS_OK)
        rc = write_manifest(s, dir, e);
    if (rc == OBS_OK)
        fprintf(stderr, "signé : %zu fichier(s), manifeste %s/%s et sa signature\n", noted_n,
                dir, EXP_MANIFEST);
    noted_clear();
    return rc;
}

/* Check each "<hex>  <name>" line of the manifest m (of folder dir) against its file. */
static obs_status check_entries(const char *dir, const obs_file_map *m, int *checked, obs_err *e)
{
    const char *p = (const char *)m->data, *end = p + m->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char line[NAME_MAX_LEN + 70];
        if (len < 67 || len >= sizeof line || p[64] != ' ' || p[65] != ' ')
            return obs_fail(e, OBS_ERR_INPUT, "E_CHECKSUM_BAD", "manifeste mal formé");
        memcpy(line, p, len);
        line[len] = '\0';
        line[64] = '\0';
        const char *name = line + 66;
        if (!publication_name(name))
            return obs_fail(e, OBS_ERR_INPUT, "E_CHECKSUM_BAD", "manifeste mal formé");
        char fp[1400], hex[65];
        snprintf(fp, sizeof fp, "%s/%s", dir, name);
        obs_file_map f;
        obs_status rc = obs_file_map_open(fp, &f, e);
        if (rc)
            return obs_fail(e, OBS_ERR_INPUT, "E_CHECKSUM_BAD",
                            "fichier du manifeste absent ou illisible : %s", fp);
        uint8_t sum[32];
        obs_sha256(f.data, f.len, sum);
        obs_file_map_close(&f);
        obs_hex(sum, sizeof sum, hex);
        if (strcmp(hex, line) != 0)
            return obs_fail(e, OBS_ERR_INPUT, "E_CHECKSUM_BAD",
                            "empreinte différente de celle du manifeste signé : %s", fp);
        (*checked)++;
        p += len + 1;
    }
    return OBS_OK;
}

obs_status exp_publish_verify(const obs_signer *s, const char *path, int *checked, obs_err *e)
{
    *checked = 0;
    obs_status rc = obs_sign_verify_file(s, path, e);
    if (rc)
        return rc;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strcmp(base, EXP_MANIFEST) != 0) {
        *checked = 1;
        return OBS_OK;
    }
    char dir[1100];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    obs_file_map m;
    if ((rc = obs_file_map_open(path, &m, e)))
        return rc;
    rc = check_entries(dir, &m, checked, e);
    obs_file_map_close(&m);
    return rc;
}

/* ---- GET /publication-key.pem ---- */

static char *public_pem;

void exp_publish_set_public_key(const char *pem)
{
    free(public_pem);
    public_pem = pem ? strdup(pem) : NULL;
}

static void key_get(obs_request *rq, obs_response *rs)
{
    (void)rq;
    if (public_pem == NULL) {
        obs_http_error(rs, 404, "E_NO_SIGNING_KEY",
                       "aucune clé de signature des publications n'est configurée");
        return;
    }
    obs_http_text(rs, 200, "application/x-pem-file", public_pem);
}

const obs_route exp_publish_routes[] = {
    {"GET", "/publication-key.pem", key_get, 0},
};
const size_t exp_publish_routes_count = OBS_ARRAY_LEN(exp_publish_routes);
