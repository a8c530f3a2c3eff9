/* template_cmd.c: `iscgobs template --post P --period YYYY-MM --out F` (see template_cmd.h). The
 * file is written beside F under a temporary name and renamed into place, so that F is
 * either the whole template or untouched. */
#include "template_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"
#include "args.h"
#include "ref.h"

static int usage(FILE *to, int status)
{
    fputs("Usage : iscgobs template --post POSTE --period AAAA-MM --out FICHIER.xlsx|.ods\n"
          "Écrit le modèle de grille du mois pour le poste : en-tête figé, listes de codes,\n"
          "dates limitées au mois, feuille « Instructions » (le même fichier que\n"
          "GET /api/v1/grids/POSTE/AAAA-MM/modele.xlsx ou .ods).\n",
          to);
    return status;
}

/* Write len bytes of data to path through path.tmp and a rename. */
static int write_file(const char *path, const char *data, size_t len)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return -1;
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cli_cmd_template(int argc, char **argv)
{
    if (obs_arg_flag(argc, argv, 1, "--help"))
        return usage(stdout, 0);
    const char *post = obs_arg_value(argc, argv, 1, "--post");
    const char *period = obs_arg_value(argc, argv, 1, "--period");
    const char *out = obs_arg_value(argc, argv, 1, "--out");
    exp_tpl_format f;
    if (post == NULL || period == NULL || out == NULL || exp_tpl_format_of(out, &f))
        return usage(stderr, 2);
    obs_err e;
    obs_err_clear(&e);
    obs_buf b;
    obs_buf_init(&b, 0);
    obs_status rc = ref_init(&e);
    if (rc == OBS_OK)
        rc = exp_template_write(f, post, period, &b, &e);
    if (rc) {
        obs_buf_free(&b);
        return obs_arg_fail(&e);
    }
    int bad = write_file(out, b.data, b.len);
    obs_buf_free(&b);
    if (bad) {
        fprintf(stderr, "template : impossible d'écrire %s\n", out);
        return 1;
    }
    fprintf(stderr, "modèle écrit : %s (poste %s, mois %s)\n", out, post, period);
    return 0;
}
