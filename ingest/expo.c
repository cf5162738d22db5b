/* ingest/expo.c - Prometheus text 0.0.4 and OpenMetrics 1.0 text into an ing_batch_t, in one
 * pass with no allocation outside the batch's arena. Error texts are prometheus/common expfmt's
 * TextParser ("text format parsing error in line N: ..."); what only OpenMetrics has uses the
 * words of Prometheus's model/textparse/openmetricsparse.go.
 * SPDX-License-Identifier: MIT */
#include "expo.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ING_EXPO_LABELS    16  /* initial label capacity; grows in the arena */
#define ING_EXPO_QUOTE_MAX 120 /* bytes of a token quoted in a message; longer ones get "..." */
#define ING_EXPO_PROBES    32  /* string table probes before a string is just copied */

enum {
    ING_EXPO_FAM_TYPE = 1, /* a TYPE line or a sample was seen (expfmt's "Type != nil") */
    ING_EXPO_FAM_HELP = 2,
    ING_EXPO_FAM_SUMMARY = 4,
    ING_EXPO_FAM_HISTOGRAM = 8,
};

/* A string of the previous sample, by position, so a repeated name or value is not copied again. */
typedef struct {
    const char *raw; /* as written in the body, escapes included */
    size_t n;
    const char *s; /* its unescaped arena copy; NULL = empty slot */
} ing_expo_memo_t;

/* A string of this body, interned so that each distinct name or value is copied once. */
typedef struct {
    const char *raw; /* as written in the body */
    size_t n;
    uint64_t hash;
    const char *s; /* NULL = empty slot */
} ing_expo_str_t;

/* A 0.0.4 metric family, for the one-HELP, one-TYPE, TYPE-before-samples rules. */
typedef struct {
    const char *name; /* in the body; NULL = empty slot */
    size_t len;
    uint64_t hash;
    unsigned flags; /* ING_EXPO_FAM_* */
} ing_expo_fam_t;

typedef struct {
    ing_batch_t *b;
    vg_arena_t *a;
    vg_err_t *err;
    const char *p, *end;
    size_t line; /* 1-based number of the line p is on */
    int om;
    int64_t now_ms;
    ing_label_t *labels;   /* the current sample's labels; [0] is __name__ */
    ing_expo_memo_t *memo; /* [2i] name, [2i+1] value of label i of the previous sample */
    size_t nlabels, cap;
    ing_expo_str_t *strs; /* open addressing, cap_strs a power of two */
    size_t nstrs, cap_strs;
    ing_expo_fam_t *fams; /* 0.0.4 only: open addressing, cap_fams a power of two */
    size_t nfams, cap_fams;
    ing_meta_t *meta; /* the entry ing_batch_meta returned last, for meta_name[0..meta_len) */
    const char *meta_name;
    size_t meta_len;
} ing_expo_t;

