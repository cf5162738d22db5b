/* query/promql/parser.h - the PromQL parser: a query's text into the tree of ast.h, type-checked,
 * with Prometheus 2.42's grammar, precedence and error texts; and the function table.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_PARSER_H
#define PQL_PARSER_H

#include "ast.h"
#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>

/* Deepest nesting of nodes a query may have (vigil's limit; Prometheus has none): it bounds the
 * recursion of the parser and of everything that walks the tree. */
#define PQL_MAX_DEPTH 1000

/* Parses text (NUL-terminated) as one PromQL expression, as Prometheus 2.42's ParseExpr: the
 * grammar of generated_parser.y, then the checks of checkAST (operand and argument types,
 * arities, bool and vector-matching rules, the non-empty-matcher rule). On VG_OK *out is the
 * root, everything in a (compiled regexes are released at a's next reset). Fails with VG_EINVAL
 * and the first error Prometheus would report, "line:col: parse error: <message>" with the
 * position counted as Prometheus counts it: lexer errors, `unexpected <op:+>`-style syntax
 * errors with their grammar context (`in aggregation`, `in grouping opts, expected label`,
 * ...), `unknown function with name "x"`, `expected type range vector in call to function
 * "rate", got instant vector`, and so on. Two refusals are vigil's own: label matcher values
 * holding a NUL byte (the store cannot keep them) and nesting deeper than PQL_MAX_DEPTH.
 * label_replace()'s regex and destination label are not checked here: Prometheus checks them
 * when the call is evaluated. */
int pql_parse(vg_arena_t *a, const char *text, pql_node_t **out, vg_err_t *err);

/* The entry of the function called name (len bytes, case-sensitive), or NULL. */
const pql_func_t *pql_func_lookup(const char *name, size_t len);
/* The entry of function id. */
const pql_func_t *pql_func_get(pql_func_id_t id);

#endif
