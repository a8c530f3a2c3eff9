/* admin.h: command-line administration: keys, database, posts, accounts. */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include <libpq-fe.h>

#include "args.h"
#include "status.h"

int cli_cmd_keygen(int argc, char **argv);
int cli_cmd_db(int argc, char **argv); /* dbstatus.c: db migrate, db status */
int cli_cmd_post(int argc, char **argv);
int cli_cmd_user(int argc, char **argv);
int cli_cmd_period(int argc, char **argv); /* period.c */
/* key.c: `key rotate`, `key list`; retention.c: `retention purge --before YYYY-MM`. */
int cli_cmd_key(int argc, char **argv);
int cli_cmd_retention(int argc, char **argv);
/* `iscgobs audit verify`: 0 when the chain holds, 1 when broken (audit.c). */
int cli_cmd_audit(int argc, char **argv);
/* backup.c: `backup --out DIR`, `restore DIR`; exit status 0, 1 on failure, 2 on usage. */
int cli_cmd_backup(int argc, char **argv);
int cli_cmd_restore(int argc, char **argv);

/* Load the configuration and reference data, then open a connection to the database (the
 * caller closes it with obs_db_close); NULL with e filled on failure. */
PGconn *cli_connect(obs_err *e);


#endif