static int ing_expo_lstart(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ing_expo_lcont(unsigned char c)
{
    return ing_expo_lstart(c) || (c >= '0' && c <= '9');
}

static int ing_expo_mstart(unsigned char c)
{
    return ing_expo_lstart(c) || c == ':';
}

static int ing_expo_mcont(unsigned char c)
{
    return ing_expo_lcont(c) || c == ':';
}

static int ing_expo_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static void ing_expo_skip_blank(ing_expo_t *x)
{
    while (x->p < x->end && ing_expo_blank((unsigned char)*x->p))
        x->p++;
}

static int ing_expo_at_eol(const ing_expo_t *x)
{
    return x->p == x->end || *x->p == '\n';
}

/* Returns the end of the token at x->p: the next blank, newline or the end of input. */
static const char *ing_expo_token_end(const ing_expo_t *x)
{
    const char *q = x->p;

    while (q < x->end && *q != ' ' && *q != '\t' && *q != '\n')
        q++;
    return q;
}

/* Returns the end of the line at x->p (its newline, or the end of input). */
static const char *ing_expo_eol(const ing_expo_t *x)
{
    const char *q;

    /* p never passes end; the check lets the compiler see the length is not negative */
    if (x->p >= x->end)
        return x->end;
    q = memchr(x->p, '\n', (size_t)(x->end - x->p));
    return q != NULL ? q : x->end;
}

/* Returns the length of the valid UTF-8 sequence at s[0..n), or 0 (overlong forms, surrogates and
 * code points above U+10FFFF are invalid, as for Go's utf8.Valid). */
static size_t ing_expo_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

/* Returns 1 if s[0..n) is UTF-8 without NUL: a C string can then hold it unchanged. */
static int ing_expo_text_ok(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t k;

        if (u[i] == 0 || (k = ing_expo_utf8_len(u + i, n - i)) == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Returns s[0..n) as Go's %q would print it (escapes for quotes, backslashes, controls and
 * invalid UTF-8), in the arena; at most ING_EXPO_QUOTE_MAX bytes, then "...". */
static const char *ing_expo_quote(vg_arena_t *a, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t m = n > ING_EXPO_QUOTE_MAX ? ING_EXPO_QUOTE_MAX : n;
    char *out = vg_arena_alloc(a, m * 4 + 8), *o = out;
    const unsigned char *u = (const unsigned char *)s;

    *o++ = '"';
    for (size_t i = 0; i < m;) {
        unsigned char c = u[i];
        size_t k;
        const char *e = NULL;

        switch (c) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\a':
            e = "\\a";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        case '\v':
            e = "\\v";
            break;
        }
        if (e != NULL) {
            *o++ = e[0];
            *o++ = e[1];
            i++;
        } else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
            i++;
        } else if (c >= 0x80 && (k = ing_expo_utf8_len(u + i, m - i)) > 0) {
            memcpy(o, u + i, k);
            o += k;
            i += k;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            i++;
        }
    }
    *o++ = '"';
    if (n > m) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* Returns the byte c as Go's %q prints a byte: a rune literal such as 'x' or '\n'. */
static const char *ing_expo_quote_byte(vg_arena_t *a, unsigned char c)
{
    static const char esc[] = "\a\b\f\n\r\t\v", let[] = "abfnrtv";
    const char *e = c != 0 ? strchr(esc, c) : NULL;

    if (e != NULL)
        return vg_arena_sprintf(a, "'\\%c'", let[e - esc]);
    if (c == '\'' || c == '\\')
        return vg_arena_sprintf(a, "'\\%c'", c);
    if (c >= 0x20 && c < 0x7f)
        return vg_arena_sprintf(a, "'%c'", c);
    if (c < 0x80)
        return vg_arena_sprintf(a, "'\\x%02x'", c);
    if (c <= 0xa0 || c == 0xad) /* not printable as a rune: Go writes \u00XX */
        return vg_arena_sprintf(a, "'\\u%04x'", c);
    return vg_arena_sprintf(a, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

/* Copies raw[0..n) into the arena, replacing \\ \" \n; the scanner has already checked that
 * nothing else follows a backslash. */
static char *ing_expo_unescape(vg_arena_t *a, const char *raw, size_t n)
{
    char *out = vg_arena_alloc(a, n + 1), *o = out;

    for (size_t i = 0; i < n; i++) {
        if (raw[i] == '\\' && i + 1 < n) {
            i++;
            *o++ = raw[i] == 'n' ? '\n' : raw[i];
        } else {
            *o++ = raw[i];
        }
    }
    *o = '\0';
    return out;
}

/* Fills err for a problem on line and returns VG_EINVAL. */
static int ing_expo_fail_at(ing_expo_t *x, size_t line, const char *problem)
{
    vg_fail(x->err, VG_EINVAL, "text format parsing error in line %zu: %s", line, problem);
    if (x->err != NULL)
        vg_err_add(x->err, x->a, "text format parsing error", problem,
                   vg_arena_sprintf(x->a, "line %zu", line));
    return VG_EINVAL;
}

static int ing_expo_fail(ing_expo_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills err for a problem on the current line and returns VG_EINVAL. */
static int ing_expo_fail(ing_expo_t *x, const char *fmt, ...)
{
    va_list ap;
    char *problem;

    va_start(ap, fmt);
    problem = vg_arena_vsprintf(x->a, fmt, ap);
    va_end(ap);
    return ing_expo_fail_at(x, x->line, problem);
}

static int ing_expo_fail_eos(ing_expo_t *x)
{
    return ing_expo_fail(x, "unexpected end of input stream");
}

static uint64_t ing_expo_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Returns the arena string for raw[0..n) (unescaped if esc), copying each distinct raw string of
 * the body once. A table is used rather than a tree so that a lookup costs one hash; probing
 * stops after ING_EXPO_PROBES slots, so crafted collisions cost copies, not quadratic time. */
static const char *ing_expo_intern(ing_expo_t *x, const char *raw, size_t n, int esc)
{
    uint64_t h = ing_expo_hash(raw, n);
    size_t mask;

    if ((x->nstrs + 1) * 2 > x->cap_strs) {
        size_t cap = x->cap_strs ? x->cap_strs * 2 : 256;
        ing_expo_str_t *t = vg_arena_calloc(x->a, cap * sizeof *t);

        for (size_t i = 0; i < x->cap_strs; i++) {
            size_t j;

            if (x->strs[i].s == NULL)
                continue;
            for (j = x->strs[i].hash & (cap - 1); t[j].s != NULL; j = (j + 1) & (cap - 1))
                ;
            t[j] = x->strs[i];
        }
        x->strs = t;
        x->cap_strs = cap;
    }
    mask = x->cap_strs - 1;
    for (size_t i = h & mask, probes = 0; probes < ING_EXPO_PROBES; i = (i + 1) & mask, probes++) {
        ing_expo_str_t *e = &x->strs[i];

        if (e->s == NULL) {
            e->s = esc ? ing_expo_unescape(x->a, raw, n) : vg_arena_strndup(x->a, raw, n);
            e->raw = raw;
            e->n = n;
            e->hash = h;
            x->nstrs++;
            return e->s;
        }
        if (e->hash == h && e->n == n && memcmp(e->raw, raw, n) == 0)
            return e->s;
    }
    return esc ? ing_expo_unescape(x->a, raw, n) : vg_arena_strndup(x->a, raw, n);
}

/* Returns the arena string for raw[0..n), without even a hash when the previous sample had the
 * same bytes in this position (most samples repeat their neighbour's names and many values). */
static const char *ing_expo_memo(ing_expo_t *x, ing_expo_memo_t *m, const char *raw, size_t n,
                                 int esc)
{
    if (m->s != NULL && m->n == n && memcmp(m->raw, raw, n) == 0)
        return m->s;
    m->raw = raw;
    m->n = n;
    m->s = ing_expo_intern(x, raw, n, esc);
    return m->s;
}

static void ing_expo_grow_labels(ing_expo_t *x)
{
    size_t cap = x->cap * 2;
    ing_label_t *l = vg_arena_alloc(x->a, cap * sizeof *l);
    ing_expo_memo_t *m = vg_arena_calloc(x->a, 2 * cap * sizeof *m);

    memcpy(l, x->labels, x->nlabels * sizeof *l);
    memcpy(m, x->memo, 2 * x->cap * sizeof *m);
    x->labels = l;
    x->memo = m;
    x->cap = cap;
}

/* Go's strconv special values: [+-]inf, [+-]infinity, nan, any case. */
static int ing_expo_special(const char *s, size_t n, double *v)
{
    size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
    uint64_t bits = ING_EXPO_NAN_BITS;

    if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
        memcpy(v, &bits, sizeof *v);
        return 1;
    }
    if ((n - i == 3 && strncasecmp(s + i, "inf", 3) == 0) ||
        (n - i == 8 && strncasecmp(s + i, "infinity", 8) == 0)) {
        *v = s[0] == '-' ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

/* Clinger's fast path: a plain decimal of at most 15 digits is an integer below 2^53 divided by
 * an exact power of ten, so one IEEE division rounds it correctly, exactly as strtod would.
 * Returns 1 with *v set, or 0 to leave s to strtod. */
static int ing_expo_float_fast(const char *s, size_t n, double *v)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
    uint64_t m = 0;
    int digits = 0, fd = 0, dot = 0;
    double r;

    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';

        if (d <= 9) {
            if (++digits > 15)
                return 0;
            m = m * 10 + d;
            fd += dot;
        } else if (s[i] == '.' && !dot) {
            dot = 1;
        } else {
            return 0;
        }
    }
    if (digits == 0)
        return 0;
    r = (double)m / p10[fd];
    *v = s[0] == '-' ? -r : r;
    return 1;
}

/* Parses s[0..n) as Go's strconv.ParseFloat does for decimal input (hex and '_' are refused, as
 * Prometheus's parseFloat refuses them) into *v. Returns 0, or -1 if it is not a float. strtod
 * reads the C locale's decimal point: vigil never calls setlocale. */
static int ing_expo_float(ing_expo_t *x, const char *s, size_t n, double *v)
{
    char buf[64], *tmp = buf, *endp;
    int digits = 0;

    if (n == 0)
        return -1;
    if (ing_expo_float_fast(s, n, v) || ing_expo_special(s, n, v))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c >= '0' && c <= '9')
            digits = 1;
        else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
            return -1;
    }
    if (!digits)
        return -1;
    if (n >= sizeof buf)
        tmp = vg_arena_alloc(x->a, n + 1);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *v = strtod(tmp, &endp);
    if (endp != tmp + n || (errno == ERANGE && isinf(*v)))
        return -1; /* underflow to 0 or a denormal is fine, as in Go */
    return 0;
}

/* Parses s[0..n) as Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits. */
static int ing_expo_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    int neg = n > 0 && s[0] == '-';
    uint64_t u = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

    if (i == n)
        return -1;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';

        if (d > 9 || u > (lim - d) / 10)
            return -1;
        u = u * 10 + d;
    }
    if (neg)
        *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    else
        *out = (int64_t)u;
    return 0;
}

