/* tests/unit/ingest/test_expo.c - ing_expo_parse() for text 0.0.4 and OpenMetrics 1.0: each case
 * dumps the batch (values by bit pattern, so NaN, stale and -0 stay distinct) and compares it
 * with the expected text; bad inputs check the exact message; Content-Type selection.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/expo.h"
#include "support/bits.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_NOW 1700000000123LL

/* Writes s with \\ \" \n escaped, as the text format writes label values. */
static void test_expo_put_escaped(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* Writes v so that every bit pattern that matters reads differently. */
static void test_expo_put_value(FILE *f, double v)
{
    uint64_t bits = test_bits(v);

    if (bits == ING_STALE_BITS) {
        fputs("stale", f);
    } else if (bits == ING_EXPO_NAN_BITS) {
        fputs("NaN", f);
    } else if (isnan(v)) {
        fprintf(f, "NaN(0x%016llx)", (unsigned long long)bits);
    } else if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    } else if (v == trunc(v) && fabs(v) < 1e17) {
        fprintf(f, "%.0f", v);
    } else {
        char buf[64];

        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        fputs(buf, f);
    }
}

/* Returns the batch as text (malloc'd): one `name{labels} value t_ms` line per sample, then one
 * `# META family type=... unit=... help="..."` line per metadata entry ("-" = unset). */
static char *test_expo_dump(const ing_batch_t *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    for (size_t i = 0; i < b->nsamples; i++) {
        const ing_sample_t *s = &b->samples[i];
        const char *name = "?";
        int first = 1;

        for (size_t j = 0; j < s->nlabels; j++)
            if (strcmp(s->labels[j].name, "__name__") == 0)
                name = s->labels[j].value;
        fputs(name, f);
        for (size_t j = 0; j < s->nlabels; j++) {
            if (strcmp(s->labels[j].name, "__name__") == 0)
                continue;
            fprintf(f, "%s%s=\"", first ? "{" : ",", s->labels[j].name);
            test_expo_put_escaped(f, s->labels[j].value);
            fputc('"', f);
            first = 0;
        }
        if (!first)
            fputc('}', f);
        fputc(' ', f);
        test_expo_put_value(f, s->v);
        fprintf(f, " %lld\n", (long long)s->t_ms);
    }
    for (size_t i = 0; i < b->nmeta; i++) {
        const ing_meta_t *m = &b->meta[i];

        fprintf(f, "# META %s type=%s unit=%s help=", m->metric, m->type ? m->type : "-",
                m->unit ? m->unit : "-");
        if (m->help != NULL) {
            fputc('"', f);
            test_expo_put_escaped(f, m->help);
            fputc('"', f);
        } else {
            fputc('-', f);
        }
        fputc('\n', f);
    }
    fclose(f);
    return text;
}

typedef struct {
    const char *name;
    const char *body;
    const char *want; /* the dump */
} test_expo_ok_t;

static void test_expo_run_ok(const test_expo_ok_t *cases, size_t n, int om)
{
    for (size_t i = 0; i < n; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        char *got;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        if (ing_expo_parse(&b, cases[i].body, strlen(cases[i].body), om, TEST_NOW, &err) != VG_OK)
            fail_msg("case %zu (%s): got error \"%s\", want success", i, cases[i].name, err.msg);
        got = test_expo_dump(&b);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu (%s):\ngot:\n%swant:\n%s", i, cases[i].name, got, cases[i].want);
        free(got);
        vg_arena_fini(&a);
    }
}

