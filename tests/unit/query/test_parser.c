/* tests/unit/query/test_parser.c - pql_parse() and pql_format(): queries printed back in
 * Prometheus 2.42's canonical form, precedence and associativity shown by a fully bracketed
 * dump, value types, the fields an evaluator reads, the function table, the nesting limit, and
 * Prometheus's error texts with their line:col positions.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "query/promql/format.h"
#include "query/promql/parser.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_NCASES(c) (sizeof(c) / sizeof((c)[0]))

/* Parses in, checks that pql_format() gives want (in itself when want is NULL) and that the
 * printed text parses to the same text again. */
static void test_expect_format(size_t i, const char *in, const char *want)
{
    vg_arena_t a;
    vg_err_t err = {0};
    pql_node_t *root;
    char why[2048] = "";

    if (want == NULL)
        want = in;
    vg_arena_init(&a, 0);
    if (pql_parse(&a, in, &root, &err) != VG_OK) {
        snprintf(why, sizeof why, "error \"%s\"", err.msg);
    } else {
        const char *got = pql_format(&a, root);

        if (strcmp(got, want) != 0) {
            snprintf(why, sizeof why, "\n got `%s`\nwant `%s`", got, want);
        } else if (strstr(got, "+Inf ^") != NULL) {
            /* re-read as +(Inf ^ x): Prometheus's printing drifts here too */
        } else if (pql_parse(&a, got, &root, &err) != VG_OK) {
            snprintf(why, sizeof why, "printed `%s` does not parse: %s", got, err.msg);
        } else if (strcmp(pql_format(&a, root), got) != 0) {
            snprintf(why, sizeof why, "printed `%s` prints as `%s`", got, pql_format(&a, root));
        }
    }
    vg_arena_fini(&a); /* before any failure, so a failing case reports no leak */
    if (why[0] != '\0')
        fail_msg("case %zu `%s`: %s", i, in, why);
}