/* Parses an OpenMetrics timestamp (seconds, a float) into milliseconds, truncated toward zero.
 * Plain decimals are converted exactly (1520879607.789 is 1520879607789, which float arithmetic
 * can miss by one); exponent forms go through strtod. Returns 0, -1 if s is not a float, or -2
 * if it is NaN, infinite or out of int64 milliseconds. */
static int ing_expo_om_ts(ing_expo_t *x, const char *s, size_t n, int64_t *out)
{
    size_t i = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    int neg = n > 0 && s[0] == '-', digits = 0;
    uint64_t ip = 0, frac = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, ms;
    int nfrac = 0, big = 0;
    double v;

    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits = 1) {
        if (ip > UINT64_MAX / 100)
            big = 1; /* keeps scanning; too large for milliseconds anyway */
        else
            ip = ip * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits = 1) {
            if (nfrac < 3) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                nfrac++;
            }
        }
    }
    if (i == n && digits) {
        for (; nfrac < 3; nfrac++)
            frac *= 10;
        if (big || ip > (lim - frac) / 1000)
            return -2;
        ms = ip * 1000 + frac;
        if (neg)
            *out = ms == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)ms;
        else
            *out = (int64_t)ms;
        return 0;
    }
    if (ing_expo_float(x, s, n, &v) < 0)
        return -1;
    v *= 1000;
    if (!(v > -9223372036854775808.0 && v < 9223372036854775808.0))
        return -2; /* NaN, infinities, and what int64 cannot hold */
    *out = (int64_t)v;
    return 0;
}

