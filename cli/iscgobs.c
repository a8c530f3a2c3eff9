/* iscgobs.c: the command-line dispatcher: `iscgobs <command> ...` (service.md section 2). */
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "route_audit.h"
#include "aggregate.h"
#include "publish.h"
#include "publication.h"
#include "privacy.h"
#include "privacy_report.h"
#include "signed_export.h"
#include "serve_routes.h"
#include "template_cmd.h"
#include "upload.h"
#include "demo.h"
#include "config.h"
#include "crypto.h"
#include "keyring.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "ref.h"
#include "reports.h"
#include "keys.h"
#include "retention.h"
#include "route_grids.h"
#include "route_health.h"
#include "routes.h"
#include "sdmx_export.h"
#include "sdmx_rest.h"
#include "sdmx_vintage.h"
#include "store.h"
#include "warm.h"
#include "web.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iscgobs <commande> [options]   (--help après une commande pour le détail)\n"
            "\n"
            "  serve                    le service HTTP (premier plan ; SIGTERM pour l'arrêter)\n"
            "  routes                   les routes HTTP de serve (méthode, chemin)\n"
            "  db migrate               crée ou met à jour le schéma, charge les référentiels\n"
            "  db status                version du schéma et migrations en attente\n"
            "  keygen [--file F]        crée une clé de pseudonymisation (jamais écrasée)\n"
            "  keygen --signing [--file F]   crée la clé de signature des publications\n"
            "  key rotate | key list    rotation de la clé de pseudonymisation ; les clés\n"
            "  retention purge --before AAAA-MM [--batch N]   supprime les microdonnées anciennes\n"
            "  retention list                                 les suppressions faites, les années figées\n"
            "  post add CODE ...        enregistre un poste ; post import FICHIER : un registre\n"
            "  user add --role R ...    crée un compte et affiche son jeton\n"
            "  user passwd --name N     fixe le mot de passe de connexion (lu sur l'entrée standard)\n"
            "  period reopen|close POSTE AAAA-MM   rouvre (referme) un mois clos pour un poste\n"
            "  demo --out DIR ...       écrit une année nationale synthétique de grilles\n"
            "  upload DIR|FICHIER... --url U --token T   dépôt en masse\n"
            "  template --post P --period AAAA-MM --out F.xlsx|.ods   modèle de grille à remplir\n"
            "  export sdmx|csv --period P [--out DIR]   fichiers de publication SDMX\n"
            "  export html --period P [--out DIR]   pages publiques en HTML autonome\n"
            "                           (chaque fichier signé : FICHIER.sig, SHA256SUMS signé)\n"
            "  publication-key          la clé publique des signatures (PEM)\n"
            "  verify FICHIER... [--key PEM]   vérifie la signature d'un fichier publié\n"
            "  privacy report [--period P]   risque de ré-identification des microdonnées\n"
            "  aggregate [--from P --to P]   recalcul complet des indicateurs stockés\n"
            "  audit verify [--anchor S:H]   vérifie la chaîne d'empreintes du journal d'audit\n"
            "  backup --out DIR         sauvegarde (pg_dump + manifeste) ; restore DIR : restauration\n"
            "\n"
            "Configuration : ISCGOBS_DATABASE_URL, ISCGOBS_LISTEN, ISCGOBS_KEY_FILE, ISCGOBS_SDC_K,\n"
            "ISCGOBS_LOCK_MONTHS, ISCGOBS_MAX_UPLOAD, ISCGOBS_SIGNING_KEY_FILE, ISCGOBS_RETENTION_MONTHS\n"
            "(voir docs/operations.md).\n");
}

/* The upload hook: the aggregator's refresh; SDMX answers then re-check their state. */
static obs_status after_store(PGconn *c, const char *post, const char *period, obs_err *e)
{
    exp_vintage_touch();
    obs_status rc = agg_refresh_post_month(c, post, period, e);
    if (rc == OBS_OK) /* protect the year ahead of its readers, once uploads are quiet */
        agg_warm_note((int)strtol(period, NULL, 10));
    return rc;
}

/* `iscgobs routes`: the route table of `serve`, one "METHOD PATTERN" a line (the access test
 * checks each against its rules: tests/integration/web/test_access.c). */
