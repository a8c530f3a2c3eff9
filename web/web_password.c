/* web_password.c: passwords that an administrator sets for the login form: scrypt through
 * OpenSSL's EVP_KDF, stored as a PHC-like string, and the `user passwd` command (web.h). */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "web.h"

#define SALT_LEN 16
#define KEY_LEN 32
#define LN_DEFAULT 15 /* N = 2^15, r = 8: 32 MiB and ~0.1 s per verification */
#define R_DEFAULT 8
#define P_DEFAULT 1
#define PW_MAX 1024

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 without padding (PHC). out needs 4 * ceil(n / 3) + 1 bytes. */
static void b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[k++] = B64[(v >> 18) & 63];
        out[k++] = B64[(v >> 12) & 63];
        if (i + 1 < n)
            out[k++] = B64[(v >> 6) & 63];
        if (i + 2 < n)
            out[k++] = B64[v & 63];
    }
    out[k] = '\0';
}

/* Decode unpadded base64 s[0..len) into out (exactly want bytes). Returns 0 or -1. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(B64, s[i]);
        if (p == NULL || s[i] == '\0')
            return -1;
        acc = (acc << 6) | (uint32_t)(p - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (k == want)
                return -1;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k == want ? 0 : -1;
}

static int scrypt_derive(const char *pw, const uint8_t *salt, int ln, uint32_t r, uint32_t p,
                         uint8_t out[KEY_LEN])
{
    uint64_t n = (uint64_t)1 << ln, maxmem = (uint64_t)256 << 20;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, strlen(pw)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end()};
    int ok = ctx && EVP_KDF_derive(ctx, out, KEY_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : -1;
}

obs_status web_password_hash(const char *password, char *out, size_t cap, obs_err *e)
{
    size_t len = strlen(password);
    if (len == 0 || len > PW_MAX)
        return obs_fail(e, OBS_ERR_INPUT, "E_PASSWORD",
                        "mot de passe vide ou trop long (1024 octets au plus)");
    uint8_t salt[SALT_LEN], key[KEY_LEN];
    char s64[32], k64[48];
    if (obs_random(salt, sizeof salt) ||
        scrypt_derive(password, salt, LN_DEFAULT, R_DEFAULT, P_DEFAULT, key))
        return obs_fail(e, OBS_ERR_INTERNAL, "E_KDF", "calcul de l'empreinte impossible");
    b64_encode(salt, sizeof salt, s64);
    b64_encode(key, sizeof key, k64);
    obs_wipe(key, sizeof key);
    int n = snprintf(out, cap, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", LN_DEFAULT, R_DEFAULT, P_DEFAULT,
                     s64, k64);
    if (n < 0 || (size_t)n >= cap)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_KDF", "empreinte trop longue");
    return OBS_OK;
}

int web_password_verify(const char *password, const char *phc)
{
    int ln = 0, r = 0, p = 0, used = 0;
    if (phc == NULL || strlen(password) == 0 || strlen(password) > PW_MAX ||
        sscanf(phc, "$scrypt$ln=%d,r=%d,p=%d$%n", &ln, &r, &p, &used) != 3 || used == 0 ||
        ln < 10 || ln > 20 || r < 1 || r > 16 || p < 1 || p > 4)
        return 0;
    const char *salt64 = phc + used, *dollar = strchr(salt64, '$');
    if (dollar == NULL)
        return 0;
    uint8_t salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
    if (b64_decode(salt64, (size_t)(dollar - salt64), salt, sizeof salt) ||
        b64_decode(dollar + 1, strlen(dollar + 1), want, sizeof want) ||
        scrypt_derive(password, salt, ln, (uint32_t)r, (uint32_t)p, got))
        return 0;
    int ok = obs_ct_equal(got, want, KEY_LEN);
    obs_wipe(got, sizeof got);
    return ok;
}

/* Password checks running now (each holds scrypt's 32 MiB): at most ISCGOBS_SCRYPT_MAX. */
static atomic_int checks_running;

obs_status web_password_gate_enter(obs_err *e)
{
    int max = obs_config_get()->scrypt_max;
    if (max < 1)
        max = 2;
    if (atomic_fetch_add(&checks_running, 1) >= max) {
        atomic_fetch_sub(&checks_running, 1);
        return obs_fail(e, OBS_ERR_NOMEM, "E_BUSY",
                        "trop de connexions en cours de vérification : réessayez dans quelques "
                        "secondes");
    }
    return OBS_OK;
}

