/* ingest/lineproto.c - InfluxDB 1.x line protocol into batch points, points into samples. The
 * scanners follow upstream's models/points.go (influxdb v1.9, which Kapacitor links) step by step,
 * so a bad line gets the reason upstream would give first. The body is copied into the arena once;
 * tokens are unescaped and NUL-terminated in that copy, so a line costs no allocation beyond its
 * point's two arrays.
 * SPDX-License-Identifier: MIT */
#include "lineproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ING_LP_MAX_KEY  65535
#define ING_LP_MIN_NANO (INT64_MIN + 2) /* upstream keeps the two lowest values as sentinels */
#define ING_LP_MAX_NANO (INT64_MAX - 1)

/* the wording is upstream's (models/points.go), except ING_LP_ENUL, which upstream never says */
#define ING_LP_EINVNUM "invalid number"
#define ING_LP_ENUL    "invalid NUL byte"
#define ING_LP_ERANGE  "time outside range -9223372036854775806 - 9223372036854775806"

/* Byte classes: the bytes that stop a scanner's skip loop. */
enum {
    ING_LP_C_MEAS = 1, /* measurement: , space \ NUL */
    ING_LP_C_KEY = 2,  /* tag key, tag value, field key: , space = \ NUL */
    ING_LP_C_STR = 4,  /* string value: " \ NUL */
};

static const unsigned char ing_lp_cls[256] = {
    [0] = ING_LP_C_MEAS | ING_LP_C_KEY | ING_LP_C_STR,
    [' '] = ING_LP_C_MEAS | ING_LP_C_KEY,
    [','] = ING_LP_C_MEAS | ING_LP_C_KEY,
    ['='] = ING_LP_C_KEY,
    ['\\'] = ING_LP_C_MEAS | ING_LP_C_KEY | ING_LP_C_STR,
    ['"'] = ING_LP_C_STR,
};

/* What a backslash escapes in each kind of token. */
typedef enum { ING_LP_E_MEAS, ING_LP_E_KEY, ING_LP_E_STR } ing_lp_esc_t;

typedef struct {
    const char *raw; /* the tag key as written, for upstream's duplicate check */
    size_t len;
} ing_lp_span_t;

typedef struct {
    vg_arena_t *a;
    const char *s; /* the line in the caller's body (leading blanks and line end removed) */
    char *c;       /* the same bytes in the arena copy: tokens are unescaped and ended there */
    size_t n;
    int64_t mult; /* nanoseconds per timestamp unit */
    int64_t now;  /* now_ns truncated to the precision */
    ing_label_t *tags;
    ing_lp_span_t *spans;
    size_t ntags, cap_tags;
    ing_field_t *fields;
    size_t nfields, cap_fields;
} ing_lp_ctx_t;

static int64_t ing_lp_floordiv(int64_t a, int64_t d)
{
    int64_t q = a / d;

    return (a % d != 0 && a < 0) ? q - 1 : q;
}

static int64_t ing_lp_mult(const char *p)
{
    if (p == NULL)
        return 1;
    if (strcmp(p, "u") == 0)
        return 1000;
    if (strcmp(p, "ms") == 0)
        return 1000000;
    if (strcmp(p, "s") == 0)
        return 1000000000;
    if (strcmp(p, "m") == 0)
        return 60 * INT64_C(1000000000);
    if (strcmp(p, "h") == 0)
        return 3600 * INT64_C(1000000000);
    return 1; /* "n", "ns", "" and anything else: upstream's GetPrecisionMultiplier default */
}

static int ing_lp_escapable(char c, ing_lp_esc_t e)
{
    switch (e) {
    case ING_LP_E_MEAS:
        return c == ',' || c == ' ';
    case ING_LP_E_KEY:
        return c == ',' || c == ' ' || c == '=';
    default:
        return c == '"' || c == '\\';
    }
}

/* Ends token [a, b) of the line in the copy, unescaping it in place when bs says it holds a
 * backslash, and returns it. The byte at b in the copy is a separator or the line end. */
