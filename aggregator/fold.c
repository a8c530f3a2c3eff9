/* fold.c: the pending area changes folded into the area rows (aggregate.h, agg_fold).
 *
 * Each upload's refresh appends the changes of its département, région and FR rows to
 * agg_pending instead of updating those rows, which every upload of a month-end burst shares
 * (migration 014). serve's background thread (warm.c) folds them about once a second, and
 * before each round it builds: one transaction takes every pending row its snapshot sees
 * (DELETE ... RETURNING), adds their sums to the area rows in one upsert sorted by key, and
 * deletes the area rows left with no post. Pending rows committed meanwhile stay for the next
 * fold. Readers read indicator_now (stored rows plus the pending changes their snapshot
 * sees), which a fold leaves unchanged: so the fold needs no generation, and a protection
 * computed before it is still the protection after it.
 */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>

#include "date.h"
#include "db.h"
#include "log.h"

/* One fold at a time; then the aggregation lock shared with the uploads' refresh (an
 * exclusive recompute rewrites the area rows and clears agg_pending: not during a fold). In
 * that order: a fold waiting for its turn holds nothing an upload could wait for. */
static const char SQL_LOCK_FOLD[] = "SELECT pg_advisory_xact_lock(72433, 0)";
static const char SQL_LOCK_SHARED[] = "SELECT pg_advisory_xact_lock_shared(72431, 0)";

/* The batch being folded: agg_pending's columns, one row per cell. */
static const char SQL_TEMP[] =
    "CREATE TEMP TABLE IF NOT EXISTS agg_fold_t (LIKE agg_pending) ON COMMIT DELETE ROWS";

/* Take the pending rows, summed per cell. */
static const char SQL_TAKE[] =
    "WITH moved AS (DELETE FROM agg_pending RETURNING *)"
    " INSERT INTO agg_fold_t SELECT " AGG_KEYCOLS ", max(lvl), max(freq), max(pstart), sum(dnum)::bigint,"
    "   sum(dden)::bigint, sum(dposts)::int, max(obs_status) FROM moved GROUP BY " AGG_KEYCOLS;

/* Add them to the area rows (sorted by key: concurrent folds cannot deadlock, though only
 * one runs at a time). */
static const char SQL_UPSERT[] =
    "INSERT INTO indicator AS i (" AGG_KEYCOLS ", lvl, freq, pstart, num, den, value, nposts,"
    " obs_status, updated_at)"
    " SELECT " AGG_KEYCOLS ", lvl, freq, pstart, dnum, dden, agg_value(mesure, dnum, dden),"
    "   dposts, obs_status, now()"
    " FROM agg_fold_t ORDER BY " AGG_KEYCOLS
    " ON CONFLICT (" AGG_KEYCOLS ") DO UPDATE SET num = i.num + EXCLUDED.num,"
    "   den = i.den + EXCLUDED.den, nposts = i.nposts + EXCLUDED.nposts,"
    "   value = agg_value(i.mesure, i.num + EXCLUDED.num, i.den + EXCLUDED.den),"
    "   obs_status = EXCLUDED.obs_status, updated_at = EXCLUDED.updated_at";

/* Area rows no post adds up to any more (a post row vanished, or a new cell whose changes
 * cancel out within the batch). */
static const char SQL_EMPTY[] =
    "DELETE FROM indicator i USING agg_fold_t d WHERE d.dposts <= 0 AND i.nposts = 0 AND "
    AGG_KEYJOIN;

static obs_status fold_tx(PGconn *c, void *arg, obs_err *e)
{
    long *rows = arg;
    PGresult *r = NULL;
    obs_status rc = obs_db_run(c, SQL_LOCK_FOLD, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_LOCK_SHARED, e);
    if (rc == OBS_OK)
        rc = obs_db_run(c, SQL_TEMP, e);
    if (rc == OBS_OK && (rc = obs_db_exec(c, SQL_TAKE, 0, NULL, &r, e)) == OBS_OK) {
        *rows = strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    if (rc == OBS_OK && *rows > 0)
        rc = obs_db_run(c, SQL_UPSERT, e);
    if (rc == OBS_OK && *rows > 0)
        rc = obs_db_run(c, SQL_EMPTY, e);
    return rc;
}

obs_status agg_fold(PGconn *c, long *rows, obs_err *e)
{
    *rows = 0;
    double t0 = obs_now_ms();
    obs_status rc = obs_db_tx(c, fold_tx, rows, e);
    if (rc)
        obs_log(OBS_LOG_WARN, "agg.fold", "ok=0 code=%s", e ? e->code : "");
    else if (*rows > 0)
        obs_log(OBS_LOG_INFO, "agg.fold", "cells=%ld ms=%.0f", *rows, obs_now_ms() - t0);
    return rc;
}
