/* store.c: one grid into PostgreSQL: its new version (grid, history, removal of the old
 * rows, audit) and its contacts by binary COPY, in a single transaction; the caller answers
 * only after COMMIT. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "date.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "ref.h"

static col_after_store_fn after_store;
static col_before_store_fn before_store;

void col_store_set_hook(col_after_store_fn fn)
{
    after_store = fn;
}

void col_store_set_prepare(col_before_store_fn fn)
{
    before_store = fn;
}

/* Serialises uploads of one post-month (two concurrent corrections queue up here), then, in
 * a snapshot taken after the lifecycle guard (OBS_GUARD_SQL_SHARED, the statement before),
 * reads the current key and whether the month was purged (a rotation or a purge that
 * committed while the upload waited is seen here). The upload's audit entry is chained after
 * its commit (iscgobs.audit_defer, migration 016): the chain's lock is not held across the
 * COMMIT, so uploads do not flush the WAL one at a time. */
static const char SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2)),"
    " (SELECT id FROM pseudonym_key WHERE retired_at IS NULL), " COL_SQL_FROZEN("$2::date") ","
    " set_config('iscgobs.audit_defer', 'on', true)";

static const char SQL_CURRENT[] =
    "SELECT version, rows, persons, on_time,"
    " to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM grid WHERE post = $1 AND period = $2::date AND sha256 = decode($3, 'hex')";

/* The whole new version in one statement (nothing at all, and no row returned, when the
 * stored version has the same checksum): the grid's current state (first version: on time
 * when received before the 11th of the next month, Paris time; a correction keeps
 * first_received_at and on_time, grid-format.md section 6), its history row and the removal
 * of the old rows (the new ones follow by COPY; the audit entry comes last, SQL_AUDIT). */
static const char SQL_NEW_VERSION[] =
    "WITH g AS ("
    "  INSERT INTO grid AS g (post, period, version, sha256, rows, persons, first_received_at,"
    "                         received_at, on_time)"
    "  VALUES ($1, $2::date, 1, decode($3, 'hex'), $4::int, $5::int,"
    "          coalesce($6::timestamptz, now()), coalesce($6::timestamptz, now()),"
    "          coalesce($6::timestamptz, now()) < (($2::date + interval '1 month 10 days')::timestamp"
    "                                              AT TIME ZONE 'Europe/Paris'))"
    "  ON CONFLICT (post, period) DO UPDATE SET version = g.version + 1, sha256 = EXCLUDED.sha256,"
    "    rows = EXCLUDED.rows, persons = EXCLUDED.persons, received_at = EXCLUDED.received_at"
    "    WHERE g.sha256 <> EXCLUDED.sha256"
    "  RETURNING version, on_time, received_at),"
    " u AS (INSERT INTO upload (post, period, version, sha256, rows, persons, warnings, format,"
    "                          account_id, received_at, on_time)"
    "       SELECT $1, $2::date, g.version, decode($3, 'hex'), $4::int, $5::int, $7::int, $8,"
    "              $9::bigint, g.received_at, g.on_time FROM g),"
    " d AS (DELETE FROM contact WHERE post = $1 AND period = $2::date AND EXISTS (SELECT FROM g))"
    " SELECT version, on_time,"
    "   to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM g";

/* The audit entry of a new version: the last statement before COMMIT, because its chain
 * trigger (migrations/005_audit_chain.sql) holds the chain's lock until the transaction ends
 * and concurrent uploads then wait only for each other's COMMIT. */
static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    " VALUES ($1::bigint, $2, 'grid.upload', $3 || '/' || to_char($4::date, 'YYYY-MM'),"
    "         CASE WHEN $5::int = 1 THEN 'created' ELSE 'replaced' END,"
    "         jsonb_build_object('version', $5::int, 'rows', $6::int, 'sha256', $7::text,"
    "                            'admin_override', $8::boolean, 'backdated', $9::boolean))";

/* Binary COPY: the values go as PostgreSQL stores them (no text to parse per cell). */
static const char SQL_COPY[] =
    "COPY contact (post, period, line, date_contact, person, key_id, sexe, age, dep_res,"
    " statut, origine, connu_ss, mode, problems, orientations) FROM STDIN (FORMAT binary)";
enum { COPY_FIELDS = 15 };
#define PG_EPOCH_DAYS 10957 /* 1970-01-01 to 2000-01-01, PostgreSQL's day 0 */

typedef struct store_job {
    const col_grid *g;
    const col_upload_meta *m;
    col_receipt *r;
    char period[11]; /* YYYY-MM-01 */
    int32_t day0;    /* the day before the month's first, in days since 2000-01-01 */
} store_job;

/* A tuple of the binary COPY format under construction: big-endian integers, each field
 * preceded by its length (-1 for NULL). Rows are small: a fixed buffer on the stack. */
typedef struct tuple_w {
    uint8_t b[512];
    size_t n;
    int overflow;
} tuple_w;

