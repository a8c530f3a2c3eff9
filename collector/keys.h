/* keys.h: the server's pseudonymisation keys: the key file's chain, checked against the keys
 * registered in the database when the server starts, and read again when a rotation
 * (`iscgobs key rotate`, rekey.h) made the server's copy stale. */
#ifndef COL_KEYS_H
#define COL_KEYS_H

#include <libpq-fe.h>

#include "grid.h"
#include "keyring.h"
#include "task_lock.h"

/* The lifecycle guard between uploads and a rotation: OBS_GUARD_SQL_* (task_lock.h). */

/* Check ring against the table pseudonym_key and give the id of its current key. A database
 * without a current key registers the ring's last key (audited 'key.register'). Refusals
 * (OBS_ERR_CONFLICT, French message): E_KEY_ROTATION_PENDING when the file holds one key more
 * than the database (a rotation stopped between the file and the database: *pending = 1 and
 * *current_id the database's current key, the one before; the caller `key rotate` finishes
 * it); E_KEY_RETIRED when the file's last key was retired (an old copy of the file);
 * E_KEY_UNKNOWN when it is another key (the persons would count twice). pending may be NULL:
 * then a pending rotation is refused too. */
obs_status col_keys_check(PGconn *c, const obs_keyring *ring, int *current_id, int *pending,
                          obs_err *e);

/* Load the key file and check it (col_keys_check); the routes then pseudonymise with it. A
 * pending rotation's file is taken without its last key (the database's chain), with a
 * warning: the server starts, and reloads, while a rotation runs. */
obs_status col_keys_setup(PGconn *c, const char *key_file, obs_err *e);
void col_keys_teardown(void);

/* Pseudonymise g with the current chain; *key_id receives the id of the key it used. */
obs_status col_keys_pseudonymise(col_grid *g, int *key_id, obs_err *e);

/* The store found that key_id is no longer the current key: read the key file again and
 * check it (another upload may have done it already). */
obs_status col_keys_reload(PGconn *c, int key_id, obs_err *e);

#endif
