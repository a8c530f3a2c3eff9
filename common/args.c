/* args.c: the command line's options (see args.h). */
#include "args.h"

#include <stdio.h>
#include <string.h>

#include "status.h"

const char *obs_arg_value(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

int obs_arg_flag(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int obs_arg_fail(const obs_err *e)
{
    fprintf(stderr, "iscgobs: %s [%s]\n", e->msg, e->code);
    return 1;
}