static void tw_bytes(tuple_w *w, const void *p, size_t k)
{
    if (w->n + k > sizeof w->b) {
        w->overflow = 1;
        return;
    }
    memcpy(w->b + w->n, p, k);
    w->n += k;
}

static void tw_be(tuple_w *w, uint32_t v, size_t k)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    tw_bytes(w, t + 4 - k, k);
}

static void tw_field(tuple_w *w, const void *p, size_t k)
{
    tw_be(w, (uint32_t)k, 4);
    tw_bytes(w, p, k);
}

static void tw_text(tuple_w *w, const char *s)
{
    tw_field(w, s, strlen(s));
}

static void tw_int(tuple_w *w, uint32_t v, size_t k) /* int4 (k = 4), int2 (k = 2), date */
{
    tw_be(w, (uint32_t)k, 4);
    tw_be(w, v, k);
}

static void tw_code(tuple_w *w, ref_list l, int8_t i)
{
    tw_text(w, ref_at(l, (size_t)i)->code);
}

/* Append the binary tuple of one row. */
static obs_status copy_tuple(obs_buf *b, const store_job *j, const col_row *row)
{
    tuple_w w = {.n = 0};
    tw_be(&w, COPY_FIELDS, 2);
    tw_text(&w, j->g->post);
    tw_int(&w, (uint32_t)(j->day0 + 1), 4);
    tw_int(&w, (uint32_t)row->line, 4);
    tw_int(&w, (uint32_t)(j->day0 + row->day), 4);
    tw_field(&w, row->person, sizeof row->person);
    tw_int(&w, (uint32_t)j->m->key_id, 2);
    tw_code(&w, REF_SEXE, row->sexe);
    tw_code(&w, REF_AGE, row->age);
    if (row->dep_res[0])
        tw_text(&w, row->dep_res);
    else
        tw_be(&w, UINT32_MAX, 4); /* NULL */
    tw_code(&w, REF_STATUT, row->statut);
    tw_code(&w, REF_ORIGINE, row->origine);
    tw_code(&w, REF_CONNU_SS, row->connu_ss);
    tw_code(&w, REF_MODE, row->mode);
    tw_int(&w, row->problems, 4);
    tw_int(&w, row->orientations, 4);
    if (w.overflow)
        return OBS_ERR_INTERNAL; /* codes are short: a defect */
    return obs_buf_append(b, w.b, w.n);
}

/* The binary COPY stream: signature, flags, header extension length; tuples; trailer. */
static const uint8_t COPY_HEADER[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
static const uint8_t COPY_TRAILER[2] = {0xFF, 0xFF};

static obs_status copy_rows(PGconn *c, const store_job *j, obs_err *e)
{
    PGresult *r = PQexec(c, SQL_COPY);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
        return obs_fail(e, OBS_ERR_DB, "E_DB", "COPY refusé par la base");
    obs_buf b;
    obs_buf_init(&b, 0);
    obs_status rc = obs_buf_append(&b, COPY_HEADER, sizeof COPY_HEADER);
    for (size_t i = 0; i < j->g->n && rc == OBS_OK; i++) {
        rc = copy_tuple(&b, j, &j->g->rows[i]);
        if (rc == OBS_OK && b.len >= 64 * 1024) {
            if (PQputCopyData(c, b.data, (int)b.len) != 1)
                rc = OBS_ERR_DB;
            obs_wipe(b.data, b.len);
            obs_buf_reset(&b);
        }
    }
    if (rc == OBS_OK)
        rc = obs_buf_append(&b, COPY_TRAILER, sizeof COPY_TRAILER);
    if (rc == OBS_OK && PQputCopyData(c, b.data, (int)b.len) != 1)
        rc = OBS_ERR_DB;
    obs_buf_wipe(&b);
    if (PQputCopyEnd(c, rc ? "aborted" : NULL) != 1 && rc == OBS_OK)
        rc = OBS_ERR_DB;
    obs_status rc2 = OBS_OK;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) == PGRES_COPY_IN) {
            /* The end of the COPY could not be sent: the session is still in it, and would
             * answer COPY_IN for ever (found by tests/integration/reliability/test_faults.c). */
            PQclear(r);
            obs_db_reset(c, "copy");
            rc2 = OBS_ERR_DB;
            break;
        }
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            obs_log(OBS_LOG_WARN, "db.copy", "sqlstate=%s", state ? state : "");
            rc2 = OBS_ERR_DB;
        }
        PQclear(r);
    }
    if (rc == OBS_ERR_NOMEM)
        return obs_fail(e, rc, "E_NOMEM", "mémoire insuffisante");
    if (rc || rc2)
        return obs_fail(e, OBS_ERR_DB, "E_DB", "écriture des contacts impossible");
    return OBS_OK;
}

static void fmt_int(char *out, size_t n, long long v)
{
    snprintf(out, n, "%lld", v);
}

