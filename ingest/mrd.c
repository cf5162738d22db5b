/* ingest/mrd.c - the Concertim MRD request bodies (../shared/specs/concertim.md §3.2, §3.5, §5.1).
 * A report is decoded the way Go's json.Decoder.Decode fills upstream's putMetricRequest: a port
 * of encoding/json's scanner finds the first value (or the syntax error, worded as Go words it),
 * then a flat walk of that validated text binds keys case-insensitively, last one winning, and
 * keeps the first type mismatch; go-playground/validator's rules and ParseMetricVal follow.
 * Nothing recurses on input: nesting is a bit stack of at most Go's 10000 levels.
 * SPDX-License-Identifier: MIT */
#include "mrd.h"

#include "core/json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mrd_type_names[MRD_T_NTYPES] = {
    "string", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float", "double",
};
const char *const mrd_slope_names[MRD_S_NSLOPES] = {
    "zero", "positive", "negative", "both", "derivative",
};

/* ---- Go's encoding/json scanner (scanner.go), state for state ---- */

#define MRD_MAX_DEPTH 10000 /* Go's maxNestingDepth */

enum {
    MRD_SC_CONTINUE,
    MRD_SC_BEGIN_LITERAL,
    MRD_SC_BEGIN_OBJECT,
    MRD_SC_OBJECT_KEY,
    MRD_SC_OBJECT_VALUE,
    MRD_SC_END_OBJECT,
    MRD_SC_BEGIN_ARRAY,
    MRD_SC_ARRAY_VALUE,
    MRD_SC_END_ARRAY,
    MRD_SC_SKIP_SPACE,
    MRD_SC_END,
    MRD_SC_ERROR,
};

enum { MRD_PS_OBJECT_KEY, MRD_PS_OBJECT_VALUE, MRD_PS_ARRAY_VALUE };

typedef enum {
    MRD_ST_BEGIN_VALUE_OR_EMPTY,
    MRD_ST_BEGIN_VALUE,
    MRD_ST_BEGIN_STRING_OR_EMPTY,
    MRD_ST_BEGIN_STRING,
    MRD_ST_END_VALUE,
    MRD_ST_END_TOP,
    MRD_ST_IN_STRING,
    MRD_ST_IN_STRING_ESC,
    MRD_ST_ESC_U,
    MRD_ST_ESC_U1,
    MRD_ST_ESC_U12,
    MRD_ST_ESC_U123,
    MRD_ST_NEG,
    MRD_ST_1,
    MRD_ST_0,
    MRD_ST_DOT,
    MRD_ST_DOT0,
    MRD_ST_E,
    MRD_ST_ESIGN,
    MRD_ST_E0,
    MRD_ST_T,
    MRD_ST_TR,
    MRD_ST_TRU,
    MRD_ST_F,
    MRD_ST_FA,
    MRD_ST_FAL,
    MRD_ST_FALS,
    MRD_ST_N,
    MRD_ST_NU,
    MRD_ST_NUL,
    MRD_ST_ERROR,
} mrd_state_t;

typedef struct {
    mrd_state_t step;
    int top;      /* parse state of the innermost open object or array (MRD_PS_*) */
    size_t depth; /* open objects and arrays */
    /* bit d-1: level d is an object. Only the innermost level's key/value state changes, and a
     * level we return to is always in its value, so one bit per level is Go's parseState. */
    unsigned char is_obj[MRD_MAX_DEPTH / 8 + 1];
    char msg[96];
} mrd_scan_t;

static bool mrd_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's quoteChar: the byte as a Go rune literal ('x', '\'', '"', '\n', '\x01', '\u0080'); a byte
 * above 0x7f is the rune U+00XX, printed as itself when strconv.IsPrint says so. */
