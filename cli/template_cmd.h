/* template_cmd.h: `iscgobs template`, the grid template of a post's month written to a file
 * (exporters/sheet/template.h; the same bytes as GET /api/v1/grids/{post}/{YYYY-MM}/modele.*). */
#ifndef CLI_TEMPLATE_CMD_H
#define CLI_TEMPLATE_CMD_H

/* `iscgobs template --post P --period YYYY-MM --out F` (F ends in .xlsx or .ods). Needs no
 * database: the post code is checked for its form only. The exit status (0, 1 failure,
 * 2 usage). */
int cli_cmd_template(int argc, char **argv);

#endif
