/* upload_files.c: what `iscgobs upload` sends: the grid files named on the command line or
 * found in folders (<post>_<YYYY-MM>.csv|.xml|.xlsx|.ods), in sending order, and the reception times
 * of the demo's manifest.csv files (see upload.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "upload.h"

typedef struct up_manifest {
    char *dir;         /* folder holding manifest.csv (owned) */
    char **names;      /* base names of the listed files (owned) */
    char **when;       /* their received_at (owned) */
    size_t n;
} up_manifest;

/* 1 when name is <post>_<YYYY-MM>.csv|.xml|.xlsx|.ods; fills f's post, period and type. */
static int parse_name(const char *name, up_file *f)
{
    size_t len = strlen(name);
    if (len != 11 + 1 + 7 + 4 && len != 11 + 1 + 7 + 5)
        return 0;
    if (strncmp(name, "ISCG-", 5) != 0 || name[8] != '-' || name[11] != '_' || name[16] != '-' ||
        name[19] != '.')
        return 0;
    for (int i = 5; i < 8; i++)
        if (!isdigit((unsigned char)name[i]) && name[i] != 'A' && name[i] != 'B')
            return 0;
    static const int digits[] = {9, 10, 12, 13, 14, 15, 17, 18};
    for (size_t i = 0; i < sizeof digits / sizeof digits[0]; i++)
        if (!isdigit((unsigned char)name[digits[i]]))
            return 0;
    int month = (name[17] - '0') * 10 + (name[18] - '0');
    if (month < 1 || month > 12)
        return 0;
    const char *ext = name + 20;
    if (strcasecmp(ext, "csv") == 0)
        f->xml = 0;
    else if (strcasecmp(ext, "xml") == 0)
        f->xml = 1;
    else if (strcasecmp(ext, "xlsx") == 0)
        f->xml = 2;
    else if (strcasecmp(ext, "ods") == 0)
        f->xml = 3;
    else
        return 0;
    memcpy(f->post, name, 11);
    f->post[11] = '\0';
    memcpy(f->period, name + 12, 7);
    f->period[7] = '\0';
    return 1;
}

/* Add path to the list when its name is a grid name; -1 on memory exhaustion, 0 when the
 * name does not match, 1 when added. */
static int add_file(up_list *l, const char *path)
{
    up_file f;
    memset(&f, 0, sizeof f);
    const char *slash = strrchr(path, '/');
    if (!parse_name(slash ? slash + 1 : path, &f))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        up_file *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    f.path = strdup(path);
    if (f.path == NULL)
        return -1;
    slash = strrchr(f.path, '/');
    f.base = slash ? slash + 1 : f.path;
    l->v[l->n++] = f;
    return 1;
}

/* Add the grid files of one folder (not recursive). -1 on memory exhaustion. */
static int scan_dir(up_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc >= 0 && (e = readdir(d)) != NULL) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        rc = add_file(l, path);
    }
    closedir(d);
    return rc < 0 ? -1 : 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const up_file *)a)->path, ((const up_file *)b)->path);
}

/* Sending order: month by month, posts interleaved, so that concurrent uploads touch
 * different posts (the server serialises the uploads of one post). */
static int by_send_order(const void *a, const void *b)
{
    const up_file *x = a, *y = b;
    int c = strcmp(x->period, y->period);
    if (c == 0)
        c = strcmp(x->post, y->post);
    return c ? c : strcmp(x->path, y->path);
}

int cli_upload_gather(const char *const *paths, int npaths, up_list *l)
{
    for (int i = 0; i < npaths; i++) {
        const char *p = paths[i];
        struct stat st;
        if (stat(p, &st) != 0) {
            fprintf(stderr, "upload : %s : %s\n", p, strerror(errno));
            return 2;
        }
        if (S_ISDIR(st.st_mode)) {
            char sub[4096];
            if (scan_dir(l, p) < 0)
                return -1;
            if (snprintf(sub, sizeof sub, "%s/grids", p) < (int)sizeof sub && scan_dir(l, sub) < 0)
                return -1;
            continue;
        }
        int rc = add_file(l, p);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            fprintf(stderr, "upload : %s : nom inattendu (attendu : <poste>_<AAAA-MM>.csv, .xml, .xlsx ou .ods)\n", p);
            return 2;
        }
    }
    if (l->n == 0) {
        fprintf(stderr, "upload : aucune grille <poste>_<AAAA-MM>.csv|.xml|.xlsx|.ods trouvée\n");
        return 2;
    }
    qsort(l->v, l->n, sizeof *l->v, by_path);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (strcmp(l->v[r].path, l->v[w - 1].path) == 0)
            free(l->v[r].path);
        else
            l->v[w++] = l->v[r];
    }
    l->n = w;
    qsort(l->v, l->n, sizeof *l->v, by_send_order);
    return 0;
}