static void test_expo_prom_valid(void **state)
{
    static const test_expo_ok_t cases[] = {
        {"bare sample, now_ms", "a 1\n", "a 1 1700000000123\n"},
        {"labels sorted, timestamp",
         "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n",
         "http_requests_total{code=\"200\",method=\"post\"} 1027 1395066363000\n"},
        {"label escapes",
         "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
         "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n",
         "msdos_file_access_time_seconds{error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\","
         "path=\"C:\\\\DIR\\\\FILE.TXT\"} 1458255915 1700000000123\n"},
        {"floats, integers, exponents",
         "a 1e3 1\na -1.5E-3 2\na .5 3\na 5. 4\na +7 5\na -0 6\na 123456789012 7\na 1e-400 8\n",
         "a 1000 1\na -0.0015 2\na 0.5 3\na 5 4\na 7 5\na -0 6\na 123456789012 7\na 0 8\n"},
        {"NaN and infinities (Go's spellings)",
         "a NaN 1\na nan 2\na +Inf 3\na -Inf 4\na Inf 5\na inf 6\na -infinity 7\n",
         "a NaN 1\na NaN 2\na +Inf 3\na -Inf 4\na +Inf 5\na +Inf 6\na -Inf 7\n"},
        {"stale marker extension", "up{job=\"x\"} stale 1000\nup stale\n",
         "up{job=\"x\"} stale 1000\nup stale 1700000000123\n"},
        {"timestamps: negative, 1970, 2024, int64 limits",
         "a 1 -1\na 2 0\na 3 86400000\na 4 1704067200000\na 5 -9223372036854775808\n"
         "a 6 9223372036854775807\na 7 +5\n",
         "a 1 -1\na 2 0\na 3 86400000\na 4 1704067200000\na 5 -9223372036854775808\n"
         "a 6 9223372036854775807\na 7 5\n"},
        {"comments, blank lines, blanks, no final newline",
         "# just a comment\n\n  \t\n#\n# EOF\n# UNIT a seconds\n  a  1  \t\n\tb{c=\"d\"}  2  3 "
         "\t\nc 4",
         "a 1 1700000000123\nb{c=\"d\"} 2 3\nc 4 1700000000123\n"},
        {"label set spelling",
         "a{} 1\nb{c=\"d\",} 2\nc{ d = \"e\" , f=\"g\" } 3\nd{e=\"f\"}4\ne{f=\"\"} 5\n",
         "a 1 1700000000123\nb{c=\"d\"} 2 1700000000123\nc{d=\"e\",f=\"g\"} 3 1700000000123\n"
         "d{e=\"f\"} 4 1700000000123\ne{f=\"\"} 5 1700000000123\n"},
        {"metric and label name characters",
         "job:rate5m 1\n_x 2\n:a 3\nA_9:b{_l=\"v\",L9=\"w\"} 4\n",
         "job:rate5m 1 1700000000123\n_x 2 1700000000123\n:a 3 1700000000123\n"
         "A_9:b{L9=\"w\",_l=\"v\"} 4 1700000000123\n"},
        {"UTF-8 label value", "a{b=\"h\xc3\xa9llo \xe2\x82\xac\"} 1 2\n",
         "a{b=\"h\xc3\xa9llo \xe2\x82\xac\"} 1 2\n"},
        {"repeated and changing label sets",
         "a{x=\"1\",y=\"2\"} 1 1\na{x=\"1\",y=\"3\"} 2 1\na{y=\"3\",x=\"1\"} 3 1\nb{x=\"1\"} 4 1\n",
         "a{x=\"1\",y=\"2\"} 1 1\na{x=\"1\",y=\"3\"} 2 1\na{x=\"1\",y=\"3\"} 3 1\nb{x=\"1\"} 4 "
         "1\n"},
        {"more labels than the initial capacity",
         "m{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\",j=\"10\","
         "k=\"11\",l=\"12\",m=\"13\",n=\"14\",o=\"15\",p=\"16\",q=\"17\",r=\"18\"} 1 1\n",
         "m{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\",j=\"10\","
         "k=\"11\",l=\"12\",m=\"13\",n=\"14\",o=\"15\",p=\"16\",q=\"17\",r=\"18\"} 1 1\n"},
        {"long value token",
         "a 0.00000000000000000000000000000000000000000000000000000000000000000000000000015 1\n",
         "a 1.5e-76 1\n"},
        {"HELP and TYPE, untyped is unknown, HELP escapes",
         "# HELP a The \\\\ total\\nof \\\"a\\\".\n# TYPE a counter\na 1 1\n"
         "# TYPE u untyped\n# HELP u  blanks before skipped, trailing kept \nu 2 1\n"
         "# TYPE g gauge\ng 3 1\n# HELP h\n# TYPE h\n# FOO h bar\n",
         "a 1 1\nu 2 1\ng 3 1\n# META a type=counter unit=- help=\"The \\\\ total\\nof "
         "\\\"a\\\".\"\n"
         "# META u type=unknown unit=- help=\"blanks before skipped, trailing kept \"\n"
         "# META g type=gauge unit=- help=-\n"},
        {"histogram family",
         "# HELP h A histogram.\n# TYPE h histogram\nh_bucket{le=\"0.05\"} 24054 1\n"
         "h_bucket{le=\"+Inf\"} 144320 1\nh_sum 53423 1\nh_count 144320 1\n",
         "h_bucket{le=\"0.05\"} 24054 1\nh_bucket{le=\"+Inf\"} 144320 1\nh_sum 53423 1\n"
         "h_count 144320 1\n# META h type=histogram unit=- help=\"A histogram.\"\n"},
        {"summary family",
         "# TYPE s summary\ns{quantile=\"0.5\"} 4773 1\ns{quantile=\"0.99\"} NaN 1\ns_sum 1.5 1\n"
         "s_count 2693 1\n",
         "s{quantile=\"0.5\"} 4773 1\ns{quantile=\"0.99\"} NaN 1\ns_sum 1.5 1\ns_count 2693 1\n"
         "# META s type=summary unit=- help=-\n"},
        {"_sum before its family is declared is its own family",
         "x_sum 1 1\n# TYPE x summary\nx_count 2 1\n",
         "x_sum 1 1\nx_count 2 1\n# META x type=summary unit=- help=-\n"},
        {"TYPE after HELP, samples of other families between",
         "# HELP a help\nb 1 1\n# TYPE a gauge\na 2 1\n",
         "b 1 1\na 2 1\n# META a type=gauge unit=- help=\"help\"\n"},
    };

    test_expo_run_ok(cases, sizeof cases / sizeof cases[0], 0);
}

