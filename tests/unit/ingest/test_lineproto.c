/* tests/unit/ingest/test_lineproto.c - ing_lp_parse() against upstream's rules and error texts
 * (specs/kapacitor.md §3, §3.1), and ing_lp_to_samples() against DESIGN.md's data model. Points
 * and samples are rendered to one line each so a failure shows case, got and want.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/lineproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW INT64_C(1700000000123456789)

/* The first of %.15g, %.16g, %.17g that reads back as the same double. */
static void test_lp_fmt_float(vg_buf_t *o, double v)
{
    char tmp[40];

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v || prec == 17)
            break;
    }
    if (v == 0 && 1 / v < 0)
        snprintf(tmp, sizeof tmp, "-0");
    vg_buf_adds(o, tmp);
}

/* One line per point: meas[,k=v...] f=typed[,f=typed...] @t_ns, with unescaped text;
 * typed is 1.5, 5i, 5u, true/false or "text". */
static const char *test_lp_render_points(const ing_batch_t *b)
{
    vg_buf_t o;

    vg_buf_init(&o, b->arena);
    vg_buf_adds(&o, "");
    for (size_t p = 0; p < b->npoints; p++) {
        const ing_point_t *pt = &b->points[p];

        if (p > 0)
            vg_buf_addc(&o, '\n');
        vg_buf_adds(&o, pt->measurement);
        for (size_t i = 0; i < pt->ntags; i++)
            vg_buf_printf(&o, ",%s=%s", pt->tags[i].name, pt->tags[i].value);
        for (size_t i = 0; i < pt->nfields; i++) {
            const ing_field_t *f = &pt->fields[i];

            vg_buf_printf(&o, "%c%s=", i == 0 ? ' ' : ',', f->key);
            switch (f->type) {
            case ING_F_FLOAT:
                test_lp_fmt_float(&o, f->f);
                break;
            case ING_F_INT:
                vg_buf_printf(&o, "%lldi", (long long)f->i);
                break;
            case ING_F_UINT:
                vg_buf_printf(&o, "%lluu", (unsigned long long)f->u);
                break;
            case ING_F_BOOL:
                vg_buf_adds(&o, f->b ? "true" : "false");
                break;
            case ING_F_STRING:
                vg_buf_printf(&o, "\"%s\"", f->s);
                break;
            }
        }
        vg_buf_printf(&o, " @%lld", (long long)pt->t_ns);
    }
    return o.p;
}

/* One line per sample: {name="v",...} @t_ms value, labels in the batch's sorted order. */
static const char *test_lp_render_samples(const ing_batch_t *b)
{
    vg_buf_t o;

    vg_buf_init(&o, b->arena);
    vg_buf_adds(&o, "");
    for (size_t k = 0; k < b->nsamples; k++) {
        const ing_sample_t *s = &b->samples[k];

        if (k > 0)
            vg_buf_addc(&o, '\n');
        vg_buf_addc(&o, '{');
        for (size_t i = 0; i < s->nlabels; i++)
            vg_buf_printf(&o, "%s%s=\"%s\"", i ? "," : "", s->labels[i].name, s->labels[i].value);
        vg_buf_printf(&o, "} @%lld ", (long long)s->t_ms);
        test_lp_fmt_float(&o, s->v);
    }
    return o.p;
}

typedef struct {
    const char *body, *precision, *want;
} test_lp_ok_t;

static void test_lp_run_ok(const test_lp_ok_t *cases, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        const char *got;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        if (ing_lp_parse(&b, cases[i].body, strlen(cases[i].body), cases[i].precision, now, &err) !=
            VG_OK)
            fail_msg("case %zu \"%s\": got error \"%s\", want\n%s", i, cases[i].body, err.msg,
                     cases[i].want);
        got = test_lp_render_points(&b);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu \"%s\":\ngot  %s\nwant %s", i, cases[i].body, got, cases[i].want);
        if (err.nitems != 0)
            fail_msg("case %zu: %zu error items on success", i, err.nitems);
        vg_arena_fini(&a);
    }
}