/* Returns the family named name[0..n), adding it when add is set (else NULL if absent). */
static ing_expo_fam_t *ing_expo_fam_get(ing_expo_t *x, const char *name, size_t n, int add)
{
    uint64_t h = ing_expo_hash(name, n);
    size_t mask;

    if (add && (x->nfams + 1) * 2 > x->cap_fams) {
        size_t cap = x->cap_fams ? x->cap_fams * 2 : 64;
        ing_expo_fam_t *t = vg_arena_calloc(x->a, cap * sizeof *t);

        for (size_t i = 0; i < x->cap_fams; i++) {
            size_t j;

            if (x->fams[i].name == NULL)
                continue;
            for (j = x->fams[i].hash & (cap - 1); t[j].name != NULL; j = (j + 1) & (cap - 1))
                ;
            t[j] = x->fams[i];
        }
        x->fams = t;
        x->cap_fams = cap;
    }
    if (x->cap_fams == 0)
        return NULL;
    mask = x->cap_fams - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        ing_expo_fam_t *f = &x->fams[i];

        if (f->name == NULL) {
            if (!add)
                return NULL;
            *f = (ing_expo_fam_t){name, n, h, 0};
            x->nfams++;
            return f;
        }
        if (f->hash == h && f->len == n && memcmp(f->name, name, n) == 0)
            return f;
    }
}

static int ing_expo_suffix(const char *name, size_t n, const char *sfx, size_t k)
{
    return n > k && memcmp(name + n - k, sfx, k) == 0;
}

/* Returns the family a sample or metadata line named name[0..n) belongs to, as expfmt decides:
 * the family of that exact name if known, else the summary whose _sum/_count it is, else the
 * histogram whose _sum/_count/_bucket it is, else a new family of that name. */
static ing_expo_fam_t *ing_expo_fam_resolve(ing_expo_t *x, const char *name, size_t n)
{
    ing_expo_fam_t *f = ing_expo_fam_get(x, name, n, 0);
    size_t k = 0;

    if (f != NULL)
        return f;
    if (ing_expo_suffix(name, n, "_count", 6))
        k = 6;
    else if (ing_expo_suffix(name, n, "_sum", 4))
        k = 4;
    if (k != 0 && (f = ing_expo_fam_get(x, name, n - k, 0)) != NULL &&
        (f->flags & (ING_EXPO_FAM_SUMMARY | ING_EXPO_FAM_HISTOGRAM)) != 0)
        return f;
    if (k == 0 && ing_expo_suffix(name, n, "_bucket", 7) &&
        (f = ing_expo_fam_get(x, name, n - 7, 0)) != NULL &&
        (f->flags & ING_EXPO_FAM_HISTOGRAM) != 0)
        return f;
    return ing_expo_fam_get(x, name, n, 1);
}

/* Returns the batch's metadata entry for name[0..n). */
static ing_meta_t *ing_expo_meta(ing_expo_t *x, const char *name, size_t n)
{
    /* a HELP line is usually followed by the TYPE line of the same family: skip the lookup */
    if (x->meta != NULL && x->meta_len == n && memcmp(x->meta_name, name, n) == 0)
        return x->meta;
    x->meta = ing_batch_meta(x->b, vg_arena_strndup(x->a, name, n));
    x->meta_name = name;
    x->meta_len = n;
    return x->meta;
}

