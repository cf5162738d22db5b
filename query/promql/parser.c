/* query/promql/parser.c - PromQL expressions by recursive descent with precedence climbing,
 * following the grammar of Prometheus 2.42's generated_parser.y and the checks of its
 * parser.go. Only the first error counts (ParseErrors.Error()), so syntax errors are reported
 * where goyacc detects them, with the context of the error production it would reduce; the
 * grammar actions' errors (durations, numbers, offsets, @, ranges, unknown functions, arities of
 * aggregations) come in input order; the type checks of checkAST() run on a clean tree.
 * SPDX-License-Identifier: MIT */
#include "parser.h"

#include "format.h"
#include "lexer.h"
#include "promql_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Binding power of the binary operators, lowest first (the grammar's %left/%right lines). */
enum {
    PQL_PREC_NONE,
    PQL_PREC_OR,
    PQL_PREC_AND, /* and, unless */
    PQL_PREC_CMP, /* == != > < >= <= */
    PQL_PREC_ADD, /* + - */
    PQL_PREC_MUL, /* * / % atan2; also unary + and - */
    PQL_PREC_POW, /* ^, right-associative */
};

typedef struct {
    vg_arena_t *a;
    const char *text;
    vg_err_t *err;
    pql_lexer_t lex;
    pql_tok_t tok; /* the lookahead, when have_tok */
    int have_tok;
    size_t last_closing; /* end of the last ) ] } number or duration lexed (parser.lastClosing) */
    int agg_depth;       /* aggregations whose argument list encloses the parse point */
    int depth;           /* active pql_parse_expr() calls */
} pql_parser_t;

/* ---- the function table (Prometheus 2.42's promql/parser/functions.go) ---- */

#define S PQL_TYPE_SCALAR
#define V PQL_TYPE_VECTOR
#define M PQL_TYPE_MATRIX
#define T PQL_TYPE_STRING

static const pql_func_t pql_funcs[PQL_FN_COUNT_] = {
    {PQL_FN_ABS, "abs", {V}, 1, 0, V},
    {PQL_FN_ABSENT, "absent", {V}, 1, 0, V},
    {PQL_FN_ABSENT_OVER_TIME, "absent_over_time", {M}, 1, 0, V},
    {PQL_FN_ACOS, "acos", {V}, 1, 0, V},
    {PQL_FN_ACOSH, "acosh", {V}, 1, 0, V},
    {PQL_FN_ASIN, "asin", {V}, 1, 0, V},
    {PQL_FN_ASINH, "asinh", {V}, 1, 0, V},
    {PQL_FN_ATAN, "atan", {V}, 1, 0, V},
    {PQL_FN_ATANH, "atanh", {V}, 1, 0, V},
    {PQL_FN_AVG_OVER_TIME, "avg_over_time", {M}, 1, 0, V},
    {PQL_FN_CEIL, "ceil", {V}, 1, 0, V},
    {PQL_FN_CHANGES, "changes", {M}, 1, 0, V},
    {PQL_FN_CLAMP, "clamp", {V, S, S}, 3, 0, V},
    {PQL_FN_CLAMP_MAX, "clamp_max", {V, S}, 2, 0, V},
    {PQL_FN_CLAMP_MIN, "clamp_min", {V, S}, 2, 0, V},
    {PQL_FN_COS, "cos", {V}, 1, 0, V},
    {PQL_FN_COSH, "cosh", {V}, 1, 0, V},
    {PQL_FN_COUNT_OVER_TIME, "count_over_time", {M}, 1, 0, V},
    {PQL_FN_DAY_OF_MONTH, "day_of_month", {V}, 1, 1, V},
    {PQL_FN_DAY_OF_WEEK, "day_of_week", {V}, 1, 1, V},
    {PQL_FN_DAY_OF_YEAR, "day_of_year", {V}, 1, 1, V},
    {PQL_FN_DAYS_IN_MONTH, "days_in_month", {V}, 1, 1, V},
    {PQL_FN_DEG, "deg", {V}, 1, 0, V},
    {PQL_FN_DELTA, "delta", {M}, 1, 0, V},
    {PQL_FN_DERIV, "deriv", {M}, 1, 0, V},
    {PQL_FN_EXP, "exp", {V}, 1, 0, V},
    {PQL_FN_FLOOR, "floor", {V}, 1, 0, V},
    {PQL_FN_HISTOGRAM_COUNT, "histogram_count", {V}, 1, 0, V},
    {PQL_FN_HISTOGRAM_FRACTION, "histogram_fraction", {S, S, V}, 3, 0, V},
    {PQL_FN_HISTOGRAM_QUANTILE, "histogram_quantile", {S, V}, 2, 0, V},
    {PQL_FN_HISTOGRAM_SUM, "histogram_sum", {V}, 1, 0, V},
    {PQL_FN_HOLT_WINTERS, "holt_winters", {M, S, S}, 3, 0, V},
    {PQL_FN_HOUR, "hour", {V}, 1, 1, V},
    {PQL_FN_IDELTA, "idelta", {M}, 1, 0, V},
    {PQL_FN_INCREASE, "increase", {M}, 1, 0, V},
    {PQL_FN_IRATE, "irate", {M}, 1, 0, V},
    {PQL_FN_LABEL_JOIN, "label_join", {V, T, T, T}, 4, -1, V},
    {PQL_FN_LABEL_REPLACE, "label_replace", {V, T, T, T, T}, 5, 0, V},
    {PQL_FN_LAST_OVER_TIME, "last_over_time", {M}, 1, 0, V},
    {PQL_FN_LN, "ln", {V}, 1, 0, V},
    {PQL_FN_LOG10, "log10", {V}, 1, 0, V},
    {PQL_FN_LOG2, "log2", {V}, 1, 0, V},
    {PQL_FN_MAX_OVER_TIME, "max_over_time", {M}, 1, 0, V},
    {PQL_FN_MIN_OVER_TIME, "min_over_time", {M}, 1, 0, V},
    {PQL_FN_MINUTE, "minute", {V}, 1, 1, V},
    {PQL_FN_MONTH, "month", {V}, 1, 1, V},
    {PQL_FN_PI, "pi", {PQL_TYPE_NONE}, 0, 0, S},
    {PQL_FN_PREDICT_LINEAR, "predict_linear", {M, S}, 2, 0, V},
    {PQL_FN_PRESENT_OVER_TIME, "present_over_time", {M}, 1, 0, V},
    {PQL_FN_QUANTILE_OVER_TIME, "quantile_over_time", {S, M}, 2, 0, V},
    {PQL_FN_RAD, "rad", {V}, 1, 0, V},
    {PQL_FN_RATE, "rate", {M}, 1, 0, V},
    {PQL_FN_RESETS, "resets", {M}, 1, 0, V},
    {PQL_FN_ROUND, "round", {V, S}, 2, 1, V},
    {PQL_FN_SCALAR, "scalar", {V}, 1, 0, S},
    {PQL_FN_SGN, "sgn", {V}, 1, 0, V},
    {PQL_FN_SIN, "sin", {V}, 1, 0, V},
    {PQL_FN_SINH, "sinh", {V}, 1, 0, V},
    {PQL_FN_SORT, "sort", {V}, 1, 0, V},
    {PQL_FN_SORT_DESC, "sort_desc", {V}, 1, 0, V},
    {PQL_FN_SQRT, "sqrt", {V}, 1, 0, V},
    {PQL_FN_STDDEV_OVER_TIME, "stddev_over_time", {M}, 1, 0, V},
    {PQL_FN_STDVAR_OVER_TIME, "stdvar_over_time", {M}, 1, 0, V},
    {PQL_FN_SUM_OVER_TIME, "sum_over_time", {M}, 1, 0, V},
    {PQL_FN_TAN, "tan", {V}, 1, 0, V},
    {PQL_FN_TANH, "tanh", {V}, 1, 0, V},
    {PQL_FN_TIME, "time", {PQL_TYPE_NONE}, 0, 0, S},
    {PQL_FN_TIMESTAMP, "timestamp", {V}, 1, 0, V},
    {PQL_FN_VECTOR, "vector", {S}, 1, 0, V},
    {PQL_FN_YEAR, "year", {V}, 1, 1, V},
};

