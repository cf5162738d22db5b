/* query/promql/format.c - a PromQL tree printed as Prometheus 2.42's printer.go String() methods
 * print it, with Go's number (%v) and model.Duration formatting, and the quirks kept: an empty
 * ignoring() drops its group_left/right, and label matchers are sorted as strings.
 * SPDX-License-Identifier: MIT */
#include "format.h"

#include "core/buf.h"
#include "core/time.h"
#include "lexer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pql_binop_str(pql_binop_t op)
{
    static const char *names[] = {"+",  "-", "*", "/",  "%",  "^",   "atan2", "==",
                                  "!=", ">", "<", ">=", "<=", "and", "or",    "unless"};

    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

const char *pql_aggop_str(pql_aggop_t op)
{
    static const char *names[] = {"sum",  "avg",     "count",        "min",
                                  "max",  "group",   "stddev",       "stdvar",
                                  "topk", "bottomk", "count_values", "quantile"};

    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

const char *pql_type_str(pql_type_t t)
{
    switch (t) {
    case PQL_TYPE_SCALAR:
        return "scalar";
    case PQL_TYPE_VECTOR:
        return "instant vector";
    case PQL_TYPE_MATRIX:
        return "range vector";
    case PQL_TYPE_STRING:
        return "string";
    default:
        return "none";
    }
}

/* Go's strconv.Quote of n bytes. */
static void pql_fmt_quoted(vg_buf_t *b, const char *s, size_t n)
{
    size_t cap = 4 * n + 3; /* an escape is at most four bytes per input byte */

    vg_buf_reserve(b, cap);
    pql_quote(b->p + b->len, cap, s, n);
    b->len += strlen(b->p + b->len);
}

/* Whether mant * 10^e reads back as v. */
static int pql_reads_back(uint64_t mant, int e, double v)
{
    char tmp[64];

    snprintf(tmp, sizeof tmp, "%" PRIu64 "e%d", mant, e);
    return strtod(tmp, NULL) == v;
}

/* The decimal digits and exponent of the shortest decimal that reads back as v (v finite, > 0),
 * as Go's shortest formatting picks it: the fewest digits, then the one closest to v. */
static int pql_shortest(double v, char *digits, int *exp10)
{
    char tmp[64];

    for (int prec = 1; prec <= 17; prec++) {
        uint64_t mant = 0;
        int e, nd;
        char *q;

        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        for (q = tmp; *q != 'e'; q++) {
            if (*q >= '0' && *q <= '9')
                mant = mant * 10 + (uint64_t)(*q - '0');
        }
        e = atoi(q + 1) - (prec - 1); /* value = mant * 10^e */
        /* the correctly rounded candidate is the closest; when it misses, a neighbour can
         * still hit, on the wide side of a power of two's lopsided rounding interval */
        if (!pql_reads_back(mant, e, v)) {
            if (pql_reads_back(mant + 1, e, v))
                mant++;
            else if (mant > 1 && pql_reads_back(mant - 1, e, v))
                mant--;
            else
                continue;
        }
        snprintf(tmp, sizeof tmp, "%" PRIu64, mant);
        nd = (int)strlen(tmp);
        *exp10 = e + nd - 1; /* value = d.ddd * 10^exp10 */
        while (nd > 1 && tmp[nd - 1] == '0')
            nd--;
        memcpy(digits, tmp, (size_t)nd);
        digits[nd] = '\0';
        return nd;
    }
    /* not reached: 17 significant digits always read back */
    snprintf(tmp, sizeof tmp, "%.16e", v);
    *exp10 = atoi(strchr(tmp, 'e') + 1);
    digits[0] = tmp[0];
    memcpy(digits + 1, tmp + 2, 16);
    digits[17] = '\0';
    return 17;
}

/* Go's fmt %v of a float64: %g with the shortest digits, exponent form below 1e-4 or from 1e6. */
static void pql_fmt_float(vg_buf_t *b, double v)
{
    char digits[32];
    int nd, exp10, dp;

    if (isnan(v)) {
        vg_buf_adds(b, "NaN");
        return;
    }
    if (isinf(v)) {
        vg_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (signbit(v))
        vg_buf_addc(b, '-');
    if (v == 0) {
        vg_buf_addc(b, '0');
        return;
    }
    nd = pql_shortest(fabs(v), digits, &exp10);
    if (exp10 < -4 || exp10 >= 6) {
        vg_buf_addc(b, digits[0]);
        if (nd > 1) {
            vg_buf_addc(b, '.');
            vg_buf_add(b, digits + 1, (size_t)nd - 1);
        }
        vg_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        return;
    }
    dp = exp10 + 1; /* digits before the point */
    if (dp > 0) {
        for (int i = 0; i < dp; i++)
            vg_buf_addc(b, i < nd ? digits[i] : '0');
    } else {
        vg_buf_addc(b, '0');
    }
    if (nd > dp) {
        vg_buf_addc(b, '.');
        for (int i = dp; i < nd; i++)
            vg_buf_addc(b, i < 0 ? '0' : digits[i]);
    }
}

/* model.Duration.String(), which core/time.c implements. */
static void pql_fmt_duration(vg_buf_t *b, int64_t ms)
{
    char tmp[64];

    vg_duration_format(ms, tmp, sizeof tmp);
    vg_buf_adds(b, tmp);
}

/* " offset 5m", " offset -5m" or nothing. */
static void pql_fmt_offset(vg_buf_t *b, int64_t ms)
{
    if (ms > 0) {
        vg_buf_adds(b, " offset ");
        pql_fmt_duration(b, ms);
    } else if (ms < 0) {
        vg_buf_adds(b, " offset -");
        pql_fmt_duration(b, ms == INT64_MIN ? INT64_MAX : -ms);
    }
}

/* " @ 100.000", " @ start()", " @ end()" or nothing. */
static void pql_fmt_at(vg_buf_t *b, const pql_at_t *at)
{
    switch (at->kind) {
    case PQL_AT_TIME:
        vg_buf_printf(b, " @ %.3f", (double)at->ms / 1000.0);
        break;
    case PQL_AT_START:
        vg_buf_adds(b, " @ start()");
        break;
    case PQL_AT_END:
        vg_buf_adds(b, " @ end()");
        break;
    default:
        break;
    }
}

static int pql_fmt_strcmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* VectorSelector.String() without its modifiers: the name, then the other matchers sorted. */
static void pql_fmt_selector(vg_buf_t *b, const pql_node_t *n)
{
    const char *name = n->vector.name != NULL ? n->vector.name : "";
    char **strs = vg_arena_alloc(b->arena, (n->vector.nmatchers + 1) * sizeof *strs);
    size_t k = 0;

    for (size_t i = 0; i < n->vector.nmatchers; i++) {
        static const char *ops[] = {"=", "!=", "=~", "!~"};
        const store_matcher_t *m = &n->vector.matchers[i];
        vg_buf_t s;

        /* the name's own matcher; an explicit {__name__=""} without a name goes too (sic) */
        if (m->type == STORE_M_EQ && strcmp(m->name, "__name__") == 0 &&
            strcmp(m->value, name) == 0)
            continue;
        vg_buf_init(&s, b->arena);
        vg_buf_adds(&s, m->name);
        vg_buf_adds(&s, (unsigned)m->type < 4 ? ops[m->type] : "?");
        pql_fmt_quoted(&s, m->value, strlen(m->value));
        strs[k++] = s.p;
    }
    vg_buf_adds(b, name);
    if (k == 0)
        return;
    qsort(strs, k, sizeof *strs, pql_fmt_strcmp);
    vg_buf_addc(b, '{');
    for (size_t i = 0; i < k; i++) {
        if (i > 0)
            vg_buf_addc(b, ',');
        vg_buf_adds(b, strs[i]);
    }
    vg_buf_addc(b, '}');
}

static void pql_fmt_labels(vg_buf_t *b, const char **labels, size_t n)
{
    vg_buf_addc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            vg_buf_adds(b, ", ");
        vg_buf_adds(b, labels[i]);
    }
    vg_buf_addc(b, ')');
}

static void pql_fmt_node(vg_buf_t *b, const pql_node_t *n);

static void pql_fmt_binary(vg_buf_t *b, const pql_node_t *n)
{
    const pql_matching_t *vm = n->binary.matching;

    pql_fmt_node(b, n->binary.lhs);
    vg_buf_addc(b, ' ');
    vg_buf_adds(b, pql_binop_str(n->binary.op));
    if (n->binary.return_bool)
        vg_buf_adds(b, " bool");
    /* sic: Prometheus 2.42 prints nothing for an empty ignoring(), group_left/right included */
    if (vm != NULL && (vm->nlabels > 0 || vm->on)) {
        vg_buf_adds(b, vm->on ? " on " : " ignoring ");
        pql_fmt_labels(b, vm->labels, vm->nlabels);
        if (vm->card == PQL_CARD_MANY_TO_ONE || vm->card == PQL_CARD_ONE_TO_MANY) {
            vg_buf_adds(b, vm->card == PQL_CARD_MANY_TO_ONE ? " group_left " : " group_right ");
            pql_fmt_labels(b, vm->include, vm->ninclude);
        }
    }
    vg_buf_addc(b, ' ');
    pql_fmt_node(b, n->binary.rhs);
}

static void pql_fmt_node(vg_buf_t *b, const pql_node_t *n)
{
    const pql_node_t *vs;

    switch (n->kind) {
    case PQL_NODE_NUMBER:
        pql_fmt_float(b, n->number.value);
        return;
    case PQL_NODE_STRING:
        pql_fmt_quoted(b, n->string.value, n->string.len);
        return;
    case PQL_NODE_VECTOR:
        pql_fmt_selector(b, n);
        pql_fmt_at(b, &n->vector.at);
        pql_fmt_offset(b, n->vector.offset_ms);
        return;
    case PQL_NODE_MATRIX:
        vs = n->matrix.vector;
        pql_fmt_selector(b, vs);
        vg_buf_addc(b, '[');
        pql_fmt_duration(b, n->matrix.range_ms);
        vg_buf_addc(b, ']');
        pql_fmt_at(b, &vs->vector.at);
        pql_fmt_offset(b, vs->vector.offset_ms);
        return;
    case PQL_NODE_SUBQUERY:
        pql_fmt_node(b, n->subquery.expr);
        vg_buf_addc(b, '[');
        pql_fmt_duration(b, n->subquery.range_ms);
        vg_buf_addc(b, ':');
        if (n->subquery.step_ms != 0)
            pql_fmt_duration(b, n->subquery.step_ms);
        vg_buf_addc(b, ']');
        pql_fmt_at(b, &n->subquery.at);
        pql_fmt_offset(b, n->subquery.offset_ms);
        return;
    case PQL_NODE_PAREN:
        vg_buf_addc(b, '(');
        pql_fmt_node(b, n->paren.expr);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_UNARY:
        vg_buf_adds(b, pql_binop_str(n->unary.op));
        pql_fmt_node(b, n->unary.expr);
        return;
    case PQL_NODE_BINARY:
        pql_fmt_binary(b, n);
        return;
    case PQL_NODE_AGGREGATE:
        vg_buf_adds(b, pql_aggop_str(n->aggregate.op));
        if (n->aggregate.without || n->aggregate.ngrouping > 0) {
            vg_buf_adds(b, n->aggregate.without ? " without " : " by ");
            pql_fmt_labels(b, n->aggregate.grouping, n->aggregate.ngrouping);
            vg_buf_addc(b, ' ');
        }
        vg_buf_addc(b, '(');
        if (n->aggregate.param != NULL) {
            pql_fmt_node(b, n->aggregate.param);
            vg_buf_adds(b, ", ");
        }
        pql_fmt_node(b, n->aggregate.expr);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_CALL:
        vg_buf_adds(b, n->call.func->name);
        vg_buf_addc(b, '(');
        for (size_t i = 0; i < n->call.nargs; i++) {
            if (i > 0)
                vg_buf_adds(b, ", ");
            pql_fmt_node(b, n->call.args[i]);
        }
        vg_buf_addc(b, ')');
        return;
    }
}

char *pql_format(vg_arena_t *a, const pql_node_t *n)
{
    vg_buf_t b;

    vg_buf_init(&b, a);
    pql_fmt_node(&b, n);
    return b.p;
}
