/* pseudonym.h: keyed pseudonyms for references (grid-format.md section 5). */
#ifndef COL_PSEUDONYM_H
#define COL_PSEUDONYM_H

#include "crypto.h"
#include "grid.h"
#include "keyring.h"

/* The pseudonym of one reference at one post: HMAC-SHA256(key, "1|" + post + "|" +
 * fold(ref)) truncated to 128 bits. h is an HMAC context bound to the key (one per request);
 * scratch is a buffer reused between calls (the caller wipes it). */
obs_status col_pseudonym(obs_hmac *h, const char *post, const char *ref, obs_buf *scratch,
                         uint8_t out[16]);

/* One step of a rotation: HMAC-SHA256(new key, "R|" + the 16 bytes of the pseudonym made
 * with the keys before it) truncated to 128 bits (docs/privacy.md, "Key rotation"). in and out
 * may be the same buffer. */
obs_status col_pseudonym_rekey(obs_hmac *h, const uint8_t in[16], uint8_t out[16]);

/* The pseudonym under a whole key chain: col_pseudonym with the first key, then
 * col_pseudonym_rekey with each later key. This is what is stored under the ring's current
 * key, whether the reference arrived before the rotations (re-keyed) or after them. */
obs_status col_pseudonym_chain(const obs_keyring *ring, const char *post, const char *ref,
                               uint8_t out[16]);

/* Fill row.person for every row of g, validated by col_validate without errors (its
 * g->people hold the folded references: one chain of HMACs per person). OBS_ERR_NOMEM /
 * OBS_ERR_INTERNAL on failure. Temporary buffers are wiped. */
obs_status col_pseudonymise(col_grid *g, const obs_keyring *ring, obs_err *e);

#endif
