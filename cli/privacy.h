/* privacy.h: `iscgobs privacy report` (cli/privacy.c). */
#ifndef CLI_PRIVACY_H
#define CLI_PRIVACY_H

/* `iscgobs privacy report [--period P] [--json]`: the risk report as French text (or JSON)
 * on stdout. The exit status: 0, 1 on failure, 2 for a usage error. */
int cli_cmd_privacy(int argc, char **argv);

#endif
