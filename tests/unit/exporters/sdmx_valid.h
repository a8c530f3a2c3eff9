/* sdmx_valid.h: schema validation of SDMX-ML messages in tests, with libxml2 and no network.
 *
 * Generic data, Structure and Error messages validate against the official SDMXMessage.xsd
 * (../shared/sdmx-2.1-schemas, relative to the repository root, where tests run). Structure
 * specific data validates against a wrapper schema importing SDMXMessage.xsd first, then the
 * DSD-specific XSD the service generates: libxml2 keeps the first schema it loads for a
 * namespace, so the DSD schema's own imports of the SDMX namespaces resolve to the same files. */
#ifndef SDMX_VALID_H
#define SDMX_VALID_H

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SDMX_SCHEMAS "../shared/sdmx-2.1-schemas"

static __attribute__((unused)) void sdmx_silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Print validation errors (first few) to stderr. */
static __attribute__((unused)) void sdmx_print(void *ctx, const char *msg, ...)
{
    int *n = ctx;
    if ((*n)++ > 20)
        return;
    va_list ap;
    va_start(ap, msg);
    vfprintf(stderr, msg, ap);
    va_end(ap);
}

static __attribute__((unused)) xmlSchemaPtr sdmx_load_schema_file(const char *path)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    if (pc == NULL)
        return NULL;
    int n = 0;
    xmlSchemaSetParserErrors(pc, sdmx_print, sdmx_silent, &n);
    xmlSchemaPtr s = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return s;
}

/* The official message schema, parsed once per test program (freed at exit by the OS). */
static __attribute__((unused)) xmlSchemaPtr sdmx_message_schema(void)
{
    static xmlSchemaPtr s;
    if (s == NULL)
        s = sdmx_load_schema_file(SDMX_SCHEMAS "/SDMXMessage.xsd");
    return s;
}

/* 0 when doc (len bytes) is valid against schema; errors printed. */
static __attribute__((unused)) int sdmx_validate_with(xmlSchemaPtr schema, const char *doc, size_t len)
{
    if (schema == NULL)
        return -1;
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "message.xml", NULL, XML_PARSE_NONET);
    if (d == NULL)
        return -1;
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int n = 0;
    xmlSchemaSetValidErrors(vc, sdmx_print, sdmx_silent, &n);
    int rc = xmlSchemaValidateDoc(vc, d);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(d);
    return rc;
}

static __attribute__((unused)) int sdmx_validate(const char *doc, size_t len)
{
    return sdmx_validate_with(sdmx_message_schema(), doc, len);
}

/* Validate a structure-specific data message against the DSD-specific XSD xsd (its text)
 * whose target namespace is ns, through a wrapper schema written in dir. */
static __attribute__((unused)) int sdmx_validate_ss(const char *doc, size_t len, const char *xsd, const char *ns,
                            const char *dir)
{
    char abs[PATH_MAX], dsd_path[PATH_MAX + 32], wrap_path[PATH_MAX + 32];
    if (realpath(SDMX_SCHEMAS, abs) == NULL)
        return -1;
    snprintf(dsd_path, sizeof dsd_path, "%s/dsd_specific.xsd", dir);
    snprintf(wrap_path, sizeof wrap_path, "%s/wrapper.xsd", dir);
    FILE *f = fopen(dsd_path, "w");
    if (f == NULL)
        return -1;
    fputs(xsd, f);
    fclose(f);
    f = fopen(wrap_path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "<?xml version=\"1.0\"?>\n"
            "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
            "  <xs:import namespace=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\""
            " schemaLocation=\"%s/SDMXMessage.xsd\"/>\n"
            "  <xs:import namespace=\"%s\" schemaLocation=\"%s\"/>\n"
            "</xs:schema>\n",
            abs, ns, dsd_path);
    fclose(f);
    xmlSchemaPtr s = sdmx_load_schema_file(wrap_path);
    int rc = sdmx_validate_with(s, doc, len);
    if (s)
        xmlSchemaFree(s);
    return rc;
}

#endif