static void test_lp_parses_values_and_escapes(void **state)
{
    static const test_lp_ok_t cases[] = {
        {"cpu,host=a,region=west usage_idle=97.8,usage_user=1.2 1465839830100400200", NULL,
         "cpu,host=a,region=west usage_idle=97.8,usage_user=1.2 @1465839830100400200"},
        /* tags keep the order written */
        {"cpu,z=1,a=2 v=1 1", NULL, "cpu,z=1,a=2 v=1 @1"},
        {"my\\ cpu\\,x,t\\ k\\,\\==v\\ a\\,l\\=ue f\\ k\\,\\==1 1", NULL,
         "my cpu,x,t k,==v a,l=ue f k,==1 @1"},
        /* the measurement only unescapes comma and space; other backslashes stay */
        {"a\\=b v=1 1", NULL, "a\\=b v=1 @1"},
        {"a=b v=1 1", NULL, "a=b v=1 @1"},
        {"c\\d,t=x\\y v=1 1", NULL, "c\\d,t=x\\y v=1 @1"},
        {"compute.node.cpu.percent,region=r value=5 1", NULL,
         "compute.node.cpu.percent,region=r value=5 @1"},
        /* upstream checks a tag value for '=' from its second byte */
        {"cpu,a==b v=1 1", NULL, "cpu,a==b v=1 @1"},
        {"s msg=\"hello, world = \\\"x\\\" \\\\ y\",n=1 1", NULL,
         "s msg=\"hello, world = \"x\" \\ y\",n=1 @1"},
        {"s m=\"a\\nb\",e=\"\" 1", NULL, "s m=\"a\\nb\",e=\"\" @1"},
        {"s m=\"line1\nline2\" 5\ncpu v=1 6", NULL, "s m=\"line1\nline2\" @5\ncpu v=1 @6"},
        {"f a=1,b=1.5,c=-2e3,d=-1.5e-3,e=.5,f=5.,g=1E+2,h=-0.0,i=1e-400,j=-.25 1", NULL,
         "f a=1,b=1.5,c=-2000,d=-0.0015,e=0.5,f=5,g=100,h=-0,i=0,j=-0.25 @1"},
        {"f a=123456789012345678901234567890,b=0.1,c=3.141592653589793,d=1.7976931348623157e308 1",
         NULL, "f a=1.2345678901234568e+29,b=0.1,c=3.141592653589793,d=1.7976931348623157e+308 @1"},
        {"i a=42i,b=-9223372036854775808i,c=9223372036854775807i,d=0i,e=-0i,f=007i 1", NULL,
         "i a=42i,b=-9223372036854775808i,c=9223372036854775807i,d=0i,e=0i,f=7i @1"},
        {"u a=0u,b=18446744073709551615u,c=42u 1", NULL, "u a=0u,b=18446744073709551615u,c=42u @1"},
        {"b a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1", NULL,
         "b a=true,b=true,c=true,d=true,e=true,f=false,g=false,h=false,i=false,j=false @1"},
        /* a repeated field key keeps its last value */
        {"d a=1,b=2,a=\"x\" 1", NULL, "d b=2,a=\"x\" @1"},
        {"d a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17,a=18,q=t 1",
         NULL,
         "d b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,a=18,q=true @1"},
        /* blanks between sections, leading blanks, trailing spaces */
        {"  \tcpu  v=1   7   ", NULL, "cpu v=1 @7"},
    };

    test_lp_run_ok(cases, sizeof cases / sizeof cases[0], NOW);
}