#undef S
#undef V
#undef M
#undef T

const pql_func_t *pql_func_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < PQL_FN_COUNT_; i++) {
        if (strncmp(pql_funcs[i].name, name, len) == 0 && pql_funcs[i].name[len] == '\0')
            return &pql_funcs[i];
    }
    return NULL;
}

const pql_func_t *pql_func_get(pql_func_id_t id)
{
    return (unsigned)id < PQL_FN_COUNT_ ? &pql_funcs[id] : NULL;
}

/* ---- tokens and errors ---- */

/* Makes *t the lookahead, lexing it if needed (comments skipped, as parser.Lex does). A lexer
 * error is the query's error, reported at once, as Lex records it when it reads the token. */
static int pql_peek(pql_parser_t *p, const pql_tok_t **t)
{
    if (!p->have_tok) {
        do
            pql_lex_next(&p->lex, &p->tok);
        while (p->tok.type == PQL_TOK_COMMENT);
        p->have_tok = 1;
        switch (p->tok.type) {
        case PQL_TOK_RIGHT_BRACE:
        case PQL_TOK_RIGHT_PAREN:
        case PQL_TOK_RIGHT_BRACKET:
        case PQL_TOK_DURATION:
        case PQL_TOK_NUMBER:
            p->last_closing = p->tok.pos + p->tok.len;
            break;
        default:
            break;
        }
    }
    *t = &p->tok;
    if (p->tok.type == PQL_TOK_ERROR)
        return pql_fail_at(p->err, p->text, p->tok.pos, "%s", p->lex.errmsg);
    return VG_OK;
}

/* Consumes the lookahead and returns a copy of it. */
static pql_tok_t pql_take(pql_parser_t *p)
{
    p->have_tok = 0;
    return p->tok;
}

/* parser.unexpected(): "unexpected <t>[ in <context>][, expected <expected>]" at t. */
static int pql_unexpected(pql_parser_t *p, const pql_tok_t *t, const char *context,
                          const char *expected)
{
    char desc[160];

    pql_tok_desc(&p->lex, t, desc, sizeof desc);
    return pql_fail_at(p->err, p->text, t->pos, "unexpected %s%s%s%s%s", desc,
                       context ? " in " : "", context ? context : "", expected ? ", expected " : "",
                       expected ? expected : "");
}

/* An unexpected token where no error production of its own applies: goyacc pops its stack to
 * the nearest state that can shift `error`, which is an enclosing aggregation's (`aggregate_op
 * error`) or else the start rule's catch-all. */
static int pql_unexpected_expr(pql_parser_t *p, const pql_tok_t *t)
{
    return pql_unexpected(p, t, p->agg_depth > 0 ? "aggregation" : NULL, NULL);
}

static int pql_too_deep(pql_parser_t *p, size_t pos)
{
    return pql_fail_at(p->err, p->text, pos, "query is nested more than %d levels deep",
                       PQL_MAX_DEPTH);
}

/* %q of the len bytes at s, in the arena. */
static const char *pql_q(pql_parser_t *p, const char *s, size_t len)
{
    size_t cap = 4 * len + 3; /* an escape is at most four bytes per input byte */
    char *q = vg_arena_alloc(p->a, cap);

    pql_quote(q, cap, s, len);
    return q;
}

/* ---- token classes ---- */

/* generated_parser.y's metric_identifier. */
static int pql_is_metric_identifier(pql_tok_type_t type)
{
    switch (type) {
    case PQL_TOK_IDENTIFIER:
    case PQL_TOK_METRIC_IDENTIFIER:
    case PQL_TOK_BY:
    case PQL_TOK_LAND:
    case PQL_TOK_LOR:
    case PQL_TOK_LUNLESS:
    case PQL_TOK_OFFSET:
    case PQL_TOK_WITHOUT:
    case PQL_TOK_START:
    case PQL_TOK_END:
        return 1;
    default:
        return pql_tok_is_aggregator(type);
    }
}

/* generated_parser.y's maybe_label: tokens a grouping label may be. */
static int pql_is_maybe_label(pql_tok_type_t type)
{
    switch (type) {
    case PQL_TOK_BOOL:
    case PQL_TOK_BY:
    case PQL_TOK_GROUP_LEFT:
    case PQL_TOK_GROUP_RIGHT:
    case PQL_TOK_IDENTIFIER:
    case PQL_TOK_IGNORING:
    case PQL_TOK_LAND:
    case PQL_TOK_LOR:
    case PQL_TOK_LUNLESS:
    case PQL_TOK_METRIC_IDENTIFIER:
    case PQL_TOK_OFFSET:
    case PQL_TOK_ON:
    case PQL_TOK_START:
    case PQL_TOK_END:
    case PQL_TOK_ATAN2:
        return 1;
    default:
        return pql_tok_is_aggregator(type);
    }
}

/* Tokens an expression may start with (FIRST(expr)). */
static int pql_starts_expr(pql_tok_type_t type)
{
    switch (type) {
    case PQL_TOK_LEFT_BRACE:
    case PQL_TOK_LEFT_PAREN:
    case PQL_TOK_NUMBER:
    case PQL_TOK_STRING:
    case PQL_TOK_ADD:
    case PQL_TOK_SUB:
        return 1;
    default:
        return pql_is_metric_identifier(type);
    }
}