static void test_parser_format(void **state)
{
    static const struct {
        const char *in, *want; /* want NULL: prints as in */
    } cases[] = {
        /* literals: Go's %v for numbers */
        {"1", NULL},
        {"1.5", NULL},
        {".5", "0.5"},
        {"5.", "5"},
        {"5e-3", "0.005"},
        {"5e3", "5000"},
        {"1e6", "1e+06"},
        {"123456", NULL},
        {"1234567", "1.234567e+06"},
        {"0.0001", NULL},
        {"0.00001", "1e-05"},
        {"1.5e-7", "1.5e-07"},
        {"1e100", "1e+100"},
        {"0x1F", "31"},
        {"0755", "493"},
        {"089", "89"},
        {"+5.5e-3", "0.0055"},
        {"-0755", "-493"},
        {"-0", "-0"},
        {"Inf", "+Inf"},
        {"+Inf", NULL},
        {"-inf", "-Inf"},
        {"NaN", NULL},
        {"Inf ^ 2", "+Inf ^ 2"},
        {"+Inf ^ 2", "++Inf ^ 2"}, /* +(Inf ^ 2): a drift Prometheus has too */
        {"nan", "NaN"},
        {"0.1 + 0.2", NULL},
        {"9007199254740993", "9.007199254740992e+15"},
        {"5e-324", NULL},
        {"\"double\"", NULL},
        {"'single'", "\"single\""},
        {"`raw\\n`", "\"raw\\\\n\""},
        {"\"\\a\\x41\\u00e9\\t\"", "\"\\aAé\\t\""},
        {"\"a\\x00b\"", NULL},
        /* selectors: the name's matcher hidden, the others sorted as strings */
        {"foo", NULL},
        {"foo{}", "foo"},
        {"foo{b=\"1\",a=~\"x\",c!=\"\",d!~\"y\",}", "foo{a=~\"x\",b=\"1\",c!=\"\",d!~\"y\"}"},
        {"{__name__=\"foo\"}", NULL},
        {"{__name__=~\"foo|bar\",job='x'}", "{__name__=~\"foo|bar\",job=\"x\"}"},
        {"foo:bar{a=\"bc\"}", NULL},
        {"foo{NaN='bc'}", "foo{NaN=\"bc\"}"},
        {"foo{bar='}'}", "foo{bar=\"}\"}"},
        {"foo{a=\"\\n\\\"\"}", NULL},
        {"sum", NULL},
        {"start{end=\"foo\"}", NULL},
        {"and + or", NULL},
        {"offset offset 5m", NULL},
        {"by{a=\"b\"} / without", NULL},
        {"foo offset 5m", NULL},
        {"foo OFFSET 1h30m", "foo offset 1h30m"},
        {"foo offset 5400s", "foo offset 1h30m"},
        {"foo offset 1m30ms", NULL},
        {"foo offset -7m", NULL},
        {"foo @ 1603774568", "foo @ 1603774568.000"},
        {"foo @ -100", "foo @ -100.000"},
        {"foo @ .3", "foo @ 0.300"},
        {"foo @ 3.3335", "foo @ 3.334"},
        {"foo @ 0xA", "foo @ 10.000"},
        {"foo @ start()", NULL},
        {"foo @ end()", NULL},
        {"foo offset 5m @ 100", "foo @ 100.000 offset 5m"},
        {"foo @ 100 offset 5m", "foo @ 100.000 offset 5m"},
        {"metric @ 0 offset -50s", "metric @ 0.000 offset -50s"},
        /* ranges and subqueries; durations as model.Duration */
        {"foo[5m]", NULL},
        {"foo[5m30s]", NULL},
        {"foo[300s]", "foo[5m]"},
        {"foo[90d]", NULL},
        {"foo[14d]", "foo[2w]"},
        {"foo[15d]", NULL},
        {"foo[365d]", "foo[1y]"},
        {"foo[366d]", NULL},
        {"foo[1y1d]", "foo[366d]"},
        {"foo[100ms]", NULL},
        {"foo[1500ms]", "foo[1s500ms]"},
        {"foo[5y]", NULL},
        {"test{a=\"b\"}[5y] OFFSET 3d", "test{a=\"b\"}[5y] offset 3d"},
        {"a{c=\"d\"}[5m] offset 1m", NULL},
        {"a[12m] offset -3m", NULL},
        {"foo[5m] @ 100 offset 1m", "foo[5m] @ 100.000 offset 1m"},
        {"foo[5m] offset 1m @ end()", "foo[5m] @ end() offset 1m"},
        {"foo @ start()[5m]", "foo[5m] @ start()"},
        {"foo[10m:6s]", NULL},
        {"foo[10m5s:1h6ms]", NULL},
        {"foo[10m:]", NULL},
        {"foo[10m x]", "foo[10m:]"},
        {"a[1h:5m] offset 1m", NULL},
        {"some_metric offset 1m [10m:5s]", "some_metric offset 1m[10m:5s]"},
        {"some_metric[10m:5s] offset 1m @ 123", "some_metric[10m:5s] @ 123.000 offset 1m"},
        {"(foo + bar{nm=\"val\"})[5m:] offset 10m", NULL},
        {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:])[4m:3s]", NULL},
        {"rate(foo[5m])[30m:1m] @ end() offset -5m", NULL},
        /* operators */
        {"1 + 1", NULL},
        {"1+2*3", "1 + 2 * 3"},
        {"-2^2", "-2 ^ 2"},
        {"-1^-2", "-1 ^ -2"},
        {"2 ^ -1", NULL},
        {"- -1", "1"},
        {"---metric", NULL},
        {"-(1)", NULL},
        {"+foo", NULL},
        {"+1 + -2 * 1", "1 + -2 * 1"},
        {"1 - -1", NULL},
        {"1 < bool 2 - 1 * 2", NULL},
        {"1 == bool 1", NULL},
        {"up > bool 0", NULL},
        {"10 atan2 20", NULL},
        {"foo and bar or baz unless qux", NULL},
        {"a - on() c", "a - on () c"},
        {"a - on(b) c", "a - on (b) c"},
        {"a - on(b) group_left(x) c", "a - on (b) group_left (x) c"},
        {"a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"},
        {"a - on(b) group_left c", "a - on (b) group_left () c"},
        {"a - on(b) group_left() (c)", "a - on (b) group_left () (c)"},
        {"a - ignoring(b) c", "a - ignoring (b) c"},
        {"a - ignoring() c", "a - c"},
        /* sic: Prometheus 2.42 drops an empty ignoring() together with its group_left */
        {"a - ignoring() group_left c", "a - c"},
        {"a + ignoring(b) group_right(c,d) e", "a + ignoring (b) group_right (c, d) e"},
        {"a > bool on(x) b", "a > bool on (x) b"},
        {"foo and on() bar", "foo and on () bar"},
        {"foo unless on(start) bar", "foo unless on (start) bar"},
        {"1 + on() foo", "1 + foo"},
        {"a + on(x) group_left (b) c", "a + on (x) group_left (b) c"},
        {"bar + on(foo) bla / on(baz, buz) group_right(test) blub",
         "bar + on (foo) bla / on (baz, buz) group_right (test) blub"},
        /* aggregations */
        {"sum by() (task:errors:rate10s{job=\"s\"})", "sum(task:errors:rate10s{job=\"s\"})"},
        {"sum by(code) (task:errors:rate10s{job=\"s\"})",
         "sum by (code) (task:errors:rate10s{job=\"s\"})"},
        {"sum without() (task:errors:rate10s{job=\"s\"})",
         "sum without () (task:errors:rate10s{job=\"s\"})"},
        {"sum(x) without(instance)", "sum without (instance) (x)"},
        {"SUM BY (group) (((http_requests{job=\"api-server\"})))",
         "sum by (group) (((http_requests{job=\"api-server\"})))"},
        {"sum by (foo,bar,)(some_metric)", "sum by (foo, bar) (some_metric)"},
        {"sum without(and, by, avg, count, alert, annotations)(some_metric)",
         "sum without (and, by, avg, count, alert, annotations) (some_metric)"},
        {"topk(5, task:errors:rate10s{job=\"s\"})", NULL},
        {"topk by (group) (1, http_requests)", NULL},
        {"count_values(\"value\", task:errors:rate10s{job=\"s\"})", NULL},
        {"count_values without (instance)(\"version\", version)",
         "count_values without (instance) (\"version\", version)"},
        {"quantile without(point)(0.8, data)", "quantile without (point) (0.8, data)"},
        {"group(foo)", NULL},
        {"sum(sum)", NULL},
        {"sum(x) by (job) + min(x) by (job)", "sum by (job) (x) + min by (job) (x)"},
        {"sum by (job) (rate(http_requests_total{job=\"api\"}[5m]))", NULL},
        /* calls */
        {"time()", NULL},
        {"rate(some_metric[5m])", NULL},
        {"round(some_metric, 5)", NULL},
        {"label_replace(up, \"foo\", \"$1\", \"job\", \"(.*)\")", NULL},
        {"label_join(up, \"new\", \",\", \"a\", \"b\", \"c\")", NULL},
        {"histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", NULL},
        {"sum_over_time(minute()[50m:1m] @ 6000 offset 5m)",
         "sum_over_time(minute()[50m:1m] @ 6000.000 offset 5m)"},
        /* whitespace and comments go */
        {" # a comment\n rate(\n  foo[5m] # another\n)\n", "rate(foo[5m])"},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++)
        test_expect_format(i, cases[i].in, cases[i].want);
}

/* Every operator, call and aggregation bracketed, so precedence shows. */
static void test_dump(vg_buf_t *b, vg_arena_t *a, const pql_node_t *n)
{
    switch (n->kind) {
    case PQL_NODE_BINARY:
        vg_buf_addc(b, '(');
        test_dump(b, a, n->binary.lhs);
        vg_buf_printf(b, " %s ", pql_binop_str(n->binary.op));
        test_dump(b, a, n->binary.rhs);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_UNARY:
        vg_buf_printf(b, "(%s", pql_binop_str(n->unary.op));
        test_dump(b, a, n->unary.expr);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_PAREN:
        vg_buf_adds(b, "paren(");
        test_dump(b, a, n->paren.expr);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_SUBQUERY:
        vg_buf_adds(b, "subquery(");
        test_dump(b, a, n->subquery.expr);
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_CALL:
        vg_buf_printf(b, "%s(", n->call.func->name);
        for (size_t i = 0; i < n->call.nargs; i++) {
            if (i > 0)
                vg_buf_adds(b, ", ");
            test_dump(b, a, n->call.args[i]);
        }
        vg_buf_addc(b, ')');
        return;
    case PQL_NODE_AGGREGATE:
        vg_buf_printf(b, "%s(", pql_aggop_str(n->aggregate.op));
        if (n->aggregate.param != NULL) {
            test_dump(b, a, n->aggregate.param);
            vg_buf_adds(b, ", ");
        }
        test_dump(b, a, n->aggregate.expr);
        vg_buf_addc(b, ')');
        return;
    default:
        vg_buf_adds(b, pql_format(a, n));
        return;
    }
}

