/* collector.h: the collector's entry points used by the command-line dispatcher. */
#ifndef COL_COLLECTOR_H
#define COL_COLLECTOR_H

/* `iscgobs demo --out DIR [--year Y] [--posts N] [--seed S]` (demo.c). Exit status. */
int col_cmd_demo(int argc, char **argv);

/* `iscgobs upload DIR|FILE... --url U --token T` (upload_cli.c). Exit status. */
int col_cmd_upload(int argc, char **argv);

#endif
