/* keys.c: the server's copy of the pseudonymisation key chain (see keys.h), its check
 * against pseudonym_key, and its reload after a rotation. */
#include "keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "pseudonym.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static obs_keyring ring;   /* under mu */
static int ring_id;        /* pseudonym_key.id of ring's current key, under mu */
static char ring_file[4096];

static const char SQL_KEYS[] =
    "SELECT id, encode(fingerprint, 'hex'), retired_at IS NOT NULL FROM pseudonym_key ORDER BY id";

static const char SQL_REGISTER[] =
    "WITH ins AS (INSERT INTO pseudonym_key (fingerprint) VALUES (decode($1, 'hex'))"
    "             RETURNING id),"
    " a AS (INSERT INTO audit_log (actor, action, target, outcome, detail)"
    "       SELECT 'serve', 'key.register', 'key/' || id, 'created',"
    "              jsonb_build_object('fingerprint', $1::text) FROM ins)"
    " SELECT id FROM ins";

static void fp_hex(const obs_key *k, char out[65])
{
    obs_hex(k->fingerprint, sizeof k->fingerprint, out);
}

/* Every key registered (rows of SQL_KEYS, by id) is the file's key at the same place from the
 * end, the file holding `extra` keys more (1 during a rotation): the chain that made the
 * stored pseudonyms. A file may hold older keys than the database (registered from it). */
static int chain_matches(PGresult *r, const obs_keyring *kr, size_t extra)
{
    size_t rows = (size_t)PQntuples(r);
    if (rows + extra > kr->n)
        return 0;
    for (size_t i = 0; i < rows; i++) {
        char fp[65];
        fp_hex(&kr->keys[kr->n - extra - rows + i], fp);
        if (strcmp(PQgetvalue(r, (int)i, 1), fp) != 0)
            return 0;
    }
    return 1;
}

obs_status col_keys_check(PGconn *c, const obs_keyring *kr, int *current_id, int *pending,
                          obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_KEYS, 0, NULL, &r, e);
    if (rc)
        return rc;
    char last[65], before[65] = "";
    fp_hex(&kr->keys[kr->n - 1], last);
    if (kr->n >= 2)
        fp_hex(&kr->keys[kr->n - 2], before);
    int cur = -1, last_retired = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        int retired = PQgetvalue(r, i, 2)[0] == 't';
        if (!retired)
            cur = i;
        else if (strcmp(PQgetvalue(r, i, 1), last) == 0)
            last_retired = 1;
    }
    if (pending)
        *pending = 0;
    if (cur < 0 && !last_retired) { /* a new database: the file's key becomes its key */
        PQclear(r);
        rc = obs_db_exec_prepared(c, SQL_REGISTER, 1, (const char *[]){last}, &r, e);
        if (rc)
            return rc;
        *current_id = PQntuples(r) == 1 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
        PQclear(r);
        return *current_id ? OBS_OK : obs_fail(e, OBS_ERR_DB, "E_DB", "clé non enregistrée");
    }
    char shown[17] = "", file_short[17];
    obs_key_short(kr->keys[kr->n - 1].fingerprint, file_short);
    if (cur >= 0) {
        *current_id = (int)strtol(PQgetvalue(r, cur, 0), NULL, 10);
        snprintf(shown, sizeof shown, "%.16s", PQgetvalue(r, cur, 1));
        int is_last = strcmp(PQgetvalue(r, cur, 1), last) == 0;
        int is_before = before[0] && strcmp(PQgetvalue(r, cur, 1), before) == 0;
        int chain = chain_matches(r, kr, is_last ? 0 : 1);
        PQclear(r);
        if ((is_last || is_before) && !chain)
            return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_UNKNOWN",
                            "les clés anciennes du fichier ne sont pas celles de la base : avec "
                            "elles, chaque personne serait comptée deux fois ; remettez le bon "
                            "fichier de clé");
        if (is_last)
            return OBS_OK;
        if (is_before && pending) {
            *pending = 1;
            return OBS_OK;
        }
        if (is_before)
            return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_ROTATION_PENDING",
                            "une rotation de clé est inachevée (clé %s écrite dans le fichier, "
                            "pas encore dans la base) : relancez `iscgobs key rotate`",
                            file_short);
    } else {
        PQclear(r);
    }
    if (last_retired)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_RETIRED",
                        "le fichier de clé est une ancienne copie (sa clé %s a été retirée) : "
                        "utilisez le fichier écrit par la dernière rotation",
                        file_short);
    return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_UNKNOWN",
                    "la clé du fichier (%s) n'est pas la clé de la base (%s) : avec elle, chaque "
                    "personne serait comptée deux fois ; remettez le bon fichier de clé",
                    file_short, shown);
}

/* Load the file and check it; on success it replaces the server's copy. A file one key ahead
 * of the database (a rotation under way, or stopped before its transaction committed) is
 * taken without its last key: the chain before it is the database's current one. */
static obs_status load_checked(PGconn *c, obs_err *e)
{
    obs_keyring *kr = malloc(sizeof *kr);
    if (kr == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    int id = 0, pending = 0;
    obs_status rc = obs_keyring_load(ring_file, kr, e);
    if (rc == OBS_OK)
        rc = col_keys_check(c, kr, &id, &pending, e);
    if (rc == OBS_OK && pending) {
        kr->n--;
        obs_wipe(&kr->keys[kr->n], sizeof kr->keys[0]);
        obs_log(OBS_LOG_WARN, "key.pending",
                "key_id=%d: the key file holds a key not yet in the database (a rotation under "
                "way or stopped; `iscgobs key rotate` finishes it)", id);
    }
    if (rc == OBS_OK) {
        pthread_mutex_lock(&mu);
        ring = *kr;
        ring_id = id;
        pthread_mutex_unlock(&mu);
        obs_log(OBS_LOG_INFO, "key.loaded", "key_id=%d keys=%zu", id, kr->n);
    }
    obs_keyring_wipe(kr);
    free(kr);
    return rc;
}

obs_status col_keys_setup(PGconn *c, const char *key_file, obs_err *e)
{
    snprintf(ring_file, sizeof ring_file, "%s", key_file);
    return load_checked(c, e);
}

void col_keys_teardown(void)
{
    pthread_mutex_lock(&mu);
    obs_keyring_wipe(&ring);
    ring_id = 0;
    pthread_mutex_unlock(&mu);
}

obs_status col_keys_pseudonymise(col_grid *g, int *key_id, obs_err *e)
{
    obs_keyring *kr = malloc(sizeof *kr);
    if (kr == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    pthread_mutex_lock(&mu);
    kr->n = ring.n;
    memcpy(kr->keys, ring.keys, ring.n * sizeof ring.keys[0]);
    *key_id = ring_id;
    pthread_mutex_unlock(&mu);
    obs_status rc = kr->n ? col_pseudonymise(g, kr, e)
                          : obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "clé non chargée");
    obs_wipe(kr->keys, kr->n * sizeof kr->keys[0]);
    free(kr);
    return rc;
}

obs_status col_keys_reload(PGconn *c, int key_id, obs_err *e)
{
    pthread_mutex_lock(&mu);
    int same = ring_id == key_id;
    pthread_mutex_unlock(&mu);
    if (!same) /* another upload reloaded it meanwhile */
        return OBS_OK;
    return load_checked(c, e);
}
