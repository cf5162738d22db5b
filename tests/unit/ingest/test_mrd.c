/* tests/unit/ingest/test_mrd.c - mrd_report_parse() against Go's json.Decoder and upstream's
 * validator (specs/concertim.md §3.2, conformance cases 7-20), mrd_dsm_parse() (§5.1) and
 * mrd_token_request_parse() (§3.5). A 422 is rendered as "title|detail|source" lines so a
 * failure shows case, got and want.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/mrd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a body with its length, so NUL bytes can be part of it */
typedef struct {
    const char *p;
    size_t n;
} test_mrd_body_t;
#define B(s)                                                                                       \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

#define TYPES  "[string int8 uint8 int16 uint16 int32 uint32 float double]"
#define SLOPES "[zero positive negative both derivative]"

static const char *test_mrd_items(const vg_err_t *err, vg_arena_t *a)
{
    vg_buf_t o;

    vg_buf_init(&o, a);
    vg_buf_adds(&o, "");
    for (size_t i = 0; i < err->nitems; i++)
        vg_buf_printf(&o, "%s%s|%s|%s", i ? "\n" : "", err->items[i].title, err->items[i].detail,
                      err->items[i].source);
    return o.p;
}

/* §7 7-9 and every Go scanner phrasing: a 400 whose detail is Go's decoder message */
static void test_mrd_decode_errors(void **state)
{
    static const struct {
        test_mrd_body_t in;
        const char *want;
    } cases[] = {
        {B(""), "EOF"},
        {B(" \t\r\n "), "EOF"},
        {B("{"), "unexpected EOF"},
        {B("  {\"name\":\"foo\""), "unexpected EOF"},
        {B("{\"name\":\"fo"), "unexpected EOF"},
        {B("{\"name\":"), "unexpected EOF"},
        {B("{\"name\":\"\\u12"), "unexpected EOF"},
        {B("tru"), "unexpected EOF"},
        {B("-"), "unexpected EOF"},
        {B("1."), "unexpected EOF"},
        {B("[1,"), "unexpected EOF"},
        {B("x"), "invalid character 'x' looking for beginning of value"},
        {B("  }"), "invalid character '}' looking for beginning of value"},
        {B("{\"name\" \"foo\"}"), "invalid character '\"' after object key"},
        {B("{\"name\":\"foo\" \"ttl\":1}"), "invalid character '\"' after object key:value pair"},
        {B("{name:1}"), "invalid character 'n' looking for beginning of object key string"},
        {B("{\"a\":1,}"), "invalid character '}' looking for beginning of object key string"},
        {B("{'name':1}"), "invalid character '\\'' looking for beginning of object key string"},
        {B("{\"a\":'x'}"), "invalid character '\\'' looking for beginning of value"},
        {B("{\"a\":\\}"), "invalid character '\\\\' looking for beginning of value"},
        {B("{\"name\":\"a\x01\"}"), "invalid character '\\x01' in string literal"},
        {B("{\"name\":\"a\n\"}"), "invalid character '\\n' in string literal"},
        {B("{\"name\":\"a\t\"}"), "invalid character '\\t' in string literal"},
        {B("{\"name\":\"a\0\"}"), "invalid character '\\x00' in string literal"},
        {B("{\"name\":\"\\q\"}"), "invalid character 'q' in string escape code"},
        {B("{\"name\":\"\\u12x4\"}"), "invalid character 'x' in \\u hexadecimal character escape"},
        {B("{\"ttl\":tx}"), "invalid character 'x' in literal true (expecting 'r')"},
        {B("{\"ttl\":trx}"), "invalid character 'x' in literal true (expecting 'u')"},
        {B("{\"ttl\":trux}"), "invalid character 'x' in literal true (expecting 'e')"},
        {B("{\"ttl\":fals}"), "invalid character '}' in literal false (expecting 'e')"},
        {B("{\"ttl\":fx}"), "invalid character 'x' in literal false (expecting 'a')"},
        {B("{\"ttl\":nul}"), "invalid character '}' in literal null (expecting 'l')"},
        {B("{\"ttl\":nx}"), "invalid character 'x' in literal null (expecting 'u')"},
        {B("{\"ttl\":-x}"), "invalid character 'x' in numeric literal"},
        {B("{\"ttl\":1.}"), "invalid character '}' after decimal point in numeric literal"},
        {B("{\"ttl\":1e}"), "invalid character '}' in exponent of numeric literal"},
        {B("{\"ttl\":1e+x}"), "invalid character 'x' in exponent of numeric literal"},
        {B("{\"ttl\":01}"), "invalid character '1' after object key:value pair"},
        {B("{\"ttl\":+1}"), "invalid character '+' looking for beginning of value"},
        {B("{\"ttl\":.5}"), "invalid character '.' looking for beginning of value"},
        {B("{\"value\":[1 2]}"), "invalid character '2' after array element"},
        {B("{\"value\":[1,]}"), "invalid character ']' looking for beginning of value"},
        {B("{\"value\":{\"a\" 1}}"), "invalid character '1' after object key"},
        {B("[1 x"), "invalid character 'x' after array element"},
        {B("\xef\xbb\xbf{}"), "invalid character '\xc3\xaf' looking for beginning of value"},
        {B("\x80"), "invalid character '\\u0080' looking for beginning of value"},
        {B("\xa0"), "invalid character '\\u00a0' looking for beginning of value"},
        {B("\xad"), "invalid character '\\u00ad' looking for beginning of value"},
        {B("\x7f"), "invalid character '\\x7f' looking for beginning of value"},
        {B("\x1b"), "invalid character '\\x1b' looking for beginning of value"},
        {B("\v"), "invalid character '\\v' looking for beginning of value"},
        {B("{\"ttl\":t "), "invalid character ' ' in literal true (expecting 'r')"},
        /* type mismatches: the field's tag name, whatever case the client used */
        {B("{\"name\":\"foo\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":\"60\"}"),
         "json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int"},
        {B("{\"TTL\":\"60\"}"),
         "json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int"},
        {B("{\"ttl\":60.5}"), "json: cannot unmarshal number 60.5 into Go struct field "
                              "putMetricRequest.ttl of type int"},
        {B("{\"ttl\":1e30}"), "json: cannot unmarshal number 1e30 into Go struct field "
                              "putMetricRequest.ttl of type int"},
        {B("{\"ttl\":6e1}"), "json: cannot unmarshal number 6e1 into Go struct field "
                             "putMetricRequest.ttl of type int"},
        {B("{\"ttl\":9223372036854775808}"),
         "json: cannot unmarshal number 9223372036854775808 into Go struct field "
         "putMetricRequest.ttl of type int"},
        {B("{\"ttl\":true}"),
         "json: cannot unmarshal bool into Go struct field putMetricRequest.ttl of type int"},
        {B("{\"ttl\":{}}"),
         "json: cannot unmarshal object into Go struct field putMetricRequest.ttl of type int"},
        {B("{\"ttl\":[1]}"),
         "json: cannot unmarshal array into Go struct field putMetricRequest.ttl of type int"},
        {B("{\"name\":5}"),
         "json: cannot unmarshal number into Go struct field putMetricRequest.name of type string"},
        {B("{\"Name\":false}"),
         "json: cannot unmarshal bool into Go struct field putMetricRequest.name of type string"},
        {B("{\"units\":{\"a\":1}}"), "json: cannot unmarshal object into Go struct field "
                                     "putMetricRequest.units of type string"},
        {B("{\"type\":[\"int32\"]}"),
         "json: cannot unmarshal array into Go struct field putMetricRequest.type of type string"},
        {B("{\"slope\":1.5}"), "json: cannot unmarshal number into Go struct field "
                               "putMetricRequest.slope of type string"},
        {B("{\"value\":1e400}"), "json: cannot unmarshal number 1e400 into Go struct field "
                                 "putMetricRequest.value of type float64"},
        {B("{\"value\":{\"a\":[1,-2e999]}}"), "json: cannot unmarshal number -2e999 into Go struct "
                                              "field putMetricRequest.value of type float64"},
        /* the first mismatch is reported, and a later duplicate does not undo it */
        {B("{\"ttl\":\"x\",\"name\":5,\"ttl\":60}"),
         "json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int"},
        /* a syntax error anywhere in the value wins over a type error before it */
        {B("{\"ttl\":\"x\",}"), "invalid character '}' looking for beginning of object key string"},
        /* not an object */
        {B("[1,2]"), "json: cannot unmarshal array into Go value of type api.putMetricRequest"},
        {B("\"str\""), "json: cannot unmarshal string into Go value of type api.putMetricRequest"},
        {B("123abc"), "json: cannot unmarshal number into Go value of type api.putMetricRequest"},
        {B("-0.5 "), "json: cannot unmarshal number into Go value of type api.putMetricRequest"},
        {B("true"), "json: cannot unmarshal bool into Go value of type api.putMetricRequest"},
        {B("false}"), "json: cannot unmarshal bool into Go value of type api.putMetricRequest"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        mrd_report_t r;
        int rc = mrd_report_parse(cases[i].in.p, cases[i].in.n, &a, &r, &err);

        if (rc != VG_EINVAL || err.code != VG_EINVAL || err.subcode != MRD_SUB_DECODE ||
            err.nitems != 0)
            fail_msg("case %zu \"%s\": got rc %d subcode %x items %zu (%s), want a 400", i,
                     cases[i].in.p, rc, (unsigned)err.subcode, err.nitems,
                     err.nitems ? test_mrd_items(&err, &a) : err.msg);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu \"%s\":\n got %s\nwant %s", i, cases[i].in.p, err.msg,
                     cases[i].want);
    }
    vg_arena_fini(&a);
}

