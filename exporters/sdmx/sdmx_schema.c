/* sdmx_schema.c: the DSD-specific XML schema of DSD_ISCG for structure-specific data
 * (GET /sdmx/schema/datastructure/FR_ISCG/DSD_ISCG/1.0), for a given dimension at observation
 * level: DataSetType, SeriesType and ObsType restrict the abstract types of
 * SDMXDataStructureSpecificBase.xsd, with one simple type per code list. Generated from the
 * model of sdmx_dsd.c, like the Structure message. */
#include "sdmx_schema.h"

#include <stdio.h>
#include <string.h>

#define XS "http://www.w3.org/2001/XMLSchema"

static void xattr(exp_xw *xw, const char *name, const char *type, const char *use)
{
    exp_xw_start(xw, "xs:attribute");
    exp_xw_attr(xw, "name", name);
    if (type)
        exp_xw_attr(xw, "type", type);
    exp_xw_attr(xw, "use", use);
    exp_xw_end(xw);
}

static void cl_type(char *out, size_t cap, exp_cl cl)
{
    snprintf(out, cap, "ns1:%sType", exp_cl_id(cl));
}

static void dim_attr(exp_xw *xw, int d, const char *use)
{
    char t[64];
    if (d == EXP_DIM_TIME) {
        xattr(xw, "TIME_PERIOD", "common:ObservationalTimePeriodType", use);
        return;
    }
    cl_type(t, sizeof t, exp_dim_cl((exp_dim)d));
    xattr(xw, exp_dim_id(d), t, use);
}

static void attr_attrs(exp_xw *xw, int series, int obs)
{
    char t[64];
    for (int a = 0; a < EXP_NATTRS; a++) {
        int s = exp_attr_is_series((exp_attr)a);
        if ((s && !series) || (!s && !obs))
            continue;
        cl_type(t, sizeof t, exp_attr_cl((exp_attr)a));
        xattr(xw, exp_attr_id((exp_attr)a), t, "optional");
    }
}

static void restriction_start(exp_xw *xw, const char *name, const char *base)
{
    exp_xw_start(xw, "xs:complexType");
    exp_xw_attr(xw, "name", name);
    exp_xw_start(xw, "xs:complexContent");
    exp_xw_start(xw, "xs:restriction");
    exp_xw_attr(xw, "base", base);
    exp_xw_start(xw, "xs:sequence");
    exp_xw_start(xw, "xs:element");
    exp_xw_attr(xw, "ref", "common:Annotations");
    exp_xw_attr(xw, "minOccurs", "0");
    exp_xw_end(xw);
}

static void local_element(exp_xw *xw, const char *name, const char *type, const char *min)
{
    exp_xw_start(xw, "xs:element");
    exp_xw_attr(xw, "name", name);
    exp_xw_attr(xw, "type", type);
    exp_xw_attr(xw, "form", "unqualified");
    exp_xw_attr(xw, "minOccurs", min);
    exp_xw_attr(xw, "maxOccurs", "unbounded");
    exp_xw_end(xw);
}