void web_password_gate_leave(void)
{
    atomic_fetch_sub(&checks_running, 1);
}

void web_password_dummy(const char *password)
{
    static const uint8_t salt[SALT_LEN] = {0};
    uint8_t out[KEY_LEN];
    if (scrypt_derive(password, salt, LN_DEFAULT, R_DEFAULT, P_DEFAULT, out) == 0)
        obs_wipe(out, sizeof out);
}

obs_status web_password_read_stdin(char *out, size_t cap, obs_err *e)
{
    if (fgets(out, (int)cap, stdin) == NULL)
        return obs_fail(e, OBS_ERR_INPUT, "E_PASSWORD", "mot de passe attendu sur l'entrée standard");
    size_t n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n == cap - 1)
        return obs_fail(e, OBS_ERR_INPUT, "E_PASSWORD", "mot de passe trop long");
    out[n] = '\0';
    if (n == 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_PASSWORD", "mot de passe vide");
    return OBS_OK;
}

static const char SQL_ACCOUNTS_NAMED[] =
    "SELECT id FROM account WHERE name = $1 AND disabled_at IS NULL";
static const char SQL_SET_PASSWORD[] = "UPDATE account SET password_hash = $2 WHERE id = $1::bigint";
/* A new password ends every web session of the account (a stolen session dies with the old
 * password). */
static const char SQL_END_SESSIONS[] = "DELETE FROM web_session WHERE account_id = $1::bigint";
static const char SQL_AUDIT_PASSWD[] =
    "INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    " VALUES ($1::bigint, 'cli', 'account.password', $2, 'ok',"
    "         jsonb_build_object('sessions_closed', $3::int))";

typedef struct set_pw {
    const char *id, *name, *phc;
} set_pw;

/* The password, the end of the account's sessions and the audit entry: one transaction. */
static obs_status set_password_tx(PGconn *c, void *arg, obs_err *e)
{
    const set_pw *a = arg;
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_SET_PASSWORD, 2, (const char *[]){a->id, a->phc}, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_END_SESSIONS, 1, (const char *[]){a->id}, &r, e);
    if (rc)
        return rc;
    const char *closed = PQcmdTuples(r);
    rc = obs_db_exec(c, SQL_AUDIT_PASSWD, 3,
                     (const char *[]){a->id, a->name, closed[0] ? closed : "0"}, NULL, e);
    PQclear(r);
    return rc;
}

obs_status web_password_set(PGconn *c, const char *name, const char *password, obs_err *e)
{
    char phc[160];
    obs_status rc = web_password_hash(password, phc, sizeof phc, e);
    if (rc)
        return rc;
    PGresult *r = NULL;
    rc = obs_db_exec(c, SQL_ACCOUNTS_NAMED, 1, (const char *[]){name}, &r, e);
    if (rc)
        return rc;
    int n = PQntuples(r);
    char id[24];
    snprintf(id, sizeof id, "%s", n == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    if (n == 0)
        return obs_fail(e, OBS_ERR_NOT_FOUND, "E_ACCOUNT_UNKNOWN", "aucun compte actif nommé %s",
                        name);
    if (n > 1)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_ACCOUNT_AMBIGUOUS",
                        "plusieurs comptes actifs s'appellent %s : donnez-leur des noms distincts "
                        "(le nom sert d'identifiant de connexion)",
                        name);
    set_pw a = {id, name, phc};
    rc = obs_db_tx(c, set_password_tx, &a, e);
    obs_wipe(phc, sizeof phc);
    return rc;
}

int web_cmd_user_passwd(int argc, char **argv)
{
    const char *name = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
    if (name == NULL) {
        fprintf(stderr, "usage: iscgobs user passwd --name N   (mot de passe lu sur l'entrée "
                        "standard, une ligne)\n");
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    char pw[PW_MAX + 2];
    obs_config cfg;
    PGconn *c = NULL;
    obs_status rc = web_password_read_stdin(pw, sizeof pw, &e);
    if (rc == OBS_OK)
        rc = obs_config_load(&cfg, &e);
    if (rc == OBS_OK && (c = obs_db_open(cfg.database_url, &e)) == NULL)
        rc = OBS_ERR_DB;
    if (rc == OBS_OK)
        rc = web_password_set(c, name, pw, &e);
    obs_wipe(pw, sizeof pw);
    obs_db_close(c);
    if (rc)
        return obs_arg_fail(&e);
    fprintf(stderr, "mot de passe du compte %s enregistré\n", name);
    return 0;
}