/* The receipt of the version in force, for a byte-identical re-upload. */
static obs_status stored_receipt(PGconn *c, store_job *j, obs_err *e)
{
    PGresult *res = NULL;
    obs_status rc = obs_db_exec_prepared(
        c, SQL_CURRENT, 3, (const char *[]){j->g->post, j->period, j->m->sha256}, &res, e);
    if (rc)
        return rc;
    col_receipt *r = j->r;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "version introuvable");
    }
    r->outcome = COL_UNCHANGED;
    r->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->rows = (size_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
    r->persons = (size_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
    r->on_time = PQgetvalue(res, 0, 3)[0] == 't';
    snprintf(r->received_at, sizeof r->received_at, "%s", PQgetvalue(res, 0, 4));
    PQclear(res);
    return OBS_OK;
}

static obs_status store_tx(PGconn *c, void *arg, obs_err *e)
{
    store_job *j = arg;
    const col_grid *g = j->g;
    const col_upload_meta *m = j->m;
    col_receipt *r = j->r;
    PGresult *res[4];
    char rows[24], persons[24], warnings[24], account[24];
    fmt_int(rows, sizeof rows, (long long)g->n);
    fmt_int(persons, sizeof persons, (long long)g->persons);
    fmt_int(warnings, sizeof warnings, (long long)m->nwarnings);
    fmt_int(account, sizeof account, m->account_id);
    const char *p[] = {g->post,         j->period,  m->sha256, rows,
                       persons,         m->received_at, warnings, m->format,
                       m->account_id ? account : NULL, m->actor ? m->actor : "?",
                       m->admin_override ? "t" : "f"};
    /* The transaction opens, takes the post-month's lock and writes the new version in one
     * round trip: three statements, so that the version statement's snapshot is taken after
     * the lock (it then sees the rows of a correction that committed while we waited). */
    const obs_db_stmt open[] = {OBS_DB_BEGIN,
                                {OBS_GUARD_SQL_SHARED, -1, NULL},
                                {SQL_LOCK, 2, (const char *[]){g->post, j->period}},
                                {SQL_NEW_VERSION, 9, p}};
    obs_status rc = obs_db_pipeline(c, open, 4, res, e);
    if (rc)
        return rc;
    PGresult *v = res[3];
    int key_now = (int)strtol(PQgetvalue(res[2], 0, 1), NULL, 10);
    int purged = PQgetvalue(res[2], 0, 2)[0] == 't';
    PQclear(res[0]);
    PQclear(res[1]);
    PQclear(res[2]);
    if (purged || key_now != m->key_id) { /* rolled back by the caller */
        PQclear(v);
        if (purged)
            return obs_fail(e, OBS_ERR_CONFLICT, "E_PERIOD_PURGED", COL_PURGED_MSG);
        return obs_fail(e, OBS_ERR_CONFLICT, "E_KEY_STALE", "la clé a changé : nouvel essai");
    }
    if (PQntuples(v) == 0) { /* the same bytes again: nothing changed */
        PQclear(v);
        return stored_receipt(c, j, e);
    }
    r->version = (int)strtol(PQgetvalue(v, 0, 0), NULL, 10);
    r->on_time = PQgetvalue(v, 0, 1)[0] == 't';
    snprintf(r->received_at, sizeof r->received_at, "%s", PQgetvalue(v, 0, 2));
    PQclear(v);
    r->outcome = r->version == 1 ? COL_CREATED : COL_REPLACED;
    r->rows = g->n;
    r->persons = g->persons;
    if (g->n && (rc = copy_rows(c, j, e)))
        return rc;
    if (after_store && (rc = after_store(c, g->post, j->period, e)))
        return rc;
    char version[24];
    fmt_int(version, sizeof version, r->version);
    const char *a[] = {p[8], p[9], g->post, j->period, version, rows, m->sha256, p[10],
                       m->received_at ? "t" : "f"};
    return obs_db_exec_prepared(c, SQL_AUDIT, 9, a, NULL, e);
}

obs_status col_store(PGconn *c, const col_grid *g, const col_upload_meta *m, col_receipt *r,
                     obs_err *e)
{
    store_job j = {.g = g, .m = m, .r = r};
    snprintf(j.period, sizeof j.period, "%04d-%02d-01", g->year, g->month);
    j.day0 = (int32_t)(obs_days_from_civil(g->year, g->month, 1) - PG_EPOCH_DAYS - 1);
    memset(r, 0, sizeof *r);
    snprintf(r->sha256, sizeof r->sha256, "%s", m->sha256);
    obs_status rc = before_store ? before_store(c, j.period, e) : OBS_OK;
    if (rc == OBS_OK)
        rc = obs_db_tx_begun_by_fn(c, store_tx, &j, e);
    if (rc == OBS_OK && r->outcome != COL_UNCHANGED) {
        obs_audit_chain_kick(); /* its audit entry, written unchained (SQL_LOCK) */
        obs_log(OBS_LOG_INFO, "grid.stored", "post=%s period=%.7s version=%d rows=%zu", g->post,
                j.period, r->version, g->n);
    }
    return rc;
}
