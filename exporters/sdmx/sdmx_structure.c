/* sdmx_structure.c: the Structure message (dataflow, code lists, concept scheme, DSD) and the
 * selection rules of structure queries (resource, agency, id, version, references); see
 * sdmx_structure.h. Everything is generated from the model of sdmx_dsd.c. */
#include "sdmx_structure.h"

#include <stdio.h>
#include <string.h>

#define ALL_CODELISTS ((uint32_t)((1u << EXP_NCL) - 1u))

exp_structsel exp_structsel_all(void)
{
    return (exp_structsel){1, 1, 1, ALL_CODELISTS};
}

static int matches(const char *want, const char *have)
{
    return want == NULL || strcmp(want, "all") == 0 || strcmp(want, have) == 0;
}

static int version_matches(const char *v)
{
    return v == NULL || strcmp(v, "all") == 0 || strcmp(v, "latest") == 0 ||
           strcmp(v, EXP_VERSION) == 0;
}

obs_status exp_structsel_query(exp_sres res, const char *agency, const char *id,
                               const char *version, const char *refs, exp_structsel *sel,
                               obs_err *e)
{
    memset(sel, 0, sizeof *sel);
    static const char *const known[] = {"none",         "parents",      "parentsandsiblings",
                                        "children",     "descendants",  "all",
                                        "dataflow",     "datastructure", "codelist",
                                        "conceptscheme"};
    const char *r = refs ? refs : "none";
    int k = -1;
    for (size_t i = 0; i < OBS_ARRAY_LEN(known); i++)
        if (strcmp(known[i], r) == 0)
            k = (int)i;
    if (k < 0)
        return obs_fail(e, OBS_ERR_INPUT, "E_SDMX_SYNTAX",
                        "valeur de references inconnue (none, parents, parentsandsiblings, "
                        "children, descendants, all ou un type de structure)");
    int none = k == 0, parents = k == 1 || k == 2 || k == 5, siblings = k == 2,
        children = k == 3 || k == 4 || k == 5, desc = k == 4 || k == 5;
    if (!matches(agency, EXP_AGENCY) || !version_matches(version))
        return obs_fail(e, OBS_ERR_NOT_FOUND, "E_SDMX_NO_RESULTS", "aucune structure trouvée");
    switch (res) {
    case EXP_SR_DATAFLOW:
        if (!matches(id, EXP_FLOW))
            break;
        sel->dataflow = 1;
        if (children || k == 7)
            sel->dsd = 1;
        if (desc) {
            sel->conceptscheme = 1;
            sel->codelists = ALL_CODELISTS;
        }
        if (k == 8)
            sel->codelists = ALL_CODELISTS;
        if (k == 9)
            sel->conceptscheme = 1;
        break;
    case EXP_SR_DATASTRUCTURE:
        if (!matches(id, EXP_DSD))
            break;
        sel->dsd = 1;
        if (parents || k == 6)
            sel->dataflow = 1;
        if (children || k == 8)
            sel->codelists = ALL_CODELISTS;
        if (children || k == 9)
            sel->conceptscheme = 1;
        break;
    case EXP_SR_CODELIST:
        for (int c = 0; c < EXP_NCL; c++)
            if (matches(id, exp_cl_id((exp_cl)c)))
                sel->codelists |= 1u << c;
        if (sel->codelists == 0)
            break;
        if (parents || k == 7)
            sel->dsd = 1;
        if (siblings || k == 5) {
            sel->codelists = ALL_CODELISTS;
            sel->conceptscheme = 1;
        }
        if (k == 5 || k == 6)
            sel->dataflow = 1;
        break;
    case EXP_SR_CONCEPTSCHEME:
        if (!matches(id, EXP_CS))
            break;
        sel->conceptscheme = 1;
        if (parents || k == 7)
            sel->dsd = 1;
        if (siblings || k == 5)
            sel->codelists = ALL_CODELISTS;
        if (k == 5 || k == 6)
            sel->dataflow = 1;
        break;
    }
    (void)none;
    if (!sel->dataflow && !sel->dsd && !sel->conceptscheme && !sel->codelists)
        return obs_fail(e, OBS_ERR_NOT_FOUND, "E_SDMX_NO_RESULTS", "aucune structure trouvée");
    return OBS_OK;
}

/* ---- writing ---------------------------------------------------------------------------- */

static void maintainable(exp_xw *xw, const char *elem, const char *cls, const char *id)
{
    char urn[256];
    snprintf(urn, sizeof urn, "urn:sdmx:org.sdmx.infomodel.%s=%s:%s(%s)", cls, EXP_AGENCY, id,
             EXP_VERSION);
    exp_xw_start(xw, elem);
    exp_xw_attr(xw, "id", id);
    exp_xw_attr(xw, "urn", urn);
    exp_xw_attr(xw, "agencyID", EXP_AGENCY);
    exp_xw_attr(xw, "version", EXP_VERSION);
    exp_xw_attr(xw, "isFinal", "true");
}

