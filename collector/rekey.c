/* rekey.c: the key rotation (see rekey.h): the file first (a new key appended, fsync'd,
 * renamed), then the database in one transaction: keys table, the map from old to new
 * pseudonyms built here (the key never reaches the database), one UPDATE per table. */
#include "rekey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "date.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "pseudonym.h"

#define REKEY_CHUNK 4000 /* pseudonyms per INSERT into the map */

static const char SQL_CURRENT[] =
    "SELECT id, encode(fingerprint, 'hex') FROM pseudonym_key WHERE retired_at IS NULL FOR UPDATE";
static const char SQL_RETIRE[] = "UPDATE pseudonym_key SET retired_at = now() WHERE id = $1::int";
static const char SQL_ADD[] =
    "INSERT INTO pseudonym_key (fingerprint) VALUES (decode($1, 'hex')) RETURNING id";
static const char SQL_MAP[] =
    "CREATE TEMP TABLE rekey_map (old bytea PRIMARY KEY, new bytea NOT NULL) ON COMMIT DROP";
static const char SQL_PERSONS[] =
    "SELECT DISTINCT person FROM contact WHERE key_id = $1::int"
    " UNION SELECT person FROM contact_before WHERE key_id = $1::int";
static const char SQL_MAP_ADD[] =
    "INSERT INTO rekey_map SELECT * FROM unnest($1::bytea[], $2::bytea[])";
static const char SQL_MAP_ANALYZE[] = "ANALYZE rekey_map";
static const char SQL_REKEY_CONTACT[] =
    "UPDATE contact c SET person = m.new, key_id = $2::int FROM rekey_map m"
    " WHERE c.key_id = $1::int AND c.person = m.old";
static const char SQL_REKEY_BEFORE[] =
    "UPDATE contact_before c SET person = m.new, key_id = $2::int FROM rekey_map m"
    " WHERE c.key_id = $1::int AND c.person = m.old";

typedef struct rotate_job {
    obs_keyring *ring;
    const char *key_file, *actor;
    col_rotation *out;
} rotate_job;

static int id_of(PGresult *r)
{
    return (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
}

/* Append "\\x" + hex of 16 bytes to an array literal under construction. */
static obs_status put_elem(obs_buf *b, const uint8_t v[16])
{
    char hex[33];
    obs_hex(v, 16, hex);
    obs_status rc = obs_buf_puts(b, b->len > 1 ? ",\"\\\\x" : "\"\\\\x");
    if (rc == OBS_OK)
        rc = obs_buf_puts(b, hex);
    if (rc == OBS_OK)
        rc = obs_buf_putc(b, '"');
    return rc;
}

static obs_status flush_map(PGconn *c, obs_buf *olds, obs_buf *news, obs_err *e)
{
    if (obs_buf_putc(olds, '}') || obs_buf_putc(news, '}'))
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    obs_status rc = obs_db_exec(c, SQL_MAP_ADD, 2, (const char *[]){olds->data, news->data}, NULL, e);
    obs_buf_reset(olds);
    obs_buf_reset(news);
    if (obs_buf_putc(olds, '{') || obs_buf_putc(news, '{'))
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    return rc;
}

/* The map old -> HMAC(new key, "R|" + old) of every pseudonym of the retired key. */
static obs_status build_map(PGconn *c, const obs_key *next, const char *from, long long *n,
                            obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, SQL_MAP, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_PERSONS, 1, (const char *[]){from}, &r, e);
    if (rc)
        return rc;
    obs_hmac *h = obs_hmac_new(next->secret, OBS_KEY_LEN);
    obs_buf olds, news;
    obs_buf_init(&olds, 0);
    obs_buf_init(&news, 0);
    rc = h && obs_buf_putc(&olds, '{') == OBS_OK && obs_buf_putc(&news, '{') == OBS_OK
             ? OBS_OK
             : obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    int rows = PQntuples(r);
    for (int i = 0; i < rows && rc == OBS_OK; i++) {
        uint8_t old[16], fresh[16];
        const char *v = PQgetvalue(r, i, 0);
        if (strncmp(v, "\\x", 2) != 0 || obs_unhex(v + 2, old, 16) != OBS_OK) {
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "pseudonyme stocké illisible");
            break;
        }
        if (col_pseudonym_rekey(h, old, fresh) != OBS_OK)
            rc = obs_fail(e, OBS_ERR_INTERNAL, "E_PSEUDONYM", "pseudonymisation impossible");
        if (rc == OBS_OK && (put_elem(&olds, old) || put_elem(&news, fresh)))
            rc = obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        if (rc == OBS_OK && ((i + 1) % REKEY_CHUNK == 0 || i + 1 == rows))
            rc = flush_map(c, &olds, &news, e);
    }
    PQclear(r);
    obs_hmac_free(h);
    obs_buf_free(&olds);
    obs_buf_free(&news);
    *n = rows;
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_MAP_ANALYZE, e);
    return rc;
}

