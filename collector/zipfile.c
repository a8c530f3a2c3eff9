/* zipfile.c: the zip container of a spreadsheet upload, opened with libzip from memory and
 * checked before any entry is inflated: entry count, names, encryption, declared sizes, the
 * total and the compression ratio; each entry is then inflated under its checked size, so
 * a lying central directory cannot make us inflate more than the limits (see sheet.h).
 */
#include "sheet.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct col_zip {
    zip_t *zip;
    zip_int64_t n;
};

/* Report a problem of the container (line 0: the whole file). */
static obs_status zip_refuse(col_report *rep, const char *code, const char *msg)
{
    obs_status rc = col_report_add(rep, 0, "", code, "%s", msg);
    return rc ? rc : OBS_ERR_INPUT;
}

/* 1 when an entry name is unsafe: absolute, a drive letter, a backslash, a ".." part,
 * a control character. */
static int bad_name(const char *name)
{
    if (name[0] == '\0' || name[0] == '/' || (name[0] && name[1] == ':'))
        return 1;
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return 1;
    }
    for (const char *p = name; p;) {
        const char *e = strchr(p, '/');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* Open and check (see sheet.h). */
obs_status col_zip_open(const char *data, size_t len, col_zip **out, col_report *rep)
{
    *out = NULL;
    if (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return zip_refuse(rep, "E_SHEET_ENCRYPTED",
                          "Le classeur est protégé par un mot de passe (ou au format Excel 97-2003 "
                          ".xls) : enregistrez-le sans mot de passe au format .xlsx ou .ods, puis "
                          "déposez-le à nouveau.");
    if (len < 4 || memcmp(data, "PK", 2) != 0)
        return zip_refuse(rep, "E_SHEET_NOT_ZIP",
                          "Le fichier n'est pas un classeur .xlsx ou .ods lisible : enregistrez la "
                          "grille depuis le tableur au format .xlsx ou .ods.");
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &err);
    if (src == NULL) {
        zip_error_fini(&err);
        return OBS_ERR_NOMEM;
    }
    zip_t *zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    int zerr = zip_error_code_zip(&err);
    zip_error_fini(&err);
    if (zip == NULL) {
        zip_source_free(src);
        if (zerr == ZIP_ER_MEMORY)
            return OBS_ERR_NOMEM;
        return zip_refuse(rep, "E_SHEET_NOT_ZIP",
                          "Le classeur est abîmé ou n'est pas au format .xlsx ou .ods : "
                          "enregistrez-le à nouveau depuis le tableur.");
    }
    obs_status rc = OBS_OK;
    zip_int64_t n = zip_get_num_entries(zip, 0);
    if (n < 0 || n > COL_ZIP_MAX_ENTRIES) {
        rc = zip_refuse(rep, "E_ZIP_ENTRIES",
                        "Le classeur contient trop de fichiers internes (plus de 256) : ce n'est "
                        "pas une grille ordinaire, il est refusé.");
        goto out;
    }
    size_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(zip, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
            rc = zip_refuse(rep, "E_SHEET_NOT_ZIP",
                            "Le classeur est abîmé : enregistrez-le à nouveau depuis le tableur.");
            goto out;
        }
        if (bad_name(st.name)) {
            rc = zip_refuse(rep, "E_ZIP_NAME",
                            "Le classeur contient un fichier interne au nom dangereux (chemin "
                            "absolu ou « .. ») : il est refusé.");
            goto out;
        }
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            rc = zip_refuse(rep, "E_SHEET_ENCRYPTED",
                            "Le classeur est chiffré (protégé par un mot de passe) : enregistrez-le "
                            "sans mot de passe, puis déposez-le à nouveau.");
            goto out;
        }
        if (st.size > COL_ZIP_MAX_ENTRY || st.size > COL_ZIP_MAX_TOTAL - total) {
            rc = zip_refuse(rep, "E_ZIP_TOO_LARGE",
                            "Le classeur décompressé dépasse la taille permise (64 Mio par fichier "
                            "interne, 128 Mio en tout) : il est refusé.");
            goto out;
        }
        total += st.size;
    }
    for (zip_int64_t i = 0; i < n; i++) { /* sizes all fit: now each entry's ratio */
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(zip, (zip_uint64_t)i, 0, &st) == 0 && st.size > COL_ZIP_RATIO_FLOOR &&
            st.size / COL_ZIP_MAX_RATIO > st.comp_size) {
            rc = zip_refuse(rep, "E_ZIP_RATIO",
                            "Le classeur est anormalement compressé (bombe de décompression) : il "
                            "est refusé.");
            goto out;
        }
    }
    *out = calloc(1, sizeof **out);
    if (*out == NULL) {
        rc = OBS_ERR_NOMEM;
        goto out;
    }
    (*out)->zip = zip;
    (*out)->n = n;
    return OBS_OK;
out:
    zip_discard(zip);
    return rc;
}

int col_zip_has(const col_zip *z, const char *name)
{
    return zip_name_locate(z->zip, name, 0) >= 0;
}

int col_zip_has_prefix(const col_zip *z, const char *prefix)
{
    size_t k = strlen(prefix);
    for (zip_int64_t i = 0; i < z->n; i++) {
        const char *name = zip_get_name(z->zip, (zip_uint64_t)i, 0);
        if (name && strncmp(name, prefix, k) == 0)
            return 1;
    }
    return 0;
}

/* Read one entry under its declared (and checked) size (see sheet.h). */
obs_status col_zip_read(col_zip *z, const char *name, obs_buf *out, col_report *rep)
{
    obs_buf_reset(out);
    zip_int64_t idx = zip_name_locate(z->zip, name, 0);
    if (idx < 0) {
        obs_status rc = col_report_add(rep, 0, "", "E_SHEET_STRUCTURE",
                                       "Le classeur n'a pas la partie « %s » attendue : "
                                       "enregistrez-le à nouveau au format .xlsx ou .ods.",
                                       name);
        return rc ? rc : OBS_ERR_INPUT;
    }
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z->zip, (zip_uint64_t)idx, 0, &st) != 0)
        return zip_refuse(rep, "E_SHEET_NOT_ZIP", "Le classeur est abîmé : enregistrez-le à "
                                                  "nouveau depuis le tableur.");
    zip_file_t *f = zip_fopen_index(z->zip, (zip_uint64_t)idx, 0);
    if (f == NULL)
        return zip_refuse(rep, "E_SHEET_NOT_ZIP", "Le classeur est abîmé : enregistrez-le à "
                                                  "nouveau depuis le tableur.");
    obs_status rc = OBS_OK;
    char chunk[16384];
    size_t got = 0;
    for (;;) {
        zip_int64_t k = zip_fread(f, chunk, sizeof chunk);
        if (k < 0) {
            rc = zip_refuse(rep, "E_SHEET_NOT_ZIP", "Le classeur est abîmé : enregistrez-le à "
                                                    "nouveau depuis le tableur.");
            break;
        }
        if (k == 0)
            break;
        got += (size_t)k;
        if (got > st.size) { /* inflates past its declaration: a bomb */
            rc = zip_refuse(rep, "E_ZIP_TOO_LARGE",
                            "Le classeur décompressé dépasse la taille qu'il annonce : il est "
                            "refusé.");
            break;
        }
        rc = obs_buf_append(out, chunk, (size_t)k);
        if (rc)
            break;
    }
    zip_fclose(f);
    if (rc)
        obs_buf_reset(out);
    return rc;
}

void col_zip_close(col_zip *z)
{
    if (z == NULL)
        return;
    zip_discard(z->zip);
    free(z);
}
