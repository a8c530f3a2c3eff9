/* test_sdmx_data.c: the data writers over hand-made protected cells: GenericData validates
 * against SDMXMessage.xsd, StructureSpecificData against the DSD-specific XSD the service
 * generates (for TIME_PERIOD, AllDimensions and a cross-section dimension), SDMX-CSV rows,
 * withheld cells, decimals, first/last N, detail levels, and the rsdmx pitfalls of
 * ../shared/spec/sdmx.md section 3 on the produced XML. */
#include "testutil.h"

#include <regex.h>
#include <string.h>
#include <sys/stat.h>

#include "ref.h"
#include "sdmx_data.h"
#include "sdmx_schema.h"
#include "sdmx_structure.h"
#include "sdmx_valid.h"

static char tmpdir[256];

static agg_cell cell(const char *mesure, const char *area, const char *period, int dim,
                     const char *code, double v, char conf)
{
    agg_cell c;
    memset(&c, 0, sizeof c);
    snprintf(c.mesure, sizeof c.mesure, "%s", mesure);
    snprintf(c.area, sizeof c.area, "%s", area);
    snprintf(c.period, sizeof c.period, "%s", period);
    for (int d = 0; d < AGG_NDIMS; d++)
        snprintf(c.dim[d], sizeof c.dim[d], "_T");
    if (dim >= 0)
        snprintf(c.dim[dim], sizeof c.dim[dim], "%s", code);
    c.has_value = 1;
    c.value = v;
    c.obs_status = 'P';
    c.conf_status = conf;
    return c;
}

/* A small protected table: two areas, months, a quarter, a year, a breakdown, a withheld
 * count, a secondary-suppressed percentage, a percentage without denominator. */
static size_t sample(exp_obs **out)
{
    agg_cell c[] = {
        cell("NB_PERSONNES", "FR", "2026-01", -1, NULL, 120, 'F'),
        cell("NB_PERSONNES", "FR", "2026-02", -1, NULL, 131, 'F'),
        cell("NB_PERSONNES", "FR", "2026-03", -1, NULL, 99, 'F'),
        cell("NB_PERSONNES", "FR", "2026-Q1", -1, NULL, 300, 'F'),
        cell("NB_PERSONNES", "FR", "2026", -1, NULL, 1200, 'F'),
        cell("NB_PERSONNES", "D93", "2026-01", -1, NULL, 7, 'C'),
        cell("NB_PERSONNES", "D93", "2026-02", -1, NULL, 40, 'F'),
        cell("NB_PERSONNES", "D93", "2026-01", AGG_SEXE, "F", 4, 'C'),
        cell("NB_PERSONNES", "D93", "2026-01", AGG_SEXE, "M", 3, 'C'),
        cell("PART_INCONNUS_SS", "FR", "2026-01", -1, NULL, 48.25, 'F'),
        cell("PART_INCONNUS_SS", "FR", "2026-02", -1, NULL, 51.2345, 'D'),
        cell("PART_PERSONNES", "R11", "2026-01", AGG_PROBLEMATIQUE, "VIOL_CONJ", 33.333333,
             'F'),
        cell("TAUX_COMPLETUDE", "FR", "2026-01", -1, NULL, 97.5, 'F'),
    };
    c[3].obs_status = 'A';
    c[4].has_value = 1;
    agg_cell nodenom = cell("PART_MINEURS", "D93", "2026-02", -1, NULL, 0, 'F');
    nodenom.has_value = 0;
    size_t n = OBS_ARRAY_LEN(c) + 1;
    exp_obs *o = calloc(n, sizeof *o);
    assert_non_null(o);
    obs_err e;
    for (size_t i = 0; i < n - 1; i++)
        assert_int_equal(exp_obs_from_cell(&c[i], &o[i], &e), OBS_OK);
    assert_int_equal(exp_obs_from_cell(&nodenom, &o[n - 1], &e), OBS_OK);
    *out = o;
    return n;
}