/* parser.isLabel(). */
static int pql_is_label(const char *s, size_t n)
{
    if (n == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];

        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* The binary operator of a token and its precedence; PQL_PREC_NONE when it is none. */
static int pql_binop_of(pql_tok_type_t type, pql_binop_t *op)
{
    static const struct {
        pql_tok_type_t tok;
        pql_binop_t op;
        int prec;
    } ops[] = {
        {PQL_TOK_LOR, PQL_OP_OR, PQL_PREC_OR},          {PQL_TOK_LAND, PQL_OP_AND, PQL_PREC_AND},
        {PQL_TOK_LUNLESS, PQL_OP_UNLESS, PQL_PREC_AND}, {PQL_TOK_EQLC, PQL_OP_EQLC, PQL_PREC_CMP},
        {PQL_TOK_NEQ, PQL_OP_NEQ, PQL_PREC_CMP},        {PQL_TOK_GTR, PQL_OP_GTR, PQL_PREC_CMP},
        {PQL_TOK_LSS, PQL_OP_LSS, PQL_PREC_CMP},        {PQL_TOK_GTE, PQL_OP_GTE, PQL_PREC_CMP},
        {PQL_TOK_LTE, PQL_OP_LTE, PQL_PREC_CMP},        {PQL_TOK_ADD, PQL_OP_ADD, PQL_PREC_ADD},
        {PQL_TOK_SUB, PQL_OP_SUB, PQL_PREC_ADD},        {PQL_TOK_MUL, PQL_OP_MUL, PQL_PREC_MUL},
        {PQL_TOK_DIV, PQL_OP_DIV, PQL_PREC_MUL},        {PQL_TOK_MOD, PQL_OP_MOD, PQL_PREC_MUL},
        {PQL_TOK_ATAN2, PQL_OP_ATAN2, PQL_PREC_MUL},    {PQL_TOK_POW, PQL_OP_POW, PQL_PREC_POW},
    };

    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (ops[i].tok == type) {
            *op = ops[i].op;
            return ops[i].prec;
        }
    }
    return PQL_PREC_NONE;
}

static int pql_aggop_of(pql_tok_type_t type, pql_aggop_t *op)
{
    static const struct {
        pql_tok_type_t tok;
        pql_aggop_t op;
    } ops[] = {
        {PQL_TOK_SUM, PQL_AGG_SUM},
        {PQL_TOK_AVG, PQL_AGG_AVG},
        {PQL_TOK_COUNT, PQL_AGG_COUNT},
        {PQL_TOK_MIN, PQL_AGG_MIN},
        {PQL_TOK_MAX, PQL_AGG_MAX},
        {PQL_TOK_GROUP, PQL_AGG_GROUP},
        {PQL_TOK_STDDEV, PQL_AGG_STDDEV},
        {PQL_TOK_STDVAR, PQL_AGG_STDVAR},
        {PQL_TOK_TOPK, PQL_AGG_TOPK},
        {PQL_TOK_BOTTOMK, PQL_AGG_BOTTOMK},
        {PQL_TOK_COUNT_VALUES, PQL_AGG_COUNT_VALUES},
        {PQL_TOK_QUANTILE, PQL_AGG_QUANTILE},
    };

    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (ops[i].tok == type) {
            *op = ops[i].op;
            return 1;
        }
    }
    return 0;
}

/* ---- literals ---- */

/* Go's strconv.ParseInt(s, 0, 64) for the texts the lexer makes: 0x hex, 0-prefixed octal or
 * decimal digits; 0 when s is none of these or does not fit. */
static int pql_parse_int0(const char *s, size_t n, int64_t *v)
{
    uint64_t base = 10, x = 0;
    size_t i = 0;

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        i = 1;
    }
    if (i >= n)
        return 0;
    for (; i < n; i++) {
        char c = s[i];
        uint64_t d;

        if (c >= '0' && c <= '9')
            d = (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint64_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint64_t)(c - 'A' + 10);
        else
            return 0;
        if (d >= base || x > ((uint64_t)INT64_MAX - d) / base)
            return 0;
        x = x * base + d;
    }
    *v = (int64_t)x;
    return 1;
}

/* Whether s is a decimal float in the syntax Go's ParseFloat takes (digits, '.', exponent). A
 * hex float needs a 'p' exponent, which no NUMBER token has, so 0x texts are refused. */
static int pql_is_go_float(const char *s, size_t n)
{
    size_t i = 0, digits = 0;

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t from;

        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (from = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
        if (i == from)
            return 0;
    }
    return i == n;
}

/* parser.number(): ParseInt(s, 0, 64), else ParseFloat(s, 64); errors at the NUMBER token. */
static int pql_number(pql_parser_t *p, const pql_tok_t *t, double *out)
{
    const char *s = p->text + t->pos;
    size_t n = t->len;
    int64_t iv;
    char *copy;

    if (pql_parse_int0(s, n, &iv)) {
        *out = (double)iv;
        return VG_OK;
    }
    if (n == 3 && strncasecmp(s, "inf", 3) == 0) {
        *out = INFINITY;
        return VG_OK;
    }
    if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
        *out = NAN;
        return VG_OK;
    }
    if (!pql_is_go_float(s, n))
        return pql_fail_at(p->err, p->text, t->pos,
                           "error parsing number: strconv.ParseFloat: parsing %s: invalid syntax",
                           pql_q(p, s, n));
    copy = vg_arena_strndup(p->a, s, n);
    *out = strtod(copy, NULL);
    if (isinf(*out))
        return pql_fail_at(p->err, p->text, t->pos,
                           "error parsing number: strconv.ParseFloat: parsing %s: value out of "
                           "range",
                           pql_q(p, s, n));
    return VG_OK;
}

/* The grammar's duration rule: model.ParseDuration, then parseDuration()'s refusal of 0. Units
 * y w d h m s ms, each at most once and in that order. Errors at the DURATION token. */
static int pql_duration(pql_parser_t *p, const pql_tok_t *t, int64_t *ms_out)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        {"y", 365LL * 24 * 3600 * 1000},
        {"w", 7LL * 24 * 3600 * 1000},
        {"d", 24LL * 3600 * 1000},
        {"h", 3600LL * 1000},
        {"m", 60LL * 1000},
        {"s", 1000},
        {"ms", 1},
    };
    const char *s = p->text + t->pos;
    size_t n = t->len, i = 0, next_unit = 0;
    int64_t total_ns = 0;
    int overflow = 0;

    if (n == 1 && s[0] == '0') {
        i = n; /* "0" alone is allowed, and refused below as 0 */
    }
    while (i < n) {
        uint64_t v = 0;
        size_t from = i, u, ulen;

        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            v = v > (uint64_t)INT64_MAX / 10 ? (uint64_t)INT64_MAX
                                             : v * 10 + (uint64_t)(s[i] - '0');
        if (i == from || i == n)
            goto invalid;
        if (s[i] == 'm' && i + 1 < n && s[i + 1] == 's')
            ulen = 2;
        else
            ulen = 1;
        for (u = next_unit; u < sizeof units / sizeof units[0]; u++) {
            if (strlen(units[u].unit) == ulen && strncmp(units[u].unit, s + i, ulen) == 0)
                break;
        }
        if (u == sizeof units / sizeof units[0])
            goto invalid;
        i += ulen;
        next_unit = u + 1;
        if (v > (uint64_t)(INT64_MAX / units[u].ms / 1000000)) {
            overflow = 1;
        } else {
            int64_t add = (int64_t)v * units[u].ms * 1000000;

            if (total_ns > INT64_MAX - add)
                overflow = 1;
            else
                total_ns += add;
        }
    }
    if (overflow)
        return pql_fail_at(p->err, p->text, t->pos, "duration out of range");
    if (total_ns == 0)
        return pql_fail_at(p->err, p->text, t->pos, "duration must be greater than 0");
    *ms_out = total_ns / 1000000;
    return VG_OK;
invalid:
    return pql_fail_at(p->err, p->text, t->pos, "not a valid duration string: %s", pql_q(p, s, n));
}

