/* admin.c: `keygen`, `post add|import`, `user add`: the administrator's commands.
 * Messages go to stderr; only a new token goes to stdout, alone, so scripts capture it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "keyring.h"
#include "db.h"
#include "ref.h"
#include "sign.h"
#include "admin.h"

PGconn *cli_connect(obs_err *e)
{
    if (obs_config_load((obs_config *)obs_config_get(), e) || ref_init(e))
        return NULL;
    return obs_db_open(obs_config_get()->database_url, e);
}

int cli_cmd_keygen(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs keygen [--signing] [--file F]\n"
               "Crée une clé de pseudonymisation (32 octets aléatoires, mode 0600), ou avec\n"
               "--signing la clé Ed25519 de signature des publications (PEM, mode 0600).\n"
               "N'écrase jamais une clé existante.\n");
        return 0;
    }
    int signing = obs_arg_flag(argc, argv, 1, "--signing");
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    if (obs_config_load(&cfg, &e))
        return obs_arg_fail(&e);
    const char *file = obs_arg_value(argc, argv, 1, "--file");
    if (file == NULL)
        file = signing ? cfg.signing_key_file : cfg.key_file;
    if (signing ? obs_sign_keygen(file, &e) : obs_key_generate(file, &e))
        return obs_arg_fail(&e);
    if (signing)
        fprintf(stderr, "clé de signature des publications créée : %s (mode 0600) ; "
                        "publiez sa clé publique (iscgobs publication-key)\n", file);
    else
        fprintf(stderr, "clé créée : %s (mode 0600) ; conservez-en une copie hors ligne\n", file);
    return 0;
}

static const char SQL_POST_UPSERT[] =
    "INSERT INTO post (code, name, dep, force, commune, employer, opened, closed)"
    " VALUES ($1, $2, $3, $4, $5, $6, to_date($7, 'YYYY-MM'), to_date($8, 'YYYY-MM'))"
    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, dep = EXCLUDED.dep,"
    "   force = EXCLUDED.force, commune = EXCLUDED.commune, employer = EXCLUDED.employer,"
    "   opened = EXCLUDED.opened, closed = EXCLUDED.closed";
static const char SQL_AUDIT_CLI[] =
    "INSERT INTO audit_log (actor, action, target, outcome) VALUES ('cli', $1, $2, 'ok')";

/* Check one register line's values before the database sees them. */
static int post_fields_ok(const char *const f[8], obs_err *e)
{
    const char *code = f[0];
    if (!ref_post_code_valid(code)) {
        obs_fail(e, OBS_ERR_INPUT, "E_POST_FORMAT", "code de poste invalide : %s", code);
        return 0;
    }
    if (ref_dep_find(f[2]) == NULL) {
        obs_fail(e, OBS_ERR_INPUT, "E_DEP_UNKNOWN", "département inconnu : %s", f[2]);
        return 0;
    }
    char padded[4] = "000";
    size_t dl = strlen(f[2]); /* 2 or 3: checked by ref_dep_find above */
    memcpy(padded + 3 - dl, f[2], dl);
    if (strncmp(code + 5, padded, 3) != 0) {
        obs_fail(e, OBS_ERR_INPUT, "E_POST_FORMAT",
                 "le code %s ne correspond pas au département %s", code, f[2]);
        return 0;
    }
    if (ref_find(REF_FORCE, f[3]) < 0) {
        obs_fail(e, OBS_ERR_INPUT, "E_FORCE", "force invalide : %s (PN ou GN)", f[3]);
        return 0;
    }
    if (f[5] && ref_find(REF_EMPLOYEUR, f[5]) < 0) {
        obs_fail(e, OBS_ERR_INPUT, "E_EMPLOYER", "employeur invalide : %s", f[5]);
        return 0;
    }
    return 1;
}

static obs_status post_upsert(PGconn *c, const char *const f[8], obs_err *e)
{
    if (!post_fields_ok(f, e))
        return OBS_ERR_INPUT;
    obs_status rc = obs_db_exec(c, SQL_POST_UPSERT, 8, f, NULL, e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_AUDIT_CLI, 2, (const char *[]){"post.add", f[0]}, NULL, e);
    return rc;
}

typedef struct import_job {
    FILE *in;
    size_t n;
} import_job;

/* Empty cells are NULL. */
static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

static obs_status import_tx(PGconn *c, void *arg, obs_err *e)
{
    import_job *j = arg;
    char line[1024];
    int lineno = 0;
    j->n = 0;
    rewind(j->in);
    while (fgets(line, sizeof line, j->in)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1 || line[0] == '\0')
            continue; /* header */
        const char *f[8] = {0};
        char *p = line;
        for (int k = 0; k < 8 && p; k++) {
            f[k] = p;
            p = strchr(p, ';');
            if (p)
                *p++ = '\0';
        }
        const char *v[8] = {f[0], f[1], f[2], f[3], nz(f[4]), nz(f[5]), nz(f[6]), nz(f[7])};
        if (v[0] == NULL || v[1] == NULL || v[2] == NULL || v[3] == NULL)
            return obs_fail(e, OBS_ERR_INPUT, "E_REGISTER", "ligne %d : champs manquants", lineno);
        if (v[6] == NULL)
            v[6] = "2000-01";
        obs_status rc = post_upsert(c, v, e);
        if (rc) {
            char msg[256];
            snprintf(msg, sizeof msg, "%.200s", e->msg); /* room for the line number */
            snprintf(e->msg, sizeof e->msg, "ligne %d : %s", lineno, msg);
            return rc;
        }
        j->n++;
    }
    return OBS_OK;
}