/* Scans a quoted label value; x->p is on the opening quote and ends after the closing one. */
static int ing_expo_lvalue(ing_expo_t *x, const char **raw, size_t *n, int *esc)
{
    const char *s = ++x->p, *q;
    int odd = 0; /* a byte >= 0x80 or NUL: needs the full UTF-8 check */

    *esc = 0;
    for (q = s; q < x->end && *q != '"'; q++) {
        unsigned char c = (unsigned char)*q;

        if (c == '\\') {
            if (q + 1 == x->end)
                break;
            c = (unsigned char)*++q;
            if (c != '\\' && c != '"' && c != 'n')
                return ing_expo_fail(x, "invalid escape sequence '\\%c'", c ? c : '0');
            *esc = 1;
        } else if (c == '\n') {
            const char *v = ing_expo_unescape(x->a, s, (size_t)(q - s));

            return ing_expo_fail(x, "label value %s contains unescaped new-line",
                                 ing_expo_quote(x->a, v, strlen(v)));
        } else if (c >= 0x80 || c == 0) {
            odd = 1;
        }
    }
    if (q >= x->end)
        return ing_expo_fail_eos(x);
    *raw = s;
    *n = (size_t)(q - s);
    x->p = q + 1;
    if (odd && !ing_expo_text_ok(s, *n))
        return ing_expo_fail(x, "invalid label value %s", ing_expo_quote(x->a, s, *n));
    return VG_OK;
}

/* Parses {name="value",...}; x->p is on '{' and ends after '}'. metric[0..mn) names the sample in
 * messages. An exemplar's labels (exemplar set) are checked and dropped. */
static int ing_expo_labels(ing_expo_t *x, const char *metric, size_t mn, int exemplar)
{
    x->p++;
    for (;;) {
        const char *ln, *raw = NULL;
        size_t n, vn = 0, i;
        int esc, rc;

        ing_expo_skip_blank(x);
        if (x->p == x->end)
            return ing_expo_fail_eos(x);
        if (*x->p == '}') {
            x->p++;
            return VG_OK;
        }
        ln = x->p;
        if (!ing_expo_lstart((unsigned char)*x->p))
            return ing_expo_fail(x, "invalid label name for metric %s",
                                 ing_expo_quote(x->a, metric, mn));
        while (x->p < x->end && ing_expo_lcont((unsigned char)*x->p))
            x->p++;
        n = (size_t)(x->p - ln);
        ing_expo_skip_blank(x);
        if (x->p == x->end)
            return ing_expo_fail_eos(x);
        if (*x->p != '=')
            return ing_expo_fail(x, "expected '=' after label name, found %s",
                                 ing_expo_quote_byte(x->a, (unsigned char)*x->p));
        if (n == 8 && memcmp(ln, "__name__", 8) == 0)
            return ing_expo_fail(x, "label name \"__name__\" is reserved");
        for (i = 1; !exemplar && i < x->nlabels; i++)
            if (x->memo[2 * i].n == n && memcmp(x->memo[2 * i].raw, ln, n) == 0)
                return ing_expo_fail(x, "duplicate label names for metric %s",
                                     ing_expo_quote(x->a, metric, mn));
        x->p++;
        ing_expo_skip_blank(x);
        if (x->p == x->end)
            return ing_expo_fail_eos(x);
        if (*x->p != '"')
            return ing_expo_fail(x, "expected '\"' at start of label value, found %s",
                                 ing_expo_quote_byte(x->a, (unsigned char)*x->p));
        if ((rc = ing_expo_lvalue(x, &raw, &vn, &esc)) < 0)
            return rc;
        if (!exemplar) {
            if (x->nlabels == x->cap)
                ing_expo_grow_labels(x);
            i = x->nlabels++;
            x->labels[i].name = ing_expo_memo(x, &x->memo[2 * i], ln, n, 0);
            x->labels[i].value = ing_expo_memo(x, &x->memo[2 * i + 1], raw, vn, esc);
        }
        ing_expo_skip_blank(x);
        if (x->p == x->end)
            return ing_expo_fail_eos(x);
        if (*x->p == ',') {
            x->p++;
        } else if (*x->p != '}') {
            const char *v = esc ? ing_expo_unescape(x->a, raw, vn) : raw;

            return ing_expo_fail(x, "unexpected end of label value %s",
                                 ing_expo_quote(x->a, v, esc ? strlen(v) : vn));
        }
    }
}

/* Parses the timestamp token tok[0..n) of a sample (or exemplar) line into *t. */
static int ing_expo_ts(ing_expo_t *x, const char *tok, size_t n, int64_t *t)
{
    int rc;

    if (!x->om) {
        if (ing_expo_int64(tok, n, t) < 0)
            return ing_expo_fail(x, "expected integer as timestamp, got %s",
                                 ing_expo_quote(x->a, tok, n));
        return VG_OK;
    }
    if ((rc = ing_expo_om_ts(x, tok, n, t)) == -1)
        return ing_expo_fail(x, "expected float as timestamp, got %s",
                             ing_expo_quote(x->a, tok, n));
    if (rc == -2) /* the token is ASCII here: it passed the float syntax */
        return ing_expo_fail(x, "invalid timestamp %.*s", (int)n, tok);
    return VG_OK;
}