/* ---- nodes ---- */

static pql_node_t *pql_node_new(pql_parser_t *p, pql_node_kind_t kind, pql_type_t type,
                                size_t start, size_t end)
{
    pql_node_t *n = vg_arena_calloc(p->a, sizeof *n);

    n->kind = kind;
    n->type = type;
    n->start = start;
    n->end = end;
    n->depth = 1;
    return n;
}

/* Records that child hangs below n; fails past PQL_MAX_DEPTH. */
static int pql_node_nest(pql_parser_t *p, pql_node_t *n, const pql_node_t *child)
{
    if (child != NULL && child->depth + 1 > n->depth)
        n->depth = child->depth + 1;
    if (n->depth > PQL_MAX_DEPTH)
        return pql_too_deep(p, n->start);
    return VG_OK;
}

/* A growing array of pointers in the arena. */
typedef struct {
    void **v;
    size_t n, cap;
} pql_list_t;

static void pql_list_push(pql_parser_t *p, pql_list_t *l, void *x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        void **grown = vg_arena_alloc(p->a, cap * sizeof *grown);

        if (l->n > 0)
            memcpy(grown, l->v, l->n * sizeof *grown);
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = x;
}

/* ---- the grammar ---- */

static int pql_parse_expr(pql_parser_t *p, int min_prec, pql_node_t **out);

/* grouping_labels: "(" [label {"," label} [","]] ")", for by, without, on, ignoring and
 * group_left/right. *labels is never NULL afterwards (an empty list for "()"). */
static int pql_parse_grouping(pql_parser_t *p, const char ***labels, size_t *n)
{
    const pql_tok_t *t;
    pql_list_t l = {0};
    int rc;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_LEFT_PAREN)
        return pql_unexpected(p, t, "grouping opts", "\"(\"");
    pql_take(p);
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_RIGHT_PAREN) {
        for (;;) {
            /* an identifier with a ':' is a maybe_label that isLabel() then refuses */
            if (!pql_is_maybe_label(t->type) || !pql_is_label(p->text + t->pos, t->len))
                return pql_unexpected(p, t, "grouping opts", "label");
            pql_list_push(p, &l, vg_arena_strndup(p->a, p->text + t->pos, t->len));
            pql_take(p);
            if ((rc = pql_peek(p, &t)) < 0)
                return rc;
            if (t->type == PQL_TOK_RIGHT_PAREN)
                break;
            if (t->type != PQL_TOK_COMMA)
                return pql_unexpected(p, t, "grouping opts", "\",\" or \")\"");
            pql_take(p);
            if ((rc = pql_peek(p, &t)) < 0)
                return rc;
            if (t->type == PQL_TOK_RIGHT_PAREN)
                break; /* trailing comma */
        }
    }
    pql_take(p);
    *labels = l.n > 0 ? (const char **)l.v : vg_arena_calloc(p->a, sizeof **labels);
    *n = l.n;
    return VG_OK;
}

static int pql_is_match_op(pql_tok_type_t type)
{
    return type == PQL_TOK_EQL || type == PQL_TOK_NEQ || type == PQL_TOK_EQL_REGEX ||
           type == PQL_TOK_NEQ_REGEX;
}

/* label_matchers after the '{' is taken, through the '}', appended to l; *end past the '}'. */
static int pql_parse_braces(pql_parser_t *p, pql_list_t *l, size_t *end)
{
    const pql_tok_t *t;
    pql_tok_t name, op, str;
    int rc;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    while (t->type != PQL_TOK_RIGHT_BRACE) {
        store_matcher_t *m;

        if (t->type != PQL_TOK_IDENTIFIER)
            return pql_unexpected(p, t, "label matching", "identifier or \"}\"");
        name = pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (!pql_is_match_op(t->type))
            return pql_unexpected(p, t, "label matching", "label matching operator");
        op = pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type != PQL_TOK_STRING)
            return pql_unexpected(p, t, "label matching", "string");
        str = pql_take(p);
        m = vg_arena_alloc(p->a, sizeof *m);
        if ((rc = pql_matcher_init(p->a, p->text, &name, op.type, &str, m, p->err)) < 0)
            return rc;
        pql_list_push(p, l, m);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type == PQL_TOK_RIGHT_BRACE)
            break;
        if (t->type != PQL_TOK_COMMA)
            return pql_unexpected(p, t, "label matching", "\",\" or \"}\"");
        pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
    }
    *end = t->pos + 1;
    pql_take(p);
    return VG_OK;
}

/* vector_selector: a metric name (the token name, or NULL) and/or a brace list. */
static int pql_parse_vector(pql_parser_t *p, const pql_tok_t *name, pql_node_t **out)
{
    pql_node_t *n;
    pql_list_t l = {0};
    const pql_tok_t *t;
    store_matcher_t *m;
    int rc;

    n = pql_node_new(p, PQL_NODE_VECTOR, PQL_TYPE_VECTOR, 0, 0);
    if (name != NULL) {
        n->vector.name = vg_arena_strndup(p->a, p->text + name->pos, name->len);
        n->start = name->pos;
        n->end = name->pos + name->len;
        m = vg_arena_calloc(p->a, sizeof *m);
        m->type = STORE_M_EQ;
        m->name = "__name__";
        m->value = n->vector.name;
        pql_list_push(p, &l, m);
    }
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_LEFT_BRACE) {
        if (name == NULL)
            n->start = t->pos;
        pql_take(p);
        if ((rc = pql_parse_braces(p, &l, &n->end)) < 0)
            return rc;
    }
    n->vector.matchers = vg_arena_alloc(p->a, (l.n ? l.n : 1) * sizeof *n->vector.matchers);
    for (size_t i = 0; i < l.n; i++)
        n->vector.matchers[i] = *(store_matcher_t *)l.v[i];
    n->vector.nmatchers = l.n;
    *out = n;
    return VG_OK;
}

/* function_call_body after its '(' is taken: arguments through the ')', into *args. */
static int pql_parse_args(pql_parser_t *p, pql_list_t *args)
{
    const pql_tok_t *t;
    pql_tok_t comma;
    int rc;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_RIGHT_PAREN) {
        pql_take(p);
        return VG_OK;
    }
    for (;;) {
        pql_node_t *arg;

        if ((rc = pql_parse_expr(p, PQL_PREC_OR, &arg)) < 0)
            return rc;
        pql_list_push(p, args, arg);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type == PQL_TOK_RIGHT_PAREN)
            break;
        if (t->type != PQL_TOK_COMMA)
            return pql_unexpected_expr(p, t);
        comma = pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        /* goyacc reduces `args ","` before it looks at what follows, unless an expression
         * starts there */
        if (!pql_starts_expr(t->type))
            return pql_fail_at(p->err, p->text, comma.pos,
                               "trailing commas not allowed in function call args");
    }
    pql_take(p);
    return VG_OK;
}

