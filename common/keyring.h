/* keyring.h: the pseudonymisation key file: a chain of 32-byte keys, oldest first.
 *
 * A fresh file (`iscgobs keygen`) holds one key. Each `iscgobs key rotate` appends a new key,
 * which becomes the current one (the last). The pseudonym of a reference is made with every
 * key of the chain in turn (collector/pseudonym.h), so that the pseudonyms stored before a
 * rotation and re-keyed by it equal the pseudonyms computed after it. The file is never
 * rewritten in place: a new chain goes to a temporary file, fsync'd, then renamed.
 */
#ifndef OBS_KEYRING_H
#define OBS_KEYRING_H

#include <stddef.h>

#include "crypto.h"

#define OBS_KEYRING_MAX 64 /* rotations a file can hold (one a year is the expected pace) */

typedef struct obs_keyring {
    size_t n;                      /* 1..OBS_KEYRING_MAX keys */
    obs_key keys[OBS_KEYRING_MAX]; /* keys[n - 1] is the current key */
} obs_keyring;

/* Create a new key file of one key with mode 0600 (never overwrites: OBS_ERR_CONFLICT,
 * E_KEY_EXISTS when it exists). */
obs_status obs_key_generate(const char *path, obs_err *e);

/* Read the key file. Refused (OBS_ERR_INPUT) when the file is readable or writable by group
 * or others (E_KEY_PERMISSIONS), missing (E_KEY_MISSING), or not a whole number of 32-byte
 * keys between 1 and OBS_KEYRING_MAX (E_KEY_FORMAT). */
obs_status obs_keyring_load(const char *path, obs_keyring *ring, obs_err *e);

/* The current key of the file (the last of its chain), with the same refusals. */
obs_status obs_key_load(const char *path, obs_key *k, obs_err *e);

/* Append a new random key to the file's chain (loaded in ring, which gets the new key): the
 * whole chain is written to PATH.new, given the owner, group and mode (0600 or 0400) of
 * PATH, fsync'd, renamed over PATH, and the folder fsync'd. OBS_ERR_CONFLICT (E_KEYRING_FULL) when the chain is full, OBS_ERR_IO. */
obs_status obs_keyring_append(const char *path, obs_keyring *ring, obs_err *e);

/* The first 16 hex digits of a fingerprint, for messages and `iscgobs key list`. */
void obs_key_short(const uint8_t fingerprint[32], char out[17]);

/* Wipe a key, or a whole ring, from memory. */
void obs_key_wipe(obs_key *k);
void obs_keyring_wipe(obs_keyring *ring);

#endif
