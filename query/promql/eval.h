/* query/promql/eval.h - the PromQL evaluator: instant and range evaluation of a parsed query
 * with Prometheus 2.42's semantics (lookback delta and staleness, offset and @, subqueries,
 * vector matching, aggregations, functions, metric-name dropping), over the series store.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_EVAL_H
#define PQL_EVAL_H

#include "ast.h"
#include "store/store.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

/* The default step of a subquery without one (Prometheus's evaluation_interval default). */
#define PQL_DEFAULT_SUBQUERY_STEP_MS 60000

typedef struct {
    store_t *st;
    store_txn_t *txn; /* a read transaction for the whole evaluation */
    const char *project;
    vg_arena_t *a;      /* the result and everything it points at */
    int64_t start, end; /* ms; equal for an instant query */
    int64_t step;       /* ms; 0 for an instant query */
    int64_t lookback_ms;
    size_t max_samples;  /* points a query may load (0 = no limit) */
    int64_t deadline_us; /* vg_mono_us() deadline (0 = none) */
} pql_eval_opts_t;

/* Evaluates root. An instant query (step 0) gives the expression's value at start: scalar,
 * string, vector (each sample's t is the evaluation time) or matrix. A range query gives a
 * matrix with a point per step for each series, sorted by labels; root must then be a scalar or
 * an instant vector. Fails with VG_ELIMIT for the sample limit, VG_ETIMEOUT past the deadline,
 * the store's errors, and VG_EINVAL with Prometheus's message for what it reports as an
 * execution error (many-to-many matching, duplicate label sets, bad function parameters, a
 * range query of a range vector). */
int pql_eval(const pql_eval_opts_t *o, const pql_node_t *root, pql_value_t *out, vg_err_t *err);

#endif