/* Parses an OpenMetrics exemplar ` # {labels} value [timestamp]` and drops it; x->p is on '#'. */
static int ing_expo_exemplar(ing_expo_t *x, const char *metric, size_t mn)
{
    const char *tok;
    double v;
    int64_t t;
    int rc;

    x->p++;
    ing_expo_skip_blank(x);
    if (x->p == x->end || *x->p != '{')
        return ing_expo_fail(x, "expected label set for exemplar, got %s",
                             ing_expo_quote(x->a, x->p, (size_t)(ing_expo_eol(x) - x->p)));
    if ((rc = ing_expo_labels(x, metric, mn, 1)) < 0)
        return rc;
    ing_expo_skip_blank(x);
    tok = x->p;
    x->p = ing_expo_token_end(x);
    if (ing_expo_float(x, tok, (size_t)(x->p - tok), &v) < 0)
        return ing_expo_fail(x, "expected float as exemplar value, got %s",
                             ing_expo_quote(x->a, tok, (size_t)(x->p - tok)));
    ing_expo_skip_blank(x);
    if (ing_expo_at_eol(x))
        return VG_OK;
    tok = x->p;
    x->p = ing_expo_token_end(x);
    if ((rc = ing_expo_ts(x, tok, (size_t)(x->p - tok), &t)) < 0)
        return rc;
    tok = x->p;
    ing_expo_skip_blank(x);
    if (!ing_expo_at_eol(x))
        return ing_expo_fail(x, "spurious string after exemplar timestamp: %s",
                             ing_expo_quote(x->a, tok, (size_t)(ing_expo_eol(x) - tok)));
    return VG_OK;
}

/* Parses a sample line; x->p is on the first byte of the metric name and ends at the newline. */
static int ing_expo_sample(ing_expo_t *x)
{
    const char *name = x->p, *tok, *prev = x->memo[1].s, *rest;
    size_t n, tn;
    double v;
    int64_t t = x->now_ms;
    int rc;

    while (x->p < x->end && ing_expo_mcont((unsigned char)*x->p))
        x->p++;
    n = (size_t)(x->p - name);
    if (x->p < x->end && !ing_expo_blank((unsigned char)*x->p) && *x->p != '{' && *x->p != '\n')
        return ing_expo_fail(x, "invalid metric name");
    x->labels[0].value = ing_expo_memo(x, &x->memo[1], name, n, 0);
    x->nlabels = 1;
    ing_expo_skip_blank(x);
    if (x->p < x->end && *x->p == '{' && (rc = ing_expo_labels(x, name, n, 0)) < 0)
        return rc;
    ing_expo_skip_blank(x);
    tok = x->p;
    x->p = ing_expo_token_end(x);
    tn = (size_t)(x->p - tok);
    if (tn == 5 && memcmp(tok, "stale", 5) == 0)
        v = ing_stale_nan(); /* vigil's extension: the staleness marker */
    else if (ing_expo_float(x, tok, tn, &v) < 0)
        return ing_expo_fail(x, "expected float as value, got %s", ing_expo_quote(x->a, tok, tn));
    ing_expo_skip_blank(x);
    if (!ing_expo_at_eol(x) && !(x->om && *x->p == '#')) {
        tok = x->p;
        x->p = ing_expo_token_end(x);
        if ((rc = ing_expo_ts(x, tok, (size_t)(x->p - tok), &t)) < 0)
            return rc;
        rest = x->p;
        ing_expo_skip_blank(x);
        if (!ing_expo_at_eol(x) && !(x->om && *x->p == '#'))
            return ing_expo_fail(x, "spurious string after timestamp: %s",
                                 ing_expo_quote(x->a, rest, (size_t)(ing_expo_eol(x) - rest)));
    }
    if (!ing_expo_at_eol(x) && (rc = ing_expo_exemplar(x, name, n)) < 0)
        return rc;
    if (!x->om && x->memo[1].s != prev) {
        /* a new name: the family has samples now, so a TYPE line for it would come too late */
        ing_expo_fam_resolve(x, name, n)->flags |= ING_EXPO_FAM_TYPE;
    }
    if ((rc = ing_batch_add_sample(x->b, x->labels, x->nlabels, t, v, x->err)) == VG_EINVAL)
        return ing_expo_fail(x, "%s", x->err != NULL ? x->err->msg : "invalid sample");
    if (rc < 0) /* the batch's flush failed (the store): not the body's fault */
        return rc;
    return VG_OK;
}

/* Returns the metadata type word for a TYPE line's text, or NULL if the format has no such type.
 * The words are Prometheus's /metadata words: 0.0.4's "untyped" is "unknown". */