static const char *ing_lp_tok(ing_lp_ctx_t *x, size_t a, size_t b, int bs, ing_lp_esc_t e)
{
    char *p = x->c + a;
    size_t n = b - a, w = n;

    if (bs) {
        size_t r = 0;

        for (w = 0; r < n; w++) {
            if (p[r] == '\\' && r + 1 < n && ing_lp_escapable(p[r + 1], e))
                r++;
            p[w] = p[r++];
        }
    }
    p[w] = '\0';
    return p;
}

/* Concatenates n (pointer, length) pairs into one arena string: lines and tokens can be longer
 * than printf's int precision allows. */
static char *ing_lp_join(vg_arena_t *a, int n, ...)
{
    va_list ap;
    size_t len = 0;
    char *d, *p;

    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        (void)va_arg(ap, const char *);
        len += va_arg(ap, size_t);
    }
    va_end(ap);
    p = d = vg_arena_alloc(a, len + 1);
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        const char *s = va_arg(ap, const char *);
        size_t l = va_arg(ap, size_t);

        memcpy(p, s, l);
        p += l;
    }
    va_end(ap);
    *p = '\0';
    return d;
}

#define ING_LP_LIT(s) s, sizeof s - 1

static size_t ing_lp_skipws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\0'))
        i++;
    return i;
}

static void *ing_lp_grow(vg_arena_t *a, void *arr, size_t n, size_t *cap, size_t elem)
{
    void *p;

    if (n < *cap)
        return arr;
    *cap = *cap ? *cap * 2 : 16;
    p = vg_arena_alloc(a, *cap * elem);
    if (n)
        memcpy(p, arr, n * elem);
    return p;
}

