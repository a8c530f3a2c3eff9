/* upload.h: `iscgobs upload`, the bulk upload client (upload.c), and what it sends, found
 * by upload_files.c. The command is the interface; the types are shared by its two files. */
#ifndef CLI_UPLOAD_H
#define CLI_UPLOAD_H

#include <stddef.h>

/* `iscgobs upload DIR|FILE... --url U --token T [--jobs N]`. Returns 0 (all accepted),
 * 1 (a rejection, a transport error or a file not sent) or 2 (usage error). */
int cli_cmd_upload(int argc, char **argv);

typedef enum up_outcome {
    UP_PENDING, UP_NEW, UP_CORRECTED, UP_IDENTICAL, UP_REJECTED, UP_TRANSPORT, UP_SKIPPED
} up_outcome;

typedef struct up_file {
    char *path;        /* as found (owned) */
    const char *base;  /* file name inside path */
    char post[16];     /* ISCG-DDD-NN */
    char period[8];    /* YYYY-MM */
    int xml;           /* the file's type: 0 text/csv, 1 application/xml, 2 .xlsx, 3 .ods */
    char *received_at; /* from a manifest (owned) or NULL */
    up_outcome outcome;
    long rows;         /* from the receipt */
    double ms;         /* from the first try to the final answer (0: not sent) */
} up_file;

typedef struct up_list {
    up_file *v;
    size_t n, cap;
} up_list;

/* Gather the grid files of paths (files, or folders: DIR and DIR/grids), sorted in sending
 * order without duplicates, into l (its paths owned by l). Returns 0, 2 after a message
 * (unknown path, file not named like a grid, nothing found), -1 on memory exhaustion. */
int cli_upload_gather(const char *const *paths, int npaths, up_list *l);

/* Attach received_at values to the files from the manifest.csv of their folder or the folder
 * above (loaded once per folder). -1 on memory exhaustion, else 0. */
int cli_upload_manifests(up_file *files, size_t n);

#endif
