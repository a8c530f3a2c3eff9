/* admin.h: command-line administration: keys, database, posts, accounts. */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include "status.h"

int cli_cmd_keygen(int argc, char **argv);
int cli_cmd_db(int argc, char **argv);
int cli_cmd_post(int argc, char **argv);
int cli_cmd_user(int argc, char **argv);

/* Value of `--name value` in argv[from..argc), or NULL. */
const char *cli_opt(int argc, char **argv, int from, const char *name);
/* 1 when `--name` appears in argv[from..argc). */
int cli_flag(int argc, char **argv, int from, const char *name);
/* Print e to stderr as `iscgobs: <message> [<code>]` and return the exit status 1. */
int cli_fail(const obs_err *e);

#endif
