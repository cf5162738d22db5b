/* query/promql/lexer.c - PromQL lexer, a port of the state machine in Prometheus 2.42's
 * promql/parser/lex.go (same tokens, same error texts and positions, same quirks), plus the Go
 * formatting (%q, %#U) its messages need. Series descriptions (promtool's test format) are not
 * lexed: no API takes them.
 * SPDX-License-Identifier: MIT */
#include "lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PQL_EOF        (-1)
#define PQL_RUNE_ERROR 0xFFFD

enum { PQL_LEX_STATEMENTS, PQL_LEX_DURATION, PQL_LEX_DONE };

/* ---- UTF-8 and Go formatting ---- */

/* Decodes one rune of the n > 0 bytes at s as Go's utf8.DecodeRuneInString: invalid or short
 * sequences give U+FFFD with width 1. */
static int32_t pql_utf8_decode(const unsigned char *s, size_t n, size_t *w)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;

    *w = 1;
    if (c < 0x80)
        return (int32_t)c;
    if (c < 0xC2 || c > 0xF4)
        return PQL_RUNE_ERROR;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return PQL_RUNE_ERROR;
        *w = 2;
        return (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
    }
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F; /* surrogates are not runes */
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (c < 0xF0) {
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return PQL_RUNE_ERROR;
        *w = 3;
        return (int32_t)(((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu));
    }
    if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
        return PQL_RUNE_ERROR;
    *w = 4;
    return (int32_t)(((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
                     (s[3] & 0x3Fu));
}

/* Encodes a valid rune; returns its length (1-4). */
static size_t pql_utf8_encode(char *dst, uint32_t r)
{
    if (r < 0x80) {
        dst[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        dst[0] = (char)(0xC0 | (r >> 6));
        dst[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        dst[0] = (char)(0xE0 | (r >> 12));
        dst[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (r >> 18));
    dst[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

/* Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ' '. Without Go's
 * tables this rejects controls, spaces other than ' ', format characters, surrogates, private use
 * and noncharacters, and takes every other rune (unassigned ones too) as printable. */
static int pql_go_isprint(int32_t r)
{
    if (r < 0x20 || (r >= 0x7F && r <= 0xA0) || r == 0xAD)
        return 0;
    if (r < 0x7F)
        return 1;
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return 0;
    if (r == 0x1680 || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
        (r >= 0x205F && r <= 0x206F) || r == 0x3000)
        return 0;
    if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x180E ||
        r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xE0001 ||
        (r >= 0xE0020 && r <= 0xE007F))
        return 0;
    if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000 || (r & 0xFFFE) == 0xFFFE ||
        (r >= 0xFDD0 && r <= 0xFDEF))
        return 0;
    return 1;
}

/* A bounded string builder: writes what fits, always NUL-terminated. */
typedef struct {
    char *p;
    size_t cap, len;
} pql_sb_t;

static void pql_sb_init(pql_sb_t *b, char *dst, size_t cap)
{
    b->p = dst;
    b->cap = cap;
    b->len = 0;
    if (cap > 0)
        dst[0] = '\0';
}

static void pql_sb_addn(pql_sb_t *b, const char *s, size_t n)
{
    while (n-- > 0 && b->len + 1 < b->cap)
        b->p[b->len++] = *s++;
    if (b->cap > 0)
        b->p[b->len] = '\0';
}

static void pql_sb_adds(pql_sb_t *b, const char *s)
{
    pql_sb_addn(b, s, strlen(s));
}

/* strconv's appendEscapedRune. */
static void pql_sb_add_escaped(pql_sb_t *b, int32_t r, int32_t quote)
{
    char tmp[16];

    if (r == quote || r == '\\') {
        tmp[0] = '\\';
        tmp[1] = (char)r;
        pql_sb_addn(b, tmp, 2);
        return;
    }
    if (pql_go_isprint(r)) {
        pql_sb_addn(b, tmp, pql_utf8_encode(tmp, (uint32_t)r));
        return;
    }
    switch (r) {
    case '\a':
        pql_sb_adds(b, "\\a");
        return;
    case '\b':
        pql_sb_adds(b, "\\b");
        return;
    case '\f':
        pql_sb_adds(b, "\\f");
        return;
    case '\n':
        pql_sb_adds(b, "\\n");
        return;
    case '\r':
        pql_sb_adds(b, "\\r");
        return;
    case '\t':
        pql_sb_adds(b, "\\t");
        return;
    case '\v':
        pql_sb_adds(b, "\\v");
        return;
    }
    if (r < ' ' || r == 0x7F)
        snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)r);
    else if (r < 0x10000)
        snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)r);
    else
        snprintf(tmp, sizeof tmp, "\\U%08x", (unsigned)r);
    pql_sb_adds(b, tmp);
}

/* strconv.Quote of the n bytes at s. */
static void pql_sb_add_quoted(pql_sb_t *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    pql_sb_addn(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t w;
        int32_t r = pql_utf8_decode(u + i, n - i, &w);

        if (r == PQL_RUNE_ERROR && w == 1) {
            char tmp[8];

            snprintf(tmp, sizeof tmp, "\\x%02x", u[i]);
            pql_sb_adds(b, tmp);
        } else {
            pql_sb_add_escaped(b, r, '"');
        }
        i += w;
    }
    pql_sb_addn(b, "\"", 1);
}

void pql_quote(char *dst, size_t cap, const char *s, size_t n)
{
    pql_sb_t b;

    pql_sb_init(&b, dst, cap);
    pql_sb_add_quoted(&b, s, n);
}

/* Go's %q of a rune: 'x', with an invalid rune (EOF included) shown as U+FFFD. */
static const char *pql_quote_rune(char *dst, size_t cap, int32_t r)
{
    pql_sb_t b;

    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = PQL_RUNE_ERROR;
    pql_sb_init(&b, dst, cap);
    pql_sb_addn(&b, "'", 1);
    pql_sb_add_escaped(&b, r, '\'');
    pql_sb_addn(&b, "'", 1);
    return dst;
}

/* Go's %#U of a rune: U+0071 'q', or U+000A alone for what does not print. */
static const char *pql_unicode_sharp(char *dst, size_t cap, int32_t r)
{
    int n = snprintf(dst, cap, "U+%04X", (unsigned)r);

    if (pql_go_isprint(r) && n > 0 && (size_t)n + 8 < cap) {
        size_t k = (size_t)n;

        dst[k++] = ' ';
        dst[k++] = '\'';
        k += pql_utf8_encode(dst + k, (uint32_t)r);
        dst[k++] = '\'';
        dst[k] = '\0';
    }
    return dst;
}

/* ---- the lexer ---- */

static int pql_is_alpha(int32_t r)
{
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
}

static int pql_is_digit(int32_t r)
{
    return r >= '0' && r <= '9'; /* not unicode digits: Prometheus issue 939 */
}

static int pql_is_alnum(int32_t r)
{
    return pql_is_alpha(r) || pql_is_digit(r);
}

static int pql_is_space(int32_t r)
{
    return r == ' ' || r == '\t' || r == '\n' || r == '\r';
}

/* Whether r is one of the ASCII characters in valid (never true for NUL or EOF). */
static int pql_in(const char *valid, int32_t r)
{
    return r > 0 && r < 0x80 && strchr(valid, (int)r) != NULL;
}

void pql_lexer_init(pql_lexer_t *l, const char *input, size_t len)
{
    memset(l, 0, sizeof *l);
    l->input = input;
    l->len = len;
    l->state = PQL_LEX_STATEMENTS;
}

static int32_t pql_lex_rune(pql_lexer_t *l)
{
    int32_t r;

    if (l->pos >= l->len) {
        l->width = 0;
        return PQL_EOF;
    }
    r = pql_utf8_decode((const unsigned char *)l->input + l->pos, l->len - l->pos, &l->width);
    l->pos += l->width;
    return r;
}

/* Steps back over the last rune read; once per pql_lex_rune, as lex.go's backup. */
static void pql_lex_backup(pql_lexer_t *l)
{
    l->pos -= l->width;
}

static int32_t pql_lex_peek(pql_lexer_t *l)
{
    int32_t r = pql_lex_rune(l);

    pql_lex_backup(l);
    return r;
}

static int pql_lex_accept(pql_lexer_t *l, const char *valid)
{
    if (pql_in(valid, pql_lex_rune(l)))
        return 1;
    pql_lex_backup(l);
    return 0;
}

static void pql_lex_accept_run(pql_lexer_t *l, const char *valid)
{
    while (pql_in(valid, pql_lex_rune(l)))
        ;
    pql_lex_backup(l);
}

static int pql_lex_emit(pql_lexer_t *l, pql_tok_t *t, pql_tok_type_t type)
{
    t->type = type;
    t->pos = l->start;
    t->len = l->pos - l->start;
    l->start = l->pos;
    return 1;
}

/* Ends the scan with an ERROR token at the start of the current item, as lex.go's errorf. */
__attribute__((format(printf, 3, 4))) static int pql_lex_errorf(pql_lexer_t *l, pql_tok_t *t,
                                                                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(l->errmsg, sizeof l->errmsg, fmt, ap);
    va_end(ap);
    t->type = PQL_TOK_ERROR;
    t->pos = l->start;
    t->len = 0;
    l->state = PQL_LEX_DONE;
    return 1;
}

static int pql_lex_space(pql_lexer_t *l)
{
    while (pql_is_space(pql_lex_peek(l)))
        pql_lex_rune(l);
    l->start = l->pos;
    return 0;
}

static int pql_lex_comment(pql_lexer_t *l, pql_tok_t *t)
{
    int32_t r;

    l->pos++; /* the '#' */
    do
        r = pql_lex_rune(l);
    while (r != '\r' && r != '\n' && r != PQL_EOF);
    pql_lex_backup(l);
    return pql_lex_emit(l, t, PQL_TOK_COMMENT);
}

/* Validates one escape after the backslash (lex.go's lexEscape, from Go's go/scanner). */
static int pql_lex_escape(pql_lexer_t *l, pql_tok_t *t)
{
    int32_t ch = pql_lex_rune(l);
    uint32_t base, max, x = 0;
    int n;
    char buf[32];

    switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
        return 0;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
        n = 3, base = 8, max = 255;
        break;
    case 'x':
        ch = pql_lex_rune(l);
        n = 2, base = 16, max = 255;
        break;
    case 'u':
        ch = pql_lex_rune(l);
        n = 4, base = 16, max = 0x10FFFF;
        break;
    case 'U':
        ch = pql_lex_rune(l);
        n = 8, base = 16, max = 0x10FFFF;
        break;
    case PQL_EOF:
        return pql_lex_errorf(l, t, "escape sequence not terminated");
    default:
        if (ch == l->string_open)
            return 0;
        return pql_lex_errorf(l, t, "unknown escape sequence %s",
                              pql_unicode_sharp(buf, sizeof buf, ch));
    }
    while (n > 0) {
        uint32_t d = 16;

        if (ch >= '0' && ch <= '9')
            d = (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (uint32_t)(ch - 'A' + 10);
        if (d >= base) {
            if (ch == PQL_EOF)
                return pql_lex_errorf(l, t, "escape sequence not terminated");
            return pql_lex_errorf(l, t, "illegal character %s in escape sequence",
                                  pql_unicode_sharp(buf, sizeof buf, ch));
        }
        x = x * base + d;
        if (--n > 0)
            ch = pql_lex_rune(l);
    }
    if (x > max || (x >= 0xD800 && x < 0xE000))
        return pql_lex_errorf(l, t, "escape sequence is an invalid Unicode code point");
    return 0;
}

static int pql_lex_string(pql_lexer_t *l, pql_tok_t *t)
{
    for (;;) {
        int32_t r = pql_lex_rune(l);

        if (r == '\\') {
            if (pql_lex_escape(l, t))
                return 1;
        } else if (r == PQL_RUNE_ERROR) {
            /* also a literal U+FFFD: lex.go compares the decoded rune with utf8.RuneError */
            return pql_lex_errorf(l, t, "invalid UTF-8 rune");
        } else if (r == PQL_EOF || r == '\n') {
            return pql_lex_errorf(l, t, "unterminated quoted string");
        } else if (r == l->string_open) {
            return pql_lex_emit(l, t, PQL_TOK_STRING);
        }
    }
}

static int pql_lex_raw_string(pql_lexer_t *l, pql_tok_t *t)
{
    for (;;) {
        int32_t r = pql_lex_rune(l);

        if (r == PQL_RUNE_ERROR)
            return pql_lex_errorf(l, t, "invalid UTF-8 rune");
        if (r == PQL_EOF)
            return pql_lex_errorf(l, t, "unterminated raw string");
        if (r == '`')
            return pql_lex_emit(l, t, PQL_TOK_STRING);
    }
}

/* Scans a number's text; true when what follows cannot continue it (lex.go's scanNumber). The
 * text is not checked: "1e" is a NUMBER token, and the parser rejects it. */
static int pql_lex_scan_number(pql_lexer_t *l)
{
    const char *digits = "0123456789";

    if (pql_lex_accept(l, "0") && pql_lex_accept(l, "xX"))
        digits = "0123456789abcdefABCDEF";
    pql_lex_accept_run(l, digits);
    if (pql_lex_accept(l, "."))
        pql_lex_accept_run(l, digits);
    if (pql_lex_accept(l, "eE")) {
        pql_lex_accept(l, "+-");
        pql_lex_accept_run(l, "0123456789");
    }
    return !pql_is_alnum(pql_lex_peek(l));
}

/* The unit part of a duration after its first number: [smhdwy]s?([0-9]+[smhdw]s?)* and then a
 * rune that is not alphanumeric, which is read (the caller backs up over it). */
static int pql_lex_duration_rest(pql_lexer_t *l)
{
    if (!pql_lex_accept(l, "smhdwy"))
        return 0;
    pql_lex_accept(l, "s"); /* ms; bad units such as "hs" fail when the duration is parsed */
    while (pql_lex_accept(l, "0123456789")) {
        while (pql_lex_accept(l, "0123456789"))
            ;
        if (!pql_lex_accept(l, "smhdw")) /* y only comes first */
            return 0;
        pql_lex_accept(l, "s");
    }
    return !pql_is_alnum(pql_lex_rune(l));
}

static int pql_lex_number_or_duration(pql_lexer_t *l, pql_tok_t *t)
{
    char q[128];

    if (pql_lex_scan_number(l))
        return pql_lex_emit(l, t, PQL_TOK_NUMBER);
    if (pql_lex_duration_rest(l)) {
        pql_lex_backup(l);
        return pql_lex_emit(l, t, PQL_TOK_DURATION);
    }
    pql_quote(q, sizeof q, l->input + l->start, l->pos - l->start);
    return pql_lex_errorf(l, t, "bad number or duration syntax: %s", q);
}

/* Right after '[': a range or subquery duration. */
static int pql_lex_duration(pql_lexer_t *l, pql_tok_t *t)
{
    char q[128];

    if (pql_lex_scan_number(l))
        return pql_lex_errorf(l, t, "missing unit character in duration");
    if (!pql_lex_duration_rest(l)) {
        pql_quote(q, sizeof q, l->input + l->start, l->pos - l->start);
        return pql_lex_errorf(l, t, "bad duration syntax: %s", q);
    }
    pql_lex_backup(l);
    return pql_lex_emit(l, t, PQL_TOK_DURATION);
}

static const struct {
    const char *word;
    pql_tok_type_t type;
} pql_keywords[] = {
    {"and", PQL_TOK_LAND},
    {"or", PQL_TOK_LOR},
    {"unless", PQL_TOK_LUNLESS},
    {"atan2", PQL_TOK_ATAN2},
    {"sum", PQL_TOK_SUM},
    {"avg", PQL_TOK_AVG},
    {"count", PQL_TOK_COUNT},
    {"min", PQL_TOK_MIN},
    {"max", PQL_TOK_MAX},
    {"group", PQL_TOK_GROUP},
    {"stddev", PQL_TOK_STDDEV},
    {"stdvar", PQL_TOK_STDVAR},
    {"topk", PQL_TOK_TOPK},
    {"bottomk", PQL_TOK_BOTTOMK},
    {"count_values", PQL_TOK_COUNT_VALUES},
    {"quantile", PQL_TOK_QUANTILE},
    {"offset", PQL_TOK_OFFSET},
    {"by", PQL_TOK_BY},
    {"without", PQL_TOK_WITHOUT},
    {"on", PQL_TOK_ON},
    {"ignoring", PQL_TOK_IGNORING},
    {"group_left", PQL_TOK_GROUP_LEFT},
    {"group_right", PQL_TOK_GROUP_RIGHT},
    {"bool", PQL_TOK_BOOL},
    {"start", PQL_TOK_START},
    {"end", PQL_TOK_END},
    {"inf", PQL_TOK_NUMBER},
    {"nan", PQL_TOK_NUMBER},
};

/* Keyword lookup, case-insensitive as lex.go's strings.ToLower; -1 when word is none. */
static int pql_keyword(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof pql_keywords / sizeof pql_keywords[0]; i++) {
        const char *k = pql_keywords[i].word;
        size_t j = 0;

        for (; j < n && k[j] != '\0'; j++) {
            char c = w[j];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != k[j])
                break;
        }
        if (j == n && k[j] == '\0')
            return (int)pql_keywords[i].type;
    }
    return -1;
}

