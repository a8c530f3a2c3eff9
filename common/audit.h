/* audit.h: the tamper-evident audit chain (migrations/005_audit_chain.sql appends and chains
 * every INSERT INTO audit_log, 016 lets uploads be chained just after their commit; audit.c
 * recomputes the chain in C, chains the uploads' entries after their commit and serves it to
 * administrators). The canonical hash input is documented in docs/reliability.md. */
#ifndef OBS_AUDIT_H
#define OBS_AUDIT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* One entry's fields as PostgreSQL prints them (NULL for SQL NULL): seq, id, at (UTC,
 * YYYY-MM-DDTHH:MM:SS.ffffffZ), account_id, actor, action, target, outcome, detail (jsonb
 * text), prev_hash (lower-case hex). */
enum { OBS_AUDIT_NFIELDS = 10 };

/* SHA-256 of the canonical text of one entry's fields into out. Returns OBS_ERR_NOMEM when
 * the text cannot be built (out is then unspecified). */
obs_status obs_audit_hash(const char *const f[OBS_AUDIT_NFIELDS], uint8_t out[32]);

typedef struct obs_audit_check {
    long long entries;     /* entries read and found sound */
    long long head_seq;    /* the last sound entry's position (0: empty log) */
    char head_hash[65];    /* its hash, hex ("" for an empty log) */
    long long broken_seq;  /* 0 when the chain holds; else the first broken entry's seq */
    long long broken_id;   /* and its id */
    char why[160];         /* what is wrong with it, in French */
    long long unchained;   /* entries not chained yet (migration 016), not verified */
} obs_audit_check;

/* Recompute the whole chain in order of seq (batches of 1000 rows): each entry's hash from its
 * fields, its prev_hash against the previous entry's hash, seq without gap from 1. When
 * anchor_seq > 0, the entry at that position must also have the hash anchor_hex (a head
 * exported earlier: it proves the chain was not rewritten up to there). Returns OBS_OK with
 * out->broken_seq = 0 when sound, OBS_OK with broken_seq set when not, OBS_ERR_DB when the log
 * cannot be read. */
obs_status obs_audit_verify(PGconn *c, long long anchor_seq, const char *anchor_hex,
                            obs_audit_check *out, obs_err *e);

/* Append one entry (account_id NULL) from a command: actor, action, target, outcome as in
 * audit_log; detail a JSON object text or NULL; never a personal value. The chain trigger
 * links it. Returns OBS_ERR_DB with e filled when the insert fails. */
obs_status obs_audit_append(PGconn *c, const char *actor, const char *action,
                            const char *target, const char *outcome, const char *detail,
                            obs_err *e);

/* Chain the entries written unchained (the uploads', iscgobs.audit_defer: migration 016) that
 * committed before this call, in order of id; *chained (may be NULL) is how many. On a
 * standby, nothing (the primary chains). OBS_ERR_DB when the function cannot run. */
obs_status obs_audit_chain(PGconn *c, long long *chained, obs_err *e);

/* serve's chainer: a thread that chains what uploads left unchained, at most
 * every OBS_AUDIT_CHAIN_MS after obs_audit_chain_kick (called after an upload's COMMIT), and
 * every few seconds anyway (entries left by a failure or a previous process). kick is a no-op
 * when the thread is not running (commands, tests). */
enum { OBS_AUDIT_CHAIN_MS = 250 };
obs_status obs_audit_chainer_start(obs_err *e);
void obs_audit_chain_kick(void);
void obs_audit_chainer_stop(void);

#endif
