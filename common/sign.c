/* sign.c: Ed25519 signing keys and detached signatures of files, OpenSSL EVP (see sign.h). */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

enum { KEY_FILE_MAX = 4096 }; /* an Ed25519 PEM key is about 120 bytes */

struct obs_signer {
    EVP_PKEY *pkey;
    int has_private;
};

static const uint8_t empty_data[1];

obs_status obs_sign_keygen(const char *path, obs_err *e)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    BIO *b = k ? BIO_new(BIO_s_secmem()) : NULL;
    if (b == NULL || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        EVP_PKEY_free(k);
        return obs_fail(e, OBS_ERR_INTERNAL, "E_RANDOM", "génération de la clé de signature "
                                                         "impossible (OpenSSL)");
    }
    char *pem = NULL;
    long n = BIO_get_mem_data(b, &pem);
    obs_status rc = OBS_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            rc = obs_fail(e, OBS_ERR_CONFLICT, "E_SIGNING_KEY_EXISTS",
                          "le fichier de clé %s existe déjà : il n'est jamais écrasé", path);
        else
            rc = obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "impossible de créer %s : %s", path,
                          strerror(errno));
    } else {
        int ok = n > 0 && write(fd, pem, (size_t)n) == (ssize_t)n && fsync(fd) == 0;
        close(fd);
        if (!ok) {
            unlink(path);
            rc = obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "écriture de %s impossible", path);
        }
    }
    BIO_free(b); /* secure memory: cleared when freed */
    EVP_PKEY_free(k);
    return rc;
}

/* Read at most KEY_FILE_MAX bytes of a key file into buf (*n bytes); private: refuse a file
 * that group or others may read or write. */
static obs_status read_key_file(const char *path, int private, char *buf, size_t *n, obs_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (private ? O_NOFOLLOW : 0));
    if (fd < 0)
        return private ? obs_fail(e, OBS_ERR_INPUT, "E_SIGNING_KEY_MISSING",
                                  "clé de signature des publications introuvable (%s) : "
                                  "créez-la avec `iscgobs keygen --signing`", path)
                       : obs_fail(e, OBS_ERR_INPUT, "E_PUBLIC_KEY",
                                  "clé publique introuvable (%s)", path);
    struct stat st;
    obs_status rc = OBS_OK;
    ssize_t k = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = obs_fail(e, OBS_ERR_INPUT, "E_SIGNING_KEY_MISSING", "%s n'est pas un fichier", path);
    else if (private && (st.st_mode & (S_IRWXG | S_IRWXO)))
        rc = obs_fail(e, OBS_ERR_INPUT, "E_KEY_PERMISSIONS",
                      "la clé %s est accessible à d'autres utilisateurs (mode %03o) : "
                      "refus de l'utiliser ; corrigez avec chmod 600",
                      path, (unsigned)(st.st_mode & 0777));
    else if ((k = read(fd, buf, KEY_FILE_MAX)) <= 0 || k == KEY_FILE_MAX)
        rc = obs_fail(e, OBS_ERR_INPUT, private ? "E_SIGNING_KEY_FORMAT" : "E_PUBLIC_KEY",
                      "%s n'est pas une clé Ed25519 au format PEM", path);
    close(fd);
    *n = rc ? 0 : (size_t)k;
    return rc;
}

static obs_status load(const char *path, int private, obs_signer **out, obs_err *e)
{
    *out = NULL;
    char buf[KEY_FILE_MAX];
    size_t n = 0;
    obs_status rc = read_key_file(path, private, buf, &n, e);
    if (rc)
        return rc;
    BIO *b = BIO_new_mem_buf(buf, (int)n);
    EVP_PKEY *k = NULL;
    if (b)
        k = private ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
                    : PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    BIO_free(b);
    obs_wipe(buf, sizeof buf);
    if (k == NULL || !EVP_PKEY_is_a(k, "ED25519")) {
        EVP_PKEY_free(k);
        return obs_fail(e, OBS_ERR_INPUT, private ? "E_SIGNING_KEY_FORMAT" : "E_PUBLIC_KEY",
                        "%s n'est pas une clé Ed25519 au format PEM", path);
    }
    obs_signer *s = calloc(1, sizeof *s);
    if (s == NULL) {
        EVP_PKEY_free(k);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    s->pkey = k;
    s->has_private = private;
    *out = s;
    return OBS_OK;
}

obs_status obs_sign_load(const char *path, obs_signer **out, obs_err *e)
{
    return load(path, 1, out, e);
}

obs_status obs_sign_load_public(const char *path, obs_signer **out, obs_err *e)
{
    return load(path, 0, out, e);
}

void obs_signer_free(obs_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->pkey);
    free(s);
}

