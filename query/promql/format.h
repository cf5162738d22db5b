/* query/promql/format.h - a PromQL tree back to text, as Prometheus 2.42's String() methods print
 * it (the canonical form /api/v1/format_query returns for queries up to 100 characters), and
 * the names of operators and types that messages use.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_FORMAT_H
#define PQL_FORMAT_H

#include "ast.h"
#include "core/arena.h"

/* The canonical text of n, NUL-terminated, in a: `sum by (job) (rate(x{job="api"}[5m]))`,
 * `a + on (x) group_left (y) b`, label matchers sorted, durations as `1h30m`, `2w`, `1y`,
 * numbers as Go's %v (`1e+06`, `0.5`, `+Inf`, `NaN`), @ times as `@ 100.000`. The tree's own
 * parentheses are kept and none are added. */
char *pql_format(vg_arena_t *a, const pql_node_t *n);

/* An operator as written: "+", "==", "atan2", "and", ... */
const char *pql_binop_str(pql_binop_t op);
/* An aggregation as written: "sum", "count_values", ... */
const char *pql_aggop_str(pql_aggop_t op);
/* A type as Prometheus's messages name it: "scalar", "instant vector", "range vector",
 * "string" ("none" for PQL_TYPE_NONE). */
const char *pql_type_str(pql_type_t t);

#endif
