/* config.h: the ISCGOBS_* environment and its defaults (service.md section 2). */
#ifndef OBS_CONFIG_H
#define OBS_CONFIG_H

#include <stddef.h>

#include "status.h"

typedef struct obs_config {
    char database_url[1024]; /* libpq conninfo or URI */
    char listen_host[64];    /* from ISCGOBS_LISTEN host:port */
    int listen_port;
    char key_file[1024];     /* ISCGOBS_KEY_FILE */
    char signing_key_file[1024]; /* ISCGOBS_SIGNING_KEY_FILE: Ed25519 key of publications */
    char var_dir[1024];      /* ISCGOBS_VAR: where the embedded cluster and key live */
    int sdc_k;               /* ISCGOBS_SDC_K */
    int protect_pause_ms;    /* ISCGOBS_PROTECT_PAUSE_MS: the background protection's pause
                                between two rounds (aggregator/protect.h), 2000 */
    int protect_wait_ms;     /* ISCGOBS_PROTECT_WAIT_MS: how long a protected reader may wait
                                for a round covering the latest uploads before it is served the
                                previous one, 0 (never waits while one exists) */
    int lock_months;         /* ISCGOBS_LOCK_MONTHS */
    int retention_months;    /* ISCGOBS_RETENTION_MONTHS: the microdata of months older than
                              * this are purged by a daily task of serve; 0 (default): never */
    size_t max_upload;       /* ISCGOBS_MAX_UPLOAD, bytes */
    int threads;             /* ISCGOBS_THREADS: HTTP worker threads */
    int refresh;             /* ISCGOBS_REFRESH: 1 "sync" (indicators refreshed inside each
                              * upload), 0 "off" (bulk loading; `iscgobs aggregate` after) */
    long sdmx_max_obs;       /* ISCGOBS_SDMX_MAX_OBS: largest SDMX data answer (observations
                              * selected); more is refused with 413 */
    /* Hostile clients and brute force (docs/operations.md, "Limits"). */
    int conn_limit;          /* ISCGOBS_CONN_LIMIT: connections at once (1000) */
    int per_ip_limit;        /* ISCGOBS_PER_IP_LIMIT: connections at once per address (64) */
    int conn_timeout;        /* ISCGOBS_CONN_TIMEOUT: seconds of silence before closing (30) */
    int auth_max_fails;      /* ISCGOBS_AUTH_MAX_FAILS: failed logins per address per window */
    int auth_max_fails_account; /* ISCGOBS_AUTH_MAX_FAILS_ACCOUNT: the same per account */
    int auth_window;         /* ISCGOBS_AUTH_WINDOW: the window, seconds (60) */
    int scrypt_max;          /* ISCGOBS_SCRYPT_MAX: password checks at once (2; 32 MiB each) */
    int db_connect_timeout;  /* ISCGOBS_DB_CONNECT_TIMEOUT: libpq connect_timeout, s (5) */
    char read_database_url[1024]; /* ISCGOBS_READ_DATABASE_URL: a hot standby for public
                              * reads (db_read.h); empty: every read on the primary */
    int read_max_lag;        /* ISCGOBS_READ_MAX_LAG: seconds behind the primary beyond which
                              * the standby is not read (5) */
} obs_config;

/* Read the environment into c. The default database is the embedded cluster:
 * host=<var>/pg/run dbname=iscgobs user=iscgobs. OBS_ERR_INPUT with a French message
 * when a variable is malformed. */
obs_status obs_config_load(obs_config *c, obs_err *e);

/* The configuration loaded by the last successful obs_config_load (process-wide). */
const obs_config *obs_config_get(void);

#endif
