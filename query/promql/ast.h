/* query/promql/ast.h - the PromQL syntax tree that pql_parse() builds and the evaluator walks, as
 * Prometheus 2.42's promql/parser AST: one node type with a kind, its value type and its byte
 * range in the query; and the static table of the language's functions. Every pointer in a tree
 * points into the arena it was parsed into, or at static data (function entries, "__name__").
 * SPDX-License-Identifier: MIT */
#ifndef PQL_AST_H
#define PQL_AST_H

#include "store/series.h"

#include <stddef.h>
#include <stdint.h>

/* The value types of the language (Prometheus's ValueType). */
typedef enum {
    PQL_TYPE_NONE,   /* no value; never the type of a node */
    PQL_TYPE_SCALAR, /* one float */
    PQL_TYPE_VECTOR, /* instant vector: one sample per series */
    PQL_TYPE_MATRIX, /* range vector: a range of samples per series */
    PQL_TYPE_STRING, /* string literal (function and aggregation parameters only) */
} pql_type_t;

/* Every function of Prometheus 2.42, in name order. The experimental histogram_stddev and
 * histogram_stdvar came after 2.42 and are absent; histogram_count, histogram_sum and
 * histogram_fraction (native histograms only, 2.40+) are here. */
typedef enum {
    PQL_FN_ABS,
    PQL_FN_ABSENT,
    PQL_FN_ABSENT_OVER_TIME,
    PQL_FN_ACOS,
    PQL_FN_ACOSH,
    PQL_FN_ASIN,
    PQL_FN_ASINH,
    PQL_FN_ATAN,
    PQL_FN_ATANH,
    PQL_FN_AVG_OVER_TIME,
    PQL_FN_CEIL,
    PQL_FN_CHANGES,
    PQL_FN_CLAMP,
    PQL_FN_CLAMP_MAX,
    PQL_FN_CLAMP_MIN,
    PQL_FN_COS,
    PQL_FN_COSH,
    PQL_FN_COUNT_OVER_TIME,
    PQL_FN_DAY_OF_MONTH,
    PQL_FN_DAY_OF_WEEK,
    PQL_FN_DAY_OF_YEAR,
    PQL_FN_DAYS_IN_MONTH,
    PQL_FN_DEG,
    PQL_FN_DELTA,
    PQL_FN_DERIV,
    PQL_FN_EXP,
    PQL_FN_FLOOR,
    PQL_FN_HISTOGRAM_COUNT,
    PQL_FN_HISTOGRAM_FRACTION,
    PQL_FN_HISTOGRAM_QUANTILE,
    PQL_FN_HISTOGRAM_SUM,
    PQL_FN_HOLT_WINTERS,
    PQL_FN_HOUR,
    PQL_FN_IDELTA,
    PQL_FN_INCREASE,
    PQL_FN_IRATE,
    PQL_FN_LABEL_JOIN,
    PQL_FN_LABEL_REPLACE,
    PQL_FN_LAST_OVER_TIME,
    PQL_FN_LN,
    PQL_FN_LOG10,
    PQL_FN_LOG2,
    PQL_FN_MAX_OVER_TIME,
    PQL_FN_MIN_OVER_TIME,
    PQL_FN_MINUTE,
    PQL_FN_MONTH,
    PQL_FN_PI,
    PQL_FN_PREDICT_LINEAR,
    PQL_FN_PRESENT_OVER_TIME,
    PQL_FN_QUANTILE_OVER_TIME,
    PQL_FN_RAD,
    PQL_FN_RATE,
    PQL_FN_RESETS,
    PQL_FN_ROUND,
    PQL_FN_SCALAR,
    PQL_FN_SGN,
    PQL_FN_SIN,
    PQL_FN_SINH,
    PQL_FN_SORT,
    PQL_FN_SORT_DESC,
    PQL_FN_SQRT,
    PQL_FN_STDDEV_OVER_TIME,
    PQL_FN_STDVAR_OVER_TIME,
    PQL_FN_SUM_OVER_TIME,
    PQL_FN_TAN,
    PQL_FN_TANH,
    PQL_FN_TIME,
    PQL_FN_TIMESTAMP,
    PQL_FN_VECTOR,
    PQL_FN_YEAR,
    PQL_FN_COUNT_ /* number of functions, not a function */
} pql_func_id_t;

