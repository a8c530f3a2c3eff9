/* store.c: one grid into PostgreSQL: COPY of the contacts, version and history, audit, in a
 * single transaction; the caller answers only after COMMIT. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "log.h"
#include "ref.h"

static col_after_store_fn after_store;

void col_store_set_hook(col_after_store_fn fn)
{
    after_store = fn;
}

/* Serialises uploads of one post-month (two concurrent corrections queue up here). */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))";

static const char SQL_CURRENT[] =
    "SELECT version, rows, persons, on_time,"
    " to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM grid WHERE post = $1 AND period = $2::date AND sha256 = decode($3, 'hex')";

/* First version: on time when received before the 11th of the next month, Paris time.
 * A correction keeps first_received_at and on_time (grid-format.md section 6). */
static const char SQL_UPSERT_GRID[] =
    "INSERT INTO grid AS g (post, period, version, sha256, rows, persons, first_received_at,"
    "                       received_at, on_time)"
    " VALUES ($1, $2::date, 1, decode($3, 'hex'), $4, $5, coalesce($6::timestamptz, now()),"
    "         coalesce($6::timestamptz, now()),"
    "         coalesce($6::timestamptz, now()) < (($2::date + interval '1 month 10 days')::timestamp"
    "                                             AT TIME ZONE 'Europe/Paris'))"
    " ON CONFLICT (post, period) DO UPDATE SET version = g.version + 1, sha256 = EXCLUDED.sha256,"
    "   rows = EXCLUDED.rows, persons = EXCLUDED.persons, received_at = EXCLUDED.received_at"
    " RETURNING version, on_time,"
    "   to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

static const char SQL_INSERT_UPLOAD[] =
    "INSERT INTO upload (post, period, version, sha256, rows, persons, warnings, format,"
    "                    account_id, received_at, on_time)"
    " VALUES ($1, $2::date, $3, decode($4, 'hex'), $5, $6, $7, $8, $9,"
    "         coalesce($10::timestamptz, now()), $11)";

static const char SQL_DELETE_ROWS[] = "DELETE FROM contact WHERE post = $1 AND period = $2::date";

static const char SQL_COPY[] =
    "COPY contact (post, period, line, date_contact, person, key_id, sexe, age, dep_res,"
    " statut, origine, connu_ss, mode, problems, orientations) FROM STDIN";

static const char SQL_AUDIT[] =
    "INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    " VALUES ($1, $2, 'grid.upload', $3, $4, $5::jsonb)";

static const char SQL_KEY_ID[] =
    "WITH ins AS (INSERT INTO pseudonym_key (fingerprint) VALUES (decode($1, 'hex'))"
    "             ON CONFLICT (fingerprint) DO NOTHING RETURNING id)"
    " SELECT id FROM ins UNION ALL"
    " SELECT id FROM pseudonym_key WHERE fingerprint = decode($1, 'hex')";

typedef struct store_job {
    const col_grid *g;
    const col_upload_meta *m;
    col_receipt *r;
    char period[11]; /* YYYY-MM-01 */
} store_job;

/* Append the COPY text line of one row. Every value is a code we produced: no escaping. */
static obs_status copy_line(obs_buf *b, const store_job *j, const col_row *row)
{
    char hex[33];
    obs_hex(row->person, 16, hex);
    return obs_buf_printf(
        b, "%s\t%s\t%d\t%.8s%02d\t\\\\x%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%u\t%u\n", j->g->post,
        j->period, row->line, j->period, row->day, hex, j->m->key_id,
        ref_at(REF_SEXE, (size_t)row->sexe)->code, ref_at(REF_AGE, (size_t)row->age)->code,
        row->dep_res[0] ? row->dep_res : "\\N", ref_at(REF_STATUT, (size_t)row->statut)->code,
        ref_at(REF_ORIGINE, (size_t)row->origine)->code,
        ref_at(REF_CONNU_SS, (size_t)row->connu_ss)->code,
        ref_at(REF_MODE, (size_t)row->mode)->code, (unsigned)row->problems,
        (unsigned)row->orientations);
}