static void test_parser_precedence(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a + b * c", "(a + (b * c))"},
        {"a * b + c", "((a * b) + c)"},
        {"a - b - c", "((a - b) - c)"},
        {"a / b * c % d atan2 e", "((((a / b) * c) % d) atan2 e)"},
        {"a ^ b ^ c", "(a ^ (b ^ c))"},
        {"a * b ^ c", "(a * (b ^ c))"},
        {"a ^ b * c", "((a ^ b) * c)"},
        {"-2^2", "(-(2 ^ 2))"},
        {"-a ^ b", "(-(a ^ b))"},
        {"-a * b", "((-a) * b)"},
        {"-a + b", "((-a) + b)"},
        {"a + -b * c", "(a + ((-b) * c))"},
        {"a * -b ^ c", "(a * (-(b ^ c)))"},
        {"a ^ -b * c", "((a ^ (-b)) * c)"},
        {"a ^ -b ^ c", "(a ^ (-(b ^ c)))"},
        {"-1^-2", "(-(1 ^ -2))"},
        {"-1 * 2", "(-1 * 2)"},
        {"--a", "(-(-a))"},
        {"a or b and c", "(a or (b and c))"},
        {"a and b or c", "((a and b) or c)"},
        {"a and b unless c", "((a and b) unless c)"},
        {"a unless b and c", "((a unless b) and c)"},
        {"a or b == c", "(a or (b == c))"},
        {"a == b + c", "(a == (b + c))"},
        {"a == b != c", "((a == b) != c)"},
        {"a > b < c >= d <= e", "((((a > b) < c) >= d) <= e)"},
        {"foo + bar or bla and blub", "((foo + bar) or (bla and blub))"},
        {"foo and bar unless baz or qux", "(((foo and bar) unless baz) or qux)"},
        {"1 < bool 2 - 1 * 2", "(1 < (2 - (1 * 2)))"},
        {"2 / -2 ^ -1 * 3 + 2", "(((2 / (-(2 ^ -1))) * 3) + 2)"},
        {"-10 ^ 3 * -sum(x) ^ -1", "((-(10 ^ 3)) * (-(sum(x) ^ -1)))"},
        /* ranges, offsets and @ bind to the nearest operand */
        {"a + b offset 5m", "(a + b offset 5m)"},
        {"(a + b)[5m:]", "subquery(paren((a + b)))"},
        {"-a @ 5", "(-a @ 5.000)"},
        {"a ^ b @ 5", "(a ^ b @ 5.000)"},
        {"rate(x[5m]) * on(a) group_left(b) y", "(rate(x[5m]) * y)"},
        {"sum by (a) (x + y) / 2", "(sum((x + y)) / 2)"},
        {"topk(3 + 1, x)", "topk((3 + 1), x)"},
        {"f(1)", NULL}, /* NULL: an error, see test_parser_errors */
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        pql_node_t *root;
        vg_buf_t b;
        char why[1024] = "";
        int rc;

        vg_arena_init(&a, 0);
        rc = pql_parse(&a, cases[i].in, &root, &err);
        if (cases[i].want == NULL) {
            if (rc == VG_OK)
                snprintf(why, sizeof why, "parsed, want an error");
        } else if (rc != VG_OK) {
            snprintf(why, sizeof why, "error \"%s\"", err.msg);
        } else {
            vg_buf_init(&b, &a);
            test_dump(&b, &a, root);
            if (strcmp(b.p, cases[i].want) != 0)
                snprintf(why, sizeof why, "\n got %s\nwant %s", b.p, cases[i].want);
        }
        vg_arena_fini(&a);
        if (why[0] != '\0')
            fail_msg("case %zu `%s`: %s", i, cases[i].in, why);
    }
}

static void test_parser_types(void **state)
{
    static const struct {
        const char *in;
        pql_type_t want;
    } cases[] = {
        {"1", PQL_TYPE_SCALAR},
        {"-1", PQL_TYPE_SCALAR},
        {"\"s\"", PQL_TYPE_STRING},
        {"(\"s\")", PQL_TYPE_STRING},
        {"foo", PQL_TYPE_VECTOR},
        {"foo[5m]", PQL_TYPE_MATRIX},
        {"foo[5m:1m]", PQL_TYPE_MATRIX},
        {"(foo[5m])", PQL_TYPE_MATRIX},
        {"1 + 2", PQL_TYPE_SCALAR},
        {"1 + foo", PQL_TYPE_VECTOR},
        {"foo * 2", PQL_TYPE_VECTOR},
        {"1 > bool 2", PQL_TYPE_SCALAR},
        {"-(1 + 2)", PQL_TYPE_SCALAR},
        {"-foo", PQL_TYPE_VECTOR},
        {"sum(foo)", PQL_TYPE_VECTOR},
        {"time()", PQL_TYPE_SCALAR},
        {"pi()", PQL_TYPE_SCALAR},
        {"scalar(foo)", PQL_TYPE_SCALAR},
        {"vector(1)", PQL_TYPE_VECTOR},
        {"rate(foo[5m])", PQL_TYPE_VECTOR},
        {"scalar(foo) * time()", PQL_TYPE_SCALAR},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        pql_node_t *root;
        int rc;
        pql_type_t got = PQL_TYPE_NONE;

        vg_arena_init(&a, 0);
        rc = pql_parse(&a, cases[i].in, &root, &err);
        if (rc == VG_OK)
            got = root->type;
        vg_arena_fini(&a);
        if (rc != VG_OK)
            fail_msg("case %zu `%s`: %s", i, cases[i].in, err.msg);
        if (got != cases[i].want)
            fail_msg("case %zu `%s`: got %s, want %s", i, cases[i].in, pql_type_str(got),
                     pql_type_str(cases[i].want));
    }
}

