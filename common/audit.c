/* audit.c: the audit chain in C: the canonical text of an entry and its SHA-256; the walk over
 * the whole log that names the first entry whose hash, link or position does not hold
 * (`iscgobs audit verify`); and the chaining of the uploads' entries just after their commit
 * (migration 016, docs/reliability.md "Audit chain"). The chain is otherwise written by
 * PostgreSQL (migrations/005_audit_chain.sql), with the same canonical text.
 *
 * Chaining: obs_audit_chain takes the chain's lock, reads its head and the unchained entries,
 * computes their hashes here and sets them in one UPDATE. serve's chainer thread runs it at
 * most every OBS_AUDIT_CHAIN_MS while uploads come (each upload kicks it after its COMMIT),
 * every OBS_AUDIT_SWEEP_MS anyway, and once more when it stops. Decisions: a thread of its own,
 * not a step of the aggregator's background thread, because the chain is the collector's and
 * runs with the refresh off too; hashes in C rather than in PL/pgSQL, whose loop cost about
 * half a millisecond per entry (as much as the upload's COPY). */
#include "audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "log.h"

#define AUDIT_MAGIC "iscgobs-audit-v1\n"
#define AUDIT_BATCH 1000 /* rows read per query by the verifier */
#define AUDIT_STR_(x) #x
#define AUDIT_STR(x) AUDIT_STR_(x)

static const char SQL_BATCH[] =
    "SELECT seq, id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " account_id, actor, action, target, outcome, detail::text, encode(prev_hash, 'hex'),"
    " encode(hash, 'hex')"
    " FROM audit_log WHERE seq > $1::bigint ORDER BY seq LIMIT " AUDIT_STR(AUDIT_BATCH);

/* entries written after the chain's last pass (migration 016), not part of it yet */
static const char SQL_UNCHAINED[] = "SELECT count(*) FROM audit_log WHERE seq IS NULL";

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
    PGresult *u = NULL;
    if (obs_db_exec(c, SQL_UNCHAINED, 0, NULL, &u, e))
        return e->status;
    out->unchained = strtoll(PQgetvalue(u, 0, 0), NULL, 10);
    PQclear(u);
    if (!anchor_seen) {
        out->broken_seq = anchor_seq;
        snprintf(out->why, sizeof out->why,
                 "l'entrée de l'ancre n'existe plus : la chaîne a été tronquée");
    }
    return OBS_OK;
}

#define OBS_AUDIT_SWEEP_MS 5000 /* the look for entries no kick announced */
#define OBS_AUDIT_CHAIN_BATCH 10000 /* entries per transaction */

/* The chain's lock (the trigger's, migration 005), then the head and the unchained entries
 * committed before it was granted (READ COMMITTED: each statement's snapshot is later). */
static const char SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(2026, 11), set_config('iscgobs.audit_chaining', 'on', true)";
static const char SQL_HEAD[] =
    "SELECT seq, encode(hash, 'hex') FROM audit_log WHERE seq IS NOT NULL"
    " ORDER BY seq DESC LIMIT 1";
static const char SQL_PENDING[] =
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " account_id, actor, action, target, outcome, detail::text"
    " FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT " AUDIT_STR(OBS_AUDIT_CHAIN_BATCH);
static const char SQL_SET[] =
    "UPDATE audit_log a SET seq = u.seq, prev_hash = decode(u.prev, 'hex'),"
    " hash = decode(u.hash, 'hex')"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u(id, seq, prev, hash)"
    " WHERE a.id = u.id AND a.seq IS NULL";
static const char SQL_RECOVERY[] = "SELECT pg_is_in_recovery()";

typedef struct chain_job {
    long long chained;
} chain_job;

/* Append one array element (digits or hex: nothing to quote) to b, "{" first. */
static obs_status array_add(obs_buf *b, const char *v)
{
    return obs_buf_append(b, b->len ? "," : "{", 1) || obs_buf_append(b, v, strlen(v))
               ? OBS_ERR_NOMEM
               : OBS_OK;
}