static int pql_lex_keyword_or_identifier(pql_lexer_t *l, pql_tok_t *t)
{
    int32_t r;
    int kw;
    const char *w = l->input + l->start;
    size_t n;

    do
        r = pql_lex_rune(l);
    while (pql_is_alnum(r) || r == ':');
    pql_lex_backup(l);
    n = l->pos - l->start;
    if ((kw = pql_keyword(w, n)) >= 0)
        return pql_lex_emit(l, t, (pql_tok_type_t)kw);
    if (memchr(w, ':', n) != NULL)
        return pql_lex_emit(l, t, PQL_TOK_METRIC_IDENTIFIER);
    return pql_lex_emit(l, t, PQL_TOK_IDENTIFIER);
}

/* Inside { }: label names (keywords are plain identifiers here), matching operators, strings. */
static int pql_lex_inside_braces(pql_lexer_t *l, pql_tok_t *t)
{
    int32_t r, nr;
    char q[16];

    if (l->pos < l->len && l->input[l->pos] == '#')
        return pql_lex_comment(l, t);
    r = pql_lex_rune(l);
    if (r == PQL_EOF)
        return pql_lex_errorf(l, t, "unexpected end of input inside braces");
    if (pql_is_space(r))
        return pql_lex_space(l);
    if (pql_is_alpha(r)) {
        while (pql_is_alnum(pql_lex_rune(l)))
            ;
        pql_lex_backup(l);
        return pql_lex_emit(l, t, PQL_TOK_IDENTIFIER);
    }
    switch (r) {
    case ',':
        return pql_lex_emit(l, t, PQL_TOK_COMMA);
    case '"':
    case '\'':
        l->string_open = r;
        return pql_lex_string(l, t);
    case '`':
        l->string_open = r;
        return pql_lex_raw_string(l, t);
    case '=':
        if (pql_lex_rune(l) == '~')
            return pql_lex_emit(l, t, PQL_TOK_EQL_REGEX);
        pql_lex_backup(l);
        return pql_lex_emit(l, t, PQL_TOK_EQL);
    case '!':
        nr = pql_lex_rune(l);
        if (nr == '~')
            return pql_lex_emit(l, t, PQL_TOK_NEQ_REGEX);
        if (nr == '=')
            return pql_lex_emit(l, t, PQL_TOK_NEQ);
        return pql_lex_errorf(l, t, "unexpected character after '!' inside braces: %s",
                              pql_quote_rune(q, sizeof q, nr));
    case '{':
        return pql_lex_errorf(l, t, "unexpected left brace %s", pql_quote_rune(q, sizeof q, r));
    case '}':
        l->brace_open = 0;
        return pql_lex_emit(l, t, PQL_TOK_RIGHT_BRACE);
    default:
        return pql_lex_errorf(l, t, "unexpected character inside braces: %s",
                              pql_quote_rune(q, sizeof q, r));
    }
}

