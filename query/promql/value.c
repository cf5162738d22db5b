/* query/promql/value.c - JSON encoding of query results, written straight into a buffer (a
 * matrix of a million points needs no tree).
 * SPDX-License-Identifier: MIT */
#include "value.h"

#include "core/num.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t pql_utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates and beyond U+10FFFF are invalid */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void pql_json_str(vg_buf_t *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    vg_buf_addc(b, '"');
    while (*p) {
        size_t n;

        switch (*p) {
        case '"':
            vg_buf_add(b, "\\\"", 2);
            p++;
            continue;
        case '\\':
            vg_buf_add(b, "\\\\", 2);
            p++;
            continue;
        case '\n':
            vg_buf_add(b, "\\n", 2);
            p++;
            continue;
        case '\r':
            vg_buf_add(b, "\\r", 2);
            p++;
            continue;
        case '\t':
            vg_buf_add(b, "\\t", 2);
            p++;
            continue;
        case '<':
        case '>':
        case '&':
            vg_buf_printf(b, "\\u%04x", *p);
            p++;
            continue;
        default:
            break;
        }
        if (*p < 0x20) {
            vg_buf_printf(b, "\\u%04x", *p);
            p++;
            continue;
        }
        n = pql_utf8_len(p);
        if (n == 0) {
            vg_buf_add(b, "\\ufffd", 6);
            p++;
            continue;
        }
        if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            vg_buf_adds(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
            p += 3;
            continue;
        }
        vg_buf_add(b, p, n);
        p += n;
    }
    vg_buf_addc(b, '"');
}

void pql_json_point(vg_buf_t *b, int64_t t, double v)
{
    char num[VG_FTOA_MAX];

    vg_buf_addc(b, '[');
    vg_buf_add(b, num, vg_mstoa(t, num));
    vg_buf_add(b, ",\"", 2);
    vg_buf_add(b, num, vg_ftoa_go(v, num));
    vg_buf_add(b, "\"]", 2);
}

static void pql_json_metric(vg_buf_t *b, const pql_lset_t *m)
{
    vg_buf_add(b, "{\"metric\":{", 11);
    for (size_t i = 0; i < m->n; i++) {
        if (i)
            vg_buf_addc(b, ',');
        pql_json_str(b, m->l[i].name);
        vg_buf_addc(b, ':');
        pql_json_str(b, m->l[i].value);
    }
    vg_buf_addc(b, '}');
}

void pql_json_value(vg_buf_t *b, const pql_value_t *v)
{
    static const char *const types[] = {"scalar", "string", "vector", "matrix"};

    vg_buf_printf(b, "{\"resultType\":\"%s\",\"result\":", types[v->type]);
    switch (v->type) {
    case PQL_VAL_SCALAR:
        pql_json_point(b, v->t, v->v);
        break;
    case PQL_VAL_STRING: {
        char num[VG_FTOA_MAX];

        vg_buf_addc(b, '[');
        vg_buf_add(b, num, vg_mstoa(v->t, num));
        vg_buf_addc(b, ',');
        pql_json_str(b, v->s);
        vg_buf_addc(b, ']');
        break;
    }
    case PQL_VAL_VECTOR:
        vg_buf_addc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                vg_buf_addc(b, ',');
            pql_json_metric(b, &v->vec[i].m);
            vg_buf_add(b, ",\"value\":", 9);
            pql_json_point(b, v->vec[i].t, v->vec[i].v);
            vg_buf_addc(b, '}');
        }
        vg_buf_addc(b, ']');
        break;
    case PQL_VAL_MATRIX:
        vg_buf_addc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                vg_buf_addc(b, ',');
            pql_json_metric(b, &v->mat[i].m);
            vg_buf_add(b, ",\"values\":[", 11);
            for (size_t j = 0; j < v->mat[i].n; j++) {
                if (j)
                    vg_buf_addc(b, ',');
                pql_json_point(b, v->mat[i].p[j].t, v->mat[i].p[j].v);
            }
            vg_buf_add(b, "]}", 2);
        }
        vg_buf_addc(b, ']');
        break;
    }
    vg_buf_addc(b, '}');
}
