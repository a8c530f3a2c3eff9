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

/* The whole new version in one statement (nothing at all, and no row returned, when the
 * stored version has the same checksum): the grid's current state (first version: on time
 * when received before the 11th of the next month, Paris time; a correction keeps
 * first_received_at and on_time, grid-format.md section 6), its history row, the removal of
 * the old rows (the new ones follow by COPY) and the audit entry. */
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
    " d AS (DELETE FROM contact WHERE post = $1 AND period = $2::date AND EXISTS (SELECT FROM g)),"
    " a AS (INSERT INTO audit_log (account_id, actor, action, target, outcome, detail)"
    "       SELECT $9::bigint, $10, 'grid.upload', $1 || '/' || to_char($2::date, 'YYYY-MM'),"
    "              CASE WHEN g.version = 1 THEN 'created' ELSE 'replaced' END,"
    "              jsonb_build_object('version', g.version, 'rows', $4::int, 'sha256', $3::text,"
    "                                 'admin_override', $11::boolean,"
    "                                 'backdated', $6::timestamptz IS NOT NULL)"
    "       FROM g)"
    " SELECT version, on_time,"
    "   to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM g";

static const char SQL_COPY[] =
    "COPY contact (post, period, line, date_contact, person, key_id, sexe, age, dep_res,"
    " statut, origine, connu_ss, mode, problems, orientations) FROM STDIN";


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

/* A small writer for one COPY line on the stack (no printf on the hot path). */
typedef struct line_w {
    char b[256];
    size_t n;
} line_w;

static void lw_str(line_w *w, const char *s)
{
    size_t k = strlen(s);
    if (w->n + k < sizeof w->b) {
        memcpy(w->b + w->n, s, k);
        w->n += k;
    }
}

static void lw_uint(line_w *w, unsigned long v)
{
    char tmp[24];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && w->n < sizeof w->b - 1)
        w->b[w->n++] = tmp[--k];
}

static void lw_tab(line_w *w)
{
    lw_str(w, "\t");
}

/* Append the COPY text line of one row. Every value is a code we produced: no escaping. */
static obs_status copy_line(obs_buf *b, const store_job *j, const col_row *row)
{
    line_w w = {.n = 0};
    char hex[33], date[11];
    obs_hex(row->person, 16, hex);
    memcpy(date, j->period, 8); /* "YYYY-MM-" */
    date[8] = (char)('0' + row->day / 10);
    date[9] = (char)('0' + row->day % 10);
    date[10] = '\0';
    lw_str(&w, j->g->post), lw_tab(&w);
    lw_str(&w, j->period), lw_tab(&w);
    lw_uint(&w, (unsigned long)row->line), lw_tab(&w);
    lw_str(&w, date), lw_tab(&w);
    lw_str(&w, "\\\\x"), lw_str(&w, hex), lw_tab(&w);
    lw_uint(&w, (unsigned long)j->m->key_id), lw_tab(&w);
    lw_str(&w, ref_at(REF_SEXE, (size_t)row->sexe)->code), lw_tab(&w);
    lw_str(&w, ref_at(REF_AGE, (size_t)row->age)->code), lw_tab(&w);
    lw_str(&w, row->dep_res[0] ? row->dep_res : "\\N"), lw_tab(&w);
    lw_str(&w, ref_at(REF_STATUT, (size_t)row->statut)->code), lw_tab(&w);
    lw_str(&w, ref_at(REF_ORIGINE, (size_t)row->origine)->code), lw_tab(&w);
    lw_str(&w, ref_at(REF_CONNU_SS, (size_t)row->connu_ss)->code), lw_tab(&w);
    lw_str(&w, ref_at(REF_MODE, (size_t)row->mode)->code), lw_tab(&w);
    lw_uint(&w, row->problems), lw_tab(&w);
    lw_uint(&w, row->orientations);
    lw_str(&w, "\n");
    return obs_buf_append(b, w.b, w.n);
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
    PGresult *res = NULL;
    obs_status rc = obs_db_exec_prepared(c, SQL_LOCK, 2, (const char *[]){g->post, j->period}, NULL, e);
    if (rc)
        return rc;
    char rows[24], persons[24], warnings[24], account[24];
    fmt_int(rows, sizeof rows, (long long)g->n);
    fmt_int(persons, sizeof persons, (long long)g->persons);
    fmt_int(warnings, sizeof warnings, (long long)m->nwarnings);
    fmt_int(account, sizeof account, m->account_id);
    const char *p[] = {g->post,         j->period,  m->sha256, rows,
                       persons,         m->received_at, warnings, m->format,
                       m->account_id ? account : NULL, m->actor ? m->actor : "?",
                       m->admin_override ? "t" : "f"};
    if ((rc = obs_db_exec_prepared(c, SQL_NEW_VERSION, 11, p, &res, e)))
        return rc;
    if (PQntuples(res) == 0) { /* the same bytes again: nothing changed */
        PQclear(res);
        return stored_receipt(c, j, e);
    }
    r->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    r->on_time = PQgetvalue(res, 0, 1)[0] == 't';
    snprintf(r->received_at, sizeof r->received_at, "%s", PQgetvalue(res, 0, 2));
    PQclear(res);
    r->outcome = r->version == 1 ? COL_CREATED : COL_REPLACED;
    r->rows = g->n;
    r->persons = g->persons;
    if (g->n && (rc = copy_rows(c, j, e)))
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
