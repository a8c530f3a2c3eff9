/* publication.c: the commands of signed publications (see publication.h): every file that
 * `iscgobs export` writes is signed with the observatory's Ed25519 key, and anyone holding
 * the public key checks it, with this program or with the stock `openssl` command. */
#include "publication.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "log.h"
#include "sign.h"
#include "signed_export.h"

/* The signing key of the configuration (private), or OBS_ERR_INPUT with a French message. */
static obs_status load_signer(obs_signer **s, obs_err *e)
{
    obs_config cfg;
    obs_status rc = obs_config_load(&cfg, e);
    return rc ? rc : obs_sign_load(cfg.signing_key_file, s, e);
}

int cli_export_signed(int argc, char **argv, int (*run)(int argc, char **argv))
{
    if (obs_arg_flag(argc, argv, 1, "--help") || argc < 2)
        return run(argc, argv);
    obs_err e;
    obs_err_clear(&e);
    obs_signer *s = NULL;
    if (load_signer(&s, &e))
        return obs_arg_fail(&e);
    int st = run(argc, argv);
    if (st == 0) {
        const char *dir = obs_arg_value(argc, argv, 2, "--out");
        if (exp_publish_seal(s, dir ? dir : ".", &e))
            st = obs_arg_fail(&e);
    }
    obs_signer_free(s);
    return st;
}

int cli_cmd_publication_key(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs publication-key\n"
               "Affiche la clé publique (PEM) qui vérifie les fichiers publiés, la même que\n"
               "GET /publication-key.pem.\n");
        return 0;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_signer *s = NULL;
    if (load_signer(&s, &e))
        return obs_arg_fail(&e);
    char *pem = obs_sign_public_pem(s);
    obs_signer_free(s);
    if (pem == NULL) {
        obs_fail(&e, OBS_ERR_NOMEM, "E_NOMEM", "mémoire insuffisante");
        return obs_arg_fail(&e);
    }
    fputs(pem, stdout);
    free(pem);
    return 0;
}

int cli_cmd_verify(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help") || argc < 2) {
        printf("usage: iscgobs verify FICHIER... [--key CLE_PUBLIQUE.pem]\n"
               "Vérifie la signature FICHIER.sig de chaque fichier (pour un SHA256SUMS, aussi\n"
               "l'empreinte de chaque fichier qu'il liste). Clé : --key, sinon la clé de\n"
               "signature de la configuration (ISCGOBS_SIGNING_KEY_FILE).\n");
        return argc < 2 ? 2 : 0;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_signer *s = NULL;
    const char *key = obs_arg_value(argc, argv, 1, "--key");
    if (key ? obs_sign_load_public(key, &s, &e) : load_signer(&s, &e))
        return obs_arg_fail(&e);
    int st = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0) {
            i++;
            continue;
        }
        int checked = 0;
        obs_err_clear(&e);
        if (exp_publish_verify(s, argv[i], &checked, &e)) {
            st = obs_arg_fail(&e);
            continue;
        }
        printf("valide : %s (%d fichier(s) vérifié(s))\n", argv[i], checked);
    }
    obs_signer_free(s);
    return st;
}

void cli_publication_serve_setup(const char *signing_key_file)
{
    obs_err e;
    obs_err_clear(&e);
    obs_signer *s = NULL;
    char *pem = NULL;
    if (obs_sign_load(signing_key_file, &s, &e) == OBS_OK)
        pem = obs_sign_public_pem(s);
    obs_signer_free(s); /* the server keeps only the public half */
    if (pem == NULL)
        obs_log(OBS_LOG_WARN, "publication.key", "code=%s no public key served",
                e.code[0] ? e.code : "E_NOMEM");
    exp_publish_set_public_key(pem);
    free(pem);
}
