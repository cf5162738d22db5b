/* query/promql/value.h - the values a PromQL expression evaluates to (scalar, string, instant
 * vector, range vector) and their JSON encoding in the query API's "data" object, byte for byte
 * as Prometheus writes it: {"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]},
 * timestamps as float seconds and values as strings ("NaN", "+Inf", "-Inf").
 * SPDX-License-Identifier: MIT */
#ifndef PQL_VALUE_H
#define PQL_VALUE_H

#include "core/buf.h"
#include "ingest/batch.h"
#include "store/chunk.h"

#include <stddef.h>
#include <stdint.h>

/* A label set, sorted by name, names unique (__name__ included when the series has one). */
typedef struct {
    const ing_label_t *l;
    size_t n;
} pql_lset_t;

/* An element of an instant vector. */
typedef struct {
    pql_lset_t m;
    int64_t t; /* ms */
    double v;
} pql_sample_t;

/* An element of a range vector: points sorted by time. */
typedef struct {
    pql_lset_t m;
    store_sample_t *p;
    size_t n;
} pql_series_t;

typedef enum { PQL_VAL_SCALAR, PQL_VAL_STRING, PQL_VAL_VECTOR, PQL_VAL_MATRIX } pql_vtype_t;

typedef struct {
    pql_vtype_t type;
    int64_t t;         /* PQL_VAL_SCALAR, PQL_VAL_STRING: the evaluation time */
    double v;          /* PQL_VAL_SCALAR */
    const char *s;     /* PQL_VAL_STRING */
    pql_sample_t *vec; /* PQL_VAL_VECTOR */
    pql_series_t *mat; /* PQL_VAL_MATRIX */
    size_t n;          /* elements of vec or mat */
} pql_value_t;

/* Appends s as a JSON string the way Go's encoding/json writes it (", \ and control characters
 * escaped, \n \r \t by name, < > & U+2028 U+2029 as \u escapes, invalid UTF-8 as U+FFFD). */
void pql_json_str(vg_buf_t *b, const char *s);
/* Appends the [t,"v"] pair of a point. */
void pql_json_point(vg_buf_t *b, int64_t t, double v);
/* Appends the query API's data object for v. */
void pql_json_value(vg_buf_t *b, const pql_value_t *v);

#endif
