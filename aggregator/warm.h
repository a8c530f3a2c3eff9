/* warm.h: the background thread that builds the published round (protect.h) after uploads,
 * so that protected readers never wait for a protection (warm.c). */
#ifndef AGG_WARM_H
#define AGG_WARM_H

#include "status.h"

/* The name of its lock among the servers of one database (task_lock.h). */
#define AGG_WARM_TASK "agg.warm"

/* Start the background thread (serve). Failure: OBS_ERR_INTERNAL. */
obs_status agg_warm_start(obs_err *e);

/* Note that the indicators of year changed (the upload hook), or that a reader waits for a
 * newer round (cheap, any thread). Ignored when the thread is not running. */
void agg_warm_note(int year);

/* A protected reader read a round (any thread, cheap): during a burst of uploads, rounds
 * then follow the uploads for the next AGG_WARM_READ_MS. */
void agg_warm_read(void);

/* fn runs on the thread after each round it builds, and at its next step after
 * agg_warm_want_hook (set before agg_warm_start; serve: the SDMX publication). */
void agg_warm_on_round(void (*fn)(void));
void agg_warm_want_hook(void);

/* 1 while the thread runs (serve); commands without it build their rounds themselves. */
int agg_warm_running(void);

/* 1 when called on the background thread itself (its protections are logged by=background). */
int agg_warm_is_self(void);

/* 1 once agg_warm_stop was called: long background work (an SDMX run) gives up, so that
 * `serve` stops promptly (systemd's stop timeout). */
int agg_warm_stopping(void);

/* Stop the thread, waiting for a protection in progress; accepts a thread never started. */
void agg_warm_stop(void);

#endif
