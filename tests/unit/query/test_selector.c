/* tests/unit/query/test_selector.c - pql_parse_selector(): matcher lists, the empty-matcher rule,
 * anchored PCRE2 regexes, string escapes, Prometheus 2.42's error texts with line:col; and the
 * PromQL lexer's token stream for the rest of the language.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "query/promql/lexer.h"
#include "query/promql/selector.h"

#include <stdio.h>
#include <string.h>

#define TEST_NCASES(c) (sizeof(c) / sizeof((c)[0]))

typedef struct {
    store_mtype_t type;
    const char *name, *value;
} test_matcher_t;

static const char *test_mtype(store_mtype_t t)
{
    static const char *names[] = {"=", "!=", "=~", "!~"};

    return (unsigned)t < 4 ? names[t] : "?";
}

/* Parses in and compares the matcher list with want[0..nwant); the arena is released before a
 * failure is reported, so failing cases show no leak. */
static void test_expect_matchers(size_t i, const char *in, const test_matcher_t *want, size_t nwant)
{
    vg_arena_t a;
    vg_err_t err = {0};
    store_matcher_t *m = NULL;
    size_t n = 0;
    char why[1024] = "";

    vg_arena_init(&a, 0);
    if (pql_parse_selector(&a, in, &m, &n, &err) != VG_OK)
        snprintf(why, sizeof why, "got error \"%s\", want %zu matchers", err.msg, nwant);
    else if (n != nwant)
        snprintf(why, sizeof why, "got %zu matchers, want %zu", n, nwant);
    for (size_t j = 0; why[0] == '\0' && j < n; j++) {
        int is_re = want[j].type == STORE_M_RE || want[j].type == STORE_M_NRE;

        if (m[j].type != want[j].type || strcmp(m[j].name, want[j].name) != 0 ||
            strcmp(m[j].value, want[j].value) != 0)
            snprintf(why, sizeof why, "matcher %zu: got %s%s\"%s\", want %s%s\"%s\"", j, m[j].name,
                     test_mtype(m[j].type), m[j].value, want[j].name, test_mtype(want[j].type),
                     want[j].value);
        else if (is_re != (m[j].re_match != NULL && m[j].re != NULL))
            snprintf(why, sizeof why, "matcher %zu: re_match/re set wrongly", j);
    }
    vg_arena_fini(&a);
    if (why[0] != '\0')
        fail_msg("case %zu `%s`: %s", i, in, why);
}

