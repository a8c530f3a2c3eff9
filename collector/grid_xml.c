/* grid_xml.c: reads an XML grid (grid-format.md section 2.2) into a col_table with
 * libxml2: refuse any DOCTYPE (so no entity is ever declared, expanded or fetched), check
 * well-formedness, validate against the embedded grille-1.xsd, then copy the cells.
 *
 * The schema is compiled once per process (pthread_once); each call has its own parser
 * and validation contexts with structured error handlers, so libxml2 never prints anything
 * and every problem becomes a report item with its XML line. The parsed tree holds raw
 * personal values: its texts are wiped before it is freed.
 */
#include "grid.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "ref.h"

#define GRID_NS "urn:fr:iscg:grille:1"
#define XML_DETAIL_MAX 300 /* bytes of libxml2's English detail kept in a message */

/* Per-call state, reached from libxml2's callbacks. */
typedef struct xml_state {
    col_report *rep;
    obs_status rc;    /* first memory failure while reporting */
    int doctype_line; /* line of a <!DOCTYPE, 0 when none was seen */
    int syntax_errors;
    int schema_errors;
} xml_state;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr grid_schema; /* read-only after xml_init; shared by all threads */

static void swallow_error(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

/* Once per process: initialise libxml2 and compile the embedded XSD. */
static void xml_init(void)
{
    xmlInitParser();
    size_t len = 0;
    const char *xsd = ref_grid_xsd(&len);
    if (len > INT_MAX)
        return;
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(xsd, (int)len);
    if (pc == NULL)
        return;
    xmlSchemaSetParserStructuredErrors(pc, swallow_error, NULL);
    grid_schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
}

static void state_report_rc(xml_state *st, obs_status rc)
{
    if (rc && st->rc == OBS_OK)
        st->rc = rc;
}

/* libxml2's English message, one line, namespace braces removed, cut at XML_DETAIL_MAX. */
static void clean_detail(char *out, size_t cap, const char *msg)
{
    static const char ns[] = "{" GRID_NS "}";
    size_t o = 0;
    const char *p = msg ? msg : "";
    while (*p && o + 1 < cap && o < XML_DETAIL_MAX) {
        if (strncmp(p, ns, sizeof ns - 1) == 0) {
            p += sizeof ns - 1;
            continue;
        }
        out[o++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
        p++;
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* Parser errors: well-formedness problems become E_XML_SYNTAX; warnings are ignored. */
static void on_parse_error(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;
    xml_state *st = ctxt ? ctxt->_private : NULL;
    if (st == NULL || err == NULL || err->level < XML_ERR_ERROR)
        return;
    if (st->doctype_line)
        return; /* the parser was stopped on purpose */
    if (st->syntax_errors++)
        return; /* what follows the first error is mostly its cascade: keep the first */
    char detail[XML_DETAIL_MAX + 1];
    clean_detail(detail, sizeof detail, err->message);
    state_report_rc(st, col_report_add(st->rep, err->line, "", "E_XML_SYNTAX",
                                       "Le fichier XML est mal formé ligne %d (balise non "
                                       "fermée, caractère interdit, fichier tronqué…) : %s",
                                       err->line, detail));
}

/* <!DOCTYPE seen: stop before its internal subset is read (no entity is ever declared). */
static void on_internal_subset(void *data, const xmlChar *name, const xmlChar *external_id,
                               const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = data;
    xml_state *st = ctxt->_private;
    st->doctype_line = ctxt->input ? ctxt->input->line : 1;
    if (st->doctype_line <= 0)
        st->doctype_line = 1;
    xmlStopParser(ctxt);
}

/* The grid column an XML element name stands for, or -1. */
static int element_field(const xmlChar *name)
{
    const char *n = (const char *)name;
    if (n == NULL)
        return -1;
    if (strcmp(n, "problematique") == 0)
        return COL_PROBLEMATIQUES;
    if (strcmp(n, "orientation") == 0)
        return COL_ORIENTATIONS;
    for (int f = 0; f < COL_NFIELDS; f++)
        if (f != COL_PROBLEMATIQUES && f != COL_ORIENTATIONS &&
            strcmp(n, col_field_name((col_field)f)) == 0)
            return f;
    return -1;
}

/* A French gist of libxml2's schema message. */
static const char *schema_gist(const char *msg)
{
    static const struct {
        const char *en, *fr;
    } gists[] = {
        {"This element is not expected", "élément inattendu à cet endroit (nom ou ordre des "
                                         "éléments)"},
        {"Missing child element", "élément obligatoire manquant"},
        {"[facet 'pattern']", "format de valeur invalide"},
        {"[facet 'maxLength']", "valeur trop longue"},
        {"is required but missing", "attribut obligatoire manquant"},
        {"is not allowed", "attribut ou contenu non autorisé"},
        {"No matching global declaration", "l'élément racine doit être <grille> dans l'espace "
                                           "de noms " GRID_NS},
        {"Character content other than whitespace", "texte non autorisé à cet endroit"},
        {"Element content is not allowed", "élément non autorisé dans une valeur simple"},
    };
    for (size_t i = 0; i < OBS_ARRAY_LEN(gists); i++)
        if (msg && strstr(msg, gists[i].en))
            return gists[i].fr;
    return "non conforme au schéma";
}

/* Schema violations: E_XML_SCHEMA naming the element, libxml2's detail after a colon. */
static void on_schema_error(void *data, xmlErrorPtr err)
{
    xml_state *st = data;
    if (st == NULL || err == NULL || err->level < XML_ERR_ERROR)
        return;
    st->schema_errors++;
    const xmlNode *node = err->node;
    const char *name = node && node->name ? (const char *)node->name : "?";
    int f = element_field(node ? node->name : NULL);
    char detail[XML_DETAIL_MAX + 1], q[COL_QUOTE_SIZE];
    clean_detail(detail, sizeof detail, err->message);
    state_report_rc(st, col_report_add(st->rep, err->line,
                                       f >= 0 ? col_field_name((col_field)f) : "", "E_XML_SCHEMA",
                                       "L'élément « %s » ne respecte pas le schéma de la grille "
                                       "XML (grille-1.xsd), %s : %s",
                                       col_report_quote(q, sizeof q, name, strlen(name)),
                                       schema_gist(err->message), detail));
}

/* Wipe every text of the tree (cell values, comments) before it is freed; strings owned by
 * the parser's dictionary (names, very short texts) are shared and left alone. */
static void wipe_tree(xmlDocPtr doc)
{
    xmlNodePtr n = doc->children;
    while (n) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE ||
             n->type == XML_COMMENT_NODE) &&
            n->content && !(doc->dict && xmlDictOwns(doc->dict, n->content)))
            obs_wipe(n->content, strlen((const char *)n->content));
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n->next == NULL)
            n = n->parent && n->parent != (xmlNodePtr)doc ? n->parent : NULL;
        if (n)
            n = n->next;
    }
}