static int pql_lex_statements(pql_lexer_t *l, pql_tok_t *t)
{
    int32_t r, nr;
    char q[16];

    if (l->pos < l->len && l->input[l->pos] == '#')
        return pql_lex_comment(l, t);
    r = pql_lex_rune(l);
    if (r == PQL_EOF) {
        if (l->paren_depth != 0)
            return pql_lex_errorf(l, t, "unclosed left parenthesis");
        if (l->bracket_open)
            return pql_lex_errorf(l, t, "unclosed left bracket");
        l->state = PQL_LEX_DONE;
        return pql_lex_emit(l, t, PQL_TOK_EOF);
    }
    if (pql_is_space(r))
        return pql_lex_space(l);
    if (pql_is_digit(r) || (r == '.' && pql_is_digit(pql_lex_peek(l)))) {
        pql_lex_backup(l);
        return pql_lex_number_or_duration(l, t);
    }
    if (pql_is_alpha(r) || r == ':') {
        if (!l->bracket_open) {
            pql_lex_backup(l);
            return pql_lex_keyword_or_identifier(l, t);
        }
        /* inside [ ] any letter lexes as the subquery colon, as in lex.go; the parser objects */
        if (l->got_colon)
            return pql_lex_errorf(l, t, "unexpected colon %s", pql_quote_rune(q, sizeof q, r));
        l->got_colon = 1;
        return pql_lex_emit(l, t, PQL_TOK_COLON);
    }
    switch (r) {
    case ',':
        return pql_lex_emit(l, t, PQL_TOK_COMMA);
    case '*':
        return pql_lex_emit(l, t, PQL_TOK_MUL);
    case '/':
        return pql_lex_emit(l, t, PQL_TOK_DIV);
    case '%':
        return pql_lex_emit(l, t, PQL_TOK_MOD);
    case '+':
        return pql_lex_emit(l, t, PQL_TOK_ADD);
    case '-':
        return pql_lex_emit(l, t, PQL_TOK_SUB);
    case '^':
        return pql_lex_emit(l, t, PQL_TOK_POW);
    case '@':
        return pql_lex_emit(l, t, PQL_TOK_AT);
    case '=':
        nr = pql_lex_peek(l);
        if (nr == '=') {
            pql_lex_rune(l);
            return pql_lex_emit(l, t, PQL_TOK_EQLC);
        }
        if (nr == '~')
            return pql_lex_errorf(l, t, "unexpected character after '=': %s",
                                  pql_quote_rune(q, sizeof q, nr));
        return pql_lex_emit(l, t, PQL_TOK_EQL);
    case '!':
        nr = pql_lex_rune(l);
        if (nr != '=')
            return pql_lex_errorf(l, t, "unexpected character after '!': %s",
                                  pql_quote_rune(q, sizeof q, nr));
        return pql_lex_emit(l, t, PQL_TOK_NEQ);
    case '<':
        if (pql_lex_peek(l) == '=') {
            pql_lex_rune(l);
            return pql_lex_emit(l, t, PQL_TOK_LTE);
        }
        return pql_lex_emit(l, t, PQL_TOK_LSS);
    case '>':
        if (pql_lex_peek(l) == '=') {
            pql_lex_rune(l);
            return pql_lex_emit(l, t, PQL_TOK_GTE);
        }
        return pql_lex_emit(l, t, PQL_TOK_GTR);
    case '"':
    case '\'':
        l->string_open = r;
        return pql_lex_string(l, t);
    case '`':
        l->string_open = r;
        return pql_lex_raw_string(l, t);
    case '(':
        l->paren_depth++;
        return pql_lex_emit(l, t, PQL_TOK_LEFT_PAREN);
    case ')':
        pql_lex_emit(l, t, PQL_TOK_RIGHT_PAREN);
        /* lex.go reports this after emitting, so the position is just past the ')' */
        if (--l->paren_depth < 0)
            return pql_lex_errorf(l, t, "unexpected right parenthesis %s",
                                  pql_quote_rune(q, sizeof q, r));
        return 1;
    case '{':
        l->brace_open = 1;
        return pql_lex_emit(l, t, PQL_TOK_LEFT_BRACE);
    case '[':
        if (l->bracket_open)
            return pql_lex_errorf(l, t, "unexpected left bracket %s",
                                  pql_quote_rune(q, sizeof q, r));
        l->got_colon = 0;
        pql_lex_emit(l, t, PQL_TOK_LEFT_BRACKET);
        pql_lex_space(l);
        l->bracket_open = 1;
        l->state = PQL_LEX_DURATION;
        return 1;
    case ']':
        if (!l->bracket_open)
            return pql_lex_errorf(l, t, "unexpected right bracket %s",
                                  pql_quote_rune(q, sizeof q, r));
        l->bracket_open = 0;
        return pql_lex_emit(l, t, PQL_TOK_RIGHT_BRACKET);
    default:
        return pql_lex_errorf(l, t, "unexpected character: %s", pql_quote_rune(q, sizeof q, r));
    }
}

