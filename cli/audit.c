/* audit.c: `iscgobs audit verify [--anchor SEQ:HASH]`: recompute the audit chain in C
 * (common/audit.c) and name the first broken entry (exit 1), or print the head of the chain
 * (position and hash) for the operator to keep elsewhere as the next run's anchor (exit 0).
 * See docs/operations.md, "Audit log". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "db.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: iscgobs audit verify [--anchor POSITION:EMPREINTE]\n"
                 "Recalcule la chaîne d'empreintes du journal d'audit et nomme la première\n"
                 "entrée rompue (code de sortie 1). Sinon affiche la tête de la chaîne\n"
                 "(position:empreinte) : conservez-la hors de la base et passez-la en\n"
                 "--anchor à la vérification suivante (une réécriture complète de la chaîne\n"
                 "n'est détectable que contre une ancre conservée ailleurs).\n");
}

/* "SEQ:HEX" into its parts; 0 when malformed. */
static int parse_anchor(const char *s, long long *seq, char hex[65])
{
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s || strlen(colon + 1) != 64 ||
        strspn(s, "0123456789") != (size_t)(colon - s) ||
        strspn(colon + 1, "0123456789abcdefABCDEF") != 64)
        return 0;
    *seq = strtoll(s, NULL, 10);
    memcpy(hex, colon + 1, 65);
    return *seq > 0;
}

int cli_cmd_audit(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        usage(stderr);
        return 2;
    }
    const char *anchor = obs_arg_value(argc, argv, 2, "--anchor");
    long long anchor_seq = 0;
    char anchor_hex[65] = "";
    if (anchor && !parse_anchor(anchor, &anchor_seq, anchor_hex)) {
        fprintf(stderr, "iscgobs: --anchor attend POSITION:EMPREINTE (64 chiffres hexadécimaux)\n");
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = cli_connect(&e);
    obs_audit_check ck;
    /* the uploads' entries not chained yet (migration 016) are chained first: verify covers
     * every committed entry (on a standby they stay unchained, and are counted) */
    obs_status rc = c ? obs_audit_chain(c, NULL, &e) : OBS_ERR_DB;
    if (rc == OBS_OK)
        rc = obs_audit_verify(c, anchor_seq, anchor_hex, &ck, &e);
    obs_db_close(c);
    if (rc)
        return obs_arg_fail(&e);
    if (ck.broken_seq) {
        printf("audit: chaîne rompue à l'entrée %lld (id %lld) : %s\n", ck.broken_seq,
               ck.broken_id, ck.why);
        printf("audit: %lld entrées saines avant elle\n", ck.entries);
        return 1;
    }
    printf("audit: chaîne intacte, %lld entrées\n", ck.entries);
    if (ck.unchained)
        printf("audit: %lld entrées pas encore chaînées (serveur en lecture seule)\n",
               ck.unchained);
    printf("audit: tête %lld:%s\n", ck.head_seq, ck.head_hash);
    return 0;
}