static void data_set_type(exp_xw *xw, int g)
{
    restriction_start(xw, "DataSetType", "dsd:DataSetType");
    exp_xw_start(xw, "xs:element");
    exp_xw_attr(xw, "name", "DataProvider");
    exp_xw_attr(xw, "type", "common:DataProviderReferenceType");
    exp_xw_attr(xw, "form", "unqualified");
    exp_xw_attr(xw, "minOccurs", "0");
    exp_xw_end(xw);
    if (g == EXP_DIM_ALL)
        local_element(xw, "Obs", "ns1:ObsType", "0");
    else
        local_element(xw, "Series", "ns1:SeriesType", "0");
    exp_xw_end(xw); /* sequence */
    xattr(xw, "REPORTING_YEAR_START_DAY", NULL, "prohibited");
    exp_xw_end(xw);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void series_type(exp_xw *xw, int g)
{
    restriction_start(xw, "SeriesType", "dsd:SeriesType");
    local_element(xw, "Obs", "ns1:ObsType", "0");
    exp_xw_end(xw); /* sequence */
    for (int d = 0; d < EXP_NDIMS; d++)
        if (d != g)
            dim_attr(xw, d, "required");
    if (g == EXP_DIM_TIME)
        xattr(xw, "TIME_PERIOD", "common:ObservationalTimePeriodType", "prohibited");
    else
        dim_attr(xw, EXP_DIM_TIME, "required");
    xattr(xw, "REPORTING_YEAR_START_DAY", NULL, "prohibited");
    /* Series attributes relate to every key dimension: on the series only when TIME_PERIOD
     * is the observation dimension. */
    attr_attrs(xw, g == EXP_DIM_TIME, 0);
    exp_xw_end(xw);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void obs_type(exp_xw *xw, int g)
{
    restriction_start(xw, "ObsType", "dsd:ObsType");
    exp_xw_end(xw); /* sequence */
    xattr(xw, "type", "common:IDType", "prohibited");
    xattr(xw, "REPORTING_YEAR_START_DAY", NULL, "prohibited");
    if (g == EXP_DIM_ALL) {
        for (int d = 0; d < EXP_NDIMS; d++)
            dim_attr(xw, d, "required");
        dim_attr(xw, EXP_DIM_TIME, "required");
    } else {
        if (g != EXP_DIM_TIME)
            xattr(xw, "TIME_PERIOD", "common:ObservationalTimePeriodType", "prohibited");
        dim_attr(xw, g, "required");
    }
    xattr(xw, "OBS_VALUE", "xs:double", "optional");
    attr_attrs(xw, g != EXP_DIM_TIME, 1);
    exp_xw_end(xw);
    exp_xw_end(xw);
    exp_xw_end(xw);
}

static void simple_types(exp_xw *xw)
{
    for (int c = 0; c < EXP_NCL; c++) {
        char name[64];
        snprintf(name, sizeof name, "%sType", exp_cl_id((exp_cl)c));
        exp_xw_start(xw, "xs:simpleType");
        exp_xw_attr(xw, "name", name);
        exp_xw_start(xw, "xs:restriction");
        exp_xw_attr(xw, "base", "xs:string");
        for (size_t i = 0; i < exp_cl_count((exp_cl)c); i++) {
            exp_xw_start(xw, "xs:enumeration");
            exp_xw_attr(xw, "value", exp_cl_at((exp_cl)c, i)->id);
            exp_xw_end(xw);
        }
        exp_xw_end(xw);
        exp_xw_end(xw);
    }
}

obs_status exp_schema_write(int dim_at_obs, exp_sink *s, obs_err *e)
{
    char ns[200];
    exp_ss_namespace(dim_at_obs, ns, sizeof ns);
    exp_xw xw;
    exp_xw_open(&xw, s, 1);
    exp_xw_start(&xw, "xs:schema");
    exp_xw_attr(&xw, "xmlns:xs", XS);
    exp_xw_attr(&xw, "xmlns:common", EXP_NS_COMMON);
    exp_xw_attr(&xw, "xmlns:dsd", EXP_NS_SS);
    exp_xw_attr(&xw, "xmlns:ns1", ns);
    exp_xw_attr(&xw, "targetNamespace", ns);
    exp_xw_attr(&xw, "elementFormDefault", "unqualified");
    exp_xw_attr(&xw, "attributeFormDefault", "unqualified");
    exp_xw_start(&xw, "xs:import");
    exp_xw_attr(&xw, "namespace", EXP_NS_COMMON);
    exp_xw_attr(&xw, "schemaLocation", "SDMXCommon.xsd");
    exp_xw_end(&xw);
    exp_xw_start(&xw, "xs:import");
    exp_xw_attr(&xw, "namespace", EXP_NS_SS);
    exp_xw_attr(&xw, "schemaLocation", "SDMXDataStructureSpecific.xsd");
    exp_xw_end(&xw);
    data_set_type(&xw, dim_at_obs);
    if (dim_at_obs != EXP_DIM_ALL)
        series_type(&xw, dim_at_obs);
    obs_type(&xw, dim_at_obs);
    simple_types(&xw);
    if (exp_xw_close(&xw))
        return obs_fail(e, OBS_ERR_IO, "E_SDMX_WRITE", "écriture du schéma impossible");
    return OBS_OK;
}
