/* sdmx_export.c: `iscgobs export sdmx|csv --period P [--out DIR]`: the publication files of
 * one period, the same messages the REST API serves (docs/sdmx.md, "Files"). Each export is
 * a publication run (sdmx_vintage.h): the files hold exactly what asOf=<export time> gives.
 *
 *   sdmx  structure.xml (every structure), <flow>_<P>_generic.xml (GenericData, series),
 *         <flow>_<P>_structurespecific.xml and DSD_ISCG.xsd (its schema)
 *   csv   <flow>_<P>.csv (SDMX-CSV 1.0)
 *
 * A period keeps the periods lying inside it: 2026 gives its months, quarters and the year;
 * 2026-Q1 gives January to March and the quarter. Files are written under a temporary name
 * and renamed, so a reader never sees half a file.
 */
#include "sdmx_export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "audit.h"
#include "db.h"
#include "ref.h"
#include "sdmx_schema.h"
#include "args.h"
#include "sdmx_stream.h"
#include "sdmx_structure.h"
#include "sdmx_vintage.h"
#include "signed_export.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: iscgobs export sdmx|csv --period P [--out DIR]\n"
                 "Écrit les fichiers de publication SDMX (structure, données génériques et\n"
                 "spécifiques, schéma) ou SDMX-CSV de la période P (AAAA, AAAA-Qn ou AAAA-MM),\n"
                 "secret statistique appliqué, dans DIR (défaut : répertoire courant).\n");
}

typedef obs_status (*write_fn)(void *arg, exp_sink *s, obs_err *e);

/* Write path through fn, atomically (temporary file, then rename). */
static obs_status write_file(const char *path, write_fn fn, void *arg, obs_err *e)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "impossible d'écrire %s : %s", tmp,
                        strerror(errno));
    exp_sink s = exp_sink_file(f);
    obs_status rc = fn(arg, &s, e);
    if (fclose(f) != 0 && rc == OBS_OK)
        rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "écriture de %s impossible", path);
    if (rc == OBS_OK && rename(tmp, path) != 0)
        rc = obs_fail(e, OBS_ERR_IO, "E_EXPORT_FILE", "impossible de renommer %s", tmp);
    if (rc)
        remove(tmp);
    else {
        fprintf(stderr, "écrit : %s\n", path);
        exp_publish_note(path); /* signed once the export is complete */
    }
    return rc;
}

static obs_status structure_fn(void *arg, exp_sink *s, obs_err *e)
{
    const char *prepared = arg;
    exp_structsel sel = exp_structsel_all();
    return exp_structure_write(&sel, "ISCG_STRUCTURE_ALL", prepared, s, e);
}

static obs_status schema_fn(void *arg, exp_sink *s, obs_err *e)
{
    (void)arg;
    return exp_schema_write(EXP_DIM_TIME, s, e);
}

typedef struct data_arg {
    PGconn *c;
    const exp_source *src;
    exp_data_opts opts;
} data_arg;

static obs_status data_fn(void *arg, exp_sink *s, obs_err *e)
{
    data_arg *a = arg;
    exp_stream *st = NULL;
    int empty = 0;
    obs_status rc = exp_stream_open(a->c, a->src, &a->opts, &st, &empty, e);
    if (rc == OBS_OK && empty)
        rc = obs_fail(e, OBS_ERR_NOT_FOUND, "E_EXPORT_EMPTY", "aucune donnée publiée pour cette "
                                                             "période");
    if (rc == OBS_OK)
        rc = exp_stream_write_all(st, a->c, s, e);
    exp_stream_free(st);
    return rc;
}

obs_status exp_export(PGconn *c, int csv, const char *period, const char *dir, obs_err *e)
{
    exp_data_query q;
    exp_data_query_init(&q);
    q.period_within = 1;
    if (exp_period_months(period, &q.start_month, &q.end_month))
        return obs_fail(e, OBS_ERR_INPUT, "E_EXPORT_PERIOD",
                        "période invalide « %s » (AAAA, AAAA-Qn ou AAAA-MM)", period);
    exp_run run;
    obs_status rc = exp_vintage_current(c, "export", &run, e);
    if (rc)
        return rc;
    exp_source src;
    if ((rc = exp_source_init(&src, &q, &run, -1, e)))
        return rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return obs_fail(e, OBS_ERR_IO, "E_EXPORT_DIR", "impossible de créer %s", dir);
    data_arg a = {.c = c, .src = &src};
    exp_data_opts_from_query(&a.opts, &q);
    exp_datetime(run.published_at, a.opts.prepared, sizeof a.opts.prepared);
    snprintf(a.opts.extracted, sizeof a.opts.extracted, "%s", run.extracted);
    char path[1100];
    char detail[160];
    snprintf(detail, sizeof detail, "{\"format\": \"%s\", \"run\": %lld}", csv ? "sdmx-csv" : "sdmx",
             run.id);
    if (csv) {
        a.opts.format = EXP_FMT_CSV;
        snprintf(path, sizeof path, "%s/%s_%s.csv", dir, EXP_FLOW, period);
        rc = write_file(path, data_fn, &a, e);
        return rc ? rc : obs_audit_append(c, "cli", "publication.write", period, "written", detail, e);
    }
    snprintf(path, sizeof path, "%s/structure.xml", dir);
    rc = write_file(path, structure_fn, a.opts.prepared, e);
    if (rc == OBS_OK) {
        snprintf(path, sizeof path, "%s/%s.xsd", dir, EXP_DSD);
        rc = write_file(path, schema_fn, NULL, e);
    }
    const struct { exp_format f; const char *suffix; } kinds[] = {
        {EXP_FMT_GENERIC, "generic"}, {EXP_FMT_SS, "structurespecific"}};
    for (size_t i = 0; rc == OBS_OK && i < OBS_ARRAY_LEN(kinds); i++) {
        a.opts.format = kinds[i].f;
        snprintf(a.opts.id, sizeof a.opts.id, "ISCG_EXPORT_%lld_%s", run.id,
                 kinds[i].f == EXP_FMT_SS ? "SS" : "GENERIC");
        snprintf(path, sizeof path, "%s/%s_%s_%s.xml", dir, EXP_FLOW, period, kinds[i].suffix);
        rc = write_file(path, data_fn, &a, e);
    }
    /* The files are written: the publication goes to the audit log (docs/reliability.md). */
    return rc ? rc : obs_audit_append(c, "cli", "publication.write", period, "written", detail, e);
}

int exp_cmd_export(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help")) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "sdmx") != 0 && strcmp(argv[1], "csv") != 0)) {
        usage(stderr);
        return 2;
    }
    const char *period = obs_arg_value(argc, argv, 2, "--period");
    const char *dir = obs_arg_value(argc, argv, 2, "--out");
    if (period == NULL) {
        fprintf(stderr, "iscgobs: --period est obligatoire\n");
        usage(stderr);
        return 2;
    }
    obs_err e;
    obs_err_clear(&e);
    obs_config cfg;
    PGconn *c = NULL;
    obs_status rc = obs_config_load(&cfg, &e);
    if (rc == OBS_OK)
        rc = ref_init(&e);
    if (rc == OBS_OK)
        rc = exp_dsd_init(&e);
    if (rc == OBS_OK && (c = obs_db_conn(&e)) == NULL)
        rc = OBS_ERR_DB;
    if (rc == OBS_OK)
        rc = exp_export(c, strcmp(argv[1], "csv") == 0, period, dir ? dir : ".", &e);
    obs_db_disconnect();
    return rc ? obs_arg_fail(&e) : 0;
}