static void test_expo_om_valid(void **state)
{
    static const test_expo_ok_t cases[] = {
        {"counter with TYPE, UNIT, HELP",
         "# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n"
         "# HELP foo_seconds Time \\\"spent\\\".\\n\n"
         "foo_seconds_total{a=\"b\"} 1 1520879607.789\n"
         "foo_seconds_created{a=\"b\"} 1520872607.123\n# EOF\n",
         "foo_seconds_total{a=\"b\"} 1 1520879607789\nfoo_seconds_created{a=\"b\"} 1520872607.123 "
         "1700000000123\n# META foo_seconds type=counter unit=seconds help=\"Time "
         "\\\"spent\\\".\\n\"\n"},
        {"timestamps in seconds become milliseconds",
         "a 1 0\na 2 -1.5\na 3 1.0005\na 4 1e3\na 5 1.5e-3\na 6 86400\na 7 -0.001\n"
         "a 8 1704067200.5\na 9 .25\na 10 -1.0009\na 11 9223372036854775.807\n# EOF\n",
         "a 1 0\na 2 -1500\na 3 1000\na 4 1000000\na 5 1\na 6 86400000\na 7 -1\n"
         "a 8 1704067200500\na 9 250\na 10 -1000\na 11 9223372036854775807\n"},
        {"exemplars are dropped",
         "# TYPE h histogram\nh_bucket{le=\"1\"} 5 # {trace_id=\"abc\"} 0.5 1520879607.789\n"
         "h_bucket{le=\"+Inf\"} 7 10 # {trace_id=\"d\\\"e\",span=\"f\"} 2\n"
         "h_count 7 # {} 1\nh_sum 3.5\n# EOF",
         "h_bucket{le=\"1\"} 5 1700000000123\nh_bucket{le=\"+Inf\"} 7 10000\n"
         "h_count 7 1700000000123\nh_sum 3.5 1700000000123\n"
         "# META h type=histogram unit=- help=-\n"},
        {"every OpenMetrics type",
         "# TYPE a gaugehistogram\n# TYPE b info\n# TYPE c stateset\n# TYPE d unknown\n"
         "# TYPE e summary\n# TYPE f gauge\n# TYPE a counter\nb_info{v=\"1\"} 1\n# EOF\n",
         "b_info{v=\"1\"} 1 1700000000123\n# META a type=counter unit=- help=-\n"
         "# META b type=info unit=- help=-\n# META c type=stateset unit=- help=-\n"
         "# META d type=unknown unit=- help=-\n# META e type=summary unit=- help=-\n"
         "# META f type=gauge unit=- help=-\n"},
        {"stale, NaN, empty exposition", "a stale 1\na NaN 2\n# EOF\n",
         "a stale 1000\na NaN 2000\n"},
        {"only EOF", "# EOF\n", ""},
        {"unit equal to the name after _", "# UNIT _seconds seconds\n# EOF\n",
         "# META _seconds type=- unit=seconds help=-\n"},
    };

    test_expo_run_ok(cases, sizeof cases / sizeof cases[0], 1);
}

