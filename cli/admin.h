/* admin.h: command-line administration: keys, database, posts, accounts. */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include <libpq-fe.h>

#include "status.h"

int cli_cmd_keygen(int argc, char **argv);
int cli_cmd_db(int argc, char **argv);
int cli_cmd_post(int argc, char **argv);
int cli_cmd_user(int argc, char **argv);
int cli_cmd_period(int argc, char **argv); /* period.c */

/* Load the configuration and reference data, then open a connection to the database (the
 * caller closes it with obs_db_close); NULL with e filled on failure. */
PGconn *cli_connect(obs_err *e);

/* Value of `--name value` in argv[from..argc), or NULL. */
const char *cli_opt(int argc, char **argv, int from, const char *name);
/* 1 when `--name` appears in argv[from..argc). */
int cli_flag(int argc, char **argv, int from, const char *name);
/* Print e to stderr as `iscgobs: <message> [<code>]` and return the exit status 1. */
int cli_fail(const obs_err *e);

#endif
