/* crypto.h: OpenSSL wrappers: keyed HMAC-SHA256 with context reuse, SHA-256, random bytes,
 * constant-time comparison, hex; the pseudonymisation key (its file: keyring.h).
 */
#ifndef OBS_CRYPTO_H
#define OBS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define OBS_KEY_LEN 32

/* The pseudonymisation key: 32 secret bytes and a public fingerprint that identifies it. */
typedef struct obs_key {
    uint8_t secret[OBS_KEY_LEN];
    uint8_t fingerprint[32]; /* SHA-256("iscgobs-key-id|" + secret): names the key, reveals nothing */
} obs_key;

/* An HMAC-SHA256 context bound to one key, reused for many messages (one per request). */
typedef struct obs_hmac obs_hmac;

/* NULL when out of memory. The key bytes are copied into OpenSSL's context. */
obs_hmac *obs_hmac_new(const uint8_t *key, size_t keylen);
/* HMAC of msg into out[32]. OBS_ERR_INTERNAL if OpenSSL fails. */
obs_status obs_hmac_compute(obs_hmac *h, const void *msg, size_t len, uint8_t out[32]);
void obs_hmac_free(obs_hmac *h);

/* SHA-256 of data. */
void obs_sha256(const void *data, size_t len, uint8_t out[32]);

/* Fill buf with n cryptographically random bytes. OBS_ERR_INTERNAL on failure. */
obs_status obs_random(void *buf, size_t n);

/* 1 when a and b (n bytes each) are equal, in time independent of their content. */
int obs_ct_equal(const void *a, const void *b, size_t n);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void obs_hex(const uint8_t *in, size_t n, char *out);
/* Parse 2n hex digits into out; OBS_ERR_INPUT when malformed. */
obs_status obs_unhex(const char *in, uint8_t *out, size_t n);

/* A new bearer token: 32 random bytes as 64 hex characters (+ NUL) in out[65]. */
obs_status obs_token_new(char out[65]);

#endif