static void test_expo_errors(void **state)
{
    static const struct {
        int om;
        const char *body, *want;
    } cases[] = {
        {0, "a abc\n", "text format parsing error in line 1: expected float as value, got \"abc\""},
        {0, "a 1\nb 2\nc abc\n",
         "text format parsing error in line 3: expected float as value, got \"abc\""},
        {0, "a\n", "text format parsing error in line 1: expected float as value, got \"\""},
        {0, "a{b=\"c\"}", "text format parsing error in line 1: expected float as value, got \"\""},
        {0, "a Stale\n",
         "text format parsing error in line 1: expected float as value, got \"Stale\""},
        {0, "a 0x1p3\n",
         "text format parsing error in line 1: expected float as value, got \"0x1p3\""},
        {0, "a 1_000\n",
         "text format parsing error in line 1: expected float as value, got \"1_000\""},
        {0, "a 1e999\n",
         "text format parsing error in line 1: expected float as value, got \"1e999\""},
        {0, "a 1\r\n",
         "text format parsing error in line 1: expected float as value, got \"1\\r\""},
        {0, "a{b-c=\"d\"} 1\n",
         "text format parsing error in line 1: expected '=' after label name, found '-'"},
        {0, "a{b\n",
         "text format parsing error in line 1: expected '=' after label name, found '\\n'"},
        {0, "a{1b=\"c\"} 1\n",
         "text format parsing error in line 1: invalid label name for metric \"a\""},
        {0, "a{\n", "text format parsing error in line 1: invalid label name for metric \"a\""},
        {0, "a{b=c} 1\n",
         "text format parsing error in line 1: expected '\"' at start of label value, found 'c'"},
        {0, "x 1\na{b=\"c} 1\n",
         "text format parsing error in line 2: label value \"c} 1\" contains unescaped new-line"},
        {0, "a{b=\"c} 1", "text format parsing error in line 1: unexpected end of input stream"},
        {0, "a{b", "text format parsing error in line 1: unexpected end of input stream"},
        {0, "a{b=\"c\" d=\"e\"} 1\n",
         "text format parsing error in line 1: unexpected end of label value \"c\""},
        {0, "a{b=\"x\\\\y\"\n",
         "text format parsing error in line 1: unexpected end of label value \"x\\\\y\""},
        {0, "a{b=\"\\t\"} 1\n",
         "text format parsing error in line 1: invalid escape sequence '\\t'"},
        {0, "a{b=\"\xff\"} 1\n",
         "text format parsing error in line 1: invalid label value \"\\xff\""},
        {0, "a{b=\"1\",c=\"2\",b=\"3\"} 1\n",
         "text format parsing error in line 1: duplicate label names for metric \"a\""},
        {0, "a{__name__=\"b\"} 1\n",
         "text format parsing error in line 1: label name \"__name__\" is reserved"},
        {0, "0a 1\n", "text format parsing error in line 1: invalid metric name"},
        {0, "a-b 1\n", "text format parsing error in line 1: invalid metric name"},
        {0, "a.b 1\n", "text format parsing error in line 1: invalid metric name"},
        {0, "{a=\"b\"} 1\n", "text format parsing error in line 1: invalid metric name"},
        {0, "a 1 1.5\n",
         "text format parsing error in line 1: expected integer as timestamp, got \"1.5\""},
        {0, "a 1 9223372036854775808\n",
         "text format parsing error in line 1: expected integer as "
         "timestamp, got \"9223372036854775808\""},
        {0, "a 1 -\n",
         "text format parsing error in line 1: expected integer as timestamp, got \"-\""},
        {0, "a 1 # {b=\"c\"} 1\n",
         "text format parsing error in line 1: expected integer as timestamp, got \"#\""},
        {0, "a 1 2 3\n",
         "text format parsing error in line 1: spurious string after timestamp: \" 3\""},
        {0, "# TYPE a counter\n# TYPE a gauge\n",
         "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE "
         "reported after samples"},
        {0, "a 1\n# TYPE a counter\n",
         "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE "
         "reported after samples"},
        {0, "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n# TYPE h_bucket counter\n",
         "text format parsing error in line 3: second TYPE line for metric name \"h\", or TYPE "
         "reported after samples"},
        {0, "# HELP a x\n# HELP a y\n",
         "text format parsing error in line 2: second HELP line for metric name \"a\""},
        {0, "# TYPE a gaugehistogram\n",
         "text format parsing error in line 1: unknown metric type \"gaugehistogram\""},
        {0, "# TYPE a Counter\n",
         "text format parsing error in line 1: unknown metric type \"Counter\""},
        {0, "# TYPE a-b counter\n",
         "text format parsing error in line 1: invalid metric name in comment"},
        {0, "# HELP 0a x\n", "text format parsing error in line 1: invalid metric name in comment"},
        {0, "# HELP a x\\qy\n",
         "text format parsing error in line 1: invalid escape sequence '\\q'"},
        {0, "# HELP a \xc3\x28\n",
         "text format parsing error in line 1: help text \"\\xc3(\" is not a valid utf8 string"},
        {1, "a 1\n", "text format parsing error in line 2: data does not end with # EOF"},
        {1, "a 1", "text format parsing error in line 2: data does not end with # EOF"},
        {1, "", "text format parsing error in line 1: data does not end with # EOF"},
        {1, "a 1\n# EOF\nb 1\n",
         "text format parsing error in line 3: unexpected data after # EOF"},
        {1, "# EOF\n\n", "text format parsing error in line 2: unexpected data after # EOF"},
        {1, "# EOF junk\n", "text format parsing error in line 1: unexpected data after # EOF"},
        {1, "a 1 abc\n# EOF\n",
         "text format parsing error in line 1: expected float as timestamp, got \"abc\""},
        {1, "a 1 NaN\n# EOF\n", "text format parsing error in line 1: invalid timestamp NaN"},
        {1, "a 1 -Inf\n# EOF\n", "text format parsing error in line 1: invalid timestamp -Inf"},
        {1, "a 1 1e300\n# EOF\n", "text format parsing error in line 1: invalid timestamp 1e300"},
        {1, "a 1 9223372036854775.808\n# EOF\n",
         "text format parsing error in line 1: invalid timestamp 9223372036854775.808"},
        {1, "a 1 stale\n# EOF\n",
         "text format parsing error in line 1: expected float as timestamp, got \"stale\""},
        {1, "# TYPE a untyped\n# EOF\n",
         "text format parsing error in line 1: unknown metric type \"untyped\""},
        {1, "# UNIT a seconds\n# EOF\n",
         "text format parsing error in line 1: unit \"seconds\" not a suffix of metric \"a\""},
        {1, "# UNIT a_xseconds seconds\n# EOF\n",
         "text format parsing error in line 1: unit \"seconds\" not a suffix of metric "
         "\"a_xseconds\""},
        {1, "a 1 # x\n# EOF\n",
         "text format parsing error in line 1: expected label set for exemplar, got \"x\""},
        {1, "a 1 # {b=\"c\"} x\n# EOF\n",
         "text format parsing error in line 1: expected float as exemplar value, got \"x\""},
        {1, "a 1 # {b=\"c\"} 1 2 3\n# EOF\n",
         "text format parsing error in line 1: spurious string after exemplar timestamp: \" 3\""},
        {1, "a 1 2 3\n# EOF\n",
         "text format parsing error in line 1: spurious string after timestamp: \" 3\""},
        {1, "a{b=\"1\",b=\"2\"} 1\n# EOF\n",
         "text format parsing error in line 1: duplicate label names for metric \"a\""},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        const char *problem;
        char source[32];
        int rc, line;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        rc = ing_expo_parse(&b, cases[i].body, strlen(cases[i].body), cases[i].om, TEST_NOW, &err);
        if (rc != VG_EINVAL)
            fail_msg("case %zu \"%s\": got rc %d, want VG_EINVAL", i, cases[i].body, rc);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu: got  \"%s\"\n            want \"%s\"", i, err.msg, cases[i].want);
        /* the one item repeats the problem and the line the message names */
        problem = strchr(err.msg, ':') + 2;
        sscanf(err.msg, "text format parsing error in line %d", &line);
        snprintf(source, sizeof source, "line %d", line);
        if (err.nitems != 1 || strcmp(err.items[0].title, "text format parsing error") != 0 ||
            strcmp(err.items[0].detail, problem) != 0 || strcmp(err.items[0].source, source) != 0)
            fail_msg("case %zu: got %zu items, first {%s, %s, %s}, want 1 {text format parsing "
                     "error, %s, %s}",
                     i, err.nitems, err.nitems ? err.items[0].title : "",
                     err.nitems ? err.items[0].detail : "", err.nitems ? err.items[0].source : "",
                     problem, source);
        vg_arena_fini(&a);
    }
}

