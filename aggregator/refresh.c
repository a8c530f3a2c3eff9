/* refresh.c: the incremental refresh of stored indicators, run by each accepted upload inside
 * its transaction (col_store_set_hook), and after a change of the post register.
 *
 * One refresh is a few steps; a step recomputes, with one of the set-based queries of
 * aggregator/sql, the post-level cells of a scope (a post or every post, a range of months,
 * a list of periods, the measures of that query), compares them with the stored ones
 * (FULL JOIN) into the session's temporary table agg_delta, and writes the post rows that
 * changed. At the end, the changes of num, den and of the number of post rows (nposts) of
 * the département, région and FR rows are appended to agg_pending (fold.c adds them to those
 * rows in batches, outside the uploads; readers read indicator_now, migration 014), and the
 * generation of every year touched is bumped (protect.c caches protections per
 * generation). Locking: docs/indicators.md, "Incremental refresh".
 */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"

/* Taken shared by every upload's refresh, exclusively by a full recompute, a register
 * refresh and the refresh that extends agg_window (so that nobody else writes post cells of
 * other posts meanwhile). Then one lock per post: the post's cells are written by one
 * transaction at a time, which sees the others' committed contacts. */
static const char SQL_LOCK_SHARED[] = "SELECT pg_advisory_xact_lock_shared(72431, 0)";
static const char SQL_LOCK_EXCL[] = "SELECT pg_advisory_xact_lock(72431, 0)";
static const char SQL_LOCK_POST[] = "SELECT pg_advisory_xact_lock(72432, hashtext($1))";

static const char SQL_TEMP[] =
    "CREATE TEMP TABLE IF NOT EXISTS agg_delta ("
    " area text COLLATE \"C\", period text COLLATE \"C\", mesure text COLLATE \"C\","
    " sexe text COLLATE \"C\", age text COLLATE \"C\", statut text COLLATE \"C\","
    " origine text COLLATE \"C\", problematique text COLLATE \"C\","
    " partenaire text COLLATE \"C\", mode text COLLATE \"C\","
    " lvl char(1), freq char(1), pstart date,"
    " num bigint, den bigint, value double precision, obs_status char(1), present boolean,"
    " dnum bigint, dden bigint, dposts int, step int) ON COMMIT DELETE ROWS";
static const char SQL_CLEAR[] = "DELETE FROM agg_delta";

/* Is the month already in agg_window? */
static const char SQL_IN_WINDOW[] = "SELECT 1 FROM agg_window WHERE period = $1::date";

/* Extend agg_window to every month of the year up to $1 (a no-op when it is there). */
static const char SQL_EXTEND_WINDOW[] =
    "INSERT INTO agg_window (period)"
    " SELECT generate_series(date_trunc('year', $1::date), $1::date, interval '1 month')::date"
    " ON CONFLICT DO NOTHING";

/* A step: the computed cells (the query of an aggregator/sql file, $1..$5) against the stored
 * post cells of the same scope ($6 measures), the differences into agg_delta as step $7. */
static const char SQL_STEP_HEAD[] =
    "INSERT INTO agg_delta (" AGG_KEYCOLS ", lvl, freq, pstart, num, den, value, obs_status,"
    " present, dnum, dden, dposts, step)"
    " WITH n AS (\n";
static const char SQL_STEP_TAIL[] =
    "\n), o AS ("
    " SELECT * FROM indicator"
    " WHERE lvl = 'P' AND ($1::text IS NULL OR area = $1::text) AND mesure = ANY($6::text[])"
    "   AND pstart >= $2::date AND pstart < $3::date"
    "   AND ($4::text[] IS NULL OR period = ANY($4::text[])))"
    " SELECT " AGG_KEYCOLS ", coalesce(n.lvl, o.lvl), coalesce(n.freq, o.freq),"
    "   coalesce(n.pstart, o.pstart), n.num, n.den, n.value, n.obs_status, n.num IS NOT NULL,"
    "   coalesce(n.num, 0) - coalesce(o.num, 0),"
    "   CASE WHEN agg_is_pct(mesure) THEN coalesce(n.den, 0) - coalesce(o.den, 0) END,"
    "   (n.num IS NOT NULL)::int - (o.num IS NOT NULL)::int, $7::int"
    " FROM n FULL JOIN o USING (" AGG_KEYCOLS ")"
    " WHERE n.num IS DISTINCT FROM o.num OR n.den IS DISTINCT FROM o.den"
    "    OR n.obs_status IS DISTINCT FROM o.obs_status";

/* Write the post rows of step $1 that changed. */
static const char SQL_POST_DELETE[] =
    "DELETE FROM indicator i USING agg_delta d"
    " WHERE d.step = $1::int AND NOT d.present AND " AGG_KEYJOIN;