char *obs_sign_public_pem(const obs_signer *s)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL, *p = NULL;
    if (b && PEM_write_bio_PUBKEY(b, s->pkey)) {
        long n = BIO_get_mem_data(b, &p);
        if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
            memcpy(out, p, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

obs_status obs_sign_data(const obs_signer *s, const void *data, size_t len,
                         uint8_t sig[OBS_SIG_LEN], obs_err *e)
{
    EVP_MD_CTX *ctx = s->has_private ? EVP_MD_CTX_new() : NULL;
    size_t sl = OBS_SIG_LEN;
    /* Ed25519 is one-shot: no digest name, the whole message at once (RFC 8032, PureEdDSA). */
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &sl, len ? data : empty_data, len) == 1 &&
             sl == OBS_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? OBS_OK
              : obs_fail(e, OBS_ERR_INTERNAL, "E_SIGN", "signature impossible (OpenSSL)");
}

int obs_sign_check(const obs_signer *s, const void *data, size_t len, const uint8_t *sig,
                   size_t siglen)
{
    if (siglen != OBS_SIG_LEN)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, s->pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, len ? data : empty_data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

obs_status obs_file_map_open(const char *path, obs_file_map *m, obs_err *e)
{
    m->data = empty_data;
    m->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return obs_fail(e, OBS_ERR_IO, "E_FILE_READ", "impossible de lire %s : %s", path,
                        fd >= 0 ? "pas un fichier ordinaire" : strerror(err));
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return obs_fail(e, OBS_ERR_IO, "E_FILE_READ", "impossible de lire %s", path);
        }
        m->data = p;
        m->len = (size_t)st.st_size;
    }
    close(fd);
    return OBS_OK;
}

void obs_file_map_close(obs_file_map *m)
{
    if (m->len)
        munmap((void *)m->data, m->len);
    m->data = empty_data;
    m->len = 0;
}

obs_status obs_sign_file(const obs_signer *s, const char *path, obs_err *e)
{
    obs_file_map m;
    uint8_t sig[OBS_SIG_LEN];
    obs_status rc = obs_file_map_open(path, &m, e);
    if (rc)
        return rc;
    rc = obs_sign_data(s, m.data, m.len, sig, e);
    obs_file_map_close(&m);
    if (rc)
        return rc;
    char sp[1200], tmp[1210];
    snprintf(sp, sizeof sp, "%s.sig", path);
    snprintf(tmp, sizeof tmp, "%s.tmp", sp);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(sig, 1, sizeof sig, f) == sizeof sig;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, sp) != 0)
        ok = 0;
    if (!ok) {
        remove(tmp);
        return obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "impossible d'écrire %s", sp);
    }
    return OBS_OK;
}

obs_status obs_sign_verify_file(const obs_signer *s, const char *path, obs_err *e)
{
    char sp[1200];
    snprintf(sp, sizeof sp, "%s.sig", path);
    uint8_t sig[OBS_SIG_LEN + 1];
    FILE *f = fopen(sp, "rb");
    if (f == NULL)
        return obs_fail(e, OBS_ERR_INPUT, "E_SIGNATURE_MISSING", "signature absente : %s", sp);
    size_t n = fread(sig, 1, sizeof sig, f);
    fclose(f);
    obs_file_map m;
    obs_status rc = obs_file_map_open(path, &m, e);
    if (rc)
        return rc;
    int ok = obs_sign_check(s, m.data, m.len, sig, n);
    obs_file_map_close(&m);
    return ok ? OBS_OK
              : obs_fail(e, OBS_ERR_INPUT, "E_SIGNATURE_BAD",
                         "signature invalide : %s n'est pas le fichier signé par l'observatoire "
                         "(modifié, ou signé par une autre clé)", path);
}