/* Bits the dump cannot show on its own: the exact NaN patterns and the sign of -Inf and -0. */
static void test_expo_value_bits(void **state)
{
    static const struct {
        const char *body;
        uint64_t want;
    } cases[] = {
        {"a NaN\n", 0x7ff8000000000001ull},  {"a stale\n", 0x7ff0000000000002ull},
        {"a +Inf\n", 0x7ff0000000000000ull}, {"a -Inf\n", 0xfff0000000000000ull},
        {"a -0\n", 0x8000000000000000ull},   {"a 1\n", 0x3ff0000000000000ull},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        uint64_t got;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        if (ing_expo_parse(&b, cases[i].body, strlen(cases[i].body), 0, 0, &err) != VG_OK ||
            b.nsamples != 1)
            fail_msg("case %zu \"%s\": %s", i, cases[i].body, err.msg);
        got = test_bits(b.samples[0].v);
        if (got != cases[i].want)
            fail_msg("case %zu \"%s\": got 0x%016llx, want 0x%016llx", i, cases[i].body,
                     (unsigned long long)got, (unsigned long long)cases[i].want);
        assert_int_equal(ing_is_stale(b.samples[0].v), cases[i].want == ING_STALE_BITS);
        vg_arena_fini(&a);
    }
}

/* Decimal values (the parser's fast path and strtod) read to the same bits as strtod gives. */
static void test_expo_floats_match_strtod(void **state)
{
    enum { N = 20000 };
    static char toks[N][40];
    uint64_t r = 0x9e3779b97f4a7c15ull;
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};

    for (size_t i = 0; i < N; i++) {
        char *t = toks[i];
        int nd, dot;

        r ^= r << 13, r ^= r >> 7, r ^= r << 17; /* xorshift64 */
        nd = 1 + (int)(r % 19);
        dot = (int)((r >> 8) % (unsigned)(nd + 2)) - 1; /* -1: no dot */
        if ((r >> 16) & 1)
            *t++ = '-';
        for (int d = 0; d < nd; d++) {
            if (d == dot)
                *t++ = '.';
            *t++ = (char)('0' + (r >> (20 + 2 * (d % 20))) % 10);
        }
        if ((r >> 60) == 0)
            t += sprintf(t, "e%d", (int)((r >> 24) % 40) - 20);
        *t = '\0';
        fprintf(f, "a %s\n", toks[i]);
    }
    fclose(f);
    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    if (ing_expo_parse(&b, body, len, 0, 0, &err) != VG_OK)
        fail_msg("parse: %s", err.msg);
    assert_int_equal(b.nsamples, N);
    for (size_t i = 0; i < N; i++) {
        double want = strtod(toks[i], NULL);

        if (memcmp(&b.samples[i].v, &want, sizeof want) != 0)
            fail_msg("case %zu \"%s\": got %.17g, want %.17g", i, toks[i], b.samples[i].v, want);
    }
    vg_arena_fini(&a);
    free(body);
}