/* Parses in, which must succeed; the arena stays for the caller to check the tree. */
static pql_node_t *test_parse_ok(vg_arena_t *a, const char *in)
{
    vg_err_t err = {0};
    pql_node_t *root = NULL;

    if (pql_parse(a, in, &root, &err) != VG_OK) {
        vg_arena_fini(a);
        fail_msg("`%s`: %s", in, err.msg);
    }
    return root;
}

/* The fields an evaluator reads, on a few trees built by hand from the queries. */
static void test_parser_fields(void **state)
{
    vg_arena_t a;
    pql_node_t *n, *v;
    const pql_matching_t *vm;

    vg_arena_init(&a, 0);

    n = test_parse_ok(&a, "foo{job=\"api\",path=~\"/x.*\"} offset -5m @ 1.5");
    assert_int_equal(n->kind, PQL_NODE_VECTOR);
    assert_string_equal(n->vector.name, "foo");
    assert_int_equal(n->vector.nmatchers, 3);
    assert_int_equal(n->vector.matchers[0].type, STORE_M_EQ); /* the name first */
    assert_string_equal(n->vector.matchers[0].name, "__name__");
    assert_string_equal(n->vector.matchers[0].value, "foo");
    assert_string_equal(n->vector.matchers[1].name, "job");
    assert_int_equal(n->vector.matchers[2].type, STORE_M_RE);
    assert_int_equal(n->vector.matchers[2].re_match(n->vector.matchers[2].re, "/xyz"), 1);
    assert_int_equal(n->vector.matchers[2].re_match(n->vector.matchers[2].re, "a/xyz"), 0);
    assert_true(n->vector.offset_ms == -300000);
    assert_int_equal(n->vector.at.kind, PQL_AT_TIME);
    assert_true(n->vector.at.ms == 1500);
    assert_int_equal(n->start, 0);
    assert_int_equal(n->depth, 1);

    n = test_parse_ok(&a, "{__name__=~\"a|b\"}");
    assert_null(n->vector.name);
    assert_int_equal(n->vector.nmatchers, 1);

    n = test_parse_ok(&a, "rate(x[5m] offset 1m @ end())");
    assert_int_equal(n->kind, PQL_NODE_CALL);
    assert_int_equal(n->call.func->id, PQL_FN_RATE);
    assert_int_equal(n->call.nargs, 1);
    v = n->call.args[0];
    assert_int_equal(v->kind, PQL_NODE_MATRIX);
    assert_true(v->matrix.range_ms == 300000);
    assert_true(v->matrix.vector->vector.offset_ms == 60000); /* kept on the selector */
    assert_int_equal(v->matrix.vector->vector.at.kind, PQL_AT_END);
    assert_int_equal(n->depth, 3);

    n = test_parse_ok(&a, "max_over_time(deriv(x[1h])[1d:5m] @ start() offset 1w)");
    v = n->call.args[0];
    assert_int_equal(v->kind, PQL_NODE_SUBQUERY);
    assert_true(v->subquery.range_ms == 86400000);
    assert_true(v->subquery.step_ms == 300000);
    assert_true(v->subquery.offset_ms == 7LL * 86400000);
    assert_int_equal(v->subquery.at.kind, PQL_AT_START);
    assert_int_equal(v->subquery.expr->call.func->id, PQL_FN_DERIV);
    n = test_parse_ok(&a, "x[5m:]");
    assert_true(n->subquery.step_ms == 0);

    n = test_parse_ok(&a, "a / ignoring(x, y) group_left(z) b");
    assert_int_equal(n->binary.op, PQL_OP_DIV);
    vm = n->binary.matching;
    assert_non_null(vm);
    assert_int_equal(vm->card, PQL_CARD_MANY_TO_ONE);
    assert_int_equal(vm->on, 0);
    assert_int_equal(vm->nlabels, 2);
    assert_string_equal(vm->labels[1], "y");
    assert_int_equal(vm->ninclude, 1);
    assert_string_equal(vm->include[0], "z");

    n = test_parse_ok(&a, "a or on(x) b");
    assert_int_equal(n->binary.matching->card, PQL_CARD_MANY_TO_MANY);
    assert_int_equal(n->binary.matching->on, 1);
    n = test_parse_ok(&a, "a > b");
    assert_int_equal(n->binary.matching->card, PQL_CARD_ONE_TO_ONE);
    assert_int_equal(n->binary.return_bool, 0);
    n = test_parse_ok(&a, "a > bool 1");
    assert_null(n->binary.matching); /* a scalar side: no vector matching */
    assert_int_equal(n->binary.return_bool, 1);

    n = test_parse_ok(&a, "count_values without (a, b) (\"v\", x)");
    assert_int_equal(n->aggregate.op, PQL_AGG_COUNT_VALUES);
    assert_int_equal(n->aggregate.without, 1);
    assert_int_equal(n->aggregate.ngrouping, 2);
    assert_int_equal(n->aggregate.param->kind, PQL_NODE_STRING);
    assert_string_equal(n->aggregate.param->string.value, "v");
    n = test_parse_ok(&a, "sum(x)");
    assert_null(n->aggregate.param);
    assert_int_equal(n->aggregate.ngrouping, 0);

    n = test_parse_ok(&a, "\"a\\x00b\"");
    assert_int_equal(n->string.len, 3);
    assert_memory_equal(n->string.value, "a\0b", 3);

    n = test_parse_ok(&a, " - 0x10");
    assert_int_equal(n->kind, PQL_NODE_NUMBER);
    assert_true(n->number.value == -16);
    assert_int_equal(n->start, 1); /* the sign's position */
    n = test_parse_ok(&a, "-0");
    assert_true(signbit(n->number.value));
    n = test_parse_ok(&a, "+NaN");
    assert_true(isnan(n->number.value));

    /* positions */
    n = test_parse_ok(&a, "sum by (foo)(some_metric)");
    assert_int_equal(n->start, 0);
    assert_int_equal(n->end, 25);
    assert_int_equal(n->aggregate.expr->start, 13);
    assert_int_equal(n->aggregate.expr->end, 24);
    n = test_parse_ok(&a, "foo offset 5m");
    assert_int_equal(n->end, 13);
    n = test_parse_ok(&a, "test[5h] OFFSET 5m");
    assert_int_equal(n->end, 18);
    assert_int_equal(n->matrix.vector->end, 4);
    n = test_parse_ok(&a, "foo{bar=\"baz\"}[10m:6s]");
    assert_int_equal(n->end, 22);

    /* @ times: seconds * 1000 rounded half away from zero */
    n = test_parse_ok(&a, "foo @ 3.3335");
    assert_true(n->vector.at.ms == 3334);
    n = test_parse_ok(&a, "foo @ -3.3e1");
    assert_true(n->vector.at.ms == -33000);
    n = test_parse_ok(&a, "foo @ 1603774568");
    assert_true(n->vector.at.ms == 1603774568000LL);

    vg_arena_fini(&a);
}