static void test_lp_timestamps_and_lines(void **state)
{
    static const test_lp_ok_t cases[] = {
        {"p v=1 -5", NULL, "p v=1 @-5"},
        {"p v=1 5", "", "p v=1 @5"},
        {"p v=1 5", "n", "p v=1 @5"},
        {"p v=1 5", "ns", "p v=1 @5"},
        /* the spec: unrecognised precisions silently behave as n */
        {"p v=1 5", "x", "p v=1 @5"},
        {"p v=1 5", "us", "p v=1 @5"},
        {"p v=1 5", "u", "p v=1 @5000"},
        {"p v=1 1700000000123", "ms", "p v=1 @1700000000123000000"},
        {"p v=1 1700000000", "s", "p v=1 @1700000000000000000"},
        {"p v=1 -1700000000", "s", "p v=1 @-1700000000000000000"},
        {"p v=1 2", "m", "p v=1 @120000000000"},
        {"p v=1 -1", "h", "p v=1 @-3600000000000"},
        {"p v=1 9223372036854775806", NULL, "p v=1 @9223372036854775806"},
        {"p v=1 -9223372036854775806", NULL, "p v=1 @-9223372036854775806"},
        /* no timestamp: now, truncated to the precision */
        {"p v=1", NULL, "p v=1 @1700000000123456789"},
        {"p v=1", "ms", "p v=1 @1700000000123000000"},
        {"p v=1", "s", "p v=1 @1700000000000000000"},
        {"p v=1", "h", "p v=1 @1699999200000000000"},
        {"a v=1 1\r\nb v=2\r\n\r\nc v=3 3\r\n", NULL,
         "a v=1 @1\nb v=2 @1700000000123456789\nc v=3 @3"},
        {"# comment\n\n   \n\t# indented comment\ncpu v=1 1\n\n#last", NULL, "cpu v=1 @1"},
        {"", NULL, ""},
        {"\n\n# only comments\n", NULL, ""},
    };

    static const test_lp_ok_t before_1970[] = {
        {"p v=1", "s", "p v=1 @-2000000000"},
        {"p v=1", NULL, "p v=1 @-1500000001"},
    };

    test_lp_run_ok(cases, sizeof cases / sizeof cases[0], NOW);
    test_lp_run_ok(before_1970, sizeof before_1970 / sizeof before_1970[0], -1500000001);
}

static void test_lp_many_tags(void **state)
{
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    vg_buf_t body;

    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    vg_buf_init(&body, &a);
    vg_buf_adds(&body, "m");
    for (int i = 40; i > 0; i--) /* unsorted: the qsort duplicate check */
        vg_buf_printf(&body, ",t%02d=v", i);
    vg_buf_adds(&body, " v=1 1\nm");
    for (int i = 40; i > 0; i--)
        vg_buf_printf(&body, ",t%02d=v", i == 7 ? 33 : i);
    vg_buf_adds(&body, " v=1 1\n");
    assert_int_equal(ing_lp_parse(&b, body.p, body.len, NULL, NOW, &err), VG_EINVAL);
    assert_int_equal(err.nitems, 1);
    assert_string_equal(err.items[0].title, "duplicate tags");
    assert_string_equal(err.items[0].source, "line 2");
    assert_int_equal(b.npoints, 1);
    assert_int_equal(b.points[0].ntags, 40);
    assert_string_equal(b.points[0].tags[0].name, "t40");
    vg_arena_fini(&a);
}

typedef struct {
    const char *body, *precision, *want;
} test_lp_bad_t;

