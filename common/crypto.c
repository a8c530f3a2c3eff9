/* crypto.c: OpenSSL EVP HMAC and digests, randomness, hex (see crypto.h). */
#include "crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct obs_hmac {
    EVP_MAC_CTX *ctx;
};

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL); /* fetched once per process */
}

obs_hmac *obs_hmac_new(const uint8_t *key, size_t keylen)
{
    pthread_once(&hmac_once, hmac_fetch);
    if (hmac_alg == NULL)
        return NULL;
    obs_hmac *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->ctx = EVP_MAC_CTX_new(hmac_alg);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (h->ctx == NULL || !EVP_MAC_init(h->ctx, key, keylen, params)) {
        obs_hmac_free(h);
        return NULL;
    }
    return h;
}

obs_status obs_hmac_compute(obs_hmac *h, const void *msg, size_t len, uint8_t out[32])
{
    size_t outl = 0;
    /* Re-initialising with a NULL key keeps the key already set: no new fetch, no new ctx. */
    if (!EVP_MAC_init(h->ctx, NULL, 0, NULL) || !EVP_MAC_update(h->ctx, msg, len) ||
        !EVP_MAC_final(h->ctx, out, &outl, 32) || outl != 32)
        return OBS_ERR_INTERNAL;
    return OBS_OK;
}

void obs_hmac_free(obs_hmac *h)
{
    if (h == NULL)
        return;
    EVP_MAC_CTX_free(h->ctx);
    free(h);
}

void obs_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

obs_status obs_random(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? OBS_OK : OBS_ERR_INTERNAL;
}

int obs_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void obs_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

obs_status obs_unhex(const char *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hi < 0 ? -1 : hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return OBS_ERR_INPUT;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return in[2 * n] == '\0' ? OBS_OK : OBS_ERR_INPUT;
}

obs_status obs_token_new(char out[65])
{
    uint8_t raw[32];
    if (obs_random(raw, sizeof raw))
        return OBS_ERR_INTERNAL;
    obs_hex(raw, sizeof raw, out);
    obs_wipe(raw, sizeof raw);
    return OBS_OK;
}