static obs_status copy_rows(PGconn *c, const store_job *j, obs_err *e)
{
    PGresult *r = PQexec(c, SQL_COPY);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok)
        return obs_fail(e, OBS_ERR_DB, "E_DB", "COPY refusé par la base");
    obs_buf b;
    obs_buf_init(&b, 0);
    obs_status rc = OBS_OK;
    for (size_t i = 0; i < j->g->n && rc == OBS_OK; i++) {
        rc = copy_line(&b, j, &j->g->rows[i]);
        if (rc == OBS_OK && (b.len >= 64 * 1024 || i + 1 == j->g->n)) {
            if (PQputCopyData(c, b.data, (int)b.len) != 1)
                rc = OBS_ERR_DB;
            obs_buf_reset(&b);
        }
    }
    obs_buf_free(&b);
    if (PQputCopyEnd(c, rc ? "aborted" : NULL) != 1 && rc == OBS_OK)
        rc = OBS_ERR_DB;
    obs_status rc2 = OBS_OK;
    while ((r = PQgetResult(c)) != NULL) {
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

static obs_status store_tx(PGconn *c, void *arg, obs_err *e)
{
    store_job *j = arg;
    const col_grid *g = j->g;
    const col_upload_meta *m = j->m;
    col_receipt *r = j->r;
    PGresult *res = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_LOCK, 2, (const char *[]){g->post, j->period}, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec_prepared(c, SQL_CURRENT, 3, (const char *[]){g->post, j->period, m->sha256}, &res, e);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) { /* the same bytes again: nothing changes */
        r->outcome = COL_UNCHANGED;
        r->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
        r->rows = (size_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
        r->persons = (size_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
        r->on_time = PQgetvalue(res, 0, 3)[0] == 't';
        snprintf(r->received_at, sizeof r->received_at, "%s", PQgetvalue(res, 0, 4));
        PQclear(res);
        return OBS_OK;
    }
    PQclear(res);

    char rows[24], persons[24], warnings[24], account[24], version[24];
    fmt_int(rows, sizeof rows, (long long)g->n);
    fmt_int(persons, sizeof persons, (long long)g->persons);
    fmt_int(warnings, sizeof warnings, (long long)m->nwarnings);
    fmt_int(account, sizeof account, m->account_id);
    const char *up[] = {g->post, j->period, m->sha256, rows, persons, m->received_at};
    if ((rc = obs_db_exec_prepared(c, SQL_UPSERT_GRID, 6, up, &res, e)))
        return rc;
    r->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->on_time = PQgetvalue(res, 0, 1)[0] == 't';
    snprintf(r->received_at, sizeof r->received_at, "%s", PQgetvalue(res, 0, 2));
    PQclear(res);
    r->outcome = r->version == 1 ? COL_CREATED : COL_REPLACED;
    r->rows = g->n;
    r->persons = g->persons;
    fmt_int(version, sizeof version, r->version);

    const char *hp[] = {g->post,       j->period, version,         m->sha256,
                        rows,          persons,   warnings,        m->format,
                        m->account_id ? account : NULL, m->received_at, r->on_time ? "t" : "f"};
    if ((rc = obs_db_exec_prepared(c, SQL_INSERT_UPLOAD, 11, hp, NULL, e)))
        return rc;
    if ((rc = obs_db_exec_prepared(c, SQL_DELETE_ROWS, 2, (const char *[]){g->post, j->period}, NULL, e)))
        return rc;
    if (g->n && (rc = copy_rows(c, j, e)))
        return rc;

    char target[32], detail[256];
    snprintf(target, sizeof target, "%s/%.7s", g->post, j->period);
    snprintf(detail, sizeof detail,
             "{\"version\": %d, \"rows\": %zu, \"sha256\": \"%s\", \"admin_override\": %s,"
             " \"backdated\": %s}",
             r->version, g->n, m->sha256, m->admin_override ? "true" : "false",
             m->received_at ? "true" : "false");
    const char *ap[] = {m->account_id ? account : NULL, m->actor ? m->actor : "?", target,
                        r->outcome == COL_CREATED ? "created" : "replaced", detail};
    if ((rc = obs_db_exec_prepared(c, SQL_AUDIT, 5, ap, NULL, e)))
        return rc;
    if (after_store)
        rc = after_store(c, g->post, j->period, e);
    return rc;
}

obs_status col_store(PGconn *c, const col_grid *g, const col_upload_meta *m, col_receipt *r,
                     obs_err *e)
{
    store_job j = {.g = g, .m = m, .r = r};
    snprintf(j.period, sizeof j.period, "%04d-%02d-01", g->year, g->month);
    memset(r, 0, sizeof *r);
    snprintf(r->sha256, sizeof r->sha256, "%s", m->sha256);
    obs_status rc = obs_db_tx(c, store_tx, &j, e);
    if (rc == OBS_OK && r->outcome != COL_UNCHANGED)
        obs_log(OBS_LOG_INFO, "grid.stored", "post=%s period=%.7s version=%d rows=%zu", g->post,
                j.period, r->version, g->n);
    return rc;
}

obs_status col_store_key_id(PGconn *c, const uint8_t fingerprint[32], int *key_id, obs_err *e)
{
    char hex[65];
    obs_hex(fingerprint, 32, hex);
    PGresult *r = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_KEY_ID, 1, (const char *[]){hex}, &r, e);
    if (rc)
        return rc;
    if (PQntuples(r) < 1) {
        PQclear(r);
        return obs_fail(e, OBS_ERR_DB, "E_DB", "clé non enregistrée");
    }
    *key_id = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return OBS_OK;
}
