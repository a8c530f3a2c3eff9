/* pseudonym.c: replaces raw references by keyed HMAC pseudonyms, before anything is stored:
 * the first key of the chain on the reference, each later key on the pseudonym before it. */
#include "pseudonym.h"

#include <stdlib.h>
#include <string.h>

#include "keyring.h"
#include "text.h"

/* HMAC of "1|" + post + "|" + folded into out; scratch holds the message (wiped). */
static obs_status pseudonym_of_folded(obs_hmac *h, const char *post, const char *folded,
                                      size_t len, obs_buf *scratch, uint8_t out[16])
{
    obs_buf_reset(scratch);
    obs_status rc = obs_buf_puts(scratch, "1|");
    if (rc == OBS_OK)
        rc = obs_buf_puts(scratch, post);
    if (rc == OBS_OK)
        rc = obs_buf_putc(scratch, '|');
    if (rc == OBS_OK)
        rc = obs_buf_append(scratch, folded, len);
    uint8_t mac[32];
    if (rc == OBS_OK)
        rc = obs_hmac_compute(h, scratch->data, scratch->len, mac);
    if (rc == OBS_OK)
        memcpy(out, mac, 16);
    obs_wipe(mac, sizeof mac);
    obs_wipe(scratch->data, scratch->len);
    return rc;
}

obs_status col_pseudonym(obs_hmac *h, const char *post, const char *ref, obs_buf *scratch,
                         uint8_t out[16])
{
    obs_buf folded;
    obs_buf_init(&folded, 0);
    obs_status rc = obs_text_fold(ref, strlen(ref), &folded);
    if (rc == OBS_OK)
        rc = pseudonym_of_folded(h, post, folded.data, folded.len, scratch, out);
    obs_buf_wipe(&folded);
    return rc;
}

obs_status col_pseudonym_rekey(obs_hmac *h, const uint8_t in[16], uint8_t out[16])
{
    uint8_t msg[2 + 16], mac[32];
    memcpy(msg, "R|", 2);
    memcpy(msg + 2, in, 16);
    obs_status rc = obs_hmac_compute(h, msg, sizeof msg, mac);
    if (rc == OBS_OK)
        memcpy(out, mac, 16);
    obs_wipe(mac, sizeof mac);
    obs_wipe(msg, sizeof msg);
    return rc;
}

/* One HMAC context per key of the ring (freed by chain_free). */
typedef struct chain {
    size_t n;
    obs_hmac *h[OBS_KEYRING_MAX];
} chain;

static void chain_free(chain *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        obs_hmac_free(ch->h[i]);
    ch->n = 0;
}

static obs_status chain_new(chain *ch, const obs_keyring *ring)
{
    ch->n = 0;
    for (size_t i = 0; i < ring->n; i++) {
        if ((ch->h[i] = obs_hmac_new(ring->keys[i].secret, OBS_KEY_LEN)) == NULL) {
            chain_free(ch);
            return OBS_ERR_NOMEM;
        }
        ch->n = i + 1;
    }
    return OBS_OK;
}

/* The chained pseudonym of one folded reference. */
static obs_status chained(const chain *ch, const char *post, const char *folded, size_t len,
                          obs_buf *scratch, uint8_t out[16])
{
    obs_status rc = pseudonym_of_folded(ch->h[0], post, folded, len, scratch, out);
    for (size_t i = 1; i < ch->n && rc == OBS_OK; i++)
        rc = col_pseudonym_rekey(ch->h[i], out, out);
    return rc;
}

obs_status col_pseudonym_chain(const obs_keyring *ring, const char *post, const char *ref,
                               uint8_t out[16])
{
    chain ch;
    obs_buf folded, scratch;
    obs_buf_init(&folded, 0);
    obs_buf_init(&scratch, 0);
    obs_status rc = chain_new(&ch, ring);
    if (rc == OBS_OK)
        rc = obs_text_fold(ref, strlen(ref), &folded);
    if (rc == OBS_OK)
        rc = chained(&ch, post, folded.data, folded.len, &scratch, out);
    chain_free(&ch);
    obs_buf_wipe(&folded);
    obs_buf_wipe(&scratch);
    return rc;
}

/* Validation folded each distinct reference once (g->people): one HMAC per person, copied
 * to each of the person's rows. */
obs_status col_pseudonymise(col_grid *g, const obs_keyring *ring, obs_err *e)
{
    if (g->n == 0)
        return OBS_OK;
    uint8_t(*ids)[16] = calloc(g->persons ? g->persons : 1, 16);
    chain ch = {.n = 0};
    if (ids == NULL || chain_new(&ch, ring) != OBS_OK) {
        free(ids);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    obs_buf scratch;
    obs_buf_init(&scratch, 0);
    obs_status rc = OBS_OK;
    for (size_t k = 0; k < g->persons && rc == OBS_OK; k++)
        rc = chained(&ch, g->post, g->keys.data + g->people[k].off, g->people[k].len, &scratch,
                     ids[k]);
    for (size_t i = 0; i < g->n && rc == OBS_OK; i++) {
        if (g->rows[i].who >= g->persons)
            rc = OBS_ERR_INTERNAL; /* validation gave every row of a valid grid a person */
        else
            memcpy(g->rows[i].person, ids[g->rows[i].who], 16);
    }
    obs_buf_wipe(&scratch);
    chain_free(&ch);
    obs_wipe(ids, (g->persons ? g->persons : 1) * 16);
    free(ids);
    if (rc)
        return obs_fail(e, rc, "E_PSEUDONYM", "pseudonymisation impossible");
    return OBS_OK;
}
