/* protect.h: the protections of the years' tables (statistical disclosure control, sdc.c),
 * shared by every reader of a server, and the published round.
 *
 * A protection depends only on a year's table, and a year's table only on its generation
 * (agg_generation, bumped in the same transaction as every change): so the protection of
 * (year, gen) computed once serves every reader whose snapshot holds that generation.
 *
 * A round is the latest completed protection of every year, computed in one REPEATABLE READ
 * snapshot exported by a connection that keeps its transaction open while the round is in
 * use. A protected reader imports that snapshot (SET TRANSACTION SNAPSHOT): it reads the
 * cells as they were when the round was computed, with the round's protection, and does not
 * wait while the background thread (warm.c) computes the next round. docs/indicators.md,
 * "Publication lag".
 */
#ifndef AGG_PROTECT_H
#define AGG_PROTECT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>

#include "cells.h"

typedef struct agg_prot {
    int year;
    long long gen;
    char changed_at[24]; /* when that generation was made, "YYYY-MM-DDTHH:MM:SSZ" */
    uint64_t *keys;      /* sorted; cellkey << 2 | status (0 F, 1 C, 2 D) */
    size_t n;
    int refs;            /* owners: readers, rounds, the year's latest */
} agg_prot;

/* The protection of year at generation gen made at changed_at, computed from c's current
 * transaction (whose snapshot must hold that generation) unless it is known already. The
 * caller owns a reference (agg_prot_release). OBS_ERR_DB, OBS_ERR_NOMEM, OBS_ERR_INTERNAL. */
obs_status agg_prot_get(PGconn *c, int year, long long gen, const char *changed_at,
                        agg_prot **out, obs_err *e);
void agg_prot_release(agg_prot *p);

/* The conf_status of cell in p ('C' when the cell is unknown to it: fail closed). */
char agg_prot_status(const agg_prot *p, const agg_cell *cell);

#define AGG_ROUND_YEARS 64

typedef struct agg_round {
    PGconn *conn;                    /* holds the exporting transaction open */
    pthread_mutex_t conn_mu;         /* reads on conn: agg_round_conn */
    char snapshot[64];               /* pg_export_snapshot() */
    int nyears;
    agg_prot *prot[AGG_ROUND_YEARS]; /* by year, ascending */
    int refs;                        /* readers, and 1 while it is the latest */
    _Atomic int broken;              /* a reader could not import the snapshot */
    double built_ms;                 /* obs_now_ms() when it was begun */
} agg_round;

/* Before a protected read, holding no connection's transaction: when ISCGOBS_PROTECT_WAIT_MS
 * > 0 and the latest round misses a generation committed since, wait that long for a newer
 * one; the first reader after start (the background thread has none yet) and commands
 * (no background thread) build one here. */
obs_status agg_round_ready(obs_err *e);

/* The latest round (NULL when none), for a reader that holds its own connection's
 * transaction already (BEGIN sent): a reference is held only by readers that can finish, so
 * that a round's connection is always closed in the end, even with a pool of two server
 * connections behind PgBouncer. agg_round_release it. */
agg_round *agg_round_latest(void);
void agg_round_release(agg_round *r);

/* The round's protection of year, NULL when the year had no generation then. */
const agg_prot *agg_round_prot(const agg_round *r, int year);

/* The latest change of the figures the round covers ("YYYY-MM-DDTHH:MM:SSZ", "" without
 * any generation): when its figures are as of. */
void agg_round_as_of(const agg_round *r, char out[24]);

/* The round's own connection, inside its exporting transaction, for reads in the round's
 * snapshot (the SDMX publication of a round: sdmx_vintage.c), one thread at a time until
 * agg_round_conn_done. Readers never use it: they import the snapshot. */
PGconn *agg_round_conn(agg_round *r);
void agg_round_conn_done(agg_round *r);

/* Build a new round when a generation moved since the latest one (or there is none, or it
 * is broken or a minute old), then wake the readers waiting for it; *built says whether it
 * did. background (warm.c): take turns with the other servers of the database (nothing
 * built while another one builds). */
obs_status agg_round_step(int background, int *built, obs_err *e);

/* *needed: 1 when agg_round_step would build a round (a cheap read of the generations). */
obs_status agg_round_needed(int *needed, obs_err *e);

/* 1 when a reader waits for a newer round (the background thread skips its pause). */
int agg_round_wanted(void);

/* Forget every protection and round (tests, shutdown). */
void agg_protect_reset(void);

#endif
