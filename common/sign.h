/* sign.h: Ed25519 signatures of publication files (OpenSSL EVP_DigestSign): the signing key
 * file (PEM PKCS#8, mode 0600, separate from the pseudonymisation key), its public half as
 * PEM, detached raw signatures (64 bytes, what `openssl pkeyutl -verify -rawin` reads).
 */
#ifndef OBS_SIGN_H
#define OBS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define OBS_SIG_LEN 64

/* A signing key (private and public) or a public key only (verification). */
typedef struct obs_signer obs_signer;

/* Create a new Ed25519 key file at path, mode 0600, PEM PKCS#8. Never overwrites
 * (OBS_ERR_CONFLICT, E_SIGNING_KEY_EXISTS); OBS_ERR_IO when it cannot be written. */
obs_status obs_sign_keygen(const char *path, obs_err *e);

/* Load the private signing key at path into *out (caller frees with obs_signer_free).
 * OBS_ERR_INPUT: missing (E_SIGNING_KEY_MISSING), readable by group or others
 * (E_KEY_PERMISSIONS), not an Ed25519 PEM key (E_SIGNING_KEY_FORMAT). */
obs_status obs_sign_load(const char *path, obs_signer **out, obs_err *e);

/* Load a public key (PEM "PUBLIC KEY", Ed25519) for verification only. OBS_ERR_INPUT when
 * missing or malformed (E_PUBLIC_KEY). */
obs_status obs_sign_load_public(const char *path, obs_signer **out, obs_err *e);

void obs_signer_free(obs_signer *s);

/* The public key as PEM text ("-----BEGIN PUBLIC KEY-----..."), NUL-terminated, malloc'd
 * (caller frees); NULL when out of memory. */
char *obs_sign_public_pem(const obs_signer *s);

/* Signature of len bytes at data into sig. OBS_ERR_INTERNAL if OpenSSL fails or the signer
 * holds no private key. */
obs_status obs_sign_data(const obs_signer *s, const void *data, size_t len,
                         uint8_t sig[OBS_SIG_LEN], obs_err *e);

/* 1 when sig (siglen bytes) is a valid signature of data by s, else 0. */
int obs_sign_check(const obs_signer *s, const void *data, size_t len, const uint8_t *sig,
                   size_t siglen);

/* A whole file in memory (read-only mapping; an empty file maps to a zero length). */
typedef struct obs_file_map {
    const uint8_t *data;
    size_t len;
} obs_file_map;

/* Map path. OBS_ERR_IO (E_FILE_READ) when it cannot be opened or is not a regular file. */
obs_status obs_file_map_open(const char *path, obs_file_map *m, obs_err *e);
void obs_file_map_close(obs_file_map *m);

/* Sign the file at path into path.sig (written under a temporary name, then renamed).
 * OBS_ERR_IO when a file cannot be read or written. */
obs_status obs_sign_file(const obs_signer *s, const char *path, obs_err *e);

/* Check path against path.sig. OBS_OK when valid; OBS_ERR_INPUT with E_SIGNATURE_MISSING
 * or E_SIGNATURE_BAD (French message naming the file) otherwise; OBS_ERR_IO when path is
 * unreadable. */
obs_status obs_sign_verify_file(const obs_signer *s, const char *path, obs_err *e);

#endif