/* §7 10-19 and the rest of §3.2.1: a 422 listing every failure in key order */
static void test_mrd_validation(void **state)
{
    static const struct {
        test_mrd_body_t in;
        const char *want;
    } cases[] = {
        {B("{\"type\":\"int32\",\"name\":\"\",\"value\":1,\"units\":\" \",\"slope\":\"both\","
           "\"ttl\":60}"),
         "required|name is a required field|name"},
        {B("{\"type\":\"int32\",\"name\":\" \",\"value\":1,\"units\":\" \",\"slope\":\"both\","
           "\"ttl\":60}"),
         "notblank|name cannot be blank|name"},
        {B("{\"type\":\"invalid\",\"name\":\"foo\",\"value\":1,\"units\":\" \",\"slope\":\"both\","
           "\"ttl\":60}"),
         "oneof|type must be one of " TYPES "|type"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":1,\"units\":\" \",\"slope\":"
           "\"invalid\",\"ttl\":60}"),
         "oneof|slope must be one of " SLOPES "|slope"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":1,\"units\":\" \",\"slope\":\"both\","
           "\"ttl\":0}"),
         "required|ttl is a required field|ttl"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":1,\"units\":\" \",\"slope\":\"both\","
           "\"ttl\":-1}"),
         "min|ttl must be 1 or greater|ttl"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":1,\"units\":\"<\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "excludesall|units cannot contain any of the following characters '<>'\"&'|units"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":\"a string\",\"units\":\"\",\"slope\":"
           "\"both\",\"ttl\":60}"),
         "validtype|value is not valid for type int32|value"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":3.14,\"slope\":\"both\",\"ttl\":60}"),
         "validtype|value is not valid for type int32|value"},
        {B("{\"type\":\"double\",\"name\":\"foo\",\"value\":\"a string\",\"slope\":\"both\","
           "\"ttl\":60}"),
         "validtype|value is not valid for type double|value"},
        {B("{\"type\":\"string\",\"name\":\"foo\",\"value\":10,\"slope\":\"both\",\"ttl\":60}"),
         "validtype|value is not valid for type string|value"},
        {B("{\"type\":\"string\",\"name\":\"foo\",\"value\":3.14,\"slope\":\"both\",\"ttl\":60}"),
         "validtype|value is not valid for type string|value"},
        {B("{\"type\":\"uint32\",\"name\":\"foo\",\"value\":-1,\"slope\":\"both\",\"ttl\":60}"),
         "validtype|value is not valid for type uint32|value"},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"slope\":\"both\",\"ttl\":60}"),
         "required|value is a required field|value\n"
         "validtype|value is not valid for type int32|value"},
        {B("{\"name\":\"\",\"type\":\"bogus\",\"slope\":\"\",\"ttl\":-5,\"value\":1}"),
         "required|name is a required field|name\n"
         "oneof|type must be one of " TYPES "|type\n"
         "required|slope is a required field|slope\n"
         "min|ttl must be 1 or greater|ttl"},
        /* everything at once, and the order is the struct's, not the body's */
        {B("{\"ttl\":-1,\"slope\":\"up\",\"type\":\"int8\",\"units\":\"a&b\",\"name\":\"\\t\"}"),
         "notblank|name cannot be blank|name\n"
         "required|value is a required field|value\n"
         "excludesall|units cannot contain any of the following characters '<>'\"&'|units\n"
         "oneof|slope must be one of " SLOPES "|slope\n"
         "min|ttl must be 1 or greater|ttl\n"
         "validtype|value is not valid for type int8|value"},
        /* null body, empty object, garbage after the value: all empty */
        {B("null"), "required|name is a required field|name\n"
                    "required|value is a required field|value\n"
                    "required|type is a required field|type\n"
                    "required|slope is a required field|slope\n"
                    "required|ttl is a required field|ttl"},
        {B(" {} trailing garbage"), "required|name is a required field|name\n"
                                    "required|value is a required field|value\n"
                                    "required|type is a required field|type\n"
                                    "required|slope is a required field|slope\n"
                                    "required|ttl is a required field|ttl"},
        /* null leaves a field alone; for value (an interface) it means nil again */
        {B("{\"name\":\"foo\",\"value\":1,\"value\":null,\"type\":\"float\",\"slope\":\"both\","
           "\"ttl\":60}"),
         "required|value is a required field|value\n"
         "validtype|value is not valid for type float|value"},
        {B("{\"name\":\"foo\",\"value\":null,\"type\":\"string\",\"slope\":\"both\",\"ttl\":5,"
           "\"ttl\":null,\"name\":null}"),
         "required|value is a required field|value\n"
         "validtype|value is not valid for type string|value"},
        /* oneof is exact: case and a NUL byte matter */
        {B("{\"name\":\"foo\",\"value\":1,\"type\":\"INT32\",\"slope\":\"Both\",\"ttl\":60}"),
         "oneof|type must be one of " TYPES "|type\n"
         "oneof|slope must be one of " SLOPES "|slope"},
        {B("{\"name\":\"foo\",\"value\":1,\"type\":\"int32\\u0000\",\"slope\":\"both\",\"ttl\":1}"),
         "oneof|type must be one of " TYPES "|type"},
        /* units past a NUL are still checked */
        {B("{\"name\":\"foo\",\"value\":1,\"type\":\"int32\",\"units\":\"a\\u0000>\",\"slope\":"
           "\"both\",\"ttl\":1}"),
         "excludesall|units cannot contain any of the following characters '<>'\"&'|units"},
        /* unicode.IsSpace for notblank, and what it does not count */
        {B("{\"name\":\"\\u00a0\\u2003\\u3000\\u0085\\u2028\\u1680\\u205f\\u202f\",\"value\":1,"
           "\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}"),
         "notblank|name cannot be blank|name"},
        /* validtype for each kind of mismatch */
        {B("{\"name\":\"n\",\"value\":-0,\"type\":\"uint32\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type uint32|value"},
        {B("{\"name\":\"n\",\"value\":-0.0,\"type\":\"uint8\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type uint8|value"},
        {B("{\"name\":\"n\",\"value\":-1e-10,\"type\":\"uint16\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type uint16|value"},
        {B("{\"name\":\"n\",\"value\":\"3\",\"type\":\"uint16\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type uint16|value"},
        {B("{\"name\":\"n\",\"value\":-3.5,\"type\":\"int16\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type int16|value"},
        {B("{\"name\":\"n\",\"value\":2.000000002,\"type\":\"int32\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "validtype|value is not valid for type int32|value"},
        {B("{\"name\":\"n\",\"value\":true,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type int32|value"},
        {B("{\"name\":\"n\",\"value\":false,\"type\":\"string\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type string|value"},
        {B("{\"name\":\"n\",\"value\":{},\"type\":\"double\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type double|value"},
        {B("{\"name\":\"n\",\"value\":[1],\"type\":\"float\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type float|value"},
        {B("{\"name\":\"n\",\"value\":{\"a\":\"b\"},\"type\":\"string\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "validtype|value is not valid for type string|value"},
        /* beyond int64: undefined upstream, refused here */
        {B("{\"name\":\"n\",\"value\":9223372036854775808,\"type\":\"int32\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "validtype|value is not valid for type int32|value"},
        {B("{\"name\":\"n\",\"value\":-1e19,\"type\":\"int8\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type int8|value"},
        {B("{\"name\":\"n\",\"value\":1e300,\"type\":\"uint32\",\"slope\":\"both\",\"ttl\":1}"),
         "validtype|value is not valid for type uint32|value"},
        /* no validtype when the type itself fails */
        {B("{\"name\":\"n\",\"value\":\"x\",\"type\":\"\",\"slope\":\"both\",\"ttl\":1}"),
         "required|type is a required field|type"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        mrd_report_t r;
        int rc = mrd_report_parse(cases[i].in.p, cases[i].in.n, &a, &r, &err);
        const char *got = test_mrd_items(&err, &a);

        if (rc != VG_EINVAL || err.subcode != MRD_SUB_INVALID)
            fail_msg("case %zu \"%s\": got rc %d subcode %x (%s), want a 422", i, cases[i].in.p, rc,
                     (unsigned)err.subcode, err.msg);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu \"%s\":\n got %s\nwant %s", i, cases[i].in.p, got, cases[i].want);
        if (err.msg[0] == '\0')
            fail_msg("case %zu: no summary", i);
    }
    vg_arena_fini(&a);
}

/* §7 5 and 20, §3.2.2's canonical values, and the decoder's binding rules */
static void test_mrd_accepts(void **state)
{
    static const struct {
        test_mrd_body_t in;
        const char *name, *value;
        double number;
        mrd_type_t type;
        mrd_slope_t slope;
        const char *units;
        int64_t ttl;
    } cases[] = {
        {B("{\"name\":\"caffeine.level\",\"value\":12,\"units\":\"\",\"type\":\"int32\","
           "\"slope\":\"both\",\"ttl\":60}"),
         "caffeine.level", "12", 12, MRD_T_INT32, MRD_S_BOTH, "", 60},
        {B("{\"type\":\"string\",\"name\":\"foo\",\"value\":\"\",\"slope\":\"both\",\"ttl\":60}"),
         "foo", "", 0, MRD_T_STRING, MRD_S_BOTH, "", 60},
        {B("{\"type\":\"int32\",\"name\":\"foo\",\"value\":0,\"slope\":\"both\",\"ttl\":60}"),
         "foo", "0", 0, MRD_T_INT32, MRD_S_BOTH, "", 60},
        {B("{\"type\":\"uint32\",\"name\":\"foo\",\"value\":0,\"slope\":\"both\",\"ttl\":60}"),
         "foo", "0", 0, MRD_T_UINT32, MRD_S_BOTH, "", 60},
        {B("{\"type\":\"int8\",\"name\":\"foo\",\"value\":1000,\"slope\":\"both\",\"ttl\":60}"),
         "foo", "1000", 1000, MRD_T_INT8, MRD_S_BOTH, "", 60},
        {B("{\"NAME\":\"foo\",\"TYPE\":\"double\",\"VALUE\":1.5,\"SLOPE\":\"both\",\"TTL\":60}"),
         "foo", "1.500000", 1.5, MRD_T_DOUBLE, MRD_S_BOTH, "", 60},
        /* canonical values; number is what the value reads as, rounding included */
        {B("{\"name\":\"d\",\"value\":20.1234,\"type\":\"double\",\"slope\":\"zero\",\"ttl\":1}"),
         "d", "20.123400", 20.1234, MRD_T_DOUBLE, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"d\",\"value\":-20.1234,\"type\":\"float\",\"slope\":\"zero\",\"ttl\":1}"),
         "d", "-20.123400", -20.1234, MRD_T_FLOAT, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"d\",\"value\":1e-7,\"type\":\"float\",\"slope\":\"positive\",\"ttl\":1}"),
         "d", "0.000000", 0, MRD_T_FLOAT, MRD_S_POSITIVE, "", 1},
        {B("{\"name\":\"d\",\"value\":2.0000004,\"type\":\"double\",\"slope\":\"zero\",\"ttl\":1}"),
         "d", "2.000000", 2, MRD_T_DOUBLE, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"d\",\"value\":2.0000006,\"type\":\"double\",\"slope\":\"zero\",\"ttl\":1}"),
         "d", "2.000001", 2.000001, MRD_T_DOUBLE, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"d\",\"value\":-1e-7,\"type\":\"double\",\"slope\":\"zero\",\"ttl\":1}"),
         "d", "-0.000000", -0.0, MRD_T_DOUBLE, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"d\",\"value\":1e20,\"type\":\"double\",\"slope\":\"zero\",\"ttl\":1}"), "d",
         "100000000000000000000.000000", 1e20, MRD_T_DOUBLE, MRD_S_ZERO, "", 1},
        {B("{\"name\":\"i\",\"value\":-20,\"type\":\"int32\",\"slope\":\"negative\",\"ttl\":1}"),
         "i", "-20", -20, MRD_T_INT32, MRD_S_NEGATIVE, "", 1},
        {B("{\"name\":\"i\",\"value\":3.0,\"type\":\"int8\",\"slope\":\"derivative\",\"ttl\":1}"),
         "i", "3", 3, MRD_T_INT8, MRD_S_DERIVATIVE, "", 1},
        {B("{\"name\":\"i\",\"value\":3.0000000001,\"type\":\"int16\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "i", "3", 3, MRD_T_INT16, MRD_S_BOTH, "", 1},
        {B("{\"name\":\"i\",\"value\":-0,\"type\":\"int16\",\"slope\":\"both\",\"ttl\":1}"), "i",
         "0", 0, MRD_T_INT16, MRD_S_BOTH, "", 1},
        {B("{\"name\":\"i\",\"value\":1e2,\"type\":\"uint8\",\"slope\":\"both\",\"ttl\":1}"), "i",
         "100", 100, MRD_T_UINT8, MRD_S_BOTH, "", 1},
        {B("{\"name\":\"i\",\"value\":70000,\"type\":\"uint8\",\"slope\":\"both\",\"ttl\":1}"), "i",
         "70000", 70000, MRD_T_UINT8, MRD_S_BOTH, "", 1},
        {B("{\"name\":\"i\",\"value\":-9007199254740992,\"type\":\"int32\",\"slope\":\"both\","
           "\"ttl\":1}"),
         "i", "-9007199254740992", -9007199254740992.0, MRD_T_INT32, MRD_S_BOTH, "", 1},
        {B("{\"name\":\"s\",\"value\":\"linux \\\"6\\\" \\u00e9\\/\",\"type\":\"string\","
           "\"slope\":\"zero\",\"ttl\":9223372036854775807}"),
         "s", "linux \"6\" \xc3\xa9/", 0, MRD_T_STRING, MRD_S_ZERO, "", INT64_MAX},
        /* keys: case folding (U+017F long s folds with s), duplicates (last wins), unknown keys
         * (whatever they hold), escapes in keys */
        {B("{\"Name\":\"a\",\"nAmE\":\"b\",\"\\u017flope\":\"both\",\"tYpE\":\"int32\","
           "\"VaLuE\":7,\"Ttl\":60,\"extra\":{\"deep\":[1e999,{\"x\":null}]},"
           "\"\\u0075nits\":\"%\"}"),
         "b", "7", 7, MRD_T_INT32, MRD_S_BOTH, "%", 60},
        {B("{\"name\":\"a\",\"name\":null,\"value\":\"x\",\"value\":5,\"type\":\"string\","
           "\"type\":\"uint16\",\"slope\":\"zero\",\"ttl\":1,\"ttl\":2}"),
         "a", "5", 5, MRD_T_UINT16, MRD_S_ZERO, "", 2},
        /* only the first value is read */
        {B("{\"name\":\"g\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}garbage"),
         "g", "1", 1, MRD_T_INT32, MRD_S_BOTH, "", 1},
        {B("\n {\"name\":\"g\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1} "
           "{\"name\":"),
         "g", "1", 1, MRD_T_INT32, MRD_S_BOTH, "", 1},
        /* units: anything but the five; a name is kept as sent, spaces and all */
        {B("{\"name\":\" x \",\"value\":1,\"type\":\"int32\",\"units\":\"kW/h %\",\"slope\":"
           "\"both\",\"ttl\":1}"),
         " x ", "1", 1, MRD_T_INT32, MRD_S_BOTH, "kW/h %", 1},
        {B("{\"name\":\"\\u200b\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}"),
         "\xe2\x80\x8b", "1", 1, MRD_T_INT32, MRD_S_BOTH, "", 1},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        mrd_report_t r;
        int rc = mrd_report_parse(cases[i].in.p, cases[i].in.n, &a, &r, &err);

        if (rc != VG_OK)
            fail_msg("case %zu \"%s\": got %d (%s%s%s)", i, cases[i].in.p, rc, err.msg,
                     err.nitems ? ": " : "", test_mrd_items(&err, &a));
        if (strcmp(r.name, cases[i].name) != 0 || strcmp(r.value, cases[i].value) != 0 ||
            strcmp(r.units, cases[i].units) != 0 || r.number != cases[i].number ||
            r.type != cases[i].type || r.slope != cases[i].slope || r.ttl_s != cases[i].ttl)
            fail_msg("case %zu \"%s\":\n got name \"%s\" value \"%s\" (%.17g) type %s slope %s "
                     "units \"%s\" ttl %lld\nwant name \"%s\" value \"%s\" (%.17g) type %s slope "
                     "%s units \"%s\" ttl %lld",
                     i, cases[i].in.p, r.name, r.value, r.number, mrd_type_names[r.type],
                     mrd_slope_names[r.slope], r.units, (long long)r.ttl_s, cases[i].name,
                     cases[i].value, cases[i].number, mrd_type_names[cases[i].type],
                     mrd_slope_names[cases[i].slope], cases[i].units, (long long)cases[i].ttl);
    }
    vg_arena_fini(&a);
}

/* Strings decode as Go's unquote: bad UTF-8 and lone surrogates become U+FFFD, never an error;
 * a NUL cannot cut a C string short, so it becomes U+FFFD too. */
static void test_mrd_utf8(void **state)
{
#define REPL "\xef\xbf\xbd"
    static const struct {
        test_mrd_body_t in;
        const char *want;
    } cases[] = {
        {B("a\xff"
           "b"),
         "a" REPL "b"},
        {B("\xe2\x82"
           "a"),
         REPL REPL "a"},
        {B("\xe2\x82\xac"), "\xe2\x82\xac"},
        {B("\xed\xa0\x80"), REPL REPL REPL},          /* an encoded surrogate */
        {B("\xc0\xaf"), REPL REPL},                   /* overlong */
        {B("\xf4\x90\x80\x80"), REPL REPL REPL REPL}, /* above U+10FFFF */
        {B("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"},
        {B("\\ud83d\\ude00"), "\xf0\x9f\x98\x80"},
        {B("\\ud83d"), REPL},
        {B("\\ud83dx"), REPL "x"},
        {B("\\ude00\\ud83d"), REPL REPL},
        {B("\\ud83d\\u0041"), REPL "A"},
        {B("\\ud83d\\ud83d\\ude00"), REPL "\xf0\x9f\x98\x80"},
        {B("a\\u0000b"), "a" REPL "b"},
        {B("\\b\\f\\n\\r\\t\\/\\\\\\\""), "\b\f\n\r\t/\\\""},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        mrd_report_t r;
        char body[256];
        int n = snprintf(body, sizeof body,
                         "{\"type\":\"string\",\"name\":\"%s\",\"value\":\"%s\","
                         "\"slope\":\"zero\",\"ttl\":1}",
                         cases[i].in.p, cases[i].in.p);
        int rc = mrd_report_parse(body, (size_t)n, &a, &r, &err);

        if (rc != VG_OK)
            fail_msg("case %zu: got %d (%s)", i, rc, err.msg);
        if (strcmp(r.name, cases[i].want) != 0 || strcmp(r.value, cases[i].want) != 0)
            fail_msg("case %zu: got name \"%s\" value \"%s\", want \"%s\"", i, r.name, r.value,
                     cases[i].want);
    }
    vg_arena_fini(&a);
#undef REPL
}

/* Go's scanner stops at 10000 levels; nothing here recurses, so deeper is just an error */
static void test_mrd_depth(void **state)
{
    static const struct {
        const char *prefix, *suffix;
        size_t depth;
        int closed;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {"{\"x\":", ",\"name\":\"n\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}",
         9999, 1, NULL},
        {"{\"x\":", ",\"name\":\"n\",\"value\":1,\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}",
         10000, 1, "invalid character '[' exceeded max depth"},
        {"", "", 10000, 0, "unexpected EOF"},
        {"", "", 10001, 0, "invalid character '[' exceeded max depth"},
        {"", "", 1000000, 0, "invalid character '[' exceeded max depth"},
        {"", "", 10000, 1,
         "json: cannot unmarshal array into Go value of type api.putMetricRequest"},
        {"{\"value\":", ",\"name\":\"n\",\"type\":\"int32\",\"slope\":\"both\",\"ttl\":1}", 9999, 1,
         "value is not valid for type int32"},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t pl = strlen(cases[i].prefix), sl = strlen(cases[i].suffix);
        size_t d = cases[i].depth, n = pl + d + (cases[i].closed ? d : 0) + sl;
        char *body = malloc(n);
        vg_err_t err = {0};
        mrd_report_t r;
        int rc;

        assert_non_null(body);
        memcpy(body, cases[i].prefix, pl);
        memset(body + pl, '[', d);
        if (cases[i].closed)
            memset(body + pl + d, ']', d);
        memcpy(body + n - sl, cases[i].suffix, sl);
        rc = mrd_report_parse(body, n, &a, &r, &err);
        free(body);
        if (cases[i].want == NULL && rc != VG_OK)
            fail_msg("case %zu: got %d (%s)", i, rc, err.msg);
        if (cases[i].want != NULL && (rc != VG_EINVAL || strcmp(err.msg, cases[i].want) != 0))
            fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, rc, err.msg, cases[i].want);
    }
    vg_arena_fini(&a);
}

static void test_mrd_nature(void **state)
{
    assert_string_equal(mrd_nature(MRD_T_STRING, MRD_S_ZERO), "string_and_time");
    assert_string_equal(mrd_nature(MRD_T_STRING, MRD_S_BOTH), "string_and_time");
    assert_string_equal(mrd_nature(MRD_T_INT32, MRD_S_ZERO), "constant");
    assert_string_equal(mrd_nature(MRD_T_DOUBLE, MRD_S_ZERO), "constant");
    assert_string_equal(mrd_nature(MRD_T_INT32, MRD_S_BOTH), "volatile");
    assert_string_equal(mrd_nature(MRD_T_UINT8, MRD_S_DERIVATIVE), "volatile");
    assert_string_equal(mrd_type_names[MRD_T_UINT32], "uint32");
    assert_string_equal(mrd_slope_names[MRD_S_DERIVATIVE], "derivative");
}

static void test_mrd_dsm(void **state)
{
    static const struct {
        const char *in;
        const char *want; /* ids joined by ',', or "!" and the error */
    } cases[] = {
        {"{\"unspecified\":{\"unspecified\":{\"device:1\":\"1\",\"device:2\":\"2\",\"again\":\"1\"}"
         "},\"g2\":{\"c\":{\"h\":\"3\",\"h2\":\"2\"},\"empty\":{}}}",
         "1,2,3"},
        {"{}", ""},
        {" {\"g\":{}} ", ""},
        {"{\"g\":{\"c\":{\"h\":\"\"}}}", ""},
        {"[]", "!data source map: the top level is not an object of grids (found array)"},
        {"\"1\" ", "!data source map: the top level is not an object of grids (found string)"},
        {"null", "!data source map: "},
        {"{\"g\":1}", "!data source map: grid \"g\" is not an object of clusters (found int)"},
        {"{\"g\":{\"c\":\"x\"}}",
         "!data source map: cluster \"g/c\" is not an object of hosts (found string)"},
        {"{\"g\":{\"c\":{\"h\":1}}}",
         "!data source map: host \"g/c/h\" is not a device id string (found int)"},
        {"{\"g\":{\"c\":{\"a\":\"1\",\"h\":null}}}",
         "!data source map: host \"g/c/h\" is not a device id string (found null)"},
        {"{\"g\":{\"c\":{\"h\":{\"x\":\"1\"}}}}",
         "!data source map: host \"g/c/h\" is not a device id string (found object)"},
        {"{\"g\":{\"c\":{\"h\":[\"1\"]}}}",
         "!data source map: host \"g/c/h\" is not a device id string (found array)"},
        {"{\"g\":{\"c\":{\"h\":\"a\\u0000b\"}}}",
         "!data source map: host \"g/c/h\" has a device id with a NUL character"},
        {"{\"g\":", "!data source map: "},
        {"{\"g\":{}} x", "!data source map: "},
    };
    vg_arena_t a;

    vg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        const char **ids = NULL;
        size_t n = 0;
        int rc = mrd_dsm_parse(cases[i].in, strlen(cases[i].in), &a, &ids, &n, &err);
        vg_buf_t o;

        if (cases[i].want[0] == '!') {
            const char *want = cases[i].want + 1;

            if (rc != VG_EINVAL || strncmp(err.msg, want, strlen(want)) != 0 ||
                (strlen(want) < 20 && strlen(err.msg) <= strlen(want)))
                fail_msg("case %zu \"%s\": got %d \"%s\", want \"%s\"", i, cases[i].in, rc, err.msg,
                         want);
            continue;
        }
        if (rc != VG_OK)
            fail_msg("case %zu \"%s\": got %d (%s)", i, cases[i].in, rc, err.msg);
        vg_buf_init(&o, &a);
        vg_buf_adds(&o, "");
        for (size_t j = 0; j < n; j++)
            vg_buf_printf(&o, "%s%s", j ? "," : "", ids[j]);
        if (strcmp(o.p, cases[i].want) != 0)
            fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, cases[i].in, o.p,
                     cases[i].want);
    }
    vg_arena_fini(&a);
}

/* upstream's testdata/dsm.json shape at scale: 111 hosts, each id listed twice */
static void test_mrd_dsm_many(void **state)
{
    vg_arena_t a;
    vg_buf_t in;
    vg_err_t err = {0};
    const char **ids = NULL;
    size_t n = 0;

    vg_arena_init(&a, 0);
    vg_buf_init(&in, &a);
    vg_buf_adds(&in, "{\"unspecified\":{\"unspecified\":{");
    for (int i = 1; i <= 111; i++)
        vg_buf_printf(&in, "\"device:%d\":\"%d\",", i, i);
    vg_buf_adds(&in, "\"x\":\"1\"},\"c2\":{");
    for (int i = 111; i >= 1; i--)
        vg_buf_printf(&in, "%s\"again:%d\":\"%d\"", i < 111 ? "," : "", i, i);
    vg_buf_adds(&in, "}}}");
    assert_int_equal(mrd_dsm_parse(in.p, in.len, &a, &ids, &n, &err), VG_OK);
    assert_int_equal(n, 111);
    for (size_t i = 0; i < n; i++) {
        char want[32];

        snprintf(want, sizeof want, "%zu", i + 1);
        assert_string_equal(ids[i], want);
    }
    assert_null(ids[n]);
    vg_arena_fini(&a);
}

static void test_mrd_token_request(void **state)
{
    static const struct {
        test_mrd_body_t in;
        int64_t want_s;
        const char *want_err;
    } cases[] = {
        {B("{}"), 86400, NULL},
        {B("null"), 86400, NULL},
        {B("{\"expires_in\":0}"), 86400, NULL},
        {B("{\"expires_in\":null}"), 86400, NULL},
        {B("{\"expires_in\":3600000000000}"), 3600, NULL},
        {B("{\"EXPIRES_IN\":60000000000,\"other\":\"x\"} junk"), 60, NULL},
        {B("{\"expires_in\":1999999999}"), 1, NULL},
        {B("{\"expires_in\":500000000}"), 0, NULL},
        {B("{\"expires_in\":-5000000000}"), -5, NULL},
        {B("{\"expires_in\":9223372036854775807}"), 9223372036, NULL},
        {B(""), 0, "EOF"},
        {B("{"), 0, "unexpected EOF"},
        {B("{\"expires_in\":x}"), 0, "invalid character 'x' looking for beginning of value"},
        {B("{\"expires_in\":\"1h\"}"), 0,
         "json: cannot unmarshal string into Go struct field tokenRequest.expires_in of type "
         "time.Duration"},
        {B("{\"expires_in\":1.5}"), 0,
         "json: cannot unmarshal number 1.5 into Go struct field tokenRequest.expires_in of type "
         "time.Duration"},
        {B("[]"), 0, "json: cannot unmarshal array into Go value of type api.tokenRequest"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_err_t err = {0};
        int64_t got = -12345;
        int rc = mrd_token_request_parse(cases[i].in.p, cases[i].in.n, &got, &err);

        if (cases[i].want_err == NULL && (rc != VG_OK || got != cases[i].want_s))
            fail_msg("case %zu \"%s\": got %d %lld (%s), want %lld", i, cases[i].in.p, rc,
                     (long long)got, err.msg, (long long)cases[i].want_s);
        if (cases[i].want_err != NULL && (rc != VG_EINVAL || err.subcode != MRD_SUB_DECODE ||
                                          strcmp(err.msg, cases[i].want_err) != 0))
            fail_msg("case %zu \"%s\": got %d \"%s\", want \"%s\"", i, cases[i].in.p, rc, err.msg,
                     cases[i].want_err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mrd_decode_errors), cmocka_unit_test(test_mrd_validation),
        cmocka_unit_test(test_mrd_accepts),       cmocka_unit_test(test_mrd_utf8),
        cmocka_unit_test(test_mrd_depth),         cmocka_unit_test(test_mrd_nature),
        cmocka_unit_test(test_mrd_dsm),           cmocka_unit_test(test_mrd_dsm_many),
        cmocka_unit_test(test_mrd_token_request),
    };
    return cmocka_run_group_tests_name("ingest/mrd", tests, NULL, NULL);
}