void pql_lex_next(pql_lexer_t *l, pql_tok_t *t)
{
    for (;;) {
        if (l->state == PQL_LEX_DONE) {
            t->type = PQL_TOK_EOF;
            t->pos = l->start;
            t->len = 0;
            return;
        }
        if (l->state == PQL_LEX_DURATION) {
            l->state = PQL_LEX_STATEMENTS;
            pql_lex_duration(l, t);
            return;
        }
        if (l->brace_open ? pql_lex_inside_braces(l, t) : pql_lex_statements(l, t))
            return;
    }
}

/* ---- token descriptions ---- */

int pql_tok_is_operator(pql_tok_type_t type)
{
    return type >= PQL_TOK_ADD && type <= PQL_TOK_ATAN2;
}

int pql_tok_is_aggregator(pql_tok_type_t type)
{
    return type >= PQL_TOK_AVG && type <= PQL_TOK_TOPK;
}

int pql_tok_is_keyword(pql_tok_type_t type)
{
    return type >= PQL_TOK_BOOL && type <= PQL_TOK_WITHOUT;
}

/* Item.String() of a token other than EOF and ERROR. */
static void pql_sb_add_item(pql_sb_t *b, const char *text, size_t n, pql_tok_type_t type)
{
    size_t cut = 0;

    if (type == PQL_TOK_IDENTIFIER || type == PQL_TOK_METRIC_IDENTIFIER) {
        pql_sb_add_quoted(b, text, n);
        return;
    }
    if (pql_tok_is_keyword(type) || pql_tok_is_operator(type) || pql_tok_is_aggregator(type)) {
        pql_sb_adds(b, pql_tok_is_keyword(type) ? "<" : type <= PQL_TOK_ATAN2 ? "<op:" : "<aggr:");
        pql_sb_addn(b, text, n);
        pql_sb_adds(b, ">");
        return;
    }
    if (n <= 10) {
        pql_sb_add_quoted(b, text, n);
        return;
    }
    /* Go's %.10q: the first ten runes, quoted, then "..." */
    for (int runes = 0; runes < 10 && cut < n; runes++) {
        size_t w;

        pql_utf8_decode((const unsigned char *)text + cut, n - cut, &w);
        cut += w;
    }
    pql_sb_add_quoted(b, text, cut);
    pql_sb_adds(b, "...");
}