/* function_call after its name is taken and a '(' seen. */
static int pql_parse_call(pql_parser_t *p, const pql_tok_t *name, pql_node_t **out)
{
    pql_list_t args = {0};
    const pql_func_t *f;
    pql_node_t *n;
    int rc;

    pql_take(p); /* ( */
    if ((rc = pql_parse_args(p, &args)) < 0)
        return rc;
    if ((f = pql_func_lookup(p->text + name->pos, name->len)) == NULL)
        return pql_fail_at(p->err, p->text, name->pos, "unknown function with name %s",
                           pql_q(p, p->text + name->pos, name->len));
    n = pql_node_new(p, PQL_NODE_CALL, f->ret, name->pos, p->last_closing);
    n->call.func = f;
    n->call.args = (pql_node_t **)args.v;
    n->call.nargs = args.n;
    for (size_t i = 0; i < args.n; i++) {
        if ((rc = pql_node_nest(p, n, args.v[i])) < 0)
            return rc;
    }
    *out = n;
    return VG_OK;
}

/* parser.newAggregateExpr(): the arguments become param and expr. */
static int pql_aggregate_args(pql_parser_t *p, pql_node_t *n, pql_list_t *args)
{
    size_t want = 1;
    int rc;

    n->end = p->last_closing;
    if (args->n == 0)
        return pql_fail_at(p->err, p->text, n->start,
                           "no arguments for aggregate expression provided");
    switch (n->aggregate.op) {
    case PQL_AGG_TOPK:
    case PQL_AGG_BOTTOMK:
    case PQL_AGG_COUNT_VALUES:
    case PQL_AGG_QUANTILE:
        want = 2;
        n->aggregate.param = args->v[0];
        break;
    default:
        break;
    }
    if (args->n != want)
        return pql_fail_at(p->err, p->text, n->start,
                           "wrong number of arguments for aggregate expression provided, "
                           "expected %zu, got %zu",
                           want, args->n);
    n->aggregate.expr = args->v[want - 1];
    if ((rc = pql_node_nest(p, n, n->aggregate.expr)) < 0)
        return rc;
    return pql_node_nest(p, n, n->aggregate.param);
}

/* by/without and its labels, the lookahead being one of them. */
static int pql_parse_agg_modifier(pql_parser_t *p, pql_node_t *n)
{
    n->aggregate.without = pql_take(p).type == PQL_TOK_WITHOUT;
    return pql_parse_grouping(p, &n->aggregate.grouping, &n->aggregate.ngrouping);
}

/* aggregate_expr after its operator is taken, the lookahead being '(', by or without. */
static int pql_parse_aggregate(pql_parser_t *p, const pql_tok_t *optok, pql_node_t **out)
{
    pql_node_t *n = pql_node_new(p, PQL_NODE_AGGREGATE, PQL_TYPE_VECTOR, optok->pos, 0);
    pql_list_t args = {0};
    const pql_tok_t *t;
    int rc, modifier_first = 0;

    pql_aggop_of(optok->type, &n->aggregate.op);
    p->agg_depth++;
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_BY || t->type == PQL_TOK_WITHOUT) {
        modifier_first = 1;
        if ((rc = pql_parse_agg_modifier(p, n)) < 0)
            return rc;
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
    }
    if (t->type != PQL_TOK_LEFT_PAREN)
        return pql_unexpected(p, t, "aggregation", NULL);
    pql_take(p);
    if ((rc = pql_parse_args(p, &args)) < 0)
        return rc;
    p->agg_depth--;
    if (modifier_first) {
        /* the rule ends at the ')': reduced before the next token is read */
        if ((rc = pql_aggregate_args(p, n, &args)) < 0)
            return rc;
    } else {
        /* goyacc reads the next token to see whether by/without follows */
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type == PQL_TOK_BY || t->type == PQL_TOK_WITHOUT) {
            if ((rc = pql_parse_agg_modifier(p, n)) < 0)
                return rc;
        }
        if ((rc = pql_aggregate_args(p, n, &args)) < 0)
            return rc;
    }
    *out = n;
    return VG_OK;
}

/* parser.addOffset(). */
static int pql_add_offset(pql_parser_t *p, pql_node_t *n, int64_t ms)
{
    int64_t *offset;
    size_t *end;

    switch (n->kind) {
    case PQL_NODE_VECTOR:
        offset = &n->vector.offset_ms;
        end = &n->end;
        break;
    case PQL_NODE_MATRIX:
        offset = &n->matrix.vector->vector.offset_ms;
        end = &n->end;
        break;
    case PQL_NODE_SUBQUERY:
        offset = &n->subquery.offset_ms;
        end = &n->end;
        break;
    default:
        return pql_fail_at(p->err, p->text, n->start,
                           "offset modifier must be preceded by an instant vector selector or "
                           "range vector selector or a subquery");
    }
    if (*offset != 0)
        return pql_fail_at(p->err, p->text, n->start, "offset may not be set multiple times");
    *offset = ms;
    *end = p->last_closing;
    return VG_OK;
}

/* offset_expr after OFFSET is taken: [-]duration. */
static int pql_parse_offset(pql_parser_t *p, pql_node_t *n)
{
    const pql_tok_t *t;
    pql_tok_t dur;
    int64_t ms;
    int rc, neg = 0;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_SUB) {
        neg = 1;
        pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
    }
    if (t->type != PQL_TOK_DURATION)
        return pql_unexpected(p, t, "offset", "duration");
    dur = pql_take(p);
    if ((rc = pql_duration(p, &dur, &ms)) < 0)
        return rc;
    return pql_add_offset(p, n, neg ? -ms : ms);
}

/* parser.getAtModifierVars(): where n keeps its @, or an error. */
static int pql_at_of(pql_parser_t *p, pql_node_t *n, pql_at_t **at)
{
    switch (n->kind) {
    case PQL_NODE_VECTOR:
        *at = &n->vector.at;
        break;
    case PQL_NODE_MATRIX:
        *at = &n->matrix.vector->vector.at;
        break;
    case PQL_NODE_SUBQUERY:
        *at = &n->subquery.at;
        break;
    default:
        return pql_fail_at(p->err, p->text, n->start,
                           "@ modifier must be preceded by an instant vector selector or range "
                           "vector selector or a subquery");
    }
    if ((*at)->kind != PQL_AT_NONE)
        return pql_fail_at(p->err, p->text, n->start,
                           "@ <timestamp> may not be set multiple times");
    return VG_OK;
}

