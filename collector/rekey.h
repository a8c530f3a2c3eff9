/* rekey.h: `iscgobs key rotate`: a new current pseudonymisation key, the stored pseudonyms
 * re-keyed to it in one transaction, so that a person seen before and after the rotation is
 * still one person (docs/privacy.md, "Key rotation"). */
#ifndef COL_REKEY_H
#define COL_REKEY_H

#include <libpq-fe.h>

#include "status.h"

typedef struct col_rotation {
    int from_id, to_id;   /* pseudonym_key ids: the retired key, the new current key */
    long long persons;    /* distinct pseudonyms re-keyed */
    long long rows;       /* contact and contact_before rows re-keyed */
    int resumed;          /* 1 when the key file already held the new key (a rotation stopped
                             between the file and the database was finished) */
    double ms;            /* duration of the database transaction (uploads wait meanwhile) */
} col_rotation;

/* In one transaction under the exclusive lifecycle guard (keys.h; uploads in flight finish
 * first, new ones wait, a second rotation waits too): check key_file (col_keys_check), append
 * a new key to it (unless a stopped rotation left one there), retire the current key,
 * register the new one, replace every stored pseudonym P of the retired key by
 * HMAC(new, "R|" + P), and audit 'key.rotate' as actor.
 * The refusals of col_keys_check, OBS_ERR_IO for the file, OBS_ERR_DB. A failure of the
 * transaction leaves the database as it was and the file one key ahead: running the command
 * again finishes the rotation. */
obs_status col_key_rotate(PGconn *c, const char *key_file, const char *actor, col_rotation *out,
                          obs_err *e);

#endif
