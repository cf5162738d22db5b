/* tests/fuzz/fuzz_parser.c - libFuzzer target for pql_parse() and pql_format(). The input is the
 * query text (cut at a NUL, as a C string is). A parse either fails with a "line:col: parse
 * error: " message or gives a tree that keeps the AST's invariants (types, arities, matching,
 * positions inside the text, depth within PQL_MAX_DEPTH); its printed form parses again and
 * prints the same, except where Prometheus's own printing drifts too: @ times (their float round
 * trip may move a millisecond) and "+Inf ^ x" (re-read as +(Inf ^ x)). Never crash or leak.
 * SPDX-License-Identifier: MIT */
#include "query/promql/format.h"
#include "query/promql/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_pql_check_vector(const pql_node_t *n)
{
    int non_empty = n->vector.name != NULL;

    if (n->vector.nmatchers == 0)
        abort();
    if (n->vector.name != NULL && (strcmp(n->vector.matchers[0].name, "__name__") != 0 ||
                                   strcmp(n->vector.matchers[0].value, n->vector.name) != 0))
        abort(); /* the name's matcher first */
    for (size_t i = 0; i < n->vector.nmatchers; i++) {
        const store_matcher_t *m = &n->vector.matchers[i];
        int is_re = m->type == STORE_M_RE || m->type == STORE_M_NRE;

        if (is_re != (m->re_match != NULL) || is_re != (m->re != NULL))
            abort();
        if (is_re) {
            int empty = m->re_match(m->re, "");

            non_empty |= m->type == STORE_M_RE ? !empty : empty;
            (void)m->re_match(m->re, m->value);
        } else {
            non_empty |= (m->value[0] == '\0') == (m->type == STORE_M_NEQ);
        }
    }
    if (!non_empty)
        abort(); /* the empty-matcher rule */
}

/* Walks n, checking what pql_parse() promises; returns the subtree's depth. */
static unsigned fuzz_pql_walk(const pql_node_t *n, size_t len)
{
    unsigned d = 0, c;

    if (n == NULL || n->start > n->end || n->end > len || n->type == PQL_TYPE_NONE)
        abort();
    switch (n->kind) {
    case PQL_NODE_NUMBER:
    case PQL_NODE_STRING:
        break;
    case PQL_NODE_VECTOR:
        fuzz_pql_check_vector(n);
        break;
    case PQL_NODE_MATRIX:
        if (n->matrix.vector->kind != PQL_NODE_VECTOR || n->matrix.range_ms <= 0)
            abort();
        d = fuzz_pql_walk(n->matrix.vector, len);
        break;
    case PQL_NODE_SUBQUERY:
        if (n->subquery.expr->type != PQL_TYPE_VECTOR || n->subquery.range_ms <= 0 ||
            n->subquery.step_ms < 0)
            abort();
        d = fuzz_pql_walk(n->subquery.expr, len);
        break;
    case PQL_NODE_PAREN:
        d = fuzz_pql_walk(n->paren.expr, len);
        if (n->type != n->paren.expr->type)
            abort();
        break;
    case PQL_NODE_UNARY:
        d = fuzz_pql_walk(n->unary.expr, len);
        if (n->type != PQL_TYPE_SCALAR && n->type != PQL_TYPE_VECTOR)
            abort();
        break;
    case PQL_NODE_BINARY: {
        pql_type_t lt = n->binary.lhs->type, rt = n->binary.rhs->type;
        const pql_matching_t *vm = n->binary.matching;

        d = fuzz_pql_walk(n->binary.lhs, len);
        if ((c = fuzz_pql_walk(n->binary.rhs, len)) > d)
            d = c;
        if ((lt != PQL_TYPE_SCALAR && lt != PQL_TYPE_VECTOR) ||
            (rt != PQL_TYPE_SCALAR && rt != PQL_TYPE_VECTOR))
            abort();
        if ((vm != NULL) != (lt == PQL_TYPE_VECTOR && rt == PQL_TYPE_VECTOR))
            abort();
        if (vm != NULL && pql_binop_is_set(n->binary.op) != (vm->card == PQL_CARD_MANY_TO_MANY))
            abort();
        if (n->binary.return_bool && !pql_binop_is_comparison(n->binary.op))
            abort();
        break;
    }
    case PQL_NODE_AGGREGATE:
        if (n->aggregate.expr->type != PQL_TYPE_VECTOR)
            abort();
        d = fuzz_pql_walk(n->aggregate.expr, len);
        if (n->aggregate.param != NULL && (c = fuzz_pql_walk(n->aggregate.param, len)) > d)
            d = c;
        break;
    case PQL_NODE_CALL: {
        const pql_func_t *f = n->call.func;

        if (f == NULL || n->type != f->ret)
            abort();
        if (f->variadic == 0 ? n->call.nargs != (size_t)f->nargs
                             : n->call.nargs + 1 < (size_t)f->nargs)
            abort();
        for (size_t i = 0; i < n->call.nargs; i++) {
            size_t k = i < (size_t)f->nargs ? i : (size_t)f->nargs - 1;

            if (n->call.args[i]->type != f->args[k])
                abort();
            if ((c = fuzz_pql_walk(n->call.args[i], len)) > d)
                d = c;
        }
        break;
    }
    default:
        abort();
    }
    if (n->depth != d + 1 || n->depth > PQL_MAX_DEPTH)
        abort();
    return n->depth;
}

static void fuzz_pql_check_error(int rc, const vg_err_t *err)
{
    const char *p = err->msg;

    if (rc != VG_EINVAL || err->code != VG_EINVAL)
        abort();
    /* "line:col: parse error: " */
    if (*p < '1' || *p > '9')
        abort();
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != ':' || *p < '1' || *p > '9')
        abort();
    while (*p >= '0' && *p <= '9')
        p++;
    if (strncmp(p, ": parse error: ", 15) != 0 || p[15] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    vg_arena_t a;
    vg_err_t err = {0};
    pql_node_t *root = NULL;
    int rc;

    memcpy(text, data, size);
    text[size] = '\0';
    vg_arena_init(&a, 0);
    rc = pql_parse(&a, text, &root, &err);
    if (rc == VG_OK) {
        char *once, *twice;

        fuzz_pql_walk(root, strlen(text));
        once = pql_format(&a, root);
        rc = pql_parse(&a, once, &root, &err);
        /* a U+FFFD in a string prints as itself, which the lexer refuses (as Prometheus's); a
         * signed literal prints its sign, which reads back as one more unary level, so a query
         * at the nesting limit can come back one level past it */
        if (rc != VG_OK && strstr(once, "\xef\xbf\xbd") == NULL &&
            strstr(err.msg, "nested more than") == NULL)
            abort();
        if (rc == VG_OK) {
            fuzz_pql_walk(root, strlen(once));
            twice = pql_format(&a, root);
            /* +Inf prints with its sign, so "+Inf ^ 2" reads back as +(Inf ^ 2), as in
             * Prometheus */
            if (strchr(once, '@') == NULL && strstr(once, "+Inf ^") == NULL &&
                strcmp(once, twice) != 0)
                abort();
        }
    } else {
        fuzz_pql_check_error(rc, &err);
    }
    vg_arena_fini(&a);
    free(text);
    return 0;
}