static const char SQL_POST_UPSERT[] =
    "INSERT INTO indicator AS i (" AGG_KEYCOLS ", lvl, freq, pstart, num, den, value, nposts,"
    " obs_status, updated_at)"
    " SELECT " AGG_KEYCOLS ", lvl, freq, pstart, num, den, value, 1, obs_status, now()"
    " FROM agg_delta WHERE step = $1::int AND present"
    " ON CONFLICT (" AGG_KEYCOLS ") DO UPDATE SET num = EXCLUDED.num, den = EXCLUDED.den,"
    "   value = EXCLUDED.value, obs_status = EXCLUDED.obs_status, updated_at = EXCLUDED.updated_at";

/* The area rows of every post row changed, as (area, lvl) pairs: département, région, FR. */
#define AREAS_OF_D                                                                           \
    " FROM agg_delta d JOIN post p ON p.code = d.area"                                       \
    " JOIN ref_departement r ON r.code = p.dep"                                              \
    " CROSS JOIN LATERAL (VALUES ('D' || p.dep, 'D'::char), ('R' || r.region, 'R'::char),"   \
    "                            ('FR', 'N'::char)) a(area, lvl)"

/* The changes of the area rows, appended to agg_pending (no row shared with another upload:
 * fold.c adds them to the area rows in batches; readers see indicator_now, the sum). */
static const char SQL_AREA_PENDING[] =
    "INSERT INTO agg_pending (" AGG_KEYCOLS ", lvl, freq, pstart, dnum, dden, dposts, obs_status)"
    " SELECT a.area, d.period, d.mesure, d.sexe, d.age, d.statut, d.origine, d.problematique,"
    "   d.partenaire, d.mode, a.lvl, d.freq, d.pstart, sum(d.dnum)::bigint, sum(d.dden)::bigint,"
    "   sum(d.dposts)::int, agg_obs_status(d.pstart, d.freq, $1::int)"
    AREAS_OF_D
    " GROUP BY a.area, a.lvl, d.period, d.mesure, d.sexe, d.age, d.statut, d.origine,"
    "   d.problematique, d.partenaire, d.mode, d.freq, d.pstart";

/* One more generation for every year touched: the one row the uploads of a year still
 * share, written last in the refresh (only the audit row follows before COMMIT). */
static const char SQL_GEN_BUMP[] =
    "INSERT INTO agg_generation AS g (year, gen)"
    " SELECT DISTINCT extract(year FROM pstart)::int, 1 FROM agg_delta ORDER BY 1"
    " ON CONFLICT (year) DO UPDATE SET gen = g.gen + 1";

/* The measures each query of aggregator/sql produces (the scope of its comparison). */
static const char MEASURES_PEOPLE[] =
    "{NB_CONTACTS,PART_CONTACTS,NB_PERSONNES,PART_PERSONNES,PART_INCONNUS_SS,PART_NSP_SS,"
    "PART_ORIENTEES,PART_MINEURS}";
static const char MEASURES_NEW[] = "{NB_NOUVELLES}";
static const char MEASURES_REGISTER[] =
    "{NB_POSTES_ACTIFS,NB_GRILLES,TAUX_COMPLETUDE,TAUX_PROMPTITUDE}";

typedef struct scope {
    const char *file;     /* aggregator/sql file computing the cells */
    const char *measures; /* array literal of the measures it computes */
    const char *post;     /* NULL: every post */
    const char *from;     /* months [from, to) read, periods starting in it kept */
    const char *to;
    const char *periods;  /* array literal of period codes kept, or NULL */
} scope;

static obs_status step(PGconn *c, const scope *s, int stepno, obs_err *e)
{
    const char *q = obs_blob_find(agg_sql, s->file);
    if (q == NULL)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "requête absente : %s", s->file);
    obs_buf b;
    obs_buf_init(&b, 0);
    if (obs_buf_puts(&b, SQL_STEP_HEAD) || obs_buf_puts(&b, q) || obs_buf_puts(&b, SQL_STEP_TAIL)) {
        obs_buf_free(&b);
        return obs_fail(e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
    }
    char lock[16], no[16];
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    snprintf(no, sizeof no, "%d", stepno);
    const char *p[] = {s->post, s->from, s->to, s->periods, lock, s->measures, no};
    obs_status rc = obs_db_exec(c, b.data, 7, p, NULL, e);
    obs_buf_free(&b);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_POST_DELETE, 1, (const char *[]){no}, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_POST_UPSERT, 1, (const char *[]){no}, NULL, e);
    return rc;
}

/* Append the area changes collected in agg_delta, bump generations, clear. */
static obs_status finish(PGconn *c, obs_err *e)
{
    char lock[16];
    snprintf(lock, sizeof lock, "%d", obs_config_get()->lock_months);
    obs_status rc = obs_db_exec(c, SQL_AREA_PENDING, 1, (const char *[]){lock}, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_GEN_BUMP, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_CLEAR, e);
    return rc;
}

static obs_status prepare(PGconn *c, obs_err *e)
{
    obs_status rc = obs_db_run(c, SQL_TEMP, e);
    return rc ? rc : obs_db_run(c, SQL_CLEAR, e);
}