static void test_selector_valid(void **state)
{
    static const struct {
        const char *in;
        size_t n;
        test_matcher_t m[6];
    } cases[] = {
        {"up", 1, {{STORE_M_EQ, "__name__", "up"}}},
        {"metric{a=\"b\",c=~\"d.*\",e!=\"\",f!~\"g\"}",
         5,
         {{STORE_M_EQ, "__name__", "metric"},
          {STORE_M_EQ, "a", "b"},
          {STORE_M_RE, "c", "d.*"},
          {STORE_M_NEQ, "e", ""},
          {STORE_M_NRE, "f", "g"}}},
        {"{__name__=~\"job:.*\"}", 1, {{STORE_M_RE, "__name__", "job:.*"}}},
        {"{a=\"b\",}", 1, {{STORE_M_EQ, "a", "b"}}},
        {"foo{}", 1, {{STORE_M_EQ, "__name__", "foo"}}},
        {"job:http_requests:rate5m", 1, {{STORE_M_EQ, "__name__", "job:http_requests:rate5m"}}},
        {":abc{x='y'}", 2, {{STORE_M_EQ, "__name__", ":abc"}, {STORE_M_EQ, "x", "y"}}},
        {" \n\t up \r\n{ a = \"b\" ,\n c != 'd' ,\t} \n",
         3,
         {{STORE_M_EQ, "__name__", "up"}, {STORE_M_EQ, "a", "b"}, {STORE_M_NEQ, "c", "d"}}},
        {"up # a comment", 1, {{STORE_M_EQ, "__name__", "up"}}},
        {"# lead\n{a=\"b\" # inside\n, c=\"d\"}",
         2,
         {{STORE_M_EQ, "a", "b"}, {STORE_M_EQ, "c", "d"}}},
        /* some keywords may name a metric (generated_parser.y's metric_identifier) */
        {"sum", 1, {{STORE_M_EQ, "__name__", "sum"}}},
        {"by{a=\"b\"}", 2, {{STORE_M_EQ, "__name__", "by"}, {STORE_M_EQ, "a", "b"}}},
        {"OFFSET", 1, {{STORE_M_EQ, "__name__", "OFFSET"}}},
        {"and", 1, {{STORE_M_EQ, "__name__", "and"}}},
        /* inside braces keywords and Inf/NaN are plain label names */
        {"{on=\"x\", by=\"y\", NaN=\"z\"}",
         3,
         {{STORE_M_EQ, "on", "x"}, {STORE_M_EQ, "by", "y"}, {STORE_M_EQ, "NaN", "z"}}},
        {"{a=`\\d+\\n`}", 1, {{STORE_M_EQ, "a", "\\d+\\n"}}},
        {"{a!=\"\"}", 1, {{STORE_M_NEQ, "a", ""}}},
        {"{a=~\".+\"}", 1, {{STORE_M_RE, "a", ".+"}}},
        {"{a!~\".*\"}", 1, {{STORE_M_NRE, "a", ".*"}}},
        /* __name__ twice inside the braces is allowed; only a name outside them conflicts */
        {"{__name__=\"a\", __name__=\"b\"}",
         2,
         {{STORE_M_EQ, "__name__", "a"}, {STORE_M_EQ, "__name__", "b"}}},
        {"foo{bar='}'}", 2, {{STORE_M_EQ, "__name__", "foo"}, {STORE_M_EQ, "bar", "}"}}},
        {"{a=\"#not a comment\"}", 1, {{STORE_M_EQ, "a", "#not a comment"}}},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++)
        test_expect_matchers(i, cases[i].in, cases[i].m, cases[i].n);
}