static const char *ing_expo_type(int om, const char *s, size_t n)
{
    static const char *const prom[] = {"counter", "gauge", "histogram", "summary", "untyped"};
    static const char *const omt[] = {"counter", "gauge",    "histogram", "gaugehistogram",
                                      "summary", "stateset", "info",      "unknown"};
    const char *const *t = om ? omt : prom;
    size_t nt = om ? sizeof omt / sizeof omt[0] : sizeof prom / sizeof prom[0];

    for (size_t i = 0; i < nt; i++)
        if (strlen(t[i]) == n && memcmp(t[i], s, n) == 0)
            return strcmp(t[i], "untyped") == 0 ? "unknown" : t[i];
    return NULL;
}

/* Scans a HELP text text[0..n) (escapes \\ \" \n) and returns its arena copy in *out. */
static int ing_expo_help(ing_expo_t *x, const char *text, size_t n, const char **out)
{
    int esc = 0, odd = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == '\\') {
            c = i + 1 < n ? (unsigned char)text[++i] : '\n';
            if (c != '\\' && c != '"' && c != 'n')
                return ing_expo_fail(x, "invalid escape sequence '\\%c'", c ? c : '0');
            esc = 1;
        } else if (c >= 0x80 || c == 0) {
            odd = 1;
        }
    }
    if (odd && !ing_expo_text_ok(text, n))
        return ing_expo_fail(x, "help text %s is not a valid utf8 string",
                             ing_expo_quote(x->a, text, n));
    *out = esc ? ing_expo_unescape(x->a, text, n) : vg_arena_strndup(x->a, text, n);
    return VG_OK;
}

/* Parses a line starting with '#' (x->p on it) and leaves x->p at its newline. Returns VG_OK, 1
 * for OpenMetrics's # EOF, or an error. */
static int ing_expo_comment(ing_expo_t *x)
{
    const char *kw, *name, *text, *eol;
    size_t kn, n, tn;
    int kind; /* 'H'ELP, 'T'YPE, 'U'NIT */
    int rc;

    x->p++;
    ing_expo_skip_blank(x);
    kw = x->p;
    x->p = ing_expo_token_end(x);
    kn = (size_t)(x->p - kw);
    if (x->om && kn == 3 && memcmp(kw, "EOF", 3) == 0) {
        ing_expo_skip_blank(x);
        if (!ing_expo_at_eol(x))
            return ing_expo_fail(x, "unexpected data after # EOF");
        return 1;
    }
    eol = ing_expo_eol(x);
    if (kn == 4 && memcmp(kw, "HELP", 4) == 0)
        kind = 'H';
    else if (kn == 4 && memcmp(kw, "TYPE", 4) == 0)
        kind = 'T';
    else if (x->om && kn == 4 && memcmp(kw, "UNIT", 4) == 0)
        kind = 'U';
    else
        kind = 0;
    if (kind == 0 || ing_expo_at_eol(x)) {
        x->p = eol; /* a comment */
        return VG_OK;
    }
    ing_expo_skip_blank(x);
    name = x->p;
    if (x->p < x->end && ing_expo_mstart((unsigned char)*x->p))
        while (x->p < x->end && ing_expo_mcont((unsigned char)*x->p))
            x->p++;
    n = (size_t)(x->p - name);
    if (ing_expo_at_eol(x))
        return VG_OK; /* expfmt ignores a HELP or TYPE line that stops after the name */
    if (!ing_expo_blank((unsigned char)*x->p))
        return ing_expo_fail(x, "invalid metric name in comment");
    ing_expo_skip_blank(x);
    if (ing_expo_at_eol(x))
        return VG_OK;
    text = x->p;
    tn = (size_t)(eol - text);
    x->p = eol;
    if (kind != 'H')
        while (tn > 0 && ing_expo_blank((unsigned char)text[tn - 1]))
            tn--;

    if (x->om) {
        ing_meta_t *m = ing_expo_meta(x, name, n);

        if (kind == 'H')
            return ing_expo_help(x, text, tn, &m->help);
        if (kind == 'T') {
            if ((m->type = ing_expo_type(1, text, tn)) == NULL)
                return ing_expo_fail(x, "unknown metric type %s", ing_expo_quote(x->a, text, tn));
            return VG_OK;
        }
        if (!(n > tn && memcmp(name + n - tn, text, tn) == 0 && name[n - tn - 1] == '_'))
            return ing_expo_fail(x, "unit %s not a suffix of metric %s",
                                 ing_expo_quote(x->a, text, tn), ing_expo_quote(x->a, name, n));
        m->unit = vg_arena_strndup(x->a, text, tn);
        return VG_OK;
    }

    ing_expo_fam_t *f = ing_expo_fam_resolve(x, name, n);
    ing_meta_t *m;
    const char *help, *type;

    if (kind == 'H') {
        if (f->flags & ING_EXPO_FAM_HELP)
            return ing_expo_fail(x, "second HELP line for metric name %s",
                                 ing_expo_quote(x->a, f->name, f->len));
        if ((rc = ing_expo_help(x, text, tn, &help)) < 0)
            return rc;
        f->flags |= ING_EXPO_FAM_HELP;
        ing_expo_meta(x, f->name, f->len)->help = help;
        return VG_OK;
    }
    if (f->flags & ING_EXPO_FAM_TYPE)
        return ing_expo_fail(x,
                             "second TYPE line for metric name %s, or TYPE reported after samples",
                             ing_expo_quote(x->a, f->name, f->len));
    if ((type = ing_expo_type(0, text, tn)) == NULL)
        return ing_expo_fail(x, "unknown metric type %s", ing_expo_quote(x->a, text, tn));
    f->flags |= ING_EXPO_FAM_TYPE;
    if (strcmp(type, "summary") == 0)
        f->flags |= ING_EXPO_FAM_SUMMARY;
    else if (strcmp(type, "histogram") == 0)
        f->flags |= ING_EXPO_FAM_HISTOGRAM;
    m = ing_expo_meta(x, f->name, f->len);
    m->type = type;
    return VG_OK;
}

