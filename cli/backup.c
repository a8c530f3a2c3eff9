/* backup.c: `iscgobs backup --out DIR` and `iscgobs restore DIR` (docs/operations.md,
 * "Backup and restore"). A backup is PostgreSQL's own: `pg_dump --format=custom` (one
 * consistent snapshot, uploads may run meanwhile), plus `manifest.txt` with the SHA-256 and
 * size of every file, the schema version and the fingerprints of the pseudonymisation keys.
 * The keys themselves are never copied into a backup: a dump together with its key lets
 * whoever holds both test guessed references against the pseudonyms, so the key is kept
 * apart (offline copy, see docs/privacy.md) and the manifest names it by fingerprint.
 * `restore` checks the manifest, refuses a database that is not empty, runs `pg_restore` in
 * one transaction, then checks the schema version and that `serve` will accept the
 * configured key file (collector/keys.h). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "embed.h"
#include "keyring.h"
#include "keys.h"

#define MANIFEST_HEAD "iscgobs-backup 1"
static const char DUMP_NAME[] = "database.dump";

static const char SQL_SCHEMA_VERSION[] = "SELECT coalesce(max(version), 0) FROM schema_migration";
static const char SQL_KEYS[] = "SELECT encode(fingerprint, 'hex') FROM pseudonym_key ORDER BY id";
static const char SQL_PUBLIC_OBJECTS[] =
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public'";
static const char SQL_AUDIT_RESTORE[] =
    "INSERT INTO audit_log (actor, action, target, outcome, detail)"
    " VALUES ('cli', 'db.restore', $1, 'ok', jsonb_build_object('schema_version', $2::int))";

/* Run argv (a PostgreSQL client program) and wait; OBS_OK when it exited 0. */
static obs_status run_tool(char *const argv[], obs_err *e)
{
    pid_t pid = fork();
    if (pid < 0)
        return obs_fail(e, OBS_ERR_INTERNAL, "E_BACKUP_TOOL", "fork impossible : %s", strerror(errno));
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "iscgobs: %s introuvable (paquet postgresql-client)\n", argv[0]);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return obs_fail(e, OBS_ERR_DB, "E_BACKUP_TOOL", "%s a échoué (code %d)", argv[0],
                        WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return OBS_OK;
}

/* SHA-256 (hex, 65 bytes) and size of a file. */
static obs_status file_digest(const char *path, char hex[65], long long *size, obs_err *e)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_FILE", "fichier illisible : %s", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    obs_status rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
                        ? OBS_OK
                        : obs_fail(e, OBS_ERR_INTERNAL, "E_CRYPTO", "SHA-256 indisponible");
    unsigned char buf[65536];
    size_t k;
    *size = 0;
    while (rc == OBS_OK && (k = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(ctx, buf, k);
        *size += (long long)k;
    }
    if (rc == OBS_OK && ferror(f))
        rc = obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_FILE", "lecture impossible : %s", path);
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (rc == OBS_OK && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32)
        obs_hex(md, 32, hex);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}

/* The first value of a one-row query, copied into out. */
static obs_status one_value(PGconn *c, const char *sql, char *out, size_t cap, obs_err *e)
{
    PGresult *r = NULL;
    obs_status rc = obs_db_exec(c, sql, 0, NULL, &r, e);
    if (rc == OBS_OK)
        snprintf(out, cap, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return rc;
}

static obs_status write_manifest(PGconn *c, const char *dir, obs_err *e)
{
    char path[4200], hex[65], version[32];
    long long size = 0;
    snprintf(path, sizeof path, "%s/%s", dir, DUMP_NAME);
    obs_status rc = file_digest(path, hex, &size, e);
    if (rc == OBS_OK)
        rc = one_value(c, SQL_SCHEMA_VERSION, version, sizeof version, e);
    PGresult *keys = NULL;
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_KEYS, 0, NULL, &keys, e);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        PQclear(keys);
        return obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_FILE", "écriture impossible : %s", path);
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, MANIFEST_HEAD "\ncreated %s\nschema_version %s\nformat pg_dump-custom\n", when, version);
    fprintf(f, "file %s %lld %s\n", hex, size, DUMP_NAME);
    for (int i = 0; i < PQntuples(keys); i++)
        fprintf(f, "key-kept-apart %s\n", PQgetvalue(keys, i, 0));
    PQclear(keys);
    if (fclose(f) != 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_FILE", "écriture impossible : %s", path);
    return OBS_OK;
}

int cli_cmd_backup(int argc, char **argv)
{
    const char *dir = obs_arg_value(argc, argv, 1, "--out");
    if (dir == NULL || obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs backup --out DIR\n"
               "Sauvegarde cohérente (pg_dump, format custom) et manifeste avec sommes SHA-256.\n"
               "La clé de pseudonymisation n'est jamais copiée : gardez-la à part (empreinte\n"
               "dans le manifeste). DIR ne doit pas exister.\n");
        return dir == NULL && !obs_arg_flag(argc, argv, 1, "--help") ? 2 : 0;
    }
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = cli_connect(&e);
    if (c == NULL)
        return obs_arg_fail(&e);
    obs_status rc = OBS_OK;
    if (mkdir(dir, 0700) != 0)
        rc = obs_fail(&e, OBS_ERR_INPUT, "E_BACKUP_DIR", "dossier impossible à créer (il ne doit pas exister) : %s",
                      dir);
    char file[4200], dbarg[1100];
    snprintf(file, sizeof file, "%s/%s", dir, DUMP_NAME);
    snprintf(dbarg, sizeof dbarg, "--dbname=%s", obs_config_get()->database_url);
    char *dump[] = {"pg_dump", "--format=custom", "--no-owner", "--file", file, dbarg, NULL};
    /* the uploads' audit entries committed so far chained first (migration 016): the dump's
     * chain is whole up to then (on a standby, the primary's chaining is what it holds) */
    if (rc == OBS_OK)
        rc = obs_audit_chain(c, NULL, &e);
    if (rc == OBS_OK)
        rc = run_tool(dump, &e);
    if (rc == OBS_OK)
        rc = write_manifest(c, dir, &e);
    obs_db_close(c);
    if (rc)
        return obs_arg_fail(&e);
    fprintf(stderr, "sauvegarde écrite : %s (conservez la clé de pseudonymisation à part)\n", dir);
    return 0;
}

