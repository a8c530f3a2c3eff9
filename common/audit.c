/* audit.c: the audit chain recomputed in C: the canonical text of an entry, its SHA-256, and
 * the walk over the whole log that names the first entry whose hash, link or position does
 * not hold (`iscgobs audit verify`). The chain itself is written by PostgreSQL
 * (migrations/005_audit_chain.sql), with the same canonical text. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"

#define AUDIT_MAGIC "iscgobs-audit-v1\n"
#define AUDIT_BATCH 1000 /* rows read per query by the verifier */
#define AUDIT_STR_(x) #x
#define AUDIT_STR(x) AUDIT_STR_(x)

static const char SQL_BATCH[] =
    "SELECT seq, id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " account_id, actor, action, target, outcome, detail::text, encode(prev_hash, 'hex'),"
    " encode(hash, 'hex')"
    " FROM audit_log WHERE seq > $1::bigint ORDER BY seq LIMIT " AUDIT_STR(AUDIT_BATCH);

static const char SQL_APPEND[] =
    "INSERT INTO audit_log (actor, action, target, outcome, detail)"
    " VALUES ($1, $2, $3, $4, $5::jsonb)";

obs_status obs_audit_append(PGconn *c, const char *actor, const char *action,
                            const char *target, const char *outcome, const char *detail,
                            obs_err *e)
{
    return obs_db_exec(c, SQL_APPEND, 5, (const char *[]){actor, action, target, outcome, detail},
                       NULL, e);
}

obs_status obs_audit_hash(const char *const f[OBS_AUDIT_NFIELDS], uint8_t out[32])
{
    obs_buf b;
    obs_buf_init(&b, 1 << 20);
    obs_status rc = obs_buf_append(&b, AUDIT_MAGIC, strlen(AUDIT_MAGIC));
    for (int i = 0; rc == OBS_OK && i < OBS_AUDIT_NFIELDS; i++) {
        if (f[i] == NULL) {
            rc = obs_buf_append(&b, "-\n", 2);
            continue;
        }
        size_t n = strlen(f[i]);
        char len[24];
        int k = snprintf(len, sizeof len, "%zu:", n);
        rc = obs_buf_append(&b, len, (size_t)k);
        if (rc == OBS_OK)
            rc = obs_buf_append(&b, f[i], n);
        if (rc == OBS_OK)
            rc = obs_buf_append(&b, "\n", 1);
    }
    if (rc == OBS_OK)
        obs_sha256(b.data, b.len, out);
    obs_buf_free(&b);
    return rc;
}

static void broken(obs_audit_check *out, PGresult *r, int i, const char *why)
{
    out->broken_seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    out->broken_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    snprintf(out->why, sizeof out->why, "%s", why);
}

/* Check row i of a batch against the previous entry (out->head_*). Returns 1 when sound. */
static int check_row(obs_audit_check *out, PGresult *r, int i, obs_status *rc)
{
    const char *f[OBS_AUDIT_NFIELDS];
    for (int k = 0; k < OBS_AUDIT_NFIELDS; k++)
        f[k] = PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
    long long seq = strtoll(f[0], NULL, 10);
    if (seq != out->head_seq + 1) {
        broken(out, r, i, out->head_seq == 0 ? "la chaîne ne commence pas à la position 1"
                                             : "une entrée manque avant celle-ci");
        return 0;
    }
    const char *prev = f[9] ? f[9] : "";
    const char *want = out->head_seq == 0
                           ? "0000000000000000000000000000000000000000000000000000000000000000"
                           : out->head_hash;
    if (strcmp(prev, want) != 0) {
        broken(out, r, i, "son lien vers l'entrée précédente ne correspond pas");
        return 0;
    }
    uint8_t h[32];
    char hex[65];
    if ((*rc = obs_audit_hash(f, h)) != OBS_OK)
        return 0;
    obs_hex(h, 32, hex);
    if (PQgetisnull(r, i, 10) || strcmp(hex, PQgetvalue(r, i, 10)) != 0) {
        broken(out, r, i, "son contenu ne correspond plus à son empreinte");
        return 0;
    }
    out->entries++;
    out->head_seq = seq;
    snprintf(out->head_hash, sizeof out->head_hash, "%s", hex);
    return 1;
}

obs_status obs_audit_verify(PGconn *c, long long anchor_seq, const char *anchor_hex,
                            obs_audit_check *out, obs_err *e)
{
    memset(out, 0, sizeof *out);
    int anchor_seen = anchor_seq <= 0;
    for (;;) {
        char after[24];
        snprintf(after, sizeof after, "%lld", out->head_seq);
        PGresult *r = NULL;
        obs_status rc = obs_db_exec(c, SQL_BATCH, 1, (const char *[]){after}, &r, e);
        if (rc)
            return rc;
        int n = PQntuples(r);
        for (int i = 0; i < n && rc == OBS_OK; i++) {
            if (!check_row(out, r, i, &rc)) {
                PQclear(r);
                return rc ? obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante") : OBS_OK;
            }
            if (out->head_seq == anchor_seq) {
                anchor_seen = 1;
                if (anchor_hex == NULL || strcasecmp(anchor_hex, out->head_hash) != 0) {
                    out->entries--;
                    broken(out, r, i, "son empreinte diffère de l'ancre conservée : "
                                      "la chaîne a été réécrite");
                    PQclear(r);
                    return OBS_OK;
                }
            }
        }
        PQclear(r);
        if (n < AUDIT_BATCH)
            break;
    }
    if (!anchor_seen) {
        out->broken_seq = anchor_seq;
        snprintf(out->why, sizeof out->why,
                 "l'entrée de l'ancre n'existe plus : la chaîne a été tronquée");
    }
    return OBS_OK;
}