void pql_tok_desc(const pql_lexer_t *l, const pql_tok_t *t, char *dst, size_t cap)
{
    const char *text = l->input + t->pos;
    pql_sb_t b;

    pql_sb_init(&b, dst, cap);
    switch (t->type) {
    case PQL_TOK_EOF:
        pql_sb_adds(&b, "end of input");
        return;
    case PQL_TOK_ERROR:
        pql_sb_adds(&b, l->errmsg);
        return;
    case PQL_TOK_COMMENT:
        pql_sb_adds(&b, "comment ");
        break;
    case PQL_TOK_IDENTIFIER:
        pql_sb_adds(&b, "identifier ");
        break;
    case PQL_TOK_METRIC_IDENTIFIER:
        pql_sb_adds(&b, "metric identifier ");
        break;
    case PQL_TOK_STRING:
        pql_sb_adds(&b, "string ");
        break;
    case PQL_TOK_NUMBER:
        pql_sb_adds(&b, "number ");
        break;
    case PQL_TOK_DURATION:
        pql_sb_adds(&b, "duration ");
        break;
    case PQL_TOK_AT:
        /* 2.42's ItemTypeStr lacks AT, so desc() prints the type as %q of goyacc's number */
        pql_sb_adds(&b, "\"<Item 57385>\" ");
        break;
    default:
        break; /* the rest have a fixed text in Prometheus's ItemTypeStr: no type word */
    }
    pql_sb_add_item(&b, text, t->len, t->type);
}

