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

/* Called before the upload's transaction, outside any (the aggregator opens the month in its
 * window). A failure refuses the upload, nothing stored. */
typedef obs_status (*col_before_store_fn)(PGconn *c, const char *period, obs_err *e);
void col_store_set_prepare(col_before_store_fn fn);

/* Store g in one transaction (retried on serialization failures): replace the post-month's
 * rows with COPY, record the version and the audit entry, run the hook, COMMIT. A byte-for-
 * byte identical upload changes nothing and returns COL_UNCHANGED with the stored receipt.
 * Returns OBS_OK only after COMMIT succeeded. Refused, with nothing stored (OBS_ERR_CONFLICT):
 * E_KEY_STALE when m->key_id is no longer the current key (a rotation committed: reload the
 * keys, pseudonymise again and retry), E_PERIOD_PURGED when the month's year was purged. */
obs_status col_store(PGconn *c, const col_grid *g, const col_upload_meta *m, col_receipt *r,
                     obs_err *e);

/* SQL: true when the month d (a date expression) belongs to a year whose microdata were
 * purged, wholly or in part (docs/privacy.md, "Retention"): its indicators are frozen, and
 * no upload or correction of it is taken any more (E_PERIOD_PURGED, COL_PURGED_MSG). */
#define COL_SQL_FROZEN(d)                                                                     \
    "EXISTS (SELECT 1 FROM retention_purge WHERE date_trunc('year', " d ") < before)"
#define COL_PURGED_MSG                                                                        \
    "les données détaillées de cette année ont été supprimées au terme de leur durée de "      \
    "conservation : ses chiffres sont figés, elle ne peut plus être déposée ni corrigée"

#endif