static char *write_msg(exp_format fmt, int dim, exp_detail detail, int first_n, int last_n,
                       size_t *len)
{
    exp_obs *o;
    size_t n = sample(&o);
    exp_obs_sort(o, n, dim);
    exp_data_opts opts = {.format = fmt, .dim_at_obs = dim, .detail = detail,
                          .first_n = first_n, .last_n = last_n};
    snprintf(opts.id, sizeof opts.id, "ISCG_DATA_0001");
    snprintf(opts.prepared, sizeof opts.prepared, "2026-04-10T08:00:00Z");
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    exp_data_writer *w = exp_data_open(&opts, &s);
    assert_non_null(w);
    obs_err e;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(exp_data_put(w, &o[i], &e), OBS_OK);
    assert_int_equal(exp_data_close(w, &e), OBS_OK);
    free(o);
    *len = b.len;
    return obs_buf_steal(&b);
}

static char *schema_text(int dim)
{
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    obs_err e;
    assert_int_equal(exp_schema_write(dim, &s, &e), OBS_OK);
    return obs_buf_steal(&b);
}

static void test_publication_rules(void **state)
{
    (void)state;
    obs_err e;
    exp_obs o;
    agg_cell c = cell("PART_INCONNUS_SS", "FR", "2026-Q1", -1, NULL, 48.25, 'F');
    assert_int_equal(exp_obs_from_cell(&c, &o, &e), OBS_OK);
    assert_string_equal(o.key[EXP_D_FREQ], "Q");
    assert_string_equal(o.value, "48.3"); /* half away from zero, one decimal */
    c = cell("NB_CONTACTS", "D2A", "2026", AGG_MODE, "TELEPHONE", 1234, 'F');
    assert_int_equal(exp_obs_from_cell(&c, &o, &e), OBS_OK);
    assert_string_equal(o.key[EXP_D_FREQ], "A");
    assert_string_equal(o.value, "1234");
    assert_string_equal(o.key[EXP_D_MODE], "TELEPHONE");
    c = cell("NB_PERSONNES", "FR", "2026-03", -1, NULL, 5, 'C');
    assert_int_equal(exp_obs_from_cell(&c, &o, &e), OBS_OK);
    assert_false(o.has_value);
    assert_int_equal(o.obs_status, 'Q');
    assert_int_equal(o.conf_status, 'C');
    c = cell("NB_PERSONNES", "ISCG-093-01", "2026-03", -1, NULL, 50, 'F');
    assert_int_equal(exp_obs_from_cell(&c, &o, &e), OBS_ERR_INPUT); /* never a post */
    c = cell("NB_PERSONNES", "FR", "2026-13", -1, NULL, 50, 'F');
    assert_int_equal(exp_obs_from_cell(&c, &o, &e), OBS_ERR_INPUT);
}

static void test_generic_validates(void **state)
{
    (void)state;
    const int dims[] = {EXP_DIM_TIME, EXP_DIM_ALL, EXP_D_REF_AREA, EXP_D_MESURE};
    for (size_t i = 0; i < OBS_ARRAY_LEN(dims); i++) {
        for (int detail = 0; detail < 4; detail++) {
            size_t len;
            char *x = write_msg(EXP_FMT_GENERIC, dims[i], (exp_detail)detail, 0, 0, &len);
            if (sdmx_validate(x, len) != 0) {
                fprintf(stderr, "%s\n", x);
                fail_msg("generic data, dimension %d, detail %d does not validate", dims[i],
                         detail);
            }
            free(x);
        }
    }
}

static void test_structure_specific_validates(void **state)
{
    (void)state;
    const int dims[] = {EXP_DIM_TIME, EXP_DIM_ALL, EXP_D_REF_AREA, EXP_D_SEXE};
    for (size_t i = 0; i < OBS_ARRAY_LEN(dims); i++) {
        char *xsd = schema_text(dims[i]);
        char ns[200];
        exp_ss_namespace(dims[i], ns, sizeof ns);
        for (int detail = 0; detail < 4; detail++) {
            size_t len;
            char *x = write_msg(EXP_FMT_SS, dims[i], (exp_detail)detail, 0, 0, &len);
            if (sdmx_validate_ss(x, len, xsd, ns, tmpdir) != 0) {
                fprintf(stderr, "%s\n", x);
                fail_msg("structure-specific data, dimension %d, detail %d does not validate",
                         dims[i], detail);
            }
            free(x);
        }
        free(xsd);
    }
    /* The check can fail: an unknown code is refused by the generated schema. */
    char *xsd = schema_text(EXP_DIM_TIME);
    char ns[200];
    exp_ss_namespace(EXP_DIM_TIME, ns, sizeof ns);
    size_t len;
    char *x = write_msg(EXP_FMT_SS, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 0, &len);
    char *p = strstr(x, "REF_AREA=\"FR\"");
    assert_non_null(p);
    memcpy(p + 10, "XX", 2);
    assert_int_not_equal(sdmx_validate_ss(x, len, xsd, ns, tmpdir), 0);
    free(x);
    free(xsd);
}

