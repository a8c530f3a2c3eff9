/* publication.h: the commands of signed publications: `export` with its signatures,
 * `publication-key`, `verify` (docs/privacy.md, "Signed publications"). */
#ifndef CLI_PUBLICATION_H
#define CLI_PUBLICATION_H

/* `iscgobs export ...` (argv[0] = "export"): loads the signing key first (nothing is written
 * without it), runs the exporter run(argc, argv), then signs what it wrote and the folder's
 * SHA256SUMS. The exit status. */
int cli_export_signed(int argc, char **argv, int (*run)(int argc, char **argv));

/* `iscgobs publication-key`: the public key as PEM on stdout. The exit status. */
int cli_cmd_publication_key(int argc, char **argv);

/* `iscgobs verify FILE... [--key PEM]`: 0 when every file matches its signature (and, for a
 * SHA256SUMS, every file it lists its checksum), 1 otherwise, 2 for a usage error. */
int cli_cmd_verify(int argc, char **argv);

/* `serve`: load the public half of ISCGOBS_SIGNING_KEY_FILE for GET /publication-key.pem
 * (a warning in the log, and 404 on the route, when there is none). */
void cli_publication_serve_setup(const char *signing_key_file);

#endif