/* The register cells of every post for the year of month (after agg_window grew). */
static obs_status register_year(PGconn *c, int year, int stepno, obs_err *e)
{
    char from[24], to[24];
    snprintf(from, sizeof from, "%04d-01-01", year);
    snprintf(to, sizeof to, "%04d-01-01", year + 1);
    scope s = {"cells_register.sql", MEASURES_REGISTER, NULL, from, to, NULL};
    return step(c, &s, stepno, e);
}

/* Under the exclusive lock: extend agg_window to period and, when it grew, write the register
 * cells of every post for its year (step 0). A statement that sees what committed while the
 * lock was awaited: a month opened meanwhile adds no row, *grew 0, nothing written. */
static obs_status extend_window(PGconn *c, const char *period, int *grew, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_EXTEND_WINDOW, 1, (const char *[]){period}, &r, e);
    if (rc)
        return rc;
    *grew = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return *grew ? register_year(c, (int)strtol(period, NULL, 10), 0, e) : OBS_OK;
}

/* The transaction of agg_refresh_open_month. */
static obs_status open_tx(PGconn *c, void *arg, obs_err *e)
{
    int grew = 0;
    obs_status rc = prepare(c, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_LOCK_EXCL, e);
    if (rc == OBS_OK)
        rc = extend_window(c, arg, &grew, e);
    if (rc == OBS_OK && grew)
        rc = finish(c, e);
    return rc;
}

obs_status agg_refresh_open_month(PGconn *c, const char *period, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, SQL_IN_WINDOW, 1, (const char *[]){period}, &r, e);
    if (rc)
        return rc;
    int open = PQntuples(r) > 0;
    PQclear(r);
    return open ? OBS_OK : obs_db_tx(c, open_tx, (void *)period, e);
}

obs_status agg_refresh_post_month(PGconn *c, const char *post, const char *period, obs_err *e)
{
    int year = 0, month = 0;
    if (sscanf(period, "%4d-%2d", &year, &month) != 2 || month < 1 || month > 12)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_INTERNAL", "période invalide");
    obs_status rc = prepare(c, e);
    PGresult *r = NULL;
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_IN_WINDOW, 1, (const char *[]){period}, &r, e);
    if (rc)
        return rc;
    int extend = PQntuples(r) == 0;
    PQclear(r);
    /* Growing agg_window writes register cells of every post: exclusive. Decided before
     * taking the lock (never upgrade a lock); a second look under the lock is harmless.
     * Uploads open their month beforehand (agg_refresh_open_month, its own transaction), so
     * this is the rare case of a window shrunk meanwhile (a recompute), or a caller without. */
    rc = obs_db_run(c, extend ? SQL_LOCK_EXCL : SQL_LOCK_SHARED, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_LOCK_POST, 1, (const char *[]){post}, NULL, e);
    int grew = 0;
    if (rc == OBS_OK && extend)
        rc = extend_window(c, period, &grew, e);
    if (rc)
        return rc;

    char from[24], to[24], periods[40];
    snprintf(from, sizeof from, "%04d-01-01", year);
    snprintf(to, sizeof to, "%04d-01-01", year + 1);
    snprintf(periods, sizeof periods, "{%04d-%02d,%04d-Q%d,%04d}", year, month, year,
             (month - 1) / 3 + 1, year);
    const scope people = {"cells_people.sql", MEASURES_PEOPLE, post, from, to, periods};
    const scope reg = {"cells_register.sql", MEASURES_REGISTER, post, from, to, periods};
    /* A grid changes the first month ever of its persons: NB_NOUVELLES of every later
     * period of the post may change too. */
    const scope news = {"cells_new.sql", MEASURES_NEW, post, from, "infinity", NULL};
    rc = step(c, &people, 1, e);
    if (rc == OBS_OK)
        rc = step(c, &reg, 2, e);
    if (rc == OBS_OK)
        rc = step(c, &news, 3, e);
    if (rc == OBS_OK)
        rc = finish(c, e);
    if (rc)
        obs_log(OBS_LOG_WARN, "agg.refresh", "post=%s period=%.7s ok=0 code=%s", post, period,
                e ? e->code : "");
    return rc;
}

static obs_status register_tx(PGconn *c, void *arg, obs_err *e)
{
    (void)arg;
    obs_status rc = prepare(c, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_LOCK_EXCL, e);
    int open = 0;
    if (rc == OBS_OK)
        rc = agg_first_open_year(c, &open, e);
    char from[24] = "-infinity";
    if (open > 0)
        snprintf(from, sizeof from, "%04d-01-01", open);
    scope s = {"cells_register.sql", MEASURES_REGISTER, NULL, from, "infinity", NULL};
    if (rc == OBS_OK)
        rc = step(c, &s, 0, e);
    if (rc == OBS_OK)
        rc = finish(c, e);
    return rc;
}

obs_status agg_refresh_register(PGconn *c, obs_err *e)
{
    return obs_db_tx(c, register_tx, NULL, e);
}