/* One entry of the function table (Prometheus's parser.Function). */
typedef struct {
    pql_func_id_t id;
    const char *name;   /* as written in queries: "rate", "label_replace", ... */
    pql_type_t args[5]; /* argument types in order; args[0..nargs) are used */
    int nargs;          /* number of types in args */
    int variadic;       /* 0: exactly nargs arguments. Otherwise the last type in args is
                         * optional and may repeat: a call takes nargs - 1 to nargs - 1 +
                         * variadic arguments (-1: no upper bound), the extra ones of the last
                         * type. E.g. round(v[, to_nearest]) and label_join's source labels. */
    pql_type_t ret;     /* the type of the call's value */
} pql_func_t;

/* Binary operators, and the two unary ones (PQL_OP_ADD, PQL_OP_SUB). */
typedef enum {
    PQL_OP_ADD, /* + */
    PQL_OP_SUB, /* - */
    PQL_OP_MUL, /* * */
    PQL_OP_DIV, /* / */
    PQL_OP_MOD, /* % */
    PQL_OP_POW, /* ^ (right-associative) */
    PQL_OP_ATAN2,
    PQL_OP_EQLC, /* == (comparisons: PQL_OP_EQLC..PQL_OP_LTE) */
    PQL_OP_NEQ,  /* != */
    PQL_OP_GTR,  /* > */
    PQL_OP_LSS,  /* < */
    PQL_OP_GTE,  /* >= */
    PQL_OP_LTE,  /* <= */
    PQL_OP_AND,  /* set operators: PQL_OP_AND..PQL_OP_UNLESS */
    PQL_OP_OR,
    PQL_OP_UNLESS,
} pql_binop_t;

static inline int pql_binop_is_comparison(pql_binop_t op)
{
    return op >= PQL_OP_EQLC && op <= PQL_OP_LTE;
}

static inline int pql_binop_is_set(pql_binop_t op)
{
    return op >= PQL_OP_AND && op <= PQL_OP_UNLESS;
}

/* Aggregation operators. */
typedef enum {
    PQL_AGG_SUM,
    PQL_AGG_AVG,
    PQL_AGG_COUNT,
    PQL_AGG_MIN,
    PQL_AGG_MAX,
    PQL_AGG_GROUP,
    PQL_AGG_STDDEV,
    PQL_AGG_STDVAR,
    PQL_AGG_TOPK,         /* param: scalar k */
    PQL_AGG_BOTTOMK,      /* param: scalar k */
    PQL_AGG_COUNT_VALUES, /* param: string, the output label's name */
    PQL_AGG_QUANTILE,     /* param: scalar phi */
} pql_aggop_t;

/* Cardinality of a binary operation between two instant vectors. */
typedef enum {
    PQL_CARD_ONE_TO_ONE,
    PQL_CARD_MANY_TO_ONE,  /* group_left */
    PQL_CARD_ONE_TO_MANY,  /* group_right */
    PQL_CARD_MANY_TO_MANY, /* and, or, unless: always, and only, these */
} pql_card_t;

/* How the two instant vectors of a binary operation are matched (Prometheus's VectorMatching). */
typedef struct {
    pql_card_t card;
    int on;              /* 1: on(labels) names the labels to match on; 0: ignoring(labels)
                          * (also when neither was written: labels is then empty) */
    const char **labels; /* the on/ignoring list, as written (may be empty) */
    size_t nlabels;
    const char **include; /* group_left/group_right's extra labels from the "one" side */
    size_t ninclude;
} pql_matching_t;

/* The @ modifier of a selector or subquery. */
typedef enum {
    PQL_AT_NONE,  /* no @ modifier */
    PQL_AT_TIME,  /* @ <timestamp>: ms holds it */
    PQL_AT_START, /* @ start(): the query's start time (its time for an instant query) */
    PQL_AT_END,   /* @ end(): the query's end time (its time for an instant query) */
} pql_at_kind_t;