/* ---- strings ---- */

static int pql_hex_digits(const char *s, size_t avail, int n, uint32_t *v)
{
    uint32_t x = 0;

    if (avail < (size_t)n)
        return 0;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        uint32_t d;

        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return 0;
        x = x << 4 | d;
    }
    *v = x;
    return 1;
}

int pql_unquote(vg_arena_t *a, const char *s, size_t n, char **out, size_t *outlen, vg_err_t *err)
{
    const char *body = s + 1;
    size_t blen, k = 0;
    char quote, *dst;

    if (n < 2 || s[0] != s[n - 1])
        return vg_fail(err, VG_EINVAL, "invalid syntax");
    blen = n - 2;
    quote = s[0];
    if (quote == '`') {
        if (memchr(body, '`', blen) != NULL)
            return vg_fail(err, VG_EINVAL, "invalid syntax");
        *out = vg_arena_strndup(a, body, blen); /* raw: no escapes, '\r' kept */
        *outlen = blen;
        return VG_OK;
    }
    if ((quote != '"' && quote != '\'') || memchr(body, '\n', blen) != NULL)
        return vg_fail(err, VG_EINVAL, "invalid syntax");
    /* every escape is at least as long as what it stands for, so blen bytes suffice */
    dst = vg_arena_alloc(a, blen + 1);
    for (size_t i = 0; i < blen;) {
        unsigned char c = (unsigned char)body[i];
        uint32_t v;
        size_t w;

        if (c == (unsigned char)quote)
            return vg_fail(err, VG_EINVAL, "invalid syntax");
        if (c >= 0x80) {
            /* Go would turn an invalid byte into U+FFFD; the lexer lets none through */
            if (pql_utf8_decode((const unsigned char *)body + i, blen - i, &w) == PQL_RUNE_ERROR &&
                w == 1)
                return vg_fail(err, VG_EINVAL, "invalid syntax");
            memcpy(dst + k, body + i, w);
            k += w;
            i += w;
            continue;
        }
        if (c != '\\') {
            dst[k++] = (char)c;
            i++;
            continue;
        }
        if (++i >= blen)
            return vg_fail(err, VG_EINVAL, "invalid syntax");
        c = (unsigned char)body[i++];
        switch (c) {
        case 'a':
            dst[k++] = '\a';
            break;
        case 'b':
            dst[k++] = '\b';
            break;
        case 'f':
            dst[k++] = '\f';
            break;
        case 'n':
            dst[k++] = '\n';
            break;
        case 'r':
            dst[k++] = '\r';
            break;
        case 't':
            dst[k++] = '\t';
            break;
        case 'v':
            dst[k++] = '\v';
            break;
        case '\\':
            dst[k++] = '\\';
            break;
        case '\'':
        case '"':
            if (c != (unsigned char)quote)
                return vg_fail(err, VG_EINVAL, "invalid syntax");
            dst[k++] = (char)c;
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
            v = c - '0';
            for (int j = 0; j < 2; j++, i++) {
                if (i >= blen || body[i] < '0' || body[i] > '7')
                    return vg_fail(err, VG_EINVAL, "invalid syntax");
                v = v * 8 + (uint32_t)(body[i] - '0');
            }
            if (v > 255)
                return vg_fail(err, VG_EINVAL, "invalid syntax");
            dst[k++] = (char)v; /* a byte, not a rune */
            break;
        case 'x':
            if (!pql_hex_digits(body + i, blen - i, 2, &v))
                return vg_fail(err, VG_EINVAL, "invalid syntax");
            i += 2;
            dst[k++] = (char)v; /* a byte, not a rune */
            break;
        case 'u':
        case 'U':
            if (!pql_hex_digits(body + i, blen - i, c == 'u' ? 4 : 8, &v) || v > 0x10FFFF ||
                (v >= 0xD800 && v < 0xE000))
                return vg_fail(err, VG_EINVAL, "invalid syntax");
            i += c == 'u' ? 4 : 8;
            k += pql_utf8_encode(dst + k, v);
            break;
        default:
            return vg_fail(err, VG_EINVAL, "invalid syntax");
        }
    }
    dst[k] = '\0';
    *out = dst;
    *outlen = k;
    return VG_OK;
}

/* ---- errors ---- */

int pql_fail_at(vg_err_t *err, const char *input, size_t pos, const char *fmt, ...)
{
    char msg[512];
    size_t line = 1, col;
    long last_nl = -1;
    va_list ap;

    for (size_t i = 0; i < pos; i++) {
        if (input[i] == '\n') {
            last_nl = (long)i;
            line++;
        }
    }
    col = pos - (size_t)(last_nl + 1) + 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vg_fail(err, VG_EINVAL, "%zu:%zu: parse error: %s", line, col, msg);
}