int cli_cmd_post(int argc, char **argv)
{
    if (argc < 2 || obs_arg_flag(argc, argv, 1, "--help") ||
        (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "import") != 0)) {
        printf("usage: iscgobs post add CODE --name N --dep D --force PN|GN [--opened AAAA-MM]\n"
               "                      [--closed AAAA-MM] [--commune C] [--employer E]\n"
               "       iscgobs post import FICHIER   (registre ; : code;name;dep;force;commune;"
               "employer;opened;closed)\n");
        return obs_arg_flag(argc, argv, 1, "--help") ? 0 : 2;
    }
    obs_err e;
    obs_err_clear(&e);
    int rc;
    if (strcmp(argv[1], "import") == 0) {
        if (argc < 3) {
            fprintf(stderr, "iscgobs: post import : fichier manquant\n");
            return 2;
        }
        FILE *in = fopen(argv[2], "r");
        if (in == NULL) {
            fprintf(stderr, "iscgobs: impossible de lire %s\n", argv[2]);
            return 1;
        }
        PGconn *c = cli_connect(&e);
        import_job j = {.in = in};
        rc = c == NULL || obs_db_tx(c, import_tx, &j, &e) ? obs_arg_fail(&e) : 0;
        if (rc == 0)
            fprintf(stderr, "%zu postes enregistrés\n", j.n);
        fclose(in);
        obs_db_close(c);
        return rc;
    }
    const char *f[8] = {argc > 2 ? argv[2] : NULL,
                        obs_arg_value(argc, argv, 3, "--name"),
                        obs_arg_value(argc, argv, 3, "--dep"),
                        obs_arg_value(argc, argv, 3, "--force"),
                        obs_arg_value(argc, argv, 3, "--commune"),
                        obs_arg_value(argc, argv, 3, "--employer"),
                        obs_arg_value(argc, argv, 3, "--opened"),
                        obs_arg_value(argc, argv, 3, "--closed")};
    if (f[0] == NULL || f[1] == NULL || f[2] == NULL || f[3] == NULL) {
        fprintf(stderr, "iscgobs: post add CODE --name N --dep D --force PN|GN sont obligatoires\n");
        return 2;
    }
    if (f[6] == NULL)
        f[6] = "2000-01";
    PGconn *c = cli_connect(&e);
    rc = c == NULL || post_upsert(c, f, &e) ? obs_arg_fail(&e) : 0;
    obs_db_close(c);
    if (rc == 0)
        fprintf(stderr, "poste %s enregistré\n", f[0]);
    return rc;
}

static const char SQL_ACCOUNT_ADD[] =
    "INSERT INTO account (name, role, post, token_hash) VALUES ($1, $2, $3, decode($4, 'hex'))"
    " RETURNING id";

int cli_cmd_user(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "add") != 0 || obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs user add --role post|analyst|admin [--post CODE] --name N\n"
               "Crée un compte et affiche son jeton une seule fois sur la sortie standard.\n");
        return obs_arg_flag(argc, argv, 1, "--help") ? 0 : 2;
    }
    const char *role = obs_arg_value(argc, argv, 2, "--role");
    const char *post = obs_arg_value(argc, argv, 2, "--post");
    const char *name = obs_arg_value(argc, argv, 2, "--name");
    if (role == NULL || name == NULL ||
        (strcmp(role, "post") && strcmp(role, "analyst") && strcmp(role, "admin"))) {
        fprintf(stderr, "iscgobs: --role post|analyst|admin et --name sont obligatoires\n");
        return 2;
    }
    if ((strcmp(role, "post") == 0) != (post != NULL)) {
        fprintf(stderr, "iscgobs: --post CODE est requis pour le rôle post, et seulement pour lui\n");
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    char token[65], hex[65];
    uint8_t hash[32];
    if (obs_token_new(token)) {
        fprintf(stderr, "iscgobs: générateur aléatoire indisponible\n");
        return 1;
    }
    obs_sha256(token, strlen(token), hash);
    obs_hex(hash, sizeof hash, hex);
    PGconn *c = cli_connect(&e);
    int rc = c == NULL ||
                     obs_db_exec(c, SQL_ACCOUNT_ADD, 4, (const char *[]){name, role, post, hex},
                                 NULL, &e) ||
                     obs_db_exec(c, SQL_AUDIT_CLI, 2, (const char *[]){"account.add", name}, NULL,
                                 &e)
                 ? obs_arg_fail(&e)
                 : 0;
    obs_db_close(c);
    if (rc == 0) {
        printf("%s\n", token);
        fprintf(stderr, "compte %s (%s) créé ; le jeton ci-dessus ne sera plus affiché\n", name,
                role);
    }
    obs_wipe(token, sizeof token);
    return rc;
}