/* ---- manifests ---- */

static void manifest_free(up_manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->names[i]);
        free(m->when[i]);
    }
    free(m->names);
    free(m->when);
    free(m->dir);
}

/* Load dir/manifest.csv (header file;post;period;received_at, any column order) into m.
 * A missing or unreadable manifest leaves m empty: it is optional. -1 on memory exhaustion. */
static int manifest_load(up_manifest *m, const char *dir)
{
    memset(m, 0, sizeof *m);
    m->dir = strdup(dir);
    if (m->dir == NULL)
        return -1;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/manifest.csv", dir) >= (int)sizeof path)
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int cfile = -1, cwhen = -1, first = 1, rc = 0;
    size_t cap = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *field[8];
        int nf = 0;
        for (char *p = line, *q; nf < 8; p = q + 1) {
            field[nf++] = p;
            q = strchr(p, ';');
            if (q == NULL)
                break;
            *q = '\0';
        }
        if (first) {
            for (int i = 0; i < nf; i++) {
                if (strcmp(field[i], "file") == 0)
                    cfile = i;
                else if (strcmp(field[i], "received_at") == 0)
                    cwhen = i;
            }
            first = 0;
            if (cfile < 0 || cwhen < 0)
                break;
            continue;
        }
        if (cfile >= nf || cwhen >= nf || field[cwhen][0] == '\0')
            continue;
        if (m->n == cap) {
            size_t ncap = cap ? cap * 2 : 512;
            char **a = realloc(m->names, ncap * sizeof *a);
            if (a)
                m->names = a;
            char **b = a ? realloc(m->when, ncap * sizeof *b) : NULL;
            if (b)
                m->when = b;
            if (a == NULL || b == NULL) {
                rc = -1;
                break;
            }
            cap = ncap;
        }
        const char *slash = strrchr(field[cfile], '/');
        m->names[m->n] = strdup(slash ? slash + 1 : field[cfile]);
        m->when[m->n] = strdup(field[cwhen]);
        if (m->names[m->n] == NULL || m->when[m->n] == NULL) {
            free(m->names[m->n]);
            free(m->when[m->n]);
            rc = -1;
            break;
        }
        m->n++;
    }
    fclose(f);
    return rc;
}

/* Attach received_at values to the files from the manifests of their folder or the folder
 * above. Manifests are loaded once per folder. -1 on memory exhaustion. */
int cli_upload_manifests(up_file *files, size_t n)
{
    up_manifest *ms = NULL;
    size_t nm = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        /* The file's folder, then the folder above it ("grids/.." is the demo's DIR). */
        char dirs[2][4104];
        size_t dl = (size_t)(files[i].base - files[i].path);
        if (dl == 0)
            snprintf(dirs[0], sizeof dirs[0], ".");
        else if (dl == 1)
            snprintf(dirs[0], sizeof dirs[0], "/");
        else
            snprintf(dirs[0], 4096, "%.*s", (int)(dl - 1), files[i].path);
        snprintf(dirs[1], sizeof dirs[1], "%.4096s/..", dirs[0]);
        for (int k = 0; k < 2 && files[i].received_at == NULL && rc == 0; k++) {
            size_t j;
            for (j = 0; j < nm && strcmp(ms[j].dir, dirs[k]) != 0; j++)
                ;
            if (j == nm) {
                up_manifest *t = realloc(ms, (nm + 1) * sizeof *t);
                if (t == NULL) {
                    rc = -1;
                    break;
                }
                ms = t;
                if (manifest_load(&ms[nm++], dirs[k]) < 0) {
                    rc = -1;
                    break;
                }
            }
            for (size_t e = 0; e < ms[j].n; e++)
                if (strcmp(ms[j].names[e], files[i].base) == 0) {
                    files[i].received_at = strdup(ms[j].when[e]);
                    if (files[i].received_at == NULL)
                        rc = -1;
                    break;
                }
        }
    }
    for (size_t j = 0; j < nm; j++)
        manifest_free(&ms[j]);
    free(ms);
    return rc;
}
