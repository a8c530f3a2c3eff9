/* signed_export.h: the signatures of the files `iscgobs export` writes: a detached Ed25519
 * signature FILE.sig beside each file, the folder's SHA256SUMS manifest (itself signed),
 * their verification, and GET /publication-key.pem (docs/privacy.md, "Signed publications").
 */
#ifndef EXP_SIGNED_EXPORT_H
#define EXP_SIGNED_EXPORT_H

#include <stddef.h>

#include "http.h"
#include "sign.h"
#include "status.h"

#define EXP_MANIFEST "SHA256SUMS"

/* Record that an exporter wrote the publication file at path (kept until the next
 * exp_publish_seal; process-wide, for the single-threaded `export` command). */
void exp_publish_note(const char *path);

/* Sign every file noted since the last seal, then rewrite dir/SHA256SUMS: one line
 * "<sha256 hex>  <name>" (the format of sha256sum -c) for each file of dir whose FILE.sig is
 * a valid signature by s, sorted by name, and sign it (SHA256SUMS.sig). OBS_ERR_IO on a file
 * that cannot be read or written, OBS_ERR_INTERNAL when more files were noted than kept. */
obs_status exp_publish_seal(const obs_signer *s, const char *dir, obs_err *e);

/* Check path against path.sig with s; when path is a SHA256SUMS manifest, also every file it
 * lists (same folder) against its checksum. *checked gets the number of files checked
 * (manifest entries, or 1). OBS_ERR_INPUT with E_SIGNATURE_MISSING, E_SIGNATURE_BAD or
 * E_CHECKSUM_BAD (French message naming the file) when something does not match. */
obs_status exp_publish_verify(const obs_signer *s, const char *path, int *checked, obs_err *e);

/* `serve`: the public key that GET /publication-key.pem answers (pem is copied; NULL: no
 * signing key configured, the route answers 404 E_NO_SIGNING_KEY). */
void exp_publish_set_public_key(const char *pem);

extern const obs_route exp_publish_routes[];
extern const size_t exp_publish_routes_count;

#endif