static void test_lp_rejects_with_upstream_text(void **state)
{
    static const test_lp_bad_t cases[] = {
        {"cpu", NULL, "unable to parse 'cpu': missing fields"},
        {"cpu,host=a", NULL, "unable to parse 'cpu,host=a': missing fields"},
        {",cpu v=1", NULL, "unable to parse ',cpu v=1': missing measurement"},
        {"cpu, v=1", NULL, "unable to parse 'cpu, v=1': missing tag key"},
        {"cpu,=a v=1", NULL, "unable to parse 'cpu,=a v=1': missing tag key"},
        {"cpu,host v=1", NULL, "unable to parse 'cpu,host v=1': missing tag value"},
        {"cpu,host= v=1", NULL, "unable to parse 'cpu,host= v=1': missing tag value"},
        {"cpu,host=a=b v=1", NULL, "unable to parse 'cpu,host=a=b v=1': invalid tag format"},
        {"cpu,a=1,a=2 v=1", NULL, "unable to parse 'cpu,a=1,a=2 v=1': duplicate tags"},
        {"cpu,b=1,a=2,b=3 v=1", NULL, "unable to parse 'cpu,b=1,a=2,b=3 v=1': duplicate tags"},
        {"cpu value=", NULL, "unable to parse 'cpu value=': missing field value"},
        {"cpu value=,x=1", NULL, "unable to parse 'cpu value=,x=1': missing field value"},
        {"cpu value= 1", NULL, "unable to parse 'cpu value= 1': missing field value"},
        {"cpu =1", NULL, "unable to parse 'cpu =1': missing field key"},
        {"cpu a=1,=2", NULL, "unable to parse 'cpu a=1,=2': missing field key"},
        {"cpu a=1,b", NULL, "unable to parse 'cpu a=1,b': invalid field format"},
        {"cpu a=1,", NULL, "unable to parse 'cpu a=1,': invalid field format"},
        {"cpu a=1, b=2", NULL, "unable to parse 'cpu a=1, b=2': invalid field format"},
        {"cpu ", NULL, "unable to parse 'cpu ': invalid field format"},
        {"cpu a", NULL, "unable to parse 'cpu a': invalid field format"},
        {"cpu a=\"x", NULL, "unable to parse 'cpu a=\"x': unbalanced quotes"},
        {"cpu a=\"x\\\"", NULL, "unable to parse 'cpu a=\"x\\\"': unbalanced quotes"},
        {"cpu a=\"x\"y", NULL, "unable to parse 'cpu a=\"x\"y': invalid field format"},
        {"cpu a=abc", NULL, "unable to parse 'cpu a=abc': invalid boolean"},
        {"cpu a=tru", NULL, "unable to parse 'cpu a=tru': invalid boolean"},
        {"cpu a=tRUE", NULL, "unable to parse 'cpu a=tRUE': invalid boolean"},
        {"cpu a=+1", NULL, "unable to parse 'cpu a=+1': invalid boolean"},
        {"cpu a=1.5i", NULL, "unable to parse 'cpu a=1.5i': invalid number"},
        {"cpu a=1e5i", NULL, "unable to parse 'cpu a=1e5i': invalid number"},
        {"cpu a=NaN", NULL, "unable to parse 'cpu a=NaN': invalid number"},
        {"cpu a=nan", NULL, "unable to parse 'cpu a=nan': invalid number"},
        {"cpu a=1.1.1", NULL, "unable to parse 'cpu a=1.1.1': invalid number"},
        {"cpu a=-", NULL, "unable to parse 'cpu a=-': invalid number"},
        {"cpu a=-,b=1", NULL, "unable to parse 'cpu a=-,b=1': invalid number"},
        {"cpu a=.", NULL, "unable to parse 'cpu a=.': invalid number"},
        {"cpu a=1i5", NULL, "unable to parse 'cpu a=1i5': invalid number"},
        {"cpu a=-1u", NULL, "unable to parse 'cpu a=-1u': invalid number"},
        {"cpu a=1x", NULL, "unable to parse 'cpu a=1x': invalid number"},
        {"cpu a=1-2", NULL, "unable to parse 'cpu a=1-2': invalid number"},
        {"cpu v=1\t", NULL, "unable to parse 'cpu v=1\t': invalid number"},
        {"cpu a=1e", NULL, "unable to parse 'cpu a=1e': invalid float"},
        {"cpu a=1e400", NULL, "unable to parse 'cpu a=1e400': invalid float"},
        {"cpu a=-e5", NULL, "unable to parse 'cpu a=-e5': invalid float"},
        {"cpu a=1e5e5", NULL, "unable to parse 'cpu a=1e5e5': invalid float"},
        {"cpu a=9223372036854775808i", NULL,
         "unable to parse 'cpu a=9223372036854775808i': unable to parse integer "
         "9223372036854775808: strconv.ParseInt: parsing \"9223372036854775808\": value out of "
         "range"},
        {"cpu a=-9223372036854775809i", NULL,
         "unable to parse 'cpu a=-9223372036854775809i': unable to parse integer "
         "-9223372036854775809: strconv.ParseInt: parsing \"-9223372036854775809\": value out of "
         "range"},
        {"cpu a=18446744073709551616u", NULL,
         "unable to parse 'cpu a=18446744073709551616u': unable to parse unsigned "
         "18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out "
         "of range"},
        {"cpu a=1 12a", NULL, "unable to parse 'cpu a=1 12a': bad timestamp"},
        {"cpu a=1 1.5", NULL, "unable to parse 'cpu a=1 1.5': bad timestamp"},
        {"cpu a=1 --1", NULL, "unable to parse 'cpu a=1 --1': bad timestamp"},
        {"cpu a=1 1\t", NULL, "unable to parse 'cpu a=1 1\t': bad timestamp"},
        {"cpu a=1 -", NULL,
         "unable to parse 'cpu a=1 -': strconv.ParseInt: parsing \"-\": invalid syntax"},
        {"cpu a=1 9223372036854775808", NULL,
         "unable to parse 'cpu a=1 9223372036854775808': strconv.ParseInt: parsing "
         "\"9223372036854775808\": value out of range"},
        {"cpu a=1 9223372036854775807", NULL,
         "unable to parse 'cpu a=1 9223372036854775807': time outside range "
         "-9223372036854775806 - 9223372036854775806"},
        {"cpu a=1 -9223372036854775808", NULL,
         "unable to parse 'cpu a=1 -9223372036854775808': time outside range "
         "-9223372036854775806 - 9223372036854775806"},
        {"cpu a=1 9223372037", "s",
         "unable to parse 'cpu a=1 9223372037': time outside range "
         "-9223372036854775806 - 9223372036854775806"},
        {"cpu a=1 123 x", NULL, "unable to parse 'cpu a=1 123 x': point is invalid"},
        {"cpu a=1 123 456", NULL, "unable to parse 'cpu a=1 123 456': point is invalid"},
        /* the echoed line loses its leading blanks and CR LF */
        {"  \tcpu\r\n", NULL, "unable to parse 'cpu': missing fields"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        int rc;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        rc = ing_lp_parse(&b, cases[i].body, strlen(cases[i].body), cases[i].precision, NOW, &err);
        if (rc != VG_EINVAL)
            fail_msg("case %zu \"%s\": got rc %d, want VG_EINVAL", i, cases[i].body, rc);
        if (err.code != VG_EINVAL || err.nitems != 1)
            fail_msg("case %zu \"%s\": got code %d with %zu items, want VG_EINVAL with 1", i,
                     cases[i].body, err.code, err.nitems);
        if (strcmp(err.items[0].detail, cases[i].want) != 0)
            fail_msg("case %zu:\ngot  %s\nwant %s", i, err.items[0].detail, cases[i].want);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("case %zu: msg \"%s\" is not the detail", i, err.msg);
        if (strstr(cases[i].want, err.items[0].title) == NULL ||
            strcmp(err.items[0].source, "line 1") != 0)
            fail_msg("case %zu: title \"%s\", source \"%s\"", i, err.items[0].title,
                     err.items[0].source);
        if (b.npoints != 0)
            fail_msg("case %zu: %zu points added", i, b.npoints);
        vg_arena_fini(&a);
    }
}

/* Reasons vigil adds where the echoed line cannot be compared as a C string, or is long. */
static void test_lp_rejects_nul_and_long_keys(void **state)
{
    static const struct {
        const char *body;
        size_t len;
        const char *want;
    } cases[] = {
        {"cpu a=\"x\0y\"", 11, "invalid NUL byte"}, {"c\0u a=1", 7, "invalid NUL byte"},
        {"cpu,t=\0 a=1", 11, "invalid NUL byte"},   {"cpu a\0=1", 8, "invalid NUL byte"},
        {"cpu \t=1", 7, "missing field key"}, /* upstream takes an empty key here */
        {"\0\0cpu", 5, "missing fields"},
    };
    vg_buf_t long_m, long_f;
    vg_arena_t a;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ing_batch_t b;
        vg_err_t err = {0};

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        if (ing_lp_parse(&b, cases[i].body, cases[i].len, NULL, NOW, &err) != VG_EINVAL ||
            err.nitems != 1)
            fail_msg("case %zu: not refused once", i);
        if (strcmp(err.items[0].title, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.items[0].title, cases[i].want);
        vg_arena_fini(&a);
    }

    vg_arena_init(&a, 0);
    vg_buf_init(&long_m, &a);
    vg_buf_init(&long_f, &a);
    for (int i = 0; i < 65536; i++)
        vg_buf_addc(&long_m, 'm');
    vg_buf_adds(&long_m, " v=1 1");
    for (int i = 0; i < 65000; i++)
        vg_buf_addc(&long_f, 'm');
    vg_buf_adds(&long_f, ",t=x a=1,");
    for (int i = 0; i < 600; i++)
        vg_buf_addc(&long_f, 'f');
    vg_buf_adds(&long_f, "=1 1");
    {
        const vg_buf_t *bodies[] = {&long_m, &long_f};
        const char *want[] = {"max key length exceeded: 65536 > 65535",
                              "max key length exceeded: 65608 > 65535"};

        for (size_t i = 0; i < 2; i++) {
            ing_batch_t b;
            vg_err_t err = {0};
            const char *d;

            ing_batch_init(&b, &a);
            assert_int_equal(ing_lp_parse(&b, bodies[i]->p, bodies[i]->len, NULL, NOW, &err),
                             VG_EINVAL);
            assert_int_equal(err.nitems, 1);
            d = err.items[0].detail;
            if (strcmp(err.items[0].title, want[i]) != 0)
                fail_msg("long %zu: got \"%s\", want \"%s\"", i, err.items[0].title, want[i]);
            if (strlen(d) != strlen("unable to parse '") + bodies[i]->len + 3 + strlen(want[i]))
                fail_msg("long %zu: detail has %zu bytes", i, strlen(d));
            if (strlen(err.msg) != sizeof err.msg - 1)
                fail_msg("long %zu: msg has %zu bytes, want it cut at %zu", i, strlen(err.msg),
                         sizeof err.msg - 1);
        }
    }
    vg_arena_fini(&a);
}

/* Joins the items as the write endpoint's renderer does (spec §3 step 2). */
static const char *test_lp_body(const vg_err_t *err, vg_arena_t *a)
{
    vg_buf_t o;

    vg_buf_init(&o, a);
    vg_buf_adds(&o, "");
    for (size_t i = 0; i < err->nitems; i++) {
        vg_buf_adds(&o, err->items[i].detail);
        vg_buf_addc(&o, '\n');
    }
    return o.p;
}

static void test_lp_reports_every_bad_line(void **state)
{
    static const struct {
        const char *body, *want, *sources;
        size_t npoints;
    } cases[] = {
        /* specs/kapacitor.md §10 cases 25 and 26 */
        {"cpu value=", "unable to parse 'cpu value=': missing field value\n", "line 1", 0},
        {"cpu value=1\ncpu", "unable to parse 'cpu': missing fields\n", "line 2", 1},
        {"a v=1 1\nbad\nb v=2 2\nc v=\n\nd v=3",
         "unable to parse 'bad': missing fields\n"
         "unable to parse 'c v=': missing field value\n",
         "line 2,line 4", 1},
        /* a quoted newline keeps its line together; the count still follows the body */
        {"s m=\"a\nb\" x\r\nok v=1\n  bad v=t 1 2\r\n",
         "unable to parse 's m=\"a\nb\" x': bad timestamp\n"
         "unable to parse 'bad v=t 1 2': point is "
         "invalid\n",
         "line 1,line 4", 0},
        /* an unbalanced quote takes the rest of the body with it, as upstream's scanLine does */
        {"a v=\"x\nb v=1\n", "unable to parse 'a v=\"x\nb v=1': unbalanced quotes\n", "line 1", 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        vg_buf_t src;
        const char *got;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        vg_buf_init(&src, &a);
        vg_buf_adds(&src, "");
        if (ing_lp_parse(&b, cases[i].body, strlen(cases[i].body), NULL, NOW, &err) != VG_EINVAL)
            fail_msg("case %zu: accepted", i);
        got = test_lp_body(&err, &a);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu:\ngot  %s\nwant %s", i, got, cases[i].want);
        if (strncmp(err.msg, err.items[0].detail, sizeof err.msg - 1) != 0)
            fail_msg("case %zu: msg \"%s\" is not the first item", i, err.msg);
        for (size_t k = 0; k < err.nitems; k++)
            vg_buf_printf(&src, "%s%s", k ? "," : "", err.items[k].source);
        if (strcmp(src.p, cases[i].sources) != 0)
            fail_msg("case %zu: sources got \"%s\", want \"%s\"", i, src.p, cases[i].sources);
        /* lines before the first bad one may stay (the caller discards b); none after it */
        if (b.npoints > cases[i].npoints)
            fail_msg("case %zu: %zu points, want at most %zu", i, b.npoints, cases[i].npoints);
        vg_arena_fini(&a);
    }
}

static void test_lp_to_samples(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"cpu,host=a usage_idle=97.8,usage_user=1.2 1700000000123456789",
         "{__name__=\"cpu_usage_idle\",host=\"a\"} @1700000000123 97.8\n"
         "{__name__=\"cpu_usage_user\",host=\"a\"} @1700000000123 1.2"},
        {"compute.node.cpu.percent,region=r,resource_id=x value=5 1000000",
         "{__name__=\"compute.node.cpu.percent\",region=\"r\",resource_id=\"x\"} @1 5"},
        {"m i=5i,u=7u,t=true,f=F,s=\"str\",x=-1.5 0",
         "{__name__=\"m_i\"} @0 5\n{__name__=\"m_u\"} @0 7\n{__name__=\"m_t\"} @0 1\n"
         "{__name__=\"m_f\"} @0 0\n{__name__=\"m_x\"} @0 -1.5"},
        {"m s=\"only a string\" 0", ""},
        {"m v=1 -1\nm v=1 -1000000\nm v=1 -1000001\nm v=1 1999999",
         "{__name__=\"m_v\"} @-1 1\n{__name__=\"m_v\"} @-1 1\n{__name__=\"m_v\"} @-2 1\n"
         "{__name__=\"m_v\"} @1 1"},
        {"m,__name__=x,h=a v=1 0", "{__name__=\"m_v\",h=\"a\"} @0 1"},
        {"my\\ m,t\\,k=v\\ 1 a\\=b=2 0", "{__name__=\"my m_a=b\",t,k=\"v 1\"} @0 2"},
        {"big a=9223372036854775807i,b=18446744073709551615u 0",
         "{__name__=\"big_a\"} @0 9.223372036854776e+18\n"
         "{__name__=\"big_b\"} @0 1.8446744073709552e+19"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_arena_t a;
        ing_batch_t b;
        vg_err_t err = {0};
        const char *got;

        vg_arena_init(&a, 0);
        ing_batch_init(&b, &a);
        if (ing_lp_parse(&b, cases[i].body, strlen(cases[i].body), NULL, NOW, &err) != VG_OK)
            fail_msg("case %zu: parse: %s", i, err.msg);
        if (ing_lp_to_samples(&b, &err) != VG_OK)
            fail_msg("case %zu: to_samples: %s", i, err.msg);
        got = test_lp_render_samples(&b);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu \"%s\":\ngot  %s\nwant %s", i, cases[i].body, got, cases[i].want);
        vg_arena_fini(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_parses_values_and_escapes),
        cmocka_unit_test(test_lp_timestamps_and_lines),
        cmocka_unit_test(test_lp_many_tags),
        cmocka_unit_test(test_lp_rejects_with_upstream_text),
        cmocka_unit_test(test_lp_rejects_nul_and_long_keys),
        cmocka_unit_test(test_lp_reports_every_bad_line),
        cmocka_unit_test(test_lp_to_samples),
    };
    return cmocka_run_group_tests_name("ingest/lineproto", tests, NULL, NULL);
}
