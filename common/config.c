/* config.c: reads the ISCGOBS_* environment once, with the defaults of service.md. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static obs_config current;

static obs_status env_long(const char *name, long def, long lo, long hi, long *out, obs_err *e)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        *out = def;
        return OBS_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end != '\0' || n < lo || n > hi)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG", "%s doit être un entier entre %ld et %ld",
                        name, lo, hi);
    *out = n;
    return OBS_OK;
}

/* The limits against hostile clients and brute force (docs/operations.md, "Limits"). */
static obs_status obs_config_limits(obs_config *c, obs_err *e)
{
    static const struct {
        const char *name;
        long def, lo, hi;
        size_t off;
    } lim[] = {
        {"ISCGOBS_CONN_LIMIT", 1000, 8, 60000, offsetof(obs_config, conn_limit)},
        {"ISCGOBS_PER_IP_LIMIT", 64, 1, 60000, offsetof(obs_config, per_ip_limit)},
        {"ISCGOBS_CONN_TIMEOUT", 30, 1, 3600, offsetof(obs_config, conn_timeout)},
        {"ISCGOBS_AUTH_MAX_FAILS", 30, 1, 1000000, offsetof(obs_config, auth_max_fails)},
        {"ISCGOBS_AUTH_MAX_FAILS_ACCOUNT", 10, 1, 1000000,
         offsetof(obs_config, auth_max_fails_account)},
        {"ISCGOBS_AUTH_WINDOW", 60, 1, 86400, offsetof(obs_config, auth_window)},
        {"ISCGOBS_SCRYPT_MAX", 2, 1, 64, offsetof(obs_config, scrypt_max)},
        {"ISCGOBS_DB_CONNECT_TIMEOUT", 5, 2, 600, offsetof(obs_config, db_connect_timeout)},
        {"ISCGOBS_READ_MAX_LAG", 5, 1, 600, offsetof(obs_config, read_max_lag)},
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        long n;
        obs_status rc = env_long(lim[i].name, lim[i].def, lim[i].lo, lim[i].hi, &n, e);
        if (rc)
            return rc;
        *(int *)(void *)((char *)c + lim[i].off) = (int)n;
    }
    return OBS_OK;
}

static obs_status env_str(const char *name, const char *def, char *out, size_t n, obs_err *e)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        v = def;
    if (snprintf(out, n, "%s", v) >= (int)n)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG", "%s est trop long", name);
    return OBS_OK;
}

obs_status obs_config_load(obs_config *c, obs_err *e)
{
    memset(c, 0, sizeof *c);
    obs_status rc;
    char var[1024];
    if ((rc = env_str("ISCGOBS_VAR", "var", var, sizeof var, e)))
        return rc;
    if (var[0] == '/') {
        snprintf(c->var_dir, sizeof c->var_dir, "%s", var);
    } else {
        char cwd[512];
        if (getcwd(cwd, sizeof cwd) == NULL)
            return obs_fail(e, OBS_ERR_IO, "E_CONFIG", "répertoire courant illisible");
        if (snprintf(c->var_dir, sizeof c->var_dir, "%s/%s", cwd, var) >= (int)sizeof c->var_dir)
            return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG", "ISCGOBS_VAR est trop long");
    }
    char def_db[1200], def_key[1200], def_sign[1200];
    snprintf(def_db, sizeof def_db, "host=%s/pg/run dbname=iscgobs user=iscgobs", c->var_dir);
    snprintf(def_key, sizeof def_key, "%s/pseudonym.key", c->var_dir);
    snprintf(def_sign, sizeof def_sign, "%s/signing.key", c->var_dir);
    if ((rc = env_str("ISCGOBS_DATABASE_URL", def_db, c->database_url, sizeof c->database_url, e)))
        return rc;
    if ((rc = env_str("ISCGOBS_KEY_FILE", def_key, c->key_file, sizeof c->key_file, e)))
        return rc;
    if ((rc = env_str("ISCGOBS_SIGNING_KEY_FILE", def_sign, c->signing_key_file,
                      sizeof c->signing_key_file, e)))
        return rc;
    if ((rc = env_str("ISCGOBS_READ_DATABASE_URL", "", c->read_database_url,
                      sizeof c->read_database_url, e)))
        return rc;

    char listen[128];
    if ((rc = env_str("ISCGOBS_LISTEN", "127.0.0.1:8080", listen, sizeof listen, e)))
        return rc;
    char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (colon == NULL || colon == listen || *end != '\0' || port < 0 || port > 65535 ||
        (size_t)(colon - listen) >= sizeof c->listen_host)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG",
                        "ISCGOBS_LISTEN doit être de la forme hôte:port (ex. 127.0.0.1:8080)");
    memcpy(c->listen_host, listen, (size_t)(colon - listen));
    c->listen_host[colon - listen] = '\0';
    c->listen_port = (int)port;

    long n;
    if ((rc = env_long("ISCGOBS_SDC_K", 11, 2, 1000, &n, e)))
        return rc;
    c->sdc_k = (int)n;
    if ((rc = env_long("ISCGOBS_PROTECT_PAUSE_MS", 2000, 0, 600000, &n, e)))
        return rc;
    c->protect_pause_ms = (int)n;
    if ((rc = env_long("ISCGOBS_PROTECT_WAIT_MS", 0, 0, 600000, &n, e)))
        return rc;
    c->protect_wait_ms = (int)n;
    if ((rc = env_long("ISCGOBS_LOCK_MONTHS", 3, 0, 120, &n, e)))
        return rc;
    c->lock_months = (int)n;
    if ((rc = env_long("ISCGOBS_RETENTION_MONTHS", 0, 0, 1200, &n, e)))
        return rc;
    if (n != 0 && n < 12 + c->lock_months)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG",
                        "ISCGOBS_RETENTION_MONTHS doit valoir 0 (pas de suppression) ou au moins "
                        "12 + ISCGOBS_LOCK_MONTHS (%d) : une année n'est purgée qu'une fois close",
                        12 + c->lock_months);
    c->retention_months = (int)n;
    if ((rc = env_long("ISCGOBS_MAX_UPLOAD", 10485760, 1024, 1L << 30, &n, e)))
        return rc;
    c->max_upload = (size_t)n;
    if ((rc = env_long("ISCGOBS_THREADS", 8, 1, 256, &n, e)))
        return rc;
    c->threads = (int)n;
    if ((rc = env_long("ISCGOBS_SDMX_MAX_OBS", 5000000, 1, 1000000000L, &n, e)))
        return rc;
    c->sdmx_max_obs = n;
    if ((rc = obs_config_limits(c, e)))
        return rc;
    char refresh[16];
    if ((rc = env_str("ISCGOBS_REFRESH", "sync", refresh, sizeof refresh, e)))
        return rc;
    if (strcmp(refresh, "sync") != 0 && strcmp(refresh, "off") != 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_CONFIG", "ISCGOBS_REFRESH doit valoir sync ou off");
    c->refresh = strcmp(refresh, "sync") == 0;
    current = *c;
    return OBS_OK;
}

const obs_config *obs_config_get(void)
{
    return &current;
}
