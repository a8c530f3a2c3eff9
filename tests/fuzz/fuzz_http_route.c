/* fuzz_http_route.c: libFuzzer harness of the HTTP routing of paths (common/http/http.c,
 * obs_http_route_match) over the service's whole route table, registered as `iscgobs serve`
 * does: the input's first line is the method, the rest the decoded path (up to its first
 * NUL, as libmicrohttpd hands it over). A match must be consistent: a route of that method
 * (HEAD served by GET), whose pattern's fixed segments equal the path's. Seeds:
 * tests/fuzz/corpus/http_route/ (the route table's paths).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "reports.h"
#include "route_grids.h"
#include "serve_routes.h"
#include "route_health.h"
#include "routes.h"
#include "sdmx_rest.h"
#include "web.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cli_add_routes();
    return 0;
}

/* abort() unless route r can serve method on rq's segments. */
static void check_match(const obs_route *r, const obs_request *rq)
{
    const char *m = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    if (strcmp(r->method, m) != 0)
        abort();
    const char *p = r->pattern;
    int i = 0;
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, "/");
        if (n == 2 && strncmp(p, "**", 2) == 0)
            return;
        if (i >= rq->nseg || (!(n == 1 && *p == '*') &&
                              (strlen(rq->seg[i]) != n || strncmp(p, rq->seg[i], n) != 0)))
            abort();
        i++;
        p += n;
    }
    if (i != rq->nseg)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s = fuzz_cstr(data, len);
    char *path = fuzz_first_line(s);
    obs_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = s;
    rq.path = path;
    int mismatch = -1;
    const obs_route *r = obs_http_route_match(&rq, path, &mismatch);
    if (r != NULL)
        check_match(r, &rq);
    else if (mismatch < 0) /* the number of other methods of the path (405's Allow) */
        abort();
    for (int i = 0; i < rq.nseg; i++)
        free(rq.seg[i]);
    free(s);
    return 0;
}