/* Append the text of element el to b; returns the text directly when it is one node. */
static obs_status element_text(xmlNodePtr el, obs_buf *b, const char **s, size_t *len)
{
    xmlNodePtr c = el->children;
    if (c == NULL) {
        *s = "";
        *len = 0;
        return OBS_OK;
    }
    if (c->next == NULL && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
        *s = (const char *)c->content;
        *len = strlen(*s);
        return OBS_OK;
    }
    obs_buf_reset(b);
    for (; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            obs_status rc = obs_buf_puts(b, (const char *)c->content);
            if (rc)
                return rc;
        }
    }
    *s = b->data ? b->data : "";
    *len = b->len;
    return OBS_OK;
}

/* Copy one attribute of the root into dst (cap bytes), "" when absent. */
static void copy_attr(xmlNodePtr root, const char *name, char *dst, size_t cap)
{
    xmlAttrPtr a = xmlHasProp(root, (const xmlChar *)name);
    const char *v =
        a && a->children && a->children->content ? (const char *)a->children->content : "";
    snprintf(dst, cap, "%s", v);
}

/* Copy the contacts of a schema-valid document into t. */
static obs_status read_contacts(xmlDocPtr doc, col_table *t, col_report *rep)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    obs_buf text, multi[2];
    obs_buf_init(&text, 0);
    obs_buf_init(&multi[0], 0);
    obs_buf_init(&multi[1], 0);
    obs_status rc = OBS_OK;
    copy_attr(root, "poste", t->post, sizeof t->post);
    copy_attr(root, "periode", t->period, sizeof t->period);
    for (int f = 0; f < COL_NFIELDS; f++)
        t->present[f] = 1; /* the schema makes every column available */
    for (xmlNodePtr ct = root->children; ct && rc == OBS_OK; ct = ct->next) {
        if (ct->type != XML_ELEMENT_NODE)
            continue;
        int line = (int)xmlGetLineNo(ct);
        if (t->n >= COL_MAX_ROWS) {
            rc = col_report_add(rep, line, "", "E_TOO_MANY_ROWS",
                                "La grille dépasse %d contacts : un poste en a au plus quelques "
                                "centaines par mois ; vérifiez le fichier.",
                                COL_MAX_ROWS);
            rc = rc ? rc : OBS_ERR_TOO_LARGE;
            break;
        }
        if (col_table_add_row(t, line) < 0) {
            rc = OBS_ERR_NOMEM;
            break;
        }
        int seen[2] = {0, 0};
        obs_buf_reset(&multi[0]);
        obs_buf_reset(&multi[1]);
        for (xmlNodePtr el = ct->children; el && rc == OBS_OK; el = el->next) {
            if (el->type != XML_ELEMENT_NODE)
                continue;
            int f = element_field(el->name);
            if (f < 0 || f == COL_COMMENTAIRE)
                continue; /* commentaire is never copied */
            const char *s;
            size_t len;
            rc = element_text(el, &text, &s, &len);
            if (rc)
                break;
            if (f == COL_PROBLEMATIQUES || f == COL_ORIENTATIONS) {
                int k = f == COL_ORIENTATIONS;
                if (seen[k]++)
                    rc = obs_buf_putc(&multi[k], '|');
                if (rc == OBS_OK)
                    rc = obs_buf_append(&multi[k], s, len);
            } else {
                rc = col_table_set(t, (col_field)f, s, len);
            }
        }
        for (int k = 0; k < 2 && rc == OBS_OK; k++)
            if (seen[k])
                rc = col_table_set(t, k ? COL_ORIENTATIONS : COL_PROBLEMATIQUES,
                                   multi[k].data ? multi[k].data : "", multi[k].len);
    }
    obs_buf_wipe(&text);
    obs_buf_wipe(&multi[0]);
    obs_buf_wipe(&multi[1]);
    return rc;
}

