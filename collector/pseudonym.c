/* pseudonym.c: replaces raw references by keyed HMAC pseudonyms, before anything is stored. */
#include "pseudonym.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

obs_status col_pseudonym(obs_hmac *h, const char *post, const char *ref, obs_buf *scratch,
                         uint8_t out[16])
{
    obs_buf_reset(scratch);
    obs_status rc = obs_buf_puts(scratch, "1|");
    if (rc == OBS_OK)
        rc = obs_buf_puts(scratch, post);
    if (rc == OBS_OK)
        rc = obs_buf_putc(scratch, '|');
    if (rc == OBS_OK)
        rc = obs_text_fold(ref, strlen(ref), scratch);
    uint8_t mac[32];
    if (rc == OBS_OK)
        rc = obs_hmac_compute(h, scratch->data, scratch->len, mac);
    if (rc == OBS_OK)
        memcpy(out, mac, 16);
    obs_wipe(mac, sizeof mac);
    obs_wipe(scratch->data, scratch->len);
    return rc;
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

obs_status col_pseudonymise(col_grid *g, const obs_key *key, obs_err *e)
{
    obs_hmac *h = obs_hmac_new(key->secret, OBS_KEY_LEN);
    if (h == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    obs_buf scratch;
    obs_buf_init(&scratch, 4096);
    obs_status rc = OBS_OK;
    for (size_t i = 0; i < g->n && rc == OBS_OK; i++)
        rc = col_pseudonym(h, g->post, g->rows[i].ref, &scratch, g->rows[i].person);
    obs_buf_wipe(&scratch);
    obs_hmac_free(h);
    if (rc)
        return obs_fail(e, rc, "E_PSEUDONYM", "pseudonymisation impossible");

    g->persons = 0;
    if (g->n == 0)
        return OBS_OK;
    uint8_t(*ids)[16] = malloc(g->n * 16);
    if (ids == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    for (size_t i = 0; i < g->n; i++)
        memcpy(ids[i], g->rows[i].person, 16);
    qsort(ids, g->n, 16, cmp16);
    g->persons = 1;
    for (size_t i = 1; i < g->n; i++)
        if (memcmp(ids[i], ids[i - 1], 16) != 0)
            g->persons++;
    free(ids);
    return OBS_OK;
}