int ing_expo_parse(ing_batch_t *b, const char *body, size_t len, int openmetrics, int64_t now_ms,
                   vg_err_t *err)
{
    ing_expo_t x = {0};
    int eof = 0, rc;

    if (body == NULL)
        body = ""; /* len is 0 then */
    x.b = b;
    x.a = b->arena;
    x.err = err;
    x.p = body;
    x.end = body + len;
    x.line = 1;
    x.om = openmetrics != 0;
    x.now_ms = now_ms;
    x.cap = ING_EXPO_LABELS;
    x.labels = vg_arena_alloc(x.a, x.cap * sizeof *x.labels);
    x.memo = vg_arena_calloc(x.a, 2 * x.cap * sizeof *x.memo);
    x.labels[0].name = "__name__";

    while (x.p < x.end && !eof) {
        unsigned char c;

        ing_expo_skip_blank(&x);
        if (x.p == x.end)
            break;
        c = (unsigned char)*x.p;
        if (c == '#') {
            if ((rc = ing_expo_comment(&x)) < 0)
                return rc;
            eof = rc == 1;
        } else if (ing_expo_mstart(c)) {
            if ((rc = ing_expo_sample(&x)) < 0)
                return rc;
        } else if (c != '\n') {
            return ing_expo_fail(&x, "invalid metric name");
        }
        /* every branch leaves x.p at the newline ending its line, or at the end */
        if (x.p < x.end) {
            x.p++;
            x.line++;
        }
    }
    if (!x.om)
        return VG_OK;
    if (!eof)
        return ing_expo_fail_at(&x, len > 0 && body[len - 1] != '\n' ? x.line + 1 : x.line,
                                "data does not end with # EOF");
    if (x.p < x.end)
        return ing_expo_fail(&x, "unexpected data after # EOF");
    return VG_OK;
}

/* Returns 1 if s[0..n) equals the lowercase word w, ignoring case. */
static int ing_expo_word(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

int ing_expo_format_from_content_type(const char *ct)
{
    const char *p = ct, *e;

    if (ct == NULL)
        return 0;
    while (ing_expo_blank((unsigned char)*p))
        p++;
    if (*p == '\0')
        return 0;
    for (e = p; *e != '\0' && *e != ';' && !ing_expo_blank((unsigned char)*e); e++)
        ;
    if (ing_expo_word(p, (size_t)(e - p), "application/openmetrics-text"))
        return 1;
    if (!ing_expo_word(p, (size_t)(e - p), "text/plain"))
        return -1;
    for (p = e; ing_expo_blank((unsigned char)*p); p++)
        ;
    while (*p == ';') {
        const char *name, *v;
        size_t nn, vn;

        for (p++; ing_expo_blank((unsigned char)*p); p++)
            ;
        for (name = p; *p != '\0' && *p != '=' && *p != ';' && !ing_expo_blank((unsigned char)*p);
             p++)
            ;
        nn = (size_t)(p - name);
        while (ing_expo_blank((unsigned char)*p))
            p++;
        if (*p != '=') {
            if (*p != '\0' && *p != ';')
                return -1;
            continue; /* a parameter without a value says nothing about the version */
        }
        for (p++; ing_expo_blank((unsigned char)*p); p++)
            ;
        if (*p == '"') {
            for (v = ++p; *p != '\0' && *p != '"'; p++)
                ;
            vn = (size_t)(p - v);
            if (*p == '"')
                p++;
        } else {
            for (v = p; *p != '\0' && *p != ';' && !ing_expo_blank((unsigned char)*p); p++)
                ;
            vn = (size_t)(p - v);
        }
        while (ing_expo_blank((unsigned char)*p))
            p++;
        if (*p != '\0' && *p != ';')
            return -1;
        if (ing_expo_word(name, nn, "version") && !(vn == 5 && memcmp(v, "0.0.4", 5) == 0))
            return -1;
    }
    return *p == '\0' ? 0 : -1;
}