/* Many families and distinct strings: the string and family tables grow and still find what
 * they hold (a late TYPE for an early family is refused). */
static void test_expo_many_families(void **state)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};

    for (int i = 0; i < 600; i++)
        fprintf(f,
                "# HELP m%d help %d\n# TYPE m%d gauge\nm%d{id=\"%d\"} %d 1\nm%d{id=\"x%d\"} 2 1\n",
                i, i, i, i, i, i, i, i);
    fprintf(f, "# TYPE m300 counter\n");
    fclose(f);
    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    assert_int_equal(ing_expo_parse(&b, body, len, 0, 0, &err), VG_EINVAL);
    assert_string_equal(err.msg, "text format parsing error in line 2401: second TYPE line for "
                                 "metric name \"m300\", or TYPE reported after samples");
    assert_int_equal(b.nsamples, 1200);
    assert_int_equal(b.nmeta, 600);
    assert_string_equal(b.meta[599].metric, "m599");
    assert_string_equal(b.meta[599].help, "help 599");
    assert_string_equal(b.samples[1198].labels[1].value, "599");
    assert_string_equal(b.samples[1199].labels[1].value, "x599");
    vg_arena_fini(&a);
    free(body);
}

/* The body is read up to len only, and a NULL err is allowed. */
static void test_expo_len_and_null_err(void **state)
{
    const char *body = "a 1\nb 2\n";
    vg_arena_t a;
    ing_batch_t b;

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    assert_int_equal(ing_expo_parse(&b, body, 3, 0, 5, NULL), VG_OK);
    assert_int_equal(b.nsamples, 1);
    assert_int_equal(b.samples[0].t_ms, 5);
    assert_int_equal(ing_expo_parse(&b, "a x", 3, 0, 5, NULL), VG_EINVAL);
    assert_int_equal(ing_expo_parse(&b, NULL, 0, 0, 5, NULL), VG_OK);
    assert_int_equal(ing_expo_parse(&b, NULL, 0, 1, 5, NULL), VG_EINVAL);
    vg_arena_fini(&a);
}

