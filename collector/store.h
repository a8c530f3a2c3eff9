/* store.h: writes one validated, pseudonymised grid into PostgreSQL, atomically. */
#ifndef COL_STORE_H
#define COL_STORE_H

#include <libpq-fe.h>

#include "grid.h"

typedef enum col_outcome { COL_CREATED, COL_REPLACED, COL_UNCHANGED } col_outcome;

/* What the upload route knows about the upload besides its rows. */
typedef struct col_upload_meta {
    long long account_id;    /* who uploads */
    const char *actor;       /* account name, for the audit log */
    const char *format;      /* "csv" or "xml" */
    char sha256[65];         /* hex SHA-256 of the body as received */
    const char *received_at; /* ISO 8601 reception time (admins loading history) or NULL: now */
    int key_id;              /* pseudonym_key.id of the key that made the pseudonyms */
    size_t nwarnings;
    int admin_override;      /* 1 when an admin wrote a month locked for posts (audited) */
} col_upload_meta;

/* The receipt sent back: the same bytes again give the same receipt. */
typedef struct col_receipt {
    col_outcome outcome;
    int version;
    size_t rows, persons;
    int on_time;
    char received_at[32];    /* first reception of the version in force, ISO 8601 UTC */
    char sha256[65];
} col_receipt;

/* Called inside the upload's transaction, after the rows are written (the aggregator's
 * incremental refresh). period is "YYYY-MM-01". A failure rolls the upload back. */
typedef obs_status (*col_after_store_fn)(PGconn *c, const char *post, const char *period,
                                         obs_err *e);
void col_store_set_hook(col_after_store_fn fn);

/* Store g in one transaction (retried on serialization failures): replace the post-month's
 * rows with COPY, record the version and the audit entry, run the hook, COMMIT. A byte-for-
 * byte identical upload changes nothing and returns COL_UNCHANGED with the stored receipt.
 * Returns OBS_OK only after COMMIT succeeded. */
obs_status col_store(PGconn *c, const col_grid *g, const col_upload_meta *m, col_receipt *r,
                     obs_err *e);

/* Register the pseudonymisation key's fingerprint and return its id (`pseudonym_key`). */
obs_status col_store_key_id(PGconn *c, const uint8_t fingerprint[32], int *key_id, obs_err *e);

#endif