static void mrd_quote_char(unsigned char c, char out[16])
{
    static const char short_esc[] = {['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                     ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'};

    if (c == '\'')
        snprintf(out, 16, "'\\''");
    else if (c == '"')
        snprintf(out, 16, "'\"'");
    else if (c == '\\')
        snprintf(out, 16, "'\\\\'");
    else if (c < sizeof short_esc && short_esc[c] != 0)
        snprintf(out, 16, "'\\%c'", short_esc[c]);
    else if (c < 0x20 || c == 0x7f)
        snprintf(out, 16, "'\\x%02x'", c);
    else if (c < 0x7f)
        snprintf(out, 16, "'%c'", c);
    else if (c <= 0xa0 || c == 0xad) /* C1 controls, NBSP, soft hyphen: not IsPrint */
        snprintf(out, 16, "'\\u%04x'", c);
    else
        snprintf(out, 16, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

static int mrd_sc_error(mrd_scan_t *s, unsigned char c, const char *context)
{
    char q[16];

    mrd_quote_char(c, q);
    s->step = MRD_ST_ERROR;
    snprintf(s->msg, sizeof s->msg, "invalid character %s %s", q, context);
    return MRD_SC_ERROR;
}

static int mrd_sc_push(mrd_scan_t *s, unsigned char c, int ps, int op)
{
    size_t d = s->depth;

    if (d + 1 > MRD_MAX_DEPTH)
        return mrd_sc_error(s, c, "exceeded max depth");
    if (ps == MRD_PS_OBJECT_KEY)
        s->is_obj[d / 8] |= (unsigned char)(1u << (d % 8));
    else
        s->is_obj[d / 8] &= (unsigned char)~(1u << (d % 8));
    s->depth = d + 1;
    s->top = ps;
    return op;
}

static void mrd_sc_pop(mrd_scan_t *s)
{
    size_t d = --s->depth;

    if (d == 0) {
        s->step = MRD_ST_END_TOP;
        return;
    }
    s->step = MRD_ST_END_VALUE;
    d--;
    s->top = (s->is_obj[d / 8] >> (d % 8)) & 1 ? MRD_PS_OBJECT_VALUE : MRD_PS_ARRAY_VALUE;
}

static int mrd_sc_end_top(mrd_scan_t *s, unsigned char c)
{
    /* Go complains about a non-space byte only on the next call, which Decode never makes */
    return MRD_SC_END;
}

static int mrd_sc_end_value(mrd_scan_t *s, unsigned char c)
{
    if (s->depth == 0) {
        s->step = MRD_ST_END_TOP;
        return mrd_sc_end_top(s, c);
    }
    if (mrd_is_space(c)) {
        s->step = MRD_ST_END_VALUE;
        return MRD_SC_SKIP_SPACE;
    }
    switch (s->top) {
    case MRD_PS_OBJECT_KEY:
        if (c == ':') {
            s->top = MRD_PS_OBJECT_VALUE;
            s->step = MRD_ST_BEGIN_VALUE;
            return MRD_SC_OBJECT_KEY;
        }
        return mrd_sc_error(s, c, "after object key");
    case MRD_PS_OBJECT_VALUE:
        if (c == ',') {
            s->top = MRD_PS_OBJECT_KEY;
            s->step = MRD_ST_BEGIN_STRING;
            return MRD_SC_OBJECT_VALUE;
        }
        if (c == '}') {
            mrd_sc_pop(s);
            return MRD_SC_END_OBJECT;
        }
        return mrd_sc_error(s, c, "after object key:value pair");
    default:
        if (c == ',') {
            s->step = MRD_ST_BEGIN_VALUE;
            return MRD_SC_ARRAY_VALUE;
        }
        if (c == ']') {
            mrd_sc_pop(s);
            return MRD_SC_END_ARRAY;
        }
        return mrd_sc_error(s, c, "after array element");
    }
}

static int mrd_sc_begin_value(mrd_scan_t *s, unsigned char c)
{
    if (mrd_is_space(c))
        return MRD_SC_SKIP_SPACE;
    switch (c) {
    case '{':
        s->step = MRD_ST_BEGIN_STRING_OR_EMPTY;
        return mrd_sc_push(s, c, MRD_PS_OBJECT_KEY, MRD_SC_BEGIN_OBJECT);
    case '[':
        s->step = MRD_ST_BEGIN_VALUE_OR_EMPTY;
        return mrd_sc_push(s, c, MRD_PS_ARRAY_VALUE, MRD_SC_BEGIN_ARRAY);
    case '"':
        s->step = MRD_ST_IN_STRING;
        return MRD_SC_BEGIN_LITERAL;
    case '-':
        s->step = MRD_ST_NEG;
        return MRD_SC_BEGIN_LITERAL;
    case '0':
        s->step = MRD_ST_0;
        return MRD_SC_BEGIN_LITERAL;
    case 't':
        s->step = MRD_ST_T;
        return MRD_SC_BEGIN_LITERAL;
    case 'f':
        s->step = MRD_ST_F;
        return MRD_SC_BEGIN_LITERAL;
    case 'n':
        s->step = MRD_ST_N;
        return MRD_SC_BEGIN_LITERAL;
    }
    if (c >= '1' && c <= '9') {
        s->step = MRD_ST_1;
        return MRD_SC_BEGIN_LITERAL;
    }
    return mrd_sc_error(s, c, "looking for beginning of value");
}

static int mrd_sc_begin_string(mrd_scan_t *s, unsigned char c)
{
    if (mrd_is_space(c))
        return MRD_SC_SKIP_SPACE;
    if (c == '"') {
        s->step = MRD_ST_IN_STRING;
        return MRD_SC_BEGIN_LITERAL;
    }
    return mrd_sc_error(s, c, "looking for beginning of object key string");
}

static bool mrd_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* one literal's next expected byte: stateT ... stateNul */
static int mrd_sc_lit(mrd_scan_t *s, unsigned char c, unsigned char want, mrd_state_t next,
                      const char *context)
{
    if (c == want) {
        s->step = next;
        return MRD_SC_CONTINUE;
    }
    return mrd_sc_error(s, c, context);
}

static int mrd_sc_0(mrd_scan_t *s, unsigned char c)
{
    if (c == '.') {
        s->step = MRD_ST_DOT;
        return MRD_SC_CONTINUE;
    }
    if (c == 'e' || c == 'E') {
        s->step = MRD_ST_E;
        return MRD_SC_CONTINUE;
    }
    return mrd_sc_end_value(s, c);
}

static int mrd_sc_esign(mrd_scan_t *s, unsigned char c)
{
    if (c >= '0' && c <= '9') {
        s->step = MRD_ST_E0;
        return MRD_SC_CONTINUE;
    }
    return mrd_sc_error(s, c, "in exponent of numeric literal");
}

static int mrd_sc_step(mrd_scan_t *s, unsigned char c)
{
    switch (s->step) {
    case MRD_ST_BEGIN_VALUE_OR_EMPTY:
        if (mrd_is_space(c))
            return MRD_SC_SKIP_SPACE;
        if (c == ']')
            return mrd_sc_end_value(s, c);
        return mrd_sc_begin_value(s, c);
    case MRD_ST_BEGIN_VALUE:
        return mrd_sc_begin_value(s, c);
    case MRD_ST_BEGIN_STRING_OR_EMPTY:
        if (mrd_is_space(c))
            return MRD_SC_SKIP_SPACE;
        if (c == '}') {
            s->top = MRD_PS_OBJECT_VALUE;
            return mrd_sc_end_value(s, c);
        }
        return mrd_sc_begin_string(s, c);
    case MRD_ST_BEGIN_STRING:
        return mrd_sc_begin_string(s, c);
    case MRD_ST_END_VALUE:
        return mrd_sc_end_value(s, c);
    case MRD_ST_END_TOP:
        return mrd_sc_end_top(s, c);
    case MRD_ST_IN_STRING:
        if (c == '"') {
            s->step = MRD_ST_END_VALUE;
            return MRD_SC_CONTINUE;
        }
        if (c == '\\') {
            s->step = MRD_ST_IN_STRING_ESC;
            return MRD_SC_CONTINUE;
        }
        if (c < 0x20)
            return mrd_sc_error(s, c, "in string literal");
        return MRD_SC_CONTINUE;
    case MRD_ST_IN_STRING_ESC:
        switch (c) {
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
        case '\\':
        case '/':
        case '"':
            s->step = MRD_ST_IN_STRING;
            return MRD_SC_CONTINUE;
        case 'u':
            s->step = MRD_ST_ESC_U;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_error(s, c, "in string escape code");
    case MRD_ST_ESC_U:
    case MRD_ST_ESC_U1:
    case MRD_ST_ESC_U12:
    case MRD_ST_ESC_U123:
        if (mrd_is_hex(c)) {
            s->step = s->step == MRD_ST_ESC_U123 ? MRD_ST_IN_STRING : s->step + 1;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_error(s, c, "in \\u hexadecimal character escape");
    case MRD_ST_NEG:
        if (c == '0') {
            s->step = MRD_ST_0;
            return MRD_SC_CONTINUE;
        }
        if (c >= '1' && c <= '9') {
            s->step = MRD_ST_1;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_error(s, c, "in numeric literal");
    case MRD_ST_1:
        if (c >= '0' && c <= '9')
            return MRD_SC_CONTINUE;
        return mrd_sc_0(s, c);
    case MRD_ST_0:
        return mrd_sc_0(s, c);
    case MRD_ST_DOT:
        if (c >= '0' && c <= '9') {
            s->step = MRD_ST_DOT0;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_error(s, c, "after decimal point in numeric literal");
    case MRD_ST_DOT0:
        if (c >= '0' && c <= '9')
            return MRD_SC_CONTINUE;
        if (c == 'e' || c == 'E') {
            s->step = MRD_ST_E;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_end_value(s, c);
    case MRD_ST_E:
        if (c == '+' || c == '-') {
            s->step = MRD_ST_ESIGN;
            return MRD_SC_CONTINUE;
        }
        return mrd_sc_esign(s, c);
    case MRD_ST_ESIGN:
        return mrd_sc_esign(s, c);
    case MRD_ST_E0:
        if (c >= '0' && c <= '9')
            return MRD_SC_CONTINUE;
        return mrd_sc_end_value(s, c);
    case MRD_ST_T:
        return mrd_sc_lit(s, c, 'r', MRD_ST_TR, "in literal true (expecting 'r')");
    case MRD_ST_TR:
        return mrd_sc_lit(s, c, 'u', MRD_ST_TRU, "in literal true (expecting 'u')");
    case MRD_ST_TRU:
        return mrd_sc_lit(s, c, 'e', MRD_ST_END_VALUE, "in literal true (expecting 'e')");
    case MRD_ST_F:
        return mrd_sc_lit(s, c, 'a', MRD_ST_FA, "in literal false (expecting 'a')");
    case MRD_ST_FA:
        return mrd_sc_lit(s, c, 'l', MRD_ST_FAL, "in literal false (expecting 'l')");
    case MRD_ST_FAL:
        return mrd_sc_lit(s, c, 's', MRD_ST_FALS, "in literal false (expecting 's')");
    case MRD_ST_FALS:
        return mrd_sc_lit(s, c, 'e', MRD_ST_END_VALUE, "in literal false (expecting 'e')");
    case MRD_ST_N:
        return mrd_sc_lit(s, c, 'u', MRD_ST_NU, "in literal null (expecting 'u')");
    case MRD_ST_NU:
        return mrd_sc_lit(s, c, 'l', MRD_ST_NUL, "in literal null (expecting 'l')");
    case MRD_ST_NUL:
        return mrd_sc_lit(s, c, 'l', MRD_ST_END_VALUE, "in literal null (expecting 'l')");
    case MRD_ST_ERROR:
        break;
    }
    return MRD_SC_ERROR;
}

static int mrd_decode_fail(vg_err_t *err, const char *msg)
{
    vg_fail(err, VG_EINVAL, "%s", msg);
    if (err != NULL)
        err->subcode = MRD_SUB_DECODE;
    return VG_EINVAL;
}

/* Go's Decoder.readValue on a body that is all there is: *n is the length of the first JSON
 * value in p[0..len) (leading space included, what follows it never looked at), or Go's error:
 * "EOF" for nothing but space, "unexpected EOF" for a value cut short, the scanner's syntax
 * error otherwise. */
static int mrd_read_value(const char *p, size_t len, size_t *n, vg_err_t *err)
{
    mrd_scan_t s;

    memset(&s, 0, sizeof s);
    s.step = MRD_ST_BEGIN_VALUE;
    s.top = MRD_PS_ARRAY_VALUE;
    for (size_t i = 0; i < len; i++) {
        switch (mrd_sc_step(&s, (unsigned char)p[i])) {
        case MRD_SC_END: /* the byte that ended a number or literal is not part of it */
            *n = i;
            return VG_OK;
        case MRD_SC_END_OBJECT:
        case MRD_SC_END_ARRAY:
            if (mrd_sc_end_value(&s, ' ') == MRD_SC_END) {
                *n = i + 1;
                return VG_OK;
            }
            break;
        case MRD_SC_ERROR:
            return mrd_decode_fail(err, s.msg);
        }
    }
    if (mrd_sc_step(&s, ' ') == MRD_SC_END) {
        *n = len;
        return VG_OK;
    }
    for (size_t i = 0; i < len; i++)
        if (!mrd_is_space((unsigned char)p[i]))
            return mrd_decode_fail(err, "unexpected EOF");
    return mrd_decode_fail(err, "EOF");
}

/* ---- walking text the scanner accepted ---- */

static const char *mrd_ws(const char *p, const char *end)
{
    while (p < end && mrd_is_space((unsigned char)*p))
        p++;
    return p;
}

/* p at a string's opening quote: just past its closing quote */
static const char *mrd_string_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++; /* \uXXXX: the hex digits are neither quote nor backslash */
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/* p at any value: just past it */
static const char *mrd_value_end(const char *p, const char *end)
{
    size_t depth = 0;

    if (p >= end)
        return end;
    if (*p == '"')
        return mrd_string_end(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && ((*p != '\0' && strchr("+-.E", *p) != NULL) || (*p >= '0' && *p <= '9') ||
                           (*p >= 'a' && *p <= 'z')))
            p++;
        return p;
    }
    while (p < end) {
        if (*p == '"') {
            p = mrd_string_end(p, end);
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return end;
}

/* ---- Go strings: unquote (decode.go) with utf8.DecodeRune's replacement of bad bytes ---- */

#define MRD_RUNE_ERROR 0xfffd

/* utf8.DecodeRune: the rune at p (< end) and its length; (U+FFFD, 1) for anything invalid */
static int32_t mrd_decode_rune(const unsigned char *p, const unsigned char *end, size_t *size)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;
    int32_t r;

    *size = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        r = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        r = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        r = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return MRD_RUNE_ERROR;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return MRD_RUNE_ERROR;
    for (size_t i = 1; i < n; i++) {
        if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
            return MRD_RUNE_ERROR;
        r = (r << 6) | (p[i] & 0x3f);
    }
    *size = n;
    return r;
}

static int32_t mrd_hex4(const char *p, const char *end)
{
    int32_t r = 0;

    if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    for (int i = 2; i < 6; i++) {
        unsigned char c = (unsigned char)p[i];

        if (!mrd_is_hex(c))
            return -1;
        r = r * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return r;
}

/* The next rune of a string literal's body [*pp, end) as unquote yields it (end: the closing
 * quote). Escaped surrogates pair up or become U+FFFD; a bad byte is U+FFFD. */
static int32_t mrd_str_rune(const char **pp, const char *end)
{
    const char *p = *pp;
    int32_t r, r2;
    size_t size;

    if (*p != '\\') {
        r = mrd_decode_rune((const unsigned char *)p, (const unsigned char *)end, &size);
        *pp = p + size;
        return r;
    }
    *pp = p + 2;
    switch (p[1]) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'u':
        break;
    default:
        return (unsigned char)p[1]; /* " \ / */
    }
    r = mrd_hex4(p, end);
    *pp = p += 6;
    if (r < 0xd800 || r > 0xdfff)
        return r;
    r2 = mrd_hex4(p, end);
    if (r < 0xdc00 && r2 >= 0xdc00 && r2 <= 0xdfff) {
        *pp = p + 6;
        return 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
    }
    return MRD_RUNE_ERROR;
}

static size_t mrd_put_rune(char *o, int32_t r)
{
    unsigned char *u = (unsigned char *)o;

    if (r < 0x80) {
        u[0] = (unsigned char)r;
        return 1;
    }
    if (r < 0x800) {
        u[0] = (unsigned char)(0xc0 | (r >> 6));
        u[1] = (unsigned char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        u[0] = (unsigned char)(0xe0 | (r >> 12));
        u[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
        u[2] = (unsigned char)(0x80 | (r & 0x3f));
        return 3;
    }
    u[0] = (unsigned char)(0xf0 | (r >> 18));
    u[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3f));
    u[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
    u[3] = (unsigned char)(0x80 | (r & 0x3f));
    return 4;
}

/* A Go string: valid UTF-8, possibly with NUL bytes (from \u0000). */
typedef struct {
    const char *p;
    size_t n;
} mrd_str_t;

/* p at a string literal: its Go value, in a (NUL-terminated as well) */
static mrd_str_t mrd_unquote(const char *p, const char *end, vg_arena_t *a)
{
    const char *q = mrd_string_end(p, end) - 1; /* the closing quote */
    char *o = vg_arena_alloc(a, (size_t)(q - p) * 3 + 1);
    mrd_str_t s = {o, 0};

    for (p++; p < q;)
        s.n += mrd_put_rune(o + s.n, mrd_str_rune(&p, q));
    o[s.n] = '\0';
    return s;
}

/* Go's field lookup: the exact name, else the same under Unicode simple case folding, where
 * U+017F (long s) folds with 's' and U+212A (Kelvin) with 'k'. name is lower-case ASCII. */
static bool mrd_key_matches(const char *p, const char *end, const char *name)
{
    const char *q = mrd_string_end(p, end) - 1;

    for (p++; p < q; name++) {
        int32_t r = mrd_str_rune(&p, q);

        if (*name == '\0')
            return false;
        if (r >= 'A' && r <= 'Z')
            r += 'a' - 'A';
        if (r == 0x17f)
            r = 's';
        else if (r == 0x212a)
            r = 'k';
        if (r != (unsigned char)*name)
            return false;
    }
    return *name == '\0';
}

/* ---- binding one object to a Go struct ---- */

typedef enum { MRD_F_STRING, MRD_F_INT, MRD_F_ANY } mrd_fkind_t;

typedef struct {
    const char *name; /* the json tag */
    mrd_fkind_t kind;
    const char *gotype; /* as reflect prints the field's type */
} mrd_field_t;

typedef enum {
    MRD_V_NIL,
    MRD_V_STRING,
    MRD_V_NUMBER,
    MRD_V_BOOL,
    MRD_V_OBJECT,
    MRD_V_ARRAY
} mrd_vkind_t;

typedef struct {
    mrd_str_t s;      /* MRD_F_STRING; MRD_F_ANY holding a string */
    int64_t i;        /* MRD_F_INT */
    mrd_vkind_t kind; /* MRD_F_ANY */
    double num;       /* MRD_F_ANY holding a number */
} mrd_slot_t;

typedef struct {
    const char *gostruct; /* "putMetricRequest" */
    const mrd_field_t *fields;
    size_t nfields;
    mrd_slot_t *slots;
    vg_arena_t *a; /* for strings; NULL when no field holds one */
    char msg[512]; /* the first type error ("" while none) */
} mrd_bind_t;

static const char *mrd_kind_of(char c)
{
    switch (c) {
    case '{':
        return "object";
    case '[':
        return "array";
    case '"':
        return "string";
    case 't':
    case 'f':
        return "bool";
    }
    return "number";
}

/* strconv.ParseInt(s, 10, 64) */
static bool mrd_parse_int(const char *p, const char *end, int64_t *out)
{
    bool neg = p < end && *p == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

    if (neg || (p < end && *p == '+'))
        p++;
    if (p == end)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (v > (lim - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* strconv.ParseFloat(s, 64) of a JSON number: false when it overflows to ±Inf (Go's ErrRange;
 * underflow to 0 is no error in Go, whatever errno says) */
static bool mrd_parse_float(const char *p, const char *end, double *out)
{
    char buf[64];
    size_t n = (size_t)(end - p);
    char *tmp = n < sizeof buf ? buf : malloc(n + 1);

    if (tmp == NULL)
        abort();
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    if (tmp != buf)
        free(tmp);
    return !isinf(*out);
}

static void mrd_type_error(mrd_bind_t *b, const mrd_field_t *f, const char *what, int textlen,
                           const char *text)
{
    snprintf(b->msg, sizeof b->msg,
             "json: cannot unmarshal %s%s%.*s into Go struct field %s.%s of type %s", what,
             textlen > 0 ? " " : "", textlen, text, b->gostruct, f->name, f->gotype);
}

/* interface{} holding an object or array: every number in it must parse as a float64 */
static void mrd_check_numbers(mrd_bind_t *b, const mrd_field_t *f, const char *p, const char *end)
{
    while (p < end) {
        if (*p == '"') {
            p = mrd_string_end(p, end);
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            const char *q = mrd_value_end(p, end);
            double v;

            if (!mrd_parse_float(p, q, &v)) {
                mrd_type_error(b, &(mrd_field_t){f->name, MRD_F_ANY, "float64"}, "number",
                               (int)(q - p), p);
                return;
            }
            p = q;
        } else {
            p++;
        }
    }
}

/* One key's value [p, q) into its field, as literalStore, d.object and d.array would. */
static void mrd_bind_value(mrd_bind_t *b, const mrd_field_t *f, mrd_slot_t *slot, const char *p,
                           const char *q)
{
    char c = *p;

    if (c == 'n') { /* null: only an interface{} changes (back to nil) */
        if (f->kind == MRD_F_ANY)
            slot->kind = MRD_V_NIL;
        return;
    }
    switch (f->kind) {
    case MRD_F_STRING:
        if (c == '"')
            slot->s = mrd_unquote(p, q, b->a);
        else
            mrd_type_error(b, f, mrd_kind_of(c), 0, "");
        return;
    case MRD_F_INT:
        if (c == '-' || (c >= '0' && c <= '9')) {
            if (!mrd_parse_int(p, q, &slot->i))
                mrd_type_error(b, f, "number", (int)(q - p), p);
        } else {
            mrd_type_error(b, f, mrd_kind_of(c), 0, "");
        }
        return;
    case MRD_F_ANY:
        break;
    }
    switch (c) {
    case '"':
        slot->kind = MRD_V_STRING;
        slot->s = mrd_unquote(p, q, b->a);
        break;
    case 't':
    case 'f':
        slot->kind = MRD_V_BOOL;
        break;
    case '{':
    case '[':
        slot->kind = c == '{' ? MRD_V_OBJECT : MRD_V_ARRAY;
        mrd_check_numbers(b, f, p, q);
        break;
    default: {
        double v;

        if (!mrd_parse_float(p, q, &v)) {
            mrd_type_error(b, &(mrd_field_t){f->name, MRD_F_ANY, "float64"}, "number", (int)(q - p),
                           p);
            break;
        }
        slot->kind = MRD_V_NUMBER;
        slot->num = v;
        break;
    }
    }
}

/* Decodes body[0..len) into b's struct as Decoder.Decode does: VG_OK with the slots filled, or
 * VG_EINVAL with Go's message (syntax first, then the first type mismatch). */
static int mrd_bind(mrd_bind_t *b, const char *body, size_t len, vg_err_t *err)
{
    const char *p, *end;
    size_t n;
    int rc;

    if ((rc = mrd_read_value(body, len, &n, err)) != VG_OK)
        return rc;
    p = mrd_ws(body, body + n);
    end = body + n;
    b->msg[0] = '\0';
    if (*p == 'n')
        return VG_OK; /* null: the struct stays zero */
    if (*p != '{') {
        snprintf(b->msg, sizeof b->msg, "json: cannot unmarshal %s into Go value of type api.%s",
                 mrd_kind_of(*p), b->gostruct);
        return mrd_decode_fail(err, b->msg);
    }
    p = mrd_ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *key = p, *v, *q;
        size_t i;

        p = mrd_ws(mrd_string_end(p, end), end); /* at ':' */
        v = mrd_ws(p + 1, end);
        q = mrd_value_end(v, end);
        for (i = 0; i < b->nfields; i++)
            if (mrd_key_matches(key, end, b->fields[i].name))
                break;
        if (i < b->nfields)
            mrd_bind_value(b, &b->fields[i], &b->slots[i], v, q);
        if (b->msg[0] != '\0') /* Go keeps going, but reports the first mismatch only */
            return mrd_decode_fail(err, b->msg);
        p = mrd_ws(q, end);
        if (p < end && *p == ',')
            p = mrd_ws(p + 1, end);
    }
    return VG_OK;
}

/* ---- putMetricRequest ---- */

enum { MRD_K_NAME, MRD_K_VALUE, MRD_K_UNITS, MRD_K_TYPE, MRD_K_SLOPE, MRD_K_TTL, MRD_K_N };

static const mrd_field_t mrd_put_fields[MRD_K_N] = {
    [MRD_K_NAME] = {"name", MRD_F_STRING, "string"},
    [MRD_K_VALUE] = {"value", MRD_F_ANY, "interface {}"},
    [MRD_K_UNITS] = {"units", MRD_F_STRING, "string"},
    [MRD_K_TYPE] = {"type", MRD_F_STRING, "string"},
    [MRD_K_SLOPE] = {"slope", MRD_F_STRING, "string"},
    [MRD_K_TTL] = {"ttl", MRD_F_INT, "int"},
};

/* unicode.IsSpace */
static bool mrd_is_unicode_space(int32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
        return true;
    }
    return r >= 0x2000 && r <= 0x200a;
}

/* strings.TrimSpace(s) == "" */
static bool mrd_is_blank(mrd_str_t s)
{
    const unsigned char *p = (const unsigned char *)s.p, *end = p + s.n;

    while (p < end) {
        size_t size;

        if (!mrd_is_unicode_space(mrd_decode_rune(p, end, &size)))
            return false;
        p += size;
    }
    return true;
}

/* strings.ContainsAny(s, chars), chars ASCII */
static bool mrd_contains_any(mrd_str_t s, const char *chars)
{
    for (; *chars != '\0'; chars++)
        if (s.n > 0 && memchr(s.p, *chars, s.n) != NULL)
            return true;
    return false;
}

static bool mrd_str_is(mrd_str_t s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static int mrd_lookup(mrd_str_t s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (mrd_str_is(s, names[i]))
            return i;
    return -1;
}

/* The string as a C string: a NUL (from \u0000) cannot end it early, so it becomes U+FFFD. */
static const char *mrd_cstr(mrd_str_t s, vg_arena_t *a)
{
    char *o;
    size_t n = 0;

    if (s.p == NULL)
        return "";
    if (memchr(s.p, '\0', s.n) == NULL)
        return s.p;
    o = vg_arena_alloc(a, s.n * 3 + 1);
    for (size_t i = 0; i < s.n; i++)
        n += s.p[i] == '\0' ? mrd_put_rune(o + n, MRD_RUNE_ERROR) : (o[n] = s.p[i], 1);
    o[n] = '\0';
    return o;
}

/* ParseMetricVal (domain/model.go): fills r->value and r->number (the number r->value reads as,
 * so 1e-7 as a double is "0.000000" and 0), false when the value does not suit r->type.
 * Integers keep their sign (a deliberate deviation, §3.2.2). */
static bool mrd_value_valid(const mrd_slot_t *v, mrd_report_t *r, vg_arena_t *a)
{
    double mag, ip;
    int64_t n;

    switch (r->type) {
    case MRD_T_STRING:
        if (v->kind != MRD_V_STRING)
            return false;
        r->value = mrd_cstr(v->s, a);
        r->number = 0;
        return true;
    case MRD_T_FLOAT:
    case MRD_T_DOUBLE:
        if (v->kind != MRD_V_NUMBER)
            return false;
        r->value = vg_arena_sprintf(a, "%.6f", v->num);
        r->number = strtod(r->value, NULL); /* what upstream records: the rounded value */
        return true;
    case MRD_T_UINT8:
    case MRD_T_UINT16:
    case MRD_T_UINT32:
        if (v->kind == MRD_V_NUMBER && signbit(v->num))
            return false; /* -0 too */
        /* fall through */
    default:
        if (v->kind != MRD_V_NUMBER)
            return false;
        mag = fabs(v->num);
        if (mag - trunc(mag) >= 1e-9 || mag >= 9223372036854775808.0)
            return false; /* a fraction; beyond int64 (undefined upstream) */
        ip = trunc(mag);
        n = (int64_t)ip;
        if (v->num < 0)
            n = -n;
        r->value = vg_arena_sprintf(a, "%lld", (long long)n);
        r->number = (double)n;
        return true;
    }
}

int mrd_report_parse(const char *body, size_t len, vg_arena_t *a, mrd_report_t *out, vg_err_t *err)
{
    mrd_slot_t slots[MRD_K_N];
    mrd_bind_t b = {.gostruct = "putMetricRequest",
                    .fields = mrd_put_fields,
                    .nfields = MRD_K_N,
                    .slots = slots,
                    .a = a};
    const mrd_slot_t *v = &slots[MRD_K_VALUE];
    int type, slope, rc;
    mrd_report_t r = {0};
    char summary[512];
    size_t used = 0;

    memset(slots, 0, sizeof slots);
    if ((rc = mrd_bind(&b, body, len, err)) != VG_OK)
        return rc;

    /* validate.Struct: each field's first failing tag, in field order, then validtype */
    type = mrd_lookup(slots[MRD_K_TYPE].s, mrd_type_names, MRD_T_NTYPES);
    slope = mrd_lookup(slots[MRD_K_SLOPE].s, mrd_slope_names, MRD_S_NSLOPES);
    if (slots[MRD_K_NAME].s.n == 0)
        vg_err_add(err, a, "required", "name is a required field", "name");
    else if (mrd_is_blank(slots[MRD_K_NAME].s))
        vg_err_add(err, a, "notblank", "name cannot be blank", "name");
    if (v->kind == MRD_V_NIL)
        vg_err_add(err, a, "required", "value is a required field", "value");
    if (mrd_contains_any(slots[MRD_K_UNITS].s, "<>'\"&"))
        vg_err_add(err, a, "excludesall",
                   "units cannot contain any of the following characters '<>'\"&'", "units");
    if (slots[MRD_K_TYPE].s.n == 0)
        vg_err_add(err, a, "required", "type is a required field", "type");
    else if (type < 0)
        vg_err_add(err, a, "oneof",
                   "type must be one of [string int8 uint8 int16 uint16 int32 uint32 float double]",
                   "type");
    if (slots[MRD_K_SLOPE].s.n == 0)
        vg_err_add(err, a, "required", "slope is a required field", "slope");
    else if (slope < 0)
        vg_err_add(err, a, "oneof", "slope must be one of [zero positive negative both derivative]",
                   "slope");
    if (slots[MRD_K_TTL].i == 0)
        vg_err_add(err, a, "required", "ttl is a required field", "ttl");
    else if (slots[MRD_K_TTL].i < 1)
        vg_err_add(err, a, "min", "ttl must be 1 or greater", "ttl");
    if (type >= 0) {
        r.type = (mrd_type_t)type;
        if (!mrd_value_valid(v, &r, a))
            vg_err_add(err, a, "validtype",
                       vg_arena_sprintf(a, "value is not valid for type %s", mrd_type_names[type]),
                       "value");
    }
    if (err->nitems > 0) {
        summary[0] = '\0';
        for (size_t i = 0; i < err->nitems && used < sizeof summary; i++)
            used += (size_t)snprintf(summary + used, sizeof summary - used, "%s%s",
                                     i > 0 ? "; " : "", err->items[i].detail);
        vg_fail(err, VG_EINVAL, "%s", summary);
        err->subcode = MRD_SUB_INVALID;
        return VG_EINVAL;
    }
    r.name = mrd_cstr(slots[MRD_K_NAME].s, a);
    r.units = mrd_cstr(slots[MRD_K_UNITS].s, a);
    r.slope = (mrd_slope_t)slope;
    r.ttl_s = slots[MRD_K_TTL].i;
    *out = r;
    return VG_OK;
}

const char *mrd_nature(mrd_type_t type, mrd_slope_t slope)
{
    if (type == MRD_T_STRING)
        return "string_and_time";
    return slope == MRD_S_ZERO ? "constant" : "volatile";
}

/* ---- tokenRequest (the historical POST /token) ---- */

int mrd_token_request_parse(const char *body, size_t len, int64_t *expires_s, vg_err_t *err)
{
    static const mrd_field_t fields[] = {{"expires_in", MRD_F_INT, "time.Duration"}};
    mrd_slot_t slot = {0};
    mrd_bind_t b = {.gostruct = "tokenRequest", .fields = fields, .nfields = 1, .slots = &slot};
    int rc;

    if ((rc = mrd_bind(&b, body, len, err)) != VG_OK)
        return rc;
    /* a time.Duration: nanoseconds, of which whole seconds count; 0 is upstream's 24 h */
    *expires_s = slot.i == 0 ? 86400 : slot.i / 1000000000;
    return VG_OK;
}

/* ---- the data-source map ---- */

#define MRD_DSM_DEPTH 32 /* the map nests 3 deep; room to name what is too deep instead */

/* "data source map: grid "g" is not an object of clusters (found string)" */
static int mrd_dsm_shape(vg_err_t *err, const char *what, json_object *o, const char *want)
{
    return vg_fail(err, VG_EINVAL, "data source map: %s is not %s (found %s)", what, want,
                   json_type_to_name(json_object_get_type(o)));
}

static uint64_t mrd_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

int mrd_dsm_parse(const char *json, size_t len, vg_arena_t *a, const char ***ids, size_t *n,
                  vg_err_t *err)
{
    json_object *root;
    const char **out, **set;
    size_t total = 0, cap, count = 0;
    int rc;

    if ((rc = vg_json_parse(a, json, len, MRD_DSM_DEPTH, &root, err)) != VG_OK) {
        char why[sizeof err->msg];

        snprintf(why, sizeof why, "%s", err->msg);
        return vg_fail(err, rc, "data source map: %s", why);
    }
    if (!json_object_is_type(root, json_type_object))
        return mrd_dsm_shape(err, "the top level", root, "an object of grids");
    json_object_object_foreach(root, gname, grid)
    {
        if (!json_object_is_type(grid, json_type_object))
            return mrd_dsm_shape(err, vg_arena_sprintf(a, "grid \"%s\"", gname), grid,
                                 "an object of clusters");
        json_object_object_foreach(grid, cname, cluster)
        {
            if (!json_object_is_type(cluster, json_type_object))
                return mrd_dsm_shape(err, vg_arena_sprintf(a, "cluster \"%s/%s\"", gname, cname),
                                     cluster, "an object of hosts");
            json_object_object_foreach(cluster, hname, id)
            {
                if (!json_object_is_type(id, json_type_string))
                    return mrd_dsm_shape(
                        err, vg_arena_sprintf(a, "host \"%s/%s/%s\"", gname, cname, hname), id,
                        "a device id string");
                if (memchr(json_object_get_string(id), '\0',
                           (size_t)json_object_get_string_len(id)) != NULL)
                    return vg_fail(err, VG_EINVAL,
                                   "data source map: host \"%s/%s/%s\" has a device id with a "
                                   "NUL character",
                                   gname, cname, hname);
                total++;
            }
        }
    }

    /* every id once, in the map's order: an open-addressing set over the output */
    for (cap = 16; cap < total * 2; cap *= 2)
        ;
    set = vg_arena_calloc(a, cap * sizeof *set);
    out = vg_arena_alloc(a, (total + 1) * sizeof *out);
    json_object_object_foreach(root, g2, grid2)
    {
        json_object_object_foreach(grid2, c2, cluster2)
        {
            json_object_object_foreach(cluster2, h2, id2)
            {
                const char *s = json_object_get_string(id2);
                size_t sn = (size_t)json_object_get_string_len(id2);
                size_t i = (size_t)mrd_hash(s, sn) & (cap - 1);

                (void)g2, (void)c2, (void)h2;
                while (set[i] != NULL && strcmp(set[i], s) != 0)
                    i = (i + 1) & (cap - 1);
                if (set[i] == NULL)
                    set[i] = out[count++] = vg_arena_strndup(a, s, sn);
            }
        }
    }
    out[count] = NULL;
    *ids = out;
    *n = count;
    return VG_OK;
}
