/* core/json.c - json-c helpers.
 * SPDX-License-Identifier: MIT */
#include "json.h"

static void vg_json_put(void *p)
{
    json_object_put(p);
}

int vg_json_parse(vg_arena_t *a, const char *text, size_t len, int depth, json_object **out,
                  vg_err_t *err)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;

    if (len > (size_t)0x7fffffff)
        return vg_fail(err, VG_ETOOBIG, "JSON document too large");
    tok = json_tokener_new_ex(depth);
    if (tok == NULL)
        return vg_fail(err, VG_EINTERNAL, "out of memory");
    obj = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    if (jerr == json_tokener_continue)
        jerr = json_tokener_error_parse_eof; /* the text ended inside a value */
    else if (jerr == json_tokener_success && (size_t)json_tokener_get_parse_end(tok) < len) {
        size_t i = json_tokener_get_parse_end(tok);

        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            i++;
        if (i < len) {
            json_object_put(obj);
            json_tokener_free(tok);
            return vg_fail(err, VG_EINVAL, "unexpected data after the JSON value at offset %zu", i);
        }
    }
    if (jerr != json_tokener_success) {
        if (obj != NULL)
            json_object_put(obj);
        json_tokener_free(tok);
        return vg_fail(err, VG_EINVAL, "%s", json_tokener_error_desc(jerr));
    }
    json_tokener_free(tok);
    if (obj != NULL)
        vg_arena_defer(a, vg_json_put, obj);
    *out = obj;
    return VG_OK;
}

const char *vg_json_text(json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