/* step_invariant_expr after '@' is taken: [+-]number, start() or end(). */
static int pql_parse_at(pql_parser_t *p, pql_node_t *n)
{
    const pql_tok_t *t;
    pql_tok_t num;
    pql_at_t *at;
    double v, ms;
    int rc, neg = 0;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_START || t->type == PQL_TOK_END) {
        pql_at_kind_t kind = pql_take(p).type == PQL_TOK_START ? PQL_AT_START : PQL_AT_END;

        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type != PQL_TOK_LEFT_PAREN)
            return pql_unexpected(p, t, "@", "timestamp");
        pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type != PQL_TOK_RIGHT_PAREN)
            return pql_unexpected(p, t, "@", "timestamp");
        pql_take(p);
        if ((rc = pql_at_of(p, n, &at)) < 0)
            return rc;
        at->kind = kind;
        n->end = p->last_closing;
        return VG_OK;
    }
    if (t->type == PQL_TOK_ADD || t->type == PQL_TOK_SUB) {
        neg = pql_take(p).type == PQL_TOK_SUB;
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
    }
    if (t->type != PQL_TOK_NUMBER)
        return pql_unexpected(p, t, "@", "timestamp");
    num = pql_take(p);
    if ((rc = pql_number(p, &num, &v)) < 0)
        return rc;
    if (neg)
        v = -v;
    /* parser.setTimestamp(): the bounds first, then where the @ goes */
    if (isnan(v) || v >= 9223372036854775808.0 || v <= -9223372036854775808.0) {
        const char *shown = isnan(v) ? "NaN" : isinf(v) ? (v > 0 ? "+Inf" : "-Inf") : NULL;

        if (shown != NULL)
            return pql_fail_at(p->err, p->text, n->start,
                               "timestamp out of bounds for @ modifier: %s", shown);
        return pql_fail_at(p->err, p->text, n->start, "timestamp out of bounds for @ modifier: %f",
                           v);
    }
    if ((rc = pql_at_of(p, n, &at)) < 0)
        return rc;
    at->kind = PQL_AT_TIME;
    ms = round(v * 1000.0);
    /* beyond int64 Go's conversion gives the minimum on amd64; C's is undefined */
    at->ms = ms >= -9223372036854775808.0 && ms < 9223372036854775808.0 ? (int64_t)ms : INT64_MIN;
    n->end = p->last_closing;
    return VG_OK;
}

/* matrix_selector and subquery_expr after n, the lookahead being '['. */
static int pql_parse_range(pql_parser_t *p, pql_node_t **np)
{
    pql_node_t *n = *np, *r;
    const pql_tok_t *t;
    pql_tok_t lb, tok;
    int64_t range, step = 0;
    int rc;

    lb = pql_take(p);
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_DURATION)
        return pql_unexpected(p, t, "subquery selector", "duration");
    tok = pql_take(p);
    if ((rc = pql_duration(p, &tok, &range)) < 0)
        return rc;
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_RIGHT_BRACKET) {
        pql_take(p);
        if (n->kind != PQL_NODE_VECTOR)
            return pql_fail_at(p->err, p->text, lb.pos, "ranges only allowed for vector selectors");
        if (n->vector.offset_ms != 0)
            return pql_fail_at(p->err, p->text, lb.pos, "no offset modifiers allowed before range");
        /* an @ start() or @ end() before the range is let through, as Prometheus does */
        if (n->vector.at.kind == PQL_AT_TIME)
            return pql_fail_at(p->err, p->text, lb.pos, "no @ modifiers allowed before range");
        r = pql_node_new(p, PQL_NODE_MATRIX, PQL_TYPE_MATRIX, n->start, p->last_closing);
        r->matrix.vector = n;
        r->matrix.range_ms = range;
    } else if (t->type == PQL_TOK_COLON) {
        pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type == PQL_TOK_DURATION) {
            tok = pql_take(p);
            if ((rc = pql_duration(p, &tok, &step)) < 0)
                return rc;
            if ((rc = pql_peek(p, &t)) < 0)
                return rc;
            if (t->type != PQL_TOK_RIGHT_BRACKET)
                return pql_unexpected(p, t, "subquery selector", "\"]\"");
        } else if (t->type != PQL_TOK_RIGHT_BRACKET) {
            return pql_unexpected(p, t, "subquery selector", "duration or \"]\"");
        }
        tok = pql_take(p);
        r = pql_node_new(p, PQL_NODE_SUBQUERY, PQL_TYPE_MATRIX, n->start, tok.pos + 1);
        r->subquery.expr = n;
        r->subquery.range_ms = range;
        r->subquery.step_ms = step;
    } else {
        return pql_unexpected(p, t, "subquery or range", "\":\" or \"]\"");
    }
    if ((rc = pql_node_nest(p, r, n)) < 0)
        return rc;
    *np = r;
    return VG_OK;
}

/* The operand of everything else: a literal, selector, call, aggregation or parenthesis, with
 * its ranges, subqueries, offsets and @s (they bind tighter than any operator). */
static int pql_parse_primary(pql_parser_t *p, pql_node_t **out)
{
    const pql_tok_t *t;
    pql_tok_t tok;
    pql_node_t *n = NULL;
    int rc;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    tok = *t;
    if (tok.type == PQL_TOK_NUMBER) {
        pql_take(p);
        n = pql_node_new(p, PQL_NODE_NUMBER, PQL_TYPE_SCALAR, tok.pos, tok.pos + tok.len);
        if ((rc = pql_number(p, &tok, &n->number.value)) < 0)
            return rc;
    } else if (tok.type == PQL_TOK_STRING) {
        vg_err_t sub = {0};
        char *s;
        size_t len;

        pql_take(p);
        if (pql_unquote(p->a, p->text + tok.pos, tok.len, &s, &len, &sub) < 0)
            return pql_fail_at(p->err, p->text, tok.pos, "error unquoting string %s: %s",
                               pql_q(p, p->text + tok.pos, tok.len), sub.msg);
        n = pql_node_new(p, PQL_NODE_STRING, PQL_TYPE_STRING, tok.pos, tok.pos + tok.len);
        n->string.value = s;
        n->string.len = len;
    } else if (tok.type == PQL_TOK_LEFT_PAREN) {
        pql_node_t *inner;

        pql_take(p);
        if ((rc = pql_parse_expr(p, PQL_PREC_OR, &inner)) < 0)
            return rc;
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type != PQL_TOK_RIGHT_PAREN)
            return pql_unexpected_expr(p, t);
        n = pql_node_new(p, PQL_NODE_PAREN, inner->type, tok.pos, t->pos + 1);
        pql_take(p);
        n->paren.expr = inner;
        if ((rc = pql_node_nest(p, n, inner)) < 0)
            return rc;
    } else if (tok.type == PQL_TOK_LEFT_BRACE) {
        if ((rc = pql_parse_vector(p, NULL, &n)) < 0)
            return rc;
    } else if (pql_is_metric_identifier(tok.type)) {
        pql_take(p);
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (tok.type == PQL_TOK_IDENTIFIER && t->type == PQL_TOK_LEFT_PAREN)
            rc = pql_parse_call(p, &tok, &n);
        else if (pql_tok_is_aggregator(tok.type) &&
                 (t->type == PQL_TOK_LEFT_PAREN || t->type == PQL_TOK_BY ||
                  t->type == PQL_TOK_WITHOUT))
            rc = pql_parse_aggregate(p, &tok, &n);
        else /* goyacc's default reduction: a metric name */
            rc = pql_parse_vector(p, &tok, &n);
        if (rc < 0)
            return rc;
    } else {
        return pql_unexpected_expr(p, &tok);
    }

    for (;;) {
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        if (t->type == PQL_TOK_LEFT_BRACKET) {
            rc = pql_parse_range(p, &n);
        } else if (t->type == PQL_TOK_OFFSET) {
            pql_take(p);
            rc = pql_parse_offset(p, n);
        } else if (t->type == PQL_TOK_AT) {
            pql_take(p);
            rc = pql_parse_at(p, n);
        } else {
            break;
        }
        if (rc < 0)
            return rc;
    }
    *out = n;
    return VG_OK;
}

