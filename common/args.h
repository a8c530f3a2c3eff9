/* args.h: the command line's options, for every sub-command (`--name value`, `--flag`). */
#ifndef OBS_ARGS_H
#define OBS_ARGS_H

/* The value after `--name` in argv[from..argc), or NULL (argv keeps ownership). */
const char *obs_arg_value(int argc, char **argv, int from, const char *name);

/* 1 when `--name` appears in argv[from..argc), else 0. */
int obs_arg_flag(int argc, char **argv, int from, const char *name);

/* Print e on stderr as `iscgobs: <message> [<code>]` and return the exit status 1. */
struct obs_err;
int obs_arg_fail(const struct obs_err *e);

#endif