static void test_selector_needs_non_empty_matcher(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
        {"{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                     "matcher"},
        {"{a=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                        "matcher"},
        {"{a!~\".+\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                        "matcher"},
        {"{a!=\"x\"}", "1:1: parse error: vector selector must contain at least one non-empty "
                       "matcher"},
        {"{a=\"\", b=~\"x?\", c!~\"y\"}", "1:1: parse error: vector selector must contain at "
                                          "least one non-empty matcher"},
        {"  {a=\"\"}", "1:3: parse error: vector selector must contain at least one non-empty "
                       "matcher"},
        {"\n\n  {a=\"\"}", "3:3: parse error: vector selector must contain at least one "
                           "non-empty matcher"},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        store_matcher_t *m;
        size_t n;
        int rc;

        vg_arena_init(&a, 0);
        rc = pql_parse_selector(&a, cases[i].in, &m, &n, &err);
        vg_arena_fini(&a);
        if (rc != VG_EINVAL || strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu `%s`: got rc %d \"%s\", want \"%s\"", i, cases[i].in, rc, err.msg,
                     cases[i].want);
    }
}

static void test_selector_regex_is_anchored(void **state)
{
    static const struct {
        const char *sel, *value;
        int want; /* what re_match returns */
    } cases[] = {
        {"{a=~\"b\"}", "b", 1},
        {"{a=~\"b\"}", "abc", 0},
        {"{a=~\"b\"}", "ab", 0},
        {"{a=~\"b\"}", "bc", 0},
        {"{a=~\"b\"}", "b\n", 0}, /* Go's $ is the end of the text, not before a newline */
        {"{a=~\"b|c\"}", "c", 1},
        {"{a=~\"b|c\"}", "b", 1},
        {"{a=~\"b|c\"}", "bc", 0},
        {"{a=~\"a.*\"}", "abc", 1},
        {"{a=~\".*c\"}", "abc", 1},
        {"{a=~\"(?i)B\"}", "b", 1},
        {"{a=~\"x.y\"}", "x\ny", 0}, /* . does not match a newline without (?s) */
        {"{a=~\"(?s)x.y\"}", "x\ny", 1},
        {"{a=~\"é+\"}", "éé", 1},
        {"{a=~\".\"}", "é", 1}, /* UTF-8: one rune, two bytes */
        {"{a=~\"\\\\d{3}\"}", "123", 1},
        {"{a=~\"\\\\d{3}\"}", "1234", 0},
        {"{a=~\".*\",b=\"x\"}", "\xff", 0}, /* invalid UTF-8 matches nothing (documented) */
        {"{a!~\"b\",c=\"x\"}", "b", 1}, /* re_match is the positive match; the store negates !~ */
        {"{a!~\"b\",c=\"x\"}", "abc", 0},
        /* catastrophic backtracking stops at the match limit (PCRE2 error -47): no match */
        {"{a=~\"(a|aa)*c?d?\",b=\"x\"}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", 0},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        store_matcher_t *m;
        size_t n;
        int rc, got;

        vg_arena_init(&a, 0);
        rc = pql_parse_selector(&a, cases[i].sel, &m, &n, &err);
        got = rc == VG_OK ? m[0].re_match(m[0].re, cases[i].value) : -1;
        vg_arena_fini(&a); /* before any failure, so a failing case reports no leak */
        if (rc != VG_OK)
            fail_msg("case %zu `%s`: %s", i, cases[i].sel, err.msg);
        if (got != cases[i].want)
            fail_msg("case %zu `%s` on \"%s\": got %d, want %d", i, cases[i].sel, cases[i].value,
                     got, cases[i].want);
    }
}

/* Compiled patterns are released by the arena's deferred cleanups: ASan and valgrind see a
 * leak here if a reset misses one. */
static void test_selector_regex_released_at_reset(void **state)
{
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (int round = 0; round < 50; round++) {
        vg_err_t err = {0};
        store_matcher_t *m;
        size_t n;

        assert_int_equal(pql_parse_selector(&a, "{a=~\"x.*\",b!~\"y|z\",c=~\"(\"}", &m, &n, &err),
                         VG_EINVAL);
        assert_int_equal(pql_parse_selector(&a, "{a=~\"x.*\",b!~\"y|z\"}", &m, &n, &err), VG_OK);
        assert_int_equal(n, 2);
        assert_int_equal(m[1].re_match(m[1].re, "z"), 1);
        vg_arena_reset(&a);
    }
    vg_arena_fini(&a);
}

static void test_selector_string_escapes(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{a=\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"}", "\a\b\f\n\r\t\v\\\""},
        {"{a='\\a\\b\\f\\n\\r\\t\\v\\\\\\''}", "\a\b\f\n\r\t\v\\'"},
        {"{a='\"'}", "\""},
        {"{a=\"'\"}", "'"},
        {"{a=\"\\x41\\x6a\\101\\u00e9\\U0001F600\"}", "AjA\xc3\xa9\xf0\x9f\x98\x80"},
        {"{a='\\u00E9\\u20ac'}", "\xc3\xa9\xe2\x82\xac"},
        /* \x and octal escapes are bytes, as in Go, not runes */
        {"{a=\"\\xff\\377\"}", "\xff\xff"},
        {"{a=\"\xc3\xa9\xf0\x9f\x98\x80\"}", "\xc3\xa9\xf0\x9f\x98\x80"},
        {"{a=`a\\nb\"'`}", "a\\nb\"'"},
        {"{a=`x\ny\r`}", "x\ny\r"},
        {"{a=\"\"}", NULL}, /* NULL: the empty-matcher error, not an escape problem */
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        store_matcher_t *m;
        size_t n;
        int rc;

        vg_arena_init(&a, 0);
        rc = pql_parse_selector(&a, cases[i].in, &m, &n, &err);
        if (cases[i].want == NULL) {
            if (rc != VG_EINVAL)
                fail_msg("case %zu `%s`: got rc %d, want VG_EINVAL", i, cases[i].in, rc);
        } else if (rc != VG_OK) {
            fail_msg("case %zu `%s`: %s", i, cases[i].in, err.msg);
        } else if (n != 1 || strcmp(m[0].value, cases[i].want) != 0) {
            char got[128], want[128];

            pql_quote(got, sizeof got, m[0].value, strlen(m[0].value));
            pql_quote(want, sizeof want, cases[i].want, strlen(cases[i].want));
            fail_msg("case %zu `%s`: got %s, want %s", i, cases[i].in, got, want);
        }
        vg_arena_fini(&a);
    }
}

static void test_selector_errors(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* nothing, or not a selector */
        {"", "1:1: parse error: unexpected end of input"},
        {"   ", "1:4: parse error: unexpected end of input"},
        {"# only a comment", "1:17: parse error: unexpected end of input"},
        {"1", "1:1: parse error: unexpected number \"1\""},
        {"\"up\"", "1:1: parse error: unexpected string \"\\\"up\\\"\""},
        {"on", "1:1: parse error: unexpected <on>"},
        {"-up", "1:1: parse error: unexpected <op:->"},
        {"(up)", "1:1: parse error: unexpected \"(\""},
        {"}", "1:1: parse error: unexpected character: '}'"},
        /* anything after the selector: match[] takes a bare selector */
        {"up[5m]", "1:3: parse error: unexpected \"[\""},
        {"up + 1", "1:4: parse error: unexpected <op:+>"},
        {"up offset 5m", "1:4: parse error: unexpected <offset>"},
        /* sic: Prometheus 2.42 has no text for the @ token and prints its number */
        {"up @ 100", "1:4: parse error: unexpected \"<Item 57385>\" <op:@>"},
        {"sum(up)", "1:4: parse error: unexpected \"(\""},
        {"rate(up[5m])", "1:5: parse error: unexpected \"(\""},
        {"up 1", "1:4: parse error: unexpected number \"1\""},
        {"up 12345678901234", "1:4: parse error: unexpected number \"1234567890\"..."},
        {"up 1h", "1:4: parse error: unexpected duration \"1h\""},
        {"up Inf", "1:4: parse error: unexpected number \"Inf\""},
        {"up 'str'", "1:4: parse error: unexpected string \"'str'\""},
        {"up \"a long string\"", "1:4: parse error: unexpected string \"\\\"a long st\"..."},
        {"up a:b", "1:4: parse error: unexpected metric identifier \"a:b\""},
        {"{a=\"b\"} x", "1:9: parse error: unexpected identifier \"x\""},
        {"{a=\"b\"} and", "1:9: parse error: unexpected <op:and>"},
        {"{a=\"b\"} sum", "1:9: parse error: unexpected <aggr:sum>"},
        {"{a=\"b\"}{c=\"d\"}", "1:8: parse error: unexpected \"{\""},
        {"{a=\"b\"} # c\nfoo", "2:1: parse error: unexpected identifier \"foo\""},
        /* lexer errors */
        {"{", "1:2: parse error: unexpected end of input inside braces"},
        {"some{", "1:6: parse error: unexpected end of input inside braces"},
        {"{a=~\"b\"", "1:8: parse error: unexpected end of input inside braces"},
        {"some}", "1:5: parse error: unexpected character: '}'"},
        {"{a=\"b\"}}", "1:8: parse error: unexpected character: '}'"},
        {"some_metric{a:b=\"b\"}", "1:14: parse error: unexpected character inside braces: ':'"},
        {"foo{a*\"b\"}", "1:6: parse error: unexpected character inside braces: '*'"},
        {"foo{a>=\"b\"}", "1:6: parse error: unexpected character inside braces: '>'"},
        {"foo{1}", "1:5: parse error: unexpected character inside braces: '1'"},
        {"{a!b}", "1:3: parse error: unexpected character after '!' inside braces: 'b'"},
        {"{a!", "1:3: parse error: unexpected character after '!' inside braces: '\xef\xbf\xbd'"},
        {"up{{", "1:4: parse error: unexpected left brace '{'"},
        {"up=~\"a\"", "1:3: parse error: unexpected character after '=': '~'"},
        {"up!", "1:3: parse error: unexpected character after '!': '\xef\xbf\xbd'"},
        {"up)", "1:4: parse error: unexpected right parenthesis ')'"},
        {"foo$", "1:4: parse error: unexpected character: '$'"},
        {"foo\x01", "1:4: parse error: unexpected character: '\\x01'"},
        {"up 5x", "1:4: parse error: bad number or duration syntax: \"5\""},
        {"up 5mx", "1:4: parse error: bad number or duration syntax: \"5mx\""},
        {"some_metric{a=\"\xff\"}", "1:15: parse error: invalid UTF-8 rune"},
        {"{a=\"\xef\xbf\xbd\"}", "1:4: parse error: invalid UTF-8 rune"},
        {"{a=`\xff`}", "1:4: parse error: invalid UTF-8 rune"},
        /* the grammar's error productions inside braces */
        {"some_metric{a=b}",
         "1:15: parse error: unexpected identifier \"b\" in label matching, expected string"},
        {"foo{gibberish}", "1:14: parse error: unexpected \"}\" in label matching, expected label "
                           "matching operator"},
        {"foo{__name__= =}",
         "1:15: parse error: unexpected \"=\" in label matching, expected string"},
        {"foo{__name__ == \"bar\"}",
         "1:15: parse error: unexpected \"=\" in label matching, expected string"},
        {"foo{,}",
         "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
        {"{a=\"b\",,}",
         "1:8: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
        {"{=~\"a\"}",
         "1:2: parse error: unexpected <op:=~> in label matching, expected identifier or \"}\""},
        {"foo{__name__=\"bar\" lol}", "1:20: parse error: unexpected identifier \"lol\" in label "
                                      "matching, expected \",\" or \"}\""},
        {"{a=\"b\" c=\"d\"}", "1:8: parse error: unexpected identifier \"c\" in label matching, "
                              "expected \",\" or \"}\""},
        /* quoted label names came with Prometheus 3.0; 2.42 refuses them */
        {"foo{\"a\"=\"b\"}", "1:5: parse error: unexpected string \"\\\"a\\\"\" in label matching, "
                             "expected identifier or \"}\""},
        {"{\"abcdefghijklmnop\"=\"x\"}",
         "1:2: parse error: unexpected string \"\\\"abcdefghi\"... in label matching, expected "
         "identifier or \"}\""},
        {"{\n  a=b\n}",
         "2:5: parse error: unexpected identifier \"b\" in label matching, expected string"},
        /* checks after a clean parse */
        {"foo{__name__=\"bar\"}",
         "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
        {" foo{a=\"1\", __name__!~\"b\\n\"}",
         "1:2: parse error: metric name must not be set twice: \"foo\" or \"b\\n\""},
        /* string escapes (lex.go's lexEscape, from Go's scanner) */
        {"{a=\"\\q\"}", "1:4: parse error: unknown escape sequence U+0071 'q'"},
        {"{a=\"\\'\"}", "1:4: parse error: unknown escape sequence U+0027 '''"},
        {"{a='\\\"'}", "1:4: parse error: unknown escape sequence U+0022 '\"'"},
        {"{a=\"\\\xc3\xa9\"}", "1:4: parse error: unknown escape sequence U+00E9 '\xc3\xa9'"},
        {"{a=\"\\\n\"}", "1:4: parse error: unknown escape sequence U+000A"},
        {"{a=\"\\x4g\"}", "1:4: parse error: illegal character U+0067 'g' in escape sequence"},
        {"{a=\"\\x4\"}", "1:4: parse error: illegal character U+0022 '\"' in escape sequence"},
        {"{a=\"\\u12\"}", "1:4: parse error: illegal character U+0022 '\"' in escape sequence"},
        {"{a=\"\\18\"}", "1:4: parse error: illegal character U+0038 '8' in escape sequence"},
        {"{a=\"\\uD800\"}", "1:4: parse error: escape sequence is an invalid Unicode code point"},
        {"{a=\"\\U00110000\"}",
         "1:4: parse error: escape sequence is an invalid Unicode code point"},
        {"{a=\"\\400\"}", "1:4: parse error: escape sequence is an invalid Unicode code point"},
        {"{a=\"\\", "1:4: parse error: escape sequence not terminated"},
        {"{a=\"\\x", "1:4: parse error: escape sequence not terminated"},
        {"{a=\"abc", "1:4: parse error: unterminated quoted string"},
        {"{a=\"a\nb\"}", "1:4: parse error: unterminated quoted string"},
        {"{a=`abc", "1:4: parse error: unterminated raw string"},
        /* regexes: PCRE2's wording after Go's "error parsing regexp:" */
        {"{a=~\"(\"}",
         "1:2: parse error: error parsing regexp: missing closing parenthesis: `^(?:()$`"},
        {"{a=~\"x{2,1}\"}", "1:2: parse error: error parsing regexp: numbers out of order in {} "
                            "quantifier: `^(?:x{2,1})$`"},
        {"up{b=\"1\", a!~\"[z-a]\"} $", "1:11: parse error: error parsing regexp: range out of "
                                        "order in character class: `^(?:[z-a])$`"},
        /* vigil-only: the store's strings cannot hold a NUL */
        {"{a=\"\\x00\"}", "1:2: parse error: label matcher value must not contain a NUL byte"},
        {"{a=~'x\\000'}", "1:2: parse error: label matcher value must not contain a NUL byte"},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        vg_arena_t a;
        vg_err_t err = {0};
        store_matcher_t *m;
        size_t n;
        int rc;

        vg_arena_init(&a, 0);
        rc = pql_parse_selector(&a, cases[i].in, &m, &n, &err);
        vg_arena_fini(&a);
        if (rc != VG_EINVAL || err.code != VG_EINVAL)
            fail_msg("case %zu `%s`: got rc %d, want VG_EINVAL", i, cases[i].in, rc);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu `%s`:\n got \"%s\"\nwant \"%s\"", i, cases[i].in, err.msg,
                     cases[i].want);
    }
}

static const char *test_tok_name(pql_tok_type_t t)
{
    switch (t) {
    case PQL_TOK_EOF:
        return "EOF";
    case PQL_TOK_ERROR:
        return "ERROR";
    case PQL_TOK_COMMENT:
        return "COMMENT";
    case PQL_TOK_IDENTIFIER:
        return "ID";
    case PQL_TOK_METRIC_IDENTIFIER:
        return "MID";
    case PQL_TOK_NUMBER:
        return "NUM";
    case PQL_TOK_DURATION:
        return "DUR";
    case PQL_TOK_STRING:
        return "STR";
    case PQL_TOK_START:
    case PQL_TOK_END:
        return "PRE";
    default:
        return pql_tok_is_keyword(t)      ? "KW"
               : pql_tok_is_aggregator(t) ? "AGGR"
               : pql_tok_is_operator(t)   ? "OP"
                                          : "PUNCT";
    }
}

/* The whole-language lexer: each token as "KIND:text", space separated, up to EOF or ERROR
 * (whose message follows). */
static void test_lexer_tokens(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"sum by (job) (rate(x{code=~\"5..\"}[5m] offset 1h))",
         "AGGR:sum KW:by PUNCT:( ID:job PUNCT:) PUNCT:( ID:rate PUNCT:( ID:x PUNCT:{ ID:code "
         "OP:=~ STR:\"5..\" PUNCT:} PUNCT:[ DUR:5m PUNCT:] KW:offset DUR:1h PUNCT:) PUNCT:) EOF:"},
        {"1 .5 1e3 1.5e-3 0x1F 0X1f Inf nan NaN 1h30m 100ms 2y",
         "NUM:1 NUM:.5 NUM:1e3 NUM:1.5e-3 NUM:0x1F NUM:0X1f NUM:Inf NUM:nan NUM:NaN DUR:1h30m "
         "DUR:100ms DUR:2y EOF:"},
        {"a == b != c <= d >= e < f > g + h - i * j / k % l ^ m",
         "ID:a OP:== ID:b OP:!= ID:c OP:<= ID:d OP:>= ID:e OP:< ID:f OP:> ID:g OP:+ ID:h OP:- "
         "ID:i OP:* ID:j OP:/ ID:k OP:% ID:l OP:^ ID:m EOF:"},
        {"a and b or c unless d atan2 e bool on(x) ignoring(y) group_left group_right",
         "ID:a OP:and ID:b OP:or ID:c OP:unless ID:d OP:atan2 ID:e KW:bool KW:on PUNCT:( ID:x "
         "PUNCT:) KW:ignoring PUNCT:( ID:y PUNCT:) KW:group_left KW:group_right EOF:"},
        {"x[5m:1m] @ start() # trailing",
         "ID:x PUNCT:[ DUR:5m PUNCT:: DUR:1m PUNCT:] OP:@ PRE:start PUNCT:( PUNCT:) "
         "COMMENT:# trailing EOF:"},
        {"count_values(\"v\", a:b) without (c)",
         "AGGR:count_values PUNCT:( STR:\"v\" PUNCT:, MID:a:b PUNCT:) KW:without PUNCT:( ID:c "
         "PUNCT:) EOF:"},
        {"`raw\\n` 'single'", "STR:`raw\\n` STR:'single' EOF:"},
        {"x[ 5m ]", "ID:x PUNCT:[ DUR:5m PUNCT:] EOF:"},
        {"x[5]", "ID:x PUNCT:[ ERROR:missing unit character in duration"},
        {"x[]", "ID:x PUNCT:[ ERROR:missing unit character in duration"},
        {"x[5q]", "ID:x PUNCT:[ ERROR:bad duration syntax: \"5\""},
        {"x[5m", "ID:x PUNCT:[ DUR:5m ERROR:unclosed left bracket"},
        {"x[5m[", "ID:x PUNCT:[ DUR:5m ERROR:unexpected left bracket '['"},
        {"x]", "ID:x ERROR:unexpected right bracket ']'"},
        {"(x", "PUNCT:( ID:x ERROR:unclosed left parenthesis"},
        {"x[5m:1m:]", "ID:x PUNCT:[ DUR:5m PUNCT:: DUR:1m ERROR:unexpected colon ':'"},
        {"1.2.3", "NUM:1.2 NUM:.3 EOF:"},
    };

    for (size_t i = 0; i < TEST_NCASES(cases); i++) {
        pql_lexer_t l;
        pql_tok_t t;
        char got[1024];
        size_t len = 0;

        got[0] = '\0';
        pql_lexer_init(&l, cases[i].in, strlen(cases[i].in));
        do {
            pql_lex_next(&l, &t);
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%s:%.*s", len ? " " : "",
                                    test_tok_name(t.type), (int)t.len, cases[i].in + t.pos);
            if (t.type == PQL_TOK_ERROR)
                len += (size_t)snprintf(got + len, sizeof got - len, "%s", l.errmsg);
        } while (t.type != PQL_TOK_EOF && t.type != PQL_TOK_ERROR && len < sizeof got - 1);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu `%s`:\n got %s\nwant %s", i, cases[i].in, got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selector_valid),
        cmocka_unit_test(test_selector_needs_non_empty_matcher),
        cmocka_unit_test(test_selector_regex_is_anchored),
        cmocka_unit_test(test_selector_regex_released_at_reset),
        cmocka_unit_test(test_selector_string_escapes),
        cmocka_unit_test(test_selector_errors),
        cmocka_unit_test(test_lexer_tokens),
    };
    return cmocka_run_group_tests_name("query/selector", tests, NULL, NULL);
}