/* unary_expr: + or - binds like *, so its operand takes in only ^ (and -2^2 is -(2^2)); a number
 * operand absorbs the sign. */
static int pql_parse_unary(pql_parser_t *p, pql_node_t **out)
{
    const pql_tok_t *t;
    pql_tok_t op;
    pql_node_t *operand, *n;
    int rc;

    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_ADD && t->type != PQL_TOK_SUB)
        return pql_parse_primary(p, out);
    op = pql_take(p);
    if ((rc = pql_parse_expr(p, PQL_PREC_POW, &operand)) < 0)
        return rc;
    if (operand->kind == PQL_NODE_NUMBER) {
        if (op.type == PQL_TOK_SUB)
            operand->number.value *= -1;
        operand->start = op.pos;
        *out = operand;
        return VG_OK;
    }
    n = pql_node_new(p, PQL_NODE_UNARY, operand->type, op.pos, operand->end);
    n->unary.op = op.type == PQL_TOK_SUB ? PQL_OP_SUB : PQL_OP_ADD;
    n->unary.expr = operand;
    if ((rc = pql_node_nest(p, n, operand)) < 0)
        return rc;
    *out = n;
    return VG_OK;
}

/* bin_modifier after the operator: [bool] [(on|ignoring) labels [(group_left|group_right)
 * [labels]]]. */
static int pql_parse_bin_modifier(pql_parser_t *p, pql_node_t *n)
{
    pql_matching_t *vm = vg_arena_calloc(p->a, sizeof *vm);
    const pql_tok_t *t;
    int rc;

    n->binary.matching = vm;
    vm->card = PQL_CARD_ONE_TO_ONE;
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_BOOL) {
        pql_take(p);
        n->binary.return_bool = 1;
        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
    }
    if (t->type != PQL_TOK_ON && t->type != PQL_TOK_IGNORING)
        return VG_OK;
    vm->on = pql_take(p).type == PQL_TOK_ON;
    if ((rc = pql_parse_grouping(p, &vm->labels, &vm->nlabels)) < 0)
        return rc;
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_GROUP_LEFT && t->type != PQL_TOK_GROUP_RIGHT)
        return VG_OK;
    vm->card = pql_take(p).type == PQL_TOK_GROUP_LEFT ? PQL_CARD_MANY_TO_ONE : PQL_CARD_ONE_TO_MANY;
    if ((rc = pql_peek(p, &t)) < 0)
        return rc;
    /* a '(' opens the label list, never the right operand (goyacc shifts); a token that can
     * start no operand meets the list's error production */
    if (t->type == PQL_TOK_LEFT_PAREN || !pql_starts_expr(t->type))
        return pql_parse_grouping(p, &vm->include, &vm->ninclude);
    return VG_OK;
}

/* expr with operators binding at least as tightly as min_prec, by precedence climbing. */
static int pql_parse_expr(pql_parser_t *p, int min_prec, pql_node_t **out)
{
    pql_node_t *lhs;
    int rc;

    if (p->depth >= PQL_MAX_DEPTH) {
        const pql_tok_t *t;

        if ((rc = pql_peek(p, &t)) < 0)
            return rc;
        return pql_too_deep(p, t->pos);
    }
    p->depth++;
    if ((rc = pql_parse_unary(p, &lhs)) < 0)
        goto out;
    for (;;) {
        const pql_tok_t *t;
        pql_node_t *n, *rhs;
        pql_binop_t op;
        int prec;

        if ((rc = pql_peek(p, &t)) < 0)
            goto out;
        prec = pql_binop_of(t->type, &op);
        if (prec == PQL_PREC_NONE || prec < min_prec)
            break;
        pql_take(p);
        n = pql_node_new(p, PQL_NODE_BINARY, PQL_TYPE_VECTOR, lhs->start, 0);
        n->binary.op = op;
        n->binary.lhs = lhs;
        if ((rc = pql_parse_bin_modifier(p, n)) < 0)
            goto out;
        /* ^ is right-associative, the others left-associative */
        if ((rc = pql_parse_expr(p, prec == PQL_PREC_POW ? prec : prec + 1, &rhs)) < 0)
            goto out;
        n->binary.rhs = rhs;
        n->end = rhs->end;
        if (lhs->type == PQL_TYPE_SCALAR && rhs->type == PQL_TYPE_SCALAR)
            n->type = PQL_TYPE_SCALAR;
        if ((rc = pql_node_nest(p, n, lhs)) < 0 || (rc = pql_node_nest(p, n, rhs)) < 0)
            goto out;
        lhs = n;
    }
    *out = lhs;
    rc = VG_OK;
out:
    p->depth--;
    return rc;
}

/* ---- checkAST ---- */

static int pql_check(pql_parser_t *p, pql_node_t *n);

/* parser.expectType(): n checked, then its type. */
static int pql_expect_type(pql_parser_t *p, pql_node_t *n, pql_type_t want, const char *context)
{
    int rc;

    if ((rc = pql_check(p, n)) < 0)
        return rc;
    if (n->type != want)
        return pql_fail_at(p->err, p->text, n->start, "expected type %s in %s, got %s",
                           pql_type_str(want), context, pql_type_str(n->type));
    return VG_OK;
}

static int pql_check_vector(pql_parser_t *p, pql_node_t *n)
{
    if (n->vector.name != NULL) {
        /* the name outside the braces is matcher 0; one inside them too is a conflict */
        for (size_t i = 1; i < n->vector.nmatchers; i++) {
            const store_matcher_t *m = &n->vector.matchers[i];

            if (strcmp(m->name, "__name__") == 0)
                return pql_fail_at(p->err, p->text, n->start,
                                   "metric name must not be set twice: %s or %s",
                                   pql_q(p, n->vector.name, strlen(n->vector.name)),
                                   pql_q(p, m->value, strlen(m->value)));
        }
        return VG_OK;
    }
    for (size_t i = 0; i < n->vector.nmatchers; i++) {
        if (!pql_matcher_matches_empty(&n->vector.matchers[i]))
            return VG_OK;
    }
    /* else a typo could select every series */
    return pql_fail_at(p->err, p->text, n->start,
                       "vector selector must contain at least one non-empty matcher");
}