typedef struct {
    pql_at_kind_t kind;
    int64_t ms; /* PQL_AT_TIME: Unix time in ms (seconds * 1000, rounded half away from zero) */
} pql_at_t;

typedef enum {
    PQL_NODE_NUMBER,    /* number literal: 1, -2.5, 0x1f, Inf, NaN */
    PQL_NODE_STRING,    /* string literal: "a", 'b', `c` */
    PQL_NODE_VECTOR,    /* instant vector selector: foo{a="b"} offset 5m @ 100 */
    PQL_NODE_MATRIX,    /* range vector selector: foo[5m] */
    PQL_NODE_SUBQUERY,  /* expr[range:step] */
    PQL_NODE_PAREN,     /* (expr) */
    PQL_NODE_UNARY,     /* -expr, +expr */
    PQL_NODE_BINARY,    /* lhs op rhs */
    PQL_NODE_AGGREGATE, /* sum by (a) (expr), topk(k, expr), ... */
    PQL_NODE_CALL,      /* function call */
} pql_node_kind_t;

typedef struct pql_node pql_node_t;

struct pql_node {
    pql_node_kind_t kind;
    pql_type_t type; /* the value type the node evaluates to (never PQL_TYPE_NONE) */
    size_t start;    /* byte offset in the query of the node's first byte */
    size_t end;      /* byte offset just past the node, as Prometheus's PositionRange.End */
    unsigned depth;  /* levels of nodes in this subtree (1 for a leaf); <= PQL_MAX_DEPTH */
    union {
        struct {
            double value; /* a leading - or + is folded in: -1 is one number node */
        } number;
        struct {
            const char *value; /* unquoted, NUL-terminated; may hold NUL bytes: use len */
            size_t len;
        } string;
        struct {
            const char *name;          /* metric name written before the braces, or NULL */
            store_matcher_t *matchers; /* as pql_parse_selector() builds them: when name is
                                        * set, first an EQ matcher __name__=name, then the
                                        * braces' matchers in order; =~ and !~ carry compiled
                                        * patterns (released at the arena's reset) */
            size_t nmatchers;
            int64_t offset_ms; /* offset modifier in ms; negative looks ahead; 0: none */
            pql_at_t at;       /* @ modifier */
        } vector;
        struct {
            pql_node_t *vector; /* the PQL_NODE_VECTOR selector; its offset_ms and at are the
                                 * matrix's own modifiers (foo[5m] offset 1m is stored there) */
            int64_t range_ms;   /* > 0 */
        } matrix;
        struct {
            pql_node_t *expr;  /* instant vector expression evaluated at each step */
            int64_t range_ms;  /* > 0 */
            int64_t step_ms;   /* 0: the default evaluation interval ([5m:]) */
            int64_t offset_ms; /* offset modifier after the brackets; 0: none */
            pql_at_t at;       /* @ modifier after the brackets */
        } subquery;
        struct {
            pql_node_t *expr;
        } paren;
        struct {
            pql_binop_t op; /* PQL_OP_ADD or PQL_OP_SUB */
            pql_node_t *expr;
        } unary;
        struct {
            pql_binop_t op;
            pql_node_t *lhs, *rhs;
            int return_bool;          /* comparison with the bool modifier: 0/1 values */
            pql_matching_t *matching; /* NULL unless both operands are instant vectors */
        } binary;
        struct {
            pql_aggop_t op;
            pql_node_t *expr;      /* the aggregated instant vector */
            pql_node_t *param;     /* topk/bottomk/quantile/count_values' first argument;
                                    * NULL for the others */
            const char **grouping; /* by/without labels as written; NULL or empty: none */
            size_t ngrouping;
            int without; /* 1: without (grouping); 0: by (grouping) */
        } aggregate;
        struct {
            const pql_func_t *func; /* entry of the static function table */
            pql_node_t **args;
            size_t nargs;
        } call;
    };
};

#endif
