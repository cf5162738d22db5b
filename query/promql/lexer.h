/* query/promql/lexer.h - the PromQL lexer: every token of the language as Prometheus 2.42's
 * promql/parser/lex.go produces it (identifiers, keywords, strings, numbers incl. hex/Inf/NaN,
 * durations, operators, braces, comments), its error texts, Go-style quoting for messages, string
 * unquoting, and the "line:col: parse error: ..." position prefix every parser error carries.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_LEXER_H
#define PQL_LEXER_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PQL_TOK_EOF,
    PQL_TOK_ERROR,   /* the message is in the lexer's errmsg; lexing stops here */
    PQL_TOK_COMMENT, /* '#' to the end of the line; parsers skip it */
    PQL_TOK_IDENTIFIER,
    PQL_TOK_METRIC_IDENTIFIER, /* an identifier with a ':' in it */
    PQL_TOK_NUMBER,            /* unchecked text: 1, .5, 0x1F, 1e3, Inf, NaN (any case) */
    PQL_TOK_DURATION,          /* unchecked text: 5m, 1h30m, 100ms */
    PQL_TOK_STRING,            /* with its quotes; pql_unquote() gives the value */
    PQL_TOK_LEFT_PAREN,
    PQL_TOK_RIGHT_PAREN,
    PQL_TOK_LEFT_BRACE,
    PQL_TOK_RIGHT_BRACE,
    PQL_TOK_LEFT_BRACKET,
    PQL_TOK_RIGHT_BRACKET,
    PQL_TOK_COMMA,
    PQL_TOK_EQL, /* '=' */
    PQL_TOK_COLON,
    /* operators (PQL_TOK_ADD..PQL_TOK_ATAN2) */
    PQL_TOK_ADD,
    PQL_TOK_DIV,
    PQL_TOK_EQLC, /* '==' */
    PQL_TOK_EQL_REGEX,
    PQL_TOK_GTE,
    PQL_TOK_GTR,
    PQL_TOK_LAND,
    PQL_TOK_LOR,
    PQL_TOK_LSS,
    PQL_TOK_LTE,
    PQL_TOK_LUNLESS,
    PQL_TOK_MOD,
    PQL_TOK_MUL,
    PQL_TOK_NEQ,
    PQL_TOK_NEQ_REGEX,
    PQL_TOK_POW,
    PQL_TOK_SUB,
    PQL_TOK_AT,
    PQL_TOK_ATAN2,
    /* aggregators (PQL_TOK_AVG..PQL_TOK_TOPK) */
    PQL_TOK_AVG,
    PQL_TOK_BOTTOMK,
    PQL_TOK_COUNT,
    PQL_TOK_COUNT_VALUES,
    PQL_TOK_GROUP,
    PQL_TOK_MAX,
    PQL_TOK_MIN,
    PQL_TOK_QUANTILE,
    PQL_TOK_STDDEV,
    PQL_TOK_STDVAR,
    PQL_TOK_SUM,
    PQL_TOK_TOPK,
    /* keywords (PQL_TOK_BOOL..PQL_TOK_WITHOUT) */
    PQL_TOK_BOOL,
    PQL_TOK_BY,
    PQL_TOK_GROUP_LEFT,
    PQL_TOK_GROUP_RIGHT,
    PQL_TOK_IGNORING,
    PQL_TOK_OFFSET,
    PQL_TOK_ON,
    PQL_TOK_WITHOUT,
    /* preprocessors: start() and end() after '@' */
    PQL_TOK_START,
    PQL_TOK_END,
} pql_tok_type_t;

typedef struct {
    pql_tok_type_t type;
    size_t pos; /* byte offset of the first byte in the input (for ERROR: where it started) */
    size_t len; /* bytes of text at input + pos (0 for EOF and ERROR) */
} pql_tok_t;

typedef struct {
    const char *input;
    size_t len;
    size_t pos, start, width; /* as lex.go: next byte, start of this token, last rune's width */
    int paren_depth;
    int brace_open, bracket_open, got_colon;
    int state;           /* private: statements, duration after '[', done */
    int32_t string_open; /* the quote of the string being read */
    char errmsg[256];    /* the text of the last PQL_TOK_ERROR */
} pql_lexer_t;

/* Starts lexing the len bytes at input, which must outlive the lexer. */
void pql_lexer_init(pql_lexer_t *l, const char *input, size_t len);
/* Reads the next token into *t. After EOF or ERROR every further call gives EOF. */
void pql_lex_next(pql_lexer_t *l, pql_tok_t *t);

/* Classes of token types, as Prometheus's ItemType methods. */
int pql_tok_is_operator(pql_tok_type_t type);
int pql_tok_is_aggregator(pql_tok_type_t type);
int pql_tok_is_keyword(pql_tok_type_t type);

/* Writes Prometheus's description of t (Item.desc(): `"{"`, `<op:+>`, `identifier "x"`,
 * `end of input`, ...) for "unexpected X" messages into dst, truncated to cap - 1 bytes; for an
 * ERROR token, the lexer's message. */
void pql_tok_desc(const pql_lexer_t *l, const pql_tok_t *t, char *dst, size_t cap);

/* Go's %q of the n bytes at s (strconv.Quote: escapes, \xHH for invalid UTF-8), into dst,
 * truncated to cap - 1 bytes. Printability of non-ASCII runes approximates Go's tables. */
void pql_quote(char *dst, size_t cap, const char *s, size_t n);

/* The value of a STRING token's text (quotes included) as Prometheus's strutil.Unquote gives it:
 * Go escapes in "..." and '...' (\xHH and \ooo are bytes, \u and \U UTF-8), none in `...`.
 * Returns VG_OK with *out (NUL-terminated, in a) and *outlen, or VG_EINVAL (message
 * "invalid syntax") for text the lexer would not have produced. */
int pql_unquote(vg_arena_t *a, const char *s, size_t n, char **out, size_t *outlen, vg_err_t *err);

/* Fills err with VG_EINVAL and "line:col: parse error: <fmt>", where line and col (1-based, col
 * in bytes) locate byte pos of input as Prometheus's ParseErr does; returns VG_EINVAL. */
int pql_fail_at(vg_err_t *err, const char *input, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