static int pql_check_binary(pql_parser_t *p, pql_node_t *n)
{
    pql_binop_t op = n->binary.op;
    pql_matching_t *vm = n->binary.matching;
    pql_type_t lt, rt;
    size_t op_pos;
    int rc;

    if ((rc = pql_check(p, n->binary.lhs)) < 0 || (rc = pql_check(p, n->binary.rhs)) < 0)
        return rc;
    lt = n->binary.lhs->type;
    rt = n->binary.rhs->type;
    /* the operator's position: the first non-space byte after the left operand */
    for (op_pos = n->binary.lhs->end; p->text[op_pos] == ' ' || p->text[op_pos] == '\t' ||
                                      p->text[op_pos] == '\n' || p->text[op_pos] == '\r';
         op_pos++)
        ;
    if (n->binary.return_bool && !pql_binop_is_comparison(op))
        return pql_fail_at(p->err, p->text, op_pos,
                           "bool modifier can only be used on comparison operators");
    if (pql_binop_is_comparison(op) && !n->binary.return_bool && lt == PQL_TYPE_SCALAR &&
        rt == PQL_TYPE_SCALAR)
        return pql_fail_at(p->err, p->text, op_pos,
                           "comparisons between scalars must use BOOL modifier");
    if (pql_binop_is_set(op) && vm->card == PQL_CARD_ONE_TO_ONE)
        vm->card = PQL_CARD_MANY_TO_MANY;
    for (size_t i = 0; vm->on && i < vm->nlabels; i++) {
        for (size_t j = 0; j < vm->ninclude; j++) {
            if (strcmp(vm->labels[i], vm->include[j]) == 0)
                return pql_fail_at(p->err, p->text, op_pos,
                                   "label %s must not occur in ON and GROUP clause at once",
                                   pql_q(p, vm->labels[i], strlen(vm->labels[i])));
        }
    }
    if (lt != PQL_TYPE_SCALAR && lt != PQL_TYPE_VECTOR)
        return pql_fail_at(p->err, p->text, n->binary.lhs->start,
                           "binary expression must contain only scalar and instant vector types");
    if (rt != PQL_TYPE_SCALAR && rt != PQL_TYPE_VECTOR)
        return pql_fail_at(p->err, p->text, n->binary.rhs->start,
                           "binary expression must contain only scalar and instant vector types");
    if (lt != PQL_TYPE_VECTOR || rt != PQL_TYPE_VECTOR) {
        if (vm->nlabels > 0)
            return pql_fail_at(p->err, p->text, n->start,
                               "vector matching only allowed between instant vectors");
        n->binary.matching = NULL;
    } else if (pql_binop_is_set(op)) {
        if (vm->card == PQL_CARD_ONE_TO_MANY || vm->card == PQL_CARD_MANY_TO_ONE)
            return pql_fail_at(p->err, p->text, n->start,
                               "no grouping allowed for \"%s\" operation", pql_binop_str(op));
        if (vm->card != PQL_CARD_MANY_TO_MANY)
            return pql_fail_at(p->err, p->text, n->start,
                               "set operations must always be many-to-many");
    }
    if ((lt == PQL_TYPE_SCALAR || rt == PQL_TYPE_SCALAR) && pql_binop_is_set(op))
        return pql_fail_at(p->err, p->text, n->start,
                           "set operator \"%s\" not allowed in binary scalar expression",
                           pql_binop_str(op));
    return VG_OK;
}

static int pql_check_call(pql_parser_t *p, pql_node_t *n)
{
    const pql_func_t *f = n->call.func;
    const char *name = pql_q(p, f->name, strlen(f->name));
    size_t got = n->call.nargs;
    char *context;
    int rc;

    if (f->variadic == 0) {
        if ((size_t)f->nargs != got)
            return pql_fail_at(p->err, p->text, n->start,
                               "expected %d argument(s) in call to %s, got %zu", f->nargs, name,
                               got);
    } else {
        size_t least = (size_t)f->nargs - 1;

        if (least > got)
            return pql_fail_at(p->err, p->text, n->start,
                               "expected at least %zu argument(s) in call to %s, got %zu", least,
                               name, got);
        if (f->variadic > 0 && least + (size_t)f->variadic < got)
            return pql_fail_at(p->err, p->text, n->start,
                               "expected at most %zu argument(s) in call to %s, got %zu",
                               least + (size_t)f->variadic, name, got);
    }
    context = vg_arena_sprintf(p->a, "call to function %s", name);
    for (size_t i = 0; i < got; i++) {
        size_t k = i;

        if (k >= (size_t)f->nargs) {
            if (f->variadic == 0)
                break;
            k = (size_t)f->nargs - 1;
        }
        if ((rc = pql_expect_type(p, n->call.args[i], f->args[k], context)) < 0)
            return rc;
    }
    return VG_OK;
}

/* parser.checkAST(): children first, so the first error is the innermost-leftmost one. */
static int pql_check(pql_parser_t *p, pql_node_t *n)
{
    int rc;

    switch (n->kind) {
    case PQL_NODE_NUMBER:
    case PQL_NODE_STRING:
        return VG_OK;
    case PQL_NODE_VECTOR:
        return pql_check_vector(p, n);
    case PQL_NODE_MATRIX:
        return pql_check(p, n->matrix.vector);
    case PQL_NODE_SUBQUERY:
        if ((rc = pql_check(p, n->subquery.expr)) < 0)
            return rc;
        if (n->subquery.expr->type != PQL_TYPE_VECTOR) {
            /* sic: the raw type name here, "matrix", not "range vector" */
            static const char *raw[] = {"none", "scalar", "vector", "matrix", "string"};

            return pql_fail_at(p->err, p->text, n->start,
                               "subquery is only allowed on instant vector, got %s instead",
                               raw[n->subquery.expr->type]);
        }
        return VG_OK;
    case PQL_NODE_PAREN:
        return pql_check(p, n->paren.expr);
    case PQL_NODE_UNARY:
        if ((rc = pql_check(p, n->unary.expr)) < 0)
            return rc;
        if (n->unary.expr->type != PQL_TYPE_SCALAR && n->unary.expr->type != PQL_TYPE_VECTOR)
            return pql_fail_at(p->err, p->text, n->start,
                               "unary expression only allowed on expressions of type scalar or "
                               "instant vector, got \"%s\"",
                               pql_type_str(n->unary.expr->type));
        return VG_OK;
    case PQL_NODE_BINARY:
        return pql_check_binary(p, n);
    case PQL_NODE_AGGREGATE:
        if ((rc = pql_expect_type(p, n->aggregate.expr, PQL_TYPE_VECTOR,
                                  "aggregation expression")) < 0)
            return rc;
        switch (n->aggregate.op) {
        case PQL_AGG_TOPK:
        case PQL_AGG_BOTTOMK:
        case PQL_AGG_QUANTILE:
            return pql_expect_type(p, n->aggregate.param, PQL_TYPE_SCALAR, "aggregation parameter");
        case PQL_AGG_COUNT_VALUES:
            return pql_expect_type(p, n->aggregate.param, PQL_TYPE_STRING, "aggregation parameter");
        default:
            return VG_OK;
        }
    case PQL_NODE_CALL:
        return pql_check_call(p, n);
    }
    return VG_OK;
}

int pql_parse(vg_arena_t *a, const char *text, pql_node_t **out, vg_err_t *err)
{
    pql_parser_t p = {.a = a, .text = text, .err = err};
    const pql_tok_t *t;
    pql_node_t *root;
    int rc;

    pql_lexer_init(&p.lex, text, strlen(text));
    if ((rc = pql_peek(&p, &t)) < 0)
        return rc;
    if (t->type == PQL_TOK_EOF)
        return pql_fail_at(err, text, 0, "no expression found in input");
    if ((rc = pql_parse_expr(&p, PQL_PREC_OR, &root)) < 0)
        return rc;
    if ((rc = pql_peek(&p, &t)) < 0)
        return rc;
    if (t->type != PQL_TOK_EOF)
        return pql_unexpected_expr(&p, t);
    if ((rc = pql_check(&p, root)) < 0)
        return rc;
    *out = root;
    return VG_OK;
}