static long long affected(PGresult *r)
{
    return strtoll(PQcmdTuples(r), NULL, 10);
}

static obs_status rotate_tx(PGconn *c, void *arg, obs_err *e)
{
    rotate_job *j = arg;
    obs_keyring *ring = j->ring;
    /* The file is read, checked and appended to under the exclusive guard: a second rotation
     * run meanwhile waits here, then finds the first one's key current and appends after it. */
    int current = 0, pending = 0;
    obs_status rc = obs_db_run(c, OBS_GUARD_SQL_EXCLUSIVE, e);
    if (rc == OBS_OK)
        rc = obs_keyring_load(j->key_file, ring, e);
    if (rc == OBS_OK)
        rc = col_keys_check(c, ring, &current, &pending, e);
    j->out->resumed = pending;
    if (rc == OBS_OK && !pending)
        rc = obs_keyring_append(j->key_file, ring, e);
    if (rc)
        return rc;
    char before[65], next[65];
    obs_hex(ring->keys[ring->n - 2].fingerprint, 32, before);
    obs_hex(ring->keys[ring->n - 1].fingerprint, 32, next);
    PGresult *r = NULL;
    if ((rc = obs_db_exec(c, SQL_CURRENT, 0, NULL, &r, e)))
        return rc;
    int ok = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), before) == 0;
    j->out->from_id = ok ? id_of(r) : 0;
    PQclear(r);
    if (!ok)
        return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_ROTATION_RACE",
                        "la clé courante a changé pendant la rotation (une autre rotation ?) : "
                        "relancez `iscgobs key list` puis la commande");
    char from[16], to[16];
    snprintf(from, sizeof from, "%d", j->out->from_id);
    rc = obs_db_exec(c, SQL_RETIRE, 1, (const char *[]){from}, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_ADD, 1, (const char *[]){next}, &r, e);
    if (rc)
        return rc;
    j->out->to_id = id_of(r);
    PQclear(r);
    snprintf(to, sizeof to, "%d", j->out->to_id);
    rc = build_map(c, &ring->keys[ring->n - 1], from, &j->out->persons, e);
    j->out->rows = 0;
    const char *const p[] = {from, to};
    const char *const updates[] = {SQL_REKEY_CONTACT, SQL_REKEY_BEFORE};
    for (size_t i = 0; i < 2 && rc == OBS_OK; i++) {
        if ((rc = obs_db_exec(c, updates[i], 2, p, &r, e)) == OBS_OK) {
            j->out->rows += affected(r);
            PQclear(r);
        }
    }
    if (rc)
        return rc;
    char detail[256];
    snprintf(detail, sizeof detail,
             "{\"from\": %d, \"to\": %d, \"persons\": %lld, \"rows\": %lld, \"fingerprint\": \"%s\"}",
             j->out->from_id, j->out->to_id, j->out->persons, j->out->rows, next);
    char target[24];
    snprintf(target, sizeof target, "key/%d", j->out->to_id);
    return obs_audit_append(c, j->actor, "key.rotate", target, "ok", detail, e);
}

obs_status col_key_rotate(PGconn *c, const char *key_file, const char *actor, col_rotation *out,
                          obs_err *e)
{
    memset(out, 0, sizeof *out);
    obs_keyring *ring = malloc(sizeof *ring);
    if (ring == NULL)
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    rotate_job j = {ring, key_file, actor, out};
    double t0 = obs_now_ms();
    obs_status rc = obs_db_tx(c, rotate_tx, &j, e);
    out->ms = obs_now_ms() - t0;
    if (rc == OBS_OK)
        obs_log(OBS_LOG_INFO, "key.rotate", "from=%d to=%d persons=%lld rows=%lld ms=%.0f",
                out->from_id, out->to_id, out->persons, out->rows, out->ms);
    obs_keyring_wipe(ring);
    free(ring);
    return rc;
}