/* Check every `file` line of the manifest; fills version. */
static obs_status check_manifest(const char *dir, char *version, size_t vcap, obs_err *e)
{
    char path[4200], line[512];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_MANIFEST", "manifeste absent : %s", path);
    obs_status rc = fgets(line, sizeof line, f) && strncmp(line, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) == 0
                        ? OBS_OK
                        : obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_MANIFEST", "ce n'est pas une sauvegarde iscgobs : %s", dir);
    int files = 0;
    while (rc == OBS_OK && fgets(line, sizeof line, f)) {
        char want[65], name[256], hex[65];
        long long size = 0, got = 0;
        if (sscanf(line, "schema_version %31s", version) == 1 && vcap >= 32)
            continue;
        if (sscanf(line, "file %64s %lld %255s", want, &size, name) != 3)
            continue;
        if (strchr(name, '/')) {
            rc = obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_MANIFEST", "nom de fichier invalide : %s", name);
            break;
        }
        snprintf(path, sizeof path, "%s/%s", dir, name);
        rc = file_digest(path, hex, &got, e);
        if (rc == OBS_OK && (got != size || strcmp(hex, want) != 0))
            rc = obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_CHECKSUM", "somme de contrôle fausse : %s", name);
        files++;
    }
    fclose(f);
    if (rc == OBS_OK && files == 0)
        rc = obs_fail(e, OBS_ERR_INPUT, "E_BACKUP_MANIFEST", "manifeste sans fichier : %s", dir);
    return rc;
}

/* After a restore: would `serve` accept the configured key file with these pseudonyms? The
 * same check as serve's (collector/keys.h), said as a warning: the operator puts back the
 * key file kept apart, the one written by the backup's last rotation or a later one. */
static void check_key_file(PGconn *c)
{
    obs_keyring *ring = malloc(sizeof *ring);
    obs_err e;
    obs_err_clear(&e);
    int id = 0, pending = 0;
    if (ring == NULL)
        return;
    if (obs_keyring_load(obs_config_get()->key_file, ring, &e) != OBS_OK)
        fprintf(stderr, "attention : fichier de clés %s illisible (%s) : remettez sa copie "
                        "conservée à part avant `serve` [%s]\n", obs_config_get()->key_file, e.msg, e.code);
    else if (col_keys_check(c, ring, &id, &pending, &e) != OBS_OK)
        fprintf(stderr, "attention : %s [%s]\n", e.msg, e.code);
    else if (pending)
        fprintf(stderr, "attention : le fichier de clés a une clé de plus que la sauvegarde : "
                        "`iscgobs key rotate` achèvera la rotation avant `serve`\n");
    obs_keyring_wipe(ring);
    free(ring);
}

int cli_cmd_restore(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-' || obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs restore DIR\n"
               "Restaure une sauvegarde de `iscgobs backup` dans la base ISCGOBS_DATABASE_URL,\n"
               "qui doit être vide (sommes de contrôle vérifiées d'abord, une seule transaction).\n");
        return obs_arg_flag(argc, argv, 1, "--help") ? 0 : 2;
    }
    const char *dir = argv[1];
    obs_err e;
    obs_err_clear(&e);
    char version[32] = "0", objects[32];
    if (check_manifest(dir, version, sizeof version, &e))
        return obs_arg_fail(&e);
    PGconn *c = cli_connect(&e);
    if (c == NULL)
        return obs_arg_fail(&e);
    obs_status rc = one_value(c, SQL_PUBLIC_OBJECTS, objects, sizeof objects, &e);
    if (rc == OBS_OK && strcmp(objects, "0") != 0)
        rc = obs_fail(&e, OBS_ERR_INPUT, "E_RESTORE_NOT_EMPTY",
                      "la base cible n'est pas vide (%s objets) : restaurez dans une base neuve", objects);
    char file[4200], dbarg[1100];
    snprintf(file, sizeof file, "%s/%s", dir, DUMP_NAME);
    snprintf(dbarg, sizeof dbarg, "--dbname=%s", obs_config_get()->database_url);
    char *restore[] = {"pg_restore", "--exit-on-error", "--single-transaction", "--no-owner",
                       "--no-privileges", dbarg, file, NULL};
    if (rc == OBS_OK)
        rc = run_tool(restore, &e);
    if (rc == OBS_OK)
        rc = obs_db_exec(c, SQL_AUDIT_RESTORE, 2, (const char *[]){dir, version}, NULL, &e);
    obs_err ready;
    obs_err_clear(&ready);
    if (rc == OBS_OK && obs_db_ready(c, &ready))
        fprintf(stderr, "attention : %s ; lancez `iscgobs db migrate` [%s]\n", ready.msg, ready.code);
    if (rc == OBS_OK)
        check_key_file(c);
    obs_db_close(c);
    if (rc)
        return obs_arg_fail(&e);
    fprintf(stderr, "sauvegarde restaurée (schéma version %s)\n", version);
    return 0;
}