/* Parse an XML grid into t (see grid.h). */
obs_status col_xml_parse(const char *data, size_t len, col_table *t, col_report *rep)
{
    xml_state st = {rep, OBS_OK, 0, 0, 0};
    obs_status rc;
    pthread_once(&xml_once, xml_init);
    if (grid_schema == NULL)
        return OBS_ERR_INTERNAL;
    size_t k = 0;
    while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n'))
        k++;
    if (k == len) {
        rc = col_report_add(rep, 0, "", "E_EMPTY",
                            "Le fichier XML est vide : il doit contenir au moins l'élément "
                            "<grille poste=\"…\" periode=\"…\">, même sans aucun contact.");
        return rc ? rc : OBS_ERR_INPUT;
    }
    if (len > INT_MAX) {
        rc = col_report_add(rep, 0, "", "E_TOO_LARGE", "Le fichier XML est trop volumineux.");
        return rc ? rc : OBS_ERR_TOO_LARGE;
    }
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
    if (ctxt == NULL)
        return OBS_ERR_NOMEM;
    ctxt->_private = &st;
    ctxt->sax->serror = on_parse_error;
    ctxt->sax->internalSubset = on_internal_subset;
    /* Never XML_PARSE_NOENT (substitute entities), DTDLOAD, DTDATTR, XINCLUDE or HUGE. */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES);
    xmlParseDocument(ctxt);
    xmlDocPtr doc = ctxt->myDoc;
    int well_formed = ctxt->wellFormed;
    /* No document and no complaint about the file: libxml2 itself failed (it fails so only
     * for want of memory); the file is not to blame (tests/integration/reliability/test_faults.c). */
    int parser_failed = ctxt->errNo == XML_ERR_NO_MEMORY ||
                        (doc == NULL && well_formed && st.syntax_errors == 0 && !st.doctype_line);
    ctxt->myDoc = NULL;
    xmlFreeParserCtxt(ctxt);
    rc = OBS_ERR_INPUT;
    if (parser_failed) {
        rc = OBS_ERR_NOMEM;
        goto out;
    }
    if (st.doctype_line || (doc && (doc->intSubset || doc->extSubset))) {
        int line = st.doctype_line ? st.doctype_line : 1;
        state_report_rc(&st, col_report_add(rep, line, "", "E_XML_ENTITY",
                                            "Le fichier XML contient une déclaration <!DOCTYPE> "
                                            "(DTD ou entités) : elle est interdite dans une grille "
                                            "pour des raisons de sécurité ; retirez-la."));
        goto out;
    }
    if (!well_formed || doc == NULL || st.syntax_errors) {
        if (st.syntax_errors == 0)
            state_report_rc(
                &st, col_report_add(rep, 0, "", "E_XML_SYNTAX", "Le fichier XML est mal formé."));
        goto out;
    }
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(grid_schema);
    if (vc == NULL) {
        rc = OBS_ERR_NOMEM;
        goto out;
    }
    xmlSchemaSetValidStructuredErrors(vc, on_schema_error, &st);
    int valid = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (valid < 0 && st.schema_errors == 0) {
        rc = OBS_ERR_INTERNAL; /* the validator's own failure, not the file's */
        goto out;
    }
    if (valid != 0 || st.schema_errors) {
        if (st.schema_errors == 0) /* an internal failure of the validator */
            state_report_rc(&st, col_report_add(rep, 0, "", "E_XML_SCHEMA",
                                                "Le fichier XML n'a pas pu être vérifié avec le "
                                                "schéma de la grille (grille-1.xsd)."));
        goto out;
    }
    rc = read_contacts(doc, t, rep);
out:
    if (doc) {
        wipe_tree(doc);
        xmlFreeDoc(doc);
    }
    if (st.rc)
        return st.rc;
    return rc;
}
