/* warm.h: the protection of a year computed in the background after uploads, so that its
 * first reader does not wait for it (warm.c). */
#ifndef AGG_WARM_H
#define AGG_WARM_H

#include "status.h"

/* How long uploads must have been quiet before the background protection starts. */
#define AGG_WARM_QUIET_MS 1500

/* The name of its lock among the servers of one database (task_lock.h). */
#define AGG_WARM_TASK "agg.warm"

/* Start the background thread (serve). Failure: OBS_ERR_INTERNAL. */
obs_status agg_warm_start(obs_err *e);

/* Note that the indicators of year changed (the upload hook; cheap, any thread). Ignored
 * when the thread is not running. */
void agg_warm_note(int year);

/* Stop the thread, waiting for a protection in progress; accepts a thread never started. */
void agg_warm_stop(void);

#endif