/* Go's strconv.ParseInt for the digits [a, b) with an optional '-': 0 or -1 on overflow. */
static int ing_lp_atoi(const char *s, size_t a, size_t b, int64_t *out)
{
    int neg = s[a] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

    for (size_t i = a + neg; i < b; i++) {
        unsigned d = (unsigned char)s[i] - '0';

        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int ing_lp_atou(const char *s, size_t a, size_t b, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = a; i < b; i++) {
        unsigned d = (unsigned char)s[i] - '0';

        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Parses the float [a, b) of the line, whose bytes are digits, at most one '.', a leading '-',
 * e/E and signs after them. Returns 0, or -1 where Go's ParseFloat fails (syntax, overflow). */
static int ing_lp_atof(ing_lp_ctx_t *x, size_t a, size_t b, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = x->s;
    size_t i = a;
    uint64_t m = 0;
    int neg = 0, frac = 0, digits = 0, dot = 0;
    char *end, save;
    double v;

    /* Clinger's fast path: an exact mantissa below 2^53 divided by an exact power of ten is
     * correctly rounded, and covers what collectors send; the rest goes to strtod */
    if (s[i] == '-') {
        neg = 1;
        i++;
    }
    for (; i < b; i++) {
        if (s[i] == '.') {
            dot = 1;
        } else if (s[i] >= '0' && s[i] <= '9') {
            if (m >= (UINT64_C(1) << 53) / 10)
                break;
            m = m * 10 + (uint64_t)(s[i] - '0');
            digits++;
            frac += dot;
        } else {
            break;
        }
    }
    if (i == b && digits > 0 && frac <= 22) {
        v = (double)m / pow10[frac];
        *out = neg ? -v : v;
        return 0;
    }
    /* strtod needs an end: the byte after the token in the copy is ours to borrow */
    save = x->c[b];
    x->c[b] = '\0';
    errno = 0;
    v = strtod(x->c + a, &end);
    x->c[b] = save;
    if (end != x->c + b || end == x->c + a)
        return -1;
    if (errno == ERANGE && (v > 1.0 || v < -1.0))
        return -1; /* overflow; Go also takes an underflow to 0 without error */
    *out = v;
    return 0;
}

/* upstream's scanNumber, then the value: *pi is at the value's first byte, and is left on the
 * byte after it. Returns NULL or the reason. */
static const char *ing_lp_number(ing_lp_ctx_t *x, size_t *pi, ing_field_t *f)
{
    const char *s = x->s;
    size_t n = x->n, start = *pi, i = start, digits;
    int isint = 0, isuns = 0, dec = 0, sci = 0;

    if (s[i] == '-' && ++i == n)
        return ING_LP_EINVNUM;
    for (; i < n && s[i] != ',' && s[i] != ' '; i++) {
        char c = s[i];

        if ((c == 'i' || c == 'u') && i > start && !(isint || isuns)) {
            isint = c == 'i';
            isuns = c == 'u';
            continue;
        }
        if (c == '.') {
            if (dec)
                return ING_LP_EINVNUM;
            dec = 1;
        }
        if (i > start && (c == 'e' || c == 'E')) {
            sci = 1;
            continue;
        }
        if ((c == '+' || c == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'))
            continue;
        if (!((c >= '0' && c <= '9') || c == '.'))
            return ING_LP_EINVNUM; /* NaN included: upstream refuses it */
    }
    if ((isint || isuns) && (dec || sci))
        return ING_LP_EINVNUM;
    digits = i - start - (size_t)isint - (size_t)dec - (s[start] == '-');
    if (digits == 0)
        return ING_LP_EINVNUM;
    if (isint) {
        if (s[i - 1] != 'i')
            return ING_LP_EINVNUM; /* 9i10 */
        if (ing_lp_atoi(s, start, i - 1, &f->i) < 0)
            return ing_lp_join(x->a, 5, ING_LP_LIT("unable to parse integer "), s + start,
                               i - 1 - start, ING_LP_LIT(": strconv.ParseInt: parsing \""),
                               s + start, i - 1 - start, ING_LP_LIT("\": value out of range"));
        f->type = ING_F_INT;
    } else if (isuns) {
        if (s[i - 1] != 'u' || s[start] == '-')
            return ING_LP_EINVNUM;
        if (ing_lp_atou(s, start, i - 1, &f->u) < 0)
            return ing_lp_join(x->a, 5, ING_LP_LIT("unable to parse unsigned "), s + start,
                               i - 1 - start, ING_LP_LIT(": strconv.ParseUint: parsing \""),
                               s + start, i - 1 - start, ING_LP_LIT("\": value out of range"));
        f->type = ING_F_UINT;
    } else {
        if (ing_lp_atof(x, start, i, &f->f) < 0)
            return "invalid float";
        f->type = ING_F_FLOAT;
    }
    *pi = i;
    return NULL;
}

/* upstream's scanBoolean: *pi at the value's first byte, left after it. */
static const char *ing_lp_bool(ing_lp_ctx_t *x, size_t *pi, ing_field_t *f)
{
    static const struct {
        const char *w;
        size_t n;
        int v;
    } words[] = {{"t", 1, 1}, {"T", 1, 1}, {"true", 4, 1},  {"True", 4, 1},  {"TRUE", 4, 1},
                 {"f", 1, 0}, {"F", 1, 0}, {"false", 5, 0}, {"False", 5, 0}, {"FALSE", 5, 0}};
    const char *s = x->s;
    size_t start = *pi, i = start;

    while (i < x->n && s[i] != ',' && s[i] != ' ')
        i++;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        if (i - start == words[k].n && memcmp(s + start, words[k].w, words[k].n) == 0) {
            f->type = ING_F_BOOL;
            f->b = words[k].v;
            *pi = i;
            return NULL;
        }
    }
    return "invalid boolean";
}

/* A quoted string: *pi at the opening quote, left after the closing one. */
static const char *ing_lp_string(ing_lp_ctx_t *x, size_t *pi, ing_field_t *f)
{
    const char *s = x->s;
    size_t n = x->n, a = *pi + 1, i = a;
    int bs = 0;

    for (;;) {
        while (i < n && !(ing_lp_cls[(unsigned char)s[i]] & ING_LP_C_STR))
            i++;
        if (i >= n)
            return "unbalanced quotes";
        if (s[i] == '\\' && i + 1 < n) {
            if (s[i + 1] == '\0')
                return ING_LP_ENUL;
            bs = 1;
            i += 2;
            continue;
        }
        if (s[i] == '\0')
            return ING_LP_ENUL;
        if (s[i] == '"')
            break;
        i++; /* a backslash ending the line is a plain byte */
    }
    f->type = ING_F_STRING;
    f->s = ing_lp_tok(x, a, i, bs, ING_LP_E_STR);
    i++;
    /* upstream scans on to the next ',' or ' ' and stores `"x"y` as the string `x"`; refuse */
    if (i < n && s[i] != ',' && s[i] != ' ')
        return "invalid field format";
    *pi = i;
    return NULL;
}

static int ing_lp_span_cmp(const void *p, const void *q)
{
    const ing_lp_span_t *a = p, *b = q;
    int c = memcmp(a->raw, b->raw, a->len < b->len ? a->len : b->len);

    if (c != 0)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Whether two tag keys are equal as written (upstream compares the escaped bytes). */
static int ing_lp_dup_tags(ing_lp_ctx_t *x)
{
    size_t n = x->ntags, i;
    ing_lp_span_t *v;

    for (i = 1; i < n; i++) {
        int c = ing_lp_span_cmp(&x->spans[i - 1], &x->spans[i]);

        if (c == 0)
            return 1;
        if (c > 0)
            break;
    }
    if (i >= n)
        return 0; /* sorted and distinct: what Telegraf sends */
    v = vg_arena_alloc(x->a, n * sizeof *v);
    memcpy(v, x->spans, n * sizeof *v);
    qsort(v, n, sizeof *v, ing_lp_span_cmp);
    for (i = 1; i < n; i++)
        if (ing_lp_span_cmp(&v[i - 1], &v[i]) == 0)
            return 1;
    return 0;
}

typedef struct {
    const char *key;
    size_t idx;
} ing_lp_fkey_t;

static int ing_lp_fkey_cmp(const void *p, const void *q)
{
    const ing_lp_fkey_t *a = p, *b = q;
    int c = strcmp(a->key, b->key);

    if (c != 0)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Drops every field whose key comes again later in the line, keeping the order. */
static void ing_lp_dedup_fields(ing_lp_ctx_t *x)
{
    size_t n = x->nfields, w = 0;
    ing_field_t *f = x->fields;

    if (n < 2)
        return;
    if (n <= 16) {
        for (size_t i = 0; i < n; i++) {
            size_t j = i + 1;

            while (j < n && strcmp(f[i].key, f[j].key) != 0)
                j++;
            if (j == n)
                f[w++] = f[i];
        }
    } else {
        ing_lp_fkey_t *k = vg_arena_alloc(x->a, n * sizeof *k);

        for (size_t i = 0; i < n; i++)
            k[i] = (ing_lp_fkey_t){f[i].key, i};
        qsort(k, n, sizeof *k, ing_lp_fkey_cmp);
        for (size_t i = 0; i + 1 < n; i++)
            if (strcmp(k[i].key, k[i + 1].key) == 0)
                f[k[i].idx].key = NULL; /* a later field has this key */
        for (size_t i = 0; i < n; i++)
            if (f[i].key != NULL)
                f[w++] = f[i];
    }
    x->nfields = w;
}

/* The measurement and tags: upstream's scanMeasurement and scanTags, where a byte is escaped
 * when the byte before it is a backslash. Leaves *pi on the space before the fields. */
static const char *ing_lp_key(ing_lp_ctx_t *x, size_t *pi, ing_point_t *pt)
{
    const char *s = x->s;
    size_t n = x->n, i = 1;
    int bs = s[0] == '\\';

    if (s[0] == ',')
        return "missing measurement";
    for (;; i++) {
        while (i < n && !(ing_lp_cls[(unsigned char)s[i]] & ING_LP_C_MEAS))
            i++;
        if (i >= n)
            return "missing fields";
        if (s[i] == '\0')
            return ING_LP_ENUL;
        if (s[i - 1] == '\\')
            continue;
        if (s[i] == '\\') {
            bs = 1;
            continue;
        }
        break; /* ',' or ' ' */
    }
    pt->measurement = ing_lp_tok(x, 0, i, bs, ING_LP_E_MEAS);
    x->ntags = 0;
    while (s[i] == ',') {
        size_t k = ++i, v;
        int vbs;

        if (i >= n || s[i] == ' ' || s[i] == ',' || s[i] == '=')
            return "missing tag key";
        if (s[i] == '\0')
            return ING_LP_ENUL;
        bs = s[i] == '\\';
        for (i++;; i++) {
            while (i < n && !(ing_lp_cls[(unsigned char)s[i]] & ING_LP_C_KEY))
                i++;
            if (i >= n)
                return "missing tag value";
            if (s[i] == '\0')
                return ING_LP_ENUL;
            if (s[i - 1] == '\\')
                continue;
            if (s[i] == '\\') {
                bs = 1;
                continue;
            }
            if (s[i] == '=')
                break;
            return "missing tag value"; /* cpu,tag{' ', ','} */
        }
        v = ++i;
        if (i >= n || s[i] == ',' || s[i] == ' ')
            return "missing tag value";
        if (s[i] == '\0')
            return ING_LP_ENUL;
        vbs = s[i] == '\\';
        for (i++;; i++) { /* the first byte may be '=': upstream checks from the second */
            while (i < n && !(ing_lp_cls[(unsigned char)s[i]] & ING_LP_C_KEY))
                i++;
            if (i >= n)
                return "missing fields";
            if (s[i] == '\0')
                return ING_LP_ENUL;
            if (s[i - 1] == '\\')
                continue;
            if (s[i] == '\\') {
                vbs = 1;
                continue;
            }
            if (s[i] == '=')
                return "invalid tag format";
            break; /* ',' or ' ' */
        }
        if (x->ntags == x->cap_tags) {
            size_t cap = x->cap_tags ? 2 * x->cap_tags : 16;
            ing_label_t *t = vg_arena_alloc(x->a, cap * sizeof *t);
            ing_lp_span_t *sp = vg_arena_alloc(x->a, cap * sizeof *sp);

            if (x->ntags > 0) {
                memcpy(t, x->tags, x->ntags * sizeof *t);
                memcpy(sp, x->spans, x->ntags * sizeof *sp);
            }
            x->tags = t;
            x->spans = sp;
            x->cap_tags = cap;
        }
        x->spans[x->ntags] = (ing_lp_span_t){s + k, v - 1 - k};
        x->tags[x->ntags++] = (ing_label_t){ing_lp_tok(x, k, v - 1, bs, ING_LP_E_KEY),
                                            ing_lp_tok(x, v, i, vbs, ING_LP_E_KEY)};
    }
    *pi = i;
    return NULL;
}

/* One line (x->s, x->n, no leading blank): NULL and *pt filled, with tags and fields in x's
 * scratch arrays, or the reason it is bad. */
static const char *ing_lp_line(ing_lp_ctx_t *x, ing_point_t *pt)
{
    const char *s = x->s, *r;
    size_t n = x->n, i, keylen, big = 0, t0;
    int broken = 0;
    int64_t ts;

    if ((r = ing_lp_key(x, &i, pt)) != NULL)
        return r;
    keylen = i;
    if (x->ntags > 1 && ing_lp_dup_tags(x))
        return "duplicate tags";
    if (keylen > ING_LP_MAX_KEY)
        return vg_arena_sprintf(x->a, "max key length exceeded: %zu > %d", keylen, ING_LP_MAX_KEY);

    /* fields: upstream's scanFields, one key=value segment at a time; a backslash skips the
     * byte after it */
    x->nfields = 0;
    for (i = ing_lp_skipws(s, i, n); i < n;) {
        size_t k = i;
        int bs = 0;
        ing_field_t *f;

        for (;;) {
            while (i < n && !(ing_lp_cls[(unsigned char)s[i]] & ING_LP_C_KEY))
                i++;
            if (i >= n || s[i] == '=' || s[i] == ',' || s[i] == ' ')
                break;
            if (s[i] == '\0')
                return ING_LP_ENUL;
            bs = 1; /* a backslash keeps the byte after it in the key, if there is one */
            if (++i < n) {
                if (s[i] == '\0')
                    return ING_LP_ENUL;
                i++;
            }
        }
        if (i >= n || s[i] != '=') { /* a segment without '=': a=1,b */
            broken = 1;
            if (i < n && s[i] == ',' && ++i < n)
                continue;
            break;
        }
        if (i == k)
            return "missing field key";
        if (i + 1 >= n || s[i + 1] == ',' || s[i + 1] == ' ')
            return "missing field value";
        if (big == 0 && keylen + 4 + (i - k) > ING_LP_MAX_KEY)
            big = keylen + 4 + (i - k); /* upstream's seriesKeySize, checked after the scan */
        x->fields = ing_lp_grow(x->a, x->fields, x->nfields, &x->cap_fields, sizeof *x->fields);
        f = &x->fields[x->nfields++];
        memset(f, 0, sizeof *f);
        f->key = ing_lp_tok(x, k, i, bs, ING_LP_E_KEY);
        i++;
        if ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == 'N' ||
            s[i] == 'n')
            r = ing_lp_number(x, &i, f);
        else if (s[i] == '"')
            r = ing_lp_string(x, &i, f);
        else
            r = ing_lp_bool(x, &i, f);
        if (r != NULL)
            return r;
        if (i >= n || s[i] == ' ')
            break;
        if (++i >= n) /* past ',': a=1, */
            broken = 1;
    }
    if (broken || x->nfields == 0)
        return "invalid field format";
    if (big != 0)
        return vg_arena_sprintf(x->a, "max key length exceeded: %zu > %d", big, ING_LP_MAX_KEY);

    /* timestamp: upstream's scanTime, then ParseInt, SafeCalcTime and the trailing check */
    t0 = i = ing_lp_skipws(s, i, n);
    for (; i < n && s[i] != '\n' && s[i] != ' '; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(i == t0 && s[i] == '-'))
            return "bad timestamp";
    if (i == t0) {
        pt->t_ns = x->now;
    } else {
        if (i - t0 == 1 && s[t0] == '-')
            return "strconv.ParseInt: parsing \"-\": invalid syntax";
        if (ing_lp_atoi(s, t0, i, &ts) < 0)
            return ing_lp_join(x->a, 3, ING_LP_LIT("strconv.ParseInt: parsing \""), s + t0, i - t0,
                               ING_LP_LIT("\": value out of range"));
        if (__builtin_mul_overflow(ts, x->mult, &pt->t_ns) || pt->t_ns < ING_LP_MIN_NANO ||
            pt->t_ns > ING_LP_MAX_NANO)
            return ING_LP_ERANGE;
        for (; i < n; i++)
            if (s[i] != ' ')
                return "point is invalid";
    }
    ing_lp_dedup_fields(x);
    return NULL;
}

/* upstream's scanLine: the end of the line starting at p, where a '\n' inside a quoted field
 * value or after a backslash does not end it. */
static size_t ing_lp_scanline(const char *p, size_t n)
{
    size_t i = 0, equals = 0, commas = 0;
    int quoted = 0, fields = 0;

    while (i < n) {
        if (p[i] == '\\') {
            i += 2;
            continue;
        }
        if (p[i] == ' ')
            fields = 1;
        if (fields) {
            if (!quoted && p[i] == '=') {
                i++;
                equals++;
                continue;
            } else if (!quoted && p[i] == ',') {
                i++;
                commas++;
                continue;
            } else if (p[i] == '"' && equals > commas) {
                i++;
                quoted = !quoted;
                continue;
            }
        }
        if (p[i] == '\n' && !quoted)
            break;
        i++;
    }
    return i < n ? i : n;
}

static void ing_lp_report(ing_lp_ctx_t *x, vg_err_t *err, size_t lineno, const char *reason,
                          int first)
{
    char *d;

    if (err == NULL)
        return;
    d = ing_lp_join(x->a, 4, ING_LP_LIT("unable to parse '"), x->s, x->n, ING_LP_LIT("': "), reason,
                    strlen(reason));
    if (first)
        vg_fail(err, VG_EINVAL, "%s", d);
    vg_err_add(err, x->a, reason, d, vg_arena_sprintf(x->a, "line %zu", lineno));
}

int ing_lp_parse(ing_batch_t *b, const char *body, size_t len, const char *precision,
                 int64_t now_ns, vg_err_t *err)
{
    ing_lp_ctx_t x = {.a = b->arena, .mult = ing_lp_mult(precision)};
    size_t pos = 0, lineno = 1, nbad = 0;
    char *copy;

    if (__builtin_mul_overflow(ing_lp_floordiv(now_ns, x.mult), x.mult, &x.now))
        x.now = now_ns; /* only a clock near 1677 could get here */
    if (len == 0)
        return VG_OK;
    copy = vg_arena_alloc(b->arena, len + 1);
    memcpy(copy, body, len);
    copy[len] = '\0';
    while (pos < len) {
        const char *p = body + pos, *nl = memchr(p, '\n', len - pos), *r;
        size_t seg = nl ? (size_t)(nl - p) : len - pos, bl, st = 0, at = lineno;
        ing_point_t pt = {0};

        /* only a quote or a backslash can move the end past the first '\n' */
        if (memchr(p, '"', seg) != NULL || memchr(p, '\\', seg) != NULL) {
            seg = ing_lp_scanline(p, len - pos);
            for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + seg - q))) != NULL; q++)
                lineno++;
        }
        lineno++;
        pos += seg + 1;
        bl = seg;
        if (bl > 0 && p[bl - 1] == '\n')
            bl--; /* escaped by a backslash, which stays */
        if (bl > 0 && p[bl - 1] == '\r')
            bl--; /* CRLF; upstream would call the '\r' a bad number or timestamp */
        st = ing_lp_skipws(p, 0, bl);
        if (st == bl || p[st] == '#')
            continue;
        x.s = p + st;
        x.c = copy + (p - body) + st;
        x.n = bl - st;
        if ((r = ing_lp_line(&x, &pt)) != NULL) {
            ing_lp_report(&x, err, at, r, nbad++ == 0);
            continue;
        }
        if (nbad > 0)
            continue; /* the batch is discarded: keep only finding the bad lines */
        pt.ntags = x.ntags;
        if (x.ntags > 0) {
            pt.tags = vg_arena_alloc(b->arena, x.ntags * sizeof *pt.tags);
            memcpy(pt.tags, x.tags, x.ntags * sizeof *pt.tags);
        }
        pt.nfields = x.nfields;
        pt.fields = vg_arena_alloc(b->arena, x.nfields * sizeof *pt.fields);
        memcpy(pt.fields, x.fields, x.nfields * sizeof *pt.fields);
        *ing_batch_add_point(b) = pt;
    }
    return nbad > 0 ? VG_EINVAL : VG_OK;
}

int ing_lp_to_samples(ing_batch_t *b, vg_err_t *err)
{
    ing_label_t *ls = NULL;
    size_t cap = 0;

    for (size_t p = 0; p < b->npoints; p++) {
        const ing_point_t *pt = &b->points[p];
        int64_t t_ms = ing_lp_floordiv(pt->t_ns, 1000000);
        size_t n = 1, ml = strlen(pt->measurement);

        if (pt->ntags + 1 > cap) {
            cap = 2 * (pt->ntags + 1);
            ls = vg_arena_alloc(b->arena, cap * sizeof *ls);
        }
        for (size_t i = 0; i < pt->ntags; i++)
            if (strcmp(pt->tags[i].name, "__name__") != 0)
                ls[n++] = pt->tags[i];
        for (size_t i = 0; i < pt->nfields; i++) {
            const ing_field_t *f = &pt->fields[i];
            double v;
            int rc;

            switch (f->type) {
            case ING_F_FLOAT:
                v = f->f;
                break;
            case ING_F_INT:
                v = (double)f->i;
                break;
            case ING_F_UINT:
                v = (double)f->u;
                break;
            case ING_F_BOOL:
                v = f->b ? 1.0 : 0.0;
                break;
            default:
                continue; /* strings are not samples (DESIGN.md) */
            }
            if (strcmp(f->key, "value") == 0) {
                ls[0] = (ing_label_t){"__name__", pt->measurement};
            } else {
                size_t fl = strlen(f->key);
                char *name = vg_arena_alloc(b->arena, ml + 1 + fl + 1);

                memcpy(name, pt->measurement, ml);
                name[ml] = '_';
                memcpy(name + ml + 1, f->key, fl + 1);
                ls[0] = (ing_label_t){"__name__", name};
            }
            if ((rc = ing_batch_add_sample(b, ls, n, t_ms, v, err)) < 0)
                return rc;
        }
    }
    return VG_OK;
}