static void test_parser_functions(void **state)
{
    static const char *names[] = {
        "abs",
        "absent",
        "absent_over_time",
        "acos",
        "acosh",
        "asin",
        "asinh",
        "atan",
        "atanh",
        "avg_over_time",
        "ceil",
        "changes",
        "clamp",
        "clamp_max",
        "clamp_min",
        "cos",
        "cosh",
        "count_over_time",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "deg",
        "delta",
        "deriv",
        "exp",
        "floor",
        "histogram_count",
        "histogram_fraction",
        "histogram_quantile",
        "histogram_sum",
        "holt_winters",
        "hour",
        "idelta",
        "increase",
        "irate",
        "label_join",
        "label_replace",
        "last_over_time",
        "ln",
        "log10",
        "log2",
        "max_over_time",
        "min_over_time",
        "minute",
        "month",
        "pi",
        "predict_linear",
        "present_over_time",
        "quantile_over_time",
        "rad",
        "rate",
        "resets",
        "round",
        "scalar",
        "sgn",
        "sin",
        "sinh",
        "sort",
        "sort_desc",
        "sqrt",
        "stddev_over_time",
        "stdvar_over_time",
        "sum_over_time",
        "tan",
        "tanh",
        "time",
        "timestamp",
        "vector",
        "year",
    };

    assert_int_equal(TEST_NCASES(names), PQL_FN_COUNT_);
    for (size_t i = 0; i < TEST_NCASES(names); i++) {
        const pql_func_t *f = pql_func_lookup(names[i], strlen(names[i]));

        if (f == NULL || strcmp(f->name, names[i]) != 0 || f->id != (pql_func_id_t)i ||
            pql_func_get(f->id) != f)
            fail_msg("function %zu \"%s\" missing or misplaced", i, names[i]);
        if (f->nargs < 0 || f->nargs > 5 || (f->variadic != 0 && f->nargs == 0))
            fail_msg("function \"%s\": bad argument shape", names[i]);
    }
    assert_null(pql_func_lookup("rat", 3));
    assert_null(pql_func_lookup("RATE", 4));
    assert_null(pql_func_lookup("histogram_stddev", 16)); /* after 2.42 */
    assert_non_null(pql_func_lookup("rate(", 4));
    assert_null(pql_func_get(PQL_FN_COUNT_));
}

/* The nesting limit: the parser's recursion and the tree's depth. */
static void test_parser_depth(void **state)
{
    static const struct {
        const char *unit, *open, *close; /* in: open * n, unit, close * n */
        int n;
        int ok;
    } cases[] = {
        {"1", "(", ")", PQL_MAX_DEPTH - 1, 1},
        {"1", "(", ")", PQL_MAX_DEPTH + 5, 0},
        {"x", "abs(", ")", PQL_MAX_DEPTH - 1, 1},
        {"x", "sum(", ")", PQL_MAX_DEPTH + 1, 0},
        {"x", "-", "", PQL_MAX_DEPTH - 1, 1},
        {"x", "-", "", 50000, 0},
        {"x", "", " + x", PQL_MAX_DEPTH - 1, 1}, /* a left-leaning chain, no recursion */
        {"x", "", " + x", 50000, 0},
        {"x", "", "[1m:]", PQL_MAX_DEPTH, 0},
        {"2", "2 ^ ", "", PQL_MAX_DEPTH + 10, 0},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        size_t lo = strlen(cases[i].open), lc = strlen(cases[i].close), k = 0;
        char *in = malloc((size_t)cases[i].n * (lo + lc) + strlen(cases[i].unit) + 1);
        vg_arena_t a;
        vg_err_t err = {0};
        pql_node_t *root;
        int rc;

        for (int j = 0; j < cases[i].n; j++, k += lo)
            memcpy(in + k, cases[i].open, lo);
        memcpy(in + k, cases[i].unit, strlen(cases[i].unit));
        k += strlen(cases[i].unit);
        for (int j = 0; j < cases[i].n; j++, k += lc)
            memcpy(in + k, cases[i].close, lc);
        in[k] = '\0';
        vg_arena_init(&a, 0);
        rc = pql_parse(&a, in, &root, &err);
        if (rc == VG_OK && strcmp(pql_format(&a, root), in) != 0 && cases[i].close[0] != ')')
            rc = -100; /* the printed text should be the input here */
        vg_arena_fini(&a);
        free(in);
        if (cases[i].ok && rc != VG_OK)
            fail_msg("case %zu: rc %d \"%s\"", i, rc, err.msg);
        if (!cases[i].ok && (rc != VG_EINVAL || strstr(err.msg, "parse error: query is nested more "
                                                                "than 1000 levels deep") == NULL))
            fail_msg("case %zu: rc %d \"%s\", want the nesting error", i, rc, err.msg);
    }
}

