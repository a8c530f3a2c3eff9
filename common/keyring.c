/* keyring.c: the pseudonymisation key file (see keyring.h): creation, reading with its
 * permission checks, the append of a rotation, fingerprints. */
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* SHA-256("iscgobs-key-id|" + secret): names a key in the database, reveals nothing of it. */
static void fingerprint(obs_key *k)
{
    uint8_t tagged[15 + OBS_KEY_LEN];
    memcpy(tagged, "iscgobs-key-id|", 15);
    memcpy(tagged + 15, k->secret, OBS_KEY_LEN);
    obs_sha256(tagged, sizeof tagged, k->fingerprint);
    obs_wipe(tagged, sizeof tagged);
}

/* Write n bytes to a new file PATH (mode 0600, O_EXCL), fsync'd; removed again on failure. */
static obs_status write_new(const char *path, const uint8_t *data, size_t n, obs_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_EXISTS",
                            "le fichier de clé %s existe déjà : il n'est jamais écrasé", path);
        return obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "impossible de créer %s : %s", path,
                        strerror(errno));
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == n && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "écriture de %s impossible", path);
    }
    return OBS_OK;
}

obs_status obs_key_generate(const char *path, obs_err *e)
{
    uint8_t key[OBS_KEY_LEN];
    if (obs_random(key, sizeof key))
        return obs_fail(e, OBS_ERR_INTERNAL, "E_RANDOM", "générateur aléatoire indisponible");
    obs_status rc = write_new(path, key, sizeof key, e);
    obs_wipe(key, sizeof key);
    return rc;
}

obs_status obs_keyring_load(const char *path, obs_keyring *ring, obs_err *e)
{
    memset(ring, 0, sizeof *ring);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_KEY_MISSING",
                        "clé de pseudonymisation introuvable (%s) : créez-la avec `iscgobs keygen`",
                        path);
    struct stat st;
    obs_status rc = OBS_OK;
    uint8_t raw[OBS_KEYRING_MAX * OBS_KEY_LEN + 1];
    size_t got = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = obs_fail(e, OBS_ERR_INPUT, "E_KEY_MISSING", "%s n'est pas un fichier", path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = obs_fail(e, OBS_ERR_INPUT, "E_KEY_PERMISSIONS",
                      "la clé %s est accessible à d'autres utilisateurs (mode %03o) : "
                      "refus de démarrer ; corrigez avec chmod 600",
                      path, (unsigned)(st.st_mode & 0777));
    } else {
        ssize_t n;
        while (got < sizeof raw && (n = read(fd, raw + got, sizeof raw - got)) > 0)
            got += (size_t)n;
        if (got == 0 || got % OBS_KEY_LEN != 0 || got > OBS_KEYRING_MAX * OBS_KEY_LEN)
            rc = obs_fail(e, OBS_ERR_INPUT, "E_KEY_FORMAT",
                          "la clé %s doit contenir une suite de clés de 32 octets (au plus %d)",
                          path, OBS_KEYRING_MAX);
    }
    close(fd);
    if (rc == OBS_OK) {
        ring->n = got / OBS_KEY_LEN;
        for (size_t i = 0; i < ring->n; i++) {
            memcpy(ring->keys[i].secret, raw + i * OBS_KEY_LEN, OBS_KEY_LEN);
            fingerprint(&ring->keys[i]);
        }
    }
    obs_wipe(raw, sizeof raw);
    return rc;
}

obs_status obs_key_load(const char *path, obs_key *k, obs_err *e)
{
    obs_keyring ring;
    obs_status rc = obs_keyring_load(path, &ring, e);
    if (rc == OBS_OK)
        *k = ring.keys[ring.n - 1];
    else
        obs_key_wipe(k);
    obs_keyring_wipe(&ring);
    return rc;
}

/* fsync the folder holding path, so that a rename survives a crash. */
static int sync_folder(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

obs_status obs_keyring_append(const char *path, obs_keyring *ring, obs_err *e)
{
    if (ring->n >= OBS_KEYRING_MAX)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_KEYRING_FULL",
                        "le fichier de clé contient déjà %d clés : plus de rotation possible",
                        OBS_KEYRING_MAX);
    obs_key *k = &ring->keys[ring->n];
    if (obs_random(k->secret, OBS_KEY_LEN))
        return obs_fail(e, OBS_ERR_INTERNAL, "E_RANDOM", "générateur aléatoire indisponible");
    fingerprint(k);
    struct stat old; /* the new file keeps the owner, group and mode of the one it replaces */
    if (stat(path, &old) != 0)
        return obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "fichier de clé %s illisible : %s", path,
                        strerror(errno));
    uint8_t raw[OBS_KEYRING_MAX * OBS_KEY_LEN];
    size_t n = ring->n + 1;
    for (size_t i = 0; i < n; i++)
        memcpy(raw + i * OBS_KEY_LEN, ring->keys[i].secret, OBS_KEY_LEN);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    unlink(tmp); /* a rotation interrupted before its rename left it: never used */
    obs_status rc = write_new(tmp, raw, n * OBS_KEY_LEN, e);
    obs_wipe(raw, sizeof raw);
    if (rc == OBS_OK && (chown(tmp, old.st_uid, old.st_gid) != 0 ||
                         chmod(tmp, old.st_mode & (S_IRUSR | S_IWUSR)) != 0)) {
        unlink(tmp);
        rc = obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE",
                      "le nouveau fichier de clé ne peut pas garder le propriétaire et les droits "
                      "de %s : %s", path, strerror(errno));
    }
    if (rc == OBS_OK && rename(tmp, path) != 0) {
        unlink(tmp);
        rc = obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "remplacement de %s impossible : %s", path,
                      strerror(errno));
    }
    if (rc == OBS_OK && sync_folder(path) != 0)
        rc = obs_fail(e, OBS_ERR_IO, "E_KEY_WRITE", "synchronisation du dossier de %s impossible",
                      path);
    if (rc)
        obs_key_wipe(k);
    else
        ring->n = n;
    return rc;
}

void obs_key_short(const uint8_t fp[32], char out[17])
{
    char hex[65];
    obs_hex(fp, 32, hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

void obs_key_wipe(obs_key *k)
{
    obs_wipe(k, sizeof *k);
}

void obs_keyring_wipe(obs_keyring *ring)
{
    obs_wipe(ring, sizeof *ring);
}
