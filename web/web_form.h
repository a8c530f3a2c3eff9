/* web_form.h: the fields of a submitted HTML form, application/x-www-form-urlencoded or
 * multipart/form-data (RFC 7578), parsed from a request body already read in full under the
 * route's cap. Bounded: at most WEB_FORM_MAX_FIELDS fields, names up to 63 bytes, text values
 * up to WEB_FORM_MAX_TEXT bytes; a file part is not copied (it points into the body).
 */
#ifndef WEB_FORM_H
#define WEB_FORM_H

#include <stddef.h>

#include "status.h"

#define WEB_FORM_MAX_FIELDS 16
#define WEB_FORM_MAX_TEXT 4096

typedef struct web_field {
    char name[64];
    char *value;          /* text fields: a NUL-terminated copy (owned); file parts: NULL */
    const char *data;     /* the raw bytes (text: == value; file: inside the body) */
    size_t len;
    char filename[256];   /* file parts: the browser's file name ("" otherwise) */
    char ctype[128];      /* file parts: the part's Content-Type ("" when absent) */
} web_field;

typedef struct web_form {
    web_field f[WEB_FORM_MAX_FIELDS];
    size_t n;
} web_form;

/* Parse body[0..len) according to the request's Content-Type ctype (urlencoded or
 * multipart/form-data with its boundary). OBS_ERR_INPUT (E_FORM, French message) for another
 * type, a malformed body or a limit exceeded; OBS_ERR_NOMEM. form is always initialised:
 * release it with web_form_free. */
obs_status web_form_parse(const char *ctype, const char *body, size_t len, web_form *form,
                          obs_err *e);

/* The first field named name, or NULL. */
const web_field *web_form_field(const web_form *form, const char *name);

/* The text value of the first field named name, or NULL (absent, or a file part). */
const char *web_form_get(const web_form *form, const char *name);

/* Wipe the copied values (they may hold a password or a token) and free them. */
void web_form_free(web_form *form);

#endif