static void test_expo_content_type(void **state)
{
    static const struct {
        const char *ct;
        int want;
    } cases[] = {
        {NULL, 0},
        {"", 0},
        {"  ", 0},
        {"text/plain", 0},
        {"text/plain; version=0.0.4", 0},
        {"text/plain;version=0.0.4;charset=utf-8", 0},
        {"TEXT/Plain; Version=\"0.0.4\"", 0},
        {"text/plain; charset=utf-8", 0},
        {"text/plain; charset=utf-8; escaping=underscores", 0},
        {"text/plain ; version=0.0.4", 0},
        {"text/plain; version=1.0.0", -1},
        {"text/plain; version=", -1},
        {"text/plain junk", -1},
        {"text/plainx", -1},
        {"application/openmetrics-text", 1},
        {"application/openmetrics-text; version=1.0.0; charset=utf-8", 1},
        {"Application/OpenMetrics-Text;version=0.0.1", 1},
        {"application/openmetrics-textx", -1},
        {"application/json", -1},
        {"text/html", -1},
        {"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", -1},
        {"; version=0.0.4", -1},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = ing_expo_format_from_content_type(cases[i].ct);

        if (got != cases[i].want)
            fail_msg("case %zu \"%s\": got %d, want %d", i, cases[i].ct ? cases[i].ct : "(null)",
                     got, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expo_prom_valid),
        cmocka_unit_test(test_expo_om_valid),
        cmocka_unit_test(test_expo_errors),
        cmocka_unit_test(test_expo_value_bits),
        cmocka_unit_test(test_expo_floats_match_strtod),
        cmocka_unit_test(test_expo_many_families),
        cmocka_unit_test(test_expo_len_and_null_err),
        cmocka_unit_test(test_expo_content_type),
    };

    return cmocka_run_group_tests_name("ingest/expo", tests, NULL, NULL);
}