static void test_parser_errors(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* nothing there */
        {"", "1:1: parse error: no expression found in input"},
        {"# just a comment\n\n", "1:1: parse error: no expression found in input"},
        {"   ", "1:1: parse error: no expression found in input"},
        /* syntax, with goyacc's error productions' contexts */
        {"1+", "1:3: parse error: unexpected end of input"},
        {"1 /", "1:4: parse error: unexpected end of input"},
        {"*1", "1:1: parse error: unexpected <op:*>"},
        {"*test", "1:1: parse error: unexpected <op:*>"},
        {"-=", "1:2: parse error: unexpected \"=\""},
        {"++-++-+-+-<", "1:11: parse error: unexpected <op:<>"},
        {"e-+=/(0)", "1:4: parse error: unexpected \"=\""},
        {"100..4", "1:5: parse error: unexpected number \".4\""},
        {"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
        {"foo + group_left(baz) bar", "1:7: parse error: unexpected <group_left>"},
        {"foo bool bar", "1:5: parse error: unexpected <bool>"},
        {"foo + on(x) bool bar", "1:13: parse error: unexpected <bool>"},
        {"a, b", "1:2: parse error: unexpected \",\""},
        {"()", "1:2: parse error: unexpected \")\""},
        {"(x y)", "1:4: parse error: unexpected identifier \"y\""},
        {"rate(x y)", "1:8: parse error: unexpected identifier \"y\""},
        {"foo 5m", "1:5: parse error: unexpected duration \"5m\""},
        {"5m", "1:1: parse error: unexpected duration \"5m\""},
        {"foo{a=\"b\"}{c=\"d\"}", "1:11: parse error: unexpected \"{\""},
        {"rate(x){a=\"b\"}", "1:8: parse error: unexpected \"{\""},
        {"on", "1:1: parse error: unexpected <on>"},
        {"start()", "1:6: parse error: unexpected \"(\""},
        {"end()", "1:4: parse error: unexpected \"(\""},
        {"foo:bar(x)", "1:8: parse error: unexpected \"(\""},
        {"foo @ 5 @", "1:10: parse error: unexpected end of input in @, expected timestamp"},
        {"sum some_metric by (test)", "1:5: parse error: unexpected identifier \"some_metric\""},
        {"MIN keep_common (some_metric)",
         "1:5: parse error: unexpected identifier \"keep_common\""},
        {"MIN (some_metric) keep_common",
         "1:19: parse error: unexpected identifier \"keep_common\""},
        {"sum (some_metric) without (test) by (test)", "1:34: parse error: unexpected <by>"},
        {"sum without (test) (some_metric) by (test)", "1:34: parse error: unexpected <by>"},
        {"sum(x y)", "1:7: parse error: unexpected identifier \"y\" in aggregation"},
        {"sum(1 +)", "1:8: parse error: unexpected \")\" in aggregation"},
        {"sum(rate(x y))", "1:12: parse error: unexpected identifier \"y\" in aggregation"},
        {"sum by (a) x", "1:12: parse error: unexpected identifier \"x\" in aggregation"},
        {"sum by (a)", "1:11: parse error: unexpected end of input in aggregation"},
        {"sum(x) by",
         "1:10: parse error: unexpected end of input in grouping opts, expected \"(\""},
        {"sum (some_metric) by test",
         "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\""},
        {"sum without(==)(some_metric)",
         "1:13: parse error: unexpected <op:==> in grouping opts, expected label"},
        {"sum without(,)(some_metric)",
         "1:13: parse error: unexpected \",\" in grouping opts, expected label"},
        {"sum without(foo,,)(some_metric)",
         "1:17: parse error: unexpected \",\" in grouping opts, expected label"},
        {"sum by (a b) (x)", "1:11: parse error: unexpected identifier \"b\" in grouping opts, "
                             "expected \",\" or \")\""},
        {"sum by (a:b) (x)",
         "1:9: parse error: unexpected metric identifier \"a:b\" in grouping opts, expected label"},
        {"sum by (nan) (x)",
         "1:9: parse error: unexpected number \"nan\" in grouping opts, expected label"},
        {"sum by (without) (x)",
         "1:9: parse error: unexpected <without> in grouping opts, expected label"},
        {"a + on", "1:7: parse error: unexpected end of input in grouping opts, expected \"(\""},
        {"a + on x",
         "1:8: parse error: unexpected identifier \"x\" in grouping opts, expected \"(\""},
        {"a + on(x) group_left",
         "1:21: parse error: unexpected end of input in grouping opts, expected \"(\""},
        {"a + on(x) group_left ,",
         "1:22: parse error: unexpected \",\" in grouping opts, expected \"(\""},
        {"a * on(x) group_left (b + c)",
         "1:25: parse error: unexpected <op:+> in grouping opts, expected \",\" or \")\""},
        {"foo[5m 1m]",
         "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" or "
         "\"]\""},
        {"foo[5m:1m 2m]",
         "1:11: parse error: unexpected duration \"2m\" in subquery selector, expected \"]\""},
        {"foo[5m:1]",
         "1:8: parse error: unexpected number \"1\" in subquery selector, expected duration or "
         "\"]\""},
        {"some_metric[5m] OFFSET 1",
         "1:24: parse error: unexpected number \"1\" in offset, expected duration"},
        {"some_metric[5m] OFFSET",
         "1:23: parse error: unexpected end of input in offset, expected duration"},
        {"foo offset -", "1:13: parse error: unexpected end of input in offset, expected duration"},
        {"foo offset +5m", "1:12: parse error: unexpected <op:+> in offset, expected duration"},
        {"some_metric[5m] @ 1m",
         "1:19: parse error: unexpected duration \"1m\" in @, expected timestamp"},
        {"some_metric[5m] @",
         "1:18: parse error: unexpected end of input in @, expected timestamp"},
        {"foo @ start(1)", "1:13: parse error: unexpected number \"1\" in @, expected timestamp"},
        {"foo @ start", "1:12: parse error: unexpected end of input in @, expected timestamp"},
        {"foo @ - start()", "1:9: parse error: unexpected \"start\" in @, expected timestamp"},
        {"foo @ 1", NULL}, /* NULL: parses (a control) */
        /* label matching (the selector's grammar) */
        {"some_metric{a=b}",
         "1:15: parse error: unexpected identifier \"b\" in label matching, expected string"},
        {"foo{gibberish}", "1:14: parse error: unexpected \"}\" in label matching, expected label "
                           "matching operator"},
        {"foo{__name__= =}",
         "1:15: parse error: unexpected \"=\" in label matching, expected string"},
        {"foo{,}",
         "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
        {"foo{__name__=\"bar\" lol}", "1:20: parse error: unexpected identifier \"lol\" in label "
                                      "matching, expected \",\" or \"}\""},
        {"foo{a=~\"(\"}",
         "1:5: parse error: error parsing regexp: missing closing parenthesis: `^(?:()$`"},
        {"foo{a=\"\\x00\"}", "1:5: parse error: label matcher value must not contain a NUL byte"},
        /* the lexer's */
        {".", "1:1: parse error: unexpected character: '.'"},
        {"2.5.", "1:4: parse error: unexpected character: '.'"},
        {"0deadbeef", "1:1: parse error: bad number or duration syntax: \"0de\""},
        {"(1))", "1:5: parse error: unexpected right parenthesis ')'"},
        {"((1)", "1:5: parse error: unclosed left parenthesis"},
        {"(", "1:2: parse error: unclosed left parenthesis"},
        {"sum(", "1:5: parse error: unclosed left parenthesis"},
        {"1 !~ 1", "1:3: parse error: unexpected character after '!': '~'"},
        {"1 =~ 1", "1:3: parse error: unexpected character after '=': '~'"},
        {"{", "1:2: parse error: unexpected end of input inside braces"},
        {"}", "1:1: parse error: unexpected character: '}'"},
        {"some_metric{a:b=\"b\"}", "1:14: parse error: unexpected character inside braces: ':'"},
        {"foo{1}", "1:5: parse error: unexpected character inside braces: '1'"},
        {"foo[5mm]", "1:5: parse error: bad duration syntax: \"5mm\""},
        {"foo[5m:1m1]", "1:8: parse error: bad number or duration syntax: \"1m1\""},
        {"foo[]", "1:5: parse error: missing unit character in duration"},
        {"foo[1]", "1:5: parse error: missing unit character in duration"},
        {"foo[5m:", "1:8: parse error: unclosed left bracket"},
        {"some_metric[5m] OFFSET 1mm", "1:24: parse error: bad number or duration syntax: \"1mm\""},
        {"\"\\c\"", "1:1: parse error: unknown escape sequence U+0063 'c'"},
        {"`\\``", "1:4: parse error: unterminated raw string"},
        {"label_replace(a, `b`, `c\xff`, `d`, `.*`)", "1:23: parse error: invalid UTF-8 rune"},
        {"rate(x, $", "1:9: parse error: unexpected character: '$'"},
        {"sum() $", "1:7: parse error: unexpected character: '$'"},
        /* numbers and durations */
        {"1e400", "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": "
                  "value out of range"},
        {"0x",
         "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
         "syntax"},
        {"1 + 1e", "1:5: parse error: error parsing number: strconv.ParseFloat: parsing \"1e\": "
                   "invalid syntax"},
        {"foo[5y1hs]", "1:5: parse error: not a valid duration string: \"5y1hs\""},
        {"foo[5m1h]", "1:5: parse error: not a valid duration string: \"5m1h\""},
        {"foo[5m1m]", "1:5: parse error: not a valid duration string: \"5m1m\""},
        {"foo[0m]", "1:5: parse error: duration must be greater than 0"},
        {"foo offset 0s", "1:12: parse error: duration must be greater than 0"},
        {"foo[5m:0s]", "1:8: parse error: duration must be greater than 0"},
        {"foo[300y]", "1:5: parse error: duration out of range"},
        {"foo[99999999999999999999999ms]", "1:5: parse error: duration out of range"},
        /* the grammar actions' checks */
        {"1 offset 1d", "1:1: parse error: offset modifier must be preceded by an instant vector "
                        "selector or range vector selector or a subquery"},
        {"foo offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
        {"foo @ 1 offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
        {"rate(some_metric[5m]) @ 1234",
         "1:1: parse error: @ modifier must be preceded by an instant vector selector or range "
         "vector selector or a subquery"},
        {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
        {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
        {"foo @ +Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
        {"foo @ -Inf", "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
        {"foo @ NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
        {"foo @ 9223372036854775808", "1:1: parse error: timestamp out of bounds for @ modifier: "
                                      "9223372036854775808.000000"},
        {"1 @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
        {"some_metric OFFSET 1m[5m]",
         "1:22: parse error: no offset modifiers allowed before range"},
        {"some_metric @ 1234 [5m]", "1:20: parse error: no @ modifiers allowed before range"},
        {"some_metric @ 123 offset 1m [10m]",
         "1:29: parse error: no offset modifiers allowed before range"},
        {"(foo + bar)[5m]", "1:12: parse error: ranges only allowed for vector selectors"},
        {"rate(food[1m])[1h] offset 1h",
         "1:15: parse error: ranges only allowed for vector selectors"},
        {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
        {"non_existent_function_far_bar()",
         "1:1: parse error: unknown function with name \"non_existent_function_far_bar\""},
        {"a>b()", "1:3: parse error: unknown function with name \"b\""},
        {"RATE(x[5m])", "1:1: parse error: unknown function with name \"RATE\""},
        {"topk(some_metric,)", "1:17: parse error: trailing commas not allowed in function call "
                               "args"},
        {"rate(x, on)", "1:7: parse error: trailing commas not allowed in function call args"},
        {"sum () by (test)", "1:1: parse error: no arguments for aggregate expression provided"},
        {"topk(some_metric)", "1:1: parse error: wrong number of arguments for aggregate "
                              "expression provided, expected 2, got 1"},
        {"sum(a, b)", "1:1: parse error: wrong number of arguments for aggregate expression "
                      "provided, expected 1, got 2"},
        /* checkAST */
        {"1 and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar "
                    "expression"},
        {"foo or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar "
                     "expression"},
        {"1 unless foo", "1:1: parse error: set operator \"unless\" not allowed in binary scalar "
                         "expression"},
        {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
        {"1 + 1 == 2", "1:7: parse error: comparisons between scalars must use BOOL modifier"},
        {"1 # c\n == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
        {"-\"string\"", "1:1: parse error: unary expression only allowed on expressions of type "
                        "scalar or instant vector, got \"string\""},
        {"-test[5m]", "1:1: parse error: unary expression only allowed on expressions of type "
                      "scalar or instant vector, got \"range vector\""},
        {"1 or on(bar) foo", "1:1: parse error: vector matching only allowed between instant "
                             "vectors"},
        {"foo == on(bar) 10", "1:1: parse error: vector matching only allowed between instant "
                              "vectors"},
        {"foo and on(bar) group_left(baz) bar",
         "1:1: parse error: no grouping allowed for \"and\" operation"},
        {"foo unless on(bar) group_right(baz) bar",
         "1:1: parse error: no grouping allowed for \"unless\" operation"},
        {"http_requests{group=\"production\"} + on(instance) group_left(job,instance) "
         "cpu_count{type=\"smp\"}",
         "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once"},
        {"foo + bool bar", "1:5: parse error: bool modifier can only be used on comparison "
                           "operators"},
        {"foo and bool 10", "1:5: parse error: bool modifier can only be used on comparison "
                            "operators"},
        {"a[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant "
                      "vector types"},
        {"1 + \"a\"", "1:5: parse error: binary expression must contain only scalar and instant "
                      "vector types"},
        {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
        {"{x=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                     "matcher"},
        {"{x=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                        "matcher"},
        {"{x!~\".+\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                        "matcher"},
        {"{x!=\"a\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                       "matcher"},
        {"(-{}-1)[1m:]", "1:3: parse error: vector selector must contain at least one non-empty "
                         "matcher"},
        {"foo{__name__=\"bar\"}",
         "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
        {"abs(x) + foo{a=\"1\", __name__=~\"b\"}",
         "1:10: parse error: metric name must not be set twice: \"foo\" or \"b\""},
        {"test[5d] OFFSET 10s [10m:5s]",
         "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
        {"(foo + bar{nm=\"val\"})[5m:][10m:5s]",
         "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
        {"1[5m:]", "1:1: parse error: subquery is only allowed on instant vector, got scalar "
                   "instead"},
        {"topk(some_metric, other_metric)", "1:6: parse error: expected type scalar in "
                                            "aggregation parameter, got instant vector"},
        {"count_values(5, other_metric)", "1:14: parse error: expected type string in "
                                          "aggregation parameter, got scalar"},
        {"quantile(\"x\", y)", "1:10: parse error: expected type scalar in aggregation "
                               "parameter, got string"},
        {"sum(a[5m])", "1:5: parse error: expected type instant vector in aggregation "
                       "expression, got range vector"},
        {"topk(x, y[5m])", "1:9: parse error: expected type instant vector in aggregation "
                           "expression, got range vector"},
        {"floor()", "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0"},
        {"floor(some_metric, other_metric)",
         "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
        {"floor(1)", "1:7: parse error: expected type instant vector in call to function "
                     "\"floor\", got scalar"},
        {"hour(some_metric, some_metric, some_metric)",
         "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3"},
        {"round(x, 1, 2)", "1:1: parse error: expected at most 2 argument(s) in call to "
                           "\"round\", got 3"},
        {"label_join(x)", "1:1: parse error: expected at least 3 argument(s) in call to "
                          "\"label_join\", got 1"},
        {"label_join(x, \"a\", \"b\", \"c\", 1)",
         "1:30: parse error: expected type string in call to function \"label_join\", got "
         "scalar"},
        {"time(some_metric)",
         "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
        {"rate(some_metric)", "1:6: parse error: expected type range vector in call to function "
                              "\"rate\", got instant vector"},
        {"rate(avg)", "1:6: parse error: expected type range vector in call to function \"rate\", "
                      "got instant vector"},
        {"abs(\"x\")", "1:5: parse error: expected type instant vector in call to function "
                       "\"abs\", got string"},
        {"histogram_quantile(x, y)", "1:20: parse error: expected type scalar in call to "
                                     "function \"histogram_quantile\", got instant vector"},
        /* the first error counts: inner and left first */
        {"rate({}) + floor(1)", "1:6: parse error: vector selector must contain at least one "
                                "non-empty matcher"},
        {"time() == bool 1 and foo", "1:1: parse error: set operator \"and\" not allowed in "
                                     "binary scalar expression"},
        /* positions on later lines */
        {"sum(\n  rate(x[5m])\n) by (\n  a b)",
         "4:5: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\""},
        /* the range binds to bar alone, not to the sum */
        {"a + b[5m:]", "1:5: parse error: binary expression must contain only scalar and instant "
                       "vector types"},
        {"-a[5m:]", "1:1: parse error: unary expression only allowed on expressions of type "
                    "scalar or instant vector, got \"range vector\""},
        {"foo\n  + bar[5m]", "2:5: parse error: binary expression must contain only scalar and "
                             "instant vector types"},
        /* label_replace's regex and label are evaluation errors (422), not parse errors */
        {"label_replace(testmetric, \"dst\", \"value-$1\", \"src\", \"(.*\")", NULL},
        {"label_replace(testmetric, \"invalid-label-name\", \"\", \"src\", \"(.*)\")", NULL},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        pql_node_t *root;
        int rc;

        vg_arena_init(&a, 0);
        rc = pql_parse(&a, cases[i].in, &root, &err);
        vg_arena_fini(&a);
        if (cases[i].want == NULL) {
            if (rc != VG_OK)
                fail_msg("case %zu `%s`: %s, want it parsed", i, cases[i].in, err.msg);
            continue;
        }
        if (rc != VG_EINVAL || err.code != VG_EINVAL)
            fail_msg("case %zu `%s`: got rc %d, want VG_EINVAL", i, cases[i].in, rc);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu `%s`:\n got \"%s\"\nwant \"%s\"", i, cases[i].in, err.msg,
                     cases[i].want);
    }
}

/* Compiled label matcher patterns go at the arena's reset: valgrind and ASan would see a leak. */
static void test_parser_arena_reset(void **state)
{
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (int round = 0; round < 20; round++) {
        vg_err_t err = {0};
        pql_node_t *root;

        assert_int_equal(pql_parse(&a, "sum(rate(x{a=~\"b.*\"}[5m])) / y{c!~\"d|e\"}", &root, &err),
                         VG_OK);
        assert_int_equal(pql_parse(&a, "x{a=~\"b.*\"} + y{c=~\"(\"}", &root, &err), VG_EINVAL);
        assert_int_equal(pql_parse(&a, "x{a=~\"b.*\"} + 1 + {a=\"\"}", &root, &err), VG_EINVAL);
        vg_arena_reset(&a);
    }
    vg_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_format),    cmocka_unit_test(test_parser_precedence),
        cmocka_unit_test(test_parser_types),     cmocka_unit_test(test_parser_fields),
        cmocka_unit_test(test_parser_functions), cmocka_unit_test(test_parser_depth),
        cmocka_unit_test(test_parser_errors),    cmocka_unit_test(test_parser_arena_reset),
    };
    return cmocka_run_group_tests_name("query/parser", tests, NULL, NULL);
}
