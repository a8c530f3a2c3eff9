/* pseudonym.h: keyed pseudonyms for references (grid-format.md section 5). */
#ifndef COL_PSEUDONYM_H
#define COL_PSEUDONYM_H

#include "crypto.h"
#include "grid.h"

/* The pseudonym of one reference at one post: HMAC-SHA256(key, "1|" + post + "|" +
 * fold(ref)) truncated to 128 bits. h is an HMAC context bound to the key (one per request);
 * scratch is a buffer reused between calls (the caller wipes it). */
obs_status col_pseudonym(obs_hmac *h, const char *post, const char *ref, obs_buf *scratch,
                         uint8_t out[16]);

/* Fill row.person for every row of g, validated by col_validate without errors (its
 * g->people hold the folded references: one HMAC per person). OBS_ERR_NOMEM /
 * OBS_ERR_INTERNAL on failure. Temporary buffers are wiped. */
obs_status col_pseudonymise(col_grid *g, const obs_key *key, obs_err *e);

#endif