static void test_withheld_and_decimals(void **state)
{
    (void)state;
    size_t len;
    char *x = write_msg(EXP_FMT_SS, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 0, &len);
    /* D93 January: withheld, no value, Q and its confidentiality status. */
    assert_non_null(strstr(x, "<Obs TIME_PERIOD=\"2026-01\" OBS_STATUS=\"Q\" CONF_STATUS=\"C\"/>"));
    assert_non_null(strstr(x, "<Obs TIME_PERIOD=\"2026-02\" OBS_STATUS=\"Q\" CONF_STATUS=\"D\"/>"));
    assert_null(strstr(x, "51.2"));
    assert_non_null(strstr(x, "OBS_VALUE=\"33.3\""));
    assert_non_null(strstr(x, "OBS_VALUE=\"48.3\""));
    assert_non_null(strstr(x, "UNIT_MEASURE=\"PCT\" UNIT_MULT=\"0\" DECIMALS=\"1\""));
    assert_non_null(strstr(x, "UNIT_MEASURE=\"PERSONNES\" UNIT_MULT=\"0\" DECIMALS=\"0\""));
    /* No denominator: an observation without value, published as free (not withheld). */
    assert_non_null(strstr(x, "MESURE=\"PART_MINEURS\""));
    free(x);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_first_last_n_and_detail(void **state)
{
    (void)state;
    size_t len;
    /* FR NB_PERSONNES monthly series: 2026-01, 02, 03. */
    char *x = write_msg(EXP_FMT_CSV, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 1, &len);
    assert_null(strstr(x, ",FR,NB_PERSONNES,_T,_T,_T,_T,_T,_T,_T,2026-01,"));
    assert_non_null(strstr(x, ",FR,NB_PERSONNES,_T,_T,_T,_T,_T,_T,_T,2026-03,99,"));
    free(x);
    x = write_msg(EXP_FMT_CSV, EXP_DIM_TIME, EXP_DETAIL_FULL, 1, 0, &len);
    assert_non_null(strstr(x, ",FR,NB_PERSONNES,_T,_T,_T,_T,_T,_T,_T,2026-01,120,"));
    assert_null(strstr(x, ",FR,NB_PERSONNES,_T,_T,_T,_T,_T,_T,_T,2026-02,"));
    free(x);
    x = write_msg(EXP_FMT_CSV, EXP_DIM_TIME, EXP_DETAIL_FULL, 1, 1, &len);
    assert_non_null(strstr(x, "_T,2026-01,120,"));
    assert_null(strstr(x, "_T,2026-02,131,"));
    assert_non_null(strstr(x, "_T,2026-03,99,"));
    free(x);
    x = write_msg(EXP_FMT_GENERIC, EXP_DIM_TIME, EXP_DETAIL_SERIESKEYSONLY, 0, 0, &len);
    assert_int_equal(count(x, "<generic:Obs>"), 0);
    assert_int_equal(count(x, "<generic:Attributes>"), 0);
    assert_true(count(x, "<generic:Series>") > 5);
    free(x);
    x = write_msg(EXP_FMT_GENERIC, EXP_DIM_TIME, EXP_DETAIL_NODATA, 0, 0, &len);
    assert_int_equal(count(x, "<generic:Obs>"), 0);
    assert_int_equal(count(x, "<generic:Attributes>"), count(x, "<generic:Series>"));
    free(x);
    x = write_msg(EXP_FMT_GENERIC, EXP_DIM_TIME, EXP_DETAIL_DATAONLY, 0, 0, &len);
    assert_true(count(x, "<generic:Obs>") > 10);
    assert_int_equal(count(x, "<generic:Attributes>"), 0);
    free(x);
}

static void test_csv(void **state)
{
    (void)state;
    size_t len;
    char *x = write_msg(EXP_FMT_CSV, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 0, &len);
    assert_memory_equal(x,
                        "DATAFLOW,FREQ,REF_AREA,MESURE,SEXE,AGE,STATUT,ORIGINE,PROBLEMATIQUE,"
                        "PARTENAIRE,MODE,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,UNIT_MULT,DECIMALS,"
                        "OBS_STATUS,CONF_STATUS\r\n",
                        strlen("DATAFLOW,FREQ,REF_AREA,MESURE,SEXE,AGE,STATUT,ORIGINE,"
                               "PROBLEMATIQUE,PARTENAIRE,MODE,TIME_PERIOD,OBS_VALUE,"
                               "UNIT_MEASURE,UNIT_MULT,DECIMALS,OBS_STATUS,CONF_STATUS\r\n"));
    assert_non_null(strstr(x, "\r\nFR_ISCG:ISCG_INDICATEURS(1.0),M,D93,NB_PERSONNES,F,_T,_T,_T,"
                              "_T,_T,_T,2026-01,,PERSONNES,0,0,Q,C\r\n"));
    assert_non_null(strstr(x, "\r\nFR_ISCG:ISCG_INDICATEURS(1.0),A,FR,NB_PERSONNES,_T,_T,_T,_T,"
                              "_T,_T,_T,2026,1200,PERSONNES,0,0,P,F\r\n"));
    assert_int_equal(count(x, "\r\n"), 15); /* header + 14 observations */
    free(x);
    /* RFC 4180 quoting. */
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    assert_int_equal(exp_csv_field(&s, "a,\"b\"", 0), 0);
    assert_int_equal(exp_csv_field(&s, "c", 1), 0);
    assert_string_equal(b.data, "\"a,\"\"b\"\"\",c\r\n");
    obs_buf_free(&b);
}

/* SDMX-CSV has no dimension at observation level: the query becomes the default layout, so
 * its canonical form (ETag, cache key) is the default one; XML formats keep what was asked. */
static void test_csv_layout_is_time_series(void **state)
{
    (void)state;
    const int dims[] = {EXP_D_REF_AREA, EXP_D_MESURE, EXP_DIM_ALL, EXP_DIM_TIME};
    exp_data_query base;
    exp_data_query_init(&base);
    char want[1024], got[1024];
    assert_int_equal(exp_query_canonical(&base, want, sizeof want), 0);
    for (size_t i = 0; i < OBS_ARRAY_LEN(dims); i++) {
        exp_data_query q;
        exp_data_query_init(&q);
        q.dim_at_obs = dims[i];
        exp_query_for_format(&q, EXP_FMT_GENERIC);
        assert_int_equal(q.dim_at_obs, dims[i]);
        exp_query_for_format(&q, EXP_FMT_SS);
        assert_int_equal(q.dim_at_obs, dims[i]);
        exp_query_for_format(&q, EXP_FMT_CSV);
        assert_int_equal(q.dim_at_obs, EXP_DIM_TIME);
        assert_int_equal(exp_query_canonical(&q, got, sizeof got), 0);
        assert_string_equal(got, want);
    }
}

/* ---- rsdmx pitfalls (sdmx.md section 3) ---------------------------------------------------- */

static void header_checks(const char *x)
{
    regex_t re;
    regmatch_t m[2];
    assert_int_equal(regcomp(&re, "<message:ID>([^<]*)</message:ID>", REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, x, 2, m, 0), 0);
    regfree(&re);
    char id[128];
    snprintf(id, sizeof id, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), x + m[1].rm_so);
    assert_int_equal(regcomp(&re, "^[A-Za-z0-9_@$-]+$", REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, id, 0, NULL, 0), 0); /* 1. no dots or colons */
    regfree(&re);
    assert_non_null(strstr(x, "<message:Test>false</message:Test>"));
    assert_int_equal(regcomp(&re,
                             "<message:Prepared>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                             "[0-9]{2}Z</message:Prepared>",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&re, x, 0, NULL, 0), 0);
    regfree(&re);
    assert_non_null(strstr(x, "<message:Sender id=\"FR_ISCG\""));
    assert_null(strstr(x, " xmlns=")); /* 2. never a default namespace */
    assert_null(strstr(x, "<common:Ref"));
}

/* 3. On the root element, every sdmx.org namespace comes before any urn: one. */
static void namespace_order(const char *x)
{
    const char *root_end = strchr(strstr(x, "?>") + 2, '>');
    const char *urn = strstr(x, "=\"urn:");
    const char *last_sdmx = NULL;
    for (const char *p = strstr(x, "=\"http://www.sdmx.org"); p && p < root_end;
         p = strstr(p + 1, "=\"http://www.sdmx.org"))
        last_sdmx = p;
    assert_non_null(last_sdmx);
    if (urn && urn < root_end)
        assert_true(last_sdmx < urn);
}

static void test_pitfalls_data(void **state)
{
    (void)state;
    size_t len;
    char *g = write_msg(EXP_FMT_GENERIC, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 0, &len);
    header_checks(g);
    namespace_order(g);
    assert_non_null(strstr(g, "<message:Structure structureID=\"DSD_ISCG\" "
                              "dimensionAtObservation=\"TIME_PERIOD\">"));
    assert_null(strstr(g, "namespace=\"urn:")); /* forbidden for generic data */
    assert_non_null(strstr(g, "<common:Structure><Ref agencyID=\"FR_ISCG\" id=\"DSD_ISCG\" "
                              "version=\"1.0\"/></common:Structure>"));
    assert_non_null(strstr(g, "<generic:Series>")); /* 4. series by default */
    free(g);
    char *s = write_msg(EXP_FMT_SS, EXP_DIM_TIME, EXP_DETAIL_FULL, 0, 0, &len);
    header_checks(s);
    namespace_order(s);
    assert_non_null(strstr(s, "structureID=\"DSD_ISCG\" namespace=\"urn:sdmx:org.sdmx.infomodel."
                              "datastructure.DataStructure=FR_ISCG:DSD_ISCG(1.0):ObsLevelDim:"
                              "TIME_PERIOD\" dimensionAtObservation=\"TIME_PERIOD\""));
    assert_non_null(strstr(s, "<Series FREQ="));   /* unqualified Series and Obs */
    assert_non_null(strstr(s, "<Obs TIME_PERIOD=")); 
    assert_null(strstr(s, ":Series"));
    free(s);
}

static char *structure_all(size_t *len)
{
    obs_buf b;
    obs_buf_init(&b, 0);
    exp_sink s = exp_sink_buf(&b);
    exp_structsel sel = exp_structsel_all();
    obs_err e;
    assert_int_equal(exp_structure_write(&sel, "ISCG_STRUCTURE_1", "2026-04-10T08:00:00Z", &s, &e),
                     OBS_OK);
    *len = b.len;
    return obs_buf_steal(&b);
}

static void test_structure_validates_and_pitfalls(void **state)
{
    (void)state;
    size_t len;
    char *x = structure_all(&len);
    assert_int_equal(sdmx_validate(x, len), 0);
    header_checks(x);
    namespace_order(x);
    /* 5. Every ConceptIdentity and Enumeration Ref has package and class. */
    for (const char *p = strstr(x, "<structure:ConceptIdentity>"); p;
         p = strstr(p + 1, "<structure:ConceptIdentity>")) {
        const char *ref = strstr(p, "<Ref ");
        const char *end = strchr(ref, '>');
        assert_true(ref && end);
        assert_non_null(memmem(ref, (size_t)(end - ref), "package=\"conceptscheme\"", 23));
        assert_non_null(memmem(ref, (size_t)(end - ref), "class=\"Concept\"", 15));
    }
    int enums = 0;
    for (const char *p = strstr(x, "<structure:Enumeration>"); p;
         p = strstr(p + 1, "<structure:Enumeration>"), enums++) {
        const char *ref = strstr(p, "<Ref ");
        const char *end = strchr(ref, '>');
        assert_non_null(memmem(ref, (size_t)(end - ref), "package=\"codelist\"", 18));
        assert_non_null(memmem(ref, (size_t)(end - ref), "class=\"Codelist\"", 16));
    }
    assert_int_equal(enums, EXP_NDIMS + EXP_NATTRS);
    /* Every Ref inside the DSD has package and class. */
    const char *dsd = strstr(x, "<structure:DataStructure ");
    assert_non_null(dsd);
    for (const char *p = strstr(dsd, "<Ref "); p; p = strstr(p + 1, "<Ref ")) {
        const char *end = strchr(p, '>');
        assert_non_null(memmem(p, (size_t)(end - p), "package=", 8));
        assert_non_null(memmem(p, (size_t)(end - p), "class=", 6));
    }
    /* Component order. */
    const char *dl = strstr(x, "<structure:DimensionList"), *al = strstr(x, "<structure:AttributeList"),
               *ml = strstr(x, "<structure:MeasureList");
    assert_true(dl && al && ml && dl < al && al < ml);
    /* Component id = concept id. */
    assert_non_null(strstr(x, "<structure:Dimension id=\"REF_AREA\" position=\"2\">\n"));
    assert_non_null(strstr(x, "maintainableParentVersion=\"1.0\" id=\"REF_AREA\" "));
    /* Names in French and English; area codes from the reference data. */
    assert_non_null(strstr(x, "<common:Name xml:lang=\"fr\">Violences conjugales</common:Name>"));
    assert_non_null(strstr(x, "<common:Name xml:lang=\"en\">Intimate partner violence</common:Name>"));
    assert_non_null(strstr(x, "<structure:Code id=\"D2A\">"));
    assert_non_null(strstr(x, "<structure:Code id=\"D974\">"));
    assert_non_null(strstr(x, "<structure:Code id=\"R84\">"));
    free(x);
}

static void test_structure_queries(void **state)
{
    (void)state;
    exp_structsel s;
    obs_err e;
    assert_int_equal(exp_structsel_query(EXP_SR_DATASTRUCTURE, "all", "DSD_ISCG", "latest",
                                         "children", &s, &e),
                     OBS_OK);
    assert_true(s.dsd && s.conceptscheme && s.codelists && !s.dataflow);
    assert_int_equal(exp_structsel_query(EXP_SR_DATAFLOW, NULL, NULL, NULL, NULL, &s, &e), OBS_OK);
    assert_true(s.dataflow && !s.dsd && !s.codelists);
    assert_int_equal(exp_structsel_query(EXP_SR_DATAFLOW, "FR_ISCG", "ISCG_INDICATEURS", "1.0",
                                         "descendants", &s, &e),
                     OBS_OK);
    assert_true(s.dataflow && s.dsd && s.conceptscheme && s.codelists);
    assert_int_equal(exp_structsel_query(EXP_SR_CODELIST, "FR_ISCG", "CL_SEXE", "all", "parents",
                                         &s, &e),
                     OBS_OK);
    assert_true(s.dsd && s.codelists == 1u << EXP_CL_SEXE);
    assert_int_equal(exp_structsel_query(EXP_SR_CODELIST, "ECB", "all", "all", NULL, &s, &e),
                     OBS_ERR_NOT_FOUND);
    assert_int_equal(exp_structsel_query(EXP_SR_CODELIST, "all", "CL_NOPE", "all", NULL, &s, &e),
                     OBS_ERR_NOT_FOUND);
    assert_int_equal(exp_structsel_query(EXP_SR_DATASTRUCTURE, "all", "all", "2.0", NULL, &s, &e),
                     OBS_ERR_NOT_FOUND);
    assert_int_equal(exp_structsel_query(EXP_SR_DATASTRUCTURE, "all", "all", "all", "cousins", &s,
                                         &e),
                     OBS_ERR_INPUT);
}

static void test_error_message_validates(void **state)
{
    (void)state;
    obs_buf b;
    obs_buf_init(&b, 0);
    assert_int_equal(exp_error_message(&b, 100, "No Results Found", "Aucun résultat"), OBS_OK);
    assert_int_equal(sdmx_validate(b.data, b.len), 0);
    assert_non_null(strstr(b.data, "<message:ErrorMessage code=\"100\">"));
    obs_buf_free(&b);
}

static int setup(void **state)
{
    (void)state;
    obs_err e;
    if (ref_init(&e) || exp_dsd_init(&e))
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_sdmx_data.%d", (int)getpid());
    mkdir(tmpdir, 0700);
    return sdmx_message_schema() ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[300];
    snprintf(p, sizeof p, "%s/wrapper.xsd", tmpdir);
    unlink(p);
    snprintf(p, sizeof p, "%s/dsd_specific.xsd", tmpdir);
    unlink(p);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publication_rules),
        cmocka_unit_test(test_generic_validates),
        cmocka_unit_test(test_structure_specific_validates),
        cmocka_unit_test(test_withheld_and_decimals),
        cmocka_unit_test(test_first_last_n_and_detail),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_layout_is_time_series),
        cmocka_unit_test(test_pitfalls_data),
        cmocka_unit_test(test_structure_validates_and_pitfalls),
        cmocka_unit_test(test_structure_queries),
        cmocka_unit_test(test_error_message_validates),
    };
    return cmocka_run_group_tests_name("sdmx_data", tests, setup, teardown);
}