static void names(exp_xw *xw, const char *fr, const char *en)
{
    exp_xw_text_lang(xw, "common:Name", "fr", fr);
    exp_xw_text_lang(xw, "common:Name", "en", en);
}

/* <Ref .../> to a maintainable (package + class always, as rsdmx >= 0.6-5 requires). */
static void ref_maint(exp_xw *xw, const char *id, const char *package, const char *cls)
{
    exp_xw_start(xw, "Ref");
    exp_xw_attr(xw, "agencyID", EXP_AGENCY);
    exp_xw_attr(xw, "id", id);
    exp_xw_attr(xw, "version", EXP_VERSION);
    exp_xw_attr(xw, "package", package);
    exp_xw_attr(xw, "class", cls);
    exp_xw_end(xw);
}

static void ref_local(exp_xw *xw, const char *id, const char *cls)
{
    exp_xw_start(xw, "Ref");
    exp_xw_attr(xw, "id", id);
    exp_xw_attr(xw, "package", "datastructure");
    exp_xw_attr(xw, "class", cls);
    exp_xw_end(xw);
}

static void concept_identity(exp_xw *xw, const char *concept)
{
    exp_xw_start(xw, "structure:ConceptIdentity");
    exp_xw_start(xw, "Ref");
    exp_xw_attr(xw, "agencyID", EXP_AGENCY);
    exp_xw_attr(xw, "maintainableParentID", EXP_CS);
    exp_xw_attr(xw, "maintainableParentVersion", EXP_VERSION);
    exp_xw_attr(xw, "id", concept);
    exp_xw_attr(xw, "package", "conceptscheme");
    exp_xw_attr(xw, "class", "Concept");
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void enumeration(exp_xw *xw, exp_cl cl)
{
    exp_xw_start(xw, "structure:LocalRepresentation");
    exp_xw_start(xw, "structure:Enumeration");
    ref_maint(xw, exp_cl_id(cl), "codelist", "Codelist");
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void text_format(exp_xw *xw, const char *type)
{
    exp_xw_start(xw, "structure:LocalRepresentation");
    exp_xw_start(xw, "structure:TextFormat");
    exp_xw_attr(xw, "textType", type);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void write_dataflow(exp_xw *xw)
{
    exp_xw_start(xw, "structure:Dataflows");
    maintainable(xw, "structure:Dataflow", "datastructure.Dataflow", EXP_FLOW);
    names(xw, "Indicateurs de l'observatoire national des ISCG",
          "Indicators of the French national ISCG observatory");
    exp_xw_start(xw, "structure:Structure");
    ref_maint(xw, EXP_DSD, "datastructure", "DataStructure");
    exp_xw_end(xw);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void write_codelists(exp_xw *xw, uint32_t which)
{
    exp_xw_start(xw, "structure:Codelists");
    for (int c = 0; c < EXP_NCL; c++) {
        if (!(which & (1u << c)))
            continue;
        maintainable(xw, "structure:Codelist", "codelist.Codelist", exp_cl_id((exp_cl)c));
        names(xw, exp_cl_name((exp_cl)c, 0), exp_cl_name((exp_cl)c, 1));
        for (size_t i = 0; i < exp_cl_count((exp_cl)c); i++) {
            const exp_code *code = exp_cl_at((exp_cl)c, i);
            exp_xw_start(xw, "structure:Code");
            exp_xw_attr(xw, "id", code->id);
            names(xw, code->name_fr, code->name_en);
            if (code->parent) {
                exp_xw_start(xw, "structure:Parent");
                exp_xw_start(xw, "Ref");
                exp_xw_attr(xw, "id", code->parent);
                exp_xw_end(xw);
                exp_xw_end(xw);
            }
            exp_xw_end(xw);
        }
        exp_xw_end(xw);
    }
    exp_xw_end(xw);
}

static void write_concepts(exp_xw *xw)
{
    exp_xw_start(xw, "structure:Concepts");
    maintainable(xw, "structure:ConceptScheme", "conceptscheme.ConceptScheme", EXP_CS);
    names(xw, "Concepts de l'observatoire des ISCG", "Concepts of the ISCG observatory");
    for (size_t i = 0; i < exp_concept_count(); i++) {
        const exp_concept *c = exp_concept_at(i);
        exp_xw_start(xw, "structure:Concept");
        exp_xw_attr(xw, "id", c->id);
        names(xw, c->name_fr, c->name_en);
        exp_xw_end(xw);
    }
    exp_xw_end(xw);
    exp_xw_end(xw);
}

/* Components in the order the schema requires: DimensionList, (Group*), AttributeList,
 * MeasureList. */
static void write_dsd(exp_xw *xw)
{
    char pos[16];
    exp_xw_start(xw, "structure:DataStructures");
    maintainable(xw, "structure:DataStructure", "datastructure.DataStructure", EXP_DSD);
    names(xw, "Structure des indicateurs des ISCG", "Structure of the ISCG indicators");
    exp_xw_start(xw, "structure:DataStructureComponents");

    exp_xw_start(xw, "structure:DimensionList");
    exp_xw_attr(xw, "id", "DimensionDescriptor");
    for (int d = 0; d < EXP_NDIMS; d++) {
        snprintf(pos, sizeof pos, "%d", d + 1);
        exp_xw_start(xw, "structure:Dimension");
        exp_xw_attr(xw, "id", exp_dim_id(d));
        exp_xw_attr(xw, "position", pos);
        concept_identity(xw, exp_dim_id(d));
        enumeration(xw, exp_dim_cl((exp_dim)d));
        exp_xw_end(xw);
    }
    snprintf(pos, sizeof pos, "%d", EXP_NDIMS + 1);
    exp_xw_start(xw, "structure:TimeDimension");
    exp_xw_attr(xw, "id", "TIME_PERIOD");
    exp_xw_attr(xw, "position", pos);
    concept_identity(xw, "TIME_PERIOD");
    text_format(xw, "ObservationalTimePeriod");
    exp_xw_end(xw);
    exp_xw_end(xw);

    exp_xw_start(xw, "structure:AttributeList");
    exp_xw_attr(xw, "id", "AttributeDescriptor");
    for (int a = 0; a < EXP_NATTRS; a++) {
        exp_xw_start(xw, "structure:Attribute");
        exp_xw_attr(xw, "id", exp_attr_id((exp_attr)a));
        exp_xw_attr(xw, "assignmentStatus",
                    a == EXP_A_CONF_STATUS || a == EXP_A_OBS_STATUS || a == EXP_A_UNIT_MEASURE
                        ? "Mandatory"
                        : "Conditional");
        concept_identity(xw, exp_attr_id((exp_attr)a));
        enumeration(xw, exp_attr_cl((exp_attr)a));
        exp_xw_start(xw, "structure:AttributeRelationship");
        if (exp_attr_is_series((exp_attr)a)) {
            for (int d = 0; d < EXP_NDIMS; d++) {
                exp_xw_start(xw, "structure:Dimension");
                ref_local(xw, exp_dim_id(d), "Dimension");
                exp_xw_end(xw);
            }
        } else {
            exp_xw_start(xw, "structure:PrimaryMeasure");
            ref_local(xw, "OBS_VALUE", "PrimaryMeasure");
            exp_xw_end(xw);
        }
        exp_xw_end(xw);
        exp_xw_end(xw);
    }
    exp_xw_end(xw);

    exp_xw_start(xw, "structure:MeasureList");
    exp_xw_attr(xw, "id", "MeasureDescriptor");
    exp_xw_start(xw, "structure:PrimaryMeasure");
    exp_xw_attr(xw, "id", "OBS_VALUE");
    concept_identity(xw, "OBS_VALUE");
    text_format(xw, "Double");
    exp_xw_end(xw);
    exp_xw_end(xw);

    exp_xw_end(xw); /* DataStructureComponents */
    exp_xw_end(xw); /* DataStructure */
    exp_xw_end(xw); /* DataStructures */
}

obs_status exp_structure_write(const exp_structsel *sel, const char *id, const char *prepared,
                               exp_sink *s, obs_err *e)
{
    exp_xw xw;
    exp_xw_open(&xw, s, 1);
    exp_xw_start(&xw, "message:Structure");
    exp_xw_attr(&xw, "xmlns:message", EXP_NS_MESSAGE);
    exp_xw_attr(&xw, "xmlns:common", EXP_NS_COMMON);
    exp_xw_attr(&xw, "xmlns:structure", EXP_NS_STRUCTURE);
    exp_xw_header(&xw, id, prepared);
    exp_xw_end(&xw);
    exp_xw_start(&xw, "message:Structures");
    /* Order of StructuresType: Dataflows, ..., Codelists, ..., Concepts, ..., DataStructures. */
    if (sel->dataflow)
        write_dataflow(&xw);
    if (sel->codelists)
        write_codelists(&xw, sel->codelists);
    if (sel->conceptscheme)
        write_concepts(&xw);
    if (sel->dsd)
        write_dsd(&xw);
    exp_xw_end(&xw);
    if (exp_xw_close(&xw))
        return obs_fail(e, OBS_ERR_IO, "E_SDMX_WRITE", "écriture du message SDMX impossible");
    return OBS_OK;
}