static int cmd_routes(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs routes\nListe les routes HTTP de `serve` (méthode, chemin).\n");
        return 0;
    }
    cli_add_routes();
    for (size_t i = 0; i < obs_http_route_count(); i++)
        printf("%s %s\n", obs_http_route_at(i)->method, obs_http_route_at(i)->pattern);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        printf("usage: iscgobs serve\nSert l'API sur ISCGOBS_LISTEN (127.0.0.1:8080 par défaut).\n");
        return 0;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    if (obs_config_load(&cfg, &e) || ref_init(&e) || exp_dsd_init(&e))
        return obs_arg_fail(&e);
    xmlInitParser();
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || obs_db_ready(c, &e) || col_keys_setup(c, cfg.key_file, &e))
        return obs_arg_fail(&e);
    cli_publication_serve_setup(cfg.signing_key_file);
    if (cfg.refresh) { /* indicators refreshed inside each upload (ISCGOBS_REFRESH=sync) */
        col_store_set_prepare(agg_refresh_open_month);
        col_store_set_hook(after_store);
    }

    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    cli_add_routes();
    agg_warm_on_round(exp_vintage_publish_background); /* SDMX runs follow the rounds */
    if (obs_audit_chainer_start(&e) || agg_warm_start(&e) || obs_http_start(&cfg, &e)) {
        agg_warm_stop();
        obs_audit_chainer_stop();
        col_keys_teardown();
        return obs_arg_fail(&e);
    }
    if (col_retention_start(cfg.retention_months, &e)) {
        obs_http_stop(0);
        agg_warm_stop();
        obs_audit_chainer_stop();
        col_keys_teardown();
        return obs_arg_fail(&e);
    }
    obs_log(OBS_LOG_INFO, "serve.start", "listen=%s:%d threads=%d", cfg.listen_host,
            obs_http_port(), cfg.threads);
    int sig = 0;
    sigwait(&stop, &sig);
    obs_log(OBS_LOG_INFO, "serve.stop", "signal=%d", sig);
    col_retention_stop();
    obs_http_stop(10);
    agg_warm_stop();
    obs_audit_chainer_stop(); /* after the last upload: what it left is chained */
    col_keys_teardown();
    agg_publish_reset();
    obs_db_disconnect();
    return 0;
}

/* `post add|import`, then the register measures of the indicators (NB_POSTES_ACTIFS, ...). */
static int cmd_post(int argc, char **argv)
{
    int st = cli_cmd_post(argc, argv);
    if (st != 0 || argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "import") != 0) ||
        obs_arg_flag(argc, argv, 1, "--help"))
        return st;
    obs_err e;
    obs_err_clear(&e);
    PGconn *c = obs_db_conn(&e);
    if (c == NULL || agg_refresh_register(c, &e))
        st = obs_arg_fail(&e);
    obs_db_disconnect();
    return st;
}

/* `export html` writes the public pages (exporters/web_routes.c); sdmx and csv go to the
 * SDMX exporter. */
static int export_unsigned(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "html") == 0)
        return exp_cmd_export_html(argc - 1, argv + 1);
    return exp_cmd_export(argc, argv);
}

/* Every exported file is signed (cli/publication.c). */
static int cmd_export(int argc, char **argv)
{
    return cli_export_signed(argc, argv, export_unsigned);
}

/* `user passwd`, and `user add ... --password-stdin` (the password is read before the
 * account is created, then set on it): the login form's passwords (exporters/web_password.c). */
static int cmd_user(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
        return web_cmd_user_passwd(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "add") != 0 || !obs_arg_flag(argc, argv, 2, "--password-stdin") ||
        obs_arg_flag(argc, argv, 2, "--help"))
        return cli_cmd_user(argc, argv);
    obs_err e;
    obs_err_clear(&e);
    char pw[1100];
    if (web_password_read_stdin(pw, sizeof pw, &e))
        return obs_arg_fail(&e);
    int st = cli_cmd_user(argc, argv);
    const char *name = obs_arg_value(argc, argv, 2, "--name");
    if (st == 0 && name) {
        PGconn *c = obs_db_open(obs_config_get()->database_url, &e);
        if (c == NULL || web_password_set(c, name, pw, &e))
            st = obs_arg_fail(&e);
        obs_db_close(c);
    }
    obs_wipe(pw, sizeof pw);
    return st;
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"serve", cmd_serve},       {"routes", cmd_routes},
    {"db", cli_cmd_db},        {"keygen", cli_cmd_keygen},
    {"post", cmd_post},     {"user", cmd_user},    {"demo", demo_cmd},
    {"upload", cli_cmd_upload}, {"aggregate", agg_cmd_aggregate},
    {"export", cmd_export},     {"period", cli_cmd_period},
    {"key", cli_cmd_key},       {"retention", cli_cmd_retention},
    {"audit", cli_cmd_audit},
    {"backup", cli_cmd_backup}, {"restore", cli_cmd_restore},
    {"publication-key", cli_cmd_publication_key}, {"verify", cli_cmd_verify},
    {"privacy", cli_cmd_privacy},     {"template", cli_cmd_template},
};

int main(int argc, char **argv)
{
    const char *lvl = getenv("ISCGOBS_LOG_LEVEL");
    if (lvl && strcmp(lvl, "debug") == 0)
        obs_log_set_level(OBS_LOG_DEBUG);
    else if (lvl && strcmp(lvl, "warn") == 0)
        obs_log_set_level(OBS_LOG_WARN);
    const char *fmt = getenv("ISCGOBS_LOG_FORMAT");
    obs_log_set_json(fmt && strcmp(fmt, "json") == 0);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < OBS_ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "iscgobs: commande inconnue « %s »\n", argv[1]);
    usage(stderr);
    return 2;
}