static obs_status chain_tx(PGconn *c, void *arg, obs_err *e)
{
    chain_job *j = arg;
    j->chained = 0;
    PGresult *head = NULL, *rows = NULL;
    obs_status rc = obs_db_exec(c, SQL_LOCK, 0, NULL, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_HEAD, 0, NULL, &head, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_PENDING, 0, NULL, &rows, e);
    int n = rc == OBS_OK ? PQntuples(rows) : 0;
    long long seq = rc == OBS_OK && PQntuples(head) ? strtoll(PQgetvalue(head, 0, 0), NULL, 10) : 0;
    char prev[65], hash[65], seq_s[24];
    snprintf(prev, sizeof prev, "%s",
             seq ? PQgetvalue(head, 0, 1)
                 : "0000000000000000000000000000000000000000000000000000000000000000");
    obs_buf ids = {0}, seqs = {0}, prevs = {0}, hashes = {0};
    for (int i = 0; i < n && rc == OBS_OK; i++) {
        snprintf(seq_s, sizeof seq_s, "%lld", ++seq);
        const char *f[OBS_AUDIT_NFIELDS] = {seq_s};
        for (int k = 0; k < 8; k++)
            f[k + 1] = PQgetisnull(rows, i, k) ? NULL : PQgetvalue(rows, i, k);
        f[9] = prev;
        uint8_t h[32];
        rc = obs_audit_hash(f, h);
        obs_hex(h, 32, hash);
        if (rc == OBS_OK && (array_add(&ids, f[1]) || array_add(&seqs, seq_s) ||
                             array_add(&prevs, prev) || array_add(&hashes, hash)))
            rc = OBS_ERR_NOMEM;
        memcpy(prev, hash, sizeof prev);
    }
    obs_buf *arrays[] = {&ids, &seqs, &prevs, &hashes};
    for (size_t k = 0; k < 4 && rc == OBS_OK && n; k++)
        if (obs_buf_append(arrays[k], "}", 1))
            rc = OBS_ERR_NOMEM;
    if (rc == OBS_ERR_NOMEM)
        obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante");
    if (rc == OBS_OK && n)
        rc = obs_db_exec(c, SQL_SET, 4,
                         (const char *[]){ids.data, seqs.data, prevs.data, hashes.data}, NULL, e);
    if (rc == OBS_OK)
        j->chained = n;
    for (size_t k = 0; k < 4; k++)
        obs_buf_free(arrays[k]);
    PQclear(head);
    PQclear(rows);
    return rc;
}

obs_status obs_audit_chain(PGconn *c, long long *chained, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_RECOVERY, 0, NULL, &r, e);
    int standby = rc == OBS_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    chain_job j = {0};
    if (rc == OBS_OK && !standby) /* a standby replays the primary's chain */
        rc = obs_db_tx(c, chain_tx, &j, e);
    if (chained)
        *chained = j.chained;
    return rc;
}

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int running, stopping, kicked;

static void after_ms(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

/* Chain until nothing is left (batches of OBS_AUDIT_CHAIN_BATCH); failures are logged and
 * the next kick or sweep tries again. */
static void chain_all(void)
{
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    long long n = OBS_AUDIT_CHAIN_BATCH;
    while (c && n == OBS_AUDIT_CHAIN_BATCH) {
        if (obs_audit_chain(c, &n, &e) != OBS_OK) {
            obs_log(OBS_LOG_WARN, "audit.chain", "ok=0 code=%s", e.code);
            return;
        }
    }
}

static void *chainer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        kicked = 0;
        pthread_mutex_unlock(&mu);
        chain_all();
        /* a pause after each run: the uploads of the next quarter of a second in one batch */
        struct timespec until;
        after_ms(&until, OBS_AUDIT_CHAIN_MS);
        pthread_mutex_lock(&mu);
        while (!stopping && pthread_cond_timedwait(&cv, &mu, &until) != ETIMEDOUT)
            ;
        after_ms(&until, OBS_AUDIT_SWEEP_MS);
        while (!stopping && !kicked && pthread_cond_timedwait(&cv, &mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&mu);
    chain_all(); /* what the last uploads left, before serve exits */
    obs_db_disconnect();
    return NULL;
}

obs_status obs_audit_chainer_start(obs_err *e)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &a);
    pthread_condattr_destroy(&a);
    pthread_mutex_lock(&mu);
    stopping = 0;
    kicked = 0;
    int err = pthread_create(&thread, NULL, chainer_main, NULL);
    running = err == 0;
    pthread_mutex_unlock(&mu);
    if (err) {
        pthread_cond_destroy(&cv);
        return obs_fail(e, OBS_ERR_INTERNAL, "E_THREAD", "fil de chaînage du journal impossible");
    }
    return OBS_OK;
}

void obs_audit_chain_kick(void)
{
    pthread_mutex_lock(&mu);
    if (running) {
        kicked = 1;
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
}

void obs_audit_chainer_stop(void)
{
    pthread_mutex_lock(&mu);
    int was = running;
    running = 0;
    stopping = 1;
    if (was)
        pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    if (!was)
        return;
    pthread_join(thread, NULL);
    pthread_cond_destroy(&cv);
}
